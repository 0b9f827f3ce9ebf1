/* test_store.c - the master's SQLite store: durability, load order, REQUEUE, byte strings. */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700
#include "dt_test.h"
#include "dt_store.h"

#include <ftw.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static dt_str_t s_str (const char *s)
{
    dt_str_t out = {s, (uint32_t) strlen (s)};
    return out;
}

/* A fresh directory under /tmp, removed by s_tmpdir_remove. */
static char *s_tmpdir (void)
{
    static char path[64];
    snprintf (path, sizeof path, "/tmp/test_store.XXXXXX");
    return mkdtemp (path);
}

static int s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static void s_tmpdir_remove (const char *dir)
{
    if (dir)
        nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static double s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The loader as a transcript: one line per callback, strings copied as bytes
 * so that embedded NULs survive the comparison. */
typedef struct {
    FILE *out;
    char *text;
    size_t len;
    int calls;      /* callbacks made */
    int stop_after; /* return -1 from this callback (1-based); 0: never */
} s_transcript_t;

static void s_transcript_open (s_transcript_t *t)
{
    memset (t, 0, sizeof *t);
    t->out = open_memstream (&t->text, &t->len);
}

/* Ends the transcript; t->text / t->len hold it. */
static void s_transcript_close (s_transcript_t *t)
{
    if (t->out)
        fclose (t->out);
    t->out = NULL;
}

static void s_transcript_free (s_transcript_t *t)
{
    s_transcript_close (t);
    free (t->text);
    t->text = NULL;
}

static void s_put (FILE *out, const char *name, dt_str_t s)
{
    fprintf (out, " %s=", name);
    fwrite (s.ptr, 1, s.len, out);
}

static int s_next (s_transcript_t *t)
{
    t->calls++;
    return t->stop_after && t->calls >= t->stop_after ? -1 : 0;
}

static int s_on_chunk (void *arg, dt_str_t job, uint32_t chunk, uint64_t first_id, uint32_t count)
{
    s_transcript_t *t = arg;
    fprintf (t->out, "chunk");
    s_put (t->out, "job", job);
    fprintf (t->out, " %" PRIu32 " %" PRIu64 "+%" PRIu32 "\n", chunk, first_id, count);
    return s_next (t);
}

static int s_on_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                      int state)
{
    s_transcript_t *t = arg;
    fprintf (t->out, "task %" PRIu64, id);
    s_put (t->out, "job", job);
    s_put (t->out, "url", url);
    fprintf (t->out, " attempts=%" PRIu32 " state=%d\n", attempts, state);
    return s_next (t);
}

static int s_on_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    s_transcript_t *t = arg;
    fprintf (t->out,
             "result %" PRIu64 " task=%" PRIu64 " state=%u attempts=%" PRIu32
             " http=%u bytes=%" PRIu64 " ms=%" PRIu32,
             seq, r->id, r->state, r->attempt, r->http_status, r->bytes, r->elapsed_ms);
    s_put (t->out, "final_url", r->final_url);
    s_put (t->out, "type", r->content_type);
    s_put (t->out, "worker", r->worker);
    s_put (t->out, "error", r->error);
    fprintf (t->out, "\n");
    return s_next (t);
}

static const dt_store_loader_t s_loader = {s_on_chunk, s_on_task, s_on_result};

/* Loads `store` into `t` (opened here, closed before returning). */
static int s_load (dt_store_t *store, s_transcript_t *t, int stop_after)
{
    s_transcript_open (t);
    t->stop_after = stop_after;
    int rc = dt_store_load (store, &s_loader, t);
    s_transcript_close (t);
    return rc;
}

static int s_transcript_is (const s_transcript_t *t, const char *want)
{
    if (t->len == strlen (want) && memcmp (t->text, want, t->len) == 0)
        return 1;
    fprintf (stderr, "    transcript:\n%.*s    wanted:\n%s", (int) t->len, t->text, want);
    return 0;
}

static dt_record_t s_result (uint64_t id, uint8_t state, uint32_t attempt, uint16_t http)
{
    dt_record_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.state = state;
    r.attempt = attempt;
    r.http_status = http;
    r.bytes = 1000 + id;
    r.elapsed_ms = 10 + (uint32_t) id;
    r.final_url = s_str ("http://127.0.0.1/final");
    r.content_type = s_str (http ? "text/html" : "");
    r.worker = s_str ("w1");
    r.error = s_str (http ? "" : "timeout");
    return r;
}

