/* dt_polite_heap.h - origins with a page to grant, by when it may be granted: a binary min-heap
 * of nodes embedded in the origins (no allocation per origin; O(log n) put, move and remove).
 *
 * A node knows its place in the heap, so an origin whose due time
 * changes (a page started, a pause came) is moved in place, not searched.
 */
#ifndef DT_POLITE_HEAP_H
#define DT_POLITE_HEAP_H

#include <stdint.h>

/* A node's place when it is not in the heap. */
#define DT_POLITE_HEAP_OUT UINT32_MAX

/* Embedded in what the heap orders. Initialise `i` to DT_POLITE_HEAP_OUT. */
typedef struct {
    int64_t due; /* the key: monotonic ms */
    uint32_t i;  /* its place in the heap, or DT_POLITE_HEAP_OUT */
} dt_polite_heap_node_t;

typedef struct dt_polite_heap_t dt_polite_heap_t;

/* An empty heap. NULL when out of memory. */
dt_polite_heap_t *dt_polite_heap_new (void);

/* NULL-safe; nulls the pointer. The nodes are not its own. */
void dt_polite_heap_destroy (dt_polite_heap_t **self_p);

/* Puts `node` in the heap at `due`, or moves it there. 0, or -1 when the
 * heap cannot grow (the node is then where it was, or out). */
int dt_polite_heap_put (dt_polite_heap_t *self, dt_polite_heap_node_t *node, int64_t due);

/* Takes `node` out of the heap; nothing when it is not in it. */
void dt_polite_heap_remove (dt_polite_heap_t *self, dt_polite_heap_node_t *node);

/* The node due first (borrowed), or NULL when the heap is empty. */
dt_polite_heap_node_t *dt_polite_heap_top (const dt_polite_heap_t *self);

#endif
