/* dt_jobs.c - jobs: their counts, their chunks (for idempotent SUBMIT without a store), and
 * which finished jobs leave memory. */
#include "dt_jobs.h"
#include "dt_jobhttp.h"

#include <stdlib.h>
#include <string.h>

/* A chunk already accepted; the key is (job number, chunk number). */
typedef struct s_chunk_t {
    dt_bkey_t key;          /* points at raw */
    uint32_t raw[2];        /* job number, chunk number */
    uint64_t first_id;      /* first task id it created */
    uint64_t urls_hash;     /* dt_jobs_urls_hash of its URLs */
    uint32_t count;         /* tasks it created */
    struct s_chunk_t *next; /* its job's next chunk */
} s_chunk_t;

/* An entry of the finished queue: the job's number (the job may have left
 * memory by other means, so it is looked up again). */
typedef struct {
    uint32_t *ring;  /* job numbers, oldest at head */
    size_t head;     /* index of the oldest */
    size_t count;    /* entries */
    size_t capacity; /* allocated entries, a power of two */
} s_fifo_t;

struct dt_jobs_t {
    zhashx_t *by_name;  /* dt_job_t by name (owns them) */
    zhashx_t *by_index; /* dt_job_t by number (borrowed from by_name) */
    zhashx_t *chunks;   /* s_chunk_t by (job, chunk) (owns them) */
    uint32_t next;      /* number of the next job created */
    size_t nchunks;     /* chunks held */
    s_fifo_t finished;  /* finished jobs, oldest first */
    size_t nhttp;       /* jobs holding HTTP options */
    size_t http_bytes;  /* bytes those options hold */
    dt_job_t *last;     /* the job dt_jobs_at found last (NULL once removed) */
};

/* Sizes for dt_jobs_memory: a record plus zhashx's item (~48 bytes). */
#define S_HASH_ITEM 48

