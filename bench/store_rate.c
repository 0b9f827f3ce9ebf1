/* store_rate.c - how fast the master's SQLite store adds tasks in commit groups, and loads them
 * back.
 *
 *   store_rate [GROUPS [PER_GROUP [DIR]]]
 *
 * Adds GROUPS chunks (default 50) of PER_GROUP tasks (default 4000) to a fresh store in DIR
 * (default: a new directory under /tmp, removed at the end), one commit per chunk as the master's
 * group commit does for a SUBMIT of that size, then reopens the store and loads every task. Prints
 * the add rate, the time spent committing and the load rate. Exits 1 if any store call fails or
 * the load does not give back every task. A benchmark, not a test: no figure is checked.
 */
/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700
#include "dt_store.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static int s_count_task (void *arg, uint64_t id, dt_str_t job, dt_str_t url, uint32_t attempts,
                         int state)
{
    (void) id;
    (void) job;
    (void) url;
    (void) attempts;
    (void) state;
    (*(uint64_t *) arg)++;
    return 0;
}

int main (int argc, char **argv)
{
    long groups = argc > 1 ? strtol (argv[1], NULL, 10) : 50;
    long per_group = argc > 2 ? strtol (argv[2], NULL, 10) : 4000;
    if (groups < 1 || per_group < 1 || per_group > UINT32_MAX) {
        fprintf (stderr, "usage: store_rate [GROUPS [PER_GROUP [DIR]]]\n");
        return 2;
    }
    char tmp[] = "/tmp/store_rate.XXXXXX";
    const char *dir = argc > 3 ? argv[3] : mkdtemp (tmp);
    if (!dir) {
        perror ("mkdtemp");
        return 1;
    }
    char err[256] = "";
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    if (!store) {
        fprintf (stderr, "store_rate: %s: %s\n", dir, err);
        return 1;
    }
    dt_str_t job = {"0f8e3a52-9d4c-4f7b-a1e2-6c5d4b3a2f10", 36};
    char url[128];
    int failed = 0;
    double adding = 0, committing = 0;
    uint64_t id = 1;
    for (long g = 0; g < groups && !failed; g++) {
        double start = s_now ();
        failed |= dt_store_add_chunk (store, job, (uint32_t) g, id, (uint32_t) per_group);
        for (long i = 0; i < per_group && !failed; i++, id++) {
            int len =
                snprintf (url, sizeof url, "https://127.0.0.1/some/page/%" PRIu64 ".html", id);
            dt_str_t u = {url, (uint32_t) len};
            failed |= dt_store_add_task (store, id, job, u);
        }
        double mid = s_now ();
        failed |= dt_store_commit (store);
        adding += mid - start;
        committing += s_now () - mid;
    }
    dt_store_destroy (&store);
    uint64_t n = (uint64_t) groups * (uint64_t) per_group;
    printf ("add_task: %" PRIu64 " in %.3f s (%.0f/s), %ld commits in %.3f s\n", n, adding,
            adding > 0 ? n / adding : 0.0, groups, committing);

    store = dt_store_open (dir, err, sizeof err);
    uint64_t loaded = 0;
    dt_store_loader_t loader = {NULL, s_count_task, NULL};
    double start = s_now ();
    int rc = store ? dt_store_load (store, &loader, &loaded) : -1;
    double secs = s_now () - start;
    printf ("load: %" PRIu64 " tasks in %.3f s (%.0f/s)\n", loaded, secs,
            secs > 0 ? loaded / secs : 0.0);
    dt_store_destroy (&store);
    if (argc <= 3)
        nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (failed || rc != 0 || loaded != n) {
        fprintf (stderr,
                 "store_rate: failed (store error %d, load %d, %" PRIu64 " of %" PRIu64 ")\n",
                 failed, rc, loaded, n);
        return 1;
    }
    return 0;
}
