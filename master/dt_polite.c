/* dt_polite.c - politeness per origin: a chained hash of origins in LRU order, a FIFO of parked
 * pages per origin, a heap of origins by their next allowed start, robots.txt fetches. */
#include "dt_polite.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_robots.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_NOT_IN_HEAP UINT32_MAX

/* An origin's robots.txt fetch. */
typedef enum {
    S_ROBOTS_NONE = 0, /* none on the way */
    S_ROBOTS_QUEUED,   /* waiting for a worker */
    S_ROBOTS_FETCHING, /* leased */
} s_robots_state_t;

/* One product token's verdict. */
typedef enum {
    S_VERDICT_FREE = 0, /* slot unused */
    S_VERDICT_WAITING,  /* the next fetch's answer sets it */
    S_VERDICT_KNOWN,    /* `robots` holds it until `until` */
} s_verdict_state_t;

typedef struct {
    char agent[DT_POLITE_AGENT_MAX + 1]; /* the product token, lowercase */
    uint8_t state;                       /* s_verdict_state_t */
    uint8_t kind;                        /* DT_POLITE_ROBOTS_* once known */
    dt_robots_t *robots;                 /* S_VERDICT_KNOWN: the verdict */
    int64_t until;                       /* S_VERDICT_KNOWN: fetched again after this */
    int delay_ms;                        /* its Crawl-delay, or 0 */
} s_verdict_t;

typedef struct {
    uint64_t id;
    uint32_t gen;
    uint32_t delay_ms; /* the delay it waits under */
} s_parked_t;

typedef struct s_fetch_t s_fetch_t;

struct dt_polite_host_t {
    uint64_t hash;                  /* of origin */
    struct dt_polite_host_t *chain; /* next in its bucket */
    struct dt_polite_host_t *newer; /* LRU neighbours */
    struct dt_polite_host_t *older;
    s_parked_t *ring; /* parked pages: ring[(head + i) % capacity], i < count */
    uint32_t head, count, capacity;
    uint32_t heap_i;      /* its place in the heap, or S_NOT_IN_HEAP */
    int64_t due;          /* heap key: when its first page may be granted */
    int granted;          /* one of its pages is granted and not yet taken */
    int64_t last_start;   /* monotonic ms of its last request start; 0: none */
    int64_t served;       /* when the last request answered began, as its result
                             says (now - its elapsed time); 0: none */
    uint32_t inflight;    /* requests started and not ended */
    uint32_t last_delay;  /* the delay that start was spaced by */
    int64_t paused_until; /* no start before this (Retry-After, back-off) */
    uint32_t fails;       /* failures in a row (back-off) */
    uint8_t robots_state; /* s_robots_state_t: its fetch */
    s_verdict_t verdicts[DT_POLITE_AGENTS_MAX]; /* per product token */
    s_fetch_t *fetch;                           /* the fetch queued or out, or NULL */
    uint64_t started, done, errors, denied;     /* for STATUS */
    uint16_t origin_len;
    char origin[DT_POLITE_ORIGIN_MAX + 1]; /* scheme://host:port */
};

/* An internal robots.txt task. The task comes first: the state's lease
 * lists hold a dt_task_t *. */
struct s_fetch_t {
    dt_task_t task;
    dt_polite_host_t *host;
    s_fetch_t *next; /* in the queue, or in the list of those out */
    s_fetch_t *prev;
    uint32_t lost; /* leases lost */
    char url[DT_POLITE_ORIGIN_MAX + sizeof "/robots.txt"];
};

struct dt_polite_t {
    dt_polite_grant_fn *grant; /* hands a parked page to the state */
    void *grant_arg;
    dt_polite_host_t **buckets; /* nbuckets chains */
    size_t nbuckets;            /* a power of two */
    size_t hosts;               /* origins held */
    dt_polite_host_t *newest;   /* LRU list ends */
    dt_polite_host_t *oldest;
    dt_polite_host_t **heap; /* origins with pages waiting, by due */
    uint32_t heap_len, heap_cap;
    s_fetch_t *queue_head; /* fetches waiting for a worker */
    s_fetch_t *queue_tail;
    uint32_t queued;
    s_fetch_t *out;    /* fetches leased */
    uint32_t fetching; /* queued + out */
    uint64_t next_id;  /* next internal task id */
};

/* ---- origins ---- */

