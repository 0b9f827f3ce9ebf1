/* dt_master_serve.c - the master's answers: one handler per message type, the replies that wait
 * for the group commit, and the parked FETCHes (long polls). */
#include "dt_master.h"
#include "dt_master_priv.h"
#include "dt_auth.h"
#include "dt_fault.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_kinds.h"
#include "dt_spec.h"
#include "dt_state.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Queued replies and long polls -------------------------------------- */

static void s_send_intent (void *arg, const dt_msg_t *msg, const dt_peer_t *peer)
{
    dt_master_reply (arg, msg, peer);
}

void dt_master_send_intents (dt_master_t *self)
{
    DT_FAULT_CRASH_IF (dt_intents_count (self->intents) > 0, "master-before-reply");
    dt_intents_flush (self->intents, s_send_intent, self);
}

/* Queues `msg` to `peer` for after the commit. When memory runs out it is
 * accepted but not answered: the client resends, and the resend gets the
 * same answer without changing anything. */
static void s_intent (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (dt_intents_add (self->intents, peer, msg) != 0)
        dt_log_peer_warn ("MASTER-NOMEM", "%s dropped: out of memory",
                          dt_msg_type_name (msg->type));
}

/* Sends a PAGE for `waiter` from its cursor (empty when `empty`), and
 * advances its cursor. Returns the results sent. */
static uint32_t s_page (void *arg, dt_waiter_t *waiter, int empty)
{
    dt_master_t *self = arg;
    if (dt_master_peer_stalled (self, &waiter->peer)) {
        /* It would not read this page either: do not build it. */
        self->replies_dropped++;
        return 1;
    }
    dt_str_t job = dt_str_n (waiter->job, waiter->job_len);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_PAGE;
    msg.req = waiter->req;
    if (!empty)
        msg.page.count = dt_state_page_wire (self->state, job, &waiter->cursor, waiter->max,
                                             waiter->flags, self->page_records, self->page_items);
    msg.page.items = self->page_items;
    msg.page.cursor = waiter->cursor;
    dt_state_stats (self->state, job, &msg.page.stats);
    if (msg.page.count > 0 || empty)
        dt_master_reply (self, &msg, &waiter->peer);
    return msg.page.count;
}

void dt_master_serve_waiters (dt_master_t *self)
{
    dt_waiters_serve (self->waiters, dt_state_last_seq (self->state), self->now, s_page, self);
}

int64_t dt_master_expire_waiters (dt_master_t *self)
{
    return dt_waiters_expire (self->waiters, self->now, s_page, self);
}

static void s_stopping (void *arg, const dt_waiter_t *waiter)
{
    dt_master_reply_error (arg, &waiter->peer, waiter->req, DT_ERR_STOPPING, "master is stopping");
}

void dt_master_stop_waiters (dt_master_t *self)
{
    dt_waiters_drop_all (self->waiters, s_stopping, self);
}

/* ---- Handlers, one per message type ------------------------------------- */

/* True when `job` is empty (every job) or known; otherwise answers ERROR
 * NO_SUCH_JOB to `req` and returns 0. */
static int s_job_known (dt_master_t *self, const dt_peer_t *peer, uint64_t req, dt_str_t job)
{
    if (job.len == 0 || dt_state_job_known (self->state, job))
        return 1;
    if (dt_state_broken (self->state))
        return 0; /* the loop stops before anything is answered */
    char name[DT_LIMIT_JOB_MAX * 4 + 1], why[DT_LIMIT_JOB_MAX * 4 + 32];
    dt_log_escape (name, sizeof name, job.ptr, job.len, DT_LIMIT_JOB_MAX);
    snprintf (why, sizeof why, "no such job %s", name);
    dt_master_reply_error (self, peer, req, DT_ERR_NO_SUCH_JOB, why);
    return 0;
}

