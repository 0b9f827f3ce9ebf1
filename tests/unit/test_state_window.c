/* test_state_window.c - a durable model keeps a window in memory: cold queue, finished tasks
 * leaving memory, old results read from the store, recovery of all that. */
#include "dt_state.h"
#include "dt_test.h"
#include "dt_test_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW    1000000
#define WINDOW 256
#define CHUNK  100 /* URLs per SUBMIT */

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];
static dt_record_t s_page[DT_LIMIT_BATCH_MAX];

typedef dt_test_state_t s_fixture_t;

/* --host-limit for the next s_setup (every URL here is on host "h"). */
static uint32_t s_host_limit;

static dt_state_opts_t s_opts (void)
{
    dt_state_opts_t opts = {.max_attempts = 1,
                            .retry_base_ms = 100,
                            .task_ms = 1000,
                            .window = WINDOW,
                            .host_limit = s_host_limit};
    return opts;
}

static int s_open (s_fixture_t *f)
{
    dt_state_opts_t opts = s_opts ();
    return dt_test_state_open (f, &opts);
}

static int s_setup (s_fixture_t *f)
{
    dt_state_opts_t opts = s_opts ();
    return dt_test_state_setup (f, "window", &opts);
}

/* URL of task number i of a job (i from 0), as submitted. */
static void s_url (char *buf, size_t size, const char *job, uint32_t i)
{
    snprintf (buf, size, "http://h/%s/%u", job, i);
}

/* Submits URLs i0 .. i0+n-1 of `job` as chunk `chunk`. Returns the code. */
static int s_submit (dt_state_t *st, const char *job, uint32_t chunk, uint32_t i0, uint32_t n,
                     uint64_t *first)
{
    static char bufs[CHUNK][64];
    dt_str_t urls[CHUNK];
    for (uint32_t i = 0; i < n; i++) {
        s_url (bufs[i], sizeof bufs[i], job, i0 + i);
        urls[i] = dt_str (bufs[i]);
    }
    char err[256] = "";
    uint32_t count;
    return dt_state_submit (st, dt_str (job), chunk, urls, n, first, &count, err, sizeof err);
}

/* Submits tasks 0 .. n-1 of `job` (n a multiple of CHUNK) in chunks. */
static int s_submit_tasks (dt_state_t *st, const char *job, uint32_t n)
{
    uint64_t first;
    for (uint32_t c = 0; c < n / CHUNK; c++)
        if (s_submit (st, job, c, c * CHUNK, CHUNK, &first) != 0)
            return -1;
    return 0;
}

/* Dispatches everything and answers each task with `outcome`; checks that
 * ids come in ascending order when `ordered`. Returns tasks run, or -1 on
 * disorder. */
/* The lowest attempt number s_run dispatched since it was last set. */
static uint32_t s_lowest_attempt = UINT32_MAX;

static int64_t s_run (s_fixture_t *f, uint8_t outcome, size_t *peak_memory, int ordered)
{
    int64_t ran = 0;
    uint64_t last_id = 0;
    uint32_t n;
    while ((n = dt_state_take (f->st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f->st, f->worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            if (ordered && s_items[i].id <= last_id)
                return -1;
            last_id = s_items[i].id;
            if (s_items[i].attempt < s_lowest_attempt)
                s_lowest_attempt = s_items[i].attempt;
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = s_items[i].attempt;
            r.outcome = outcome;
            r.http_status = outcome == DT_OUTCOME_DONE ? 200 : 503;
            r.error = dt_str (outcome == DT_OUTCOME_DONE ? "" : "HTTP 503");
            dt_state_result (f->st, f->worker, &r, NOW);
            ran++;
        }
        if (dt_store_commit (f->store) != 0)
            return -1;
        size_t memory = dt_state_memory (f->st);
        if (peak_memory && memory > *peak_memory)
            *peak_memory = memory;
    }
    return ran;
}

static int64_t s_drain (s_fixture_t *f, uint8_t outcome, size_t *peak_memory)
{
    return s_run (f, outcome, peak_memory, 1);
}

static dt_msg_stats_t s_stats (dt_state_t *st, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (job), &stats);
    return stats;
}

