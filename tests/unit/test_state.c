/* test_state.c - the master's model in memory: submit, dispatch, results, retries, leases, pages.
 */
#include "dt_state.h"
#include "dt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1000000 /* any monotonic time; the model never reads the clock */

static dt_state_opts_t s_opts (void)
{
    dt_state_opts_t opts = {
        .max_pending = 0, .max_attempts = 3, .retry_base_ms = 100, .task_ms = 1000};
    return opts;
}

/* Submits `n` URLs http://h/<job>/<chunk>/<i> as chunk `chunk` of `job`. */
static int s_submit (dt_state_t *st, const char *job, uint32_t chunk, uint32_t n,
                     uint64_t *first_id, uint32_t *count)
{
    static char bufs[16][64];
    dt_str_t urls[16];
    for (uint32_t i = 0; i < n && i < 16; i++) {
        snprintf (bufs[i], sizeof bufs[i], "http://h/%s/%u/%u", job, chunk, i);
        urls[i] = dt_str (bufs[i]);
    }
    char err[256] = "";
    return dt_state_submit (st, dt_str (job), chunk, urls, n, first_id, count, err, sizeof err);
}

static dt_worker_t *s_worker (dt_state_t *st, const char *name, uint32_t capacity)
{
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = strlen (name);
    memcpy (peer.id, name, peer.len);
    return dt_workers_add (dt_state_workers (st), &peer, dt_str (name), capacity);
}

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];
static dt_record_t s_page[DT_LIMIT_BATCH_MAX];

/* Takes up to `max` tasks and leases them to `worker`. Returns the count. */
static uint32_t s_dispatch (dt_state_t *st, dt_worker_t *worker, uint32_t max, int64_t now)
{
    uint32_t n = dt_state_take (st, max, s_items, s_tasks);
    dt_state_lease (st, worker, s_tasks, n, now);
    return n;
}

static void s_result (dt_state_t *st, dt_worker_t *from, uint64_t id, uint32_t attempt,
                      uint8_t outcome, int64_t now)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.attempt = attempt;
    r.outcome = outcome;
    r.http_status = outcome == DT_OUTCOME_DONE ? 200 : 503;
    r.final_url = dt_str ("");
    r.content_type = dt_str ("text/html");
    r.error = dt_str (outcome == DT_OUTCOME_DONE ? "" : "HTTP 503");
    r.epoch = dt_state_epoch (st);
    dt_state_result (st, from, &r, now);
}

static dt_msg_stats_t s_stats (dt_state_t *st, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (job), &stats);
    return stats;
}

static void test_submit_assigns_ids_in_order (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    DT_CHECK (st);
    uint64_t first = 0;
    uint32_t count = 0;
    DT_CHECK_EQ (s_submit (st, "j1", 0, 3, &first, &count), 0);
    DT_CHECK_EQ (first, 1);
    DT_CHECK_EQ (count, 3);
    DT_CHECK_EQ (s_submit (st, "j2", 0, 2, &first, &count), 0);
    DT_CHECK_EQ (first, 4);
    DT_CHECK_EQ (count, 2);
    DT_CHECK_EQ (s_submit (st, "j1", 1, 1, &first, &count), 0);
    DT_CHECK_EQ (first, 6);
    dt_msg_stats_t all = s_stats (st, "");
    DT_CHECK_EQ (all.submitted, 6);
    DT_CHECK_EQ (all.pending, 6);
    DT_CHECK_EQ (s_stats (st, "j1").submitted, 4);
    DT_CHECK_EQ (s_stats (st, "j2").pending, 2);
    DT_CHECK_EQ (s_stats (st, "nope").submitted, 0);
    /* Dispatch order is submission order. */
    dt_worker_t *w = s_worker (st, "w", 100);
    DT_CHECK_EQ (s_dispatch (st, w, 100, NOW), 6);
    for (uint32_t i = 0; i < 6; i++) {
        DT_CHECK_EQ (s_items[i].id, i + 1);
        DT_CHECK_EQ (s_items[i].attempt, 1);
    }
    DT_CHECK (memcmp (s_items[5].payload.ptr, "http://h/j1/1/0", s_items[5].payload.len) == 0);
    dt_state_destroy (&st);
    DT_CHECK (st == NULL);
    dt_state_destroy (&st);
}

static void test_same_chunk_twice_returns_same_ids_and_creates_nothing (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first = 0, first2 = 0;
    uint32_t count = 0, count2 = 0;
    DT_CHECK_EQ (s_submit (st, "job", 7, 4, &first, &count), 0);
    DT_CHECK_EQ (s_submit (st, "job", 7, 4, &first2, &count2), 0);
    DT_CHECK_EQ (first2, first);
    DT_CHECK_EQ (count2, count);
    DT_CHECK_EQ (s_stats (st, "").submitted, 4);
    DT_CHECK_EQ (s_stats (st, "").pending, 4);
    /* The same chunk number in another job is another chunk. */
    DT_CHECK_EQ (s_submit (st, "other", 7, 1, &first2, &count2), 0);
    DT_CHECK_EQ (first2, 5);
    /* The same (job, chunk) with other URLs, or fewer, is a conflict, not a resend. */
    DT_CHECK_EQ (s_submit (st, "job", 7, 3, &first2, &count2), DT_ERR_CONFLICT);
    dt_str_t other[4] = {dt_str ("http://h/job/7/0"), dt_str ("http://h/job/7/1"),
                         dt_str ("http://h/job/7/X"), dt_str ("http://h/job/7/3")};
    char err[256];
    DT_CHECK_EQ (
        dt_state_submit (st, dt_str ("job"), 7, other, 4, &first2, &count2, err, sizeof err),
        DT_ERR_CONFLICT);
    DT_CHECK (strstr (err, "other URLs"));
    DT_CHECK_EQ (s_stats (st, "").submitted, 5);
    dt_state_destroy (&st);
}

