/* dt_store.h - the master's durable record of jobs, tasks and results.
 *
 * SQLite in WAL mode under --data DIR. The master's in-memory state is the
 * working copy; the store is what survives kill -9. Writes made between two
 * dt_store_commit() calls form one transaction, so the master's event loop
 * commits once per turn (group commit) and only then sends the replies that
 * depend on those writes (SUBMIT_OK, PAGEs): nothing is acknowledged before
 * it is on disk.
 *
 * Every function returns 0 on success and -1 on failure, after logging the
 * SQLite error with tag STORE-ERROR. After a failed write the caller must
 * not acknowledge anything written since the last commit.
 */
#ifndef DT_STORE_H
#define DT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dt_jobhttp.h"
#include "dt_msg.h"
#include "dt_record.h"

typedef struct dt_store_t dt_store_t;

/* Task states as stored. */
#define DT_STORE_PENDING 0
#define DT_STORE_DONE    1 /* == DT_STATE_DONE */
#define DT_STORE_FAILED  2 /* == DT_STATE_FAILED */

/* Opens (creating when missing) the store in directory `dir`, which is
 * created too. Returns NULL with a reason in `err` on failure. */
dt_store_t *dt_store_open (const char *dir, char *err, size_t err_size);

/* Commits nothing: writes since the last commit are rolled back. */
void dt_store_destroy (dt_store_t **self_p);

/* Records that (job, chunk) created tasks first_id .. first_id+count-1. */
int dt_store_add_chunk (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t first_id,
                        uint32_t count);

/* Records a new pending task. */
int dt_store_add_task (dt_store_t *self, uint64_t id, dt_str_t job, dt_str_t url);

/* Records `count` new pending tasks with ids first_id, first_id+1, ... and
 * urls[0..count-1] (a SUBMIT chunk), in few statements. Same rows as
 * dt_store_add_task for each. */
int dt_store_add_tasks (dt_store_t *self, uint64_t first_id, dt_str_t job, const dt_str_t *urls,
                        uint32_t count);

/* Records how many times the task has been dispatched. Optional for
 * correctness (a restart would only forget attempts), so the master may
 * call it lazily. */
int dt_store_set_attempts (dt_store_t *self, uint64_t id, uint32_t attempts);

/* Records the final result of task r->id at position `seq` of the results
 * log (seq starts at 1 and only grows): state, attempt (attempts made),
 * http_status, bytes, elapsed_ms, final_url, content_type, worker, error
 * (r->url is the task's own). The task's state becomes r->state. The row
 * is buffered (copied) and inserted with others, at the latest by the next
 * dt_store_commit, so a failure to insert it may be reported there. */
int dt_store_finish (dt_store_t *self, uint64_t seq, const dt_record_t *r);

/* Puts a final task back to pending with `attempts` (where its attempt
 * numbers go on from) and retires its result (REQUEUE): the load gives it
 * as a tombstone, with id 0, so that its log position is kept and never
 * reused. */
int dt_store_reopen (dt_store_t *self, uint64_t id, uint32_t attempts);

/* A named 64-bit value kept for the master itself (the run epoch). get
 * gives 0 for a name never set; set writes it in the current group, durable
 * at the next dt_store_commit. */
int dt_store_get_meta (dt_store_t *self, const char *key, uint64_t *value);
int dt_store_set_meta (dt_store_t *self, const char *key, uint64_t value);

/* Makes every write since the last commit durable (fsync'd), and opens the
 * next group. Cheap when nothing was written. */
int dt_store_commit (dt_store_t *self);

/* True when writes since the last commit wait for the next one. */
int dt_store_dirty (const dt_store_t *self);

/* A result row (r->id is the task, r->url its URL), and the task's job. */
typedef int (*dt_store_result_fn) (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job);

/* Recovery, called once after open. Calls, in this order:
 *   on_chunk for every chunk (any order),
 *   on_task for every task in id order (result is NULL unless final),
 *   with final tasks' results given in seq order through on_result, with
 *   their task's URL in r->url and its job,
 *   retired results (REQUEUE) included as tombstones with r->id == 0.
 * Borrowed pointers are valid only during the callback. A callback that
 * returns -1 stops the load, which then returns -1. */
typedef struct {
    int (*on_chunk) (void *arg, dt_str_t job, uint32_t chunk, uint64_t first_id, uint32_t count);
    int (*on_task) (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                    int state);
    dt_store_result_fn on_result;
} dt_store_loader_t;

int dt_store_load (dt_store_t *self, const dt_store_loader_t *loader, void *arg);

