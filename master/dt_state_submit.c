/* dt_state_submit.c - SUBMIT: a chunk of tasks checked, accepted once (resends answered the same)
 * and queued, held or left in the store. */
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_url.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dt_state_submit (dt_state_t *self, dt_str_t job_name, uint32_t chunk, const dt_str_t *urls,
                     uint32_t nurls, uint64_t *first_id, uint32_t *count, char *err,
                     size_t err_size)
{
    /* The codec already enforces both; the model does not rely on it. */
    if (nurls == 0 || job_name.len == 0 || job_name.len > DT_LIMIT_JOB_MAX) {
        snprintf (err, err_size, "%s", nurls == 0 ? "no urls" : "bad job id");
        return DT_ERR_MALFORMED;
    }
    if (dt_state_purge_blocks (self, job_name, err, err_size))
        return DT_ERR_CONFLICT;
    /* The bound holds for every chunk. One over the limit can never fit:
     * refused for good, saying the limit (the CLI cuts its chunks to it),
     * and before the resend check, so a resubmission cut for another
     * limit is cut again rather than taken for a conflict. */
    if (self->opts.max_pending && nurls > self->opts.max_pending) {
        snprintf (err, err_size,
                  "chunk of %" PRIu32
                  " URLs is larger than the queue limit: --max-pending %" PRIu64,
                  nurls, self->opts.max_pending);
        return DT_ERR_TOO_BIG;
    }
    dt_job_t *job = NULL;
    int same = 0;
    if (dt_state_chunk_find (self, job_name, chunk, urls, nurls, first_id, count, &same)) {
        /* A resend gets the same answer and creates nothing; the same
         * (job, chunk) with other URLs is another submission reusing a job
         * id, and must not be taken for a resend and silently dropped. */
        if (self->broken) {
            snprintf (err, err_size, "store read failed");
            return DT_ERR_STORE;
        }
        if (same)
            return 0;
        snprintf (err, err_size,
                  "chunk %" PRIu32 " of this job was already submitted with other URLs: "
                  "use a new job id, or submit --append to add to the job",
                  chunk);
        return DT_ERR_CONFLICT;
    }

    uint32_t plain = 0; /* specs that are http URLs with no options */
    for (uint32_t i = 0; i < nurls; i++) {
        char why[128];
        /* A spec that passes as a URL holds no NUL (the check refuses
         * controls): an http URL with no options, so nothing to split. */
        if (dt_url_check (urls[i].ptr, urls[i].len, NULL, 0) == 0) {
            plain++;
            continue;
        }
        /* Only an http task's payload is a URL (dt_spec.h); any other's is
         * opaque bytes. */
        dt_str_t kind, url;
        dt_spec_split (urls[i].ptr, urls[i].len, &kind, &url, NULL);
        if (dt_spec_is_http (kind) && dt_url_check (url.ptr, url.len, why, sizeof why) != 0) {
            snprintf (err, err_size, "url %" PRIu32 ": %s", i + 1, why);
            return DT_ERR_BAD_URL;
        }
    }
    uint64_t unfinished = dt_life_unfinished (self->counts.states);
    if (self->opts.max_pending && unfinished + nurls > self->opts.max_pending) {
        snprintf (err, err_size,
                  "queue full: %" PRIu64 " unfinished tasks, limit %" PRIu64 ", %" PRIu64
                  " more fit now",
                  unfinished, self->opts.max_pending,
                  unfinished < self->opts.max_pending ? self->opts.max_pending - unfinished : 0);
        return DT_ERR_QUEUE_FULL;
    }
    int budget = dt_state_budget_check (self, job_name, urls, nurls, err, err_size);
    if (budget != 0)
        return budget;
    /* With a store, tasks beyond the window stay there (cold) until the
     * queue in memory drains, whatever their priority: the store is read
     * back per kind, the highest level first (dt_state_store.c). Once some
     * of a kind wait there at this chunk's level or above, its tasks do
     * too, so the kind's queue keeps its order. A chunk has one kind and
     * one priority (its first task's). */
    uint64_t first = self->next_id;
    dt_str_t kind0, payload0;
    dt_spec_opts_t opts0;
    dt_spec_split (urls[0].ptr, urls[0].len, &kind0, &payload0, &opts0);
    int kind_no = dt_kinds_index (self->kinds, kind0);
    /* A chunk not due yet waits in memory without a store; with one, in
     * the store until its time nears (dt_state_due.c). */
    int delayed = opts0.not_before > dt_state_wall_ms ();
    int later = delayed && self->store;
    int cold =
        !later && self->store &&
        (dt_coldq_top (self->cold, kind_no < 0 ? DT_KINDS_HTTP : kind_no) >= (int) opts0.priority ||
         !dt_state_hot_room (self, nurls));
    /* Reserve first, so that once tasks are being created nothing can fail
     * half-way through the chunk. */
    /* With a store the chunk is only there: its primary key answers resends. */
    if (!(job = dt_state_job_ensure (self, job_name)) ||
        (!cold && !later &&
         (dt_tasks_reserve (self->tasks, first, urls, nurls) != 0 ||
          dt_queue_reserve (self->queue, nurls) != 0)) ||
        (!self->store && dt_jobs_chunk_add (self->jobs, job, chunk, first, nurls,
                                            dt_jobs_urls_hash (urls, nurls)) != 0)) {
        snprintf (err, err_size, "out of memory");
        return DT_ERR_STORE;
    }
    self->next_id += nurls;
    if (!job->kind) /* JOBS shows it: a job's chunks have one kind, or its first's is shown */
        job->kind = kind_no + 1;
    if (self->store)
        dt_state_check (self, dt_store_add_chunk (self->store, job_name, chunk, first, nurls));
    if (later)
        dt_state_due_submitted (self, job, dt_kinds_find (self->kinds, kind0), first, nurls,
                                opts0.not_before);
    if (cold) {
        if (dt_coldq_add (self->cold, kind_no, (int) opts0.priority, first, nurls) != 0)
            dt_state_fail (self, "out of memory queueing tasks in the store");
        for (uint32_t i = 0; i < nurls; i++)
            dt_state_step_cold (self, job, DT_TASK_NONE, DT_LIFE_SUBMIT_COLD);
    }
    for (uint32_t i = 0; !cold && !later && i < nurls; i++) {
        dt_task_t *task =
            dt_tasks_add (self->tasks, first + i, job->index, urls[i].ptr, urls[i].len);
        if (!task) {
            dt_state_fail (self, "out of memory adding a task");
            break;
        }
        if (plain == nurls) { /* what dt_state_meta would find, known already */
            task->kind = DT_KINDS_HTTP + 1;
            task->meta = 0;
        }
        if (delayed) {
            dt_state_step (self, task, DT_LIFE_SUBMIT);
            dt_state_due_hold (self, task, opts0.not_before);
        } else
            dt_state_enqueue (self, task, DT_LIFE_SUBMIT, 0);
    }
    if (self->store)
        dt_state_check (self, dt_store_add_tasks (self->store, first, job_name, urls, nurls));
    if (job->total == nurls)
        dt_log_info ("MASTER-JOB-ACCEPTED", "job %s: first chunk %" PRIu32 ", %" PRIu32 " tasks",
                     job->name, chunk, nurls);
    *first_id = first;
    *count = nurls;
    return 0;
}
