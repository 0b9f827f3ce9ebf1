/* dt_state_crawl.c - crawls in the model: a crawl's seeds, the tasks made of its pages' links,
 * and its state in the store. */
#include "dt_frontier.h"
#include "dt_jobhttp.h"
#include "dt_life.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_state.h"
#include "dt_state_priv.h"
#include "dt_store_crawl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dt_str_t s_name (const dt_job_t *job)
{
    return dt_str_n (job->name, job->name_len);
}

/* The crawl of `job`, or NULL. */
static dt_crawl_t *s_crawl_of (dt_state_t *self, const dt_job_t *job)
{
    if (!job || dt_frontier_count (self->crawls) == 0)
        return NULL;
    return dt_frontier_find (self->crawls, s_name (job));
}

int dt_state_job_is_crawl (dt_state_t *self, dt_str_t job)
{
    return dt_frontier_count (self->crawls) > 0 && dt_frontier_find (self->crawls, job);
}

int dt_state_crawl_agent (dt_state_t *self, dt_str_t job, dt_str_t *agent)
{
    *agent = dt_str_n ("", 0);
    if (!dt_state_job_is_crawl (self, job))
        return 0;
    const dt_job_t *record = dt_jobs_find (self->jobs, job);
    if (record && record->http)
        *agent = dt_jobhttp_msg (record->http)->user_agent;
    return 1;
}

uint32_t dt_state_task_flags (dt_state_t *self, const dt_task_t *task)
{
    /* Every task taken asks: without a crawl running, no job is looked up. */
    if (dt_frontier_count (self->crawls) == 0)
        return 0;
    return s_crawl_of (self, dt_jobs_at (self->jobs, task->job)) ? DT_TASK_LINKS : 0;
}

dt_frontier_counts_t dt_state_crawl_totals (const dt_state_t *self)
{
    return dt_frontier_totals (self->crawls);
}

size_t dt_state_crawls (const dt_state_t *self)
{
    return dt_frontier_count (self->crawls);
}

/* Logs what a crawl made and skipped, once, when it ends. */
static void s_log_end (const dt_crawl_t *crawl)
{
    const dt_frontier_counts_t *c = dt_crawl_counts (crawl);
    dt_str_t job = dt_crawl_job (crawl);
    dt_log_info ("MASTER-CRAWL-FINISHED",
                 "crawl %.*s: %" PRIu64 " links made tasks; skipped: %" PRIu64 " seen, %" PRIu64
                 " off scope, %" PRIu64 " past the depth, %" PRIu64 " past max pages, %" PRIu64
                 " bad URLs, %" PRIu64 " over the per-page cap, %" PRIu64 " refused, %" PRIu64
                 " out of memory",
                 (int) job.len, job.ptr, c->added, c->seen, c->scope, c->depth, c->max_pages,
                 c->bad, c->over_cap, c->refused, c->memory);
}

void dt_state_crawl_sweep (dt_state_t *self)
{
    /* A crawl whose job has nothing unfinished is over: its links were all
     * submitted before the page that held them was recorded, so no result
     * to come can add to it. */
    for (size_t i = dt_frontier_count (self->crawls); i-- > 0;) {
        dt_crawl_t *crawl = dt_frontier_at (self->crawls, i);
        dt_job_t *job = dt_jobs_find (self->jobs, dt_crawl_job (crawl));
        if (job && dt_life_unfinished (job->states) > 0)
            continue;
        s_log_end (crawl);
        dt_frontier_remove (self->crawls, &crawl);
    }
}

/* Reads a crawl's seen set from the store the first time it is needed. */
static int s_seen_ready (dt_state_t *self, dt_crawl_t *crawl)
{
    if (dt_crawl_seen_loaded (crawl))
        return 0;
    if (!self->store)
        return dt_crawl_seen_ready (crawl, 0);
    if (dt_store_crawl_seen_load (self->store, dt_crawl_job (crawl), crawl) != 0) {
        dt_state_fail (self, "reading a crawl's seen set failed");
        return -1;
    }
    return 0;
}

