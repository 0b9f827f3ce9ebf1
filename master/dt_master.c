/* dt_master.c - the master's event loop: one ROUTER socket in front of the model and the store.
 *
 * One turn of the loop, in this order:
 *   1. poll the ROUTER (and the ZAP handler with CURVE) until a message
 *      arrives or the next deadline passes;
 *   2. drain every message that is ready and apply it to the model; replies
 *      that depend on durable state (SUBMIT_OK, REQUEUE_OK, PAGE) are only
 *      queued;
 *   3. queue what fell due (delayed tasks, retries), then deal queued tasks
 *      to workers with free credit, round-robin;
 *   4. commit the store once (group commit);
 *   5. send the queued replies and answer the parked FETCHes that have
 *      something new: nothing is acknowledged before it is on disk;
 *   6. tick: dead workers, lease timeouts, expired long polls, heartbeats;
 *      it returns when the next of these (or of 3's) is due, which becomes
 *      the next poll timeout.
 *
 * Tasks go out (3) before the commit (4), by design: the workers run them
 * while the commit waits for the disk, so the next turn brings a larger
 * group. A crash between the two leaves workers holding tasks the store
 * never saw, whose ids the next run hands to new submissions. What makes
 * that safe is the run's epoch: every TASKS carries it, every result
 * echoes it, and a result is recorded only for the lease of exactly its
 * (task id, attempt, epoch) held by the connection it came from; the next
 * run's epoch is committed before its socket is bound, so a result of a
 * lost dispatch is counted `late` and dropped, never recorded for another
 * task.
 */
#include "dt_master.h"
#include "dt_master_priv.h"
#include "dt_auth.h"
#include "dt_fault.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_metrics.h"
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
#include <sys/resource.h>

/* Messages handled in one turn before committing and dispatching: bounds how
 * long a flood of requests can hold back acknowledgements and dispatch. */
#define DT_MASTER_DRAIN_MAX 4096

/* New tasks accepted in one turn before the turn commits: bounds one
 * transaction, and the time between heartbeats, when submitters flood. */
#define DT_MASTER_TURN_TASKS_MAX 65536

/* Poll timeout when a send to some worker would have blocked (its HWM is
 * full) while tasks wait: try again soon rather than at the next deadline. */
#define DT_MASTER_BLOCKED_RETRY_MS 10

/* Longest poll: the loop wakes at least this often even with nothing due,
 * so a missed signal wakeup can never hang shutdown. */
