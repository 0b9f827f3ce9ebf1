/* dt_state.c - the master's model: tasks, queue, jobs, results and workers, and every transition
 * between them. */
#include "dt_state.h"
#include "dt_jobs.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_queue.h"
#include "dt_results.h"
#include "dt_tasks.h"
#include "dt_url.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dt_state_t {
    dt_state_opts_t opts;             /* limits and timings */
    dt_store_t *store;                /* durable copy; NULL with --memory (not owned) */
    dt_tasks_t *tasks;                /* every task, by id */
    dt_queue_t *queue;                /* queued ids, and delayed retries */
    dt_jobs_t *jobs;                  /* jobs, chunks, per-job result order */
    dt_results_t *results;            /* the global results log */
    dt_workers_t *workers;            /* registered workers and their leases */
    uint64_t states[DT_TASK_NSTATES]; /* tasks in each dt_task_state_t */
    uint64_t submitted;               /* tasks ever accepted */
    uint64_t retried;                 /* dispatches beyond a task's first */
    uint64_t duplicates;              /* results for tasks already final */
    uint64_t invalid;                 /* invalid messages and result items */
    uint64_t rng;                     /* xorshift state for retry jitter */
    int broken;                       /* a store write or allocation failed */
};

dt_state_t *dt_state_new (const dt_state_opts_t *opts, dt_store_t *store)
{
    dt_state_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
    self->store = store;
    self->tasks = dt_tasks_new ();
    self->queue = dt_queue_new ();
    self->jobs = dt_jobs_new ();
    self->results = dt_results_new ();
    self->workers = dt_workers_new ();
    if (!self->tasks || !self->queue || !self->jobs || !self->results || !self->workers) {
        dt_state_destroy (&self);
        return NULL;
    }
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    self->rng = ((uint64_t) ts.tv_nsec << 20) ^ (uint64_t) ts.tv_sec ^ ((uint64_t) getpid () << 40);
    if (!self->rng)
        self->rng = 88172645463325252ULL;
    return self;
}

void dt_state_destroy (dt_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_state_t *self = *self_p;
    dt_workers_destroy (&self->workers);
    dt_results_destroy (&self->results);
    dt_jobs_destroy (&self->jobs);
    dt_queue_destroy (&self->queue);
    dt_tasks_destroy (&self->tasks);
    free (self);
    *self_p = NULL;
}

int dt_state_broken (const dt_state_t *self)
{
    return self->broken;
}

/* Marks the model broken: from here on nothing may be acknowledged. */
static void s_break (dt_state_t *self, const char *what)
{
    if (!self->broken)
        dt_log_error ("MASTER-BROKEN", "%s: stopping without acknowledging anything more", what);
    self->broken = 1;
}

static void s_store_check (dt_state_t *self, int rc)
{
    if (rc != 0)
        s_break (self, "store write failed");
}

static int s_is_final (const dt_task_t *task)
{
    return task->state == DT_TASK_DONE || task->state == DT_TASK_FAILED;
}

/* The one place a task changes state, so the master's and the job's
 * counters always add up. */
static void s_set_state (dt_state_t *self, dt_task_t *task, dt_task_state_t state)
{
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    if (task->state != DT_TASK_NONE) {
        self->states[task->state]--;
        job->states[task->state]--;
    }
    self->states[state]++;
    job->states[state]++;
    task->state = (uint8_t) state;
}

/* Queues a task. A new generation makes any older entry of it stale. */
static void s_enqueue (dt_state_t *self, dt_task_t *task, int front)
{
    task->gen++;
    s_set_state (self, task, DT_TASK_QUEUED);
    int rc = front ? dt_queue_push_front (self->queue, task->id, task->gen)
                   : dt_queue_push_back (self->queue, task->id, task->gen);
    if (rc != 0)
        s_break (self, "out of memory queueing a task");
}

static uint64_t s_random (dt_state_t *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng = x;
    return x;
}

/* base * 2^(attempt-1) ms, with +-50 % jitter so tasks that failed together
 * do not come back together, capped. */
