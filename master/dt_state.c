/* dt_state.c - the master's model: tasks, queue, jobs, results and workers, and every transition
 * between them. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_url.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

dt_state_t *dt_state_new (const dt_state_opts_t *opts, dt_store_t *store)
{
    dt_state_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
    if (!self->opts.max_lost)
        self->opts.max_lost = DT_STATE_LOST_FACTOR * self->opts.max_attempts;
    if (self->opts.max_lost > UINT16_MAX) /* dt_task_t.lost is 16 bits */
        self->opts.max_lost = UINT16_MAX;
    self->store = store;
    self->next_id = 1;
    if (store) {
        self->window = opts->window ? opts->window : DT_STATE_WINDOW;
        if (self->window < DT_STATE_WINDOW_MIN)
            self->window = DT_STATE_WINDOW_MIN;
        if (!self->opts.window_bytes)
            self->opts.window_bytes = DT_STATE_WINDOW_BYTES;
    }
    self->tasks = dt_tasks_new ();
    self->queue = dt_queue_new ();
    self->cold = dt_cold_new ();
    self->jobs = dt_jobs_new ();
    /* Without a store the log keeps a bounded number of results too
     * (opts.window, default DT_STATE_MEMORY_RESULTS); older ones are gone. */
    self->results = dt_results_new (store          ? self->window
                                    : opts->window ? opts->window
                                                   : DT_STATE_MEMORY_RESULTS);
    /* With a store, older results are read back from it: memory holds the
     * window of results only up to DT_STATE_RESULTS_BYTES. */
    if (store && self->results)
        dt_results_set_max_bytes (self->results, DT_STATE_RESULTS_BYTES);
    self->workers = dt_workers_new ();
    self->kinds = dt_kinds_new ();
    self->timed = dt_queue_new ();
    self->due_next = UINT64_MAX;
    if (store && !(self->due = dt_store_due_new (store))) {
        dt_state_destroy (&self);
        return NULL;
    }
    self->crawls = dt_frontier_new ();
    if (opts->host_limit > 0 &&
        (!(self->hosts = dt_hosts_new (opts->host_limit)) || !(self->unparked = dt_queue_new ()))) {
        dt_state_destroy (&self);
        return NULL;
    }
    if (!self->tasks || !self->queue || !self->cold || !self->jobs || !self->results ||
        !self->workers || !self->kinds || !self->timed || !self->crawls ||
        (opts->host_delay_ms > 0 && dt_state_polite_on (self) != 0)) {
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
    dt_hosts_destroy (&self->hosts);
    dt_queue_destroy (&self->unparked);
    for (int k = 0; k < DT_LIMIT_KINDS_MAX; k++)
        for (int p = 0; p <= DT_PRIORITY_MAX; p++)
            dt_queue_destroy (&self->aside[k][p]);
    for (int p = 0; p <= DT_PRIORITY_MAX; p++) {
        dt_queue_destroy (&self->levels[p]);
        dt_queue_destroy (&self->soon[p]);
    }
    dt_kinds_destroy (&self->kinds);
    dt_store_due_destroy (&self->due);
    dt_queue_destroy (&self->timed);
    dt_frontier_destroy (&self->crawls);
    dt_workers_destroy (&self->workers);
    dt_state_polite_free (self); /* after the workers: their leases may hold its tasks */
    dt_results_destroy (&self->results);
    dt_jobs_destroy (&self->jobs);
    dt_cold_destroy (&self->cold);
    dt_queue_destroy (&self->queue);
    dt_tasks_destroy (&self->tasks);
    dt_arena_destroy (&self->page_strings);
    free (self);
    *self_p = NULL;
}

int dt_state_broken (const dt_state_t *self)
{
    return self->broken;
}

static uint64_t s_random (dt_state_t *self);

/* The store's name for the epoch counter. */
#define DT_STATE_EPOCH_KEY "epoch"

/* A random epoch, nonzero and below 2^62 (a store's counter goes on from
 * it for ever without wrapping). */
static uint64_t s_random_epoch (dt_state_t *self)
{
    uint64_t epoch = 0;
    while (epoch == 0)
        if (getrandom (&epoch, sizeof epoch, 0) != (ssize_t) sizeof epoch)
            epoch = s_random (self);
        else
            epoch >>= 2;
    return epoch;
}

int dt_state_begin_epoch (dt_state_t *self)
{
    if (self->store) {
        /* A new store starts at a random epoch, not at 1: workers may still
         * hold tasks of a master whose store was removed or is elsewhere,
         * numbered from 1 as the new one's are, and their epoch must not
         * be the new master's (but for a 2^-62 chance). */
        uint64_t last = 0;
        if (dt_store_get_meta (self->store, DT_STATE_EPOCH_KEY, &last) != 0)
            return -1;
        uint64_t epoch = last ? last + 1 : s_random_epoch (self);
        if (dt_store_set_meta (self->store, DT_STATE_EPOCH_KEY, epoch) != 0 ||
            dt_store_commit (self->store) != 0)
            return -1;
        self->epoch = epoch;
    } else {
        /* Nothing survives a memory-only master, so no counter either: a
         * random epoch differs from the last run's but for a 2^-62 chance. */
        self->epoch = s_random_epoch (self);
    }
    dt_log_info ("MASTER-EPOCH", "epoch %" PRIu64, self->epoch);
    return 0;
}

uint64_t dt_state_epoch (const dt_state_t *self)
{
    return self->epoch;
}

void dt_state_fail (dt_state_t *self, const char *what)
{
    if (!self->broken)
        dt_log_error ("MASTER-BROKEN", "%s: stopping without acknowledging anything more", what);
    self->broken = 1;
}

void dt_state_check (dt_state_t *self, int rc)
{
    if (rc != 0)
        dt_state_fail (self, "store write failed");
}

static int s_is_final (const dt_task_t *task)
{
    return task->state == DT_TASK_DONE || task->state == DT_TASK_FAILED;
}

/* Attempts that spent the task's max_attempts: every dispatch but the
 * leases lost with a vanished worker. */
static uint32_t s_spent (const dt_task_t *task)
{
    return task->attempts - task->lost;
}

static void s_host_back (dt_state_t *self, const dt_task_t *task);

/* A task's attempts count on through every REQUEUE, so that no two leases
 * of it in one epoch share an attempt number: a worker may still run the
 * attempt whose lease ended (CANCEL, an expiry), and its result must never
 * pass for a later lease's. REQUEUE moves them up to the next multiple of
 * this span instead of back to 0 (dt_state_round_attempts): a round (from
 * one REQUEUE to the task's end) makes fewer dispatches than that, since it
 * ends once max_attempts are spent or max_lost lost. */
