/* test_store_index.c - reads of one job cost what that job holds, not what the store holds:
 * results and tasks are read through indexes by job, and a read examines a bounded number of rows
 * (dt_store_examined) even past many retired results. */
#include "dt_store.h"
#include "dt_test.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG   100000 /* results of job "big" */
#define SMALL 10     /* results of job "small", half of them failed */
#define CHUNK 1000

static char s_dir[64];

static void s_rmdir (void)
{
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", s_dir);
}

/* Adds `n` tasks of `job` from id `first` and a result for each (failed
 * for odd ids when `some_failed`; given its job for even ids), from
 * position `seq`. */
static int s_fill (dt_store_t *store, const char *job, uint64_t first, uint32_t n, uint64_t seq,
                   int some_failed)
{
    static char bufs[CHUNK][48];
    dt_str_t urls[CHUNK];
    for (uint32_t done = 0; done < n; done += CHUNK) {
        uint32_t count = n - done < CHUNK ? n - done : CHUNK;
        for (uint32_t i = 0; i < count; i++) {
            snprintf (bufs[i], sizeof bufs[i], "http://h/%s/%" PRIu64, job, first + done + i);
            urls[i] = dt_str (bufs[i]);
        }
        if (dt_store_add_tasks (store, first + done, dt_str (job), urls, count) != 0)
            return -1;
        for (uint32_t i = 0; i < count; i++) {
            dt_record_t r;
            memset (&r, 0, sizeof r);
            r.id = first + done + i;
            r.state = some_failed && (r.id & 1) ? DT_STORE_FAILED : DT_STORE_DONE;
            r.attempt = 1;
            r.http_status = 200;
            /* The master gives the job; without it the store looks it up
             * by id: both rows must be read back as the job's. */
            if (r.id % 2 == 0)
                r.job = dt_str (job);
            if (dt_store_finish (store, seq + done + i, &r) != 0)
                return -1;
        }
        if (dt_store_commit (store) != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    uint32_t rows;
    uint64_t last_seq;
    int bad; /* a row of another job */
    const char *job;
} s_seen_t;

static int s_row (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) r;
    s_seen_t *seen = arg;
    if (job.len != strlen (seen->job) || memcmp (job.ptr, seen->job, job.len) != 0)
        seen->bad++;
    seen->rows++;
    seen->last_seq = seq;
    return 0;
}

static int s_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts)
{
    (void) id;
    (void) url;
    (void) attempts;
    return s_row (arg, 0, NULL, job);
}

static dt_store_t *s_open (void)
{
    char err[256];
    return dt_store_open (s_dir, err, sizeof err);
}