static int64_t s_backoff_ms (dt_state_t *self, uint32_t attempt)
{
    double ms = self->opts.retry_base_ms;
    for (uint32_t i = 1; i < attempt && ms < DT_STATE_RETRY_MAX_MS; i++)
        ms *= 2;
    double unit = (double) (s_random (self) >> 11) / (double) (1ULL << 53);
    ms *= 0.5 + unit;
    if (ms > DT_STATE_RETRY_MAX_MS)
        ms = DT_STATE_RETRY_MAX_MS;
    return (int64_t) ms;
}

static void s_delay (dt_state_t *self, dt_task_t *task, int64_t due)
{
    task->gen++;
    s_set_state (self, task, DT_TASK_DELAYED);
    if (dt_queue_delay (self->queue, due, task->id, task->gen) != 0)
        s_break (self, "out of memory delaying a task");
}

/* Records the final result of `task`: appends it to the results log and
 * its job's list, writes it to the store, frees its lease. `from` is a
 * worker result (RESULTS form) or NULL, `error` overrides its error. */
static void s_finish (dt_state_t *self, dt_task_t *task, uint8_t state, const dt_msg_result_t *from,
                      dt_str_t worker, const char *error)
{
    dt_msg_result_t r;
    memset (&r, 0, sizeof r);
    if (from)
        r = *from;
    r.id = task->id;
    /* A result from a dispatch the model does not remember (made before a
     * restart: attempts are stored lazily) still counts its own attempt. */
    r.attempt = from && from->attempt > task->attempts ? from->attempt : task->attempts;
    r.state = state;
    r.outcome = 0;
    r.url = dt_str_n (task->url, task->url_len);
    r.worker = worker;
    if (error)
        r.error = dt_str (error);
    if (task->state == DT_TASK_INFLIGHT)
        dt_workers_release (self->workers, task);
    uint64_t seq = dt_results_last (self->results) + 1;
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    if (dt_results_append (self->results, seq, task->id, &r) != 0 ||
        dt_jobs_add_result (job, seq) != 0) {
        s_break (self, "out of memory recording a result");
        return;
    }
    if (self->store)
        s_store_check (self, dt_store_finish (self->store, seq, &r));
    s_set_state (self, task, state == DT_STATE_DONE ? DT_TASK_DONE : DT_TASK_FAILED);
}

/* A lease ended without a result: back to the front of the queue, unless
 * the task has used its attempts. */
static void s_end_lease (dt_state_t *self, dt_task_t *task)
{
    if (task->attempts >= self->opts.max_attempts) {
        s_finish (self, task, DT_STATE_FAILED, NULL, dt_str_n ("", 0), "lease lost");
        return;
    }
    dt_workers_release (self->workers, task);
    s_enqueue (self, task, 1);
    if (self->store)
        s_store_check (self, dt_store_set_attempts (self->store, task->id, task->attempts));
}