#define JOB_TASKS 60000

#define MIB       (1024 * 1024)
#define BIG_TASKS 200000

static void test_a_long_queue_waits_in_the_store_and_drains_in_order_with_flat_memory (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", BIG_TASKS), 0);
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    DT_CHECK (dt_state_cold (f.st) >= BIG_TASKS - WINDOW);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, BIG_TASKS);
    /* In memory, 200,000 tasks take 7 chunks of records and their URLs
     * (~18 MiB); here one chunk and one URL block (4 MiB) hold the window. */
    size_t queued_memory = dt_state_memory (f.st);
    DT_CHECK (queued_memory < 8 * MIB);

    size_t peak = 0;
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, &peak), BIG_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").done, BIG_TASKS);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    /* Finished tasks left memory as the queue drained, and results beyond
     * the window: a few chunks of each at any time (all of them in memory
     * would be ~58 MiB). */
    fprintf (stderr, "    memory: queued %zu, peak while draining %zu bytes\n", queued_memory,
             peak);
    DT_CHECK (peak < 32 * MIB);
    dt_test_state_teardown (&f);
}

static void test_pages_read_old_results_from_the_store_then_memory_each_once (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t first;
    /* Two jobs interleaved, so a job's page skips the other's results. */
    for (uint32_t c = 0; c < JOB_TASKS / CHUNK; c++)
        DT_CHECK_EQ (s_submit (f.st, c % 2 ? "b" : "a", c / 2, (c / 2) * CHUNK, CHUNK, &first), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), JOB_TASKS);
    DT_CHECK_EQ (dt_state_last_seq (f.st), JOB_TASKS);

    const char *jobs[] = {"", "b"};
    for (int j = 0; j < 2; j++) {
        uint64_t cursor = 0, seen = 0;
        uint32_t n;
        while ((n = dt_state_page (f.st, dt_str (jobs[j]), &cursor, 1000, 0, s_page)) > 0) {
            for (uint32_t i = 0; i < n; i++) {
                /* Each job's results come in its submission order. */
                char want[64];
                if (j == 1) {
                    s_url (want, sizeof want, "b", (uint32_t) seen);
                    DT_CHECK_EQ (s_page[i].url.len, strlen (want));
                    DT_CHECK (memcmp (s_page[i].url.ptr, want, strlen (want)) == 0);
                }
                DT_CHECK_EQ (s_page[i].state, DT_STATE_DONE);
                DT_CHECK_EQ (s_page[i].http_status, 200);
                seen++;
            }
        }
        DT_CHECK_EQ (seen, j ? JOB_TASKS / 2 : JOB_TASKS);
        DT_CHECK_EQ (cursor, JOB_TASKS);
    }
    /* A cursor past the end (a client's guess) stays there. */
    uint64_t cursor = UINT64_MAX;
    DT_CHECK_EQ (dt_state_page (f.st, dt_str (""), &cursor, 1000, 0, s_page), 0);
    DT_CHECK (cursor == UINT64_MAX);
    dt_test_state_teardown (&f);
}

static void test_resends_and_late_results_of_tasks_gone_from_memory_are_recognised (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t again;
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), JOB_TASKS);
    /* Chunk 0's tasks are only in the store now. */
    DT_CHECK_EQ (s_submit (f.st, "a", 0, 0, CHUNK, &again), 0);
    DT_CHECK_EQ (again, 1);
    DT_CHECK_EQ (s_submit (f.st, "a", 0, 1, CHUNK, &again), DT_ERR_CONFLICT);
    /* A late result for task 1 is a duplicate, not an invalid message. */
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = 1;
    r.attempt = 1;
    r.outcome = DT_OUTCOME_DONE;
    dt_state_result (f.st, f.worker, &r, NOW);
    DT_CHECK_EQ (s_stats (f.st, "").duplicates, 1);
    DT_CHECK_EQ (s_stats (f.st, "").invalid, 0);
    dt_test_state_teardown (&f);
}

