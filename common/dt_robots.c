/* dt_robots.c - robots.txt (RFC 9309) for one crawler: parse, then ask "may I fetch this path?". */
#include "dt_robots.h"
#include "dt_limits.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest product token we match on; real ones are a word. */
#define S_AGENT_MAX 64

/* One Allow or Disallow line kept. */
typedef struct {
    uint32_t off;  /* pattern in the arena: normalised, runs of '*' made one, no '$' */
    uint32_t len;  /* its length */
    uint32_t prio; /* normalised length as written ('*' and '$' counted): longest wins */
    uint8_t allow; /* 1 for Allow */
    uint8_t end;   /* 1 when the pattern ended in '$': the path must end where it does */
} s_rule_t;

struct dt_robots_t {
    s_rule_t *rules;         /* sorted: prio descending, Allow first on a tie */
    size_t nrules;           /* rules kept */
    char *arena;             /* the patterns, back to back, not NUL-terminated */
    int delay_ms;            /* Crawl-delay, -1 when none */
    int disallow_all;        /* 1 for dt_robots_new_all (0): only /robots.txt is allowed */
    dt_robots_stats_t stats; /* what the parse saw */
};

/* The parse's working state: rules for both our group(s) and the `*`
 * group(s) are collected, since which applies is known only at the end. */
typedef struct {
    char agent[S_AGENT_MAX];  /* our product token */
    size_t agent_len;         /* its length */
    s_rule_t *rules[2];       /* [1] our groups' rules, [0] the `*` groups' */
    size_t nrules[2];         /* rules in each */
    int delay[2];             /* largest Crawl-delay of each, -1 if none */
    int seen[2];              /* a user-agent line named us / `*` */
    char *arena;              /* every kept pattern */
    size_t arena_len;         /* bytes used; capacity is 3 x bytes parsed */
    int in_agents;            /* the last directive was a user-agent line */
    int cur[2];               /* the current group names us / `*` */
    dt_robots_stats_t *stats; /* where counts go */
} s_parse_t;

