/* test_store_purge.c - a finished job leaves the store in bounded steps (results, tasks, chunks,
 * counters, its record), other jobs are untouched, and a new store gives the pages back to the file
 * system; jobs an older master left get a record at open. */
#include "dt_store.h"
#include "dt_test.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define A 3000 /* tasks of the job purged */
#define B 100  /* tasks of the job kept */

static char s_dir[64];

/* Adds `n` tasks of `job` from id `first` (one chunk per 100), a result
 * for each from position `seq`, and commits. */
static int s_fill (dt_store_t *store, const char *job, uint64_t first, uint32_t n, uint64_t seq)
{
    static char bufs[100][128];
    dt_str_t urls[100];
    for (uint32_t done = 0; done < n; done += 100) {
        for (uint32_t i = 0; i < 100; i++) {
            snprintf (bufs[i], sizeof bufs[i], "http://h/%s/%" PRIu64 "/%0100d", job,
                      first + done + i, 0);
            urls[i] = dt_str (bufs[i]);
        }
        if (dt_store_add_chunk (store, dt_str (job), done / 100, first + done, 100) != 0 ||
            dt_store_add_tasks (store, first + done, dt_str (job), urls, 100) != 0)
            return -1;
        for (uint32_t i = 0; i < 100; i++) {
            dt_record_t r;
            memset (&r, 0, sizeof r);
            r.id = first + done + i;
            r.state = DT_STORE_DONE;
            r.attempt = 1;
            r.final_url = urls[i];
            if (dt_store_finish (store, seq + done + i, &r) != 0)
                return -1;
        }
    }
    return dt_store_commit (store);
}

typedef struct {
    uint64_t tasks[2], results[2]; /* of job a, of job b */
} s_count_t;

static int s_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts, int state)
{
    (void) id;
    (void) url;
    (void) attempts;
    (void) state;
    ((s_count_t *) arg)->tasks[job.ptr[0] == 'b']++;
    return 0;
}

static int s_result (void *arg, uint64_t seq, const dt_record_t *r, dt_str_t job)
{
    (void) seq;
    if (r->id)
        ((s_count_t *) arg)->results[job.len && job.ptr[0] == 'b']++;
    return 0;
}

static off_t s_file_size (void)
{
    char path[128];
    snprintf (path, sizeof path, "%s/dtask.db", s_dir);
    struct stat st;
    return stat (path, &st) == 0 ? st.st_size : -1;
}

static void test_a_job_is_purged_in_bounded_steps_and_the_file_shrinks (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dtask-purge-XXXXXX");
    DT_CHECK (mkdtemp (s_dir));
    char err[256];
    dt_store_t *store = dt_store_open (s_dir, err, sizeof err);
    DT_CHECK (store);
    int ok = s_fill (store, "a", 1, A, 1) == 0 && s_fill (store, "b", A + 1, B, A + 1) == 0;
    uint64_t before = 0, after = 0;
    ok = ok && dt_store_bytes (store, &before) == 0;

    /* 3,000 tasks, results and 30 chunks in steps of at most 1,000 rows. */
    int done = 0, steps = 0;
    while (ok && !done && steps < 100) {
        ok = dt_store_purge_step (store, dt_str ("a"), 1000, &done) == 0 &&
             dt_store_commit (store) == 0;
        steps++;
    }
    ok = ok && dt_store_bytes (store, &after) == 0;
    uint64_t first = 0;
    uint32_t count = 0;
    int chunk_a = ok ? dt_store_chunk_find (store, dt_str ("a"), 0, &first, &count) : -1;
    int chunk_b = ok ? dt_store_chunk_find (store, dt_str ("b"), 0, &first, &count) : -1;
    ok = ok && dt_store_shrink (store, 1u << 20) == 0 && dt_store_commit (store) == 0;
    dt_store_destroy (&store);
    off_t size1 = s_file_size ();
    fprintf (stderr, "    %d steps; pages in use %" PRIu64 " -> %" PRIu64 " bytes; file %lld\n",
             steps, before, after, (long long) size1);
    DT_CHECK (ok);
    DT_CHECK_EQ (steps, (2 * A + A / 100) / 1000 + 1);
    DT_CHECK (after < before / 4);
    DT_CHECK_EQ (chunk_a, 1);
    DT_CHECK_EQ (chunk_b, 0);
    /* The file (checkpointed at close) holds what is in use, not more. */
    DT_CHECK (size1 > 0 && (uint64_t) size1 <= after + 4 * 4096);

    /* What is left loads as job b alone. */
    store = dt_store_open (s_dir, err, sizeof err);
    DT_CHECK (store);
    s_count_t seen = {{0, 0}, {0, 0}};
    dt_store_loader_t loader = {NULL, s_task, s_result};
    ok = dt_store_load (store, &loader, &seen) == 0;
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", s_dir);
    DT_CHECK (ok);
    DT_CHECK_EQ (seen.tasks[0], 0);
    DT_CHECK_EQ (seen.results[0], 0);
    DT_CHECK_EQ (seen.tasks[1], B);
    DT_CHECK_EQ (seen.results[1], B);
}

