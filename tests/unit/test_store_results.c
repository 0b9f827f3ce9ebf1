/* test_store_results.c - results recorded in multi-row statements (buffered until a statement
 * reads them, or the commit), task states derived from the results at load, and a schema-1 store
 * (state kept in the task rows) read the same way after the upgrade. */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700
#include "dt_test.h"
#include "dt_store.h"

#include <ftw.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* More than three full multi-row statements and a remainder. */
#define N 200

static int s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

typedef struct {
    int task_state[N + 1];      /* by task id */
    uint32_t attempts[N + 1];   /* by task id */
    uint64_t result_seq[N + 1]; /* seq of the task's live result, 0 if none */
    int live, tombstones;
    uint64_t tombstone_seq; /* the last tombstone's position */
    int bad;                /* a row that should not be there */
    uint64_t next_seq;      /* results come in seq order, with no gap */
} s_seen_t;

static int s_on_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                      int state)
{
    (void) job;
    (void) url;
    s_seen_t *seen = arg;
    if (id == 0 || id > N) {
        seen->bad++;
        return 0;
    }
    seen->task_state[id] = state;
    seen->attempts[id] = attempts;
    return 0;
}

static int s_on_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    s_seen_t *seen = arg;
    if (seq != seen->next_seq++)
        seen->bad++;
    if (r->id == 0) {
        seen->tombstones++;
        seen->tombstone_seq = seq;
        if (r->final_url.len || r->worker.len)
            seen->bad++; /* a tombstone keeps no strings */
        return 0;
    }
    if (r->id > N || seen->result_seq[r->id]) {
        seen->bad++;
        return 0;
    }
    char want[64];
    snprintf (want, sizeof want, "http://127.0.0.1/%" PRIu64, r->id);
    if (r->final_url.len != strlen (want) || memcmp (r->final_url.ptr, want, r->final_url.len))
        seen->bad++;
    seen->result_seq[r->id] = seq;
    seen->live++;
    return 0;
}

static dt_record_t s_result (uint64_t id, uint8_t state, uint32_t attempt, char *url,
                                 size_t url_size)
{
    dt_record_t r;
    memset (&r, 0, sizeof r);
    snprintf (url, url_size, "http://127.0.0.1/%" PRIu64, id);
    r.id = id;
    r.state = state;
    r.attempt = attempt;
    r.http_status = 200;
    r.final_url = dt_str (url);
    r.worker = dt_str ("w1");
    return r;
}

static int s_load (const char *dir, s_seen_t *seen)
{
    memset (seen, 0, sizeof *seen);
    seen->next_seq = 1;
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    dt_store_loader_t loader = {NULL, s_on_task, s_on_result};
    int rc = store ? dt_store_load (store, &loader, seen) : -1;
    dt_store_destroy (&store);
    return rc;
}

/* Tasks 1..N finish in one group, with task 50 put back (REQUEUE) while
 * later results are still buffered, then finished again; task 7 finishes a
 * second time without REQUEUE. Each task ends with exactly one result, its
 * latest. */