static int s_lower (int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int s_space (int c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int s_token_byte (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static int s_hex (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = s_lower (c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int s_unreserved (int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 3986 gen-delims and sub-delims: they keep their meaning only
 * unencoded, so a literal one and its %XX are different bytes here. '*' and
 * '$' are among them, which lets one normalisation serve rules and paths. */
static int s_reserved (int c)
{
    return c && strchr (":/?#[]@!$&'()*+,;=", c) != NULL;
}

/* Writes the comparison form of `src` (n bytes) to `dst` (room for 3n)
 * and returns its length: %XX of an unreserved byte decoded, other %XX
 * with upper-case hex, bytes outside unreserved and reserved encoded. The
 * same form for rules and paths is what RFC 9309 section 2.2.2 asks. */
static size_t s_normalise (const char *src, size_t n, char *dst)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) src[i];
        if (c == '%' && i + 2 < n && s_hex ((unsigned char) src[i + 1]) >= 0 &&
            s_hex ((unsigned char) src[i + 2]) >= 0) {
            int v = s_hex ((unsigned char) src[i + 1]) * 16 + s_hex ((unsigned char) src[i + 2]);
            if (s_unreserved (v))
                dst[o++] = (char) v;
            else {
                dst[o++] = '%';
                dst[o++] = hex[v >> 4];
                dst[o++] = hex[v & 15];
            }
            i += 2;
        } else if (s_unreserved (c) || s_reserved (c))
            dst[o++] = (char) c;
        else {
            dst[o++] = '%';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    return o;
}

/* The directive names we know. */
typedef enum { S_UNKNOWN, S_AGENT, S_ALLOW, S_DISALLOW, S_DELAY, S_SITEMAP } s_key_t;

static s_key_t s_key (const char *k, size_t n)
{
    static const struct {
        const char *name;
        s_key_t key;
    } keys[] = {{"user-agent", S_AGENT},
                {"allow", S_ALLOW},
                {"disallow", S_DISALLOW},
                {"crawl-delay", S_DELAY},
                {"sitemap", S_SITEMAP}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen (keys[i].name) == n && strncasecmp (keys[i].name, k, n) == 0)
            return keys[i].key;
    return S_UNKNOWN;
}

/* Crawl-delay "SECONDS[.FRACTION]" in milliseconds, capped; -1 when the
 * value is not such a number. */
static int s_delay (const char *v, size_t n)
{
    size_t i = 0;
    long ms = 0;
    if (n == 0)
        return -1;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        if (ms <= DT_ROBOTS_DELAY_MAX_MS)
            ms = ms * 10 + (v[i] - '0') * 1000;
    size_t digits = i;
    if (i < n && v[i] == '.') {
        long scale = 100;
        for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++, scale /= 10)
            ms += (v[i] - '0') * scale;
    }
    if (i != n || digits == 0)
        return -1;
    return ms > DT_ROBOTS_DELAY_MAX_MS ? DT_ROBOTS_DELAY_MAX_MS : (int) ms;
}

/* Adds one Allow/Disallow value to list `which`. Empty values match
 * nothing ("Disallow:" means allow all) and are not kept. */
static int s_add_rule (s_parse_t *p, int which, int allow, const char *v, size_t n)
{
    if (n == 0)
        return 0;
    if (p->nrules[which] >= DT_LIMIT_ROBOTS_RULES_MAX) {
        p->stats->rules_over_cap++;
        return 0;
    }
    if (!p->rules[which]) {
        p->rules[which] = malloc (DT_LIMIT_ROBOTS_RULES_MAX * sizeof (s_rule_t));
        if (!p->rules[which])
            return -1;
    }
    char *dst = p->arena + p->arena_len;
    size_t len = s_normalise (v, n, dst);
    size_t prio = len;
    int end = len > 0 && dst[len - 1] == '$';
    if (end)
        len--;
    /* One '*' is as good as a run of them; the literal bytes left must fit
     * in a URL we would fetch, or the rule can never match. */
    size_t o = 0, literal = 0;
    for (size_t i = 0; i < len; i++) {
        if (dst[i] == '*' && o > 0 && dst[o - 1] == '*')
            continue;
        literal += dst[i] != '*';
        dst[o++] = dst[i];
    }
    if (literal > DT_LIMIT_URL_MAX) {
        p->stats->rules_unmatchable++;
        return 0;
    }
    s_rule_t *r = &p->rules[which][p->nrules[which]++];
    r->off = (uint32_t) p->arena_len;
    r->len = (uint32_t) o;
    r->prio = (uint32_t) prio;
    r->allow = (uint8_t) allow;
    r->end = (uint8_t) end;
    p->arena_len += o;
    return 0;
}

/* One line (comment and line end already cut off). */
static int s_line (s_parse_t *p, const char *s, size_t n)
{
    while (n > 0 && s_space ((unsigned char) s[0]))
        s++, n--;
    while (n > 0 && s_space ((unsigned char) s[n - 1]))
        n--;
    if (n == 0)
        return 0;
    /* key ":" value; without a colon, a known key and a value separated by
     * white space ("disallow /") mean what they obviously do. */
    const char *colon = memchr (s, ':', n);
    size_t klen, voff;
    if (colon) {
        klen = (size_t) (colon - s);
        voff = klen + 1;
    } else {
        for (klen = 0; klen < n && !s_space ((unsigned char) s[klen]); klen++)
            ;
        if (klen == n) {
            p->stats->unknown++;
            return 0;
        }
        voff = klen;
    }
    while (klen > 0 && s_space ((unsigned char) s[klen - 1]))
        klen--;
    const char *v = s + voff;
    size_t vlen = n - voff;
    while (vlen > 0 && s_space ((unsigned char) v[0]))
        v++, vlen--;

    s_key_t key = s_key (s, klen);
    if (key == S_AGENT) {
        if (!p->in_agents)
            p->cur[0] = p->cur[1] = 0;
        p->in_agents = 1;
        if (vlen > 0 && v[0] == '*' && (vlen == 1 || s_space ((unsigned char) v[1]))) {
            p->cur[0] = p->seen[0] = 1;
            return 0;
        }
        size_t t = 0;
        while (t < vlen && s_token_byte ((unsigned char) v[t]))
            t++;
        if (t > 0 && t == p->agent_len && strncasecmp (v, p->agent, t) == 0)
            p->cur[1] = p->seen[1] = 1;
        return 0;
    }
    if (key == S_ALLOW || key == S_DISALLOW || key == S_DELAY) {
        p->in_agents = 0;
        /* Our own group takes every rule; a `*` group's rules matter only
         * if no group names us, which is known at the end. */
        int which = p->cur[1] ? 1 : p->cur[0] ? 0 : -1;
        if (which < 0)
            return 0;
        if (key == S_DELAY) {
            int ms = s_delay (v, vlen);
            if (ms > p->delay[which])
                p->delay[which] = ms;
            return 0;
        }
        return s_add_rule (p, which, key == S_ALLOW, v, vlen);
    }
    if (key == S_UNKNOWN)
        p->stats->unknown++;
    return 0; /* Sitemap: not used here */
}

/* Rules sort so the first match is the answer: longest first, Allow
 * before Disallow among equals (RFC 9309: "the least restrictive"). */
static int s_rule_cmp (const void *a, const void *b)
{
    const s_rule_t *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    return (int) y->allow - (int) x->allow;
}

/* Our product token from `agent`: its leading [A-Za-z_-] bytes. */
static int s_set_agent (s_parse_t *p, const char *agent)
{
    size_t n = 0;
    while (agent && s_token_byte ((unsigned char) agent[n]) && n < S_AGENT_MAX - 1)
        n++;
    if (n == 0)
        return -1;
    memcpy (p->agent, agent, n);
    p->agent[n] = '\0';
    p->agent_len = n;
    return 0;
}

/* How many bytes of the body to read: all of it up to the cap; past the
 * cap, up to the last line end inside it, so no cut line is read. */
static size_t s_parse_len (const char *body, size_t len, int *truncated)
{
    *truncated = len > DT_LIMIT_ROBOTS_MAX;
    if (!*truncated)
        return len;
    size_t n = DT_LIMIT_ROBOTS_MAX;
    while (n > 0 && body[n - 1] != '\n' && body[n - 1] != '\r')
        n--;
    return n;
}

dt_robots_t *dt_robots_parse (const char *body, size_t len, const char *agent)
{
    s_parse_t p = {0};
    dt_robots_t *self = calloc (1, sizeof *self);
    if (!self || s_set_agent (&p, agent) < 0)
        goto fail;
    p.stats = &self->stats;
    p.delay[0] = p.delay[1] = -1;
    if (!body)
        len = 0;
    len = s_parse_len (body, len, &self->stats.truncated);
    self->stats.bytes_parsed = len;
    p.arena = malloc (3 * len + 1);
    if (!p.arena)
        goto fail;

    /* A UTF-8 byte order mark, or the start of one, is not part of a line. */
    size_t i = 0;
    static const char bom[] = "\xEF\xBB\xBF";
    while (i < 3 && i < len && body[i] == bom[i])
        i++;
    while (i < len) {
        size_t start = i;
        while (i < len && body[i] != '\n' && body[i] != '\r')
            i++;
        size_t n = i - start;
        if (i < len && body[i] == '\r' && i + 1 < len && body[i + 1] == '\n')
            i++;
        i++;
        self->stats.lines++;
        if (n > DT_LIMIT_ROBOTS_LINE_MAX) {
            n = DT_LIMIT_ROBOTS_LINE_MAX;
            self->stats.lines_cut++;
        }
        const char *hash = memchr (body + start, '#', n);
        if (hash)
            n = (size_t) (hash - (body + start));
        if (s_line (&p, body + start, n) < 0)
            goto fail;
    }

    int which = p.seen[1] ? 1 : 0;
    self->stats.group = p.seen[1] ? 1 : p.seen[0] ? 0 : -1;
    self->delay_ms = self->stats.group < 0 ? -1 : p.delay[which];
    self->nrules = p.nrules[which];
    self->stats.rules = self->nrules;
    if (self->nrules > 0) {
        /* Keep only the chosen rules and their patterns, packed. */
        size_t bytes = 0;
        for (size_t r = 0; r < self->nrules; r++)
            bytes += p.rules[which][r].len;
        self->rules = malloc (self->nrules * sizeof (s_rule_t));
        self->arena = malloc (bytes + 1);
        if (!self->rules || !self->arena)
            goto fail;
        size_t off = 0;
        for (size_t r = 0; r < self->nrules; r++) {
            s_rule_t rule = p.rules[which][r];
            memcpy (self->arena + off, p.arena + rule.off, rule.len);
            rule.off = (uint32_t) off;
            off += rule.len;
            self->rules[r] = rule;
        }
        qsort (self->rules, self->nrules, sizeof (s_rule_t), s_rule_cmp);
    }
    free (p.rules[0]);
    free (p.rules[1]);
    free (p.arena);
    return self;
fail:
    free (p.rules[0]);
    free (p.rules[1]);
    free (p.arena);
    dt_robots_destroy (&self);
    return NULL;
}

dt_robots_t *dt_robots_new_all (int allowed)
{
    dt_robots_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->delay_ms = -1;
    self->disallow_all = !allowed;
    self->stats.group = -1;
    return self;
}

void dt_robots_destroy (dt_robots_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_robots_t *self = *self_p;
    free (self->rules);
    free (self->arena);
    free (self);
    *self_p = NULL;
}

/* Leftmost occurrence of `pat` (m > 0 bytes) in `s` (n bytes) from `from`,
 * or -1. Knuth-Morris-Pratt: O(n + m) whatever the bytes, where a naive
 * search is O(n * m) on "aaaa...ab"-shaped input. `fail` has room for m. */
static long s_find (const char *s, size_t n, size_t from, const char *pat, size_t m, uint16_t *fail)
{
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k > 0 && pat[i] != pat[k])
            k = fail[k - 1];
        if (pat[i] == pat[k])
            k++;
        fail[i] = (uint16_t) k;
    }
    for (size_t i = from, k = 0; i < n; i++) {
        while (k > 0 && s[i] != pat[k])
            k = fail[k - 1];
        if (s[i] == pat[k])
            k++;
        if (k == m)
            return (long) (i + 1 - m);
    }
    return -1;
}

/* Does rule `r` match the normalised path `s` (n bytes)? The pattern is
 * segments between '*'s: the first must start the path, each next one is
 * taken at its leftmost place after the last (leftmost is never worse when
 * '*' is the only wildcard, so there is no backtracking), and with '$' the
 * last must end the path. */
static int s_match (const dt_robots_t *self, const s_rule_t *r, const char *s, size_t n,
                    uint16_t *fail)
{
    const char *p = self->arena + r->off;
    size_t m = r->len;
    const char *star = memchr (p, '*', m);
    size_t seg = star ? (size_t) (star - p) : m;
    if (seg > n || memcmp (p, s, seg) != 0)
        return 0;
    if (!star)
        return r->end ? seg == n : 1;
    size_t pos = seg, i = seg + 1;
    while (i < m) {
        const char *next = memchr (p + i, '*', m - i);
        size_t len = next ? (size_t) (next - (p + i)) : m - i;
        if (!next && r->end) /* the last segment, anchored at the end */
            return len <= n - pos && memcmp (s + n - len, p + i, len) == 0;
        long at = s_find (s, n, pos, p + i, len, fail);
        if (at < 0)
            return 0;
        pos = (size_t) at + len;
        i += len + 1;
    }
    return 1; /* the pattern ended in '*': the rest of the path is free */
}

int dt_robots_allowed (const dt_robots_t *self, const char *path, size_t len)
{
    if (!path || len == 0) {
        path = "/";
        len = 1;
    }
    /* Normalising at most triples a path and at best shrinks it to a
     * third ("%41" to "A"), so longer input cannot end within the cap. */
    if (len > 3 * (size_t) DT_LIMIT_URL_MAX)
        return 0;
    /* One block: KMP's table first (aligned), then the normalised path. */
    uint16_t *fail = malloc (DT_LIMIT_URL_MAX * sizeof (uint16_t) + 3 * len + 2);
    if (!fail)
        return 0; /* no memory: do not fetch */
    char *buf = (char *) (fail + DT_LIMIT_URL_MAX);
    size_t n = 0;
    if (path[0] != '/')
        buf[n++] = '/';
    n += s_normalise (path, len, buf + n);
    int allowed = 1;
    if (n > DT_LIMIT_URL_MAX)
        allowed = 0;
    else if (n == 11 && memcmp (buf, "/robots.txt", 11) == 0)
        allowed = 1;
    else if (self->disallow_all)
        allowed = 0;
    else
        for (size_t r = 0; r < self->nrules; r++)
            if (s_match (self, &self->rules[r], buf, n, fail)) {
                allowed = self->rules[r].allow;
                break;
            }
    free (fail);
    return allowed;
}

int dt_robots_delay_ms (const dt_robots_t *self)
{
    return self->delay_ms;
}

void dt_robots_stats (const dt_robots_t *self, dt_robots_stats_t *stats)
{
    *stats = self->stats;
}

dt_robots_action_t dt_robots_on_status (int status, int redirects, int *ttl_s)
{
    dt_robots_action_t action;
    if (status >= 200 && status < 300)
        action = DT_ROBOTS_PARSE;
    else if (status >= 300 && status < 400)
        action = redirects < DT_ROBOTS_REDIRECTS_MAX ? DT_ROBOTS_FOLLOW : DT_ROBOTS_ALLOW_ALL;
    else if (status >= 400 && status < 500 && status != 429)
        action = DT_ROBOTS_ALLOW_ALL;
    else
        action = DT_ROBOTS_DISALLOW_ALL;
    if (ttl_s)
        *ttl_s = action == DT_ROBOTS_DISALLOW_ALL ? DT_ROBOTS_RETRY_S
                 : action == DT_ROBOTS_FOLLOW     ? 0
                                                  : DT_ROBOTS_TTL_S;
    return action;
}
