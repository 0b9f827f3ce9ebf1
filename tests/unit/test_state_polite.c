/* test_state_polite.c - politeness in the model: robots.txt fetched first as an internal task,
 * disallowed pages failed unfetched, one request out per delayed origin while others go,
 * Retry-After pausing a host for every job, with --host-limit beside it. */
#include "dt_polite.h"
#include "dt_state.h"
#include "dt_test.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];

/* The master's clock: the model's politeness reads it too. */
static int64_t s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static dt_state_t *s_model (uint32_t host_limit)
{
    dt_state_opts_t opts = {
        .max_attempts = 3, .retry_base_ms = 100, .task_ms = 100000, .host_limit = host_limit};
    return dt_state_new (&opts, NULL);
}

static int s_submit (dt_state_t *st, const char *job, const char **urls, uint32_t n)
{
    dt_str_t strs[16];
    for (uint32_t i = 0; i < n; i++)
        strs[i] = dt_str (urls[i]);
    uint64_t first;
    uint32_t count;
    char err[128];
    return dt_state_submit (st, dt_str (job), 0, strs, n, &first, &count, err, sizeof err);
}

static dt_worker_t *s_worker (dt_state_t *st, const char *name)
{
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = strlen (name);
    memcpy (peer.id, name, peer.len);
    return dt_workers_add (dt_state_workers (st), &peer, dt_str (name), 100);
}

static uint32_t s_dispatch (dt_state_t *st, dt_worker_t *w)
{
    uint32_t n = dt_state_take (st, 100, s_items, s_tasks);
    dt_state_lease (st, w, s_tasks, n, s_now ());
    return n;
}

static void s_result (dt_state_t *st, dt_worker_t *w, uint64_t id, uint32_t attempt,
                      uint8_t outcome, uint16_t status, const char *output, uint32_t retry_after_ms)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.attempt = attempt;
    r.epoch = dt_state_epoch (st);
    r.outcome = outcome;
    r.http_status = status;
    r.output = dt_str (output);
    r.bytes = r.output.len;
    r.retry_after_ms = retry_after_ms;
    r.final_url = r.content_type = r.error = dt_str ("");
    dt_state_result (st, w, &r, s_now ());
}

static void test_robots_txt_goes_first_and_a_disallowed_page_fails_unfetched (void)
{
    dt_state_t *st = s_model (0);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st, "w");
    const char *urls[] = {"http://h.test/a", "http://h.test/private/b", "http://h.test/c"};
    DT_CHECK_EQ (s_submit (st, "j", urls, 3), 0);
    dt_state_job_polite (st, dt_str ("j"), 1, 0);
    /* One robots.txt fetch, and the pages wait for it. */
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK (dt_polite_owns (s_items[0].id));
    DT_CHECK_EQ (s_items[0].flags, DT_TASK_BODY);
    const char *robots = "http://h.test:80/robots.txt";
    DT_CHECK (s_items[0].payload.len == strlen (robots) &&
              memcmp (s_items[0].payload.ptr, robots, strlen (robots)) == 0);
    uint64_t robots_id = s_items[0].id;
    DT_CHECK_EQ (dt_state_queued (st), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    s_result (st, w, robots_id, 1, DT_OUTCOME_DONE, 200, "User-agent: *\nDisallow: /private/\n", 0);
    /* Then a and c go; b ends failed without going out. */
    DT_CHECK_EQ (s_dispatch (st, w), 2);
    DT_CHECK (s_items[0].id == 1 && s_items[1].id == 3);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str ("j"), &stats);
    DT_CHECK_EQ (stats.failed, 1);
    DT_CHECK_EQ (stats.inflight, 2);
    dt_record_t rec[4];
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("j"), &cursor, 4, 0, rec), 1);
    DT_CHECK (rec[0].id == 2 && rec[0].error.len == strlen (DT_POLITE_DISALLOWED) &&
              memcmp (rec[0].error.ptr, DT_POLITE_DISALLOWED, rec[0].error.len) == 0);
    /* A second job on the same origin does not fetch robots.txt again. */
    const char *more[] = {"http://h.test/private/d"};
    DT_CHECK_EQ (s_submit (st, "k", more, 1), 0);
    dt_state_job_polite (st, dt_str ("k"), 1, 0);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    dt_state_stats (st, dt_str ("k"), &stats);
    DT_CHECK_EQ (stats.failed, 1);
    dt_state_destroy (&st);
}

