/* test_fast_paths.c - the shortcuts on hot paths give exactly what the slow reference gives:
 * result lines written directly against jansson's dump, the plain-URL check against curl's parser.
 */
#include "dt_test.h"
#include "dt_jsonl.h"
#include "dt_url.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

/* Deterministic, so a failure reproduces. */
static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint32_t s_rand (uint32_t n)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng % n);
}

/* Random bytes, biased to what escaping and UTF-8 repair care about. */
static dt_str_t s_bytes (char *buf, size_t max)
{
    static const char pick[] = "ab/\"\\\n\t\b\f\r\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                               "\xff\xc0\xed\xa0\x80\xf4\x90\x80\x80";
    size_t len = s_rand ((uint32_t) max);
    for (size_t i = 0; i < len; i++)
        buf[i] = s_rand (4) ? pick[s_rand (sizeof pick - 1)] : (char) s_rand (256);
    return dt_str_n (buf, len);
}

/* What dt_jsonl_add() wrote before it wrote lines itself. */
static int s_jansson_line (const dt_msg_result_t *r, char *out, size_t out_size, size_t *len)
{
    json_t *o = dt_jsonl_result (r);
    if (!o)
        return -1;
    size_t n = json_dumpb (o, out, out_size - 1, JSON_COMPACT);
    json_decref (o);
    if (n == 0 || n >= out_size - 1)
        return -1;
    out[n++] = '\n';
    *len = n;
    return 0;
}

static void test_result_lines_match_jansson_byte_for_byte (void)
{
    static char url[64], final_url[64], ctype[64], worker[64], error[64], file[64], digest[64];
    static char expect[4096];
    for (int round = 0; round < 5000; round++) {
        dt_msg_result_t r = {
            .id = s_rand (2) ? s_rand (1000000) : UINT64_MAX - s_rand (3),
            .attempt = s_rand (5),
            .state = (uint8_t) s_rand (4),
            .http_status = s_rand (3) ? (uint16_t) s_rand (600) : 0,
            .bytes = s_rand (2) ? s_rand (100000) : (uint64_t) INT64_MAX + s_rand (5),
            .elapsed_ms = s_rand (2) ? s_rand (1000) : UINT32_MAX,
        };
        r.payload = s_bytes (url, sizeof url);
        r.final_url = s_bytes (final_url, sizeof final_url);
        r.content_type = s_bytes (ctype, sizeof ctype);
        r.worker = s_bytes (worker, sizeof worker);
        r.error = s_bytes (error, sizeof error);
        if (s_rand (3) == 0) { /* a saved fetch: where its capture is */
            r.warc_file = s_bytes (file, sizeof file);
            r.warc_offset = s_rand (2) ? s_rand (1000000) : (uint64_t) INT64_MAX;
            r.warc_length = 1 + s_rand (3000000);
            r.digest = s_bytes (digest, sizeof digest);
        }
        size_t expect_len = 0;
        DT_CHECK (s_jansson_line (&r, expect, sizeof expect, &expect_len) == 0);

        char *mem = NULL;
        size_t size = 0;
        FILE *f = open_memstream (&mem, &size);
        DT_CHECK (f);
        dt_jsonl_t *out = dt_jsonl_new (f);
        int rc = out ? dt_jsonl_add (out, &r) : -1;
        if (rc == 0)
            rc = dt_jsonl_flush (out);
        dt_jsonl_destroy (&out);
        fclose (f);
        int same = rc == 0 && size == expect_len && memcmp (mem, expect, size) == 0;
        if (!same)
            fprintf (stderr, "    round %d:\n    jansson: %.*s    direct:  %.*s", round,
                     (int) expect_len, expect, (int) size, mem ? mem : "");
        free (mem);
        DT_CHECK (same);
    }
}

