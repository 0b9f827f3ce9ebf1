/* dt_master_serve.c - the master's answers: one handler per message type, the replies that wait
 * for the group commit, and the parked FETCHes (long polls). */
#include "dt_master.h"
#include "dt_master_priv.h"
#include "dt_auth.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_state.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FETCH requests parked at once. Each costs ~400 bytes; past this many a
 * FETCH is answered at once with what there is, so a client cannot make the
 * master hold unbounded state by long-polling from many sockets. */
#define DT_MASTER_WAITERS_MAX 4096

/* Longest a FETCH is held: clients ask for seconds; a wait of days from a
 * peer that is long gone would only pin a slot. */
#define DT_MASTER_WAIT_MAX_MS 60000

/* PROTO-INVALID lines per second; the rest are counted and summarised. */
#define DT_MASTER_INVALID_LOGS_PER_S 10

/* ---- Queued replies and long polls -------------------------------------- */

static dt_master_intent_t *s_intent_new (dt_master_t *self, const dt_peer_t *peer, uint64_t req,
                                         dt_msg_type_t type)
{
    if (self->nintents == self->intents_capacity) {
        size_t capacity = self->intents_capacity ? self->intents_capacity * 2 : 64;
        dt_master_intent_t *intents = realloc (self->intents, capacity * sizeof *intents);
        if (!intents)
            return NULL;
        self->intents = intents;
        self->intents_capacity = capacity;
    }
    dt_master_intent_t *intent = &self->intents[self->nintents++];
    intent->peer = *peer;
    intent->req = req;
    intent->type = type;
    intent->job_len = 0;
    return intent;
}

/* Sends the replies that waited for the commit. */
void dt_master_send_intents (dt_master_t *self)
{
    for (size_t i = 0; i < self->nintents; i++) {
        const dt_master_intent_t *intent = &self->intents[i];
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.type = intent->type;
        msg.req = intent->req;
        if (intent->type == DT_MSG_SUBMIT_OK) {
            msg.submit_ok.job = dt_str_n (intent->job, intent->job_len);
            msg.submit_ok.chunk = intent->chunk;
            msg.submit_ok.first_id = intent->first_id;
            msg.submit_ok.count = (uint32_t) intent->count;
        } else if (intent->type == DT_MSG_CANCEL_OK) {
            msg.cancel_ok.count = intent->count;
        } else if (intent->type == DT_MSG_PURGE_OK) {
            msg.purge_ok.count = intent->count;
        } else {
            msg.requeue_ok.count = intent->count;
        }
        dt_master_reply (self, &msg, &intent->peer);
    }
    self->nintents = 0;
}

/* Sends a PAGE for `waiter` from its cursor (empty when `empty`), and
 * advances its cursor. Returns the results sent. */
uint32_t dt_master_page (dt_master_t *self, dt_master_waiter_t *waiter, int empty)
{
    dt_str_t job = dt_str_n (waiter->job, waiter->job_len);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_PAGE;
    msg.req = waiter->req;
    if (!empty)
        msg.page.count = dt_state_page (self->state, job, &waiter->cursor, waiter->max,
                                        waiter->flags, self->page_items);
    msg.page.items = self->page_items;
    msg.page.cursor = waiter->cursor;
    dt_state_stats (self->state, job, &msg.page.stats);
    if (msg.page.count > 0 || empty)
        dt_master_reply (self, &msg, &waiter->peer);
    return msg.page.count;
}

void dt_master_waiter_remove (dt_master_t *self, size_t i)
{
    self->waiters[i] = self->waiters[--self->nwaiters];
}

/* A FETCH with DT_FETCH_FILL waits for a full page until then. */
int64_t dt_master_fill_due (const dt_master_waiter_t *waiter)
{
    return waiter->ready_at ? waiter->ready_at + DT_MASTER_FILL_MS : INT64_MAX;
}

/* True while a FETCH with DT_FETCH_FILL should wait for more results: some
 * are ready (or were, for another job), fewer than it asked for, and its
 * fill time has not run out. The count is over all jobs, so it can only
 * answer early, never late. */
static int s_filling (const dt_master_t *self, dt_master_waiter_t *waiter, uint64_t last)
{
    if (!(waiter->flags & DT_FETCH_FILL) || last <= waiter->cursor)
        return 0;
    if (!waiter->ready_at)
        waiter->ready_at = self->now;
    uint32_t full = waiter->max < DT_LIMIT_BATCH_MAX ? waiter->max : DT_LIMIT_BATCH_MAX;
    return last - waiter->cursor < full && self->now < dt_master_fill_due (waiter) &&
           self->now < waiter->deadline;
}

/* Answers the FETCHes that have results now (or must be answered now).
 * Only right after a commit: pages never show what is not durable. */
