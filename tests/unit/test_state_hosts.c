/* test_state_hosts.c - --host-limit: the host key of a URL, the per-host table, and the model
 * handing out no more than the limit of one host's tasks while other hosts' tasks go on. */
#include "dt_hosts.h"
#include "dt_state.h"
#include "dt_test.h"

#include <stdio.h>
#include <string.h>

#define NOW 1000000

static uint64_t s_key (const char *url)
{
    return dt_hosts_key (url, strlen (url));
}

static void test_a_host_key_is_the_lowercased_name_alone (void)
{
    uint64_t a = s_key ("http://a.example/x");
    DT_CHECK (a != 0);
    DT_CHECK_EQ (s_key ("https://A.Example:8443/y?q=1"), a);
    DT_CHECK_EQ (s_key ("http://user:pw@a.example#f"), a);
    DT_CHECK_EQ (s_key ("http://a.example"), a);
    DT_CHECK (s_key ("http://b.example/x") != a);
    DT_CHECK (s_key ("http://a.example.org/x") != a);
    DT_CHECK_EQ (s_key ("http://[::1]:8080/x"), s_key ("http://[::1]/y"));
    DT_CHECK (s_key ("http://[::1]/") != s_key ("http://[::2]/"));
}

static void test_the_table_counts_parks_and_forgets_idle_hosts (void)
{
    dt_hosts_t *h = dt_hosts_new (2);
    DT_CHECK (h);
    uint64_t id;
    uint32_t gen;
    /* Many hosts, so removals shift probe chains around. */
    for (uint64_t k = 1; k <= 3000; k++) {
        DT_CHECK_EQ (dt_hosts_take (h, k * 7919), 1);
        DT_CHECK_EQ (dt_hosts_take (h, k * 7919), 1);
        DT_CHECK_EQ (dt_hosts_take (h, k * 7919), 0);
        DT_CHECK_EQ (dt_hosts_park (h, k * 7919, k, (uint32_t) k), 0);
    }
    DT_CHECK_EQ (dt_hosts_parked (h), 3000);
    for (uint64_t k = 1; k <= 3000; k += 2) {
        DT_CHECK_EQ (dt_hosts_give (h, k * 7919, &id, &gen), 1);
        DT_CHECK (id == k && gen == k);
        DT_CHECK_EQ (dt_hosts_give (h, k * 7919, &id, &gen), 0);
        DT_CHECK_EQ (dt_hosts_give (h, k * 7919, &id, &gen), 0); /* gone: nothing to give */
        DT_CHECK_EQ (dt_hosts_out (h, k * 7919), 0);
    }
    for (uint64_t k = 2; k <= 3000; k += 2) {
        DT_CHECK_EQ (dt_hosts_out (h, k * 7919), 2);
        DT_CHECK_EQ (dt_hosts_unpark (h, k * 7919, &id, &gen), 1);
        DT_CHECK_EQ (id, k);
        DT_CHECK_EQ (dt_hosts_unpark (h, k * 7919, &id, &gen), 0);
    }
    DT_CHECK_EQ (dt_hosts_parked (h), 0);
    /* A parked ring grows past its first size and keeps the order. */
    for (uint64_t i = 0; i < 100; i++)
        DT_CHECK_EQ (dt_hosts_park (h, 42, i, 0), 0);
    for (uint64_t i = 0; i < 100; i++) {
        DT_CHECK_EQ (dt_hosts_unpark (h, 42, &id, &gen), 1);
        DT_CHECK_EQ (id, i);
    }
    dt_hosts_destroy (&h);
    DT_CHECK (h == NULL);
    dt_hosts_destroy (&h);
}

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];

/* A memory model with --host-limit 2 and one chunk: URLs 1..6 on host a,
 * 7..8 on host b. */
static dt_state_t *s_model (void)
{
    dt_state_opts_t opts = {
        .max_attempts = 3, .retry_base_ms = 100, .task_ms = 1000, .host_limit = 2};
    dt_state_t *st = dt_state_new (&opts, NULL);
    if (!st)
        return NULL;
    char bufs[8][64];
    dt_str_t urls[8];
    for (int i = 0; i < 8; i++) {
        snprintf (bufs[i], sizeof bufs[i], "http://%s/%d", i < 6 ? "a.example" : "B.example:81", i);
        urls[i] = dt_str (bufs[i]);
    }
    uint64_t first;
    uint32_t count;
    char err[128];
    if (dt_state_submit (st, dt_str ("j"), 0, urls, 8, &first, &count, err, sizeof err) != 0)
        dt_state_destroy (&st);
    return st;
}

