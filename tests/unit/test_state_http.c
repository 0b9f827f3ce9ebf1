/* test_state_http.c - a job's HTTP options in the master's model: set by its first chunk, compared
 * for every later one, sent once per job per TASKS (at most DT_LIMIT_TASKS_HTTP jobs a TASKS), and
 * kept in the store for a restart. */
#include "dt_state.h"
#include "dt_state_priv.h" /* to see which jobs are in memory */
#include "dt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NJOBS 20 /* jobs 0..16 with options, 17..19 without */
#define WITH  17

static dt_task_t *s_tasks[DT_LIMIT_BATCH_MAX];
static dt_msg_task_t s_items[DT_LIMIT_BATCH_MAX];
static char s_names[NJOBS + 1][16]; /* one more job for the last test */
static char s_agents[NJOBS + 1][16];

static dt_msg_httpopt_t s_http (int j)
{
    dt_msg_httpopt_t h = {0};
    if (j < WITH) {
        snprintf (s_agents[j], sizeof s_agents[j], "bot-%d", j);
        h.user_agent = dt_str (s_agents[j]);
        h.headers = dt_str ("X-A: 1");
        h.timeout_ms = 1000u + (uint32_t) j;
    }
    return h;
}

static int s_submit (dt_state_t *st, int j, uint32_t chunk)
{
    char err[256];
    snprintf (s_names[j], sizeof s_names[j], "job%d", j);
    dt_str_t urls[2] = {dt_str ("http://h.test/a"), dt_str ("http://h.test/b")};
    dt_msg_httpopt_t h = s_http (j);
    uint64_t first;
    uint32_t count;
    int rc = dt_state_job_http_check (st, dt_str (s_names[j]), dt_str (""), &h, err, sizeof err);
    if (rc == 0)
        rc = dt_state_submit (st, dt_str (s_names[j]), chunk, urls, 2, &first, &count, err,
                              sizeof err);
    if (rc == 0)
        rc = dt_state_job_http_set (st, dt_str (s_names[j]), &h);
    return rc;
}

/* The job number of the options `h` name (by their User-Agent); -1 none. */
static int s_job_of (const dt_msg_httpopt_t *h)
{
    int j;
    return sscanf (h->user_agent.ptr, "bot-%d", &j) == 1 ? j : -1;
}

static void test_tasks_carry_each_job_s_options_once_and_at_most_16_jobs (void)
{
    dt_state_opts_t opts = {.max_attempts = 1, .retry_base_ms = 100, .task_ms = 1000};
    dt_state_t *st = dt_state_new (&opts, NULL);
    DT_CHECK (st);
    dt_peer_t peer = {.len = 1, .id = {'w'}};
    dt_worker_t *w = dt_workers_add (dt_state_workers (st), &peer, dt_str ("w"), 4096);
    DT_CHECK (w);
    for (int j = 0; j < NJOBS; j++)
        DT_CHECK_EQ (s_submit (st, j, 0), 0);
    int seen[NJOBS] = {0};
    uint32_t total = 0, takes = 0;
    while (total < 2 * NJOBS && takes++ < 4) {
        uint32_t n = dt_state_take (st, DT_LIMIT_BATCH_MAX, s_items, s_tasks);
        const dt_msg_httpopt_t *http;
        uint32_t nhttp = dt_state_take_http (st, &http);
        DT_CHECK (n > 0 && nhttp <= DT_LIMIT_TASKS_HTTP);
        int used[DT_LIMIT_TASKS_HTTP] = {0};
        for (uint32_t i = 0; i < n; i++) {
            /* Tasks were submitted in job order, two a job. */
            int j = (int) ((s_items[i].id - 1) / 2);
            seen[j]++;
            if (j >= WITH) {
                DT_CHECK_EQ (s_items[i].opts, 0);
                continue;
            }
            DT_CHECK (s_items[i].opts >= 1 && s_items[i].opts <= nhttp);
            const dt_msg_httpopt_t *h = &http[s_items[i].opts - 1];
            DT_CHECK_EQ (s_job_of (h), j);
            DT_CHECK_EQ (h->timeout_ms, 1000u + (uint32_t) j);
            used[s_items[i].opts - 1] = 1;
        }
        for (uint32_t k = 0; k < nhttp; k++)
            DT_CHECK (used[k]); /* no options sent that no task needs */
        if (takes == 1)
            DT_CHECK_EQ (nhttp, DT_LIMIT_TASKS_HTTP); /* the 17th job waits */
        dt_state_lease (st, w, s_tasks, n, 0);
        total += n;
    }
    DT_CHECK_EQ (total, 2 * NJOBS);
    for (int j = 0; j < NJOBS; j++)
        DT_CHECK_EQ (seen[j], 2);
    dt_state_destroy (&st);
}

