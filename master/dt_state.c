/* dt_state.c - the master's model: tasks, queue, jobs, results and workers, and every transition
 * between them. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_url.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

dt_state_t *dt_state_new (const dt_state_opts_t *opts, dt_store_t *store)
{
    dt_state_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->opts = *opts;
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
    self->workers = dt_workers_new ();
    if (opts->host_limit > 0 &&
        (!(self->hosts = dt_hosts_new (opts->host_limit)) || !(self->unparked = dt_queue_new ()))) {
        dt_state_destroy (&self);
        return NULL;
    }
    if (!self->tasks || !self->queue || !self->cold || !self->jobs || !self->results ||
        !self->workers) {
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
    dt_workers_destroy (&self->workers);
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

static void s_host_back (dt_state_t *self, const dt_task_t *task);

void dt_state_set (dt_state_t *self, dt_task_t *task, dt_task_state_t state)
{
    /* Leaving the queue (or queued afresh): its entry behind its host, or
     * in the ready queue, is stale, and a slot it held goes back. */
    if (task->parked == DT_TASK_PARKED)
        self->parked--;
    uint8_t was = task->parked;
    task->parked = 0;
    if (was == DT_TASK_READY)
        s_host_back (self, task);
    dt_state_count (self, dt_jobs_at (self->jobs, task->job), task->state, state);
    task->state = (uint8_t) state;
}

void dt_state_count (dt_state_t *self, dt_job_t *job, dt_task_state_t from, dt_task_state_t to)
{
    if (from != DT_TASK_NONE) {
        self->states[from]--;
        job->states[from]--;
    }
    self->states[to]++;
    job->states[to]++;
    dt_state_job_moved (self, job, to);
}

/* Queues a task. A new generation makes any older entry of it stale. */
void dt_state_enqueue (dt_state_t *self, dt_task_t *task, int front)
{
    task->gen++;
    dt_state_set (self, task, DT_TASK_QUEUED);
    int rc = front ? dt_queue_push_front (self->queue, task->id, task->gen)
                   : dt_queue_push_back (self->queue, task->id, task->gen);
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
    dt_state_set (self, task, DT_TASK_DELAYED);
    if (dt_queue_delay (self->queue, due, task->id, task->gen) != 0)
        dt_state_fail (self, "out of memory delaying a task");
}

/* A slot of `task`'s host came back (its lease ended, or it was not sent,
 * or a ready task left the queue): the oldest task parked behind the
 * host's limit, if it still waits, takes the slot and is ready to go out
 * before the rest of the queue. Holding the slot until then, it cannot be
 * lost if that task ends first (its dt_state_set passes the slot on). */
