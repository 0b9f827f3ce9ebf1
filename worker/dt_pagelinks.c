/* dt_pagelinks.c - a crawl page's links: the HTML body kept while it arrives, X-Robots-Tag, and
 * the links extracted at the end. */
#include "dt_pagelinks.h"
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* A wire body's content coding, as its response head names it. */
#define S_ENC_NONE  0 /* none, or identity */
#define S_ENC_ZLIB  1 /* gzip or deflate: zlib inflates it */
#define S_ENC_OTHER 2 /* one we do not decode (br, zstd): the page gives no links */

struct dt_pagelinks_t {
    char *body;      /* the body so far, up to DT_LIMIT_HTML_MAX (NOT NUL-terminated) */
    size_t len;      /* bytes in body */
    size_t cap;      /* bytes allocated */
    unsigned robots; /* DT_LINKS_* from X-Robots-Tag lines of this response */
    int wire;        /* the body comes as received (a capture): undo its framing */
    int chunked;     /* wire, and this response said Transfer-Encoding: chunked */
    int encoded;     /* wire: S_ENC_* from this response's Content-Encoding */
    char *links;     /* the last dt_pagelinks_links answer; NULL until then */
};

dt_pagelinks_t *dt_pagelinks_new (void)
{
    return calloc (1, sizeof (dt_pagelinks_t));
}

void dt_pagelinks_destroy (dt_pagelinks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_pagelinks_t *self = *self_p;
    free (self->body);
    free (self->links);
    free (self);
    *self_p = NULL;
}

/* A body buffer larger than this is freed at a reset rather than kept:
 * an idle slot holds no large page (DT_LIMIT_HTML_MAX in each of
 * hundreds of slots would be gigabytes). */
#define S_KEEP_BYTES (256 * 1024)

void dt_pagelinks_reset (dt_pagelinks_t *self)
{
    if (self->cap > S_KEEP_BYTES) {
        free (self->body);
        self->body = NULL;
        self->cap = 0;
    }
    self->len = 0;
    self->robots = 0;
    self->wire = 0;
    self->chunked = 0;
    self->encoded = 0;
    free (self->links);
    self->links = NULL;
}

void dt_pagelinks_wire (dt_pagelinks_t *self)
{
    self->wire = 1;
}

/* Whether the comma-separated header value `v` (`n` bytes) names `token`,
 * case-insensitively. */
static int s_has_token (const char *v, size_t n, const char *token)
{
    size_t t = strlen (token);
    for (size_t i = 0; i + t <= n; i++)
        if (strncasecmp (v + i, token, t) == 0 &&
            (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',' || v[i - 1] == '\t' || v[i - 1] == ':'))
            return 1;
    return 0;
}

/* Removes chunked transfer framing from body[0..len) in place (the data
 * never runs ahead of its framing) and returns the data's length. A body
 * cut short (at DT_LIMIT_HTML_MAX, or a broken transfer) gives the data
 * that arrived whole. */
static size_t s_dechunk (char *body, size_t len)
{
    size_t in = 0, out = 0;
    while (in < len) {
        uint64_t size = 0;
        int digits = 0;
        for (; in < len; in++, digits++) {
            char c = body[in];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                break;
            if (digits >= 15)
                return out; /* no chunk we kept is that large */
            size = size * 16 + (uint64_t) d;
        }
        if (digits == 0)
            return out;
        /* Chunk extensions up to the line's end. */
        while (in < len && body[in] != '\n')
            in++;
        if (in++ >= len || size == 0)
            return out;
        size_t take = size < len - in ? (size_t) size : len - in;
        memmove (body + out, body + in, take);
        out += take;
        in += take;
        if (take < size)
            return out;
        if (in < len && body[in] == '\r')
            in++;
        if (in < len && body[in] == '\n')
            in++;
    }
    return out;
}

/* Inflates a gzip or zlib body into a new buffer of at most
 * DT_LIMIT_HTML_MAX bytes. Returns it (the caller frees it) with *out_len,
 * or NULL when it is not one or out of memory: the page then gives no
 * links rather than links read from compressed bytes. */
