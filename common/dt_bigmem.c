/* dt_bigmem.c - large zeroed allocations backed by transparent huge pages. */
#include "dt_bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define DT_BIGMEM_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DT_BIGMEM_PLAIN 1
#endif
#endif

static size_t s_round (size_t size)
{
    return (size + DT_BIGMEM_UNIT - 1) / DT_BIGMEM_UNIT * DT_BIGMEM_UNIT;
}

#ifdef DT_BIGMEM_PLAIN

void *dt_bigmem_alloc (size_t size, size_t *usable)
{
    if (size == 0 || size > SIZE_MAX - DT_BIGMEM_UNIT)
        return NULL;
    *usable = s_round (size);
    return calloc (1, *usable);
}

void dt_bigmem_free (void *block, size_t usable)
{
    (void) usable;
    free (block);
}

#else

void *dt_bigmem_alloc (size_t size, size_t *usable)
{
    if (size == 0 || size > SIZE_MAX / 2 - DT_BIGMEM_UNIT)
        return NULL;
    size_t want = s_round (size);
    /* Over-map by one unit, then trim both ends to a unit boundary: mmap
     * only promises page alignment, and a huge page needs the whole
     * aligned 2 MiB inside the mapping. */
    size_t span = want + DT_BIGMEM_UNIT;
    char *raw = mmap (NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t) raw + DT_BIGMEM_UNIT - 1) & ~((uintptr_t) DT_BIGMEM_UNIT - 1);
    char *block = (char *) start;
    size_t head = (size_t) (block - raw);
    size_t tail = span - head - want;
    if (head)
        munmap (raw, head);
    if (tail)
        munmap (block + want, tail);
    /* Advice only: without THP the block is plain pages, which is fine. */
    madvise (block, want, MADV_HUGEPAGE);
    *usable = want;
    return block;
}

void dt_bigmem_free (void *block, size_t usable)
{
    if (block)
        munmap (block, usable);
}

#endif
