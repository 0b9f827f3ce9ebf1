/* dt_state_store.c - the part of the master's model that lives in the store: the cold
 * queue, finished tasks and old results, read back when needed; and recovery. */
#include "dt_state_priv.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Finished tasks between two sweeps of the task table: a sweep walks the
 * chunks in memory, so it runs only every few thousand finishes. */
#define DT_STATE_SWEEP_EVERY 4096

/* The job named `name`: `*cache` when it is that one (rows of a job come
 * in runs), else looked up (created when `create`) and cached. NULL when
 * there is none or memory runs out. */
static dt_job_t *s_job_named (dt_state_t *self, dt_job_t **cache, dt_str_t name, int create)
{
    dt_job_t *job = *cache;
    if (job && job->name_len == name.len && memcmp (job->name, name.ptr, name.len) == 0)
        return job;
    job = create ? dt_state_job_ensure (self, name) : dt_jobs_find (self->jobs, name);
    *cache = job;
    return job;
}

/* ---- Resend check ------------------------------------------------------- */

typedef struct {
    const dt_str_t *urls;
    uint64_t first_id;
    uint32_t count;
    uint32_t matched; /* rows that matched, in order */
} s_same_t;

static int s_same_row (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts)
{
    (void) job;
    (void) attempts;
    s_same_t *same = arg;
    const dt_str_t *want = &same->urls[same->matched];
    if (id != same->first_id + same->matched || url.len != want->len ||
        memcmp (url.ptr, want->ptr, url.len) != 0)
        return 1;
    same->matched++;
    return 0;
}

int dt_state_same_urls (dt_state_t *self, uint64_t first_id, const dt_str_t *urls, uint32_t count)
{
    uint32_t i = 0;
    for (; i < count; i++) {
        const dt_task_t *task = dt_tasks_get (self->tasks, first_id + i);
        if (!task)
            break;
        if (task->url_len != urls[i].len || memcmp (task->url, urls[i].ptr, urls[i].len) != 0)
            return 0;
    }
    if (i == count)
        return 1;
    if (!self->store)
        return 0;
    /* Some have left memory: the store has them all. */
    s_same_t same = {urls, first_id, count, 0};
    if (dt_store_tasks (self->store, first_id, first_id + count - 1, dt_str_n ("", 0), count,
                        s_same_row, &same) != 0) {
        dt_state_fail (self, "store read failed");
        return 0;
    }
    return same.matched == count;
}

int dt_state_final_elsewhere (dt_state_t *self, uint64_t id)
{
    /* A task below next_id that is neither in memory nor in the cold
     * queue has finished and left memory (swept, with or without a store). */
    return id > 0 && id < self->next_id && !dt_coldq_has (self->cold, id);
}

/* ---- Cold queue and sweeping -------------------------------------------- */

typedef struct {
    dt_state_t *state;
    dt_job_t *job; /* job of the previous row: tasks of a job come in runs */
    int64_t now;   /* CANCEL: when */
    uint64_t *ids; /* CANCEL: the ids cancelled, ascending, to leave the cold queue */
    size_t nids, ids_capacity;
    uint32_t rows;        /* CANCEL: rows read */
    uint64_t last;        /* CANCEL: the last id read */
    const dt_cold_t *set; /* refill: the cold ids being read back (one kind and level) */
    uint64_t queued;      /* refill: tasks it queued in memory */
    uint64_t cancelled;   /* refill: tasks it cancelled instead of queueing */
    int64_t bytes_left;   /* refill: bytes it may still bring into memory */
    uint64_t stopped;     /* refill: the last id read when the bytes ran out, else 0 */
} s_warm_t;

/* A cold task read back: in memory from now on, still QUEUED (it was
 * counted so while cold). NULL when it is already in memory (CANCEL read
 * it) or cannot be. */
static dt_task_t *s_warm_task (s_warm_t *warm, uint64_t id, dt_str_t job_name, dt_str_t url,
                               uint32_t attempts)
{
    dt_state_t *self = warm->state;
    if (dt_tasks_get (self->tasks, id))
        return NULL;
    dt_job_t *job = s_job_named (self, &warm->job, job_name, 0);
    dt_task_t *task = job ? dt_tasks_add (self->tasks, id, job->index, url.ptr, url.len) : NULL;
    if (!task) {
        dt_state_fail (self, job ? "out of memory reading the queue" : "task of an unknown job");
        return NULL;
    }
    /* Not a change of state: the record is new, and its task was QUEUED
     * (counted so while cold) all along; WARM then moves the cold count,
     * and counts it among the kind's tasks in memory. */
    task->attempts = attempts;
    task->state = DT_TASK_QUEUED;
    dt_state_step (self, task, DT_LIFE_WARM);
    return task;
}