/* Runs the steps of the CANCELs and REQUEUEs under way (one a loop turn in
 * the master) until none is left; the peak memory in *peak_memory when given. Returns
 * the steps, or -1 when they do not end. */
static int64_t s_steps (s_fixture_t *f, size_t *peak_memory)
{
    int64_t steps = 0;
    for (; dt_state_next_due (f->st) == 0; steps++) {
        if (steps > BIG_TASKS / DT_LIMIT_CANCEL_STEP + 10)
            return -1;
        dt_state_promote_due (f->st, NOW);
        if (dt_store_commit (f->store) != 0)
            return -1;
        size_t memory = dt_state_memory (f->st);
        if (peak_memory && memory > *peak_memory)
            *peak_memory = memory;
    }
    return steps;
}

/* The queue's refill cancels the tasks of a job being cancelled that it
 * reads, before any step has come to them. */
static void test_cancel_reaches_cold_tasks_and_the_queue_skips_them (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t first, count;
    for (uint32_t c = 0; c < JOB_TASKS / CHUNK; c++)
        DT_CHECK_EQ (s_submit (f.st, c % 2 ? "b" : "a", c / 2, (c / 2) * CHUNK, CHUNK, &first), 0);
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("b"), &count, NOW), 0);
    DT_CHECK_EQ (count, JOB_TASKS / 2); /* in memory and cold, counted at once */
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), JOB_TASKS / 2);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS / 2);
    DT_CHECK_EQ (s_stats (f.st, "b").failed, JOB_TASKS / 2);
    DT_CHECK_EQ (s_stats (f.st, "").pending, 0);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    DT_CHECK (s_steps (&f, NULL) >= 0);
    DT_CHECK_EQ (s_stats (f.st, "b").failed, JOB_TASKS / 2);
    dt_test_state_teardown (&f);
}

/* Cancelled cold tasks come into memory to be finished; once the queue has
 * passed them they leave it again, even with no cold task left to wait
 * for. */
static void test_cancelling_every_cold_task_lets_their_memory_go (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", BIG_TASKS), 0);
    size_t queued = dt_state_memory (f.st);
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("a"), &count, NOW), 0);
    DT_CHECK_EQ (count, BIG_TASKS);
    DT_CHECK (s_steps (&f, NULL) > 0);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    DT_CHECK_EQ (dt_state_take (f.st, 64, s_items, s_tasks), 0);
    /* 200,000 cancelled tasks held in memory would take ~18 MiB. */
    fprintf (stderr, "    memory: queued %zu, after the cancel %zu bytes\n", queued,
             dt_state_memory (f.st));
    DT_CHECK (dt_state_memory (f.st) < queued + 4 * MIB);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, BIG_TASKS);
    dt_test_state_teardown (&f);
}

/* A CANCEL of a job of 200,000 cold tasks cancels those in memory at once
 * and the rest DT_LIMIT_CANCEL_STEP a step, memory flat; tasks submitted
 * to the job after it stay queued; asked again meanwhile it counts (and
 * cancels) only those. */
