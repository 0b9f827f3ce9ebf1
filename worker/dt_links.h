/* dt_links.h - the links of an HTML page, resolved and normalised, for the crawl's frontier.
 *
 * The HTML parser is libxml2's (Debian's libxml2-dev), through its SAX push
 * interface: it streams, so a page costs no tree, only the links kept; it
 * recovers from any malformed HTML (unclosed tags, garbage and NUL bytes);
 * it is maintained, with security updates, as a core library of every
 * Linux distribution. gumbo (libgumbo-dev) follows HTML5's tree building
 * more exactly, but builds the whole tree in memory, and Debian ships its
 * 2016 release of a repository Google archived in 2023; for the
 * attributes of a handful of tags, libxml2's tokenizer is enough.
 *
 * What is a link: a[href], area[href], frame[src], iframe[src], and
 * link[href] whose rel names another page (alternate, canonical, next,
 * prev, previous, first, last, up, index, start, contents, home) and no
 * subresource (stylesheet, icon, preload, prefetch, ... are fetched by
 * browsers to show this page, not pages to crawl). rel=nofollow on a, area
 * or link drops that link. The first <base href> sets the base for every
 * link in the page, wherever it stands (HTML's rule), so links are
 * collected first and resolved at the end. <meta name="robots"> (or
 * name="AGENT") with nofollow keeps no link; noindex is returned as a flag.
 *
 * Each link is resolved against the base with libcurl's URL API and
 * normalised: scheme and host lower case, an IDN host in punycode
 * (libidn2, IDNA2008 with UTS #46 as curl uses it), default port dropped,
 * dot segments removed, fragment dropped, percent-escapes with upper-case
 * hex and unreserved characters decoded (RFC 3986 section 6.2.2), spaces
 * and non-ASCII bytes of the path and query percent-encoded. Only http and
 * https URLs that pass dt_url_check() are kept, each once. The links of a
 * page are deduplicated as written before any is resolved, and the base
 * is parsed once per page.
 */
#ifndef DT_LINKS_H
#define DT_LINKS_H

#include <stddef.h>

/* Robots directives for a page, from meta tags or X-Robots-Tag. */
#define DT_LINKS_NOINDEX  1u /* do not index this page (its links may be followed) */
#define DT_LINKS_NOFOLLOW 2u /* follow none of its links */

/* What was not kept, and why. */
typedef struct {
    size_t over_cap;    /* past DT_LIMIT_LINKS_MAX links or DT_LIMIT_LINKS_BYTES bytes */
    size_t too_long;    /* longer than DT_LIMIT_URL_MAX, as written or once resolved */
    size_t bad_scheme;  /* javascript:, mailto:, data:, ftp:, ... */
    size_t bad_url;     /* curl's parser or dt_url_check() refused it */
    size_t nofollow;    /* rel=nofollow, or all of them under a meta nofollow */
    size_t duplicate;   /* the same URL again in this page */
    size_t html_bytes;  /* bytes of HTML parsed: at most DT_LIMIT_HTML_MAX */
    int html_truncated; /* the page was longer than that */
} dt_links_skipped_t;

typedef struct dt_links_t dt_links_t;

/* 1 when a response with this Content-Type value is HTML to parse
 * (text/html, application/xhtml+xml, any case, any parameters), 0 when
 * not; NULL or empty is 0: an unlabelled body is not sniffed. */
int dt_links_is_html (const char *content_type);

/* The DT_LINKS_* flags in one X-Robots-Tag header value that apply to the
 * crawler `agent` (its product token, e.g. "dtask"): directives with no
 * agent prefix, and those after "AGENT:" ("dtask: noindex, nofollow").
 * "none" is both. Call once per header line and OR the results: an agent
 * prefix holds to the end of its line. */
unsigned dt_links_robots_header (const char *value, const char *agent);

/* Extracts the links of `len` bytes of HTML (not NUL-terminated; at most
 * DT_LIMIT_HTML_MAX of them are parsed) found at `page_url` (the final
 * URL, after redirects). `content_type` (may be NULL) gives the charset
 * when it has one; otherwise the page's own meta charset or libxml2's
 * guess is used. `agent` (may be NULL) is our product token, for
 * <meta name="AGENT">. Returns a new result that the caller destroys, or
 * NULL when memory runs out or page_url is not an http(s) URL. */
dt_links_t *dt_links_extract (const char *page_url, const char *html, size_t len,
                              const char *content_type, const char *agent);

/* Plain relative paths ("a.html", "/p/1.html") are resolved without
 * curl's URL API, as string work on the base curl parsed, with the same
 * result (test_links compares both ways on its cases); anything else goes
 * through curl. 0 sends every link through curl; 1, the default, does
 * not. For tests. */
void dt_links_set_fast (int on);

/* Frees the result and sets *self_p to NULL. NULL-safe. */
void dt_links_destroy (dt_links_t **self_p);

/* Links kept, in document order, and the i-th (borrowed; valid until
 * destroy). */
size_t dt_links_count (const dt_links_t *self);
const char *dt_links_url (const dt_links_t *self, size_t i);

/* DT_LINKS_* flags from the page's meta robots tags. */
unsigned dt_links_robots (const dt_links_t *self);

/* What was skipped (borrowed). */
const dt_links_skipped_t *dt_links_skipped (const dt_links_t *self);

#endif
