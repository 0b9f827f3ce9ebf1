/* dt_robots.h - robots.txt (RFC 9309) for one crawler: parse, then ask "may I fetch this path?".
 *
 * A parse keeps only what applies to one product token (ours): the groups
 * whose user-agent names it, merged, or else the `*` groups, merged. The
 * result is a small sorted rule list, so a check is one walk over it:
 * the longest matching pattern decides, Allow wins a tie, no match allows.
 * Patterns and paths are compared after the same percent-encoding
 * normalisation (RFC 9309 section 2.2.2): %XX of an unreserved character
 * is decoded, other %XX get upper-case hex, and bytes that may not appear
 * in a URI (non-ASCII, controls, space, "<>{}|\^`) are encoded.
 *
 * Where the RFC leaves room, this parser does what Google's open-source
 * parser does: a user-agent value counts up to its first byte outside
 * [A-Za-z_-] ("dtask/1.0" names "dtask"); a missing colon after a known
 * directive name is assumed ("disallow /"); a partial UTF-8 BOM is
 * skipped; CR, LF and CRLF all end lines. Unlike it, "%62" in a rule
 * matches "b" in a path and a raw non-ASCII path matches its encoded rule,
 * as the RFC's table says.
 *
 * Everything is bounded (see DT_LIMIT_ROBOTS_* in dt_limits.h): bytes
 * parsed, bytes of a line, rules kept; the matcher has no backtracking
 * (O(path + pattern) per rule).
 */
#ifndef DT_ROBOTS_H
#define DT_ROBOTS_H

#include <stddef.h>

typedef struct dt_robots_t dt_robots_t;

/* What happened in a parse, for logs and tests. */
typedef struct {
    size_t bytes_parsed;      /* of the body: at most DT_LIMIT_ROBOTS_MAX */
    int truncated;            /* the body was longer than the cap */
    size_t lines;             /* lines seen */
    size_t lines_cut;         /* lines longer than DT_LIMIT_ROBOTS_LINE_MAX */
    size_t unknown;           /* lines that are no directive we know */
    size_t rules;             /* rules kept for our agent */
    size_t rules_over_cap;    /* rules for our agent dropped by DT_LIMIT_ROBOTS_RULES_MAX */
    size_t rules_unmatchable; /* patterns longer than any URL we fetch: dropped */
    int group;                /* 1: our own group(s), 0: the `*` group(s), -1: none */
} dt_robots_stats_t;

/* How long a verdict holds. RFC 9309 section 2.4: a cached robots.txt
 * SHOULD NOT be used for more than 24 hours. An unreachable one means "all
 * disallowed" (section 2.3.1.4); it is fetched again after a short wait
 * rather than blocking the host for a day. */
#define DT_ROBOTS_TTL_S   (24 * 3600)
#define DT_ROBOTS_RETRY_S (10 * 60)

/* Redirects to follow when fetching robots.txt: "at least five"
 * (section 2.3.1.2); beyond that the file counts as unavailable. */
#define DT_ROBOTS_REDIRECTS_MAX 5

/* Crawl-delay kept, in milliseconds. The line is not in the RFC but is
 * widely used; values above this are capped, because a host that asks
 * for minutes between requests would hold its frontier share forever
 * (Apache Nutch skips such hosts past 30 s by default). */
#define DT_ROBOTS_DELAY_MAX_MS (60 * 1000)

/* What to do with a robots.txt response. */
typedef enum {
    DT_ROBOTS_PARSE,        /* 2xx: parse the body with dt_robots_parse() */
    DT_ROBOTS_FOLLOW,       /* 3xx within DT_ROBOTS_REDIRECTS_MAX: fetch the Location */
    DT_ROBOTS_ALLOW_ALL,    /* 4xx (but 429), or too many redirects: no rules */
    DT_ROBOTS_DISALLOW_ALL, /* 5xx, 429, unreachable (status 0) or nonsense: nothing */
} dt_robots_action_t;

/* The RFC 9309 status rules (section 2.3.1). `status` is the HTTP status,
 * 0 when the host was unreachable (DNS, connect, TLS, timeout);
 * `redirects` is how many were followed to get this response. When
 * `ttl_s` is not NULL it gets how many seconds the outcome holds before
 * robots.txt is fetched again (DT_ROBOTS_TTL_S or DT_ROBOTS_RETRY_S).
 * 429 counts as a server error: the host asks us to slow down, and
 * reading "no rules" into it would do the opposite. */
dt_robots_action_t dt_robots_on_status (int status, int redirects, int *ttl_s);

/* Parses `len` bytes of `body` (not NUL-terminated, any bytes) for the
 * product token `agent` (e.g. "dtask"; "dtask/1.0" is cut to "dtask").
 * Reads at most DT_LIMIT_ROBOTS_MAX bytes. Returns a new object that the
 * caller destroys, or NULL when memory runs out or `agent` has no
 * product token. An empty or garbage body gives an object that allows
 * everything. */
dt_robots_t *dt_robots_parse (const char *body, size_t len, const char *agent);

/* An object that allows everything (`allowed` != 0) or nothing but
 * /robots.txt, for the outcomes of dt_robots_on_status() that have no
 * body. NULL when memory runs out. */
dt_robots_t *dt_robots_new_all (int allowed);

/* Frees the object and sets *self_p to NULL. NULL-safe. */
void dt_robots_destroy (dt_robots_t **self_p);

/* 1 when the path (with its query: "/a/b?c=d", no fragment; `len` bytes,
 * not NUL-terminated) may be fetched, 0 when not. "/robots.txt" is always
 * allowed; an empty path counts as "/". A path longer than
 * DT_LIMIT_URL_MAX once normalised is refused: no such URL is fetched. */
int dt_robots_allowed (const dt_robots_t *self, const char *path, size_t len);

/* The Crawl-delay of the group(s) kept, in milliseconds (the largest when
 * several give one, capped at DT_ROBOTS_DELAY_MAX_MS), or -1 if none. */
int dt_robots_delay_ms (const dt_robots_t *self);

/* Copies what the parse saw into *stats. */
void dt_robots_stats (const dt_robots_t *self, dt_robots_stats_t *stats);

#endif
