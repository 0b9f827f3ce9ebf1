/* test_fetch_capture.c - the http handler keeping WARC records, and per-task HTTP options, against
 * the real test server. */
#include "dt_fetch.h"
#include "dt_httpopt.h"
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_test.h"
#include "dt_test_httpd.h"

#include <curl/curl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TEST_TASKS_MAX 8
#define TEST_WAIT_MS   30000 /* a generous bound: never reached unless something is broken */

typedef struct {
    int have;              /* the completion came */
    int calls;             /* completions for this id: must be 1 */
    dt_handler_result_t r; /* strings and bytes below, not the borrowed ones */
    char final_url[DT_LIMIT_URL_MAX + 1];
    char error[1024];
    char *warc;      /* every record's text, members inflated one after another; NUL-terminated */
    size_t warc_len; /* its length */
    int records;     /* "WARC/1.1\r\n" lines in it */
} s_got_t;

static s_got_t s_got[TEST_TASKS_MAX];
static size_t s_completions;
static dt_test_httpd_t s_httpd; /* the real test server */

/* The text of a run of gzip members: each one inflated, one after another.
 * NULL when it is not valid gzip. */
static char *s_inflate_all (const void *data, size_t len, size_t *out_len)
{
    size_t cap = 1 << 16, used = 0;
    char *out = malloc (cap + 1);
    z_stream z;
    memset (&z, 0, sizeof z);
    if (!out || inflateInit2 (&z, 15 + 16) != Z_OK) {
        free (out);
        return NULL;
    }
    z.next_in = (Bytef *) data;
    z.avail_in = (uInt) len;
    int rc = Z_OK;
    while (z.avail_in > 0 || rc == Z_OK) {
        if (used == cap) {
            cap *= 2;
            out = realloc (out, cap + 1);
        }
        z.next_out = (Bytef *) out + used;
        z.avail_out = (uInt) (cap - used);
        rc = inflate (&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0)
                break;
            inflateReset (&z);
            rc = Z_OK;
        } else if (rc != Z_OK) {
            break;
        }
    }
    inflateEnd (&z);
    if (rc != Z_STREAM_END) {
        free (out);
        return NULL;
    }
    out[used] = '\0';
    *out_len = used;
    return out;
}

static int s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
        n++;
    return n;
}

static void s_on_done (void *arg, const dt_handler_result_t *r)
{
    (void) arg;
    s_completions++;
    if (r->id >= TEST_TASKS_MAX)
        return;
    s_got_t *g = &s_got[r->id];
    g->have = 1;
    g->calls++;
    g->r = *r;
    snprintf (g->final_url, sizeof g->final_url, "%s", r->final_url);
    snprintf (g->error, sizeof g->error, "%s", r->error);
    free (g->warc);
    g->warc = NULL;
    g->records = 0;
    if (r->warc_len > 0) {
        g->warc = s_inflate_all (r->warc, r->warc_len, &g->warc_len);
        g->records = g->warc ? s_count (g->warc, "WARC/1.1\r\n") : -1;
    }
}

