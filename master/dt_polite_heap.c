/* dt_polite_heap.c - origins by the time their next page may be granted: a binary min-heap. */
#include "dt_polite_heap.h"

#include <stdlib.h>

struct dt_polite_heap_t {
    dt_polite_heap_node_t **nodes; /* nodes[0] is due first */
    uint32_t len;                  /* nodes held */
    uint32_t cap;                  /* nodes allocated */
};

dt_polite_heap_t *dt_polite_heap_new (void)
{
    return calloc (1, sizeof (dt_polite_heap_t));
}

void dt_polite_heap_destroy (dt_polite_heap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->nodes);
    free (*self_p);
    *self_p = NULL;
}

static void s_set (dt_polite_heap_t *self, uint32_t i, dt_polite_heap_node_t *node)
{
    self->nodes[i] = node;
    node->i = i;
}

static void s_up (dt_polite_heap_t *self, uint32_t i)
{
    dt_polite_heap_node_t *node = self->nodes[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (self->nodes[parent]->due <= node->due)
            break;
        s_set (self, i, self->nodes[parent]);
        i = parent;
    }
    s_set (self, i, node);
}

static void s_down (dt_polite_heap_t *self, uint32_t i)
{
    dt_polite_heap_node_t *node = self->nodes[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= self->len)
            break;
        if (child + 1 < self->len && self->nodes[child + 1]->due < self->nodes[child]->due)
            child++;
        if (self->nodes[child]->due >= node->due)
            break;
        s_set (self, i, self->nodes[child]);
        i = child;
    }
    s_set (self, i, node);
}

void dt_polite_heap_remove (dt_polite_heap_t *self, dt_polite_heap_node_t *node)
{
    uint32_t i = node->i;
    if (i == DT_POLITE_HEAP_OUT)
        return;
    node->i = DT_POLITE_HEAP_OUT;
    dt_polite_heap_node_t *last = self->nodes[--self->len];
    if (last == node)
        return;
    s_set (self, i, last);
    s_up (self, i);
    s_down (self, last->i);
}

int dt_polite_heap_put (dt_polite_heap_t *self, dt_polite_heap_node_t *node, int64_t due)
{
    if (node->i != DT_POLITE_HEAP_OUT) {
        node->due = due;
        s_up (self, node->i);
        s_down (self, node->i);
        return 0;
    }
    if (self->len == self->cap) {
        uint32_t cap = self->cap ? self->cap * 2 : 64;
        dt_polite_heap_node_t **nodes = realloc (self->nodes, cap * sizeof *nodes);
        if (!nodes)
            return -1;
        self->nodes = nodes;
        self->cap = cap;
    }
    node->due = due;
    s_set (self, self->len++, node);
    s_up (self, node->i);
    return 0;
}

dt_polite_heap_node_t *dt_polite_heap_top (const dt_polite_heap_t *self)
{
    return self->len > 0 ? self->nodes[0] : NULL;
}