static uint32_t s_round_span (const dt_state_t *self)
{
    return self->opts.max_attempts + self->opts.max_lost;
}

/* Dispatches in the current round. */
static uint32_t s_in_round (const dt_state_t *self, uint32_t attempts)
{
    return attempts == 0 ? 0 : (attempts - 1) % s_round_span (self) + 1;
}

/* Attempts of the current round that spent its max_attempts. */
static uint32_t s_spent_round (const dt_state_t *self, const dt_task_t *task)
{
    uint32_t round = s_in_round (self, task->attempts);
    return round > task->lost ? round - task->lost : 0;
}

uint32_t dt_state_round_attempts (const dt_state_t *self, uint32_t attempts)
{
    uint32_t span = s_round_span (self);
    if (attempts > UINT32_MAX - span)
        return 0; /* four billion dispatches of one task in one run: start over */
    return (attempts + span - 1) / span * span;
}

void dt_state_step (dt_state_t *self, dt_task_t *task, dt_life_event_t event)
{
    dt_task_state_t was = (dt_task_state_t) task->state;
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    const dt_life_rule_t *rule =
        dt_life_step (&self->counts, job, &task->state, event,
                      event == DT_LIFE_LEASE ? s_in_round (self, task->attempts) : 0);
    assert (rule);
    dt_state_job_moved (self, job, event);
    if (was == DT_TASK_QUEUED && rule->to != DT_TASK_QUEUED) {
        /* Leaving the queue: its entry behind its host, or in the ready
         * queue, is stale, and a slot it held goes back. */
        if (task->parked == DT_TASK_PARKED)
            self->parked--;
        uint8_t parked = task->parked;
        task->parked = 0;
        if (parked == DT_TASK_READY)
            s_host_back (self, task);
        else if (parked >= DT_TASK_POLITE)
            dt_state_polite_left (self, task, parked);
    }
    if (!self->store)
        return;
    /* The attempts that count against max_attempts: a restart forgets the
     * leases lost with vanished workers (their count starts again), never a
     * failed one. */
    if (rule->write == DT_LIFE_WRITE_ATTEMPTS)
        dt_state_check (self, dt_store_set_attempts (self->store, task->id, s_spent (task)));
    else if (rule->write == DT_LIFE_WRITE_REOPEN)
        dt_state_check (self, dt_store_reopen (self->store, task->id, task->attempts));
}

void dt_state_step_cold (dt_state_t *self, dt_job_t *job, dt_task_state_t state,
                         dt_life_event_t event)
{
    uint8_t at = (uint8_t) state;
    const dt_life_rule_t *rule = dt_life_step (&self->counts, job, &at, event, 0);
    assert (rule && (rule->write == DT_LIFE_WRITE_NONE || rule->write == DT_LIFE_WRITE_ADD_TASK ||
                     rule->write == DT_LIFE_WRITE_REOPEN));
    (void) rule; /* checked only by the assert */
    dt_state_job_moved (self, job, event);
}

/* The number of `task`'s kind, looked up once (with its priority) and kept
 * in the record. -1 when it cannot be numbered (DT_LIMIT_KINDS_MAX kinds
 * known already): it then waits at level 0 of http's set-aside queue. */
static int s_meta (dt_state_t *self, dt_task_t *task)
{
    if (!task->kind) {
        dt_str_t kind, payload;
        dt_spec_opts_t opts;
        dt_spec_split (task->url, task->url_len, &kind, &payload, &opts);
        int k = dt_kinds_index (self->kinds, kind);
        if (k < 0)
            return -1;
        task->kind = (uint8_t) (k + 1);
        int has = memchr (task->url, '\0', task->url_len) != NULL;
        task->meta = (uint8_t) ((opts.priority & DT_TASK_PRIO) | (has ? DT_TASK_OPTS : 0));
    }
    return task->kind - 1;
}

dt_queue_t *dt_state_queue_of (dt_state_t *self, dt_task_t *task)
{
    int p = s_meta (self, task) < 0 ? 0 : task->meta & DT_TASK_PRIO;
    if (p == 0 || p > DT_PRIORITY_MAX)
        return self->queue;
    if (!self->levels[p] && !(self->levels[p] = dt_queue_new ())) {
        dt_state_fail (self, "out of memory queueing a task");
        return self->queue;
    }
    self->high = 1;
    return self->levels[p];
}

dt_queue_t *dt_state_soon_of (dt_state_t *self, dt_task_t *task)
{
    int p = s_meta (self, task) < 0 ? 0 : task->meta & DT_TASK_PRIO;
    if (p > DT_PRIORITY_MAX)
        p = 0;
    if (!self->soon[p] && !(self->soon[p] = dt_queue_new ())) {
        dt_state_fail (self, "out of memory queueing a task");
        return dt_state_queue_of (self, task);
    }
    if (p > 0)
        self->high = 1;
    return self->soon[p];
}

/* The dispatches `task` gets: its own max_attempts, else the master's. */
static uint32_t s_max_attempts (dt_state_t *self, dt_task_t *task)
{
    if (s_meta (self, task) >= 0 && (task->meta & DT_TASK_OPTS)) {
        dt_str_t kind, payload;
        dt_spec_opts_t opts;
        dt_spec_split (task->url, task->url_len, &kind, &payload, &opts);
        if (opts.max_attempts)
            return opts.max_attempts;
    }
    return self->opts.max_attempts;
}

/* Queues a task. A new generation makes any older entry of it stale. */
void dt_state_enqueue (dt_state_t *self, dt_task_t *task, dt_life_event_t event, int front)
{
    task->gen++;
    dt_state_step (self, task, event);
    dt_queue_t *queue = dt_state_queue_of (self, task);
    int rc = front ? dt_queue_push_front (queue, task->id, task->gen)
                   : dt_queue_push_back (queue, task->id, task->gen);
    if (rc != 0)
        dt_state_fail (self, "out of memory queueing a task");
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
    dt_state_step (self, task, DT_LIFE_RESULT_RETRY);
    if (dt_queue_delay (self->queue, due, task->id, task->gen) != 0)
        dt_state_fail (self, "out of memory delaying a task");
}

/* A slot of `task`'s host came back (its lease ended, or it was not sent,
 * or a ready task left the queue): the oldest task parked behind the
 * host's limit, if it still waits, takes the slot and is ready to go out
 * before the rest of the queue. Holding the slot until then, it cannot be
 * lost if that task ends first (its dt_state_step passes the slot on). */
