/* test_httpcheck.c - the one rule for a job's headers and User-Agent (common/dt_httpcheck), at and
 * beyond its caps, and the worker applying a job's options over its own (worker/dt_jobopt). */
#include "dt_httpcheck.h"
#include "dt_jobopt.h"
#include "dt_limits.h"
#include "dt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_err[256];

static int s_header (const char *line)
{
    return dt_httpcheck_header (line, strlen (line), s_err, sizeof s_err);
}

static void test_a_header_is_a_token_a_colon_and_a_clean_value (void)
{
    DT_CHECK_EQ (s_header ("X-Job: 42"), 0);
    DT_CHECK_EQ (s_header ("Accept-Language: fr, en;q=0.5"), 0);
    DT_CHECK_EQ (s_header ("X-Empty:"), 0);
    DT_CHECK_EQ (s_header ("X-Tab: a\tb"), 0);
    DT_CHECK_EQ (s_header ("X-Latin: caf\xc3\xa9"), 0); /* obs-text passes */
    DT_CHECK_EQ (s_header ("!#$%&'*+-.^_`|~09azAZ: x"), 0);
    const char *bad[] = {"",        "no colon", ": no name", "Bad Name: x",
                         "X(y): z", "X: a\rb",  "X: a\nb",   "X: a\r\nInjected: 1",
                         "X: \x7f", "X\r: y",   "X: \x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_err[0] = '\0';
        DT_CHECK_EQ (s_header (bad[i]), -1);
        DT_CHECK (s_err[0] != '\0');
    }
    /* A NUL inside the bytes given (a wire string is not a C string). */
    DT_CHECK_EQ (dt_httpcheck_header ("X: a\0b", 6, s_err, sizeof s_err), -1);
    DT_CHECK (strstr (s_err, "control character") != NULL);
}

static void test_user_agent_at_and_over_its_cap (void)
{
    char ua[DT_LIMIT_USER_AGENT_MAX + 2];
    memset (ua, 'u', sizeof ua);
    DT_CHECK_EQ (dt_httpcheck_user_agent (ua, DT_LIMIT_USER_AGENT_MAX, s_err, sizeof s_err), 0);
    DT_CHECK_EQ (dt_httpcheck_user_agent (ua, DT_LIMIT_USER_AGENT_MAX + 1, s_err, sizeof s_err),
                 -1);
    DT_CHECK (strstr (s_err, "1 to 512 bytes") != NULL);
    DT_CHECK_EQ (dt_httpcheck_user_agent (ua, 0, s_err, sizeof s_err), -1);
    DT_CHECK_EQ (dt_httpcheck_user_agent ("bot\r\nX: y", 10, s_err, sizeof s_err), -1);
    DT_CHECK_EQ (dt_httpcheck_user_agent ("bot\0", 4, s_err, sizeof s_err), -1);
}

/* `n` lines "X-Hi: v..." joined by '\n', each padded so the list is
 * `bytes` long (bytes >= n * 8). Returns a malloc'd string. */
static char *s_list (unsigned n, size_t bytes)
{
    char *list = malloc (bytes + 1);
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t left = bytes - at - (n - 1 - i) * 9; /* room for the lines after */
        size_t len = i + 1 < n ? 8 : left;
        at += (size_t) snprintf (list + at, 8, "X-H%02u: ", i % 100);
        memset (list + at, 'v', len - 7);
        at += len - 7;
        if (i + 1 < n)
            list[at++] = '\n';
    }
    list[at] = '\0';
    return list;
}

static void test_header_list_at_and_over_its_caps (void)
{
    DT_CHECK_EQ (dt_httpcheck_headers ("", 0, s_err, sizeof s_err), 0);
    char *list = s_list (DT_LIMIT_HTTP_HEADERS_MAX, 32 * 9);
    DT_CHECK_EQ (strlen (list), 32 * 9);
    DT_CHECK_EQ (dt_httpcheck_headers (list, strlen (list), s_err, sizeof s_err), 0);
    free (list);
    list = s_list (DT_LIMIT_HTTP_HEADERS_MAX + 1, 33 * 9);
    DT_CHECK_EQ (dt_httpcheck_headers (list, strlen (list), s_err, sizeof s_err), -1);
    DT_CHECK (strstr (s_err, "more than 32 headers") != NULL);
    free (list);
    /* Bytes: at DT_LIMIT_HTTP_HEADERS_WIRE, and one over. */
    list = s_list (4, DT_LIMIT_HTTP_HEADERS_WIRE);
    DT_CHECK_EQ (strlen (list), DT_LIMIT_HTTP_HEADERS_WIRE);
    DT_CHECK_EQ (dt_httpcheck_headers (list, strlen (list), s_err, sizeof s_err), 0);
    free (list);
    list = s_list (4, DT_LIMIT_HTTP_HEADERS_WIRE + 1);
    DT_CHECK_EQ (dt_httpcheck_headers (list, strlen (list), s_err, sizeof s_err), -1);
    DT_CHECK (strstr (s_err, "8191 bytes") != NULL);
    free (list);
    /* The bad line is named; an empty line (a trailing '\n') is bad. */
    DT_CHECK_EQ (dt_httpcheck_headers ("A: 1\nB: 2\nC D: 3", 16, s_err, sizeof s_err), -1);
    DT_CHECK (strstr (s_err, "header 3:") != NULL);
    DT_CHECK_EQ (dt_httpcheck_headers ("A: 1\n", 5, s_err, sizeof s_err), -1);
    DT_CHECK (strstr (s_err, "header 2:") != NULL);
    DT_CHECK_EQ (dt_httpcheck_headers ("A: 1\r\nB: 2", 10, s_err, sizeof s_err), -1);
}

