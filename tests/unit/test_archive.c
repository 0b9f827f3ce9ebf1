/* test_archive.c - the master's WARC archive (dt_archive.h), the CLI's reading of a capture
 * (dt_warc_read.h), and a schema-4 store upgraded to keep where captures are. */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700
#include "dt_test.h"
#include "dt_archive.h"
#include "dt_state.h"
#include "dt_store.h"
#include "dt_warc.h"
#include "dt_warc_read.h"

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static void s_rm (const char *dir)
{
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char s_request[] = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";

/* A capture of one hop whose response is `head` then `body`; *len its bytes (malloc'd). */
static uint8_t *s_capture (const char *head, const char *body, size_t *len)
{
    dt_warc_capture_t *c = dt_warc_capture_new (DT_LIMIT_CAPTURE_MAX);
    if (!c)
        return NULL;
    dt_warc_capture_begin (c, 1700000000);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    for (const char *line = head; *line;) {
        const char *end = strstr (line, "\r\n");
        dt_warc_capture_header (c, line, (size_t) (end - line) + 2);
        line = end + 2;
    }
    dt_warc_capture_body (c, body, strlen (body));
    uint8_t *copy = NULL;
    if (dt_warc_capture_end (c, "http://example.test/a", "192.0.2.1") == 0) {
        const uint8_t *out = dt_warc_capture_output (c, len);
        copy = malloc (*len);
        if (copy)
            memcpy (copy, out, *len);
    }
    dt_warc_capture_destroy (&c);
    return copy;
}

/* `len` bytes of `data` as one gzip member, malloc'd. */
static uint8_t *s_gzip (const void *data, size_t len, size_t *out_len)
{
    z_stream z;
    memset (&z, 0, sizeof z);
    deflateInit2 (&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound (&z, len);
    uint8_t *out = malloc (cap);
    z.next_in = (Bytef *) data;
    z.avail_in = (uInt) len;
    z.next_out = out;
    z.avail_out = (uInt) cap;
    deflate (&z, Z_FINISH);
    *out_len = cap - z.avail_out;
    deflateEnd (&z);
    return out;
}

static void test_a_capture_is_appended_after_a_warcinfo_and_read_back (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", digest[DT_LIMIT_DIGEST_MAX + 1];
    dt_archive_t *a = dt_archive_open (dir, 0, 0, err, sizeof err);
    DT_CHECK (a);
    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", &len);
    DT_CHECK (cap);
    dt_warc_loc_t loc;
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err), 0);
    DT_CHECK (loc.file.len == 19 && memcmp (loc.file.ptr, "dtask-00001.warc.gz", 19) == 0);
    DT_CHECK (loc.offset > 0); /* after the warcinfo */
    DT_CHECK_EQ (loc.length, len);
    char want[DT_WARC_DIGEST_SIZE];
    dt_warc_sha1 ("hello", 5, want);
    DT_CHECK (strcmp (digest, want) == 0);
    DT_CHECK_EQ (dt_archive_sync (a), 0);
    uint8_t *back = malloc (len);
    DT_CHECK_EQ (dt_archive_read (a, loc.file, loc.offset, back, len, err, sizeof err), 0);
    DT_CHECK (memcmp (back, cap, len) == 0);
    /* The CLI's reader finds the body in what came back. */
    dt_warc_response_t r;
    DT_CHECK_EQ (dt_warc_read_response (back, len, &r, err, sizeof err), 0);
    DT_CHECK (r.body_len == 5 && memcmp (r.body, "hello", 5) == 0);
    DT_CHECK (strcmp (r.digest, want) == 0 && !r.truncated);
    DT_CHECK (r.head_len > 0 && memcmp (r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    dt_warc_response_free (&r);
    /* Only the archive's own names: never a path. */
    DT_CHECK (dt_archive_read (a, dt_str ("../dtask.db"), 0, back, 1, err, sizeof err) != 0);
    DT_CHECK (dt_archive_read (a, dt_str ("dtask-00001.warc.gz/x"), 0, back, 1, err, sizeof err) !=
              0);
    /* Past the end of the file is an error, not a short read. */
    DT_CHECK (dt_archive_read (a, loc.file, loc.offset + 1, back, len, err, sizeof err) != 0);
    dt_archive_destroy (&a);
    DT_CHECK (a == NULL);
    /* A new run writes a new file: an earlier run's tail is never written after. */
    a = dt_archive_open (dir, 0, 0, err, sizeof err);
    DT_CHECK (a);
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err), 0);
    DT_CHECK (loc.file.len == 19 && memcmp (loc.file.ptr, "dtask-00002.warc.gz", 19) == 0);
    DT_CHECK_EQ (dt_archive_captures (a), 1);
    dt_archive_destroy (&a);
    free (back);
    free (cap);
    s_rm (dir);
}