static void test_a_cancel_of_cold_tasks_goes_in_bounded_steps (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", BIG_TASKS), 0);
    size_t queued = dt_state_memory (f.st);
    uint64_t count, again, first;
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("a"), &count, NOW), 0);
    DT_CHECK_EQ (count, BIG_TASKS);
    uint64_t failed = s_stats (f.st, "a").failed;
    /* Those in memory (the window, and parked ones), and what the refill
     * that follows read: one span (4 windows), up to DT_LIMIT_CANCEL_STEP. */
    DT_CHECK (failed <= 8 * WINDOW + DT_LIMIT_CANCEL_STEP);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, BIG_TASKS - failed);
    /* Submitted after the CANCEL: not cancelled by it. */
    DT_CHECK_EQ (s_submit (f.st, "a", BIG_TASKS / CHUNK, BIG_TASKS, CHUNK, &first), 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, BIG_TASKS - failed + CHUNK);
    int64_t steps = 0;
    size_t peak = 0;
    while (dt_state_next_due (f.st) == 0 && steps < BIG_TASKS / DT_LIMIT_CANCEL_STEP + 10) {
        dt_state_promote_due (f.st, NOW);
        DT_CHECK_EQ (dt_store_commit (f.store), 0);
        uint64_t now_failed = s_stats (f.st, "a").failed;
        /* The step's rows, and a refill's (as above). */
        DT_CHECK (now_failed - failed <= 2 * DT_LIMIT_CANCEL_STEP + 4 * WINDOW);
        failed = now_failed;
        if (dt_state_memory (f.st) > peak)
            peak = dt_state_memory (f.st);
        steps++;
    }
    fprintf (stderr, "    %" PRId64 " steps; memory: queued %zu, peak %zu bytes\n", steps, queued,
             peak);
    DT_CHECK (steps >= BIG_TASKS / (2 * DT_LIMIT_CANCEL_STEP + 4 * WINDOW));
    DT_CHECK_EQ (dt_state_next_due (f.st) == 0, 0);
    /* A step's records fall in at most two chunks of the task table (each
     * 32,768 records of 64 bytes and a 4 MiB block of URLs, ~6 MiB), swept
     * once finished; all 200,000 at once mapped every chunk of the job. */
    DT_CHECK (peak < queued + 13 * MIB);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, BIG_TASKS);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "a").done, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, 0);
    /* Again, under way, after a submit: the new tasks alone are counted. */
    DT_CHECK_EQ (s_submit_tasks (f.st, "b", BIG_TASKS), 0);
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("b"), &count, NOW), 0);
    DT_CHECK_EQ (count, BIG_TASKS);
    dt_state_promote_due (f.st, NOW); /* a step */
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("b"), &again, NOW), 0);
    DT_CHECK_EQ (again, 0); /* resent: nothing more */
    DT_CHECK_EQ (s_submit (f.st, "b", BIG_TASKS / CHUNK, BIG_TASKS, CHUNK, &first), 0);
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("b"), &again, NOW), 0);
    DT_CHECK_EQ (again, CHUNK);
    DT_CHECK (s_steps (&f, NULL) > 0);
    DT_CHECK_EQ (s_stats (f.st, "b").failed, BIG_TASKS + CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "b").pending, 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), 0);
    dt_test_state_teardown (&f);
}

static void test_requeue_brings_back_failed_tasks_gone_from_memory (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t count;
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_FAIL, NULL), JOB_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, JOB_TASKS);
    size_t before = dt_state_memory (f.st);
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, JOB_TASKS);
    /* The first DT_LIMIT_REQUEUE_STEP now, the rest in steps. */
    DT_CHECK (s_stats (f.st, "a").pending <= DT_LIMIT_REQUEUE_STEP);
    DT_CHECK (s_steps (&f, NULL) > 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, JOB_TASKS);
    /* Those still in memory and a window's worth more are back in memory;
     * the rest wait in the store. */
    DT_CHECK (dt_state_cold (f.st) >= JOB_TASKS / 2);
    /* At most a chunk of records and a block of URLs for the window. */
    fprintf (stderr, "    memory: %zu before the requeue, %zu after\n", before,
             dt_state_memory (f.st));
    DT_CHECK (dt_state_memory (f.st) < before + 8 * MIB);
    /* Those in memory run before those in the store: not in id order. */
    s_lowest_attempt = UINT32_MAX;
    DT_CHECK_EQ (s_run (&f, DT_OUTCOME_DONE, NULL, 0), JOB_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS);
    /* Whether they came back from memory or from the store, none runs as
     * an attempt it had before the requeue (attempt 1: max_attempts is 1). */
    DT_CHECK (s_lowest_attempt > 1 && s_lowest_attempt != UINT32_MAX);
    /* The retired failures are not paged any more. */
    uint64_t cursor = 0;
    DT_CHECK_EQ (dt_state_page (f.st, dt_str ("a"), &cursor, 1000, DT_FETCH_FAILED_ONLY, s_page),
                 0);
    dt_test_state_teardown (&f);
}