static int s_refill_row (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts)
{
    s_warm_t *warm = arg;
    dt_state_t *self = warm->state;
    if (!dt_cold_has (warm->set, id))
        return 0; /* another kind's or level's, or between two runs: in memory, or finished */
    dt_task_t *task = s_warm_task (warm, id, job, url, attempts);
    if (task && warm->job->cancel_to && id <= warm->job->cancel_to) {
        /* A CANCEL under way has not come to it yet: cancelled, not queued. */
        dt_state_finish (self, task, DT_LIFE_CANCEL, NULL, dt_str_n ("", 0), DT_STATE_CANCELLED,
                         warm->now);
        warm->job->cancel_left -= warm->job->cancel_left > 0;
        warm->cancelled++;
    } else if (task) {
        task->gen++;
        if (dt_queue_push_back (dt_state_queue_of (self, task), task->id, task->gen) != 0)
            dt_state_fail (self, "out of memory queueing a task");
        warm->queued++;
        warm->bytes_left -= (int64_t) (sizeof *task + url.len + 1);
        if (warm->bytes_left <= 0) {
            warm->stopped = id; /* the window in bytes is full: the rest stays cold */
            return 1;
        }
    }
    return self->broken ? -1 : 0;
}

/* A refill's read spans at most this many ids per cold id wanted: the
 * ids between cold runs (other kinds', other levels') are rows read for
 * nothing. */
#define DT_STATE_REFILL_SPREAD 4

_Static_assert(DT_COLDQ_KINDS == DT_LIMIT_KINDS_MAX, "a cold queue per kind number");
_Static_assert(DT_COLDQ_LEVELS == DT_PRIORITY_MAX + 1, "a cold queue per priority level");

/* QUEUED tasks of kind `k` in memory at `level` or above that a take
 * could hand out: http's parked ones wait for their host, not a worker. */
static uint64_t s_ready (const dt_state_t *self, int k, int level)
{
    uint64_t ready = 0;
    for (int p = level; p <= DT_PRIORITY_MAX; p++)
        ready += self->hot[k][p];
    if (k == DT_KINDS_HTTP)
        ready = ready > dt_state_parked (self) ? ready - dt_state_parked (self) : 0;
    return ready;
}

/* Reads back up to `want` tasks of kind `k` at `level`, in id order (the
 * store's rows in the span of those ids), stopping once `bytes_left` bytes
 * came into memory (the task that crosses it still comes, so a kind never
 * starves). Adds to *cancelled those a CANCEL under way finished instead.
 * Returns the ids that left the cold queue, or -1 when the store read
 * failed (the model broke). */
static int64_t s_refill_set (dt_state_t *self, int k, int level, uint64_t want, int64_t bytes_left,
                             uint64_t *cancelled)
{
    const dt_cold_t *set = dt_coldq_at (self->cold, k, level);
    uint64_t lo, hi, before = dt_coldq_count (self->cold);
    if (!set || want == 0 || dt_cold_span (set, want, DT_STATE_REFILL_SPREAD * want, &lo, &hi) != 0)
        return 0;
    /* The span holds at most `want` ids of this set; the rows between them
     * are skipped, so the read needs no limit and sees the whole span. */
    s_warm_t warm = {.state = self, .set = set, .bytes_left = bytes_left > 0 ? bytes_left : 1};
    if (dt_store_tasks (self->store, lo, hi, dt_str_n ("", 0), UINT32_MAX, s_refill_row, &warm) !=
        0) {
        dt_state_fail (self, "reading the queue from the store failed");
        return -1;
    }
    *cancelled += warm.cancelled;
    if (warm.cancelled)
        dt_log_debug ("MASTER-CANCEL-REFILL", "%" PRIu64 " tasks read back cancelled",
                      warm.cancelled);
    dt_coldq_drop_to (self->cold, k, level, warm.stopped ? warm.stopped : hi);
    if (dt_coldq_count (self->cold) == 0 && self->counts.cold != 0) {
        dt_log_warn ("MASTER-COLD", "%" PRIu64 " queued tasks were not in the store",
                     self->counts.cold);
        dt_life_cold_lost (&self->counts, self->counts.cold);
    }
    return (int64_t) (before - dt_coldq_count (self->cold));
}

/* Bytes the window in bytes still has room for (0 when full). */
static int64_t s_bytes_left (const dt_state_t *self)
{
    size_t memory = dt_tasks_memory (self->tasks);
    return memory < self->opts.window_bytes ? (int64_t) (self->opts.window_bytes - memory) : 0;
}

/* Moves cold tasks into memory, kind by kind, the highest level first: a
 * kind whose tasks in memory fell below half its share of the window (the
 * window divided among the kinds waiting in the store) is filled up to its
 * share, under the window in bytes and DT_STATE_PARKED_WINDOWS windows in
 * all. A kind no worker serves keeps its share and no more, so the others
 * still come into memory (and dt_state_refill_kinds covers a kind whose
 * worker finds nothing while the window in bytes is full). */
