/* test_warc.c - WARC records, gzip members, digests, truncation marks, rolling files, per-task HTTP
 * options. */
#include "dt_httpopt.h"
#include "dt_limits.h"
#include "dt_test.h"
#include "dt_warc.h"
#include "dt_warc_file.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define S_MEMBERS_MAX 16

/* The gzip members of a buffer, each decompressed on its own. */
typedef struct {
    int count;
    char *text[S_MEMBERS_MAX]; /* NUL-terminated copy of each member's content */
    size_t len[S_MEMBERS_MAX]; /* its length */
} s_members_t;

static void s_members_free (s_members_t *m)
{
    for (int i = 0; i < m->count; i++)
        free (m->text[i]);
    memset (m, 0, sizeof *m);
}

/* Splits `data` into gzip members, inflating each one alone: an inflater
 * stops at the end of a member (Z_STREAM_END) and says how much it read.
 * Returns 0, or -1 when a member is not valid gzip or bytes trail. */
static int s_gunzip_members (const uint8_t *data, size_t len, s_members_t *m)
{
    memset (m, 0, sizeof *m);
    size_t off = 0;
    while (off < len && m->count < S_MEMBERS_MAX) {
        z_stream z;
        memset (&z, 0, sizeof z);
        if (inflateInit2 (&z, 15 + 16) != Z_OK)
            return -1;
        size_t cap = 1 << 16, used = 0;
        char *out = malloc (cap + 1);
        z.next_in = (Bytef *) data + off;
        z.avail_in = (uInt) (len - off);
        int rc;
        do {
            if (used == cap) {
                cap *= 2;
                out = realloc (out, cap + 1);
            }
            z.next_out = (Bytef *) out + used;
            z.avail_out = (uInt) (cap - used);
            rc = inflate (&z, Z_NO_FLUSH);
            used = cap - z.avail_out;
        } while (rc == Z_OK);
        off += (len - off) - z.avail_in;
        inflateEnd (&z);
        if (rc != Z_STREAM_END) {
            free (out);
            return -1;
        }
        out[used] = '\0';
        m->text[m->count] = out;
        m->len[m->count++] = used;
    }
    return off == len ? 0 : -1;
}

/* Copies header field `name`'s value out of a WARC record's text into
 * `out`. Returns 0, or -1 when it is not in the WARC header. */
static int s_field (const char *record, const char *name, char *out, size_t size)
{
    const char *end = strstr (record, "\r\n\r\n");
    size_t nlen = strlen (name);
    for (const char *p = strstr (record, "\r\n"); p && p < end; p = strstr (p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncmp (line, name, nlen) == 0 && line[nlen] == ':' && line[nlen + 1] == ' ') {
            const char *v = line + nlen + 2;
            size_t vlen = (size_t) (strstr (v, "\r\n") - v);
            if (vlen >= size)
                return -1;
            memcpy (out, v, vlen);
            out[vlen] = '\0';
            return 0;
        }
    }
    return -1;
}

/* The block of a record: after the header, Content-Length bytes, which
 * must be followed by exactly CRLF CRLF and the end of the member. */
static const char *s_block (const char *record, size_t record_len, size_t *block_len)
{
    char cl[32];
    const char *end = strstr (record, "\r\n\r\n");
    if (!end || s_field (record, "Content-Length", cl, sizeof cl) != 0)
        return NULL;
    const char *block = end + 4;
    size_t n = strtoull (cl, NULL, 10);
    if ((size_t) (block - record) + n + 4 != record_len || memcmp (block + n, "\r\n\r\n", 4) != 0)
        return NULL;
    *block_len = n;
    return block;
}

static const char s_request[] = "GET /a HTTP/1.1\r\nHost: example.test\r\nAccept: */*\r\n\r\n";
static const char *s_head[] = {"HTTP/1.1 200 OK\r\n", "Content-Type: text/plain\r\n",
                               "Content-Length: 5\r\n", "\r\n"};

/* A capture of one hop: the request above, the head above, `body`. */
static dt_warc_capture_t *s_capture_one (size_t cap, const char *body)
{
    dt_warc_capture_t *c = dt_warc_capture_new (cap);
    if (!c)
        return NULL;
    dt_warc_capture_begin (c, 1700000000);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    for (size_t i = 0; i < sizeof s_head / sizeof s_head[0]; i++)
        dt_warc_capture_header (c, s_head[i], strlen (s_head[i]));
    dt_warc_capture_body (c, body, strlen (body));
    return c;
}

static void test_sha1_base32_of_known_strings (void)
{
    char d[DT_WARC_DIGEST_SIZE];
    dt_warc_sha1 ("", 0, d);
    DT_CHECK (strcmp (d, "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ") == 0);
    dt_warc_sha1 ("abc", 3, d);
    DT_CHECK (strcmp (d, "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5") == 0);
    dt_warc_sha1 ("hello", 5, d);
    DT_CHECK (strcmp (d, "sha1:VL2MMHO4YXUKFWV63YHTWSBM3GXKSQ2N") == 0);
}

