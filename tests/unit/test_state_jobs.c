/* test_state_jobs.c - finished jobs leave memory after a retention: with a store it answers for
 * them (STATUS, FETCH, resends, REQUEUE, restarts); without one they are forgotten, and memory
 * stays flat however many jobs are done; JOBS pages, unknown jobs, REQUEUE of cancelled tasks and
 * the resend-only check. */
#include "dt_state.h"
#include "dt_test.h"
#include "dt_test_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW  1000000
#define KEEP 8 /* finished jobs kept in memory */

/* Memory the task table's and the results log's blocks (2 MiB each, given
 * back whole) may add between two measures in the same steady state. */
#define S_BLOCKS (6 * 1024 * 1024)

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];
static dt_record_t s_page[DT_LIMIT_BATCH_MAX];

typedef dt_test_state_t s_fixture_t;

/* Results kept in memory by the next s_setup. */
static uint64_t s_window = 256;

static dt_state_opts_t s_opts (void)
{
    dt_state_opts_t opts = {.max_attempts = 1,
                            .retry_base_ms = 100,
                            .task_ms = 1000,
                            .window = s_window,
                            .keep_jobs = KEEP};
    return opts;
}

static int s_open (s_fixture_t *f)
{
    dt_state_opts_t opts = s_opts ();
    return dt_test_state_open (f, &opts);
}

static int s_setup (s_fixture_t *f, int durable)
{
    dt_state_opts_t opts = s_opts ();
    return dt_test_state_setup (f, durable ? "jobs" : NULL, &opts);
}

static int s_commit (s_fixture_t *f)
{
    return f->store ? dt_store_commit (f->store) : 0;
}

/* Submits one URL ("http://h/<job>/<n>") as chunk `chunk` of `job`. */
static int s_submit (s_fixture_t *f, const char *job, uint32_t chunk, uint32_t n, uint64_t *first)
{
    char url[96];
    snprintf (url, sizeof url, "http://h/%s/%u", job, n);
    dt_str_t urls[1] = {dt_str (url)};
    char err[256] = "";
    uint32_t count;
    return dt_state_submit (f->st, dt_str (job), chunk, urls, 1, first, &count, err, sizeof err);
}

/* Runs every queued task with `outcome`. Returns how many. */
static uint64_t s_drain (s_fixture_t *f, uint8_t outcome)
{
    uint64_t ran = 0;
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
            dt_state_result (f->st, f->worker, &r, NOW);
            ran++;
        }
        if (s_commit (f) != 0)
            return 0;
    }
    return ran;
}

/* Submits and runs `n` tasks, each in a chunk of its own: of jobs
 * <prefix>0 .. <prefix>n-1, or all of job <prefix> when `one_job`. */
static int s_tasks_of (s_fixture_t *f, const char *prefix, uint32_t n, uint8_t outcome, int one_job)
{
    for (uint32_t j = 0; j < n; j++) {
        char job[32];
        snprintf (job, sizeof job, one_job ? "%s" : "%s%u", prefix, j);
        uint64_t first;
        if (s_submit (f, job, one_job ? j : 0, one_job ? j : 0, &first) != 0)
            return -1;
        /* Drained as they come, so each job finishes before the next. */
        if (j % 64 == 63 && s_drain (f, outcome) != 64)
            return -1;
    }
    s_drain (f, outcome);
    return s_commit (f);
}

static int s_jobs (s_fixture_t *f, const char *prefix, uint32_t n, uint8_t outcome)
{
    return s_tasks_of (f, prefix, n, outcome, 0);
}

static dt_msg_stats_t s_stats (s_fixture_t *f, const char *job)
{
    dt_msg_stats_t stats;
    dt_state_stats (f->st, dt_str (job), &stats);
    return stats;
}

/* Results of `job` from cursor 0, every page. */
static uint32_t s_fetch_all (s_fixture_t *f, const char *job, char *url, size_t url_size)
{
    uint64_t cursor = 0;
    uint32_t total = 0, n;
    int pages = 0;
    while ((n = dt_state_page (f->st, dt_str (job), &cursor, DT_LIMIT_BATCH_MAX, 0, s_page)) > 0 ||
           cursor < dt_state_last_seq (f->st)) {
        if (n > 0 && url)
            snprintf (url, url_size, "%.*s", (int) s_page[0].url.len, s_page[0].url.ptr);
        total += n;
        if (++pages > 1000)
            break;
    }
    return total;
}

