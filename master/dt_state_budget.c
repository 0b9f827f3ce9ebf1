/* dt_state_budget.c - the store's byte budget (--max-store-bytes): SUBMIT is refused once the
 * store, with room kept for the results still to come, would pass it. */
#include "dt_state_priv.h"

#include <inttypes.h>
#include <stdio.h>

int dt_state_budget_check (dt_state_t *self, dt_str_t job, const dt_str_t *urls, uint32_t nurls,
                           char *err, size_t err_size)
{
    uint64_t budget = self->opts.max_store_bytes;
    if (!self->store || !budget)
        return 0;
    uint64_t used = 0;
    if (dt_store_bytes (self->store, &used) != 0) {
        snprintf (err, err_size, "store read failed");
        return DT_ERR_STORE;
    }
    /* Every accepted task still to finish will write a result: its room is
     * kept, so a result is never refused (it is recorded past the budget
     * if it is larger than its room). */
    uint64_t unfinished = self->states[DT_TASK_QUEUED] + self->states[DT_TASK_INFLIGHT] +
                          self->states[DT_TASK_DELAYED];
    uint64_t need = used + (unfinished + nurls) * DT_STATE_RESULT_ROOM;
    for (uint32_t i = 0; i < nurls; i++)
        need += DT_STATE_TASK_ROW + urls[i].len + 2 * (uint64_t) job.len;
    if (need <= budget)
        return 0;
    snprintf (err, err_size,
              "store budget of %" PRIu64 " bytes reached (%" PRIu64 " used, %" PRIu64
              " kept for the results of %" PRIu64 " unfinished tasks)",
              budget, used, unfinished * DT_STATE_RESULT_ROOM, unfinished);
    return DT_ERR_QUEUE_FULL;
}
