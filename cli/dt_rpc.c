/* dt_rpc.c - the CLI's request/reply engine: pipelined requests, Lazy Pirate resends. */
#include "dt_rpc.h"
#include "dt_log.h"
#include "dt_sock.h"

#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* The first try waits a third of --timeout, so a dead master is retried
 * twice before the CLI gives up; never less than a LAN round trip with a busy
 * master, never so long that a lost request stalls a healthy run. Each
 * resend doubles it, up to TRY_MAX_MS, which also bounds how long a waiting
 * CLI takes to notice a restarted master. */
#define DT_RPC_TRY_MIN_MS       100
#define DT_RPC_TRY_FIRST_MAX_MS 3000
#define DT_RPC_TRY_MAX_MS       5000

/* Invalid replies logged at warning level; after that, debug only, so a
 * broken peer cannot flood the terminal. */
#define DT_RPC_INVALID_LOGGED 10

typedef struct {
    uint64_t req;     /* the id its reply must echo */
    void *data;       /* the encoded request, kept for resends; owned */
    size_t size;      /* bytes at data */
    uint32_t hold_ms; /* how long the master may hold it (FETCH long poll) */
    int64_t due;      /* monotonic ms: resend everything if no reply by then */
    void *tag;        /* caller's, handed back with the reply */
} s_call_t;

struct dt_rpc_t {
    char *endpoint;            /* owned copy */
    zsock_t *sock;             /* DEALER; replaced on every resend */
    int timeout_ms;            /* silence after which we give up (or warn) */
    int try_first_ms;          /* first try's wait */
    int try_ms;                /* current try's wait; doubles on each resend */
    int persistent;            /* keep retrying once answered */
    int answered;              /* the master has sent a valid message */
    int outage;                /* warned "unreachable" and still waiting */
    int invalid;               /* invalid replies seen */
    uint64_t next_req;         /* last req id used */
    int64_t silent_since;      /* last valid message, or when calls started */
    s_call_t *calls;           /* requests in flight */
    size_t ncalls;             /* used entries */
    size_t capacity;           /* allocated entries */
    void (*log_hook) (void *); /* called before we log */
    void *log_hook_arg;
};

static void s_before_log (dt_rpc_t *self)
{
    if (self->log_hook)
        self->log_hook (self->log_hook_arg);
}

dt_rpc_t *dt_rpc_new (const char *endpoint, int timeout_ms, char *err, size_t err_size)
{
    assert (endpoint);
    assert (timeout_ms > 0);
    dt_rpc_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->endpoint = strdup (endpoint);
    if (!self->endpoint) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    self->timeout_ms = timeout_ms;
    self->try_first_ms = timeout_ms / 3;
    if (self->try_first_ms < DT_RPC_TRY_MIN_MS)
        self->try_first_ms = DT_RPC_TRY_MIN_MS;
    if (self->try_first_ms > DT_RPC_TRY_FIRST_MAX_MS)
        self->try_first_ms = DT_RPC_TRY_FIRST_MAX_MS;
    self->try_ms = self->try_first_ms;
    self->sock = dt_sock_new_dealer (endpoint, err, err_size);
    if (!self->sock)
        goto fail;
    return self;
fail:
    dt_rpc_destroy (&self);
    return NULL;
}

