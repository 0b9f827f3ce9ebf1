/* dt_state_priv.h - the model's insides, shared by the dt_state*.c files (one job each: the
 * task's moves in dt_state_life.c, the requests in dt_state_submit.c, _result.c, _take.c, _page.c,
 * _requeue.c, the tick in dt_state_tick.c, the part in the store in dt_state_store.c...) and no
 * one else. */
#ifndef DT_STATE_PRIV_H
#define DT_STATE_PRIV_H

#include "dt_arena.h"
#include "dt_coldq.h"
#include "dt_frontier.h"
#include "dt_hosts.h"
#include "dt_jobhttp.h"
#include "dt_jobs.h"
#include "dt_kinds.h"
#include "dt_life.h"
#include "dt_polite.h"
#include "dt_queue.h"
#include "dt_results.h"
#include "dt_state.h"
#include "dt_steps.h"
#include "dt_store_due.h"
#include "dt_tasks.h"

struct dt_state_t {
    dt_state_opts_t opts;  /* limits and timings */
    dt_store_t *store;     /* durable copy; NULL with --memory (not owned) */
    dt_archive_t *archive; /* where captures go; NULL without a store (not owned) */
    uint32_t save_job;     /* the job dt_state_save_flags last looked up */
    uint32_t save_flags;   /* its answer */
    int save_known;        /* save_job and save_flags hold */
    dt_tasks_t *tasks;     /* tasks in memory, by id */
    dt_queue_t *queue;     /* queued ids in memory, and delayed retries */
    dt_coldq_t *cold;      /* queued ids only in the store, per kind and level */
    /* QUEUED tasks in memory per kind number and level (parked ones too):
     * the store is read back per kind, for the kinds short of their share
     * of the window (dt_state_store.c). Kept by dt_state_step. */
    uint64_t hot[DT_LIMIT_KINDS_MAX][DT_PRIORITY_MAX + 1];
    dt_jobs_t *jobs;       /* jobs and their chunks */
    dt_results_t *results; /* the results log (its recent part, with a store) */
    dt_workers_t *workers; /* registered workers and their leases */
    dt_hosts_t *hosts;     /* --host-limit: tasks out per host, parked tasks; or NULL */
    uint64_t parked;       /* --host-limit: QUEUED tasks parked behind their host */
    dt_queue_t *unparked;  /* --host-limit: parked tasks whose host has room again,
                              taken before the queue, in the order they were parked */
    dt_kinds_t *kinds;     /* kind names met, numbered (tasks and workers use the numbers) */
    dt_frontier_t *crawls; /* crawls: their pages' links make tasks (dt_state_crawl.c) */
    dt_polite_t *polite;   /* politeness per origin (robots.txt, spacing, pauses); NULL until
                              a job or --host-delay asks for it, or a server for a pause */
    dt_queue_t *granted;   /* tasks whose origin's turn came (DT_TASK_GRANTED), taken before
                              the queue */
    /* Per kind, QUEUED tasks a take passed over because the worker taking
     * did not serve their kind, in the order they were queued: a worker
     * that serves the kind takes them before the queue. Each entry moves
     * here at most once, so routing costs O(1) a task. NULL until used. */
    dt_queue_t *aside[DT_LIMIT_KINDS_MAX][DT_PRIORITY_MAX + 1];
    /* QUEUED tasks of priority p > 0, one FIFO a level (queue is level 0):
     * DT_PRIORITY_MAX + 1 levels make a take O(levels), not O(log n) as a
     * heap would, and keep FIFO within a level. NULL until used. */
    dt_queue_t *levels[DT_PRIORITY_MAX + 1];
    /* Per level, tasks whose not-before time came (dt_state_due.c), in due
     * order: taken before the level's queue, so they go out on time past a
     * backlog, earliest first. NULL until used. */
    dt_queue_t *soon[DT_PRIORITY_MAX + 1];
    int high;                 /* a level above 0 was ever used: takes look there first */
    dt_life_counts_t counts;  /* tasks in each state, and every other counter (dt_life.h) */
    uint64_t epoch;           /* this run's epoch: every lease carries it */
    uint64_t next_id;         /* id of the next task accepted */
    uint64_t window;          /* with a store: queued tasks kept in memory */
    uint64_t unswept;         /* tasks finished since the last sweep */
    uint64_t reserved;        /* --max-store-bytes: room kept for results to come */
    dt_arena_t *page_strings; /* strings of the last PAGE read from the store */
    uint64_t rng;             /* xorshift state for retry jitter */
    uint64_t job_seq;         /* seq of the last job created; with a store read from it
                                 at the first job created (0 until then) */
    int broken;               /* a store write or allocation failed */
    dt_queue_t *timed;        /* DELAYED tasks in memory waiting for their not-before time,
                                 keyed by wall-clock ms (dt_state_due.c) */
    dt_store_due_t *due;      /* with a store: its index of not-before times */
    uint64_t due_after;       /* the store's rows up to (due_after, due_after_id) were read */
    uint64_t due_after_id;    /* (the cursor's second half) */
    uint64_t due_next;        /* no row after the cursor is due before this (UINT64_MAX: none) */
    uint64_t due_loaded;      /* wall ms the store was loaded at: tasks due later were `later` */
    uint64_t later_kind[DT_LIMIT_KINDS_MAX]; /* `later` tasks per kind number, for STATUS */
    dt_steps_t *steps; /* CANCELs, REQUEUEs and PURGEs going on in steps (dt_state_steps.c) */
    /* The last take's jobs that have HTTP options, each once, and their
     * options (borrowed from the jobs): TASKS carries them (T.opts). */
    uint32_t take_jobs[DT_LIMIT_TASKS_HTTP];
    dt_msg_httpopt_t take_http[DT_LIMIT_TASKS_HTTP];
    uint32_t take_nhttp;
    int take_last_valid;     /* the last task's answer, for the next of the same job: */
    uint32_t take_last_job;  /* its job number */
    uint32_t take_last_opts; /* and its T.opts */
};

