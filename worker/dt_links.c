/* dt_links.c - the links of an HTML page, resolved and normalised, for the crawl's frontier. */
#include "dt_links.h"
#include "dt_limits.h"
#include "dt_url.h"
#include "dt_urlfp.h"

#include <curl/curl.h>
#include <idn2.h>
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Slots a list's hash index starts with: a power of two. It doubles
 * while more than half full, up to 2 * DT_LIMIT_LINKS_MAX. */
#define S_SLOTS_MIN 64

/* Bytes fed to libxml2 at a time: its push parser copies each chunk into
 * its own buffer, so a chunk bounds that copy, not the page. */
#define S_CHUNK (64 * 1024)

/* Longest charset name taken from a Content-Type. */
#define S_CHARSET_MAX 40

/* Distinct strings in document order, capped, with a hash index keyed
 * per process (SipHash: a page cannot make its links collide and turn the
 * index into a list). Its arrays grow with the page: a page of 20 links
 * costs a few hundred bytes, not the index of a page at the cap. */
typedef struct {
    char *buf;      /* the strings back to back, each NUL-terminated */
    size_t used;    /* bytes of buf used */
    size_t cap;     /* bytes of buf allocated */
    uint32_t *off;  /* where each string starts in buf, in order */
    size_t n;       /* strings held */
    size_t ncap;    /* entries of off allocated */
    size_t bytes;   /* their total length, NULs not counted */
    uint64_t *hash; /* hash of the string in each slot */
    uint32_t *idx;  /* 1 + its index in off, 0 for an empty slot */
    size_t slots;   /* slots of hash and idx: 0, or a power of two */
} s_list_t;

struct dt_links_t {
    s_list_t list;              /* the links kept */
    unsigned robots;            /* DT_LINKS_* from meta tags */
    dt_links_skipped_t skipped; /* what was not kept */
};

/* Links resolved without curl when they are plain paths (s_resolve_fast);
 * 0 sends every link through curl (tests compare the two). */
static int s_fast = 1;

/* The SAX handler's state while the page is parsed. */
typedef struct {
    s_list_t *raw;               /* link values as written, cleaned */
    char *base;                  /* the first <base href>, cleaned, or NULL */
    int base_seen;               /* a <base href> was seen (only the first counts) */
    unsigned robots;             /* meta robots flags */
    const char *agent;           /* our product token, or NULL */
    size_t agent_len;            /* its length */
    dt_links_skipped_t *skipped; /* counts */
    const dt_urlfp_key_t *key;   /* the page's hash key */
    int oom;                     /* memory ran out: the result is refused */
} s_sax_t;

