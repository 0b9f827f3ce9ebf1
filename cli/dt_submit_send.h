/* dt_submit_send.h - `dtask submit`'s upload: a job's tasks cut into chunks and sent, several in
 * flight, waiting for room when the master's queue is full; --append's chunk numbers.
 *
 * The cut depends only on the payloads (and, with --jsonl, where the
 * tasks' options change), so the same submission under the same job id is
 * cut alike and the master adds nothing twice (PROTOCOL.md, SUBMIT).
 */
#ifndef DT_SUBMIT_SEND_H
#define DT_SUBMIT_SEND_H

#include "dt_cli.h"
#include "dt_jsonin.h"
#include "dt_rpc.h"
#include "dt_urls.h"

#include <stdint.h>

/* What to send. Everything is borrowed and must outlive the sender. */
typedef struct {
    const dt_cli_opts_t *cli;          /* for reporting RPC failures */
    const char *job;                   /* the job id */
    const char *kind;                  /* every task's kind */
    uint32_t flags;                    /* DT_SUBMIT_SAVE with --save warc */
    uint32_t polite_flags;             /* DT_SUBMIT_ROBOTS */
    uint32_t host_delay_ms;            /* --host-delay; 0: the master's */
    const dt_msg_httpopt_t *http;      /* the job's HTTP options */
    const dt_jsonin_opts_t *opts;      /* every task's options, unless line_opts */
    const dt_jsonin_opts_t *line_opts; /* --jsonl: each task's own; NULL: none */
    const dt_urls_t *urls;             /* the payloads, checked */
    int wait_room;                     /* on QUEUE_FULL, wait and resend */
} dt_submit_job_t;

typedef struct dt_submit_send_t dt_submit_send_t;

/* A sender of `job`'s payloads, cut into chunks numbered from 0. NULL when
 * out of memory. */
dt_submit_send_t *dt_submit_send_new (const dt_submit_job_t *job);

/* NULL-safe; nulls the pointer. */
void dt_submit_send_destroy (dt_submit_send_t **self_p);

/* --append: numbers the chunks after the job's last one, or where an
 * earlier run of this same append put them (PROTOCOL.md, "Appending"), so
 * that a run again resends instead of adding twice. Returns 0, or the exit
 * code after printing why. */
int dt_submit_send_append (dt_submit_send_t *self, dt_rpc_t *rpc);

/* Sends every chunk, DT_SUBMIT_WINDOW at a time (one at a time while the
 * queue is full). Returns 0 once all are accepted, or an exit code after
 * printing why (what was accepted, and how to add the rest). */
int dt_submit_send_run (dt_submit_send_t *self, dt_rpc_t *rpc);

/* Chunks in the cut. */
size_t dt_submit_send_chunks (const dt_submit_send_t *self);

/* Tasks the master accepted (the sum of SUBMIT_OK counts). */
uint64_t dt_submit_send_accepted (const dt_submit_send_t *self);

#endif