#define DT_MASTER_POLL_MAX_MS 1000

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
    self->page_records = calloc (DT_LIMIT_BATCH_MAX, sizeof *self->page_records);
    self->status_workers = calloc (DT_LIMIT_WORKERS_MAX, sizeof *self->status_workers);
    self->jobs_items = calloc (DT_LIMIT_JOBS_MAX, sizeof *self->jobs_items);
    self->jobs_names = malloc ((size_t) DT_LIMIT_JOBS_MAX * DT_LIMIT_JOB_MAX);
    self->links = calloc (DT_LIMIT_WORKERS_MAX, sizeof *self->links);
    self->intents = dt_intents_new ();
    self->waiters = dt_waiters_new ();
    if (!self->take_tasks || !self->take_items || !self->page_items || !self->page_records ||
        !self->status_workers || !self->jobs_items || !self->jobs_names || !self->links ||
        !self->intents || !self->waiters) {
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
        self->archive = dt_archive_open (opts->data_dir, opts->archive_roll,
                                         DT_ARCHIVE_RESERVE_BYTES, why, sizeof why);
        if (!self->archive) {
            snprintf (err, err_size, "archive %s: %s", opts->data_dir, why);
            goto fail;
        }
    }
    dt_state_opts_t state_opts = {
        .max_pending = opts->max_pending,
        .max_attempts = opts->max_attempts,
        .retry_base_ms = opts->retry_base_ms,
        .task_ms = opts->task_ms,
        .window = opts->window,
        .host_limit = opts->host_limit,
        .host_delay_ms = opts->host_delay_ms,
        /* An honest worker's own limit, from a task's start, fires first. */
        .lease_grace_ms = opts->heartbeat_ms,
        .max_store_bytes = opts->max_store_bytes,
    };
    self->state = dt_state_new (&state_opts, self->store);
    if (!self->state) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    dt_state_set_archive (self->state, self->archive);
    if (dt_state_load (self->state) != 0) {
        snprintf (err, err_size, "store %s: recovery failed", opts->data_dir);
        goto fail;
    }
    /* Committed before the socket is bound: no worker can hold a task of
     * this run's epoch from an earlier run. */
    if (dt_state_begin_epoch (self->state) != 0) {
        snprintf (err, err_size, "store %s: cannot record the run's epoch", opts->data_dir);
        goto fail;
    }
    self->committed_seq = dt_state_last_seq (self->state);
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
    dt_conns_opts_t conns_opts = {
        .max_total = opts->max_conns ? opts->max_conns : DT_LIMIT_CONNS_MAX,
        .max_per_addr =
            opts->max_conns_per_addr ? opts->max_conns_per_addr : DT_LIMIT_CONNS_PER_ADDR,
    };
    struct rlimit nofile;
    if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
        rlim_t room = nofile.rlim_cur > 2 * DT_LIMIT_FD_RESERVE
                          ? nofile.rlim_cur - DT_LIMIT_FD_RESERVE
                          : DT_LIMIT_FD_RESERVE;
        if (conns_opts.max_total > room)
            conns_opts.max_total = (uint32_t) room;
    }
    self->conns = dt_conns_new (self->socket, &conns_opts, err, err_size);
    if (!self->conns)
        goto fail;
    self->max_conns = conns_opts.max_total;
    self->max_conns_per_addr = conns_opts.max_per_addr;
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
    dt_conns_destroy (&self->conns);
    zsock_destroy (&self->router);
    if (self->auth) {
        dt_sock_set_curve (NULL);
        dt_auth_destroy (&self->auth);
    }
    zstr_free (&self->endpoint);
    dt_state_destroy (&self->state);
    dt_store_destroy (&self->store);
    dt_archive_destroy (&self->archive);
    free (self->get_buf);
    free (self->export_items);
    dt_intents_destroy (&self->intents);
    dt_waiters_destroy (&self->waiters);
    free (self->take_tasks);
    free (self->take_items);
    free (self->page_items);
    free (self->page_records);
    free (self->jobs_items);
    free (self->jobs_names);
    free (self->status_workers);
    free (self->links);
    free (self);
    *self_p = NULL;
}

const char *dt_master_endpoint (dt_master_t *self)
{
    return self->endpoint;
}

/* ---- Sending ----------------------------------------------------------- */

/* Escaped routing id for logs. Returns `out`. */
char *dt_master_peer_name (char *out, size_t out_size, const dt_peer_t *peer)
{
    return dt_log_escape (out, out_size, peer->id, peer->len, 32);
}

static uint64_t s_peer_hash (const dt_peer_t *peer)
{
    uint64_t hash = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < peer->len; i++)
        hash = (hash ^ peer->id[i]) * 1099511628211ull;
    return hash;
}

/* The slot of `peer` among the peers that lately did not read, or NULL. */
static dt_master_stalled_t *s_stalled (dt_master_t *self, uint64_t hash)
{
    for (size_t i = 0; i < DT_MASTER_DROPPED_PEERS; i++)
        if (self->stalled[i].hash == hash && self->stalled[i].at)
            return &self->stalled[i];
    return NULL;
}

/* Records that a reply to `peer` was dropped now. Returns 1 when the peer
 * was not known as stalled (so it is worth a log line), else 0. */
static int s_mark_stalled (dt_master_t *self, const dt_peer_t *peer)
{
    uint64_t hash = s_peer_hash (peer);
    dt_master_stalled_t *slot = s_stalled (self, hash);
    int first = slot == NULL;
    if (!slot)
        slot = &self->stalled[self->stalled_next++ % DT_MASTER_DROPPED_PEERS];
    slot->hash = hash;
    slot->at = self->now ? self->now : 1;
    return first;
}

int dt_master_peer_stalled (dt_master_t *self, const dt_peer_t *peer)
{
    dt_master_stalled_t *slot = s_stalled (self, s_peer_hash (peer));
    return slot && self->now - slot->at < DT_MASTER_STALL_MS;
}