/* Job "j" chunk 0 with tasks 1..3, tasks 2 and 3 finished (3 first). */
static int s_fill (dt_store_t *store)
{
    dt_str_t job = s_str ("j");
    dt_record_t done = s_result (2, DT_STORE_DONE, 1, 200);
    dt_record_t failed = s_result (3, DT_STORE_FAILED, 3, 0);
    if (dt_store_add_chunk (store, job, 0, 1, 3) ||
        dt_store_add_task (store, 1, job, s_str ("http://127.0.0.1/1")) ||
        dt_store_add_task (store, 2, job, s_str ("http://127.0.0.1/2")) ||
        dt_store_add_task (store, 3, job, s_str ("http://127.0.0.1/3")) ||
        dt_store_finish (store, 1, &failed) || dt_store_finish (store, 2, &done))
        return -1;
    return 0;
}

static const char *s_filled =
    "chunk job=j 0 1+3\n"
    "task 1 job=j url=http://127.0.0.1/1 attempts=0 state=0\n"
    "task 2 job=j url=http://127.0.0.1/2 attempts=1 state=1\n"
    "task 3 job=j url=http://127.0.0.1/3 attempts=3 state=2\n"
    "result 1 task=3 state=2 attempts=3 http=0 bytes=1003 ms=13 final_url=http://127.0.0.1/final "
    "type= worker=w1 error=timeout\n"
    "result 2 task=2 state=1 attempts=1 http=200 bytes=1002 ms=12 final_url=http://127.0.0.1/final "
    "type=text/html worker=w1 error=\n";

static void test_committed_rows_survive_reopen_and_load_in_documented_order (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    dt_str_t job = s_str ("k");
    DT_CHECK_EQ (dt_store_add_chunk (store, job, 7, 4, 1), 0);
    DT_CHECK_EQ (dt_store_add_task (store, 4, job, s_str ("http://127.0.0.1/4")), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);
    DT_CHECK (store == NULL);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    s_transcript_t t;
    int rc = s_load (store, &t, 0);
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK_EQ (rc, 0);
    /* Chunks may come in any order; this store gives them by key. */
    const char *want = "chunk job=j 0 1+3\n"
                       "chunk job=k 7 4+1\n"
                       "task 1 job=j url=http://127.0.0.1/1 attempts=0 state=0\n"
                       "task 2 job=j url=http://127.0.0.1/2 attempts=1 state=1\n"
                       "task 3 job=j url=http://127.0.0.1/3 attempts=3 state=2\n"
                       "task 4 job=k url=http://127.0.0.1/4 attempts=0 state=0\n"
                       "result 1 task=3 state=2 attempts=3 http=0 bytes=1003 ms=13 "
                       "final_url=http://127.0.0.1/final type= worker=w1 error=timeout\n"
                       "result 2 task=2 state=1 attempts=1 http=200 bytes=1002 ms=12 "
                       "final_url=http://127.0.0.1/final type=text/html worker=w1 error=\n";
    int same = s_transcript_is (&t, want);
    s_transcript_free (&t);
    DT_CHECK (same);
}

/* The writer dies by SIGKILL with one group committed and one open: no
 * destroy, no close, no checkpoint. */
static void test_committed_writes_survive_kill_9_of_the_writer (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    fflush (NULL);
    pid_t pid = fork ();
    DT_CHECK (pid >= 0);
    if (pid == 0) {
        dt_store_t *store = dt_store_open (dir, NULL, 0);
        if (!store || s_fill (store) || dt_store_commit (store))
            _exit (1);
        dt_str_t job = s_str ("lost");
        if (dt_store_add_chunk (store, job, 0, 4, 1) ||
            dt_store_add_task (store, 4, job, s_str ("http://127.0.0.1/4")) ||
            dt_store_reopen (store, 3, 0))
            _exit (1);
        kill (getpid (), SIGKILL);
        _exit (1);
    }
    int status = 0;
    DT_CHECK_EQ (waitpid (pid, &status, 0), pid);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    s_transcript_t t;
    int rc = store ? s_load (store, &t, 0) : -1;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    DT_CHECK_EQ (rc, 0);
    int same = s_transcript_is (&t, s_filled);
    s_transcript_free (&t);
    DT_CHECK (same);
}