static int s_lower (int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int s_ws (int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int s_token_byte (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

/* Length of the product token at the start of agent ("dtask/1.0": 5). */
static size_t s_token_len (const char *agent)
{
    size_t n = 0;
    while (agent && s_token_byte ((unsigned char) agent[n]))
        n++;
    return n;
}

static int s_hex (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = s_lower (c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static int s_unreserved (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int s_reserved (int c)
{
    return c && strchr (":/?#[]@!$&'()*+,;=", c) != NULL;
}

/* True when the n bytes at s equal the NUL-terminated word, in any case. */
static int s_is (const char *s, size_t n, const char *word)
{
    return strlen (word) == n && strncasecmp (s, word, n) == 0;
}

int dt_links_is_html (const char *content_type)
{
    if (!content_type)
        return 0;
    const char *s = content_type;
    while (s_ws ((unsigned char) *s))
        s++;
    size_t n = strcspn (s, ";");
    while (n > 0 && s_ws ((unsigned char) s[n - 1]))
        n--;
    return s_is (s, n, "text/html") || s_is (s, n, "application/xhtml+xml");
}

/* The charset parameter of a Content-Type into `out`, or "" when none. */
static void s_charset (const char *content_type, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = content_type ? strchr (content_type, ';') : NULL;
    while (p) {
        p++;
        while (s_ws ((unsigned char) *p))
            p++;
        if (strncasecmp (p, "charset=", 8) == 0) {
            p += 8;
            if (*p == '"')
                p++;
            size_t n = strcspn (p, "\"; \t");
            if (n > 0 && n < size) {
                memcpy (out, p, n);
                out[n] = '\0';
            }
            return;
        }
        p = strchr (p, ';');
    }
}

/* The flag of one robots directive ("noindex", "nofollow", "none"). */
static unsigned s_directive (const char *s, size_t n)
{
    while (n > 0 && s_ws ((unsigned char) *s))
        s++, n--;
    while (n > 0 && s_ws ((unsigned char) s[n - 1]))
        n--;
    if (s_is (s, n, "noindex"))
        return DT_LINKS_NOINDEX;
    if (s_is (s, n, "nofollow"))
        return DT_LINKS_NOFOLLOW;
    if (s_is (s, n, "none"))
        return DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW;
    return 0;
}

/* The flags of a comma-separated directive list (a meta robots content). */
static unsigned s_directives (const char *s)
{
    unsigned flags = 0;
    while (s && *s) {
        size_t n = strcspn (s, ",");
        flags |= s_directive (s, n);
        s += n;
        if (*s)
            s++;
    }
    return flags;
}

unsigned dt_links_robots_header (const char *value, const char *agent)
{
    /* Directives whose own syntax has a colon: not agent prefixes. */
    static const char *valued[] = {"unavailable_after", "max-snippet", "max-image-preview",
                                   "max-video-preview"};
    unsigned flags = 0;
    int ours = 1; /* no agent prefix yet: the directives are for everyone */
    size_t agent_len = s_token_len (agent);
    const char *s = value;
    while (s && *s) {
        size_t n = strcspn (s, ",");
        const char *tok = s;
        size_t tlen = n;
        const char *colon = memchr (tok, ':', tlen);
        if (colon) {
            const char *name = tok;
            size_t nlen = (size_t) (colon - tok);
            while (nlen > 0 && s_ws ((unsigned char) *name))
                name++, nlen--;
            while (nlen > 0 && s_ws ((unsigned char) name[nlen - 1]))
                nlen--;
            /* An agent is a product token; anything else before a colon
             * ("unavailable_after: Friday, 25-Jun-2010 15:00:00" split at
             * its comma) is part of a directive's value. */
            int agent_name = nlen > 0;
            for (size_t i = 0; i < nlen; i++)
                agent_name &= s_token_byte ((unsigned char) name[i]);
            for (size_t i = 0; i < sizeof valued / sizeof valued[0]; i++)
                agent_name &= !s_is (name, nlen, valued[i]);
            if (agent_name) {
                ours = agent_len > 0 && nlen == agent_len && strncasecmp (name, agent, nlen) == 0;
                tlen -= (size_t) (colon + 1 - tok);
                tok = colon + 1;
            }
        }
        if (ours)
            flags |= s_directive (tok, tlen);
        s += n;
        if (*s)
            s++;
    }
    return flags;
}

static const char *s_list_at (const s_list_t *l, size_t i)
{
    return l->buf + l->off[i];
}

/* Index slot of string s (n bytes, hash h) in the list: where it is, or
 * the empty slot where it would go. *found says which. */
static size_t s_list_slot (const s_list_t *l, const char *s, size_t n, uint64_t h, int *found)
{
    size_t mask = l->slots - 1, i = (size_t) h & mask;
    *found = 0;
    while (l->idx[i]) {
        if (l->hash[i] == h) {
            const char *u = s_list_at (l, l->idx[i] - 1);
            if (strncmp (u, s, n) == 0 && u[n] == '\0') {
                *found = 1;
                break;
            }
        }
        i = (i + 1) & mask;
    }
    return i;
}

/* Doubles the index (or makes its first): -1 when memory runs out. */
static int s_list_grow_index (s_list_t *l)
{
    size_t slots = l->slots ? l->slots * 2 : S_SLOTS_MIN;
    uint64_t *hash = malloc (slots * sizeof *hash);
    uint32_t *idx = calloc (slots, sizeof *idx);
    if (!hash || !idx) {
        free (hash);
        free (idx);
        return -1;
    }
    for (size_t i = 0; i < l->slots; i++)
        if (l->idx[i]) {
            size_t j = (size_t) l->hash[i] & (slots - 1);
            while (idx[j])
                j = (j + 1) & (slots - 1);
            hash[j] = l->hash[i];
            idx[j] = l->idx[i];
        }
    free (l->hash);
    free (l->idx);
    l->hash = hash;
    l->idx = idx;
    l->slots = slots;
    return 0;
}

/* Room for one more string of n bytes in buf and off: -1 when memory
 * runs out. */
static int s_list_room (s_list_t *l, size_t n)
{
    if (l->used + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 2048;
        while (cap < l->used + n + 1)
            cap *= 2;
        char *buf = realloc (l->buf, cap);
        if (!buf)
            return -1;
        l->buf = buf;
        l->cap = cap;
    }
    if (l->n == l->ncap) {
        size_t ncap = l->ncap ? l->ncap * 2 : 64;
        uint32_t *off = realloc (l->off, ncap * sizeof *off);
        if (!off)
            return -1;
        l->off = off;
        l->ncap = ncap;
    }
    return 0;
}

/* Adds a copy of s (n bytes) unless it is there or a cap is reached, and
 * counts what it did not add. Returns -1 only when memory runs out. */
static int s_list_add (s_list_t *l, const dt_urlfp_key_t *key, const char *s, size_t n,
                       dt_links_skipped_t *skipped)
{
    if ((l->n + 1) * 2 > l->slots && s_list_grow_index (l) < 0)
        return -1;
    uint64_t h = dt_urlfp (key, s, n);
    int found;
    size_t slot = s_list_slot (l, s, n, h, &found);
    if (found) {
        skipped->duplicate++;
        return 0;
    }
    if (l->n >= DT_LIMIT_LINKS_MAX || l->bytes + n > DT_LIMIT_LINKS_BYTES) {
        skipped->over_cap++;
        return 0;
    }
    if (s_list_room (l, n) < 0)
        return -1;
    memcpy (l->buf + l->used, s, n);
    l->buf[l->used + n] = '\0';
    l->off[l->n++] = (uint32_t) l->used;
    l->used += n + 1;
    l->bytes += n;
    l->hash[slot] = h;
    l->idx[slot] = (uint32_t) l->n;
    return 0;
}

static void s_list_clear (s_list_t *l)
{
    free (l->buf);
    free (l->off);
    free (l->hash);
    free (l->idx);
    memset (l, 0, sizeof *l);
}

/* An attribute value as a browser reads a URL from it: leading and
 * trailing controls and spaces dropped, tabs and line breaks inside
 * removed. Written to `out` (room for strlen (v) + 1 bytes); returns its
 * length. */
static size_t s_clean_into (const char *v, char *out)
{
    size_t len = strlen (v);
    while (len > 0 && (unsigned char) v[0] <= 0x20)
        v++, len--;
    while (len > 0 && (unsigned char) v[len - 1] <= 0x20)
        len--;
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
            out[o++] = v[i];
    out[o] = '\0';
    return o;
}

/* s_clean_into a new string (the caller frees it), its length in *n;
 * NULL when memory runs out. */
static char *s_clean (const char *v, size_t *n)
{
    char *out = malloc (strlen (v) + 1);
    if (out)
        *n = s_clean_into (v, out);
    return out;
}

/* Length of the scheme of u (before its ':'), or 0 when u has none and
 * is relative. */
static size_t s_scheme_len (const char *u)
{
    size_t i = 0;
    if (!((u[0] >= 'a' && u[0] <= 'z') || (u[0] >= 'A' && u[0] <= 'Z')))
        return 0;
    while ((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
           (u[i] >= '0' && u[i] <= '9') || u[i] == '+' || u[i] == '-' || u[i] == '.')
        i++;
    return u[i] == ':' ? i : 0;
}

static int s_http_scheme (const char *u, size_t n)
{
    return s_is (u, n, "http") || s_is (u, n, "https");
}

/* Bytes of a link value cleaned on the stack; a longer one is allocated. */
#define S_VALUE_STACK 512

/* One link value: cleaned, checked for length and scheme, then listed. */
static void s_candidate (s_sax_t *st, const char *value)
{
    char stack[S_VALUE_STACK];
    size_t len = strlen (value);
    char *v = len < sizeof stack ? stack : malloc (len + 1);
    if (!v) {
        st->oom = 1;
        return;
    }
    size_t n = s_clean_into (value, v);
    size_t scheme = s_scheme_len (v);
    if (n > DT_LIMIT_URL_MAX)
        st->skipped->too_long++;
    else if (scheme && !s_http_scheme (v, scheme))
        st->skipped->bad_scheme++;
    else if (s_list_add (st->raw, st->key, v, n, st->skipped) < 0)
        st->oom = 1;
    if (v != stack)
        free (v);
}

/* True when the whitespace-separated list has one of the words. */
static int s_has_word (const char *list, const char *const *words, size_t nwords)
{
    const char *s = list;
    while (s && *s) {
        while (s_ws ((unsigned char) *s))
            s++;
        size_t n = 0;
        while (s[n] && !s_ws ((unsigned char) s[n]))
            n++;
        for (size_t i = 0; n && i < nwords; i++)
            if (s_is (s, n, words[i]))
                return 1;
        s += n;
    }
    return 0;
}

static const char *s_attr (const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts && atts[i]; i += 2)
        if (strcmp ((const char *) atts[i], name) == 0)
            return atts[i + 1] ? (const char *) atts[i + 1] : "";
    return NULL;
}

/* libxml2 calls this for every start tag, with names in lower case and
 * attribute values with entities decoded. */
static void s_start (void *ctx, const xmlChar *tag, const xmlChar **atts)
{
    static const char *const nofollow[] = {"nofollow"};
    static const char *const pages[] = {"alternate", "canonical", "next",     "prev",
                                        "previous",  "first",     "last",     "up",
                                        "index",     "start",     "contents", "home"};
    static const char *const subresources[] = {
        "stylesheet", "icon",          "preload",  "prefetch",         "dns-prefetch", "preconnect",
        "prerender",  "modulepreload", "manifest", "apple-touch-icon", "mask-icon",    "pingback"};
    s_sax_t *st = ctx;
    const char *name = (const char *) tag;
    if (st->oom)
        return;
    if (strcmp (name, "a") == 0 || strcmp (name, "area") == 0 || strcmp (name, "link") == 0) {
        const char *href = s_attr (atts, "href");
        const char *rel = s_attr (atts, "rel");
        if (!href)
            return;
        if (name[0] == 'l' &&
            (!rel || !s_has_word (rel, pages, sizeof pages / sizeof *pages) ||
             s_has_word (rel, subresources, sizeof subresources / sizeof *subresources)))
            return;
        if (rel && s_has_word (rel, nofollow, 1)) {
            st->skipped->nofollow++;
            return;
        }
        s_candidate (st, href);
    } else if (strcmp (name, "frame") == 0 || strcmp (name, "iframe") == 0) {
        const char *src = s_attr (atts, "src");
        if (src)
            s_candidate (st, src);
    } else if (strcmp (name, "base") == 0) {
        const char *href = s_attr (atts, "href");
        size_t n;
        if (!href || st->base_seen)
            return;
        st->base_seen = 1;
        st->base = s_clean (href, &n);
        if (!st->base)
            st->oom = 1;
    } else if (strcmp (name, "meta") == 0) {
        const char *who = s_attr (atts, "name");
        const char *content = s_attr (atts, "content");
        if (who && content &&
            (strcasecmp (who, "robots") == 0 || (st->agent_len && strlen (who) == st->agent_len &&
                                                 strncasecmp (who, st->agent, st->agent_len) == 0)))
            st->robots |= s_directives (content);
    }
}

/* True when the page's first 1024 bytes (the window of HTML's encoding
 * prescan) say "charset": a meta tag libxml2 reads and obeys. */
static int s_declares_charset (const char *html, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 7 <= n; i++)
        if (strncasecmp (html + i, "charset", 7) == 0)
            return 1;
    return 0;
}

/* True when the n bytes are well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF). A NUL byte counts as text. */
static int s_utf8 (const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1, min = 0x80, c &= 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2, min = 0x800, c &= 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3, min = 0x10000, c &= 0x07;
        else
            return 0;
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (p[i + j] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Runs libxml2's HTML push parser over the page with s_start as its only
 * callback: no tree is built. The encoding: the Content-Type's charset;
 * else a meta charset, which libxml2 reads; else UTF-8 when the bytes are
 * UTF-8 (most of the web), or libxml2's default, ISO-8859-1, the
 * undeclared legacy case. */
static void s_parse (s_sax_t *st, const char *html, size_t len, const char *content_type)
{
    htmlSAXHandler sax;
    memset (&sax, 0, sizeof sax);
    sax.startElement = s_start;
    xmlInitParser ();
    htmlParserCtxtPtr ctxt =
        htmlCreatePushParserCtxt (&sax, st, NULL, 0, NULL, XML_CHAR_ENCODING_NONE);
    if (!ctxt) {
        st->oom = 1;
        return;
    }
    /* Recover from anything, say nothing on stderr, fetch nothing. */
    htmlCtxtUseOptions (ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                  HTML_PARSE_NONET);
    char charset[S_CHARSET_MAX];
    s_charset (content_type, charset, sizeof charset);
    if (!charset[0] && !s_declares_charset (html, len) && s_utf8 (html, len))
        strcpy (charset, "UTF-8");
    if (charset[0]) {
        xmlCharEncodingHandlerPtr enc = xmlFindCharEncodingHandler (charset);
        if (enc)
            xmlSwitchToEncoding (ctxt, enc);
    }
    /* The return value is the last error seen; in recovery mode the
     * parser goes on after any, so it says nothing about the links. */
    for (size_t off = 0; off < len && !st->oom; off += S_CHUNK) {
        size_t n = len - off < S_CHUNK ? len - off : S_CHUNK;
        (void) htmlParseChunk (ctxt, html + off, (int) n, 0);
    }
    (void) htmlParseChunk (ctxt, NULL, 0, 1);
    htmlFreeParserCtxt (ctxt);
}

/* u with the path and query bytes a URL may not hold (controls, space,
 * non-ASCII, "<>{}|\^`) percent-encoded; the scheme and authority are left
 * alone (a host is IDN, not percent-encoded). A new string, or NULL. */
static char *s_encode (const char *u)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen (u), start = 0;
    size_t scheme = s_scheme_len (u);
    size_t at = scheme ? scheme + 1 : 0;
    if (u[at] == '/' && u[at + 1] == '/')
        start = at + 2 + strcspn (u + at + 2, "/?#");
    char *out = malloc (3 * n + 1);
    if (!out)
        return NULL;
    memcpy (out, u, start);
    size_t o = start;
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char) u[i];
        if (s_unreserved (c) || s_reserved (c) || c == '%')
            out[o++] = (char) c;
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

/* RFC 3986 section 6.2.2 on the path and query of url, in place: %XX of an
 * unreserved character becomes the character, other %XX get upper-case
 * hex. Both leave what the URL names unchanged. */
static void s_percent_normalise (char *url)
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = strstr (url, "://");
    if (!p)
        return;
    p += 3;
    p += strcspn (p, "/?#");
    char *o = p;
    while (*p) {
        int hi, lo;
        if (p[0] == '%' && (hi = s_hex ((unsigned char) p[1])) >= 0 &&
            (lo = s_hex ((unsigned char) p[2])) >= 0) {
            int v = hi * 16 + lo;
            if (s_unreserved (v))
                *o++ = (char) v;
            else {
                *o++ = '%';
                *o++ = hex[hi];
                *o++ = hex[lo];
            }
            p += 3;
        } else
            *o++ = *p++;
    }
    *o = '\0';
}

/* The host of h in lower case and, when it has non-ASCII characters, in
 * punycode. curl's own conversion (CURLU_PUNYCODE) goes through the
 * process's locale and fails in the C locale daemons run in; libidn2's
 * UTF-8 entry point does not. 0, or -1 when the host cannot be made. */
static int s_fix_host (CURLU *h)
{
    char *host = NULL;
    if (curl_url_get (h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host)
        return -1;
    int ascii = 1, upper = 0;
    for (const char *c = host; *c; c++) {
        ascii &= (unsigned char) *c < 0x80;
        upper |= *c >= 'A' && *c <= 'Z';
    }
    int rc = 0;
    if (!ascii) {
        char *puny = NULL;
        int r = idn2_to_ascii_8z (host, &puny, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (r != IDN2_OK)
            r = idn2_to_ascii_8z (host, &puny, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
        if (r != IDN2_OK || curl_url_set (h, CURLUPART_HOST, puny, 0) != CURLUE_OK)
            rc = -1;
        idn2_free (puny);
    } else if (upper) {
        for (char *c = host; *c; c++)
            *c = (char) s_lower ((unsigned char) *c);
        if (curl_url_set (h, CURLUPART_HOST, host, 0) != CURLUE_OK)
            rc = -1;
    }
    curl_free (host);
    return rc;
}

/* The normalised URL of h (see dt_links.h), or NULL with the reason
 * counted in *skipped; *oom set when memory ran out. */
static char *s_finish (CURLU *h, dt_links_skipped_t *skipped, int *oom)
{
    char *scheme = NULL, *url = NULL;
    curl_url_set (h, CURLUPART_FRAGMENT, NULL, 0);
    if (curl_url_get (h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !scheme ||
        !s_http_scheme (scheme, strlen (scheme))) {
        skipped->bad_scheme++;
        goto done;
    }
    if (s_fix_host (h) < 0) {
        skipped->bad_url++;
        goto done;
    }
    CURLUcode uc = curl_url_get (h, CURLUPART_URL, &url, CURLU_NO_DEFAULT_PORT);
    if (uc != CURLUE_OK || !url) {
        *oom = uc == CURLUE_OUT_OF_MEMORY;
        skipped->bad_url += !*oom;
        goto done;
    }
    s_percent_normalise (url);
    size_t n = strlen (url);
    if (n > DT_LIMIT_URL_MAX) {
        skipped->too_long++;
        curl_free (url);
        url = NULL;
    } else if (dt_url_check (url, n, NULL, 0) < 0) {
        skipped->bad_url++;
        curl_free (url);
        url = NULL;
    }
done:
    curl_free (scheme);
    return url; /* curl's: the caller frees it with curl_free */
}

/* A handle on raw resolved against base, or NULL (counted). */
static CURLU *s_resolve (CURLU *base, const char *raw, dt_links_skipped_t *skipped, int *oom)
{
    CURLU *h = curl_url_dup (base);
    if (!h) {
        *oom = 1;
        return NULL;
    }
    /* curl 7.88 resolves "" and "#frag" to the base's directory; both
     * mean the base itself (RFC 3986 section 5.2.2), which h already is. */
    if (raw[0] == '\0' || raw[0] == '#')
        return h;
    char *enc = s_encode (raw);
    if (!enc) {
        *oom = 1;
        curl_url_cleanup (h);
        return NULL;
    }
    CURLUcode uc = curl_url_set (h, CURLUPART_URL, enc, 0);
    free (enc);
    if (uc != CURLUE_OK) {
        *oom = uc == CURLUE_OUT_OF_MEMORY;
        skipped->bad_url += !*oom;
        curl_url_cleanup (h);
        return NULL;
    }
    return h;
}

/* The base every link resolves against, once per page. */
typedef struct {
    CURLU *h;      /* parsed, for curl's resolution; NULL when the page has none */
    char *norm;    /* its normalised URL: what "" and "#frag" resolve to */
    char *raw;     /* its URL as curl writes it, before percent-normalising */
    size_t prefix; /* bytes of raw before its path: scheme://authority */
    size_t dir;    /* bytes of raw up to the last '/' of its path, included */
} s_base_t;

static void s_base_free (s_base_t *b)
{
    curl_url_cleanup (b->h);
    curl_free (b->norm);
    curl_free (b->raw);
    memset (b, 0, sizeof *b);
}

/* Fills b from h (taken), which s_finish has normalised to `norm`
 * (taken). -1 when memory runs out. */
static int s_base_set (s_base_t *b, CURLU *h, char *norm)
{
    b->h = h;
    b->norm = norm;
    if (curl_url_get (h, CURLUPART_URL, &b->raw, CURLU_NO_DEFAULT_PORT) != CURLUE_OK || !b->raw)
        return -1;
    /* curl writes an http(s) URL with a path: the first '/' after "://". */
    const char *sep = strstr (b->raw, "://");
    const char *path = sep ? strchr (sep + 3, '/') : NULL;
    if (!path) {
        b->prefix = b->dir = 0; /* no fast resolution */
        return 0;
    }
    b->prefix = (size_t) (path - b->raw);
    size_t end = b->prefix + strcspn (path, "?#");
    b->dir = end;
    while (b->dir > b->prefix && b->raw[b->dir - 1] != '/')
        b->dir--;
    return 0;
}

/* The base: the page's URL, or the first <base href> resolved against it
 * when that is an http(s) URL. -1 when the page's URL itself is not one,
 * or memory ran out (*oom). */
static int s_base (s_base_t *b, const char *page_url, const char *base_href, int *oom)
{
    dt_links_skipped_t ignored = {0};
    memset (b, 0, sizeof *b);
    CURLU *page = curl_url ();
    if (!page) {
        *oom = 1;
        return -1;
    }
    char *page_norm = NULL;
    if (curl_url_set (page, CURLUPART_URL, page_url, 0) != CURLUE_OK ||
        !(page_norm = s_finish (page, &ignored, oom))) {
        curl_url_cleanup (page);
        return -1;
    }
    if (base_href) {
        CURLU *base = s_resolve (page, base_href, &ignored, oom);
        char *base_norm = base ? s_finish (base, &ignored, oom) : NULL;
        if (base_norm) {
            curl_free (page_norm);
            curl_url_cleanup (page);
            page = base;
            page_norm = base_norm;
        } else
            curl_url_cleanup (base);
    }
    if (s_base_set (b, page, page_norm) < 0) {
        *oom = 1;
        s_base_free (b);
        return -1;
    }
    return 0;
}

/* Bytes a link may hold and still take the fast way: unreserved,
 * sub-delims, ':', '@', '/', '?', '#' and '%' (RFC 3986 section 2). Any
 * other (space, controls, non-ASCII, quotes, '\') goes through
 * s_encode and curl. */
static int s_plain (int c)
{
    return s_unreserved (c) || (c && strchr ("!$&'()*+,;=:@/?#%", c) != NULL);
}

/* Resolves the relative reference `ref` (n bytes, cleaned) against the
 * base the way curl does, without curl, when that is plain string work:
 * a path ("a.html", "/p/1.html") of plain bytes, with no "." or ".."
 * segment (curl has removed the base's), and no ':' in its first segment
 * (it would read as a scheme). The URL before percent-normalising, in a
 * new string, or NULL when this reference needs curl (or memory ran out:
 * *oom). */
static char *s_resolve_fast (const s_base_t *b, const char *ref, size_t n, int *oom)
{
    if (!b->prefix || n == 0 || ref[0] == '?' || ref[0] == '#' ||
        (ref[0] == '/' && n > 1 && ref[1] == '/'))
        return NULL;
    size_t path_end = n, seg = 0;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) ref[i];
        if (!s_plain (c))
            return NULL;
        if (i >= path_end)
            continue; /* query or fragment: kept or dropped as written */
        if (c == '?' || c == '#' || c == '/') {
            size_t len = i - seg;
            if ((len == 1 && ref[seg] == '.') ||
                (len == 2 && ref[seg] == '.' && ref[seg + 1] == '.'))
                return NULL;
            if (c != '/')
                path_end = i;
            else if (i > 0)
                first = 0;
            seg = i + 1;
        } else if (c == ':' && first)
            return NULL;
    }
    if (path_end == n) {
        size_t len = n - seg;
        if ((len == 1 && ref[seg] == '.') || (len == 2 && ref[seg] == '.' && ref[seg + 1] == '.'))
            return NULL;
    }
    /* The fragment is dropped. */
    const char *hash = memchr (ref, '#', n);
    size_t keep = hash ? (size_t) (hash - ref) : n;
    size_t head = ref[0] == '/' ? b->prefix : b->dir;
    char *url = malloc (head + keep + 1);
    if (!url) {
        *oom = 1;
        return NULL;
    }
    memcpy (url, b->raw, head);
    memcpy (url + head, ref, keep);
    url[head + keep] = '\0';
    return url;
}

/* The normalised URL of link `raw` (n bytes) resolved against the base,
 * or NULL with the reason counted (*oom when memory ran out). The
 * caller frees it with free(). */
static char *s_link (const s_base_t *b, const char *raw, size_t n, dt_links_skipped_t *skipped,
                     int *oom)
{
    char *url = NULL;
    /* curl 7.88 resolves "" and "#frag" to the base's directory; both
     * mean the base itself (RFC 3986 section 5.2.2). */
    if (n == 0 || raw[0] == '#') {
        url = strdup (b->norm);
        *oom |= !url;
        return url;
    }
    if (s_fast && (url = s_resolve_fast (b, raw, n, oom)) != NULL) {
        s_percent_normalise (url);
        size_t len = strlen (url);
        /* No dt_url_check: the base passed it, and what follows its
         * authority is plain bytes, which it takes as they are. */
        if (len > DT_LIMIT_URL_MAX) {
            skipped->too_long++;
            free (url);
            return NULL;
        }
        return url;
    }
    if (*oom)
        return NULL;
    CURLU *h = s_resolve (b->h, raw, skipped, oom);
    char *curl_url = h ? s_finish (h, skipped, oom) : NULL;
    curl_url_cleanup (h);
    if (curl_url) {
        url = strdup (curl_url);
        *oom |= !url;
        curl_free (curl_url);
    }
    return url;
}

/* The process's key for the per-page hash index: drawn once (a page
 * cannot know it either way), not a system call per page. */
static const dt_urlfp_key_t *s_key (void)
{
    static dt_urlfp_key_t key;
    static int drawn;
    if (!drawn && dt_urlfp_key_random (&key) == 0)
        drawn = 1;
    return drawn ? &key : NULL;
}

dt_links_t *dt_links_extract (const char *page_url, const char *html, size_t len,
                              const char *content_type, const char *agent)
{
    dt_links_t *self = calloc (1, sizeof *self);
    s_list_t raw = {0};
    const dt_urlfp_key_t *key = s_key ();
    s_base_t base = {0};
    s_sax_t st = {0};
    if (!self || !page_url || !key)
        goto fail;
    st.raw = &raw;
    st.skipped = &self->skipped;
    st.key = key;
    st.agent = agent;
    st.agent_len = s_token_len (agent);
    if (!html)
        len = 0;
    self->skipped.html_truncated = len > DT_LIMIT_HTML_MAX;
    self->skipped.html_bytes = len > DT_LIMIT_HTML_MAX ? DT_LIMIT_HTML_MAX : len;
    s_parse (&st, html, self->skipped.html_bytes, content_type);
    if (st.oom)
        goto fail;
    self->robots = st.robots;
    if (s_base (&base, page_url, st.base, &st.oom) < 0)
        goto fail;
    if (st.robots & DT_LINKS_NOFOLLOW)
        self->skipped.nofollow += raw.n; /* none is resolved or kept */
    else
        for (size_t i = 0; i < raw.n && !st.oom; i++) {
            const char *r = s_list_at (&raw, i);
            char *url = s_link (&base, r, strlen (r), &self->skipped, &st.oom);
            if (url && s_list_add (&self->list, key, url, strlen (url), &self->skipped) < 0)
                st.oom = 1;
            free (url);
        }
    if (st.oom)
        goto fail;
    s_base_free (&base);
    s_list_clear (&raw);
    free (st.base);
    return self;
fail:
    s_base_free (&base);
    s_list_clear (&raw);
    free (st.base);
    dt_links_destroy (&self);
    return NULL;
}

void dt_links_set_fast (int on)
{
    s_fast = on;
}

void dt_links_destroy (dt_links_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_links_t *self = *self_p;
    s_list_clear (&self->list);
    free (self);
    *self_p = NULL;
}

size_t dt_links_count (const dt_links_t *self)
{
    return self->list.n;
}

const char *dt_links_url (const dt_links_t *self, size_t i)
{
    return i < self->list.n ? s_list_at (&self->list, i) : NULL;
}

unsigned dt_links_robots (const dt_links_t *self)
{
    return self->robots;
}

const dt_links_skipped_t *dt_links_skipped (const dt_links_t *self)
{
    return &self->skipped;
}
