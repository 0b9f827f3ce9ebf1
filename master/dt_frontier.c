/* dt_frontier.c - the crawls the master follows links for: scope, depth, pages, seen set, and
 * the counts of links kept and skipped. */
#include "dt_frontier.h"
#include "dt_limits.h"
#include "dt_url.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Tasks first .. first+count-1 are at `depth`. */
typedef struct {
    uint64_t first;
    uint32_t count;
    uint32_t depth;
} s_range_t;

struct dt_crawl_t {
    char job[DT_LIMIT_JOB_MAX];  /* the job's name (NOT NUL-terminated) */
    uint32_t job_len;            /* bytes in job */
    dt_crawl_conf_t conf;        /* settings; conf.scope points at scope */
    char *scope;                 /* a copy of the scope text, NUL-terminated */
    regex_t re;                  /* REGEX scope, compiled */
    int has_re;                  /* re is compiled (regfree it) */
    dt_urlfp_set_t *seen;        /* fingerprints of every URL made a task; NULL until ready */
    s_range_t *ranges;           /* with a depth limit: depth by task id range, in id order */
    size_t nranges, cranges;     /* used, allocated */
    dt_frontier_counts_t counts; /* this run's */
};

struct dt_frontier_t {
    dt_crawl_t *crawls[DT_LIMIT_CRAWLS_MAX]; /* registered, in no order */
    size_t count;                            /* used entries of crawls */
    dt_frontier_counts_t removed;            /* counts of the crawls forgotten */
};

dt_frontier_t *dt_frontier_new (void)
{
    return calloc (1, sizeof (dt_frontier_t));
}

static void s_crawl_free (dt_crawl_t *crawl)
{
    if (!crawl)
        return;
    if (crawl->has_re)
        regfree (&crawl->re);
    dt_urlfp_set_destroy (&crawl->seen);
    free (crawl->ranges);
    free (crawl->scope);
    free (crawl);
}

void dt_frontier_destroy (dt_frontier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_frontier_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_crawl_free (self->crawls[i]);
    free (self);
    *self_p = NULL;
}

/* The host of an acceptable http(s) URL (borrowed from it): the authority
 * after "://" without user info, and without its port unless `port` and
 * the port is not the scheme's default (a HOST scope is an origin's host
 * and port: two servers on one address are two sites). */
static dt_str_t s_host (const char *url, size_t len, int port)
{
    const char *p = memchr (url, ':', len), *end = url + len;
    if (!p || end - p < 3 || p[1] != '/' || p[2] != '/')
        return dt_str_n ("", 0);
    int https = p - url == 5;
    const char *a = p + 3, *z = a;
    while (z < end && *z != '/' && *z != '?' && *z != '#')
        z++;
    for (const char *q = z; q > a; q--)
        if (q[-1] == '@') {
            a = q;
            break;
        }
    const char *h = a;
    if (h < z && *h == '[') {
        const char *close = memchr (h, ']', (size_t) (z - h));
        if (!close)
            return dt_str_n ("", 0);
        h = close;
    }
    const char *colon = memchr (h, ':', (size_t) (z - h));
    if (!colon)
        return dt_str_n (a, (size_t) (z - a));
    size_t digits = (size_t) (z - colon - 1);
    int fallback = (digits == 2 && !https && memcmp (colon + 1, "80", 2) == 0) ||
                   (digits == 3 && https && memcmp (colon + 1, "443", 3) == 0) || digits == 0;
    return dt_str_n (a, (size_t) ((port && !fallback ? z : colon) - a));
}

static int s_back_reference (const char *re, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (re[i] == '\\') {
            if (re[i + 1] >= '1' && re[i + 1] <= '9')
                return 1;
            i++; /* an escaped backslash is not the start of another escape */
        }
    return 0;
}

