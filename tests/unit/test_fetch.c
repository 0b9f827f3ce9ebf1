/* test_fetch.c - the http handler against the real test HTTP server (tests/http/dt_httpd.py). */
#include "dt_fetch.h"
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_test.h"
#include "dt_test_httpd.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_TASKS_MAX 64
#define TEST_WAIT_MS   30000 /* a generous bound: never reached unless something is broken */

typedef struct {
    int have;              /* the completion came */
    int calls;             /* completions for this id: must be 1 */
    dt_handler_result_t r; /* strings below, not the borrowed ones */
    char final_url[DT_LIMIT_URL_MAX + 1];
    char content_type[512];
    char error[1024];
    char output[64]; /* the first bytes of the output */
    size_t output_len;
} s_got_t;

static s_got_t s_got[TEST_TASKS_MAX];
static size_t s_completions;
static dt_test_httpd_t s_httpd; /* the real test server */

static void s_copy (char *out, size_t size, const char *in)
{
    snprintf (out, size, "%s", in ? in : "(null)");
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
    s_copy (g->final_url, sizeof g->final_url, r->final_url);
    s_copy (g->content_type, sizeof g->content_type, r->content_type);
    s_copy (g->error, sizeof g->error, r->error);
    g->output_len = r->output_len;
    memcpy (g->output, r->output ? r->output : "",
            r->output_len < sizeof g->output ? r->output_len : sizeof g->output);
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_reset (void)
{
    memset (s_got, 0, sizeof s_got);
    s_completions = 0;
}

/* Starts a fetch of `url`: the payload of an http task. */
static int s_start_url (dt_handler_t *h, uint64_t id, uint32_t attempt, const char *url)
{
    dt_handler_task_t task = {
        .id = id, .task_id = id, .attempt = attempt, .payload = url, .payload_len = strlen (url)};
    return dt_handler_start (h, &task);
}

static void s_url (char *out, size_t size, const char *path)
{
    snprintf (out, size, "http://127.0.0.1:%d%s", s_httpd.port, path);
}

/* Drives the handler the way the worker loop does until `n` completions
 * came or TEST_WAIT_MS passed. Returns the completions seen. */
static size_t s_run (dt_handler_t *h, size_t n)
{
    int64_t end = s_now_ms () + TEST_WAIT_MS;
    while (s_completions < n && s_now_ms () < end) {
        if (dt_handler_perform (h) != 0)
            break;
        if (s_completions >= n)
            break;
        long t = dt_handler_timeout (h);
        if (t < 0 || t > 100)
            t = 100;
        if (dt_handler_wait (h, -1, (int) t) != 0)
            break;
    }
    return s_completions;
}

/* Fetches one path (or a full URL) with `opts` and leaves the result in s_got[0]. */
static s_got_t *s_fetch (const dt_fetch_options_t *opts, const char *path_or_url)
{
    s_reset ();
    char err[256], url[1024];
    if (strstr (path_or_url, "://"))
        snprintf (url, sizeof url, "%s", path_or_url);
    else
        s_url (url, sizeof url, path_or_url);
    dt_handler_t *h = dt_fetch_new (opts, s_on_done, NULL, err, sizeof err);
    if (!h)
        return NULL;
    if (s_start_url (h, 0, 1, url) == 0)
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

static void test_200_gives_the_exact_byte_count (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/size/100000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->calls, 1);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->r.bytes, 100000);
    DT_CHECK_EQ (g->r.attempt, 1);
    char url[256];
    s_url (url, sizeof url, "/size/100000");
    DT_CHECK (strcmp (g->final_url, url) == 0);
    DT_CHECK (strcmp (g->content_type, "text/plain") == 0);
    DT_CHECK (g->error[0] == '\0');
}

static void test_empty_body_is_done_with_zero_bytes (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/size/0");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->r.bytes, 0);
}

