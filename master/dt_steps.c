/* dt_steps.c - the long operations under way on jobs' rows in the store, oldest first. */
#include "dt_steps.h"

#include <stdlib.h>
#include <string.h>

struct dt_steps_t {
    dt_steps_op_t *ops;              /* under way, in the order they were added */
    size_t count;                    /* entries used */
    size_t capacity;                 /* entries allocated */
    size_t per_kind[DT_STEPS_KINDS]; /* entries of each kind */
    uint64_t added;                  /* the number of the last one added */
};

dt_steps_t *dt_steps_new (void)
{
    return calloc (1, sizeof (dt_steps_t));
}

void dt_steps_destroy (dt_steps_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_steps_t *self = *self_p;
    free (self->ops);
    free (self);
    *self_p = NULL;
}

dt_steps_op_t *dt_steps_add (dt_steps_t *self, int kind, dt_str_t job, uint64_t added, size_t max)
{
    if (kind <= 0 || kind >= DT_STEPS_KINDS || job.len > DT_LIMIT_JOB_MAX ||
        self->per_kind[kind] >= max)
        return NULL;
    if (self->count == self->capacity) {
        /* At most a few thousand operations (each kind has its cap): grows
         * by doubling, never shrinks. */
        size_t capacity = self->capacity ? 2 * self->capacity : 16;
        dt_steps_op_t *ops = realloc (self->ops, capacity * sizeof *ops);
        if (!ops)
            return NULL;
        self->ops = ops;
        self->capacity = capacity;
    }
    dt_steps_op_t *op = &self->ops[self->count++];
    memset (op, 0, sizeof *op);
    op->added = added ? added : self->added + 1;
    if (op->added > self->added)
        self->added = op->added;
    op->kind = (uint8_t) kind;
    op->job_len = (uint8_t) job.len;
    if (job.len)
        memcpy (op->job, job.ptr, job.len);
    self->per_kind[kind]++;
    return op;
}

dt_steps_op_t *dt_steps_find (const dt_steps_t *self, int kind, dt_str_t job)
{
    if (kind <= 0 || kind >= DT_STEPS_KINDS || self->per_kind[kind] == 0)
        return NULL;
    for (size_t i = 0; i < self->count; i++) {
        dt_steps_op_t *op = &self->ops[i];
        if (op->kind == kind && op->job_len == job.len &&
            (job.len == 0 || memcmp (op->job, job.ptr, job.len) == 0))
            return op;
    }
    return NULL;
}

dt_steps_op_t *dt_steps_first (const dt_steps_t *self, int kind)
{
    if (kind <= 0 || kind >= DT_STEPS_KINDS || self->per_kind[kind] == 0)
        return NULL;
    for (size_t i = 0; i < self->count; i++)
        if (self->ops[i].kind == kind)
            return &self->ops[i];
    return NULL;
}

void dt_steps_remove (dt_steps_t *self, dt_steps_op_t *op)
{
    size_t i = (size_t) (op - self->ops);
    if (i >= self->count)
        return;
    self->per_kind[op->kind]--;
    memmove (op, op + 1, (self->count - i - 1) * sizeof *op);
    self->count--;
}

size_t dt_steps_count (const dt_steps_t *self, int kind)
{
    if (kind <= 0 || kind >= DT_STEPS_KINDS)
        return self->count;
    return self->per_kind[kind];
}

uint64_t dt_steps_next_added (const dt_steps_t *self)
{
    return self->added + 1;
}