/* A PAGE being filled. */
typedef struct {
    dt_record_t *items;    /* the caller's array */
    dt_msg_result_t *wire; /* the same items as PAGE items, or NULL (the caller's array) */
    uint32_t max;          /* items wanted */
    uint32_t count;        /* items so far */
    size_t bytes;          /* their encoded size */
} dt_state_pager_t;

/* ---- dt_state.c ---- */

/* Marks the model broken: from here on nothing may be acknowledged. */
void dt_state_fail (dt_state_t *self, const char *what);

/* Breaks the model when a store call returned non-zero. */
void dt_state_check (dt_state_t *self, int rc);

/* The next of the model's xorshift numbers (retry jitter). */
uint64_t dt_state_random (dt_state_t *self);

/* ---- dt_state_life.c ---- */

/* The number of `task`'s kind, looked up once (with its priority and
 * whether its spec has options) and kept in the record; -1 when it cannot
 * be numbered (DT_LIMIT_KINDS_MAX kinds known already). */
int dt_state_meta (dt_state_t *self, dt_task_t *task);

/* The dispatches `task` gets: its own max_attempts, else the master's. */
uint32_t dt_state_max_attempts (dt_state_t *self, dt_task_t *task);

/* Attempts of `task`'s current round that spent its max_attempts. */
uint32_t dt_state_spent_round (const dt_state_t *self, const dt_task_t *task);

/* A slot of `task`'s host came back: the oldest task parked behind the
 * host's limit takes it (see dt_state_life.c). */
void dt_state_host_back (dt_state_t *self, const dt_task_t *task);

/* Ends the lease of `task` (INFLIGHT): its worker's credit and its host's
 * count come back; `report` (or NULL) tells politeness how it went. */
void dt_state_release (dt_state_t *self, dt_task_t *task, const dt_report_t *report, int64_t now);

/* A lease ended without a result: the task goes back to the front of the
 * queue, or fails once it used its attempts (`vanished`: its worker is
 * gone or stuck, counted against max_lost). */