int dt_state_submit (dt_state_t *self, dt_str_t job_name, uint32_t chunk, const dt_str_t *urls,
                     uint32_t nurls, uint64_t *first_id, uint32_t *count, char *err,
                     size_t err_size)
{
    /* The codec already enforces both; the model does not rely on it. */
    if (nurls == 0 || job_name.len == 0 || job_name.len > DT_LIMIT_JOB_MAX) {
        snprintf (err, err_size, "%s", nurls == 0 ? "no urls" : "bad job id");
        return DT_ERR_MALFORMED;
    }
    dt_job_t *job = dt_jobs_find (self->jobs, job_name);
    if (job && dt_jobs_chunk_find (self->jobs, job, chunk, first_id, count) == 0) {
        /* A resend gets the same answer and creates nothing; the same
         * (job, chunk) with other URLs is another submission reusing a job
         * id, and must not be taken for a resend and silently dropped. */
        int same = *count == nurls;
        for (uint32_t i = 0; same && i < nurls; i++) {
            const dt_task_t *task = dt_tasks_get (self->tasks, *first_id + i);
            same = task && task->url_len == urls[i].len &&
                   memcmp (task->url, urls[i].ptr, urls[i].len) == 0;
        }
        if (same)
            return 0;
        snprintf (err, err_size,
                  "chunk %" PRIu32 " of this job was already submitted with other URLs: "
                  "use a new job id",
                  chunk);
        return DT_ERR_CONFLICT;
    }

    size_t url_bytes = 0;
    for (uint32_t i = 0; i < nurls; i++) {
        char why[128];
        if (dt_url_check (urls[i].ptr, urls[i].len, why, sizeof why) != 0) {
            snprintf (err, err_size, "url %" PRIu32 ": %s", i + 1, why);
            return DT_ERR_BAD_URL;
        }
        url_bytes += urls[i].len;
    }
    uint64_t unfinished = self->states[DT_TASK_QUEUED] + self->states[DT_TASK_INFLIGHT] +
                          self->states[DT_TASK_DELAYED];
    /* An empty queue takes any chunk, so a limit below the chunk size
     * slows submitters down instead of refusing them forever. */
    if (self->opts.max_pending && unfinished > 0 && unfinished + nurls > self->opts.max_pending) {
        snprintf (err, err_size, "queue full: %" PRIu64 " unfinished tasks, limit %" PRIu64,
                  unfinished, self->opts.max_pending);
        return DT_ERR_QUEUE_FULL;
    }
    /* Reserve first, so that once tasks are being created nothing can fail
     * half-way through the chunk. */
    if (!(job = dt_jobs_ensure (self->jobs, job_name)) ||
        dt_tasks_reserve (self->tasks, nurls, url_bytes) != 0 ||
        dt_queue_reserve (self->queue, nurls) != 0) {
        snprintf (err, err_size, "out of memory");
        return DT_ERR_STORE;
    }
    uint64_t first = dt_tasks_max_id (self->tasks) + 1;
    if (dt_jobs_chunk_add (self->jobs, job, chunk, first, nurls) != 0) {
        snprintf (err, err_size, "out of memory");
        return DT_ERR_STORE;
    }
    if (self->store)
        s_store_check (self, dt_store_add_chunk (self->store, job_name, chunk, first, nurls));
    for (uint32_t i = 0; i < nurls; i++) {
        dt_task_t *task =
            dt_tasks_add (self->tasks, first + i, job->index, urls[i].ptr, urls[i].len);
        if (!task) {
            s_break (self, "out of memory adding a task");
            break;
        }
        job->total++;
        self->submitted++;
        s_enqueue (self, task, 0);
    }
    if (self->store)
        s_store_check (self, dt_store_add_tasks (self->store, first, job_name, urls, nurls));
    *first_id = first;
    *count = nurls;
    return 0;
}

/* True when `result` reports the attempt of `task` that is leased now, to a
 * worker of the name the result carries. */
static int s_leased_to (dt_state_t *self, const dt_task_t *task, const dt_msg_result_t *result)
{
    if (task->state != DT_TASK_INFLIGHT || result->attempt != task->attempts)
        return 0;
    const dt_worker_t *holder = dt_workers_at (self->workers, task->worker);
    return holder && holder->name_len == result->worker.len &&
           memcmp (holder->name, result->worker.ptr, result->worker.len) == 0;
}

void dt_state_result (dt_state_t *self, dt_worker_t *from, const dt_msg_result_t *result,
                      int64_t now)
{
    dt_task_t *task = dt_tasks_get (self->tasks, result->id);
    if (!task || result->outcome > DT_OUTCOME_FAIL) {
        self->invalid++;
        dt_log_debug ("RESULT-INVALID", "task %" PRIu64 " outcome %u: no such task or outcome",
                      result->id, result->outcome);
        return;
    }
    if (s_is_final (task)) {
        self->duplicates++;
        return;
    }
    if (!from && !s_leased_to (self, task, result)) {
        /* A peer that is not registered may only report the attempt now
         * leased to the worker of its name (a worker whose master just
         * forgot it). Anything else is not attributable: the task runs
         * again or is running elsewhere, so dropping it loses nothing,
         * and a stray peer cannot write results into the store. */
        self->invalid++;
        dt_log_debug ("RESULT-UNLEASED", "task %" PRIu64 " attempt %u from unregistered peer",
                      result->id, result->attempt);
        return;
    }
    if (result->outcome == DT_OUTCOME_RETRY) {
        /* Only the current lease may ask for a retry; a RETRY from an older
         * dispatch (a worker presumed dead) must not cut short the attempt
         * now running, nor fail the task on its behalf. */
        if (task->state != DT_TASK_INFLIGHT || result->attempt != task->attempts)
            return;
        if (task->attempts < self->opts.max_attempts) {
            dt_workers_release (self->workers, task);
            s_delay (self, task, now + s_backoff_ms (self, task->attempts));
            if (self->store)
                s_store_check (self, dt_store_set_attempts (self->store, task->id, task->attempts));
            return;
        }
    }
    /* From a peer not (yet) registered, the name its RESULTS carried. */
    dt_str_t worker = from ? dt_str_n (from->name, from->name_len) : result->worker;
    s_finish (self, task, result->outcome == DT_OUTCOME_DONE ? DT_STATE_DONE : DT_STATE_FAILED,
              result, worker, NULL);
    if (from)
        from->done++;
}

