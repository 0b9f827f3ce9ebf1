/* dt_store_steps.h - the long operations under way (dt_steps.h), kept in the store so that a
 * restarted master goes on with them. */
#ifndef DT_STORE_STEPS_H
#define DT_STORE_STEPS_H

#include "dt_steps.h"
#include "dt_store.h"

/* Creates the `steps` table when missing. It is outside the schema
 * versions, as job_info is: a store of any version gains it, and an older
 * master ignores it (it then forgets what was under way, as it always did:
 * asking again finishes it). */
int dt_store_steps_init (dt_store_t *self);

/* Writes `op` (created or replaced, by its kind and job) in the current
 * group: it commits with the rows its step changed, so a restart finds the
 * operation where those rows are. 0 or -1. */
int dt_store_steps_put (dt_store_t *self, const dt_steps_op_t *op);

/* Deletes `op` in the current group (it ended). 0 or -1. */
int dt_store_steps_drop (dt_store_t *self, const dt_steps_op_t *op);

/* Calls `fn` with each operation kept, oldest first (`op` borrowed for the
 * call); `fn` returns 0 to go on, 1 to stop, -1 to fail. Rows of an
 * unknown kind or a job id over DT_LIMIT_JOB_MAX are passed over. 0 or -1. */
int dt_store_steps_load (dt_store_t *self, int (*fn) (void *arg, const dt_steps_op_t *op),
                         void *arg);

#endif