static void test_a_later_chunk_must_repeat_the_first_s_options (void)
{
    dt_state_opts_t opts = {.max_attempts = 1, .retry_base_ms = 100, .task_ms = 1000};
    dt_state_t *st = dt_state_new (&opts, NULL);
    DT_CHECK (st);
    char err[256];
    DT_CHECK_EQ (s_submit (st, 0, 0), 0);
    DT_CHECK_EQ (s_submit (st, 0, 1), 0); /* the same options */
    dt_msg_httpopt_t other = s_http (1);
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job0"), dt_str (""), &other, err, sizeof err),
        DT_ERR_CONFLICT);
    DT_CHECK (strstr (err, "job job0 was submitted with other HTTP options") != NULL);
    dt_msg_httpopt_t none = {0};
    DT_CHECK_EQ (dt_state_job_http_check (st, dt_str ("job0"), dt_str (""), &none, err, sizeof err),
                 DT_ERR_CONFLICT);
    DT_CHECK_EQ (s_submit (st, 18, 0), 0); /* without */
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job18"), dt_str (""), &other, err, sizeof err),
        DT_ERR_CONFLICT);
    DT_CHECK (strstr (err, "with no HTTP options") != NULL);
    /* The rule, and only http tasks. */
    dt_msg_httpopt_t bad = {.headers = dt_str ("X-A: 1\nX B: 2")};
    DT_CHECK_EQ (dt_state_job_http_check (st, dt_str ("new"), dt_str (""), &bad, err, sizeof err),
                 DT_ERR_MALFORMED);
    DT_CHECK (strstr (err, "header 2") != NULL);
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("new"), dt_str ("square"), &other, err, sizeof err),
        DT_ERR_MALFORMED);
    dt_state_destroy (&st);
}

static void test_a_job_s_options_come_back_from_the_store (void)
{
    char dir[64], err[256];
    snprintf (dir, sizeof dir, "/tmp/dtask-httpopt-XXXXXX");
    DT_CHECK (mkdtemp (dir) != NULL);
    dt_state_opts_t opts = {
        .max_attempts = 1, .retry_base_ms = 100, .task_ms = 1000, .keep_jobs = 1};
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_state_t *st = dt_state_new (&opts, store);
    DT_CHECK (st && dt_state_load (st) == 0);
    DT_CHECK_EQ (s_submit (st, 3, 0), 0);
    DT_CHECK_EQ (s_submit (st, 18, 0), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_state_destroy (&st);
    dt_store_destroy (&store);

    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    st = dt_state_new (&opts, store);
    DT_CHECK (st && dt_state_load (st) == 0);
    uint32_t n = dt_state_take (st, DT_LIMIT_BATCH_MAX, s_items, s_tasks);
    const dt_msg_httpopt_t *http;
    uint32_t nhttp = dt_state_take_http (st, &http);
    DT_CHECK_EQ (n, 4);
    DT_CHECK_EQ (nhttp, 1);
    for (uint32_t i = 0; i < n; i++)
        DT_CHECK_EQ (s_items[i].opts, s_items[i].id <= 2 ? 1u : 0u);
    DT_CHECK_EQ (s_job_of (&http[0]), 3);
    DT_CHECK (http[0].headers.len == 6 && memcmp (http[0].headers.ptr, "X-A: 1", 6) == 0);
    /* Still the first chunk's, after the restart. */
    dt_msg_httpopt_t other = s_http (4), same = s_http (3);
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job3"), dt_str (""), &other, err, sizeof err),
        DT_ERR_CONFLICT);

    /* Finished and out of memory (keep_jobs 1, two more jobs after it):
     * the store still answers for its options. */
    dt_peer_t peer = {.len = 1, .id = {'w'}};
    dt_worker_t *w = dt_workers_add (dt_state_workers (st), &peer, dt_str ("w"), 64);
    DT_CHECK (w);
    for (int round = 0; round < 3; round++) {
        if (round > 0) {
            DT_CHECK_EQ (s_submit (st, 18 + round, 0), 0);
            n = dt_state_take (st, DT_LIMIT_BATCH_MAX, s_items, s_tasks);
        }
        dt_state_lease (st, w, s_tasks, n, 0);
        for (uint32_t i = 0; i < n; i++) {
            dt_report_t r = {.id = s_items[i].id,
                             .attempt = s_items[i].attempt,
                             .epoch = dt_state_epoch (st),
                             .outcome = DT_OUTCOME_DONE,
                             .http_status = 200};
            dt_state_result (st, w, &r, 0);
        }
        DT_CHECK_EQ (dt_store_commit (store), 0);
    }
    dt_state_take (st, 1, s_items, s_tasks); /* a turn of upkeep: finished jobs leave */
    DT_CHECK (dt_jobs_find (st->jobs, dt_str ("job3")) == NULL);
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job3"), dt_str (""), &other, err, sizeof err),
        DT_ERR_CONFLICT);
    DT_CHECK (strstr (err, "with other HTTP options") != NULL);
    DT_CHECK_EQ (dt_state_job_http_check (st, dt_str ("job3"), dt_str (""), &same, err, sizeof err),
                 0);
    DT_CHECK (dt_jobs_find (st->jobs, dt_str ("job3")) ==
              NULL); /* the check brought nothing back */
    dt_msg_httpopt_t none = {0};
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job18"), dt_str (""), &other, err, sizeof err),
        DT_ERR_CONFLICT);
    DT_CHECK_EQ (
        dt_state_job_http_check (st, dt_str ("job18"), dt_str (""), &none, err, sizeof err), 0);
    /* An append with the same options brings it back with them. */
    DT_CHECK_EQ (s_submit (st, 3, 1), 0);
    dt_job_t *job = dt_jobs_find (st->jobs, dt_str ("job3"));
    DT_CHECK (job && job->http && dt_jobhttp_same (job->http, &same));
    dt_state_destroy (&st);
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", dir);
}

static const dt_test_t s_tests[] = {
    {"tasks carry each job's options once, and at most 16 jobs'",
     test_tasks_carry_each_job_s_options_once_and_at_most_16_jobs},
    {"a later chunk must repeat the first's options",
     test_a_later_chunk_must_repeat_the_first_s_options},
    {"a job's options come back from the store", test_a_job_s_options_come_back_from_the_store},
    {0},
};

int main (void)
{
    return dt_test_run (s_tests);
}