/* `worker` is the one registered on this connection, or NULL. */
static void s_on_hello (dt_master_t *self, const dt_peer_t *peer, dt_worker_t *worker,
                        const dt_msg_t *msg)
{
    dt_workers_t *workers = dt_state_workers (self->state);
    uint32_t capacity = msg->hello.capacity; /* 0: draining, it wants nothing more */
    if (capacity > DT_LIMIT_CREDIT_MAX)
        capacity = DT_LIMIT_CREDIT_MAX;
    if (worker) {
        /* The same worker process (a routing id is one process's, kept
         * across reconnects) that thought we had gone quiet: it still runs
         * what it holds, so its leases stay; only its credit is renewed. */
        dt_workers_set_capacity (workers, worker, capacity);
        if (msg->hello.concurrency) /* 0 while draining: it runs what it holds as before */
            dt_workers_set_concurrency (worker, msg->hello.concurrency, self->now);
        dt_log_peer_info ("WORKER-AGAIN",
                          "worker %s: capacity %" PRIu32 ", %" PRIu32 " leases kept",
                          dt_master_worker_name (worker).text, capacity, worker->leases.count);
    } else {
        char addr[DT_WORKERS_ADDR_MAX];
        dt_msg_peer_address (msg, addr, sizeof addr);
        if (addr[0] && dt_workers_count_addr (workers, addr) >= DT_LIMIT_WORKERS_PER_ADDR) {
            dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_MANY_WORKERS,
                                   "too many workers from this address");
            return;
        }
        worker = dt_workers_add (workers, peer, msg->hello.name, capacity);
        if (!worker) {
            dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_MANY_WORKERS,
                                   "too many workers");
            return;
        }
        dt_workers_set_addr (worker, addr);
        dt_workers_set_concurrency (worker, msg->hello.concurrency, self->now);
        *dt_master_link (self, worker) = (dt_master_link_t){self->now, self->now, 0};
        dt_log_peer_info ("WORKER-JOIN", "worker %s: capacity %" PRIu32 ", %zu workers",
                          dt_master_worker_name (worker).text, capacity,
                          dt_workers_count (workers));
    }
    /* The kinds it serves, as a mask of the master's kind numbers; none
     * named: http. A kind past DT_LIMIT_KINDS_MAX known ones is not served
     * (logged): its tasks could not be numbered either. */
    uint64_t kinds = msg->hello.nkinds ? 0 : 1u << DT_KINDS_HTTP;
    for (uint32_t i = 0; i < msg->hello.nkinds; i++) {
        int k = dt_state_kind (self->state, msg->hello.kinds[i]);
        if (k < 0)
            dt_log_warn ("WORKER-KINDS", "worker %s: too many kinds known, one not served",
                         dt_master_worker_name (worker).text);
        else
            kinds |= (uint64_t) 1 << k;
    }
    worker->kinds = kinds;
    dt_msg_t welcome;
    dt_msg_init (&welcome);
    welcome.type = DT_MSG_WELCOME;
    welcome.welcome.heartbeat_ms = self->opts.heartbeat_ms;
    welcome.welcome.liveness = self->opts.liveness;
    welcome.welcome.task_ms = self->opts.task_ms;
    dt_master_send_worker (self, &welcome, &worker);
}

/* `worker` is the registered worker of this connection, or NULL: the
 * model records a result only for the lease that connection holds. */
static void s_on_results (dt_master_t *self, dt_worker_t *worker, const dt_msg_t *msg)
{
    for (uint32_t i = 0; i < msg->results.count; i++) {
        dt_report_t report = dt_record_report_from_msg (&msg->results.items[i]);
        dt_state_result (self->state, worker, &report, self->now);
    }
}