static void test_buffered_results_with_requeue_in_between (void)
{
    char dir[] = "/tmp/dtask-store-results-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", url[64];
    dt_str_t urls[N];
    char texts[N][32];
    for (int i = 0; i < N; i++) {
        snprintf (texts[i], sizeof texts[i], "http://127.0.0.1/%d", i + 1);
        urls[i] = dt_str (texts[i]);
    }
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    int ok = store && dt_store_add_chunk (store, dt_str ("j"), 0, 1, N) == 0 &&
             dt_store_add_tasks (store, 1, dt_str ("j"), urls, N) == 0 &&
             dt_store_commit (store) == 0;
    uint64_t seq = 0;
    for (uint64_t id = 1; ok && id <= 100; id++) {
        dt_record_t r = s_result (id, DT_STORE_DONE, 1, url, sizeof url);
        ok = dt_store_finish (store, ++seq, &r) == 0;
    }
    ok = ok && dt_store_reopen (store, 50, 0) == 0;
    for (uint64_t id = 101; ok && id <= N; id++) {
        dt_record_t r = s_result (id, DT_STORE_FAILED, 3, url, sizeof url);
        ok = dt_store_finish (store, ++seq, &r) == 0;
    }
    dt_record_t again = s_result (50, DT_STORE_DONE, 2, url, sizeof url);
    ok = ok && dt_store_finish (store, ++seq, &again) == 0;
    dt_record_t seven = s_result (7, DT_STORE_FAILED, 4, url, sizeof url);
    ok = ok && dt_store_finish (store, ++seq, &seven) == 0 && dt_store_commit (store) == 0;
    dt_store_destroy (&store);

    s_seen_t *seen = calloc (1, sizeof *seen);
    DT_CHECK (seen);
    int loaded = s_load (dir, seen) == 0;
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    DT_CHECK (ok);
    DT_CHECK (loaded);
    DT_CHECK_EQ (seen->bad, 0);
    DT_CHECK_EQ (seen->live, N);
    DT_CHECK_EQ (seen->tombstones, 2);
    DT_CHECK_EQ (seen->next_seq, (uint64_t) N + 3);
    DT_CHECK_EQ (seen->result_seq[50], (uint64_t) N + 1);
    DT_CHECK_EQ (seen->task_state[50], DT_STORE_DONE);
    DT_CHECK_EQ (seen->attempts[50], 2u);
    DT_CHECK_EQ (seen->result_seq[7], (uint64_t) N + 2);
    DT_CHECK_EQ (seen->task_state[7], DT_STORE_FAILED);
    DT_CHECK_EQ (seen->attempts[7], 4u);
    DT_CHECK_EQ (seen->task_state[1], DT_STORE_DONE);
    DT_CHECK_EQ (seen->task_state[N], DT_STORE_FAILED);
    DT_CHECK_EQ (seen->attempts[N], 3u);
    free (seen);
}

/* Buffered results belong to their group: without a commit they are gone. */
static void test_uncommitted_buffered_results_are_gone (void)
{
    char dir[] = "/tmp/dtask-store-results-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", url[64];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    int ok = store && dt_store_add_chunk (store, dt_str ("j"), 0, 1, 2) == 0 &&
             dt_store_add_task (store, 1, dt_str ("j"), dt_str ("http://127.0.0.1/1")) == 0 &&
             dt_store_add_task (store, 2, dt_str ("j"), dt_str ("http://127.0.0.1/2")) == 0 &&
             dt_store_commit (store) == 0;
    dt_record_t r = s_result (1, DT_STORE_DONE, 1, url, sizeof url);
    ok = ok && dt_store_finish (store, 1, &r) == 0 && dt_store_commit (store) == 0;
    r = s_result (2, DT_STORE_DONE, 1, url, sizeof url);
    ok = ok && dt_store_finish (store, 2, &r) == 0;
    dt_store_destroy (&store);

    s_seen_t *seen = calloc (1, sizeof *seen);
    DT_CHECK (seen);
    int loaded = s_load (dir, seen) == 0;
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    DT_CHECK (ok);
    DT_CHECK (loaded);
    DT_CHECK_EQ (seen->bad, 0);
    DT_CHECK_EQ (seen->live, 1);
    DT_CHECK_EQ (seen->task_state[1], DT_STORE_DONE);
    DT_CHECK_EQ (seen->task_state[2], DT_STORE_PENDING);
    free (seen);
}

/* A store written by a schema-1 master: final state in the task rows, a
 * REQUEUE'd result already a tombstone. It loads the same after the
 * upgrade, and takes new results and REQUEUEs. */