static int s_seq (void *arg, dt_str_t job, const dt_store_jobinfo_t *info)
{
    (void) job;
    *(uint64_t *) arg = info->seq;
    return 0;
}

static void test_every_job_has_a_record_until_its_purge (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/dtask-jobinfo-XXXXXX");
    DT_CHECK (mkdtemp (s_dir) != NULL);
    char err[256];
    dt_store_t *store = dt_store_open (s_dir, err, sizeof err);
    DT_CHECK (store != NULL);
    if (!store)
        return;
    /* "new" recorded by this master; "legacy" only counted in `jobs`, as
     * an older master left it. */
    dt_store_jobinfo_t info = {5, 1700000000000ULL, 1700000001000ULL}, got;
    static const uint64_t counts[3] = {1, 1, 0};
    DT_CHECK_EQ (dt_store_jobinfo_put (store, dt_str ("new"), &info), 0);
    DT_CHECK_EQ (dt_store_job_put (store, dt_str ("legacy"), counts), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    DT_CHECK_EQ (dt_store_jobinfo_get (store, dt_str ("legacy"), &got), 1);
    dt_store_destroy (&store);
    /* Reopened: the legacy job gets a record after every other, times unknown. */
    store = dt_store_open (s_dir, err, sizeof err);
    DT_CHECK (store != NULL);
    if (!store)
        return;
    DT_CHECK_EQ (dt_store_jobinfo_get (store, dt_str ("legacy"), &got), 0);
    DT_CHECK (got.seq == 6 && got.created_ms == 0 && got.finished_ms == 0);
    uint64_t max = 0, last = 0;
    DT_CHECK_EQ (dt_store_jobinfo_max_seq (store, &max), 0);
    DT_CHECK_EQ (max, 6);
    /* A page is read newest first from below the cursor. */
    DT_CHECK_EQ (dt_store_jobinfo_list (store, 6, 10, s_seq, &last), 0);
    DT_CHECK_EQ (last, 5);
    int done = 0;
    DT_CHECK_EQ (dt_store_purge_step (store, dt_str ("legacy"), 100, &done), 0);
    DT_CHECK (done);
    DT_CHECK_EQ (dt_store_jobinfo_get (store, dt_str ("legacy"), &got), 1);
    DT_CHECK_EQ (dt_store_jobinfo_get (store, dt_str ("new"), &got), 0);
    dt_store_destroy (&store);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "    could not remove %s\n", s_dir);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a job is purged in bounded steps and the file shrinks",
         test_a_job_is_purged_in_bounded_steps_and_the_file_shrinks},
        {"every job has a record until its purge", test_every_job_has_a_record_until_its_purge},
        {0},
    };
    return dt_test_run (tests);
}
