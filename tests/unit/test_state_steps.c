/* test_state_steps.c - CANCEL and REQUEUE of a job's tasks only in the store go in bounded
 * steps across loop turns (DT_LIMIT_CANCEL_STEP, DT_LIMIT_REQUEUE_STEP), and a restart in the
 * middle goes on with them: every task ends once. */
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
#define TASKS  60000

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];

typedef dt_test_state_t s_fixture_t;

static dt_state_opts_t s_opts (void)
{
    dt_state_opts_t opts = {
        .max_attempts = 1, .retry_base_ms = 100, .task_ms = 1000, .window = WINDOW};
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
    return dt_test_state_setup (f, "steps", &opts);
}

/* Submits tasks 0 .. n-1 of `job` (n a multiple of CHUNK), chunks from `chunk0`. */
static int s_submit (dt_state_t *st, const char *job, uint32_t chunk0, uint32_t n)
{
    static char bufs[CHUNK][64];
    dt_str_t urls[CHUNK];
    for (uint32_t c = 0; c < n / CHUNK; c++) {
        for (uint32_t i = 0; i < CHUNK; i++) {
            snprintf (bufs[i], sizeof bufs[i], "http://h/%s/%u", job, (chunk0 + c) * CHUNK + i);
            urls[i] = dt_str (bufs[i]);
        }
        char err[256] = "";
        uint64_t first;
        uint32_t count;
        if (dt_state_submit (st, dt_str (job), chunk0 + c, urls, CHUNK, &first, &count, err,
                             sizeof err) != 0)
            return -1;
    }
    return 0;
}

/* Dispatches everything and answers each task with `outcome`. Returns the
 * tasks run, or -1. */
static int64_t s_drain (s_fixture_t *f, uint8_t outcome)
{
    int64_t ran = 0;
    uint32_t n;
    while ((n = dt_state_take (f->st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (f->st, f->worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = s_items[i].attempt;
            r.outcome = outcome;
            r.http_status = outcome == DT_OUTCOME_DONE ? 200 : 404;
            r.error = dt_str (outcome == DT_OUTCOME_DONE ? "" : "HTTP 404");
            dt_state_result (f->st, f->worker, &r, NOW);
            ran++;
        }
        if (dt_store_commit (f->store) != 0)
            return -1;
    }
    return ran;
}

/* One loop turn's share of the steps, committed as the master commits. */
static int s_turn (s_fixture_t *f)
{
    dt_state_promote_due (f->st, NOW);
    return dt_store_commit (f->store);
}

/* Runs turns while steps are under way. Returns the turns, or -1 when
 * they do not end. */
static int64_t s_steps (s_fixture_t *f)
{
    int64_t turns = 0;
    for (; dt_state_next_due (f->st) == 0; turns++)
        if (turns > 2 * TASKS / DT_LIMIT_CANCEL_STEP + 10 || s_turn (f) != 0)
            return -1;
    return turns;
}

static dt_msg_stats_t s_stats (dt_state_t *st, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (job), &stats);
    return stats;
}

/* TASKS failed tasks of job "a", nearly all of them only in the store. */
static int s_failed_job (s_fixture_t *f)
{
    if (s_submit (f->st, "a", 0, TASKS) != 0 || s_drain (f, DT_OUTCOME_FAIL) != TASKS)
        return -1;
    return s_stats (f->st, "a").failed == TASKS ? 0 : -1;
}

/* DT_LIMIT_REQUEUE_STEP: the first step before REQUEUE_OK, then one a
 * turn, none reopening more than the step; the count is every failed task. */
static void test_a_requeue_of_failed_tasks_in_the_store_goes_in_bounded_steps (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_failed_job (&f), 0);
    uint64_t count;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, TASKS);
    uint64_t pending = s_stats (f.st, "a").pending;
    DT_CHECK (pending > 0 && pending <= DT_LIMIT_REQUEUE_STEP);
    DT_CHECK_EQ (dt_state_next_due (f.st), 0); /* the loop does not sleep meanwhile */
    int64_t turns = 0;
    while (dt_state_next_due (f.st) == 0 && turns < TASKS / DT_LIMIT_REQUEUE_STEP + 10) {
        DT_CHECK_EQ (s_turn (&f), 0);
        uint64_t now = s_stats (f.st, "a").pending;
        DT_CHECK (now - pending <= DT_LIMIT_REQUEUE_STEP);
        pending = now;
        turns++;
    }
    fprintf (stderr, "    %" PRId64 " turns after the first step\n", turns);
    DT_CHECK (turns >= TASKS / DT_LIMIT_REQUEUE_STEP - 1);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").done, TASKS);
    dt_test_state_teardown (&f);
}