int dt_polite_origin (const char *url, size_t len, char *out, size_t cap)
{
    const char *end = url + len, *sep = NULL;
    for (const char *c = url; c + 2 < end; c++)
        if (c[0] == ':' && c[1] == '/' && c[2] == '/') {
            sep = c;
            break;
        }
    if (!sep || sep == url)
        return -1;
    const char *p = sep + 3, *stop = p;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#')
        stop++;
    for (const char *at = stop; at > p; at--)
        if (at[-1] == '@') {
            p = at;
            break;
        }
    const char *host_end = stop, *port = NULL;
    if (p < stop && *p == '[') {
        const char *close = memchr (p, ']', (size_t) (stop - p));
        host_end = close ? close + 1 : stop;
    } else {
        const char *colon = memchr (p, ':', (size_t) (stop - p));
        host_end = colon ? colon : stop;
    }
    if (host_end < stop && *host_end == ':' && host_end + 1 < stop)
        port = host_end + 1;
    if (host_end == p)
        return -1;
    size_t slen = (size_t) (sep - url), hlen = (size_t) (host_end - p);
    int https = slen == 5 && strncasecmp (url, "https", 5) == 0;
    char portbuf[8];
    size_t plen;
    if (port) {
        plen = (size_t) (stop - port);
        if (plen > 5)
            return -1;
        memcpy (portbuf, port, plen);
    } else
        plen = (size_t) snprintf (portbuf, sizeof portbuf, "%s", https ? "443" : "80");
    size_t total = slen + 3 + hlen + 1 + plen;
    if (total + 1 > cap)
        return -1;
    char *o = out;
    for (size_t i = 0; i < slen; i++)
        *o++ = (char) (url[i] >= 'A' && url[i] <= 'Z' ? url[i] - 'A' + 'a' : url[i]);
    memcpy (o, "://", 3);
    o += 3;
    for (size_t i = 0; i < hlen; i++)
        *o++ = (char) (p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    *o++ = ':';
    memcpy (o, portbuf, plen);
    o += plen;
    *o = '\0';
    return (int) total;
}

/* The path and query of `url`, for robots.txt ("/" when it has none). */
static void s_path (const char *url, size_t len, const char **path, size_t *plen)
{
    const char *end = url + len, *p = url;
    const char *sep = NULL;
    for (const char *c = url; c + 2 < end; c++)
        if (c[0] == ':' && c[1] == '/' && c[2] == '/') {
            sep = c;
            break;
        }
    p = sep ? sep + 3 : url;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    const char *stop = memchr (p, '#', (size_t) (end - p));
    *path = p;
    *plen = (size_t) ((stop ? stop : end) - p);
}

static uint64_t s_hash (const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char) s[i]) * 1099511628211ull;
    return h;
}

/* ---- the heap of origins by due time ---- */

static void s_heap_set (dt_polite_t *self, uint32_t i, dt_polite_host_t *h)
{
    self->heap[i] = h;
    h->heap_i = i;
}

static void s_heap_up (dt_polite_t *self, uint32_t i)
{
    dt_polite_host_t *h = self->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (self->heap[parent]->due <= h->due)
            break;
        s_heap_set (self, i, self->heap[parent]);
        i = parent;
    }
    s_heap_set (self, i, h);
}

static void s_heap_down (dt_polite_t *self, uint32_t i)
{
    dt_polite_host_t *h = self->heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= self->heap_len)
            break;
        if (child + 1 < self->heap_len && self->heap[child + 1]->due < self->heap[child]->due)
            child++;
        if (self->heap[child]->due >= h->due)
            break;
        s_heap_set (self, i, self->heap[child]);
        i = child;
    }
    s_heap_set (self, i, h);
}

static void s_heap_remove (dt_polite_t *self, dt_polite_host_t *h)
{
    uint32_t i = h->heap_i;
    if (i == S_NOT_IN_HEAP)
        return;
    h->heap_i = S_NOT_IN_HEAP;
    dt_polite_host_t *last = self->heap[--self->heap_len];
    if (last == h)
        return;
    s_heap_set (self, i, last);
    s_heap_up (self, i);
    s_heap_down (self, last->heap_i);
}

/* Puts `h` in the heap at `due`, or moves it there. Returns 0 or -1. */
static int s_heap_put (dt_polite_t *self, dt_polite_host_t *h, int64_t due)
{
    if (h->heap_i != S_NOT_IN_HEAP) {
        h->due = due;
        s_heap_up (self, h->heap_i);
        s_heap_down (self, h->heap_i);
        return 0;
    }
    if (self->heap_len == self->heap_cap) {
        uint32_t cap = self->heap_cap ? self->heap_cap * 2 : 64;
        dt_polite_host_t **heap = realloc (self->heap, cap * sizeof *heap);
        if (!heap)
            return -1;
        self->heap = heap;
        self->heap_cap = cap;
    }
    h->due = due;
    s_heap_set (self, self->heap_len++, h);
    s_heap_up (self, h->heap_i);
    return 0;
}

