/* dt_msg.c - the dtask wire codec (PROTOCOL.md): messages on sockets, sizes and names.
 *
 * Both directions walk one table per message (dt_msg_table.c): the encoder
 * (dt_msg_encode.c) refuses what the decoder (dt_msg_decode.c, a strict
 * reader that checks every count and cap before allocating) refuses. This
 * file moves messages on ZeroMQ sockets.
 */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dt_msg_init (dt_msg_t *self)
{
    memset (self, 0, sizeof *self);
}

void dt_msg_reset (dt_msg_t *self)
{
    free (self->zone_);
    free (self->zone2_);
    if (self->has_frame_)
        zmq_msg_close (&self->frame_);
    memset (self, 0, sizeof *self);
}

/* ---- Sockets ----------------------------------------------------------- */

static int s_zmq_rc (void)
{
    if (errno == EAGAIN)
        return DT_PROTO_EAGAIN;
    if (errno == EHOSTUNREACH)
        return DT_PROTO_EUNREACH;
    return DT_PROTO_EIO;
}

static void s_free (void *data, void *hint)
{
    (void) hint;
    free (data);
}

int dt_msg_send (const dt_msg_t *self, void *socket, const dt_peer_t *peer)
{
    void *data;
    size_t size;
    int rc = dt_msg_encode (self, &data, &size);
    if (rc)
        return rc;
    /* On a ROUTER the routing-id frame is where HWM and ROUTER_MANDATORY
     * are checked, so a failure there leaves nothing half-sent. */
    if (peer && zmq_send (socket, peer->id, peer->len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        free (data);
        return s_zmq_rc ();
    }
    zmq_msg_t frame;
    if (zmq_msg_init_data (&frame, data, size, s_free, NULL) != 0) {
        free (data);
        return DT_PROTO_ENOMEM;
    }
    if (zmq_msg_send (&frame, socket, ZMQ_DONTWAIT) < 0) {
        rc = s_zmq_rc ();
        zmq_msg_close (&frame);
        return rc;
    }
    return 0;
}

/* Receives one frame; tells whether more frames follow. */
static int s_recv_frame (void *socket, zmq_msg_t *frame, int flags, int *more)
{
    zmq_msg_init (frame);
    if (zmq_msg_recv (frame, socket, flags) < 0) {
        int rc = s_zmq_rc ();
        zmq_msg_close (frame);
        return rc == DT_PROTO_EUNREACH ? DT_PROTO_EIO : rc;
    }
    *more = zmq_msg_more (frame);
    return 0;
}

/* Consumes the rest of a message that has too many frames. */
static void s_drain (void *socket)
{
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        if (s_recv_frame (socket, &frame, 0, &more) != 0)
            return;
        zmq_msg_close (&frame);
    }
}

int dt_msg_recv (dt_msg_t *self, void *socket, dt_peer_t *peer, int flags)
{
    dt_msg_reset (self);
    zmq_msg_t frame;
    int more = 0;
    int rc = s_recv_frame (socket, &frame, flags, &more);
    if (rc)
        return rc;
    int fd = zmq_msg_get (&frame, ZMQ_SRCFD);
    int fd1 = fd >= 0 ? fd + 1 : 0;
    self->source_fd1_ = fd1;
    if (peer) {
        size_t len = zmq_msg_size (&frame);
        peer->len = len < sizeof peer->id ? len : sizeof peer->id;
        memcpy (peer->id, zmq_msg_data (&frame), peer->len);
        zmq_msg_close (&frame);
        if (!more)
            return DT_PROTO_EFRAMES;
        /* The rest of a message is already here once its first frame is. */
        rc = s_recv_frame (socket, &frame, 0, &more);
        if (rc)
            return rc;
        /* A ROUTER does not always give its routing id frame the
         * connection's properties; the frame from the wire has them. */
        if (!fd1) {
            fd = zmq_msg_get (&frame, ZMQ_SRCFD);
            fd1 = fd >= 0 ? fd + 1 : 0;
            self->source_fd1_ = fd1;
        }
    }
    if (more) {
        zmq_msg_close (&frame);
        s_drain (socket);
        return DT_PROTO_EFRAMES;
    }
    if (peer) {
        const char *role = zmq_msg_gets (&frame, "User-Id");
        snprintf (peer->role, sizeof peer->role, "%s", role ? role : "");
        const char *key = zmq_msg_gets (&frame, "Key");
        snprintf (peer->key, sizeof peer->key, "%s", key ? key : "");
    }
    zmq_msg_init (&self->frame_);
    zmq_msg_move (&self->frame_, &frame);
    zmq_msg_close (&frame);
    self->has_frame_ = 1;
    rc = dt_msg_decode (self, zmq_msg_data (&self->frame_), zmq_msg_size (&self->frame_));
    self->source_fd1_ = fd1; /* a failed decode resets the message */
    return rc;
}