void dt_state_end_lease (dt_state_t *self, dt_task_t *task, int vanished, int64_t now);

/* The queue `task` goes back to (its priority's level); reads its spec
 * once. Never NULL: when memory runs out, level 0 (and the model broke). */
dt_queue_t *dt_state_queue_of (dt_state_t *self, dt_task_t *task);

/* The queue of `task`'s level for tasks whose not-before time came. Never
 * NULL: when memory runs out, the level's queue (and the model broke). */
dt_queue_t *dt_state_soon_of (dt_state_t *self, dt_task_t *task);

/* The one place a task in memory changes state: applies `event` through
 * the life table (dt_life.h), which moves the counters; does the store
 * write the table names for ATTEMPTS and REOPEN (FINISH and ADD_TASK are
 * written by dt_state_finish and dt_state_submit, which hold the record);
 * a task leaving the queue gives its place behind its host back. An event
 * the table refuses here is a programmer error. */
void dt_state_step (dt_state_t *self, dt_task_t *task, dt_life_event_t event);

/* The same for a task of `job` that is only in the store (cold): `state`
 * is its state as counted. */
void dt_state_step_cold (dt_state_t *self, dt_job_t *job, dt_task_state_t state,
                         dt_life_event_t event);

/* Applies `event` (one that queues: SUBMIT, RECOVER, LEASE_LOST, DUE,
 * REQUEUE) to `task` and queues it at the back (or the front) of the queue
 * in memory. */
void dt_state_enqueue (dt_state_t *self, dt_task_t *task, dt_life_event_t event, int front);

/* Ends `task` with `event` (RESULT_DONE, RESULT_FAIL, LEASE_LOST_LAST or
 * CANCEL) and records its final result (see dt_state_life.c). */
void dt_state_finish (dt_state_t *self, dt_task_t *task, dt_life_event_t event,
                      const dt_report_t *from, dt_str_t worker, const char *error, int64_t now);

/* What a REQUEUE sets a task's `attempts` to: the next multiple of
 * max_attempts, so the new round gets a fresh budget and attempt numbers
 * no lease of this run had (see dt_state_life.c). */
uint32_t dt_state_round_attempts (const dt_state_t *self, uint32_t attempts);

/* ---- dt_state_requeue.c ---- */

/* REQUEUE of `task`, failed, whose result is at `seq`. */
void dt_state_reopen (dt_state_t *self, dt_task_t *task, uint64_t seq);

/* ---- dt_state_page.c ---- */

/* Adds `item` (borrowed strings) unless the page is full. Returns 1 when added. */
int dt_state_page_push (dt_state_pager_t *pager, const dt_record_t *item);

/* ---- dt_state_jobs.c ---- */

/* The job named `name`, created when missing; one that left memory comes
 * back with its counters from the store. NULL when out of memory, a bad
 * name, or a failed store read (the model then breaks). */
dt_job_t *dt_state_job_ensure (dt_state_t *self, dt_str_t name);

/* The job named `name` if it is in memory, or brought back when it left
 * it (with a store); NULL when there is no such job. */
dt_job_t *dt_state_job_stored (dt_state_t *self, dt_str_t name);

/* SUBMIT's resend check: returns 1 when chunk `chunk` of job `name` was
 * accepted before (its ids in *first_id, *count; *same when with these
 * URLs), 0 when it is new. A failed store read breaks the model (and
 * returns 1). */
int dt_state_chunk_find (dt_state_t *self, dt_str_t name, uint32_t chunk, const dt_str_t *urls,
                         uint32_t nurls, uint64_t *first_id, uint32_t *count, int *same);

/* Called by dt_state_step and dt_state_step_cold for every `event` that
 * moved one of `job`'s tasks: a job whose last unfinished task ends joins
 * the finished queue, and is logged (MASTER-JOB-FINISHED) when a running
 * task's end finished it. */
void dt_state_job_moved (dt_state_t *self, dt_job_t *job, dt_life_event_t event);

