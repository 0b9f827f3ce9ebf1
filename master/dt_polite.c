/* dt_polite.c - politeness per origin: a chained hash of origins in LRU order, a FIFO of parked
 * pages per origin, and when each origin's next page may go. robots.txt verdicts, fetches, the
 * heap and the back-off are their own files (dt_polite_*.c). */
#include "dt_polite.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_polite_backoff.h"
#include "dt_polite_fetch.h"
#include "dt_polite_heap.h"
#include "dt_polite_origin.h"
#include "dt_polite_verdict.h"
#include "dt_robots.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An origin's robots.txt fetch. */
typedef enum {
    S_ROBOTS_NONE = 0, /* none on the way */
    S_ROBOTS_QUEUED,   /* waiting for a worker */
    S_ROBOTS_FETCHING, /* leased */
} s_robots_state_t;

typedef struct {
    uint64_t id;
    uint32_t gen;
    uint32_t delay_ms; /* the delay it waits under */
} s_parked_t;

struct dt_polite_host_t {
    dt_polite_heap_node_t node;     /* in the heap while a page of it can be granted */
    uint64_t hash;                  /* of origin */
    struct dt_polite_host_t *chain; /* next in its bucket */
    struct dt_polite_host_t *newer; /* LRU neighbours */
    struct dt_polite_host_t *older;
    s_parked_t *ring; /* parked pages: ring[(head + i) % capacity], i < count */
    uint32_t head, count, capacity;
    int granted;          /* one of its pages is granted and not yet taken */
    int64_t last_start;   /* monotonic ms of its last request start; 0: none */
    int64_t served;       /* when the last request answered began, as its result
                             says (now - its elapsed time); 0: none */
    uint32_t inflight;    /* requests started and not ended */
    uint32_t last_delay;  /* the delay that start was spaced by */
    int64_t paused_until; /* no start before this (Retry-After, back-off) */
    uint32_t fails;       /* failures in a row (back-off) */
    uint8_t robots_state; /* s_robots_state_t: its fetch */
    dt_polite_token_t verdicts[DT_POLITE_AGENTS_MAX]; /* per product token */
    dt_task_t *fetch;                                   /* its fetch queued or out, or NULL */
    uint64_t started, done, errors, denied;             /* for STATUS */
    uint16_t origin_len;
    char origin[DT_POLITE_ORIGIN_MAX + 1]; /* scheme://host:port */
};

struct dt_polite_t {
    dt_polite_grant_fn *grant; /* hands a parked page to the state */
    void *grant_arg;
    dt_polite_host_t **buckets; /* nbuckets chains */
    size_t nbuckets;            /* a power of two */
    size_t hosts;               /* origins held */
    dt_polite_host_t *newest;   /* LRU list ends */
    dt_polite_host_t *oldest;
    dt_polite_heap_t *heap;      /* origins with a page to grant, by due */
    dt_polite_fetchq_t *fetches; /* robots.txt fetches */
};

static dt_polite_host_t *s_host_of (dt_polite_heap_node_t *node)
{
    return (dt_polite_host_t *) ((char *) node - offsetof (dt_polite_host_t, node));
}

static uint64_t s_hash (const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char) s[i]) * 1099511628211ull;
    return h;
}

/* ---- when an origin's next page may go ---- */

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
        dt_polite_heap_remove (self->heap, &h->node);
        return;
    }
    if (dt_polite_heap_put (self->heap, &h->node, s_due (h, h->ring[h->head].delay_ms)) != 0)
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
    self->heap = dt_polite_heap_new ();
    self->fetches = dt_polite_fetchq_new ();
    if (!self->buckets || !self->heap || !self->fetches) {
        dt_polite_destroy (&self);
        return NULL;
    }
    return self;
}

static void s_host_free (dt_polite_host_t *h)
{
    dt_polite_verdict_free (h->verdicts);
    free (h->ring);
    free (h);
}