static void s_reset (void)
{
    for (int i = 0; i < TEST_TASKS_MAX; i++)
        free (s_got[i].warc);
    memset (s_got, 0, sizeof s_got);
    s_completions = 0;
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_url (char *out, size_t size, const char *path)
{
    snprintf (out, size, "http://127.0.0.1:%d%s", s_httpd.port, path);
}

/* Drives the handler the way the worker loop does until `n` completions
 * came or TEST_WAIT_MS passed. */
static void s_run (dt_handler_t *h, size_t n)
{
    int64_t end = s_now_ms () + TEST_WAIT_MS;
    while (s_completions < n && s_now_ms () < end) {
        if (dt_handler_perform (h) != 0 || s_completions >= n)
            break;
        long t = dt_handler_timeout (h);
        if (dt_handler_wait (h, -1, (int) (t < 0 || t > 100 ? 100 : t)) != 0)
            break;
    }
}

/* Starts task `id` on `path` with `http` (NULL: the handler's defaults). */
static int s_start (dt_handler_t *h, uint64_t id, const char *path, const dt_httpopt_t *http)
{
    char url[1024];
    s_url (url, sizeof url, path);
    dt_handler_task_t task = {
        .id = id, .task_id = id, .attempt = 1, .payload = url, .payload_len = strlen (url)};
    return http ? dt_fetch_start_with (h, &task, http) : dt_handler_start (h, &task);
}

/* Fetches `path` with `opts`, capturing; the result is in s_got[0]. */
static s_got_t *s_capture (dt_fetch_options_t *opts, const char *path)
{
    s_reset ();
    opts->http.capture = 1;
    char err[256];
    dt_handler_t *h = dt_fetch_new (opts, s_on_done, NULL, err, sizeof err);
    if (!h)
        return NULL;
    if (s_start (h, 0, path, NULL) == 0)
        s_run (h, 1);
    dt_handler_destroy (&h);
    return s_got[0].have ? &s_got[0] : NULL;
}

static dt_fetch_options_t s_opts (void)
{
    dt_fetch_options_t o;
    dt_fetch_options_defaults (&o);
    return o;
}

/* ---- Tests ------------------------------------------------------------ */

static void test_a_capture_holds_the_request_and_the_response (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_capture (&o, "/page/3");
    DT_CHECK (g && g->calls == 1);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->records, 2);
    DT_CHECK (strstr (g->warc, "WARC-Type: request\r\n"));
    DT_CHECK (strstr (g->warc, "\r\n\r\nGET /page/3 HTTP/1.1\r\n"));
    DT_CHECK (strstr (g->warc, "\r\nUser-Agent: " DT_HTTPOPT_USER_AGENT "\r\n"));
    DT_CHECK (strstr (g->warc, "WARC-Type: response\r\n"));
    DT_CHECK (strstr (g->warc, "\r\n\r\nHTTP/1.1 200 OK\r\n"));
    DT_CHECK (strstr (g->warc, "<title>page 3</title>"));
    DT_CHECK (strstr (g->warc, "WARC-IP-Address: 127.0.0.1\r\n"));
    DT_CHECK (!strstr (g->warc, "WARC-Truncated"));
}

static void test_without_capture_there_are_no_records (void)
{
    dt_fetch_options_t o = s_opts ();
    s_reset ();
    char err[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    s_start (h, 0, "/page/3", NULL);
    s_run (h, 1);
    dt_handler_destroy (&h);
    DT_CHECK (s_got[0].have);
    DT_CHECK (s_got[0].r.warc == NULL && s_got[0].r.warc_len == 0);
}

static void test_capturing_follows_redirects_hop_by_hop (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_capture (&o, "/redirect/3");
    DT_CHECK (g && g->calls == 1);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->r.bytes, 4);
    char url[256];
    s_url (url, sizeof url, "/redirect/0");
    DT_CHECK (strcmp (g->final_url, url) == 0);
    DT_CHECK_EQ (g->records, 8);
    DT_CHECK_EQ (s_count (g->warc, "HTTP/1.1 302 Found\r\n"), 3);
    DT_CHECK_EQ (s_count (g->warc, "HTTP/1.1 200 OK\r\n"), 1);
    /* In order: each hop's pair names its own URL. */
    const char *p = g->warc;
    for (int k = 3; k >= 0; k--) {
        char line[300];
        snprintf (line, sizeof line, "WARC-Target-URI: http://127.0.0.1:%d/redirect/%d\r\n",
                  s_httpd.port, k);
        const char *q = strstr (p, line);
        DT_CHECK (q);
        DT_CHECK_EQ (s_count (q, line) >= 2, 1); /* request and response */
        p = q + 1;
    }
}

static void test_capturing_stops_after_five_redirects (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_capture (&o, "/redirect/6");
    DT_CHECK (g && g->calls == 1);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "Maximum (5) redirects followed"));
    /* The first request and five redirects followed: six hops kept. */
    DT_CHECK_EQ (g->records, 12);

    g = s_capture (&o, "/redirect/5");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->records, 12);
}

