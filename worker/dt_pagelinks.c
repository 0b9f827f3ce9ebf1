/* dt_pagelinks.c - a crawl page's links: the HTML body kept while it arrives, X-Robots-Tag, and
 * the links extracted at the end. */
#include "dt_pagelinks.h"
#include "dt_limits.h"
#include "dt_links.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dt_pagelinks_t {
    char *body;      /* the body so far, up to DT_LIMIT_HTML_MAX (NOT NUL-terminated) */
    size_t len;      /* bytes in body */
    size_t cap;      /* bytes allocated */
    unsigned robots; /* DT_LINKS_* from X-Robots-Tag lines of this response */
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
    free (self->links);
    self->links = NULL;
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
        return;
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

const char *dt_pagelinks_links (dt_pagelinks_t *self, long status, const char *final_url,
                                const char *content_type, size_t *len)
{
    *len = 0;
    if (status < 200 || status > 299 || !dt_links_is_html (content_type) ||
        (self->robots & DT_LINKS_NOFOLLOW))
        return "";
    dt_links_t *links = dt_links_extract (final_url, self->body ? self->body : "", self->len,
                                          content_type, DT_PAGELINKS_AGENT);
    if (!links)
        return "";
    size_t count = dt_links_robots (links) & DT_LINKS_NOFOLLOW ? 0 : dt_links_count (links);
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
