/* dt_master.c - the master's event loop: one ROUTER socket in front of the model and the store.
 *
 * One turn of the loop, in this order:
 *   1. poll the ROUTER (and the ZAP handler with CURVE) until a message
 *      arrives or the next deadline passes;
 *   2. drain every message that is ready and apply it to the model; replies
 *      that depend on durable state (SUBMIT_OK, REQUEUE_OK, PAGE) are only
 *      queued;
 *   3. commit the store once (group commit);
 *   4. send the queued replies and answer the parked FETCHes that have
 *      something new: nothing is acknowledged before it is on disk;
 *   5. deal queued tasks to workers with free credit, round-robin;
 *   6. tick: dead workers, lease timeouts, due retries, expired long polls,
 *      heartbeats; it returns when the next of these is due, which becomes
 *      the next poll timeout.
 */
#include "dt_master.h"
#include "dt_auth.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_sock.h"
#include "dt_state.h"
#include "dt_store.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages handled in one turn before committing and dispatching: bounds how
 * long a flood of requests can hold back acknowledgements and dispatch. */
#define DT_MASTER_DRAIN_MAX 4096

/* New tasks accepted in one turn before the turn commits: bounds one
 * transaction, and the time between heartbeats, when submitters flood. */
#define DT_MASTER_TURN_TASKS_MAX 65536

/* FETCH requests parked at once. Each costs ~400 bytes; past this many a
 * FETCH is answered at once with what there is, so a client cannot make the
 * master hold unbounded state by long-polling from many sockets. */
#define DT_MASTER_WAITERS_MAX 4096

/* Longest a FETCH is held: clients ask for seconds; a wait of days from a
 * peer that is long gone would only pin a slot. */
#define DT_MASTER_WAIT_MAX_MS 60000

/* Poll timeout when a send to some worker would have blocked (its HWM is
 * full) while tasks wait: try again soon rather than at the next deadline. */
#define DT_MASTER_BLOCKED_RETRY_MS 10

/* Longest poll: the loop wakes at least this often even with nothing due,
 * so a missed signal wakeup can never hang shutdown. */
#define DT_MASTER_POLL_MAX_MS 1000

/* PROTO-INVALID lines per second; the rest are counted and summarised. */
#define DT_MASTER_INVALID_LOGS_PER_S 10

/* A reply that may only be sent after the group commit. */
typedef struct {
    dt_peer_t peer;             /* client routing id */
    uint64_t req;               /* echoed */
    dt_msg_type_t type;         /* DT_MSG_SUBMIT_OK, DT_MSG_REQUEUE_OK or DT_MSG_CANCEL_OK */
    char job[DT_LIMIT_JOB_MAX]; /* SUBMIT_OK: job id bytes, NOT NUL-terminated */
    uint32_t job_len;           /* bytes in job */
    uint32_t chunk;             /* SUBMIT_OK */
    uint64_t first_id;          /* SUBMIT_OK */
    uint64_t count;             /* SUBMIT_OK: tasks; REQUEUE_OK, CANCEL_OK: tasks affected */
} s_intent_t;

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
    uint64_t checked;           /* results log position at the last look; UINT64_MAX: never */
} s_waiter_t;

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
    s_intent_t *intents;             /* replies waiting for the commit */
    size_t nintents;                 /* entries used */
    size_t intents_capacity;         /* entries allocated */
    s_waiter_t *waiters;             /* FETCHes not answered yet */
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

/* ---- Setup ------------------------------------------------------------- */