/* When `h`'s next start may be, for a page waiting under `delay_ms`. */
static int64_t s_due (const dt_polite_host_t *h, uint32_t delay_ms)
{
    int64_t due = h->last_start ? h->last_start + (int64_t) delay_ms : 0;
    /* A request may reach the server later than it left (a worker's queue,
     * a busy machine): the next is spaced from when the last one really
     * began too, so the server never sees two closer than the delay. */
    int64_t served = h->served ? h->served + (int64_t) delay_ms : 0;
    due = served > due ? served : due;
    return due > h->paused_until ? due : h->paused_until;
}

static int s_robots_waiting (const dt_polite_host_t *h)
{
    return h->robots_state == S_ROBOTS_QUEUED || h->robots_state == S_ROBOTS_FETCHING;
}

/* Under a delay an origin has one request at a time: when the next may
 * start is known once the last one's result says when it began. */
static int s_busy (const dt_polite_host_t *h, uint32_t delay_ms)
{
    return delay_ms > 0 && h->inflight > 0;
}

/* Keeps `h` in the heap exactly while its first parked page can be granted
 * at a known time: it has one, none is granted, its robots.txt is not on
 * the way, and no request it must follow is out. */
static void s_schedule (dt_polite_t *self, dt_polite_host_t *h)
{
    if (h->count == 0 || h->granted || s_robots_waiting (h) ||
        s_busy (h, h->ring[h->head].delay_ms)) {
        s_heap_remove (self, h);
        return;
    }
    if (s_heap_put (self, h, s_due (h, h->ring[h->head].delay_ms)) != 0)
        dt_log_error ("POLITE-NOMEM", "%s: out of memory: its pages wait for the next page",
                      h->origin);
}

/* ---- the table ---- */

dt_polite_t *dt_polite_new (dt_polite_grant_fn *grant, void *arg)
{
    dt_polite_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->grant = grant;
    self->grant_arg = arg;
    self->nbuckets = 256;
    self->buckets = calloc (self->nbuckets, sizeof *self->buckets);
    if (!self->buckets) {
        free (self);
        return NULL;
    }
    self->next_id = DT_POLITE_ID_BASE;
    return self;
}

static void s_host_free (dt_polite_host_t *h)
{
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++)
        dt_robots_destroy (&h->verdicts[i].robots);
    free (h->ring);
    free (h);
}