int dt_frontier_check (const dt_msg_crawl_t *crawl, char *err, size_t err_size)
{
    char why[128];
    switch (crawl->scope_kind) {
    case DT_SCOPE_HOST:
    case DT_SCOPE_DOMAIN:
        if (crawl->scope.len) {
            snprintf (err, err_size, "a host or domain scope is the seeds': it takes no text");
            return -1;
        }
        return 0;
    case DT_SCOPE_PREFIX:
        if (dt_url_check (crawl->scope.ptr, crawl->scope.len, why, sizeof why) != 0) {
            snprintf (err, err_size, "scope prefix: %s", why);
            return -1;
        }
        return 0;
    case DT_SCOPE_REGEX: {
        if (crawl->scope.len == 0 || crawl->scope.len > DT_LIMIT_SCOPE_REGEX_MAX) {
            snprintf (err, err_size, "scope regex: 1 to %d bytes", DT_LIMIT_SCOPE_REGEX_MAX);
            return -1;
        }
        if (memchr (crawl->scope.ptr, '\0', crawl->scope.len) ||
            s_back_reference (crawl->scope.ptr, crawl->scope.len)) {
            snprintf (err, err_size, "scope regex: no NUL byte and no back-reference (\\1..\\9)");
            return -1;
        }
        char text[DT_LIMIT_SCOPE_REGEX_MAX + 1];
        memcpy (text, crawl->scope.ptr, crawl->scope.len);
        text[crawl->scope.len] = '\0';
        regex_t re;
        int rc = regcomp (&re, text, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[96];
            regerror (rc, &re, msg, sizeof msg);
            snprintf (err, err_size, "scope regex: %s", msg);
            return -1;
        }
        regfree (&re);
        return 0;
    }
    default:
        snprintf (err, err_size, "unknown scope kind %u", crawl->scope_kind);
        return -1;
    }
}

static int s_host_eq (dt_str_t a, dt_str_t b)
{
    return a.len == b.len && strncasecmp (a.ptr, b.ptr, a.len) == 0;
}

char *dt_frontier_seed_hosts (uint8_t kind, const dt_str_t *seeds, uint32_t n, size_t *len)
{
    *len = 0;
    size_t total = 0, hosts = 0;
    for (uint32_t i = 0; i < n; i++)
        total += seeds[i].len + 1;
    char *out = malloc (total + 1);
    if (!out)
        return NULL;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        dt_str_t host = s_host (seeds[i].ptr, seeds[i].len, kind == DT_SCOPE_HOST);
        if (kind == DT_SCOPE_DOMAIN && host.len > 4 && strncasecmp (host.ptr, "www.", 4) == 0)
            host = dt_str_n (host.ptr + 4, host.len - 4);
        if (host.len == 0)
            continue;
        /* Seeds are few: a quadratic check for repeats costs nothing. */
        int again = 0;
        for (size_t p = 0; p < at && !again;) {
            const char *nl = memchr (out + p, '\n', at - p);
            size_t l = nl ? (size_t) (nl - (out + p)) : at - p;
            again = s_host_eq (dt_str_n (out + p, l), host);
            p += l + 1;
        }
        if (again)
            continue;
        if (++hosts > DT_LIMIT_SCOPE_HOSTS) {
            free (out);
            return NULL;
        }
        if (at)
            out[at++] = '\n';
        for (uint32_t k = 0; k < host.len; k++)
            out[at++] =
                (char) (host.ptr[k] >= 'A' && host.ptr[k] <= 'Z' ? host.ptr[k] + 32 : host.ptr[k]);
    }
    out[at] = '\0';
    *len = at;
    return out;
}

dt_crawl_t *dt_frontier_add (dt_frontier_t *self, dt_str_t job, const dt_crawl_conf_t *conf,
                             char *err, size_t err_size)
{
    if (self->count >= DT_LIMIT_CRAWLS_MAX) {
        snprintf (err, err_size, "%d crawls running already: wait for one to finish",
                  DT_LIMIT_CRAWLS_MAX);
        return NULL;
    }
    if (job.len == 0 || job.len > DT_LIMIT_JOB_MAX) {
        snprintf (err, err_size, "bad job id");
        return NULL;
    }
    dt_crawl_t *crawl = calloc (1, sizeof *crawl);
    if (!crawl || !(crawl->scope = malloc (conf->scope.len + 1))) {
        snprintf (err, err_size, "out of memory");
        s_crawl_free (crawl);
        return NULL;
    }
    memcpy (crawl->job, job.ptr, job.len);
    crawl->job_len = job.len;
    crawl->conf = *conf;
    if (conf->scope.len)
        memcpy (crawl->scope, conf->scope.ptr, conf->scope.len);
    crawl->scope[conf->scope.len] = '\0';
    crawl->conf.scope = dt_str_n (crawl->scope, conf->scope.len);
    if (conf->scope_kind == DT_SCOPE_REGEX) {
        dt_msg_crawl_t check = {conf->scope_kind, conf->scope, 0, 0};
        if (dt_frontier_check (&check, err, err_size) != 0 ||
            regcomp (&crawl->re, crawl->scope, REG_EXTENDED | REG_NOSUB) != 0) {
            if (!*err)
                snprintf (err, err_size, "scope regex does not compile");
            s_crawl_free (crawl);
            return NULL;
        }
        crawl->has_re = 1;
    }
    self->crawls[self->count++] = crawl;
    return crawl;
}

