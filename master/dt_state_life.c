/* dt_state_life.c - one task's moves in memory: the life table applied (counters, store writes, its
 * queue), the slots it holds, and its end. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attempts that spent the task's max_attempts: every dispatch but the
 * leases lost with a vanished worker. */
static uint32_t s_spent (const dt_task_t *task)
{
    return task->attempts - task->lost;
}

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
uint32_t dt_state_spent_round (const dt_state_t *self, const dt_task_t *task)
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

/* Counts `task` into (d = 1) or out of (d = -1) the QUEUED tasks in memory
 * of its kind and level (self->hot). */
static void s_count_hot (dt_state_t *self, dt_task_t *task, int d)
{
    int k = dt_state_meta (self, task), p = k < 0 ? 0 : task->meta & DT_TASK_PRIO;
    uint64_t *hot = &self->hot[k < 0 ? DT_KINDS_HTTP : k][p > DT_PRIORITY_MAX ? 0 : p];
    if (d > 0)
        (*hot)++;
    else if (*hot > 0)
        (*hot)--;
}

void dt_state_step (dt_state_t *self, dt_task_t *task, dt_life_event_t event)
{
    dt_task_state_t was = (dt_task_state_t) task->state;
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    const dt_life_rule_t *rule =
        dt_life_step (&self->counts, job, &task->state, event,
                      event == DT_LIFE_LEASE ? s_in_round (self, task->attempts) : 0);
    assert (rule);
    /* WARM: QUEUED all along, in memory from now on. */
    if ((was == DT_TASK_QUEUED) != (rule->to == DT_TASK_QUEUED) || event == DT_LIFE_WARM)
        s_count_hot (self, task, rule->to == DT_TASK_QUEUED ? 1 : -1);
    dt_state_job_moved (self, job, event);
    if (was == DT_TASK_QUEUED && rule->to != DT_TASK_QUEUED) {
        /* Leaving the queue: its entry behind its host, or in the ready
         * queue, is stale, and a slot it held goes back. */
        if (task->parked == DT_TASK_PARKED)
            self->parked--;
        uint8_t parked = task->parked;
        task->parked = 0;
        if (parked == DT_TASK_READY)
            dt_state_host_back (self, task);
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
int dt_state_meta (dt_state_t *self, dt_task_t *task)
{
    if (!task->kind) {
        /* A spec with no NUL is an http URL with no options (dt_spec.h),
         * what almost every task is: http, priority 0, nothing to split. */
        if (!memchr (task->url, '\0', task->url_len)) {
            task->kind = DT_KINDS_HTTP + 1;
            task->meta = 0;
            return DT_KINDS_HTTP;
        }
        dt_str_t kind, payload;
        dt_spec_opts_t opts;
        dt_spec_split (task->url, task->url_len, &kind, &payload, &opts);
        int k = dt_kinds_index (self->kinds, kind);
        if (k < 0)
            return -1;
        task->kind = (uint8_t) (k + 1);
        task->meta = (uint8_t) ((opts.priority & DT_TASK_PRIO) | DT_TASK_OPTS);
    }
    return task->kind - 1;
}

dt_queue_t *dt_state_queue_of (dt_state_t *self, dt_task_t *task)
{
    int p = dt_state_meta (self, task) < 0 ? 0 : task->meta & DT_TASK_PRIO;
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
    int p = dt_state_meta (self, task) < 0 ? 0 : task->meta & DT_TASK_PRIO;
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
uint32_t dt_state_max_attempts (dt_state_t *self, dt_task_t *task)
{
    if (dt_state_meta (self, task) >= 0 && (task->meta & DT_TASK_OPTS)) {
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

/* A slot of `task`'s host came back (its lease ended, or it was not sent,
 * or a ready task left the queue): the oldest task parked behind the
 * host's limit, if it still waits, takes the slot and is ready to go out
 * before the rest of the queue. Holding the slot until then, it cannot be
 * lost if that task ends first (its dt_state_step passes the slot on). */
void dt_state_host_back (dt_state_t *self, const dt_task_t *task)
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
void dt_state_release (dt_state_t *self, dt_task_t *task, const dt_report_t *report, int64_t now)
{
    dt_workers_release (self->workers, task, now);
    if (self->polite || (report && report->retry_after_ms))
        dt_state_polite_ended (self, task, report, 0, now);
    dt_state_host_back (self, task);
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
        dt_state_release (self, task, from, now);
    uint64_t seq = dt_results_last (self->results) + 1;
    if (dt_results_append (self->results, seq, task->id, task->job, &r) != 0) {
        dt_state_fail (self, "out of memory recording a result");
        return;
    }
    if (self->store) {
        dt_state_check (self, dt_store_finish (self->store, seq, &r));
        dt_state_meta (self, task);
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
void dt_state_end_lease (dt_state_t *self, dt_task_t *task, int vanished, int64_t now)
{
    if (dt_polite_owns (task->id)) { /* a robots.txt fetch */
        dt_workers_release (self->workers, task, now);
        dt_polite_fetch_lost (self->polite, task, now);
        return;
    }
    if (vanished)
        task->lost++; /* below max_lost <= UINT16_MAX, or the task fails now */
    if (vanished ? task->lost >= self->opts.max_lost
                 : dt_state_spent_round (self, task) >= dt_state_max_attempts (self, task)) {
        dt_state_finish (self, task, DT_LIFE_LEASE_LOST_LAST, NULL, dt_str_n ("", 0), "lease lost",
                         now);
        return;
    }
    dt_state_release (self, task, NULL, now);
    dt_state_enqueue (self, task, DT_LIFE_LEASE_LOST, 1);
}
