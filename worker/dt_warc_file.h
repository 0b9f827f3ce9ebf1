/* dt_warc_file.h - appends captures to rolling .warc.gz files in a directory (the worker's local
 * mode).
 *
 * Each file starts with a warcinfo record and is closed for a new one once
 * it reaches the roll size, so no file grows without bound and a finished
 * file can be moved away while the worker runs. Files are named
 * dtask-YYYYMMDDhhmmss-PID-NNNNN.warc.gz (UTC time the file was opened, the
 * worker's pid, a sequence number), so two workers sharing a directory
 * never write the same file. A capture is appended whole or not at all: a
 * failed write is cut off again (ftruncate), so the file stays valid.
 */
#ifndef DT_WARC_FILE_H
#define DT_WARC_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Roll size: 1 GB, the size web archives commonly use (Heritrix's and
 * wget's default), big enough that the per-file warcinfo is noise, small
 * enough to move and checksum comfortably. */
#define DT_WARC_FILE_ROLL_BYTES (1000LL * 1000 * 1000)

typedef struct dt_warc_file_t dt_warc_file_t;

/* A writer into `dir` (it must exist; borrowed: copied) rolling at
 * `roll_bytes` (0: DT_WARC_FILE_ROLL_BYTES). `operator_` (may be NULL) goes
 * into each warcinfo record. No file is opened before the first append.
 * Returns NULL with a reason in `err` when `dir` is not a writable
 * directory or memory ran out. */
dt_warc_file_t *dt_warc_file_new (const char *dir, uint64_t roll_bytes, const char *operator_,
                                  char *err, size_t err_size);

/* NULL-safe: closes the current file and nulls the pointer. */
void dt_warc_file_destroy (dt_warc_file_t **self_p);

/* Appends `len` bytes of gzip members (dt_warc_capture_output), opening a
 * new file first when none is open or the current one has reached the roll
 * size. Returns 0, or -1 with a reason in `err`: nothing of these bytes is
 * left in the file. */
int dt_warc_file_append (dt_warc_file_t *self, const void *data, size_t len, char *err,
                         size_t err_size);

/* The file being written, "" before the first append. Borrowed. */
const char *dt_warc_file_path (const dt_warc_file_t *self);

/* Files opened so far. */
uint32_t dt_warc_file_count (const dt_warc_file_t *self);

#endif