/* Sends `msg` to a client. A reply that does not fit in the peer's pipe
 * (DT_LIMIT_PEER_REPLIES replies unread) is dropped, not queued: that is
 * what bounds the memory a client that never reads can make us hold. A
 * well-behaved client resends after its timeout, so a lost reply costs it
 * time, never data. */
void dt_master_reply (dt_master_t *self, const dt_msg_t *msg, const dt_peer_t *peer)
{
    int rc = dt_msg_send (msg, self->socket, peer);
    if (rc == 0)
        return;
    if (rc == DT_PROTO_EAGAIN) {
        self->replies_dropped++;
        if (s_mark_stalled (self, peer) && dt_log_admit (DT_LOG_WARN, "REPLY-DROPPED")) {
            char name[160];
            dt_log_warn ("REPLY-DROPPED",
                         "peer %s does not read its replies: %s dropped, and the next ones "
                         "while its queue is full (%" PRIu64 " dropped in all)",
                         dt_master_peer_name (name, sizeof name, peer),
                         dt_msg_type_name (msg->type), self->replies_dropped);
        }
        return;
    }
    /* A client that is gone resends on a fresh socket. */
    if (dt_log_admit (DT_LOG_DEBUG, "REPLY-LOST")) {
        char name[160];
        dt_log_debug ("REPLY-LOST", "%s to peer %s: %s", dt_msg_type_name (msg->type),
                      dt_master_peer_name (name, sizeof name, peer), dt_msg_strerror (rc));
    }
}

void dt_master_reply_error (dt_master_t *self, const dt_peer_t *peer, uint64_t req, uint32_t code,
                            const char *text)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_ERROR;
    msg.req = req;
    msg.error.code = code;
    msg.error.text = dt_str_n (text, strnlen (text, DT_LIMIT_ERROR_MAX));
    dt_master_reply (self, &msg, peer);
}

dt_master_name_t dt_master_worker_name (const dt_worker_t *worker)
{
    dt_master_name_t name;
    dt_log_escape (name.text, sizeof name.text, worker->name, worker->name_len, DT_LIMIT_NAME_MAX);
    return name;
}

/* Forgets a worker that is gone and requeues what it held. `why` is the
 * log tag. Nulls the pointer. */
void dt_master_drop_worker (dt_master_t *self, dt_worker_t **worker_p, const char *why)
{
    dt_worker_t *worker = *worker_p;
    dt_master_name_t name = dt_master_worker_name (worker);
    uint32_t held = dt_state_drop_worker (self->state, worker_p, self->now);
    dt_log_peer_info (why, "worker %s gone: %" PRIu32 " leased tasks ended", name.text, held);
}

/* Sends `msg` to a worker. Returns 0 (or EAGAIN: it is alive but slow, the
 * next heartbeat or dispatch covers it), or -1 when the worker was dropped
 * because it is unreachable (the pointer is nulled). */
int dt_master_send_worker (dt_master_t *self, const dt_msg_t *msg, dt_worker_t **worker_p)
{
    dt_worker_t *worker = *worker_p;
    int rc = dt_msg_send (msg, self->socket, &worker->peer);
    if (rc == DT_PROTO_EUNREACH) {
        dt_master_drop_worker (self, worker_p, "WORKER-UNREACHABLE");
        return -1;
    }
    if (rc == 0)
        dt_master_link (self, worker)->last_sent = self->now;
    else if (rc != DT_PROTO_EAGAIN)
        dt_log_peer_warn ("MASTER-SEND", "%s to worker %s: %s", dt_msg_type_name (msg->type),
                          dt_master_worker_name (worker).text, dt_msg_strerror (rc));
    return 0;
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
        /* Valid or not, a message came whole from that connection. */
        dt_conns_heard (self->conns, dt_msg_source_fd (&msg));
        if (got == DT_PROTO_ENOMEM)
            dt_log_peer_warn ("MASTER-NOMEM", "message dropped: out of memory");
        else if (got != 0)
            dt_master_on_invalid (self, &peer, msg.req, got, dt_msg_strerror (got));
        else
            dt_master_handle (self, &peer, &msg);
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
    /* With --http, a commit that writes is timed for the latency histogram. */
    int timed = self->opts.metrics && self->store && dt_store_dirty (self->store);
    int64_t t0 = timed ? dt_metrics_clock_us () : 0;
    /* The captures first: a result that names one is never durable
     * before its bytes. */
    if (self->archive && dt_archive_sync (self->archive) != 0) {
        dt_log_error ("MASTER-STORE", "archive sync failed: stopping without acknowledging");
        return -1;
    }
    if (self->store && dt_store_commit (self->store) != 0) {
        dt_log_error ("MASTER-STORE", "commit failed: stopping without acknowledging");
        return -1;
    }
    self->committed_seq = dt_state_last_seq (self->state);
    if (timed)
        dt_metrics_commit_observe (self->opts.metrics, dt_metrics_clock_us () - t0);
    return 0;
}