dt_master_t *dt_master_new (const dt_master_opts_t *opts, char *err, size_t err_size)
{
    dt_master_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->opts = *opts;
    self->take_tasks = calloc (DT_LIMIT_BATCH_MAX, sizeof *self->take_tasks);
    self->take_items = calloc (DT_LIMIT_BATCH_MAX, sizeof *self->take_items);
    self->page_items = calloc (DT_LIMIT_BATCH_MAX, sizeof *self->page_items);
    self->status_workers = calloc (DT_LIMIT_WORKERS_MAX, sizeof *self->status_workers);
    if (!self->take_tasks || !self->take_items || !self->page_items || !self->status_workers) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    if (opts->data_dir) {
        char why[256] = "";
        self->store = dt_store_open (opts->data_dir, why, sizeof why);
        if (!self->store) {
            snprintf (err, err_size, "store %s: %s", opts->data_dir, why);
            goto fail;
        }
    }
    dt_state_opts_t state_opts = {
        .max_pending = opts->max_pending,
        .max_attempts = opts->max_attempts,
        .retry_base_ms = opts->retry_base_ms,
        .task_ms = opts->task_ms,
        .window = opts->window,
    };
    self->state = dt_state_new (&state_opts, self->store);
    if (!self->state) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    if (dt_state_load (self->state) != 0) {
        snprintf (err, err_size, "store %s: recovery failed", opts->data_dir);
        goto fail;
    }
    if (opts->keys_dir) {
        self->auth = dt_auth_new (opts->keys_dir, err, err_size);
        if (!self->auth)
            goto fail;
        dt_sock_curve_t curve = {dt_auth_cert (self->auth), NULL, DT_AUTH_DOMAIN};
        dt_sock_set_curve (&curve);
    }
    self->router = dt_sock_new_router (opts->bind, err, err_size);
    if (!self->router)
        goto fail;
    self->socket = zsock_resolve (self->router);
    self->endpoint = zsock_last_endpoint (self->router);
    if (!self->endpoint) {
        snprintf (err, err_size, "bind %s: no endpoint", opts->bind);
        goto fail;
    }
    self->now = zclock_mono ();
    self->next_deadline = self->now;
    return self;
fail:
    dt_master_destroy (&self);
    return NULL;
}

void dt_master_destroy (dt_master_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_master_t *self = *self_p;
    zsock_destroy (&self->router);
    if (self->auth) {
        dt_sock_set_curve (NULL);
        dt_auth_destroy (&self->auth);
    }
    zstr_free (&self->endpoint);
    dt_state_destroy (&self->state);
    dt_store_destroy (&self->store);
    free (self->intents);
    free (self->waiters);
    free (self->take_tasks);
    free (self->take_items);
    free (self->page_items);
    free (self->status_workers);
    free (self);
    *self_p = NULL;
}

const char *dt_master_endpoint (dt_master_t *self)
{
    return self->endpoint;
}

/* ---- Sending ----------------------------------------------------------- */

/* Escaped routing id for logs. Returns `out`. */
static char *s_peer_name (char *out, size_t out_size, const dt_peer_t *peer)
{
    return dt_log_escape (out, out_size, peer->id, peer->len, 32);
}

/* Sends `msg` to a client. A client that is gone or not reading will resend
 * on a fresh socket, so a failed reply is only worth a debug line. */
static void s_reply (dt_master_t *self, const dt_msg_t *msg, const dt_peer_t *peer)
{
    int rc = dt_msg_send (msg, self->socket, peer);
    if (rc != 0 && dt_log_enabled (DT_LOG_DEBUG)) {
        char name[160];
        dt_log_debug ("REPLY-LOST", "%s to peer %s: %s", dt_msg_type_name (msg->type),
                      s_peer_name (name, sizeof name, peer), dt_msg_strerror (rc));
    }
}

static void s_reply_error (dt_master_t *self, const dt_peer_t *peer, uint64_t req, uint32_t code,
                           const char *text)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_ERROR;
    msg.req = req;
    msg.error.code = code;
    msg.error.text = dt_str_n (text, strnlen (text, DT_LIMIT_ERROR_MAX));
    s_reply (self, &msg, peer);
}

/* A worker's name (chosen by the peer) escaped for logs. */
typedef struct {
    char text[DT_LIMIT_NAME_MAX * 4 + 8];
} s_name_t;

