/* dt_master_priv.h - the master's insides, shared by dt_master.c (the loop, setup, sending,
 * dispatch, tick) and dt_master_serve.c (handlers, replies after commit, long polls). */
#ifndef DT_MASTER_PRIV_H
#define DT_MASTER_PRIV_H

#include "dt_auth.h"
#include "dt_conns.h"
#include "dt_intents.h"
#include "dt_limits.h"
#include "dt_master.h"
#include "dt_msg.h"
#include "dt_archive.h"
#include "dt_state.h"
#include "dt_store.h"
#include "dt_waiters.h"

#include <czmq.h>

/* The loop's side of a registered worker's connection (the model's side
 * is its dt_worker_t), by the worker's registry slot. */
typedef struct {
    int64_t last_seen;     /* monotonic ms of its last valid message */
    int64_t last_sent;     /* monotonic ms of our last message to it */
    uint64_t blocked_turn; /* loop turn in which a send to it would block */
} dt_master_link_t;

/* Peers remembered as not reading (a reply to them was dropped): a peer
 * that does not read is named once in REPLY-DROPPED, not once per reply it
 * loses, and for DT_MASTER_STALL_MS its parked FETCHes are dropped without
 * building the page (up to DT_LIMIT_REPLY_BYTES each) that would be
 * dropped anyway: a 60-byte FETCH must not buy a megabyte of work. */
#define DT_MASTER_DROPPED_PEERS 64
#define DT_MASTER_STALL_MS      1000

/* A peer whose replies were dropped. */
typedef struct {
    uint64_t hash; /* of its routing id */
    int64_t at;    /* monotonic ms of the last drop; 0: free slot */
} dt_master_stalled_t;

struct dt_master_t {
    dt_master_opts_t opts;           /* as given (strings borrowed) */
    dt_store_t *store;               /* NULL with --memory */
    dt_archive_t *archive;           /* DATA/warc: saved captures; NULL with --memory */
    uint64_t committed_seq;          /* results log position of the last commit: GET and
                                        EXPORT see no result that is not durable */
    uint8_t *get_buf;                /* a GET_OK's bytes (DT_LIMIT_GET_BYTES); made on first GET */
    dt_msg_capture_t *export_items;  /* an EXPORT_OK's entries; made on first EXPORT */
    dt_auth_t *auth;                 /* CURVE keys and ZAP handler; NULL: plaintext */
    dt_conns_t *conns;               /* connection budget, fed by the ROUTER's monitor */
    uint32_t max_conns;              /* its cap on connections, after the descriptor limit */
    uint32_t max_conns_per_addr;     /* its budget per address */
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
    dt_intents_t *intents;           /* replies waiting for the commit */
    dt_waiters_t *waiters;           /* FETCHes not answered yet */
    dt_task_t **take_tasks;          /* dispatch scratch: DT_LIMIT_BATCH_MAX */
    dt_msg_task_t *take_items;       /* dispatch scratch: DT_LIMIT_BATCH_MAX */
    dt_record_t *page_records;       /* PAGE scratch, the model's: DT_LIMIT_BATCH_MAX */
    dt_msg_result_t *page_items;     /* PAGE scratch, the wire's: DT_LIMIT_BATCH_MAX */
    dt_msg_worker_t *status_workers; /* STATUS_OK scratch: DT_LIMIT_WORKERS_MAX */
    dt_msg_job_t *jobs_items;        /* JOBS_OK scratch: DT_LIMIT_JOBS_MAX */
    char *jobs_names;                /* their names: DT_LIMIT_JOBS_MAX * DT_LIMIT_JOB_MAX */
    dt_master_link_t *links;         /* DT_LIMIT_WORKERS_MAX, by worker slot */
    uint64_t replies_dropped;        /* replies to peers whose pipe was full */
    dt_master_stalled_t stalled[DT_MASTER_DROPPED_PEERS]; /* peers whose replies were dropped */
    uint32_t stalled_next;                                /* next slot of stalled to reuse */
};

/* A worker's name (chosen by the peer) escaped for logs. */
typedef struct {
    char text[DT_LIMIT_NAME_MAX * 4 + 8];
} dt_master_name_t;

/* The loop's side of `worker`'s connection. */
static inline dt_master_link_t *dt_master_link (dt_master_t *self, const dt_worker_t *worker)
{
    return &self->links[worker->slot];
}

/* ---- dt_master.c: sending ---- */

/* Escaped routing id for logs. Returns `out`. */
char *dt_master_peer_name (char *out, size_t out_size, const dt_peer_t *peer);

/* Sends `msg` to a client; a failure is only logged (the client resends). */
void dt_master_reply (dt_master_t *self, const dt_msg_t *msg, const dt_peer_t *peer);

/* Sends an ERROR with `code` and `text` to a client. */
void dt_master_reply_error (dt_master_t *self, const dt_peer_t *peer, uint64_t req, uint32_t code,
                            const char *text);

/* True when a reply to `peer` was dropped in the last DT_MASTER_STALL_MS. */
int dt_master_peer_stalled (dt_master_t *self, const dt_peer_t *peer);

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

/* Answers the parked FETCHes whose wait is over. Returns when the next one
 * is due (monotonic ms). */
int64_t dt_master_expire_waiters (dt_master_t *self);

/* Tells every parked FETCH that the master is stopping. */
void dt_master_stop_waiters (dt_master_t *self);

#endif