static void s_on_submit (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t first_id = 0;
    uint32_t count = 0;
    char why[DT_LIMIT_ERROR_MAX] = "";
    dt_str_t kind = msg->submit.kind.len ? msg->submit.kind : dt_str (DT_KIND_HTTP);
    dt_spec_opts_t opts = {msg->submit.priority, msg->submit.not_before, msg->submit.max_attempts,
                           msg->submit.timeout_ms};
    if (dt_state_kind (self->state, kind) < 0) {
        dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_BIG, "too many task kinds");
        return;
    }
    int save = (msg->submit.flags & DT_SUBMIT_SAVE) != 0;
    int refused = save ? dt_state_save_refused (self->state, why, sizeof why) : 0;
    if (refused) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) refused, why);
        return;
    }
    int http_rc = dt_state_job_http_check (self->state, msg->submit.job, kind, &msg->submit.http,
                                           why, sizeof why);
    if (http_rc != 0) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) http_rc, why);
        return;
    }
    char *buf = NULL;
    const dt_str_t *specs =
        dt_spec_join (kind, &opts, msg->submit.payloads, msg->submit.count, &buf);
    if (!specs) {
        dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
        return;
    }
    if ((msg->submit.flags & DT_SUBMIT_RESEND_ONLY) &&
        !dt_state_chunk_resent (self->state, msg->submit.job, msg->submit.chunk, specs,
                                msg->submit.count)) {
        if (specs != msg->submit.payloads)
            free ((void *) specs);
        free (buf);
        if (!dt_state_broken (self->state))
            dt_master_reply_error (self, peer, msg->req, DT_ERR_CONFLICT,
                                   "not a resend: this chunk was not accepted with these URLs");
        return;
    }
    int rc;
    if (!(msg->submit.flags & DT_SUBMIT_CRAWL))
        rc = dt_state_submit (self->state, msg->submit.job, msg->submit.chunk, specs,
                              msg->submit.count, &first_id, &count, why, sizeof why);
    else if (specs != msg->submit.payloads) {
        snprintf (why, sizeof why, "a crawl's seeds are http URLs with no task options");
        rc = DT_ERR_MALFORMED;
    } else
        rc = dt_state_crawl_submit (self->state, msg->submit.job, msg->submit.chunk,
                                    &msg->submit.crawl, specs, msg->submit.count, &first_id, &count,
                                    why, sizeof why);
    if (specs != msg->submit.payloads)
        free ((void *) specs);
    free (buf);
    if (rc == 0 && save)
        rc = dt_state_job_save (self->state, msg->submit.job, why, sizeof why);
    if (rc == 0 && dt_state_job_http_set (self->state, msg->submit.job, &msg->submit.http) != 0) {
        rc = DT_ERR_STORE;
        snprintf (why, sizeof why, "out of memory");
    }
    if (rc != 0) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    self->turn_tasks += count;
    /* A crawl obeys robots.txt, whatever its flags say. */
    int robots = (msg->submit.flags & (DT_SUBMIT_ROBOTS | DT_SUBMIT_CRAWL)) != 0;
    if (robots || msg->submit.host_delay_ms)
        dt_state_job_polite (self->state, msg->submit.job, robots, msg->submit.host_delay_ms);
    dt_msg_t ok;
    dt_msg_init (&ok);
    ok.type = DT_MSG_SUBMIT_OK;
    ok.req = msg->req;
    ok.submit_ok.job = msg->submit.job;
    ok.submit_ok.chunk = msg->submit.chunk;
    ok.submit_ok.first_id = first_id;
    ok.submit_ok.count = count;
    s_intent (self, peer, &ok);
}

static void s_on_fetch (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (dt_waiters_count (self->waiters) >= DT_WAITERS_MAX) {
        dt_log_peer_warn ("FETCH-REFUSED", "%d FETCHes parked already: refusing one",
                          DT_WAITERS_MAX);
        dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_BIG,
                               "too many parked FETCHes: retry later");
        return;
    }
    /* One address may park only its share, so a client that parks FETCHes
     * from many sockets cannot leave none for the others (dt_limits.h). */
    char addr[DT_WAITERS_ADDR_MAX];
    dt_msg_peer_address (msg, addr, sizeof addr);
    if (addr[0] && dt_waiters_count_addr (self->waiters, addr) >= DT_LIMIT_WAITERS_PER_ADDR) {
        dt_log_peer_warn ("FETCH-REFUSED", "%d FETCHes parked from %s already: refusing one",
                          DT_LIMIT_WAITERS_PER_ADDR, addr);
        dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_BIG,
                               "too many parked FETCHes from this address: retry later");
        return;
    }
    if (!s_job_known (self, peer, msg->req, msg->fetch.job))
        return;
    if (dt_waiters_add (self->waiters, peer, addr, msg, self->now) != 0)
        dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
}