static void s_refill (dt_state_t *self)
{
    int kinds = dt_coldq_kinds (self->cold);
    uint64_t share = self->window / (uint64_t) (kinds > 0 ? kinds : 1), cancelled = 0,
             cap = DT_STATE_PARKED_WINDOWS * self->window;
    if (share == 0)
        share = 1;
    for (int k = 0; k < DT_LIMIT_KINDS_MAX && !self->broken; k++) {
        if (dt_coldq_kind_count (self->cold, k) == 0 || s_ready (self, k, 0) >= (share + 1) / 2)
            continue;
        /* Cancelled tasks take no room: without a bound, a refill behind a
         * CANCEL under way would read all of its job's cold tasks at once. */
        while (!self->broken && cancelled < DT_LIMIT_CANCEL_STEP) {
            int level = dt_coldq_top (self->cold, k);
            uint64_t ready = s_ready (self, k, 0), queued = dt_state_hot_queued (self);
            int64_t bytes = s_bytes_left (self);
            if (level < 0 || ready >= share || queued >= cap || (bytes == 0 && ready > 0))
                break;
            uint64_t want = share - ready < cap - queued ? share - ready : cap - queued;
            if (s_refill_set (self, k, level, want, bytes, &cancelled) <= 0)
                break;
        }
    }
}

void dt_state_refill_kinds (dt_state_t *self, uint64_t kinds, uint32_t max)
{
    uint64_t cancelled = 0;
    for (int k = 0; k < DT_LIMIT_KINDS_MAX && max > 0 && !self->broken; k++) {
        if (!(kinds >> k & 1) || dt_coldq_kind_count (self->cold, k) == 0)
            continue;
        int level = dt_coldq_top (self->cold, k);
        /* Parked tasks stay in memory until their host has room: past the
         * bound on them, http's tasks wait in the store. */
        if (level < 0 || s_ready (self, k, level) > 0 ||
            (k == DT_KINDS_HTTP &&
             dt_state_parked (self) >= DT_STATE_PARKED_WINDOWS * self->window))
            continue;
        /* One batch's worth in bytes: what the take cannot send stays. */
        uint64_t queued = self->hot[k][level];
        if (s_refill_set (self, k, level, max, DT_LIMIT_BATCH_BYTES, &cancelled) < 0)
            return;
        uint64_t got = self->hot[k][level] - queued;
        max -= got < max ? (uint32_t) got : max;
    }
}

void dt_state_maintain (dt_state_t *self)
{
    dt_state_retire_jobs (self);
    if (!self->store) {
        /* Finished tasks leave memory too: their results hold what FETCH
         * and REQUEUE need (dt_state_task_back). */
        if (self->unswept >= DT_STATE_SWEEP_EVERY) {
            dt_tasks_sweep (self->tasks, self->next_id, dt_state_is_busy);
            dt_tasks_compact (self->tasks, dt_state_is_busy);
            self->unswept = 0;
        }
        return;
    }
    /* Refilled at half the window, so a refill reads many rows at once. */
    /* Also when every cold task was cancelled (none counted cold, ids still
     * held): the refill passes over them, so the front moves on and the
     * sweep can free what finished beyond it. */
    if (dt_coldq_count (self->cold) > 0)
        s_refill (self);
    if (self->unswept >= DT_STATE_SWEEP_EVERY) {
        /* Records of final tasks go, whole blocks of them or one by one
         * (their URLs with them): the cold queue holds no cancelled id. */
        dt_tasks_sweep (self->tasks, UINT64_MAX, dt_state_is_busy);
        dt_tasks_compact (self->tasks, dt_state_is_busy);
        self->unswept = 0;
    }
}

static int s_cancel_row (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts)
{
    s_warm_t *warm = arg;
    dt_state_t *self = warm->state;
    warm->rows++;
    warm->last = id;
    /* The range read also meets the job's tasks that are not cold: those in
     * memory were cancelled already, the others are finished. */
    if (!dt_coldq_has (self->cold, id))
        return 0;
    dt_task_t *task = s_warm_task (warm, id, job, url, attempts);
    if (task) {
        dt_state_finish (self, task, DT_LIFE_CANCEL, NULL, dt_str_n ("", 0), DT_STATE_CANCELLED,
                         warm->now);
        warm->ids[warm->nids++] = id;
        warm->job->cancel_left -= warm->job->cancel_left > 0;
    }
    return self->broken ? -1 : 0;
}

/* The CANCEL of `job` (NULL: gone) has cancelled every cold task it was
 * asked for. */
