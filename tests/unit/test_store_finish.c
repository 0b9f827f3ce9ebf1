/* test_store_finish.c - the store's batched hot paths: a task finished twice without a REQUEUE
 * between still has exactly one result (the path off the usual one), and a chunk's tasks added in
 * multi-row statements load back as the same rows, in order. */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700
#include "dt_test.h"
#include "dt_store.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

typedef struct {
    int results;       /* rows with a task id */
    int tombstones;    /* rows with task id 0 */
    uint64_t last_seq; /* seq of the last row with a task id */
    int last_http;     /* its http_status */
    int task_state;    /* state of task 1 */
} s_seen_t;

static int s_on_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                      int state)
{
    (void) job;
    (void) url;
    (void) attempts;
    if (id == 1)
        ((s_seen_t *) arg)->task_state = state;
    return 0;
}

static int s_on_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) job;
    s_seen_t *seen = arg;
    if (r->id == 0) {
        seen->tombstones++;
        return 0;
    }
    seen->results++;
    seen->last_seq = seq;
    seen->last_http = r->http_status;
    return 0;
}

static dt_record_t s_result (uint8_t state, uint16_t http)
{
    dt_record_t r;
    memset (&r, 0, sizeof r);
    r.id = 1;
    r.state = state;
    r.attempt = 1;
    r.http_status = http;
    r.final_url = dt_str ("http://127.0.0.1/1");
    r.worker = dt_str ("w1");
    return r;
}

static void test_second_finish_retires_the_first_result (void)
{
    char dir[] = "/tmp/dtask-store-finish-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    int ok = store && dt_store_add_chunk (store, dt_str ("j"), 0, 1, 1) == 0 &&
             dt_store_add_task (store, 1, dt_str ("j"), dt_str ("http://127.0.0.1/1")) == 0;
    dt_record_t failed = s_result (DT_STORE_FAILED, 0);
    dt_record_t done = s_result (DT_STORE_DONE, 204);
    ok = ok && dt_store_finish (store, 1, &failed) == 0 && dt_store_commit (store) == 0 &&
         dt_store_finish (store, 2, &done) == 0 && dt_store_commit (store) == 0;
    dt_store_destroy (&store);

    s_seen_t seen = {0};
    store = dt_store_open (dir, err, sizeof err);
    dt_store_loader_t loader = {NULL, s_on_task, s_on_result};
    int loaded = store && dt_store_load (store, &loader, &seen) == 0;
    dt_store_destroy (&store);
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    DT_CHECK (ok);
    DT_CHECK (loaded);
    DT_CHECK_EQ (seen.results, 1);
    DT_CHECK_EQ (seen.tombstones, 1);
    DT_CHECK_EQ (seen.last_seq, 2);
    DT_CHECK_EQ (seen.last_http, 204);
    DT_CHECK_EQ (seen.task_state, DT_STORE_DONE);
}

typedef struct {
    uint32_t count; /* tasks loaded */
    int in_order;   /* ids 1, 2, 3... with URL /<id> and the job */
} s_tasks_seen_t;

static int s_on_task_row (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                          int state)
{
    s_tasks_seen_t *seen = arg;
    char want[64];
    int n = snprintf (want, sizeof want, "http://127.0.0.1/%" PRIu64, id);
    if (id != seen->count + 1 || url.len != (uint32_t) n || memcmp (url.ptr, want, url.len) ||
        job.len != 1 || job.ptr[0] != 'j' || attempts != 0 || state != 0)
        seen->in_order = 0;
    seen->count++;
    return 0;
}

static void test_chunk_of_tasks_loads_back_row_for_row (void)
{
    enum { N = 64 * 2 + 5 }; /* two full multi-row statements and a remainder */
    static char texts[N][32];
    dt_str_t urls[N];
    for (int i = 0; i < N; i++)
        urls[i] = dt_str_n (
            texts[i], (size_t) snprintf (texts[i], sizeof texts[i], "http://127.0.0.1/%d", i + 1));
    char dir[] = "/tmp/dtask-store-tasks-XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    int ok = store && dt_store_add_chunk (store, dt_str ("j"), 0, 1, N) == 0 &&
             dt_store_add_tasks (store, 1, dt_str ("j"), urls, N) == 0 &&
             dt_store_commit (store) == 0;
    dt_store_destroy (&store);
    s_tasks_seen_t seen = {0, 1};
    store = dt_store_open (dir, err, sizeof err);
    dt_store_loader_t loader = {NULL, s_on_task_row, NULL};
    int loaded = store && dt_store_load (store, &loader, &seen) == 0;
    dt_store_destroy (&store);
    nftw (dir, s_remove_one, 8, FTW_DEPTH | FTW_PHYS);
    DT_CHECK (ok);
    DT_CHECK (loaded);
    DT_CHECK_EQ (seen.count, N);
    DT_CHECK (seen.in_order);
}

static dt_test_t tests[] = {
    {"chunk of tasks loads back row for row", test_chunk_of_tasks_loads_back_row_for_row},
    {"second finish retires the first result", test_second_finish_retires_the_first_result},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
