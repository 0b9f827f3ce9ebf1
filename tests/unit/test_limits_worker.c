/* test_limits_worker.c - worker caps of dt_limits.h at the cap and one beyond:
 * DT_LIMIT_STDIO_LINE_MAX (a --stdio child's reply line of exactly the cap, a full
 * DT_LIMIT_OUTPUT_MAX output with every byte escaped, is a result; one byte more fails the task and
 * the child is replaced) and DT_LIMIT_ROBOTS_TAG_MAX (an X-Robots-Tag value read to the cap). */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_pagelinks.h"
#include "dt_stdio.h"
#include "dt_test.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Replies to payload N with a line of DT_LIMIT_STDIO_LINE_MAX + N bytes
 * (the newline not counted): the output is DT_LIMIT_OUTPUT_MAX x's, each
 * written "\u0078", and spaces before the closing brace make up the rest. */
static const char s_child[] =
    "import json, sys\n"
    "for line in sys.stdin:\n"
    "    t = json.loads(line)\n"
    "    head = '{\"id\": %d, \"state\": \"done\", \"output\": \"' % t['id']\n"
    "    body = head + '\\\\u0078' * int(sys.argv[2]) + '\"'\n"
    "    pad = int(sys.argv[1]) + int(t['payload']) - len(body) - 1\n"
    "    sys.stdout.write(body + ' ' * pad + '}\\n')\n"
    "    sys.stdout.flush()\n";

typedef struct {
    int calls;
    uint8_t outcome;
    size_t output_len;
    int all_x;
    char error[DT_LIMIT_ERROR_MAX + 1];
} s_got_t;

static s_got_t s_got[4];
static size_t s_completions;

static void s_on_done (void *arg, const dt_handler_result_t *r)
{
    (void) arg;
    s_completions++;
    if (r->id >= 4)
        return;
    s_got_t *g = &s_got[r->id];
    g->calls++;
    g->outcome = r->outcome;
    g->output_len = r->output_len;
    g->all_x = 1;
    for (size_t i = 0; i < r->output_len; i++)
        g->all_x &= ((const char *) r->output)[i] == 'x';
    snprintf (g->error, sizeof g->error, "%s", r->error);
}

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs task `id` with `payload` alone until its completion (bounded). */
static s_got_t *s_one (dt_handler_t *h, uint64_t id, const char *payload)
{
    size_t before = s_completions;
    dt_handler_task_t task = {.id = id,
                              .task_id = 7000 + id,
                              .attempt = 1,
                              .payload = payload,
                              .payload_len = strlen (payload)};
    if (dt_handler_start (h, &task) != 0)
        return NULL;
    int64_t end = s_now_ms () + 120000; /* never reached unless something is broken */
    while (s_completions == before && s_now_ms () < end) {
        dt_handler_perform (h);
        if (s_completions != before)
            break;
        long ms = dt_handler_timeout (h);
        dt_handler_wait (h, -1, ms < 0 || ms > 200 ? 200 : (int) ms);
    }
    return s_completions == before ? NULL : &s_got[id];
}

static void test_a_reply_line_of_exactly_the_stdio_line_cap_is_a_result (void)
{
    char limit[32], output[32];
    snprintf (limit, sizeof limit, "%d", DT_LIMIT_STDIO_LINE_MAX);
    snprintf (output, sizeof output, "%d", DT_LIMIT_OUTPUT_MAX);
    char *argv[] = {"python3", "-c", (char *) s_child, limit, output, NULL};
    dt_exec_options_t opts;
    dt_exec_options_defaults (&opts);
    opts.kind = "wide";
    opts.argv = argv;
    char err[256];
    dt_handler_t *h = dt_stdio_new (&opts, 1, 1, s_on_done, NULL, err, sizeof err);
    DT_CHECK (h);
    /* At the cap: the whole output, unescaped. */
    s_got_t *g = s_one (h, 0, "0");
    DT_CHECK (g);
    DT_CHECK_EQ (g->outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->output_len, DT_LIMIT_OUTPUT_MAX);
    DT_CHECK (g->all_x);
    /* One byte beyond: refused before it is parsed. */
    g = s_one (h, 1, "1");
    DT_CHECK (g);
    DT_CHECK_EQ (g->outcome, DT_OUTCOME_FAIL);
    DT_CHECK (strstr (g->error, "a line over DT_LIMIT_STDIO_LINE_MAX"));
    /* The next task is served (by a new child). */
    g = s_one (h, 2, "0");
    DT_CHECK (g);
    DT_CHECK_EQ (g->outcome, DT_OUTCOME_DONE);
    DT_CHECK_EQ (g->output_len, DT_LIMIT_OUTPUT_MAX);
    DT_CHECK_EQ (s_got[0].calls + s_got[1].calls + s_got[2].calls, 3);
    dt_handler_destroy (&h);
}

/* An X-Robots-Tag value of DT_LIMIT_ROBOTS_TAG_MAX bytes that ends in
 * "nofollow" is obeyed; one byte longer, the cap cuts its last letter and
 * the page's links are kept. */
static void test_an_x_robots_tag_is_read_to_its_cap_and_no_further (void)
{
    static const char page[] = "<html><body><a href=\"/a\">a</a></body></html>";
    static const char tail[] = "dtask: nofollow";
    char line[DT_LIMIT_ROBOTS_TAG_MAX + 64];
    for (int extra = 0; extra <= 1; extra++) {
        /* "X-Robots-Tag:" then the value: spaces, then the directive at its end. */
        size_t value = DT_LIMIT_ROBOTS_TAG_MAX + extra, pad = value - (sizeof tail - 1);
        int n = snprintf (line, sizeof line, "X-Robots-Tag:");
        memset (line + n, ' ', pad);
        memcpy (line + n + pad, tail, sizeof tail - 1);
        memcpy (line + n + value, "\r\n", 2);
        dt_pagelinks_t *p = dt_pagelinks_new ();
        DT_CHECK (p);
        dt_pagelinks_header (p, line, (size_t) n + value + 2);
        dt_pagelinks_body (p, page, sizeof page - 1);
        size_t len = 0;
        dt_pagelinks_links (p, 200, "http://h.test/", "text/html", &len);
        dt_pagelinks_destroy (&p);
        if (extra == 0)
            DT_CHECK_EQ (len, 0);
        else
            DT_CHECK (len > 0);
    }
}

int main (void)
{
    static dt_test_t tests[] = {
        {"an x-robots-tag is read to its cap and no further",
         test_an_x_robots_tag_is_read_to_its_cap_and_no_further},
        {"a reply line of exactly the stdio line cap is a result, one byte more is refused",
         test_a_reply_line_of_exactly_the_stdio_line_cap_is_a_result},
        {0},
    };
    return dt_test_run (tests);
}
