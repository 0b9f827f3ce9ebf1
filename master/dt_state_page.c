/* dt_state_page.c - FETCH: a page of results from the log (and, with a store, from the store),
 * bounded in items and bytes. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_limits.h"

#include <stdint.h>
#include <string.h>

int dt_state_page_push (dt_state_pager_t *pager, const dt_record_t *item)
{
    if (pager->count >= pager->max)
        return 0;
    /* A page is one PAGE message: bounded by what its items take encoded.
     * The item is converted once, here, when the caller sends it. */
    dt_msg_result_t one, *wire = pager->wire ? &pager->wire[pager->count] : &one;
    *wire = dt_record_to_msg (item);
    size_t size = dt_msg_result_size (wire);
    if (pager->count > 0 && pager->bytes + size > DT_LIMIT_REPLY_BYTES)
        return 0;
    pager->bytes += size;
    pager->items[pager->count++] = *item;
    return 1;
}

uint32_t dt_state_page (dt_state_t *self, dt_str_t job_name, uint64_t *cursor, uint32_t max,
                        uint32_t flags, dt_record_t *items)
{
    return dt_state_page_wire (self, job_name, cursor, max, flags, items, NULL);
}

uint32_t dt_state_page_wire (dt_state_t *self, dt_str_t job_name, uint64_t *cursor, uint32_t max,
                             uint32_t flags, dt_record_t *items, dt_msg_result_t *wire)
{
    dt_state_pager_t pager = {
        .items = items, .wire = wire, .max = max > DT_LIMIT_BATCH_MAX ? DT_LIMIT_BATCH_MAX : max};
    const dt_job_t *job = NULL;
    uint64_t first = dt_results_first (self->results);
    uint64_t last = dt_results_last (self->results);
    if (*cursor >= last)
        return 0;
    /* Older results than memory holds come from the store, then the page
     * goes on in memory; so do those of a job from before it came into
     * memory (they may carry another number), and all of a job no longer
     * in memory. Without a store, what left memory is gone. */
    uint64_t split = first - 1;
    if (job_name.len && dt_state_purging (self, job_name)) {
        *cursor = last; /* its rows are going */
        return 0;
    }
    if (job_name.len && !(job = dt_jobs_find (self->jobs, job_name)))
        split = last;
    else if (job && job->since_seq > split)
        split = job->since_seq;
    if (!self->store && *cursor < first - 1)
        *cursor = first - 1;
    if (!self->store && !job && job_name.len)
        return 0;
    if (self->store && *cursor < split &&
        !dt_state_page_from_store (self, &pager, job_name, cursor, split, flags))
        return pager.count;
    if (job_name.len && !job)
        return pager.count;
    /* Past a job's latest result there is none of it: the scan stops there. */
    uint64_t end = job && job->last_seq < last ? job->last_seq : last;
    uint64_t seq = *cursor + 1 > first ? *cursor + 1 : first;
    for (; seq <= end; seq++) {
        const dt_result_t *entry = dt_results_get (self->results, seq);
        if (entry && entry->task && (!job || entry->job == job->index) &&
            (!(flags & DT_FETCH_FAILED_ONLY) || entry->state == DT_STATE_FAILED)) {
            dt_record_t item;
            dt_results_to_record (entry, &item);
            if (!dt_state_page_push (&pager, &item))
                break;
        }
        *cursor = seq;
    }
    if (seq > end)
        *cursor = last; /* read to the end: what lies past `end` is not its */
    return pager.count;
}