void dt_polite_destroy (dt_polite_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_polite_t *self = *self_p;
    for (s_fetch_t *f = self->queue_head, *next; f; f = next) {
        next = f->next;
        free (f);
    }
    for (s_fetch_t *f = self->out, *next; f; f = next) {
        next = f->next;
        free (f);
    }
    for (dt_polite_host_t *h = self->newest, *next; h; h = next) {
        next = h->older;
        s_host_free (h);
    }
    free (self->buckets);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

static void s_lru_unlink (dt_polite_t *self, dt_polite_host_t *h)
{
    if (h->newer)
        h->newer->older = h->older;
    else
        self->newest = h->older;
    if (h->older)
        h->older->newer = h->newer;
    else
        self->oldest = h->newer;
    h->newer = h->older = NULL;
}

static void s_lru_front (dt_polite_t *self, dt_polite_host_t *h)
{
    h->older = self->newest;
    h->newer = NULL;
    if (self->newest)
        self->newest->newer = h;
    self->newest = h;
    if (!self->oldest)
        self->oldest = h;
}

static dt_polite_host_t *s_find (dt_polite_t *self, const char *origin, size_t len, uint64_t hash)
{
    for (dt_polite_host_t *h = self->buckets[hash & (self->nbuckets - 1)]; h; h = h->chain)
        if (h->hash == hash && h->origin_len == len && memcmp (h->origin, origin, len) == 0)
            return h;
    return NULL;
}

/* True when forgetting `h` loses nothing a rule needs: no page waits, no
 * fetch is on the way, and its spacing and pause are over. */
static int s_idle (const dt_polite_host_t *h, int64_t now)
{
    return h->count == 0 && !h->granted && !h->fetch && h->inflight == 0 &&
           now >= h->paused_until && now >= h->last_start + (int64_t) h->last_delay &&
           now >= h->served + (int64_t) h->last_delay;
}

static void s_remove (dt_polite_t *self, dt_polite_host_t *h)
{
    dt_polite_host_t **link = &self->buckets[h->hash & (self->nbuckets - 1)];
    while (*link != h)
        link = &(*link)->chain;
    *link = h->chain;
    s_lru_unlink (self, h);
    s_heap_remove (self, h);
    self->hosts--;
    s_host_free (h);
}

/* Past DT_POLITE_HOSTS_MAX, the oldest idle origins go (a bounded walk:
 * a table full of busy origins grows rather than stalls). */
static void s_evict (dt_polite_t *self, int64_t now)
{
    dt_polite_host_t *h = self->oldest;
    for (int i = 0; h && i < 16 && self->hosts >= DT_POLITE_HOSTS_MAX; i++) {
        dt_polite_host_t *newer = h->newer;
        if (s_idle (h, now))
            s_remove (self, h);
        h = newer;
    }
}

static int s_grow (dt_polite_t *self)
{
    size_t n = self->nbuckets * 2;
    dt_polite_host_t **b = calloc (n, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < self->nbuckets; i++)
        for (dt_polite_host_t *h = self->buckets[i], *next; h; h = next) {
            next = h->chain;
            h->chain = b[h->hash & (n - 1)];
            b[h->hash & (n - 1)] = h;
        }
    free (self->buckets);
    self->buckets = b;
    self->nbuckets = n;
    return 0;
}

/* The origin `origin`, added if new, made the most recently used. NULL
 * when out of memory. */
static dt_polite_host_t *s_ensure (dt_polite_t *self, const char *origin, size_t len, int64_t now)
{
    uint64_t hash = s_hash (origin, len);
    dt_polite_host_t *h = s_find (self, origin, len, hash);
    if (h) {
        s_lru_unlink (self, h);
        s_lru_front (self, h);
        return h;
    }
    if (self->hosts >= DT_POLITE_HOSTS_MAX)
        s_evict (self, now);
    if (self->hosts + 1 > self->nbuckets && s_grow (self) != 0)
        return NULL;
    h = calloc (1, sizeof *h);
    if (!h)
        return NULL;
    h->hash = hash;
    h->heap_i = S_NOT_IN_HEAP;
    h->origin_len = (uint16_t) len;
    memcpy (h->origin, origin, len);
    h->origin[len] = '\0';
    h->chain = self->buckets[hash & (self->nbuckets - 1)];
    self->buckets[hash & (self->nbuckets - 1)] = h;
    s_lru_front (self, h);
    self->hosts++;
    return h;
}

static dt_polite_host_t *s_lookup (dt_polite_t *self, const char *url, size_t len)
{
    char origin[DT_POLITE_ORIGIN_MAX + 1];
    int olen = dt_polite_origin (url, len, origin, sizeof origin);
    return olen < 0 ? NULL : s_find (self, origin, (size_t) olen, s_hash (origin, (size_t) olen));
}

/* ---- robots.txt fetches ---- */

static void s_fetch_push (dt_polite_t *self, s_fetch_t *f, int front)
{
    f->prev = NULL;
    if (front) {
        f->next = self->queue_head;
        self->queue_head = f;
        if (!self->queue_tail)
            self->queue_tail = f;
    } else {
        f->next = NULL;
        if (self->queue_tail)
            self->queue_tail->next = f;
        else
            self->queue_head = f;
        self->queue_tail = f;
    }
    self->queued++;
}

/* Queues a fetch of `h`'s robots.txt. Returns 0 or -1 (out of memory). */
static int s_fetch_queue (dt_polite_t *self, dt_polite_host_t *h)
{
    s_fetch_t *f = calloc (1, sizeof *f);
    if (!f)
        return -1;
    snprintf (f->url, sizeof f->url, "%s/robots.txt", h->origin);
    f->host = h;
    f->task.url = f->url;
    f->task.url_len = (uint32_t) strlen (f->url);
    f->task.job = UINT32_MAX;
    h->fetch = f;
    h->robots_state = S_ROBOTS_QUEUED;
    s_fetch_push (self, f, 0);
    self->fetching++;
    s_schedule (self, h);
    return 0;
}

uint32_t dt_polite_fetches (const dt_polite_t *self)
{
    /* Only as many as may be out at once count as work to hand out. */
    uint32_t out = self->fetching - self->queued;
    if (out >= DT_POLITE_FETCHES_MAX)
        return 0;
    return self->queued < DT_POLITE_FETCHES_MAX - out ? self->queued : DT_POLITE_FETCHES_MAX - out;
}

dt_task_t *dt_polite_fetch_take (dt_polite_t *self, dt_msg_task_t *item)
{
    if (dt_polite_fetches (self) == 0)
        return NULL;
    s_fetch_t *f = self->queue_head;
    self->queue_head = f->next;
    if (!self->queue_head)
        self->queue_tail = NULL;
    self->queued--;
    f->next = f->prev = NULL;
    if (!f->task.id)
        f->task.id = self->next_id++;
    memset (item, 0, sizeof *item);
    item->id = f->task.id;
    item->attempt = f->task.attempts + 1;
    item->kind = dt_str_n (DT_KIND_HTTP, sizeof DT_KIND_HTTP - 1);
    item->payload = dt_str_n (f->task.url, f->task.url_len);
    item->flags = DT_TASK_BODY;
    return &f->task;
}

void dt_polite_fetch_lease (dt_polite_t *self, dt_task_t *task, int64_t now)
{
    s_fetch_t *f = (s_fetch_t *) task;
    task->attempts++;
    task->state = DT_TASK_INFLIGHT;
    f->next = self->out;
    f->prev = NULL;
    if (self->out)
        self->out->prev = f;
    self->out = f;
    f->host->robots_state = S_ROBOTS_FETCHING;
    f->host->last_start = now;
    f->host->started++;
}

void dt_polite_fetch_untake (dt_polite_t *self, dt_task_t *task)
{
    s_fetch_push (self, (s_fetch_t *) task, 1);
}

int dt_polite_owns (uint64_t id)
{
    return id >= DT_POLITE_ID_BASE;
}

dt_task_t *dt_polite_fetch_find (dt_polite_t *self, uint64_t id)
{
    for (s_fetch_t *f = self->out; f; f = f->next)
        if (f->task.id == id)
            return &f->task;
    return NULL;
}

static void s_out_unlink (dt_polite_t *self, s_fetch_t *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        self->out = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->next = f->prev = NULL;
}

/* Sets the verdict of `v`, a product token of `h` waiting, from a
 * robots.txt response (`status` 0: none came). */
static void s_verdict_set (dt_polite_host_t *h, s_verdict_t *v, int status, const char *body,
                           size_t len, int64_t now)
{
    int ttl_s = DT_ROBOTS_RETRY_S;
    dt_robots_action_t action = dt_robots_on_status (status, 0, &ttl_s);
    dt_robots_t *robots = NULL;
    uint8_t kind;
    if (action == DT_ROBOTS_PARSE) {
        robots = dt_robots_parse (body, len, v->agent);
        dt_robots_stats_t st;
        if (robots) {
            dt_robots_stats (robots, &st);
            kind = st.truncated ? DT_POLITE_ROBOTS_TRUNCATED : DT_POLITE_ROBOTS_RULES;
            dt_log_info ("POLITE-ROBOTS",
                         "%s: robots.txt HTTP %d, %zu bytes parsed%s, %zu lines (%zu cut, %zu "
                         "unknown), %zu rules for %s (%zu over the cap)",
                         h->origin, status, st.bytes_parsed, st.truncated ? " (cut)" : "", st.lines,
                         st.lines_cut, st.unknown, st.rules, v->agent, st.rules_over_cap);
        } else
            kind = DT_POLITE_ROBOTS_DISALLOW;
    } else {
        /* A redirect not followed by the worker counts as unavailable. */
        int allow = action == DT_ROBOTS_ALLOW_ALL;
        robots = dt_robots_new_all (allow);
        kind = allow ? DT_POLITE_ROBOTS_ALLOW : DT_POLITE_ROBOTS_DISALLOW;
        dt_log_info ("POLITE-ROBOTS", "%s: robots.txt HTTP %d: %s for %d s", h->origin, status,
                     allow ? "everything allowed" : "everything disallowed", ttl_s);
    }
    if (!robots) { /* out of memory: fetched again at the next page */
        dt_log_error ("POLITE-NOMEM", "%s: robots.txt verdict lost", h->origin);
        v->state = S_VERDICT_FREE;
        return;
    }
    dt_robots_destroy (&v->robots);
    v->robots = robots;
    v->kind = kind;
    v->until = now + (int64_t) ttl_s * 1000;
    int delay = dt_robots_delay_ms (robots);
    v->delay_ms = delay > 0 ? delay : 0;
    v->state = S_VERDICT_KNOWN;
}

/* Sets every waiting verdict of `h` from its robots.txt response and lets
 * its pages go. */
static void s_robots_set (dt_polite_t *self, dt_polite_host_t *h, int status, const char *body,
                          size_t len, int64_t now)
{
    h->robots_state = S_ROBOTS_NONE;
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++)
        if (h->verdicts[i].state == S_VERDICT_WAITING)
            s_verdict_set (h, &h->verdicts[i], status, body, len, now);
    s_schedule (self, h);
}