static void test_record_ids_are_random_v4_uuids (void)
{
    char a[DT_WARC_ID_SIZE], b[DT_WARC_ID_SIZE];
    DT_CHECK (dt_warc_record_id (a) == 0 && dt_warc_record_id (b) == 0);
    DT_CHECK_EQ (strlen (a), strlen ("<urn:uuid:>") + 36);
    DT_CHECK (strncmp (a, "<urn:uuid:", 10) == 0 && a[strlen (a) - 1] == '>');
    const char *u = a + 10;
    DT_CHECK (u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
    DT_CHECK (u[14] == '4');           /* version 4 */
    DT_CHECK (strchr ("89ab", u[19])); /* RFC 4122 variant */
    DT_CHECK (strcmp (a, b) != 0);
}

static void test_dates_are_utc_seconds (void)
{
    char d[21];
    dt_warc_date (0, d);
    DT_CHECK (strcmp (d, "1970-01-01T00:00:00Z") == 0);
    dt_warc_date (1700000000, d);
    DT_CHECK (strcmp (d, "2023-11-14T22:13:20Z") == 0);
}

static void test_a_hop_is_a_request_and_a_response_record (void)
{
    dt_warc_capture_t *c = s_capture_one (DT_LIMIT_CAPTURE_MAX, "hello");
    DT_CHECK (c);
    DT_CHECK (dt_warc_capture_has_response (c));
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", "192.0.2.1") == 0);
    DT_CHECK_EQ (dt_warc_capture_records (c), 2);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0);
    DT_CHECK_EQ (m.count, 2);
    const char *req = m.text[0], *res = m.text[1];
    DT_CHECK (strncmp (req, "WARC/1.1\r\nWARC-Type: request\r\n", 30) == 0);
    DT_CHECK (strncmp (res, "WARC/1.1\r\nWARC-Type: response\r\n", 31) == 0);

    char v[256], w[256];
    DT_CHECK (s_field (req, "WARC-Target-URI", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "http://example.test/a") == 0);
    DT_CHECK (s_field (res, "WARC-IP-Address", v, sizeof v) == 0 && strcmp (v, "192.0.2.1") == 0);
    DT_CHECK (s_field (res, "WARC-Date", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "2023-11-14T22:13:20Z") == 0);
    DT_CHECK (s_field (req, "Content-Type", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "application/http;msgtype=request") == 0);
    DT_CHECK (s_field (res, "Content-Type", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "application/http;msgtype=response") == 0);
    /* The request names the response it goes with. */
    DT_CHECK (s_field (req, "WARC-Concurrent-To", v, sizeof v) == 0);
    DT_CHECK (s_field (res, "WARC-Record-ID", w, sizeof w) == 0 && strcmp (v, w) == 0);
    DT_CHECK (s_field (res, "WARC-Truncated", v, sizeof v) != 0);
    DT_CHECK (s_field (req, "WARC-Payload-Digest", v, sizeof v) != 0);

    /* Blocks: the bytes given, and digests of them. */
    size_t blen;
    const char *block = s_block (req, m.len[0], &blen);
    DT_CHECK (block && blen == strlen (s_request) && memcmp (block, s_request, blen) == 0);
    char d[DT_WARC_DIGEST_SIZE];
    dt_warc_sha1 (block, blen, d);
    DT_CHECK (s_field (req, "WARC-Block-Digest", v, sizeof v) == 0 && strcmp (v, d) == 0);
    block = s_block (res, m.len[1], &blen);
    const char *want =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
    DT_CHECK (block && blen == strlen (want) && memcmp (block, want, blen) == 0);
    dt_warc_sha1 (block, blen, d);
    DT_CHECK (s_field (res, "WARC-Block-Digest", v, sizeof v) == 0 && strcmp (v, d) == 0);
    DT_CHECK (s_field (res, "WARC-Payload-Digest", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "sha1:VL2MMHO4YXUKFWV63YHTWSBM3GXKSQ2N") == 0); /* sha1("hello") */
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
    DT_CHECK (c == NULL);
    dt_warc_capture_destroy (&c);
}

/* One capture reused for many tasks, as a worker's slot reuses it: record
 * ids stay distinct past the pool of random bytes they are drawn from, and
 * a large body after small ones (and small after large: buffers are kept
 * only when small) still gives whole records with the right digests. */
