/* dt_state_jobs.c - which jobs the model keeps in memory: finished ones leave after a
 * retention, and the store answers for them (counters, chunks, results). */
#include "dt_state_priv.h"
#include "dt_log.h"
#include "dt_spec.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int dt_state_is_cancelled (dt_str_t error)
{
    return error.len == strlen (DT_STATE_CANCELLED) &&
           memcmp (error.ptr, DT_STATE_CANCELLED, error.len) == 0;
}

/* Writes `job`'s record (seq and times) to the store, when there is one. */
static void s_info_put (dt_state_t *self, const dt_job_t *job)
{
    if (!self->store)
        return;
    dt_store_jobinfo_t info = {job->seq, job->created_ms, job->finished_ms};
    dt_state_check (self,
                    dt_store_jobinfo_put (self->store, dt_str_n (job->name, job->name_len), &info));
}

/* Gives a job just made in memory its seq and times: those recorded when
 * it was created (it comes back, or the master restarted), or new ones.
 * Returns 0, or -1 when the store failed (the model then breaks). */
static int s_info_load (dt_state_t *self, dt_job_t *job)
{
    dt_str_t name = dt_str_n (job->name, job->name_len);
    if (self->store) {
        dt_store_jobinfo_t info;
        int rc = dt_store_jobinfo_get (self->store, name, &info);
        if (rc == 0) {
            job->seq = info.seq;
            job->created_ms = info.created_ms;
            job->finished_ms = info.finished_ms;
            return 0;
        }
        /* The first job since start: its seq follows the store's last. */
        if (rc < 0 ||
            (self->job_seq == 0 && dt_store_jobinfo_max_seq (self->store, &self->job_seq) != 0)) {
            dt_state_fail (self, "store read failed");
            return -1;
        }
    }
    job->seq = ++self->job_seq;
    job->created_ms = (uint64_t) zclock_time ();
    job->finished_ms = 0;
    s_info_put (self, job);
    return self->broken ? -1 : 0;
}

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
    if (s_info_load (self, job) != 0)
        return NULL;
    dt_state_job_polite_load (self, job);
    if (!self->store)
        return job;
    /* Its HTTP options, set by its first chunk, come back with it: its
     * tasks still to run are fetched the way it asked. */
    dt_jobhttp_t *http = NULL;
    if (dt_store_http_get (self->store, name, &http) < 0) {
        dt_state_fail (self, "store read failed");
        return NULL;
    }
    if (http)
        dt_jobs_set_http (self->jobs, job, &http);
    /* Back in memory after it left it: its counters come back from the
     * store, whose row goes (the load then counts its tasks again). */
    uint64_t counts[3];
    /* Its flags (DT_SUBMIT_SAVE) are the job's for good: its tasks read
     * back after a restart are dispatched with them. */
    int rc = dt_store_job_flags_get (self->store, name, &job->flags);
    if (rc == 0)
        rc = dt_store_job_get (self->store, name, counts);
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
    if (dt_state_purging (self, name))
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

int dt_state_job_http_check (dt_state_t *self, dt_str_t name, dt_str_t kind,
                             const dt_msg_httpopt_t *http, char *err, size_t err_size)
{
    if (dt_jobhttp_check (http, kind, err, err_size) != 0)
        return DT_ERR_MALFORMED;
    if (dt_state_purging (self, name))
        return 0; /* the SUBMIT is refused for that */
    /* A job in memory answers for itself; one only in the store is
     * compared with its stored options, without bringing it back. */
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    int same = 1;
    const char *had = "other";
    if (job && job->total > 0) { /* none yet: a SUBMIT failed half-way, nothing was set */
        same = dt_jobhttp_same (job->http, http);
        had = job->http ? "other" : "no";
    } else if (!job && self->store && dt_state_job_known (self, name)) {
        dt_jobhttp_t *stored = NULL;
        if (dt_store_http_get (self->store, name, &stored) < 0)
            dt_state_fail (self, "store read failed");
        same = dt_jobhttp_same (stored, http);
        had = stored ? "other" : "no";
        dt_jobhttp_destroy (&stored);
    }
    if (self->broken) {
        snprintf (err, err_size, "store read failed");
        return DT_ERR_STORE;
    }
    if (!same) {
        snprintf (err, err_size,
                  "job %.*s was submitted with %s HTTP options: a job's options are set by its "
                  "first chunk and every chunk must repeat them; use a new job id",
                  (int) name.len, name.ptr, had);
        return DT_ERR_CONFLICT;
    }
    return 0;
}

