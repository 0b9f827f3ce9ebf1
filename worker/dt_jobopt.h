/* dt_jobopt.h - the HTTP options a job's tasks run with on this worker: the worker's own, with the
 * job's (from TASKS) applied through the dt_httpopt setters.
 *
 * One value per job per TASKS, shared by that job's tasks in the message
 * (reference counted): a TASKS of 4,096 tasks of one job builds it once.
 * Options the setters refuse (a header or User-Agent against the rule,
 * more headers than fit with the worker's own) are never handed to
 * libcurl: the value is marked bad with the reason, and each task of the
 * job fails with it (FAIL: trying again cannot help).
 */
#ifndef DT_JOBOPT_H
#define DT_JOBOPT_H

#include "dt_httpopt.h"
#include "dt_msg.h"

typedef struct dt_jobopt_t dt_jobopt_t;

/* `defaults` (the worker's options) with `h` (a job's) applied: a method,
 * User-Agent or limit set replaces the worker's; the job's headers come
 * after the worker's; compressed adds Accept-Encoding. Limits stay bounded
 * by the worker's own (dt_fetch.h): a job may ask for less time or fewer
 * bytes, not more. One reference; NULL when memory runs out. */
dt_jobopt_t *dt_jobopt_new (const dt_httpopt_t *defaults, const dt_msg_httpopt_t *h);

/* Another reference to `self`. Returns `self`. */
dt_jobopt_t *dt_jobopt_ref (dt_jobopt_t *self);

/* Drops a reference; the last frees it. NULL-safe; nulls the pointer. */
void dt_jobopt_unref (dt_jobopt_t **self_p);

/* The options to fetch with, borrowed; meaningful only when
 * dt_jobopt_error is NULL. */
const dt_httpopt_t *dt_jobopt_http (const dt_jobopt_t *self);

/* Why the job's options were refused ("job HTTP options: ..."), or NULL
 * when they are usable. Borrowed. */
const char *dt_jobopt_error (const dt_jobopt_t *self);

#endif