static void test_a_reused_capture_keeps_ids_distinct_and_records_whole (void)
{
    enum { TASKS = 40 };
    static char ids[2 * TASKS][DT_WARC_ID_SIZE];
    size_t big = 3 * DT_WARC_BUF_KEEP;
    char *body = malloc (big + 1);
    DT_CHECK (body);
    for (size_t i = 0; i < big; i++)
        body[i] = (char) ('a' + (i * 7) % 26);
    body[big] = '\0';
    dt_warc_capture_t *c = dt_warc_capture_new (DT_LIMIT_CAPTURE_MAX);
    DT_CHECK (c);
    for (int t = 0; t < TASKS; t++) {
        size_t blen = t % 3 == 1 ? big : (size_t) (t + 1);
        dt_warc_capture_reset (c, DT_LIMIT_CAPTURE_MAX);
        dt_warc_capture_begin (c, 1700000000 + t);
        dt_warc_capture_request (c, s_request, strlen (s_request));
        char cl[64];
        snprintf (cl, sizeof cl, "Content-Length: %zu\r\n", blen);
        const char *head[] = {"HTTP/1.1 200 OK\r\n", cl, "\r\n"};
        for (int i = 0; i < 3; i++)
            dt_warc_capture_header (c, head[i], strlen (head[i]));
        dt_warc_capture_body (c, body, blen);
        DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", "192.0.2.1") == 0);
        size_t len;
        const uint8_t *out = dt_warc_capture_output (c, &len);
        s_members_t m;
        DT_CHECK (s_gunzip_members (out, len, &m) == 0);
        DT_CHECK_EQ (m.count, 2);
        char v[256], d[DT_WARC_DIGEST_SIZE];
        DT_CHECK (s_field (m.text[0], "WARC-Record-ID", ids[2 * t], DT_WARC_ID_SIZE) == 0);
        DT_CHECK (s_field (m.text[1], "WARC-Record-ID", ids[2 * t + 1], DT_WARC_ID_SIZE) == 0);
        DT_CHECK (s_field (m.text[1], "WARC-Date", v, sizeof v) == 0);
        char when[21];
        dt_warc_date (1700000000 + t, when);
        DT_CHECK (strcmp (v, when) == 0);
        dt_warc_sha1 (body, blen, d);
        DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0 &&
                  strcmp (v, d) == 0);
        size_t rlen;
        const char *block = s_block (m.text[1], m.len[1], &rlen);
        DT_CHECK (block && rlen > blen && memcmp (block + rlen - blen, body, blen) == 0);
        dt_warc_sha1 (block, rlen, d);
        DT_CHECK (s_field (m.text[1], "WARC-Block-Digest", v, sizeof v) == 0 && strcmp (v, d) == 0);
        s_members_free (&m);
    }
    for (int i = 0; i < 2 * TASKS; i++) {
        DT_CHECK_EQ (strlen (ids[i]), strlen ("<urn:uuid:>") + 36);
        DT_CHECK (ids[i][10 + 14] == '4' && strchr ("89ab", ids[i][10 + 19]));
        for (int j = 0; j < i; j++)
            DT_CHECK (strcmp (ids[i], ids[j]) != 0);
    }
    dt_warc_capture_destroy (&c);
    free (body);
}

static void test_members_concatenate_into_one_valid_stream (void)
{
    dt_warc_capture_t *a = s_capture_one (DT_LIMIT_CAPTURE_MAX, "hello");
    dt_warc_capture_t *b = s_capture_one (DT_LIMIT_CAPTURE_MAX, "world");
    DT_CHECK (a && b);
    DT_CHECK (dt_warc_capture_end (a, "http://example.test/a", "") == 0);
    DT_CHECK (dt_warc_capture_end (b, "http://example.test/b", NULL) == 0);
    size_t alen, blen;
    const uint8_t *ao = dt_warc_capture_output (a, &alen);
    const uint8_t *bo = dt_warc_capture_output (b, &blen);
    uint8_t *both = malloc (alen + blen);
    memcpy (both, ao, alen);
    memcpy (both + alen, bo, blen);
    s_members_t m;
    DT_CHECK (s_gunzip_members (both, alen + blen, &m) == 0);
    DT_CHECK_EQ (m.count, 4);
    char v[256];
    DT_CHECK (s_field (m.text[3], "WARC-Target-URI", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "http://example.test/b") == 0);
    /* No address known: no field rather than an empty one. */
    DT_CHECK (s_field (m.text[1], "WARC-IP-Address", v, sizeof v) != 0);

    /* A reader that does not know about members (gzip -dc, zcat) reads the
     * concatenation as one stream with the same content. */
    uLongf total = 0;
    for (int i = 0; i < m.count; i++)
        total += m.len[i];
    z_stream z;
    memset (&z, 0, sizeof z);
    DT_CHECK (inflateInit2 (&z, 15 + 16) == Z_OK);
    char *flat = malloc (total + 1);
    size_t used = 0;
    z.next_in = both;
    z.avail_in = (uInt) (alen + blen);
    while (z.avail_in > 0) {
        z.next_out = (Bytef *) flat + used;
        z.avail_out = (uInt) (total + 1 - used);
        int rc = inflate (&z, Z_NO_FLUSH);
        used = (size_t) ((char *) z.next_out - flat);
        if (rc == Z_STREAM_END)
            inflateReset (&z);
        else if (rc != Z_OK)
            break;
    }
    inflateEnd (&z);
    DT_CHECK_EQ (used, total);
    size_t off = 0;
    for (int i = 0; i < m.count; i++) {
        DT_CHECK (memcmp (flat + off, m.text[i], m.len[i]) == 0);
        off += m.len[i];
    }
    free (flat);
    free (both);
    s_members_free (&m);
    dt_warc_capture_destroy (&a);
    dt_warc_capture_destroy (&b);
}

static void test_a_body_over_the_cap_is_kept_up_to_it_and_marked_length (void)
{
    dt_warc_capture_t *c = dt_warc_capture_new (10);
    DT_CHECK (c);
    dt_warc_capture_begin (c, 0);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    dt_warc_capture_header (c, "HTTP/1.1 200 OK\r\n", 17);
    dt_warc_capture_header (c, "\r\n", 2);
    DT_CHECK (dt_warc_capture_body (c, "0123456", 7) == 0);
    DT_CHECK (dt_warc_capture_body (c, "789abcdef", 9) == 0);
    DT_CHECK (dt_warc_capture_body (c, "ghij", 4) == 0);
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/", NULL) == 0);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
    char v[64], d[DT_WARC_DIGEST_SIZE];
    DT_CHECK (s_field (m.text[1], "WARC-Truncated", v, sizeof v) == 0 && strcmp (v, "length") == 0);
    size_t blen;
    const char *block = s_block (m.text[1], m.len[1], &blen);
    DT_CHECK (block && blen == 19 + 10 && memcmp (block + 19, "0123456789", 10) == 0);
    /* Digests cover what is kept. */
    dt_warc_sha1 ("0123456789", 10, d);
    DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0 && strcmp (v, d) == 0);
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
}