/* ---- Dispatch ----------------------------------------------------------- */

static int s_can_take (dt_master_t *self, const dt_worker_t *worker)
{
    return worker && dt_workers_free (worker) > 0 &&
           dt_master_link (self, worker)->blocked_turn != self->turn;
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
            uint32_t n = dt_state_take_kinds (self->state, worker->kinds, (uint32_t) want,
                                              self->take_items, self->take_tasks);
            if (n == 0) {
                /* Queued but nothing for this worker (other kinds, or
                 * parked behind their hosts' limits): the next worker may
                 * serve them; look again soon, do not spin. */
                self->blocked = 1;
                continue;
            }
            dt_msg_t msg;
            dt_msg_init (&msg);
            msg.type = DT_MSG_TASKS;
            msg.tasks.epoch = dt_state_epoch (self->state);
            msg.tasks.count = n;
            msg.tasks.items = self->take_items;
            const dt_msg_httpopt_t *http;
            msg.tasks.nhttp = dt_state_take_http (self->state, &http);
            msg.tasks.http = (dt_msg_httpopt_t *) http;
            int rc = dt_msg_send (&msg, self->socket, &worker->peer);
            if (rc == 0) {
                DT_FAULT_CRASH ("master-after-dispatch");
                dt_state_lease (self->state, worker, self->take_tasks, n, self->now);
                dt_master_link (self, worker)->last_sent = self->now;
                self->rr = slot;
                progress = 1;
                continue;
            }
            dt_state_untake (self->state, self->take_tasks, n);
            if (rc == DT_PROTO_EUNREACH) {
                dt_master_drop_worker (self, &worker, "WORKER-UNREACHABLE");
                continue;
            }
            if (rc != DT_PROTO_EAGAIN)
                dt_log_peer_warn ("MASTER-SEND", "TASKS to worker %s: %s",
                                  dt_master_worker_name (worker).text, dt_msg_strerror (rc));
            dt_master_link (self, worker)->blocked_turn = self->turn;
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
        dt_master_link_t *link = dt_master_link (self, worker);
        /* With messages still waiting, its heartbeat may be among them. */
        if (!self->backlog && now - link->last_seen >= dead_ms) {
            dt_master_drop_worker (self, &worker, "WORKER-DEAD");
            continue;
        }
        next = s_min (next, link->last_seen + dead_ms);
        uint32_t expired = dt_state_expire_leases (self->state, worker, now);
        if (expired)
            dt_log_peer_info ("LEASE-EXPIRED",
                              "worker %s: %" PRIu32 " tasks over %" PRIu32 " ms ended",
                              dt_master_worker_name (worker).text, expired, self->opts.task_ms);
        next = s_min (next, dt_state_lease_deadline (self->state, worker));
        if (now - link->last_sent >= self->opts.heartbeat_ms) {
            dt_msg_t beat;
            dt_msg_init (&beat);
            beat.type = DT_MSG_HEARTBEAT;
            if (dt_master_send_worker (self, &beat, &worker) != 0)
                continue;
            /* Also after EAGAIN: a worker that is not reading is not helped
             * by a heartbeat every turn. */
            link->last_sent = now;
        }
        next = s_min (next, link->last_sent + self->opts.heartbeat_ms);
    }
    next = s_min (next, dt_state_next_due (self->state));
    next = s_min (next, dt_master_expire_waiters (self));
    next = s_min (next, dt_conns_watch (self->conns, now));
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
    dt_master_send_intents (self);
    dt_master_stop_waiters (self);
    dt_msg_stats_t stats;
    dt_state_stats (self->state, dt_str_n ("", 0), &stats);
    dt_log_info ("MASTER-STOP",
                 "stopping: %" PRIu64 " submitted, %" PRIu64 " done, %" PRIu64 " failed, %" PRIu64
                 " unfinished",
                 stats.submitted, stats.done, stats.failed,
                 stats.pending + stats.inflight + stats.delayed);
    return 0;
}

