/* test_cold.c - the cold queue's id runs: appending, dropping from the front, and REQUEUE's
 * merge of older ids. */
#include "dt_cold.h"
#include "dt_test.h"

/* The runs as "lo-hi lo-hi ...", read through the public calls on a copy
 * built from has(): ids 1..limit. */
static void s_runs (const dt_cold_t *cold, uint64_t limit, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (uint64_t id = 1; id <= limit; id++) {
        if (!dt_cold_has (cold, id))
            continue;
        uint64_t hi = id;
        while (hi < limit && dt_cold_has (cold, hi + 1))
            hi++;
        len += (size_t) snprintf (out + len, size - len, "%s%llu-%llu", len ? " " : "",
                                  (unsigned long long) id, (unsigned long long) hi);
        id = hi;
    }
}

static void test_adding_and_dropping_keep_runs_and_count (void)
{
    dt_cold_t *cold = dt_cold_new ();
    DT_CHECK (cold);
    uint64_t lo, hi;
    DT_CHECK_EQ (dt_cold_front (cold, &lo, &hi), -1);
    DT_CHECK_EQ (dt_cold_add (cold, 10, 5), 0);
    DT_CHECK_EQ (dt_cold_add (cold, 15, 5), 0); /* touches: one run */
    DT_CHECK_EQ (dt_cold_add (cold, 30, 1), 0);
    char runs[256];
    s_runs (cold, 100, runs, sizeof runs);
    DT_CHECK (strcmp (runs, "10-19 30-30") == 0);
    DT_CHECK_EQ (dt_cold_count (cold), 11);
    dt_cold_drop_to (cold, 12);
    DT_CHECK_EQ (dt_cold_front (cold, &lo, &hi), 0);
    DT_CHECK_EQ (lo, 13);
    DT_CHECK_EQ (hi, 19);
    DT_CHECK_EQ (dt_cold_count (cold), 8);
    dt_cold_drop_to (cold, 30);
    DT_CHECK_EQ (dt_cold_count (cold), 0);
    DT_CHECK_EQ (dt_cold_front (cold, &lo, &hi), -1);
    dt_cold_destroy (&cold);
    DT_CHECK (cold == NULL);
    dt_cold_destroy (&cold);
}

static void test_merged_ids_fall_into_place_and_join_their_neighbours (void)
{
    dt_cold_t *cold = dt_cold_new ();
    DT_CHECK (cold);
    DT_CHECK_EQ (dt_cold_add (cold, 10, 5), 0); /* 10-14 */
    DT_CHECK_EQ (dt_cold_add (cold, 20, 5), 0); /* 20-24 */
    dt_cold_drop_to (cold, 10);                 /* 11-14: the front has moved */
    const uint64_t ids[] = {2, 3, 9, 10, 15, 17, 19, 25, 40};
    DT_CHECK_EQ (dt_cold_merge (cold, ids, sizeof ids / sizeof ids[0]), 0);
    char runs[256];
    s_runs (cold, 100, runs, sizeof runs);
    DT_CHECK (strcmp (runs, "2-3 9-15 17-17 19-25 40-40") == 0);
    DT_CHECK_EQ (dt_cold_count (cold), 4 + 5 + 9);
    uint64_t lo, hi;
    DT_CHECK_EQ (dt_cold_front (cold, &lo, &hi), 0);
    DT_CHECK_EQ (lo, 2);
    DT_CHECK_EQ (hi, 3);
    /* New tasks still extend the last run. */
    DT_CHECK_EQ (dt_cold_add (cold, 41, 2), 0);
    s_runs (cold, 100, runs, sizeof runs);
    DT_CHECK (strcmp (runs, "2-3 9-15 17-17 19-25 40-42") == 0);
    DT_CHECK_EQ (dt_cold_merge (cold, NULL, 0), 0);
    dt_cold_drop_to (cold, 100);
    DT_CHECK_EQ (dt_cold_count (cold), 0);
    /* Into an empty set. */
    DT_CHECK_EQ (dt_cold_merge (cold, ids, 3), 0);
    s_runs (cold, 100, runs, sizeof runs);
    DT_CHECK (strcmp (runs, "2-3 9-9") == 0);
    dt_cold_destroy (&cold);
}