/* One hop with a chunked response head and `body` fed `step` bytes at a
 * time; returns its two members in `m`. */
static int s_chunked_hop (const char *body, size_t step, s_members_t *m)
{
    dt_warc_capture_t *c = dt_warc_capture_new (DT_LIMIT_CAPTURE_MAX);
    if (!c)
        return -1;
    dt_warc_capture_begin (c, 0);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    dt_warc_capture_header (c, "HTTP/1.1 200 OK\r\n", 17);
    dt_warc_capture_header (c, "transfer-encoding: gzip, Chunked \r\n", 35);
    dt_warc_capture_header (c, "\r\n", 2);
    for (size_t off = 0, n = strlen (body); off < n; off += step)
        dt_warc_capture_body (c, body + off, n - off < step ? n - off : step);
    int rc = dt_warc_capture_end (c, "http://example.test/", NULL);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    if (rc == 0)
        rc = s_gunzip_members (out, len, m);
    dt_warc_capture_destroy (&c);
    return rc;
}

static void test_a_chunked_payload_digest_leaves_the_framing_out (void)
{
    const char *body = "5;name=value\r\nhello\r\n6\r\n world\r\nA \r\n0123456789\r\n"
                       "0\r\nX-Trailer: t\r\n\r\n";
    char want[DT_WARC_DIGEST_SIZE], v[64];
    dt_warc_sha1 ("hello world0123456789", 21, want);
    /* Whole, and a byte at a time: the parser keeps its place across pieces. */
    for (size_t step = strlen (body); step >= 1; step = step == 1 ? 0 : 1) {
        s_members_t m;
        DT_CHECK (s_chunked_hop (body, step, &m) == 0 && m.count == 2);
        DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0);
        DT_CHECK (strcmp (v, want) == 0);
        /* The block keeps the chunks as they came. */
        size_t blen;
        const char *block = s_block (m.text[1], m.len[1], &blen);
        DT_CHECK (block && blen >= strlen (body));
        DT_CHECK (memcmp (block + blen - strlen (body), body, strlen (body)) == 0);
        s_members_free (&m);
    }
}

static void test_malformed_chunk_framing_is_digested_as_it_came (void)
{
    /* "zz" is no size: from there on the bytes are taken as they are. */
    const char *body = "3\r\nabc\r\nzz\r\nrest";
    char want[DT_WARC_DIGEST_SIZE], v[64];
    dt_warc_sha1 ("abczz\r\nrest", 11, want);
    s_members_t m;
    DT_CHECK (s_chunked_hop (body, 4, &m) == 0 && m.count == 2);
    DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, want) == 0);
    s_members_free (&m);
    /* A size with more digits than any body could have: framing up to the
     * digit over the cap, the rest as it came. */
    DT_CHECK (s_chunked_hop ("1000000000000000\r\n", 3, &m) == 0);
    dt_warc_sha1 ("0\r\n", 3, want);
    DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, want) == 0);
    s_members_free (&m);
}

static void test_a_cut_transfer_is_marked_with_its_reason (void)
{
    dt_warc_capture_t *c = s_capture_one (DT_LIMIT_CAPTURE_MAX, "hel");
    DT_CHECK (c);
    dt_warc_capture_truncate (c, "disconnect");
    dt_warc_capture_truncate (c, "time"); /* the first reason wins */
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
    char v[64];
    DT_CHECK (s_field (m.text[1], "WARC-Truncated", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "disconnect") == 0);
    DT_CHECK (s_field (m.text[0], "WARC-Truncated", v, sizeof v) != 0);
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
}

