/* dt_queue.c - the pending tasks: a deque in dispatch order plus a heap of delayed retries. */
#include "dt_queue.h"

#include <stdlib.h>
#include <string.h>

/* First ring allocation; it doubles when full and never shrinks (a queue
 * that was deep once is likely to be deep again). */
#define DT_QUEUE_INITIAL 1024

typedef struct {
    uint64_t id;
    uint32_t gen;
} s_entry_t;

typedef struct {
    int64_t due;
    uint64_t id;
    uint32_t gen;
} s_delayed_t;

struct dt_queue_t {
    s_entry_t *ring;      /* deque storage, capacity a power of two */
    size_t mask;          /* capacity - 1 */
    size_t head;          /* index of the first entry */
    size_t count;         /* entries in the ring */
    s_delayed_t *heap;    /* binary min-heap on due */
    size_t heap_count;    /* entries in heap */
    size_t heap_capacity; /* allocated entries in heap */
};

dt_queue_t *dt_queue_new (void)
{
    dt_queue_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->ring = malloc (DT_QUEUE_INITIAL * sizeof *self->ring);
    if (!self->ring) {
        free (self);
        return NULL;
    }
    self->mask = DT_QUEUE_INITIAL - 1;
    return self;
}

void dt_queue_destroy (dt_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_queue_t *self = *self_p;
    free (self->ring);
    free (self->heap);
    free (self);
    *self_p = NULL;
}

/* Grows the ring to hold at least `need` entries, unwrapping it so the
 * first entry is at index 0. */
static int s_ring_grow (dt_queue_t *self, size_t need)
{
    size_t capacity = self->mask + 1;
    if (need <= capacity)
        return 0;
    size_t bigger = capacity;
    while (bigger < need) {
        if (bigger > SIZE_MAX / 2 / sizeof (s_entry_t))
            return -1;
        bigger *= 2;
    }
    s_entry_t *ring = malloc (bigger * sizeof *ring);
    if (!ring)
        return -1;
    size_t first = capacity - self->head; /* entries before the wrap */
    if (first > self->count)
        first = self->count;
    memcpy (ring, self->ring + self->head, first * sizeof *ring);
    memcpy (ring + first, self->ring, (self->count - first) * sizeof *ring);
    free (self->ring);
    self->ring = ring;
    self->mask = bigger - 1;
    self->head = 0;
    return 0;
}

int dt_queue_reserve (dt_queue_t *self, size_t count)
{
    if (count > SIZE_MAX - self->count)
        return -1;
    return s_ring_grow (self, self->count + count);
}

int dt_queue_push_back (dt_queue_t *self, uint64_t id, uint32_t gen)
{
    if (s_ring_grow (self, self->count + 1) != 0)
        return -1;
    self->ring[(self->head + self->count) & self->mask] = (s_entry_t){id, gen};
    self->count++;
    return 0;
}

int dt_queue_push_front (dt_queue_t *self, uint64_t id, uint32_t gen)
{
    if (s_ring_grow (self, self->count + 1) != 0)
        return -1;
    self->head = (self->head - 1) & self->mask;
    self->ring[self->head] = (s_entry_t){id, gen};
    self->count++;
    return 0;
}

int dt_queue_pop (dt_queue_t *self, uint64_t *id, uint32_t *gen)
{
    if (self->count == 0)
        return -1;
    s_entry_t *e = &self->ring[self->head];
    *id = e->id;
    *gen = e->gen;
    self->head = (self->head + 1) & self->mask;
    self->count--;
    return 0;
}

size_t dt_queue_size (const dt_queue_t *self)
{
    return self->count;
}

int dt_queue_delay (dt_queue_t *self, int64_t due, uint64_t id, uint32_t gen)
{
    if (self->heap_count == self->heap_capacity) {
        size_t capacity = self->heap_capacity ? self->heap_capacity * 2 : 64;
        s_delayed_t *heap = realloc (self->heap, capacity * sizeof *heap);
        if (!heap)
            return -1;
        self->heap = heap;
        self->heap_capacity = capacity;
    }
    s_delayed_t *heap = self->heap;
    size_t i = self->heap_count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent].due <= due)
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = (s_delayed_t){due, id, gen};
    return 0;
}

int dt_queue_pop_due (dt_queue_t *self, int64_t now, uint64_t *id, uint32_t *gen)
{
    if (self->heap_count == 0 || self->heap[0].due > now)
        return -1;
    s_delayed_t *heap = self->heap;
    *id = heap[0].id;
    *gen = heap[0].gen;
    s_delayed_t last = heap[--self->heap_count];
    size_t n = self->heap_count, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap[child + 1].due < heap[child].due)
            child++;
        if (last.due <= heap[child].due)
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0)
        heap[i] = last;
    return 0;
}

int64_t dt_queue_next_due (const dt_queue_t *self)
{
    return self->heap_count ? self->heap[0].due : INT64_MAX;
}

size_t dt_queue_delayed (const dt_queue_t *self)
{
    return self->heap_count;
}