static s_name_t s_worker_name (const dt_worker_t *worker)
{
    s_name_t name;
    dt_log_escape (name.text, sizeof name.text, worker->name, worker->name_len, DT_LIMIT_NAME_MAX);
    return name;
}

/* Forgets a worker that is gone and requeues what it held. `why` is the
 * log tag. Nulls the pointer. */
static void s_drop_worker (dt_master_t *self, dt_worker_t **worker_p, const char *why)
{
    dt_worker_t *worker = *worker_p;
    s_name_t name = s_worker_name (worker);
    uint32_t held = dt_state_drop_worker (self->state, worker_p);
    dt_log_info (why, "worker %s gone: %" PRIu32 " leased tasks ended", name.text, held);
}

/* Sends `msg` to a worker. Returns 0 (or EAGAIN: it is alive but slow, the
 * next heartbeat or dispatch covers it), or -1 when the worker was dropped
 * because it is unreachable (the pointer is nulled). */
static int s_send_worker (dt_master_t *self, const dt_msg_t *msg, dt_worker_t **worker_p)
{
    dt_worker_t *worker = *worker_p;
    int rc = dt_msg_send (msg, self->socket, &worker->peer);
    if (rc == DT_PROTO_EUNREACH) {
        s_drop_worker (self, worker_p, "WORKER-UNREACHABLE");
        return -1;
    }
    if (rc == 0)
        worker->last_sent = self->now;
    else if (rc != DT_PROTO_EAGAIN)
        dt_log_warn ("MASTER-SEND", "%s to worker %s: %s", dt_msg_type_name (msg->type),
                     s_worker_name (worker).text, dt_msg_strerror (rc));
    return 0;
}

/* ---- Queued replies and long polls -------------------------------------- */

static s_intent_t *s_intent_new (dt_master_t *self, const dt_peer_t *peer, uint64_t req,
                                 dt_msg_type_t type)
{
    if (self->nintents == self->intents_capacity) {
        size_t capacity = self->intents_capacity ? self->intents_capacity * 2 : 64;
        s_intent_t *intents = realloc (self->intents, capacity * sizeof *intents);
        if (!intents)
            return NULL;
        self->intents = intents;
        self->intents_capacity = capacity;
    }
    s_intent_t *intent = &self->intents[self->nintents++];
    intent->peer = *peer;
    intent->req = req;
    intent->type = type;
    intent->job_len = 0;
    return intent;
}

/* Sends the replies that waited for the commit. */
static void s_send_intents (dt_master_t *self)
{
    for (size_t i = 0; i < self->nintents; i++) {
        const s_intent_t *intent = &self->intents[i];
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
        } else {
            msg.requeue_ok.count = intent->count;
        }
        s_reply (self, &msg, &intent->peer);
    }
    self->nintents = 0;
}

/* Sends a PAGE for `waiter` from its cursor (empty when `empty`), and
 * advances its cursor. Returns the results sent. */
static uint32_t s_page (dt_master_t *self, s_waiter_t *waiter, int empty)
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
        s_reply (self, &msg, &waiter->peer);
    return msg.page.count;
}

static void s_waiter_remove (dt_master_t *self, size_t i)
{
    self->waiters[i] = self->waiters[--self->nwaiters];
}

/* Answers the FETCHes that have results now (or must be answered now).
 * Only right after a commit: pages never show what is not durable. */