static void test_a_job_s_options_apply_over_the_worker_s (void)
{
    dt_httpopt_t worker;
    dt_httpopt_defaults (&worker);
    DT_CHECK_EQ (dt_httpopt_add_header (&worker, "X-Worker: 1", s_err, sizeof s_err), 0);
    dt_msg_httpopt_t h = {DT_HTTP_METHOD_HEAD,      1500, 700, 4096, 1, dt_str ("jobbot/1"),
                          dt_str ("X-A: 1\nX-B: 2")};
    dt_jobopt_t *o = dt_jobopt_new (&worker, &h);
    DT_CHECK (o && !dt_jobopt_error (o));
    const dt_httpopt_t *http = dt_jobopt_http (o);
    DT_CHECK (http->method == DT_HTTPOPT_HEAD && http->timeout_ms == 1500 &&
              http->connect_timeout_ms == 700 && http->max_bytes == 4096 && http->compressed);
    DT_CHECK (strcmp (http->user_agent, "jobbot/1") == 0);
    DT_CHECK_EQ (http->nheaders, 3);
    DT_CHECK (strcmp (dt_httpopt_header (http, 0), "X-Worker: 1") == 0);
    DT_CHECK (strcmp (dt_httpopt_header (http, 2), "X-B: 2") == 0);
    dt_jobopt_t *again = dt_jobopt_ref (o);
    dt_jobopt_unref (&o);
    DT_CHECK (o == NULL && dt_jobopt_http (again)->nheaders == 3);
    dt_jobopt_unref (&again);

    /* Nothing asked: the worker's, unchanged. */
    dt_msg_httpopt_t none = {0};
    o = dt_jobopt_new (&worker, &none);
    DT_CHECK (o && !dt_jobopt_error (o) &&
              memcmp (dt_jobopt_http (o), &worker, sizeof worker) == 0);
    dt_jobopt_unref (&o);

    /* 32 of the job's and the worker's one do not fit: refused, with why. */
    char *list = s_list (DT_LIMIT_HTTP_HEADERS_MAX, 32 * 9);
    dt_msg_httpopt_t many = {.headers = dt_str (list)};
    o = dt_jobopt_new (&worker, &many);
    DT_CHECK (o && dt_jobopt_error (o) && strstr (dt_jobopt_error (o), "job HTTP options: more"));
    dt_jobopt_unref (&o);
    free (list);

    /* What the codec lets through but the rule refuses never reaches a
     * usable value. */
    dt_msg_httpopt_t crlf = {.user_agent = dt_str ("a\r\nX-Injected: 1")};
    o = dt_jobopt_new (&worker, &crlf);
    DT_CHECK (o && dt_jobopt_error (o) && strstr (dt_jobopt_error (o), "control character"));
    dt_jobopt_unref (&o);
    dt_msg_httpopt_t nul = {.headers = dt_str_n ("X: a\0b", 6)};
    o = dt_jobopt_new (&worker, &nul);
    DT_CHECK (o && dt_jobopt_error (o));
    dt_jobopt_unref (&o);
    dt_msg_httpopt_t method = {.method = 3};
    o = dt_jobopt_new (&worker, &method);
    DT_CHECK (o && dt_jobopt_error (o));
    dt_jobopt_unref (&o);
}

static const dt_test_t s_tests[] = {
    {"a header is a token, a colon and a clean value",
     test_a_header_is_a_token_a_colon_and_a_clean_value},
    {"User-Agent at and over its cap", test_user_agent_at_and_over_its_cap},
    {"header list at and over its caps", test_header_list_at_and_over_its_caps},
    {"a job's options apply over the worker's", test_a_job_s_options_apply_over_the_worker_s},
    {0},
};

int main (void)
{
    return dt_test_run (s_tests);
}
