/* dt_results.h - the results log: every final result in the order it was recorded. */
#ifndef DT_RESULTS_H
#define DT_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_msg.h"

/* One recorded result, at position `seq` of the log (1, 2, ...). Strings are
 * NUL-terminated copies owned by the log, NULL when empty. Worker names and
 * content types repeat a lot, so they are stored once and shared. */
typedef struct {
    uint64_t task;         /* task id; 0: removed (REQUEUE) or a gap left by recovery */
    uint64_t bytes;        /* body bytes received */
    const char *final_url; /* after redirects */
    const char *content_type;
    const char *worker; /* name of the worker whose result this is */
    const char *error;
    uint32_t final_url_len;
    uint32_t content_type_len;
    uint32_t worker_len;
    uint32_t error_len;
    uint32_t elapsed_ms;
    uint32_t attempts;    /* dispatches made */
    uint16_t http_status; /* 0: no HTTP response */
    uint8_t state;        /* DT_STATE_DONE or DT_STATE_FAILED */
} dt_result_t;

typedef struct dt_results_t dt_results_t;

/* Creates an empty log. Returns NULL on failure. */
dt_results_t *dt_results_new (void);

/* NULL-safe; nulls the pointer. */
void dt_results_destroy (dt_results_t **self_p);

/* Records `r` (PAGE form: state, attempt, http_status, bytes, elapsed_ms,
 * final_url, content_type, worker, error; id and url are ignored) for task
 * `task` at position `seq`, which must be above dt_results_last(); skipped
 * positions become removed entries. Copies the strings. Returns 0, or -1
 * when memory runs out (log unchanged). */
int dt_results_append (dt_results_t *self, uint64_t seq, uint64_t task, const dt_msg_result_t *r);

/* The entry at `seq`, or NULL when seq is 0 or past the end. Owned by the
 * log; the address is stable. */
dt_result_t *dt_results_get (dt_results_t *self, uint64_t seq);

/* Highest position recorded, 0 when empty. */
uint64_t dt_results_last (const dt_results_t *self);

/* Makes `seq` (above the last) the last position, leaving it and any gap
 * before it as tombstones (task 0): a retired result's place, kept so that
 * it is never given to another result. Returns 0 or -1 (no memory). */
int dt_results_skip_to (dt_results_t *self, uint64_t seq);

/* Fills `out` (PAGE form) from `entry`, borrowing its strings; `out->url`
 * is left for the caller (the URL belongs to the task). */
void dt_results_to_msg (const dt_result_t *entry, dt_msg_result_t *out);

/* Bytes held by the log, for memory accounting. */
size_t dt_results_memory (const dt_results_t *self);

#endif