static void test_schema_1_store_upgrades (void)
{
    char dir[] = "/tmp/dtask-store-results-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char path[128];
    snprintf (path, sizeof path, "%s/dtask.db", dir);
    sqlite3 *db = NULL;
    int made =
        sqlite3_open (path, &db) == SQLITE_OK &&
        sqlite3_exec (
            db,
            "PRAGMA journal_mode = WAL;"
            "CREATE TABLE chunks (job TEXT NOT NULL, chunk INTEGER NOT NULL,"
            " first_id INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (job, chunk))"
            " WITHOUT ROWID;"
            "CREATE TABLE tasks (id INTEGER PRIMARY KEY, job TEXT NOT NULL, url TEXT NOT NULL,"
            " attempts INTEGER NOT NULL, state INTEGER NOT NULL, seq INTEGER);"
            "CREATE TABLE results (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
            " state INTEGER NOT NULL, attempts INTEGER NOT NULL, http_status INTEGER NOT NULL,"
            " bytes INTEGER NOT NULL, elapsed_ms INTEGER NOT NULL, final_url TEXT NOT NULL,"
            " content_type TEXT NOT NULL, worker TEXT NOT NULL, error TEXT NOT NULL);"
            "INSERT INTO chunks VALUES ('j', 0, 1, 3);"
            "INSERT INTO tasks VALUES (1, 'j', 'http://127.0.0.1/1', 1, 1, 2),"
            " (2, 'j', 'http://127.0.0.1/2', 0, 0, NULL), (3, 'j', 'http://127.0.0.1/3', 1, 1, 3);"
            "INSERT INTO results VALUES (1, 0, 2, 1, 0, 0, 0, '', '', '', ''),"
            " (2, 1, 1, 1, 200, 0, 0, 'http://127.0.0.1/1', '', 'w1', ''),"
            " (3, 3, 1, 1, 200, 0, 0, 'http://127.0.0.1/3', '', 'w1', '');"
            "PRAGMA user_version = 1;",
            NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close (db);

    s_seen_t *seen = calloc (2, sizeof *seen);
    DT_CHECK (seen);
    int loaded = made && s_load (dir, &seen[0]) == 0;

    char err[256] = "", url[64];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    dt_record_t r = s_result (2, DT_STORE_DONE, 1, url, sizeof url);
    int ok = store && dt_store_finish (store, 4, &r) == 0 && dt_store_reopen (store, 3, 0) == 0 &&
             dt_store_commit (store) == 0;
    dt_store_destroy (&store);
    int reloaded = ok && s_load (dir, &seen[1]) == 0;
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    DT_CHECK (made);
    DT_CHECK (loaded);
    DT_CHECK_EQ (seen[0].bad, 0);
    DT_CHECK_EQ (seen[0].live, 2);
    DT_CHECK_EQ (seen[0].tombstones, 1);
    DT_CHECK_EQ (seen[0].task_state[1], DT_STORE_DONE);
    DT_CHECK_EQ (seen[0].task_state[2], DT_STORE_PENDING);
    DT_CHECK_EQ (seen[0].task_state[3], DT_STORE_DONE);
    DT_CHECK_EQ (seen[0].result_seq[3], 3u);
    DT_CHECK (ok);
    DT_CHECK (reloaded);
    DT_CHECK_EQ (seen[1].bad, 0);
    DT_CHECK_EQ (seen[1].live, 2);
    DT_CHECK_EQ (seen[1].tombstones, 2);
    DT_CHECK_EQ (seen[1].tombstone_seq, 3u);
    DT_CHECK_EQ (seen[1].task_state[2], DT_STORE_DONE);
    DT_CHECK_EQ (seen[1].result_seq[2], 4u);
    DT_CHECK_EQ (seen[1].task_state[3], DT_STORE_PENDING);
    DT_CHECK_EQ (seen[1].attempts[3], 0u);
    free (seen);
}

static dt_test_t tests[] = {
    {"buffered results with requeue in between", test_buffered_results_with_requeue_in_between},
    {"uncommitted buffered results are gone", test_uncommitted_buffered_results_are_gone},
    {"schema 1 store upgrades", test_schema_1_store_upgrades},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