/* Busiest first: most leases, then most done. */
static int s_busier (const void *a, const void *b)
{
    const dt_msg_worker_t *x = a, *y = b;
    if (x->inflight != y->inflight)
        return x->inflight > y->inflight ? -1 : 1;
    return x->done > y->done ? -1 : x->done < y->done;
}

static void s_on_status (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->status.job))
        return;
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_STATUS_OK;
    reply.req = msg->req;
    dt_state_stats (self->state, msg->status.job, &reply.status_ok.stats);
    dt_workers_t *workers = dt_state_workers (self->state);
    uint32_t n = 0;
    for (uint32_t slot = 0; slot < dt_workers_slots (workers) && n < DT_LIMIT_WORKERS_MAX; slot++) {
        const dt_worker_t *worker = dt_workers_at (workers, slot);
        if (!worker)
            continue;
        dt_msg_worker_t *w = &self->status_workers[n++];
        w->name = dt_str_n (worker->name, worker->name_len);
        w->capacity = worker->capacity;
        w->inflight = worker->leases.count;
        w->done = worker->done;
        int64_t idle = self->now - dt_master_link (self, worker)->last_seen;
        w->idle_ms = idle < 0 ? 0 : idle > UINT32_MAX ? UINT32_MAX : (uint32_t) idle;
    }
    /* The reply's size is bounded whatever registered (dt_limits.h). */
    if (n > DT_LIMIT_STATUS_WORKERS) {
        qsort (self->status_workers, n, sizeof *self->status_workers, s_busier);
        reply.status_ok.count = DT_LIMIT_STATUS_WORKERS;
    } else {
        reply.status_ok.count = n;
    }
    reply.status_ok.workers = self->status_workers;
    reply.status_ok.total = n;
    /* Per kind, for the whole master only: a job has one kind or few. */
    dt_msg_kind_t rows[DT_LIMIT_KINDS_MAX];
    uint64_t counts[DT_LIMIT_KINDS_MAX][3];
    memset (counts, 0, sizeof counts);
    if (msg->status.job.len == 0) {
        dt_state_kind_counts (self->state, counts);
        int nk = dt_state_kinds (self->state);
        for (int k = 0; k < nk; k++) {
            uint32_t serving = 0;
            for (uint32_t slot = 0; slot < dt_workers_slots (workers); slot++) {
                const dt_worker_t *worker = dt_workers_at (workers, slot);
                serving += worker && (worker->kinds >> k & 1);
            }
            rows[k] = (dt_msg_kind_t){dt_state_kind_name (self->state, k), counts[k][0],
                                      counts[k][1], counts[k][2], serving};
        }
        reply.status_ok.nkinds = (uint32_t) nk;
        reply.status_ok.kinds = rows;
    }
    dt_master_reply (self, &reply, peer);
}

static void s_on_requeue (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->requeue.job))
        return;
    uint64_t count = 0;
    int rc = dt_state_requeue (self->state, msg->requeue.job, msg->requeue.flags, &count);
    if (rc < 0)
        return; /* broken: the loop stops before anything is acknowledged */
    if (rc > 0) {
        char why[DT_LIMIT_ERROR_MAX];
        snprintf (why, sizeof why, "%d requeues are under way: retry later", DT_LIMIT_REQUEUES_MAX);
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    dt_msg_t ok;
    dt_msg_init (&ok);
    ok.type = DT_MSG_REQUEUE_OK;
    ok.req = msg->req;
    ok.requeue_ok.count = count;
    s_intent (self, peer, &ok);
    if (count)
        dt_log_peer_info ("MASTER-REQUEUE", "%" PRIu64 " failed tasks requeued", count);
}

