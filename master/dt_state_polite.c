/* dt_state_polite.c - the model's side of politeness (dt_polite.h): which tasks it applies to,
 * parking and granting them, robots.txt fetches as internal leases, jobs' settings, STATUS --hosts.
 *
 * Nothing here runs for a master without politeness: self->polite stays
 * NULL until a job obeys robots.txt or sets a host delay, --host-delay is
 * given, or a server asks for a pause (Retry-After); until then the take
 * path pays one pointer test per http task.
 */
#include "dt_jobhttp.h"
#include "dt_log.h"
#include "dt_state_priv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* dt_polite's grant: the parked task `id` (generation `gen`), if it still
 * waits, is its origin's next to go, before the queue. */
static int s_grant (void *arg, uint64_t id, uint32_t gen)
{
    dt_state_t *self = arg;
    dt_task_t *task = dt_tasks_get (self->tasks, id);
    if (!task || task->state != DT_TASK_QUEUED || task->gen != gen ||
        task->parked != DT_TASK_POLITE)
        return 0;
    task->parked = DT_TASK_GRANTED;
    self->parked--;
    if (dt_queue_push_back (self->granted, id, gen) != 0)
        dt_state_fail (self, "out of memory queueing a task");
    return 1;
}

int dt_state_polite_on (dt_state_t *self)
{
    if (self->polite)
        return 0;
    if (!(self->granted = dt_queue_new ()) || !(self->polite = dt_polite_new (s_grant, self))) {
        dt_queue_destroy (&self->granted);
        dt_state_fail (self, "out of memory starting politeness");
        return -1;
    }
    return 0;
}

void dt_state_polite_free (dt_state_t *self)
{
    dt_polite_destroy (&self->polite);
    dt_queue_destroy (&self->granted);
}

int dt_state_polite_check (dt_state_t *self, dt_task_t *task, dt_str_t url, int64_t now,
                           dt_polite_host_t **host_p, uint32_t *delay_p)
{
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    dt_polite_rule_t rule = {0};
    rule.robots = job && job->robots;
    rule.delay_ms = job && job->host_delay_ms ? job->host_delay_ms : self->opts.host_delay_ms;
    /* robots.txt groups are matched on the job's own User-Agent's token. */
    char agent[DT_POLITE_AGENT_MAX + 1];
    if (rule.robots && job->http) {
        rule.http = dt_jobhttp_msg (job->http);
        dt_str_t ua = rule.http->user_agent;
        dt_polite_agent (ua.ptr, ua.len, agent);
        if (agent[0])
            rule.agent = agent;
    }
    int granted = task->parked == DT_TASK_GRANTED;
    if (granted)
        task->parked = 0;
    const char *why = NULL;
    dt_polite_verdict_t v = dt_polite_admit (self->polite, url.ptr, url.len, &rule, granted, now,
                                             host_p, delay_p, &why);
    switch (v) {
    case DT_POLITE_GO:
        return 1;
    case DT_POLITE_WAIT:
        /* A grant that must wait again (a pause came meanwhile) keeps its
         * place at the front. */
        if (dt_polite_park (self->polite, *host_p, task->id, task->gen, *delay_p, granted) != 0)
            break;
        task->parked = DT_TASK_POLITE;
        self->parked++;
        return 0;
    case DT_POLITE_DENY:
        dt_log_debug ("POLITE-DENIED", "task %" PRIu64 ": %s", task->id, why);
        dt_state_finish (self, task, DT_LIFE_REFUSE, NULL, dt_str_n ("", 0), why, now);
        /* The origin's next page may be refused too: grant it now. */
        dt_polite_promote (self->polite, now);
        return 0;
    case DT_POLITE_ERROR:
        break;
    }
    return -1;
}

void dt_state_polite_left (dt_state_t *self, const dt_task_t *task, uint8_t parked)
{
    if (parked == DT_TASK_POLITE)
        self->parked--;
    else if (parked == DT_TASK_GRANTED && self->polite) {
        dt_str_t kind, url;
        dt_spec_split (task->url, task->url_len, &kind, &url, NULL);
        dt_polite_ungrant (self->polite, url.ptr, url.len);
    }
}