uint32_t dt_state_take (dt_state_t *self, uint32_t max, dt_msg_task_t *items, dt_task_t **tasks)
{
    uint32_t count = 0;
    size_t bytes = 0;
    uint64_t id;
    uint32_t gen;
    while (count < max && dt_queue_pop (self->queue, &id, &gen) == 0) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (!task || task->state != DT_TASK_QUEUED || task->gen != gen)
            continue; /* stale entry */
        dt_msg_task_t item = {task->id, task->attempts + 1, dt_str_n (task->url, task->url_len)};
        size_t size = dt_msg_task_size (&item);
        if (count > 0 && bytes + size > DT_LIMIT_BATCH_BYTES) {
            /* Cannot fail: the entry just left the ring. */
            dt_queue_push_front (self->queue, id, gen);
            break;
        }
        bytes += size;
        items[count] = item;
        tasks[count++] = task;
    }
    return count;
}

void dt_state_lease (dt_state_t *self, dt_worker_t *worker, dt_task_t **tasks, uint32_t count,
                     int64_t now)
{
    for (uint32_t i = 0; i < count; i++) {
        dt_task_t *task = tasks[i];
        if (++task->attempts > 1)
            self->retried++;
        s_set_state (self, task, DT_TASK_INFLIGHT);
        dt_workers_lease (self->workers, worker, task, now);
    }
}

void dt_state_untake (dt_state_t *self, dt_task_t **tasks, uint32_t count)
{
    /* Still QUEUED with the same generation: their entries go back as they
     * were, in order, and cannot fail (they just left the ring). */
    for (uint32_t i = count; i-- > 0;)
        dt_queue_push_front (self->queue, tasks[i]->id, tasks[i]->gen);
}

uint32_t dt_state_drop_worker (dt_state_t *self, dt_worker_t **worker_p)
{
    dt_worker_t *worker = *worker_p;
    uint32_t count = 0;
    /* From the newest lease, each to the front: the oldest ends up first. */
    while (worker->leases.tail) {
        s_end_lease (self, worker->leases.tail);
        count++;
    }
    dt_workers_remove (self->workers, worker_p);
    return count;
}

uint32_t dt_state_expire_leases (dt_state_t *self, dt_worker_t *worker, int64_t now)
{
    uint32_t count = 0;
    dt_task_t *task;
    while ((task = worker->leases.head) && now - task->since >= self->opts.task_ms) {
        s_end_lease (self, task);
        count++;
    }
    return count;
}

void dt_state_promote_due (dt_state_t *self, int64_t now)
{
    uint64_t id;
    uint32_t gen;
    while (dt_queue_pop_due (self->queue, now, &id, &gen) == 0) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (task && task->state == DT_TASK_DELAYED && task->gen == gen)
            s_enqueue (self, task, 1);
    }
}

int64_t dt_state_next_due (const dt_state_t *self)
{
    return dt_queue_next_due (self->queue);
}

/* Adds the result at `seq` to a page being filled, unless it was removed or
 * filtered out. Returns 0 when it does not fit (the page is full). */
static int s_page_add (dt_state_t *self, uint64_t seq, uint32_t flags, dt_msg_result_t *items,
                       uint32_t *count, size_t *bytes)
{
    const dt_result_t *entry = dt_results_get (self->results, seq);
    if (!entry || !entry->task)
        return 1;
    if ((flags & DT_FETCH_FAILED_ONLY) && entry->state != DT_STATE_FAILED)
        return 1;
    dt_msg_result_t *item = &items[*count];
    dt_results_to_msg (entry, item);
    const dt_task_t *task = dt_tasks_get (self->tasks, entry->task);
    item->url = task ? dt_str_n (task->url, task->url_len) : dt_str_n ("", 0);
    size_t size = dt_msg_result_size (item);
    if (*count > 0 && *bytes + size > DT_LIMIT_BATCH_BYTES)
        return 0;
    *bytes += size;
    (*count)++;
    return 1;
}