static void s_serve_waiters (dt_master_t *self)
{
    uint64_t last = dt_state_last_seq (self->state);
    for (size_t i = 0; i < self->nwaiters;) {
        s_waiter_t *waiter = &self->waiters[i];
        if (waiter->checked == last && waiter->deadline > self->now) {
            i++;
            continue; /* nothing new since it last looked */
        }
        waiter->checked = last;
        if (s_page (self, waiter, 0) > 0) {
            s_waiter_remove (self, i);
        } else if (waiter->deadline <= self->now) {
            s_page (self, waiter, 1);
            s_waiter_remove (self, i);
        } else {
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
                     s_worker_name (worker).text, capacity, worker->leases.count);
    } else {
        worker = dt_workers_add (workers, peer, msg->hello.name, capacity, self->now);
        if (!worker) {
            s_reply_error (self, peer, msg->req, DT_ERR_TOO_MANY_WORKERS, "too many workers");
            return;
        }
        dt_log_info ("WORKER-JOIN", "worker %s: capacity %" PRIu32 ", %zu workers",
                     s_worker_name (worker).text, capacity, dt_workers_count (workers));
    }
    dt_msg_t welcome;
    dt_msg_init (&welcome);
    welcome.type = DT_MSG_WELCOME;
    welcome.welcome.heartbeat_ms = self->opts.heartbeat_ms;
    welcome.welcome.liveness = self->opts.liveness;
    welcome.welcome.task_ms = self->opts.task_ms;
    s_send_worker (self, &welcome, &worker);
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
        s_reply_error (self, peer, msg->req, (uint32_t) rc, why);
        return;
    }
    self->turn_tasks += count;
    s_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_SUBMIT_OK);
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
        s_waiter_t *waiters = realloc (self->waiters, capacity * sizeof *waiters);
        if (!waiters) {
            s_reply_error (self, peer, msg->req, DT_ERR_STORE, "out of memory");
            return;
        }
        self->waiters = waiters;
        self->waiters_capacity = capacity;
    }
    s_waiter_t *waiter = &self->waiters[self->nwaiters++];
    waiter->peer = *peer;
    waiter->req = msg->req;
    if (msg->fetch.job.len)
        memcpy (waiter->job, msg->fetch.job.ptr, msg->fetch.job.len);
    waiter->job_len = msg->fetch.job.len;
    waiter->max = msg->fetch.max;
    waiter->flags = msg->fetch.flags;
    waiter->cursor = msg->fetch.cursor;
    waiter->checked = UINT64_MAX;
    uint32_t wait_ms = msg->fetch.wait_ms;
    if (wait_ms > DT_MASTER_WAIT_MAX_MS || self->nwaiters > DT_MASTER_WAITERS_MAX)
        wait_ms = self->nwaiters > DT_MASTER_WAITERS_MAX ? 0 : DT_MASTER_WAIT_MAX_MS;
    /* Even with results ready it is answered after the commit (s_serve_waiters). */
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
    s_reply (self, &reply, peer);
}

static void s_on_requeue (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    uint64_t count = 0;
    if (dt_state_requeue (self->state, msg->requeue.job, &count) != 0)
        return; /* broken: the loop stops before anything is acknowledged */
    s_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_REQUEUE_OK);
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
    s_intent_t *intent = s_intent_new (self, peer, msg->req, DT_MSG_CANCEL_OK);
    if (!intent) {
        dt_log_warn ("MASTER-NOMEM", "CANCEL_OK dropped: out of memory");
        return;
    }
    intent->count = count;
    char job[DT_LIMIT_JOB_MAX * 4 + 1];
    dt_log_escape (job, sizeof job, msg->cancel.job.ptr, msg->cancel.job.len, DT_LIMIT_JOB_MAX);
    dt_log_info ("MASTER-CANCEL", "job %s: %" PRIu64 " unfinished tasks cancelled", job, count);
}

/* Counts and (rate-limited) logs a message that did not decode or makes no
 * sense here, and answers ERROR when it can. */
