/* test_state_bytes.c - a durable model's queue in memory is bounded in bytes as well as in tasks:
 * long URLs wait in the store past the window in bytes, and still run once each, in order. */
#include "dt_state.h"
#include "dt_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW       1000000
#define MIB       (1024 * 1024)
#define URL_BYTES 7000 /* near DT_LIMIT_URL_MAX */
#define TASKS     3000 /* 21 MB of URLs */
#define CHUNK     100

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];
static char s_urls[CHUNK][URL_BYTES + 1];

/* Runs the model with a window of `window_bytes`; returns its memory once
 * every task is queued, and checks that all then run once, in order. */
static void s_run (uint64_t window_bytes, size_t *queued_memory, uint64_t *cold, int *ran_once)
{
    char dir[64] = "/tmp/dtask-bytes-XXXXXX", err[256];
    *ran_once = 0;
    if (!mkdtemp (dir))
        return;
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    dt_state_opts_t opts = {
        .max_attempts = 1, .retry_base_ms = 100, .task_ms = 1000, .window_bytes = window_bytes};
    dt_state_t *st = store ? dt_state_new (&opts, store) : NULL;
    dt_peer_t peer;
    memset (&peer, 0, sizeof peer);
    peer.len = 1;
    peer.id[0] = 'w';
    dt_worker_t *worker = st && dt_state_load (st) == 0
                              ? dt_workers_add (dt_state_workers (st), &peer, dt_str ("w"), 64)
                              : NULL;
    int ok = worker != NULL;
    for (uint32_t c = 0; ok && c < TASKS / CHUNK; c++) {
        dt_str_t urls[CHUNK];
        for (uint32_t i = 0; i < CHUNK; i++) {
            int n = snprintf (s_urls[i], sizeof s_urls[i], "http://h/%u/", c * CHUNK + i);
            memset (s_urls[i] + n, 'x', URL_BYTES - (size_t) n);
            s_urls[i][URL_BYTES] = '\0';
            urls[i] = dt_str_n (s_urls[i], URL_BYTES);
        }
        uint64_t first;
        uint32_t count;
        ok = dt_state_submit (st, dt_str ("long"), c, urls, CHUNK, &first, &count, err,
                              sizeof err) == 0 &&
             dt_store_commit (store) == 0;
    }
    *queued_memory = st ? dt_state_memory (st) : 0;
    *cold = st ? dt_state_cold (st) : 0;
    uint64_t next = 1;
    uint32_t n;
    while (ok && (n = dt_state_take (st, 64, s_items, s_tasks)) > 0) {
        dt_state_lease (st, worker, s_tasks, n, NOW);
        for (uint32_t i = 0; i < n; i++) {
            ok = ok && s_items[i].id == next++ && s_items[i].payload.len == URL_BYTES;
            dt_report_t r;
            memset (&r, 0, sizeof r);
            r.id = s_items[i].id;
            r.attempt = s_items[i].attempt;
            r.outcome = DT_OUTCOME_DONE;
            r.http_status = 200;
            dt_state_result (st, worker, &r, NOW);
        }
        ok = ok && dt_store_commit (store) == 0;
    }
    dt_msg_stats_t stats;
    if (st)
        dt_state_stats (st, dt_str (""), &stats);
    *ran_once = ok && next == TASKS + 1 && stats.done == TASKS && stats.pending == 0;
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", dir);
}

static void test_long_urls_past_the_window_in_bytes_wait_in_the_store (void)
{
    size_t memory = 0;
    uint64_t cold = 0;
    int ran_once = 0;
    s_run (4 * MIB, &memory, &cold, &ran_once);
    fprintf (stderr,
             "    4 MiB window: %zu bytes in memory, %" PRIu64 " of %d tasks in the store\n",
             memory, cold, TASKS);
    /* The window, the task table's records (one 2 MiB block) and one
     * chunk of URLs past the window. */
    DT_CHECK (memory <= 4 * MIB + 2 * MIB + CHUNK * URL_BYTES);
    DT_CHECK (cold >= TASKS / 2);
    DT_CHECK (ran_once);

    /* With a window of 64 MiB all of them fit in memory. */
    s_run (64 * MIB, &memory, &cold, &ran_once);
    fprintf (stderr, "    64 MiB window: %zu bytes in memory, %" PRIu64 " in the store\n", memory,
             cold);
    DT_CHECK (memory >= (size_t) TASKS * URL_BYTES);
    DT_CHECK_EQ (cold, 0);
    DT_CHECK (ran_once);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"long URLs past the window in bytes wait in the store",
         test_long_urls_past_the_window_in_bytes_wait_in_the_store},
        {0},
    };
    return dt_test_run (tests);
}
