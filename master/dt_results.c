/* dt_results.c - the results log: final results in the order they were recorded. */
#include "dt_results.h"
#include "dt_arena.h"
#include "dt_bigmem.h"
#include "dt_bkey.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Entries per chunk: as many as fill a huge page (dt_bigmem.h), 21,845 of
 * 96 bytes. Chunks never move, so entry addresses are stable and growth
 * never copies. */
#define DT_RESULTS_CHUNK (DT_BIGMEM_UNIT / sizeof (dt_result_t))

/* String blocks of a chunk: URLs and errors of its results. */
#define DT_RESULTS_STRING_BLOCK DT_BIGMEM_UNIT

/* A chunk of entries and the strings only they use, freed together. It
 * holds seqs start .. end - 1: DT_RESULTS_CHUNK of them, or fewer when its
 * strings passed their share of the log's bytes (dt_results_set_max_bytes)
 * and the next result opened a new chunk. */
typedef struct {
    dt_result_t *entries; /* DT_RESULTS_CHUNK entries, from dt_bigmem */
    size_t mapped;        /* their dt_bigmem size */
    dt_arena_t *strings;  /* URLs, final URLs, errors */
    uint64_t start;       /* its first seq */
    uint64_t end;         /* past its last seq */
} s_chunk_t;

/* A chunk's strings may take this share of the log's max_bytes before the
 * next result opens a new chunk: the log is then dropped in eighths, and
 * holds at most max_bytes and one chunk. */
#define DT_RESULTS_BYTES_SHARES 8

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
    s_chunk_t **chunks;     /* in seq order, ranges end to end; NULL once dropped */
    size_t head;            /* first slot still in memory */
    size_t nchunks;         /* slots in use */
    size_t chunks_capacity; /* entries in the chunks array */
    uint64_t window;        /* entries to keep at least; 0: all */
    size_t max_bytes;       /* bytes of chunks to keep at most beside the newest; 0: no bound */
    size_t bytes;           /* bytes of the chunks in memory: entries and strings */
    uint64_t first;         /* lowest seq in memory */
    uint64_t last;          /* highest seq recorded */
    zhashx_t *shared;       /* s_shared_t by bytes: worker names, content types */
    s_shared_t *found[2];   /* per use (S_SHARE_*), the shared string found last */
};

/* The uses of shared strings, each with the last one found: the results
 * of a batch come from one worker, mostly with one content type. */
#define S_SHARE_WORKER 0
#define S_SHARE_TYPE   1

static void s_shared_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

dt_results_t *dt_results_new (uint64_t window)
{
    dt_results_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->window = window;
    self->first = 1;
    self->shared = dt_bkey_table_new (s_shared_free);
    if (!self->shared) {
        dt_results_destroy (&self);
        return NULL;
    }
    return self;
}

static void s_chunk_free (s_chunk_t **chunk_p)
{
    if (!*chunk_p)
        return;
    dt_arena_destroy (&(*chunk_p)->strings);
    dt_bigmem_free ((*chunk_p)->entries, (*chunk_p)->mapped);
    free (*chunk_p);
    *chunk_p = NULL;
}

void dt_results_destroy (dt_results_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_results_t *self = *self_p;
    for (size_t i = 0; i < self->nchunks; i++)
        s_chunk_free (&self->chunks[i]);
    free (self->chunks);
    zhashx_destroy (&self->shared);
    free (self);
    *self_p = NULL;
}

/* Bytes a chunk holds: its entries and its strings. */
static size_t s_chunk_bytes (const s_chunk_t *chunk)
{
    return chunk->mapped + dt_arena_allocated (chunk->strings);
}

/* The chunk in memory holding `seq` (first <= seq <= last): a binary
 * search, since chunks closed early hold fewer seqs. */
static s_chunk_t *s_chunk_of (dt_results_t *self, uint64_t seq)
{
    size_t lo = self->head, hi = self->nchunks - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (self->chunks[mid]->start <= seq)
            lo = mid;
        else
            hi = mid - 1;
    }
    return self->chunks[lo];
}

static dt_result_t *s_slot (dt_results_t *self, uint64_t seq)
{
    s_chunk_t *chunk = s_chunk_of (self, seq);
    return &chunk->entries[seq - chunk->start];
}