static void test_finished_jobs_leave_memory_and_the_store_answers_for_them (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 1) == 0);
    DT_CHECK (s_jobs (&f, "warm", 20000, DT_OUTCOME_DONE) == 0);
    size_t before = dt_state_memory (f.st);
    DT_CHECK (s_jobs (&f, "j", 40000, DT_OUTCOME_DONE) == 0);
    size_t after = dt_state_memory (f.st);
    fprintf (stderr,
             "    memory after 20,000 jobs %zu, after 60,000 %zu bytes; %zu jobs in memory\n",
             before, after, dt_state_jobs (f.st));
    DT_CHECK (dt_state_jobs (f.st) <= KEEP + 1);
    /* 40,000 more jobs kept would be ~12 MB of records alone; the
     * retention holds 8. What remains is the task table's and the results
     * log's blocks (2 MiB each), which come and go whole. */
    DT_CHECK (after < before + S_BLOCKS);

    dt_msg_stats_t all = s_stats (&f, "");
    DT_CHECK_EQ (all.submitted, 60000);
    DT_CHECK_EQ (all.done, 60000);
    dt_msg_stats_t j0 = s_stats (&f, "j0");
    DT_CHECK_EQ (j0.submitted, 1);
    DT_CHECK_EQ (j0.done, 1);

    /* A resend of its chunk gets the same ids; other URLs are refused. */
    uint64_t first = 0, again = 0;
    char url[96];
    snprintf (url, sizeof url, "http://h/j0/0");
    DT_CHECK_EQ (s_submit (&f, "j0", 0, 0, &again), 0);
    DT_CHECK_EQ (s_submit (&f, "j0", 0, 1, &first), DT_ERR_CONFLICT);
    DT_CHECK_EQ (s_stats (&f, "").submitted, 60000);
    DT_CHECK_EQ (again, 20001);

    /* Its page comes from the store. */
    char got[96] = "";
    DT_CHECK_EQ (s_fetch_all (&f, "j0", got, sizeof got), 1);
    DT_CHECK (strcmp (got, url) == 0);

    /* A restart loads only what is in memory, and counts the rest. */
    dt_test_state_close (&f);
    DT_CHECK (s_open (&f) == 0);
    DT_CHECK (dt_state_memory (f.st) < before + S_BLOCKS);
    all = s_stats (&f, "");
    DT_CHECK_EQ (all.submitted, 60000);
    DT_CHECK_EQ (all.done, 60000);
    DT_CHECK_EQ (s_stats (&f, "j0").done, 1);
    DT_CHECK_EQ (s_fetch_all (&f, "j0", NULL, 0), 1);
    DT_CHECK_EQ (s_fetch_all (&f, "j39999", NULL, 0), 1);
    DT_CHECK_EQ (s_submit (&f, "j0", 0, 0, &first), 0);
    DT_CHECK_EQ (first, again);
    /* New tasks get new ids, past those of jobs not in memory. */
    DT_CHECK_EQ (s_submit (&f, "new", 0, 0, &first), 0);
    DT_CHECK_EQ (first, 60001);
    dt_test_state_teardown (&f);
}

static void test_a_job_that_left_memory_comes_back_with_its_counters (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 1) == 0);
    uint64_t first;
    for (uint32_t i = 0; i < 3; i++)
        DT_CHECK_EQ (s_submit (&f, "f", i, i, &first), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_FAIL), 3);
    DT_CHECK (s_jobs (&f, "other", 100, DT_OUTCOME_DONE) == 0);
    DT_CHECK_EQ (s_stats (&f, "f").failed, 3);

    /* REQUEUE brings it back: its failed tasks run again. */
    uint64_t count = 0;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("f"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, 3);
    dt_msg_stats_t stats = s_stats (&f, "f");
    DT_CHECK_EQ (stats.submitted, 3);
    DT_CHECK_EQ (stats.pending, 3);
    DT_CHECK_EQ (stats.failed, 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), 3);
    DT_CHECK (s_commit (&f) == 0);
    DT_CHECK_EQ (s_stats (&f, "f").done, 3);
    DT_CHECK_EQ (s_fetch_all (&f, "f", NULL, 0), 3);

    /* Out again, then a new chunk: its counters go on from the store's. */
    DT_CHECK (s_jobs (&f, "more", 100, DT_OUTCOME_DONE) == 0);
    DT_CHECK_EQ (s_submit (&f, "f", 3, 3, &first), 0);
    stats = s_stats (&f, "f");
    DT_CHECK_EQ (stats.submitted, 4);
    DT_CHECK_EQ (stats.done, 3);
    DT_CHECK_EQ (stats.pending, 1);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), 1);
    DT_CHECK (s_commit (&f) == 0);
    DT_CHECK_EQ (s_fetch_all (&f, "f", NULL, 0), 4);
    dt_msg_stats_t all = s_stats (&f, "");
    DT_CHECK_EQ (all.submitted, 204);
    DT_CHECK_EQ (all.done, 204);
    dt_test_state_teardown (&f);
}

