/* test_cli_idset.c - the id set that makes `submit --wait` count each task once. */
#include "dt_idset.h"
#include "dt_test.h"

static void test_an_id_is_new_once (void)
{
    dt_idset_t *set = dt_idset_new ();
    DT_CHECK (set);
    DT_CHECK_EQ (dt_idset_add (set, 7), 1);
    DT_CHECK_EQ (dt_idset_add (set, 7), 0);
    DT_CHECK_EQ (dt_idset_add (set, 8), 1);
    dt_idset_destroy (&set);
    DT_CHECK (set == NULL);
    dt_idset_destroy (&set);
}

static void test_a_million_ids_survive_growth (void)
{
    dt_idset_t *set = dt_idset_new ();
    for (uint64_t id = 1; id <= 1000000; id++)
        DT_CHECK_EQ (dt_idset_add (set, id * 3), 1);
    for (uint64_t id = 1; id <= 1000000; id++)
        DT_CHECK_EQ (dt_idset_add (set, id * 3), 0);
    DT_CHECK_EQ (dt_idset_add (set, UINT64_MAX), 1);
    dt_idset_destroy (&set);
}

/* Ids far apart each take a bitmap of their own; 0 and the top of the
 * range are ids like any other. */
static void test_ids_far_apart_and_at_the_edges (void)
{
    dt_idset_t *set = dt_idset_new ();
    DT_CHECK (set);
    for (uint64_t i = 0; i < 5000; i++)
        DT_CHECK_EQ (dt_idset_add (set, i * 1000003ull * 4099), 1);
    DT_CHECK_EQ (dt_idset_add (set, UINT64_MAX), 1);
    DT_CHECK_EQ (dt_idset_add (set, UINT64_MAX - 1), 1);
    for (uint64_t i = 0; i < 5000; i++)
        DT_CHECK_EQ (dt_idset_add (set, i * 1000003ull * 4099), 0);
    DT_CHECK_EQ (dt_idset_add (set, UINT64_MAX), 0);
    DT_CHECK_EQ (dt_idset_add (set, 1), 1);
    dt_idset_destroy (&set);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"an id is new once", test_an_id_is_new_once},
        {"a million ids survive growth", test_a_million_ids_survive_growth},
        {"ids far apart and at the edges", test_ids_far_apart_and_at_the_edges},
        {0},
    };
    return dt_test_run (tests);
}