/* Takes the finished jobs beyond the retention (opts.keep_jobs, 0: the
 * default DT_JOBS_KEEP_FINISHED) out of memory, their counters into the
 * store. */
void dt_state_retire_jobs (dt_state_t *self);

/* STATUS of a job not in memory: its counters from the store (zeros when
 * the store has none, or without a store). */
void dt_state_job_stats_stored (dt_state_t *self, dt_str_t name, dt_msg_stats_t *stats);

/* The task of failed result `entry`, for REQUEUE without a store: brought
 * back from the result when its record was swept. NULL when it cannot be
 * (with a store: when it is not in memory). */
dt_task_t *dt_state_task_back (dt_state_t *self, const dt_result_t *entry);

/* Pages a purge step gives back to the file system at most (4 MiB). */
#define DT_STATE_SHRINK_PAGES 1024

/* True (with the reason in `err`) while a purge of job `name` is under
 * way: SUBMIT and REQUEUE of it are refused until it is gone. */
int dt_state_purge_blocks (dt_state_t *self, dt_str_t name, char *err, size_t err_size);

/* With a store: deletes the next DT_STORE_PURGE_STEP rows of the job of
 * PURGE `op` (one step a loop turn). Returns 1 when the job is gone, 0
 * when more is left, -1 when the store failed (the model broke). */
int dt_state_purge_step (dt_state_t *self, dt_steps_op_t *op);

/* ---- dt_state_due.c ---- */

/* Rows due this soon (ms) are read into memory ahead of their time, while
 * fewer than a window of tasks wait there: a read then covers many rows,
 * and a task is in memory before it is due. */
#define DT_STATE_DUE_AHEAD_MS 1000

/* Rows one read of the due index takes at most: a loop turn stays short
 * when a million tasks fall due at once. */
#define DT_STATE_DUE_READ 4096

/* Wall-clock ms since 1970 (not-before times are wall-clock). */
uint64_t dt_state_wall_ms (void);

/* `task` (QUEUED, in memory) waits in memory until `not_before` (DELAY). */
void dt_state_due_hold (dt_state_t *self, dt_task_t *task, uint64_t not_before);

/* With a store: tasks first .. first+count-1 of `job` and kind number
 * `kind` (-1: none), just written to the store, wait there until `not_before` (SUBMIT_LATER, and
 * their rows in the due index). */
void dt_state_due_submitted (dt_state_t *self, dt_job_t *job, int kind, uint64_t first,
                             uint32_t count, uint64_t not_before);

/* Recovery: call before the tasks are loaded; then for each pending task
 * with a not-before time, dt_state_due_recover returns 1 when it waits in
 * the store (RECOVER_LATER, its row written when missing), 0 when it is
 * due and is to be loaded as any task. */
void dt_state_due_load_begin (dt_state_t *self);
int dt_state_due_recover (dt_state_t *self, dt_job_t *job, int kind, uint64_t id,
                          uint64_t not_before);

/* Adds the `later` tasks of each kind to counts[kind][2] (delayed). */
void dt_state_due_kind_counts (const dt_state_t *self, uint64_t (*counts)[3]);

/* `task` is final: its row in the due index goes (in its store group). */
void dt_state_due_finished (dt_state_t *self, dt_task_t *task);

/* Reads the rows whose time nears into memory (WAKE), and queues the
 * tasks that are due (DUE), earliest first, in their level's `soon` queue
 * (taken before the level's queue). */
void dt_state_due_promote (dt_state_t *self);

/* When (monotonic ms, `mono` being now) dt_state_due_promote has work
 * next; INT64_MAX when nothing waits. */
int64_t dt_state_due_next (const dt_state_t *self, int64_t mono);

/* CANCEL of the tasks of `job` waiting only in the store, adding to *count. */
void dt_state_due_cancel (dt_state_t *self, const dt_job_t *job, uint64_t *count, int64_t now);

/* ---- dt_state_crawl.c ---- */

/* The T.flags `task` goes out with: DT_TASK_LINKS for a crawl's page. */
uint32_t dt_state_task_flags (dt_state_t *self, const dt_task_t *task);

