/* dt_polite_fetch.h - robots.txt fetches as internal tasks: those waiting for a worker (FIFO)
 * and those out (leased), with their ids and the HTTP options they go with.
 *
 * A fetch is a dt_task_t the state leases like any other (its id from
 * DT_POLITE_ID_BASE up, its job UINT32_MAX), plus the origin it is for
 * (opaque here) and a copy of the HTTP options of the job whose page asked
 * for it: robots.txt is requested with that job's User-Agent (and extra
 * headers and timeouts), as its pages are, so a server sees one crawler;
 * always with GET, the whole file (up to DT_LIMIT_ROBOTS_MAX, flag BODY)
 * and no Accept-Encoding, whatever the job's pages ask.
 */
#ifndef DT_POLITE_FETCH_H
#define DT_POLITE_FETCH_H

#include <stdint.h>

#include "dt_msg.h"
#include "dt_tasks.h"

typedef struct dt_polite_fetchq_t dt_polite_fetchq_t;

/* An empty queue. NULL when out of memory. */
dt_polite_fetchq_t *dt_polite_fetchq_new (void);

/* Frees every fetch, queued or out. NULL-safe; nulls the pointer. */
void dt_polite_fetchq_destroy (dt_polite_fetchq_t **self_p);

/* Queues, at the back, a fetch of `origin`/robots.txt for `host` (the
 * caller's, borrowed) with `http` (copied; NULL: the worker's own
 * options). Returns its task, or NULL when out of memory. */
dt_task_t *dt_polite_fetchq_add (dt_polite_fetchq_t *self, const char *origin, void *host,
                                 const dt_msg_httpopt_t *http);

/* Fetches that may be handed out now: those waiting, as long as fewer
 * than DT_POLITE_FETCHES_MAX are out. */
uint32_t dt_polite_fetchq_ready (const dt_polite_fetchq_t *self);

/* Takes the next fetch to send (NULL when none may go) and fills its
 * TASKS item (*item, borrowing its URL; item->opts is left 0: see
 * dt_polite_fetchq_http). */
dt_task_t *dt_polite_fetchq_take (dt_polite_fetchq_t *self, dt_msg_task_t *item);

/* A taken fetch was not sent: back to the front of those waiting. */
void dt_polite_fetchq_untake (dt_polite_fetchq_t *self, dt_task_t *task);

/* A taken fetch went out: one more attempt, INFLIGHT, among those out. */
void dt_polite_fetchq_lease (dt_polite_fetchq_t *self, dt_task_t *task);

/* The fetch out with id `id`, or NULL. */
dt_task_t *dt_polite_fetchq_find (const dt_polite_fetchq_t *self, uint64_t id);

/* The fetch's host (as given to add), and its HTTP options (borrowed;
 * NULL: none of the job's own). */
void *dt_polite_fetchq_host (const dt_task_t *task);
const dt_msg_httpopt_t *dt_polite_fetchq_http (const dt_task_t *task);

/* The fetch's lease ended without a result. Returns 1 when it is queued
 * again (at the front); 0 when it has now been lost
 * DT_POLITE_FETCH_LOST_MAX times: it is freed and *task_p nulled (read its
 * host first). */
int dt_polite_fetchq_lost (dt_polite_fetchq_t *self, dt_task_t **task_p);

/* Frees a fetch that is out (answered); nulls the pointer. */
void dt_polite_fetchq_remove (dt_polite_fetchq_t *self, dt_task_t **task_p);

#endif