/* Answers one dispatched task as done; counts it in *done_a when it is
 * one of job a's. Returns 1. */
static uint32_t s_answer (s_fixture_t *f, const dt_msg_task_t *item, uint32_t *done_a)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = item->id;
    r.attempt = item->attempt;
    r.outcome = DT_OUTCOME_DONE;
    dt_state_result (f->st, f->worker, &r, NOW);
    *done_a += r.id <= JOB_TASKS;
    return 1;
}

/* Requeued failures of one job join the cold queue ahead of another job's
 * newer tasks; every task then runs once, and a restart half-way through
 * finds the same queue. */
static void test_requeue_past_the_window_joins_the_cold_queue_and_survives_a_restart (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t count;
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_FAIL, NULL), JOB_TASKS);
    DT_CHECK_EQ (s_submit_tasks (f.st, "b", 10 * CHUNK), 0);
    uint64_t cold_b = dt_state_cold (f.st), hot_b = 10 * CHUNK - cold_b;
    DT_CHECK (cold_b > 0);
    size_t before = dt_state_memory (f.st);
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, JOB_TASKS);
    DT_CHECK (s_steps (&f, NULL) > 0);
    DT_CHECK (dt_state_cold (f.st) >= cold_b + JOB_TASKS / 2);
    DT_CHECK_EQ (s_stats (f.st, "").pending, JOB_TASKS + 10 * CHUNK);
    DT_CHECK (dt_state_memory (f.st) < before + 8 * MIB);
    /* b's tasks in memory run first, then a's (those still in memory, then
     * the cold queue by id), then b's cold ones. */
    uint32_t n, ran = 0, done_a = 0;
    while (ran < 2000 && (n = dt_state_take (f.st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f.st, f.worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            DT_CHECK_EQ (s_items[i].id > JOB_TASKS, ran < hot_b);
            ran += s_answer (&f, &s_items[i], &done_a);
        }
    }
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    dt_test_state_close (&f);

    /* The rest after a restart, which rebuilds the queue in id order. */
    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending + done_a, JOB_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "b").pending + ran - done_a, 10 * CHUNK);
    while ((n = dt_state_take (f.st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f.st, f.worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++)
            ran += s_answer (&f, &s_items[i], &done_a);
        DT_CHECK_EQ (dt_store_commit (f.store), 0);
    }
    DT_CHECK_EQ (ran, JOB_TASKS + 10 * CHUNK);
    DT_CHECK_EQ (done_a, JOB_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS);
    DT_CHECK_EQ (s_stats (f.st, "b").done, 10 * CHUNK);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    dt_test_state_teardown (&f);
}

/* Every third task fails; requeued, they wait in the store as runs of
 * one id each, and a refill reads many of them per query. */
static void test_scattered_failures_requeue_and_each_run_once (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS), 0);
    uint32_t n;
    while ((n = dt_state_take (f.st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f.st, f.worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = s_items[i].attempt;
            r.outcome = r.id % 3 ? DT_OUTCOME_DONE : DT_OUTCOME_FAIL;
            dt_state_result (f.st, f.worker, &r, NOW);
        }
        DT_CHECK_EQ (dt_store_commit (f.store), 0);
    }
    DT_CHECK_EQ (s_stats (f.st, "a").failed, JOB_TASKS / 3);
    uint64_t count;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, JOB_TASKS / 3);
    DT_CHECK (s_steps (&f, NULL) > 0);
    DT_CHECK (dt_state_cold (f.st) > 0);
    DT_CHECK_EQ (s_run (&f, DT_OUTCOME_DONE, NULL, 0), JOB_TASKS / 3);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    dt_test_state_teardown (&f);
}

/* With a host limit, a host's tasks beyond it are parked in memory: the
 * queue in memory then reads more from the store, but holds no more than a
 * few windows, and every task runs once, in order. */
