/* dt_store_due.h - the store's index of not-before times: which pending tasks wait for a time,
 * read back in order of that time. */
#ifndef DT_STORE_DUE_H
#define DT_STORE_DUE_H

#include <stdint.h>

#include "dt_msg.h"
#include "dt_store.h"

/* A task's not-before time is in its spec (dt_spec.h); this index holds a
 * row (id, due) for every pending task submitted with one, so a master
 * holding millions of delayed tasks keeps only the next due ones in memory
 * and reads the rest in order of due time (dt_state_due.c). It is the
 * table `task_due`, created at first use outside the schema versions
 * (older masters ignore it): rows by id, and an index on (due, id). A row
 * goes when its task is final; a task put back (REQUEUE) gets none until a
 * restart finds it delayed again. */
typedef struct dt_store_due_t dt_store_due_t;

/* Creates `task_due` in `store` when missing and prepares its statements.
 * Returns NULL (logged) on failure. Destroy it before the store. */
dt_store_due_t *dt_store_due_new (dt_store_t *store);

/* NULL-safe; nulls the pointer. */
void dt_store_due_destroy (dt_store_due_t **self_p);

/* Records tasks first_id .. first_id+count-1 as not due before `due`
 * (wall-clock ms), in the current group; a row already there stays. */
int dt_store_due_add (dt_store_due_t *self, uint64_t first_id, uint32_t count, uint64_t due);

/* Forgets task `id`'s row (its task is final), in the current group. */
int dt_store_due_del (dt_store_due_t *self, uint64_t id);

/* A row and its task's job, spec and attempts, borrowed for the call.
 * Returns 0 to go on, 1 to stop, -1 to fail the read. */
typedef int (*dt_store_due_fn) (void *arg, uint64_t due, uint64_t id, dt_str_t job, dt_str_t url,
                                uint32_t attempts);

/* The rows after (after_due, after_id) in (due, id) order, at most `limit`:
 * one range of the index. Returns 0 or -1. */
int dt_store_due_next (dt_store_due_t *self, uint64_t after_due, uint64_t after_id, uint32_t limit,
                       dt_store_due_fn fn, void *arg);

/* Every row of a task of job `job` (CANCEL), through the tasks' job index.
 * Returns 0 or -1. */
int dt_store_due_of_job (dt_store_due_t *self, dt_str_t job, dt_store_due_fn fn, void *arg);

#endif