static char *s_inflate (const char *body, size_t len, size_t *out_len)
{
    z_stream z;
    memset (&z, 0, sizeof z);
    /* 15 + 32: a gzip or a zlib header, told apart by its first bytes. */
    if (inflateInit2 (&z, 15 + 32) != Z_OK)
        return NULL;
    size_t cap = 64 * 1024;
    char *out = malloc (cap);
    z.next_in = (Bytef *) body;
    z.avail_in = (uInt) len;
    int rc = Z_OK;
    size_t n = 0;
    while (out && rc == Z_OK && n < DT_LIMIT_HTML_MAX) {
        if (n == cap) {
            size_t more = cap * 2 > DT_LIMIT_HTML_MAX ? DT_LIMIT_HTML_MAX : cap * 2;
            char *grown = realloc (out, more);
            if (!grown) {
                free (out);
                out = NULL;
                break;
            }
            out = grown;
            cap = more;
        }
        z.next_out = (Bytef *) out + n;
        z.avail_out = (uInt) (cap - n);
        rc = inflate (&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break; /* a body cut short: what was inflated is the page */
    }
    inflateEnd (&z);
    if (out && (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR)) {
        *out_len = n;
        return out;
    }
    free (out);
    return NULL;
}

/* Header name of the robots directives (Google's, which others follow). */
#define S_ROBOTS_TAG "x-robots-tag:"

void dt_pagelinks_header (dt_pagelinks_t *self, const char *line, size_t len)
{
    if (len >= 5 && memcmp (line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect, or a 100 Continue): what the
         * last one said is not this one's. */
        self->len = 0;
        self->robots = 0;
        self->chunked = 0;
        self->encoded = 0;
        return;
    }
    if (self->wire && len > 18 && strncasecmp (line, "transfer-encoding:", 18) == 0)
        self->chunked = s_has_token (line + 18, len - 18, "chunked");
    if (self->wire && len > 17 && strncasecmp (line, "content-encoding:", 17) == 0) {
        const char *v = line + 17;
        size_t n = len - 17;
        if (s_has_token (v, n, "gzip") || s_has_token (v, n, "deflate"))
            self->encoded = S_ENC_ZLIB;
        else if (!s_has_token (v, n, "identity"))
            self->encoded = S_ENC_OTHER;
    }
    size_t name = sizeof S_ROBOTS_TAG - 1;
    if (len <= name || strncasecmp (line, S_ROBOTS_TAG, name) != 0)
        return;
    /* The value, without its CRLF, cut at DT_LIMIT_ROBOTS_TAG_MAX. */
    char value[DT_LIMIT_ROBOTS_TAG_MAX + 1];
    size_t n = len - name;
    while (n > 0 && (line[name + n - 1] == '\r' || line[name + n - 1] == '\n'))
        n--;
    if (n >= sizeof value)
        n = sizeof value - 1;
    memcpy (value, line + name, n);
    value[n] = '\0';
    self->robots |= dt_links_robots_header (value, DT_PAGELINKS_AGENT);
}

void dt_pagelinks_body (dt_pagelinks_t *self, const char *data, size_t len)
{
    if (self->len >= DT_LIMIT_HTML_MAX)
        return;
    if (len > DT_LIMIT_HTML_MAX - self->len)
        len = DT_LIMIT_HTML_MAX - self->len;
    if (self->len + len > self->cap) {
        size_t cap = self->cap ? self->cap : 64 * 1024;
        while (cap < self->len + len)
            cap *= 2;
        if (cap > DT_LIMIT_HTML_MAX)
            cap = DT_LIMIT_HTML_MAX;
        char *body = realloc (self->body, cap);
        if (!body)
            return; /* the page gives the links of what was kept */
        self->body = body;
        self->cap = cap;
    }
    memcpy (self->body + self->len, data, len);
    self->len += len;
}

/* A clear record of the links a page lost: those cut by a per-page cap
 * (DT_LIMIT_LINKS_MAX, DT_LIMIT_LINKS_BYTES), longer than DT_LIMIT_URL_MAX,
 * or past DT_LIMIT_HTML_MAX of HTML are rare and worth a line (limited in
 * rate: a hostile site may serve many); the usual skips (nofollow, other
 * schemes, duplicates, bad URLs) only at debug level. */
static void s_log_skipped (const char *final_url, const dt_links_t *links)
{
    const dt_links_skipped_t *s = dt_links_skipped (links);
    if (s->over_cap || s->too_long || s->html_truncated)
        dt_log_peer_info ("LINKS-SKIPPED",
                          "%.200s: %zu links kept; skipped %zu over the per-page cap, %zu longer "
                          "than %d bytes%s",
                          final_url, dt_links_count (links), s->over_cap, s->too_long,
                          DT_LIMIT_URL_MAX,
                          s->html_truncated ? "; HTML past the parse limit not read" : "");
    else if (s->nofollow || s->bad_scheme || s->bad_url || s->duplicate)
        dt_log_debug ("LINKS-SKIPPED",
                      "%.200s: %zu links kept; skipped %zu nofollow, %zu other schemes, %zu bad, "
                      "%zu duplicates",
                      final_url, dt_links_count (links), s->nofollow, s->bad_scheme, s->bad_url,
                      s->duplicate);
}

const char *dt_pagelinks_links (dt_pagelinks_t *self, long status, const char *final_url,
                                const char *content_type, size_t *len)
{
    *len = 0;
    if (status < 200 || status > 299 || !dt_links_is_html (content_type) ||
        (self->robots & DT_LINKS_NOFOLLOW) || self->encoded == S_ENC_OTHER)
        return "";
    /* A captured body is the wire's: the links are read from the page it
     * carries, as they are without capture (libcurl decodes then). */
    const char *page = self->body ? self->body : "";
    size_t page_len = self->len;
    char *inflated = NULL;
    if (self->chunked && self->body)
        page_len = self->len = s_dechunk (self->body, self->len);
    if (self->encoded == S_ENC_ZLIB) {
        if (!(inflated = s_inflate (page, page_len, &page_len)))
            return "";
        page = inflated;
    }
    dt_links_t *links =
        dt_links_extract (final_url, page, page_len, content_type, DT_PAGELINKS_AGENT);
    free (inflated);
    if (!links)
        return "";
    self->robots |= dt_links_robots (links);
    s_log_skipped (final_url, links);
    size_t count = self->robots & DT_LINKS_NOFOLLOW ? 0 : dt_links_count (links);
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += strlen (dt_links_url (links, i)) + 1;
    free (self->links);
    self->links = count ? malloc (total) : NULL;
    if (self->links) {
        char *p = self->links;
        for (size_t i = 0; i < count; i++) {
            size_t n = strlen (dt_links_url (links, i));
            memcpy (p, dt_links_url (links, i), n);
            p[n] = '\n';
            p += n + 1;
        }
        *len = total - 1; /* no '\n' after the last */
    }
    dt_links_destroy (&links);
    return self->links ? self->links : "";
}

size_t dt_pagelinks_fit (const char *links, size_t len, size_t room)
{
    if (len <= room)
        return len;
    /* links[room] is past the prefix: a '\n' there ends a whole URL. */
    size_t keep = room;
    while (keep > 0 && links[keep] != '\n')
        keep--;
    return keep;
}

unsigned dt_pagelinks_robots (const dt_pagelinks_t *self)
{
    return self->robots;
}