static void s_cancel_end (dt_state_t *self, dt_job_t *job)
{
    if (job) {
        job->cancel_to = 0;
        job->cancel_left = 0;
        dt_log_peer_info ("MASTER-CANCELLED", "job %s: its tasks in the store are cancelled",
                          job->name);
    }
    /* The records of its last steps go now: no finish may come to sweep them. */
    if (self->unswept > 0)
        self->unswept = DT_STATE_SWEEP_EVERY;
    dt_state_maintain (self);
}

int dt_state_cancel_step (dt_state_t *self, dt_steps_op_t *op, int64_t now)
{
    dt_job_t *job = dt_jobs_find (self->jobs, dt_steps_job (op));
    /* Gone (finished and retired: a refill cancelled the rest), or nothing
     * cold is left to cancel. */
    if (!job || !job->cancel_to || self->counts.cold == 0 ||
        dt_life_unfinished (job->states) == 0) {
        s_cancel_end (self, job);
        return 1;
    }
    /* Refills cancel from the front of the cold queue: what lies before it
     * is done. */
    uint64_t lo;
    if (dt_coldq_front (self->cold, &lo) == 0 && lo > job->cancel_from)
        job->cancel_from = lo;
    /* Each cancelled task comes into memory to be finished, then leaves the
     * cold queue, so its record may be swept like any final one. */
    static uint64_t ids[DT_LIMIT_CANCEL_STEP];
    s_warm_t warm = {.state = self, .now = now, .ids = ids, .ids_capacity = DT_LIMIT_CANCEL_STEP};
    if (dt_store_tasks (self->store, job->cancel_from, job->cancel_to,
                        dt_str_n (job->name, job->name_len), DT_LIMIT_CANCEL_STEP, s_cancel_row,
                        &warm) != 0) {
        dt_state_fail (self, "reading the queue from the store failed");
        return -1;
    }
    if (dt_coldq_remove (self->cold, warm.ids, warm.nids) != 0) {
        dt_state_fail (self, "out of memory cancelling tasks");
        return -1;
    }
    dt_log_debug ("MASTER-CANCEL-STEP", "job %s: %" PRIu32 " rows read, %zu tasks cancelled",
                  job->name, warm.rows, warm.nids);
    /* Fewer rows than asked: the job has no more up to cancel_to. */
    if (warm.rows < DT_LIMIT_CANCEL_STEP || warm.last >= job->cancel_to) {
        s_cancel_end (self, job);
        return 1;
    }
    job->cancel_from = warm.last + 1;
    op->next = job->cancel_from;
    op->last = job->cancel_to;
    dt_state_maintain (self);
    return self->broken ? -1 : 0;
}

int dt_state_cancel_cold (dt_state_t *self, dt_job_t *job, uint64_t *count)
{
    /* What is left unfinished is cold: the CANCEL counts it now and its
     * steps cancel it, a bounded number a loop turn. */
    uint64_t cold = dt_life_unfinished (job->states);
    dt_str_t name = dt_str_n (job->name, job->name_len);
    if (job->cancel_to) {
        /* Under way: what it counted is not counted again (a resent
         * CANCEL), what was submitted since is. */
        *count += cold > job->cancel_left ? cold - job->cancel_left : 0;
        job->cancel_left = cold;
        job->cancel_to = self->next_id - 1;
        dt_steps_op_t *op = dt_steps_find (self->steps, DT_STEPS_CANCEL, name);
        if (op) {
            op->last = job->cancel_to;
            dt_state_steps_save (self, op);
        }
        return 0;
    }
    if (dt_state_steps_full (self, DT_STEPS_CANCEL))
        return DT_ERR_QUEUE_FULL;
    uint64_t lo;
    if (dt_coldq_front (self->cold, &lo) != 0)
        return 0;
    dt_steps_op_t *op = dt_state_steps_add (self, DT_STEPS_CANCEL, name);
    if (!op)
        return DT_ERR_QUEUE_FULL;
    job->cancel_from = lo;
    job->cancel_to = self->next_id - 1;
    job->cancel_left = cold;
    op->next = job->cancel_from;
    op->last = job->cancel_to;
    /* Written in the group that acknowledges the CANCEL: a restart goes on
     * with it. */
    dt_state_steps_save (self, op);
    *count += cold;
    return 0;
}

/* ---- Old results ---------------------------------------------------------- */

typedef struct {
    dt_state_t *state;
    dt_state_pager_t *pager;
    uint64_t *cursor;
    int full; /* a row did not fit */
} s_page_t;

/* A copy of `s` in the page's strings, "" when empty or out of memory (the
 * model then breaks: a page must not show wrong strings silently). */
static dt_str_t s_page_copy (dt_state_t *self, dt_str_t s)
{
    if (s.len == 0)
        return dt_str_n ("", 0);
    const char *copy = dt_arena_strdup (self->page_strings, s.ptr, s.len);
    if (!copy) {
        dt_state_fail (self, "out of memory reading results");
        return dt_str_n ("", 0);
    }
    return dt_str_n (copy, s.len);
}