void dt_master_serve_waiters (dt_master_t *self)
{
    uint64_t last = dt_state_last_seq (self->state);
    for (size_t i = 0; i < self->nwaiters;) {
        dt_master_waiter_t *waiter = &self->waiters[i];
        if (waiter->checked == last && waiter->deadline > self->now &&
            dt_master_fill_due (waiter) > self->now) {
            i++;
            continue; /* nothing new since it last looked */
        }
        waiter->checked = last;
        if (s_filling (self, waiter, last)) {
            i++;
        } else if (dt_master_page (self, waiter, 0) > 0) {
            dt_master_waiter_remove (self, i);
        } else if (waiter->deadline <= self->now) {
            dt_master_page (self, waiter, 1);
            dt_master_waiter_remove (self, i);
        } else {
            waiter->ready_at = 0; /* the new results were another job's */
            i++;
        }
    }
}

/* ---- Handlers, one per message type ------------------------------------- */

static void s_on_hello (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    dt_workers_t *workers = dt_state_workers (self->state);
    dt_worker_t *worker = dt_workers_find (workers, peer);
    uint32_t capacity = msg->hello.capacity; /* 0: draining, it wants nothing more */
    if (capacity > DT_LIMIT_CREDIT_MAX)
        capacity = DT_LIMIT_CREDIT_MAX;
    if (worker) {
        /* The same worker process (a routing id is one process's, kept
         * across reconnects) that thought we had gone quiet: it still runs
         * what it holds, so its leases stay; only its credit is renewed. */
        dt_workers_set_capacity (workers, worker, capacity);
        dt_log_info ("WORKER-AGAIN", "worker %s: capacity %" PRIu32 ", %" PRIu32 " leases kept",
                     dt_master_worker_name (worker).text, capacity, worker->leases.count);
    } else {
        worker = dt_workers_add (workers, peer, msg->hello.name, capacity, self->now);
        if (!worker) {
            dt_master_reply_error (self, peer, msg->req, DT_ERR_TOO_MANY_WORKERS,
                                   "too many workers");
            return;
        }
        dt_log_info ("WORKER-JOIN", "worker %s: capacity %" PRIu32 ", %zu workers",
                     dt_master_worker_name (worker).text, capacity, dt_workers_count (workers));
    }
    dt_msg_t welcome;
    dt_msg_init (&welcome);
    welcome.type = DT_MSG_WELCOME;
    welcome.welcome.heartbeat_ms = self->opts.heartbeat_ms;
    welcome.welcome.liveness = self->opts.liveness;
    welcome.welcome.task_ms = self->opts.task_ms;
    dt_master_send_worker (self, &welcome, &worker);
}

static void s_on_results (dt_master_t *self, dt_worker_t *worker, const dt_msg_t *msg)
{
    for (uint32_t i = 0; i < msg->results.count; i++) {
        dt_msg_result_t r = msg->results.items[i];
        r.worker = msg->results.worker;
        dt_state_result (self->state, worker, &r, self->now);
    }
}

static void s_on_submit (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t first_id = 0;
    uint32_t count = 0;
    char why[DT_LIMIT_ERROR_MAX] = "";
    int rc = dt_state_submit (self->state, msg->submit.job, msg->submit.chunk, msg->submit.urls,
                              msg->submit.count, &first_id, &count, why, sizeof why);
    if (rc != 0) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    self->turn_tasks += count;
    dt_master_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_SUBMIT_OK);
    if (!intent) {
        /* Accepted but not answerable: the client resends, and the resend
         * gets the same ids without creating anything. */
        dt_log_warn ("MASTER-NOMEM", "SUBMIT_OK dropped: out of memory");
        return;
    }
    if (msg->submit.job.len)
        memcpy (intent->job, msg->submit.job.ptr, msg->submit.job.len);
    intent->job_len = msg->submit.job.len;
    intent->chunk = msg->submit.chunk;
    intent->first_id = first_id;
    intent->count = count;
}

static void s_on_fetch (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (self->nwaiters == self->waiters_capacity) {
        size_t capacity = self->waiters_capacity ? self->waiters_capacity * 2 : 64;
        dt_master_waiter_t *waiters = realloc (self->waiters, capacity * sizeof *waiters);
        if (!waiters) {
            dt_master_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
            return;
        }
        self->waiters = waiters;
        self->waiters_capacity = capacity;
    }
    dt_master_waiter_t *waiter = &self->waiters[self->nwaiters++];
    waiter->peer = *peer;
    waiter->req = msg->req;
    if (msg->fetch.job.len)
        memcpy (waiter->job, msg->fetch.job.ptr, msg->fetch.job.len);
    waiter->job_len = msg->fetch.job.len;
    waiter->max = msg->fetch.max;
    waiter->flags = msg->fetch.flags;
    waiter->cursor = msg->fetch.cursor;
    waiter->checked = UINT64_MAX;
    waiter->ready_at = 0;
    uint32_t wait_ms = msg->fetch.wait_ms;
    if (wait_ms > DT_MASTER_WAIT_MAX_MS || self->nwaiters > DT_MASTER_WAITERS_MAX)
        wait_ms = self->nwaiters > DT_MASTER_WAITERS_MAX ? 0 : DT_MASTER_WAIT_MAX_MS;
    /* Even with results ready it is answered after the commit (dt_master_serve_waiters). */
    waiter->deadline = self->now + wait_ms;
}