static void test_without_a_store_finished_jobs_are_forgotten_and_memory_stays_flat (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 0) == 0);
    DT_CHECK (s_jobs (&f, "warm", 40000, DT_OUTCOME_DONE) == 0);
    size_t before = dt_state_memory (f.st);
    DT_CHECK (s_jobs (&f, "j", 40000, DT_OUTCOME_DONE) == 0);
    size_t after = dt_state_memory (f.st);
    fprintf (stderr,
             "    memory after 40,000 jobs %zu, after 80,000 %zu bytes; %zu jobs in memory\n",
             before, after, dt_state_jobs (f.st));
    DT_CHECK (dt_state_jobs (f.st) <= KEEP + 1);
    /* Each job's record, chunk, task and result kept would be ~20 MB;
     * results stay up to the window (256 here), the rest goes. */
    DT_CHECK (after < before + S_BLOCKS);
    DT_CHECK_EQ (s_stats (&f, "j0").submitted, 0);
    DT_CHECK_EQ (s_stats (&f, "").done, 80000);
    dt_test_state_teardown (&f);
}

static void test_without_a_store_a_kept_job_is_known_after_its_tasks_left_memory (void)
{
    s_fixture_t f;
    s_window = 65536;
    int rc = s_setup (&f, 0);
    s_window = 256;
    DT_CHECK (rc == 0);
    /* A retained job: a resend is known after its task left memory, and
     * its failed task comes back for REQUEUE. */
    uint64_t first, again;
    DT_CHECK_EQ (s_submit (&f, "kept", 0, 0, &first), 0);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_FAIL), 1);
    /* One large job: its tasks fill the task table's block past those of
     * "kept", which is swept, while "kept" stays among the recent jobs. */
    DT_CHECK (s_tasks_of (&f, "big", 40000, DT_OUTCOME_DONE, 1) == 0);
    DT_CHECK_EQ (s_submit (&f, "kept", 0, 0, &again), 0);
    DT_CHECK_EQ (again, first);
    DT_CHECK_EQ (s_submit (&f, "kept", 0, 1, &again), DT_ERR_CONFLICT);
    uint64_t count = 0;
    DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("kept"), DT_REQUEUE_CANCELLED, &count), 0);
    DT_CHECK_EQ (count, 1);
    DT_CHECK_EQ (s_drain (&f, DT_OUTCOME_DONE), 1);
    DT_CHECK_EQ (s_stats (&f, "kept").done, 1);
    dt_test_state_teardown (&f);
}