/* The verdict slot of product token `agent` at `h`: its own, else a free
 * one, else the oldest known one (forgotten); NULL when every slot waits
 * for the fetch on the way. */
static s_verdict_t *s_verdict (dt_polite_host_t *h, const char *agent)
{
    s_verdict_t *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++) {
        s_verdict_t *v = &h->verdicts[i];
        if (v->state == S_VERDICT_FREE) {
            if (!free_slot)
                free_slot = v;
        } else if (strcmp (v->agent, agent) == 0)
            return v;
        else if (v->state == S_VERDICT_KNOWN && (!oldest || v->until < oldest->until))
            oldest = v;
    }
    s_verdict_t *v = free_slot ? free_slot : oldest;
    if (!v)
        return NULL;
    dt_robots_destroy (&v->robots);
    memset (v, 0, sizeof *v);
    snprintf (v->agent, sizeof v->agent, "%s", agent);
    return v;
}

void dt_polite_agent (const char *ua, size_t len, char *out)
{
    size_t n = 0;
    while (n < len && n < DT_POLITE_AGENT_MAX &&
           ((ua[n] >= 'A' && ua[n] <= 'Z') || (ua[n] >= 'a' && ua[n] <= 'z') || ua[n] == '_' ||
            ua[n] == '-')) {
        out[n] = (char) (ua[n] >= 'A' && ua[n] <= 'Z' ? ua[n] - 'A' + 'a' : ua[n]);
        n++;
    }
    out[n] = '\0';
}

