/* dt_cold.h - the cold queue: ids of queued tasks kept only in the store. */
#ifndef DT_COLD_H
#define DT_COLD_H

#include <stddef.h>
#include <stdint.h>

/* A durable master keeps a bounded number of queued tasks in memory; the
 * rest wait in the store, in id order, and are read back as the queue in
 * memory runs low. Here are their ids, as sorted runs of consecutive ids:
 * new tasks extend the last run, so a million tasks submitted while the
 * queue is full take one run. Every id in a run is a pending task in the
 * store (or no task at all: a gap recovery found). Tasks that REQUEUE
 * reopens past the window join the runs where their ids fall. */
typedef struct dt_cold_t dt_cold_t;

/* Creates an empty set. Returns NULL on failure. */
dt_cold_t *dt_cold_new (void);

/* NULL-safe; nulls the pointer. */
void dt_cold_destroy (dt_cold_t **self_p);

/* Adds ids first .. first+count-1, all above every id held. Returns 0 or
 * -1 (no memory: set unchanged). */
int dt_cold_add (dt_cold_t *self, uint64_t first, uint64_t count);

/* Adds `ids` (n of them, ascending, none held) wherever they fall among
 * the runs: REQUEUE sends failed tasks back to the store's queue, and their
 * ids may fall before, between or after the runs. O(runs + n). Returns 0 or -1 (no
 * memory: set unchanged). */
int dt_cold_merge (dt_cold_t *self, const uint64_t *ids, size_t n);

/* Removes `ids` (n of them, ascending; those not held are passed over):
 * CANCEL takes cancelled tasks out, so that no record need stay in memory
 * to mark them. O(runs + n). Returns 0 or -1 (no memory: set unchanged). */
int dt_cold_remove (dt_cold_t *self, const uint64_t *ids, size_t n);

/* The first run: its lowest and highest ids. Returns 0, or -1 when the
 * set is empty. */
int dt_cold_front (const dt_cold_t *self, uint64_t *lo, uint64_t *hi);

/* The span from the first id to the `want`-th, or fewer where the next
 * run would make the span wider than `max_width` ids (the first run always
 * counts). A refill reads it in one query: after REQUEUE the cold queue
 * can be many short runs. Returns 0, or -1 when the set is empty. */
int dt_cold_span (const dt_cold_t *self, uint64_t want, uint64_t max_width, uint64_t *lo,
                  uint64_t *hi);

/* Removes every id up to and including `id`. */
void dt_cold_drop_to (dt_cold_t *self, uint64_t id);

/* True when `id` is in the set. O(log runs). */
int dt_cold_has (const dt_cold_t *self, uint64_t id);

/* Ids in the set. */
uint64_t dt_cold_count (const dt_cold_t *self);

#endif