/* Killed after a few steps, the next master goes on where the last commit
 * left the REQUEUE: every task runs once more, none twice. */
static void test_a_requeue_cut_short_by_a_restart_goes_on_each_task_once (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_failed_job (&f), 0);
    uint64_t count;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), 0, &count), 0);
    DT_CHECK_EQ (s_turn (&f), 0);
    DT_CHECK_EQ (s_turn (&f), 0);
    uint64_t pending = s_stats (f.st, "a").pending;
    DT_CHECK (pending < TASKS);
    dt_test_state_close (&f);
    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, pending);
    DT_CHECK (s_steps (&f) > 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, TASKS);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").done, TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, 0);
    dt_test_state_teardown (&f);
}

/* Killed after a few steps of a CANCEL, the next master cancels the rest
 * (those read back into memory at once, the cold ones in steps); tasks
 * submitted to the job after the CANCEL still run. */
static void test_a_cancel_cut_short_by_a_restart_goes_on (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit (f.st, "a", 0, TASKS), 0);
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("a"), &count, NOW), 0);
    DT_CHECK_EQ (count, TASKS);
    DT_CHECK_EQ (s_submit (f.st, "a", TASKS / CHUNK, CHUNK), 0); /* after it: not its */
    DT_CHECK_EQ (s_turn (&f), 0);
    DT_CHECK_EQ (s_turn (&f), 0);
    DT_CHECK (s_stats (f.st, "a").failed < TASKS);
    dt_test_state_close (&f);
    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK (s_steps (&f) > 0);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, TASKS);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, CHUNK);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "a").done, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, TASKS);
    dt_test_state_teardown (&f);
}

/* A CANCEL of a job whose REQUEUE is under way wins: the requeue ends,
 * and what it reopened is cancelled again. */
static void test_a_cancel_ends_a_requeue_of_its_job_under_way (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_failed_job (&f), 0);
    uint64_t count;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("a"), 0, &count), 0);
    DT_CHECK_EQ (s_turn (&f), 0);
    DT_CHECK (s_stats (f.st, "a").pending > 0);
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("a"), &count, NOW), 0);
    DT_CHECK (s_steps (&f) >= 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, 0);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, TASKS);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), 0);
    /* And a REQUEUE of every job asked before a CANCEL leaves that job. */
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str (""), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("a"), &count, NOW), 0);
    DT_CHECK (s_steps (&f) >= 0);
    DT_CHECK_EQ (s_stats (f.st, "a").pending, 0);
    DT_CHECK_EQ (s_stats (f.st, "a").failed, TASKS);
    dt_test_state_teardown (&f);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a requeue of failed tasks in the store goes in bounded steps",
         test_a_requeue_of_failed_tasks_in_the_store_goes_in_bounded_steps},
        {"a requeue cut short by a restart goes on, each task once",
         test_a_requeue_cut_short_by_a_restart_goes_on_each_task_once},
        {"a cancel cut short by a restart goes on", test_a_cancel_cut_short_by_a_restart_goes_on},
        {"a cancel ends a requeue of its job under way",
         test_a_cancel_ends_a_requeue_of_its_job_under_way},
        {0},
    };
    return dt_test_run (tests);
}
