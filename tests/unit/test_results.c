/* test_results.c - the results log in memory: its window in results, and its bound in bytes. */
#include "dt_results.h"
#include "dt_test.h"

#include <stdio.h>
#include <string.h>

#define MIB       (1024 * 1024)
#define URL_LEN   8000
#define MAX_BYTES (32 * MIB)

static char s_url[URL_LEN + 32];

/* Appends result `seq` of task `seq` with an 8 KB URL that names it. */
static int s_append (dt_results_t *log, uint64_t seq)
{
    memset (s_url, 'x', URL_LEN);
    int n = snprintf (s_url + URL_LEN, 32, "/%llu", (unsigned long long) seq);
    dt_record_t r;
    memset (&r, 0, sizeof r);
    r.url = dt_str_n (s_url, URL_LEN + (uint32_t) n);
    r.final_url = r.url;
    r.state = DT_STATE_DONE;
    r.http_status = 200;
    r.exit_code = DT_EXIT_NONE;
    return dt_results_append (log, seq, seq, 0, &r);
}

/* True when the entry at `seq` is task `seq` with its own URL. */
static int s_is (dt_results_t *log, uint64_t seq)
{
    dt_result_t *e = dt_results_get (log, seq);
    char tail[32];
    int n = snprintf (tail, sizeof tail, "/%llu", (unsigned long long) seq);
    return e && e->task == seq && e->url_len == URL_LEN + (uint32_t) n &&
           memcmp (e->url + URL_LEN, tail, (size_t) n) == 0;
}

/* 20,000 results of two 8 KB URLs each (~320 MB of strings) with a bound
 * of 32 MiB: memory stays within the bound and one chunk, the newest
 * entries are all there, the dropped ones are gone (not wrong). */
static void test_a_byte_bound_keeps_the_newest_results_within_it (void)
{
    dt_results_t *log = dt_results_new (1000000);
    DT_CHECK (log);
    dt_results_set_max_bytes (log, MAX_BYTES);
    size_t peak = 0;
    for (uint64_t seq = 1; seq <= 20000; seq++) {
        DT_CHECK_EQ (s_append (log, seq), 0);
        if (dt_results_memory (log) > peak)
            peak = dt_results_memory (log);
    }
    uint64_t first = dt_results_first (log);
    fprintf (stderr, "    peak %zu bytes; results %llu .. 20000 in memory\n", peak,
             (unsigned long long) first);
    /* One chunk beyond the bound: 2 MiB of entries, an eighth of the bound
     * of strings and the arena block (4 MiB) the last result opened. */
    DT_CHECK (peak <= MAX_BYTES + 2 * MIB + MAX_BYTES / 8 + 4 * MIB);
    DT_CHECK (first > 1);
    DT_CHECK (20000 - first + 1 >= MAX_BYTES / 8 / (2 * URL_LEN)); /* an eighth's worth at least */
    DT_CHECK (dt_results_get (log, first - 1) == NULL);
    for (uint64_t seq = first; seq <= 20000; seq++)
        DT_CHECK (s_is (log, seq));
    /* Gaps (a retired result's place) fall in the chunks as before. */
    DT_CHECK_EQ (dt_results_skip_to (log, 20010), 0);
    DT_CHECK_EQ (s_append (log, 20011), 0);
    DT_CHECK (dt_results_get (log, 20005) && dt_results_get (log, 20005)->task == 0);
    DT_CHECK (s_is (log, 20011));
    DT_CHECK (s_is (log, 20000));
    dt_results_destroy (&log);
    DT_CHECK (log == NULL);
}

/* Without a byte bound the window in results decides, as before. */
static void test_without_a_byte_bound_the_window_decides (void)
{
    dt_results_t *log = dt_results_new (100);
    DT_CHECK (log);
    for (uint64_t seq = 1; seq <= 50000; seq++)
        DT_CHECK_EQ (s_append (log, seq), 0);
    uint64_t first = dt_results_first (log);
    DT_CHECK (50000 - first + 1 >= 100);
    for (uint64_t seq = first; seq <= 50000; seq += 97)
        DT_CHECK (s_is (log, seq));
    DT_CHECK (s_is (log, 50000));
    dt_results_destroy (&log);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a byte bound keeps the newest results within it",
         test_a_byte_bound_keeps_the_newest_results_within_it},
        {"without a byte bound the window decides", test_without_a_byte_bound_the_window_decides},
        {0},
    };
    return dt_test_run (tests);
}