static void test_a_delayed_origin_has_one_request_out_and_others_go (void)
{
    dt_state_t *st = s_model (0);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st, "w");
    const char *urls[] = {"http://one.test/1", "http://one.test/2", "http://two.test/1",
                          "http://two.test/2"};
    DT_CHECK_EQ (s_submit (st, "j", urls, 4), 0);
    /* Ten minutes between starts: the second page of an origin cannot go
     * while this test runs, however slow the machine. */
    dt_state_job_polite (st, dt_str ("j"), 0, DT_LIMIT_HOST_DELAY_MAX_MS);
    DT_CHECK_EQ (s_dispatch (st, w), 2);
    DT_CHECK (s_items[0].id == 1 && s_items[1].id == 3);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    /* While they are out, nothing is due; once they are answered, the next
     * starts are minutes away. */
    DT_CHECK_EQ (dt_state_next_due (st), INT64_MAX);
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, 200, "", 0);
    s_result (st, w, 3, 1, DT_OUTCOME_DONE, 200, "", 0);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    DT_CHECK (dt_state_next_due (st) > s_now () + DT_LIMIT_HOST_DELAY_MAX_MS / 2);
    /* A job without a delay on another origin is not held up. */
    const char *other[] = {"http://three.test/1", "http://three.test/2"};
    DT_CHECK_EQ (s_submit (st, "k", other, 2), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 2);
    /* Cancel: the parked pages leave, nothing stays counted. */
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("j"), &count, s_now ()), 0);
    DT_CHECK_EQ (count, 2);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (""), &stats);
    DT_CHECK_EQ (stats.pending, 0);
    dt_state_destroy (&st);
}

static void test_a_retry_after_pauses_the_host_for_every_job_beside_the_host_limit (void)
{
    dt_state_t *st = s_model (1);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st, "w");
    /* A job with no politeness of its own: 1 goes, 2 waits behind the
     * host limit. */
    const char *urls[] = {"http://busy.test/1", "http://busy.test/2", "http://calm.test/1"};
    DT_CHECK_EQ (s_submit (st, "j", urls, 3), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 2);
    DT_CHECK (s_items[0].id == 1 && s_items[1].id == 3);
    /* 429 with Retry-After: 10 minutes. Its host is paused: 2, ready behind
     * the limit, waits again and gives the host's slot back; 1's retry
     * comes no sooner. */
    s_result (st, w, 1, 1, DT_OUTCOME_RETRY, 429, "", 600000);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str ("j"), &stats);
    DT_CHECK_EQ (stats.delayed, 1);
    DT_CHECK (dt_state_next_due (st) > s_now () + 500000);
    /* Another job's page of that host waits too; of another host, goes. */
    s_result (st, w, 3, 1, DT_OUTCOME_DONE, 200, "", 0);
    const char *more[] = {"http://busy.test/3", "http://calm.test/2"};
    DT_CHECK_EQ (s_submit (st, "k", more, 2), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK_EQ (s_items[0].id, 5);
    /* Cancelled, the waiting pages release everything they held. */
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("j"), &count, s_now ()), 0);
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("k"), &count, s_now ()), 0);
    dt_state_stats (st, dt_str (""), &stats);
    DT_CHECK_EQ (stats.pending + stats.inflight + stats.delayed, 0);
    DT_CHECK (!dt_state_broken (st));
    dt_state_destroy (&st);
}