dt_crawl_t *dt_frontier_find (dt_frontier_t *self, dt_str_t job)
{
    for (size_t i = 0; i < self->count; i++) {
        dt_crawl_t *crawl = self->crawls[i];
        if (crawl->job_len == job.len && memcmp (crawl->job, job.ptr, job.len) == 0)
            return crawl;
    }
    return NULL;
}

static void s_sum (dt_frontier_counts_t *to, const dt_frontier_counts_t *from)
{
    to->added += from->added;
    to->seen += from->seen;
    to->scope += from->scope;
    to->depth += from->depth;
    to->max_pages += from->max_pages;
    to->bad += from->bad;
    to->over_cap += from->over_cap;
    to->refused += from->refused;
    to->memory += from->memory;
}

void dt_frontier_remove (dt_frontier_t *self, dt_crawl_t **crawl_p)
{
    if (!crawl_p || !*crawl_p)
        return;
    for (size_t i = 0; i < self->count; i++)
        if (self->crawls[i] == *crawl_p) {
            s_sum (&self->removed, &(*crawl_p)->counts);
            self->crawls[i] = self->crawls[--self->count];
            s_crawl_free (*crawl_p);
            break;
        }
    *crawl_p = NULL;
}

size_t dt_frontier_count (const dt_frontier_t *self)
{
    return self->count;
}

dt_crawl_t *dt_frontier_at (dt_frontier_t *self, size_t i)
{
    return i < self->count ? self->crawls[i] : NULL;
}

dt_frontier_counts_t dt_frontier_totals (const dt_frontier_t *self)
{
    dt_frontier_counts_t sum = self->removed;
    for (size_t i = 0; i < self->count; i++)
        s_sum (&sum, &self->crawls[i]->counts);
    return sum;
}

size_t dt_frontier_memory (const dt_frontier_t *self)
{
    size_t bytes = sizeof *self;
    for (size_t i = 0; i < self->count; i++) {
        const dt_crawl_t *crawl = self->crawls[i];
        bytes += sizeof *crawl + crawl->conf.scope.len + crawl->cranges * sizeof (s_range_t);
        if (crawl->seen)
            bytes += dt_urlfp_set_bytes (crawl->seen);
    }
    return bytes;
}

const dt_crawl_conf_t *dt_crawl_conf (const dt_crawl_t *self)
{
    return &self->conf;
}

dt_str_t dt_crawl_job (const dt_crawl_t *self)
{
    return dt_str_n (self->job, self->job_len);
}

const dt_frontier_counts_t *dt_crawl_counts (const dt_crawl_t *self)
{
    return &self->counts;
}

int dt_crawl_seen_loaded (const dt_crawl_t *self)
{
    return self->seen != NULL;
}

int dt_crawl_seen_ready (dt_crawl_t *self, size_t expect)
{
    if (!self->seen)
        self->seen = dt_urlfp_set_new (expect);
    return self->seen ? 0 : -1;
}

int dt_crawl_seen_add (dt_crawl_t *self, uint64_t fp)
{
    if (!self->seen && dt_crawl_seen_ready (self, 0) != 0)
        return -1;
    return dt_urlfp_set_add (self->seen, fp);
}

uint64_t dt_crawl_fp (const dt_crawl_t *self, const char *url, size_t len)
{
    return dt_urlfp (&self->conf.key, url, len);
}

/* True when `host` is one of the '\n'-separated `list`, or (domains) a
 * subdomain of one. */
static int s_host_in (dt_str_t list, dt_str_t host, int subdomains)
{
    const char *p = list.ptr, *end = list.ptr + list.len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        dt_str_t item = dt_str_n (p, (size_t) ((nl ? nl : end) - p));
        if (s_host_eq (item, host))
            return 1;
        if (subdomains && host.len > item.len + 1 && host.ptr[host.len - item.len - 1] == '.' &&
            s_host_eq (dt_str_n (host.ptr + host.len - item.len, item.len), item))
            return 1;
        p += item.len + 1;
    }
    return 0;
}

