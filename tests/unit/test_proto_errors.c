/* test_proto_errors.c - a request the master cannot decode is answered with an ERROR that echoes
 * its req.
 *
 * A client matches replies by req, so an ERROR with req 0 would look like no
 * reply at all and the client would time out ("unreachable"). The master
 * runs in a thread of this process on 127.0.0.1; the client is a DEALER
 * sending raw frames.
 */
#include "dt_master.h"
#include "dt_msg.h"
#include "dt_sock.h"
#include "dt_test.h"

#include <czmq.h>
#include <pthread.h>

/* Longest wait for a reply that must come: only a broken master takes it. */
#define REPLY_MS 10000

static dt_master_t *s_master;
static pthread_t s_thread;

static void *s_run (void *arg)
{
    (void) arg;
    dt_master_run (s_master);
    return NULL;
}

static int s_start (void)
{
    dt_master_opts_t opts = {
        .bind = "tcp://127.0.0.1:*",
        .max_attempts = 3,
        .heartbeat_ms = 200,
        .liveness = 50,
        .task_ms = 60000,
        .retry_base_ms = 10,
    };
    char err[256];
    zsys_interrupted = 0;
    s_master = dt_master_new (&opts, err, sizeof err);
    if (!s_master) {
        fprintf (stderr, "    dt_master_new: %s\n", err);
        return -1;
    }
    return pthread_create (&s_thread, NULL, s_run, NULL) == 0 ? 0 : -1;
}

static void s_stop (void)
{
    if (!s_master)
        return;
    zsys_interrupted = 1;
    pthread_join (s_thread, NULL);
    zsys_interrupted = 0;
    dt_master_destroy (&s_master);
}

/* Sends `size` raw bytes and waits for the reply. Returns 0 with `reply`
 * filled, or -1 when nothing valid came. */
static int s_ask (const void *bytes, size_t size, dt_msg_t *reply)
{
    char err[256];
    zsock_t *sock = dt_sock_new_dealer (dt_master_endpoint (s_master), err, sizeof err);
    if (!sock)
        return -1;
    int rc = -1;
    if (zmq_send (zsock_resolve (sock), bytes, size, 0) == (int) size) {
        zmq_pollitem_t item = {zsock_resolve (sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, REPLY_MS) == 1)
            rc = dt_msg_recv (reply, zsock_resolve (sock), NULL, ZMQ_DONTWAIT) == 0 ? 0 : -1;
    }
    zsock_destroy (&sock);
    return rc;
}

static void test_a_malformed_request_gets_malformed_with_its_req (void)
{
    DT_CHECK_EQ (s_start (), 0);
    dt_msg_t reply;
    dt_msg_init (&reply);
    /* STATUS (req 0x1234) whose job is a number, not a str. */
    int rc = s_ask ("\x94\x04\x0b\xcd\x12\x34\x01", 7, &reply);
    uint32_t code = reply.error.code;
    int type = reply.type;
    uint64_t req = reply.req;
    dt_msg_reset (&reply);
    s_stop ();
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (type, DT_MSG_ERROR);
    DT_CHECK_EQ (code, DT_ERR_MALFORMED);
    DT_CHECK_EQ (req, 0x1234);
}

static void test_a_version_1_request_gets_version_with_its_req (void)
{
    DT_CHECK_EQ (s_start (), 0);
    dt_msg_t reply;
    dt_msg_init (&reply);
    /* A version-1 STATUS, req 77. */
    int rc = s_ask ("\x94\x01\x0b\x4d\xa0", 5, &reply);
    uint32_t code = reply.error.code;
    uint64_t req = reply.req;
    char text[128] = "";
    snprintf (text, sizeof text, "%.*s", (int) reply.error.text.len,
              reply.error.text.ptr ? reply.error.text.ptr : "");
    dt_msg_reset (&reply);
    s_stop ();
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (code, DT_ERR_VERSION);
    DT_CHECK_EQ (req, 77);
    DT_CHECK (strstr (text, "version 4") != NULL);
}

static void test_a_frame_over_a_cap_gets_too_big_with_its_req (void)
{
    DT_CHECK_EQ (s_start (), 0);
    dt_msg_t reply;
    dt_msg_init (&reply);
    /* A STATUS (req 5) whose job declares 65 bytes, one over JOB_MAX. */
    uint8_t frame[80] = {0x94, DT_PROTO_VERSION, 0x0b, 0x05, 0xd9, 65};
    memset (frame + 6, 'j', 65);
    int rc = s_ask (frame, 71, &reply);
    uint32_t code = reply.error.code;
    uint64_t req = reply.req;
    dt_msg_reset (&reply);
    s_stop ();
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (code, DT_ERR_TOO_BIG);
    DT_CHECK_EQ (req, 5);
}

int main (void)
{
    zsys_handler_set (NULL);
    static dt_test_t tests[] = {
        {"a malformed request gets MALFORMED with its req",
         test_a_malformed_request_gets_malformed_with_its_req},
        {"a version-1 request gets VERSION with its req",
         test_a_version_1_request_gets_version_with_its_req},
        {"a frame over a cap gets TOO_BIG with its req",
         test_a_frame_over_a_cap_gets_too_big_with_its_req},
        {0},
    };
    int rc = dt_test_run (tests);
    zsys_shutdown ();
    return rc;
}