static void test_404_is_done_with_status_404 (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/status/404");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 404);
    DT_CHECK_EQ (g->r.bytes, strlen ("status 404\n"));
    DT_CHECK (g->error[0] == '\0');
}

static void test_deny_private_refuses_a_loopback_server (void)
{
    /* The test server is on 127.0.0.1: exactly what --deny-private refuses. */
    dt_fetch_options_t o = s_opts ();
    o.deny_private = 1;
    s_got_t *g = s_fetch (&o, "/size/10");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.http_status, 0);
    DT_CHECK (strstr (g->error, "not allowed"));
}

static void test_trusted_proxy_is_allowed_and_fetches_for_us (void)
{
    /* The test server answers absolute-form requests as a proxy would; the
     * .invalid host is never resolved by us. */
    char proxy[64];
    snprintf (proxy, sizeof proxy, "http://127.0.0.1:%d", s_httpd.port);
    setenv ("http_proxy", proxy, 1);
    dt_fetch_options_t o = s_opts ();
    o.deny_private = 1;
    o.trusted_proxy = 1;
    s_got_t *g = s_fetch (&o, "http://proxied.invalid/size/10");
    unsetenv ("http_proxy");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->r.bytes, 10);
}

static void test_trusted_proxy_does_not_open_direct_connections (void)
{
    /* The proxy is 127.0.0.1 on another port; NO_PROXY sends this fetch
     * straight to the loopback server, which stays refused. */
    setenv ("http_proxy", "http://127.0.0.1:1", 1);
    setenv ("NO_PROXY", "127.0.0.1", 1);
    dt_fetch_options_t o = s_opts ();
    o.deny_private = 1;
    o.trusted_proxy = 1;
    s_got_t *g = s_fetch (&o, "/size/10");
    unsetenv ("http_proxy");
    unsetenv ("NO_PROXY");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "not allowed"));
}

static void test_redirect_chain_gives_the_final_url (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/redirect/3");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK_EQ (g->r.bytes, 4);
    char url[256];
    s_url (url, sizeof url, "/redirect/0");
    DT_CHECK (strcmp (g->final_url, url) == 0);
}

/* DT_LIMIT_REDIRECTS_MAX redirects are followed; one more fails. */
static void test_five_redirects_are_followed (void)
{
    dt_fetch_options_t o = s_opts ();
    char path[32];
    snprintf (path, sizeof path, "/redirect/%d", DT_LIMIT_REDIRECTS_MAX);
    s_got_t *g = s_fetch (&o, path);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.http_status, 200);
}

static void test_too_many_redirects_fail (void)
{
    dt_fetch_options_t o = s_opts ();
    char path[32];
    snprintf (path, sizeof path, "/redirect/%d", DT_LIMIT_REDIRECTS_MAX + 1);
    s_got_t *g = s_fetch (&o, path);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (g->error[0] != '\0');
}

static void test_slow_page_past_the_timeout_is_retried (void)
{
    dt_fetch_options_t o = s_opts ();
    o.timeout_ms = 300;
    s_got_t *g = s_fetch (&o, "/slow/5000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK (g->error[0] != '\0');
    DT_CHECK (g->r.elapsed_ms < 5000);
}

static void test_503_is_retried_with_its_status (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/status/503");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (g->r.http_status, 503);
    DT_CHECK (strstr (g->error, "503"));
}

static void test_429_is_retried (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "/status/429");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (g->r.http_status, 429);
}

/* A port nothing listens on: bound, then closed. */
static int s_closed_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind (fd, (struct sockaddr *) &a, sizeof a) == 0 &&
        getsockname (fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs (a.sin_port);
    close (fd);
    return port;
}

static void test_refused_connection_is_retried (void)
{
    int port = s_closed_port ();
    DT_CHECK (port > 0);
    char url[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/x", port);
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, url);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (g->r.http_status, 0);
    DT_CHECK (g->error[0] != '\0');
}

static void test_ftp_url_fails (void)
{
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, "ftp://127.0.0.1/file");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.http_status, 0);
    DT_CHECK (strstr (g->error, "scheme"));
}

