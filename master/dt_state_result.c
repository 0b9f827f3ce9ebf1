/* dt_state_result.c - a worker's result: taken only from the lease it answers, then recorded, or
 * the task delayed for a retry. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_is_final (const dt_task_t *task)
{
    return task->state == DT_TASK_DONE || task->state == DT_TASK_FAILED;
}

/* base * 2^(attempt-1) ms, with +-50 % jitter so tasks that failed together
 * do not come back together, capped. */
static int64_t s_backoff_ms (dt_state_t *self, uint32_t attempt)
{
    double ms = self->opts.retry_base_ms;
    for (uint32_t i = 1; i < attempt && ms < DT_STATE_RETRY_MAX_MS; i++)
        ms *= 2;
    double unit = (double) (dt_state_random (self) >> 11) / (double) (1ULL << 53);
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
        dt_state_spent_round (self, task) < dt_state_max_attempts (self, task)) {
        /* Not before the server said (its host is paused that long too). */
        int64_t wait = s_backoff_ms (self, task->attempts);
        int64_t asked = result->retry_after_ms < DT_POLITE_PAUSE_MAX_MS ? result->retry_after_ms
                                                                        : DT_POLITE_PAUSE_MAX_MS;
        dt_state_release (self, task, result, now);
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