static void test_bytes_that_are_not_warc_records_are_refused (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", digest[DT_LIMIT_DIGEST_MAX + 1];
    dt_archive_t *a = dt_archive_open (dir, 0, 0, err, sizeof err);
    DT_CHECK (a);
    dt_warc_loc_t loc;
    /* Not gzip. */
    DT_CHECK_EQ (dt_archive_append (a, "hello", 5, &loc, digest, err, sizeof err), DT_ARCHIVE_EBAD);
    /* gzip, not WARC. */
    size_t glen = 0;
    uint8_t *g = s_gzip ("GET / HTTP/1.1\r\n\r\n", 18, &glen);
    DT_CHECK_EQ (dt_archive_append (a, g, glen, &loc, digest, err, sizeof err), DT_ARCHIVE_EBAD);
    free (g);
    /* A WARC record cut short. */
    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\n\r\n", "x", &len);
    DT_CHECK_EQ (dt_archive_append (a, cap, len - 3, &loc, digest, err, sizeof err),
                 DT_ARCHIVE_EBAD);
    /* Trailing garbage after good records. */
    uint8_t *more = malloc (len + 4);
    memcpy (more, cap, len);
    memcpy (more + len, "junk", 4);
    DT_CHECK_EQ (dt_archive_append (a, more, len + 4, &loc, digest, err, sizeof err),
                 DT_ARCHIVE_EBAD);
    free (more);
    /* A gzip bomb: a WARC head, then more zeros than any capture holds. */
    size_t big = DT_LIMIT_CAPTURE_INFLATED + 1024;
    char *bomb = calloc (1, big);
    memcpy (bomb, "WARC/1.1\r\nWARC-Type: response\r\n\r\n", 34);
    g = s_gzip (bomb, big, &glen);
    DT_CHECK (glen < DT_LIMIT_CAPTURE_WIRE);
    DT_CHECK_EQ (dt_archive_append (a, g, glen, &loc, digest, err, sizeof err), DT_ARCHIVE_EBAD);
    DT_CHECK (strstr (err, "inflates past"));
    free (g);
    free (bomb);
    /* None of that stopped it, or wrote anything. */
    DT_CHECK (dt_archive_stopped (a) == NULL);
    DT_CHECK_EQ (dt_archive_bytes (a), 0);
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err), 0);
    free (cap);
    dt_archive_destroy (&a);
    s_rm (dir);
}

static void test_a_disk_without_the_reserve_stops_the_archive (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", digest[DT_LIMIT_DIGEST_MAX + 1];
    /* No disk has 2^62 bytes free. */
    dt_archive_t *a = dt_archive_open (dir, 0, 1ULL << 62, err, sizeof err);
    DT_CHECK (a);
    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\n\r\n", "x", &len);
    dt_warc_loc_t loc;
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err),
                 DT_ARCHIVE_ESTOPPED);
    DT_CHECK (strstr (err, "disk nearly full"));
    DT_CHECK (dt_archive_stopped (a) && strstr (dt_archive_stopped (a), "disk nearly full"));
    DT_CHECK_EQ (dt_archive_sync (a), 0); /* nothing was written */
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err),
                 DT_ARCHIVE_ESTOPPED);
    DT_CHECK_EQ (loc.length, 0);
    free (cap);
    dt_archive_destroy (&a);
    s_rm (dir);
}

static void test_a_chunked_body_is_read_without_its_framing (void)
{
    char err[256];
    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                              "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &len);
    dt_warc_response_t r;
    DT_CHECK_EQ (dt_warc_read_response (cap, len, &r, err, sizeof err), 0);
    DT_CHECK (r.body_len == 11 && memcmp (r.body, "hello world", 11) == 0);
    char want[DT_WARC_DIGEST_SIZE];
    dt_warc_sha1 ("hello world", 11, want);
    DT_CHECK (strcmp (r.digest, want) == 0);
    dt_warc_response_free (&r);
    free (cap);
    /* Framing that breaks off keeps what came before. */
    uint8_t out[64];
    DT_CHECK_EQ (dt_warc_dechunk ((const uint8_t *) "3\r\nabc\r\nzz", 10, out), 3);
    DT_CHECK_EQ (dt_warc_dechunk ((const uint8_t *) "ffff\r\nab", 8, out), 0);
}

static int s_on_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    dt_warc_loc_t *got = arg;
    if (r->id == 2 && seq == 2) {
        got->offset = r->warc.offset;
        got->length = r->warc.length;
    }
    return 0;
}

