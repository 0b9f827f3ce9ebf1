/* dt_state.h - the master's model: tasks, queue, jobs, results and workers, and every transition
 * between them. */
#ifndef DT_STATE_H
#define DT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "dt_archive.h"
#include "dt_frontier.h"
#include "dt_msg.h"
#include "dt_record.h"
#include "dt_store.h"
#include "dt_workers.h"

/* Everything here changes only through these functions, which also keep
 * the counters and the durable store in step; every change of a task's
 * state is a step of the life table in dt_life.h. Without a store (--memory)
 * the model holds everything in memory; with one, it holds a window (see
 * DT_STATE_WINDOW) and reads the rest back from the store. Nothing here
 * touches a socket: dt_master.c turns messages into calls and results into
 * replies. When a store write or an allocation fails, the model stops being
 * trustworthy: dt_state_broken() turns true, and the master must exit
 * without acknowledging anything (a restart recovers from the store). */
typedef struct dt_state_t dt_state_t;

typedef struct {
    uint64_t max_pending;     /* unfinished tasks above which SUBMIT is refused; 0: no limit */
    uint32_t max_attempts;    /* dispatches a task gets before it fails */
    uint32_t retry_base_ms;   /* first retry delay; doubles with each attempt */
    uint32_t task_ms;         /* a lease older than this ends */
    uint64_t window;          /* queued tasks (durable) and results kept in memory; 0: default */
    uint32_t host_limit;      /* tasks of one host leased at once; 0: no limit (dt_hosts.h) */
    uint32_t keep_jobs;       /* finished jobs kept in memory; 0: DT_JOBS_KEEP_FINISHED */
    uint64_t max_store_bytes; /* durable: SUBMIT refused past this store size; 0: no limit */
    uint64_t window_bytes;    /* durable: bytes of queued tasks in memory; 0: default */
    uint32_t lease_grace_ms;  /* a lease ends task_ms + this after its task started */
    uint32_t max_lost;        /* leases a task may lose with vanished workers before it fails
                                 "lease lost"; 0: DT_STATE_LOST_FACTOR * max_attempts */
    uint32_t host_delay_ms;   /* least ms between two request starts at one origin, for jobs
                                 without their own; 0: none (dt_polite.h) */
} dt_state_opts_t;

/* A lease lost with its worker (dead, or BYE while holding it, or expired on
 * a worker that has returned no result for a whole task_ms: stopped, hung or
 * a fake that keeps its tasks) says nothing
 * about the task, and anyone can make workers vanish: it spends none of the
 * task's max_attempts (those are for a RETRY result or a lease that outlived
 * its time limit) but one of a larger allowance, so a task still ends when
 * every worker that takes it dies, and a swarm of fake workers that say HELLO
 * and vanish cannot fail a job's tasks. */
#define DT_STATE_LOST_FACTOR 10

/* With a store, the model keeps about this many queued tasks and this many
 * recent results in memory; the rest stay in the store and are read back
 * when needed (the queue refills as it drains, old pages are read from
 * disk), so a durable master's memory does not grow with the queue. */
#define DT_STATE_WINDOW 65536

/* With a store, the queue in memory also stops growing once the task table
 * (records and URLs) holds this many bytes, whatever the window in tasks:
 * 65,536 queued 8 KiB URLs would otherwise take 512 MiB. The rest waits in
 * the store. */
#define DT_STATE_WINDOW_BYTES (64u * 1024 * 1024)

/* With a store, the recent results in memory also stop at this many bytes
 * (entries and their strings; dt_results_set_max_bytes), whatever the
 * window in results: 65,536 results with 8 KiB URLs, final URLs and
 * outputs would otherwise take over 1 GiB. Older ones are read from the
 * store. At most this and one chunk of the log (2 MiB of entries, an
 * eighth of this in strings and the 4 MiB string block its last opened). */
#define DT_STATE_RESULTS_BYTES (64u * 1024 * 1024)

