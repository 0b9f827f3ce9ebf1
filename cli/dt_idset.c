/* dt_idset.c - a set of task ids: one bitmap per span of consecutive ids, the bitmaps found through
 * an open-addressing table keyed by span.
 *
 * A job's ids come in runs of consecutive ids, one per SUBMIT chunk, and its
 * results arrive roughly in id order. A bitmap per 4,096 ids holds a
 * 100,000-task job in 25 bitmaps of 512 bytes, where a hash table of ids
 * took 2 MiB touched at random (a cache miss per result, and page faults
 * as it grew). Ids spread far apart cost a bitmap each, which a job's do not.
 */
#include "dt_idset.h"

#include <stdlib.h>

#define DT_IDSET_SPAN  4096 /* ids per bitmap */
#define DT_IDSET_WORDS (DT_IDSET_SPAN / 64)

typedef struct {
    uint64_t key;   /* id / DT_IDSET_SPAN + 1; 0 marks a free slot */
    uint64_t *bits; /* DT_IDSET_WORDS words; owned */
} s_span_t;

struct dt_idset_t {
    s_span_t *slots; /* capacity entries */
    size_t capacity; /* a power of two */
    size_t used;     /* slots holding a span */
    s_span_t *last;  /* the span of the last add: the next id is likely in it */
};

dt_idset_t *dt_idset_new (void)
{
    return calloc (1, sizeof (dt_idset_t));
}

void dt_idset_destroy (dt_idset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_idset_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        free (self->slots[i].bits);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

/* Fibonacci hashing: consecutive keys land apart. */
static size_t s_home (uint64_t key, size_t capacity)
{
    return (size_t) ((key * 11400714819323198485ull) >> 32) & (capacity - 1);
}

/* The slot holding `key`, or the free slot where it belongs. */
static s_span_t *s_find (s_span_t *slots, size_t capacity, uint64_t key)
{
    size_t i = s_home (key, capacity);
    while (slots[i].key && slots[i].key != key)
        i = (i + 1) & (capacity - 1);
    return &slots[i];
}

/* Keeps the load under one half, so probes stay short. */
static int s_grow (dt_idset_t *self)
{
    size_t capacity = self->capacity ? self->capacity * 2 : 16;
    s_span_t *slots = calloc (capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots[i].key)
            *s_find (slots, capacity, self->slots[i].key) = self->slots[i];
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    self->last = NULL;
    return 0;
}

int dt_idset_add (dt_idset_t *self, uint64_t id)
{
    uint64_t key = id / DT_IDSET_SPAN + 1;
    s_span_t *span = self->last;
    if (!span || span->key != key) {
        if ((self->used + 1) * 2 > self->capacity && s_grow (self) != 0)
            return -1;
        span = s_find (self->slots, self->capacity, key);
        if (!span->key) {
            if (!(span->bits = calloc (DT_IDSET_WORDS, sizeof *span->bits)))
                return -1;
            span->key = key;
            self->used++;
        }
        self->last = span;
    }
    uint64_t bit = 1ull << (id % 64), *word = &span->bits[id % DT_IDSET_SPAN / 64];
    if (*word & bit)
        return 0;
    *word |= bit;
    return 1;
}
