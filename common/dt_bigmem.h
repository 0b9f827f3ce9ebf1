/* dt_bigmem.h - large zeroed allocations backed by transparent huge pages. */
#ifndef DT_BIGMEM_H
#define DT_BIGMEM_H

#include <stddef.h>

/* The master's big tables (task records, results, their strings) grow in
 * chunks of a few MiB that are written once, front to back. With 4 KiB
 * pages every first write of a page is a fault; in a virtual machine a
 * fault costs around 10 us, and a 100,000-task run took ~10,000 of them in
 * the master. A chunk mapped on a 2 MiB boundary with MADV_HUGEPAGE is
 * one fault instead of 512 where the kernel has transparent huge pages
 * (Debian's default is "madvise"), and plain pages where it has not. */
#define DT_BIGMEM_UNIT (2u * 1024 * 1024)

/* A zeroed block of at least `size` bytes; *usable gets its real size (a
 * multiple of DT_BIGMEM_UNIT, all usable). Returns NULL when memory runs
 * out. Under AddressSanitizer it is a calloc, so the sanitizer still sees
 * every access. */
void *dt_bigmem_alloc (size_t size, size_t *usable);

/* Frees a block from dt_bigmem_alloc with the usable size it gave.
 * NULL-safe. */
void dt_bigmem_free (void *block, size_t usable);

#endif