int dt_state_job_http_set (dt_state_t *self, dt_str_t name, const dt_msg_httpopt_t *http)
{
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (!job || job->http || dt_msg_httpopt_empty (http))
        return 0;
    dt_jobhttp_t *copy = dt_jobhttp_new (http);
    if (!copy) {
        dt_state_fail (self, "out of memory keeping a job's HTTP options");
        return -1;
    }
    dt_jobs_set_http (self->jobs, job, &copy);
    if (self->store)
        dt_state_check (self, dt_store_http_put (self->store, name, http));
    return self->broken ? -1 : 0;
}

int dt_state_chunk_resent (dt_state_t *self, dt_str_t name, uint32_t chunk, const dt_str_t *urls,
                           uint32_t nurls)
{
    uint64_t first_id;
    uint32_t count;
    int same = 0;
    int found = dt_state_chunk_find (self, name, chunk, urls, nurls, &first_id, &count, &same);
    return found && same && !self->broken;
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
               event == DT_LIFE_LEASE_LOST_LAST || event == DT_LIFE_CANCEL ||
               event == DT_LIFE_REFUSE;
    if (ends && dt_life_unfinished (job->states) == 0) {
        job->finished_ms = (uint64_t) zclock_time ();
        s_info_put (self, job);
        dt_log_info ("MASTER-JOB-FINISHED",
                     "job %s finished: %" PRIu64 " tasks, %" PRIu64 " done, %" PRIu64 " failed",
                     job->name, job->total, job->states[DT_TASK_DONE], job->states[DT_TASK_FAILED]);
    } else if (job->finished_ms && dt_life_unfinished (job->states) > 0 &&
               (event == DT_LIFE_SUBMIT || event == DT_LIFE_SUBMIT_COLD ||
                event == DT_LIFE_REQUEUE || event == DT_LIFE_REQUEUE_COLD)) {
        /* It runs again (appended to, or requeued): not finished now. */
        job->finished_ms = 0;
        s_info_put (self, job);
    }
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
    /* Not a change of state: the record is new, its task FAILED (counted
     * so) all along; the REQUEUE that asked for it moves it. */
    task->state = DT_TASK_FAILED;
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
    if (dt_state_purging (self, name))
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
    dt_steps_op_t *op = self->store ? dt_state_steps_add (self, DT_STEPS_PURGE, name) : NULL;
    if (self->store && !op) {
        snprintf (err, err_size, "%d purges are under way: retry later", DT_JOBS_PURGES_MAX);
        return DT_ERR_QUEUE_FULL;
    }
    if (op)
        dt_state_steps_save (self, op);
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
    if (!dt_state_purging (self, name))
        return 0;
    snprintf (err, err_size, "this job is being purged: retry once it is gone");
    return 1;
}

int dt_state_purge_step (dt_state_t *self, dt_steps_op_t *op)
{
    dt_str_t name = dt_steps_job (op);
    int done = 0;
    /* The pages freed go back to the file system in the same step. */
    if (dt_store_purge_step (self->store, name, DT_STORE_PURGE_STEP, &done) != 0 ||
        dt_store_shrink (self->store, DT_STATE_SHRINK_PAGES) != 0) {
        dt_state_fail (self, "store purge failed");
        return -1;
    }
    if (done) {
        dt_log_info ("MASTER-PURGED", "job %.*s is gone from the store", (int) name.len, name.ptr);
        dt_state_archive_purged (self);
    }
    return done;
}

/* ---- JOBS pages ------------------------------------------------------------ */

typedef struct {
    dt_state_t *state;
    int kind; /* the kind's number, -1 until read (or when it cannot be numbered) */
} s_kind_t;

/* The store's first task of a job gives the job's kind. */
static int s_first_kind (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts)
{
    (void) id;
    (void) job;
    (void) attempts;
    s_kind_t *k = arg;
    dt_str_t name, payload;
    dt_spec_split (url.ptr, url.len, &name, &payload, NULL);
    k->kind = dt_state_kind (k->state, name);
    return 1;
}

/* The kind of job `name` (its first chunk's), for a job whose kind memory
 * does not hold (it left memory, or came back with only final tasks after
 * a restart): read from its first task's row, one step of the tasks' job
 * index. "" when not known. */
static dt_str_t s_kind_stored (dt_state_t *self, dt_str_t name)
{
    s_kind_t k = {self, -1};
    if (!self->store ||
        dt_store_tasks (self->store, 1, UINT64_MAX, name, 1, s_first_kind, &k) != 0 || k.kind < 0)
        return dt_str_n ("", 0);
    return dt_state_kind_name (self, k.kind);
}

typedef struct {
    dt_state_t *state;
    dt_msg_job_t *items; /* the caller's */
    char *names;         /* the caller's: DT_LIMIT_JOB_MAX bytes an item */
    uint32_t count;      /* items filled */
    uint32_t examined;   /* records read */
    uint64_t last_seq;   /* seq of the last record read */
} s_lister_t;

