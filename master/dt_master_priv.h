/* dt_master_priv.h - the master's insides, shared by dt_master.c (the loop, setup, sending,
 * dispatch, tick) and dt_master_serve.c (handlers, replies after commit, long polls). */
#ifndef DT_MASTER_PRIV_H
#define DT_MASTER_PRIV_H

#include "dt_auth.h"
#include "dt_limits.h"
#include "dt_master.h"
#include "dt_msg.h"
#include "dt_state.h"
#include "dt_store.h"

#include <czmq.h>

/* A reply that may only be sent after the group commit. */
typedef struct {
    dt_peer_t peer;             /* client routing id */
    uint64_t req;               /* echoed */
    dt_msg_type_t type;         /* DT_MSG_SUBMIT_OK, _REQUEUE_OK, _CANCEL_OK or _PURGE_OK */
    char job[DT_LIMIT_JOB_MAX]; /* SUBMIT_OK: job id bytes, NOT NUL-terminated */
    uint32_t job_len;           /* bytes in job */
    uint32_t chunk;             /* SUBMIT_OK */
    uint64_t first_id;          /* SUBMIT_OK */
    uint64_t count;             /* SUBMIT_OK: tasks; REQUEUE_OK, CANCEL_OK: tasks affected */
} dt_master_intent_t;

/* A FETCH not answered yet (long poll, or just arrived this turn). */
typedef struct {
    dt_peer_t peer;             /* client routing id */
    uint64_t req;               /* echoed */
    char job[DT_LIMIT_JOB_MAX]; /* job id bytes, NOT NUL-terminated; empty: all jobs */
    uint32_t job_len;           /* bytes in job */
    uint32_t max;               /* results wanted */
    uint32_t flags;             /* DT_FETCH_* */
    uint64_t cursor;            /* advanced past results skipped by the filter so far */
    int64_t deadline;           /* monotonic ms: answer (maybe empty) by then */
    int64_t ready_at;           /* DT_FETCH_FILL: when new results were first seen; 0: not yet */
    uint64_t checked;           /* results log position at the last look; UINT64_MAX: never */
} dt_master_waiter_t;

struct dt_master_t {
    dt_master_opts_t opts;           /* as given (strings borrowed) */
    dt_store_t *store;               /* NULL with --memory */
    dt_auth_t *auth;                 /* CURVE keys and ZAP handler; NULL: plaintext */
    dt_state_t *state;               /* the model */
    zsock_t *router;                 /* the one socket */
    void *socket;                    /* its libzmq handle */
    char *endpoint;                  /* bound endpoint, resolved */
    int64_t now;                     /* monotonic ms at the start of the turn's work */
    uint64_t turn;                   /* loop turns so far; marks blocked workers */
    uint64_t turn_tasks;             /* tasks accepted in this turn */
    int backlog;                     /* the last drain left messages waiting */
    uint32_t rr;                     /* slot the next dispatch round starts after */
    int blocked;                     /* a send to a worker would block while tasks wait */
    int64_t next_deadline;           /* from the last tick */
    dt_master_intent_t *intents;     /* replies waiting for the commit */
    size_t nintents;                 /* entries used */
    size_t intents_capacity;         /* entries allocated */
    dt_master_waiter_t *waiters;     /* FETCHes not answered yet */
    size_t nwaiters;                 /* entries used */
    size_t waiters_capacity;         /* entries allocated */
    dt_task_t **take_tasks;          /* dispatch scratch: DT_LIMIT_BATCH_MAX */
    dt_msg_task_t *take_items;       /* dispatch scratch: DT_LIMIT_BATCH_MAX */
    dt_msg_result_t *page_items;     /* PAGE scratch: DT_LIMIT_BATCH_MAX */
    dt_msg_worker_t *status_workers; /* STATUS_OK scratch: DT_LIMIT_WORKERS_MAX */
    int64_t invalid_second;          /* second of the PROTO-INVALID rate window */
    uint32_t invalid_logged;         /* lines logged in that second */
    uint64_t invalid_suppressed;     /* lines not logged since the last summary */
};

/* A worker's name (chosen by the peer) escaped for logs. */
typedef struct {
    char text[DT_LIMIT_NAME_MAX * 4 + 8];
} dt_master_name_t;

/* ---- dt_master.c: sending ---- */

/* Escaped routing id for logs. Returns `out`. */
char *dt_master_peer_name (char *out, size_t out_size, const dt_peer_t *peer);

/* Sends `msg` to a client; a failure is only logged (the client resends). */
void dt_master_reply (dt_master_t *self, const dt_msg_t *msg, const dt_peer_t *peer);

/* Sends an ERROR with `code` and `text` to a client. */
void dt_master_reply_error (dt_master_t *self, const dt_peer_t *peer, uint64_t req, uint32_t code,
                            const char *text);

/* A worker's name escaped for logs. */
dt_master_name_t dt_master_worker_name (const dt_worker_t *worker);

/* Forgets a worker that is gone and requeues what it held; nulls the pointer. */
void dt_master_drop_worker (dt_master_t *self, dt_worker_t **worker_p, const char *why);

/* Sends `msg` to a worker. Returns 0, or -1 when the worker was dropped
 * (the pointer is nulled). */
int dt_master_send_worker (dt_master_t *self, const dt_msg_t *msg, dt_worker_t **worker_p);

/* ---- dt_master_serve.c ---- */

/* Applies one decoded message from `peer`. */
void dt_master_handle (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg);

/* Counts, logs (rate-limited) and answers an invalid message. */
void dt_master_on_invalid (dt_master_t *self, const dt_peer_t *peer, uint64_t req, int rc,
                           const char *why);

/* Sends the replies queued for after the commit. */
void dt_master_send_intents (dt_master_t *self);

/* Answers the parked FETCHes that have something new (right after a commit). */
void dt_master_serve_waiters (dt_master_t *self);

/* How long a FETCH with DT_FETCH_FILL may wait for a full page once
 * results are ready: a twentieth of a progress line's redraw, and at a crawl's
 * pace hundreds of results. */
#define DT_MASTER_FILL_MS 10

/* When a FETCH with DT_FETCH_FILL must be answered if results are ready
 * (INT64_MAX: none seen yet). */
int64_t dt_master_fill_due (const dt_master_waiter_t *waiter);

/* Sends a PAGE for `waiter` (empty when `empty`). Returns the results sent. */
uint32_t dt_master_page (dt_master_t *self, dt_master_waiter_t *waiter, int empty);

/* Forgets parked FETCH `i`. */
void dt_master_waiter_remove (dt_master_t *self, size_t i);

#endif
