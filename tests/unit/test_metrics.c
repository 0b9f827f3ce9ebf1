/* test_metrics.c - snapshots for the HTTP side and their renderings; --http addresses and tokens.
 */
#include "dt_http.h"
#include "dt_metrics.h"
#include "dt_state.h"
#include "dt_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1000000 /* any monotonic ms */

static dt_state_t *s_state (void)
{
    dt_state_opts_t opts = {.max_attempts = 3, .retry_base_ms = 100, .task_ms = 1000};
    return dt_state_new (&opts, NULL);
}

static dt_worker_t *s_worker (dt_state_t *st, const char *name, size_t len, uint32_t capacity)
{
    static unsigned next;
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = (uint32_t) snprintf ((char *) peer.id, sizeof peer.id, "peer-%u", next++);
    return dt_workers_add (dt_state_workers (st), &peer, dt_str_n (name, len), capacity);
}

/* Submits n URLs as chunk `chunk` of job "j"; returns 0. */
static int s_submit (dt_state_t *st, uint32_t chunk, uint32_t n)
{
    static char bufs[8][64];
    dt_str_t urls[8];
    for (uint32_t i = 0; i < n && i < 8; i++) {
        snprintf (bufs[i], sizeof bufs[i], "http://h/%u/%u", chunk, i);
        urls[i] = dt_str (bufs[i]);
    }
    uint64_t first;
    uint32_t count;
    char err[128];
    return dt_state_submit (st, dt_str ("j"), chunk, urls, n, &first, &count, err, sizeof err);
}

static void test_nothing_is_published_before_the_first_turn (void)
{
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (m);
    DT_CHECK (dt_metrics_acquire (m) == NULL);
    dt_metrics_destroy (&m);
    DT_CHECK (m == NULL);
    dt_metrics_destroy (&m);
}

static void test_a_snapshot_outlives_the_next_publish_while_held (void)
{
    dt_state_t *st = s_state ();
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (st && m);
    DT_CHECK_EQ (s_submit (st, 0, 3), 0);
    dt_metrics_publish (m, st, NOW);
    const dt_metrics_snap_t *held = dt_metrics_acquire (m);
    DT_CHECK (held);
    DT_CHECK_EQ (s_submit (st, 1, 2), 0);
    /* Not due yet: the same snapshot stays, and the loop is told to come
     * back within the publish interval because the counters moved. */
    int64_t due = dt_metrics_publish (m, st, NOW + 1);
    DT_CHECK_EQ (due, NOW + DT_METRICS_PUBLISH_MS);
    const dt_metrics_snap_t *same = dt_metrics_acquire (m);
    DT_CHECK (same == held);
    dt_metrics_release (m, &same);
    DT_CHECK (same == NULL);
    dt_metrics_publish (m, st, NOW + DT_METRICS_PUBLISH_MS);
    const dt_metrics_snap_t *fresh = dt_metrics_acquire (m);
    DT_CHECK (fresh && fresh != held);
    size_t len = 0;
    char *old = dt_metrics_status_json (held, &len);
    char *now = dt_metrics_status_json (fresh, &len);
    DT_CHECK (old && now);
    DT_CHECK (strstr (old, "\"submitted\":3,"));
    DT_CHECK (strstr (now, "\"submitted\":5,"));
    free (old);
    free (now);
    dt_metrics_release (m, &held);
    dt_metrics_release (m, &fresh);
    /* Nothing moved since: the next wake is the next throughput point. */
    DT_CHECK_EQ (dt_metrics_publish (m, st, NOW + DT_METRICS_PUBLISH_MS + 1), NOW + 1000);
    dt_metrics_destroy (&m);
    dt_state_destroy (&st);
}

static void test_prometheus_text_has_counters_gauges_and_a_histogram (void)
{
    dt_state_t *st = s_state ();
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (st && m);
    DT_CHECK_EQ (s_submit (st, 0, 4), 0);
    dt_metrics_commit_observe (m, 300);     /* 0.0003 s: first bucket */
    dt_metrics_commit_observe (m, 20000);   /* 0.02 s */
    dt_metrics_commit_observe (m, 9000000); /* 9 s: only +Inf */
    dt_metrics_publish (m, st, NOW);
    const dt_metrics_snap_t *snap = dt_metrics_acquire (m);
    size_t len = 0;
    char *text = dt_metrics_prometheus (snap, &len);
    dt_metrics_release (m, &snap);
    DT_CHECK (text && len == strlen (text));
    DT_CHECK (strstr (
        text, "# TYPE dtask_tasks_submitted_total counter\ndtask_tasks_submitted_total 4\n"));
    DT_CHECK (strstr (text, "\ndtask_tasks_pending 4\n"));
    DT_CHECK (strstr (text, "\ndtask_tasks_done_total 0\n"));
    DT_CHECK (strstr (text, "# TYPE dtask_store_commit_seconds histogram\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_bucket{le=\"0.0005\"} 1\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_bucket{le=\"0.01\"} 1\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_bucket{le=\"0.025\"} 2\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_bucket{le=\"2.5\"} 2\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_bucket{le=\"+Inf\"} 3\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_count 3\n"));
    DT_CHECK (strstr (text, "dtask_store_commit_seconds_sum 9.020300\n"));
    DT_CHECK (strstr (text, "dtask_build_info{version=\"" DTASK_VERSION "\"} 1\n"));
    DT_CHECK (text[len - 1] == '\n');
    free (text);
    dt_metrics_destroy (&m);
    dt_state_destroy (&st);
}