static void test_a_host_limit_parks_a_bounded_queue_and_every_task_runs (void)
{
    s_host_limit = 2;
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    s_host_limit = 0;
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS / 3), 0);
    size_t peak = 0;
    uint32_t n, ran = 0, rounds = 0;
    uint64_t last_id = 0;
    while ((n = dt_state_take (f.st, 64, s_items, s_tasks)) > 0) {
        DT_CHECK (n <= 2);
        dt_state_lease (f.st, f.worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            if (s_items[i].id <= last_id)
                fprintf (stderr, "    order: %" PRIu64 " after %" PRIu64 " (round %u)\n",
                         s_items[i].id, last_id, rounds);
            last_id = s_items[i].id;
            uint32_t unused = 0;
            ran += s_answer (&f, &s_items[i], &unused);
        }
        if (++rounds % 256 == 0) {
            DT_CHECK_EQ (dt_store_commit (f.store), 0);
            size_t memory = dt_state_memory (f.st);
            peak = memory > peak ? memory : peak;
        }
    }
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    DT_CHECK_EQ (ran, JOB_TASKS / 3);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS / 3);
    DT_CHECK_EQ (dt_state_cold (f.st), 0);
    fprintf (stderr, "    memory: peak %zu bytes\n", peak);
    DT_CHECK (peak < 16 * MIB);
    dt_test_state_teardown (&f);
}

static void test_a_restart_recovers_counts_and_the_cold_queue_in_order (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t first;
    DT_CHECK_EQ (s_submit_tasks (f.st, "a", JOB_TASKS), 0);
    /* Run a fifth of them, then stop as after kill -9 (after a commit). */
    int64_t ran = 0;
    uint32_t n;
    while (ran < JOB_TASKS / 5 && (n = dt_state_take (f.st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f.st, f.worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = 1;
            r.outcome = DT_OUTCOME_DONE;
            dt_state_result (f.st, f.worker, &r, NOW);
            ran++;
        }
    }
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    dt_test_state_close (&f);

    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK_EQ (s_stats (f.st, "a").done, ran);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, JOB_TASKS - ran);
    DT_CHECK (dt_state_cold (f.st) > 0);
    DT_CHECK (dt_state_memory (f.st) < 24 * MIB);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE, NULL), JOB_TASKS - ran);
    DT_CHECK_EQ (s_stats (f.st, "a").done, JOB_TASKS);
    DT_CHECK_EQ (dt_state_last_seq (f.st), JOB_TASKS);
    /* New tasks get new ids after a restart too. */
    DT_CHECK_EQ (s_submit (f.st, "c", 0, 0, CHUNK, &first), 0);
    DT_CHECK_EQ (first, JOB_TASKS + 1);
    dt_test_state_teardown (&f);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a long queue waits in the store and drains in order with flat memory",
         test_a_long_queue_waits_in_the_store_and_drains_in_order_with_flat_memory},
        {"pages read old results from the store then memory, each once",
         test_pages_read_old_results_from_the_store_then_memory_each_once},
        {"resends and late results of tasks gone from memory are recognised",
         test_resends_and_late_results_of_tasks_gone_from_memory_are_recognised},
        {"cancel reaches cold tasks and the queue skips them",
         test_cancel_reaches_cold_tasks_and_the_queue_skips_them},
        {"cancelling every cold task lets their memory go",
         test_cancelling_every_cold_task_lets_their_memory_go},
        {"a cancel of cold tasks goes in bounded steps",
         test_a_cancel_of_cold_tasks_goes_in_bounded_steps},
        {"requeue brings back failed tasks gone from memory",
         test_requeue_brings_back_failed_tasks_gone_from_memory},
        {"requeue past the window joins the cold queue and survives a restart",
         test_requeue_past_the_window_joins_the_cold_queue_and_survives_a_restart},
        {"scattered failures requeue and each run once",
         test_scattered_failures_requeue_and_each_run_once},
        {"a host limit parks a bounded queue and every task runs",
         test_a_host_limit_parks_a_bounded_queue_and_every_task_runs},
        {"a restart recovers counts and the cold queue in order",
         test_a_restart_recovers_counts_and_the_cold_queue_in_order},
        {0},
    };
    return dt_test_run (tests);
}
