/* dt_steps.h - long operations on a job's rows in the store, run in bounded steps across loop
 * turns.
 *
 * CANCEL, REQUEUE and PURGE of a job whose tasks or results are mostly only
 * in the store would cost one loop turn as many rows as the job has (500,000
 * cancelled in one turn took ~2 s, and no STATUS was answered meanwhile). So
 * each is answered after a first bounded part, and what is left becomes an
 * operation here: one step of the oldest operation of each kind runs a loop
 * turn (dt_state_steps.c), and an operation keeps where its next step starts
 * and where it ends, so that the store can keep it too and a restarted
 * master goes on with it (the `steps` table, dt_store_steps.c).
 *
 * This module only keeps the operations, in the order they were asked; what
 * a step does is its caller's.
 */
#ifndef DT_STEPS_H
#define DT_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_limits.h"
#include "dt_msg.h"

/* What an operation does (the number is what the store keeps). */
typedef enum {
    DT_STEPS_CANCEL = 1,  /* cancels the job's cold tasks, ids `next` .. `last` */
    DT_STEPS_REQUEUE = 2, /* reopens the failed results at seqs after `next` up to `last` */
    DT_STEPS_PURGE = 3,   /* deletes the job's rows */
} dt_steps_kind_t;

#define DT_STEPS_KINDS 4 /* kinds are 1 .. DT_STEPS_KINDS - 1 */

typedef struct {
    uint64_t added;  /* the order it was asked in, from 1 */
    uint64_t next;   /* where its next step starts: a task id (CANCEL), a result seq (REQUEUE) */
    uint64_t last;   /* the last id or seq it covers: what came after is not its */
    uint32_t flags;  /* REQUEUE: its DT_REQUEUE_* flags */
    uint8_t kind;    /* dt_steps_kind_t */
    uint8_t job_len; /* bytes in job; 0: every job (REQUEUE) */
    char job[DT_LIMIT_JOB_MAX]; /* the job's id, not NUL-terminated */
} dt_steps_op_t;

typedef struct dt_steps_t dt_steps_t;

/* Creates an empty list. Returns NULL on failure. */
dt_steps_t *dt_steps_new (void);

/* NULL-safe; nulls the pointer. */
void dt_steps_destroy (dt_steps_t **self_p);

/* Adds an operation of `kind` on `job` (every job when empty) after every
 * other, numbered `added`, or when that is 0 after the highest number
 * given so far (an operation read back from the store keeps its number,
 * and the next ones come after it). Returns the
 * operation (borrowed: valid until the next add or remove), or NULL when
 * `max` of its kind are under way, the name is too long, or memory runs
 * out (the list is then unchanged). */
dt_steps_op_t *dt_steps_add (dt_steps_t *self, int kind, dt_str_t job, uint64_t added, size_t max);

/* The operation of `kind` on `job`, or NULL. O(1) when none of its kind is
 * under way, else O(operations). */
dt_steps_op_t *dt_steps_find (const dt_steps_t *self, int kind, dt_str_t job);

/* The oldest operation of `kind`, or NULL. */
dt_steps_op_t *dt_steps_first (const dt_steps_t *self, int kind);

/* Removes `op` (one of this list's). */
void dt_steps_remove (dt_steps_t *self, dt_steps_op_t *op);

/* Operations of `kind` under way (0: of every kind). */
size_t dt_steps_count (const dt_steps_t *self, int kind);

/* The number the next operation added gets. */
uint64_t dt_steps_next_added (const dt_steps_t *self);

/* The job of `op`, borrowed from it. */
static inline dt_str_t dt_steps_job (const dt_steps_op_t *op)
{
    return dt_str_n (op->job, op->job_len);
}

#endif
