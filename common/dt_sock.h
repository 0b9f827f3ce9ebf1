/* dt_sock.h - creates the ZeroMQ sockets dtask uses, with its safety options.
 *
 * One place sets the options every dtask socket needs (message size cap,
 * ZMTP heartbeats, linger, high-water marks), so master, worker and CLI
 * cannot drift apart. Security (CURVE) will be applied here too.
 */
#ifndef DT_SOCK_H
#define DT_SOCK_H

#include <czmq.h>

/* Creates a ROUTER bound to `endpoint` (e.g. "tcp://0.0.0.0:5555") for the master.
 * Returns NULL on failure with a reason in `err` (e.g. "bind tcp://0.0.0.0:5555:
 * Address already in use"). The caller owns the socket (zsock_destroy). */
zsock_t *dt_sock_new_router (const char *endpoint, char *err, size_t err_size);

/* Creates a DEALER connected to `endpoint` (e.g. "tcp://10.0.0.1:5555").
 * Connecting never waits for the peer: ZeroMQ dials in the background and
 * keeps redialling. Returns NULL with a reason in `err` on a bad endpoint. */
zsock_t *dt_sock_new_dealer (const char *endpoint, char *err, size_t err_size);

#endif