/* A crawl's page came back DONE with `links` (the result's, borrowed):
 * the links its crawl keeps (dt_crawl_filter) become tasks of its job, at
 * the page's depth + 1, their fingerprints and depth written to the store
 * in this group. Called while the page's task is still INFLIGHT, before
 * its result is recorded, so its job never looks finished in between.
 * Nothing for a task of another job. */
void dt_state_crawl_links (dt_state_t *self, const dt_task_t *task, dt_str_t links);

/* Recovery: the crawls of jobs with unfinished tasks go on, with their
 * seen sets and depths from the store. 0 or -1. */
int dt_state_crawl_load (dt_state_t *self);

/* Forgets the crawls whose job has no unfinished task (logging what each
 * made and skipped). Every loop turn: O(crawls). */
void dt_state_crawl_sweep (dt_state_t *self);

/* ---- dt_state_polite.c ---- */

/* Starts politeness (the table and the queue of granted tasks) if it is
 * not on yet. Returns 0, or -1 (out of memory: the model broke). */
int dt_state_polite_on (dt_state_t *self);

/* Frees what politeness holds. */
void dt_state_polite_free (dt_state_t *self);

/* Politeness for the http task `task` (URL `url`) met by a take at `now`:
 * 1 when it may go (then *host_p and *delay_p are for dt_polite_started),
 * 0 when it was parked behind its origin or failed (robots.txt), -1 when
 * memory ran out. */
int dt_state_polite_check (dt_state_t *self, dt_task_t *task, dt_str_t url, int64_t now,
                           dt_polite_host_t **host_p, uint32_t *delay_p);

/* `task` left the queue with `parked` (its parked flag before): a parked
 * one stops counting, a granted one lets its origin's next page go. */
void dt_state_polite_left (dt_state_t *self, const dt_task_t *task, uint8_t parked);

/* An attempt of http task `task` ended with `result`, or its lease ended
 * without one (NULL): its origin's pause and back-off rules apply. */
void dt_state_polite_ended (dt_state_t *self, const dt_task_t *task, const dt_report_t *result,
                            int unsent, int64_t now);

/* Adds robots.txt fetches waiting to a take (up to `max`, the batch under
 * DT_LIMIT_BATCH_BYTES with *bytes). Returns how many. */
uint32_t dt_state_polite_fetches (dt_state_t *self, uint32_t max, dt_msg_task_t *items,
                                  dt_task_t **tasks, size_t *bytes);

/* The result of an internal robots.txt task (dt_polite_owns(id)). */
void dt_state_polite_fetch_result (dt_state_t *self, dt_worker_t *from, const dt_report_t *result,
                                   int64_t now);

/* Reads a job's politeness back from the store as it comes into memory. */
void dt_state_job_polite_load (dt_state_t *self, dt_job_t *job);

/* ---- dt_state_budget.c ---- */

/* Bytes of store kept per unfinished task for its result besides its
 * final URL (taken to be as long as its URL): the row's integers, a
 * content type, a worker name, a short error, the job, and the index
 * entries. A result with longer strings (a redirect to a longer URL) is
 * still recorded, past the budget by the difference. */
#define DT_STATE_RESULT_ROOM 512

static inline uint64_t dt_state_result_room (uint32_t url_len)
{
    return DT_STATE_RESULT_ROOM + (uint64_t) url_len;
}

/* Bytes of store a new task takes besides its URL and twice its job id
 * (row and index entry): the row's integers, the tasks_job entry's id and
 * the B-tree's cell overhead, rounded up. */
#define DT_STATE_TASK_ROW 48

/* --max-store-bytes: returns 0 when SUBMIT of `nurls` tasks of `job` fits
 * the store's budget with room kept for every unfinished task's result,
 * else DT_ERR_QUEUE_FULL ("store budget of N bytes reached ...") or
 * DT_ERR_STORE, with the reason in `err`. */
int dt_state_budget_check (dt_state_t *self, dt_str_t job, const dt_str_t *urls, uint32_t nurls,
                           char *err, size_t err_size);