static void test_bad_url_refuses_the_whole_chunk (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    dt_str_t urls[3] = {dt_str ("http://ok/1"), dt_str ("ftp://x/"), dt_str ("http://ok/3")};
    uint64_t first = 99;
    uint32_t count = 99;
    char err[256] = "";
    DT_CHECK_EQ (dt_state_submit (st, dt_str ("j"), 0, urls, 3, &first, &count, err, sizeof err),
                 DT_ERR_BAD_URL);
    DT_CHECK (strncmp (err, "url 2:", 6) == 0);
    DT_CHECK_EQ (s_stats (st, "").submitted, 0);
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    /* The chunk was not recorded: fixed, the same chunk is accepted. */
    urls[1] = dt_str ("https://ok/2");
    DT_CHECK_EQ (dt_state_submit (st, dt_str ("j"), 0, urls, 3, &first, &count, err, sizeof err),
                 0);
    DT_CHECK_EQ (first, 1);
    DT_CHECK_EQ (count, 3);
    dt_state_destroy (&st);
}

static void test_max_pending_refuses_with_queue_full (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_pending = 3;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 2, &first, &count), 0);
    DT_CHECK_EQ (s_submit (st, "j", 1, 2, &first, &count), DT_ERR_QUEUE_FULL);
    DT_CHECK_EQ (s_stats (st, "").submitted, 2);
    DT_CHECK_EQ (s_submit (st, "j", 1, 1, &first, &count), 0);
    DT_CHECK_EQ (first, 3);
    /* Finished tasks do not count against the limit. */
    dt_worker_t *w = s_worker (st, "w", 10);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 3);
    for (uint64_t id = 1; id <= 3; id++)
        s_result (st, w, id, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_submit (st, "j", 2, 3, &first, &count), 0);
    dt_state_destroy (&st);
}

static void test_chunk_over_max_pending_is_too_big_even_on_an_empty_queue (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_pending = 3;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 4, &first, &count), DT_ERR_TOO_BIG);
    DT_CHECK_EQ (s_stats (st, "").submitted, 0);
    DT_CHECK_EQ (s_submit (st, "j", 0, 3, &first, &count), 0);
    dt_state_destroy (&st);
}

static void test_result_makes_task_final_once_and_second_is_duplicate (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 2, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w1", 4);
    DT_CHECK_EQ (s_dispatch (st, w, dt_workers_free (w), NOW), 2);
    DT_CHECK_EQ (dt_workers_free (w), 2);
    DT_CHECK_EQ (s_stats (st, "").inflight, 2);
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "").done, 1);
    DT_CHECK_EQ (s_stats (st, "").inflight, 1);
    DT_CHECK_EQ (dt_workers_free (w), 3);
    DT_CHECK_EQ (w->done, 1);
    /* Again, and from an unknown peer: dropped as duplicates. */
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW);
    s_result (st, NULL, 1, 1, DT_OUTCOME_FAIL, NOW);
    dt_msg_stats_t stats = s_stats (st, "");
    DT_CHECK_EQ (stats.done, 1);
    DT_CHECK_EQ (stats.failed, 0);
    DT_CHECK_EQ (stats.duplicates, 2);
    DT_CHECK_EQ (dt_state_last_seq (st), 1);
    /* A permanent failure is final at once. */
    s_result (st, w, 2, 1, DT_OUTCOME_FAIL, NOW);
    DT_CHECK_EQ (s_stats (st, "").failed, 1);
    DT_CHECK_EQ (dt_workers_free (w), 4);
    /* A result for an id this run never had is invalid. */
    s_result (st, w, 999, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "").invalid, 1);
    DT_CHECK_EQ (s_stats (st, "").late, 0);
    /* The page carries the URL and worker name. */
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("j"), &cursor, 10, 0, s_page), 2);
    DT_CHECK_EQ (s_page[0].id, 1);
    DT_CHECK_EQ (s_page[0].state, DT_STATE_DONE);
    DT_CHECK_EQ (s_page[0].http_status, 200);
    DT_CHECK (s_page[0].worker.len == 2 && memcmp (s_page[0].worker.ptr, "w1", 2) == 0);
    DT_CHECK (s_page[0].url.len == strlen ("http://h/j/0/0"));
    DT_CHECK_EQ (s_page[1].state, DT_STATE_FAILED);
    dt_state_destroy (&st);
}

static void test_retry_outcome_schedules_delayed_retry_and_promote_requeues_it (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 1);
    DT_CHECK_EQ (dt_state_next_due (st), INT64_MAX);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    s_result (st, w, 1, 1, DT_OUTCOME_RETRY, NOW);
    dt_msg_stats_t stats = s_stats (st, "");
    DT_CHECK_EQ (stats.delayed, 1);
    DT_CHECK_EQ (stats.inflight, 0);
    DT_CHECK_EQ (dt_workers_free (w), 1);
    int64_t due = dt_state_next_due (st);
    /* base 100 ms, +-50 % jitter */
    DT_CHECK (due >= NOW + 50 && due <= NOW + 150);
    dt_state_promote_due (st, due - 1);
    DT_CHECK_EQ (s_stats (st, "").delayed, 1);
    DT_CHECK_EQ (dt_state_take (st, 1, s_items, s_tasks), 0);
    dt_state_promote_due (st, due);
    DT_CHECK_EQ (s_stats (st, "").delayed, 0);
    DT_CHECK_EQ (s_stats (st, "").pending, 1);
    DT_CHECK_EQ (dt_state_next_due (st), INT64_MAX);
    DT_CHECK_EQ (s_dispatch (st, w, 1, due), 1);
    DT_CHECK_EQ (s_items[0].attempt, 2);
    DT_CHECK_EQ (s_stats (st, "").retried, 1);
    /* A RETRY from the earlier attempt does not cut the running one short. */
    s_result (st, w, 1, 1, DT_OUTCOME_RETRY, due);
    DT_CHECK_EQ (s_stats (st, "").inflight, 1);
    s_result (st, w, 1, 2, DT_OUTCOME_DONE, due);
    DT_CHECK_EQ (s_stats (st, "").done, 1);
    dt_state_destroy (&st);
}

