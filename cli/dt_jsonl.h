/* dt_jsonl.h - results as JSON lines: one compact object per result, written a page at a time.
 *
 * Fields, in this order: id, url, final_url, state ("done"/"failed"),
 * http_status (null when 0), bytes, content_type (null when empty),
 * elapsed_ms, attempts, worker (null when empty), error (null when empty).
 * Strings from the master are bytes, not necessarily UTF-8: invalid
 * sequences become U+FFFD so every line is valid JSON.
 */
#ifndef DT_JSONL_H
#define DT_JSONL_H

#include "dt_msg.h"

#include <jansson.h>
#include <stdio.h>

typedef struct dt_jsonl_t dt_jsonl_t;

/* Creates a writer to `out` (borrowed). Returns NULL when out of memory. */
dt_jsonl_t *dt_jsonl_new (FILE *out);
void dt_jsonl_destroy (dt_jsonl_t **self_p);

/* Appends one result line to the writer's buffer. Returns 0, or -1 when out
 * of memory. */
int dt_jsonl_add (dt_jsonl_t *self, const dt_msg_result_t *result);

/* Writes what is buffered with one fwrite and flushes `out`. Returns 0, or
 * -1 on a write error (errno set). */
int dt_jsonl_flush (dt_jsonl_t *self);

/* The JSON object for one result (a new reference: json_decref it), or NULL
 * when out of memory. */
json_t *dt_jsonl_result (const dt_msg_result_t *result);

/* A JSON string from peer bytes (invalid UTF-8 repaired as above), a new
 * reference, or NULL when out of memory. */
json_t *dt_jsonl_string (dt_str_t s);

#endif