/* ---- Reads while running (dt_store_read.c) ------------------------------
 * A durable master keeps only part of its tasks and results in memory and
 * reads the rest back here. Reads see every write made so far, committed
 * or not. Borrowed pointers are valid only during the callback; a callback
 * returns 0 to go on, 1 to stop early, -1 to fail the read. */

/* A task row: its id, job, URL and the attempts recorded for it. */
typedef int (*dt_store_task_fn) (void *arg, uint64_t id, dt_str_t job, dt_str_t url,
                                 uint32_t attempts);

/* The tasks with ids lo .. hi (of job `job`, or of every job when it is
 * empty), in id order, at most `limit`. Whether they are pending is not
 * checked: the caller asks only for ids it knows to be. */
int dt_store_tasks (dt_store_t *self, uint64_t lo, uint64_t hi, dt_str_t job, uint32_t limit,
                    dt_store_task_fn fn, void *arg);

/* Rows a read of results may examine beyond the `limit` it returns: the
 * retired results (REQUEUE) it passes over. One read then costs at most
 * limit + this many rows, whatever the store holds: a FETCH of one page
 * stays cheap on a store of millions of results. */
#define DT_STORE_EXAMINE_SLACK 4096

/* The current results at positions after .. upto (of job `job` unless it
 * is empty; only failed ones when `failed_only`), in seq order, at most
 * `limit`. Retired results are left out. Each kind of read is a range of
 * an index (by job, by seq, failed ones by either), so it examines at
 * most limit + DT_STORE_EXAMINE_SLACK rows. *reached is where a next read
 * goes on from: `upto` when the range was read to its end, else the last
 * position handled (given to fn or passed over); when fn stopped the read,
 * the last one fn took. */
int dt_store_results (dt_store_t *self, uint64_t after, uint64_t upto, dt_str_t job,
                      int failed_only, uint32_t limit, dt_store_result_fn fn, void *arg,
                      uint64_t *reached);

/* Result rows read by dt_store_results since open, retired ones included:
 * what the reads cost (tests assert it stays bounded). */
uint64_t dt_store_examined (const dt_store_t *self);

/* ---- Jobs and chunks ------------------------------------------------------
 * The master keeps no chunk of a durable job in memory, and no finished
 * job past a retention (dt_state.h): the store answers for them. */

/* Chunk `chunk` of `job`: returns 0 and the ids it created, 1 when it is
 * new, -1 on error. One lookup of the chunks' primary key. */
int dt_store_chunk_find (dt_store_t *self, dt_str_t job, uint32_t chunk, uint64_t *first_id,
                         uint32_t *count);

/* Records the counters (total, done, failed) of a finished job that leaves
 * memory; the load leaves its tasks out and counts these instead. */
int dt_store_job_put (dt_store_t *self, dt_str_t job, const uint64_t counts[3]);

/* The counters put for `job`: returns 0, 1 when it has none, -1 on error. */
int dt_store_job_get (dt_store_t *self, dt_str_t job, uint64_t counts[3]);

/* Forgets the counters of `job` (it is in memory again: new tasks, or
 * REQUEUE). */
int dt_store_job_drop (dt_store_t *self, dt_str_t job);

/* Records `flags` (DT_SUBMIT_SAVE) of `job` in the current group: what
 * every task of the job is dispatched with, kept across restarts. */
int dt_store_job_flags_put (dt_store_t *self, dt_str_t job, uint32_t flags);

/* The flags recorded for `job` into *flags (0 when none): 0, or -1. */
int dt_store_job_flags_get (dt_store_t *self, dt_str_t job, uint32_t *flags);

/* Where task `id`'s current capture is stored, considering only results at
 * positions up to `upto` (what is committed): fills `loc` (its file name
 * copied into `file`, of `file_size` bytes; its digest left empty), with
 * length 0 when the task has none. One lookup of an index. 0, or -1. */
int dt_store_capture (dt_store_t *self, uint64_t id, uint64_t upto, char *file, size_t file_size,
                      dt_warc_loc_t *loc);

/* The sums of every job's counters put (total, done, failed). */
int dt_store_jobs_sum (dt_store_t *self, uint64_t counts[3]);

/* Calls `fn` with the name (borrowed for the call) of up to `limit` jobs
 * whose counters are put as zeros: the mark PURGE leaves until its steps
 * have deleted the job's rows (a job with no task left memory so too, and
 * has none to delete). `fn` returns 0 to go on, 1 to stop, -1 on error.
 * Returns 0 or -1. */
int dt_store_jobs_purging (dt_store_t *self, uint32_t limit, int (*fn) (void *arg, dt_str_t name),
                           void *arg);