/* The smallest window accepted: the store buffers up to 64 results before
 * inserting them, and the window must cover more than that. */
#define DT_STATE_WINDOW_MIN 256

/* Without a store (--memory), the results log keeps the most recent this
 * many results (a FETCH below them goes on from the oldest kept), and
 * finished jobs leave memory as they do with one (DT_JOBS_KEEP_FINISHED),
 * forgotten: memory does not grow with the jobs done. ~150 bytes and the
 * URLs a result: 1M results of 100-byte URLs take ~250 MiB. */
#define DT_STATE_MEMORY_RESULTS (1u << 20)

/* Longest retry delay, whatever the attempt. */
#define DT_STATE_RETRY_MAX_MS 60000

/* Creates an empty model. `store` (borrowed; NULL for --memory) receives
 * every durable change. Returns NULL on failure. */
dt_state_t *dt_state_new (const dt_state_opts_t *opts, dt_store_t *store);

/* NULL-safe; nulls the pointer. */
void dt_state_destroy (dt_state_t **self_p);

/* Rebuilds the model from the store (once, before anything else): jobs,
 * chunks, counters, the most recent results, and the queue of every
 * unfinished task in id order (a window of them in memory). Returns 0 or
 * -1. */
int dt_state_load (dt_state_t *self);

/* Starts this run's epoch, before any task goes out: with a store, the
 * stored counter plus one, committed (fsync'd) before this returns, so no
 * lease of an earlier run can carry it; without, a random nonzero value.
 * Returns 0, or -1 when the store could not record it. */
int dt_state_begin_epoch (dt_state_t *self);

/* This run's epoch (0 before dt_state_begin_epoch). */
uint64_t dt_state_epoch (const dt_state_t *self);

/* True once a store write or an allocation failed. */
int dt_state_broken (const dt_state_t *self);

/* SUBMIT of chunk `chunk` of job `job`. Returns 0 and the ids created (or
 * created earlier by the same chunk) in *first_id and *count; or a DT_ERR_*
 * code (BAD_URL, QUEUE_FULL, TOO_BIG for a chunk over --max-pending, STORE; MALFORMED for an empty
 * chunk or job id) with a reason in `err`, nothing created. */
int dt_state_submit (dt_state_t *self, dt_str_t job, uint32_t chunk, const dt_str_t *urls,
                     uint32_t nurls, uint64_t *first_id, uint32_t *count, char *err,
                     size_t err_size);

/* Gives `job`, when it has no task yet, the HTTP options `http` (checked
 * by dt_state_job_http_check; empty: none), durable in the store's group
 * with its first chunk. Call right after a dt_state_submit that created
 * its first tasks. Returns 0, or -1 when memory runs out. */
int dt_state_job_http_set (dt_state_t *self, dt_str_t job, const dt_msg_httpopt_t *http);

/* The HTTP options of the jobs of the tasks the last dt_state_take*
 * returned, each once: T.opts i refers to (*http)[i - 1]. Borrowed from
 * the jobs until the tasks are leased or untaken. Returns their count. */
uint32_t dt_state_take_http (dt_state_t *self, const dt_msg_httpopt_t **http);

/* Checks the HTTP options of a SUBMIT of `job` with tasks of `kind` ("":
 * http) before it is acted on: what a header or User-Agent may hold
 * (MALFORMED), and that a job already holding tasks was submitted with
 * the same options (CONFLICT: a job's options are its first chunk's).
 * Returns 0, or a DT_ERR_* code with the reason in `err`. */
int dt_state_job_http_check (dt_state_t *self, dt_str_t job, dt_str_t kind,
                             const dt_msg_httpopt_t *http, char *err, size_t err_size);

/* True when chunk `chunk` of `job` was accepted before with exactly these
 * URLs (a SUBMIT of it would be a resend). A failed store read breaks the
 * model and answers 0. */
int dt_state_chunk_resent (dt_state_t *self, dt_str_t job, uint32_t chunk, const dt_str_t *urls,
                           uint32_t nurls);