static void s_on_cancel (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->cancel.job))
        return;
    uint64_t count = 0;
    int rc = dt_state_cancel (self->state, msg->cancel.job, &count, self->now);
    if (rc < 0)
        return; /* broken: the loop stops before anything is acknowledged */
    if (rc > 0) {
        char why[DT_LIMIT_ERROR_MAX];
        snprintf (why, sizeof why, "%d cancels are under way: retry later", DT_LIMIT_CANCELS_MAX);
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    dt_msg_t ok;
    dt_msg_init (&ok);
    ok.type = DT_MSG_CANCEL_OK;
    ok.req = msg->req;
    ok.cancel_ok.count = count;
    s_intent (self, peer, &ok);
    if (dt_log_admit (DT_LOG_INFO, "MASTER-CANCEL")) {
        char job[DT_LIMIT_JOB_MAX * 4 + 1];
        dt_log_escape (job, sizeof job, msg->cancel.job.ptr, msg->cancel.job.len, DT_LIMIT_JOB_MAX);
        dt_log_info ("MASTER-CANCEL", "job %s: %" PRIu64 " unfinished tasks cancelled", job, count);
    }
}

static void s_on_purge (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->purge.job))
        return;
    uint64_t count = 0;
    char why[DT_LIMIT_ERROR_MAX] = "";
    int rc = dt_state_purge (self->state, msg->purge.job, &count, why, sizeof why);
    if (rc != 0) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    dt_msg_t ok;
    dt_msg_init (&ok);
    ok.type = DT_MSG_PURGE_OK;
    ok.req = msg->req;
    ok.purge_ok.count = count;
    s_intent (self, peer, &ok);
    if (dt_log_admit (DT_LOG_INFO, "MASTER-PURGE")) {
        char job[DT_LIMIT_JOB_MAX * 4 + 1];
        dt_log_escape (job, sizeof job, msg->purge.job.ptr, msg->purge.job.len, DT_LIMIT_JOB_MAX);
        dt_log_info ("MASTER-PURGE", "job %s: %" PRIu64 " tasks purged", job, count);
    }
}

/* A page of jobs, answered at once: it changes nothing. */
static void s_on_jobs (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->jobs.job))
        return;
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_JOBS_OK;
    reply.req = msg->req;
    reply.jobs_ok.cursor = msg->jobs.cursor;
    reply.jobs_ok.count = dt_state_jobs_page (self->state, msg->jobs.job, &reply.jobs_ok.cursor,
                                              msg->jobs.max, self->jobs_items, self->jobs_names);
    reply.jobs_ok.items = self->jobs_items;
    if (!dt_state_broken (self->state))
        dt_master_reply (self, &reply, peer);
}

/* A piece of a task's stored capture, answered at once from the archive's
 * file through the store's index: only results already committed are
 * seen, and a piece is at most DT_LIMIT_GET_BYTES, one reply's worth. */
static void s_on_get (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (dt_master_peer_stalled (self, peer)) {
        self->replies_dropped++; /* it would not read this piece either */
        return;
    }
    char file[DT_LIMIT_WARC_NAME_MAX + 1];
    dt_warc_loc_t loc;
    if (dt_state_capture (self->state, msg->get.id, self->committed_seq, file, sizeof file, &loc) !=
        0) {
        dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "store read failed");
        return;
    }
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_GET_OK;
    reply.req = msg->req;
    reply.get_ok.id = msg->get.id;
    reply.get_ok.offset = msg->get.offset;
    reply.get_ok.data = dt_str_n ("", 0);
    if (loc.length > 0 && self->archive) {
        reply.get_ok.total = loc.length;
        uint64_t left = msg->get.offset < loc.length ? loc.length - msg->get.offset : 0;
        size_t n = left < DT_LIMIT_GET_BYTES ? (size_t) left : DT_LIMIT_GET_BYTES;
        if (n > 0 && !self->get_buf && !(self->get_buf = malloc (DT_LIMIT_GET_BYTES))) {
            dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
            return;
        }
        char err[256];
        if (n > 0 && dt_archive_read (self->archive, loc.file, loc.offset + msg->get.offset,
                                      self->get_buf, n, err, sizeof err) != 0) {
            dt_log_error ("ARCHIVE-READ", "task %" PRIu64 ": %s", msg->get.id, err);
            dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "archive read failed");
            return;
        }
        reply.get_ok.data = dt_str_n (n ? (const char *) self->get_buf : "", n);
    }
    dt_master_reply (self, &reply, peer);
}