static dt_worker_t *s_worker (dt_state_t *st, const char *name)
{
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = strlen (name);
    memcpy (peer.id, name, peer.len);
    return dt_workers_add (dt_state_workers (st), &peer, dt_str (name), 100);
}

static uint32_t s_dispatch (dt_state_t *st, dt_worker_t *w)
{
    uint32_t n = dt_state_take (st, 100, s_items, s_tasks);
    dt_state_lease (st, w, s_tasks, n, NOW);
    return n;
}

static void s_done (dt_state_t *st, dt_worker_t *w, uint64_t id, uint32_t attempt, uint8_t outcome)
{
    dt_report_t r;
    memset (&r, 0, sizeof r);
    r.id = id;
    r.attempt = attempt;
    r.outcome = outcome;
    r.final_url = r.content_type = r.error = dt_str ("");
    dt_state_result (st, w, &r, NOW);
}

static void test_no_more_than_the_limit_of_one_host_is_out (void)
{
    dt_state_t *st = s_model ();
    DT_CHECK (st);
    dt_worker_t *w1 = s_worker (st, "w1"), *w2 = s_worker (st, "w2");
    DT_CHECK (w1 && w2);
    /* Two of a, both of b; a's other four wait, and nothing is runnable. */
    DT_CHECK_EQ (s_dispatch (st, w1), 4);
    DT_CHECK (s_items[0].id == 1 && s_items[1].id == 2 && s_items[2].id == 7 && s_items[3].id == 8);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    DT_CHECK_EQ (s_dispatch (st, w2), 0);
    /* One of a done: the oldest parked a goes next, to any worker. */
    s_done (st, w1, 1, 1, DT_OUTCOME_DONE);
    DT_CHECK_EQ (dt_state_queued (st), 1);
    DT_CHECK_EQ (s_dispatch (st, w2), 1);
    DT_CHECK_EQ (s_items[0].id, 3);
    /* A retry of a: its lease ends now, task 4 goes out, and task 2 waits
     * for its delay. */
    s_done (st, w1, 2, 1, DT_OUTCOME_RETRY);
    DT_CHECK_EQ (s_dispatch (st, w1), 1);
    DT_CHECK_EQ (s_items[0].id, 4);
    /* w2 is lost: its task 3 is queued again, and the slot it held goes to
     * the oldest parked task, 5; 3 waits behind the limit in its turn. */
    dt_state_drop_worker (st, &w2, NOW);
    DT_CHECK_EQ (s_dispatch (st, w1), 1);
    DT_CHECK_EQ (s_items[0].id, 5);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str ("j"), &stats);
    DT_CHECK_EQ (stats.inflight, 4); /* 4, 5 of a; 7, 8 of b */
    DT_CHECK_EQ (stats.pending, 2);  /* 3, 6 */
    DT_CHECK_EQ (stats.delayed, 1);  /* 2 */
    dt_state_destroy (&st);
}

static void test_cancelled_parked_tasks_are_skipped_and_untake_gives_back (void)
{
    dt_state_t *st = s_model ();
    DT_CHECK (st);
    dt_worker_t *w = s_worker (st, "w");
    /* Taken but not sent: the host's count comes back with them. */
    uint32_t n = dt_state_take (st, 100, s_items, s_tasks);
    DT_CHECK_EQ (n, 4);
    dt_state_untake (st, s_tasks, n);
    DT_CHECK_EQ (s_dispatch (st, w), 4);
    int of_a = 0, of_b = 0;
    for (int i = 0; i < 4; i++) {
        of_a += s_items[i].id <= 6;
        of_b += s_items[i].id >= 7;
    }
    DT_CHECK (of_a == 2 && of_b == 2);
    /* Cancelling ends everything, parked tasks included; the leases that
     * end then find only stale parked entries. */
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("j"), &count, NOW), 0);
    DT_CHECK_EQ (count, 8);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    dt_msg_stats_t stats;
    dt_state_stats (st, dt_str ("j"), &stats);
    DT_CHECK_EQ (stats.failed, 8);
    DT_CHECK_EQ (stats.pending + stats.inflight, 0);
    dt_state_destroy (&st);
}