static void test_retry_on_last_attempt_fails_the_task (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 2;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    s_result (st, w, 1, 1, DT_OUTCOME_RETRY, NOW);
    int64_t due = dt_state_next_due (st);
    dt_state_promote_due (st, due);
    DT_CHECK_EQ (s_dispatch (st, w, 1, due), 1);
    DT_CHECK_EQ (s_items[0].attempt, 2);
    s_result (st, w, 1, 2, DT_OUTCOME_RETRY, due);
    dt_msg_stats_t stats = s_stats (st, "");
    DT_CHECK_EQ (stats.failed, 1);
    DT_CHECK_EQ (stats.delayed, 0);
    DT_CHECK_EQ (stats.pending, 0);
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str (""), &cursor, 10, 0, s_page), 1);
    DT_CHECK_EQ (s_page[0].state, DT_STATE_FAILED);
    DT_CHECK_EQ (s_page[0].attempt, 2);
    DT_CHECK_EQ (s_page[0].http_status, 503);
    DT_CHECK (s_page[0].error.len == 8 && memcmp (s_page[0].error.ptr, "HTTP 503", 8) == 0);
    dt_state_destroy (&st);
}

static void test_drop_worker_puts_leased_tasks_back_at_the_front (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 5, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 3);
    DT_CHECK_EQ (s_dispatch (st, w, 3, NOW), 3); /* 1, 2, 3 leased; 4, 5 queued */
    DT_CHECK_EQ (dt_state_drop_worker (st, &w, NOW), 3);
    DT_CHECK (w == NULL);
    DT_CHECK_EQ (dt_workers_count (dt_state_workers (st)), 0);
    DT_CHECK_EQ (s_stats (st, "").pending, 5);
    DT_CHECK_EQ (s_stats (st, "").inflight, 0);
    dt_worker_t *w2 = s_worker (st, "w2", 10);
    DT_CHECK_EQ (s_dispatch (st, w2, 10, NOW), 5);
    for (uint32_t i = 0; i < 5; i++)
        DT_CHECK_EQ (s_items[i].id, i + 1);
    DT_CHECK_EQ (s_items[0].attempt, 2);
    DT_CHECK_EQ (s_items[4].attempt, 1);
    dt_state_destroy (&st);
}

static void test_drop_worker_fails_a_task_only_after_max_lost_leases (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    opts.max_lost = 2;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK_EQ (dt_state_drop_worker (st, &w, NOW), 1);
    DT_CHECK_EQ (s_stats (st, "").failed, 0); /* its one attempt is not spent */
    DT_CHECK_EQ (s_stats (st, "").pending, 1);
    w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK_EQ (dt_state_drop_worker (st, &w, NOW), 1);
    DT_CHECK_EQ (s_stats (st, "").failed, 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    dt_state_destroy (&st);
}

static void test_max_lost_defaults_to_ten_times_max_attempts (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 2;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 1, &first, &count), 0);
    for (uint32_t i = 1; i <= DT_STATE_LOST_FACTOR * 2; i++) {
        dt_worker_t *w = s_worker (st, "fake", 4096);
        DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
        DT_CHECK_EQ (s_items[0].attempt, i);
        DT_CHECK_EQ (dt_state_drop_worker (st, &w, NOW), 1);
        DT_CHECK_EQ (s_stats (st, "").failed, i == DT_STATE_LOST_FACTOR * 2 ? 1 : 0);
    }
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    dt_state_destroy (&st);
}

static void test_a_lost_lease_spends_no_attempt_but_retry_and_expiry_do (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 2;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 2, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "gone", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK_EQ (dt_state_drop_worker (st, &w, NOW), 1); /* lost: attempt 1 not spent */
    w = s_worker (st, "w", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK_EQ (s_items[0].attempt, 2);
    s_result (st, w, first, 2, DT_OUTCOME_RETRY, NOW); /* spends 1 of 2 */
    DT_CHECK_EQ (s_stats (st, "").delayed, 1);
    dt_state_promote_due (st, NOW + 100000);
    DT_CHECK_EQ (s_dispatch (st, w, 2, NOW + 100000), 2);
    DT_CHECK_EQ (s_items[0].id, first);
    /* The worker answers for its other task: it is not stuck, so the
     * lease that outlives its limit is the task's doing. */
    s_result (st, w, first + 1, 1, DT_OUTCOME_DONE, NOW + 199500);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, NOW + 200000), 1); /* spends 2 of 2 */
    DT_CHECK_EQ (s_stats (st, "").failed, 1);
    DT_CHECK_EQ (s_stats (st, "").done, 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    dt_state_destroy (&st);
}

static void test_a_lease_expired_on_a_worker_that_answers_nothing_is_lost_not_spent (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 1, &first, &count), 0);
    /* A worker that heartbeats but never returns a result (stopped, hung,
     * a fake that keeps its tasks): each expiry counts against max_lost. */
    dt_worker_t *w = s_worker (st, "holder", 4);
    int64_t now = NOW;
    for (uint32_t i = 1; i <= DT_STATE_LOST_FACTOR; i++) {
        DT_CHECK_EQ (s_dispatch (st, w, 1, now), 1);
        DT_CHECK_EQ (s_items[0].attempt, i);
        now += opts.task_ms + 1;
        DT_CHECK_EQ (dt_state_expire_leases (st, w, now), 1);
        DT_CHECK_EQ (s_stats (st, "").failed, i == DT_STATE_LOST_FACTOR ? 1 : 0);
    }
    DT_CHECK_EQ (s_stats (st, "").pending, 0);
    /* A worker that answered within task_ms is not stuck: its expiry spends
     * the one attempt. */
    DT_CHECK_EQ (s_submit (st, "k", 0, 2, &first, &count), 0);
    DT_CHECK_EQ (s_dispatch (st, w, 2, now), 2);
    s_result (st, w, first + 1, 1, DT_OUTCOME_DONE, now + opts.task_ms);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, now + opts.task_ms + 1), 1);
    DT_CHECK_EQ (s_stats (st, "k").failed, 1);
    DT_CHECK_EQ (s_stats (st, "k").done, 1);
    dt_state_destroy (&st);
}