static void s_host_back (dt_state_t *self, const dt_task_t *task)
{
    /* Only an http task holds a slot of its host (dt_state_take). */
    if (!self->hosts || task->kind != DT_KINDS_HTTP + 1)
        return;
    dt_str_t kind, url;
    dt_spec_split (task->url, task->url_len, &kind, &url, NULL);
    uint64_t key = dt_hosts_key (url.ptr, url.len), id;
    uint32_t gen;
    int more = dt_hosts_give (self->hosts, key, &id, &gen);
    while (more) {
        /* The flag too: a record swept and read back from the store starts
         * again at the same generation as an old entry of it. */
        dt_task_t *parked = dt_tasks_get (self->tasks, id);
        if (parked && parked->state == DT_TASK_QUEUED && parked->gen == gen &&
            parked->parked == DT_TASK_PARKED) {
            parked->parked = DT_TASK_READY;
            self->parked--;
            if (dt_hosts_take (self->hosts, key) != 1 ||
                dt_queue_push_back (self->unparked, id, gen) != 0)
                dt_state_fail (self, "out of memory queueing a task");
            return;
        }
        more = dt_hosts_unpark (self->hosts, key, &id, &gen); /* cancelled meanwhile */
    }
}

/* Ends the lease of `task` (INFLIGHT): its worker's credit and its host's
 * count come back. */
static void s_release (dt_state_t *self, dt_task_t *task, const dt_report_t *report, int64_t now)
{
    dt_workers_release (self->workers, task, now);
    if (self->polite || (report && report->retry_after_ms))
        dt_state_polite_ended (self, task, report, 0, now);
    s_host_back (self, task);
}

/* Records the final result of `task`: appends it to the results log (with
 * the task's URL and job), writes it to the store, frees its lease. `from`
 * is the worker's report or NULL, `error` overrides its error. */
void dt_state_finish (dt_state_t *self, dt_task_t *task, dt_life_event_t event,
                      const dt_report_t *from, dt_str_t worker, const char *error, int64_t now)
{
    const dt_life_rule_t *rule = dt_life_rule (event);
    assert (rule->write == DT_LIFE_WRITE_FINISH);
    dt_record_t r;
    memset (&r, 0, sizeof r);
    if (from) {
        r.http_status = from->http_status;
        r.bytes = from->bytes;
        r.elapsed_ms = from->elapsed_ms;
        r.final_url = from->final_url;
        r.content_type = from->content_type;
        r.error = from->error;
        r.output = from->output;
        r.exit_code = from->exit_code;
        r.warc = from->warc;
    } else
        r.exit_code = DT_EXIT_NONE;
    r.id = task->id;
    r.attempt = task->attempts;
    r.state = rule->to == DT_TASK_DONE ? DT_STATE_DONE : DT_STATE_FAILED;
    r.url = dt_str_n (task->url, task->url_len);
    r.worker = worker;
    const dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    if (job) /* the store need not look it up by id */
        r.job = dt_str_n (job->name, job->name_len);
    if (error)
        r.error = dt_str (error);
    if (task->state == DT_TASK_INFLIGHT)
        s_release (self, task, from, now);
    uint64_t seq = dt_results_last (self->results) + 1;
    if (dt_results_append (self->results, seq, task->id, task->job, &r) != 0) {
        dt_state_fail (self, "out of memory recording a result");
        return;
    }
    if (self->store) {
        dt_state_check (self, dt_store_finish (self->store, seq, &r));
        s_meta (self, task);
        dt_state_due_finished (self, task);
    }
    dt_state_budget_release (self, task->url_len);
    dt_state_step (self, task, event);
    self->unswept++;
}

/* A lease ended without a result: back to the front of the queue, unless
 * the task has used its attempts. `vanished`: its worker is gone, or stuck
 * (s_stuck), which counts against max_lost rather than max_attempts
 * (DT_STATE_LOST_FACTOR); else the lease outlived its time limit on a
 * worker that answers for its other tasks, which spends an attempt. */