/* A page of a job's capture index: the tasks that have a capture, in the
 * order their results were recorded, with each capture's length. */
static void s_on_export (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (dt_master_peer_stalled (self, peer)) {
        self->replies_dropped++; /* it would not read this page either: do not read it */
        return;
    }
    if (!s_job_known (self, peer, msg->req, msg->export_.job))
        return;
    if (!self->export_items &&
        !(self->export_items = calloc (DT_LIMIT_BATCH_MAX, sizeof *self->export_items))) {
        dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
        return;
    }
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_EXPORT_OK;
    reply.req = msg->req;
    reply.export_ok.cursor = msg->export_.cursor;
    reply.export_ok.count =
        dt_state_export_page (self->state, msg->export_.job, &reply.export_ok.cursor,
                              self->committed_seq, msg->export_.max, self->export_items);
    reply.export_ok.items = self->export_items;
    if (!dt_state_broken (self->state))
        dt_master_reply (self, &reply, peer);
}

/* A job's origins and their politeness, answered at once: it changes
 * nothing. */
static void s_on_hosts (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_job_known (self, peer, msg->req, msg->hosts.job))
        return;
    uint32_t max = msg->hosts.max;
    dt_msg_host_t *rows = calloc (max, sizeof *rows);
    char *names = malloc ((size_t) max * (DT_LIMIT_ORIGIN_MAX + 1));
    if (!rows || !names) {
        free (rows);
        free (names);
        dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
        return;
    }
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_HOSTS_OK;
    reply.req = msg->req;
    reply.hosts_ok.count =
        dt_state_hosts (self->state, msg->hosts.job, rows, max, names, &reply.hosts_ok.total);
    reply.hosts_ok.items = rows;
    dt_master_reply (self, &reply, peer);
    free (rows);
    free (names);
}

/* Counts and (rate-limited) logs a message that did not decode or makes no
 * sense here, and answers ERROR when it can. */
void dt_master_on_invalid (dt_master_t *self, const dt_peer_t *peer, uint64_t req, int rc,
                           const char *why)
{
    dt_state_count_invalid (self->state);
    if (dt_log_admit (DT_LOG_WARN, "PROTO-INVALID")) {
        char name[160];
        dt_log_warn ("PROTO-INVALID", "peer %s: %s", dt_master_peer_name (name, sizeof name, peer),
                     why);
    }
    if (peer->len == 0)
        return;
    uint32_t code = rc == DT_PROTO_EVERSION  ? DT_ERR_VERSION
                    : rc == DT_PROTO_ETOOBIG ? DT_ERR_TOO_BIG
                                             : DT_ERR_MALFORMED;
    dt_master_reply_error (self, peer, req, code, why);
}

/* True when `peer` may send `type`. With CURVE every connection has the
 * role its key was admitted in, and a client key may not speak as a worker
 * or the other way round; plaintext connections carry no role. */
static int s_allowed (const dt_peer_t *peer, dt_msg_type_t type)
{
    if (!peer->role[0])
        return 1;
    int worker_type = type == DT_MSG_HELLO || type == DT_MSG_RESULTS || type == DT_MSG_HEARTBEAT ||
                      type == DT_MSG_BYE;
    return strcmp (peer->role, worker_type ? DT_AUTH_ROLE_WORKER : DT_AUTH_ROLE_CLIENT) == 0;
}