static void s_on_invalid (dt_master_t *self, const dt_peer_t *peer, uint64_t req, int rc,
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
        dt_log_warn ("PROTO-INVALID", "peer %s: %s", s_peer_name (name, sizeof name, peer), why);
    } else {
        self->invalid_suppressed++;
    }
    if (peer->len == 0)
        return;
    uint32_t code = rc == DT_PROTO_EVERSION  ? DT_ERR_VERSION
                    : rc == DT_PROTO_ETOOBIG ? DT_ERR_TOO_BIG
                                             : DT_ERR_MALFORMED;
    s_reply_error (self, peer, req, code, why);
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
static void s_dispatch_message (dt_master_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    if (!s_allowed (peer, msg->type)) {
        char name[160], role[80];
        dt_log_escape (role, sizeof role, peer->role, strnlen (peer->role, sizeof peer->role),
                       sizeof peer->role);
        dt_log_warn ("AUTH-DENIED", "peer %s with role '%s' may not send %s",
                     s_peer_name (name, sizeof name, peer), role, dt_msg_type_name (msg->type));
        s_reply_error (self, peer, msg->req, DT_ERR_DENIED, "not allowed for this key's role");
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
            s_reply_error (self, peer, 0, DT_ERR_UNKNOWN_PEER, "unknown worker: send HELLO");
        break;
    case DT_MSG_HEARTBEAT:
        if (!worker)
            s_reply_error (self, peer, 0, DT_ERR_UNKNOWN_PEER, "unknown worker: send HELLO");
        break;
    case DT_MSG_BYE:
        if (worker)
            s_drop_worker (self, &worker, "WORKER-BYE");
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
    default: {
        char why[64];
        snprintf (why, sizeof why, "unexpected %s from a peer", dt_msg_type_name (msg->type));
        s_on_invalid (self, peer, msg->req, DT_PROTO_EMALFORMED, why);
        break;
    }
    }
}

/* Receives and applies every message that is ready, up to
 * DT_MASTER_DRAIN_MAX. Returns 1 when more may be waiting, 0 when drained,
 * -1 on a socket failure. */
static int s_drain (dt_master_t *self)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    int rc = 0;
    for (int n = 0; n < DT_MASTER_DRAIN_MAX; n++) {
        dt_peer_t peer;
        peer.len = 0;
        int got = dt_msg_recv (&msg, self->socket, &peer, ZMQ_DONTWAIT);
        if (got == DT_PROTO_EAGAIN)
            goto done;
        if (got == DT_PROTO_EIO) {
            if (errno == EINTR)
                goto done;
            dt_log_error ("MASTER-RECV", "zmq_msg_recv: %s", zmq_strerror (errno));
            rc = -1;
            goto done;
        }
        if (got == DT_PROTO_ENOMEM)
            dt_log_warn ("MASTER-NOMEM", "message dropped: out of memory");
        else if (got != 0)
            s_on_invalid (self, &peer, 0, got, dt_msg_strerror (got));
        else
            s_dispatch_message (self, &peer, &msg);
        dt_msg_reset (&msg);
        if (dt_state_broken (self->state))
            goto done;
        if (self->turn_tasks >= DT_MASTER_TURN_TASKS_MAX)
            break;
    }
    rc = 1;
done:
    dt_msg_reset (&msg);
    return rc;
}

/* Makes this turn's changes durable. Returns 0, or -1 when they are not:
 * then nothing may be acknowledged. */
static int s_commit (dt_master_t *self)
{
    if (dt_state_broken (self->state))
        return -1;
    if (self->store && dt_store_commit (self->store) != 0) {
        dt_log_error ("MASTER-STORE", "commit failed: stopping without acknowledging");
        return -1;
    }
    return 0;
}

/* ---- Dispatch ----------------------------------------------------------- */

static int s_can_take (const dt_master_t *self, const dt_worker_t *worker)
{
    return worker && dt_workers_free (worker) > 0 && worker->blocked_turn != self->turn;
}

/* Deals queued tasks to workers with free credit, round-robin, each a
 * share of the queue so that a small queue is spread over all of them. */