static void test_a_new_worker_holds_only_the_starting_credit (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 16, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 4096);
    DT_CHECK_EQ (w->capacity, DT_WORKERS_CREDIT_START);
    DT_CHECK_EQ (dt_workers_free_total (dt_state_workers (st)), DT_WORKERS_CREDIT_START);
    DT_CHECK_EQ (s_dispatch (st, w, dt_workers_free (w), NOW), DT_WORKERS_CREDIT_START);
    DT_CHECK_EQ (dt_workers_free (w), 0);
    /* A round of results doubles it. */
    for (uint32_t i = 0; i < DT_WORKERS_CREDIT_START; i++)
        s_result (st, w, s_items[i].id, 1, DT_OUTCOME_DONE, NOW + 1);
    DT_CHECK_EQ (w->capacity, 2 * DT_WORKERS_CREDIT_START);
    DT_CHECK_EQ (dt_workers_free (w), 2 * DT_WORKERS_CREDIT_START);
    /* A lease past its limit halves it. */
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW + 2), 1);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, NOW + 100000), 1);
    DT_CHECK_EQ (w->capacity, DT_WORKERS_CREDIT_START);
    dt_state_destroy (&st);
}

static void test_credit_grows_by_rounds_up_to_what_the_worker_offered (void)
{
    dt_workers_t *ws = dt_workers_new ();
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = 1;
    peer.id[0] = 'w';
    dt_worker_t *w = dt_workers_add (ws, &peer, dt_str ("w"), 20);
    DT_CHECK_EQ (w->capacity, 8);
    for (int i = 0; i < 7; i++)
        dt_workers_returned (ws, w);
    DT_CHECK_EQ (w->capacity, 8);
    dt_workers_returned (ws, w); /* the 8th: a round */
    DT_CHECK_EQ (w->capacity, 16);
    for (int i = 0; i < 16; i++)
        dt_workers_returned (ws, w);
    DT_CHECK_EQ (w->capacity, 20); /* credit 32, offered 20 */
    for (int i = 0; i < 100; i++)
        dt_workers_returned (ws, w);
    DT_CHECK_EQ (w->credit, 32);           /* grows no further than needed */
    dt_workers_set_capacity (ws, w, 4096); /* HELLO again, offering more */
    DT_CHECK_EQ (w->capacity, 32);
    dt_workers_lost (ws, w);
    DT_CHECK_EQ (w->capacity, 16);
    for (int i = 0; i < 5; i++)
        dt_workers_lost (ws, w);
    DT_CHECK_EQ (w->capacity, DT_WORKERS_CREDIT_START);
    DT_CHECK_EQ (dt_workers_free_total (ws), DT_WORKERS_CREDIT_START);
    /* Up to DT_LIMIT_CREDIT_MAX in 9 rounds. */
    for (int round = 0; round < 9; round++)
        for (uint32_t i = 0, n = w->credit; i < n; i++)
            dt_workers_returned (ws, w);
    DT_CHECK_EQ (w->capacity, DT_LIMIT_CREDIT_MAX);
    dt_workers_remove (ws, &w);
    dt_workers_destroy (&ws);
}

static void test_expire_leases_requeues_tasks_older_than_task_ms (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 2, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 2);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW + 500), 1);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, NOW + 999), 0);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, NOW + 1000), 1);
    DT_CHECK_EQ (dt_workers_free (w), 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 1);
    DT_CHECK_EQ (s_stats (st, "").inflight, 1);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, NOW + 1500), 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 2);
    /* The result of the first lease, after it ended, is late: dropped. */
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW + 1600);
    DT_CHECK_EQ (s_stats (st, "").done, 0);
    DT_CHECK_EQ (s_stats (st, "").late, 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 2);
    DT_CHECK_EQ (s_dispatch (st, w, 2, NOW + 1700), 2);
    DT_CHECK (s_items[0].id == 2 && s_items[1].id == 1); /* each ended to the front */
    DT_CHECK (s_items[0].attempt == 2 && s_items[1].attempt == 2);
    dt_state_destroy (&st);
}

static void test_page_with_cursor_returns_each_result_once (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 3, &first, &count), 0); /* 1..3 */
    DT_CHECK_EQ (s_submit (st, "b", 0, 3, &first, &count), 0); /* 4..6 */
    dt_worker_t *w = s_worker (st, "w", 10);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 6);
    /* Finish in a mixed order: 4 2 6 1 5 3; 2 and 5 fail. */
    uint64_t order[6] = {4, 2, 6, 1, 5, 3};
    for (int i = 0; i < 6; i++)
        s_result (st, w, order[i], 1,
                  order[i] == 2 || order[i] == 5 ? DT_OUTCOME_FAIL : DT_OUTCOME_DONE, NOW);

    /* All jobs, two at a time, in the order recorded. */
    uint64_t cursor = 0, seen[6];
    uint32_t n = 0, got;
    while ((got = dt_state_page (st, dt_str (""), &cursor, 2, 0, s_page)) > 0) {
        DT_CHECK (got <= 2);
        for (uint32_t i = 0; i < got; i++)
            seen[n++] = s_page[i].id;
        DT_CHECK (n <= 6);
    }
    DT_CHECK_EQ (n, 6);
    for (int i = 0; i < 6; i++)
        DT_CHECK_EQ (seen[i], order[i]);
    /* Resending the same cursor gives the same results again. */
    uint64_t again = 2;
    DT_CHECK_EQ (dt_state_page (st, dt_str (""), &again, 2, 0, s_page), 2);
    DT_CHECK_EQ (s_page[0].id, 6);
    DT_CHECK_EQ (again, 4);

    /* One job. */
    cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, 0, s_page), 3);
    DT_CHECK_EQ (s_page[0].id, 2);
    DT_CHECK_EQ (s_page[1].id, 1);
    DT_CHECK_EQ (s_page[2].id, 3);
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, 0, s_page), 0);
    cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("zz"), &cursor, 10, 0, s_page), 0);

    /* Failed only, across jobs and in one. */
    cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str (""), &cursor, 10, DT_FETCH_FAILED_ONLY, s_page), 2);
    DT_CHECK_EQ (s_page[0].id, 2);
    DT_CHECK_EQ (s_page[1].id, 5);
    DT_CHECK_EQ (cursor, 6); /* past everything skipped */
    cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("b"), &cursor, 10, DT_FETCH_FAILED_ONLY, s_page), 1);
    DT_CHECK_EQ (s_page[0].id, 5);

    dt_msg_stats_t a = s_stats (st, "a");
    DT_CHECK_EQ (a.submitted, 3);
    DT_CHECK_EQ (a.done, 2);
    DT_CHECK_EQ (a.failed, 1);
    dt_state_destroy (&st);
}