static void s_job_free (void **item_p)
{
    dt_job_t *job = *item_p;
    if (job)
        dt_jobhttp_destroy (&job->http);
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
    self->by_index = dt_bkey_table_new (NULL);
    self->chunks = dt_bkey_table_new (s_chunk_free);
    if (!self->by_name || !self->by_index || !self->chunks) {
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
    zhashx_destroy (&self->by_index);
    zhashx_destroy (&self->by_name);
    free (self->finished.ring);
    free (self);
    *self_p = NULL;
}

dt_job_t *dt_jobs_find (dt_jobs_t *self, dt_str_t name)
{
    dt_bkey_t key = dt_bkey (name.ptr, name.len);
    return zhashx_lookup (self->by_name, &key);
}

dt_job_t *dt_jobs_ensure (dt_jobs_t *self, dt_str_t name, int *created)
{
    if (created)
        *created = 0;
    if (name.len == 0 || name.len > DT_LIMIT_JOB_MAX)
        return NULL;
    dt_job_t *job = dt_jobs_find (self, name);
    if (job)
        return job;
    if (zhashx_size (self->by_index) >= DT_JOBS_NONE - 1)
        return NULL;
    /* After 2^32 - 1 jobs the numbers wrap: one in use is passed over. */
    while (self->next == DT_JOBS_NONE || dt_jobs_at (self, self->next))
        self->next++;
    job = calloc (1, sizeof *job);
    if (!job)
        return NULL;
    memcpy (job->name, name.ptr, name.len);
    job->name_len = name.len;
    job->key = dt_bkey (job->name, job->name_len);
    job->index = self->next;
    job->index_key = dt_bkey (&job->index, sizeof job->index);
    if (zhashx_insert (self->by_name, &job->key, job) != 0) {
        free (job);
        return NULL;
    }
    if (zhashx_insert (self->by_index, &job->index_key, job) != 0) {
        zhashx_delete (self->by_name, &job->key);
        return NULL;
    }
    self->next++;
    if (created)
        *created = 1;
    return job;
}

dt_job_t *dt_jobs_at (dt_jobs_t *self, uint32_t index)
{
    /* Every step of a task's life looks up its job, and a batch's tasks
     * are mostly of one job: the last one found saves the hash lookup. */
    if (self->last && self->last->index == index)
        return self->last;
    dt_bkey_t key = dt_bkey (&index, sizeof index);
    dt_job_t *job = zhashx_lookup (self->by_index, &key);
    if (job)
        self->last = job;
    return job;
}

size_t dt_jobs_count (const dt_jobs_t *self)
{
    return zhashx_size (self->by_name);
}

dt_job_t *dt_jobs_first (dt_jobs_t *self)
{
    return zhashx_first (self->by_name);
}

dt_job_t *dt_jobs_next (dt_jobs_t *self)
{
    return zhashx_next (self->by_name);
}

int dt_jobs_chunk_find (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t *first_id,
                        uint32_t *count, uint64_t *urls_hash)
{
    uint32_t raw[2] = {job->index, chunk};
    dt_bkey_t key = dt_bkey (raw, sizeof raw);
    s_chunk_t *found = zhashx_lookup (self->chunks, &key);
    if (!found)
        return -1;
    *first_id = found->first_id;
    *count = found->count;
    *urls_hash = found->urls_hash;
    return 0;
}

int dt_jobs_chunk_add (dt_jobs_t *self, dt_job_t *job, uint32_t chunk, uint64_t first_id,
                       uint32_t count, uint64_t urls_hash)
{
    s_chunk_t *record = malloc (sizeof *record);
    if (!record)
        return -1;
    record->raw[0] = job->index;
    record->raw[1] = chunk;
    record->key = dt_bkey (record->raw, sizeof record->raw);
    record->first_id = first_id;
    record->count = count;
    record->urls_hash = urls_hash;
    if (zhashx_insert (self->chunks, &record->key, record) != 0) {
        free (record);
        return -1;
    }
    record->next = job->chunks;
    job->chunks = record;
    if (chunk >= job->next_chunk)
        job->next_chunk = chunk == UINT32_MAX ? UINT32_MAX : chunk + 1;
    self->nchunks++;
    return 0;
}

/* One step of dt_jobs_urls_hash: xor, multiply by an odd constant (2^64 /
 * the golden ratio), fold the high bits down. */
static uint64_t s_mix (uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
}

uint64_t dt_jobs_urls_hash (const dt_str_t *urls, uint32_t count)
{
    /* Eight bytes a step, not one (FNV-1a cost ~6 instructions a byte, the
     * most of any step of a no-op SUBMIT). The hash only lives in memory,
     * so it may change between versions. */
    uint64_t h = 1469598103934665603ULL;
    for (uint32_t i = 0; i < count; i++) {
        /* The length first: ("ab", "c") and ("a", "bc") differ, and the
         * zero-padded last word is unambiguous. */
        const char *p = urls[i].ptr;
        uint32_t left = urls[i].len;
        h = s_mix (h, left);
        for (; left >= 8; p += 8, left -= 8) {
            uint64_t word;
            memcpy (&word, p, 8);
            h = s_mix (h, word);
        }
        if (left) {
            uint64_t word = 0;
            memcpy (&word, p, left);
            h = s_mix (h, word);
        }
    }
    return h;
}

static int s_unfinished (const dt_job_t *job)
{
    return job->states[DT_TASK_QUEUED] + job->states[DT_TASK_INFLIGHT] +
               job->states[DT_TASK_DELAYED] >
           0;
}

int dt_jobs_finished (dt_jobs_t *self, dt_job_t *job)
{
    if (job->retiring || s_unfinished (job))
        return 0;
    s_fifo_t *f = &self->finished;
    if (f->count == f->capacity) {
        size_t capacity = f->capacity ? f->capacity * 2 : 1024;
        uint32_t *ring = malloc (capacity * sizeof *ring);
        if (!ring)
            return -1;
        for (size_t i = 0; i < f->count; i++)
            ring[i] = f->ring[(f->head + i) & (f->capacity - 1)];
        free (f->ring);
        f->ring = ring;
        f->head = 0;
        f->capacity = capacity;
    }
    f->ring[(f->head + f->count++) & (f->capacity - 1)] = job->index;
    job->retiring = 1;
    return 0;
}

dt_job_t *dt_jobs_retire_next (dt_jobs_t *self, size_t keep)
{
    s_fifo_t *f = &self->finished;
    if (!keep)
        keep = DT_JOBS_KEEP_FINISHED;
    while (f->count > keep) {
        dt_job_t *job = dt_jobs_at (self, f->ring[f->head]);
        f->head = (f->head + 1) & (f->capacity - 1);
        f->count--;
        if (!job)
            continue;
        job->retiring = 0;
        if (!s_unfinished (job))
            return job;
    }
    return NULL;
}

void dt_jobs_set_http (dt_jobs_t *self, dt_job_t *job, struct dt_jobhttp_t **http_p)
{
    self->nhttp = self->nhttp + (*http_p != NULL) - (job->http != NULL);
    self->http_bytes =
        self->http_bytes + dt_jobhttp_memory (*http_p) - dt_jobhttp_memory (job->http);
    dt_jobhttp_destroy (&job->http);
    job->http = *http_p;
    *http_p = NULL;
}

size_t dt_jobs_with_http (const dt_jobs_t *self)
{
    return self->nhttp;
}

void dt_jobs_remove (dt_jobs_t *self, dt_job_t **job_p)
{
    dt_job_t *job = *job_p;
    if (job->http) {
        self->nhttp--;
        self->http_bytes -= dt_jobhttp_memory (job->http);
    }
    s_chunk_t *chunk = job->chunks;
    while (chunk) {
        s_chunk_t *next = chunk->next;
        zhashx_delete (self->chunks, &chunk->key); /* frees it */
        self->nchunks--;
        chunk = next;
    }
    if (self->last == job)
        self->last = NULL;
    zhashx_delete (self->by_index, &job->index_key);
    zhashx_delete (self->by_name, &job->key); /* frees it */
    *job_p = NULL;
}

size_t dt_jobs_memory (const dt_jobs_t *self)
{
    return zhashx_size (self->by_name) * (sizeof (dt_job_t) + 2 * S_HASH_ITEM) +
           self->nchunks * (sizeof (s_chunk_t) + S_HASH_ITEM) +
           self->finished.capacity * sizeof (uint32_t) + self->http_bytes;
}
