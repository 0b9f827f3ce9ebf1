/* dt_state_jobs.c - which jobs the model keeps in memory: finished ones leave after a
 * retention, and the store answers for them (counters, chunks, results). */
#include "dt_state_priv.h"
#include "dt_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

dt_job_t *dt_state_job_ensure (dt_state_t *self, dt_str_t name)
{
    int created = 0;
    dt_job_t *job = dt_jobs_ensure (self->jobs, name, &created);
    if (!job || !created)
        return job;
    /* Every job joins the finished queue once it has no unfinished task,
     * a new one too: one left with none (a SUBMIT that failed after, or a
     * REQUEUE with nothing to requeue) must leave memory as well. */
    if (dt_jobs_finished (self->jobs, job) != 0)
        dt_log_warn ("MASTER-NOMEM", "job %s stays in memory: out of memory", job->name);
    /* Its results so far may carry the number it had before it left
     * memory: pages of it read them from the store (dt_state_page). */
    job->since_seq = dt_results_last (self->results);
    if (!self->store)
        return job;
    /* Back in memory after it left it: its counters come back from the
     * store, whose row goes (the load then counts its tasks again). */
    uint64_t counts[3];
    int rc = dt_store_job_get (self->store, name, counts);
    if (rc == 0) {
        job->total = counts[0];
        job->states[DT_TASK_DONE] = counts[1];
        job->states[DT_TASK_FAILED] = counts[2];
        rc = dt_store_job_drop (self->store, name);
    }
    if (rc < 0) {
        dt_state_fail (self, "store read failed");
        return NULL;
    }
    return job;
}

dt_job_t *dt_state_job_stored (dt_state_t *self, dt_str_t name)
{
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (job || !self->store)
        return job;
    uint64_t counts[3];
    int rc = dt_store_job_get (self->store, name, counts);
    if (rc < 0)
        dt_state_fail (self, "store read failed");
    return rc == 0 ? dt_state_job_ensure (self, name) : NULL;
}

int dt_state_job_known (dt_state_t *self, dt_str_t name)
{
    if (dt_jobs_purging (self->jobs, name))
        return 0;
    if (dt_jobs_find (self->jobs, name))
        return 1;
    if (!self->store)
        return 0;
    uint64_t counts[3];
    int rc = dt_store_job_get (self->store, name, counts);
    if (rc < 0)
        dt_state_fail (self, "store read failed");
    return rc == 0;
}

int dt_state_chunk_find (dt_state_t *self, dt_str_t name, uint32_t chunk, const dt_str_t *urls,
                         uint32_t nurls, uint64_t *first_id, uint32_t *count, int *same)
{
    *same = 0;
    if (!self->store) {
        /* Without a store the chunk is in memory while its job is, and its
         * URLs are compared by hash: its tasks may have left memory. */
        dt_job_t *job = dt_jobs_find (self->jobs, name);
        uint64_t hash;
        if (!job || dt_jobs_chunk_find (self->jobs, job, chunk, first_id, count, &hash) != 0)
            return 0;
        *same = *count == nurls && hash == dt_jobs_urls_hash (urls, nurls);
        return 1;
    }
    /* With one, the store's primary key answers, in memory or not. */
    int rc = dt_store_chunk_find (self->store, name, chunk, first_id, count);
    if (rc < 0) {
        dt_state_fail (self, "store read failed");
        return 1;
    }
    if (rc == 1)
        return 0;
    *same = *count == nurls && dt_state_same_urls (self, *first_id, urls, nurls);
    return 1;
}

void dt_state_job_moved (dt_state_t *self, dt_job_t *job, dt_life_event_t event)
{
    dt_task_state_t to = (dt_task_state_t) dt_life_rule (event)->to;
    /* A job finishes when a task of a running job becomes final and none
     * is left unfinished; recovery's steps rebuild, they finish nothing. */
    int ends = event == DT_LIFE_RESULT_DONE || event == DT_LIFE_RESULT_FAIL ||
               event == DT_LIFE_LEASE_LOST_LAST || event == DT_LIFE_CANCEL;
    if (ends && dt_life_unfinished (job->states) == 0)
        dt_log_info ("MASTER-JOB-FINISHED",
                     "job %s finished: %" PRIu64 " tasks, %" PRIu64 " done, %" PRIu64 " failed",
                     job->name, job->total, job->states[DT_TASK_DONE], job->states[DT_TASK_FAILED]);
    /* A task becomes final once its result is in the log: the last one. */
    if (to == DT_TASK_DONE || to == DT_TASK_FAILED)
        job->last_seq = dt_results_last (self->results);
    if ((to == DT_TASK_DONE || to == DT_TASK_FAILED) && dt_jobs_finished (self->jobs, job) != 0)
        dt_log_warn ("MASTER-NOMEM", "job %s stays in memory: out of memory", job->name);
}