static void s_host_back (dt_state_t *self, const dt_task_t *task)
{
    if (!self->hosts)
        return;
    uint64_t key = dt_hosts_key (task->url, task->url_len), id;
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
static void s_release (dt_state_t *self, dt_task_t *task)
{
    dt_workers_release (self->workers, task);
    s_host_back (self, task);
}

/* Records the final result of `task`: appends it to the results log (with
 * the task's URL and job), writes it to the store, frees its lease. `from`
 * is a worker result (RESULTS form) or NULL, `error` overrides its error. */
void dt_state_finish (dt_state_t *self, dt_task_t *task, uint8_t state, const dt_msg_result_t *from,
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
        s_release (self, task);
    uint64_t seq = dt_results_last (self->results) + 1;
    if (dt_results_append (self->results, seq, task->id, task->job, &r) != 0) {
        dt_state_fail (self, "out of memory recording a result");
        return;
    }
    if (self->store)
        dt_state_check (self, dt_store_finish (self->store, seq, &r));
    dt_state_budget_release (self, task->url_len);
    dt_state_set (self, task, state == DT_STATE_DONE ? DT_TASK_DONE : DT_TASK_FAILED);
    self->unswept++;
}

/* A lease ended without a result: back to the front of the queue, unless
 * the task has used its attempts. */
static void s_end_lease (dt_state_t *self, dt_task_t *task)
{
    if (task->attempts >= self->opts.max_attempts) {
        dt_state_finish (self, task, DT_STATE_FAILED, NULL, dt_str_n ("", 0), "lease lost");
        return;
    }
    s_release (self, task);
    dt_state_enqueue (self, task, 1);
    if (self->store)
        dt_state_check (self, dt_store_set_attempts (self->store, task->id, task->attempts));
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
                  "use a new job id",
                  chunk);
        return DT_ERR_CONFLICT;
    }

    for (uint32_t i = 0; i < nurls; i++) {
        char why[128];
        if (dt_url_check (urls[i].ptr, urls[i].len, why, sizeof why) != 0) {
            snprintf (err, err_size, "url %" PRIu32 ": %s", i + 1, why);
            return DT_ERR_BAD_URL;
        }
    }
    uint64_t unfinished = self->states[DT_TASK_QUEUED] + self->states[DT_TASK_INFLIGHT] +
                          self->states[DT_TASK_DELAYED];
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
    int cold = self->store && (self->cold_queued > 0 || !dt_state_hot_room (self, nurls));
    /* Reserve first, so that once tasks are being created nothing can fail
     * half-way through the chunk. */
    /* With a store the chunk is only there: its primary key answers resends. */
    if (!(job = dt_state_job_ensure (self, job_name)) ||
        (!cold && (dt_tasks_reserve (self->tasks, first, urls, nurls) != 0 ||
                   dt_queue_reserve (self->queue, nurls) != 0)) ||
        (!self->store && dt_jobs_chunk_add (self->jobs, job, chunk, first, nurls,
                                            dt_jobs_urls_hash (urls, nurls)) != 0)) {
        snprintf (err, err_size, "out of memory");
        return DT_ERR_STORE;
    }
    self->next_id += nurls;
    if (self->store)
        dt_state_check (self, dt_store_add_chunk (self->store, job_name, chunk, first, nurls));
    if (cold) {
        if (dt_cold_add (self->cold, first, nurls) != 0)
            dt_state_fail (self, "out of memory queueing tasks in the store");
        job->total += nurls;
        self->submitted += nurls;
        job->states[DT_TASK_QUEUED] += nurls;
        self->states[DT_TASK_QUEUED] += nurls;
        self->cold_queued += nurls;
    }
    for (uint32_t i = 0; !cold && i < nurls; i++) {
        dt_task_t *task =
            dt_tasks_add (self->tasks, first + i, job->index, urls[i].ptr, urls[i].len);
        if (!task) {
            dt_state_fail (self, "out of memory adding a task");
            break;
        }
        job->total++;
        self->submitted++;
        dt_state_enqueue (self, task, 0);
    }
    if (self->store)
        dt_state_check (self, dt_store_add_tasks (self->store, first, job_name, urls, nurls));
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
    if (!task && result->outcome <= DT_OUTCOME_FAIL &&
        dt_state_final_elsewhere (self, result->id)) {
        self->duplicates++;
        return;
    }
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
    if (from && task->state == DT_TASK_INFLIGHT && result->attempt == task->attempts &&
        dt_workers_at (self->workers, task->worker) != from) {
        /* The attempt running now is leased to another worker: this one
         * cannot have run it. (A late result of an earlier attempt, from a
         * worker whose lease ended, still counts: that work was done.) */
        self->invalid++;
        dt_log_debug ("RESULT-NOT-LEASED",
                      "task %" PRIu64 " attempt %u is leased to another worker", result->id,
                      result->attempt);
        return;
    }
    if (result->outcome == DT_OUTCOME_RETRY) {
        /* Only the current lease may ask for a retry; a RETRY from an older
         * dispatch (a worker presumed dead) must not cut short the attempt
         * now running, nor fail the task on its behalf. */
        if (task->state != DT_TASK_INFLIGHT || result->attempt != task->attempts)
            return;
        if (task->attempts < self->opts.max_attempts) {
            s_release (self, task);
            s_delay (self, task, now + s_backoff_ms (self, task->attempts));
            if (self->store)
                dt_state_check (self,
                                dt_store_set_attempts (self->store, task->id, task->attempts));
            return;
        }
    }
    /* From a peer not (yet) registered, the name its RESULTS carried. */
    dt_str_t worker = from ? dt_str_n (from->name, from->name_len) : result->worker;
    dt_state_finish (self, task,
                     result->outcome == DT_OUTCOME_DONE ? DT_STATE_DONE : DT_STATE_FAILED, result,
                     worker, NULL);
    if (from)
        from->done++;
}

/* The next entry to hand out: unparked tasks first (they left the queue
 * before the rest of it), then the queue. Returns the queue it came from,
 * or NULL when both are empty. */
static dt_queue_t *s_next (dt_state_t *self, uint64_t *id, uint32_t *gen)
{
    if (self->unparked && dt_queue_pop (self->unparked, id, gen) == 0)
        return self->unparked;
    return dt_queue_pop (self->queue, id, gen) == 0 ? self->queue : NULL;
}

uint32_t dt_state_take (dt_state_t *self, uint32_t max, dt_msg_task_t *items, dt_task_t **tasks)
{
    dt_state_maintain (self);
    uint32_t count = 0;
    size_t bytes = 0;
    uint64_t id;
    uint32_t gen;
    dt_queue_t *from;
    while (count < max && (from = s_next (self, &id, &gen))) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (!task || task->state != DT_TASK_QUEUED || task->gen != gen)
            continue; /* stale entry */
        dt_msg_task_t item = {task->id, task->attempts + 1, dt_str_n (task->url, task->url_len)};
        size_t size = dt_msg_task_size (&item);
        if (count > 0 && bytes + size > DT_LIMIT_BATCH_BYTES) {
            /* Cannot fail: the entry just left the ring. */
            dt_queue_push_front (from, id, gen);
            break;
        }
        if (task->parked == DT_TASK_READY) {
            task->parked = 0; /* its slot goes out with it */
        } else if (self->hosts) {
            uint64_t key = dt_hosts_key (task->url, task->url_len);
            int room = dt_hosts_take (self->hosts, key);
            if (room == 0 && dt_hosts_park (self->hosts, key, id, gen) == 0) {
                task->parked = DT_TASK_PARKED;
                self->parked++;
                continue; /* ready again when a task of its host comes back */
            }
            if (room != 1) {
                dt_queue_push_front (from, id, gen);
                dt_state_fail (self, "out of memory counting tasks per host");
                break;
            }
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
        dt_state_set (self, task, DT_TASK_INFLIGHT);
        dt_workers_lease (self->workers, worker, task, now);
    }
}

