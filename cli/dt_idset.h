/* dt_idset.h - a set of task ids, so that `submit --wait` prints each task once.
 *
 * A job's task can be final twice over a wait (failed, then `dtask retry`
 * runs it again): the first final result is the one printed and counted.
 */
#ifndef DT_IDSET_H
#define DT_IDSET_H

#include <stdint.h>

typedef struct dt_idset_t dt_idset_t;

/* Creates an empty set. Returns NULL when out of memory. */
dt_idset_t *dt_idset_new (void);

/* NULL-safe; nulls the pointer. */
void dt_idset_destroy (dt_idset_t **self_p);

/* Adds `id`. Returns 1 when it was new, 0 when already there, -1
 * when out of memory (the set is unchanged). */
int dt_idset_add (dt_idset_t *self, uint64_t id);

#endif
