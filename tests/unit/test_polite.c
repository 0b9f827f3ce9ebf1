/* test_polite.c - politeness per origin (dt_polite.h): origins, spacing of starts, grants without
 * head-of-line blocking, robots.txt fetches and verdicts, pauses, back-off, bounds. */
#include "dt_polite.h"
#include "dt_robots.h"
#include "dt_test.h"

#include <stdlib.h>
#include <string.h>

/* The grants the table made, in order. */
typedef struct {
    uint64_t ids[64];
    int count;
    uint64_t stale; /* an id to refuse, as a task that left the queue */
} s_grants_t;

static int s_grant (void *arg, uint64_t id, uint32_t gen)
{
    (void) gen;
    s_grants_t *g = arg;
    if (id == g->stale)
        return 0;
    if (g->count < 64)
        g->ids[g->count++] = id;
    return 1;
}

static dt_polite_verdict_t s_admit (dt_polite_t *p, const char *url, int robots, uint32_t delay,
                                    int granted, int64_t now, dt_polite_host_t **host, uint32_t *d,
                                    const char **why)
{
    dt_polite_rule_t rule = {robots, delay, NULL, NULL};
    return dt_polite_admit (p, url, strlen (url), &rule, granted, now, host, d, why);
}

/* The result of a request to `url` comes at `now`, saying it ran
 * `elapsed` ms. */
static void s_done (dt_polite_t *p, const char *url, int64_t now, uint32_t elapsed)
{
    dt_report_t r = {0};
    r.outcome = DT_OUTCOME_DONE;
    r.http_status = 200;
    r.elapsed_ms = elapsed;
    dt_polite_ended (p, url, strlen (url), DT_POLITE_END_RESULT, &r, now);
}

/* A result of `outcome`, `status` and `retry_after_ms` at `now`. */
static void s_end (dt_polite_t *p, const char *url, uint8_t outcome, uint16_t status,
                   uint32_t retry_after_ms, int64_t now)
{
    dt_report_t r = {0};
    r.outcome = outcome;
    r.http_status = status;
    r.retry_after_ms = retry_after_ms;
    dt_polite_ended (p, url, strlen (url), DT_POLITE_END_RESULT, &r, now);
}

static void test_an_origin_is_scheme_host_and_port (void)
{
    char o[DT_POLITE_ORIGIN_MAX + 1];
    DT_CHECK_EQ (dt_polite_origin ("HTTP://User@Example.ORG/a?b", 27, o, sizeof o), 21);
    DT_CHECK (strcmp (o, "http://example.org:80") == 0);
    DT_CHECK (dt_polite_origin ("https://a.test", 14, o, sizeof o) > 0 &&
              strcmp (o, "https://a.test:443") == 0);
    DT_CHECK (dt_polite_origin ("http://127.0.0.1:8080/x", 23, o, sizeof o) > 0 &&
              strcmp (o, "http://127.0.0.1:8080") == 0);
    DT_CHECK (dt_polite_origin ("http://[::1]:81/", 16, o, sizeof o) > 0 &&
              strcmp (o, "http://[::1]:81") == 0);
    DT_CHECK_EQ (dt_polite_origin ("no-scheme", 9, o, sizeof o), -1);
    DT_CHECK_EQ (dt_polite_origin ("http:///path", 12, o, sizeof o), -1);
    /* A host name longer than any DNS name does not fit. */
    char url[600] = "http://";
    memset (url + 7, 'a', 500);
    url[507] = '\0';
    DT_CHECK_EQ (dt_polite_origin (url, strlen (url), o, sizeof o), -1);
}