void dt_state_retire_jobs (dt_state_t *self)
{
    dt_job_t *job;
    while (!self->broken && (job = dt_jobs_retire_next (self->jobs, self->opts.keep_jobs))) {
        if (self->store) {
            uint64_t counts[3] = {job->total, job->states[DT_TASK_DONE],
                                  job->states[DT_TASK_FAILED]};
            dt_state_check (
                self, dt_store_job_put (self->store, dt_str_n (job->name, job->name_len), counts));
        }
        dt_log_debug ("MASTER-RETIRE", "job %s leaves memory", job->name);
        dt_jobs_remove (self->jobs, &job);
    }
}

void dt_state_job_stats_stored (dt_state_t *self, dt_str_t name, dt_msg_stats_t *stats)
{
    uint64_t counts[3];
    if (!self->store || dt_store_job_get (self->store, name, counts) != 0)
        return;
    stats->submitted = counts[0];
    stats->done = counts[1];
    stats->failed = counts[2];
}

dt_task_t *dt_state_task_back (dt_state_t *self, const dt_result_t *entry)
{
    dt_task_t *task = dt_tasks_get (self->tasks, entry->task);
    if (task || self->store)
        return task;
    /* Without a store a finished task's record is swept like any other;
     * its result holds all REQUEUE needs to bring it back. */
    task = dt_tasks_add (self->tasks, entry->task, entry->job, entry->url ? entry->url : "",
                         entry->url_len);
    if (!task) {
        dt_state_fail (self, "out of memory requeueing a task");
        return NULL;
    }
    task->attempts = entry->attempts;
    task->state = DT_TASK_FAILED; /* counted so already */
    return task;
}

/* Results of `job` in the log in memory leave pages (their positions stay
 * taken). Entries that carry another number of the same job (from before
 * it last came into memory) cannot be told apart and stay until the
 * window passes them. */
static void s_forget_results (dt_state_t *self, const dt_job_t *job)
{
    uint64_t last = dt_results_last (self->results);
    uint64_t from = job->since_seq + 1 > dt_results_first (self->results)
                        ? job->since_seq + 1
                        : dt_results_first (self->results);
    uint64_t to = job->last_seq < last ? job->last_seq : last;
    for (uint64_t seq = from; seq <= to; seq++) {
        dt_result_t *entry = dt_results_get (self->results, seq);
        if (entry && entry->job == job->index)
            entry->task = 0;
    }
}

int dt_state_purge (dt_state_t *self, dt_str_t name, uint64_t *count, char *err, size_t err_size)
{
    *count = 0;
    if (name.len == 0 || name.len > DT_LIMIT_JOB_MAX) {
        snprintf (err, err_size, "bad job id");
        return DT_ERR_MALFORMED;
    }
    if (dt_jobs_purging (self->jobs, name))
        return 0; /* under way: asked again, nothing more to do */
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    uint64_t counts[3] = {0, 0, 0};
    if (job) {
        if (job->states[DT_TASK_QUEUED] + job->states[DT_TASK_INFLIGHT] +
                job->states[DT_TASK_DELAYED] >
            0) {
            snprintf (err, err_size, "job has unfinished tasks: cancel it first");
            return DT_ERR_CONFLICT;
        }
        counts[0] = job->total;
        counts[1] = job->states[DT_TASK_DONE];
        counts[2] = job->states[DT_TASK_FAILED];
    } else if (self->store) {
        int rc = dt_store_job_get (self->store, name, counts);
        if (rc < 0) {
            snprintf (err, err_size, "store read failed");
            return DT_ERR_STORE;
        }
        if (rc == 1)
            return 0; /* no such job (or purged): nothing to do */
    } else {
        return 0;
    }
    if (self->store && dt_jobs_purge_add (self->jobs, name) != 0) {
        snprintf (err, err_size, "%d purges are under way: retry later", DT_JOBS_PURGES_MAX);
        return DT_ERR_QUEUE_FULL;
    }
    dt_life_count_purged (&self->counts, counts[0], counts[1], counts[2]);
    if (job) {
        s_forget_results (self, job);
        dt_jobs_remove (self->jobs, &job);
    }
    /* Counters of zero in `jobs` from now: a restart before the last step
     * neither counts nor loads what is left (a PURGE again finishes it). */
    static const uint64_t none[3] = {0, 0, 0};
    if (self->store)
        dt_state_check (self, dt_store_job_put (self->store, name, none));
    *count = counts[0];
    return 0;
}

int dt_state_purge_blocks (dt_state_t *self, dt_str_t name, char *err, size_t err_size)
{
    if (!dt_jobs_purging (self->jobs, name))
        return 0;
    snprintf (err, err_size, "this job is being purged: retry once it is gone");
    return 1;
}

void dt_state_purge_step (dt_state_t *self)
{
    dt_str_t name;
    if (!self->store || self->broken || dt_jobs_purge_front (self->jobs, &name) != 0)
        return;
    int done = 0;
    /* The pages freed go back to the file system in the same step. */
    if (dt_store_purge_step (self->store, name, DT_STORE_PURGE_STEP, &done) != 0 ||
        dt_store_shrink (self->store, DT_STATE_SHRINK_PAGES) != 0) {
        dt_state_fail (self, "store purge failed");
        return;
    }
    if (done) {
        dt_log_info ("MASTER-PURGED", "job %.*s is gone from the store", (int) name.len, name.ptr);
        dt_jobs_purge_pop (self->jobs);
    }
}
