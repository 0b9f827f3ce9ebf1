/* dt_sock.h - creates the ZeroMQ sockets dtask uses, with its safety options.
 *
 * One place sets the options every dtask socket needs (message size cap,
 * ZMTP heartbeats, linger, high-water marks), so master, worker and CLI
 * cannot drift apart. CURVE security is applied here too: a process has one
 * identity, so it is set once (dt_sock_set_curve) before any socket exists.
 */
#ifndef DT_SOCK_H
#define DT_SOCK_H

#include <czmq.h>

/* CURVE settings of this process. */
typedef struct {
    zcert_t *cert;          /* our key pair (borrowed: must outlive every socket) */
    const char *server_key; /* DEALERs: the master's public key, Z85 (borrowed) */
    const char *zap_domain; /* ROUTER: the ZAP domain its handler serves */
} dt_sock_curve_t;

/* From now on every new socket uses CURVE with these keys (NULL: plaintext,
 * the default). The ROUTER becomes a CURVE server, DEALERs CURVE clients. */
void dt_sock_set_curve (const dt_sock_curve_t *curve);

/* True once dt_sock_set_curve() gave keys. */
int dt_sock_is_secure (void);

/* Creates a ROUTER bound to `endpoint` (e.g. "tcp://0.0.0.0:5555") for the master.
 * Returns NULL on failure with a reason in `err` (e.g. "bind tcp://0.0.0.0:5555:
 * Address already in use"). The caller owns the socket (zsock_destroy). */
zsock_t *dt_sock_new_router (const char *endpoint, char *err, size_t err_size);

/* Creates a DEALER connected to `endpoint` (e.g. "tcp://10.0.0.1:5555").
 * Connecting never waits for the peer: ZeroMQ dials in the background and
 * keeps redialling. Returns NULL with a reason in `err` on a bad endpoint. */
zsock_t *dt_sock_new_dealer (const char *endpoint, char *err, size_t err_size);

#endif