static void s_end_lease (dt_state_t *self, dt_task_t *task, int vanished, int64_t now)
{
    if (dt_polite_owns (task->id)) { /* a robots.txt fetch */
        dt_workers_release (self->workers, task, now);
        dt_polite_fetch_lost (self->polite, task, now);
        return;
    }
    if (vanished)
        task->lost++; /* below max_lost <= UINT16_MAX, or the task fails now */
    if (vanished ? task->lost >= self->opts.max_lost
                 : s_spent_round (self, task) >= s_max_attempts (self, task)) {
        dt_state_finish (self, task, DT_LIFE_LEASE_LOST_LAST, NULL, dt_str_n ("", 0), "lease lost",
                         now);
        return;
    }
    s_release (self, task, NULL, now);
    dt_state_enqueue (self, task, DT_LIFE_LEASE_LOST, 1);
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
    if (dt_state_purge_blocks (self, job_name, err, err_size))
        return DT_ERR_CONFLICT;
    /* The bound holds for every chunk. One over the limit can never fit:
     * refused for good, saying the limit (the CLI cuts its chunks to it),
     * and before the resend check, so a resubmission cut for another
     * limit is cut again rather than taken for a conflict. */
    if (self->opts.max_pending && nurls > self->opts.max_pending) {
        snprintf (err, err_size,
                  "chunk of %" PRIu32
                  " URLs is larger than the queue limit: --max-pending %" PRIu64,
                  nurls, self->opts.max_pending);
        return DT_ERR_TOO_BIG;
    }
    dt_job_t *job = NULL;
    int same = 0;
    if (dt_state_chunk_find (self, job_name, chunk, urls, nurls, first_id, count, &same)) {
        /* A resend gets the same answer and creates nothing; the same
         * (job, chunk) with other URLs is another submission reusing a job
         * id, and must not be taken for a resend and silently dropped. */
        if (self->broken) {
            snprintf (err, err_size, "store read failed");
            return DT_ERR_STORE;
        }
        if (same)
            return 0;
        snprintf (err, err_size,
                  "chunk %" PRIu32 " of this job was already submitted with other URLs: "
                  "use a new job id, or submit --append to add to the job",
                  chunk);
        return DT_ERR_CONFLICT;
    }

    for (uint32_t i = 0; i < nurls; i++) {
        char why[128];
        /* Only an http task's payload is a URL (dt_spec.h); any other's is
         * opaque bytes. */
        dt_str_t kind, url;
        dt_spec_split (urls[i].ptr, urls[i].len, &kind, &url, NULL);
        if (dt_spec_is_http (kind) && dt_url_check (url.ptr, url.len, why, sizeof why) != 0) {
            snprintf (err, err_size, "url %" PRIu32 ": %s", i + 1, why);
            return DT_ERR_BAD_URL;
        }
    }
    uint64_t unfinished = dt_life_unfinished (self->counts.states);
    if (self->opts.max_pending && unfinished + nurls > self->opts.max_pending) {
        snprintf (err, err_size,
                  "queue full: %" PRIu64 " unfinished tasks, limit %" PRIu64 ", %" PRIu64
                  " more fit now",
                  unfinished, self->opts.max_pending,
                  unfinished < self->opts.max_pending ? self->opts.max_pending - unfinished : 0);
        return DT_ERR_QUEUE_FULL;
    }
    int budget = dt_state_budget_check (self, job_name, urls, nurls, err, err_size);
    if (budget != 0)
        return budget;
    /* With a store, tasks beyond the window stay there (cold) until the
     * queue in memory drains; once some are cold, later ones are too, so
     * the queue keeps its order. */
    uint64_t first = self->next_id;
    /* A chunk above the lowest priority stays in memory even past the
     * window: it must overtake what waits in the store, which is read back
     * only in id order. Such chunks are what a user marks urgent, few. */
    dt_str_t kind0, payload0;
    dt_spec_opts_t opts0;
    dt_spec_split (urls[0].ptr, urls[0].len, &kind0, &payload0, &opts0);
    /* A chunk not due yet waits in memory without a store; with one, in
     * the store until its time nears (dt_state_due.c). */
    int delayed = opts0.not_before > dt_state_wall_ms ();
    int later = delayed && self->store;
    int cold = !later && self->store && !opts0.priority &&
               (self->counts.cold > 0 || !dt_state_hot_room (self, nurls));
    /* Reserve first, so that once tasks are being created nothing can fail
     * half-way through the chunk. */
    /* With a store the chunk is only there: its primary key answers resends. */
    if (!(job = dt_state_job_ensure (self, job_name)) ||
        (!cold && !later &&
         (dt_tasks_reserve (self->tasks, first, urls, nurls) != 0 ||
          dt_queue_reserve (self->queue, nurls) != 0)) ||
        (!self->store && dt_jobs_chunk_add (self->jobs, job, chunk, first, nurls,
                                            dt_jobs_urls_hash (urls, nurls)) != 0)) {
        snprintf (err, err_size, "out of memory");
        return DT_ERR_STORE;
    }
    self->next_id += nurls;
    if (!job->kind) /* JOBS shows it: a job's chunks have one kind, or its first's is shown */
        job->kind = dt_kinds_index (self->kinds, kind0) + 1;
    if (self->store)
        dt_state_check (self, dt_store_add_chunk (self->store, job_name, chunk, first, nurls));
    if (later)
        dt_state_due_submitted (self, job, dt_kinds_find (self->kinds, kind0), first, nurls,
                                opts0.not_before);
    if (cold) {
        if (dt_cold_add (self->cold, first, nurls) != 0)
            dt_state_fail (self, "out of memory queueing tasks in the store");
        for (uint32_t i = 0; i < nurls; i++)
            dt_state_step_cold (self, job, DT_TASK_NONE, DT_LIFE_SUBMIT_COLD);
    }
    for (uint32_t i = 0; !cold && !later && i < nurls; i++) {
        dt_task_t *task =
            dt_tasks_add (self->tasks, first + i, job->index, urls[i].ptr, urls[i].len);
        if (!task) {
            dt_state_fail (self, "out of memory adding a task");
            break;
        }
        if (delayed) {
            dt_state_step (self, task, DT_LIFE_SUBMIT);
            dt_state_due_hold (self, task, opts0.not_before);
        } else
            dt_state_enqueue (self, task, DT_LIFE_SUBMIT, 0);
    }
    if (self->store)
        dt_state_check (self, dt_store_add_tasks (self->store, first, job_name, urls, nurls));
    if (job->total == nurls)
        dt_log_info ("MASTER-JOB-ACCEPTED", "job %s: first chunk %" PRIu32 ", %" PRIu32 " tasks",
                     job->name, chunk, nurls);
    *first_id = first;
    *count = nurls;
    return 0;
}

/* Counts a result that is dropped as late, with why for the debug log. */
static void s_late (dt_state_t *self, const dt_task_t *task, const dt_report_t *result,
                    const char *why)
{
    dt_life_count (&self->counts, task ? dt_jobs_at (self->jobs, task->job) : NULL, DT_LIFE_LATE);
    dt_log_peer_debug ("RESULT-LATE", "task %" PRIu64 " attempt %" PRIu32 " epoch %" PRIu64 ": %s",
                       result->id, result->attempt, result->epoch, why);
}

