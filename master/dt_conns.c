/* dt_conns.c - the master's connection budget: counts the ROUTER's TCP connections per peer address
 * and closes the ones over budget (see dt_conns.h). */
#include "dt_conns.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_tcp.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Monitor events applied per turn: connection floods cost the loop a
 * bounded slice; the rest wait in the monitor's pipe for the next turn. */
#define DT_CONNS_EVENTS_PER_TURN 1024

/* Events the monitor's pipe holds. libzmq sends them from its I/O thread
 * with a blocking send: past this the thread waits for the loop to read
 * (a slower loop, never a lost event). ~100 bytes each: ~10 MiB at most. */
#define DT_CONNS_EVENTS_QUEUED 100000

/* A peer that sent more than a ZMTP greeting (64 bytes) has started a
 * handshake: it is not a silent connection, and is not closed for a
 * newcomer. */
#define DT_CONNS_GREETING_BYTES 64

/* Share of max_total at which CONN-LIMIT warns that the cap is near. */
#define DT_CONNS_NEAR_PERCENT 90

/* How often dt_conns_watch looks at each connection's bytes received: a
 * getsockopt per connection, ~41,000 a second at DT_LIMIT_CONNS_MAX. A
 * peer sending a message that never ends gets at most this long's worth of
 * bytes past DT_LIMIT_PEER_UNDELIVERED_BYTES in. */
#define DT_CONNS_WATCH_MS 100

#define S_NONE (-1)

/* Connections from one address. */
typedef struct {
    char text[INET6_ADDRSTRLEN]; /* the address, as the hash key */
    uint32_t live;               /* connections held, not being closed */
    uint32_t held;               /* connections held, closing ones too */
    int quiet_head;              /* oldest connection not yet seen speaking; S_NONE */
    int quiet_tail;              /* newest such */
} s_addr_t;

/* One connection, at the index of its descriptor. */
typedef struct {
    s_addr_t *addr;  /* NULL: no connection tracked on this descriptor */
    uint16_t port;   /* the peer's, to recognise it before closing */
    uint8_t quiet;   /* in its address's quiet list */
    uint8_t closing; /* shut down by us; waiting for DISCONNECTED */
    uint8_t heard;   /* a message came from it since the last look */
    uint8_t marked;  /* `mark` holds a count of a look */
    int prev, next;  /* its address's quiet list, oldest first */
    long long mark;  /* bytes received (TCP_INFO) at the last look after a message */
} s_conn_t;

struct dt_conns_t {
    dt_conns_opts_t opts; /* budgets */
    void *router;         /* the monitored socket (not owned) */
    zsock_t *monitor;     /* PAIR receiving the ROUTER's events */
    s_conn_t *conns;      /* by descriptor, `size` entries */
    int size;             /* max_total + DT_LIMIT_FD_RESERVE */
    zhashx_t *addrs;      /* s_addr_t by address text (owned) */
    uint32_t live;        /* connections held, not being closed */
    uint64_t refused;     /* connections closed over a budget */
    uint64_t unfinished;  /* connections closed for a message without end */
    int64_t next_watch;   /* when dt_conns_watch looks next (monotonic ms) */
    int unknown;          /* a message came from a descriptor not known since the last look */
    int near;             /* CONN-LIMIT warned since the count was last low */
};

static void s_addr_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