static void test_worker_names_are_escaped_and_made_valid_utf8 (void)
{
    dt_state_t *st = s_state ();
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (st && m);
    const char nasty[] = "a\"b\\c\nd\xff\xc3\xa9"; /* quote, backslash, newline, bad byte, é */
    DT_CHECK (s_worker (st, nasty, sizeof nasty - 1, 4));
    DT_CHECK (s_worker (st, "twin", 4, 4));
    DT_CHECK (s_worker (st, "twin", 4, 4));
    dt_metrics_publish (m, st, NOW);
    const dt_metrics_snap_t *snap = dt_metrics_acquire (m);
    size_t len = 0;
    char *text = dt_metrics_prometheus (snap, &len);
    char *json = dt_metrics_status_json (snap, &len);
    dt_metrics_release (m, &snap);
    DT_CHECK (text && json);
    DT_CHECK (
        strstr (text, "dtask_worker_inflight{worker=\"a\\\"b\\\\c?d\xef\xbf\xbd\xc3\xa9\"} 0\n"));
    /* Two workers named alike are two series. */
    DT_CHECK (strstr (text, "dtask_worker_done_total{worker=\"twin\"} 0\n"));
    DT_CHECK (strstr (text, "dtask_worker_done_total{worker=\"twin\",dup=\"1\"} 0\n"));
    DT_CHECK (strstr (text, "dtask_workers_connected 3\n"));
    json_error_t error;
    json_t *doc = json_loads (json, 0, &error);
    DT_CHECK (doc);
    json_t *workers = json_object_get (doc, "workers");
    DT_CHECK_EQ (json_array_size (workers), 3);
    DT_CHECK (strcmp (json_string_value (json_object_get (json_array_get (workers, 0), "name")),
                      "a\"b\\c?d\xef\xbf\xbd\xc3\xa9") == 0);
    json_decref (doc);
    free (text);
    free (json);
    dt_metrics_destroy (&m);
    dt_state_destroy (&st);
}

static void test_worker_series_are_capped_to_the_busiest (void)
{
    dt_state_t *st = s_state ();
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (st && m);
    char name[32];
    for (int i = 0; i < DT_LIMIT_METRICS_WORKERS + 20; i++) {
        int n = snprintf (name, sizeof name, "w%03d", i);
        dt_worker_t *w = s_worker (st, name, (size_t) n, 4);
        DT_CHECK (w);
        w->done = (uint64_t) i; /* the later, the busier */
    }
    dt_metrics_publish (m, st, NOW);
    const dt_metrics_snap_t *snap = dt_metrics_acquire (m);
    size_t len = 0;
    char *text = dt_metrics_prometheus (snap, &len);
    char *json = dt_metrics_status_json (snap, &len);
    dt_metrics_release (m, &snap);
    DT_CHECK (text && json);
    int series = 0;
    for (const char *p = text; (p = strstr (p, "\ndtask_worker_done_total{")); p++)
        series++;
    DT_CHECK_EQ (series, DT_LIMIT_METRICS_WORKERS);
    DT_CHECK (strstr (text, "{worker=\"w119\"} 119\n"));
    DT_CHECK (strstr (text, "{worker=\"w020\"} 20\n"));
    DT_CHECK (!strstr (text, "{worker=\"w019\"}"));
    DT_CHECK (strstr (json, "\"w000\"")); /* the JSON lists every worker */
    free (text);
    free (json);
    dt_metrics_destroy (&m);
    dt_state_destroy (&st);
}

static void test_throughput_points_come_once_a_second_with_a_rate (void)
{
    dt_state_t *st = s_state ();
    dt_metrics_t *m = dt_metrics_new ();
    DT_CHECK (st && m);
    dt_metrics_publish (m, st, NOW); /* first point: the baseline */
    for (int64_t t = NOW + 100; t < NOW + 3000; t += 100)
        dt_metrics_publish (m, st, t);
    const dt_metrics_snap_t *snap = dt_metrics_acquire (m);
    size_t len = 0;
    char *json = dt_metrics_history_json (snap, &len);
    dt_metrics_release (m, &snap);
    DT_CHECK (json);
    json_error_t error;
    json_t *doc = json_loads (json, 0, &error);
    DT_CHECK (doc);
    DT_CHECK_EQ (json_array_size (json_object_get (doc, "points")), 3); /* at 0, 1 s and 2 s */
    DT_CHECK_EQ (json_integer_value (json_object_get (doc, "interval_ms")), 1000);
    json_decref (doc);
    free (json);
    dt_metrics_destroy (&m);
    dt_state_destroy (&st);
}