void dt_rpc_destroy (dt_rpc_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_rpc_t *self = *self_p;
    for (size_t i = 0; i < self->ncalls; i++)
        free (self->calls[i].data);
    free (self->calls);
    zsock_destroy (&self->sock);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

int dt_rpc_outage (const dt_rpc_t *self)
{
    return self->outage;
}

void dt_rpc_set_persistent (dt_rpc_t *self, int on)
{
    self->persistent = on;
}

void dt_rpc_set_log_hook (dt_rpc_t *self, void (*fn) (void *arg), void *arg)
{
    self->log_hook = fn;
    self->log_hook_arg = arg;
}

size_t dt_rpc_inflight (const dt_rpc_t *self)
{
    return self->ncalls;
}

const char *dt_rpc_endpoint (const dt_rpc_t *self)
{
    return self->endpoint;
}

/* Sends one encoded request. A failure is not an error: the request stays
 * in flight and goes out again when its try time is up. */
static void s_send (dt_rpc_t *self, s_call_t *call)
{
    if (zmq_send (zsock_resolve (self->sock), call->data, call->size, ZMQ_DONTWAIT) == -1)
        dt_log_debug ("RPC-SEND", "req %" PRIu64 ": %s", call->req, zmq_strerror (zmq_errno ()));
}

int dt_rpc_start (dt_rpc_t *self, dt_msg_t *request, void *tag)
{
    if (self->ncalls == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        s_call_t *calls = realloc (self->calls, capacity * sizeof *calls);
        if (!calls) {
            dt_log_error ("RPC-NOMEM", "out of memory");
            return DT_RPC_EFAIL;
        }
        self->calls = calls;
        self->capacity = capacity;
    }
    request->req = ++self->next_req;
    s_call_t call = {.req = request->req, .tag = tag};
    int rc = dt_msg_encode (request, &call.data, &call.size);
    if (rc != 0) {
        dt_log_error ("RPC-ENCODE", "cannot encode %s: %s", dt_msg_type_name (request->type),
                      dt_msg_strerror (rc));
        return DT_RPC_EFAIL;
    }
    if (request->type == DT_MSG_FETCH)
        call.hold_ms = request->fetch.wait_ms;
    int64_t now = zclock_mono ();
    call.due = now + self->try_ms + call.hold_ms;
    if (self->ncalls == 0)
        self->silent_since = now;
    self->calls[self->ncalls++] = call;
    s_send (self, &self->calls[self->ncalls - 1]);
    return 0;
}

/* Lazy Pirate: a new socket, so nothing stale stays queued in the old one
 * and its replies can never arrive, then every request in flight again. */
static int s_resend_all (dt_rpc_t *self, int64_t now)
{
    char err[256];
    zsock_destroy (&self->sock);
    self->sock = dt_sock_new_dealer (self->endpoint, err, sizeof err);
    if (!self->sock) {
        s_before_log (self);
        dt_log_error ("RPC-SOCKET", "%s", err);
        return DT_RPC_EFAIL;
    }
    dt_log_debug ("RPC-RESEND", "no reply within %d ms: resending %zu request(s) to %s",
                  self->try_ms, self->ncalls, self->endpoint);
    self->try_ms = self->try_ms * 2 < DT_RPC_TRY_MAX_MS ? self->try_ms * 2 : DT_RPC_TRY_MAX_MS;
    for (size_t i = 0; i < self->ncalls; i++) {
        self->calls[i].due = now + self->try_ms + self->calls[i].hold_ms;
        s_send (self, &self->calls[i]);
    }
    return 0;
}

/* Time the master may stay silent before we give up: --timeout beyond the
 * longest hold the requests in flight allow. */
static int64_t s_give_up_at (const dt_rpc_t *self)
{
    uint32_t hold = 0;
    for (size_t i = 0; i < self->ncalls; i++)
        if (self->calls[i].hold_ms > hold)
            hold = self->calls[i].hold_ms;
    return self->silent_since + self->timeout_ms + hold;
}

static int64_t s_next_due (const dt_rpc_t *self)
{
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < self->ncalls; i++)
        if (self->calls[i].due < due)
            due = self->calls[i].due;
    return due;
}

static void s_call_done (dt_rpc_t *self, size_t i)
{
    free (self->calls[i].data);
    self->calls[i] = self->calls[--self->ncalls];
}

/* Reads what has arrived until a reply matches a request in flight.
 * Returns 0 with `reply` filled, 1 when nothing (more) matched, or
 * DT_RPC_EFAIL. */