void dt_state_result (dt_state_t *self, dt_worker_t *from, const dt_report_t *result, int64_t now)
{
    if (result->outcome > DT_OUTCOME_FAIL) {
        dt_life_count (&self->counts, NULL, DT_LIFE_INVALID);
        dt_log_peer_debug ("RESULT-INVALID", "task %" PRIu64 " outcome %u: no such outcome",
                           result->id, result->outcome);
        return;
    }
    /* Another run's ids may name other tasks now: its results are never
     * taken for this run's, whatever they name. */
    if (result->epoch != self->epoch) {
        s_late (self, NULL, result, "another master run");
        return;
    }
    if (dt_polite_owns (result->id)) {
        dt_state_polite_fetch_result (self, from, result, now);
        return;
    }
    dt_task_t *task = dt_tasks_get (self->tasks, result->id);
    if (task ? s_is_final (task) : dt_state_final_elsewhere (self, result->id)) {
        dt_life_count (&self->counts, task ? dt_jobs_at (self->jobs, task->job) : NULL,
                       DT_LIFE_DUPLICATE);
        return;
    }
    if (!task && (result->id == 0 || result->id >= self->next_id)) {
        /* This run never had such a task: no lease of it ever ended. */
        dt_life_count (&self->counts, NULL, DT_LIFE_INVALID);
        dt_log_peer_debug ("RESULT-INVALID", "task %" PRIu64 ": no such task", result->id);
        return;
    }
    /* Only the connection holding the lease of this very attempt may end
     * it: a task not leased now, an earlier attempt (a lease that expired
     * or was lost with its worker), another worker's lease, a peer that
     * never said HELLO. The task runs again or is running elsewhere, so
     * dropping the result loses nothing. */
    if (!task || task->state != DT_TASK_INFLIGHT) {
        s_late (self, task, result, "not leased");
        return;
    }
    if (result->attempt != task->attempts) {
        s_late (self, task, result, "not the attempt leased now");
        return;
    }
    if (!from || dt_workers_at (self->workers, task->worker) != from) {
        s_late (self, task, result,
                from ? "leased to another worker" : "from a peer not registered");
        return;
    }
    /* A result came back: the worker has earned more credit. */
    dt_workers_returned (self->workers, from);
    from->answered = now;
    if (result->outcome == DT_OUTCOME_RETRY &&
        s_spent_round (self, task) < s_max_attempts (self, task)) {
        /* Not before the server said (its host is paused that long too). */
        int64_t wait = s_backoff_ms (self, task->attempts);
        int64_t asked = result->retry_after_ms < DT_POLITE_PAUSE_MAX_MS ? result->retry_after_ms
                                                                        : DT_POLITE_PAUSE_MAX_MS;
        s_release (self, task, result, now);
        s_delay (self, task, now + (asked > wait ? asked : wait));
        return;
    }
    /* A capture is stored before its result is recorded, in the same
     * group; one that cannot be stored fails the task, saying why. */
    dt_report_t kept = *result;
    char digest[DT_LIMIT_DIGEST_MAX + 1], why[DT_LIMIT_ERROR_MAX];
    int stored = dt_state_archive_keep (self, task, &kept, digest, why, sizeof why);
    /* A crawl follows the links of a page that is recorded done. */
    if (result->outcome == DT_OUTCOME_DONE && stored == 0 && result->links.len)
        dt_state_crawl_links (self, task, result->links);
    dt_state_finish (self, task,
                     result->outcome == DT_OUTCOME_DONE && stored == 0 ? DT_LIFE_RESULT_DONE
                                                                       : DT_LIFE_RESULT_FAIL,
                     &kept, dt_str_n (from->name, from->name_len), NULL, now);
    from->done++;
}

/* The next entry to hand out to a worker serving `kinds`: tasks of its
 * kinds set aside by other workers' takes first, then unparked tasks (they
 * left the queue before the rest of it), then the queue. Returns the queue
 * it came from, or NULL when all are empty. */
static dt_queue_t *s_next (dt_state_t *self, uint64_t kinds, uint64_t *id, uint32_t *gen)
{
    /* Highest priority first; within a level, what was set aside for these
     * kinds came before what is still in the level's queue. */
    for (int p = self->high ? DT_PRIORITY_MAX : 0; p > 0; p--) {
        for (uint64_t k = 0, m = kinds; m; k++, m >>= 1)
            if ((m & 1) && self->aside[k][p] && dt_queue_pop (self->aside[k][p], id, gen) == 0)
                return self->aside[k][p];
        if (self->soon[p] && dt_queue_pop (self->soon[p], id, gen) == 0)
            return self->soon[p];
        if (self->levels[p] && dt_queue_pop (self->levels[p], id, gen) == 0)
            return self->levels[p];
    }
    for (uint64_t k = 0, m = kinds; m; k++, m >>= 1)
        if ((m & 1) && self->aside[k][0] && dt_queue_pop (self->aside[k][0], id, gen) == 0)
            return self->aside[k][0];
    if (self->soon[0] && dt_queue_pop (self->soon[0], id, gen) == 0)
        return self->soon[0];
    if (self->granted && dt_queue_pop (self->granted, id, gen) == 0)
        return self->granted;
    if (self->unparked && dt_queue_pop (self->unparked, id, gen) == 0)
        return self->unparked;
    return dt_queue_pop (self->queue, id, gen) == 0 ? self->queue : NULL;
}

int dt_state_kind (dt_state_t *self, dt_str_t kind)
{
    return dt_kinds_index (self->kinds, kind);
}

dt_str_t dt_state_kind_name (const dt_state_t *self, int index)
{
    return dt_kinds_name (self->kinds, index);
}

void dt_state_kind_counts (dt_state_t *self, uint64_t (*counts)[3])
{
    for (dt_task_t *task = dt_tasks_next (self->tasks, 0); task;
         task = dt_tasks_next (self->tasks, task->id)) {
        int at = task->state == DT_TASK_QUEUED     ? 0
                 : task->state == DT_TASK_INFLIGHT ? 1
                 : task->state == DT_TASK_DELAYED  ? 2
                                                   : -1;
        int k = at < 0 ? -1 : s_meta (self, task);
        if (k >= 0)
            counts[k][at]++;
    }
    dt_state_due_kind_counts (self, counts); /* those waiting in the store */
}

int dt_state_kinds (const dt_state_t *self)
{
    return dt_kinds_count (self->kinds);
}

uint32_t dt_state_take (dt_state_t *self, uint32_t max, dt_msg_task_t *items, dt_task_t **tasks)
{
    return dt_state_take_kinds (self, UINT64_MAX, max, items, tasks);
}

/* The number T.opts gives `task`: 0 when its job has no HTTP options,
 * else its job's place + 1 in the take's list, the job added (its size
 * into *size, *added set) when new; UINT32_MAX when the list is full. */
static uint32_t s_take_http (dt_state_t *self, const dt_task_t *task, size_t *size, int *added)
{
    /* Tasks come in runs of one job: the last answer usually holds. */
    if (self->take_last_valid && task->job == self->take_last_job)
        return self->take_last_opts;
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    uint32_t opts = 0;
    if (job && job->http) {
        for (uint32_t i = 0; i < self->take_nhttp && !opts; i++)
            if (self->take_jobs[i] == job->index)
                opts = i + 1;
        if (!opts && self->take_nhttp == DT_LIMIT_TASKS_HTTP)
            return UINT32_MAX;
        if (!opts) {
            self->take_jobs[self->take_nhttp] = job->index;
            self->take_http[self->take_nhttp] = *dt_jobhttp_msg (job->http);
            *size += dt_msg_httpopt_size (&self->take_http[self->take_nhttp]);
            *added = 1;
            opts = ++self->take_nhttp;
        }
    }
    self->take_last_valid = 1;
    self->take_last_job = task->job;
    self->take_last_opts = opts;
    return opts;
}

/* Takes back the options s_take_http added for a task that stays. */
static void s_untake_http (dt_state_t *self, int added)
{
    if (!added)
        return;
    self->take_nhttp--;
    self->take_last_valid = 0;
}