void dt_polite_destroy (dt_polite_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_polite_t *self = *self_p;
    dt_polite_fetchq_destroy (&self->fetches);
    for (dt_polite_host_t *h = self->newest, *next; h; h = next) {
        next = h->older;
        s_host_free (h);
    }
    free (self->buckets);
    dt_polite_heap_destroy (&self->heap);
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
    dt_polite_heap_remove (self->heap, &h->node);
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
    h->node.i = DT_POLITE_HEAP_OUT;
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

/* Queues a fetch of `h`'s robots.txt with `http` (the asking job's
 * options, or NULL). Returns 0 or -1 (out of memory). */
static int s_fetch_queue (dt_polite_t *self, dt_polite_host_t *h, const dt_msg_httpopt_t *http)
{
    h->fetch = dt_polite_fetchq_add (self->fetches, h->origin, h, http);
    if (!h->fetch)
        return -1;
    h->robots_state = S_ROBOTS_QUEUED;
    s_schedule (self, h);
    return 0;
}

uint32_t dt_polite_fetches (const dt_polite_t *self)
{
    return dt_polite_fetchq_ready (self->fetches);
}

dt_task_t *dt_polite_fetch_take (dt_polite_t *self, dt_msg_task_t *item)
{
    return dt_polite_fetchq_take (self->fetches, item);
}

const dt_msg_httpopt_t *dt_polite_fetch_http (const dt_task_t *task)
{
    return dt_polite_fetchq_http (task);
}

void dt_polite_fetch_lease (dt_polite_t *self, dt_task_t *task, int64_t now)
{
    dt_polite_host_t *h = dt_polite_fetchq_host (task);
    dt_polite_fetchq_lease (self->fetches, task);
    h->robots_state = S_ROBOTS_FETCHING;
    h->last_start = now;
    h->started++;
}

void dt_polite_fetch_untake (dt_polite_t *self, dt_task_t *task)
{
    dt_polite_fetchq_untake (self->fetches, task);
}

int dt_polite_owns (uint64_t id)
{
    return id >= DT_POLITE_ID_BASE;
}

dt_task_t *dt_polite_fetch_find (dt_polite_t *self, uint64_t id)
{
    return dt_polite_fetchq_find (self->fetches, id);
}

/* Sets every waiting verdict of `h` from its robots.txt response
 * (`status` 0: none came) and lets its pages go. */
static void s_robots_set (dt_polite_t *self, dt_polite_host_t *h, int status, const char *body,
                          size_t len, int64_t now)
{
    h->robots_state = S_ROBOTS_NONE;
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++)
        if (h->verdicts[i].state == DT_POLITE_VERDICT_WAITING)
            dt_polite_verdict_set (&h->verdicts[i], h->origin, status, body, len, now);
    s_schedule (self, h);
}

void dt_polite_fetch_done (dt_polite_t *self, dt_task_t *task, const dt_report_t *result,
                           int64_t now)
{
    dt_polite_host_t *h = dt_polite_fetchq_host (task);
    dt_polite_fetchq_remove (self->fetches, &task);
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
}

void dt_polite_fetch_lost (dt_polite_t *self, dt_task_t *task, int64_t now)
{
    dt_polite_host_t *h = dt_polite_fetchq_host (task);
    if (dt_polite_fetchq_lost (self->fetches, &task)) {
        h->robots_state = S_ROBOTS_QUEUED;
        return;
    }
    h->fetch = NULL;
    s_robots_set (self, h, 0, NULL, 0, now);
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
        dt_polite_token_t *v =
            dt_polite_verdict_slot (h->verdicts, rule->agent ? rule->agent : DT_POLITE_AGENT);
        if (v && v->state == DT_POLITE_VERDICT_KNOWN && now >= v->until)
            v->state = DT_POLITE_VERDICT_FREE; /* expired: asked again */
        if (v && v->state == DT_POLITE_VERDICT_FREE)
            v->state = DT_POLITE_VERDICT_WAITING;
        if (!v || v->state == DT_POLITE_VERDICT_WAITING) {
            /* Every slot waits (a fifth token): it asks when they are set. */
            if (v && h->robots_state == S_ROBOTS_NONE && s_fetch_queue (self, h, rule->http) != 0)
                return DT_POLITE_ERROR;
            *delay_p = delay;
            return DT_POLITE_WAIT;
        }
        const char *path;
        size_t plen;
        dt_polite_path (url, len, &path, &plen);
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
    dt_polite_heap_node_t *top;
    while ((top = dt_polite_heap_top (self->heap)) && top->due <= now)
        s_grant (self, s_host_of (top));
}

int64_t dt_polite_next_due (const dt_polite_t *self)
{
    const dt_polite_heap_node_t *top = dt_polite_heap_top (self->heap);
    return top ? top->due : INT64_MAX;
}

void dt_polite_ended (dt_polite_t *self, const char *url, size_t len, dt_polite_end_t how,
                      const dt_report_t *result, int64_t now)
{
    dt_polite_attempt_t a = {how != DT_POLITE_END_RESULT,
                             result ? result->outcome : DT_OUTCOME_DONE,
                             result ? result->http_status : 0, result ? result->retry_after_ms : 0};
    /* A pause or a back-off is kept for a host met for the first time too
     * (its pages went out before politeness was on). */
    int asks = !a.lost && (a.retry_after_ms > 0 || a.outcome != DT_OUTCOME_DONE || a.status >= 500);
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
    if (!a.lost && now - (int64_t) result->elapsed_ms > h->served)
        h->served = now - (int64_t) result->elapsed_ms;
    if (!a.lost && a.outcome == DT_OUTCOME_DONE)
        h->done++;
    int error;
    int64_t pause = dt_polite_backoff (h->origin, &a, &h->fails, &error);
    h->errors += (uint64_t) error;
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
        if (h->verdicts[k].state == DT_POLITE_VERDICT_KNOWN)
            row->robots = h->verdicts[k].kind;
    return 0;
}
