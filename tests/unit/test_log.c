/* test_log.c - the limiter for log lines a peer can trigger (common/dt_log.c). */
#include "dt_log.h"
#include "dt_test.h"

/* Lines admitted out of `n` tries of `tag` in a tight loop. */
static int s_admitted (const char *tag, int n)
{
    int admitted = 0;
    for (int i = 0; i < n; i++)
        admitted += dt_log_admit (DT_LOG_WARN, tag);
    return admitted;
}

static void test_a_flood_of_one_tag_gets_a_few_lines_a_second (void)
{
    unsigned long long before = dt_log_suppressed ();
    int admitted = s_admitted ("TEST-FLOOD", 100000);
    /* One window, or two when the second turned during the loop. */
    DT_CHECK (admitted >= DT_LOG_PEER_PER_S && admitted <= 2 * DT_LOG_PEER_PER_S);
    DT_CHECK_EQ (dt_log_suppressed () - before, 100000 - admitted);
}

static void test_tags_are_limited_apart (void)
{
    s_admitted ("TEST-ONE", 1000);
    DT_CHECK (s_admitted ("TEST-TWO", 1) == 1);
}

static void test_a_level_that_is_off_is_neither_written_nor_counted (void)
{
    unsigned long long before = dt_log_suppressed ();
    for (int i = 0; i < 1000; i++)
        DT_CHECK (!dt_log_admit (DT_LOG_DEBUG, "TEST-DEBUG"));
    DT_CHECK_EQ (dt_log_suppressed (), before);
}

static void test_more_tags_than_slots_share_the_last_one (void)
{
    static char names[2 * DT_LOG_PEER_TAGS][16];
    int admitted = 0;
    for (int i = 0; i < 2 * DT_LOG_PEER_TAGS; i++) {
        snprintf (names[i], sizeof names[i], "TEST-MANY-%d", i);
        admitted += s_admitted (names[i], 100);
    }
    /* Never unlimited, whatever the number of tags. */
    DT_CHECK (admitted <= 2 * DT_LOG_PEER_TAGS * 2 * DT_LOG_PEER_PER_S);
    dt_log_flush ();
}

int main (void)
{
    dt_log_init ("test_log", DT_LOG_INFO);
    static dt_test_t tests[] = {
        {"a flood of one tag gets a few lines a second",
         test_a_flood_of_one_tag_gets_a_few_lines_a_second},
        {"tags are limited apart", test_tags_are_limited_apart},
        {"a level that is off is neither written nor counted",
         test_a_level_that_is_off_is_neither_written_nor_counted},
        {"more tags than slots share the last one", test_more_tags_than_slots_share_the_last_one},
        {0},
    };
    return dt_test_run (tests);
}