int dt_crawl_in_scope (const dt_crawl_t *self, const char *url, size_t len)
{
    const dt_str_t scope = self->conf.scope;
    switch (self->conf.scope_kind) {
    case DT_SCOPE_HOST:
        return s_host_in (scope, s_host (url, len, 1), 0);
    case DT_SCOPE_DOMAIN:
        return s_host_in (scope, s_host (url, len, 0), 1);
    case DT_SCOPE_PREFIX:
        return len >= scope.len && memcmp (url, scope.ptr, scope.len) == 0;
    case DT_SCOPE_REGEX: {
        char text[DT_LIMIT_URL_MAX + 1];
        if (len > DT_LIMIT_URL_MAX)
            return 0;
        memcpy (text, url, len);
        text[len] = '\0';
        return regexec (&self->re, text, 0, NULL, 0) == 0;
    }
    default:
        return 0;
    }
}

int dt_crawl_depth_put (dt_crawl_t *self, uint64_t first, uint32_t count, uint32_t depth)
{
    if (self->nranges == self->cranges) {
        size_t cap = self->cranges ? self->cranges * 2 : 64;
        s_range_t *ranges = realloc (self->ranges, cap * sizeof *ranges);
        if (!ranges)
            return -1;
        self->ranges = ranges;
        self->cranges = cap;
    }
    /* Ids only grow: appending keeps the ranges in order. */
    self->ranges[self->nranges++] = (s_range_t){first, count, depth};
    return 0;
}

uint32_t dt_crawl_depth_of (const dt_crawl_t *self, uint64_t id)
{
    size_t lo = 0, hi = self->nranges;
    while (lo < hi) { /* the last range with first <= id */
        size_t mid = lo + (hi - lo) / 2;
        if (self->ranges[mid].first <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const s_range_t *r = &self->ranges[lo - 1];
    return id - r->first < r->count ? r->depth : 0;
}

uint32_t dt_crawl_next_chunk (dt_crawl_t *self)
{
    uint32_t chunk = self->conf.next_chunk;
    if (chunk < DT_FRONTIER_CHUNK_BASE)
        chunk = DT_FRONTIER_CHUNK_BASE;
    self->conf.next_chunk = chunk + 1;
    return chunk;
}

uint32_t dt_crawl_filter (dt_crawl_t *self, dt_str_t links, uint32_t depth, uint64_t room,
                          dt_str_t *urls, uint64_t *fps)
{
    dt_frontier_counts_t *c = &self->counts;
    uint32_t kept = 0, lines = 0;
    const char *p = links.ptr, *end = links.ptr + links.len;
    int over_depth = self->conf.depth != DT_CRAWL_DEPTH_ANY && depth >= self->conf.depth;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        size_t len = (size_t) ((nl ? nl : end) - p);
        const char *url = p;
        p += len + 1;
        if (len == 0)
            continue;
        if (++lines > DT_LIMIT_LINKS_MAX) {
            c->over_cap++;
            continue;
        }
        if (over_depth) {
            c->depth++;
            continue;
        }
        /* Most links of a crawl were seen before (a site links its pages
         * from many others): that test goes first, and a URL in the set
         * passed the checks below when it was added. */
        uint64_t fp = dt_crawl_fp (self, url, len);
        if (self->seen && dt_urlfp_set_has (self->seen, fp)) {
            c->seen++;
            continue;
        }
        if (dt_url_check (url, len, NULL, 0) != 0) {
            c->bad++;
            continue;
        }
        if (!dt_crawl_in_scope (self, url, len)) {
            c->scope++;
            continue;
        }
        if (kept >= room) {
            c->max_pages++;
            continue;
        }
        int added = dt_crawl_seen_add (self, fp);
        if (added < 0) {
            c->memory++;
            continue;
        }
        if (added == 0) { /* cannot happen after the check above; counted all the same */
            c->seen++;
            continue;
        }
        urls[kept] = dt_str_n (url, len);
        fps[kept++] = fp;
        c->added++;
    }
    return kept;
}

void dt_crawl_refused (dt_crawl_t *self, uint32_t n)
{
    self->counts.added -= n;
    self->counts.refused += n;
}