/* A worker's last message, for the metrics' idle times. */
static int64_t s_last_seen (void *arg, const dt_worker_t *worker)
{
    return dt_master_link (arg, worker)->last_seen;
}

int dt_master_run (dt_master_t *self)
{
    if (self->opts.metrics)
        dt_metrics_set_seen (self->opts.metrics, s_last_seen, self);
    dt_log_info ("MASTER-START",
                 "listening on %s (%s%s), heartbeat %" PRIu32 " ms x %" PRIu32
                 ", task limit %" PRIu32 " ms, %" PRIu32 " attempts",
                 self->endpoint, self->store ? self->opts.data_dir : "memory only",
                 self->auth ? ", CURVE" : ", plaintext", self->opts.heartbeat_ms,
                 self->opts.liveness, self->opts.task_ms, self->opts.max_attempts);
    if (self->opts.host_limit)
        dt_log_info ("MASTER-HOSTS", "at most %" PRIu32 " tasks of one host out at once",
                     self->opts.host_limit);
    if (self->opts.host_delay_ms)
        dt_log_info ("MASTER-HOSTS", "at least %" PRIu32 " ms between two requests to one origin",
                     self->opts.host_delay_ms);
    dt_log_info ("MASTER-CONNS",
                 "at most %" PRIu32 " connections, %" PRIu32 " from one address; handshakes "
                 "within %d ms",
                 self->max_conns, self->max_conns_per_addr, DT_LIMIT_HANDSHAKE_MS);
    int more = 0;
    while (!zsys_interrupted) {
        enum { S_ROUTER, S_CONNS, S_ZAP, S_ITEMS };
        zmq_pollitem_t items[S_ITEMS] = {{self->socket, 0, ZMQ_POLLIN, 0},
                                         {dt_conns_socket (self->conns), 0, ZMQ_POLLIN, 0},
                                         {NULL, 0, ZMQ_POLLIN, 0}};
        if (self->auth)
            items[S_ZAP].socket = zsock_resolve (dt_auth_socket (self->auth));
        if (zmq_poll (items, self->auth ? 3 : 2, s_timeout (self, more)) == -1) {
            if (errno == EINTR)
                continue;
            dt_log_error ("MASTER-POLL", "zmq_poll: %s", zmq_strerror (errno));
            return -1;
        }
        /* Connections first: one over a budget is closed before it costs a
         * handshake. Then handshakes: a connection waiting for ZAP carries
         * no traffic. Both are bounded per turn, so a flood of either
         * cannot starve the messages of the peers already in. */
        if ((items[S_CONNS].revents & ZMQ_POLLIN) && dt_conns_handle (self->conns) != 0)
            dt_log_warn ("MASTER-CONNS", "reading the connection monitor failed");
        if (self->auth && (items[S_ZAP].revents & ZMQ_POLLIN) && dt_auth_handle (self->auth) != 0)
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
         * disk, so the next turn brings a larger group. The epoch makes a
         * crash in between harmless (see the top of this file). */
        /* What fell due joins the queue before this turn's dispatch: the
         * turn the poll woke for is the one that sends it, ahead of its
         * commit, so a due task never waits for a group's fsync. */
        dt_state_promote_due (self->state, self->now);
        s_dispatch (self);
        if (s_commit (self) != 0)
            return -1;
        dt_master_send_intents (self);
        dt_master_serve_waiters (self);
        self->next_deadline = s_tick (self);
        dt_log_flush ();
        if (dt_state_broken (self->state))
            return -1;
        if (self->opts.metrics)
            self->next_deadline =
                s_min (self->next_deadline,
                       dt_metrics_publish (self->opts.metrics, self->state, self->now));
    }
    return s_stop (self);
}