static void test_a_purged_job_leaves_memory_and_the_store_in_steps (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 1) == 0);
    /* "p": 10,000 tasks in one job (chunks of one); "q" runs on; "r" is
     * unfinished. */
    DT_CHECK (s_tasks_of (&f, "p", 10000, DT_OUTCOME_DONE, 1) == 0);
    DT_CHECK (s_jobs (&f, "q", 20, DT_OUTCOME_DONE) == 0);
    uint64_t first;
    DT_CHECK_EQ (s_submit (&f, "r", 0, 0, &first), 0);
    char err[256];
    uint64_t count = 0;
    DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("r"), &count, err, sizeof err), DT_ERR_CONFLICT);

    DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("p"), &count, err, sizeof err), 0);
    DT_CHECK_EQ (count, 10000);
    DT_CHECK_EQ (s_commit (&f), 0);
    dt_msg_stats_t all = s_stats (&f, "");
    DT_CHECK_EQ (all.submitted, 21);
    DT_CHECK_EQ (all.done, 20);
    DT_CHECK_EQ (s_stats (&f, "p").submitted, 0);
    DT_CHECK_EQ (s_fetch_all (&f, "p", NULL, 0), 0);
    /* While its rows go, the job is closed; asking again purges nothing more. */
    DT_CHECK_EQ (s_submit (&f, "p", 0, 0, &first), DT_ERR_CONFLICT);
    DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("p"), &count, err, sizeof err), 0);
    DT_CHECK_EQ (count, 0);
    int steps = 0;
    while (dt_state_next_due (f.st) == 0 && steps < 100) {
        dt_state_promote_due (f.st, NOW);
        DT_CHECK_EQ (s_commit (&f), 0);
        steps++;
    }
    /* 10,000 results, tasks and chunks: 30,000 rows, 4,096 a step. */
    DT_CHECK_EQ (steps, 30000 / 4096 + 1);

    /* Gone across a restart too; the name is free again. */
    dt_test_state_close (&f);
    DT_CHECK (s_open (&f) == 0);
    all = s_stats (&f, "");
    DT_CHECK_EQ (all.submitted, 21);
    DT_CHECK_EQ (all.done, 20);
    DT_CHECK_EQ (all.pending, 1);
    DT_CHECK_EQ (s_fetch_all (&f, "", NULL, 0), 20);
    DT_CHECK_EQ (s_submit (&f, "p", 0, 7, &first), 0);
    DT_CHECK_EQ (first, 10022);
    DT_CHECK_EQ (s_stats (&f, "p").submitted, 1);
    dt_test_state_teardown (&f);
}

/* A master killed after PURGE was committed, before its steps had deleted
 * the job's rows: the next one goes on with the purge, so what is left of
 * the job never comes back (in pages, in the counters, as the old chunks
 * of a new job of that name). */
static void test_a_purge_cut_short_by_a_crash_goes_on_after_the_restart (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 1) == 0);
    DT_CHECK (s_tasks_of (&f, "p", 100, DT_OUTCOME_DONE, 1) == 0);
    DT_CHECK (s_jobs (&f, "q", 2, DT_OUTCOME_DONE) == 0);
    char err[256];
    uint64_t count = 0, first = 0;
    DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("p"), &count, err, sizeof err), 0);
    DT_CHECK_EQ (count, 100);
    DT_CHECK_EQ (s_commit (&f), 0);
    dt_test_state_close (&f); /* no step ran */

    DT_CHECK (s_open (&f) == 0);
    DT_CHECK_EQ (s_stats (&f, "").submitted, 2);
    DT_CHECK_EQ (s_fetch_all (&f, "", NULL, 0), 2);
    int steps = 0;
    while (dt_state_next_due (f.st) == 0 && steps < 100) {
        dt_state_promote_due (f.st, NOW);
        DT_CHECK_EQ (s_commit (&f), 0);
        steps++;
    }
    DT_CHECK (steps > 0);
    /* The name is free again: a new job p, whose chunk 0 is its own. */
    DT_CHECK_EQ (s_submit (&f, "p", 0, 7, &first), 0);
    DT_CHECK_EQ (first, 103);
    DT_CHECK_EQ (s_commit (&f), 0);
    dt_test_state_close (&f);
    DT_CHECK (s_open (&f) == 0);
    DT_CHECK_EQ (s_stats (&f, "").submitted, 3);
    DT_CHECK_EQ (s_stats (&f, "p").submitted, 1);
    DT_CHECK_EQ (s_fetch_all (&f, "", NULL, 0), 2);
    dt_test_state_teardown (&f);
}

static void test_without_a_store_a_purged_job_is_forgotten_at_once (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 0) == 0);
    DT_CHECK (s_tasks_of (&f, "p", 100, DT_OUTCOME_DONE, 1) == 0);
    char err[256];
    uint64_t count = 0, first;
    DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("p"), &count, err, sizeof err), 0);
    DT_CHECK_EQ (count, 100);
    DT_CHECK_EQ (s_stats (&f, "").submitted, 0);
    DT_CHECK_EQ (s_fetch_all (&f, "", NULL, 0), 0);
    DT_CHECK (dt_state_next_due (f.st) != 0);
    DT_CHECK_EQ (s_submit (&f, "p", 0, 0, &first), 0);
    DT_CHECK_EQ (first, 101);
    dt_test_state_teardown (&f);
}

