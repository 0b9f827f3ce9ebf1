/* dt_state_tick.c - what the loop's tick asks of the model: leases that end (worker gone, past
 * their time), retries that fall due, and when the next deadline is. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"

#include <stdint.h>
#include <time.h>

uint32_t dt_state_drop_worker (dt_state_t *self, dt_worker_t **worker_p, int64_t now)
{
    dt_worker_t *worker = *worker_p;
    uint32_t count = 0;
    /* From the newest lease, each to the front: the oldest ends up first. */
    while (worker->leases.tail) {
        dt_state_end_lease (self, worker->leases.tail, 1, now);
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
        dt_state_end_lease (self, worker->leases.head, s_stuck (self, worker, now), now);
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
    dt_state_steps_run (self, now);
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
    if (dt_state_steps_pending (self) || dt_state_archive_reclaim_due (self))
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