static int s_page_row (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    s_page_t *page = arg;
    dt_state_t *self = page->state;
    dt_record_t item = *r;
    item.url = s_page_copy (self, r->url);
    item.final_url = s_page_copy (self, r->final_url);
    item.content_type = s_page_copy (self, r->content_type);
    item.worker = s_page_copy (self, r->worker);
    item.error = s_page_copy (self, r->error);
    item.output = s_page_copy (self, r->output);
    item.warc.file = s_page_copy (self, r->warc.file);
    item.warc.digest = s_page_copy (self, r->warc.digest);
    if (self->broken)
        return -1;
    if (!dt_state_page_push (page->pager, &item)) {
        page->full = 1;
        return 1;
    }
    *page->cursor = seq;
    return 0;
}

int dt_state_page_from_store (dt_state_t *self, dt_state_pager_t *pager, dt_str_t job,
                              uint64_t *cursor, uint64_t upto, uint32_t flags)
{
    /* The strings of the previous page are no longer referenced: it was
     * encoded and sent before this call. */
    dt_arena_destroy (&self->page_strings);
    self->page_strings = dt_arena_new (64 * 1024);
    if (!self->page_strings) {
        dt_state_fail (self, "out of memory reading results");
        return 0;
    }
    s_page_t page = {self, pager, cursor, 0};
    uint32_t limit = pager->max - pager->count, before = pager->count;
    uint64_t reached = *cursor, examined = dt_store_examined (self->store), after = *cursor;
    if (dt_store_results (self->store, *cursor, upto, job, (flags & DT_FETCH_FAILED_ONLY) != 0,
                          limit, s_page_row, &page, &reached) != 0) {
        /* Not a reason to stop the master: the client asks again. */
        dt_log_peer_warn ("MASTER-PAGE", "reading results after %" PRIu64 " from the store failed",
                          *cursor);
        return 0;
    }
    dt_log_debug ("MASTER-PAGE",
                  "job %.*s: %u results after %" PRIu64 " read from the store, %" PRIu64
                  " rows examined",
                  (int) job.len, job.ptr, pager->count - before, after,
                  dt_store_examined (self->store) - examined);
    if (page.full || pager->count == pager->max)
        return 0;
    /* Short of `upto` when the read passed over its share of retired
     * results: the page ends there, and the next FETCH goes on. */
    *cursor = reached;
    return reached == upto;
}

/* ---- REQUEUE -------------------------------------------------------------- */

typedef struct {
    uint64_t seq;     /* its current (failed) result */
    uint64_t id;      /* the task */
    uint32_t job;     /* its job's index */
    uint32_t attempt; /* attempts it had (its result's) */
    uint32_t url_len; /* bytes in its URL */
    uint8_t where;    /* S_FAILED_... */
    uint8_t kind;     /* S_FAILED_COLD: its kind's number (0 when it has none) */
    uint8_t level;    /* S_FAILED_COLD: its priority */
} s_failed_t;

enum {
    S_FAILED_MEMORY, /* in memory: reopened into the queue in memory */
    S_FAILED_COLD,   /* only in the store: reopened there, its id joins the cold queue */
};

typedef struct {
    dt_state_t *state;
    dt_job_t *job;    /* job of the previous row */
    s_failed_t *rows; /* DT_LIMIT_REQUEUE_STEP entries */
    size_t count;     /* rows read this pass */
    uint64_t warmed;  /* tasks brought into memory this pass */
    uint32_t flags;   /* DT_REQUEUE_* */
    uint64_t added;   /* the REQUEUE's number (dt_steps.h): a job cancelled since is left */
} s_failed_list_t;

static int s_failed_row (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job_name)
{
    s_failed_list_t *list = arg;
    dt_state_t *self = list->state;
    /* What is left of a job being purged stays as it is; cancelled tasks
     * stay unless asked for. */
    if (dt_state_purging (self, job_name))
        return 0;
    if (!(list->flags & DT_REQUEUE_CANCELLED) && dt_state_is_cancelled (r->error))
        return 0;
    /* A job that left memory comes back (its counters from the store). */
    dt_job_t *job = s_job_named (self, &list->job, job_name, 1);
    if (!job)
        return -1;
    /* A CANCEL of its job came after this REQUEUE was asked: the CANCEL wins. */
    if (job->cancel_mark > list->added)
        return 0;
    /* A record still in memory may carry the number its job had before it
     * left memory. */
    dt_task_t *held = dt_tasks_get (self->tasks, r->id);
    if (held)
        held->job = job->index;
    uint8_t where = S_FAILED_MEMORY;
    /* One that left memory comes back while the queue in memory has room
     * and nothing waits in the store ahead of it; else it waits there. */
    if (!dt_tasks_get (self->tasks, r->id)) {
        if (self->counts.cold == 0 && dt_state_hot_room (self, list->warmed + 1)) {
            dt_task_t *task = dt_tasks_add (self->tasks, r->id, job->index, r->url.ptr, r->url.len);
            if (!task)
                return -1;
            task->attempts = r->attempt;
            /* Not a change of state: the record is new, its task FAILED
             * (counted so) all along; REQUEUE moves it. */
            task->state = DT_TASK_FAILED;
            list->warmed++;
        } else
            where = S_FAILED_COLD;
    }
    int kind = 0, level = 0;
    if (where == S_FAILED_COLD) {
        dt_str_t kind_name, payload;
        dt_spec_opts_t opts;
        dt_spec_split (r->url.ptr, r->url.len, &kind_name, &payload, &opts);
        kind = dt_state_kind (self, kind_name);
        kind = kind < 0 ? 0 : kind;
        level = opts.priority <= DT_PRIORITY_MAX ? (int) opts.priority : 0;
    }
    list->rows[list->count++] = (s_failed_t){seq,        r->id, job->index,     r->attempt,
                                             r->url.len, where, (uint8_t) kind, (uint8_t) level};
    return 0;
}