static void test_requeue_puts_failed_tasks_back_with_fresh_attempts (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 2, &first, &count), 0); /* 1, 2 */
    DT_CHECK_EQ (s_submit (st, "b", 0, 1, &first, &count), 0); /* 3 */
    dt_worker_t *w = s_worker (st, "w", 10);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 3);
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW);
    s_result (st, w, 2, 1, DT_OUTCOME_FAIL, NOW);
    s_result (st, w, 3, 1, DT_OUTCOME_FAIL, NOW);

    uint64_t n = 99;
    DT_CHECK_EQ (dt_state_requeue (st, dt_str ("a"), DT_REQUEUE_CANCELLED, &n), 0);
    DT_CHECK_EQ (n, 1);
    dt_msg_stats_t a = s_stats (st, "a");
    DT_CHECK_EQ (a.failed, 0);
    DT_CHECK_EQ (a.pending, 1);
    DT_CHECK_EQ (s_stats (st, "b").failed, 1);
    /* Its old result is gone from the pages. */
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, 0, s_page), 1);
    DT_CHECK_EQ (s_page[0].id, 1);
    /* Run again with a fresh budget (not as attempt 1 again: attempt
     * numbers never repeat in a run), and recorded once more. */
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 1);
    DT_CHECK_EQ (s_items[0].id, 2);
    DT_CHECK (s_items[0].attempt > 1);
    s_result (st, w, 2, s_items[0].attempt, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, 0, s_page), 1);
    DT_CHECK_EQ (s_page[0].id, 2);
    DT_CHECK_EQ (s_page[0].state, DT_STATE_DONE);
    /* Nothing failed left in a; every job: b's task. */
    DT_CHECK_EQ (dt_state_requeue (st, dt_str ("a"), DT_REQUEUE_CANCELLED, &n), 0);
    DT_CHECK_EQ (n, 0);
    DT_CHECK_EQ (dt_state_requeue (st, dt_str (""), DT_REQUEUE_CANCELLED, &n), 0);
    DT_CHECK_EQ (n, 1);
    DT_CHECK_EQ (s_stats (st, "").pending, 1);
    DT_CHECK_EQ (s_stats (st, "").failed, 0);
    dt_state_destroy (&st);
}

static void test_cancel_ends_every_unfinished_task_of_a_job_once (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 5, &first, &count), 0); /* 1..5 */
    DT_CHECK_EQ (s_submit (st, "b", 0, 2, &first, &count), 0); /* 6, 7 */
    dt_worker_t *w = s_worker (st, "w", 3);
    DT_CHECK_EQ (s_dispatch (st, w, 3, NOW), 3);   /* 1, 2, 3 leased */
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW);  /* 1 done */
    s_result (st, w, 2, 1, DT_OUTCOME_RETRY, NOW); /* 2 waits for a retry */

    uint64_t n = 99;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("a"), &n, NOW), 0);
    DT_CHECK_EQ (n, 4); /* 2 delayed, 3 leased, 4 and 5 queued */
    dt_msg_stats_t a = s_stats (st, "a");
    DT_CHECK_EQ (a.done, 1);
    DT_CHECK_EQ (a.failed, 4);
    DT_CHECK_EQ (a.pending + a.inflight + a.delayed, 0);
    /* Job b is untouched, and the worker's lease on 3 is gone. */
    DT_CHECK_EQ (s_stats (st, "b").pending, 2);
    DT_CHECK_EQ (s_stats (st, "").inflight, 0);
    /* The late result for 3 is a duplicate; 4 and 5 are never dispatched. */
    s_result (st, w, 3, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "").duplicates, 1);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 2);
    DT_CHECK (s_items[0].id == 6 && s_items[1].id == 7);
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, DT_FETCH_FAILED_ONLY, s_page), 4);
    DT_CHECK (s_page[0].error.len == 9 && memcmp (s_page[0].error.ptr, "cancelled", 9) == 0);
    /* Again: nothing more; an unknown job: nothing. */
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("a"), &n, NOW), 0);
    DT_CHECK_EQ (n, 0);
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("zz"), &n, NOW), 0);
    DT_CHECK_EQ (n, 0);
    dt_state_destroy (&st);
}

static void test_a_retired_result_position_is_never_reused_after_a_restart (void)
{
    char dir[] = "/tmp/dtask-state-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    dt_state_t *st = dt_state_new (&opts, store);
    uint64_t first, n;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    s_result (st, w, 1, 1, DT_OUTCOME_FAIL, NOW); /* result position 1 */
    DT_CHECK_EQ (dt_state_requeue (st, dt_str ("a"), DT_REQUEUE_CANCELLED, &n), 0);
    DT_CHECK_EQ (n, 1);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_state_destroy (&st);
    dt_store_destroy (&store);

    /* A client's cursor may already be past position 1: the re-run's result
     * must come after it. */
    store = dt_store_open (dir, err, sizeof err);
    st = dt_state_new (&opts, store);
    DT_CHECK_EQ (dt_state_load (st), 0);
    DT_CHECK_EQ (dt_state_last_seq (st), 1);
    w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    DT_CHECK (s_items[0].attempt > 1); /* numbers go on after a REQUEUE */
    s_result (st, w, 1, s_items[0].attempt, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (dt_state_last_seq (st), 2);
    uint64_t cursor = 1;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("a"), &cursor, 10, 0, s_page), 1);
    DT_CHECK_EQ (s_page[0].state, DT_STATE_DONE);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    DT_CHECK_EQ (system (cmd), 0);
}

static void test_untake_puts_tasks_back_in_order (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 4, &first, &count), 0);
    DT_CHECK_EQ (dt_state_take (st, 3, s_items, s_tasks), 3);
    dt_state_untake (st, s_tasks, 3);
    DT_CHECK_EQ (dt_state_queued (st), 4);
    DT_CHECK_EQ (dt_state_take (st, 10, s_items, s_tasks), 4);
    for (uint32_t i = 0; i < 4; i++) {
        DT_CHECK_EQ (s_items[i].id, i + 1);
        DT_CHECK_EQ (s_items[i].attempt, 1);
    }
    dt_state_untake (st, s_tasks, 4);
    dt_state_destroy (&st);
}