static void s_on_status (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
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
        int64_t idle = self->now - worker->last_seen;
        w->idle_ms = idle < 0 ? 0 : idle > UINT32_MAX ? UINT32_MAX : (uint32_t) idle;
    }
    reply.status_ok.count = n;
    reply.status_ok.workers = self->status_workers;
    dt_master_reply (self, &reply, peer);
}

static void s_on_requeue (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t count = 0;
    if (dt_state_requeue (self->state, msg->requeue.job, &count) != 0)
        return; /* broken: the loop stops before anything is acknowledged */
    dt_master_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_REQUEUE_OK);
    if (!intent) {
        dt_log_warn ("MASTER-NOMEM", "REQUEUE_OK dropped: out of memory");
        return;
    }
    intent->count = count;
    if (count)
        dt_log_info ("MASTER-REQUEUE", "%" PRIu64 " failed tasks requeued", count);
}

static void s_on_cancel (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t count = 0;
    if (dt_state_cancel (self->state, msg->cancel.job, &count) != 0)
        return; /* broken: the loop stops before anything is acknowledged */
    dt_master_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_CANCEL_OK);
    if (!intent) {
        dt_log_warn ("MASTER-NOMEM", "CANCEL_OK dropped: out of memory");
        return;
    }
    intent->count = count;
    char job[DT_LIMIT_JOB_MAX * 4 + 1];
    dt_log_escape (job, sizeof job, msg->cancel.job.ptr, msg->cancel.job.len, DT_LIMIT_JOB_MAX);
    dt_log_info ("MASTER-CANCEL", "job %s: %" PRIu64 " unfinished tasks cancelled", job, count);
}

static void s_on_purge (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t count = 0;
    char why[DT_LIMIT_ERROR_MAX] = "";
    int rc = dt_state_purge (self->state, msg->purge.job, &count, why, sizeof why);
    if (rc != 0) {
        dt_master_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    dt_master_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_PURGE_OK);
    if (!intent) {
        dt_log_warn ("MASTER-NOMEM", "PURGE_OK dropped: out of memory");
        return;
    }
    intent->count = count;
    char job[DT_LIMIT_JOB_MAX * 4 + 1];
    dt_log_escape (job, sizeof job, msg->purge.job.ptr, msg->purge.job.len, DT_LIMIT_JOB_MAX);
    dt_log_info ("MASTER-PURGE", "job %s: %" PRIu64 " tasks purged", job, count);
}

/* Counts and (rate-limited) logs a message that did not decode or makes no
 * sense here, and answers ERROR when it can. */
void dt_master_on_invalid (dt_master_t *self, const dt_peer_t *peer, uint64_t req, int rc,
                           const char *why)
{
    dt_state_count_invalid (self->state);
    int64_t second = self->now / 1000;
    if (second != self->invalid_second) {
        if (self->invalid_suppressed)
            dt_log_warn ("PROTO-INVALID", "%" PRIu64 " more invalid messages not logged",
                         self->invalid_suppressed);
        self->invalid_second = second;
        self->invalid_logged = 0;
        self->invalid_suppressed = 0;
    }
    if (self->invalid_logged < DT_MASTER_INVALID_LOGS_PER_S) {
        self->invalid_logged++;
        char name[160];
        dt_log_warn ("PROTO-INVALID", "peer %s: %s", dt_master_peer_name (name, sizeof name, peer),
                     why);
    } else {
        self->invalid_suppressed++;
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
        char name[160], role[80];
        dt_log_escape (role, sizeof role, peer->role, strnlen (peer->role, sizeof peer->role),
                       sizeof peer->role);
        dt_log_warn ("AUTH-DENIED", "peer %s with role '%s' may not send %s",
                     dt_master_peer_name (name, sizeof name, peer), role,
                     dt_msg_type_name (msg->type));
        dt_master_reply_error (self, peer, msg->req, DT_ERR_DENIED,
                               "not allowed for this key's role");
        return;
    }
    dt_worker_t *worker = dt_workers_find (dt_state_workers (self->state), peer);
    if (worker)
        worker->last_seen = self->now; /* any message renews its leases */
    switch (msg->type) {
    case DT_MSG_HELLO:
        s_on_hello (self, peer, msg);
        break;
    case DT_MSG_RESULTS:
        /* From an unknown peer the results still count (they may be the
         * only copy), then it is told to register again. */
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
    default: {
        char why[64];
        snprintf (why, sizeof why, "unexpected %s from a peer", dt_msg_type_name (msg->type));
        dt_master_on_invalid (self, peer, msg->req, DT_PROTO_EMALFORMED, why);
        break;
    }
    }
}