void dt_state_polite_ended (dt_state_t *self, const dt_task_t *task, const dt_report_t *result,
                            int unsent, int64_t now)
{
    if (task->kind != DT_KINDS_HTTP + 1)
        return;
    /* A server's pause applies to every job's pages of its host. */
    if (!self->polite && result && result->retry_after_ms > 0 && dt_state_polite_on (self) != 0)
        return;
    if (!self->polite)
        return;
    dt_str_t kind, url;
    dt_spec_split (task->url, task->url_len, &kind, &url, NULL);
    dt_polite_ended (self->polite, url.ptr, url.len,
                     unsent   ? DT_POLITE_END_UNSENT
                     : result ? DT_POLITE_END_RESULT
                              : DT_POLITE_END_LOST,
                     result, now);
}

/* take_jobs' mark for options no job's task may share: no job has this
 * number (dt_jobs holds far fewer). */
#define DT_STATE_TAKE_NO_JOB UINT32_MAX

/* The T.opts of a robots.txt fetch: its own entry in the take's list of
 * HTTP options (marked as no job's, so no page of the job reuses it: its
 * method and body cap are the fetch's), 0 when it has none, UINT32_MAX
 * when the list is full. Its size is added to *size. */
static uint32_t s_fetch_opts (dt_state_t *self, const dt_task_t *task, size_t *size)
{
    const dt_msg_httpopt_t *http = dt_polite_fetch_http (task);
    if (!http)
        return 0;
    if (self->take_nhttp == DT_LIMIT_TASKS_HTTP)
        return UINT32_MAX;
    self->take_jobs[self->take_nhttp] = DT_STATE_TAKE_NO_JOB;
    self->take_http[self->take_nhttp] = *http;
    *size += dt_msg_httpopt_size (http);
    return ++self->take_nhttp;
}

uint32_t dt_state_polite_fetches (dt_state_t *self, uint32_t max, dt_msg_task_t *items,
                                  dt_task_t **tasks, size_t *bytes)
{
    uint32_t count = 0;
    dt_task_t *task;
    while (count < max && (task = dt_polite_fetch_take (self->polite, &items[count]))) {
        size_t size = dt_msg_task_size (&items[count]);
        uint32_t nhttp = self->take_nhttp;
        items[count].opts = s_fetch_opts (self, task, &size);
        if (items[count].opts == UINT32_MAX ||
            (*bytes > 0 && *bytes + size > DT_LIMIT_BATCH_BYTES)) { /* the batch holds some */
            self->take_nhttp = nhttp;
            dt_polite_fetch_untake (self->polite, task);
            break;
        }
        *bytes += size;
        tasks[count++] = task;
    }
    return count;
}

void dt_state_polite_fetch_result (dt_state_t *self, dt_worker_t *from, const dt_report_t *result,
                                   int64_t now)
{
    dt_task_t *task = self->polite ? dt_polite_fetch_find (self->polite, result->id) : NULL;
    if (!task || task->attempts != result->attempt || !from ||
        dt_workers_at (self->workers, task->worker) != from) {
        dt_life_count (&self->counts, NULL, DT_LIFE_LATE);
        return;
    }
    dt_workers_returned (self->workers, from);
    dt_workers_release (self->workers, task, now);
    dt_polite_fetch_done (self->polite, task, result, now);
}

void dt_state_job_polite (dt_state_t *self, dt_str_t name, int robots, uint32_t host_delay_ms)
{
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (!job || (!robots && !host_delay_ms))
        return;
    if ((robots && !job->robots) || (host_delay_ms && host_delay_ms != job->host_delay_ms)) {
        if (robots)
            job->robots = 1;
        if (host_delay_ms)
            job->host_delay_ms = host_delay_ms;
        if (self->store)
            dt_state_check (
                self, dt_store_polite_put (self->store, name, job->robots, job->host_delay_ms));
    }
    dt_state_polite_on (self);
}

void dt_state_job_polite_load (dt_state_t *self, dt_job_t *job)
{
    if (!self->store)
        return;
    int robots = 0;
    uint32_t delay = 0;
    int rc =
        dt_store_polite_get (self->store, dt_str_n (job->name, job->name_len), &robots, &delay);
    if (rc < 0) {
        dt_state_fail (self, "store read failed");
        return;
    }
    if (rc == 0 && (robots || delay)) {
        job->robots = (uint8_t) (robots != 0);
        job->host_delay_ms = delay;
        dt_state_polite_on (self);
    }
}