static void test_a_result_for_the_attempt_leased_to_another_worker_is_late (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 1, &first, &count), 0);
    dt_worker_t *w1 = s_worker (st, "w1", 1);
    dt_worker_t *w2 = s_worker (st, "w2", 1);
    DT_CHECK_EQ (s_dispatch (st, w1, 1, NOW), 1);
    /* w2 holds no lease of task 1: its result for attempt 1 is refused. */
    s_result (st, w2, first, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "").late, 1);
    DT_CHECK_EQ (s_stats (st, "").invalid, 0);
    DT_CHECK_EQ (s_stats (st, "").inflight, 1);
    s_result (st, w1, first, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "").done, 1);
    dt_state_destroy (&st);
}

/* A result from `from` for (id, attempt) carrying `epoch`. */
static void s_result_epoch (dt_state_t *st, dt_worker_t *from, uint64_t id, uint32_t attempt,
                            uint64_t epoch)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.attempt = attempt;
    r.epoch = epoch;
    r.outcome = DT_OUTCOME_DONE;
    r.http_status = 200;
    r.final_url = dt_str ("http://stale/");
    dt_state_result (st, from, &r, NOW);
}

static void test_a_result_of_a_dispatch_lost_in_a_crash_is_never_recorded_for_a_new_task (void)
{
    char dir[] = "/tmp/dtask-state-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, store);
    DT_CHECK_EQ (dt_state_load (st), 0);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    uint64_t old_epoch = dt_state_epoch (st);
    DT_CHECK (old_epoch != 0);
    /* Job A's task goes out, and the master dies before the turn's commit:
     * the store never saw job A. */
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "A", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 4, NOW), 1);
    DT_CHECK_EQ (s_items[0].id, 1);
    dt_state_destroy (&st);
    dt_store_destroy (&store); /* rolls the turn back, as kill -9 would */

    /* The restarted master hands id 1 to job B. */
    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    st = dt_state_new (&opts, store);
    DT_CHECK_EQ (dt_state_load (st), 0);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    DT_CHECK (dt_state_epoch (st) > old_epoch);
    DT_CHECK_EQ (s_submit (st, "B", 0, 1, &first, &count), 0);
    DT_CHECK_EQ (first, 1);
    /* The worker (same routing id) comes back, and B's task 1 attempt 1 is
     * leased to it: only the epoch tells the two apart. */
    w = s_worker (st, "w", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 4, NOW), 1);
    DT_CHECK (s_items[0].id == 1 && s_items[0].attempt == 1);
    s_result_epoch (st, w, 1, 1, old_epoch);
    dt_msg_stats_t stats = s_stats (st, "");
    DT_CHECK_EQ (stats.late, 1);
    DT_CHECK_EQ (stats.done, 0);
    DT_CHECK_EQ (stats.inflight, 1);
    /* B's own result is recorded, with B's URL. */
    s_result (st, w, 1, 1, DT_OUTCOME_DONE, NOW);
    DT_CHECK_EQ (s_stats (st, "B").done, 1);
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (st, dt_str ("B"), &cursor, 10, 0, s_page), 1);
    DT_CHECK (s_page[0].url.len == strlen ("http://h/B/0/0") &&
              memcmp (s_page[0].url.ptr, "http://h/B/0/0", s_page[0].url.len) == 0);
    DT_CHECK (s_page[0].final_url.len == 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    DT_CHECK_EQ (system (cmd), 0);
}

/* A store removed and made again (or another data directory) while workers
 * still run the last master's tasks: the new master numbers its tasks
 * from 1 again, and its first epoch must not be the one those tasks
 * carry. */
static void test_a_new_store_starts_in_an_epoch_no_other_new_store_had (void)
{
    char dir1[] = "/tmp/dtask-state-XXXXXX", dir2[] = "/tmp/dtask-state-XXXXXX";
    DT_CHECK (mkdtemp (dir1) && mkdtemp (dir2));
    char err[256];
    dt_state_opts_t opts = s_opts ();
    dt_store_t *store = dt_store_open (dir1, err, sizeof err);
    DT_CHECK (store);
    dt_state_t *st = dt_state_new (&opts, store);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    uint64_t old_epoch = dt_state_epoch (st);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "A", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 4, NOW), 1);
    dt_state_destroy (&st);
    dt_store_destroy (&store);

    store = dt_store_open (dir2, err, sizeof err);
    DT_CHECK (store);
    st = dt_state_new (&opts, store);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    DT_CHECK (dt_state_epoch (st) != old_epoch);
    DT_CHECK_EQ (s_submit (st, "B", 0, 1, &first, &count), 0);
    w = s_worker (st, "w", 4);
    DT_CHECK_EQ (s_dispatch (st, w, 4, NOW), 1);
    DT_CHECK (s_items[0].id == 1 && s_items[0].attempt == 1);
    s_result_epoch (st, w, 1, 1, old_epoch); /* A's task 1, from the old store's run */
    DT_CHECK_EQ (s_stats (st, "").late, 1);
    DT_CHECK_EQ (s_stats (st, "").done, 0);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s %s", dir1, dir2);
    DT_CHECK_EQ (system (cmd), 0);
}

static void test_a_memory_master_runs_in_a_random_nonzero_epoch (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *a = dt_state_new (&opts, NULL), *b = dt_state_new (&opts, NULL);
    DT_CHECK_EQ (dt_state_begin_epoch (a), 0);
    DT_CHECK_EQ (dt_state_begin_epoch (b), 0);
    DT_CHECK (dt_state_epoch (a) != 0 && dt_state_epoch (b) != 0);
    DT_CHECK (dt_state_epoch (a) != dt_state_epoch (b));
    dt_state_destroy (&a);
    dt_state_destroy (&b);
}