static void test_a_lost_robots_fetch_goes_out_again (void)
{
    dt_state_t *st = s_model (0);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st, "w");
    const char *urls[] = {"http://r.test/a"};
    DT_CHECK_EQ (s_submit (st, "j", urls, 1), 0);
    dt_state_job_polite (st, dt_str ("j"), 1, 0);
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    uint64_t robots_id = s_items[0].id;
    /* Its worker goes: the fetch is sent again, to the next worker. */
    DT_CHECK_EQ (dt_state_drop_worker (st, &w, s_now ()), 1);
    dt_worker_t *w2 = s_worker (st, "w2");
    DT_CHECK_EQ (dt_state_queued (st), 1);
    DT_CHECK_EQ (s_dispatch (st, w2), 1);
    DT_CHECK_EQ (s_items[0].id, robots_id);
    DT_CHECK_EQ (s_items[0].attempt, 2);
    s_result (st, w2, robots_id, 2, DT_OUTCOME_DONE, 404, "", 0);
    DT_CHECK_EQ (s_dispatch (st, w2), 1);
    DT_CHECK_EQ (s_items[0].id, 1);
    dt_state_destroy (&st);
}

static void test_robots_txt_goes_with_the_jobs_user_agent (void)
{
    dt_state_t *st = s_model (0);
    DT_CHECK (st && dt_state_begin_epoch (st) == 0);
    dt_worker_t *w = s_worker (st, "w");
    /* The job's pages are HEADs with a small body cap; its robots.txt is
     * a GET of the whole file, with the job's User-Agent and headers. */
    dt_msg_httpopt_t http;
    memset (&http, 0, sizeof http);
    http.method = DT_HTTP_METHOD_HEAD;
    http.max_bytes = 10;
    http.user_agent = dt_str ("MyBot/1.0");
    http.headers = dt_str ("X-Team: crawl");
    const char *urls[] = {"http://h.test/a"};
    DT_CHECK_EQ (s_submit (st, "j", urls, 1), 0);
    DT_CHECK_EQ (dt_state_job_http_set (st, dt_str ("j"), &http), 0);
    dt_state_job_polite (st, dt_str ("j"), 1, 0);
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK (dt_polite_owns (s_items[0].id));
    const dt_msg_httpopt_t *sent;
    uint32_t nhttp = dt_state_take_http (st, &sent);
    DT_CHECK (nhttp == 1 && s_items[0].opts == 1);
    DT_CHECK_EQ (sent[0].method, DT_HTTP_METHOD_GET);
    DT_CHECK_EQ (sent[0].max_bytes, 0);
    DT_CHECK (sent[0].user_agent.len == 9 && memcmp (sent[0].user_agent.ptr, "MyBot/1.0", 9) == 0);
    DT_CHECK (sent[0].headers.len == 13 && memcmp (sent[0].headers.ptr, "X-Team: crawl", 13) == 0);
    s_result (st, w, s_items[0].id, 1, DT_OUTCOME_DONE, 200, "User-agent: *\nAllow: /\n", 0);
    /* The page goes with the job's own options, a HEAD. */
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK (s_items[0].id == 1 && s_items[0].opts == 1);
    nhttp = dt_state_take_http (st, &sent);
    DT_CHECK (nhttp == 1 && sent[0].method == DT_HTTP_METHOD_HEAD && sent[0].max_bytes == 10);
    dt_state_destroy (&st);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"robots.txt goes first and a disallowed page fails unfetched",
         test_robots_txt_goes_first_and_a_disallowed_page_fails_unfetched},
        {"a delayed origin has one request out and others go",
         test_a_delayed_origin_has_one_request_out_and_others_go},
        {"a Retry-After pauses the host for every job, beside the host limit",
         test_a_retry_after_pauses_the_host_for_every_job_beside_the_host_limit},
        {"a lost robots.txt fetch goes out again", test_a_lost_robots_fetch_goes_out_again},
        {"robots.txt goes with the job's User-Agent",
         test_robots_txt_goes_with_the_jobs_user_agent},
        {0},
    };
    return dt_test_run (tests);
}
