/* dt_jobs.c - jobs: their counts and their chunks (for idempotent SUBMIT). */
#include "dt_jobs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* A chunk already accepted; the key is (job index, chunk number). */
typedef struct {
    dt_bkey_t key;     /* points at raw */
    uint32_t raw[2];   /* job index, chunk number */
    uint64_t first_id; /* first task id it created */
    uint32_t count;    /* tasks it created */
} s_chunk_t;

struct dt_jobs_t {
    zhashx_t *by_name; /* dt_job_t by name (owns them) */
    zhashx_t *chunks;  /* s_chunk_t by (job, chunk) (owns them) */
    dt_job_t **all;    /* by index */
    size_t count;      /* entries in all */
    size_t capacity;   /* allocated entries in all */
};

static void s_job_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static void s_chunk_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

dt_jobs_t *dt_jobs_new (void)
{
    dt_jobs_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->by_name = dt_bkey_table_new (s_job_free);
    self->chunks = dt_bkey_table_new (s_chunk_free);
    if (!self->by_name || !self->chunks) {
        dt_jobs_destroy (&self);
        return NULL;
    }
    return self;
}

void dt_jobs_destroy (dt_jobs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_jobs_t *self = *self_p;
    zhashx_destroy (&self->chunks);
    zhashx_destroy (&self->by_name);
    free (self->all);
    free (self);
    *self_p = NULL;
}

dt_job_t *dt_jobs_find (dt_jobs_t *self, dt_str_t name)
{
    dt_bkey_t key = dt_bkey (name.ptr, name.len);
    return zhashx_lookup (self->by_name, &key);
}

dt_job_t *dt_jobs_ensure (dt_jobs_t *self, dt_str_t name)
{
    if (name.len == 0 || name.len > DT_LIMIT_JOB_MAX)
        return NULL;
    dt_job_t *job = dt_jobs_find (self, name);
    if (job)
        return job;
    if (self->count == UINT32_MAX)
        return NULL;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        dt_job_t **all = realloc (self->all, capacity * sizeof *all);
        if (!all)
            return NULL;
        self->all = all;
        self->capacity = capacity;
    }
    job = calloc (1, sizeof *job);
    if (!job)
        return NULL;
    memcpy (job->name, name.ptr, name.len);
    job->name_len = name.len;
    job->key = dt_bkey (job->name, job->name_len);
    job->index = (uint32_t) self->count;
    if (zhashx_insert (self->by_name, &job->key, job) != 0) {
        free (job);
        return NULL;
    }
    self->all[self->count++] = job;
    return job;
}

dt_job_t *dt_jobs_at (dt_jobs_t *self, uint32_t index)
{
    return index < self->count ? self->all[index] : NULL;
}

size_t dt_jobs_count (const dt_jobs_t *self)
{
    return self->count;
}

int dt_jobs_chunk_find (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t *first_id,
                        uint32_t *count)
{
    uint32_t raw[2] = {job->index, chunk};
    dt_bkey_t key = dt_bkey (raw, sizeof raw);
    s_chunk_t *found = zhashx_lookup (self->chunks, &key);
    if (!found)
        return -1;
    *first_id = found->first_id;
    *count = found->count;
    return 0;
}

int dt_jobs_chunk_add (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t first_id,
                       uint32_t count)
{
    s_chunk_t *record = malloc (sizeof *record);
    if (!record)
        return -1;
    record->raw[0] = job->index;
    record->raw[1] = chunk;
    record->key = dt_bkey (record->raw, sizeof record->raw);
    record->first_id = first_id;
    record->count = count;
    if (zhashx_insert (self->chunks, &record->key, record) != 0) {
        free (record);
        return -1;
    }
    return 0;
}
