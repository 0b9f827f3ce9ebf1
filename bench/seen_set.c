/* seen_set.c - the crawl's seen set at 10 million URLs: bytes per URL, and the time to add and look
 * up.
 *
 * Not part of the test suite (a number, not a verdict): test_urlfp asserts
 * the bound at a million URLs. Usage: seen_set [URLS] (default 10,000,000).
 */
#include "dt_urlfp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Fills a set with n URLs of a typical shape and prints what it cost. */
static int s_run (const char *label, size_t expect, size_t n, const dt_urlfp_key_t *key)
{
    dt_urlfp_set_t *set = dt_urlfp_set_new (expect);
    if (!set)
        return -1;
    char url[96];
    double t0 = s_now ();
    for (size_t i = 0; i < n; i++) {
        int len = snprintf (url, sizeof url, "https://host%zu.example.com/articles/%zu.html",
                            i % 50000, i);
        if (dt_urlfp_set_add (set, dt_urlfp (key, url, (size_t) len)) < 0) {
            fprintf (stderr, "seen_set: out of memory at %zu URLs\n", i);
            dt_urlfp_set_destroy (&set);
            return -1;
        }
    }
    double t1 = s_now ();
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        int len = snprintf (url, sizeof url, "https://host%zu.example.com/articles/%zu.html",
                            i % 50000, i);
        hits += (size_t) dt_urlfp_set_has (set, dt_urlfp (key, url, (size_t) len));
    }
    double t2 = s_now ();
    printf ("%-18s %zu URLs  %zu held  %.2f bytes/URL  %.0f ns/add  %.0f ns/lookup (each: format, "
            "hash, probe; %zu found)\n",
            label, n, dt_urlfp_set_size (set),
            (double) dt_urlfp_set_bytes (set) / (double) dt_urlfp_set_size (set),
            (t1 - t0) / (double) n * 1e9, (t2 - t1) / (double) n * 1e9, hits);
    dt_urlfp_set_destroy (&set);
    return 0;
}

int main (int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull (argv[1], NULL, 10) : 10000000;
    dt_urlfp_key_t key;
    if (n == 0 || dt_urlfp_key_random (&key) < 0) {
        fprintf (stderr, "usage: seen_set [URLS > 0]\n");
        return 2;
    }
    if (s_run ("grown from empty:", 0, n, &key) < 0 || s_run ("sized for N:", n, n, &key) < 0)
        return 1;
    return 0;
}