void dt_polite_fetch_done (dt_polite_t *self, dt_task_t *task, const dt_report_t *result,
                           int64_t now)
{
    s_fetch_t *f = (s_fetch_t *) task;
    dt_polite_host_t *h = f->host;
    s_out_unlink (self, f);
    self->fetching--;
    h->fetch = NULL;
    /* A DONE result carries the status; anything else had no usable
     * response (refused, unreachable, timed out): status 0. A 429 or 5xx
     * comes as RETRY with its status, and means "disallow" either way. */
    int status = result->http_status;
    if (status >= 200 && status < 300 && result->outcome != DT_OUTCOME_DONE)
        status = 0;
    /* A worker that ignores the BODY flag (another implementation) sends
     * no body for a file that had one: reading "no rules" into that would
     * allow everything, so the file counts as not read. */
    if (status >= 200 && status < 300 && result->bytes > 0 && result->output.len == 0) {
        dt_log_warn ("POLITE-ROBOTS-NOBODY",
                     "%s: robots.txt of %" PRIu64 " bytes came back without its body (the "
                     "worker ignores T flag BODY): taken as unavailable",
                     h->origin, result->bytes);
        status = 0;
    }
    if (now - (int64_t) result->elapsed_ms > h->served)
        h->served = now - (int64_t) result->elapsed_ms;
    s_robots_set (self, h, status, result->output.ptr, result->output.len, now);
    free (f);
}

void dt_polite_fetch_lost (dt_polite_t *self, dt_task_t *task, int64_t now)
{
    s_fetch_t *f = (s_fetch_t *) task;
    s_out_unlink (self, f);
    task->state = DT_TASK_QUEUED;
    if (++f->lost < DT_POLITE_FETCH_LOST_MAX) {
        f->host->robots_state = S_ROBOTS_QUEUED;
        s_fetch_push (self, f, 1);
        return;
    }
    dt_polite_host_t *h = f->host;
    self->fetching--;
    h->fetch = NULL;
    s_robots_set (self, h, 0, NULL, 0, now);
    free (f);
}

/* ---- pages ---- */