static void test_a_small_jobs_reads_examine_only_its_rows_on_a_large_store (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dtask-index-XXXXXX");
    DT_CHECK (mkdtemp (s_dir));
    dt_store_t *store = s_open ();
    DT_CHECK (store);
    int ok = s_fill (store, "big", 1, BIG / 2, 1, 0) == 0 &&
             s_fill (store, "small", BIG / 2 + 1, SMALL, BIG / 2 + 1, 1) == 0 &&
             s_fill (store, "big", BIG / 2 + SMALL + 1, BIG / 2, BIG / 2 + SMALL + 1, 0) == 0;
    uint64_t last = BIG + SMALL;

    /* Every page of "small", from the start: its rows only. */
    s_seen_t seen = {.job = "small"};
    uint64_t before = dt_store_examined (store), reached = 0;
    ok = ok &&
         dt_store_results (store, 0, last, dt_str ("small"), 0, 4096, s_row, &seen, &reached) == 0;
    uint64_t examined = dt_store_examined (store) - before;
    dt_store_destroy (&store);
    DT_CHECK (ok);
    DT_CHECK_EQ (seen.rows, SMALL);
    DT_CHECK_EQ (seen.bad, 0);
    DT_CHECK_EQ (examined, SMALL);
    DT_CHECK_EQ (reached, last);

    /* After a restart, the failed ones of "small" and of every job. */
    store = s_open ();
    DT_CHECK (store);
    seen = (s_seen_t){.job = "small"};
    before = dt_store_examined (store);
    ok = dt_store_results (store, 0, last, dt_str ("small"), 1, 4096, s_row, &seen, &reached) == 0;
    ok = ok && dt_store_results (store, 0, last, dt_str (""), 1, 4096, s_row, &seen, &reached) == 0;
    examined = dt_store_examined (store) - before;
    /* A page of "big": its limit and one more row looked at. */
    s_seen_t big = {.job = "big"};
    before = dt_store_examined (store);
    ok =
        ok && dt_store_results (store, 0, last, dt_str ("big"), 0, 100, s_row, &big, &reached) == 0;
    uint64_t big_examined = dt_store_examined (store) - before;
    /* The tasks of "small" in the whole id range (CANCEL's read). */
    s_seen_t tasks = {.job = "small"};
    ok = ok &&
         dt_store_tasks (store, 1, UINT64_MAX, dt_str ("small"), UINT32_MAX, s_task, &tasks) == 0;
    dt_store_destroy (&store);
    DT_CHECK (ok);
    DT_CHECK_EQ (seen.rows, SMALL); /* 5 failed, twice */
    DT_CHECK_EQ (seen.bad, 0);
    DT_CHECK_EQ (examined, SMALL);
    DT_CHECK_EQ (big.rows, 100);
    DT_CHECK (big_examined <= 101);
    DT_CHECK_EQ (reached, big.last_seq);
    DT_CHECK_EQ (tasks.rows, SMALL);
    DT_CHECK_EQ (tasks.bad, 0);

    /* Each read names its index in the plan. */
    sqlite3 *db = NULL;
    char path[128];
    snprintf (path, sizeof path, "%s/dtask.db", s_dir);
    DT_CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    int used = 0;
    if (sqlite3_prepare_v2 (db,
                            "EXPLAIN QUERY PLAN SELECT r.seq FROM results r JOIN tasks t ON t.id ="
                            " r.id WHERE r.job = 'x' AND r.seq > 0 ORDER BY r.seq LIMIT 10",
                            -1, &stmt, NULL) == SQLITE_OK)
        while (sqlite3_step (stmt) == SQLITE_ROW)
            used += strstr ((const char *) sqlite3_column_text (stmt, 3), "results_job") != NULL;
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    s_rmdir ();
    DT_CHECK (used > 0);
}

static void test_a_read_past_many_retired_results_examines_a_bounded_number (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dtask-index-XXXXXX");
    DT_CHECK (mkdtemp (s_dir));
    dt_store_t *store = s_open ();
    DT_CHECK (store);
    /* 10,000 results of "r", all retired by REQUEUE, then their second
     * results after them. */
    const uint32_t n = 10000;
    int ok = s_fill (store, "r", 1, n, 1, 1) == 0;
    for (uint64_t id = 1; ok && id <= n; id++)
        ok = dt_store_reopen (store, id, 0) == 0;
    ok = ok && dt_store_commit (store) == 0;
    for (uint64_t id = 1; ok && id <= n; id++) {
        dt_record_t r;
        memset (&r, 0, sizeof r);
        r.id = id;
        r.state = DT_STORE_DONE;
        r.attempt = 1;
        ok = dt_store_finish (store, n + id, &r) == 0;
    }
    ok = ok && dt_store_commit (store) == 0;
    DT_CHECK (ok);

    s_seen_t seen = {.job = "r"};
    uint64_t before = dt_store_examined (store), reached = 0, after = 0;
    int reads = 0;
    uint64_t most = 0;
    /* Page by page as FETCH does: each read bounded, all read once. */
    while (ok && after < 2 * (uint64_t) n && reads < 200) {
        uint64_t at = dt_store_examined (store);
        ok = dt_store_results (store, after, 2 * (uint64_t) n, dt_str ("r"), 0, 100, s_row, &seen,
                               &reached) == 0;
        if (dt_store_examined (store) - at > most)
            most = dt_store_examined (store) - at;
        DT_CHECK (reached > after);
        after = reached;
        reads++;
    }
    fprintf (stderr, "    %d reads, %" PRIu64 " rows examined, at most %" PRIu64 " in one\n", reads,
             dt_store_examined (store) - before, most);
    dt_store_destroy (&store);
    s_rmdir ();
    DT_CHECK (ok);
    DT_CHECK_EQ (seen.rows, n);
    DT_CHECK_EQ (seen.bad, 0);
    DT_CHECK (most <= 100 + DT_STORE_EXAMINE_SLACK + 1);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a small job's reads examine only its rows on a large store",
         test_a_small_jobs_reads_examine_only_its_rows_on_a_large_store},
        {"a read past many retired results examines a bounded number",
         test_a_read_past_many_retired_results_examines_a_bounded_number},
        {0},
    };
    return dt_test_run (tests);
}
