/* dt_conns.h - the master's connection budget: counts the ROUTER's TCP connections per peer address
 * and closes the ones over budget.
 *
 * libzmq accepts every TCP connection and gives it a descriptor before any
 * handshake, and it tells nobody but a socket monitor. So the master watches
 * its ROUTER's monitor events: on ACCEPTED (whose value is the connection's
 * descriptor) it reads the peer's address with getpeername() and counts it;
 * on DISCONNECTED it forgets it. When an address holds more than its budget,
 * or all addresses together more than the global cap, it closes, with
 * shutdown(), the oldest connection that has not yet sent a ZMTP greeting's
 * worth of bytes (TCP_INFO), or else the new one. A peer that finished its
 * handshake is never closed for a newcomer, and a newcomer (who speaks at
 * once) is preferred to a silent connection: a flood of silent connections
 * from the same address as a rightful client cannot lock it out. libzmq then
 * sees end of file on that descriptor and releases it itself; shutdown()
 * never frees a descriptor number, so it cannot race with libzmq reusing it,
 * and the peer's port is checked first so a descriptor already reused for a
 * newer connection is left alone. Connections that stay silent are closed by
 * libzmq at the handshake deadline (DT_LIMIT_HANDSHAKE_MS) in any case.
 */
#ifndef DT_CONNS_H
#define DT_CONNS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_conns_t dt_conns_t;

typedef struct {
    uint32_t max_total;    /* connections kept at once */
    uint32_t max_per_addr; /* connections kept from one IP address */
} dt_conns_opts_t;

/* Starts monitoring `router` (a libzmq ROUTER, borrowed: must outlive the
 * result) on the process's czmq context. Returns NULL with a reason in
 * `err`. */
dt_conns_t *dt_conns_new (void *router, const dt_conns_opts_t *opts, char *err, size_t err_size);

/* NULL-safe; nulls the pointer. */
void dt_conns_destroy (dt_conns_t **self_p);

/* The monitor's socket (libzmq handle), for the master's poll set. */
void *dt_conns_socket (dt_conns_t *self);

/* Applies the monitor events waiting, at most DT_CONNS_EVENTS_PER_TURN.
 * Returns 0, or -1 when the monitor socket failed. */
int dt_conns_handle (dt_conns_t *self);

/* A message came in from the connection on `fd` (dt_msg_source_fd; -1 or
 * a descriptor not tracked: nothing). */
void dt_conns_heard (dt_conns_t *self, int fd);

/* Every DT_CONNS_WATCH_MS: closes each connection that has received more
 * than DT_LIMIT_PEER_UNDELIVERED_BYTES (TCP_INFO) since the look before
 * the last one in which a message came from it: a message that never ends,
 * held whole by libzmq. Returns when it is next due (monotonic ms),
 * INT64_MAX when no connection is open. */
int64_t dt_conns_watch (dt_conns_t *self, int64_t now);

/* Connections closed for a message that did not end, since start. */
uint64_t dt_conns_unfinished (const dt_conns_t *self);

/* Connections open now (as far as the events seen tell). */
uint32_t dt_conns_count (const dt_conns_t *self);

/* Connections closed for being over a budget, since start (not those
 * closed by dt_conns_watch). */
uint64_t dt_conns_refused (const dt_conns_t *self);

#endif
