/* dt_master.h - the master's event loop: one ROUTER socket in front of the model and the store. */
#ifndef DT_MASTER_H
#define DT_MASTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_master_t dt_master_t;
typedef struct dt_metrics_t dt_metrics_t;

typedef struct {
    const char *bind;            /* ZeroMQ endpoint to bind (borrowed) */
    const char *data_dir;        /* durable store directory (borrowed); NULL: memory only */
    const char *keys_dir;        /* CURVE key directory (dt_auth.h) (borrowed); NULL: plaintext */
    uint64_t max_pending;        /* unfinished tasks above which SUBMIT is refused; 0: no limit */
    uint64_t window;             /* with data_dir: queued tasks and results in memory; 0: default */
    uint32_t host_limit;         /* tasks of one host leased at once; 0: no limit */
    uint32_t host_delay_ms;      /* least ms between two request starts at one origin; 0: none */
    uint64_t max_store_bytes;    /* with data_dir: SUBMIT refused past this store size (the
                                    archive's files included); 0: none */
    uint64_t archive_roll;       /* with data_dir: a new archive file past this; 0: default */
    uint32_t max_attempts;       /* dispatches a task gets before it fails */
    uint32_t heartbeat_ms;       /* heartbeat interval told to workers and used for ours */
    uint32_t liveness;           /* heartbeats missed before a worker is declared dead */
    uint32_t task_ms;            /* per-task lease limit */
    uint32_t retry_base_ms;      /* first retry delay; doubles with each attempt */
    uint32_t max_conns;          /* connections kept at once; 0: DT_LIMIT_CONNS_MAX (both lowered
                                    to the descriptor limit less DT_LIMIT_FD_RESERVE) */
    uint32_t max_conns_per_addr; /* from one IP address; 0: DT_LIMIT_CONNS_PER_ADDR */
    dt_metrics_t *metrics;       /* --http: snapshots published for it (borrowed); NULL: off */
} dt_master_opts_t;

/* Opens the store (with data_dir) and recovers the model from it, loads the
 * keys (with keys_dir), then binds the ROUTER, in that order, so no peer is
 * served before recovery is done. One master per process: CURVE settings
 * are process-wide (dt_sock_set_curve).
 * Returns NULL with a reason in `err` ("bind tcp://...: Address already in
 * use", "store ...: ...") on failure; nothing is left open. */
dt_master_t *dt_master_new (const dt_master_opts_t *opts, char *err, size_t err_size);

/* Closes the socket and the store (nothing uncommitted is kept: it was never
 * acknowledged). NULL-safe; nulls the pointer. */
void dt_master_destroy (dt_master_t **self_p);

/* The endpoint actually bound (a wildcard port resolved), borrowed. */
const char *dt_master_endpoint (dt_master_t *self);

/* Serves until SIGINT/SIGTERM (zsys_interrupted): then commits, answers
 * what is pending, tells parked clients STOPPING, and returns 0. Returns -1
 * at once, without acknowledging anything more, when the store cannot
 * commit or the model breaks: a restart recovers from the last commit. */
int dt_master_run (dt_master_t *self);

#endif