static void test_a_page_of_long_lines_grows_the_buffer (void)
{
    static char big[8192];
    memset (big, '"', sizeof big); /* each byte escapes to two */
    dt_msg_result_t r = {.id = 1, .attempt = 1, .state = DT_STATE_DONE};
    r.payload = dt_str_n (big, sizeof big);
    r.error = dt_str_n (big, sizeof big);
    char *mem = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&mem, &size);
    DT_CHECK (f);
    dt_jsonl_t *out = dt_jsonl_new (f);
    int rc = 0;
    for (int i = 0; i < 40 && rc == 0 && out; i++) /* 40 x 32 KiB: past the first buffer */
        rc = dt_jsonl_add (out, &r);
    if (rc == 0 && out)
        rc = dt_jsonl_flush (out);
    dt_jsonl_destroy (&out);
    fclose (f);
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += mem[i] == '\n';
    free (mem);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (lines, 40);
}

/* A URL after "http://" or "https://", from pieces that matter to a parser. */
static size_t s_url (char *buf, size_t max)
{
    static const char *pieces[] = {"a",
                                   "Z",
                                   "0",
                                   "9",
                                   ".",
                                   "-",
                                   "_",
                                   "~",
                                   ":",
                                   "::",
                                   ":80",
                                   ":65535",
                                   ":65536",
                                   ":0",
                                   ":x",
                                   "/",
                                   "//",
                                   "?",
                                   "#",
                                   "@",
                                   "u:p@",
                                   "%",
                                   "%41",
                                   "[",
                                   "]",
                                   "[::1]",
                                   "\\",
                                   "!",
                                   "$",
                                   "'",
                                   "(",
                                   "*",
                                   "+",
                                   ",",
                                   ";",
                                   "=",
                                   "{",
                                   "}",
                                   "^",
                                   "`",
                                   "<",
                                   ">",
                                   "\"",
                                   "|",
                                   "\xc3\xa9",
                                   "\xff",
                                   "999999999999",
                                   "0x7f",
                                   "1.2.3.4",
                                   "256.1.1.1",
                                   "example.com",
                                   "xn--bcher-kva",
                                   ".."};
    size_t len = 0;
    const char *scheme = s_rand (2) ? "http://" : "HTTPS://";
    memcpy (buf, scheme, strlen (scheme));
    len = strlen (scheme);
    int n = 1 + (int) s_rand (8);
    for (int i = 0; i < n; i++) {
        const char *p = pieces[s_rand (sizeof pieces / sizeof *pieces)];
        size_t plen = strlen (p);
        if (len + plen >= max)
            break;
        memcpy (buf + len, p, plen);
        len += plen;
    }
    buf[len] = '\0';
    return len;
}

static void test_plain_url_shortcut_agrees_with_curl (void)
{
    char url[256];
    int accepted = 0;
    for (int round = 0; round < 50000; round++) {
        size_t len = s_url (url, sizeof url);
        int fast = dt_url_check (url, len, NULL, 0) == 0;
        int slow = dt_url_check_parsed (url, len, NULL, 0) == 0;
        if (fast != slow)
            fprintf (stderr, "    %s: check %d, curl %d\n", url, fast, slow);
        DT_CHECK_EQ (fast, slow);
        accepted += fast;
    }
    DT_CHECK (accepted > 1000); /* the generator does reach the shortcut */
}

static void test_long_plain_urls_agree_with_curl (void)
{
    static char url[8200];
    memcpy (url, "http://", 7);
    memset (url + 7, 'a', sizeof url - 7);
    for (size_t len = 8; len <= 8192; len += 1021) {
        DT_CHECK_EQ (dt_url_check (url, len, NULL, 0), 0);
        DT_CHECK_EQ (dt_url_check_parsed (url, len, NULL, 0), 0);
    }
    DT_CHECK (dt_url_check (url, 8193, NULL, 0) != 0);
}

static dt_test_t tests[] = {
    {"result lines match jansson byte for byte", test_result_lines_match_jansson_byte_for_byte},
    {"a page of long lines grows the buffer", test_a_page_of_long_lines_grows_the_buffer},
    {"plain url shortcut agrees with curl", test_plain_url_shortcut_agrees_with_curl},
    {"long plain urls agree with curl", test_long_plain_urls_agree_with_curl},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
