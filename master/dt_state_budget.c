/* dt_state_budget.c - the store's byte budget (--max-store-bytes): the database and the archive's
 * files together. SUBMIT is refused once they, with room kept for the results still to come,
 * would pass it; a capture that would pass it is refused the same way. */
#include "dt_state_priv.h"

#include <inttypes.h>
#include <stdio.h>

/* Bytes the budget counts now: the store's pages in use and the archive's
 * files (*archive of them). 0, or -1 when the store cannot be read. */
static int s_used (dt_state_t *self, uint64_t *used, uint64_t *archive)
{
    *archive = self->archive ? dt_archive_disk_bytes (self->archive) : 0;
    if (dt_store_bytes (self->store, used) != 0)
        return -1;
    *used += *archive;
    return 0;
}

/* The refusal every budget check gives: one message, so a client sees the
 * same reason whatever filled the budget. */
static int s_refuse (dt_state_t *self, uint64_t used, uint64_t archive, char *err, size_t err_size)
{
    snprintf (err, err_size,
              "store budget of %" PRIu64 " bytes reached (%" PRIu64 " used, %" PRIu64
              " kept for the results of unfinished tasks; archive files: %" PRIu64 " of the used)",
              self->opts.max_store_bytes, used, self->reserved, archive);
    return DT_ERR_QUEUE_FULL;
}

int dt_state_budget_check (dt_state_t *self, dt_str_t job, const dt_str_t *urls, uint32_t nurls,
                           char *err, size_t err_size)
{
    uint64_t budget = self->opts.max_store_bytes;
    if (!self->store || !budget)
        return 0;
    uint64_t used = 0, archive = 0;
    if (s_used (self, &used, &archive) != 0) {
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
    return s_refuse (self, used, archive, err, err_size);
}

int dt_state_budget_save (dt_state_t *self, uint64_t bytes, char *err, size_t err_size)
{
    uint64_t budget = self->opts.max_store_bytes;
    if (!self->store || !budget)
        return 0;
    uint64_t used = 0, archive = 0;
    if (s_used (self, &used, &archive) != 0) {
        snprintf (err, err_size, "store read failed");
        return DT_ERR_STORE;
    }
    /* The results' room stays theirs: a capture never takes it, so a job
     * accepted before the archive filled still records every result. */
    if (used + self->reserved + bytes <= budget)
        return 0;
    return s_refuse (self, used, archive, err, err_size);
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
