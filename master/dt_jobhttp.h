/* dt_jobhttp.h - a job's HTTP options as the master keeps them: checked once, owned by the job,
 * sent to workers with its tasks.
 *
 * The options belong to the job, not to a chunk: the first chunk sets them
 * (none at all is a setting too), and every later chunk, a resend or an
 * append, must carry the same ones, or it is refused (CONFLICT): two
 * submissions sharing a job id by mistake would otherwise fetch half the
 * job one way and half another. A job without options keeps no record.
 */
#ifndef DT_JOBHTTP_H
#define DT_JOBHTTP_H

#include <stddef.h>

#include "dt_msg.h"

typedef struct dt_jobhttp_t dt_jobhttp_t;

/* A copy of `h` (its strings included), or NULL when memory runs out. */
dt_jobhttp_t *dt_jobhttp_new (const dt_msg_httpopt_t *h);

/* NULL-safe; nulls the pointer. */
void dt_jobhttp_destroy (dt_jobhttp_t **self_p);

/* The options, borrowed from `self` (strings too). */
const dt_msg_httpopt_t *dt_jobhttp_msg (const dt_jobhttp_t *self);

/* True when a job holding `self` (NULL: a job without options) was
 * submitted with `h`. */
int dt_jobhttp_same (const dt_jobhttp_t *self, const dt_msg_httpopt_t *h);

/* Checks options received in a SUBMIT of tasks of `kind` beyond what the
 * codec checks (caps and ranges): the header and User-Agent rule
 * (dt_httpcheck.h), and that only http tasks have any. Returns 0, or -1
 * with the reason in `err`. */
int dt_jobhttp_check (const dt_msg_httpopt_t *h, dt_str_t kind, char *err, size_t err_size);

/* Bytes held by `self` (0 for NULL), for memory accounting. */
size_t dt_jobhttp_memory (const dt_jobhttp_t *self);

#endif