static size_t s_hash (const char *s, size_t len)
{
    size_t h = 5381;
    for (size_t i = 0; i < len; i++)
        h = h * 33 + (unsigned char) s[i];
    return h;
}

uint32_t dt_state_hosts (dt_state_t *self, dt_str_t name, dt_msg_host_t *rows, uint32_t max,
                         char *names, uint32_t *total)
{
    *total = 0;
    const dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (!job || max == 0)
        return 0;
    /* Every origin of the job's busy tasks, with their counts: a small
     * open-addressed table, as large as the tasks walked need. */
    typedef struct {
        char *origin; /* NULL: free */
        uint64_t queued, inflight;
    } s_row_t;
    size_t cap = 64, used = 0;
    s_row_t *table = calloc (cap, sizeof *table);
    if (!table)
        return 0;
    int64_t now = 0;
    {
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    uint64_t examined = 0;
    for (dt_task_t *task = dt_tasks_next (self->tasks, 0);
         task && examined++ < DT_STATE_HOSTS_SCAN_MAX;
         task = dt_tasks_next (self->tasks, task->id)) {
        if (task->job != job->index || !dt_state_is_busy (task))
            continue;
        dt_str_t kind, url;
        dt_spec_split (task->url, task->url_len, &kind, &url, NULL);
        if (!dt_spec_is_http (kind))
            continue;
        char origin[DT_POLITE_ORIGIN_MAX + 1];
        int olen = dt_polite_origin (url.ptr, url.len, origin, sizeof origin);
        if (olen < 0)
            continue;
        if ((used + 1) * 2 > cap) {
            s_row_t *bigger = calloc (cap * 2, sizeof *bigger);
            if (!bigger)
                break;
            for (size_t i = 0; i < cap; i++)
                if (table[i].origin) {
                    size_t j = s_hash (table[i].origin, strlen (table[i].origin)) & (cap * 2 - 1);
                    while (bigger[j].origin)
                        j = (j + 1) & (cap * 2 - 1);
                    bigger[j] = table[i];
                }
            free (table);
            table = bigger;
            cap *= 2;
        }
        size_t j = s_hash (origin, (size_t) olen) & (cap - 1);
        while (table[j].origin && strcmp (table[j].origin, origin) != 0)
            j = (j + 1) & (cap - 1);
        if (!table[j].origin) {
            if (!(table[j].origin = strdup (origin)))
                break;
            used++;
        }
        if (task->state == DT_TASK_INFLIGHT)
            table[j].inflight++;
        else
            table[j].queued++; /* queued, or delayed for a retry */
    }
    /* The `max` most queued: a selection by repeated maximum, max <=
     * DT_LIMIT_STATUS_HOSTS passes over the origins. */
    uint32_t count = 0;
    *total = (uint32_t) used;
    while (count < max) {
        size_t best = cap;
        for (size_t i = 0; i < cap; i++)
            if (table[i].origin && (best == cap || table[i].queued > table[best].queued ||
                                    (table[i].queued == table[best].queued &&
                                     strcmp (table[i].origin, table[best].origin) < 0)))
                best = i;
        if (best == cap)
            break;
        char *slot = names + (size_t) count * (DT_POLITE_ORIGIN_MAX + 1);
        size_t olen = strlen (table[best].origin);
        memcpy (slot, table[best].origin, olen + 1);
        dt_msg_host_t *row = &rows[count++];
        memset (row, 0, sizeof *row);
        row->origin = dt_str_n (slot, olen);
        row->queued = table[best].queued;
        row->inflight = table[best].inflight;
        dt_polite_row_t pr;
        if (self->polite && dt_polite_row (self->polite, slot, olen, now, &pr) == 0) {
            row->started = pr.started;
            row->done = pr.done;
            row->errors = pr.errors;
            row->denied = pr.denied;
            row->next_ms = pr.next_ms > UINT32_MAX ? UINT32_MAX : (uint32_t) pr.next_ms;
            row->robots = pr.robots;
        }
        free (table[best].origin);
        table[best].origin = NULL;
    }
    for (size_t i = 0; i < cap; i++)
        free (table[i].origin);
    free (table);
    return count;
}