/* --max-store-bytes: returns 0 when `bytes` more of archive fit the
 * budget besides the room kept for every unfinished task's result, else
 * DT_ERR_QUEUE_FULL (the same "store budget of N bytes reached ..." as
 * dt_state_budget_check) or DT_ERR_STORE, with the reason in `err`. */
int dt_state_budget_save (dt_state_t *self, uint64_t bytes, char *err, size_t err_size);

/* The room of the result of an unfinished task with a URL of `url_len`
 * bytes: held when it is accepted (by dt_state_budget_check) or recovered,
 * released when its result is recorded. REQUEUE holds none: a requeued
 * task's new result counts once written. */
void dt_state_budget_hold (dt_state_t *self, uint32_t url_len);
void dt_state_budget_release (dt_state_t *self, uint32_t url_len);

/* ---- dt_state_store.c ---- */

/* QUEUED tasks that are in memory. */
static inline uint64_t dt_state_hot_queued (const dt_state_t *self)
{
    return self->counts.states[DT_TASK_QUEUED] - self->counts.cold;
}

/* QUEUED tasks parked behind their host's limit. (The host table's own
 * count also holds entries of tasks cancelled while parked.) */
static inline uint64_t dt_state_parked (const dt_state_t *self)
{
    return self->parked;
}

/* QUEUED tasks in memory that a take could hand out now: not parked
 * behind their host's limit. The window counts these, so a queue in
 * memory full of one busy host's tasks still reads more from the store. */
static inline uint64_t dt_state_hot_ready (const dt_state_t *self)
{
    uint64_t hot = dt_state_hot_queued (self), parked = dt_state_parked (self);
    return hot > parked ? hot - parked : 0;
}

/* Parked tasks are held in memory up to this many windows, then the store
 * keeps the rest: memory stays bounded when one host has most of the
 * queue. */
#define DT_STATE_PARKED_WINDOWS 4

/* True while the queue in memory may grow by `n` tasks: under the window
 * in tasks, and in bytes (the task table, URLs included, under
 * opts.window_bytes) unless nothing is ready to go out. */
static inline int dt_state_hot_room (const dt_state_t *self, uint64_t n)
{
    return dt_state_hot_ready (self) + n <= self->window &&
           dt_state_hot_queued (self) + n <= DT_STATE_PARKED_WINDOWS * self->window &&
           (dt_state_hot_ready (self) == 0 ||
            dt_tasks_memory (self->tasks) < self->opts.window_bytes);
}

/* Queued, leased or waiting for a retry: the task must stay in memory. */
static inline int dt_state_is_busy (const dt_task_t *task)
{
    return task->state == DT_TASK_QUEUED || task->state == DT_TASK_INFLIGHT ||
           task->state == DT_TASK_DELAYED;
}

/* True when tasks first_id .. first_id+count-1 have exactly `urls`, in
 * memory or in the store (a failed read breaks the model). */
int dt_state_same_urls (dt_state_t *self, uint64_t first_id, const dt_str_t *urls, uint32_t count);

/* True when task `id`, not in memory, exists and is final (its record left
 * memory with it). */
int dt_state_final_elsewhere (dt_state_t *self, uint64_t id);

/* With a store: refills the queue in memory from the cold queues, per
 * kind, for each kind with tasks in the store whose tasks in memory ran
 * below half its share of the window (the window divided among the kinds
 * waiting in the store); and frees the chunks of finished tasks. Nothing
 * without a store. */
void dt_state_maintain (dt_state_t *self);

/* With a store, for a take of up to `max` tasks by a worker serving
 * `kinds`: for each of them whose highest level waiting in the store is
 * above every one it has in memory (none in memory: any), reads up to
 * `max` tasks of that level back, so the take hands them out at once. A
 * kind no worker serves then never holds up another, and a priority task
 * in the store overtakes its kind's queue in memory. What is read is
 * bounded by the take, not by the window: it leaves memory as it goes out. */
