/* test_coldq.c - the cold queues per kind and level: counts per kind, the highest level first,
 * lookups and removals over every queue. */
#include "dt_coldq.h"
#include "dt_test.h"

static void test_each_kind_counts_its_own_and_its_highest_level_comes_first (void)
{
    dt_coldq_t *q = dt_coldq_new ();
    DT_CHECK (q);
    uint64_t lo = 0;
    DT_CHECK_EQ (dt_coldq_front (q, &lo), -1);
    DT_CHECK_EQ (dt_coldq_top (q, 3), -1);
    DT_CHECK_EQ (dt_coldq_add (q, 3, 0, 1, 5000), 0); /* a kind no worker serves */
    DT_CHECK_EQ (dt_coldq_add (q, 0, 0, 5001, 2), 0);
    DT_CHECK_EQ (dt_coldq_add (q, 0, 5, 5003, 5), 0);
    DT_CHECK_EQ (dt_coldq_count (q), 5007);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 3), 5000);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 0), 7);
    DT_CHECK_EQ (dt_coldq_kinds (q), 2);
    DT_CHECK_EQ (dt_coldq_top (q, 0), 5);
    DT_CHECK_EQ (dt_coldq_top (q, 3), 0);
    DT_CHECK_EQ (dt_coldq_front (q, &lo), 0);
    DT_CHECK_EQ (lo, 1);
    DT_CHECK (dt_coldq_has (q, 5004) && dt_coldq_has (q, 17) && !dt_coldq_has (q, 5008));
    /* Reading kind 0's top level back leaves its level 0 and kind 3 alone. */
    dt_coldq_drop_to (q, 0, 5, 5007);
    DT_CHECK_EQ (dt_coldq_top (q, 0), 0);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 0), 2);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 3), 5000);
    dt_coldq_drop_to (q, 0, 0, 5002);
    DT_CHECK_EQ (dt_coldq_kinds (q), 1);
    DT_CHECK_EQ (dt_coldq_top (q, 0), -1);
    dt_coldq_destroy (&q);
    DT_CHECK (q == NULL);
    dt_coldq_destroy (&q);
}

static void test_merge_and_remove_reach_every_queue (void)
{
    dt_coldq_t *q = dt_coldq_new ();
    DT_CHECK (q);
    DT_CHECK_EQ (dt_coldq_add (q, 1, 0, 100, 10), 0);
    DT_CHECK_EQ (dt_coldq_add (q, 2, 9, 200, 10), 0);
    uint64_t back[] = {5, 6, 150};
    DT_CHECK_EQ (dt_coldq_merge (q, 1, 0, back, 3), 0); /* REQUEUE: older ids */
    DT_CHECK_EQ (dt_coldq_kind_count (q, 1), 13);
    uint64_t lo = 0;
    DT_CHECK_EQ (dt_coldq_front (q, &lo), 0);
    DT_CHECK_EQ (lo, 5);
    uint64_t gone[] = {5, 105, 150, 201, 209, 999};
    DT_CHECK_EQ (dt_coldq_remove (q, gone, 6), 0); /* CANCEL: over both kinds */
    DT_CHECK_EQ (dt_coldq_kind_count (q, 1), 10);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 2), 8);
    DT_CHECK_EQ (dt_coldq_count (q), 18);
    DT_CHECK (!dt_coldq_has (q, 105) && dt_coldq_has (q, 106) && !dt_coldq_has (q, 201));
    /* Out of range (a kind that could not be numbered) waits with kind 0 at level 0. */
    DT_CHECK_EQ (dt_coldq_add (q, -1, 0, 1000, 1), 0);
    DT_CHECK_EQ (dt_coldq_kind_count (q, 0), 1);
    DT_CHECK_EQ (dt_coldq_top (q, -1), 0);
    dt_coldq_destroy (&q);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"each kind counts its own and its highest level comes first",
         test_each_kind_counts_its_own_and_its_highest_level_comes_first},
        {"merge and remove reach every queue", test_merge_and_remove_reach_every_queue},
        {0},
    };
    return dt_test_run (tests);
}
