/* dt_state_steps.c - CANCEL, REQUEUE and PURGE of a job's rows in the store run in bounded steps
 * across loop turns (dt_steps.h): one runner for the three, their caps, and their restart. */
#include "dt_state_priv.h"
#include "dt_fault.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_store_steps.h"

#include <inttypes.h>

/* Operations of each kind under way at most; the next is refused
 * (QUEUE_FULL, retry later). Each is ~100 bytes here and one row in the
 * store. */
static const size_t s_max[DT_STEPS_KINDS] = {
    [DT_STEPS_CANCEL] = DT_LIMIT_CANCELS_MAX,
    [DT_STEPS_REQUEUE] = DT_LIMIT_REQUEUES_MAX,
    [DT_STEPS_PURGE] = DT_JOBS_PURGES_MAX,
};

int dt_state_purging (const dt_state_t *self, dt_str_t name)
{
    return dt_steps_find (self->steps, DT_STEPS_PURGE, name) != NULL;
}

int dt_state_steps_pending (const dt_state_t *self)
{
    return dt_steps_count (self->steps, 0) > 0;
}

int dt_state_steps_full (const dt_state_t *self, int kind)
{
    return dt_steps_count (self->steps, kind) >= s_max[kind];
}

dt_steps_op_t *dt_state_steps_add (dt_state_t *self, int kind, dt_str_t job)
{
    return dt_steps_add (self->steps, kind, job, 0, s_max[kind]);
}

void dt_state_steps_save (dt_state_t *self, const dt_steps_op_t *op)
{
    if (self->store)
        dt_state_check (self, dt_store_steps_put (self->store, op));
}

void dt_state_steps_end (dt_state_t *self, dt_steps_op_t *op)
{
    if (self->store)
        dt_state_check (self, dt_store_steps_drop (self->store, op));
    dt_steps_remove (self->steps, op);
}

void dt_state_steps_cancelled (dt_state_t *self, dt_job_t *job)
{
    /* A REQUEUE of the job under way would reopen what the CANCEL ends:
     * the CANCEL wins, its failed tasks not reopened yet stay failed. One
     * of every job asked before leaves this job alone from now on. */
    dt_steps_op_t *op =
        dt_steps_find (self->steps, DT_STEPS_REQUEUE, dt_str_n (job->name, job->name_len));
    if (op) {
        dt_log_peer_info ("MASTER-REQUEUE-CANCELLED", "job %s: the requeue under way ends",
                          job->name);
        dt_state_steps_end (self, op);
    }
    job->cancel_mark = dt_steps_next_added (self->steps);
}

void dt_state_steps_run (dt_state_t *self, int64_t now)
{
    /* One step of the oldest operation of each kind: a purge under way does
     * not hold a cancel back. A step reads and writes at most a step's rows
     * (DT_LIMIT_CANCEL_STEP, DT_LIMIT_REQUEUE_STEP, DT_STORE_PURGE_STEP). */
    for (int kind = 1; kind < DT_STEPS_KINDS && !self->broken; kind++) {
        dt_steps_op_t *op = dt_steps_first (self->steps, kind);
        if (!op)
            continue;
        uint64_t count = 0;
        int rc = kind == DT_STEPS_CANCEL    ? dt_state_cancel_step (self, op, now)
                 : kind == DT_STEPS_REQUEUE ? dt_state_requeue_step (self, op, &count)
                                            : dt_state_purge_step (self, op);
        if (rc < 0 || self->broken)
            return;
        /* Where it goes on is written with the rows the step changed. */
        if (rc == 1) {
            dt_state_steps_end (self, op);
            continue;
        }
        dt_state_steps_save (self, op);
        /* Tests: killed here, the store holds the operation as the last
         * committed step left it, and the next master goes on from there. */
        DT_FAULT_CRASH ("master-after-step");
    }
}

/* ---- Restart -------------------------------------------------------------- */

static int s_on_step (void *arg, const dt_steps_op_t *stored)
{
    dt_state_t *self = arg;
    if (dt_steps_find (self->steps, stored->kind, dt_steps_job (stored)))
        return 0;
    dt_steps_op_t *op = dt_steps_add (self->steps, stored->kind, dt_steps_job (stored),
                                      stored->added, s_max[stored->kind]);
    if (!op)
        return 0; /* full: asking again finishes it */
    op->next = stored->next;
    op->last = stored->last;
    op->flags = stored->flags;
    if (op->kind == DT_STEPS_PURGE) {
        char job[DT_LIMIT_JOB_MAX * 4 + 1];
        dt_log_escape (job, sizeof job, op->job, op->job_len, DT_LIMIT_JOB_MAX);
        dt_log_info ("MASTER-PURGE", "job %s: the purge goes on", job);
    }
    return 0;
}

int dt_state_steps_load (dt_state_t *self)
{
    if (!self->store)
        return 0;
    return dt_store_steps_load (self->store, s_on_step, self);
}

/* Cancels the tasks of `job` in memory with ids up to `last`: the last
 * master acknowledged their CANCEL, and the restart read some of them
 * back into the queue in memory. */
static void s_cancel_hot (dt_state_t *self, dt_job_t *job, uint64_t last)
{
    uint64_t unfinished = dt_life_unfinished (job->states), count = 0, id = 0;
    dt_task_t *task;
    while (count < unfinished && !self->broken && (task = dt_tasks_next (self->tasks, id)) &&
           task->id <= last) {
        id = task->id;
        if (task->job != job->index || !dt_state_is_busy (task))
            continue;
        dt_state_finish (self, task, DT_LIFE_CANCEL, NULL, dt_str_n ("", 0), DT_STATE_CANCELLED, 0);
        count++;
    }
}

void dt_state_steps_resume (dt_state_t *self)
{
    /* A CANCEL goes on where the last master left it: its tasks read back
     * into memory are cancelled now, its cold ones by its steps. */
    for (size_t n = dt_steps_count (self->steps, DT_STEPS_CANCEL); n > 0 && !self->broken; n--) {
        dt_steps_op_t *op = dt_steps_first (self->steps, DT_STEPS_CANCEL);
        /* Taken out and put back at the end: each is seen once. */
        dt_steps_op_t copy = *op;
        dt_steps_remove (self->steps, op);
        dt_job_t *job = dt_jobs_find (self->jobs, dt_steps_job (&copy));
        if (!job || dt_life_unfinished (job->states) == 0) {
            if (self->store)
                dt_state_check (self, dt_store_steps_drop (self->store, &copy));
            continue;
        }
        s_cancel_hot (self, job, copy.last);
        op = dt_steps_add (self->steps, DT_STEPS_CANCEL, dt_steps_job (&copy), copy.added,
                           s_max[DT_STEPS_CANCEL]);
        if (!op) {
            dt_state_fail (self, "out of memory resuming a cancel");
            return;
        }
        op->next = copy.next;
        op->last = copy.last;
        job->cancel_from = copy.next;
        job->cancel_to = copy.last;
        job->cancel_left = dt_life_unfinished (job->states);
        job->cancel_mark = copy.added; /* as dt_state_steps_cancelled set it */
        dt_log_info ("MASTER-CANCEL", "job %s: the cancel goes on", job->name);
    }
    size_t requeues = dt_steps_count (self->steps, DT_STEPS_REQUEUE);
    if (requeues)
        dt_log_info ("MASTER-REQUEUE", "%zu requeues go on", requeues);
}