static void test_uncommitted_writes_are_gone_after_destroy (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_str_t job = s_str ("lost");
    DT_CHECK_EQ (dt_store_add_chunk (store, job, 0, 4, 1), 0);
    DT_CHECK_EQ (dt_store_add_task (store, 4, job, s_str ("http://127.0.0.1/4")), 0);
    DT_CHECK_EQ (dt_store_set_attempts (store, 1, 2), 0);
    DT_CHECK_EQ (dt_store_reopen (store, 3, 0), 0);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    s_transcript_t t;
    int rc = s_load (store, &t, 0);
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK_EQ (rc, 0);
    int same = s_transcript_is (&t, s_filled);
    s_transcript_free (&t);
    DT_CHECK (same);
}

static void test_reopen_after_finish_makes_task_pending_with_no_result (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    DT_CHECK_EQ (dt_store_reopen (store, 3, 0), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    s_transcript_t t;
    int rc = s_load (store, &t, 0);
    DT_CHECK_EQ (rc, 0);
    int same =
        s_transcript_is (&t, "chunk job=j 0 1+3\n"
                             "task 1 job=j url=http://127.0.0.1/1 attempts=0 state=0\n"
                             "task 2 job=j url=http://127.0.0.1/2 attempts=1 state=1\n"
                             "task 3 job=j url=http://127.0.0.1/3 attempts=0 state=0\n"
                             /* The retired result: a tombstone holding its position. */
                             "result 1 task=0 state=2 attempts=3 http=0 bytes=1003 ms=13 "
                             "final_url= type= worker= error=\n"
                             "result 2 task=2 state=1 attempts=1 http=200 bytes=1002 ms=12 "
                             "final_url=http://127.0.0.1/final type=text/html worker=w1 error=\n");
    s_transcript_free (&t);

    /* Finished again, at a new position: exactly one result, the new one. */
    dt_record_t again = s_result (3, DT_STORE_DONE, 1, 204);
    int finished = dt_store_finish (store, 3, &again) == 0 && dt_store_commit (store) == 0;
    dt_store_destroy (&store);
    store = dt_store_open (dir, err, sizeof err);
    int reloaded = store && s_load (store, &t, 0) == 0;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK (same);
    DT_CHECK (finished);
    DT_CHECK (reloaded);
    const char *want = "result 3 task=3 state=1 attempts=1 http=204";
    int results_of_3 = 0;
    for (const char *p = t.text; (p = strstr (p, "task=3 state")); p++)
        results_of_3++;
    int once = strstr (t.text, want) && results_of_3 == 1;
    s_transcript_free (&t);
    DT_CHECK (once);
}

static void test_set_attempts_persists (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_str_t job = s_str ("j");
    DT_CHECK_EQ (dt_store_add_task (store, 9, job, s_str ("http://127.0.0.1/9")), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    DT_CHECK_EQ (dt_store_set_attempts (store, 9, 4), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    s_transcript_t t;
    int rc = s_load (store, &t, 0);
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK_EQ (rc, 0);
    int same = s_transcript_is (&t, "task 9 job=j url=http://127.0.0.1/9 attempts=4 state=0\n");
    s_transcript_free (&t);
    DT_CHECK (same);
}

/* Checks the strings as byte strings, not through the transcript. */
typedef struct {
    dt_str_t job, url, error;
    int tasks, results, ok;
} s_bytes_t;

static int s_same (dt_str_t a, dt_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

static int s_bytes_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                         int state)
{
    s_bytes_t *b = arg;
    b->tasks++;
    b->ok = b->ok && s_same (job, b->job) && s_same (url, b->url);
    return 0;
}

static int s_bytes_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    s_bytes_t *b = arg;
    b->results++;
    b->ok = b->ok && s_same (r->error, b->error) && s_same (r->final_url, b->url) &&
            r->content_type.len == 0 && r->worker.len == 0;
    return 0;
}

static void test_strings_with_nul_bytes_and_8_kib_urls_round_trip (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    static char url[8192];
    for (size_t i = 0; i < sizeof url; i++)
        url[i] = (char) ('a' + i % 26);
    url[100] = '\0';
    url[sizeof url - 1] = '\xff';
    static const char job[] = "j\0b\x01";
    static const char error[] = "\0bad\0";
    s_bytes_t b = {{job, sizeof job - 1}, {url, sizeof url}, {error, sizeof error - 1}, 0, 0, 1};

    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_record_t r;
    memset (&r, 0, sizeof r);
    r.id = 1;
    r.state = DT_STORE_FAILED;
    r.final_url = b.url;
    r.error = b.error;
    DT_CHECK_EQ (dt_store_add_chunk (store, b.job, 0, 1, 1), 0);
    DT_CHECK_EQ (dt_store_add_task (store, 1, b.job, b.url), 0);
    DT_CHECK_EQ (dt_store_finish (store, 1, &r), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_store_loader_t loader = {NULL, s_bytes_task, s_bytes_result};
    int rc = dt_store_load (store, &loader, &b);
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (b.tasks, 1);
    DT_CHECK_EQ (b.results, 1);
    DT_CHECK (b.ok);
}

static void test_opening_a_directory_that_is_a_file_fails_clearly (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char file[128];
    snprintf (file, sizeof file, "%s/plain", dir);
    FILE *f = fopen (file, "w");
    DT_CHECK (f);
    fclose (f);
    char err[256] = "";
    dt_store_t *store = dt_store_open (file, err, sizeof err);
    char below[160];
    snprintf (below, sizeof below, "%s/sub", file);
    char err2[256] = "";
    dt_store_t *store2 = dt_store_open (below, err2, sizeof err2);
    s_tmpdir_remove (dir);
    DT_CHECK (store == NULL);
    DT_CHECK (strstr (err, file) && strstr (err, "not a directory"));
    DT_CHECK (store2 == NULL);
    DT_CHECK (strstr (err2, file) && strstr (err2, "Not a directory"));
}

static void test_missing_directories_are_created_private (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char deep[128];
    snprintf (deep, sizeof deep, "%s/a/b/", dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (deep, err, sizeof err);
    struct stat st;
    int found = stat (deep, &st) == 0;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK (found);
    DT_CHECK_EQ (st.st_mode & 0777, 0700);
}

static void test_a_loader_callback_returning_minus_one_stops_the_load (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    int stops[] = {1, 3, 5};
    for (int i = 0; i < 3; i++) {
        s_transcript_t t;
        int rc = s_load (store, &t, stops[i]);
        int calls = t.calls;
        s_transcript_free (&t);
        if (rc != -1 || calls != stops[i]) {
            dt_store_destroy (&store);
            s_tmpdir_remove (dir);
            DT_CHECK_EQ (rc, -1);
            DT_CHECK_EQ (calls, stops[i]);
        }
    }
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
}

static long s_file_size (const char *dir, const char *name)
{
    char path[128];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat (path, &st) == 0 ? (long) st.st_size : -1;
}

static void test_commit_with_nothing_written_is_cheap (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    long wal = s_file_size (dir, "dtask.db-wal");
    int n = 100000, failed = 0;
    double start = s_now ();
    for (int i = 0; i < n; i++)
        failed += dt_store_commit (store) != 0;
    double secs = s_now () - start;
    long wal_after = s_file_size (dir, "dtask.db-wal");
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    printf ("    %d empty commits in %.3f s (%.0f/s)\n", n, secs, secs > 0 ? n / secs : 0.0);
    DT_CHECK_EQ (failed, 0);
    DT_CHECK (wal > 0);
    DT_CHECK_EQ (wal_after, wal); /* nothing was appended to the log, so nothing was synced */
}

static void test_a_newer_schema_version_is_refused (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char path[128];
    snprintf (path, sizeof path, "%s/dtask.db", dir);
    sqlite3 *db = NULL;
    int made = sqlite3_open (path, &db) == SQLITE_OK &&
               sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close (db);
    char err[256] = "";
    dt_store_t *store = made ? dt_store_open (dir, err, sizeof err) : NULL;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK (made);
    DT_CHECK (store == NULL);
    DT_CHECK (strstr (err, "schema version 99 is newer"));
}

static void test_a_second_open_of_a_store_in_use_fails (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *first = dt_store_open (dir, err, sizeof err);
    dt_store_t *second = first ? dt_store_open (dir, err, sizeof err) : NULL;
    int refused = first && !second;
    dt_store_destroy (&first);
    dt_store_destroy (&second);
    s_tmpdir_remove (dir);
    DT_CHECK (refused);
    DT_CHECK (strstr (err, "locked"));
}

static void test_a_failed_write_rolls_its_group_back_at_commit (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    DT_CHECK_EQ (s_fill (store), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_str_t job = s_str ("half");
    int ok = dt_store_add_task (store, 4, job, s_str ("http://127.0.0.1/4")) == 0 &&
             dt_store_add_task (store, 2, job, s_str ("http://127.0.0.1/dup")) == -1 &&
             dt_store_add_task (store, 5, job, s_str ("http://127.0.0.1/5")) == -1 &&
             dt_store_commit (store) == -1 && dt_store_commit (store) == 0;
    /* The store is usable again after the rollback. */
    ok = ok && dt_store_add_task (store, 6, job, s_str ("http://127.0.0.1/6")) == 0 &&
         dt_store_commit (store) == 0;
    dt_store_destroy (&store);
    store = dt_store_open (dir, err, sizeof err);
    s_transcript_t t;
    int loaded = store && s_load (store, &t, 0) == 0;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK (ok);
    DT_CHECK (loaded);
    int clean = !strstr (t.text, "task 4 ") && !strstr (t.text, "task 5 ") &&
                strstr (t.text, "task 6 job=half");
    s_transcript_free (&t);
    DT_CHECK (clean);
}

static int s_count_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                         int state)
{
    (*(uint64_t *) arg)++;
    return 0;
}

/* Many chunks, each its own commit group, as the master writes big
 * submissions: every task comes back. (How fast: bench/store_rate.c.) */
static void test_many_commit_groups_load_back_every_task (void)
{
    char *dir = s_tmpdir ();
    DT_CHECK (dir);
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    enum { GROUPS = 8, PER_GROUP = 500 };
    dt_str_t job = s_str ("0f8e3a52-9d4c-4f7b-a1e2-6c5d4b3a2f10");
    char url[128];
    int failed = 0;
    uint64_t id = 1;
    for (int g = 0; g < GROUPS && !failed; g++) {
        failed |= dt_store_add_chunk (store, job, (uint32_t) g, id, PER_GROUP);
        for (int i = 0; i < PER_GROUP && !failed; i++, id++) {
            int len =
                snprintf (url, sizeof url, "https://127.0.0.1/some/page/%" PRIu64 ".html", id);
            dt_str_t u = {url, (uint32_t) len};
            failed |= dt_store_add_task (store, id, job, u);
        }
        failed |= dt_store_commit (store);
    }
    dt_store_destroy (&store);
    store = dt_store_open (dir, err, sizeof err);
    uint64_t loaded = 0;
    dt_store_loader_t loader = {NULL, s_count_task, NULL};
    int rc = store ? dt_store_load (store, &loader, &loaded) : -1;
    dt_store_destroy (&store);
    s_tmpdir_remove (dir);
    DT_CHECK_EQ (failed, 0);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (loaded, (uint64_t) GROUPS * PER_GROUP);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"committed rows survive reopen and load in the documented order",
         test_committed_rows_survive_reopen_and_load_in_documented_order},
        {"committed writes survive kill -9 of the writer",
         test_committed_writes_survive_kill_9_of_the_writer},
        {"uncommitted writes are gone after destroy",
         test_uncommitted_writes_are_gone_after_destroy},
        {"reopen after finish makes the task pending with attempts 0 and retires its result",
         test_reopen_after_finish_makes_task_pending_with_no_result},
        {"set attempts persists", test_set_attempts_persists},
        {"strings with NUL bytes and 8 KiB URLs round trip",
         test_strings_with_nul_bytes_and_8_kib_urls_round_trip},
        {"opening a directory that is a file fails clearly",
         test_opening_a_directory_that_is_a_file_fails_clearly},
        {"missing directories are created private", test_missing_directories_are_created_private},
        {"a loader callback returning -1 stops the load",
         test_a_loader_callback_returning_minus_one_stops_the_load},
        {"commit with nothing written is cheap", test_commit_with_nothing_written_is_cheap},
        {"a newer schema version is refused", test_a_newer_schema_version_is_refused},
        {"a second open of a store in use fails", test_a_second_open_of_a_store_in_use_fails},
        {"a failed write rolls its group back at commit",
         test_a_failed_write_rolls_its_group_back_at_commit},
        {"many commit groups load back every task", test_many_commit_groups_load_back_every_task},
        {0},
    };
    return dt_test_run (tests);
}