dt_conns_t *dt_conns_new (void *router, const dt_conns_opts_t *opts, char *err, size_t err_size)
{
    dt_conns_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->opts = *opts;
    self->size = (int) opts->max_total + DT_LIMIT_FD_RESERVE;
    self->conns = calloc ((size_t) self->size, sizeof *self->conns);
    self->addrs = zhashx_new ();
    if (!self->conns || !self->addrs) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    zhashx_set_destructor (self->addrs, s_addr_free);
    /* A fresh name each time: a closed monitor's name is released by libzmq
     * only later, and a new master may reuse the old one's address. */
    static unsigned s_monitors;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://dtask-conns-%u", ++s_monitors);
    if (zmq_socket_monitor (router, endpoint,
                            ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED |
                                ZMQ_EVENT_DISCONNECTED) != 0) {
        snprintf (err, err_size, "zmq_socket_monitor: %s", zmq_strerror (zmq_errno ()));
        goto fail;
    }
    self->router = router;
    self->monitor = zsock_new (ZMQ_PAIR);
    if (!self->monitor) {
        snprintf (err, err_size, "zsock_new(PAIR): %s", zmq_strerror (zmq_errno ()));
        goto fail;
    }
    zsock_set_rcvhwm (self->monitor, DT_CONNS_EVENTS_QUEUED);
    if (zsock_connect (self->monitor, "%s", endpoint) != 0) {
        snprintf (err, err_size, "connect %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        goto fail;
    }
    return self;
fail:
    dt_conns_destroy (&self);
    return NULL;
}

void dt_conns_destroy (dt_conns_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_conns_t *self = *self_p;
    /* Stop the monitor before closing its reader: libzmq sends events from
     * its I/O thread with a blocking send, and one sent to a monitor whose
     * reader is gone (say the DISCONNECTED of a peer the ROUTER drops as it
     * closes) blocks that thread for good, and with it every socket of the
     * process: no more accepts, handshakes or messages. */
    if (self->router)
        zmq_socket_monitor (self->router, NULL, 0);
    zsock_destroy (&self->monitor);
    zhashx_destroy (&self->addrs);
    free (self->conns);
    free (self);
    *self_p = NULL;
}

void *dt_conns_socket (dt_conns_t *self)
{
    return zsock_resolve (self->monitor);
}

uint32_t dt_conns_count (const dt_conns_t *self)
{
    return self->live;
}

uint64_t dt_conns_refused (const dt_conns_t *self)
{
    return self->refused;
}

/* The peer of descriptor `fd`: its address as text and its port. Returns 0
 * or -1 (not a connected socket any more). */
static int s_peer (int fd, char *text, size_t text_size, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername (fd, (struct sockaddr *) &ss, &len) != 0)
        return -1;
    const void *ip = NULL;
    if (ss.ss_family == AF_INET) {
        ip = &((struct sockaddr_in *) &ss)->sin_addr;
        *port = ntohs (((struct sockaddr_in *) &ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        ip = &((struct sockaddr_in6 *) &ss)->sin6_addr;
        *port = ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
    } else {
        snprintf (text, text_size, "local");
        *port = 0;
        return 0;
    }
    return inet_ntop (ss.ss_family, ip, text, (socklen_t) text_size) ? 0 : -1;
}

static void s_quiet_unlink (dt_conns_t *self, int fd)
{
    s_conn_t *conn = &self->conns[fd];
    if (!conn->quiet)
        return;
    s_addr_t *addr = conn->addr;
    if (conn->prev != S_NONE)
        self->conns[conn->prev].next = conn->next;
    else
        addr->quiet_head = conn->next;
    if (conn->next != S_NONE)
        self->conns[conn->next].prev = conn->prev;
    else
        addr->quiet_tail = conn->prev;
    conn->quiet = 0;
}

/* Forgets the connection on `fd`. */
static void s_forget (dt_conns_t *self, int fd)
{
    s_conn_t *conn = &self->conns[fd];
    s_addr_t *addr = conn->addr;
    if (!addr)
        return;
    s_quiet_unlink (self, fd);
    if (!conn->closing) {
        addr->live--;
        self->live--;
    }
    if (--addr->held == 0)
        zhashx_delete (self->addrs, addr->text);
    memset (conn, 0, sizeof *conn);
}

/* Shuts down the connection on `fd` if it is still the one recorded there.
 * libzmq sees end of file and closes it; its DISCONNECTED event forgets it. */
static void s_close (dt_conns_t *self, int fd)
{
    s_conn_t *conn = &self->conns[fd];
    char text[INET6_ADDRSTRLEN];
    uint16_t port = 0;
    s_quiet_unlink (self, fd);
    if (s_peer (fd, text, sizeof text, &port) == 0 && port == conn->port &&
        strcmp (text, conn->addr->text) == 0)
        shutdown (fd, SHUT_RDWR);
    conn->closing = 1;
    conn->addr->live--;
    self->live--;
}

/* True when the peer on `fd` has sent no more than a greeting. */
static int s_silent (int fd)
{
    /* Gone already (-1): closing it costs nothing. */
    return dt_tcp_received (fd) <= DT_CONNS_GREETING_BYTES;
}

/* The oldest silent connection of `addr` other than `except`, or S_NONE.
 * Connections seen speaking leave the list for good. */
static int s_oldest_silent (dt_conns_t *self, s_addr_t *addr, int except)
{
    int fd = addr->quiet_head;
    while (fd != S_NONE) {
        int next = self->conns[fd].next;
        if (fd != except) {
            if (s_silent (fd))
                return fd;
            s_quiet_unlink (self, fd);
        }
        fd = next;
    }
    return S_NONE;
}

/* Over a budget because of the new connection on `fd` from `addr`: closes
 * the oldest silent connection of that address (or, over the global cap
 * with `addr` NULL, of the address holding most), else the new one. */
static void s_make_room (dt_conns_t *self, int fd, s_addr_t *addr, const char *why)
{
    s_addr_t *from = addr;
    if (!from) {
        for (s_addr_t *a = zhashx_first (self->addrs); a; a = zhashx_next (self->addrs))
            if (!from || a->live > from->live)
                from = a;
    }
    int victim = from ? s_oldest_silent (self, from, fd) : S_NONE;
    if (victim == S_NONE)
        victim = fd;
    s_addr_t *victim_addr = self->conns[victim].addr;
    dt_log_peer_warn (
        "CONN-REFUSED",
        "%s: closing a %s connection from %s (%" PRIu32 " held from there, %" PRIu32 " in all)",
        why, victim == fd ? "new" : "silent", victim_addr->text, victim_addr->live, self->live);
    s_close (self, victim);
    self->refused++;
}

static void s_accepted (dt_conns_t *self, int fd)
{
    if (fd < 0)
        return;
    if (fd >= self->size) {
        /* That many descriptors are open: far over the cap already. */
        shutdown (fd, SHUT_RDWR);
        self->refused++;
        dt_log_peer_warn ("CONN-REFUSED", "descriptor %d over the cap of %" PRIu32 ": closed", fd,
                          self->opts.max_total);
        return;
    }
    s_forget (self, fd); /* its DISCONNECTED was lost */
    char text[INET6_ADDRSTRLEN];
    uint16_t port = 0;
    if (s_peer (fd, text, sizeof text, &port) != 0)
        return; /* gone already, or the descriptor is another's now */
    s_addr_t *addr = zhashx_lookup (self->addrs, text);
    if (!addr) {
        addr = calloc (1, sizeof *addr);
        if (!addr)
            return;
        snprintf (addr->text, sizeof addr->text, "%s", text);
        addr->quiet_head = addr->quiet_tail = S_NONE;
        zhashx_insert (self->addrs, addr->text, addr);
    }
    s_conn_t *conn = &self->conns[fd];
    conn->addr = addr;
    conn->port = port;
    conn->quiet = 1;
    conn->prev = addr->quiet_tail;
    conn->next = S_NONE;
    if (addr->quiet_tail != S_NONE)
        self->conns[addr->quiet_tail].next = fd;
    else
        addr->quiet_head = fd;
    addr->quiet_tail = fd;
    addr->held++;
    addr->live++;
    self->live++;

    if (addr->live > self->opts.max_per_addr)
        s_make_room (self, fd, addr, "over the budget per address");
    else if (self->live > self->opts.max_total)
        s_make_room (self, fd, NULL, "over the connection cap");
    uint64_t near = (uint64_t) self->opts.max_total * DT_CONNS_NEAR_PERCENT / 100;
    if (self->live >= near && !self->near) {
        self->near = 1;
        dt_log_warn ("CONN-LIMIT",
                     "%" PRIu32 " connections open, the cap is %" PRIu32
                     " (--max-conns, the descriptor limit)",
                     self->live, self->opts.max_total);
    } else if (self->live < near / 2) {
        self->near = 0;
    }
}

void dt_conns_heard (dt_conns_t *self, int fd)
{
    if (!self)
        return;
    if (fd >= 0 && fd < self->size)
        self->conns[fd].heard = 1;
    else
        self->unknown = 1;
}

int64_t dt_conns_watch (dt_conns_t *self, int64_t now)
{
    if (!self || self->live == 0)
        return INT64_MAX;
    if (now < self->next_watch)
        return self->next_watch;
    self->next_watch = now + DT_CONNS_WATCH_MS;
    /* A message whose connection libzmq did not name may have been any
     * one's: this look closes nothing, it only starts every count again. */
    int unknown = self->unknown;
    self->unknown = 0;
    for (int fd = 0; fd < self->size; fd++) {
        s_conn_t *conn = &self->conns[fd];
        if (!conn->addr || conn->closing)
            continue;
        long long received = dt_tcp_received (fd);
        if (received < 0)
            continue; /* gone: its DISCONNECTED comes */
        /* After a message, what came is messages (and ZMTP commands)
         * libzmq handed on or is about to: the count starts again. */
        if (conn->heard || !conn->marked || unknown) {
            conn->heard = 0;
            conn->marked = 1;
            conn->mark = received;
            continue;
        }
        if (received - conn->mark <= DT_LIMIT_PEER_UNDELIVERED_BYTES)
            continue;
        dt_log_peer_warn ("CONN-UNFINISHED",
                          "closing a connection from %s: %lld bytes in and no message out of them "
                          "(over %lld)",
                          conn->addr->text, received - conn->mark,
                          (long long) DT_LIMIT_PEER_UNDELIVERED_BYTES);
        s_close (self, fd);
        self->unfinished++;
    }
    return self->next_watch;
}

uint64_t dt_conns_unfinished (const dt_conns_t *self)
{
    return self->unfinished;
}

int dt_conns_handle (dt_conns_t *self)
{
    for (int n = 0; n < DT_CONNS_EVENTS_PER_TURN; n++) {
        zmsg_t *event = NULL;
        if (zsock_events (self->monitor) & ZMQ_POLLIN)
            event = zmsg_recv (self->monitor);
        if (!event)
            return 0;
        zframe_t *head = zmsg_first (event);
        if (head && zframe_size (head) == 6) {
            uint16_t id;
            uint32_t value;
            memcpy (&id, zframe_data (head), sizeof id);
            memcpy (&value, zframe_data (head) + 2, sizeof value);
            if (id == ZMQ_EVENT_ACCEPTED)
                s_accepted (self, (int) value);
            else if (id == ZMQ_EVENT_DISCONNECTED && (int) value >= 0 && (int) value < self->size)
                s_forget (self, (int) value);
            else if (id == ZMQ_EVENT_ACCEPT_FAILED)
                dt_log_peer_warn ("CONN-ACCEPT-FAILED", "accept: %s (%" PRIu32 " connections open)",
                                  strerror ((int) value), self->live);
        }
        zmsg_destroy (&event);
    }
    return 0;
}