/* A task REQUEUE sends back to a cold queue: sorted by queue, then id. */
typedef struct {
    uint16_t queue; /* kind * (DT_PRIORITY_MAX + 1) + level */
    uint64_t id;
} s_cold_id_t;

static int s_cmp_cold (const void *a, const void *b)
{
    const s_cold_id_t *x = a, *y = b;
    if (x->queue != y->queue)
        return x->queue < y->queue ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Reopens a failed task that is only in the store: QUEUED there, counted
 * so, and its id in the cold queue (added by the caller, in one merge). */
static void s_reopen_cold (dt_state_t *self, const s_failed_t *row)
{
    dt_result_t *entry = dt_results_get (self->results, row->seq);
    if (entry)
        entry->task = 0; /* FETCH no longer returns it */
    dt_state_step_cold (self, dt_jobs_at (self->jobs, row->job), DT_TASK_FAILED,
                        DT_LIFE_REQUEUE_COLD);
    dt_state_budget_hold (self, row->url_len); /* it will write a result again */
    dt_state_check (
        self, dt_store_reopen (self->store, row->id, dt_state_round_attempts (self, row->attempt)));
}

/* Reopens one pass of failed tasks. Returns 0, or -1 when out of memory. */
static int s_requeue_pass (dt_state_t *self, const s_failed_list_t *list, uint64_t *count)
{
    if (list->count == 0)
        return 0;
    s_cold_id_t *cold = malloc (list->count * sizeof *cold);
    uint64_t *ids = malloc (list->count * sizeof *ids);
    if (!cold || !ids) {
        free (cold);
        free (ids);
        return -1;
    }
    size_t ncold = 0;
    for (size_t i = 0; i < list->count && !self->broken; i++) {
        const s_failed_t *row = &list->rows[i];
        if (row->where == S_FAILED_COLD) {
            s_reopen_cold (self, row);
            cold[ncold++] =
                (s_cold_id_t){(uint16_t) (row->kind * (DT_PRIORITY_MAX + 1) + row->level), row->id};
            (*count)++;
            continue;
        }
        dt_task_t *task = dt_tasks_get (self->tasks, row->id);
        if (task && task->state == DT_TASK_FAILED) {
            dt_state_reopen (self, task, row->seq);
            (*count)++;
        }
    }
    /* Rows come in result order; each cold queue keeps its ids in order. */
    qsort (cold, ncold, sizeof *cold, s_cmp_cold);
    for (size_t i = 0; i < ncold; i++)
        ids[i] = cold[i].id;
    int rc = 0;
    for (size_t i = 0, j; i < ncold && rc == 0; i = j) {
        for (j = i + 1; j < ncold && cold[j].queue == cold[i].queue; j++)
            ;
        rc = dt_coldq_merge (self->cold, cold[i].queue / (DT_PRIORITY_MAX + 1),
                             cold[i].queue % (DT_PRIORITY_MAX + 1), ids + i, j - i);
    }
    free (cold);
    free (ids);
    return rc;
}

int dt_state_requeue_step (dt_state_t *self, dt_steps_op_t *op, uint64_t *count)
{
    s_failed_list_t list = {.state = self, .flags = op->flags, .added = op->added};
    list.rows = malloc (DT_LIMIT_REQUEUE_STEP * sizeof *list.rows);
    if (!list.rows) {
        dt_state_fail (self, "out of memory requeueing failed tasks");
        return -1;
    }
    /* Read first, reopen after: the reopens write the rows being read. A
     * reopened task's result is retired, so the next step, from the last
     * seq read, does not meet it again; a result written after the REQUEUE
     * (past op->last) is not its. */
    uint64_t reached = op->next, before = *count;
    if (dt_store_results (self->store, op->next, op->last, dt_steps_job (op), 1,
                          DT_LIMIT_REQUEUE_STEP, s_failed_row, &list, &reached) != 0)
        dt_state_fail (self, "reading failed tasks from the store failed");
    else if (s_requeue_pass (self, &list, count) != 0)
        dt_state_fail (self, "out of memory requeueing failed tasks");
    free (list.rows);
    if (self->broken)
        return -1;
    dt_log_debug ("MASTER-REQUEUE-STEP", "job %.*s: %zu rows read, %" PRIu64 " tasks requeued",
                  (int) op->job_len, op->job, list.count, *count - before);
    op->next = reached;
    if (reached < op->last)
        return 0;
    if (dt_steps_find (self->steps, DT_STEPS_REQUEUE, dt_steps_job (op)) == op)
        dt_log_peer_info ("MASTER-REQUEUED", "job %.*s: its failed tasks in the store are requeued",
                          (int) op->job_len, op->job);
    return 1;
}

int dt_state_requeue_from_store (dt_state_t *self, dt_str_t job, uint32_t flags, uint64_t *count)
{
    const dt_job_t *one = job.len ? dt_jobs_find (self->jobs, job) : NULL;
    uint64_t last = dt_results_last (self->results);
    dt_steps_op_t *op = dt_steps_find (self->steps, DT_STEPS_REQUEUE, job);
    if (op) {
        /* Under way: it goes on to the results recorded since, and the
         * flags asked now. */
        op->last = last;
        op->flags |= flags;
        dt_state_steps_save (self, op);
        *count += one ? one->states[DT_TASK_FAILED] : self->counts.states[DT_TASK_FAILED];
        return 0;
    }
    if (dt_state_steps_full (self, DT_STEPS_REQUEUE))
        return DT_ERR_QUEUE_FULL;
    /* The first step now: a REQUEUE of fewer failed tasks than a step ends
     * before its reply, as it always did. */
    dt_steps_op_t first = {.kind = DT_STEPS_REQUEUE,
                           .added = dt_steps_next_added (self->steps),
                           .last = last,
                           .flags = flags,
                           .job_len = (uint8_t) job.len};
    if (job.len)
        memcpy (first.job, job.ptr, job.len);
    int rc = dt_state_requeue_step (self, &first, count);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    op = dt_state_steps_add (self, DT_STEPS_REQUEUE, job);
    if (!op) {
        dt_state_fail (self, "out of memory requeueing failed tasks");
        return -1;
    }
    op->next = first.next;
    op->last = first.last;
    op->flags = first.flags;
    dt_state_steps_save (self, op);
    /* The rest is counted now (as CANCEL counts its cold tasks): the job's
     * failed tasks not reopened yet. Without DT_REQUEUE_CANCELLED its
     * cancelled ones among them stay failed: then it counts too many. */
    one = job.len ? dt_jobs_find (self->jobs, job) : NULL;
    *count += one ? one->states[DT_TASK_FAILED] : self->counts.states[DT_TASK_FAILED];
    dt_log_debug ("MASTER-REQUEUE", "job %.*s: the rest goes on in steps", (int) job.len, job.ptr);
    return 0;
}

/* ---- Recovery ------------------------------------------------------------- */

typedef struct {
    dt_state_t *state;
    dt_job_t *job;    /* job of the previous task: tasks of a job come in runs */
    uint64_t skipped; /* rows that did not fit the model */
} s_loader_t;

static int s_on_task (void *arg, uint64_t id, dt_str_t job_name, dt_str_t url, uint32_t attempts,
                      int state)
{
    s_loader_t *loader = arg;
    dt_state_t *self = loader->state;
    dt_job_t *job = s_job_named (self, &loader->job, job_name, 1);
    if (!job)
        return -1;
    if (id < self->next_id) {
        loader->skipped++;
        return 0;
    }
    self->next_id = id + 1;
    if (state != DT_STORE_DONE && state != DT_STORE_FAILED)
        dt_state_budget_hold (self, url.len);
    /* Finished tasks stay in the store; so do queued ones beyond the
     * window, and every one after the first of those, to keep the order. */
    if (state == DT_STORE_DONE || state == DT_STORE_FAILED) {
        dt_state_step_cold (self, job, DT_TASK_NONE,
                            state == DT_STORE_DONE ? DT_LIFE_RECOVER_DONE : DT_LIFE_RECOVER_FAILED);
        return 0;
    }
    dt_str_t kind, payload;
    dt_spec_opts_t opts;
    dt_spec_split (url.ptr, url.len, &kind, &payload, &opts);
    int k = dt_state_kind (self, kind);
    if (!job->kind)
        job->kind = k + 1;
    if (opts.not_before && dt_state_due_recover (self, job, k, id, opts.not_before))
        return self->broken ? -1 : 0;
    /* Past the window (in tasks or bytes), or behind tasks of its kind
     * already waiting in the store at its level or above, a task waits
     * there: its cold queue is its kind's and level's. */
    if (dt_coldq_top (self->cold, k) >= (int) opts.priority || !dt_state_hot_room (self, 1)) {
        if (dt_coldq_add (self->cold, k, (int) opts.priority, id, 1) != 0)
            return -1;
        dt_state_step_cold (self, job, DT_TASK_NONE, DT_LIFE_RECOVER_COLD);
        return 0;
    }
    dt_task_t *task = dt_tasks_add (self->tasks, id, job->index, url.ptr, url.len);
    if (!task)
        return -1;
    task->attempts = attempts;
    dt_state_enqueue (self, task, DT_LIFE_RECOVER, 0);
    return self->broken ? -1 : 0;
}

/* A purge the last master committed but did not finish goes on. */
static int s_on_purging (void *arg, dt_str_t name)
{
    dt_state_t *self = arg;
    if (name.len == 0 || name.len > DT_LIMIT_JOB_MAX || dt_state_purging (self, name))
        return 0;
    dt_steps_op_t *op = dt_state_steps_add (self, DT_STEPS_PURGE, name);
    if (!op)
        return 1; /* full: PURGE again finishes it */
    dt_state_steps_save (self, op);
    char job[DT_LIMIT_JOB_MAX * 4 + 1];
    dt_log_escape (job, sizeof job, name.ptr, name.len, DT_LIMIT_JOB_MAX);
    dt_log_info ("MASTER-PURGE", "job %s: the purge goes on", job);
    return 0;
}

/* The results log is replayed whole; memory keeps the last window of it. */
static int s_on_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job_name)
{
    s_loader_t *loader = arg;
    dt_state_t *self = loader->state;
    if (seq <= dt_results_last (self->results)) {
        loader->skipped++;
        return 0;
    }
    /* A retired result, or one of a job being purged: its position stays
     * taken. */
    if (r->id == 0 || dt_state_purging (self, job_name))
        return dt_results_skip_to (self->results, seq);
    if (r->id >= self->next_id) {
        loader->skipped++;
        return 0;
    }
    /* A result of a job not in memory (finished, counted in `jobs`) is
     * kept for pages of every job; pages of its job read the store. */
    dt_job_t *job = dt_jobs_find (self->jobs, job_name);
    if (job)
        job->last_seq = seq;
    return dt_results_append (self->results, seq, r->id, job ? job->index : DT_JOBS_NONE, r);
}