static void test_a_head_cut_before_its_end_is_closed_and_marked (void)
{
    /* libcurl reads "Content-Length: 200000" over its cap and stops: the
     * blank line that ends the head never reaches the header callback. */
    const char *lines[] = {"HTTP/1.1 200 OK\r\n", "Content-Length: 200000\r\n"};
    const char *cases[][2] = {{"length", "length"}, {NULL, "unspecified"}};
    for (size_t k = 0; k < 2; k++) {
        dt_warc_capture_t *c = dt_warc_capture_new (DT_LIMIT_CAPTURE_MAX);
        DT_CHECK (c);
        dt_warc_capture_begin (c, 1700000000);
        dt_warc_capture_request (c, s_request, strlen (s_request));
        for (size_t i = 0; i < 2; i++)
            dt_warc_capture_header (c, lines[i], strlen (lines[i]));
        if (cases[k][0])
            dt_warc_capture_truncate (c, cases[k][0]);
        DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
        size_t len, block_len = 0;
        const uint8_t *out = dt_warc_capture_output (c, &len);
        s_members_t m;
        DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
        const char *block = s_block (m.text[1], m.len[1], &block_len);
        const char want[] = "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n";
        DT_CHECK (block && block_len == strlen (want) && memcmp (block, want, block_len) == 0);
        char v[64], digest[DT_WARC_DIGEST_SIZE];
        dt_warc_sha1 (want, strlen (want), digest);
        DT_CHECK (s_field (m.text[1], "WARC-Block-Digest", v, sizeof v) == 0 &&
                  strcmp (v, digest) == 0);
        dt_warc_sha1 ("", 0, digest);
        DT_CHECK (s_field (m.text[1], "WARC-Payload-Digest", v, sizeof v) == 0 &&
                  strcmp (v, digest) == 0);
        DT_CHECK (s_field (m.text[1], "WARC-Truncated", v, sizeof v) == 0 &&
                  strcmp (v, cases[k][1]) == 0);
        s_members_free (&m);
        dt_warc_capture_destroy (&c);
    }
    /* A head that ended, with no body (204, HEAD), is whole and left alone. */
    dt_warc_capture_t *c = dt_warc_capture_new (DT_LIMIT_CAPTURE_MAX);
    DT_CHECK (c);
    dt_warc_capture_begin (c, 1700000000);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    const char *whole[] = {"HTTP/1.1 204 No Content\n", "\n"};
    for (size_t i = 0; i < 2; i++)
        dt_warc_capture_header (c, whole[i], strlen (whole[i]));
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
    size_t len, block_len = 0;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
    const char *block = s_block (m.text[1], m.len[1], &block_len);
    DT_CHECK (block && block_len == strlen ("HTTP/1.1 204 No Content\n\n"));
    char v[64];
    DT_CHECK (s_field (m.text[1], "WARC-Truncated", v, sizeof v) != 0);
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
}

static void test_hops_add_record_pairs_and_share_the_cap (void)
{
    dt_warc_capture_t *c = dt_warc_capture_new (8);
    DT_CHECK (c);
    const char *urls[] = {"http://example.test/r1", "http://example.test/r0"};
    for (int hop = 0; hop < 2; hop++) {
        dt_warc_capture_begin (c, 0);
        dt_warc_capture_request (c, s_request, strlen (s_request));
        /* An interim answer is replaced by the final one. */
        dt_warc_capture_header (c, "HTTP/1.1 100 Continue\r\n", 23);
        dt_warc_capture_header (c, "\r\n", 2);
        dt_warc_capture_header (c, "HTTP/1.1 200 OK\r\n", 17);
        dt_warc_capture_header (c, "\r\n", 2);
        dt_warc_capture_body (c, "123456", 6);
        DT_CHECK (dt_warc_capture_end (c, urls[hop], NULL) == 0);
    }
    /* A hop where nothing was sent records nothing. */
    dt_warc_capture_begin (c, 0);
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/none", NULL) == 0);
    DT_CHECK_EQ (dt_warc_capture_records (c), 4);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 4);
    size_t blen;
    const char *block = s_block (m.text[1], m.len[1], &blen);
    DT_CHECK (block && blen == 19 + 6 && strncmp (block, "HTTP/1.1 200 OK", 15) == 0);
    char v[64];
    DT_CHECK (s_field (m.text[1], "WARC-Truncated", v, sizeof v) != 0);
    /* 6 of the 8 went to the first hop: the second keeps 2. */
    block = s_block (m.text[3], m.len[3], &blen);
    DT_CHECK (block && blen == 19 + 2);
    DT_CHECK (s_field (m.text[3], "WARC-Truncated", v, sizeof v) == 0 && strcmp (v, "length") == 0);
    DT_CHECK (s_field (m.text[2], "WARC-Target-URI", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, urls[1]) == 0);
    s_members_free (&m);

    /* Reset forgets the output too. */
    dt_warc_capture_reset (c, 8);
    DT_CHECK (dt_warc_capture_output (c, &len) == NULL && len == 0);
    DT_CHECK_EQ (dt_warc_capture_records (c), 0);
    dt_warc_capture_destroy (&c);
}

static void test_a_request_sent_again_replaces_the_first (void)
{
    dt_warc_capture_t *c = dt_warc_capture_new (100);
    DT_CHECK (c);
    dt_warc_capture_begin (c, 0);
    /* A head in two pieces, then the same request resent: one request kept. */
    DT_CHECK (dt_warc_capture_request (c, s_request, 10) == 0);
    DT_CHECK (dt_warc_capture_request (c, s_request + 10, strlen (s_request) - 10) == 0);
    DT_CHECK (dt_warc_capture_request (c, s_request, strlen (s_request)) == 0);
    dt_warc_capture_header (c, "HTTP/1.1 401 Unauthorized\r\n\r\n", 30);
    /* After a response: a new round, the 401 exchange is dropped. */
    DT_CHECK (dt_warc_capture_request (c, s_request, strlen (s_request)) == 0);
    dt_warc_capture_header (c, "HTTP/1.1 200 OK\r\n\r\n", 19);
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/", NULL) == 0);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
    size_t blen;
    const char *block = s_block (m.text[0], m.len[0], &blen);
    DT_CHECK (block && blen == strlen (s_request) && memcmp (block, s_request, blen) == 0);
    block = s_block (m.text[1], m.len[1], &blen);
    DT_CHECK (block && blen == 19 && memcmp (block, "HTTP/1.1 200 OK", 15) == 0);
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
}