/* ---- Job records (dt_store_jobs.c) ---------------------------------------
 * Every job's place in creation order and its times, in `job_info` (made
 * at open when missing: older masters ignore the table). A row is written
 * when a job is created and when it finishes or runs again, and deleted by
 * its purge; rows are read through their indexes, by name and by seq, so
 * each read costs the rows it returns. */

typedef struct {
    uint64_t seq;         /* creation order, from 1 */
    uint64_t created_ms;  /* Unix ms */
    uint64_t finished_ms; /* Unix ms; 0 while unfinished */
} dt_store_jobinfo_t;

/* Creates `job_info` and its indexes when missing. */
int dt_store_jobinfo_init (dt_store_t *self);

/* The record of `job`: 0, 1 when it has none, -1 on error. */
int dt_store_jobinfo_get (dt_store_t *self, dt_str_t job, dt_store_jobinfo_t *info);

/* Writes the record of `job` (created or replaced) in the current group. */
int dt_store_jobinfo_put (dt_store_t *self, dt_str_t job, const dt_store_jobinfo_t *info);

/* Creates `job_polite` when missing (dt_store_polite.c). */
int dt_store_polite_init (dt_store_t *self);

/* The politeness recorded for `job`: 0, 1 when it has none, -1 on error. */
int dt_store_polite_get (dt_store_t *self, dt_str_t job, int *robots, uint32_t *host_delay_ms);

/* Records the politeness of `job` (created or replaced) in the current group. */
int dt_store_polite_put (dt_store_t *self, dt_str_t job, int robots, uint32_t host_delay_ms);

/* The highest seq recorded, 0 when none. */
int dt_store_jobinfo_max_seq (dt_store_t *self, uint64_t *seq);

/* A job record; `job` is borrowed for the call. Returns 0 to go on, 1 to
 * stop, -1 to fail the read. */
typedef int (*dt_store_jobinfo_fn) (void *arg, dt_str_t job, const dt_store_jobinfo_t *info);

/* The records with seq < `before` (0: any), newest first, at most `limit`
 * (one range of the seq index). */
int dt_store_jobinfo_list (dt_store_t *self, uint64_t before, uint32_t limit,
                           dt_store_jobinfo_fn fn, void *arg);

/* The highest chunk number of `job` plus one in *next (0: none), by the
 * chunks' primary key. */
int dt_store_next_chunk (dt_store_t *self, dt_str_t job, uint32_t *next);

/* ---- Jobs' HTTP options (dt_store_http.c) -------------------------------- */

/* Creates `job_http` when missing. */
int dt_store_http_init (dt_store_t *self);

/* The HTTP options of `job` in *http_p (the caller's): 0, 1 when it has
 * none (*http_p NULL), -1 on error. */
int dt_store_http_get (dt_store_t *self, dt_str_t job, dt_jobhttp_t **http_p);

/* Writes the HTTP options of `job` in the current group. */
int dt_store_http_put (dt_store_t *self, dt_str_t job, const dt_msg_httpopt_t *h);

/* ---- Purge (dt_store_purge.c) ------------------------------------------- */

/* Rows one purge step deletes at most: a purge of a job of millions of
 * tasks goes in steps, each a short part of a loop turn. */
#define DT_STORE_PURGE_STEP 4096

/* Deletes up to `max_rows` rows of job `job`: its results first, then its
 * tasks, its chunks and its counters in `jobs`, each through its index by
 * job. Sets *done once nothing of the job is left (its last rows went in
 * this step, or there were none). The caller makes sure the job has no
 * unfinished task. Part of the current group, like any write. */
int dt_store_purge_step (dt_store_t *self, dt_str_t job, uint32_t max_rows, int *done);

/* Gives up to `pages` free pages back to the file system (incremental
 * vacuum, committed with the group). Stores created before schema 3 have
 * no incremental vacuum: their free pages are reused by later writes,
 * and only an offline VACUUM shrinks the file. Returns 0 or -1. */
int dt_store_shrink (dt_store_t *self, uint32_t pages);

/* The highest task id in the store, 0 when none. */
int dt_store_max_id (dt_store_t *self, uint64_t *id);

/* Bytes of the store's pages in use, writes not yet committed included. */
int dt_store_bytes (dt_store_t *self, uint64_t *bytes);

/* Creates the index of results by archive file when missing (dt_store_archive.c). */
int dt_store_archive_init (dt_store_t *self);

/* 1 when a result row (current, retired or of a job being purged) points
 * into archive file `name`, 0 when none does, -1 on error. It sees the
 * group not yet committed: only its caller knows whether that is durable. */
int dt_store_warc_file_used (dt_store_t *self, const char *name);

#endif