void dt_state_untake (dt_state_t *self, dt_task_t **tasks, uint32_t count)
{
    /* Their hosts' counts come back: a task parked behind one of them is
     * ready to go out again. */
    for (uint32_t i = 0; i < count; i++)
        s_host_back (self, tasks[i]);
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
    /* Every turn: jobs finish with no take to follow when the queue is empty. */
    dt_state_retire_jobs (self);
    dt_state_purge_step (self);
    uint64_t id;
    uint32_t gen;
    while (dt_queue_pop_due (self->queue, now, &id, &gen) == 0) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (task && task->state == DT_TASK_DELAYED && task->gen == gen)
            dt_state_enqueue (self, task, 1);
    }
}

int64_t dt_state_next_due (const dt_state_t *self)
{
    if (dt_jobs_purges (self->jobs) > 0)
        return 0;
    return dt_queue_next_due (self->queue);
}

int dt_state_page_push (dt_state_pager_t *pager, const dt_msg_result_t *item)
{
    if (pager->count >= pager->max)
        return 0;
    size_t size = dt_msg_result_size (item);
    if (pager->count > 0 && pager->bytes + size > DT_LIMIT_BATCH_BYTES)
        return 0;
    pager->bytes += size;
    pager->items[pager->count++] = *item;
    return 1;
}

uint32_t dt_state_page (dt_state_t *self, dt_str_t job_name, uint64_t *cursor, uint32_t max,
                        uint32_t flags, dt_msg_result_t *items)
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
            dt_msg_result_t item;
            dt_results_to_msg (entry, &item);
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
    const uint64_t *states = self->states;
    if (job_name.len) {
        const dt_job_t *job = dt_jobs_find (self->jobs, job_name);
        if (!job) {
            dt_state_job_stats_stored (self, job_name, stats);
            return;
        }
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

void dt_state_reopen (dt_state_t *self, dt_task_t *task, uint64_t seq)
{
    dt_result_t *entry = dt_results_get (self->results, seq);
    if (entry)
        entry->task = 0; /* FETCH no longer returns it; its position stays */
    task->attempts = 0;
    dt_state_enqueue (self, task, 0);
    if (self->store)
        dt_state_check (self, dt_store_reopen (self->store, task->id));
}

int dt_state_requeue (dt_state_t *self, dt_str_t job_name, uint64_t *count)
{
    *count = 0;
    const dt_job_t *job = NULL;
    char why[64];
    if (job_name.len && dt_state_purge_blocks (self, job_name, why, sizeof why))
        return 0;
    if (job_name.len && !(job = dt_state_job_stored (self, job_name)))
        return self->broken ? -1 : 0;
    /* The scan stops once every failed task is back: nothing failed, no scan. */
    uint64_t failed = job ? job->states[DT_TASK_FAILED] : self->states[DT_TASK_FAILED];
    if (failed == 0)
        return 0;
    if (self->store)
        return dt_state_requeue_from_store (self, job_name, count);
    uint64_t last = dt_results_last (self->results);
    for (uint64_t seq = 1; *count < failed && seq <= last; seq++) {
        dt_result_t *entry = dt_results_get (self->results, seq);
        if (!entry || !entry->task || entry->state != DT_STATE_FAILED ||
            (job && entry->job != job->index) || !dt_jobs_at (self->jobs, entry->job))
            continue;
        dt_task_t *task = dt_state_task_back (self, entry);
        if (task && task->state == DT_TASK_FAILED) {
            dt_state_reopen (self, task, seq);
            (*count)++;
        }
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
    dt_task_t *task = NULL;
    uint64_t id = 0;
    while (*count < unfinished && !self->broken && (task = dt_tasks_next (self->tasks, id))) {
        id = task->id;
        if (task->job != job->index || !dt_state_is_busy (task))
            continue;
        /* Its queue or retry entry goes stale with the state change. */
        dt_state_finish (self, task, DT_STATE_FAILED, NULL, dt_str_n ("", 0), "cancelled");
        (*count)++;
    }
    if (*count < unfinished && self->cold_queued > 0)
        dt_state_cancel_cold (self, job, count);
    dt_state_maintain (self);
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
    /* Parked tasks wait for a lease to end, not for a worker's credit; so
     * do the store's while the queue in memory has no room for them. */
    uint64_t queued = dt_state_hot_ready (self);
    if (self->cold_queued > 0 && dt_state_hot_room (self, 1))
        queued += self->cold_queued;
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
    return self->cold_queued;
}

dt_workers_t *dt_state_workers (dt_state_t *self)
{
    return self->workers;
}