dt_polite_verdict_t dt_polite_admit (dt_polite_t *self, const char *url, size_t len,
                                     const dt_polite_rule_t *rule, int granted, int64_t now,
                                     dt_polite_host_t **host_p, uint32_t *delay_p, const char **why)
{
    char origin[DT_POLITE_ORIGIN_MAX + 1];
    int olen = dt_polite_origin (url, len, origin, sizeof origin);
    if (olen < 0) {
        *why = DT_POLITE_NO_ORIGIN;
        return DT_POLITE_DENY;
    }
    dt_polite_host_t *h = s_ensure (self, origin, (size_t) olen, now);
    if (!h)
        return DT_POLITE_ERROR;
    *host_p = h;
    if (granted)
        h->granted = 0;
    uint32_t delay = rule->delay_ms;
    if (rule->robots) {
        s_verdict_t *v = s_verdict (h, rule->agent ? rule->agent : DT_POLITE_AGENT);
        if (v && v->state == S_VERDICT_KNOWN && now >= v->until)
            v->state = S_VERDICT_FREE; /* expired: asked again */
        if (v && v->state == S_VERDICT_FREE)
            v->state = S_VERDICT_WAITING;
        if (!v || v->state == S_VERDICT_WAITING) {
            /* Every slot waits (a fifth token): it asks when they are set. */
            if (v && h->robots_state == S_ROBOTS_NONE && s_fetch_queue (self, h) != 0)
                return DT_POLITE_ERROR;
            *delay_p = delay;
            return DT_POLITE_WAIT;
        }
        const char *path;
        size_t plen;
        s_path (url, len, &path, &plen);
        /* "http://h?q" asks for "/?q". */
        char slashed[DT_LIMIT_URL_MAX + 2];
        if (plen > 0 && path[0] != '/' && plen <= DT_LIMIT_URL_MAX) {
            slashed[0] = '/';
            memcpy (slashed + 1, path, plen);
            path = slashed;
            plen++;
        }
        if (!dt_robots_allowed (v->robots, path, plen)) {
            h->denied++;
            *why =
                v->kind == DT_POLITE_ROBOTS_DISALLOW ? DT_POLITE_UNAVAILABLE : DT_POLITE_DISALLOWED;
            if (granted)
                s_schedule (self, h);
            return DT_POLITE_DENY;
        }
        if ((uint32_t) v->delay_ms > delay)
            delay = (uint32_t) v->delay_ms;
    }
    *delay_p = delay;
    /* Pages that came first, or the one granted, go first; under a delay,
     * after the request out now. */
    if ((!granted && (h->count > 0 || h->granted)) || s_busy (h, delay))
        return DT_POLITE_WAIT;
    return now >= s_due (h, delay) ? DT_POLITE_GO : DT_POLITE_WAIT;
}

int dt_polite_park (dt_polite_t *self, dt_polite_host_t *h, uint64_t id, uint32_t gen,
                    uint32_t delay_ms, int front)
{
    if (h->count == h->capacity) {
        uint32_t capacity = h->capacity ? h->capacity * 2 : 8;
        s_parked_t *ring = malloc (capacity * sizeof *ring);
        if (!ring)
            return -1;
        for (uint32_t i = 0; i < h->count; i++)
            ring[i] = h->ring[(h->head + i) % h->capacity];
        free (h->ring);
        h->ring = ring;
        h->head = 0;
        h->capacity = capacity;
    }
    s_parked_t p = {id, gen, delay_ms};
    if (front) {
        h->head = (h->head + h->capacity - 1) % h->capacity;
        h->ring[h->head] = p;
    } else
        h->ring[(h->head + h->count) % h->capacity] = p;
    h->count++;
    s_schedule (self, h);
    return 0;
}

void dt_polite_started (dt_polite_t *self, dt_polite_host_t *h, uint32_t delay_ms, int64_t now)
{
    h->last_start = now;
    h->last_delay = delay_ms;
    h->started++;
    h->inflight++;
    s_schedule (self, h);
}

void dt_polite_skipped (dt_polite_t *self, dt_polite_host_t *h)
{
    s_schedule (self, h);
}

void dt_polite_ungrant (dt_polite_t *self, const char *url, size_t len)
{
    dt_polite_host_t *h = s_lookup (self, url, len);
    if (!h)
        return;
    h->granted = 0;
    s_schedule (self, h);
}

/* Grants `h`'s oldest page that still waits. */
static void s_grant (dt_polite_t *self, dt_polite_host_t *h)
{
    while (h->count > 0) {
        s_parked_t p = h->ring[h->head];
        h->head = (h->head + 1) % h->capacity;
        h->count--;
        if (self->grant (self->grant_arg, p.id, p.gen)) {
            h->granted = 1;
            break;
        }
    }
    s_schedule (self, h);
}

