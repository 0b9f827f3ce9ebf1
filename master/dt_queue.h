/* dt_queue.h - the pending tasks: a deque in dispatch order plus a heap of delayed retries. */
#ifndef DT_QUEUE_H
#define DT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* The queue holds task ids, not tasks. Each entry carries the generation the
 * task had when it was queued; a task that leaves the queue by another road
 * (its result arrived from a worker presumed dead) bumps its generation, so
 * its old entry is recognised as stale when popped and skipped. That keeps
 * every operation O(1) (deque) or O(log n) (heap) with no search to remove
 * an entry from the middle. */
typedef struct dt_queue_t dt_queue_t;

/* Creates an empty queue. Returns NULL on failure. */
dt_queue_t *dt_queue_new (void);

/* NULL-safe; nulls the pointer. */
void dt_queue_destroy (dt_queue_t **self_p);

/* Appends (new tasks) or prepends (tasks whose lease ended: they have
 * waited longest). Returns 0, or -1 when memory runs out (queue unchanged). */
int dt_queue_push_back (dt_queue_t *self, uint64_t id, uint32_t gen);
int dt_queue_push_front (dt_queue_t *self, uint64_t id, uint32_t gen);

/* Makes sure `count` more pushes cannot fail. Returns 0 or -1. */
int dt_queue_reserve (dt_queue_t *self, size_t count);

/* Takes the first entry. Returns 0, or -1 when the deque is empty. */
int dt_queue_pop (dt_queue_t *self, uint64_t *id, uint32_t *gen);

/* Entries in the deque, stale ones included. */
size_t dt_queue_size (const dt_queue_t *self);

/* Schedules a retry at `due` (monotonic ms). Returns 0 or -1 (no memory). */
int dt_queue_delay (dt_queue_t *self, int64_t due, uint64_t id, uint32_t gen);

/* Takes the earliest delayed entry if it is due at `now`. Returns 0, or -1
 * when nothing is due. */
int dt_queue_pop_due (dt_queue_t *self, int64_t now, uint64_t *id, uint32_t *gen);

/* When the earliest delayed entry is due, or INT64_MAX when there is none. */
int64_t dt_queue_next_due (const dt_queue_t *self);

/* Entries in the delay heap, stale ones included. */
size_t dt_queue_delayed (const dt_queue_t *self);

#endif
