/* dt_state_take.c - dispatch: queued tasks taken for one TASKS message (priority, kind, hosts,
 * politeness), then leased or put back. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    /* What of these kinds waits in the store, more urgent than anything of
     * theirs in memory, comes in for this take. */
    if (self->store && count < max)
        dt_state_refill_kinds (self, kinds, max - count);
    while (count < max && (from = s_next (self, kinds, &id, &gen))) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        /* A stale entry: the task left the queue since (TAKE is for
         * QUEUED tasks only, dt_life.h). */
        if (!task || !dt_life_allowed (DT_LIFE_TAKE, (dt_task_state_t) task->state) ||
            task->gen != gen)
            continue;
        int k = dt_state_meta (self, task), p = task->meta & DT_TASK_PRIO;
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
        if (task->meta & DT_TASK_OPTS)
            dt_spec_split (task->url, task->url_len, &kind, &payload, &opts);
        else /* no NUL (dt_state_meta): an http URL with no options, nothing to split */
            dt_spec_plain (task->url, task->url_len, &kind, &payload, &opts);
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
                    dt_state_host_back (self, task); /* it waits: its host's slot goes on */
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
        dt_state_host_back (self, tasks[i]);
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
