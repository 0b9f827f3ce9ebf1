/* dt_state_requeue.c - REQUEUE and CANCEL: a job's failed tasks reopened, its unfinished ones
 * ended. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"

#include <stdint.h>
#include <string.h>

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
    if (self->counts.cold > 0 && !job->cancel_to && dt_state_steps_full (self, DT_STEPS_CANCEL))
        return DT_ERR_QUEUE_FULL;
    dt_state_steps_cancelled (self, job);
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