/* Applies one decoded message from `peer`. */
void dt_master_handle (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_allowed (peer, msg->type)) {
        /* Its own tag: a handshake flood must not use up these lines. */
        if (dt_log_admit (DT_LOG_WARN, "AUTH-DENIED-ROLE")) {
            char key[48], role[80];
            dt_log_escape (key, sizeof key, peer->key, strnlen (peer->key, sizeof peer->key),
                           sizeof peer->key);
            dt_log_escape (role, sizeof role, peer->role, strnlen (peer->role, sizeof peer->role),
                           sizeof peer->role);
            dt_log_warn ("AUTH-DENIED-ROLE", "key %s with role '%s' may not send %s", key, role,
                         dt_msg_type_name (msg->type));
        }
        dt_master_reply_error (self, peer, msg->req, DT_ERR_DENIED,
                               "not allowed for this key's role");
        return;
    }
    dt_worker_t *worker = dt_workers_find (dt_state_workers (self->state), peer);
    /* With CURVE a routing id is a worker's only over the key it registered
     * with: another key's connection claiming it (ROUTER_HANDOVER lets it
     * take the id over) is not that worker, renews none of its leases and
     * can end none of them. */
    int foreign = worker && strcmp (worker->peer.key, peer->key) != 0;
    if (foreign)
        worker = NULL;
    if (worker)
        dt_master_link (self, worker)->last_seen = self->now; /* any message renews its leases */
    switch (msg->type) {
    case DT_MSG_HELLO:
        if (foreign) {
            if (dt_log_admit (DT_LOG_WARN, "AUTH-DENIED-ID")) {
                char key[48];
                dt_log_escape (key, sizeof key, peer->key, strnlen (peer->key, sizeof peer->key),
                               sizeof peer->key);
                dt_log_warn ("AUTH-DENIED-ID",
                             "key %s: HELLO with a routing id registered by another key", key);
            }
            dt_master_reply_error (self, peer, msg->req, DT_ERR_DENIED,
                                   "routing id registered by another key");
            break;
        }
        s_on_hello (self, peer, worker, msg);
        break;
    case DT_MSG_RESULTS:
        /* From an unknown peer they count as late (it holds no lease),
         * then it is told to register again. */
        s_on_results (self, worker, msg);
        if (!worker)
            dt_master_reply_error (self, peer, 0, DT_ERR_UNKNOWN_PEER,
                                   "unknown worker: send HELLO");
        break;
    case DT_MSG_HEARTBEAT:
        if (!worker)
            dt_master_reply_error (self, peer, 0, DT_ERR_UNKNOWN_PEER,
                                   "unknown worker: send HELLO");
        break;
    case DT_MSG_BYE:
        if (worker)
            dt_master_drop_worker (self, &worker, "WORKER-BYE");
        break;
    case DT_MSG_SUBMIT:
        s_on_submit (self, peer, msg);
        break;
    case DT_MSG_FETCH:
        s_on_fetch (self, peer, msg);
        break;
    case DT_MSG_STATUS:
        s_on_status (self, peer, msg);
        break;
    case DT_MSG_REQUEUE:
        s_on_requeue (self, peer, msg);
        break;
    case DT_MSG_CANCEL:
        s_on_cancel (self, peer, msg);
        break;
    case DT_MSG_PURGE:
        s_on_purge (self, peer, msg);
        break;
    case DT_MSG_JOBS:
        s_on_jobs (self, peer, msg);
        break;
    case DT_MSG_GET:
        s_on_get (self, peer, msg);
        break;
    case DT_MSG_EXPORT:
        s_on_export (self, peer, msg);
        break;
    case DT_MSG_HOSTS:
        s_on_hosts (self, peer, msg);
        break;
    default: {
        char why[64];
        snprintf (why, sizeof why, "unexpected %s from a peer", dt_msg_type_name (msg->type));
        dt_master_on_invalid (self, peer, msg->req, DT_PROTO_EMALFORMED, why);
        break;
    }
    }
}