void dt_state_refill_kinds (dt_state_t *self, uint64_t kinds, uint32_t max);

/* Fills `pager` with the results after *cursor up to `upto` from the store,
 * advancing *cursor. Returns 1 when the range was read to its end (the page
 * may go on), 0 when the page is full or the read failed. */
int dt_state_page_from_store (dt_state_t *self, dt_state_pager_t *pager, dt_str_t job,
                              uint64_t *cursor, uint64_t upto, uint32_t flags);

/* REQUEUE with a store: the failed tasks are found there, through the
 * failed results' index, DT_LIMIT_REQUEUE_STEP at a time: the first step
 * now, the rest (when more are left) one a loop turn after the reply. Adds
 * the tasks requeued to *count and, when steps follow, the failed tasks
 * of the job (of every job) left for them. Returns 0, DT_ERR_QUEUE_FULL
 * (nothing done) when DT_LIMIT_REQUEUES_MAX are under way, or -1 (broken). */
int dt_state_requeue_from_store (dt_state_t *self, dt_str_t job, uint32_t flags, uint64_t *count);

/* One step of REQUEUE `op`: reopens the failed tasks of the next
 * DT_LIMIT_REQUEUE_STEP failed results after op->next up to op->last
 * (later results are not its), adding them to *count. Returns 1 when it
 * read to op->last, 0 when more is left, -1 when broken. */
int dt_state_requeue_step (dt_state_t *self, dt_steps_op_t *op, uint64_t *count);

/* True when `error` is that of a cancelled task (DT_STATE_CANCELLED). */
int dt_state_is_cancelled (dt_str_t error);

/* With a store: cancels the cold tasks of the next DT_LIMIT_CANCEL_STEP
 * rows of CANCEL `op` (one step a loop turn). Returns 1 when its job has
 * none left, 0 when more is left, -1 when broken. */
int dt_state_cancel_step (dt_state_t *self, dt_steps_op_t *op, int64_t now);

/* CANCEL of the cold tasks of `job` (its tasks in memory are cancelled):
 * adds an operation for dt_state_cancel_step and adds them to *count.
 * Returns 0, or DT_ERR_QUEUE_FULL when DT_LIMIT_CANCELS_MAX are under way. */
int dt_state_cancel_cold (dt_state_t *self, dt_job_t *job, uint64_t *count);

/* ---- dt_state_steps.c ---- */

/* True while a PURGE of job `name` is under way. */
int dt_state_purging (const dt_state_t *self, dt_str_t name);

/* True while any long operation is under way: the loop does not sleep. */
int dt_state_steps_pending (const dt_state_t *self);

/* True when the operations of `kind` under way are at their cap. */
int dt_state_steps_full (const dt_state_t *self, int kind);

/* A new operation of `kind` on `job` (borrowed: valid until the next add
 * or end), not yet written: the caller fills it and calls
 * dt_state_steps_save. NULL at the kind's cap or out of memory. */
dt_steps_op_t *dt_state_steps_add (dt_state_t *self, int kind, dt_str_t job);

/* Writes `op` to the store in the current group (with a store). */
void dt_state_steps_save (dt_state_t *self, const dt_steps_op_t *op);

/* `op` ended: deleted from the store and the list. */
void dt_state_steps_end (dt_state_t *self, dt_steps_op_t *op);

/* A CANCEL of `job` was accepted: a REQUEUE of the job under way ends, and
 * one of every job asked before leaves the job's tasks alone. */
void dt_state_steps_cancelled (dt_state_t *self, dt_job_t *job);

/* One step of the oldest operation of each kind (a loop turn's share). */
void dt_state_steps_run (dt_state_t *self, int64_t now);

/* Recovery: reads the operations the last master left under way (before
 * the results are loaded: a purge's are skipped). 0 or -1. */
int dt_state_steps_load (dt_state_t *self);

/* Recovery, once tasks and results are loaded: each CANCEL cancels its
 * tasks read back into memory, and goes on in steps with its cold ones. */
void dt_state_steps_resume (dt_state_t *self);

#endif