uint32_t dt_state_page (dt_state_t *self, dt_str_t job_name, uint64_t *cursor, uint32_t max,
                        uint32_t flags, dt_msg_result_t *items)
{
    uint32_t count = 0;
    size_t bytes = 0;
    if (max > DT_LIMIT_BATCH_MAX)
        max = DT_LIMIT_BATCH_MAX;
    if (job_name.len) {
        const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
        if (!job)
            return 0;
        for (size_t i = dt_jobs_seek (job, *cursor); i < job->nseqs && count < max; i++) {
            if (!s_page_add (self, job->seqs[i], flags, items, &count, &bytes))
                break;
            *cursor = job->seqs[i];
        }
        return count;
    }
    uint64_t last = dt_results_last (self->results);
    for (uint64_t seq = *cursor + 1; *cursor < last && seq <= last && count < max; seq++) {
        if (!s_page_add (self, seq, flags, items, &count, &bytes))
            break;
        *cursor = seq;
    }
    return count;
}

void dt_state_stats (dt_state_t *self, dt_str_t job_name, dt_msg_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    const uint64_t *states = self->states;
    if (job_name.len) {
        const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
        if (!job)
            return;
        states = job->states;
        stats->submitted = job->total;
    } else {
        stats->submitted = self->submitted;
        stats->retried = self->retried;
        stats->duplicates = self->duplicates;
        stats->invalid = self->invalid;
    }
    stats->pending = states[DT_TASK_QUEUED];
    stats->inflight = states[DT_TASK_INFLIGHT];
    stats->delayed = states[DT_TASK_DELAYED];
    stats->done = states[DT_TASK_DONE];
    stats->failed = states[DT_TASK_FAILED];
}

/* REQUEUE of the task whose result is at `seq`, when it failed. */
static int s_reopen (dt_state_t *self, uint64_t seq)
{
    dt_result_t *entry = dt_results_get (self->results, seq);
    if (!entry || !entry->task || entry->state != DT_STATE_FAILED)
        return 0;
    dt_task_t *task = dt_tasks_get (self->tasks, entry->task);
    if (!task || task->state != DT_TASK_FAILED)
        return 0;
    entry->task = 0; /* FETCH no longer returns it; its position stays */
    task->attempts = 0;
    s_enqueue (self, task, 0);
    if (self->store)
        s_store_check (self, dt_store_reopen (self->store, task->id));
    return 1;
}

int dt_state_requeue (dt_state_t *self, dt_str_t job_name, uint64_t *count)
{
    *count = 0;
    /* The scans stop once every failed task is back: nothing failed, no scan. */
    if (job_name.len) {
        const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
        uint64_t failed = job ? job->states[DT_TASK_FAILED] : 0;
        for (size_t i = 0; *count < failed && i < job->nseqs; i++)
            *count += s_reopen (self, job->seqs[i]);
    } else {
        uint64_t failed = self->states[DT_TASK_FAILED];
        uint64_t last = dt_results_last (self->results);
        for (uint64_t seq = 1; *count < failed && seq <= last; seq++)
            *count += s_reopen (self, seq);
    }
    return self->broken ? -1 : 0;
}

int dt_state_cancel (dt_state_t *self, dt_str_t job_name, uint64_t *count)
{
    *count = 0;
    const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
    if (!job)
        return 0;
    /* Jobs keep no list of their tasks; cancelling is rare, so one pass over
     * the table costs less than keeping one up to date on every submit. */
    uint64_t unfinished =
        job->states[DT_TASK_QUEUED] + job->states[DT_TASK_DELAYED] + job->states[DT_TASK_INFLIGHT];
    uint64_t max = dt_tasks_max_id (self->tasks);
    for (uint64_t id = 1; id <= max && *count < unfinished && !self->broken; id++) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (!task || task->job != job->index || s_is_final (task) ||
            (task->state != DT_TASK_QUEUED && task->state != DT_TASK_DELAYED &&
             task->state != DT_TASK_INFLIGHT))
            continue;
        /* Its queue or retry entry goes stale with the state change. */
        s_finish (self, task, DT_STATE_FAILED, NULL, dt_str_n ("", 0), "cancelled");
        (*count)++;
    }
    return self->broken ? -1 : 0;
}