static void test_http_addresses_parse_and_only_loopback_is_loopback (void)
{
    dt_http_addr_t a;
    char err[160];
    DT_CHECK_EQ (dt_http_parse_addr ("127.0.0.1:9090", &a, err, sizeof err), 0);
    DT_CHECK (dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("127.3.2.1:0", &a, err, sizeof err), 0);
    DT_CHECK (dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("[::1]:9090", &a, err, sizeof err), 0);
    DT_CHECK (dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("[::ffff:127.0.0.1]:1", &a, err, sizeof err), 0);
    DT_CHECK (dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("0.0.0.0:9090", &a, err, sizeof err), 0);
    DT_CHECK (!dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("10.1.2.3:80", &a, err, sizeof err), 0);
    DT_CHECK (!dt_http_addr_is_loopback (&a));
    DT_CHECK_EQ (dt_http_parse_addr ("[::]:80", &a, err, sizeof err), 0);
    DT_CHECK (!dt_http_addr_is_loopback (&a));
    const char *bad[] = {"",
                         "9090",
                         ":9090",
                         "127.0.0.1:",
                         "127.0.0.1:x",
                         "127.0.0.1:65536",
                         "127.0.0.1:-1",
                         "localhost:9090",
                         "::1:9090",
                         "[::1:9090",
                         "[]:1",
                         "1.2.3.4.5:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        DT_CHECK_EQ (dt_http_parse_addr (bad[i], &a, err, sizeof err), -1);
        DT_CHECK (err[0]);
    }
}

static void test_token_compare_needs_every_byte_and_the_length (void)
{
    const char *t = "0123456789abcdef0123";
    DT_CHECK (dt_http_token_equal (t, 20, t, 20));
    DT_CHECK (!dt_http_token_equal ("0123456789abcdef012", 19, t, 20));
    DT_CHECK (!dt_http_token_equal ("0123456789abcdef01234", 21, t, 20));
    DT_CHECK (!dt_http_token_equal ("1123456789abcdef0123", 20, t, 20));
    DT_CHECK (!dt_http_token_equal ("0123456789abcdef0124", 20, t, 20));
    DT_CHECK (!dt_http_token_equal ("", 0, t, 20));
}

static void test_token_file_must_be_private_and_one_line (void)
{
    char path[] = "/tmp/dtask-test-token.XXXXXX";
    int fd = mkstemp (path);
    DT_CHECK (fd >= 0);
    char token[DT_LIMIT_HTTP_TOKEN_MAX + 1], err[512];
    DT_CHECK (write (fd, "s3cret-token-0123456789\n", 24) == 24);
    close (fd);
    DT_CHECK_EQ (chmod (path, 0600), 0);
    DT_CHECK_EQ (dt_http_read_token (path, token, err, sizeof err), 0);
    DT_CHECK (strcmp (token, "s3cret-token-0123456789") == 0);
    DT_CHECK_EQ (chmod (path, 0640), 0);
    DT_CHECK_EQ (dt_http_read_token (path, token, err, sizeof err), -1);
    DT_CHECK (strstr (err, "chmod 600"));
    DT_CHECK_EQ (chmod (path, 0600), 0);
    FILE *f = fopen (path, "w");
    DT_CHECK (f);
    fputs ("two words-0123456789\n", f);
    fclose (f);
    DT_CHECK_EQ (dt_http_read_token (path, token, err, sizeof err), -1);
    f = fopen (path, "w");
    DT_CHECK (f);
    for (int i = 0; i < DT_LIMIT_HTTP_TOKEN_MAX + 1; i++)
        fputc ('x', f);
    fclose (f);
    DT_CHECK_EQ (dt_http_read_token (path, token, err, sizeof err), -1);
    unlink (path);
    DT_CHECK_EQ (dt_http_read_token (path, token, err, sizeof err), -1);
}

int main (void)
{
    static const dt_test_t tests[] = {
        {"nothing is published before the first turn",
         test_nothing_is_published_before_the_first_turn},
        {"a snapshot outlives the next publish while held",
         test_a_snapshot_outlives_the_next_publish_while_held},
        {"prometheus text has counters, gauges and a histogram",
         test_prometheus_text_has_counters_gauges_and_a_histogram},
        {"worker names are escaped and made valid UTF-8",
         test_worker_names_are_escaped_and_made_valid_utf8},
        {"worker series are capped to the busiest", test_worker_series_are_capped_to_the_busiest},
        {"throughput points come once a second with a rate",
         test_throughput_points_come_once_a_second_with_a_rate},
        {"http addresses parse and only loopback is loopback",
         test_http_addresses_parse_and_only_loopback_is_loopback},
        {"token compare needs every byte and the length",
         test_token_compare_needs_every_byte_and_the_length},
        {"token file must be private and one line", test_token_file_must_be_private_and_one_line},
        {0},
    };
    return dt_test_run (tests);
}
