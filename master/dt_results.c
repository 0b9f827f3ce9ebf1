/* dt_results.c - the results log: every final result in the order it was recorded. */
#include "dt_results.h"
#include "dt_arena.h"
#include "dt_bkey.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Entries per chunk (8192 x 80 bytes = 640 KiB); chunks never move, so
 * entry addresses are stable and growth never copies. */
#define DT_RESULTS_CHUNK_SHIFT 13
#define DT_RESULTS_CHUNK       (1u << DT_RESULTS_CHUNK_SHIFT)

/* Distinct strings kept in the shared set. Worker names and content types
 * number in the tens in practice; past this many (hostile or odd servers)
 * further values are simply copied, so the set cannot grow without bound. */
#define DT_RESULTS_SHARED_MAX 4096

/* A shared string; its key points at its own bytes. */
typedef struct {
    dt_bkey_t key;
    char data[];
} s_shared_t;

struct dt_results_t {
    dt_result_t **chunks;   /* chunk i holds seqs i*CHUNK+1 .. (i+1)*CHUNK */
    size_t nchunks;         /* chunks allocated */
    size_t chunks_capacity; /* entries in the chunks array */
    uint64_t last;          /* highest seq recorded */
    dt_arena_t *strings;    /* final URLs and errors */
    zhashx_t *shared;       /* s_shared_t by bytes: worker names, content types */
};

static void s_shared_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

dt_results_t *dt_results_new (void)
{
    dt_results_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->strings = dt_arena_new (0);
    self->shared = dt_bkey_table_new (s_shared_free);
    if (!self->strings || !self->shared) {
        dt_results_destroy (&self);
        return NULL;
    }
    return self;
}

void dt_results_destroy (dt_results_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_results_t *self = *self_p;
    for (size_t i = 0; i < self->nchunks; i++)
        free (self->chunks[i]);
    free (self->chunks);
    dt_arena_destroy (&self->strings);
    zhashx_destroy (&self->shared);
    free (self);
    *self_p = NULL;
}

static dt_result_t *s_slot (dt_results_t *self, uint64_t seq)
{
    return &self->chunks[(seq - 1) >> DT_RESULTS_CHUNK_SHIFT][(seq - 1) & (DT_RESULTS_CHUNK - 1)];
}

static int s_cover (dt_results_t *self, uint64_t seq)
{
    uint64_t need = ((seq - 1) >> DT_RESULTS_CHUNK_SHIFT) + 1;
    if (need > SIZE_MAX / sizeof (dt_result_t *))
        return -1;
    while (self->nchunks < need) {
        if (self->nchunks == self->chunks_capacity) {
            size_t capacity = self->chunks_capacity ? self->chunks_capacity * 2 : 16;
            dt_result_t **chunks = realloc (self->chunks, capacity * sizeof *chunks);
            if (!chunks)
                return -1;
            self->chunks = chunks;
            self->chunks_capacity = capacity;
        }
        /* Zeroed: a position never filled reads as removed. */
        dt_result_t *chunk = calloc (DT_RESULTS_CHUNK, sizeof *chunk);
        if (!chunk)
            return -1;
        self->chunks[self->nchunks++] = chunk;
    }
    return 0;
}

/* A copy of `s` in the arena, or NULL when empty. Sets *failed on ENOMEM. */
static const char *s_copy (dt_results_t *self, dt_str_t s, int *failed)
{
    if (s.len == 0)
        return NULL;
    const char *copy = dt_arena_strdup (self->strings, s.ptr, s.len);
    if (!copy)
        *failed = 1;
    return copy;
}

/* The shared copy of `s` (made on first use), or NULL when empty. */
static const char *s_share (dt_results_t *self, dt_str_t s, int *failed)
{
    if (s.len == 0)
        return NULL;
    dt_bkey_t key = dt_bkey (s.ptr, s.len);
    s_shared_t *shared = zhashx_lookup (self->shared, &key);
    if (shared)
        return shared->data;
    if (zhashx_size (self->shared) >= DT_RESULTS_SHARED_MAX)
        return s_copy (self, s, failed);
    shared = malloc (sizeof *shared + s.len + 1);
    if (!shared) {
        *failed = 1;
        return NULL;
    }
    memcpy (shared->data, s.ptr, s.len);
    shared->data[s.len] = '\0';
    shared->key = dt_bkey (shared->data, s.len);
    if (zhashx_insert (self->shared, &shared->key, shared) != 0) {
        free (shared);
        *failed = 1;
        return NULL;
    }
    return shared->data;
}

int dt_results_skip_to (dt_results_t *self, uint64_t seq)
{
    assert (seq > self->last);
    if (s_cover (self, seq) != 0)
        return -1;
    self->last = seq;
    return 0;
}

int dt_results_append (dt_results_t *self, uint64_t seq, uint64_t task, const dt_msg_result_t *r)
{
    assert (seq > self->last && task > 0);
    if (s_cover (self, seq) != 0)
        return -1;
    int failed = 0;
    dt_result_t entry = {
        .task = task,
        .bytes = r->bytes,
        .final_url = s_copy (self, r->final_url, &failed),
        .content_type = s_share (self, r->content_type, &failed),
        .worker = s_share (self, r->worker, &failed),
        .error = s_copy (self, r->error, &failed),
        .final_url_len = r->final_url.len,
        .content_type_len = r->content_type.len,
        .worker_len = r->worker.len,
        .error_len = r->error.len,
        .elapsed_ms = r->elapsed_ms,
        .attempts = r->attempt,
        .http_status = r->http_status,
        .state = r->state,
    };
    /* Strings copied before a failure stay in the arena unused: harmless,
     * and only when memory has run out. */
    if (failed)
        return -1;
    *s_slot (self, seq) = entry;
    self->last = seq;
    return 0;
}

dt_result_t *dt_results_get (dt_results_t *self, uint64_t seq)
{
    if (seq == 0 || seq > self->last)
        return NULL;
    return s_slot (self, seq);
}

uint64_t dt_results_last (const dt_results_t *self)
{
    return self->last;
}

/* Empty strings point at "" rather than NULL: encoders may memcpy from them. */
static dt_str_t s_str (const char *s, uint32_t len)
{
    return s ? dt_str_n (s, len) : dt_str_n ("", 0);
}

void dt_results_to_msg (const dt_result_t *entry, dt_msg_result_t *out)
{
    memset (out, 0, sizeof *out);
    out->id = entry->task;
    out->attempt = entry->attempts;
    out->state = entry->state;
    out->http_status = entry->http_status;
    out->bytes = entry->bytes;
    out->elapsed_ms = entry->elapsed_ms;
    out->final_url = s_str (entry->final_url, entry->final_url_len);
    out->content_type = s_str (entry->content_type, entry->content_type_len);
    out->worker = s_str (entry->worker, entry->worker_len);
    out->error = s_str (entry->error, entry->error_len);
}

size_t dt_results_memory (const dt_results_t *self)
{
    return self->nchunks * DT_RESULTS_CHUNK * sizeof (dt_result_t) +
           self->chunks_capacity * sizeof (dt_result_t *) + dt_arena_allocated (self->strings);
}
