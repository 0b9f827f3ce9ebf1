/* test_state_crawl.c - crawls in the master's model: a page's links become tasks of its job before
 * the page is recorded, within scope, depth and once each, and a crawl goes on from the store. */
#include "dt_state.h"
#include "dt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];

static const dt_state_opts_t s_opts = {.max_attempts = 2, .retry_base_ms = 100, .task_ms = 1000};

static int s_crawl (dt_state_t *st, const char *job, uint32_t depth)
{
    dt_str_t seeds[] = {dt_str ("http://h.test/")};
    dt_msg_crawl_t crawl = {DT_SCOPE_HOST, dt_str (""), depth, 0};
    uint64_t first;
    uint32_t count;
    char err[256] = "";
    return dt_state_crawl_submit (st, dt_str (job), 0, &crawl, seeds, 1, &first, &count, err,
                                  sizeof err);
}

static dt_worker_t *s_worker (dt_state_t *st)
{
    dt_peer_t peer = {.len = 1, .id = {'w'}};
    return dt_workers_add (dt_state_workers (st), &peer, dt_str ("w"), 64);
}

/* Takes and leases every queued task: the count; each must ask for links. */
static uint32_t s_take (dt_state_t *st, dt_worker_t *w)
{
    uint32_t n = dt_state_take (st, DT_LIMIT_BATCH_MAX, s_items, s_tasks);
    for (uint32_t i = 0; i < n; i++)
        if (!(s_items[i].flags & DT_TASK_LINKS))
            return UINT32_MAX;
    dt_state_lease (st, w, s_tasks, n, 0);
    return n;
}

/* The DONE result of the taken task whose URL is `url`, with `links`. */
static void s_page (dt_state_t *st, dt_worker_t *w, uint32_t n, const char *url, const char *links)
{
    for (uint32_t i = 0; i < n; i++)
        if (s_items[i].payload.len == strlen (url) &&
            memcmp (s_items[i].payload.ptr, url, s_items[i].payload.len) == 0) {
            dt_report_t r = {.id = s_items[i].id,
                             .attempt = s_items[i].attempt,
                             .epoch = dt_state_epoch (st),
                             .outcome = DT_OUTCOME_DONE,
                             .http_status = 200,
                             .links = dt_str (links)};
            dt_state_result (st, w, &r, 0);
        }
}

static dt_msg_stats_t s_stats (dt_state_t *st, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (job), &stats);
    return stats;
}

static void test_links_become_tasks_within_scope_and_depth (void)
{
    dt_state_t *st = dt_state_new (&s_opts, NULL);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st);
    DT_CHECK (w);
    DT_CHECK_EQ (s_crawl (st, "c", 1), 0);
    DT_CHECK (dt_state_job_is_crawl (st, dt_str ("c")) &&
              !dt_state_job_is_crawl (st, dt_str ("d")));
    dt_msg_httpopt_t http = {.user_agent = dt_str ("bot/1")};
    DT_CHECK_EQ (dt_state_job_http_set (st, dt_str ("c"), &http), 0);
    dt_str_t agent;
    DT_CHECK (dt_state_crawl_agent (st, dt_str ("c"), &agent) == 1 && agent.len == 5 &&
              memcmp (agent.ptr, "bot/1", 5) == 0);
    uint32_t n = s_take (st, w);
    DT_CHECK_EQ (n, 1);
    s_page (
        st, w, n, "http://h.test/",
        "http://h.test/a\nhttp://h.test/b\nhttp://other.test/\nhttp://h.test/a\nhttp://h.test/");
    /* Added before the page was recorded: the job never looked finished. */
    dt_msg_stats_t s = s_stats (st, "c");
    DT_CHECK (s.submitted == 3 && s.done == 1 && s.pending == 2);
    n = s_take (st, w);
    DT_CHECK_EQ (n, 2);
    /* Depth 1 reached: the links of /a make nothing. */
    s_page (st, w, n, "http://h.test/a", "http://h.test/c");
    s_page (st, w, n, "http://h.test/b", "");
    s = s_stats (st, "c");
    DT_CHECK (s.submitted == 3 && s.done == 3 && s.pending == 0 && s.inflight == 0);
    dt_frontier_counts_t c = dt_state_crawl_totals (st);
    DT_CHECK (c.added == 2 && c.seen == 2 && c.scope == 1 && c.depth == 1);
    /* The next turn sees it over. */
    dt_state_promote_due (st, 0);
    DT_CHECK_EQ (dt_state_crawls (st), 0);
    DT_CHECK (!dt_state_crawl_agent (st, dt_str ("c"), &agent));
    dt_state_destroy (&st);
}

static void test_a_crawl_goes_on_from_the_store (void)
{
    char dir[64], err[256];
    snprintf (dir, sizeof dir, "/tmp/dtask-crawl-XXXXXX");
    DT_CHECK (mkdtemp (dir) != NULL);
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_state_t *st = dt_state_new (&s_opts, store);
    DT_CHECK (st && dt_state_load (st) == 0 && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st);
    DT_CHECK_EQ (s_crawl (st, "c", DT_CRAWL_DEPTH_ANY), 0);
    uint32_t n = s_take (st, w);
    s_page (st, w, n, "http://h.test/", "http://h.test/a\nhttp://h.test/b");
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_state_destroy (&st); /* a crash: /a and /b were queued */
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    st = dt_state_new (&s_opts, store);
    DT_CHECK (st && dt_state_load (st) == 0 && dt_state_begin_epoch (st) == 0);
    DT_CHECK_EQ (dt_state_crawls (st), 1);
    w = s_worker (st);
    n = s_take (st, w);
    DT_CHECK_EQ (n, 2);
    /* The seen set came back: only /d is new. */
    s_page (st, w, n, "http://h.test/a", "http://h.test/\nhttp://h.test/b\nhttp://h.test/d");
    s_page (st, w, n, "http://h.test/b", "http://h.test/a");
    dt_msg_stats_t s = s_stats (st, "c");
    DT_CHECK (s.submitted == 4 && s.done == 3 && s.pending == 1);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", dir);
}

static void test_bad_crawls_are_refused (void)
{
    dt_state_t *st = dt_state_new (&s_opts, NULL);
    DT_CHECK (st);
    dt_str_t seeds[] = {dt_str ("http://h.test/")};
    dt_msg_crawl_t crawl = {DT_SCOPE_REGEX, dt_str ("(a)\\1"), DT_CRAWL_DEPTH_ANY, 0};
    uint64_t first;
    uint32_t count;
    char err[256] = "";
    DT_CHECK_EQ (dt_state_crawl_submit (st, dt_str ("r"), 0, &crawl, seeds, 1, &first, &count, err,
                                        sizeof err),
                 DT_ERR_MALFORMED);
    crawl.scope = dt_str ("h\\.test");
    DT_CHECK_EQ (dt_state_crawl_submit (st, dt_str ("r"), 1, &crawl, seeds, 1, &first, &count, err,
                                        sizeof err),
                 DT_ERR_MALFORMED);
    DT_CHECK (strstr (err, "chunk 0"));
    DT_CHECK_EQ (dt_state_crawls (st), 0);
    DT_CHECK (!dt_state_job_known (st, dt_str ("r")));
    dt_state_destroy (&st);
}

static const dt_test_t s_tests[] = {
    {"links become tasks within scope and depth", test_links_become_tasks_within_scope_and_depth},
    {"a crawl goes on from the store", test_a_crawl_goes_on_from_the_store},
    {"bad crawls are refused", test_bad_crawls_are_refused},
    {0},
};

int main (void)
{
    return dt_test_run (s_tests);
}
