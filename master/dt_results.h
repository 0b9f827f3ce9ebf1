/* dt_results.h - the results log: final results in the order they were recorded. */
#ifndef DT_RESULTS_H
#define DT_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_msg.h"
#include "dt_record.h"

/* One recorded result, at position `seq` of the log (1, 2, ...). Strings are
 * NUL-terminated copies owned by the log, NULL when empty. Worker names and
 * content types repeat a lot, so they are stored once and shared. An entry
 * holds all a PAGE shows (its task's URL and job too), so the task itself
 * may leave memory once it is final. */
typedef struct {
    uint64_t task;         /* task id; 0: removed (REQUEUE) or a gap left by recovery */
    uint64_t bytes;        /* body bytes received */
    const char *url;       /* the task's URL */
    const char *final_url; /* after redirects */
    const char *content_type;
    const char *worker;  /* name of the worker whose result this is */
    const char *error;   /* then, in the same copy, after its NUL: the output */
    uint32_t output_len; /* bytes of output; DT_RESULT_EXIT: http_status is an exit code */
    uint32_t url_len;
    uint32_t final_url_len;
    uint32_t content_type_len;
    uint32_t worker_len;
    uint32_t error_len;
    uint32_t elapsed_ms;
    uint32_t attempts;    /* dispatches made */
    uint32_t job;         /* index of the task's job in dt_jobs */
    uint16_t http_status; /* 0: no HTTP response; with DT_RESULT_EXIT, the exit code */
    uint8_t state;        /* DT_STATE_DONE or DT_STATE_FAILED */
    uint8_t warc;         /* 1: where its capture is stored follows the output (dt_results.c) */
} dt_result_t;

/* An entry is 96 bytes, as it was before outputs and captures (`warc` takes
 * what was padding): the log's window is
 * counted in 2 MiB blocks of entries. So the output follows the error in one
 * copy (no pointer of its own), and a result's HTTP status or exit code
 * (a task has one or the other) shares a field, told apart by this bit of
 * output_len (outputs are far below 2^31 bytes). */
#define DT_RESULT_EXIT 0x80000000u

typedef struct dt_results_t dt_results_t;

/* Creates an empty log that keeps at least the last `window` entries in
 * memory (0: every entry). Older ones are dropped a chunk at a time: a
 * durable master reads them back from the store. Returns NULL on failure. */
dt_results_t *dt_results_new (uint64_t window);

/* NULL-safe; nulls the pointer. */
void dt_results_destroy (dt_results_t **self_p);

/* Also drops the oldest entries, a chunk at a time, while the log's entries
 * and strings take more than `max_bytes` (0: no bound), whatever its
 * window: it then holds at most max_bytes and one chunk (the newest: 2 MiB
 * of entries, strings up to an eighth of max_bytes and the block its last
 * result opened). Only for a durable master, which reads dropped entries
 * back from the store. */
void dt_results_set_max_bytes (dt_results_t *self, size_t max_bytes);

/* Records `r` (url, state, attempt, http_status, bytes,
 * elapsed_ms, final_url, content_type, worker, error; id is ignored) for
 * task `task` of job `job` at position `seq`, which must be above
 * dt_results_last(); skipped positions become removed entries. Copies the
 * strings. Returns 0, or -1 when memory runs out (log unchanged). */
int dt_results_append (dt_results_t *self, uint64_t seq, uint64_t task, uint32_t job,
                       const dt_record_t *r);

/* The entry at `seq`, or NULL when seq is 0, past the end or no longer in
 * memory (below dt_results_first()). Owned by the log; the address is
 * stable until the entry leaves memory. */
dt_result_t *dt_results_get (dt_results_t *self, uint64_t seq);

/* Lowest position still in memory (1 until the first entries leave). */
uint64_t dt_results_first (const dt_results_t *self);

/* Highest position recorded, 0 when empty. */
uint64_t dt_results_last (const dt_results_t *self);

/* Makes `seq` (above the last) the last position, leaving it and any gap
 * before it as tombstones (task 0): a retired result's place, kept so that
 * it is never given to another result. Returns 0 or -1 (no memory). */
int dt_results_skip_to (dt_results_t *self, uint64_t seq);

/* Fills `out` from `entry`, borrowing its strings. */
void dt_results_to_record (const dt_result_t *entry, dt_record_t *out);

/* Bytes held by the log, for memory accounting. */
size_t dt_results_memory (const dt_results_t *self);

#endif