uint32_t dt_state_take_http (dt_state_t *self, const dt_msg_httpopt_t **http)
{
    *http = self->take_http;
    return self->take_nhttp;
}

/* The monotonic clock, as the loop's (politeness keeps its times on it). */
static int64_t s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t dt_state_take_kinds (dt_state_t *self, uint64_t kinds, uint32_t max, dt_msg_task_t *items,
                              dt_task_t **tasks)
{
    dt_state_maintain (self);
    uint32_t count = 0;
    size_t bytes = 0;
    uint64_t id;
    uint32_t gen;
    dt_queue_t *from;
    int with_http = dt_jobs_with_http (self->jobs) > 0;
    self->take_nhttp = 0;
    self->take_last_valid = 0;
    int64_t now = 0;
    if (self->polite) {
        now = s_mono_ms ();
        dt_polite_promote (self->polite, now);
        if (kinds & ((uint64_t) 1 << DT_KINDS_HTTP)) /* robots.txt first: pages wait for it */
            count = dt_state_polite_fetches (self, max, items, tasks, &bytes);
    }
    /* Only kinds the master knows have queues: the loops in s_next stop at
     * the highest bit left. */
    int known = dt_kinds_count (self->kinds);
    if (known < 64)
        kinds &= ((uint64_t) 1 << known) - 1;
    while (count < max && (from = s_next (self, kinds, &id, &gen))) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        /* A stale entry: the task left the queue since (TAKE is for
         * QUEUED tasks only, dt_life.h). */
        if (!task || !dt_life_allowed (DT_LIFE_TAKE, (dt_task_state_t) task->state) ||
            task->gen != gen)
            continue;
        int k = s_meta (self, task), p = task->meta & DT_TASK_PRIO;
        if (k < 0 || !(kinds >> k & 1)) {
            /* Not this worker's kind: set aside for one that serves it (a
             * kind that cannot be numbered waits in the first slot). */
            int slot = k < 0 ? DT_KINDS_HTTP : k;
            dt_queue_t **aside = &self->aside[slot][k < 0 ? 0 : p];
            if ((!*aside && !(*aside = dt_queue_new ())) ||
                dt_queue_push_back (*aside, id, gen) != 0) {
                dt_queue_push_front (from, id, gen);
                dt_state_fail (self, "out of memory routing tasks by kind");
                break;
            }
            continue;
        }
        dt_str_t kind, payload;
        dt_spec_opts_t opts;
        dt_spec_split (task->url, task->url_len, &kind, &payload,
                       task->meta & DT_TASK_OPTS ? &opts : NULL);
        if (!(task->meta & DT_TASK_OPTS))
            memset (&opts, 0, sizeof opts);
        if (opts.not_before && opts.not_before > dt_state_wall_ms ()) {
            /* Not yet due (a task put back by REQUEUE): it waits in memory
             * until its time (dt_state_due.c); DUE brings it back. */
            dt_state_due_hold (self, task, opts.not_before);
            if (self->broken)
                break;
            continue;
        }
        dt_msg_task_t item = {task->id,
                              task->attempts + 1,
                              kind,
                              payload,
                              opts.timeout_ms,
                              dt_state_task_flags (self, task) |
                                  dt_state_save_flags (self, task, kind),
                              0};
        size_t size = dt_msg_task_size (&item);
        /* Its job's HTTP options go once in the TASKS; none asked, no look.
         * Options added for a task that then stays are taken back. */
        int added = 0;
        if (with_http && (item.opts = s_take_http (self, task, &size, &added)) == UINT32_MAX) {
            dt_queue_push_front (from, id, gen);
            break;
        }
        if (count > 0 && bytes + size > DT_LIMIT_BATCH_BYTES) {
            s_untake_http (self, added);
            /* Cannot fail: the entry just left the ring. */
            dt_queue_push_front (from, id, gen);
            break;
        }
        dt_polite_host_t *origin = NULL;
        uint32_t delay = 0;
        if (self->polite && k == DT_KINDS_HTTP) {
            int ready = task->parked == DT_TASK_READY;
            int go = dt_state_polite_check (self, task, payload, now, &origin, &delay);
            if (go < 0) {
                s_untake_http (self, added);
                dt_state_fail (self, "out of memory keeping hosts' politeness");
                break;
            }
            if (go == 0) {
                s_untake_http (self, added);
                if (ready && task->parked == DT_TASK_POLITE)
                    s_host_back (self, task); /* it waits: its host's slot goes on */
                continue;
            }
        }
        if (task->parked == DT_TASK_READY) {
            task->parked = 0;                           /* its slot goes out with it */
        } else if (self->hosts && k == DT_KINDS_HTTP) { /* only a URL has a host */
            uint64_t key = dt_hosts_key (payload.ptr, payload.len);
            int room = dt_hosts_take (self->hosts, key);
            if (room == 0 && dt_hosts_park (self->hosts, key, id, gen) == 0) {
                s_untake_http (self, added);
                task->parked = DT_TASK_PARKED;
                self->parked++;
                if (origin)
                    dt_polite_skipped (self->polite, origin);
                continue; /* ready again when a task of its host comes back */
            }
            if (room != 1) {
                s_untake_http (self, added);
                dt_queue_push_front (from, id, gen);
                dt_state_fail (self, "out of memory counting tasks per host");
                break;
            }
        }
        if (origin) {
            dt_polite_started (self->polite, origin, delay, now);
            /* Its origin's next page may be due at once (no delay). */
            dt_polite_promote (self->polite, now);
        }
        bytes += size;
        items[count] = item;
        tasks[count++] = task;
    }
    /* Pages met here may have asked for their origin's robots.txt. */
    if (self->polite && count < max && (kinds & ((uint64_t) 1 << DT_KINDS_HTTP)))
        count += dt_state_polite_fetches (self, max - count, items + count, tasks + count, &bytes);
    return count;
}

void dt_state_lease (dt_state_t *self, dt_worker_t *worker, dt_task_t **tasks, uint32_t count,
                     int64_t now)
{
    for (uint32_t i = 0; i < count; i++) {
        dt_task_t *task = tasks[i];
        if (dt_polite_owns (task->id)) { /* a robots.txt fetch */
            dt_polite_fetch_lease (self->polite, task, now);
            dt_workers_lease (self->workers, worker, task, now);
            continue;
        }
        task->attempts++;
        dt_state_step (self, task, DT_LIFE_LEASE);
        dt_workers_lease (self->workers, worker, task, now);
    }
}