/* Jobs <prefix>0 .. <prefix>n-1 of one task each, each run to its end
 * before the next is submitted: they are created and finish in order. */
static int s_jobs_in_order (s_fixture_t *f, const char *prefix, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++) {
        char job[32];
        uint64_t first;
        snprintf (job, sizeof job, "%s%u", prefix, j);
        if (s_submit (f, job, 0, 0, &first) != 0 || s_drain (f, DT_OUTCOME_DONE) != 1)
            return -1;
    }
    return s_commit (f);
}

/* Names of a JOBS page, comma-separated, into `out`. */
static uint32_t s_list (s_fixture_t *f, uint64_t *cursor, uint32_t max, char *out, size_t size)
{
    static dt_msg_job_t items[DT_LIMIT_JOBS_MAX];
    static char names[DT_LIMIT_JOBS_MAX * DT_LIMIT_JOB_MAX];
    uint32_t n = dt_state_jobs_page (f->st, dt_str (""), cursor, max, items, names);
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && used < size; i++) {
        used += (size_t) snprintf (out + used, size - used, "%s%.*s", i ? "," : "",
                                   (int) items[i].name.len, items[i].name.ptr);
        /* The kind too, of jobs that left memory and after a restart. */
        if (items[i].total != 1 || items[i].done != 1 || items[i].pending != 0 ||
            !items[i].created_ms || !items[i].finished_ms || items[i].kind.len != 4 ||
            memcmp (items[i].kind.ptr, "http", 4) != 0)
            return UINT32_MAX;
    }
    return n;
}

static void s_check_pages (s_fixture_t *f)
{
    char names[512];
    uint64_t cursor = 0;
    DT_CHECK_EQ (s_list (f, &cursor, 7, names, sizeof names), 7);
    DT_CHECK (strcmp (names, "j19,j18,j17,j16,j15,j14,j13") == 0);
    DT_CHECK (cursor != 0);
    DT_CHECK_EQ (s_list (f, &cursor, 7, names, sizeof names), 7);
    DT_CHECK (strcmp (names, "j12,j11,j10,j9,j8,j7,j6") == 0);
    DT_CHECK_EQ (s_list (f, &cursor, 7, names, sizeof names), 6);
    DT_CHECK (strcmp (names, "j5,j4,j3,j2,j1,j0") == 0);
    DT_CHECK_EQ (cursor, 0);
}

static void test_jobs_are_listed_newest_first_a_bounded_page_at_a_time (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 1) == 0);
    DT_CHECK (s_jobs_in_order (&f, "j", 20) == 0);
    /* Most left memory: the store's records and counters answer. */
    DT_CHECK (dt_state_jobs (f.st) < 20);
    s_check_pages (&f);
    /* The order is kept across a restart. */
    dt_test_state_close (&f);
    DT_CHECK (s_open (&f) == 0);
    s_check_pages (&f);
    dt_test_state_teardown (&f);
}

static void test_without_a_store_the_jobs_in_memory_are_listed (void)
{
    s_fixture_t f;
    DT_CHECK (s_setup (&f, 0) == 0);
    DT_CHECK (s_jobs_in_order (&f, "j", 20) == 0);
    char names[512];
    uint64_t cursor = 0;
    DT_CHECK_EQ (s_list (&f, &cursor, 5, names, sizeof names), 5);
    DT_CHECK (strcmp (names, "j19,j18,j17,j16,j15") == 0);
    DT_CHECK (cursor != 0);
    /* KEEP finished jobs stay; the rest were forgotten. */
    DT_CHECK_EQ (s_list (&f, &cursor, 5, names, sizeof names), KEEP - 5);
    DT_CHECK_EQ (cursor, 0);
    dt_test_state_teardown (&f);
}