static void test_a_span_holds_the_ids_wanted_within_its_width (void)
{
    dt_cold_t *cold = dt_cold_new ();
    DT_CHECK (cold);
    uint64_t lo = 0, hi = 0;
    DT_CHECK_EQ (dt_cold_span (cold, 10, 100, &lo, &hi), -1);
    const uint64_t ids[] = {2, 3, 9, 10, 11, 12, 40};
    DT_CHECK_EQ (dt_cold_merge (cold, ids, sizeof ids / sizeof ids[0]), 0);
    DT_CHECK_EQ (dt_cold_add (cold, 41, 1000), 0); /* 2-3 9-12 40-1040 */
    DT_CHECK_EQ (dt_cold_span (cold, 1, 100, &lo, &hi), 0);
    DT_CHECK (lo == 2 && hi == 2);
    DT_CHECK_EQ (dt_cold_span (cold, 3, 100, &lo, &hi), 0);
    DT_CHECK (lo == 2 && hi == 9);
    DT_CHECK_EQ (dt_cold_span (cold, 6, 100, &lo, &hi), 0);
    DT_CHECK (lo == 2 && hi == 12);
    DT_CHECK_EQ (dt_cold_span (cold, 50, 100, &lo, &hi), 0);
    DT_CHECK (lo == 2 && hi == 83); /* 6 ids, then 44 of the last run */
    /* Too wide to reach the second run: the first run alone. */
    DT_CHECK_EQ (dt_cold_span (cold, 50, 5, &lo, &hi), 0);
    DT_CHECK (lo == 2 && hi == 3);
    dt_cold_drop_to (cold, 12);
    DT_CHECK_EQ (dt_cold_span (cold, 5000, 1, &lo, &hi), 0);
    DT_CHECK (lo == 40 && hi == 1040);
    dt_cold_destroy (&cold);
}

static void test_removed_ids_split_their_runs_and_leave_the_rest (void)
{
    dt_cold_t *cold = dt_cold_new ();
    DT_CHECK (cold);
    DT_CHECK_EQ (dt_cold_add (cold, 10, 10), 0); /* 10..19 */
    DT_CHECK_EQ (dt_cold_add (cold, 30, 5), 0);  /* 30..34 */
    /* A run's first id, ids inside, its last, one between runs, one past all. */
    const uint64_t ids[] = {10, 12, 13, 19, 25, 30, 34, 99};
    DT_CHECK_EQ (dt_cold_remove (cold, ids, sizeof ids / sizeof ids[0]), 0);
    DT_CHECK_EQ (dt_cold_count (cold), 15 - 6);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        DT_CHECK (!dt_cold_has (cold, ids[i]));
    const uint64_t kept[] = {11, 14, 15, 16, 17, 18, 31, 32, 33};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        DT_CHECK (dt_cold_has (cold, kept[i]));
    uint64_t lo, hi;
    DT_CHECK_EQ (dt_cold_front (cold, &lo, &hi), 0);
    DT_CHECK_EQ (lo, 11);
    DT_CHECK_EQ (hi, 11);
    /* Every id gone: the set is empty. */
    DT_CHECK_EQ (dt_cold_remove (cold, kept, sizeof kept / sizeof kept[0]), 0);
    DT_CHECK_EQ (dt_cold_count (cold), 0);
    DT_CHECK (dt_cold_front (cold, &lo, &hi) != 0);
    dt_cold_destroy (&cold);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"adding and dropping keep runs and count", test_adding_and_dropping_keep_runs_and_count},
        {"merged ids fall into place and join their neighbours",
         test_merged_ids_fall_into_place_and_join_their_neighbours},
        {"a span holds the ids wanted within its width",
         test_a_span_holds_the_ids_wanted_within_its_width},
        {"removed ids split their runs and leave the rest",
         test_removed_ids_split_their_runs_and_leave_the_rest},
        {0},
    };
    return dt_test_run (tests);
}