/* A store written by a schema-4 master (no capture columns) opens, records
 * captures with results and the jobs that save, and a REQUEUE retires a
 * task's capture with its result. */
static void test_schema_4_store_upgrades_and_keeps_captures (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
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
            " attempts INTEGER NOT NULL, state INTEGER NOT NULL, seq INTEGER,"
            " since INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE results (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
            " state INTEGER NOT NULL, attempts INTEGER NOT NULL, http_status INTEGER NOT NULL,"
            " bytes INTEGER NOT NULL, elapsed_ms INTEGER NOT NULL, final_url TEXT NOT NULL,"
            " content_type TEXT NOT NULL, worker TEXT NOT NULL, error TEXT NOT NULL,"
            " job TEXT NOT NULL DEFAULT '', output BLOB NOT NULL DEFAULT x'',"
            " exit_code INTEGER NOT NULL DEFAULT 65535);"
            "CREATE INDEX tasks_job ON tasks (job, id);"
            "CREATE INDEX results_job ON results (job, seq);"
            "CREATE INDEX results_failed ON results (seq) WHERE state = 2;"
            "CREATE INDEX results_job_failed ON results (job, seq) WHERE state = 2;"
            "CREATE TABLE jobs (name TEXT PRIMARY KEY, total INTEGER NOT NULL,"
            " done INTEGER NOT NULL, failed INTEGER NOT NULL) WITHOUT ROWID;"
            "INSERT INTO chunks VALUES ('j', 0, 1, 2);"
            "INSERT INTO tasks (id, job, url, attempts, state) VALUES"
            " (1, 'j', 'http://127.0.0.1/1', 1, 0), (2, 'j', 'http://127.0.0.1/2', 0, 0);"
            "INSERT INTO results (seq, id, state, attempts, http_status, bytes, elapsed_ms,"
            " final_url, content_type, worker, error, job) VALUES"
            " (1, 1, 1, 1, 200, 0, 0, 'http://127.0.0.1/1', '', 'w1', '', 'j');"
            "PRAGMA user_version = 4;",
            NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close (db);
    DT_CHECK (made);

    char err[256] = "", file[DT_LIMIT_WARC_NAME_MAX + 1];
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_record_t r;
    memset (&r, 0, sizeof r);
    r.id = 2;
    r.state = DT_STORE_DONE;
    r.attempt = 1;
    r.http_status = 200;
    r.exit_code = DT_EXIT_NONE;
    r.warc.file = dt_str ("dtask-00007.warc.gz");
    r.warc.offset = 4242;
    r.warc.length = 999;
    r.warc.digest = dt_str ("sha1:AAAA");
    uint32_t flags = 1;
    DT_CHECK_EQ (dt_store_finish (store, 2, &r), 0);
    DT_CHECK_EQ (dt_store_job_flags_get (store, dt_str ("j"), &flags), 0);
    DT_CHECK_EQ (flags, 0);
    DT_CHECK_EQ (dt_store_job_flags_put (store, dt_str ("j"), DT_SUBMIT_SAVE), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_warc_loc_t loc, loaded = {{"", 0}, 0, 0, {"", 0}};
    dt_store_loader_t loader = {NULL, NULL, s_on_result};
    DT_CHECK_EQ (dt_store_load (store, &loader, &loaded), 0);
    DT_CHECK_EQ (loaded.offset, 4242);
    DT_CHECK_EQ (loaded.length, 999);
    DT_CHECK_EQ (dt_store_capture (store, 2, 10, file, sizeof file, &loc), 0);
    DT_CHECK (loc.length == 999 && loc.offset == 4242 && strcmp (file, "dtask-00007.warc.gz") == 0);
    /* Not committed yet as far as the caller knows: a position past `upto` is not seen. */
    DT_CHECK_EQ (dt_store_capture (store, 2, 1, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, 0);
    DT_CHECK_EQ (dt_store_capture (store, 1, 10, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, 0);
    DT_CHECK_EQ (dt_store_job_flags_get (store, dt_str ("j"), &flags), 0);
    DT_CHECK_EQ (flags, DT_SUBMIT_SAVE);
    /* REQUEUE retires the result, and its capture with it. */
    DT_CHECK_EQ (dt_store_reopen (store, 2, 1), 0);
    DT_CHECK_EQ (dt_store_capture (store, 2, 10, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, 0);
    dt_store_destroy (&store);
    s_rm (dir);
}

/* A result of `outcome` for task `id`'s first attempt, carrying `capture`. */
static void s_report (dt_state_t *st, dt_worker_t *w, uint64_t id, uint8_t outcome,
                      const void *capture, size_t len)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.attempt = 1;
    r.epoch = dt_state_epoch (st);
    r.outcome = outcome;
    r.http_status = 200;
    r.final_url = r.content_type = r.error = r.output = dt_str ("");
    r.exit_code = DT_EXIT_NONE;
    r.capture = dt_str_n (capture, len);
    dt_state_result (st, w, &r, 1000);
}

/* Only a saving job's tasks go out with SAVE, and only the final result of
 * such a task from its lease holder has its capture kept: not one of
 * another job, not a duplicate, not one the archive refuses (the task then
 * fails saying why). */
static void test_only_a_saving_job_s_final_capture_is_kept (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    dt_archive_t *a = dt_archive_open (dir, 0, 0, err, sizeof err);
    DT_CHECK (store && a);
    dt_state_opts_t opts = {.max_attempts = 1, .retry_base_ms = 100, .task_ms = 100000};
    dt_state_t *st = dt_state_new (&opts, store);
    DT_CHECK (st);
    dt_state_set_archive (st, a);
    DT_CHECK_EQ (dt_state_begin_epoch (st), 0);
    dt_str_t urls[2] = {dt_str ("http://h/1"), dt_str ("http://h/2")};
    uint64_t first;
    uint32_t count;
    DT_CHECK_EQ (dt_state_submit (st, dt_str ("s"), 0, urls, 2, &first, &count, err, sizeof err),
                 0);
    DT_CHECK_EQ (dt_state_save_refused (st, err, sizeof err), 0);
    DT_CHECK_EQ (dt_state_job_save (st, dt_str ("s"), err, sizeof err), 0);
    DT_CHECK_EQ (dt_state_submit (st, dt_str ("n"), 0, urls, 1, &first, &count, err, sizeof err),
                 0);
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = 1;
    peer.id[0] = 'w';
    dt_worker_t *w = dt_workers_add (dt_state_workers (st), &peer, dt_str ("w"), 8);
    static dt_task_t *tasks[8];
    static dt_msg_task_t items[8];
    uint32_t n = dt_state_take (st, 8, items, tasks);
    DT_CHECK_EQ (n, 3);
    dt_state_lease (st, w, tasks, n, 1000);
    for (uint32_t i = 0; i < n; i++)
        DT_CHECK_EQ (items[i].flags, items[i].id <= 2 ? DT_TASK_SAVE : 0u);

    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\n\r\n", "kept", &len);
    s_report (st, w, 1, DT_OUTCOME_DONE, cap, len);  /* kept */
    s_report (st, w, 1, DT_OUTCOME_DONE, cap, len);  /* a duplicate: not kept */
    s_report (st, w, 2, DT_OUTCOME_DONE, "junk", 4); /* refused: the task fails */
    s_report (st, w, 3, DT_OUTCOME_DONE, cap, len);  /* job n does not save */
    DT_CHECK_EQ (dt_archive_captures (a), 1);
    DT_CHECK_EQ (dt_archive_sync (a), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str ("s"), &stats);
    DT_CHECK (stats.done == 1 && stats.failed == 1);

    char file[DT_LIMIT_WARC_NAME_MAX + 1];
    dt_warc_loc_t loc;
    uint64_t last = dt_state_last_seq (st);
    DT_CHECK_EQ (dt_state_capture (st, 1, last, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, len);
    DT_CHECK_EQ (dt_state_capture (st, 2, last, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, 0);
    DT_CHECK_EQ (dt_state_capture (st, 3, last, file, sizeof file, &loc), 0);
    DT_CHECK_EQ (loc.length, 0);
    /* The failed task says why; the page of the job shows where the kept one is. */
    static dt_record_t page[8];
    uint64_t cursor = 0;
    uint32_t got = dt_state_page (st, dt_str ("s"), &cursor, 8, 0, page);
    DT_CHECK_EQ (got, 2);
    for (uint32_t i = 0; i < got; i++) {
        if (page[i].id == 1)
            DT_CHECK (page[i].warc.length == len && page[i].warc.digest.len == 37);
        else
            DT_CHECK (page[i].warc.length == 0 &&
                      strncmp (page[i].error.ptr, "capture not stored: capture refused", 35) == 0);
    }
    /* The index of the job: one entry. */
    dt_msg_capture_t index[8];
    cursor = 0;
    DT_CHECK_EQ (dt_state_export_page (st, dt_str ("s"), &cursor, last, 8, index), 1);
    DT_CHECK (index[0].id == 1 && index[0].length == len && cursor == 0);
    free (cap);
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    dt_archive_destroy (&a);
    s_rm (dir);
}

/* Bytes of `name` under DIR/warc, -1 when it is gone. */
static long long s_size (const char *dir, const char *name)
{
    char path[512];
    snprintf (path, sizeof path, "%s/warc/%s", dir, name);
    struct stat st;
    return stat (path, &st) == 0 ? (long long) st.st_size : -1;
}

/* What the store would answer: file 2 is used, any other is not (or -1: an error). */
static int s_used_two (void *arg, const char *name)
{
    int *error = arg;
    return *error ? -1 : strcmp (name, "dtask-00002.warc.gz") == 0;
}

static void test_a_reclaim_deletes_closed_files_no_result_uses (void)
{
    char dir[] = "/tmp/dtask-archive-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "", digest[DT_LIMIT_DIGEST_MAX + 1];
    /* A roll size of 1: every capture starts a file of its own. */
    dt_archive_t *a = dt_archive_open (dir, 1, 0, err, sizeof err);
    DT_CHECK (a);
    size_t len = 0;
    uint8_t *cap = s_capture ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "hello", &len);
    DT_CHECK (cap);
    dt_warc_loc_t loc;
    for (int i = 0; i < 3; i++)
        DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err), 0);
    long long one = s_size (dir, "dtask-00001.warc.gz"), two = s_size (dir, "dtask-00002.warc.gz"),
              three = s_size (dir, "dtask-00003.warc.gz");
    DT_CHECK (one > 0 && two > 0 && three > 0);
    DT_CHECK_EQ (dt_archive_disk_bytes (a), (uint64_t) (one + two + three));
    /* Wanted from open (a crash's leftovers); the current file (3) is never deleted. */
    DT_CHECK (dt_archive_reclaim_wanted (a));
    int error = 0;
    uint32_t removed = 0;
    DT_CHECK_EQ (dt_archive_reclaim (a, s_used_two, &error, &removed), 0);
    DT_CHECK_EQ (removed, 1);
    DT_CHECK (s_size (dir, "dtask-00001.warc.gz") < 0);
    DT_CHECK (s_size (dir, "dtask-00002.warc.gz") == two &&
              s_size (dir, "dtask-00003.warc.gz") == three);
    DT_CHECK_EQ (dt_archive_disk_bytes (a), (uint64_t) (two + three));
    DT_CHECK (!dt_archive_reclaim_wanted (a));
    /* A failed answer deletes nothing, and the wish is not kept (no turn spins on it). */
    dt_archive_reclaim_ask (a);
    error = 1;
    DT_CHECK_EQ (dt_archive_reclaim (a, s_used_two, &error, &removed), -1);
    DT_CHECK (s_size (dir, "dtask-00002.warc.gz") == two);
    DT_CHECK (!dt_archive_reclaim_wanted (a));
    dt_archive_destroy (&a);
    /* A new run counts what it finds; before its first append no file is current. */
    a = dt_archive_open (dir, 0, 0, err, sizeof err);
    DT_CHECK (a);
    DT_CHECK_EQ (dt_archive_disk_bytes (a), (uint64_t) (two + three));
    error = 0;
    DT_CHECK_EQ (dt_archive_reclaim (a, s_used_two, &error, &removed), 0);
    DT_CHECK_EQ (removed, 1);
    DT_CHECK (s_size (dir, "dtask-00003.warc.gz") < 0 &&
              s_size (dir, "dtask-00002.warc.gz") == two);
    DT_CHECK_EQ (dt_archive_disk_bytes (a), (uint64_t) two);
    /* The next file still comes after every one there was. */
    DT_CHECK_EQ (dt_archive_append (a, cap, len, &loc, digest, err, sizeof err), 0);
    DT_CHECK (loc.file.len == 19 && memcmp (loc.file.ptr, "dtask-00004.warc.gz", 19) == 0);
    dt_archive_destroy (&a);
    free (cap);
    s_rm (dir);
}

static dt_test_t tests[] = {
    {"only a saving job's final capture is kept", test_only_a_saving_job_s_final_capture_is_kept},
    {"a capture is appended after a warcinfo and read back",
     test_a_capture_is_appended_after_a_warcinfo_and_read_back},
    {"bytes that are not WARC records are refused",
     test_bytes_that_are_not_warc_records_are_refused},
    {"a disk without the reserve stops the archive",
     test_a_disk_without_the_reserve_stops_the_archive},
    {"a chunked body is read without its framing", test_a_chunked_body_is_read_without_its_framing},
    {"a schema 4 store upgrades and keeps captures",
     test_schema_4_store_upgrades_and_keeps_captures},
    {"a reclaim deletes closed files no result uses",
     test_a_reclaim_deletes_closed_files_no_result_uses},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