int dt_state_crawl_submit (dt_state_t *self, dt_str_t job, uint32_t chunk,
                           const dt_msg_crawl_t *tuple, const dt_str_t *seeds, uint32_t nseeds,
                           uint64_t *first_id, uint32_t *count, char *err, size_t err_size)
{
    if (chunk != 0) {
        snprintf (err, err_size, "a crawl's seeds go in one chunk, chunk 0");
        return DT_ERR_MALFORMED;
    }
    if (dt_frontier_check (tuple, err, err_size) != 0)
        return DT_ERR_MALFORMED;
    /* A crawl already running, or any job known: a resend, answered as
     * one, or a conflict (dt_state_submit tells). */
    if (dt_frontier_find (self->crawls, job) || dt_state_job_known (self, job))
        return dt_state_submit (self, job, chunk, seeds, nseeds, first_id, count, err, err_size);
    if (self->broken) {
        snprintf (err, err_size, "store read failed");
        return DT_ERR_STORE;
    }
    dt_state_crawl_sweep (self); /* room for this one */
    dt_crawl_conf_t conf;
    memset (&conf, 0, sizeof conf);
    conf.scope_kind = tuple->scope_kind;
    conf.depth = tuple->depth;
    conf.max_pages = tuple->max_pages;
    conf.next_chunk = DT_FRONTIER_CHUNK_BASE;
    char *hosts = NULL;
    if (tuple->scope_kind == DT_SCOPE_HOST || tuple->scope_kind == DT_SCOPE_DOMAIN) {
        size_t len = 0;
        if (!(hosts = dt_frontier_seed_hosts (tuple->scope_kind, seeds, nseeds, &len))) {
            snprintf (err, err_size, "more than %d seed hosts: use a regex scope",
                      DT_LIMIT_SCOPE_HOSTS);
            return DT_ERR_TOO_BIG;
        }
        conf.scope = dt_str_n (hosts, len);
    } else
        conf.scope = tuple->scope;
    if (dt_urlfp_key_random (&conf.key) != 0) {
        free (hosts);
        snprintf (err, err_size, "no random source for the crawl's key");
        return DT_ERR_STORE;
    }
    dt_crawl_t *crawl = dt_frontier_add (self->crawls, job, &conf, err, err_size);
    free (hosts);
    if (!crawl)
        return DT_ERR_TOO_BIG;
    if (tuple->max_pages && nseeds > tuple->max_pages)
        nseeds = (uint32_t) tuple->max_pages;
    int rc = dt_state_submit (self, job, chunk, seeds, nseeds, first_id, count, err, err_size);
    if (rc != 0) {
        dt_frontier_remove (self->crawls, &crawl);
        return rc;
    }
    /* The seeds are seen: a link back to one makes no second task. */
    uint64_t fps[DT_LIMIT_BATCH_MAX];
    uint32_t nfps = 0;
    if (dt_crawl_seen_ready (crawl, nseeds) != 0) {
        dt_state_fail (self, "out of memory for a crawl's seen set");
        return 0;
    }
    for (uint32_t i = 0; i < nseeds; i++) {
        uint64_t fp = dt_crawl_fp (crawl, seeds[i].ptr, seeds[i].len);
        if (dt_crawl_seen_add (crawl, fp) == 1)
            fps[nfps++] = fp;
    }
    if (self->store) {
        dt_state_check (self, dt_store_crawl_put (self->store, job, dt_crawl_conf (crawl)));
        dt_state_check (self, dt_store_crawl_seen_add (self->store, job, fps, nfps));
    }
    char depth[16] = "any";
    if (tuple->depth != DT_CRAWL_DEPTH_ANY)
        snprintf (depth, sizeof depth, "%" PRIu32, tuple->depth);
    dt_log_info ("MASTER-CRAWL", "crawl %.*s: %" PRIu32 " seeds, depth %s, max pages %" PRIu64,
                 (int) job.len, job.ptr, nseeds, depth, tuple->max_pages);
    return 0;
}