int dt_state_load (dt_state_t *self)
{
    if (!self->store)
        return 0;
    /* No chunk is loaded: the store answers resends. Tasks of the jobs
     * that left memory are not either: their counters are summed. Then
     * next_id goes past every task, theirs included, before the results
     * (which check their task ids against it). */
    s_loader_t loader = {.state = self};
    dt_state_due_load_begin (self);
    dt_store_loader_t tasks = {NULL, s_on_task, NULL}, results = {NULL, NULL, s_on_result};
    uint64_t retired[3], max_id = 0;
    if (dt_store_load (self->store, &tasks, &loader) != 0 ||
        dt_store_jobs_sum (self->store, retired) != 0 ||
        dt_store_max_id (self->store, &max_id) != 0 || dt_state_steps_load (self) != 0 ||
        dt_store_jobs_purging (self->store, DT_JOBS_PURGES_MAX, s_on_purging, self) != 0) {
        dt_log_error ("MASTER-RECOVER", "loading the store failed");
        return -1;
    }
    dt_life_count_retired (&self->counts, retired[0], retired[1], retired[2]);
    if (max_id >= self->next_id)
        self->next_id = max_id + 1;
    if (dt_store_load (self->store, &results, &loader) != 0) {
        dt_log_error ("MASTER-RECOVER", "loading the store failed");
        return -1;
    }
    if (dt_state_crawl_load (self) != 0) {
        dt_log_error ("MASTER-RECOVER", "loading the crawls failed");
        return -1;
    }
    dt_state_steps_resume (self);
    if (loader.skipped)
        dt_log_warn ("MASTER-RECOVER", "%" PRIu64 " inconsistent rows in the store ignored",
                     loader.skipped);
    dt_log_info ("MASTER-RECOVER",
                 "%zu jobs in memory, %" PRIu64 " tasks: %" PRIu64 " pending (%" PRIu64
                 " of them in the store only), %" PRIu64 " done, %" PRIu64 " failed; %" PRIu64
                 " results; next id %" PRIu64,
                 dt_jobs_count (self->jobs), self->counts.submitted,
                 self->counts.states[DT_TASK_QUEUED], self->counts.cold,
                 self->counts.states[DT_TASK_DONE], self->counts.states[DT_TASK_FAILED],
                 dt_results_last (self->results), self->next_id);
    return 0;
}
