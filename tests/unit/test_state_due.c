/* test_state_due.c - a durable model keeps tasks that wait for their not-before time in the
 * store, reads them back in order of that time, and never hands one out early. */
#include "dt_spec.h"
#include "dt_state.h"
#include "dt_test.h"
#include "dt_test_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 256
#define CHUNK  1000

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];

typedef dt_test_state_t s_fixture_t;

static uint64_t s_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int64_t s_mono (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    return dt_test_state_setup (f, "due", &opts);
}

/* Submits CHUNK tasks of kind "k" in `job`, chunk `chunk`, not before
 * `not_before`, each payload the chunk number. Returns the code. */
static int s_submit (dt_state_t *st, const char *job, uint32_t chunk, uint64_t not_before)
{
    static char text[CHUNK][16];
    dt_str_t payloads[CHUNK];
    for (uint32_t i = 0; i < CHUNK; i++) {
        snprintf (text[i], sizeof text[i], "%u", chunk);
        payloads[i] = dt_str (text[i]);
    }
    dt_spec_opts_t opts = {.not_before = not_before};
    char *buf = NULL;
    const dt_str_t *specs = dt_spec_join (dt_str ("k"), &opts, payloads, CHUNK, &buf);
    if (!specs)
        return -1;
    char err[256] = "";
    uint64_t first;
    uint32_t count;
    int rc =
        dt_state_submit (st, dt_str (job), chunk, specs, CHUNK, &first, &count, err, sizeof err);
    if (specs != payloads)
        free ((void *) specs);
    free (buf);
    return rc;
}

static dt_msg_stats_t s_stats (dt_state_t *st, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str (job), &stats);
    return stats;
}

/* Takes and answers everything due, 4 tasks a take and a pause after
 * each (slow enough that later chunks fall due while earlier ones still
 * wait in the queue), for at most `ms`, until `want` tasks ran. Each task's payload is its chunk
 * number; `due` holds each chunk's time. Returns tasks run, or -1 when one came early or out of due
 * order. */
static int s_run_due (s_fixture_t *f, const uint64_t *due, int want, int64_t ms)
{
    int ran = 0;
    uint64_t last_due = 0;
    int64_t until = s_mono () + ms;
    while (ran < want && s_mono () < until) {
        dt_state_promote_due (f->st, s_mono ());
        uint32_t n = dt_state_take (f->st, 4, s_items, s_tasks);
        uint64_t now = s_wall ();
        if (n == 0) {
            usleep (2000);
            continue;
        }
        dt_state_lease (f->st, f->worker, s_tasks, n, s_mono ());
        for (uint32_t i = 0; i < n; i++) {
            uint64_t at = due[atoi (s_items[i].payload.ptr)];
            if (now < at || at < last_due) {
                fprintf (stderr, "    task %llu due %llu taken at %llu after one due %llu\n",
                         (unsigned long long) s_items[i].id, (unsigned long long) at,
                         (unsigned long long) now, (unsigned long long) last_due);
                return -1;
            }
            last_due = at;
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = s_items[i].attempt;
            r.epoch = dt_state_epoch (f->st);
            r.outcome = DT_OUTCOME_DONE;
            dt_state_result (f->st, f->worker, &r, s_mono ());
            ran++;
        }
        if (dt_store_commit (f->store) != 0)
            return -1;
        usleep (1000);
    }
    return ran;
}

static void test_delayed_tasks_wait_in_the_store_and_go_out_in_due_order (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (dt_state_begin_epoch (f.st), 0);
    /* Submitted latest first: they must come back earliest first. */
    uint64_t now = s_wall (), due[4] = {now + 900, now + 700, now + 500, now + 300};
    for (uint32_t c = 0; c < 4; c++)
        DT_CHECK_EQ (s_submit (f.st, "d", c, due[c]), 0);
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    DT_CHECK_EQ (s_stats (f.st, "d").delayed, 4 * CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "d").pending, 0);
    /* STATUS per kind counts them delayed too. */
    uint64_t counts[DT_LIMIT_KINDS_MAX][3];
    memset (counts, 0, sizeof counts);
    dt_state_kind_counts (f.st, counts);
    DT_CHECK_EQ (counts[dt_state_kind (f.st, dt_str ("k"))][2], 4 * CHUNK);
    /* Nothing of them in memory yet: an empty table is a few KiB. */
    DT_CHECK (dt_state_memory (f.st) < 4 * 1024 * 1024);
    DT_CHECK_EQ (dt_state_take (f.st, 64, s_items, s_tasks), 0);
    DT_CHECK_EQ (s_run_due (&f, due, 4 * CHUNK, 30000), 4 * CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "d").done, 4 * CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "d").delayed, 0);
    memset (counts, 0, sizeof counts);
    dt_state_kind_counts (f.st, counts);
    DT_CHECK_EQ (counts[dt_state_kind (f.st, dt_str ("k"))][2], 0);
    dt_test_state_teardown (&f);
}

static void test_cancel_reaches_tasks_waiting_in_the_store (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    DT_CHECK_EQ (s_submit (f.st, "c", 0, s_wall () + 3600 * 1000), 0);
    DT_CHECK_EQ (s_submit (f.st, "other", 0, s_wall () + 3600 * 1000), 0);
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    uint64_t count = 0;
    DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("c"), &count, s_mono ()), 0);
    DT_CHECK_EQ (count, CHUNK);
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    DT_CHECK_EQ (s_stats (f.st, "c").failed, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "c").delayed, 0);
    DT_CHECK_EQ (s_stats (f.st, "other").delayed, CHUNK);
    /* After a restart the cancelled ones stay cancelled, the others wait. */
    dt_test_state_close (&f);
    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK_EQ (s_stats (f.st, "").failed, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "").delayed, CHUNK);
    dt_test_state_teardown (&f);
}

static void test_a_restart_keeps_waiting_tasks_and_queues_those_now_due (void)
{
    s_fixture_t f;
    DT_CHECK_EQ (s_setup (&f), 0);
    uint64_t due[2] = {s_wall () + 3600 * 1000, s_wall () + 100};
    DT_CHECK_EQ (s_submit (f.st, "r", 0, due[0]), 0);
    DT_CHECK_EQ (s_submit (f.st, "r", 1, due[1]), 0);
    DT_CHECK_EQ (dt_store_commit (f.store), 0);
    dt_test_state_close (&f);
    while (s_wall () <= due[1])
        usleep (10000);
    DT_CHECK_EQ (s_open (&f), 0);
    DT_CHECK_EQ (dt_state_begin_epoch (f.st), 0);
    /* The chunk due by now is queued; the other waits, in the store. */
    DT_CHECK_EQ (s_stats (f.st, "r").delayed, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "r").pending, CHUNK);
    DT_CHECK_EQ (s_run_due (&f, due, CHUNK, 30000), CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "r").done, CHUNK);
    DT_CHECK_EQ (s_stats (f.st, "r").delayed, CHUNK);
    dt_test_state_teardown (&f);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"delayed tasks wait in the store and go out in due order",
         test_delayed_tasks_wait_in_the_store_and_go_out_in_due_order},
        {"cancel reaches tasks waiting in the store",
         test_cancel_reaches_tasks_waiting_in_the_store},
        {"a restart keeps waiting tasks and queues those now due",
         test_a_restart_keeps_waiting_tasks_and_queues_those_now_due},
        {0},
    };
    return dt_test_run (tests);
}