static void test_a_request_without_response_is_recorded_alone (void)
{
    dt_warc_capture_t *c = dt_warc_capture_new (100);
    DT_CHECK (c);
    dt_warc_capture_begin (c, 0);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    DT_CHECK (!dt_warc_capture_has_response (c));
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/", NULL) == 0);
    size_t len;
    const uint8_t *out = dt_warc_capture_output (c, &len);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 1);
    char v[64];
    DT_CHECK (s_field (m.text[0], "WARC-Concurrent-To", v, sizeof v) != 0);
    s_members_free (&m);
    dt_warc_capture_destroy (&c);
}

static void test_a_head_over_its_cap_loses_the_hop_only (void)
{
    dt_warc_capture_t *c = s_capture_one (100, "hello");
    DT_CHECK (c);
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
    size_t before;
    dt_warc_capture_output (c, &before);
    dt_warc_capture_begin (c, 0);
    dt_warc_capture_request (c, s_request, strlen (s_request));
    char *line = malloc (DT_LIMIT_CAPTURE_HEAD_MAX + 1);
    memset (line, 'x', DT_LIMIT_CAPTURE_HEAD_MAX + 1);
    DT_CHECK (dt_warc_capture_header (c, "HTTP/1.1 200 OK\r\n", 17) == 0);
    DT_CHECK (dt_warc_capture_header (c, line, DT_LIMIT_CAPTURE_HEAD_MAX) == -1);
    free (line);
    DT_CHECK (dt_warc_capture_body (c, "x", 1) == -1);
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/b", NULL) == -1);
    size_t after;
    dt_warc_capture_output (c, &after);
    DT_CHECK_EQ (after, before);
    DT_CHECK_EQ (dt_warc_capture_records (c), 2);
    dt_warc_capture_destroy (&c);
}

static void test_a_uri_or_address_that_breaks_lines_is_refused (void)
{
    const char *bad[] = {"http://example.test/\r\nWARC-Type: x", "http://example.test/\n",
                         "http://example.test/a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dt_warc_capture_t *c = s_capture_one (100, "hello");
        DT_CHECK (c);
        DT_CHECK (dt_warc_capture_end (c, bad[i], NULL) == -1);
        size_t len;
        DT_CHECK (dt_warc_capture_output (c, &len) == NULL && len == 0);
        dt_warc_capture_destroy (&c);
    }
    dt_warc_capture_t *c = s_capture_one (100, "hello");
    DT_CHECK (dt_warc_capture_end (c, "http://example.test/", "1.2.3.4\r\nX: y") == -1);
    dt_warc_capture_destroy (&c);
}

static void test_warcinfo_holds_its_fields (void)
{
    dt_warc_info_t info = {.filename = "x.warc.gz",
                           .software = "dtask/1.2.3",
                           .hostname = "host-1",
                           .operator_ = "Archive Team"};
    uint8_t *out = NULL;
    size_t len = 0;
    DT_CHECK (dt_warc_warcinfo (&info, 1700000000, &out, &len) == 0);
    s_members_t m;
    DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 1);
    free (out);
    char v[128];
    DT_CHECK (s_field (m.text[0], "WARC-Type", v, sizeof v) == 0 && strcmp (v, "warcinfo") == 0);
    DT_CHECK (s_field (m.text[0], "WARC-Filename", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "x.warc.gz") == 0);
    DT_CHECK (s_field (m.text[0], "Content-Type", v, sizeof v) == 0);
    DT_CHECK (strcmp (v, "application/warc-fields") == 0);
    size_t blen;
    const char *block = s_block (m.text[0], m.len[0], &blen);
    const char *want = "software: dtask/1.2.3\r\nhostname: host-1\r\noperator: Archive Team\r\n"
                       "format: WARC File Format 1.1\r\n";
    DT_CHECK (block && blen == strlen (want) && memcmp (block, want, blen) == 0);
    char d[DT_WARC_DIGEST_SIZE];
    dt_warc_sha1 (block, blen, d);
    DT_CHECK (s_field (m.text[0], "WARC-Block-Digest", v, sizeof v) == 0 && strcmp (v, d) == 0);
    s_members_free (&m);

    info.operator_ = "me\r\nWARC-Type: response";
    out = NULL;
    DT_CHECK (dt_warc_warcinfo (&info, 0, &out, &len) == -1 && out == NULL);
}