static void test_results_without_the_lease_are_late_and_never_recorded (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    uint64_t epoch = dt_state_epoch (st), first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 3, &first, &count), 0); /* 1, 2, 3 */
    dt_worker_t *w1 = s_worker (st, "w1", 1);
    dt_worker_t *w2 = s_worker (st, "w2", 1);
    dt_worker_t *idle = s_worker (st, "idle", 0);
    DT_CHECK_EQ (s_dispatch (st, w1, 1, NOW), 1); /* 1 to w1 */
    DT_CHECK_EQ (s_dispatch (st, w2, 1, NOW), 1); /* 2 to w2 */
    uint64_t late = 0;
    /* A peer that never said HELLO (or is not registered), even with every
     * number right. */
    s_result_epoch (st, NULL, 1, 1, epoch);
    DT_CHECK_EQ (s_stats (st, "").late, ++late);
    /* Another worker's lease. */
    s_result_epoch (st, w2, 1, 1, epoch);
    DT_CHECK_EQ (s_stats (st, "").late, ++late);
    /* An earlier epoch, and a later one. */
    s_result_epoch (st, w1, 1, 1, epoch - 1);
    s_result_epoch (st, w1, 1, 1, epoch + 1);
    late += 2;
    DT_CHECK_EQ (s_stats (st, "").late, late);
    /* A worker with no credit reporting a queued task never sent to anyone. */
    s_result_epoch (st, idle, 3, 1, epoch);
    DT_CHECK_EQ (s_stats (st, "").late, ++late);
    /* An earlier attempt: task 1's lease ends and it goes out again. */
    DT_CHECK_EQ (dt_state_expire_leases (st, w1, NOW + opts.task_ms), 1);
    DT_CHECK_EQ (s_dispatch (st, w1, 1, NOW + opts.task_ms), 1);
    DT_CHECK (s_items[0].id == 1 && s_items[0].attempt == 2);
    s_result_epoch (st, w1, 1, 1, epoch);
    DT_CHECK_EQ (s_stats (st, "").late, ++late);
    /* Nothing was recorded, no lease moved, nothing counted invalid. */
    dt_msg_stats_t stats = s_stats (st, "");
    DT_CHECK_EQ (stats.done + stats.failed, 0);
    DT_CHECK_EQ (stats.inflight, 2);
    DT_CHECK_EQ (stats.pending, 1);
    DT_CHECK_EQ (stats.invalid, 0);
    DT_CHECK_EQ (dt_state_last_seq (st), 0);
    /* The holders' own results are recorded; once final, again is a duplicate. */
    s_result_epoch (st, w1, 1, 2, epoch);
    s_result_epoch (st, w2, 2, 1, epoch);
    DT_CHECK_EQ (s_stats (st, "").done, 2);
    s_result_epoch (st, w1, 1, 2, epoch);
    DT_CHECK_EQ (s_stats (st, "").duplicates, 1);
    DT_CHECK_EQ (s_stats (st, "").late, late);
    DT_CHECK (w1->done == 1 && w2->done == 1 && idle->done == 0);
    dt_state_destroy (&st);
}

static void test_a_lease_starts_when_its_worker_runs_it_not_when_it_is_sent (void)
{
    dt_state_opts_t opts = s_opts ();
    opts.task_ms = 1000;
    opts.lease_grace_ms = 100;
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "j", 0, 10, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 10);
    dt_workers_set_concurrency (w, 2, NOW);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 10);
    DT_CHECK_EQ (w->running, 2);
    /* Two at a time, each 900 ms (under task_ms): 4.5 s in all, and no
     * lease ever ends; the next lease's clock starts with each result. */
    int64_t now = NOW;
    for (uint64_t id = 1; id <= 10; id += 2) {
        DT_CHECK_EQ (dt_state_lease_deadline (st, w), now + 1100);
        now += 900;
        DT_CHECK_EQ (dt_state_expire_leases (st, w, now), 0);
        s_result (st, w, id, 1, DT_OUTCOME_DONE, now);
        s_result (st, w, id + 1, 1, DT_OUTCOME_DONE, now);
    }
    DT_CHECK_EQ (s_stats (st, "").done, 10);
    DT_CHECK_EQ (s_stats (st, "").late, 0);
    DT_CHECK_EQ (dt_state_lease_deadline (st, w), INT64_MAX);
    /* A task over task_ms + the grace from its start does end. */
    DT_CHECK_EQ (s_submit (st, "j", 1, 3, &first, &count), 0);
    DT_CHECK_EQ (s_dispatch (st, w, 10, now), 3);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, now + 1099), 0);
    DT_CHECK_EQ (dt_state_expire_leases (st, w, now + 1100), 2); /* the two running */
    /* The third started when they ended. */
    DT_CHECK_EQ (dt_state_lease_deadline (st, w), now + 1100 + 1100);
    dt_state_destroy (&st);
}

/* REQUEUE gives a task a fresh budget of attempts, but never an attempt
 * number it had before in this run: a worker may still run the attempt
 * whose lease CANCEL (or an expiry) ended, and its result, when the task
 * is leased to the same worker again, must not pass for the new lease's. */
static void test_a_result_of_a_run_from_before_a_requeue_is_late (void)
{
    dt_state_opts_t opts = s_opts ();
    dt_state_t *st = dt_state_new (&opts, NULL);
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (s_submit (st, "a", 0, 1, &first, &count), 0);
    dt_worker_t *w = s_worker (st, "w", 10);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 1);
    DT_CHECK_EQ (s_items[0].attempt, 1);
    uint64_t n = 0;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("a"), &n, NOW), 0);
    DT_CHECK_EQ (n, 1);
    DT_CHECK_EQ (dt_state_requeue (st, dt_str ("a"), DT_REQUEUE_CANCELLED, &n), 0);
    DT_CHECK_EQ (n, 1);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW), 1);
    DT_CHECK (s_items[0].attempt != 1);
    uint32_t leased = s_items[0].attempt;
    /* The run from before the CANCEL reports: not this lease's. */
    s_result (st, w, first, 1, DT_OUTCOME_FAIL, NOW);
    DT_CHECK_EQ (s_stats (st, "").late, 1);
    DT_CHECK_EQ (s_stats (st, "").inflight, 1);
    /* The new lease still has its fresh budget: two retries. */
    s_result (st, w, first, leased, DT_OUTCOME_RETRY, NOW);
    DT_CHECK_EQ (s_stats (st, "").delayed, 1);
    dt_state_promote_due (st, NOW + 60000);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW + 60000), 1);
    s_result (st, w, first, leased + 1, DT_OUTCOME_RETRY, NOW + 60000);
    DT_CHECK_EQ (s_stats (st, "").delayed, 1);
    dt_state_promote_due (st, NOW + 120000);
    DT_CHECK_EQ (s_dispatch (st, w, 10, NOW + 120000), 1);
    s_result (st, w, first, leased + 2, DT_OUTCOME_RETRY, NOW + 120000);
    DT_CHECK_EQ (s_stats (st, "").failed, 1); /* its third attempt of the round */
    dt_state_destroy (&st);
}

