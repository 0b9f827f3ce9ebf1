/* test_limits.c - the master's own caps of dt_limits.h, at the cap and one beyond: what the master
 * keeps or refuses when a value is valid on the wire (the codec's at-limit tests cover the wire).
 */
#include "dt_frontier.h"
#include "dt_kinds.h"
#include "dt_limits.h"
#include "dt_robots.h"
#include "dt_msg.h"
#include "dt_test.h"
#include "dt_waiters.h"
#include "dt_workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_kinds_are_numbered_up_to_the_cap_and_the_next_is_refused (void)
{
    dt_kinds_t *kinds = dt_kinds_new ();
    DT_CHECK (kinds);
    /* "http" is number 0; DT_LIMIT_KINDS_MAX - 1 more fit. */
    char name[16];
    for (int k = 1; k < DT_LIMIT_KINDS_MAX; k++) {
        snprintf (name, sizeof name, "k%d", k);
        DT_CHECK_EQ (dt_kinds_index (kinds, dt_str (name)), k);
    }
    DT_CHECK_EQ (dt_kinds_count (kinds), DT_LIMIT_KINDS_MAX);
    DT_CHECK_EQ (dt_kinds_index (kinds, dt_str ("one-too-many")), -1);
    DT_CHECK_EQ (dt_kinds_find (kinds, dt_str ("one-too-many")), -1);
    DT_CHECK_EQ (dt_kinds_count (kinds), DT_LIMIT_KINDS_MAX);
    /* Those known are still found and numbered the same. */
    DT_CHECK_EQ (dt_kinds_index (kinds, dt_str ("k7")), 7);
    DT_CHECK_EQ (dt_kinds_index (kinds, dt_str ("http")), DT_KINDS_HTTP);
    dt_kinds_destroy (&kinds);
    DT_CHECK (kinds == NULL);
}