void dt_polite_promote (dt_polite_t *self, int64_t now)
{
    while (self->heap_len > 0 && self->heap[0]->due <= now)
        s_grant (self, self->heap[0]);
}

int64_t dt_polite_next_due (const dt_polite_t *self)
{
    return self->heap_len > 0 ? self->heap[0]->due : INT64_MAX;
}

void dt_polite_ended (dt_polite_t *self, const char *url, size_t len, dt_polite_end_t how,
                      const dt_report_t *result, int64_t now)
{
    int lost = how != DT_POLITE_END_RESULT;
    uint8_t outcome = result ? result->outcome : DT_OUTCOME_DONE;
    uint16_t status = result ? result->http_status : 0;
    uint32_t retry_after_ms = result ? result->retry_after_ms : 0;
    /* A pause or a back-off is kept for a host met for the first time too
     * (its pages went out before politeness was on). */
    int asks = !lost && (retry_after_ms > 0 || outcome != DT_OUTCOME_DONE || status >= 500);
    dt_polite_host_t *h = s_lookup (self, url, len);
    if (!h && asks) {
        char origin[DT_POLITE_ORIGIN_MAX + 1];
        int olen = dt_polite_origin (url, len, origin, sizeof origin);
        h = olen < 0 ? NULL : s_ensure (self, origin, (size_t) olen, now);
    }
    if (!h)
        return;
    if (h->inflight > 0) /* not so for a request that went before the host was met */
        h->inflight--;
    if (how == DT_POLITE_END_UNSENT) {
        s_schedule (self, h);
        return;
    }
    if (!lost && now - (int64_t) result->elapsed_ms > h->served)
        h->served = now - (int64_t) result->elapsed_ms;
    int64_t pause = 0;
    if (!lost && outcome == DT_OUTCOME_DONE)
        h->done++;
    if (!lost && outcome == DT_OUTCOME_DONE && status < 500 && status != 429) {
        h->fails = 0;
    } else {
        h->errors++;
        /* A lost lease says nothing about the host (the worker went). */
        if (!lost && !(status >= 400 && status < 500 && status != 429)) {
            h->fails++;
            uint64_t ms = DT_POLITE_BACKOFF_BASE_MS;
            for (uint32_t i = 1; i < h->fails && ms < DT_POLITE_BACKOFF_MAX_MS; i++)
                ms *= 2;
            pause = (int64_t) (ms < DT_POLITE_BACKOFF_MAX_MS ? ms : DT_POLITE_BACKOFF_MAX_MS);
        }
    }
    if (!lost && retry_after_ms > 0 && (status == 429 || status == 503)) {
        uint32_t ms = retry_after_ms;
        if (ms > DT_POLITE_PAUSE_MAX_MS) {
            dt_log_warn ("POLITE-PAUSE-CLAMPED",
                         "%s: Retry-After of %" PRIu32 " ms cut to %" PRIu32 " ms", h->origin, ms,
                         (uint32_t) DT_POLITE_PAUSE_MAX_MS);
            ms = DT_POLITE_PAUSE_MAX_MS;
        }
        if ((int64_t) ms > pause)
            pause = ms;
        dt_log_info ("POLITE-PAUSE", "%s: HTTP %u with Retry-After: paused %" PRIu32 " ms",
                     h->origin, status, ms);
    }
    if (pause > 0 && now + pause > h->paused_until)
        h->paused_until = now + pause;
    s_schedule (self, h);
}

int dt_polite_row (dt_polite_t *self, const char *url, size_t len, int64_t now,
                   dt_polite_row_t *row)
{
    dt_polite_host_t *h = s_lookup (self, url, len);
    if (!h)
        return -1;
    memset (row, 0, sizeof *row);
    memcpy (row->origin, h->origin, h->origin_len + 1u);
    row->parked = h->count;
    row->started = h->started;
    row->done = h->done;
    row->errors = h->errors;
    row->denied = h->denied;
    int64_t due = s_due (h, h->last_delay);
    row->next_ms = due > now ? due - now : 0;
    row->robots = s_robots_waiting (h) ? DT_POLITE_ROBOTS_PENDING : DT_POLITE_ROBOTS_NONE;
    for (int k = 0; k < DT_POLITE_AGENTS_MAX && row->robots == DT_POLITE_ROBOTS_NONE; k++)
        if (h->verdicts[k].state == S_VERDICT_KNOWN)
            row->robots = h->verdicts[k].kind;
    return 0;
}
