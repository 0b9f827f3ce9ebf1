/* test_fault.c - fault points: DTASK_FAULT parsing, and a point firing on its Nth reach only. */
#include "dt_fault.h"
#include "dt_test.h"

static void test_a_point_alone_fires_on_its_first_reach (void)
{
    char point[DT_FAULT_POINT_MAX + 1];
    unsigned long nth = 0;
    DT_CHECK_EQ (dt_fault_parse ("store-write", point, &nth), 0);
    DT_CHECK (strcmp (point, "store-write") == 0);
    DT_CHECK_EQ (nth, 1);
}

static void test_a_count_after_the_colon_is_the_reach_that_fires (void)
{
    char point[DT_FAULT_POINT_MAX + 1];
    unsigned long nth = 0;
    DT_CHECK_EQ (dt_fault_parse ("master-after-dispatch:12", point, &nth), 0);
    DT_CHECK (strcmp (point, "master-after-dispatch") == 0);
    DT_CHECK_EQ (nth, 12);
}

static void test_malformed_specs_are_refused_and_leave_outputs_untouched (void)
{
    static const char *bad[] = {"",
                                ":3",
                                "store-write:",
                                "store-write:0",
                                "store-write:-1",
                                "store-write:3x",
                                "store-write:99999999999",
                                "Store-Write",
                                "store write",
                                "store-write:1:2",
                                NULL};
    for (int i = 0; bad[i]; i++) {
        char point[DT_FAULT_POINT_MAX + 1] = "kept";
        unsigned long nth = 7;
        if (dt_fault_parse (bad[i], point, &nth) == 0)
            fprintf (stderr, "    accepted '%s'\n", bad[i]);
        DT_CHECK (strcmp (point, "kept") == 0);
        DT_CHECK_EQ (nth, 7);
    }
    char longer[DT_FAULT_POINT_MAX + 2];
    memset (longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    char point[DT_FAULT_POINT_MAX + 1];
    unsigned long nth;
    DT_CHECK_EQ (dt_fault_parse (longer, point, &nth), -1);
    DT_CHECK_EQ (dt_fault_arm ("store-write:0"), -1);
}

static void test_an_armed_point_fires_on_its_nth_reach_only (void)
{
    DT_CHECK_EQ (dt_fault_arm ("store-write:3"), 0);
    DT_CHECK_EQ (dt_fault_hit ("store-write"), 0);
    DT_CHECK_EQ (dt_fault_hit ("master-before-reply"), 0); /* other points do not count */
    DT_CHECK_EQ (dt_fault_hit ("store-write"), 0);
    DT_CHECK_EQ (dt_fault_hit ("store-write"), 1);
    DT_CHECK_EQ (dt_fault_hit ("store-write"), 0); /* once */
    DT_CHECK_EQ (dt_fault_arm (NULL), 0);
}

static void test_nothing_fires_when_nothing_is_armed (void)
{
    DT_CHECK_EQ (dt_fault_arm (""), 0);
    for (int i = 0; i < 10; i++)
        DT_CHECK_EQ (dt_fault_hit ("store-write"), 0);
    DT_FAULT_CRASH ("master-after-dispatch"); /* must return */
}

static void test_a_false_condition_is_not_a_reach (void)
{
    DT_CHECK_EQ (dt_fault_arm ("master-before-reply"), 0);
    DT_FAULT_CRASH_IF (0, "master-before-reply"); /* the condition is false: not a reach */
    DT_CHECK_EQ (dt_fault_hit ("master-before-reply"), 1);
    DT_CHECK_EQ (dt_fault_arm (NULL), 0);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"a point alone fires on its first reach", test_a_point_alone_fires_on_its_first_reach},
        {"a count after the colon is the reach that fires",
         test_a_count_after_the_colon_is_the_reach_that_fires},
        {"malformed specs are refused and leave outputs untouched",
         test_malformed_specs_are_refused_and_leave_outputs_untouched},
        {"an armed point fires on its Nth reach only",
         test_an_armed_point_fires_on_its_nth_reach_only},
        {"nothing fires when nothing is armed", test_nothing_fires_when_nothing_is_armed},
        {"a false condition is not a reach", test_a_false_condition_is_not_a_reach},
        {0},
    };
    return dt_test_run (tests);
}