static int s_receive (dt_rpc_t *self, dt_msg_t *reply, void **tag_p)
{
    for (;;) {
        int rc = dt_msg_recv (reply, zsock_resolve (self->sock), NULL, ZMQ_DONTWAIT);
        if (rc == DT_PROTO_EAGAIN)
            return 1;
        if (rc == DT_PROTO_EIO) {
            if (zmq_errno () == EINTR)
                return 1;
            s_before_log (self);
            dt_log_error ("RPC-RECV", "receive from %s: %s", self->endpoint,
                          zmq_strerror (zmq_errno ()));
            return DT_RPC_EFAIL;
        }
        if (rc != 0) {
            /* Treated as no reply: the request stays in flight and is resent. */
            if (++self->invalid <= DT_RPC_INVALID_LOGGED) {
                s_before_log (self);
                dt_log_warn ("PROTO-INVALID", "dropped an invalid reply from %s: %s",
                             self->endpoint, dt_msg_strerror (rc));
            } else {
                dt_log_debug ("PROTO-INVALID", "dropped an invalid reply from %s: %s",
                              self->endpoint, dt_msg_strerror (rc));
            }
            continue;
        }
        int64_t now = zclock_mono ();
        self->answered = 1;
        self->silent_since = now;
        self->try_ms = self->try_first_ms;
        if (self->outage) {
            self->outage = 0;
            s_before_log (self);
            dt_log_info ("MASTER-BACK", "master at %s is answering again", self->endpoint);
        }
        if (reply->type == DT_MSG_ERROR && reply->error.code == DT_ERR_STOPPING &&
            self->persistent) {
            /* A master shutting down for a restart: wait for the next one
             * rather than fail a command that promised to wait. */
            dt_log_debug ("RPC-STOPPING", "req %" PRIu64 ": master is stopping", reply->req);
            dt_msg_reset (reply);
            continue;
        }
        for (size_t i = 0; i < self->ncalls; i++) {
            if (self->calls[i].req == reply->req) {
                *tag_p = self->calls[i].tag;
                s_call_done (self, i);
                return 0;
            }
        }
        if (reply->type == DT_MSG_ERROR && reply->req == 0 && self->ncalls > 0) {
            /* The master could not read a request well enough to learn its
             * req: a version or codec mismatch that no resend will cure. */
            *tag_p = NULL;
            return 0;
        }
        dt_log_debug ("RPC-STALE", "dropped a stale %s reply (req %" PRIu64 ")",
                      dt_msg_type_name (reply->type), reply->req);
        dt_msg_reset (reply);
    }
}

static void s_sleep_ms (int64_t ms)
{
    if (ms > 0)
        poll (NULL, 0, ms > INT32_MAX ? INT32_MAX : (int) ms);
}

int dt_rpc_wait (dt_rpc_t *self, dt_msg_t *reply, void **tag_p, int max_ms)
{
    int64_t until = max_ms >= 0 ? zclock_mono () + max_ms : INT64_MAX;
    while (!zsys_interrupted) {
        int64_t now = zclock_mono ();
        if (self->ncalls == 0) {
            assert (max_ms >= 0); /* waiting for nothing, forever */
            if (now >= until)
                return DT_RPC_EAGAIN;
            s_sleep_ms (until - now);
            continue;
        }
        int64_t give_up = s_give_up_at (self);
        if (now >= give_up && !self->outage) {
            if (!(self->persistent && self->answered))
                return DT_RPC_EUNREACH;
            self->outage = 1;
            s_before_log (self);
            dt_log_warn ("MASTER-UNREACHABLE",
                         "master unreachable, retrying: no reply from %s for %d s", self->endpoint,
                         (int) ((now - self->silent_since) / 1000));
        }
        int64_t due = s_next_due (self);
        if (now >= due) {
            if (s_resend_all (self, now) != 0)
                return DT_RPC_EFAIL;
            continue;
        }
        if (now >= until)
            return DT_RPC_EAGAIN;
        int64_t next = due < until ? due : until;
        if (!self->outage && give_up < next)
            next = give_up;
        zmq_pollitem_t item = {zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll (&item, 1, (long) (next - now));
        if (rc == -1) {
            if (zmq_errno () == EINTR)
                continue;
            s_before_log (self);
            dt_log_error ("RPC-POLL", "zmq_poll: %s", zmq_strerror (zmq_errno ()));
            return DT_RPC_EFAIL;
        }
        if (rc == 0)
            continue;
        rc = s_receive (self, reply, tag_p);
        if (rc <= 0)
            return rc;
    }
    return DT_RPC_EINTR;
}

int dt_rpc_call (dt_rpc_t *self, dt_msg_t *request, dt_msg_t *reply)
{
    assert (self->ncalls == 0); /* a reply could belong to another request */
    int rc = dt_rpc_start (self, request, NULL);
    if (rc != 0)
        return rc;
    void *tag;
    return dt_rpc_wait (self, reply, &tag, -1);
}