/* Fills the next item for job `name` (record `info`), from memory when the
 * job is there, else from the store's counters. Returns 0, 1 when there
 * is nothing to show (a purge took the counters), -1 on a store error. */
static int s_item (s_lister_t *lister, dt_str_t name, const dt_store_jobinfo_t *info)
{
    dt_state_t *self = lister->state;
    dt_msg_job_t *item = &lister->items[lister->count];
    char *copy = lister->names + (size_t) lister->count * DT_LIMIT_JOB_MAX;
    memset (item, 0, sizeof *item);
    const dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (job) {
        item->total = job->total;
        item->done = job->states[DT_TASK_DONE];
        item->failed = job->states[DT_TASK_FAILED];
        item->pending = dt_life_unfinished (job->states);
        item->created_ms = job->created_ms;
        item->finished_ms = job->finished_ms;
        item->next_chunk = job->next_chunk;
    } else {
        uint64_t counts[3];
        int rc = self->store ? dt_store_job_get (self->store, name, counts) : 1;
        if (rc != 0)
            return rc;
        item->total = counts[0];
        item->done = counts[1];
        item->failed = counts[2];
        item->created_ms = info->created_ms;
        item->finished_ms = info->finished_ms;
    }
    /* With a store the chunks are only there. */
    if (self->store && dt_store_next_chunk (self->store, name, &item->next_chunk) != 0)
        return -1;
    memcpy (copy, name.ptr, name.len);
    item->name = dt_str_n (copy, name.len);
    item->kind =
        job && job->kind ? dt_state_kind_name (self, job->kind - 1) : s_kind_stored (self, name);
    lister->count++;
    return 0;
}

static int s_list_row (void *arg, dt_str_t name, const dt_store_jobinfo_t *info)
{
    s_lister_t *lister = arg;
    lister->examined++;
    lister->last_seq = info->seq;
    if (dt_state_purging (lister->state, name) || name.len > DT_LIMIT_JOB_MAX)
        return 0;
    return s_item (lister, name, info) < 0 ? -1 : 0;
}

/* --memory: the jobs in memory are all there is. Picks the `max` newest
 * created before `before` (0: any), by insertion into the sorted page. */
static uint32_t s_page_memory (dt_state_t *self, s_lister_t *lister, uint64_t before, uint32_t max,
                               uint64_t *cursor)
{
    const dt_job_t *picked[DT_LIMIT_JOBS_MAX];
    uint32_t n = 0;
    int more = 0;
    for (const dt_job_t *job = dt_jobs_first (self->jobs); job; job = dt_jobs_next (self->jobs)) {
        if (before && job->seq >= before)
            continue;
        if (n == max && picked[n - 1]->seq > job->seq) {
            more = 1;
            continue;
        }
        uint32_t at = n < max ? n++ : (more = 1, n - 1);
        while (at > 0 && picked[at - 1]->seq < job->seq) {
            picked[at] = picked[at - 1];
            at--;
        }
        picked[at] = job;
    }
    for (uint32_t i = 0; i < n; i++) {
        dt_store_jobinfo_t info = {picked[i]->seq, picked[i]->created_ms, picked[i]->finished_ms};
        s_item (lister, dt_str_n (picked[i]->name, picked[i]->name_len), &info);
    }
    *cursor = more && n ? picked[n - 1]->seq : 0;
    return lister->count;
}

uint32_t dt_state_jobs_page (dt_state_t *self, dt_str_t name, uint64_t *cursor, uint32_t max,
                             dt_msg_job_t *items, char *names)
{
    s_lister_t lister = {.state = self, .items = items, .names = names};
    uint64_t before = *cursor;
    *cursor = 0;
    if (max == 0)
        return 0;
    if (max > DT_LIMIT_JOBS_MAX)
        max = DT_LIMIT_JOBS_MAX;
    if (name.len) {
        /* A job without a record (left memory under an older master) is
         * shown with unknown times. */
        dt_store_jobinfo_t info = {0, 0, 0};
        const dt_job_t *job = dt_jobs_find (self->jobs, name);
        int rc = job || !self->store ? 0 : dt_store_jobinfo_get (self->store, name, &info);
        if (rc < 0 || s_item (&lister, name, &info) < 0)
            dt_state_fail (self, "store read failed");
        return lister.count;
    }
    if (!self->store)
        return s_page_memory (self, &lister, before, max, cursor);
    if (dt_store_jobinfo_list (self->store, before, max, s_list_row, &lister) != 0) {
        dt_state_fail (self, "store read failed");
        return 0;
    }
    /* A full read may have more behind it; a short one reached the end. */
    *cursor = lister.examined == max ? lister.last_seq : 0;
    return lister.count;
}