static void test_http_options_refuse_headers_that_break_lines (void)
{
    dt_httpopt_t o;
    dt_httpopt_defaults (&o);
    char err[128];
    DT_CHECK (o.method == DT_HTTPOPT_GET && o.nheaders == 0 && !o.capture);
    DT_CHECK (dt_httpopt_add_header (&o, "Accept-Language: fr, en;q=0.5", err, sizeof err) == 0);
    DT_CHECK (dt_httpopt_add_header (&o, "X-Empty:", err, sizeof err) == 0);
    const char *bad[] = {"X-A: b\r\nX-Injected: 1",
                         "X-A: b\n",
                         "X-A: b\r",
                         "X-A: \x01",
                         "No colon",
                         ": no name",
                         "Bad Name: x",
                         "X(y): z",
                         "X-A: \x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        DT_CHECK (dt_httpopt_add_header (&o, bad[i], err, sizeof err) == -1);
        DT_CHECK (err[0] != '\0');
    }
    DT_CHECK_EQ (o.nheaders, 2);
    DT_CHECK (strcmp (dt_httpopt_header (&o, 0), "Accept-Language: fr, en;q=0.5") == 0);
    DT_CHECK (strcmp (dt_httpopt_header (&o, 1), "X-Empty:") == 0);

    DT_CHECK (
        dt_httpopt_set_user_agent (&o, "bot/1 (+https://example.test/bot)", err, sizeof err) == 0);
    DT_CHECK (dt_httpopt_set_user_agent (&o, "bot\r\nX: y", err, sizeof err) == -1);
    DT_CHECK (dt_httpopt_set_user_agent (&o, "", err, sizeof err) == -1);
    char ua[DT_LIMIT_USER_AGENT_MAX + 2];
    memset (ua, 'a', sizeof ua - 1);
    ua[sizeof ua - 1] = '\0';
    DT_CHECK (dt_httpopt_set_user_agent (&o, ua, err, sizeof err) == -1);
    ua[DT_LIMIT_USER_AGENT_MAX] = '\0';
    DT_CHECK (dt_httpopt_set_user_agent (&o, ua, err, sizeof err) == 0);
    DT_CHECK (strcmp (o.user_agent, ua) == 0);

    DT_CHECK (dt_httpopt_set_method (&o, "HEAD", err, sizeof err) == 0);
    DT_CHECK (o.method == DT_HTTPOPT_HEAD);
    DT_CHECK (dt_httpopt_set_method (&o, "POST", err, sizeof err) == -1);
    DT_CHECK (dt_httpopt_set_method (&o, "get", err, sizeof err) == -1);
    DT_CHECK (o.method == DT_HTTPOPT_HEAD);
}

static void test_http_options_cap_header_count_and_bytes (void)
{
    dt_httpopt_t o;
    dt_httpopt_defaults (&o);
    char err[128], line[64];
    for (int i = 0; i < DT_LIMIT_HTTP_HEADERS_MAX; i++) {
        snprintf (line, sizeof line, "X-H%d: %d", i, i);
        DT_CHECK (dt_httpopt_add_header (&o, line, err, sizeof err) == 0);
    }
    DT_CHECK (dt_httpopt_add_header (&o, "X-One-More: 1", err, sizeof err) == -1);
    DT_CHECK_EQ (o.nheaders, DT_LIMIT_HTTP_HEADERS_MAX);
    DT_CHECK (strcmp (dt_httpopt_header (&o, 31), "X-H31: 31") == 0);

    dt_httpopt_defaults (&o);
    char *big = malloc (DT_LIMIT_HTTP_HEADERS_BYTES + 1);
    memset (big, 'v', DT_LIMIT_HTTP_HEADERS_BYTES);
    memcpy (big, "X-Big: ", 7);
    big[DT_LIMIT_HTTP_HEADERS_BYTES] = '\0';
    DT_CHECK (dt_httpopt_add_header (&o, big, err, sizeof err) == -1); /* no room for its NUL */
    big[DT_LIMIT_HTTP_HEADERS_BYTES - 1] = '\0';
    DT_CHECK (dt_httpopt_add_header (&o, big, err, sizeof err) == 0);
    DT_CHECK (dt_httpopt_add_header (&o, "X: y", err, sizeof err) == -1);
    free (big);
}

/* Files in `dir`, sorted; returns how many (at most `max`). */
static int s_list (const char *dir, char names[][256], int max)
{
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d)) && n < max)
        if (e->d_name[0] != '.')
            snprintf (names[n++], 256, "%s", e->d_name);
    closedir (d);
    qsort (names, (size_t) n, 256, (int (*) (const void *, const void *)) strcmp);
    return n;
}

static uint8_t *s_read_file (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long n = ftell (f);
    fseek (f, 0, SEEK_SET);
    uint8_t *data = malloc ((size_t) n + 1);
    *len = fread (data, 1, (size_t) n, f);
    fclose (f);
    return data;
}

