/* dt_pagelinks.h - a crawl page's links as the worker sends them: the HTML body kept (bounded)
 * while it arrives, X-Robots-Tag read from the response head, links extracted at the end.
 *
 * One per transfer slot, reused task after task. Only a 2xx response
 * labelled HTML (dt_links_is_html) is parsed: an image, a PDF or an error
 * page gives no links. A nofollow in the head (X-Robots-Tag for every agent
 * or for "dtask") or in the page (meta robots) gives none either; rel=
 * nofollow drops the one link (dt_links.h). At most DT_LIMIT_HTML_MAX
 * bytes of body are kept, and the links are capped by dt_links
 * (DT_LIMIT_LINKS_MAX, DT_LIMIT_LINKS_BYTES).
 */
#ifndef DT_PAGELINKS_H
#define DT_PAGELINKS_H

#include <stddef.h>

/* The product token that X-Robots-Tag and <meta name=...> name us by. */
#define DT_PAGELINKS_AGENT "dtask"

typedef struct dt_pagelinks_t dt_pagelinks_t;

/* A new, empty page. NULL when out of memory. */
dt_pagelinks_t *dt_pagelinks_new (void);

/* NULL-safe; nulls the pointer. */
void dt_pagelinks_destroy (dt_pagelinks_t **self_p);

/* Forgets the body, the robots flags, wire mode and the links: a new response
 * (the next task, or a redirect's next hop). Keeps the buffer. */
void dt_pagelinks_reset (dt_pagelinks_t *self);

/* This task's body comes as received (a capture keeps it so): chunked
 * framing is removed and a gzip or deflate content coding inflated before
 * the links are read; a coding zlib cannot undo gives no links. Until the
 * next reset. */
void dt_pagelinks_wire (dt_pagelinks_t *self);

/* One response head line as libcurl hands it (with its CRLF): a status
 * line starts a new response; X-Robots-Tag lines are read. */
void dt_pagelinks_header (dt_pagelinks_t *self, const char *line, size_t len);

/* `len` body bytes: kept up to DT_LIMIT_HTML_MAX in all (the rest is
 * dropped, not refused: the fetch goes on). */
void dt_pagelinks_body (dt_pagelinks_t *self, const char *data, size_t len);

/* The page's links, absolute and normalised, one per '\n', borrowed until
 * the next reset (*len 0 and "" when there is none): for a 2xx `status`
 * whose `content_type` is HTML, found at `final_url`, unless nofollow.
 * Out of memory gives none. */
const char *dt_pagelinks_links (dt_pagelinks_t *self, long status, const char *final_url,
                                const char *content_type, size_t *len);

/* The DT_LINKS_* robots flags of this response (dt_links.h): its
 * X-Robots-Tag lines and, once dt_pagelinks_links has parsed the page, its
 * meta robots tags. NOINDEX tells the fetch not to keep the page. */
unsigned dt_pagelinks_robots (const dt_pagelinks_t *self);

/* The length of the longest prefix of `links` (`len` bytes, one URL per
 * '\n', none after the last) that is at most `room` bytes and ends after a
 * whole URL: 0 when even the first does not fit. */
size_t dt_pagelinks_fit (const char *links, size_t len, size_t room);

#endif
