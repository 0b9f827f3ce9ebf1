/* dt_state.c - the master's model: creating and destroying it, its run's epoch, its failure flag,
 * and what it reports (counters, kinds, sizes). */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"

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
    self->cold = dt_coldq_new ();
    self->jobs = dt_jobs_new ();
    self->steps = dt_steps_new ();
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
    if (!self->tasks || !self->queue || !self->cold || !self->jobs || !self->steps ||
        !self->results || !self->workers || !self->kinds || !self->timed || !self->crawls ||
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
    dt_steps_destroy (&self->steps);
    dt_coldq_destroy (&self->cold);
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

/* The store's name for the epoch counter. */
#define DT_STATE_EPOCH_KEY "epoch"

/* A random epoch, nonzero and below 2^62 (a store's counter goes on from
 * it for ever without wrapping). */
static uint64_t s_random_epoch (dt_state_t *self)
{
    uint64_t epoch = 0;
    while (epoch == 0)
        if (getrandom (&epoch, sizeof epoch, 0) != (ssize_t) sizeof epoch)
            epoch = dt_state_random (self);
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

uint64_t dt_state_random (dt_state_t *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng = x;
    return x;
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
        int k = at < 0 ? -1 : dt_state_meta (self, task);
        if (k >= 0)
            counts[k][at]++;
    }
    for (int k = 0; k < dt_kinds_count (self->kinds) && k < DT_LIMIT_KINDS_MAX; k++)
        counts[k][0] += dt_coldq_kind_count (self->cold, k); /* queued in the store */
    dt_state_due_kind_counts (self, counts);                 /* delayed in the store */
}

int dt_state_kinds (const dt_state_t *self)
{
    return dt_kinds_count (self->kinds);
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