static void test_files_roll_and_each_starts_with_warcinfo (void)
{
    char dir[] = "/tmp/test_warc.XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256];
    DT_CHECK (dt_warc_file_new ("/nonexistent/dir", 0, NULL, err, sizeof err) == NULL);
    /* Any file with something in it is full: each capture gets its own. */
    dt_warc_file_t *w = dt_warc_file_new (dir, 1, "tests", err, sizeof err);
    DT_CHECK (w);
    DT_CHECK (dt_warc_file_path (w)[0] == '\0');
    for (int i = 0; i < 3; i++) {
        dt_warc_capture_t *c = s_capture_one (100, "hello");
        DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
        size_t len;
        const uint8_t *out = dt_warc_capture_output (c, &len);
        DT_CHECK (dt_warc_file_append (w, out, len, err, sizeof err) == 0);
        dt_warc_capture_destroy (&c);
    }
    DT_CHECK_EQ (dt_warc_file_count (w), 3);
    dt_warc_file_destroy (&w);
    DT_CHECK (w == NULL);

    char names[8][256];
    DT_CHECK_EQ (s_list (dir, names, 8), 3);
    for (int i = 0; i < 3; i++) {
        DT_CHECK (strncmp (names[i], "dtask-", 6) == 0);
        DT_CHECK (strcmp (names[i] + strlen (names[i]) - 8, ".warc.gz") == 0);
        char path[PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *data = s_read_file (path, &len);
        s_members_t m;
        DT_CHECK (data && s_gunzip_members (data, len, &m) == 0 && m.count == 3);
        char v[256];
        DT_CHECK (s_field (m.text[0], "WARC-Type", v, sizeof v) == 0);
        DT_CHECK (strcmp (v, "warcinfo") == 0);
        DT_CHECK (s_field (m.text[0], "WARC-Filename", v, sizeof v) == 0);
        DT_CHECK (strcmp (v, names[i]) == 0);
        DT_CHECK (strstr (m.text[0], "\r\noperator: tests\r\n"));
        DT_CHECK (s_field (m.text[2], "WARC-Type", v, sizeof v) == 0);
        DT_CHECK (strcmp (v, "response") == 0);
        s_members_free (&m);
        free (data);
        unlink (path);
    }
    rmdir (dir);
}

static void test_files_under_the_roll_size_are_appended_to (void)
{
    char dir[] = "/tmp/test_warc.XXXXXX";
    DT_CHECK (mkdtemp (dir));
    char err[256];
    dt_warc_file_t *w = dt_warc_file_new (dir, 0, NULL, err, sizeof err);
    DT_CHECK (w);
    for (int i = 0; i < 5; i++) {
        dt_warc_capture_t *c = s_capture_one (100, "hello");
        DT_CHECK (dt_warc_capture_end (c, "http://example.test/a", NULL) == 0);
        size_t len;
        const uint8_t *out = dt_warc_capture_output (c, &len);
        DT_CHECK (dt_warc_file_append (w, out, len, err, sizeof err) == 0);
        dt_warc_capture_destroy (&c);
    }
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s", dt_warc_file_path (w));
    dt_warc_file_destroy (&w);
    size_t len;
    uint8_t *data = s_read_file (path, &len);
    s_members_t m;
    DT_CHECK (data && s_gunzip_members (data, len, &m) == 0);
    DT_CHECK_EQ (m.count, 1 + 5 * 2);
    s_members_free (&m);
    free (data);
    unlink (path);
    rmdir (dir);
}

static void test_the_target_uri_leaves_the_fragment_out (void)
{
    const char *uri[] = {"http://example.test/a?q=1#part", "http://example.test/a?q=1#",
                         "http://example.test/a?q=1"};
    for (size_t i = 0; i < sizeof uri / sizeof uri[0]; i++) {
        dt_warc_capture_t *c = s_capture_one (100, "hello");
        DT_CHECK (c);
        DT_CHECK (dt_warc_capture_end (c, uri[i], "127.0.0.1") == 0);
        size_t len;
        const uint8_t *out = dt_warc_capture_output (c, &len);
        s_members_t m = {0};
        DT_CHECK (s_gunzip_members (out, len, &m) == 0 && m.count == 2);
        char target[256];
        for (int k = 0; k < m.count; k++) {
            DT_CHECK (s_field (m.text[k], "WARC-Target-URI", target, sizeof target) == 0);
            DT_CHECK (strcmp (target, "http://example.test/a?q=1") == 0);
        }
        s_members_free (&m);
        dt_warc_capture_destroy (&c);
    }
}

int main (void)
{
    static dt_test_t tests[] = {
        {"sha1 base32 of known strings", test_sha1_base32_of_known_strings},
        {"record ids are random v4 uuids", test_record_ids_are_random_v4_uuids},
        {"dates are UTC seconds", test_dates_are_utc_seconds},
        {"a hop is a request and a response record", test_a_hop_is_a_request_and_a_response_record},
        {"a reused capture keeps ids distinct and records whole",
         test_a_reused_capture_keeps_ids_distinct_and_records_whole},
        {"members concatenate into one valid stream",
         test_members_concatenate_into_one_valid_stream},
        {"a body over the cap is kept up to it and marked length",
         test_a_body_over_the_cap_is_kept_up_to_it_and_marked_length},
        {"a chunked payload digest leaves the framing out",
         test_a_chunked_payload_digest_leaves_the_framing_out},
        {"malformed chunk framing is digested as it came",
         test_malformed_chunk_framing_is_digested_as_it_came},
        {"a cut transfer is marked with its reason", test_a_cut_transfer_is_marked_with_its_reason},
        {"a head cut before its end is closed and marked",
         test_a_head_cut_before_its_end_is_closed_and_marked},
        {"hops add record pairs and share the cap", test_hops_add_record_pairs_and_share_the_cap},
        {"a request sent again replaces the first", test_a_request_sent_again_replaces_the_first},
        {"a request without response is recorded alone",
         test_a_request_without_response_is_recorded_alone},
        {"a head over its cap loses the hop only", test_a_head_over_its_cap_loses_the_hop_only},
        {"a uri or address that breaks lines is refused",
         test_a_uri_or_address_that_breaks_lines_is_refused},
        {"the target uri leaves the fragment out", test_the_target_uri_leaves_the_fragment_out},
        {"warcinfo holds its fields", test_warcinfo_holds_its_fields},
        {"http options refuse headers that break lines",
         test_http_options_refuse_headers_that_break_lines},
        {"http options cap header count and bytes", test_http_options_cap_header_count_and_bytes},
        {"files roll and each starts with warcinfo", test_files_roll_and_each_starts_with_warcinfo},
        {"files under the roll size are appended to",
         test_files_under_the_roll_size_are_appended_to},
        {0},
    };
    return dt_test_run (tests);
}