void dt_state_untake (dt_state_t *self, dt_task_t **tasks, uint32_t count)
{
    /* Their hosts' counts come back: a task parked behind one of them is
     * ready to go out again. TAKE and UNTAKE leave a task QUEUED: the life
     * table only says they happen to nothing else. */
    for (uint32_t i = 0; i < count; i++) {
        if (dt_polite_owns (tasks[i]->id))
            continue;
        assert (dt_life_allowed (DT_LIFE_UNTAKE, (dt_task_state_t) tasks[i]->state));
        s_host_back (self, tasks[i]);
        if (self->polite)
            dt_state_polite_ended (self, tasks[i], NULL, 1, 0);
    }
    /* Still QUEUED with the same generation: their entries go back as they
     * were, in order, and cannot fail (they just left the ring). */
    for (uint32_t i = count; i-- > 0;) {
        if (dt_polite_owns (tasks[i]->id))
            dt_polite_fetch_untake (self->polite, tasks[i]);
        else
            dt_queue_push_front (dt_state_queue_of (self, tasks[i]), tasks[i]->id, tasks[i]->gen);
    }
}

uint32_t dt_state_drop_worker (dt_state_t *self, dt_worker_t **worker_p, int64_t now)
{
    dt_worker_t *worker = *worker_p;
    uint32_t count = 0;
    /* From the newest lease, each to the front: the oldest ends up first. */
    while (worker->leases.tail) {
        s_end_lease (self, worker->leases.tail, 1, now);
        count++;
    }
    dt_workers_remove (self->workers, worker_p);
    return count;
}

/* True when `worker` has returned no result for a whole task time limit.
 * A worker ends every task itself at that limit (WELCOME gives it; the
 * lease lasts lease_grace_ms longer), so a lease that expires on such a
 * worker says nothing about the task: the worker is stopped, hung, or a
 * fake that keeps what it gets while it heartbeats. Its leases count as
 * lost with it, like a worker that vanished; a worker that answers for its
 * other tasks but not this one spends the task's attempt. */
static int s_stuck (const dt_state_t *self, const dt_worker_t *worker, int64_t now)
{
    return worker->answered == 0 || now - worker->answered >= (int64_t) self->opts.task_ms;
}

uint32_t dt_state_expire_leases (dt_state_t *self, dt_worker_t *worker, int64_t now)
{
    uint32_t count = 0;
    while (worker->leases.head && now >= dt_state_lease_deadline (self, worker)) {
        /* A worker still here that keeps a task past its limit earns
         * less credit: it holds fewer tasks hostage next time. */
        dt_workers_lost (self->workers, worker);
        s_end_lease (self, worker->leases.head, s_stuck (self, worker, now), now);
        count++;
    }
    return count;
}

int64_t dt_state_lease_deadline (const dt_state_t *self, const dt_worker_t *worker)
{
    /* The head is the lease that started first; a waiting head means none
     * runs (a worker that runs nothing at once). */
    const dt_task_t *head = worker->leases.head;
    if (!head || head->since == DT_LEASE_WAITING)
        return INT64_MAX;
    return head->since + self->opts.task_ms + self->opts.lease_grace_ms;
}

void dt_state_promote_due (dt_state_t *self, int64_t now)
{
    /* Every turn: jobs finish with no take to follow when the queue is empty. */
    dt_state_archive_reclaim (self); /* first: the turn's commit just ran */
    dt_state_retire_jobs (self);
    dt_state_purge_step (self);
    dt_state_cancel_step (self, now);
    dt_state_crawl_sweep (self);
    uint64_t id;
    uint32_t gen;
    while (dt_queue_pop_due (self->queue, now, &id, &gen) == 0) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (task && task->state == DT_TASK_DELAYED && task->gen == gen)
            dt_state_enqueue (self, task, DT_LIFE_DUE, 1);
    }
    dt_state_due_promote (self);
    if (self->polite)
        dt_polite_promote (self->polite, now);
}