/* Applies one result. `from` is the registered worker whose connection
 * sent it (same routing id and, with CURVE, same key), NULL when the peer
 * is not one. The result is recorded (or, for RETRY, the task delayed)
 * only when `from` holds the lease of exactly its (task id, attempt,
 * epoch); the name a RESULTS message carries proves nothing. A result for
 * a task already final counts `duplicates`; any other counts `late` (the
 * lease ended: expired, re-leased, an earlier attempt or another master
 * run, or the peer holds none) and is dropped; a task this run never had,
 * or an outcome the protocol does not know, counts `invalid`. */
void dt_state_result (dt_state_t *self, dt_worker_t *from, const dt_report_t *result, int64_t now);

/* Takes up to `max` queued tasks for one TASKS message, keeping the batch
 * under DT_LIMIT_BATCH_BYTES: fills items (borrowing the URLs) and tasks.
 * Then exactly one of dt_state_lease (sent) or dt_state_untake (not sent,
 * back to the front of the queue in order) must follow. Returns the count. */
uint32_t dt_state_take (dt_state_t *self, uint32_t max, dt_msg_task_t *items, dt_task_t **tasks);
/* The same for a worker that serves the kinds in the mask `kinds` (bit k:
 * kind number k): tasks of other kinds are passed over (set aside, in
 * order, for a worker that serves them). dt_state_take serves every kind. */
uint32_t dt_state_take_kinds (dt_state_t *self, uint64_t kinds, uint32_t max, dt_msg_task_t *items,
                              dt_task_t **tasks);

/* The number of kind `kind` (registered if new; 0 is http), or -1 when
 * DT_LIMIT_KINDS_MAX kinds are known already. */
int dt_state_kind (dt_state_t *self, dt_str_t kind);

/* Per kind number (up to DT_LIMIT_KINDS_MAX), the tasks in memory that are
 * queued, leased and delayed, added into counts[k][0..2]; tasks only in the
 * store are left out (their kind is read with them). A walk over the tasks
 * in memory (the window, with a store): for STATUS, not the hot path. */
void dt_state_kind_counts (dt_state_t *self, uint64_t (*counts)[3]);

/* The name of kind number `index` (borrowed), and how many are known. */
dt_str_t dt_state_kind_name (const dt_state_t *self, int index);
int dt_state_kinds (const dt_state_t *self);

void dt_state_lease (dt_state_t *self, dt_worker_t *worker, dt_task_t **tasks, uint32_t count,
                     int64_t now);
void dt_state_untake (dt_state_t *self, dt_task_t **tasks, uint32_t count);

/* Ends every lease of a worker that is gone (dead, BYE, unreachable) and
 * forgets it; nulls the pointer. Returns the tasks it held. */
uint32_t dt_state_drop_worker (dt_state_t *self, dt_worker_t **worker_p, int64_t now);

/* Ends the leases of `worker` whose task started task_ms + lease_grace_ms
 * ago or more. A lease's clock starts when it becomes one of the worker's
 * oldest `concurrency` leases (dt_workers_lease): the rest wait in the
 * worker's queue. Each spends an attempt of its task, unless the worker has
 * returned no result for task_ms: then it counts as lost (max_lost).
 * Returns how many ended. */
uint32_t dt_state_expire_leases (dt_state_t *self, dt_worker_t *worker, int64_t now);

/* When the next lease of `worker` ends unless a result comes (monotonic
 * ms), INT64_MAX when none runs. */
int64_t dt_state_lease_deadline (const dt_state_t *self, const dt_worker_t *worker);

/* Moves the retries due at `now` to the front of the queue. */
void dt_state_promote_due (dt_state_t *self, int64_t now);

/* When the next retry is due (monotonic ms), INT64_MAX when none; 0 (now)
 * while a purge is under way, whose steps dt_state_promote_due takes. */
int64_t dt_state_next_due (const dt_state_t *self);