static void test_body_over_max_bytes_fails (void)
{
    dt_fetch_options_t o = s_opts ();
    o.max_bytes = 1000;
    s_got_t *g = s_fetch (&o, "/size/5000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strcmp (g->error, "body over 1000 bytes") == 0);
    DT_CHECK (g->r.bytes <= 1000);
}

static void test_body_of_exactly_max_bytes_is_done (void)
{
    dt_fetch_options_t o = s_opts ();
    o.max_bytes = 5000;
    s_got_t *g = s_fetch (&o, "/size/5000");
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.bytes, 5000);
}

/* DT_LIMIT_BODY_MAX, the default body cap: a body of exactly it is done,
 * one byte more fails (the test server serves up to one byte over it). */
static void test_a_body_at_the_default_cap_is_done_and_one_byte_more_fails (void)
{
    dt_fetch_options_t o = s_opts ();
    DT_CHECK_EQ (o.max_bytes, DT_LIMIT_BODY_MAX);
    char path[48];
    snprintf (path, sizeof path, "/size/%lld", (long long) DT_LIMIT_BODY_MAX);
    s_got_t *g = s_fetch (&o, path);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->r.bytes, DT_LIMIT_BODY_MAX);
    snprintf (path, sizeof path, "/size/%lld", (long long) DT_LIMIT_BODY_MAX + 1);
    g = s_fetch (&o, path);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "body over"));
    DT_CHECK (g->r.bytes <= DT_LIMIT_BODY_MAX);
}

/* A one-shot raw HTTP server for answers dt_httpd.py never gives: listens
 * on 127.0.0.1, answers one connection with `response` and closes it.
 * Returns the child's pid and the port in *port_p, or -1. */
static pid_t s_raw_server (const char *response, int *port_p)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind (fd, (struct sockaddr *) &a, sizeof a) != 0 || listen (fd, 4) != 0 ||
        getsockname (fd, (struct sockaddr *) &a, &len) != 0) {
        close (fd);
        return -1;
    }
    *port_p = ntohs (a.sin_port);
    pid_t pid = fork ();
    if (pid != 0) {
        close (fd);
        return pid;
    }
    alarm (20); /* never outlives a broken test */
    int c = accept (fd, NULL, NULL);
    if (c >= 0) {
        char req[4096];
        if (read (c, req, sizeof req) > 0) {
            size_t off = 0, n = strlen (response);
            while (off < n) {
                ssize_t w = write (c, response + off, n - off);
                if (w <= 0)
                    break;
                off += (size_t) w;
            }
        }
        close (c);
    }
    _exit (0);
}

static void s_raw_server_stop (pid_t pid)
{
    if (pid > 0) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
}