/* The room --max-store-bytes keeps for the results still to come, as the
 * refusal of a chunk far over the budget reports it. */
static uint64_t s_kept_for_results (dt_state_t *st)
{
    static char url[2001];
    static dt_str_t urls[4096];
    memset (url, 'a', sizeof url - 1);
    memcpy (url, "http://h/", 9);
    for (uint32_t i = 0; i < 4096; i++)
        urls[i] = dt_str (url);
    uint64_t first = 0;
    uint32_t count = 0;
    char err[256] = "";
    if (dt_state_submit (st, dt_str ("big"), 0, urls, 4096, &first, &count, err, sizeof err) !=
        DT_ERR_QUEUE_FULL)
        return UINT64_MAX;
    const char *at = strstr (err, " used, ");
    return at ? strtoull (at + 7, NULL, 10) : UINT64_MAX;
}

/* A REQUEUE'd task will write a result again: its room in the store's
 * budget is kept again, as a new task's is, so the budget still holds. */
static void test_a_requeued_task_keeps_room_for_its_result_in_the_store_budget (void)
{
    char dir[] = "/tmp/dtask-state-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_state_opts_t opts = s_opts ();
    opts.max_attempts = 1;
    opts.max_store_bytes = 4 * 1024 * 1024; /* 4096 URLs of 2 KB do not fit */
    dt_state_t *st = dt_state_new (&opts, store);
    uint64_t first, n;
    uint32_t count;
    DT_CHECK_EQ (s_kept_for_results (st), 0);
    DT_CHECK_EQ (s_submit (st, "a", 0, 1, &first, &count), 0);
    uint64_t room = s_kept_for_results (st);
    DT_CHECK (room > 0 && room != UINT64_MAX);
    dt_worker_t *w = s_worker (st, "w", 1);
    DT_CHECK_EQ (s_dispatch (st, w, 1, NOW), 1);
    s_result (st, w, first, 1, DT_OUTCOME_FAIL, NOW);
    DT_CHECK_EQ (s_kept_for_results (st), 0);
    DT_CHECK_EQ (dt_state_requeue (st, dt_str ("a"), 0, &n), 0);
    DT_CHECK_EQ (n, 1);
    DT_CHECK_EQ (s_kept_for_results (st), room);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[64];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    DT_CHECK_EQ (system (cmd), 0);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"submit assigns ids in order", test_submit_assigns_ids_in_order},
        {"same chunk twice returns the same ids and creates nothing",
         test_same_chunk_twice_returns_same_ids_and_creates_nothing},
        {"bad url refuses the whole chunk", test_bad_url_refuses_the_whole_chunk},
        {"max pending refuses with queue full", test_max_pending_refuses_with_queue_full},
        {"a chunk over max pending is too big even on an empty queue",
         test_chunk_over_max_pending_is_too_big_even_on_an_empty_queue},
        {"result makes a task final once and a second is a duplicate",
         test_result_makes_task_final_once_and_second_is_duplicate},
        {"retry outcome schedules a delayed retry and promote requeues it",
         test_retry_outcome_schedules_delayed_retry_and_promote_requeues_it},
        {"retry on the last attempt fails the task", test_retry_on_last_attempt_fails_the_task},
        {"drop worker puts leased tasks back at the front",
         test_drop_worker_puts_leased_tasks_back_at_the_front},
        {"drop worker fails a task only after max lost leases",
         test_drop_worker_fails_a_task_only_after_max_lost_leases},
        {"max lost defaults to ten times max attempts",
         test_max_lost_defaults_to_ten_times_max_attempts},
        {"a lost lease spends no attempt but retry and expiry do",
         test_a_lost_lease_spends_no_attempt_but_retry_and_expiry_do},
        {"a lease expired on a worker that answers nothing is lost, not spent",
         test_a_lease_expired_on_a_worker_that_answers_nothing_is_lost_not_spent},
        {"a new worker holds only the starting credit",
         test_a_new_worker_holds_only_the_starting_credit},
        {"credit grows by rounds up to what the worker offered",
         test_credit_grows_by_rounds_up_to_what_the_worker_offered},
        {"expire leases requeues tasks older than task_ms",
         test_expire_leases_requeues_tasks_older_than_task_ms},
        {"page with cursor returns each result once",
         test_page_with_cursor_returns_each_result_once},
        {"requeue puts failed tasks back with fresh attempts",
         test_requeue_puts_failed_tasks_back_with_fresh_attempts},
        {"a retired result's position is never reused after a restart",
         test_a_retired_result_position_is_never_reused_after_a_restart},
        {"cancel ends every unfinished task of a job once",
         test_cancel_ends_every_unfinished_task_of_a_job_once},
        {"untake puts tasks back in order", test_untake_puts_tasks_back_in_order},
        {"a result for the attempt leased to another worker is late",
         test_a_result_for_the_attempt_leased_to_another_worker_is_late},
        {"a result of a dispatch lost in a crash is never recorded for a new task",
         test_a_result_of_a_dispatch_lost_in_a_crash_is_never_recorded_for_a_new_task},
        {"a new store starts in an epoch no other new store had",
         test_a_new_store_starts_in_an_epoch_no_other_new_store_had},
        {"a memory master runs in a random nonzero epoch",
         test_a_memory_master_runs_in_a_random_nonzero_epoch},
        {"results without the lease are late and never recorded",
         test_results_without_the_lease_are_late_and_never_recorded},
        {"a result of a run from before a requeue is late",
         test_a_result_of_a_run_from_before_a_requeue_is_late},
        {"a requeued task keeps room for its result in the store budget",
         test_a_requeued_task_keeps_room_for_its_result_in_the_store_budget},
        {"a lease starts when its worker runs it, not when it is sent",
         test_a_lease_starts_when_its_worker_runs_it_not_when_it_is_sent},
        {0},
    };
    return dt_test_run (tests);
}