static void test_starts_at_one_origin_are_spaced_by_the_delay (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    DT_CHECK_EQ (s_admit (p, "http://a.test/1", 0, 500, 0, 1000, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 1000);
    DT_CHECK_EQ (s_admit (p, "http://a.test/2", 0, 500, 0, 1200, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_park (p, h, 2, 1, d, 0), 0);
    /* Under a delay one request is out at a time: the next is due once
     * the last one's result says when it began. */
    DT_CHECK_EQ (dt_polite_next_due (p), INT64_MAX);
    s_done (p, "http://a.test/1", 1010, 10);
    /* Another origin is not held up. */
    dt_polite_host_t *b;
    DT_CHECK_EQ (s_admit (p, "http://b.test/1", 0, 500, 0, 1200, &b, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, b, d, 1200);
    DT_CHECK_EQ (dt_polite_next_due (p), 1500);
    dt_polite_promote (p, 1499);
    DT_CHECK_EQ (g.count, 0);
    dt_polite_promote (p, 1500);
    DT_CHECK_EQ (g.count, 1);
    DT_CHECK_EQ (g.ids[0], 2);
    /* While one page is granted, a newcomer waits behind it. */
    DT_CHECK_EQ (s_admit (p, "http://a.test/3", 0, 500, 0, 1500, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_park (p, h, 3, 1, d, 0), 0);
    DT_CHECK_EQ (dt_polite_next_due (p), INT64_MAX);
    DT_CHECK_EQ (s_admit (p, "http://a.test/2", 0, 500, 1, 1510, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 1510);
    s_done (p, "http://a.test/2", 1520, 10);
    DT_CHECK_EQ (dt_polite_next_due (p), 2010);
    /* Granted at 2010, but it never left (the send failed): the origin is
     * free for it again at once. */
    dt_polite_promote (p, 2010);
    DT_CHECK_EQ (s_admit (p, "http://a.test/3", 0, 500, 1, 2010, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 2010);
    dt_polite_ended (p, "http://a.test/3", 15, DT_POLITE_END_UNSENT, NULL, 0);
    /* A request that reached the server late (it waited 600 ms in a
     * worker's queue): the next one is spaced from when it began there. */
    DT_CHECK_EQ (s_admit (p, "http://a.test/3", 0, 500, 0, 2600, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 2600);
    DT_CHECK_EQ (s_admit (p, "http://a.test/4", 0, 500, 0, 3200, &h, &d, &why), DT_POLITE_WAIT);
    dt_polite_park (p, h, 4, 1, d, 0);
    s_done (p, "http://a.test/3", 3300, 100); /* it began at 3200 */
    DT_CHECK_EQ (dt_polite_next_due (p), 3700);
    dt_polite_row_t row;
    DT_CHECK_EQ (dt_polite_row (p, "http://a.test/", 14, 3300, &row), 0);
    DT_CHECK (row.started == 4 && row.done == 3 && row.parked == 1 && row.next_ms == 400);
    dt_polite_destroy (&p);
    DT_CHECK (p == NULL);
}

static void test_a_paused_origin_holds_none_of_the_others (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    /* The slow origin: a 429 with Retry-After: 60 s. */
    dt_report_t busy = {.outcome = DT_OUTCOME_RETRY, .http_status = 429, .retry_after_ms = 60000};
    dt_polite_ended (p, "http://slow.test/x", 18, DT_POLITE_END_RESULT, &busy, 0);
    for (uint64_t id = 1; id <= 10; id++) {
        DT_CHECK_EQ (s_admit (p, "http://slow.test/y", 0, 0, 0, 10, &h, &d, &why), DT_POLITE_WAIT);
        dt_polite_park (p, h, id, 1, d, 0);
    }
    /* 100 fast origins all go at once. */
    char url[64];
    for (int i = 0; i < 100; i++) {
        snprintf (url, sizeof url, "http://f%d.test/", i);
        DT_CHECK_EQ (s_admit (p, url, 0, 1000, 0, 10, &h, &d, &why), DT_POLITE_GO);
        dt_polite_started (p, h, d, 10);
    }
    dt_polite_promote (p, 59999);
    DT_CHECK_EQ (g.count, 0);
    dt_polite_promote (p, 60000);
    DT_CHECK_EQ (g.count, 1);
    dt_polite_row_t row;
    DT_CHECK_EQ (dt_polite_row (p, "http://slow.test/", 17, 1000, &row), 0);
    DT_CHECK_EQ (row.parked, 9);
    DT_CHECK_EQ (row.next_ms, 59000);
    DT_CHECK_EQ (row.errors, 1);
    dt_polite_destroy (&p);
}

static void test_a_pause_is_capped_and_failures_back_off (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_row_t row;
    /* A year asked for: an hour kept. */
    s_end (p, "http://y.test/", 1, 503, UINT32_MAX, 0);
    DT_CHECK_EQ (dt_polite_row (p, "http://y.test/", 14, 0, &row), 0);
    DT_CHECK_EQ (row.next_ms, DT_POLITE_PAUSE_MAX_MS);
    /* Connect errors in a row: base, 2 base, 4 base ... up to the cap; a
     * success ends it. */
    for (int i = 1; i <= 20; i++) {
        s_end (p, "http://e.test/", 1, 0, 0, 0);
        DT_CHECK_EQ (dt_polite_row (p, "http://e.test/", 14, 0, &row), 0);
        uint64_t want = (uint64_t) DT_POLITE_BACKOFF_BASE_MS << (i - 1);
        if (want > DT_POLITE_BACKOFF_MAX_MS)
            want = DT_POLITE_BACKOFF_MAX_MS;
        DT_CHECK_EQ ((uint64_t) row.next_ms, want);
    }
    s_end (p, "http://e.test/", 0, 200, 0, DT_POLITE_BACKOFF_MAX_MS);
    s_end (p, "http://e.test/", 1, 0, 0, DT_POLITE_BACKOFF_MAX_MS);
    DT_CHECK_EQ (dt_polite_row (p, "http://e.test/", 14, DT_POLITE_BACKOFF_MAX_MS, &row), 0);
    DT_CHECK_EQ (row.next_ms, DT_POLITE_BACKOFF_BASE_MS);
    /* A 404 and a lost lease say nothing against the host. */
    s_end (p, "http://n.test/", 0, 404, 0, 0);
    dt_polite_ended (p, "http://n.test/", 14, DT_POLITE_END_LOST, NULL, 0);
    DT_CHECK (dt_polite_row (p, "http://n.test/", 14, 0, &row) != 0 || row.next_ms == 0);
    dt_polite_destroy (&p);
}

/* Runs the robots.txt fetch of the origin waiting, answering `status`
 * and `body`. */
static void s_fetch (dt_polite_t *p, uint16_t status, const char *body, int64_t now)
{
    dt_msg_task_t item;
    dt_task_t *task = dt_polite_fetch_take (p, &item);
    DT_CHECK (task != NULL);
    if (!task)
        return;
    DT_CHECK (dt_polite_owns (item.id));
    DT_CHECK_EQ (item.flags, DT_TASK_BODY);
    DT_CHECK (item.payload.len > 11 &&
              memcmp (item.payload.ptr + item.payload.len - 11, "/robots.txt", 11) == 0);
    dt_polite_fetch_lease (p, task, now);
    DT_CHECK (dt_polite_fetch_find (p, item.id) == task);
    dt_report_t r = {0};
    r.id = item.id;
    r.attempt = 1;
    r.outcome = status >= 500 ? 1 : 0;
    r.http_status = status;
    r.output = dt_str_n (body, strlen (body));
    dt_polite_fetch_done (p, task, &r, now);
}

static void test_pages_wait_for_robots_txt_then_obey_it (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why = NULL;
    DT_CHECK_EQ (s_admit (p, "http://r.test/a", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    dt_polite_park (p, h, 1, 1, d, 0);
    DT_CHECK_EQ (s_admit (p, "http://r.test/private/b", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    dt_polite_park (p, h, 2, 1, d, 0);
    /* One fetch for the origin, however many pages wait; none granted
     * before it came. */
    DT_CHECK_EQ (dt_polite_fetches (p), 1);
    dt_polite_promote (p, 100);
    DT_CHECK_EQ (g.count, 0);
    s_fetch (p, 200, "User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n", 10);
    DT_CHECK_EQ (dt_polite_fetches (p), 0);
    dt_polite_promote (p, 10);
    /* The page was parked under no delay: granted now, and then it learns
     * of the Crawl-delay, counted from the fetch (a start too). */
    DT_CHECK_EQ (g.count, 1);
    DT_CHECK_EQ (s_admit (p, "http://r.test/a", 1, 0, 1, 11, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (d, 2000); /* Crawl-delay: 2 */
    dt_polite_park (p, h, 1, 1, d, 1);
    dt_polite_promote (p, 2009);
    DT_CHECK_EQ (g.count, 1);
    dt_polite_promote (p, 2010);
    DT_CHECK_EQ (g.count, 2);
    DT_CHECK_EQ (s_admit (p, "http://r.test/a", 1, 0, 1, 2010, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 2010);
    dt_polite_promote (p, 4010);
    DT_CHECK_EQ (g.ids[2], 2);
    DT_CHECK_EQ (s_admit (p, "http://r.test/private/b", 1, 0, 1, 4010, &h, &d, &why),
                 DT_POLITE_DENY);
    DT_CHECK (why && strcmp (why, DT_POLITE_DISALLOWED) == 0);
    /* A job that does not obey robots.txt is not refused. */
    DT_CHECK_EQ (s_admit (p, "http://r.test/private/c", 0, 0, 0, 9000, &h, &d, &why), DT_POLITE_GO);
    dt_polite_row_t row;
    DT_CHECK_EQ (dt_polite_row (p, "http://r.test/", 14, 9000, &row), 0);
    DT_CHECK_EQ (row.robots, DT_POLITE_ROBOTS_RULES);
    DT_CHECK_EQ (row.denied, 1);
    dt_polite_destroy (&p);
}

static void test_robots_txt_status_decides_for_the_whole_origin (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why = NULL;
    DT_CHECK_EQ (s_admit (p, "http://four.test/x", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (s_admit (p, "http://five.test/x", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_fetches (p), 2);
    s_fetch (p, 404, "", 0);
    s_fetch (p, 503, "", 0);
    DT_CHECK_EQ (s_admit (p, "http://four.test/x", 1, 0, 0, 1, &h, &d, &why), DT_POLITE_GO);
    DT_CHECK_EQ (s_admit (p, "http://five.test/x", 1, 0, 0, 1, &h, &d, &why), DT_POLITE_DENY);
    DT_CHECK (strcmp (why, DT_POLITE_UNAVAILABLE) == 0);
    /* A worker that ignored the BODY flag: bytes but no body, not "no rules". */
    DT_CHECK_EQ (s_admit (p, "http://nobody.test/x", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    dt_msg_task_t item;
    dt_task_t *task = dt_polite_fetch_take (p, &item);
    DT_CHECK (task != NULL);
    if (task) {
        dt_polite_fetch_lease (p, task, 0);
        dt_report_t r = {.id = item.id, .attempt = 1, .http_status = 200, .bytes = 40};
        dt_polite_fetch_done (p, task, &r, 0);
    }
    DT_CHECK_EQ (s_admit (p, "http://nobody.test/x", 1, 0, 0, 1, &h, &d, &why), DT_POLITE_DENY);
    /* ... until it is fetched again, DT_ROBOTS_RETRY_S later. */
    int64_t later = (int64_t) DT_ROBOTS_RETRY_S * 1000;
    DT_CHECK_EQ (s_admit (p, "http://five.test/x", 1, 0, 0, later, &h, &d, &why), DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_fetches (p), 1);
    dt_polite_destroy (&p);
}

static void test_a_lost_robots_fetch_is_sent_again_then_counts_as_unreachable (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why = NULL;
    DT_CHECK_EQ (s_admit (p, "http://lost.test/x", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    for (int i = 0; i < DT_POLITE_FETCH_LOST_MAX; i++) {
        dt_msg_task_t item;
        dt_task_t *task = dt_polite_fetch_take (p, &item);
        DT_CHECK (task != NULL);
        if (!task)
            break;
        DT_CHECK_EQ (item.attempt, (uint32_t) i + 1);
        if (i == 0) { /* not sent: back first in line */
            dt_polite_fetch_untake (p, task);
            task = dt_polite_fetch_take (p, &item);
        }
        dt_polite_fetch_lease (p, task, 0);
        dt_polite_fetch_lost (p, task, 0);
    }
    DT_CHECK_EQ (dt_polite_fetches (p), 0);
    DT_CHECK_EQ (s_admit (p, "http://lost.test/x", 1, 0, 0, 1, &h, &d, &why), DT_POLITE_DENY);
    dt_polite_destroy (&p);
}

static void test_stale_grants_are_skipped_and_a_dropped_grant_frees_the_origin (void)
{
    s_grants_t g = {.stale = 1};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    DT_CHECK_EQ (s_admit (p, "http://s.test/0", 0, 100, 0, 1000, &h, &d, &why), DT_POLITE_GO);
    dt_polite_started (p, h, d, 1000);
    s_done (p, "http://s.test/0", 1050, 50);
    for (uint64_t id = 1; id <= 3; id++) {
        DT_CHECK_EQ (s_admit (p, "http://s.test/n", 0, 100, 0, 1000, &h, &d, &why), DT_POLITE_WAIT);
        dt_polite_park (p, h, id, 1, d, 0);
    }
    dt_polite_promote (p, 1100);
    DT_CHECK_EQ (g.count, 1);
    DT_CHECK_EQ (g.ids[0], 2); /* 1 left the queue */
    /* Task 2 is cancelled while granted: 3 may go. */
    dt_polite_ungrant (p, "http://s.test/n", 15);
    dt_polite_promote (p, 1100);
    DT_CHECK_EQ (g.count, 2);
    DT_CHECK_EQ (g.ids[1], 3);
    /* Granted, but another limit parked it: the origin is free again. */
    DT_CHECK_EQ (s_admit (p, "http://s.test/n", 0, 100, 1, 1100, &h, &d, &why), DT_POLITE_GO);
    dt_polite_skipped (p, h);
    DT_CHECK_EQ (s_admit (p, "http://s.test/m", 0, 100, 0, 1100, &h, &d, &why), DT_POLITE_GO);
    dt_polite_destroy (&p);
}

/* The verdict robots.txt `rules` gives the page `url`. */
static dt_polite_verdict_t s_verdict (const char *rules, const char *url)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    dt_polite_verdict_t v = s_admit (p, url, 1, 0, 0, 1000, &h, &d, &why);
    if (v == DT_POLITE_WAIT) {
        s_fetch (p, 200, rules, 1000);
        v = s_admit (p, url, 1, 0, 0, 2000, &h, &d, &why);
    }
    dt_polite_destroy (&p);
    return v;
}

static void test_the_path_checked_is_the_urls_path_and_query (void)
{
    /* The cases of Google's path extraction test that are URLs. */
    const char *exact = "User-agent: *\nDisallow: /a/b?c=d&e=f$\n";
    DT_CHECK_EQ (s_verdict (exact, "http://p.test/a/b?c=d&e=f#fragment"), DT_POLITE_DENY);
    DT_CHECK_EQ (s_verdict (exact, "http://p.test/a/b?c=d&e=f&g"), DT_POLITE_GO);
    const char *root = "User-agent: *\nDisallow: /$\n";
    DT_CHECK_EQ (s_verdict (root, "http://p.test"), DT_POLITE_DENY);
    DT_CHECK_EQ (s_verdict (root, "http://p.test/"), DT_POLITE_DENY);
    DT_CHECK_EQ (s_verdict (root, "http://p.test/a"), DT_POLITE_GO);
    DT_CHECK_EQ (s_verdict ("User-agent: *\nDisallow: /?a\n", "http://p.test?a"), DT_POLITE_DENY);
    DT_CHECK_EQ (s_verdict ("User-agent: *\nDisallow: /a;b$\n", "http://p.test/a;b#c"),
                 DT_POLITE_DENY);
    DT_CHECK_EQ (s_verdict ("User-agent: *\nDisallow: /a/b?c=http://d.e/$\n",
                            "http://user@p.test:80/a/b?c=http://d.e/"),
                 DT_POLITE_DENY);
    /* The dtask group is ours; another agent's is not. */
    DT_CHECK_EQ (s_verdict ("User-agent: dtask\nDisallow: /x\nUser-agent: *\nDisallow: /\n",
                            "http://p.test/y"),
                 DT_POLITE_GO);
    DT_CHECK_EQ (s_verdict ("User-agent: otherbot\nDisallow: /\n", "http://p.test/y"),
                 DT_POLITE_GO);
}

static void test_each_product_token_gets_its_own_group (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    char agent[DT_POLITE_AGENT_MAX + 1];
    dt_polite_agent ("MyBot/2.1 (+http://x)", 21, agent);
    DT_CHECK (strcmp (agent, "mybot") == 0);
    dt_polite_agent ("/1.0", 4, agent);
    DT_CHECK (agent[0] == '\0');
    dt_polite_rule_t ours = {1, 0, NULL, NULL}, theirs = {1, 0, "mybot", NULL},
                     third = {1, 0, "otherbot", NULL};
    /* Two tokens waiting at once: one fetch answers both. */
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/x", 15, &ours, 0, 1000, &h, &d, &why),
                 DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/x", 15, &theirs, 0, 1000, &h, &d, &why),
                 DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_fetches (p), 1);
    s_fetch (p, 200, "User-agent: mybot\nDisallow: /x\n\nUser-agent: *\nDisallow: /y\n", 1000);
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/x", 15, &ours, 0, 2000, &h, &d, &why),
                 DT_POLITE_GO);
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/y", 15, &ours, 0, 2000, &h, &d, &why),
                 DT_POLITE_DENY);
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/x", 15, &theirs, 0, 2000, &h, &d, &why),
                 DT_POLITE_DENY);
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/y", 15, &theirs, 0, 2000, &h, &d, &why),
                 DT_POLITE_GO);
    /* A token met later asks again. */
    DT_CHECK_EQ (dt_polite_admit (p, "http://t.test/y", 15, &third, 0, 2000, &h, &d, &why),
                 DT_POLITE_WAIT);
    DT_CHECK_EQ (dt_polite_fetches (p), 1);
    dt_polite_destroy (&p);
}

static void test_the_origin_table_stays_bounded (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    char url[64];
    /* Twice the cap of idle origins, met one after the other. */
    for (int i = 0; i < 2 * DT_POLITE_HOSTS_MAX; i++) {
        snprintf (url, sizeof url, "http://h%d.test/", i);
        DT_CHECK_EQ (s_admit (p, url, 0, 0, 0, 1000 + i, &h, &d, &why), DT_POLITE_GO);
        dt_polite_started (p, h, d, 1000 + i);
        s_done (p, url, 1000 + i, 0);
    }
    dt_polite_row_t row;
    DT_CHECK (dt_polite_row (p, "http://h0.test/", 15, 0, &row) != 0);
    snprintf (url, sizeof url, "http://h%d.test/", 2 * DT_POLITE_HOSTS_MAX - 1);
    DT_CHECK_EQ (dt_polite_row (p, url, strlen (url), 0, &row), 0);
    dt_polite_destroy (&p);
}

static void test_a_hostile_robots_txt_is_bounded (void)
{
    s_grants_t g = {0};
    dt_polite_t *p = dt_polite_new (s_grant, &g);
    dt_polite_host_t *h;
    uint32_t d;
    const char *why;
    /* What a worker sends for a 10 MB file: one byte past the cap. */
    size_t n = DT_LIMIT_ROBOTS_MAX + 1;
    char *body = malloc (n + 1);
    DT_CHECK (body != NULL);
    if (!body)
        return;
    const char *head = "User-agent: *\nDisallow: /private/\n";
    memset (body, '#', n);
    memcpy (body, head, strlen (head));
    for (size_t i = 100; i < n; i += 100)
        body[i] = '\n';
    body[n] = '\0';
    DT_CHECK_EQ (s_admit (p, "http://big.test/private/x", 1, 0, 0, 0, &h, &d, &why),
                 DT_POLITE_WAIT);
    s_fetch (p, 200, body, 0);
    DT_CHECK_EQ (s_admit (p, "http://big.test/private/x", 1, 0, 0, 1, &h, &d, &why),
                 DT_POLITE_DENY);
    dt_polite_row_t row;
    DT_CHECK_EQ (dt_polite_row (p, "http://big.test/", 16, 1, &row), 0);
    DT_CHECK_EQ (row.robots, DT_POLITE_ROBOTS_TRUNCATED);
    /* Binary noise: no rules, everything allowed. */
    for (size_t i = 0; i < n; i++)
        body[i] = (char) (i * 7919 % 256);
    DT_CHECK_EQ (s_admit (p, "http://noise.test/x", 1, 0, 0, 0, &h, &d, &why), DT_POLITE_WAIT);
    dt_msg_task_t item;
    dt_task_t *task = dt_polite_fetch_take (p, &item);
    dt_polite_fetch_lease (p, task, 0);
    dt_report_t r = {0};
    r.id = item.id;
    r.attempt = 1;
    r.http_status = 200;
    r.output = dt_str_n (body, n);
    dt_polite_fetch_done (p, task, &r, 0);
    DT_CHECK_EQ (s_admit (p, "http://noise.test/x", 1, 0, 0, 1, &h, &d, &why), DT_POLITE_GO);
    free (body);
    dt_polite_destroy (&p);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"an origin is scheme, host and port", test_an_origin_is_scheme_host_and_port},
        {"starts at one origin are spaced by the delay, from when the last one began",
         test_starts_at_one_origin_are_spaced_by_the_delay},
        {"a paused origin holds none of the others", test_a_paused_origin_holds_none_of_the_others},
        {"a pause is capped and failures back off", test_a_pause_is_capped_and_failures_back_off},
        {"pages wait for robots.txt, then obey it", test_pages_wait_for_robots_txt_then_obey_it},
        {"robots.txt's status decides for the whole origin",
         test_robots_txt_status_decides_for_the_whole_origin},
        {"a lost robots.txt fetch is sent again, then counts as unreachable",
         test_a_lost_robots_fetch_is_sent_again_then_counts_as_unreachable},
        {"stale grants are skipped and a dropped grant frees the origin",
         test_stale_grants_are_skipped_and_a_dropped_grant_frees_the_origin},
        {"the path checked is the URL's path and query",
         test_the_path_checked_is_the_urls_path_and_query},
        {"each product token gets its own group", test_each_product_token_gets_its_own_group},
        {"the origin table stays bounded", test_the_origin_table_stays_bounded},
        {"a hostile robots.txt is bounded", test_a_hostile_robots_txt_is_bounded},
        {0},
    };
    return dt_test_run (tests);
}