/* Fills a PAGE: results of `job` (empty: all) after *cursor, oldest first,
 * at most `max` (and under DT_LIMIT_BATCH_BYTES), only failed ones with
 * DT_FETCH_FAILED_ONLY. Items borrow strings from the model. Advances
 * *cursor past what was returned or skipped. Returns the count. */
uint32_t dt_state_page (dt_state_t *self, dt_str_t job, uint64_t *cursor, uint32_t max,
                        uint32_t flags, dt_record_t *items);

/* dt_state_page that also gives each item as a PAGE item in `wire` (as
 * many entries as `items`; the same strings borrowed): what the master
 * sends, converted once. */
uint32_t dt_state_page_wire (dt_state_t *self, dt_str_t job, uint64_t *cursor, uint32_t max,
                             uint32_t flags, dt_record_t *items, dt_msg_result_t *wire);

/* Counters of the whole master (`job` empty) or of one job (zero when the
 * job is unknown; a job's retried, duplicates and late are counted while
 * it is in memory, since this master started: a job that left memory
 * shows them as 0; invalid is master-wide only). */
void dt_state_stats (dt_state_t *self, dt_str_t job, dt_msg_stats_t *stats);

/* The error of a task ended by CANCEL. */
#define DT_STATE_CANCELLED "cancelled"

/* Puts the failed tasks of `job` (empty: every job) back at the end of the
 * queue with a fresh budget of attempts (numbered on from the last:
 * dt_state_round_attempts), and takes their results out of the log; cancelled
 * ones (error DT_STATE_CANCELLED) only with DT_REQUEUE_CANCELLED in
 * `flags`. With a store, failed tasks only in the store are reopened
 * DT_LIMIT_REQUEUE_STEP a loop turn: the first step now, the rest over the
 * next turns (see dt_state_next_due); a CANCEL of the job meanwhile ends
 * it. Returns how many in *count (with steps to come, the job's failed
 * tasks they will look at are counted too). Returns 0, DT_ERR_QUEUE_FULL
 * (nothing done) when DT_LIMIT_REQUEUES_MAX are under way, or -1 when the
 * model broke. */
int dt_state_requeue (dt_state_t *self, dt_str_t job, uint32_t flags, uint64_t *count);

/* Makes every unfinished task of `job` final failed with the error
 * "cancelled" (a leased one's lease ends; its worker's result will be a
 * duplicate). Those in memory at once; with a store, those only in the
 * store (cold) over the next loop turns, DT_LIMIT_CANCEL_STEP rows a turn
 * (see dt_state_next_due), and a refill cancels any it reads meanwhile.
 * Returns how many in *count, both kinds (0 for an unknown job; a CANCEL
 * while one of the job is under way counts only what is in memory).
 * Returns 0, DT_ERR_QUEUE_FULL (nothing done) when DT_LIMIT_CANCELS_MAX
 * are under way, or -1 when the model broke. */
int dt_state_cancel (dt_state_t *self, dt_str_t job, uint64_t *count, int64_t now);

/* PURGE of the finished job `job`: its counters leave the master's at once,
 * the job leaves memory, and with a store its rows are deleted in steps
 * over the next loop turns (see dt_state_next_due). Returns 0 with the
 * job's tasks in *count (0 for a job unknown or already being purged), or
 * a DT_ERR_* code (CONFLICT: it has unfinished tasks; QUEUE_FULL: too many
 * purges under way; STORE) with a reason in `err`. */
int dt_state_purge (dt_state_t *self, dt_str_t job, uint64_t *count, char *err, size_t err_size);

/* True when the master knows job `job`: it is in memory, or its counters
 * are in the store (a finished job that left memory). A job being purged,
 * purged, or (without a store) forgotten is not known. A failed store
 * read breaks the model and answers 0. */
int dt_state_job_known (dt_state_t *self, dt_str_t job);

