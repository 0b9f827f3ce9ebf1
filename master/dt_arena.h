/* dt_arena.h - append-only storage for strings freed all at once. */
#ifndef DT_ARENA_H
#define DT_ARENA_H

#include <stddef.h>

/* URLs and result strings are written once and never freed one by one
 * (a chunk of tasks or results is freed whole, with its arena), so they go
 * into large blocks: one malloc per block instead of one per string, and
 * no per-string header. */
typedef struct dt_arena_t dt_arena_t;

/* Default block size: large enough that block headers and the space wasted
 * at a block's end are noise, small enough for a tiny master. */
#define DT_ARENA_BLOCK (1024 * 1024)

/* Creates an arena with blocks of `block_size` bytes (0: DT_ARENA_BLOCK);
 * from DT_BIGMEM_UNIT up, blocks are huge-page backed (dt_bigmem.h).
 * Returns NULL on failure. */
dt_arena_t *dt_arena_new (size_t block_size);

/* Frees every block: all strings handed out become invalid. NULL-safe. */
void dt_arena_destroy (dt_arena_t **self_p);

/* Copies `len` bytes of `data` followed by a NUL into the arena. Returns the
 * copy (owned by the arena, valid until it is destroyed), or NULL when
 * memory runs out. */
const char *dt_arena_strdup (dt_arena_t *self, const void *data, size_t len);

/* Makes sure that copies totalling `bytes` (count len + 1 for each) succeed
 * without allocating. Returns 0, or -1 when memory runs out. */
int dt_arena_reserve (dt_arena_t *self, size_t bytes);

/* Bytes held in blocks, for memory accounting. */
size_t dt_arena_allocated (const dt_arena_t *self);

/* What dt_arena_allocated would say of a new arena with this one's block
 * size once `bytes` were reserved in it: at least one block, whatever
 * `bytes`. Tells whether copying live strings into a new arena frees
 * anything. */
size_t dt_arena_allocated_for (const dt_arena_t *self, size_t bytes);

#endif