static void s_dispatch (dt_master_t *self)
{
    dt_workers_t *workers = dt_state_workers (self->state);
    self->blocked = 0;
    while (dt_state_queued (self->state) > 0 && dt_workers_free_total (workers) > 0) {
        uint32_t slots = dt_workers_slots (workers), ready = 0;
        for (uint32_t slot = 0; slot < slots; slot++)
            ready += s_can_take (self, dt_workers_at (workers, slot));
        if (ready == 0)
            break;
        uint64_t share = (dt_state_queued (self->state) + ready - 1) / ready;
        int progress = 0;
        for (uint32_t i = 0; i < slots && dt_state_queued (self->state) > 0; i++) {
            uint32_t slot = (self->rr + 1 + i) % slots;
            dt_worker_t *worker = dt_workers_at (workers, slot);
            if (!s_can_take (self, worker))
                continue;
            uint64_t want = dt_workers_free (worker);
            if (want > share)
                want = share;
            if (want > DT_LIMIT_BATCH_MAX)
                want = DT_LIMIT_BATCH_MAX;
            uint32_t n =
                dt_state_take (self->state, (uint32_t) want, self->take_items, self->take_tasks);
            if (n == 0)
                break;
            dt_msg_t msg;
            dt_msg_init (&msg);
            msg.type = DT_MSG_TASKS;
            msg.tasks.count = n;
            msg.tasks.items = self->take_items;
            int rc = dt_msg_send (&msg, self->socket, &worker->peer);
            if (rc == 0) {
                dt_state_lease (self->state, worker, self->take_tasks, n, self->now);
                worker->last_sent = self->now;
                self->rr = slot;
                progress = 1;
                continue;
            }
            dt_state_untake (self->state, self->take_tasks, n);
            if (rc == DT_PROTO_EUNREACH) {
                s_drop_worker (self, &worker, "WORKER-UNREACHABLE");
                continue;
            }
            if (rc != DT_PROTO_EAGAIN)
                dt_log_warn ("MASTER-SEND", "TASKS to worker %s: %s", s_worker_name (worker).text,
                             dt_msg_strerror (rc));
            worker->blocked_turn = self->turn;
            self->blocked = 1;
        }
        if (!progress)
            break;
    }
}

/* ---- Tick --------------------------------------------------------------- */

static int64_t s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Applies every deadline that has passed. Returns when the next one is due
 * (monotonic ms). */
static int64_t s_tick (dt_master_t *self)
{
    int64_t now = self->now, next = INT64_MAX;
    int64_t dead_ms = (int64_t) self->opts.heartbeat_ms * self->opts.liveness;
    dt_workers_t *workers = dt_state_workers (self->state);
    for (uint32_t slot = 0; slot < dt_workers_slots (workers); slot++) {
        dt_worker_t *worker = dt_workers_at (workers, slot);
        if (!worker)
            continue;
        /* With messages still waiting, its heartbeat may be among them. */
        if (!self->backlog && now - worker->last_seen >= dead_ms) {
            s_drop_worker (self, &worker, "WORKER-DEAD");
            continue;
        }
        next = s_min (next, worker->last_seen + dead_ms);
        uint32_t expired = dt_state_expire_leases (self->state, worker, now);
        if (expired)
            dt_log_info ("LEASE-EXPIRED", "worker %s: %" PRIu32 " tasks over %" PRIu32 " ms ended",
                         s_worker_name (worker).text, expired, self->opts.task_ms);
        if (worker->leases.head)
            next = s_min (next, worker->leases.head->since + self->opts.task_ms);
        if (now - worker->last_sent >= self->opts.heartbeat_ms) {
            dt_msg_t beat;
            dt_msg_init (&beat);
            beat.type = DT_MSG_HEARTBEAT;
            if (s_send_worker (self, &beat, &worker) != 0)
                continue;
            /* Also after EAGAIN: a worker that is not reading is not helped
             * by a heartbeat every turn. */
            worker->last_sent = now;
        }
        next = s_min (next, worker->last_sent + self->opts.heartbeat_ms);
    }
    dt_state_promote_due (self->state, now);
    next = s_min (next, dt_state_next_due (self->state));
    for (size_t i = 0; i < self->nwaiters;) {
        s_waiter_t *waiter = &self->waiters[i];
        if (waiter->deadline <= now) {
            /* Its cursor only ever moved right after a commit, so an empty
             * page with it never points past what is durable. */
            s_page (self, waiter, 1);
            s_waiter_remove (self, i);
            continue;
        }
        next = s_min (next, waiter->deadline);
        i++;
    }
    return next;
}