static void test_body_over_max_bytes_without_content_length_fails (void)
{
    /* No Content-Length: the body runs until the connection closes, so only
     * the byte counter can stop it. */
    static char response[8192];
    int n = snprintf (response, sizeof response,
                      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
    memset (response + n, 'x', 3000);
    response[n + 3000] = '\0';
    int port = 0;
    pid_t pid = s_raw_server (response, &port);
    DT_CHECK (pid > 0);
    char url[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/stream", port);
    dt_fetch_options_t o = s_opts ();
    o.max_bytes = 1000;
    s_got_t *g = s_fetch (&o, url);
    s_raw_server_stop (pid);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK_EQ (g->r.http_status, 200);
    DT_CHECK (strcmp (g->error, "body over 1000 bytes") == 0);
    DT_CHECK (g->r.bytes <= 1000);
}

static void test_redirect_to_another_scheme_fails (void)
{
    int port = 0;
    pid_t pid = s_raw_server ("HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/secret\r\n"
                              "Content-Length: 0\r\nConnection: close\r\n\r\n",
                              &port);
    DT_CHECK (pid > 0);
    char url[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/to-ftp", port);
    dt_fetch_options_t o = s_opts ();
    s_got_t *g = s_fetch (&o, url);
    s_raw_server_stop (pid);
    DT_CHECK (g);
    DT_CHECK_EQ (g->r.outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "ftp"));
}

/* Runs 40 /page/K fetches at once on `h`; returns the first problem, or NULL. */
static const char *s_page_round (dt_handler_t *h, int first)
{
    s_reset ();
    for (int k = 0; k < 40; k++) {
        char path[64], url[256];
        snprintf (path, sizeof path, "/page/%d", first + k);
        s_url (url, sizeof url, path);
        if (s_start_url (h, (uint64_t) k, 2, url) != 0)
            return "start failed";
    }
    if (s_run (h, 40) != 40)
        return "not every fetch completed";
    if (dt_handler_running (h) != 0)
        return "fetches still running after all completed";
    for (int k = 0; k < 40; k++) {
        const s_got_t *g = &s_got[k];
        if (g->calls != 1)
            return "a fetch completed more than once";
        if (g->r.outcome != DT_OUTCOME_DONE || g->r.attempt != 2)
            return "a fetch is not done, or lost its attempt number";
        if (g->r.bytes != (uint64_t) (1024 + (first + k) % 101))
            return "a page has the wrong byte count";
        if (strncmp (g->content_type, "text/html", 9) != 0)
            return "a page has the wrong content type";
    }
    return NULL;
}

static void test_many_fetches_at_once_each_complete_once (void)
{
    dt_fetch_options_t o = s_opts ();
    char err[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    /* The second round reuses the first round's handles and connections. */
    const char *problem = s_page_round (h, 0);
    if (!problem)
        problem = s_page_round (h, 40);
    dt_handler_destroy (&h);
    if (problem)
        fprintf (stderr, "    %s\n", problem);
    DT_CHECK (problem == NULL);
}

/* Client sockets of this network namespace connected to the test server:
 * ESTABLISHED rows of /proc/net/tcp whose remote port is the server's. */
static int s_connections_to_server (void)
{
    FILE *f = fopen ("/proc/net/tcp", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets (line, sizeof line, f)) {
        unsigned rport, state;
        if (sscanf (line, " %*d: %*x:%*x %*x:%x %x", &rport, &state) == 2 &&
            (int) rport == s_httpd.port && state == 0x01)
            n++;
    }
    fclose (f);
    return n;
}

static void test_idle_connections_are_kept_through_a_lull (void)
{
    dt_fetch_options_t o = s_opts ();
    char err[256], url[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    /* 8 at once open 8 connections; then one fetch at a time, as when the
     * worker waits for tasks. curl's default cache (4x the transfers in the
     * multi handle at the time) would close one idle connection per fetch
     * down to 4; sized to the peak it keeps all 8. */
    s_reset ();
    for (int k = 0; k < 8; k++) {
        snprintf (url, sizeof url, "http://127.0.0.1:%d/page/%d", s_httpd.port, k);
        DT_CHECK (s_start_url (h, (uint64_t) k, 1, url) == 0);
    }
    size_t got = s_run (h, 8);
    int opened = s_connections_to_server ();
    for (int k = 0; k < 6 && got == 8; k++) {
        s_reset ();
        snprintf (url, sizeof url, "http://127.0.0.1:%d/page/%d", s_httpd.port, 100 + k);
        if (s_start_url (h, 0, 1, url) != 0 || s_run (h, 1) != 1)
            got = 0;
    }
    int kept = s_connections_to_server ();
    dt_handler_destroy (&h);
    DT_CHECK_EQ (got, 8);
    DT_CHECK_EQ (opened, 8);
    DT_CHECK_EQ (kept, 8);
}

static void test_destroy_abandons_running_fetches (void)
{
    s_reset ();
    dt_fetch_options_t o = s_opts ();
    char err[256], url[256];
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    s_url (url, sizeof url, "/slow/2000");
    int rc = s_start_url (h, 0, 1, url);
    if (rc == 0) {
        dt_handler_perform (h);
        dt_handler_wait (h, -1, 50);
        dt_handler_perform (h);
    }
    size_t running = dt_handler_running (h);
    dt_handler_destroy (&h);
    DT_CHECK (h == NULL);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (running, 1);
    DT_CHECK_EQ (s_completions, 0);
}

/* ---- The test server -------------------------------------------------- */

/* tests/http/dt_httpd.py: from DTASK_TESTS when ctest sets it, else next to
 * this file's directory. */
/* Fetches `path` as a task with T.flags `flags`; the result in s_got[0]. */
static s_got_t *s_fetch_flags (const char *path, uint32_t flags)
{
    s_reset ();
    char err[256], url[1024];
    s_url (url, sizeof url, path);
    dt_fetch_options_t o = s_opts ();
    dt_handler_t *h = dt_fetch_new (&o, s_on_done, NULL, err, sizeof err);
    if (!h)
        return NULL;
    dt_handler_task_t task = {.id = 0,
                              .task_id = 1,
                              .attempt = 1,
                              .payload = url,
                              .payload_len = strlen (url),
                              .flags = flags};
    if (dt_handler_start (h, &task) == 0)
        s_run (h, 1);
    dt_handler_destroy (&h);
    return s_got[0].have ? &s_got[0] : NULL;
}

static void test_a_body_task_sends_its_body_cut_past_the_robots_cap (void)
{
    s_got_t *g = s_fetch_flags ("/size/100", DT_TASK_BODY);
    DT_CHECK (g && g->r.outcome == DT_OUTCOME_DONE && g->output_len == 100);
    DT_CHECK (g && memcmp (g->output, "dtask test body", 15) == 0);
    /* A 10 MB robots.txt: the transfer ends one byte past what is parsed,
     * and that is a success, not "body too large". */
    g = s_fetch_flags ("/size/10485760", DT_TASK_BODY);
    DT_CHECK (g && g->r.outcome == DT_OUTCOME_DONE && g->r.http_status == 200);
    DT_CHECK (g && g->output_len == DT_FETCH_BODY_MAX && g->r.bytes == DT_FETCH_BODY_MAX);
    /* Without the flag nothing comes back. */
    g = s_fetch_flags ("/size/100", 0);
    DT_CHECK (g && g->output_len == 0 && g->r.bytes == 100);
}

static void test_a_429_brings_its_retry_after_back_in_ms (void)
{
    s_got_t *g = s_fetch_flags ("/retry-after/unit-secs/5", 0);
    DT_CHECK (g && g->r.outcome == DT_OUTCOME_RETRY && g->r.http_status == 429);
    DT_CHECK (g && g->r.retry_after_ms == 5000);
    g = s_fetch_flags ("/retry-after/unit-date/5?date=1", 0);
    DT_CHECK (g && g->r.http_status == 429);
    /* An HTTP date has whole seconds: 4 or 5 s from now when it is read. */
    DT_CHECK (g && g->r.retry_after_ms >= 3000 && g->r.retry_after_ms <= 5000);
    /* The second request of a key is answered 200: no pause. */
    g = s_fetch_flags ("/retry-after/unit-secs/5", 0);
    DT_CHECK (g && g->r.http_status == 200 && g->r.retry_after_ms == 0);
}

static void test_a_retry_after_value_is_seconds_or_a_date_and_capped (void)
{
    time_t now = 1700000000; /* 2023-11-14T22:13:20Z */
    DT_CHECK_EQ (dt_fetch_retry_after (" 120\r\n", 6, now), 120000);
    DT_CHECK_EQ (dt_fetch_retry_after ("0", 1, now), 0);
    DT_CHECK_EQ (dt_fetch_retry_after ("soon", 4, now), 0);
    DT_CHECK_EQ (dt_fetch_retry_after ("-5", 2, now), 0);
    DT_CHECK_EQ (dt_fetch_retry_after ("12x", 3, now), 0);
    DT_CHECK_EQ (dt_fetch_retry_after ("", 0, now), 0);
    /* A year, in seconds or as a date, is cut to the cap. */
    DT_CHECK_EQ (dt_fetch_retry_after ("31536000", 8, now), DT_LIMIT_RETRY_AFTER_MAX_MS);
    DT_CHECK_EQ (dt_fetch_retry_after ("99999999999999999999999", 23, now),
                 DT_LIMIT_RETRY_AFTER_MAX_MS);
    const char *year = "Thu, 14 Nov 2024 22:13:20 GMT";
    DT_CHECK_EQ (dt_fetch_retry_after (year, strlen (year), now), DT_LIMIT_RETRY_AFTER_MAX_MS);
    const char *soon = "Tue, 14 Nov 2023 22:13:50 GMT";
    DT_CHECK_EQ (dt_fetch_retry_after (soon, strlen (soon), now), 30000);
    const char *past = "Wed, 21 Oct 2015 07:28:00 GMT";
    DT_CHECK_EQ (dt_fetch_retry_after (past, strlen (past), now), 0);
    /* Longer than any date: ignored, not read past. */
    char big[200];
    memset (big, '9', sizeof big);
    DT_CHECK_EQ (dt_fetch_retry_after (big, sizeof big, now), 0);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"200 gives the exact byte count", test_200_gives_the_exact_byte_count},
        {"a body task sends its body, cut past the robots cap",
         test_a_body_task_sends_its_body_cut_past_the_robots_cap},
        {"a 429 brings its Retry-After back in ms", test_a_429_brings_its_retry_after_back_in_ms},
        {"a Retry-After value is seconds or a date, and capped",
         test_a_retry_after_value_is_seconds_or_a_date_and_capped},
        {"empty body is done with zero bytes", test_empty_body_is_done_with_zero_bytes},
        {"404 is done with status 404", test_404_is_done_with_status_404},
        {"deny-private refuses a loopback server", test_deny_private_refuses_a_loopback_server},
        {"a trusted proxy is allowed and fetches for us",
         test_trusted_proxy_is_allowed_and_fetches_for_us},
        {"a trusted proxy does not open direct connections",
         test_trusted_proxy_does_not_open_direct_connections},
        {"redirect chain gives the final url", test_redirect_chain_gives_the_final_url},
        {"five redirects are followed", test_five_redirects_are_followed},
        {"too many redirects fail", test_too_many_redirects_fail},
        {"slow page past the timeout is retried", test_slow_page_past_the_timeout_is_retried},
        {"503 is retried with its status", test_503_is_retried_with_its_status},
        {"429 is retried", test_429_is_retried},
        {"refused connection is retried", test_refused_connection_is_retried},
        {"ftp url fails", test_ftp_url_fails},
        {"body over max-bytes fails", test_body_over_max_bytes_fails},
        {"body of exactly max-bytes is done", test_body_of_exactly_max_bytes_is_done},
        {"a body at the default cap is done and one byte more fails",
         test_a_body_at_the_default_cap_is_done_and_one_byte_more_fails},
        {"body over max-bytes without a content-length fails",
         test_body_over_max_bytes_without_content_length_fails},
        {"redirect to another scheme fails", test_redirect_to_another_scheme_fails},
        {"many fetches at once each complete once", test_many_fetches_at_once_each_complete_once},
        {"idle connections are kept through a lull", test_idle_connections_are_kept_through_a_lull},
        {"destroy abandons running fetches", test_destroy_abandons_running_fetches},
        {0},
    };
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    if (dt_test_httpd_start (&s_httpd, "dtask-test-fetch") != 0) {
        dt_test_httpd_stop (&s_httpd);
        printf ("0 passed, 1 failed\n");
        return 1;
    }
    int rc = dt_test_run (tests);
    dt_test_httpd_stop (&s_httpd);
    curl_global_cleanup ();
    return rc;
}