int64_t dt_state_next_due (const dt_state_t *self)
{
    if (dt_jobs_purges (self->jobs) > 0 || self->ncancels > 0 ||
        dt_state_archive_reclaim_due (self))
        return 0;
    int64_t retry = dt_queue_next_due (self->queue);
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    int64_t timed = dt_state_due_next (self, (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    int64_t due = retry < timed ? retry : timed;
    if (self->polite) {
        int64_t polite = dt_polite_next_due (self->polite);
        due = polite < due ? polite : due;
    }
    return due;
}

int dt_state_page_push (dt_state_pager_t *pager, const dt_record_t *item)
{
    if (pager->count >= pager->max)
        return 0;
    /* A page is one PAGE message: bounded by what its items take encoded. */
    dt_msg_result_t wire = dt_record_to_msg (item);
    size_t size = dt_msg_result_size (&wire);
    if (pager->count > 0 && pager->bytes + size > DT_LIMIT_REPLY_BYTES)
        return 0;
    pager->bytes += size;
    pager->items[pager->count++] = *item;
    return 1;
}

uint32_t dt_state_page (dt_state_t *self, dt_str_t job_name, uint64_t *cursor, uint32_t max,
                        uint32_t flags, dt_record_t *items)
{
    dt_state_pager_t pager = {.items = items,
                              .max = max > DT_LIMIT_BATCH_MAX ? DT_LIMIT_BATCH_MAX : max};
    const dt_job_t *job = NULL;
    uint64_t first = dt_results_first (self->results);
    uint64_t last = dt_results_last (self->results);
    if (*cursor >= last)
        return 0;
    /* Older results than memory holds come from the store, then the page
     * goes on in memory; so do those of a job from before it came into
     * memory (they may carry another number), and all of a job no longer
     * in memory. Without a store, what left memory is gone. */
    uint64_t split = first - 1;
    if (job_name.len && dt_jobs_purging (self->jobs, job_name)) {
        *cursor = last; /* its rows are going */
        return 0;
    }
    if (job_name.len && !(job = dt_jobs_find (self->jobs, job_name)))
        split = last;
    else if (job && job->since_seq > split)
        split = job->since_seq;
    if (!self->store && *cursor < first - 1)
        *cursor = first - 1;
    if (!self->store && !job && job_name.len)
        return 0;
    if (self->store && *cursor < split &&
        !dt_state_page_from_store (self, &pager, job_name, cursor, split, flags))
        return pager.count;
    if (job_name.len && !job)
        return pager.count;
    /* Past a job's latest result there is none of it: the scan stops there. */
    uint64_t end = job && job->last_seq < last ? job->last_seq : last;
    uint64_t seq = *cursor + 1 > first ? *cursor + 1 : first;
    for (; seq <= end; seq++) {
        const dt_result_t *entry = dt_results_get (self->results, seq);
        if (entry && entry->task && (!job || entry->job == job->index) &&
            (!(flags & DT_FETCH_FAILED_ONLY) || entry->state == DT_STATE_FAILED)) {
            dt_record_t item;
            dt_results_to_record (entry, &item);
            if (!dt_state_page_push (&pager, &item))
                break;
        }
        *cursor = seq;
    }
    if (seq > end)
        *cursor = last; /* read to the end: what lies past `end` is not its */
    return pager.count;
}

void dt_state_stats (dt_state_t *self, dt_str_t job_name, dt_msg_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    const uint64_t *states = self->counts.states;
    if (job_name.len) {
        const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
        if (!job) {
            dt_state_job_stats_stored (self, job_name, stats);
            return;
        }
        states = job->states;
        stats->submitted = job->total;
        stats->retried = job->retried;
        stats->duplicates = job->duplicates;
        stats->late = job->late;
    } else {
        stats->submitted = self->counts.submitted;
        stats->retried = self->counts.retried;
        stats->duplicates = self->counts.duplicates;
        stats->late = self->counts.late;
        stats->invalid = self->counts.invalid;
    }
    stats->pending = states[DT_TASK_QUEUED];
    stats->inflight = states[DT_TASK_INFLIGHT];
    stats->delayed = states[DT_TASK_DELAYED];
    stats->done = states[DT_TASK_DONE];
    stats->failed = states[DT_TASK_FAILED];
}

void dt_state_reopen (dt_state_t *self, dt_task_t *task, uint64_t seq)
{
    dt_result_t *entry = dt_results_get (self->results, seq);
    if (entry)
        entry->task = 0; /* FETCH no longer returns it; its position stays */
    task->attempts = dt_state_round_attempts (self, task->attempts);
    task->lost = 0;
    dt_state_budget_hold (self, task->url_len); /* it will write a result again */
    dt_state_enqueue (self, task, DT_LIFE_REQUEUE, 0);
}

int dt_state_requeue (dt_state_t *self, dt_str_t job_name, uint32_t flags, uint64_t *count)
{
    *count = 0;
    const dt_job_t *job = NULL;
    char why[64];
    if (job_name.len && dt_state_purge_blocks (self, job_name, why, sizeof why))
        return 0;
    if (job_name.len && !(job = dt_state_job_stored (self, job_name)))
        return self->broken ? -1 : 0;
    /* A CANCEL under way would cancel again what it reopened. */
    if (job && job->cancel_to)
        return 0;
    /* The scan stops once every failed task is back: nothing failed, no scan. */
    uint64_t failed = job ? job->states[DT_TASK_FAILED] : self->counts.states[DT_TASK_FAILED];
    if (failed == 0)
        return 0;
    if (self->store)
        return dt_state_requeue_from_store (self, job_name, flags, count);
    uint64_t last = dt_results_last (self->results);
    for (uint64_t seq = 1; *count < failed && seq <= last; seq++) {
        dt_result_t *entry = dt_results_get (self->results, seq);
        if (!entry || !entry->task || entry->state != DT_STATE_FAILED ||
            (job && entry->job != job->index) || !dt_jobs_at (self->jobs, entry->job))
            continue;
        if (!(flags & DT_REQUEUE_CANCELLED) &&
            dt_state_is_cancelled (dt_str_n (entry->error, entry->error_len)))
            continue;
        dt_task_t *task = dt_state_task_back (self, entry);
        if (task && task->state == DT_TASK_FAILED) {
            dt_state_reopen (self, task, seq);
            (*count)++;
        }
    }
    return self->broken ? -1 : 0;
}

int dt_state_cancel (dt_state_t *self, dt_str_t job_name, uint64_t *count, int64_t now)
{
    *count = 0;
    dt_job_t *job = dt_jobs_find (self->jobs, job_name);
    if (!job)
        return 0;
    /* Refused before anything changes when its cold tasks could not wait. */
    if (self->counts.cold > 0 && !job->cancel_to && self->ncancels == DT_LIMIT_CANCELS_MAX)
        return DT_ERR_QUEUE_FULL;
    /* Jobs keep no list of their tasks; cancelling is rare, so one pass over
     * the table costs less than keeping one up to date on every submit. */
    uint64_t unfinished = dt_life_unfinished (job->states);
    dt_task_t *task = NULL;
    uint64_t id = 0;
    while (*count < unfinished && !self->broken && (task = dt_tasks_next (self->tasks, id))) {
        id = task->id;
        if (task->job != job->index || !dt_state_is_busy (task))
            continue;
        /* Its queue or retry entry goes stale with the state change. */
        dt_state_finish (self, task, DT_LIFE_CANCEL, NULL, dt_str_n ("", 0), DT_STATE_CANCELLED,
                         now);
        (*count)++;
    }
    /* The delayed ones in the store first: what is left unfinished is cold. */
    if (*count < unfinished && self->counts.later > 0)
        dt_state_due_cancel (self, job, count, now);
    int rc = 0;
    if (*count < unfinished && self->counts.cold > 0 && !self->broken)
        rc = dt_state_cancel_cold (self, job, count);
    dt_state_maintain (self);
    return self->broken ? -1 : rc;
}

void dt_state_count_invalid (dt_state_t *self)
{
    dt_life_count (&self->counts, NULL, DT_LIFE_INVALID);
}

uint64_t dt_state_last_seq (const dt_state_t *self)
{
    return dt_results_last (self->results);
}

uint64_t dt_state_queued (const dt_state_t *self)
{
    /* Parked tasks wait for a lease to end, not for a worker's credit; so
     * do the store's while the queue in memory has no room for them. */
    uint64_t queued = dt_state_hot_ready (self);
    if (self->counts.cold > 0 && dt_state_hot_room (self, 1))
        queued += self->counts.cold;
    if (self->polite)
        queued += dt_polite_fetches (self->polite);
    return queued;
}

size_t dt_state_jobs (const dt_state_t *self)
{
    return dt_jobs_count (self->jobs);
}

size_t dt_state_memory (const dt_state_t *self)
{
    return dt_tasks_memory (self->tasks) + dt_results_memory (self->results) +
           dt_jobs_memory (self->jobs);
}

uint64_t dt_state_cold (const dt_state_t *self)
{
    return self->counts.cold;
}

dt_workers_t *dt_state_workers (dt_state_t *self)
{
    return self->workers;
}
