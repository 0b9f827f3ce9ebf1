/* dt_worker.h - the worker's protocol engine and event loop: credit, tasks, results, shutdown.
 *
 * One thread. The loop waits in the handler (curl_multi_poll for http) with
 * the DEALER's ZMQ_FD as an extra fd, then: reports finished tasks, drains
 * the socket, starts queued tasks, sends one RESULTS batch, runs the timers
 * (heartbeat, master liveness, HELLO resends). See proto/PROTOCOL.md
 * "Worker state machine".
 */
#ifndef DT_WORKER_H
#define DT_WORKER_H

#include "dt_exec.h"
#include "dt_fetch.h"

#include <stdint.h>

#define DT_WORKER_DEFAULT_MASTER       "tcp://127.0.0.1:5555"
#define DT_WORKER_CONCURRENCY_DEFAULT  16
#define DT_WORKER_HEARTBEAT_MS_DEFAULT 1000
#define DT_WORKER_GRACE_MS_DEFAULT     30000

typedef struct {
    const char *master;       /* endpoint to connect to; borrowed */
    const char *name;         /* 1..DT_LIMIT_NAME_MAX bytes; borrowed */
    const char *handler;      /* "http", "noop", "exec" or "stdio"; borrowed */
    uint32_t concurrency;     /* tasks running at once */
    uint32_t prefetch;        /* tasks held waiting beyond those running */
    uint32_t stdio_inflight;  /* stdio: tasks each child holds at once (0 or 1: one) */
    uint32_t heartbeat_ms;    /* offered in HELLO, used until WELCOME says otherwise */
    const char *warc_dir;     /* local mode: append captures to rolling WARC files here
                                 (dt_warc_file.h); NULL: none; borrowed */
    uint32_t grace_ms;        /* after SIGTERM: time to finish what it holds */
    dt_fetch_options_t fetch; /* for the http handler */
    dt_exec_options_t exec;   /* for the exec and stdio handlers (--stdio: concurrency children) */
} dt_worker_options_t;

/* Fills `opts` with the defaults; master and name stay NULL. */
void dt_worker_options_defaults (dt_worker_options_t *opts);

/* Connects to the master and serves tasks until SIGTERM or SIGINT: then it
 * takes no more tasks, finishes the ones it holds within grace_ms, sends
 * their results and BYE. A second signal stops it at once. Installs its own
 * SIGTERM/SIGINT handlers. Returns 0 after a graceful stop, 1 after a forced
 * one, -1 when it could not start or its handler failed (the reason is
 * logged). */
int dt_worker_run (const dt_worker_options_t *opts);

#endif