static void test_a_job_is_known_while_the_master_has_it (void)
{
    for (int durable = 0; durable <= 1; durable++) {
        s_fixture_t f;
        DT_CHECK (s_setup (&f, durable) == 0);
        DT_CHECK (s_jobs_in_order (&f, "k", 20) == 0);
        DT_CHECK (dt_state_job_known (f.st, dt_str ("k19")));
        /* k0 left memory: the store knows it; without one it is forgotten. */
        DT_CHECK_EQ (dt_state_job_known (f.st, dt_str ("k0")), durable);
        DT_CHECK (!dt_state_job_known (f.st, dt_str ("nope")));
        char err[256];
        uint64_t count = 0;
        DT_CHECK_EQ (dt_state_purge (f.st, dt_str ("k19"), &count, err, sizeof err), 0);
        DT_CHECK (!dt_state_job_known (f.st, dt_str ("k19")));
        dt_test_state_teardown (&f);
    }
}

static void test_requeue_leaves_cancelled_tasks_unless_asked (void)
{
    for (int durable = 0; durable <= 1; durable++) {
        s_fixture_t f;
        DT_CHECK (s_setup (&f, durable) == 0);
        uint64_t first, count = 0;
        for (uint32_t i = 0; i < 5; i++)
            DT_CHECK_EQ (s_submit (&f, "c", i, i, &first), 0);
        DT_CHECK_EQ (dt_state_cancel (f.st, dt_str ("c"), &count, NOW), 0);
        DT_CHECK_EQ (count, 5);
        DT_CHECK_EQ (s_commit (&f), 0);
        DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("c"), 0, &count), 0);
        DT_CHECK_EQ (count, 0);
        DT_CHECK_EQ (s_stats (&f, "c").failed, 5);
        DT_CHECK_EQ (dt_state_requeue (f.st, dt_str ("c"), DT_REQUEUE_CANCELLED, &count), 0);
        DT_CHECK_EQ (count, 5);
        DT_CHECK_EQ (s_stats (&f, "c").pending, 5);
        dt_test_state_teardown (&f);
    }
}

static void test_a_resend_check_creates_nothing (void)
{
    for (int durable = 0; durable <= 1; durable++) {
        s_fixture_t f;
        DT_CHECK (s_setup (&f, durable) == 0);
        uint64_t first;
        DT_CHECK_EQ (s_submit (&f, "r", 0, 0, &first), 0);
        dt_str_t same[1] = {dt_str ("http://h/r/0")}, other[1] = {dt_str ("http://h/r/9")};
        DT_CHECK (dt_state_chunk_resent (f.st, dt_str ("r"), 0, same, 1));
        DT_CHECK (!dt_state_chunk_resent (f.st, dt_str ("r"), 0, other, 1));
        DT_CHECK (!dt_state_chunk_resent (f.st, dt_str ("r"), 1, same, 1));
        DT_CHECK_EQ (s_stats (&f, "r").submitted, 1);
        dt_test_state_teardown (&f);
    }
}

int main (void)
{
    static dt_test_t tests[] = {
        {"finished jobs leave memory and the store answers for them",
         test_finished_jobs_leave_memory_and_the_store_answers_for_them},
        {"a job that left memory comes back with its counters",
         test_a_job_that_left_memory_comes_back_with_its_counters},
        {"without a store finished jobs are forgotten and memory stays flat",
         test_without_a_store_finished_jobs_are_forgotten_and_memory_stays_flat},
        {"without a store a kept job is known after its tasks left memory",
         test_without_a_store_a_kept_job_is_known_after_its_tasks_left_memory},
        {"a purged job leaves memory and the store in steps",
         test_a_purged_job_leaves_memory_and_the_store_in_steps},
        {"a purge cut short by a crash goes on after the restart",
         test_a_purge_cut_short_by_a_crash_goes_on_after_the_restart},
        {"without a store a purged job is forgotten at once",
         test_without_a_store_a_purged_job_is_forgotten_at_once},
        {"jobs are listed newest first a bounded page at a time",
         test_jobs_are_listed_newest_first_a_bounded_page_at_a_time},
        {"without a store the jobs in memory are listed",
         test_without_a_store_the_jobs_in_memory_are_listed},
        {"a job is known while the master has it", test_a_job_is_known_while_the_master_has_it},
        {"requeue leaves cancelled tasks unless asked",
         test_requeue_leaves_cancelled_tasks_unless_asked},
        {"a resend check creates nothing", test_a_resend_check_creates_nothing},
        {0},
    };
    return dt_test_run (tests);
}