void dt_state_count_invalid (dt_state_t *self)
{
    self->invalid++;
}

uint64_t dt_state_last_seq (const dt_state_t *self)
{
    return dt_results_last (self->results);
}

uint64_t dt_state_queued (const dt_state_t *self)
{
    return self->states[DT_TASK_QUEUED];
}

dt_workers_t *dt_state_workers (dt_state_t *self)
{
    return self->workers;
}

/* Recovery: the store's rows, replayed into the model. */
typedef struct {
    dt_state_t *state;
    dt_job_t *job;    /* job of the previous task: tasks of a job come in runs */
    uint64_t skipped; /* rows that did not fit the model */
} s_loader_t;

static int s_on_chunk (void *arg, dt_str_t job_name, uint32_t chunk, uint64_t first_id,
                       uint32_t count)
{
    s_loader_t *loader = arg;
    dt_state_t *self = loader->state;
    dt_job_t *job = dt_jobs_ensure (self->jobs, job_name);
    if (!job)
        return -1;
    if (dt_jobs_chunk_add (self->jobs, job, chunk, first_id, count) != 0)
        loader->skipped++; /* a duplicate row: the first one stands */
    return 0;
}

static int s_on_task (void *arg, uint64_t id, dt_str_t job_name, dt_str_t url, uint32_t attempts,
                      int state)
{
    s_loader_t *loader = arg;
    dt_state_t *self = loader->state;
    dt_job_t *job = loader->job;
    if (!job || job->name_len != job_name.len || memcmp (job->name, job_name.ptr, job_name.len))
        job = loader->job = dt_jobs_ensure (self->jobs, job_name);
    if (!job)
        return -1;
    if (id <= dt_tasks_max_id (self->tasks)) {
        loader->skipped++;
        return 0;
    }
    dt_task_t *task = dt_tasks_add (self->tasks, id, job->index, url.ptr, url.len);
    if (!task)
        return -1;
    task->attempts = attempts;
    job->total++;
    self->submitted++;
    if (state == DT_STORE_DONE)
        s_set_state (self, task, DT_TASK_DONE);
    else if (state == DT_STORE_FAILED)
        s_set_state (self, task, DT_TASK_FAILED);
    else
        s_enqueue (self, task, 0);
    return self->broken ? -1 : 0;
}

static int s_on_result (void *arg, uint64_t seq, const dt_msg_result_t *r)
{
    s_loader_t *loader = arg;
    dt_state_t *self = loader->state;
    if (r->id == 0) {
        /* A retired result: its position stays taken. */
        if (seq > dt_results_last (self->results))
            return dt_results_skip_to (self->results, seq);
        return 0;
    }
    dt_task_t *task = dt_tasks_get (self->tasks, r->id);
    if (!task || !s_is_final (task) || seq <= dt_results_last (self->results)) {
        loader->skipped++;
        return 0;
    }
    if (dt_results_append (self->results, seq, task->id, r) != 0 ||
        dt_jobs_add_result (dt_jobs_at (self->jobs, task->job), seq) != 0)
        return -1;
    return 0;
}

int dt_state_load (dt_state_t *self)
{
    if (!self->store)
        return 0;
    s_loader_t loader = {.state = self};
    dt_store_loader_t callbacks = {s_on_chunk, s_on_task, s_on_result};
    if (dt_store_load (self->store, &callbacks, &loader) != 0) {
        dt_log_error ("MASTER-RECOVER", "loading the store failed");
        return -1;
    }
    if (loader.skipped)
        dt_log_warn ("MASTER-RECOVER", "%" PRIu64 " inconsistent rows in the store ignored",
                     loader.skipped);
    dt_log_info ("MASTER-RECOVER",
                 "%zu jobs, %" PRIu64 " tasks: %" PRIu64 " pending, %" PRIu64 " done, %" PRIu64
                 " failed; %" PRIu64 " results; next id %" PRIu64,
                 dt_jobs_count (self->jobs), self->submitted, self->states[DT_TASK_QUEUED],
                 self->states[DT_TASK_DONE], self->states[DT_TASK_FAILED],
                 dt_results_last (self->results), dt_tasks_max_id (self->tasks) + 1);
    return 0;
}