/* An empty memory model with --host-limit 1. */
static dt_state_t *s_model_one (void)
{
    dt_state_opts_t opts = {
        .max_attempts = 3, .retry_base_ms = 100, .task_ms = 1000, .host_limit = 1};
    return dt_state_new (&opts, NULL);
}

static int s_submit (dt_state_t *st, const char *job, const char *url)
{
    dt_str_t u = dt_str (url);
    uint64_t first;
    uint32_t count;
    char err[128];
    return dt_state_submit (st, dt_str (job), 0, &u, 1, &first, &count, err, sizeof err);
}

/* A task cancelled while parked leaves a stale entry behind its host, with
 * nothing of that host out to clear it: it must not count as waiting, or
 * the master would see nothing to hand out. */
static void test_a_task_cancelled_while_parked_holds_nothing_up (void)
{
    dt_state_t *st = s_model_one ();
    DT_CHECK (st);
    dt_worker_t *w = s_worker (st, "w");
    DT_CHECK_EQ (s_submit (st, "x", "http://a/1"), 0);
    DT_CHECK_EQ (s_submit (st, "x2", "http://a/2"), 0);
    DT_CHECK_EQ (s_submit (st, "y", "http://b/1"), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 2); /* a/1 and b/1; a/2 parked */
    DT_CHECK_EQ (dt_state_queued (st), 0);
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("x2"), &count, NOW), 0);
    DT_CHECK_EQ (count, 1);
    DT_CHECK_EQ (s_submit (st, "z", "http://c/1"), 0);
    DT_CHECK_EQ (dt_state_queued (st), 1);
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK_EQ (s_items[0].id, 4);
    /* a/1 ends: nothing live is parked behind it. */
    s_done (st, w, 1, 1, DT_OUTCOME_DONE);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 0);
    dt_state_destroy (&st);
}

/* The task a lease end made ready holds its host's slot: if it ends before
 * it goes out, the slot passes to the next parked task instead of being
 * lost with it. */
static void test_a_ready_task_that_ends_passes_its_slot_on (void)
{
    dt_state_t *st = s_model_one ();
    DT_CHECK (st);
    dt_worker_t *w = s_worker (st, "w");
    DT_CHECK_EQ (s_submit (st, "j1", "http://h/x"), 0);
    DT_CHECK_EQ (s_submit (st, "j2", "http://h/a"), 0);
    DT_CHECK_EQ (s_submit (st, "j3", "http://h/b"), 0);
    DT_CHECK_EQ (s_dispatch (st, w), 1); /* x; a and b parked */
    s_done (st, w, 1, 1, DT_OUTCOME_DONE);
    DT_CHECK_EQ (dt_state_queued (st), 1); /* a is ready */
    uint64_t count;
    DT_CHECK_EQ (dt_state_cancel (st, dt_str ("j2"), &count, NOW), 0);
    DT_CHECK_EQ (count, 1);
    DT_CHECK_EQ (dt_state_queued (st), 1); /* b is, now */
    DT_CHECK_EQ (s_dispatch (st, w), 1);
    DT_CHECK_EQ (s_items[0].id, 3);
    s_done (st, w, 3, 1, DT_OUTCOME_DONE);
    DT_CHECK_EQ (dt_state_queued (st), 0);
    dt_state_destroy (&st);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a host key is the lowercased name alone", test_a_host_key_is_the_lowercased_name_alone},
        {"the table counts, parks and forgets idle hosts",
         test_the_table_counts_parks_and_forgets_idle_hosts},
        {"no more than the limit of one host is out",
         test_no_more_than_the_limit_of_one_host_is_out},
        {"a ready task that ends passes its slot on",
         test_a_ready_task_that_ends_passes_its_slot_on},
        {"a task cancelled while parked holds nothing up",
         test_a_task_cancelled_while_parked_holds_nothing_up},
        {"cancelled parked tasks are skipped and untake gives back",
         test_cancelled_parked_tasks_are_skipped_and_untake_gives_back},
        {0},
    };
    return dt_test_run (tests);
}