/* Fills a JOBS_OK page: the job named `job` alone (it must be known, see
 * dt_state_job_known), or, when `job` is empty, jobs created before
 * *cursor (0: any), newest first, at most `max` (<= DT_LIMIT_JOBS_MAX).
 * Examines at most `max` jobs of the store's job records (a durable
 * master) or scans the jobs in memory (--memory, where only they exist).
 * Names are copied into `names` (DT_LIMIT_JOBS_MAX * DT_LIMIT_JOB_MAX
 * bytes, the caller's), which the items borrow. Sets *cursor to pass back
 * for the next page, 0 when there is none. Returns the count. */
uint32_t dt_state_jobs_page (dt_state_t *self, dt_str_t job, uint64_t *cursor, uint32_t max,
                             dt_msg_job_t *items, char *names);

/* SUBMIT of a crawl (DT_SUBMIT_CRAWL): `seeds` (http URLs, in chunk 0,
 * at most the crawl's max_pages of them taken) start job `job`, whose
 * pages' links become its tasks as they come back within `crawl`'s
 * scope, depth and page limit (dt_frontier.h). A resend, or a job known
 * already, is answered as dt_state_submit answers it. Returns as
 * dt_state_submit does; MALFORMED for a bad crawl tuple, TOO_BIG past
 * DT_LIMIT_CRAWLS_MAX running crawls or DT_LIMIT_SCOPE_HOSTS seed hosts. */
int dt_state_crawl_submit (dt_state_t *self, dt_str_t job, uint32_t chunk,
                           const dt_msg_crawl_t *crawl, const dt_str_t *seeds, uint32_t nseeds,
                           uint64_t *first_id, uint32_t *count, char *err, size_t err_size);

/* True when `job` is a crawl that is running (its pages' links are
 * followed): for politeness rules that apply to crawls. */
int dt_state_job_is_crawl (dt_state_t *self, dt_str_t job);

/* The User-Agent the pages of crawl `job` are fetched with (its
 * --user-agent, borrowed from the job), for matching robots.txt groups:
 * returns 1 with it in *agent ("" when the job set none: the workers'
 * own, "dtask/VERSION" by default), or 0 when `job` is not a running
 * crawl. */
int dt_state_crawl_agent (dt_state_t *self, dt_str_t job, dt_str_t *agent);

/* Crawls running. */
size_t dt_state_crawls (const dt_state_t *self);

/* Links of every crawl since the master started: made tasks, and skipped
 * by reason (dt_frontier.h). */
dt_frontier_counts_t dt_state_crawl_totals (const dt_state_t *self);

/* The politeness of job `job` (known: it was just submitted to): obey
 * robots.txt (`robots`), and its own least ms between two starts at one
 * origin (`host_delay_ms`, 0: the master's). Either only ever turns on: a
 * later chunk without them leaves them as they are. Durable with a store. */
void dt_state_job_polite (dt_state_t *self, dt_str_t job, int robots, uint32_t host_delay_ms);

/* STATUS --hosts of `job`: the origins of its http tasks in memory that
 * are queued (or delayed for a retry) or leased, the `max` (<= DT_LIMIT_STATUS_HOSTS) with the most
 * queued first, into `rows`; their names are copied into `names` (max *
 * (DT_POLITE_ORIGIN_MAX + 1) bytes, the caller's), which the rows borrow.
 * A walk over the tasks in memory: for STATUS, not the hot path. Returns
 * how many; *total gets how many origins there were. */
uint32_t dt_state_hosts (dt_state_t *self, dt_str_t job, dt_msg_host_t *rows, uint32_t max,
                         char *names, uint32_t *total);

/* Tasks in memory one HOSTS examines at most (a --memory master may hold
 * millions): a request any client may send costs at most ~10 ms, and the
 * counts then cover the oldest tasks in memory. */
#define DT_STATE_HOSTS_SCAN_MAX (1u << 20)

/* Counts an invalid message (STATUS `invalid`). */
void dt_state_count_invalid (dt_state_t *self);