void dt_state_crawl_links (dt_state_t *self, const dt_task_t *task, dt_str_t links)
{
    dt_job_t *job = dt_jobs_at (self->jobs, task->job);
    dt_crawl_t *crawl = s_crawl_of (self, job);
    if (!crawl || links.len == 0 || s_seen_ready (self, crawl) != 0)
        return;
    const dt_crawl_conf_t *conf = dt_crawl_conf (crawl);
    int limited = conf->depth != DT_CRAWL_DEPTH_ANY;
    uint32_t depth = limited ? dt_crawl_depth_of (crawl, task->id) : 0;
    uint64_t room = !conf->max_pages                ? UINT64_MAX
                    : job->total >= conf->max_pages ? 0
                                                    : conf->max_pages - job->total;
    /* 24 KiB: on the stack, once per page. */
    dt_str_t urls[DT_LIMIT_LINKS_MAX];
    uint64_t fps[DT_LIMIT_LINKS_MAX];
    uint32_t n = dt_crawl_filter (crawl, links, depth, room, urls, fps);
    if (n == 0)
        return;
    uint64_t first = 0;
    uint32_t count = 0;
    char why[DT_LIMIT_ERROR_MAX];
    dt_str_t name = s_name (job);
    int rc = dt_state_submit (self, name, dt_crawl_next_chunk (crawl), urls, n, &first, &count, why,
                              sizeof why);
    if (rc != 0) {
        dt_crawl_refused (crawl, n);
        dt_log_debug ("CRAWL-REFUSED", "crawl %s: %" PRIu32 " links of task %" PRIu64 ": %s",
                      job->name, n, task->id, why);
        return;
    }
    if (limited && dt_crawl_depth_put (crawl, first, count, depth + 1) != 0)
        dt_state_fail (self, "out of memory recording a crawl's depths");
    if (self->store) {
        if (limited)
            dt_state_check (self,
                            dt_store_crawl_depth_add (self->store, name, first, count, depth + 1));
        dt_state_check (self, dt_store_crawl_seen_add (self->store, name, fps, n));
    }
}

typedef struct {
    dt_state_t *state;
    uint32_t loaded;
} s_load_t;

static int s_on_crawl (void *arg, dt_str_t name, const dt_crawl_conf_t *stored)
{
    s_load_t *load = arg;
    dt_state_t *self = load->state;
    dt_job_t *job = dt_jobs_find (self->jobs, name);
    if (!job || dt_life_unfinished (job->states) == 0)
        return 0; /* over */
    dt_crawl_conf_t conf = *stored;
    if (dt_store_next_chunk (self->store, name, &conf.next_chunk) != 0)
        return -1;
    char err[128] = "";
    dt_crawl_t *crawl = dt_frontier_add (self->crawls, name, &conf, err, sizeof err);
    if (!crawl) {
        dt_log_error ("MASTER-RECOVER", "crawl %s: %s", job->name, err);
        return -1;
    }
    if (dt_store_crawl_seen_load (self->store, name, crawl) != 0 ||
        (conf.depth != DT_CRAWL_DEPTH_ANY &&
         dt_store_crawl_depth_load (self->store, name, crawl) != 0))
        return -1;
    load->loaded++;
    return 0;
}

int dt_state_crawl_load (dt_state_t *self)
{
    if (!self->store)
        return 0;
    s_load_t load = {self, 0};
    if (dt_store_crawl_each (self->store, s_on_crawl, &load) != 0)
        return -1;
    if (load.loaded)
        dt_log_info ("MASTER-RECOVER", "%" PRIu32 " crawls go on", load.loaded);
    return 0;
}