/* Milliseconds to wait in zmq_poll. */
static long s_timeout (const dt_master_t *self, int more)
{
    if (more)
        return 0;
    dt_workers_t *workers = dt_state_workers (self->state);
    int runnable = dt_state_queued (self->state) > 0 && dt_workers_free_total (workers) > 0;
    if (runnable && !self->blocked)
        return 0; /* the tick freed credit or queued tasks: deal them now */
    int64_t wait = self->next_deadline - zclock_mono ();
    if (runnable && wait > DT_MASTER_BLOCKED_RETRY_MS)
        wait = DT_MASTER_BLOCKED_RETRY_MS;
    if (wait > DT_MASTER_POLL_MAX_MS)
        wait = DT_MASTER_POLL_MAX_MS;
    return wait < 0 ? 0 : (long) wait;
}

/* ---- The loop ----------------------------------------------------------- */

/* On SIGINT/SIGTERM: what was accepted is made durable and answered, and
 * parked clients are told the master is stopping. */
static int s_stop (dt_master_t *self)
{
    if (s_commit (self) != 0)
        return -1;
    s_send_intents (self);
    for (size_t i = 0; i < self->nwaiters; i++)
        s_reply_error (self, &self->waiters[i].peer, self->waiters[i].req, DT_ERR_STOPPING,
                       "master is stopping");
    self->nwaiters = 0;
    dt_msg_stats_t stats;
    dt_state_stats (self->state, dt_str_n ("", 0), &stats);
    dt_log_info ("MASTER-STOP",
                 "stopping: %" PRIu64 " submitted, %" PRIu64 " done, %" PRIu64 " failed, %" PRIu64
                 " unfinished",
                 stats.submitted, stats.done, stats.failed,
                 stats.pending + stats.inflight + stats.delayed);
    return 0;
}

int dt_master_run (dt_master_t *self)
{
    dt_log_info ("MASTER-START",
                 "listening on %s (%s%s), heartbeat %" PRIu32 " ms x %" PRIu32
                 ", task limit %" PRIu32 " ms, %" PRIu32 " attempts",
                 self->endpoint, self->store ? self->opts.data_dir : "memory only",
                 self->auth ? ", CURVE" : ", plaintext", self->opts.heartbeat_ms,
                 self->opts.liveness, self->opts.task_ms, self->opts.max_attempts);
    int more = 0;
    while (!zsys_interrupted) {
        zmq_pollitem_t items[2] = {{self->socket, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
        if (self->auth)
            items[1].socket = zsock_resolve (dt_auth_socket (self->auth));
        if (zmq_poll (items, self->auth ? 2 : 1, s_timeout (self, more)) == -1) {
            if (errno == EINTR)
                continue;
            dt_log_error ("MASTER-POLL", "zmq_poll: %s", zmq_strerror (errno));
            return -1;
        }
        /* Handshakes first: a connection waiting for ZAP carries no traffic. */
        if (self->auth && (items[1].revents & ZMQ_POLLIN) && dt_auth_handle (self->auth) != 0)
            dt_log_warn ("AUTH-ZAP", "answering ZAP requests failed");
        self->now = zclock_mono ();
        self->turn++;
        self->turn_tasks = 0;
        more = s_drain (self);
        self->backlog = more > 0;
        if (more < 0 || dt_state_broken (self->state))
            return -1;
        /* Tasks go out before the commit: sending them acknowledges
         * nothing, and the workers run them while the commit waits for the
         * disk, so the next turn brings a larger group. */
        s_dispatch (self);
        if (s_commit (self) != 0)
            return -1;
        s_send_intents (self);
        s_serve_waiters (self);
        self->next_deadline = s_tick (self);
        if (dt_state_broken (self->state))
            return -1;
    }
    return s_stop (self);
}