static void test_a_body_over_max_bytes_fails_and_keeps_its_truncated_records (void)
{
    dt_fetch_options_t o = s_opts ();
    o.max_bytes = 1000;
    s_got_t *g = s_capture (&o, "/size/5000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strcmp (g->error, "body over 1000 bytes") == 0);
    DT_CHECK_EQ (g->records, 2);
    DT_CHECK (strstr (g->warc, "WARC-Truncated: length\r\n"));
}

static void test_a_server_closing_mid_body_is_marked_disconnect (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_capture (&o, "/cut/10000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (g->records, 2);
    DT_CHECK (strstr (g->warc, "WARC-Truncated: disconnect\r\n"));
}

static void test_compressed_bodies_are_kept_as_received (void)
{
    dt_fetch_options_t o = s_opts ();
    o.http.compressed = 1;
    s_got_t *g = s_capture (&o, "/gzip/5000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK (strstr (g->warc, "\r\nAccept-Encoding: "));
    DT_CHECK (strstr (g->warc, "\r\nContent-Encoding: gzip\r\n"));
    /* Counted and kept compressed: the text itself is not in the record. */
    DT_CHECK (g->r.bytes < 5000);
    DT_CHECK (!strstr (g->warc, "dtask test body"));
}

static void test_task_options_set_method_headers_and_user_agent (void)
{
    dt_fetch_options_t o = s_opts ();
    s_reset ();
    char err[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    dt_httpopt_t http;
    dt_httpopt_defaults (&http);
    http.capture = 1;
    DT_CHECK (dt_httpopt_set_method (&http, "HEAD", err, sizeof err) == 0);
    DT_CHECK (dt_httpopt_add_header (&http, "X-Job: 42", err, sizeof err) == 0);
    DT_CHECK (dt_httpopt_set_user_agent (&http, "testbot/1.0", err, sizeof err) == 0);
    DT_CHECK (s_start (h, 0, "/size/100", &http) == 0);
    s_run (h, 1);
    /* The same slot, the handler's defaults: nothing carries over. */
    DT_CHECK (s_start (h, 1, "/redirect/2", NULL) == 0);
    s_run (h, 2);
    dt_handler_destroy (&h);

    s_got_t *g = &s_got[0];
    DT_CHECK (g->have);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.bytes, 0);
    DT_CHECK_EQ (g->records, 2);
    DT_CHECK (strstr (g->warc, "\r\n\r\nHEAD /size/100 HTTP/1.1\r\n"));
    DT_CHECK (strstr (g->warc, "\r\nX-Job: 42\r\n"));
    DT_CHECK (strstr (g->warc, "\r\nUser-Agent: testbot/1.0\r\n"));
    DT_CHECK (strstr (g->warc, "\r\nContent-Length: 100\r\n\r\n\r\n\r\n")); /* no body */

    g = &s_got[1];
    DT_CHECK (g->have);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.bytes, 4); /* a GET again, redirects followed by libcurl */
    char url[256];
    s_url (url, sizeof url, "/redirect/0");
    DT_CHECK (strcmp (g->final_url, url) == 0);
    DT_CHECK (g->r.warc_len == 0);
}

static void test_task_limits_cannot_exceed_the_workers (void)
{
    dt_fetch_options_t o = s_opts ();
    o.max_bytes = 1000;
    s_reset ();
    char err[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    dt_httpopt_t http;
    dt_httpopt_defaults (&http);
    http.max_bytes = 100000; /* more than the worker allows */
    s_start (h, 0, "/size/5000", &http);
    http.max_bytes = 100; /* less: it holds */
    s_start (h, 1, "/size/500", &http);
    s_run (h, 2);
    dt_handler_destroy (&h);
    DT_CHECK (s_got[0].have && s_got[1].have);
    DT_CHECK (strcmp (s_got[0].error, "body over 1000 bytes") == 0);
    DT_CHECK (strcmp (s_got[1].error, "body over 100 bytes") == 0);
}

/* ---- The test server -------------------------------------------------- */

/* tests/http/dt_httpd.py: from DTASK_TESTS when set, else next to this
 * file's directory. */
int main (void)
{
    static dt_test_t tests[] = {
        {"a capture holds the request and the response",
         test_a_capture_holds_the_request_and_the_response},
        {"without capture there are no records", test_without_capture_there_are_no_records},
        {"capturing follows redirects hop by hop", test_capturing_follows_redirects_hop_by_hop},
        {"capturing stops after five redirects", test_capturing_stops_after_five_redirects},
        {"a body over max-bytes fails and keeps its truncated records",
         test_a_body_over_max_bytes_fails_and_keeps_its_truncated_records},
        {"a server closing mid-body is marked disconnect",
         test_a_server_closing_mid_body_is_marked_disconnect},
        {"compressed bodies are kept as received", test_compressed_bodies_are_kept_as_received},
        {"task options set method, headers and user-agent",
         test_task_options_set_method_headers_and_user_agent},
        {"task limits cannot exceed the worker's", test_task_limits_cannot_exceed_the_workers},
        {0},
    };
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    if (dt_test_httpd_start (&s_httpd, "dtask-test-capture") != 0) {
        dt_test_httpd_stop (&s_httpd);
        printf ("0 passed, 1 failed\n");
        return 1;
    }
    int rc = dt_test_run (tests);
    s_reset ();
    dt_test_httpd_stop (&s_httpd);
    curl_global_cleanup ();
    return rc;
}