static int s_cover (dt_results_t *self, uint64_t seq)
{
    while (self->nchunks == 0 || self->chunks[self->nchunks - 1]->end <= seq) {
        uint64_t start = self->nchunks ? self->chunks[self->nchunks - 1]->end : 1;
        if (self->nchunks == self->chunks_capacity) {
            size_t capacity = self->chunks_capacity ? self->chunks_capacity * 2 : 16;
            if (capacity > SIZE_MAX / sizeof (s_chunk_t *))
                return -1;
            s_chunk_t **chunks = realloc (self->chunks, capacity * sizeof *chunks);
            if (!chunks)
                return -1;
            self->chunks = chunks;
            self->chunks_capacity = capacity;
        }
        /* Zeroed: a position never filled reads as removed. */
        s_chunk_t *chunk = calloc (1, sizeof *chunk);
        if (chunk) {
            chunk->entries =
                dt_bigmem_alloc (DT_RESULTS_CHUNK * sizeof (dt_result_t), &chunk->mapped);
            chunk->strings = dt_arena_new (DT_RESULTS_STRING_BLOCK);
        }
        if (!chunk || !chunk->entries || !chunk->strings) {
            s_chunk_free (&chunk);
            return -1;
        }
        chunk->start = start;
        chunk->end = start + DT_RESULTS_CHUNK;
        self->chunks[self->nchunks++] = chunk;
        self->bytes += s_chunk_bytes (chunk);
    }
    return 0;
}

/* Drops the oldest chunks while more than `window` entries stay after it,
 * or while the chunks hold more than max_bytes; the newest always stays
 * (results are appended to it). */
static void s_trim (dt_results_t *self)
{
    while (self->head + 1 < self->nchunks) {
        int by_count =
            self->window && self->last - self->first + 1 > self->window + DT_RESULTS_CHUNK;
        int by_bytes = self->max_bytes && self->bytes > self->max_bytes;
        if (!by_count && !by_bytes)
            break;
        self->bytes -= s_chunk_bytes (self->chunks[self->head]);
        s_chunk_free (&self->chunks[self->head]);
        self->head++;
        self->first = self->chunks[self->head]->start;
    }
}

/* A copy of `s` in `arena`, or NULL when empty. Sets *failed on ENOMEM. */
static const char *s_copy (dt_arena_t *arena, dt_str_t s, int *failed)
{
    if (s.len == 0)
        return NULL;
    const char *copy = dt_arena_strdup (arena, s.ptr, s.len);
    if (!copy)
        *failed = 1;
    return copy;
}

/* One copy of `a`, a NUL, `b`, a NUL; NULL when both are empty. */
static const char *s_copy_two (dt_arena_t *arena, dt_str_t a, dt_str_t b, int *failed)
{
    if (b.len == 0)
        return s_copy (arena, a, failed);
    /* The arena copies one run of bytes: join them first (outputs only). */
    size_t len = (size_t) a.len + 1 + b.len;
    char *join = malloc (len);
    const char *copy = NULL;
    if (join) {
        if (a.len)
            memcpy (join, a.ptr, a.len);
        join[a.len] = '\0';
        memcpy (join + a.len + 1, b.ptr, b.len);
        copy = dt_arena_strdup (arena, join, len);
        free (join);
    }
    if (!copy)
        *failed = 1;
    return copy;
}

/* A stored capture's place, after the error and output in their copy:
 * offset and length (8 bytes each, host order), the file name's and the
 * digest's lengths (1 byte each), then both. Few results have one. */
#define S_WARC_FIXED 18

static size_t s_warc_pack (const dt_warc_loc_t *w, char *out)
{
    uint8_t flen = (uint8_t) (w->file.len > 255 ? 255 : w->file.len);
    uint8_t dlen = (uint8_t) (w->digest.len > 255 ? 255 : w->digest.len);
    memcpy (out, &w->offset, 8);
    memcpy (out + 8, &w->length, 8);
    out[16] = (char) flen;
    out[17] = (char) dlen;
    if (flen)
        memcpy (out + S_WARC_FIXED, w->file.ptr, flen);
    if (dlen)
        memcpy (out + S_WARC_FIXED + flen, w->digest.ptr, dlen);
    return S_WARC_FIXED + flen + dlen;
}

static void s_warc_unpack (const char *in, dt_warc_loc_t *w)
{
    memcpy (&w->offset, in, 8);
    memcpy (&w->length, in + 8, 8);
    uint8_t flen = (uint8_t) in[16], dlen = (uint8_t) in[17];
    w->file = dt_str_n (in + S_WARC_FIXED, flen);
    w->digest = dt_str_n (in + S_WARC_FIXED + flen, dlen);
}

/* One copy of the error, a NUL, the output, then the capture's place when
 * it has one; NULL when all are empty. */
static const char *s_copy_tail (dt_arena_t *arena, const dt_record_t *r, int *failed)
{
    if (r->warc.length == 0)
        return s_copy_two (arena, r->error, r->output, failed);
    char *join = malloc ((size_t) r->error.len + 1 + r->output.len + S_WARC_FIXED + 512);
    const char *copy = NULL;
    if (join) {
        size_t len = 0;
        if (r->error.len)
            memcpy (join, r->error.ptr, r->error.len);
        len += r->error.len;
        join[len++] = '\0';
        if (r->output.len)
            memcpy (join + len, r->output.ptr, r->output.len);
        len += r->output.len;
        len += s_warc_pack (&r->warc, join + len);
        copy = dt_arena_strdup (arena, join, len);
        free (join);
    }
    if (!copy)
        *failed = 1;
    return copy;
}

