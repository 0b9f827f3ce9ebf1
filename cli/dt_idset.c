/* dt_idset.c - a set of task ids: open addressing, linear probing, 0 marks a free slot. */
#include "dt_idset.h"

#include <stdlib.h>

struct dt_idset_t {
    uint64_t *slots; /* 0: free */
    size_t capacity; /* a power of two */
    size_t count;    /* ids held */
};

dt_idset_t *dt_idset_new (void)
{
    return calloc (1, sizeof (dt_idset_t));
}

void dt_idset_destroy (dt_idset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

/* Fibonacci hashing spreads consecutive ids, which is what jobs have. */
static size_t s_home (uint64_t id, size_t capacity)
{
    return (size_t) ((id * 11400714819323198485ull) >> 20) & (capacity - 1);
}

static void s_put (uint64_t *slots, size_t capacity, uint64_t id)
{
    size_t i = s_home (id, capacity);
    while (slots[i])
        i = (i + 1) & (capacity - 1);
    slots[i] = id;
}

/* Keeps the load under one half, so probes stay short. */
static int s_grow (dt_idset_t *self)
{
    size_t capacity = self->capacity ? self->capacity * 2 : 1024;
    uint64_t *slots = calloc (capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots[i])
            s_put (slots, capacity, self->slots[i]);
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

int dt_idset_add (dt_idset_t *self, uint64_t id)
{
    if ((self->count + 1) * 2 > self->capacity && s_grow (self) != 0)
        return -1;
    size_t i = s_home (id, self->capacity);
    while (self->slots[i]) {
        if (self->slots[i] == id)
            return 0;
        i = (i + 1) & (self->capacity - 1);
    }
    self->slots[i] = id;
    self->count++;
    return 1;
}