/* Results recorded so far (the last results log position). */
uint64_t dt_state_last_seq (const dt_state_t *self);

/* Tasks a take could hand out now: queued, not parked behind their host's
 * limit, and those only in the store while the queue in memory has room
 * to read them back. */
uint64_t dt_state_queued (const dt_state_t *self);

/* Jobs held in memory (those with unfinished tasks, and the most recent
 * finished ones), for tests and logs. */
size_t dt_state_jobs (const dt_state_t *self);

/* Bytes held by the task table, the results log and the jobs, for tests
 * and logs. */
size_t dt_state_memory (const dt_state_t *self);

/* Queued tasks that are only in the store (0 without a store). */
uint64_t dt_state_cold (const dt_state_t *self);

/* The worker registry (owned by the model). */
dt_workers_t *dt_state_workers (dt_state_t *self);

/* ---- Archives (dt_state_archive.c) --------------------------------------- */

/* Where captures of saving jobs go (borrowed; NULL: saves are refused). */
void dt_state_set_archive (dt_state_t *self, dt_archive_t *archive);

/* Marks job `job` (just submitted to, so in memory) as saving its http
 * tasks' captures, durably with the job. Returns 0, or a DT_ERR_* code with
 * a reason in `err` when saves cannot be taken now (no store, or the
 * archive stopped): the caller checks first with dt_state_save_refused. */
int dt_state_job_save (dt_state_t *self, dt_str_t job, char *err, size_t err_size);

/* 0 when a SUBMIT that saves may be accepted; else a DT_ERR_* code with a
 * reason in `err` (refused before anything of the chunk is created). */
int dt_state_save_refused (dt_state_t *self, char *err, size_t err_size);

/* The T flag DT_TASK_SAVE when `task` (of `kind`) is an http task of a
 * saving job, else 0. */
uint32_t dt_state_save_flags (dt_state_t *self, const dt_task_t *task, dt_str_t kind);

/* Stores the capture `report` carries, when its task's job saves: fills
 * report->warc (its digest written into `digest`, its file name borrowed
 * from the archive until the next capture). Returns 0 (also when there is
 * nothing to keep), or -1 when it could not be stored: report->error then
 * says why (in `why`) and the task must fail. */
int dt_state_archive_keep (dt_state_t *self, const dt_task_t *task, dt_report_t *report,
                           char digest[DT_LIMIT_DIGEST_MAX + 1], char *why, size_t why_size);

/* Where task `id`'s capture is stored among the results up to `upto` (what
 * is committed): fills `loc`, its name copied into `file` (length 0: none).
 * 0, or -1 on a store error. */
int dt_state_capture (dt_state_t *self, uint64_t id, uint64_t upto, char *file, size_t file_size,
                      dt_warc_loc_t *loc);

/* Up to `max` entries of job `job`'s capture index after `*cursor`, among
 * the results up to `upto`, in results order, into `items`; *cursor is set
 * where the next page goes on (0: no more). Returns the count. */
uint32_t dt_state_export_page (dt_state_t *self, dt_str_t job, uint64_t *cursor, uint64_t upto,
                               uint32_t max, dt_msg_capture_t *items);

/* A purge of a job is done (its rows deleted in the current group): asks
 * for the archive files that only its captures used to be deleted, now or
 * on a later turn once that group is committed (dt_state_archive_reclaim).
 * One call, wherever the purge ends; harmless without an archive. */
void dt_state_archive_purged (dt_state_t *self);

/* Deletes the closed archive files no committed result points into, when
 * a reclaim is wanted (after a purge, and once after start for files a
 * crash left) and the store has nothing uncommitted; else does nothing and
 * a later call does it. Called every turn: a flag check when not wanted. */
void dt_state_archive_reclaim (dt_state_t *self);

/* 1 while a reclaim is wanted: the loop then takes another turn soon. */
int dt_state_archive_reclaim_due (const dt_state_t *self);

#endif
