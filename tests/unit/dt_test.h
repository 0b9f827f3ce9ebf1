/* dt_test.h - the smallest test runner: a table of sentences and functions.
 *
 * Each test is `static void test_<behaviour> (void)`; DT_CHECK records a
 * failure with file and line and returns from the test. main() is
 *     static dt_test_t tests[] = {{"oversized frame is rejected", test_...}, {0}};
 *     int main (void) { return dt_test_run (tests); }
 * and prints "N passed, M failed" last, which ctest and CI read.
 */
#ifndef DT_TEST_H
#define DT_TEST_H

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    void (*fn) (void);
} dt_test_t;

static int dt_test_failed_;

#define DT_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);          \
            dt_test_failed_ = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define DT_CHECK_EQ(a, b)                                                                          \
    do {                                                                                           \
        long long a_ = (long long) (a), b_ = (long long) (b);                                      \
        if (a_ != b_) {                                                                            \
            fprintf (stderr, "    %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
                     #b, a_, b_);                                                                  \
            dt_test_failed_ = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

static inline int dt_test_run (const dt_test_t *tests)
{
    int passed = 0, failed = 0;
    for (const dt_test_t *t = tests; t->name; t++) {
        dt_test_failed_ = 0;
        t->fn ();
        printf ("%s: %s\n", dt_test_failed_ ? "FAIL" : "ok  ", t->name);
        if (dt_test_failed_)
            failed++;
        else
            passed++;
        fflush (stdout);
    }
    printf ("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
