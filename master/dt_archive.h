/* dt_archive.h - the master's WARC archive: captures that workers send (T flag SAVE) appended to
 * rolling .warc.gz files under DATA/warc, and read back by GET.
 *
 * A capture is a run of gzip members, one WARC record each, built and
 * compressed by the worker (worker/dt_warc.h). The master checks that each
 * member inflates to a WARC record (bounded: DT_LIMIT_CAPTURE_INFLATED),
 * takes the final response's WARC-Payload-Digest, and appends the bytes
 * unchanged: gzip members concatenate, so nothing is recompressed. Files
 * are named dtask-NNNNN.warc.gz; each starts with a warcinfo record and a
 * new one is started at the roll size and at every start of the master (so
 * a file's tail, which a crash may leave holding bytes no result refers
 * to, is never written after). Readers go through the store's index, never
 * through the files, so such bytes are never exported.
 *
 * Durability: dt_archive_sync() (fdatasync) runs before the store's group
 * commit, so a result that names a capture is never durable before the
 * capture's bytes. A write that fails (a full disk, an I/O error) is cut
 * off the file again and stops the archive: it refuses every capture from
 * then on (dt_archive_stopped), so the master refuses saving SUBMITs, and
 * keeps serving everything else. It also stops, before the disk is full,
 * when fewer than `reserve` bytes would be left free: the store usually
 * shares the disk, and must keep room to commit.
 */
#ifndef DT_ARCHIVE_H
#define DT_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "dt_limits.h"
#include "dt_record.h"

/* Roll size: 1 GB, what web archives commonly use (Heritrix's and wget's
 * default; worker/dt_warc_file.h). */
#define DT_ARCHIVE_ROLL_BYTES (1000LL * 1000 * 1000)

/* Bytes of the disk kept free for the store: SQLite's WAL grows by up to
 * its auto-checkpoint (1,000 pages, ~4 MiB) between checkpoints, and the
 * database by the rows of a busy minute on top. Below this the archive
 * stops rather than let the store's commit fail (which would stop the
 * whole master). */
#define DT_ARCHIVE_RESERVE_BYTES (8LL * 1024 * 1024)

/* Bytes a capture may cost beyond its own: the warcinfo record that heads
 * a new file (a few hundred bytes: the file name, the software, the host
 * name of at most 255), rounded up. */
#define DT_ARCHIVE_FILE_HEAD_MAX 4096

/* Smallest roll size --archive-roll takes: a file holds at least one
 * record besides its warcinfo; small files are for tests (the reclaim of
 * purged jobs' files is seen at small sizes). */
#define DT_ARCHIVE_ROLL_MIN (64 * 1024)
/* The free space is asked of the file system (statvfs) again once this
 * many bytes were appended since it was last asked, or sooner when what is
 * known to be left nears the reserve: not once per capture, where a system
 * call cost more than appending a small page. The store's own growth in
 * between comes out of the reserve, which is sized for a busy minute. */
#define DT_ARCHIVE_FREE_CHECK_BYTES (1024 * 1024)

/* The subdirectory of --data that holds the files. */
#define DT_ARCHIVE_DIR "warc"

/* dt_archive_append's failures. */
#define DT_ARCHIVE_EBAD     -1 /* the capture is not gzip members of WARC records: refused */
#define DT_ARCHIVE_ESTOPPED -2 /* the archive is stopped (now or before): nothing written */

typedef struct dt_archive_t dt_archive_t;

/* Opens the archive in DATA/warc under `data_dir` (created when missing).
 * No file is created before the first append. `roll_bytes` 0:
 * DT_ARCHIVE_ROLL_BYTES; `reserve` is the free space kept (bytes). Returns
 * NULL with a reason in `err`. */
dt_archive_t *dt_archive_open (const char *data_dir, uint64_t roll_bytes, uint64_t reserve,
                               char *err, size_t err_size);

/* Syncs nothing: call dt_archive_sync first. NULL-safe; nulls the pointer. */
void dt_archive_destroy (dt_archive_t **self_p);

/* Checks and appends a capture of `len` bytes. On success fills `loc`: its
 * file name (borrowed from the archive, valid until the next append: the
 * caller copies it), offset and length, and its digest (written into
 * `digest`, "" when it holds no response). Returns 0, DT_ARCHIVE_EBAD or
 * DT_ARCHIVE_ESTOPPED, with a reason in `err`. */
int dt_archive_append (dt_archive_t *self, const void *data, size_t len, dt_warc_loc_t *loc,
                       char digest[DT_LIMIT_DIGEST_MAX + 1], char *err, size_t err_size);

/* Makes every byte appended so far durable (fdatasync). Returns 0, or -1
 * when it could not (the archive is then stopped, and what was appended
 * since the last sync must not be acknowledged). */
int dt_archive_sync (dt_archive_t *self);

/* NULL while the archive accepts captures, else why it stopped. */
const char *dt_archive_stopped (const dt_archive_t *self);

/* Reads `len` bytes at `offset` of file `file` (a name from a loc) into
 * `buf`. Returns 0, or -1 with a reason in `err` (a name that is not one of
 * the archive's is refused). */
int dt_archive_read (dt_archive_t *self, dt_str_t file, uint64_t offset, void *buf, size_t len,
                     char *err, size_t err_size);

/* Captures appended and bytes written since open (for logs and metrics). */
uint64_t dt_archive_captures (const dt_archive_t *self);
uint64_t dt_archive_bytes (const dt_archive_t *self);

/* Bytes of every archive file on disk now: those found at open, plus those
 * written since, less those deleted by dt_archive_reclaim. --max-store-bytes
 * counts them with the store's. */
uint64_t dt_archive_disk_bytes (const dt_archive_t *self);

/* Reclaim: a closed file (any but the one taking captures now) that no
 * result points into holds only bytes no reader will ask for (captures of
 * purged jobs, or appended and never acknowledged): it is deleted.
 * `used` answers, for a file name, 1 when a result points into it, 0 when
 * none does, -1 on an error; it must answer from durable state only (a
 * purge not yet committed could be rolled back, and its rows come back). */
typedef int (dt_archive_used_fn) (void *arg, const char *name);

/* Marks a reclaim as wanted (after a purge). It is wanted at open too, so
 * files left by a crash between a purge and their deletion go then. */
void dt_archive_reclaim_ask (dt_archive_t *self);
int dt_archive_reclaim_wanted (const dt_archive_t *self);

/* Deletes every closed file `used` says no result points into; sets
 * *removed to their number and clears the wish. Returns 0, or -1 when the
 * directory cannot be read or `used` failed (the wish is cleared all the
 * same: the next ask tries again). The
 * work is one directory listing and one `used` per file (files are 1 GB:
 * few). */
int dt_archive_reclaim (dt_archive_t *self, dt_archive_used_fn *used, void *arg, uint32_t *removed);

#endif