/* True when `r` carries an exit code and no HTTP status: http_status holds
 * it (a task has one or the other). */
static int s_is_exit (const dt_record_t *r)
{
    return r->exit_code != DT_EXIT_NONE && r->http_status == 0;
}

/* The shared copy of `s` (made on first use), or NULL when empty. `use`
 * (S_SHARE_*) keeps the last one found for the next call. */
static const char *s_share (dt_results_t *self, dt_arena_t *arena, dt_str_t s, int use, int *failed)
{
    if (s.len == 0)
        return NULL;
    s_shared_t *last = self->found[use];
    if (last && last->key.len == s.len && memcmp (last->data, s.ptr, s.len) == 0)
        return last->data;
    dt_bkey_t key = dt_bkey (s.ptr, s.len);
    s_shared_t *shared = zhashx_lookup (self->shared, &key);
    if (shared) {
        self->found[use] = shared;
        return shared->data;
    }
    if (zhashx_size (self->shared) >= DT_RESULTS_SHARED_MAX)
        return s_copy (arena, s, failed);
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
    s_trim (self);
    return 0;
}

int dt_results_append (dt_results_t *self, uint64_t seq, uint64_t task, uint32_t job,
                       const dt_record_t *r)
{
    assert (seq > self->last && task > 0);
    if (s_cover (self, seq) != 0)
        return -1;
    s_chunk_t *chunk = self->chunks[self->nchunks - 1];
    dt_arena_t *arena = chunk->strings;
    size_t allocated = dt_arena_allocated (arena);
    int failed = 0;
    dt_result_t entry = {
        .task = task,
        .bytes = r->bytes,
        .url = s_copy (arena, r->url, &failed),
        .final_url = s_copy (arena, r->final_url, &failed),
        .content_type = s_share (self, arena, r->content_type, S_SHARE_TYPE, &failed),
        .worker = s_share (self, arena, r->worker, S_SHARE_WORKER, &failed),
        .error = s_copy_tail (arena, r, &failed),
        .output_len = r->output.len | (s_is_exit (r) ? DT_RESULT_EXIT : 0),
        .url_len = r->url.len,
        .final_url_len = r->final_url.len,
        .content_type_len = r->content_type.len,
        .worker_len = r->worker.len,
        .error_len = r->error.len,
        .elapsed_ms = r->elapsed_ms,
        .attempts = r->attempt,
        .job = job,
        .http_status = s_is_exit (r) ? r->exit_code : r->http_status,
        .state = r->state,
        .warc = r->warc.length > 0,
    };
    /* Strings copied before a failure stay in the arena unused: harmless,
     * and only when memory has run out. */
    self->bytes += dt_arena_allocated (arena) - allocated;
    if (failed)
        return -1;
    chunk->entries[seq - chunk->start] = entry;
    self->last = seq;
    /* Its strings had their share: the next result opens a new chunk. */
    if (self->max_bytes && dt_arena_allocated (arena) > self->max_bytes / DT_RESULTS_BYTES_SHARES)
        chunk->end = seq + 1;
    s_trim (self);
    return 0;
}

dt_result_t *dt_results_get (dt_results_t *self, uint64_t seq)
{
    if (seq < self->first || seq > self->last)
        return NULL;
    return s_slot (self, seq);
}

void dt_results_set_max_bytes (dt_results_t *self, size_t max_bytes)
{
    self->max_bytes = max_bytes;
    s_trim (self);
}

uint64_t dt_results_first (const dt_results_t *self)
{
    return self->first;
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

void dt_results_to_record (const dt_result_t *entry, dt_record_t *out)
{
    memset (out, 0, sizeof *out);
    out->id = entry->task;
    out->url = s_str (entry->url, entry->url_len);
    out->attempt = entry->attempts;
    out->state = entry->state;
    out->bytes = entry->bytes;
    out->elapsed_ms = entry->elapsed_ms;
    out->final_url = s_str (entry->final_url, entry->final_url_len);
    out->content_type = s_str (entry->content_type, entry->content_type_len);
    out->worker = s_str (entry->worker, entry->worker_len);
    out->error = s_str (entry->error, entry->error_len);
    uint32_t output_len = entry->output_len & ~DT_RESULT_EXIT;
    out->output = entry->error && output_len
                      ? dt_str_n (entry->error + entry->error_len + 1, output_len)
                      : dt_str_n ("", 0);
    int is_exit = (entry->output_len & DT_RESULT_EXIT) != 0;
    out->http_status = is_exit ? 0 : entry->http_status;
    out->exit_code = is_exit ? entry->http_status : DT_EXIT_NONE;
    if (entry->warc)
        s_warc_unpack (entry->error + entry->error_len + 1 + output_len, &out->warc);
}

size_t dt_results_memory (const dt_results_t *self)
{
    size_t bytes = self->chunks_capacity * sizeof (s_chunk_t *);
    return bytes + (self->nchunks - self->head) * sizeof (s_chunk_t) + self->bytes;
}
