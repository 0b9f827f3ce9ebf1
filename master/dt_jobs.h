/* dt_jobs.h - jobs: their counts and their chunks (for idempotent SUBMIT). */
#ifndef DT_JOBS_H
#define DT_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_bkey.h"
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_tasks.h"

/* A job: the client-chosen id that groups chunks of tasks. */
typedef struct {
    dt_bkey_t key;                    /* the registry's key: points at name */
    char name[DT_LIMIT_JOB_MAX + 1];  /* job id bytes, NUL-terminated for logs */
    uint32_t name_len;                /* bytes in name */
    uint32_t index;                   /* position in the registry: tasks refer to it */
    uint64_t total;                   /* tasks accepted */
    uint64_t states[DT_TASK_NSTATES]; /* its tasks in each dt_task_state_t */
} dt_job_t;

typedef struct dt_jobs_t dt_jobs_t;

/* Creates an empty registry. Returns NULL on failure. */
dt_jobs_t *dt_jobs_new (void);

/* Frees every job. NULL-safe; nulls the pointer. */
void dt_jobs_destroy (dt_jobs_t **self_p);

/* The job named `name`, or NULL. Owned by the registry. */
dt_job_t *dt_jobs_find (dt_jobs_t *self, dt_str_t name);

/* The job named `name`, created when missing. Returns NULL when the name is
 * empty or longer than DT_LIMIT_JOB_MAX, or memory runs out. */
dt_job_t *dt_jobs_ensure (dt_jobs_t *self, dt_str_t name);

/* The job at `index`, or NULL. */
dt_job_t *dt_jobs_at (dt_jobs_t *self, uint32_t index);

size_t dt_jobs_count (const dt_jobs_t *self);

/* Looks up chunk `chunk` of `job`. Returns 0 and fills the ids it created,
 * or -1 when the chunk is new. */
int dt_jobs_chunk_find (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t *first_id,
                        uint32_t *count);

/* Records that chunk `chunk` of `job` created ids first_id .. first_id +
 * count - 1. Returns 0, or -1 when it is already known or memory ran out. */
int dt_jobs_chunk_add (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t first_id,
                       uint32_t count);

#endif
