/* dt_coldq.h - the cold queues: ids of queued tasks kept only in the store, one queue per kind
 * and priority level. */
#ifndef DT_COLDQ_H
#define DT_COLDQ_H

#include "dt_cold.h"

#include <stddef.h>
#include <stdint.h>

/* A durable master keeps a bounded number of queued tasks in memory; the
 * rest wait in the store. They are read back per kind, the highest level
 * first and in id order within a level, so a kind no worker serves never
 * holds up another's tasks and a priority task waiting in the store still
 * overtakes the rest of its kind. Each (kind, level) holds its ids as a
 * dt_cold_t (sorted runs: a chunk submitted past the window takes one run).
 * A kind is a number below DT_COLDQ_KINDS; a level is 0 .. DT_COLDQ_LEVELS-1. */
typedef struct dt_coldq_t dt_coldq_t;

/* Kinds and levels held: those of dt_kinds.h and proto/dt_msg.h. */
#define DT_COLDQ_KINDS  64
#define DT_COLDQ_LEVELS 10

/* Creates empty queues. Returns NULL on failure. */
dt_coldq_t *dt_coldq_new (void);

/* NULL-safe; nulls the pointer. */
void dt_coldq_destroy (dt_coldq_t **self_p);

/* Adds ids first .. first+count-1 of `kind` at `level`, all above every id
 * held there. Returns 0 or -1 (no memory: unchanged). */
int dt_coldq_add (dt_coldq_t *self, int kind, int level, uint64_t first, uint64_t count);

/* Adds `ids` (n, ascending, none held) of `kind` at `level` wherever they
 * fall (REQUEUE). Returns 0 or -1 (no memory: unchanged). */
int dt_coldq_merge (dt_coldq_t *self, int kind, int level, const uint64_t *ids, size_t n);

/* Removes `ids` (n, ascending; those not held are passed over) from every
 * queue (CANCEL). Returns 0 or -1 (no memory). */
int dt_coldq_remove (dt_coldq_t *self, const uint64_t *ids, size_t n);

/* True when `id` is held by any queue. O(queues used × log runs). */
int dt_coldq_has (const dt_coldq_t *self, uint64_t id);

/* Ids held, in all queues; of `kind`. */
uint64_t dt_coldq_count (const dt_coldq_t *self);
uint64_t dt_coldq_kind_count (const dt_coldq_t *self, int kind);

/* Kinds that have ids held. */
int dt_coldq_kinds (const dt_coldq_t *self);

/* The highest level of `kind` that holds ids, or -1 when none does. */
int dt_coldq_top (const dt_coldq_t *self, int kind);

/* The lowest id held by any queue. Returns 0, or -1 when all are empty. */
int dt_coldq_front (const dt_coldq_t *self, uint64_t *lo);

/* The ids of `kind` at `level` (borrowed; NULL when it never held any),
 * for dt_cold_span and dt_cold_has. */
const dt_cold_t *dt_coldq_at (const dt_coldq_t *self, int kind, int level);

/* Removes the ids of `kind` at `level` up to and including `id` (a refill
 * read them back). */
void dt_coldq_drop_to (dt_coldq_t *self, int kind, int level, uint64_t id);

#endif
