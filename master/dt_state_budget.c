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
    /* Every accepted task still to finish will write a result: its room
     * (self->reserved) is kept, so a result is never refused. */
    uint64_t tasks = 0, results = 0;
    for (uint32_t i = 0; i < nurls; i++) {
        tasks += DT_STATE_TASK_ROW + urls[i].len + 2 * (uint64_t) job.len;
        results += dt_state_result_room (urls[i].len);
    }
    if (used + self->reserved + tasks + results <= budget) {
        self->reserved += results;
        return 0;
    }
    snprintf (err, err_size,
              "store budget of %" PRIu64 " bytes reached (%" PRIu64 " used, %" PRIu64
              " kept for the results of unfinished tasks)",
              budget, used, self->reserved);
    return DT_ERR_QUEUE_FULL;
}

void dt_state_budget_hold (dt_state_t *self, uint32_t url_len)
{
    self->reserved += dt_state_result_room (url_len);
}

void dt_state_budget_release (dt_state_t *self, uint32_t url_len)
{
    uint64_t room = dt_state_result_room (url_len);
    self->reserved = self->reserved > room ? self->reserved - room : 0;
}
