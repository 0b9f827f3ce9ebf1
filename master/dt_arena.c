/* dt_arena.c - append-only storage for strings freed all at once. */
#include "dt_arena.h"
#include "dt_bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct s_block_t {
    struct s_block_t *next; /* previously filled block */
    size_t mapped;          /* dt_bigmem size of the whole block; 0: malloc'd */
    size_t size;            /* bytes in data */
    size_t used;            /* bytes of data handed out */
    char data[];
} s_block_t;

struct dt_arena_t {
    s_block_t *current; /* block being filled; older blocks chain from it */
    size_t block_size;  /* size of a regular block */
    int big;            /* blocks come from dt_bigmem (block_size >= DT_BIGMEM_UNIT) */
    size_t allocated;   /* sum of block sizes */
};

dt_arena_t *dt_arena_new (size_t block_size)
{
    dt_arena_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->block_size = block_size ? block_size : DT_ARENA_BLOCK;
    self->big = self->block_size >= DT_BIGMEM_UNIT;
    return self;
}

void dt_arena_destroy (dt_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_arena_t *self = *self_p;
    s_block_t *block = self->current;
    while (block) {
        s_block_t *next = block->next;
        if (block->mapped)
            dt_bigmem_free (block, block->mapped);
        else
            free (block);
        block = next;
    }
    free (self);
    *self_p = NULL;
}

/* Starts a new current block with room for at least `bytes`. The rest of the
 * old block is abandoned: at most one string's worth per block. */
static int s_grow (dt_arena_t *self, size_t bytes)
{
    size_t size = bytes > self->block_size ? bytes : self->block_size;
    if (size > SIZE_MAX - sizeof (s_block_t))
        return -1;
    s_block_t *block;
    size_t mapped = 0;
    if (self->big) {
        /* The header shares the first huge page; what the rounding adds
         * is usable too. */
        block = dt_bigmem_alloc (sizeof *block + size, &mapped);
        if (block)
            size = mapped - sizeof *block;
    } else
        block = malloc (sizeof *block + size);
    if (!block)
        return -1;
    block->next = self->current;
    block->mapped = mapped;
    block->size = size;
    block->used = 0;
    self->current = block;
    self->allocated += size;
    return 0;
}

int dt_arena_reserve (dt_arena_t *self, size_t bytes)
{
    s_block_t *block = self->current;
    if (block && block->size - block->used >= bytes)
        return 0;
    return s_grow (self, bytes);
}

const char *dt_arena_strdup (dt_arena_t *self, const void *data, size_t len)
{
    if (len >= SIZE_MAX - 1 || dt_arena_reserve (self, len + 1) != 0)
        return NULL;
    s_block_t *block = self->current;
    char *copy = block->data + block->used;
    if (len)
        memcpy (copy, data, len);
    copy[len] = '\0';
    block->used += len + 1;
    return copy;
}

size_t dt_arena_allocated (const dt_arena_t *self)
{
    return self->allocated;
}

size_t dt_arena_allocated_for (const dt_arena_t *self, size_t bytes)
{
    /* As s_grow sizes one block for `bytes`. */
    size_t size = bytes > self->block_size ? bytes : self->block_size;
    if (!self->big || size > SIZE_MAX - sizeof (s_block_t) - DT_BIGMEM_UNIT)
        return size;
    size_t mapped =
        (sizeof (s_block_t) + size + DT_BIGMEM_UNIT - 1) / DT_BIGMEM_UNIT * DT_BIGMEM_UNIT;
    return mapped - sizeof (s_block_t);
}