static void test_a_kind_name_of_the_cap_is_kept_whole_and_one_longer_is_refused (void)
{
    dt_kinds_t *kinds = dt_kinds_new ();
    DT_CHECK (kinds);
    char name[DT_LIMIT_KIND_MAX + 2];
    memset (name, 'k', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    dt_str_t at = dt_str_n (name, DT_LIMIT_KIND_MAX);
    int k = dt_kinds_index (kinds, at);
    DT_CHECK (k > 0);
    DT_CHECK_EQ (dt_kinds_name (kinds, k).len, DT_LIMIT_KIND_MAX);
    DT_CHECK (memcmp (dt_kinds_name (kinds, k).ptr, name, DT_LIMIT_KIND_MAX) == 0);
    DT_CHECK_EQ (dt_kinds_index (kinds, dt_str_n (name, DT_LIMIT_KIND_MAX + 1)), -1);
    DT_CHECK_EQ (dt_kinds_index (kinds, dt_str_n (name, 0)), -1);
    dt_kinds_destroy (&kinds);
}

static dt_peer_t s_peer (uint32_t n)
{
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = (uint32_t) snprintf ((char *) peer.id, sizeof peer.id, "\x01peer-%u", n);
    return peer;
}

static void test_a_worker_name_of_the_cap_is_kept_whole_and_a_longer_one_is_cut (void)
{
    dt_workers_t *workers = dt_workers_new ();
    DT_CHECK (workers);
    char name[DT_LIMIT_NAME_MAX + 8];
    memset (name, 'w', sizeof name);
    dt_peer_t a = s_peer (1), b = s_peer (2);
    dt_worker_t *at = dt_workers_add (workers, &a, dt_str_n (name, DT_LIMIT_NAME_MAX), 4);
    DT_CHECK (at);
    DT_CHECK_EQ (at->name_len, DT_LIMIT_NAME_MAX);
    DT_CHECK_EQ (strlen (at->name), DT_LIMIT_NAME_MAX);
    /* The codec refuses a longer one; the registry holds to the cap anyway. */
    dt_worker_t *over = dt_workers_add (workers, &b, dt_str_n (name, sizeof name), 4);
    DT_CHECK (over);
    DT_CHECK_EQ (over->name_len, DT_LIMIT_NAME_MAX);
    DT_CHECK_EQ (strlen (over->name), DT_LIMIT_NAME_MAX);
    dt_workers_destroy (&workers);
}

static void test_workers_register_up_to_the_cap_and_the_next_is_refused (void)
{
    dt_workers_t *workers = dt_workers_new ();
    DT_CHECK (workers);
    for (uint32_t i = 0; i < DT_LIMIT_WORKERS_MAX; i++) {
        dt_peer_t peer = s_peer (i);
        DT_CHECK (dt_workers_add (workers, &peer, dt_str ("w"), 1) != NULL);
    }
    dt_peer_t peer = s_peer (DT_LIMIT_WORKERS_MAX);
    DT_CHECK (dt_workers_add (workers, &peer, dt_str ("w"), 1) == NULL);
    DT_CHECK_EQ (dt_workers_count (workers), DT_LIMIT_WORKERS_MAX);
    dt_workers_destroy (&workers);
}

static void test_credit_never_passes_the_cap_however_many_results_come (void)
{
    dt_workers_t *workers = dt_workers_new ();
    DT_CHECK (workers);
    dt_peer_t peer = s_peer (1);
    dt_worker_t *w = dt_workers_add (workers, &peer, dt_str ("w"), DT_LIMIT_CREDIT_MAX);
    DT_CHECK (w);
    DT_CHECK_EQ (w->capacity, DT_WORKERS_CREDIT_START);
    for (uint32_t i = 0; i < 4 * DT_LIMIT_CREDIT_MAX; i++)
        dt_workers_returned (workers, w);
    DT_CHECK_EQ (w->credit, DT_LIMIT_CREDIT_MAX);
    DT_CHECK_EQ (w->capacity, DT_LIMIT_CREDIT_MAX);
    dt_workers_destroy (&workers);
}

static uint32_t s_answered;

static uint32_t s_page (void *arg, dt_waiter_t *waiter, int empty)
{
    (void) arg;
    (void) waiter;
    s_answered += empty;
    return 0;
}

static void test_parked_fetches_are_counted_by_address (void)
{
    dt_waiters_t *waiters = dt_waiters_new ();
    DT_CHECK (waiters);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_FETCH;
    msg.fetch.wait_ms = 30000;
    msg.fetch.max = 1;
    dt_peer_t peer = s_peer (1);
    for (uint32_t i = 0; i < DT_LIMIT_WAITERS_PER_ADDR; i++)
        DT_CHECK_EQ (dt_waiters_add (waiters, &peer, "127.0.0.2", &msg, 1000), 0);
    DT_CHECK_EQ (dt_waiters_add (waiters, &peer, "127.0.0.3", &msg, 1000), 0);
    DT_CHECK_EQ (dt_waiters_add (waiters, &peer, "", &msg, 1000), 0);
    /* The master refuses the next one from 127.0.0.2 by this count. */
    DT_CHECK_EQ (dt_waiters_count_addr (waiters, "127.0.0.2"), DT_LIMIT_WAITERS_PER_ADDR);
    DT_CHECK_EQ (dt_waiters_count_addr (waiters, "127.0.0.3"), 1);
    DT_CHECK_EQ (dt_waiters_count_addr (waiters, "127.0.0.4"), 0);
    DT_CHECK_EQ (dt_waiters_count (waiters), DT_LIMIT_WAITERS_PER_ADDR + 2);
    /* Answered ones leave the count. */
    s_answered = 0;
    dt_waiters_expire (waiters, 1000 + 30000, s_page, NULL);
    DT_CHECK_EQ (s_answered, DT_LIMIT_WAITERS_PER_ADDR + 2);
    DT_CHECK_EQ (dt_waiters_count_addr (waiters, "127.0.0.2"), 0);
    dt_waiters_destroy (&waiters);
}

static void test_a_fetch_beyond_the_whole_cap_is_answered_at_once (void)
{
    dt_waiters_t *waiters = dt_waiters_new ();
    DT_CHECK (waiters);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_FETCH;
    msg.fetch.wait_ms = DT_WAITERS_WAIT_MAX_MS + 1000;
    msg.fetch.max = 1;
    dt_peer_t peer = s_peer (1);
    for (uint32_t i = 0; i < DT_WAITERS_MAX + 1; i++)
        DT_CHECK_EQ (dt_waiters_add (waiters, &peer, "", &msg, 1000), 0);
    /* Those within the cap wait at most DT_WAITERS_WAIT_MAX_MS; the one
     * beyond does not wait at all. */
    s_answered = 0;
    DT_CHECK_EQ (dt_waiters_expire (waiters, 1000, s_page, NULL), 1000 + DT_WAITERS_WAIT_MAX_MS);
    DT_CHECK_EQ (s_answered, 1);
    dt_waiters_expire (waiters, 1000 + DT_WAITERS_WAIT_MAX_MS, s_page, NULL);
    DT_CHECK_EQ (s_answered, DT_WAITERS_MAX + 1);
    dt_waiters_destroy (&waiters);
}

/* DT_LIMIT_SCOPE_HOSTS: a host scope of that many seed hosts is kept,
 * one more is refused (a repeated host counts once). */
static void test_a_host_scope_holds_the_cap_of_seed_hosts_and_not_one_more (void)
{
    enum { N = DT_LIMIT_SCOPE_HOSTS + 1 };
    static char urls[N + 1][48];
    static dt_str_t seeds[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf (urls[i], sizeof urls[i], "http://h%d.example/", i);
        seeds[i] = dt_str (urls[i]);
    }
    seeds[N] = seeds[0]; /* a repeat */
    size_t len = 0;
    seeds[DT_LIMIT_SCOPE_HOSTS] = seeds[1];
    char *hosts = dt_frontier_seed_hosts (DT_SCOPE_HOST, seeds, N + 1, &len);
    DT_CHECK (hosts && len > 0);
    free (hosts);
    seeds[DT_LIMIT_SCOPE_HOSTS] = dt_str (urls[DT_LIMIT_SCOPE_HOSTS]);
    hosts = dt_frontier_seed_hosts (DT_SCOPE_HOST, seeds, N + 1, &len);
    DT_CHECK (!hosts);
    DT_CHECK_EQ (len, 0);
}

/* DT_LIMIT_ROBOTS_LINE_MAX: a robots.txt line of exactly that many bytes
 * is read whole; one byte more is cut (and counted). */
static void test_a_robots_line_of_the_cap_is_read_whole_and_one_longer_is_cut (void)
{
    static char body[DT_LIMIT_ROBOTS_LINE_MAX + 64];
    for (int extra = 0; extra <= 1; extra++) {
        size_t line = DT_LIMIT_ROBOTS_LINE_MAX + (size_t) extra;
        int o = snprintf (body, sizeof body, "User-agent: dtask\n");
        memset (body + o, '#', line); /* a comment line: it holds no rule either way */
        body[o + line] = '\n';
        dt_robots_t *r = dt_robots_parse (body, (size_t) o + line + 1, "dtask");
        DT_CHECK (r);
        dt_robots_stats_t st;
        dt_robots_stats (r, &st);
        dt_robots_destroy (&r);
        DT_CHECK_EQ (st.lines_cut, extra);
    }
}

int main (void)
{
    dt_test_t tests[] = {
        {"a robots line of the cap is read whole and one longer is cut",
         test_a_robots_line_of_the_cap_is_read_whole_and_one_longer_is_cut},
        {"a host scope holds the cap of seed hosts and not one more",
         test_a_host_scope_holds_the_cap_of_seed_hosts_and_not_one_more},
        {"kinds are numbered up to the cap and the next is refused",
         test_kinds_are_numbered_up_to_the_cap_and_the_next_is_refused},
        {"a kind name of the cap is kept whole and one longer is refused",
         test_a_kind_name_of_the_cap_is_kept_whole_and_one_longer_is_refused},
        {"a worker name of the cap is kept whole and a longer one is cut",
         test_a_worker_name_of_the_cap_is_kept_whole_and_a_longer_one_is_cut},
        {"workers register up to the cap and the next is refused",
         test_workers_register_up_to_the_cap_and_the_next_is_refused},
        {"credit never passes the cap however many results come",
         test_credit_never_passes_the_cap_however_many_results_come},
        {"parked FETCHes are counted by address", test_parked_fetches_are_counted_by_address},
        {"a FETCH beyond the whole cap is answered at once",
         test_a_fetch_beyond_the_whole_cap_is_answered_at_once},
        {0},
    };
    return dt_test_run (tests);
}
