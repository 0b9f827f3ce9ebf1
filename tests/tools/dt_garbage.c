/* dt_garbage.c - a hostile peer for tests: floods a master with invalid ZeroMQ messages.
 *
 *   dt_garbage ENDPOINT COUNT SEED
 *
 * Sends COUNT messages from a DEALER, a mix of: random bytes, valid
 * messages cut short, valid messages with a wrong version or type, extra
 * frames, empty frames, worker traffic from a peer that never said HELLO,
 * and now and then a frame over the 4 MiB cap (which makes libzmq drop the
 * connection; the DEALER redials). Valid messages come from the codec and
 * are then damaged, so the tool never writes a frame format of its own.
 * Prints how many of each it sent. Exit 0 unless it could not connect.
 */
#include "dt_limits.h"
#include "dt_msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static uint64_t s_rng;

static uint32_t s_rand (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng >> 11);
}

/* A valid message of a random type, encoded by the codec; with `harmless`
 * never a SUBMIT (which a master rightly accepts from anyone it admits). */
static void *s_valid (int harmless, size_t *size)
{
    static dt_str_t urls[2] = {{"http://127.0.0.1:1/a", 20}, {"http://127.0.0.1:1/b", 20}};
    static dt_msg_result_t results[1] = {{.id = 1, .attempt = 1, .http_status = 200}};
    dt_msg_t m;
    dt_msg_init (&m);
    switch (harmless ? 1 + s_rand () % 4 : s_rand () % 5) {
    case 0:
        m.type = DT_MSG_SUBMIT;
        m.submit.job = dt_str ("garbage");
        m.submit.count = 2;
        m.submit.payloads = urls;
        break;
    case 1:
        m.type = DT_MSG_RESULTS; /* from a peer that never said HELLO */
        results[0].id = s_rand () % 100000;
        m.results.count = 1;
        m.results.items = results;
        break;
    case 2:
        m.type = DT_MSG_FETCH;
        m.fetch.max = 10;
        break;
    case 3:
        m.type = DT_MSG_HEARTBEAT;
        break;
    default:
        m.type = DT_MSG_STATUS;
        break;
    }
    void *data = NULL;
    if (dt_msg_encode (&m, &data, size) != 0)
        return NULL;
    return data;
}

int main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: dt_garbage ENDPOINT COUNT SEED\n");
        return 2;
    }
    long count = atol (argv[2]);
    s_rng = (uint64_t) atoll (argv[3]) * 2654435761u + 1;
    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_connect (sock, argv[1]) != 0) {
        fprintf (stderr, "dt_garbage: connect %s: %s\n", argv[1], zmq_strerror (zmq_errno ()));
        return 1;
    }
    enum { RANDOM, CUT, VERSION, TYPE, FRAMES, EMPTY, UNKNOWN_PEER, HUGE, KINDS };
    static const char *names[KINDS] = {"random", "truncated", "wrong-version", "wrong-type",
                                       "frames", "empty",     "unknown-peer",  "oversized"};
    long sent[KINDS] = {0};
    uint8_t buf[4096];
    for (long i = 0; i < count; i++) {
        int kind = (int) (s_rand () % (KINDS - 1));
        if (i % 500 == 499)
            kind = HUGE;
        size_t size = 0;
        uint8_t *valid = NULL;
        int rc = 0;
        switch (kind) {
        case RANDOM:
            size = s_rand () % sizeof buf;
            for (size_t k = 0; k < size; k++)
                buf[k] = (uint8_t) s_rand ();
            rc = zmq_send (sock, buf, size, 0);
            break;
        case CUT:
        case VERSION:
        case TYPE:
        case UNKNOWN_PEER:
            valid = s_valid (kind == UNKNOWN_PEER, &size);
            if (!valid)
                break;
            if (kind == CUT)
                size = s_rand () % size;
            else if (kind == VERSION) {
                /* Any version but ours (a fixint here): a message with ours
                 * would be valid, and a valid SUBMIT is rightly accepted. */
                uint8_t v = (uint8_t) (1 + s_rand () % 100);
                valid[1] = v >= DT_PROTO_VERSION ? v + 1 : v;
            } else if (kind == TYPE)
                valid[2] =
                    (uint8_t) (64 + s_rand () % 100); /* past every type (the last is below 64) */
            rc = zmq_send (sock, valid, size, 0);
            free (valid);
            break;
        case FRAMES:
            zmq_send (sock, "x", 1, ZMQ_SNDMORE);
            rc = zmq_send (sock, "y", 1, 0);
            break;
        case EMPTY:
            rc = zmq_send (sock, "", 0, 0);
            break;
        case HUGE: {
            size = DT_LIMIT_FRAME_MAX + 1 + s_rand () % 1024;
            uint8_t *big = calloc (1, size);
            if (big)
                rc = zmq_send (sock, big, size, 0);
            free (big);
            break;
        }
        }
        if (rc >= 0)
            sent[kind]++;
    }
    for (int k = 0; k < KINDS; k++)
        printf ("%s=%ld%s", names[k], sent[k], k + 1 < KINDS ? " " : "\n");
    /* Give the I/O thread a moment to push the tail out before closing. */
    zmq_pollitem_t none[1] = {{NULL, -1, 0, 0}};
    zmq_poll (none, 0, 500);
    zmq_close (sock);
    zmq_ctx_term (ctx);
    return 0;
}
