/* test_urlfp.c - URL fingerprints and the seen set: keyed, exact, and ~10 bytes a URL. */
#include "dt_test.h"
#include "dt_urlfp.h"

#include <stdlib.h>

static void test_fingerprint_depends_on_bytes_and_key (void)
{
    dt_urlfp_key_t a, b;
    DT_CHECK_EQ (dt_urlfp_key_random (&a), 0);
    DT_CHECK_EQ (dt_urlfp_key_random (&b), 0);
    DT_CHECK (memcmp (&a, &b, sizeof a) != 0);
    const char *u = "http://example.com/a";
    DT_CHECK (dt_urlfp (&a, u, strlen (u)) == dt_urlfp (&a, u, strlen (u)));
    DT_CHECK (dt_urlfp (&a, u, strlen (u)) != dt_urlfp (&b, u, strlen (u)));
    DT_CHECK (dt_urlfp (&a, u, strlen (u)) != dt_urlfp (&a, u, strlen (u) - 1));
    DT_CHECK (dt_urlfp (&a, "", 0) != 0);
}

static void test_fingerprint_is_siphash_2_4 (void)
{
    /* The reference vector of SipHash-2-4 (Aumasson and Bernstein, the
     * paper's appendix): key 00..0f, message 00..0e, 0xa129ca6149be45e5.
     * A key kept with a crawl must give the same fingerprints in every
     * build. */
    dt_urlfp_key_t k;
    char msg[15];
    for (int i = 0; i < 16; i++)
        k.bytes[i] = (unsigned char) i;
    for (int i = 0; i < 15; i++)
        msg[i] = (char) i;
    DT_CHECK (dt_urlfp (&k, msg, sizeof msg) == 0xa129ca6149be45e5ull);
}

static void test_set_adds_once_and_finds (void)
{
    dt_urlfp_set_t *s = dt_urlfp_set_new (0);
    DT_CHECK (s);
    DT_CHECK_EQ (dt_urlfp_set_has (s, 42), 0);
    DT_CHECK_EQ (dt_urlfp_set_add (s, 42), 1);
    DT_CHECK_EQ (dt_urlfp_set_add (s, 42), 0);
    DT_CHECK_EQ (dt_urlfp_set_has (s, 42), 1);
    DT_CHECK_EQ (dt_urlfp_set_has (s, 43), 0);
    /* The extremes of the range: homes at the first and the last slot. */
    DT_CHECK_EQ (dt_urlfp_set_add (s, 1), 1);
    DT_CHECK_EQ (dt_urlfp_set_add (s, UINT64_MAX), 1);
    DT_CHECK_EQ (dt_urlfp_set_add (s, UINT64_MAX - 1), 1);
    DT_CHECK_EQ (dt_urlfp_set_has (s, UINT64_MAX), 1);
    DT_CHECK_EQ (dt_urlfp_set_has (s, UINT64_MAX - 1), 1);
    DT_CHECK_EQ (dt_urlfp_set_size (s), 4);
    dt_urlfp_set_destroy (&s);
    DT_CHECK (s == NULL);
    dt_urlfp_set_destroy (&s);
    dt_urlfp_set_destroy (NULL);
}

static void test_set_wraps_round_the_end (void)
{
    /* Many fingerprints with the last home slot: they wrap to the front
     * and are all still found, beside ones whose home is the front. */
    dt_urlfp_set_t *s = dt_urlfp_set_new (100);
    DT_CHECK (s);
    for (uint64_t i = 0; i < 20; i++)
        DT_CHECK_EQ (dt_urlfp_set_add (s, UINT64_MAX - i), 1);
    for (uint64_t i = 1; i <= 20; i++)
        DT_CHECK_EQ (dt_urlfp_set_add (s, i), 1);
    for (uint64_t i = 0; i < 20; i++)
        DT_CHECK_EQ (dt_urlfp_set_has (s, UINT64_MAX - i), 1);
    for (uint64_t i = 1; i <= 20; i++)
        DT_CHECK_EQ (dt_urlfp_set_has (s, i), 1);
    DT_CHECK_EQ (dt_urlfp_set_has (s, 21), 0);
    DT_CHECK_EQ (dt_urlfp_set_has (s, UINT64_MAX - 20), 0);
    dt_urlfp_set_destroy (&s);
}

static void test_million_urls_fit_the_bytes_per_url_bound (void)
{
    /* A million distinct URLs, grown from empty: every one added once and
     * found, none of a million others found, and the table within
     * DT_URLFP_BYTES_PER_URL_MAX bytes a URL. */
    enum { N = 1000 * 1000 };
    dt_urlfp_key_t key;
    DT_CHECK_EQ (dt_urlfp_key_random (&key), 0);
    dt_urlfp_set_t *s = dt_urlfp_set_new (0);
    DT_CHECK (s);
    char url[64];
    size_t added = 0;
    for (unsigned i = 0; i < N; i++) {
        int n = snprintf (url, sizeof url, "http://example.com/page/%u", i);
        int rc = dt_urlfp_set_add (s, dt_urlfp (&key, url, (size_t) n));
        DT_CHECK (rc >= 0);
        added += (size_t) rc;
    }
    size_t found = 0, strangers = 0;
    for (unsigned i = 0; i < N; i++) {
        int n = snprintf (url, sizeof url, "http://example.com/page/%u", i);
        found += (size_t) dt_urlfp_set_has (s, dt_urlfp (&key, url, (size_t) n));
        n = snprintf (url, sizeof url, "http://example.org/page/%u", i);
        strangers += (size_t) dt_urlfp_set_has (s, dt_urlfp (&key, url, (size_t) n));
    }
    double per_url = (double) dt_urlfp_set_bytes (s) / (double) dt_urlfp_set_size (s);
    dt_urlfp_set_destroy (&s);
    printf ("    %.2f bytes per URL at %d URLs\n", per_url, N);
    /* A chance collision among a million 64-bit values: p ~ 3e-8. */
    DT_CHECK_EQ (added, N);
    DT_CHECK_EQ (found, N);
    DT_CHECK_EQ (strangers, 0);
    DT_CHECK (per_url <= DT_URLFP_BYTES_PER_URL_MAX);
    DT_CHECK (per_url >= 10.0);
}

static void test_set_made_for_its_size_is_10_bytes_per_url (void)
{
    enum { N = 200 * 1000 };
    dt_urlfp_set_t *s = dt_urlfp_set_new (N);
    DT_CHECK (s);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64: never 0 */
        DT_CHECK_EQ (dt_urlfp_set_add (s, x), 1);
    }
    double per_url = (double) dt_urlfp_set_bytes (s) / N;
    dt_urlfp_set_destroy (&s);
    DT_CHECK (per_url < 10.01);
}

static const dt_test_t s_tests[] = {
    {"fingerprint depends on bytes and key", test_fingerprint_depends_on_bytes_and_key},
    {"fingerprint is SipHash-2-4", test_fingerprint_is_siphash_2_4},
    {"set adds once and finds", test_set_adds_once_and_finds},
    {"set wraps round the end", test_set_wraps_round_the_end},
    {"a million URLs fit the bytes-per-URL bound", test_million_urls_fit_the_bytes_per_url_bound},
    {"set made for its size is 10 bytes a URL", test_set_made_for_its_size_is_10_bytes_per_url},
    {0},
};

int main (void)
{
    return dt_test_run (s_tests);
}
