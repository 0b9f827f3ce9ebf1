/* dt_hosts.c - politeness per host: open addressing by host key, a FIFO of parked tasks per host.
 *
 * A host with nothing out and nothing parked is removed (backward-shift
 * deletion keeps the probe chains whole), so a crawl of many hosts keeps
 * only the busy ones.
 */
#include "dt_hosts.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t id;
    uint32_t gen;
} s_parked_t;

typedef struct {
    uint64_t key;     /* 0: free slot */
    uint32_t out;     /* tasks counted out */
    s_parked_t *ring; /* parked tasks: ring[(head + i) % capacity], i < count */
    uint32_t head;
    uint32_t count;
    uint32_t capacity;
} s_host_t;

struct dt_hosts_t {
    uint32_t limit;
    s_host_t *slots; /* capacity entries */
    size_t capacity; /* a power of two */
    size_t used;     /* hosts held */
    uint64_t parked; /* over all hosts */
};

dt_hosts_t *dt_hosts_new (uint32_t limit)
{
    assert (limit > 0);
    dt_hosts_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->limit = limit;
    self->capacity = 64;
    self->slots = calloc (self->capacity, sizeof *self->slots);
    if (!self->slots) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_hosts_destroy (dt_hosts_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_hosts_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        free (self->slots[i].ring);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

uint64_t dt_hosts_key (const char *url, size_t len)
{
    const char *p = url, *end = url + len;
    const char *scheme = memchr (url, ':', len);
    if (scheme && end - scheme >= 3 && scheme[1] == '/' && scheme[2] == '/')
        p = scheme + 3;
    /* The authority ends at the path, query or fragment. */
    const char *stop = p;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#')
        stop++;
    for (const char *at = stop; at > p; at--)
        if (at[-1] == '@') {
            p = at;
            break;
        }
    /* The port goes, but not the colons of an IPv6 literal. */
    const char *host_end = stop;
    if (p < stop && *p == '[') {
        const char *close = memchr (p, ']', (size_t) (stop - p));
        host_end = close ? close + 1 : stop;
    } else {
        const char *colon = memchr (p, ':', (size_t) (stop - p));
        host_end = colon ? colon : stop;
    }
    /* FNV-1a over the lowercased name. */
    uint64_t h = 14695981039346656037ull;
    for (const char *c = p; c < host_end; c++) {
        unsigned char ch = (unsigned char) *c;
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char) (ch - 'A' + 'a');
        h = (h ^ ch) * 1099511628211ull;
    }
    return h ? h : 1;
}

static size_t s_home (const dt_hosts_t *self, uint64_t key)
{
    return (size_t) ((key * 11400714819323198485ull) >> 32) & (self->capacity - 1);
}

/* The slot of `key`, or the free slot where it would go. */
static s_host_t *s_find (const dt_hosts_t *self, uint64_t key)
{
    size_t i = s_home (self, key);
    while (self->slots[i].key && self->slots[i].key != key)
        i = (i + 1) & (self->capacity - 1);
    return &self->slots[i];
}

static int s_grow (dt_hosts_t *self)
{
    size_t old_capacity = self->capacity;
    s_host_t *old = self->slots;
    s_host_t *slots = calloc (old_capacity * 2, sizeof *slots);
    if (!slots)
        return -1;
    self->slots = slots;
    self->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].key)
            *s_find (self, old[i].key) = old[i];
    free (old);
    return 0;
}

/* The host `key`, added if new. NULL when out of memory. */
static s_host_t *s_ensure (dt_hosts_t *self, uint64_t key)
{
    s_host_t *host = s_find (self, key);
    if (host->key)
        return host;
    if ((self->used + 1) * 2 > self->capacity) {
        if (s_grow (self) != 0)
            return NULL;
        host = s_find (self, key);
    }
    memset (host, 0, sizeof *host);
    host->key = key;
    self->used++;
    return host;
}

/* Removes an idle host, shifting later entries of its probe chain back. */
static void s_remove (dt_hosts_t *self, s_host_t *host)
{
    free (host->ring);
    size_t mask = self->capacity - 1, hole = (size_t) (host - self->slots);
    for (size_t i = (hole + 1) & mask; self->slots[i].key; i = (i + 1) & mask) {
        size_t home = s_home (self, self->slots[i].key);
        /* Entry i may fill the hole if its home is not in (hole, i]. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            self->slots[hole] = self->slots[i];
            hole = i;
        }
    }
    memset (&self->slots[hole], 0, sizeof self->slots[hole]);
    self->used--;
}

int dt_hosts_take (dt_hosts_t *self, uint64_t key)
{
    s_host_t *host = s_ensure (self, key);
    if (!host)
        return -1;
    if (host->out >= self->limit)
        return 0;
    host->out++;
    return 1;
}

int dt_hosts_park (dt_hosts_t *self, uint64_t key, uint64_t id, uint32_t gen)
{
    s_host_t *host = s_ensure (self, key);
    if (!host)
        return -1;
    if (host->count == host->capacity) {
        uint32_t capacity = host->capacity ? host->capacity * 2 : 16;
        s_parked_t *ring = malloc (capacity * sizeof *ring);
        if (!ring)
            return -1;
        for (uint32_t i = 0; i < host->count; i++)
            ring[i] = host->ring[(host->head + i) % host->capacity];
        free (host->ring);
        host->ring = ring;
        host->head = 0;
        host->capacity = capacity;
    }
    host->ring[(host->head + host->count) % host->capacity] = (s_parked_t){id, gen};
    host->count++;
    self->parked++;
    return 0;
}

int dt_hosts_unpark (dt_hosts_t *self, uint64_t key, uint64_t *id, uint32_t *gen)
{
    s_host_t *host = s_find (self, key);
    if (!host->key || host->count == 0)
        return 0;
    s_parked_t p = host->ring[host->head];
    host->head = (host->head + 1) % host->capacity;
    host->count--;
    self->parked--;
    *id = p.id;
    *gen = p.gen;
    if (host->out == 0 && host->count == 0)
        s_remove (self, host);
    return 1;
}

int dt_hosts_give (dt_hosts_t *self, uint64_t key, uint64_t *id, uint32_t *gen)
{
    s_host_t *host = s_find (self, key);
    if (!host->key)
        return 0; /* not counted out: nothing to give back */
    if (host->out > 0)
        host->out--;
    if (host->count > 0)
        return dt_hosts_unpark (self, key, id, gen);
    if (host->out == 0)
        s_remove (self, host);
    return 0;
}

uint64_t dt_hosts_parked (const dt_hosts_t *self)
{
    return self->parked;
}

uint32_t dt_hosts_out (const dt_hosts_t *self, uint64_t key)
{
    const s_host_t *host = s_find (self, key);
    return host->key ? host->out : 0;
}