void dt_msg_peer_address (const dt_msg_t *self, char *buf, size_t size)
{
    /* zmq_msg_gets takes no const: it only reads the frame's metadata. */
    const char *addr =
        self->has_frame_ ? zmq_msg_gets ((zmq_msg_t *) &self->frame_, "Peer-Address") : NULL;
    snprintf (buf, size, "%s", addr ? addr : "");
}

int dt_msg_source_fd (const dt_msg_t *self)
{
    return self->source_fd1_ - 1;
}

/* ---- Sizes and names ---------------------------------------------------- */

#define S_STR_(x) #x
#define S_STR(x)  S_STR_ (x)

/* A uint takes at most 9 bytes and a str header 5. */
size_t dt_msg_result_size (const dt_msg_result_t *r)
{
    return 1 + 10 * 9 + 12 * 5 + r->kind.len + r->payload.len + r->final_url.len +
           r->content_type.len + r->worker.len + r->error.len + r->output.len + r->capture.len +
           r->links.len + r->warc_file.len + r->digest.len;
}

size_t dt_msg_task_size (const dt_msg_task_t *t)
{
    return 1 + 5 * 9 + 2 * 5 + t->kind.len + t->payload.len;
}

size_t dt_msg_httpopt_size (const dt_msg_httpopt_t *h)
{
    return 1 + 5 * 9 + 2 * 5 + h->user_agent.len + h->headers.len;
}

const char *dt_msg_type_name (int type)
{
    const dt_msg_layout_t *layout = dt_msg_layout (type);
    return layout ? layout->name : "?";
}

const char *dt_msg_strerror (int rc)
{
    switch (rc) {
    case 0:
        return "ok";
    case DT_PROTO_EMALFORMED:
        return "malformed message";
    case DT_PROTO_EVERSION:
        /* Also the text of the master's ERROR VERSION: it tells an old
         * peer what to upgrade to. */
        return "unsupported protocol version: this side speaks version " S_STR (DT_PROTO_VERSION);
    case DT_PROTO_ETOOBIG:
        return "message over a size limit";
    case DT_PROTO_ENOMEM:
        return "out of memory";
    case DT_PROTO_EFRAMES:
        return "wrong number of frames";
    case DT_PROTO_EAGAIN:
        return "would block";
    case DT_PROTO_EUNREACH:
        return "peer not connected";
    case DT_PROTO_EIO:
        return "socket error";
    }
    return "unknown error";
}

const char *dt_msg_error_name (int code)
{
    static const char *names[] = {
        [DT_ERR_MALFORMED] = "MALFORMED",   [DT_ERR_VERSION] = "VERSION",
        [DT_ERR_TOO_BIG] = "TOO_BIG",       [DT_ERR_UNKNOWN_PEER] = "UNKNOWN_PEER",
        [DT_ERR_QUEUE_FULL] = "QUEUE_FULL", [DT_ERR_BAD_URL] = "BAD_URL",
        [DT_ERR_STORE] = "STORE",           [DT_ERR_DENIED] = "DENIED",
        [DT_ERR_STOPPING] = "STOPPING",     [DT_ERR_TOO_MANY_WORKERS] = "TOO_MANY_WORKERS",
        [DT_ERR_CONFLICT] = "CONFLICT",     [DT_ERR_NO_SUCH_JOB] = "NO_SUCH_JOB",
    };
    if (code < DT_ERR_MALFORMED || code > DT_ERR_NO_SUCH_JOB)
        return "?";
    return names[code];
}
