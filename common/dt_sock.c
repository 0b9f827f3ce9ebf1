/* dt_sock.c - creates the ZeroMQ sockets dtask uses, with its safety options. */
#include "dt_sock.h"
#include "dt_limits.h"

#include <errno.h>
#include <sys/random.h>
#include <string.h>

/* ZMTP heartbeats detect a dead TCP link (peer host gone, cable cut) that
 * would otherwise look alive until the kernel gives up, which can take
 * minutes; ZeroMQ then closes and redials it. */
#define DT_SOCK_ZMTP_HEARTBEAT_MS 1000
#define DT_SOCK_ZMTP_TIMEOUT_MS   5000

/* High-water marks in messages. Messages carry batches of up to
 * DT_LIMIT_BATCH_MAX items, so a few thousand messages is ample buffering;
 * the credit protocol, not the HWM, is what bounds work in flight. */
#define DT_SOCK_HWM 10000

/* The process's keys; no cert means plaintext. */
static dt_sock_curve_t s_curve;

void dt_sock_set_curve (const dt_sock_curve_t *curve)
{
    if (curve)
        s_curve = *curve;
    else
        memset (&s_curve, 0, sizeof s_curve);
}

int dt_sock_is_secure (void)
{
    return s_curve.cert != NULL;
}

static void s_common (zsock_t *sock)
{
    zsock_set_maxmsgsize (sock, DT_LIMIT_FRAME_MAX);
    zsock_set_heartbeat_ivl (sock, DT_SOCK_ZMTP_HEARTBEAT_MS);
    zsock_set_heartbeat_timeout (sock, DT_SOCK_ZMTP_TIMEOUT_MS);
    zsock_set_sndhwm (sock, DT_SOCK_HWM);
    zsock_set_handshake_ivl (sock, DT_LIMIT_HANDSHAKE_MS);
    zsock_set_rcvhwm (sock, DT_SOCK_HWM);
    /* Closing must never hang a process on an unreachable peer; anything
     * unsent is covered by the protocol's resend and lease rules. */
    zsock_set_linger (sock, 0);
}

zsock_t *dt_sock_new_router (const char *endpoint, char *err, size_t err_size)
{
    zsock_t *sock = zsock_new (ZMQ_ROUTER);
    if (!sock) {
        snprintf (err, err_size, "zsock_new(ROUTER): %s", strerror (errno));
        return NULL;
    }
    s_common (sock);
    zsock_set_router_mandatory (sock, 1);
    /* What the master queues to one peer: see DT_LIMIT_PEER_QUEUED_BYTES. */
    zsock_set_sndhwm (sock, DT_LIMIT_PEER_REPLIES);
    /* What the master holds received from one peer: see
     * DT_LIMIT_PEER_RECV_BYTES. */
    zsock_set_rcvhwm (sock, DT_LIMIT_PEER_RECV_MSGS);
    /* A peer that reconnects (same process, new TCP connection) takes its
     * routing id back at once instead of waiting for the old link to time
     * out; ids are random, so no other peer can claim one. */
    zsock_set_router_handover (sock, 1);
    if (s_curve.cert) {
        zcert_apply (s_curve.cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, s_curve.zap_domain ? s_curve.zap_domain : "");
    }
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        snprintf (err, err_size, "bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

zsock_t *dt_sock_new_dealer (const char *endpoint, char *err, size_t err_size)
{
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (!sock) {
        snprintf (err, err_size, "zsock_new(DEALER): %s", strerror (errno));
        return NULL;
    }
    s_common (sock);
    /* A random routing id, the same over every reconnect of this socket:
     * the master knows a returning worker process from a new one by it. */
    uint8_t id[16];
    if (getrandom (id, sizeof id, 0) == (ssize_t) sizeof id) {
        id[0] |= 1; /* ids starting with a zero byte are reserved */
        zmq_setsockopt (zsock_resolve (sock), ZMQ_ROUTING_ID, id, sizeof id);
    }
    if (s_curve.cert) {
        zcert_apply (s_curve.cert, sock);
        zsock_set_curve_serverkey (sock, s_curve.server_key);
    }
    if (zsock_connect (sock, "%s", endpoint) == -1) {
        snprintf (err, err_size, "connect %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}
