/* test_cli_rpc.c - the CLI's request engine against a scripted master over real TCP on 127.0.0.1.
 */
#include "dt_test.h"
#include "dt_rpc.h"
#include "dt_sock.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* The scripted master: a ROUTER in its own thread that answers STATUS and
 * FETCH, misbehaving as told. Fields are set before the actor starts and
 * read with atomics while it runs. */
typedef struct {
    char endpoint[64]; /* "tcp://127.0.0.1:PORT"; a port of * picks one */
    int drop_first;    /* ignore this many requests before answering */
    int send_stale;    /* precede each reply with one for another req */
    int send_garbage;  /* precede each reply with a frame that is not a message */
    int error_req0;    /* answer with ERROR MALFORMED addressed to req 0 */
    int received;      /* requests seen (atomic) */
} s_fake_t;

static void s_fake_actor (zsock_t *pipe, void *arg)
{
    s_fake_t *fake = arg;
    char err[256];
    zsock_t *router = dt_sock_new_router (fake->endpoint, err, sizeof err);
    if (router && strstr (fake->endpoint, ":*"))
        snprintf (fake->endpoint, sizeof fake->endpoint, "%s", zsock_endpoint (router));
    zsock_signal (pipe, router ? 0 : 1);
    if (!router)
        return;
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (poller) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break; /* $TERM or interrupted */
        dt_msg_t req, rep;
        dt_peer_t peer;
        dt_msg_init (&req);
        dt_msg_init (&rep);
        if (dt_msg_recv (&req, zsock_resolve (router), &peer, 0) != 0)
            continue;
        int n = __atomic_add_fetch (&fake->received, 1, __ATOMIC_SEQ_CST);
        if (n > fake->drop_first) {
            if (fake->send_garbage) {
                zmq_send (zsock_resolve (router), peer.id, peer.len, ZMQ_SNDMORE);
                zmq_send (zsock_resolve (router), "\x93\x01", 2, 0);
            }
            if (req.type == DT_MSG_FETCH) {
                rep.type = DT_MSG_PAGE;
                rep.page.cursor = req.fetch.cursor + 1;
                rep.page.stats.submitted = (uint64_t) n;
            } else {
                rep.type = DT_MSG_STATUS_OK;
                rep.status_ok.stats.submitted = (uint64_t) n;
            }
            if (fake->send_stale) {
                rep.req = req.req + 1000;
                dt_msg_send (&rep, zsock_resolve (router), &peer);
            }
            rep.req = req.req;
            if (fake->error_req0) {
                rep.type = DT_MSG_ERROR;
                rep.req = 0;
                rep.error.code = DT_ERR_MALFORMED;
                rep.error.text = dt_str ("cannot decode");
            }
            dt_msg_send (&rep, zsock_resolve (router), &peer);
        }
        dt_msg_reset (&req);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static zactor_t *s_fake_start (s_fake_t *fake)
{
    if (!fake->endpoint[0])
        snprintf (fake->endpoint, sizeof fake->endpoint, "tcp://127.0.0.1:*");
    return zactor_new (s_fake_actor, fake);
}

static int s_status (dt_rpc_t *rpc, dt_msg_t *reply)
{
    dt_msg_t req;
    dt_msg_init (&req);
    req.type = DT_MSG_STATUS;
    req.status.job = dt_str ("");
    return dt_rpc_call (rpc, &req, reply);
}

static void test_answered_request_returns_its_reply (void)
{
    s_fake_t fake;
    memset (&fake, 0, sizeof fake);
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 3000, err, sizeof err);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int rc = rpc ? s_status (rpc, &reply) : -99;
    int ok = rc == 0 && reply.type == DT_MSG_STATUS_OK && reply.status_ok.stats.submitted == 1;
    dt_msg_reset (&reply);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK (ok);
}

static void test_lost_request_is_resent_on_a_new_socket (void)
{
    s_fake_t fake = {.drop_first = 1};
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 1500, err, sizeof err);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int64_t t0 = zclock_mono ();
    int rc = rpc ? s_status (rpc, &reply) : -99;
    int64_t ms = zclock_mono () - t0;
    uint64_t n = reply.status_ok.stats.submitted;
    dt_msg_reset (&reply);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK_EQ (n, 2);
    DT_CHECK (ms >= 400 && ms < 1500);
}

static void test_stale_and_invalid_replies_are_dropped (void)
{
    s_fake_t fake = {.send_stale = 1, .send_garbage = 1};
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 3000, err, sizeof err);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int rc1 = rpc ? s_status (rpc, &reply) : -99;
    uint64_t n1 = reply.status_ok.stats.submitted;
    dt_msg_reset (&reply);
    /* The stale copy of the first reply is ignored by the second call. */
    int rc2 = rpc ? s_status (rpc, &reply) : -99;
    uint64_t n2 = reply.status_ok.stats.submitted;
    dt_msg_reset (&reply);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK_EQ (rc1, 0);
    DT_CHECK_EQ (n1, 1);
    DT_CHECK_EQ (rc2, 0);
    DT_CHECK_EQ (n2, 2);
    DT_CHECK_EQ (__atomic_load_n (&fake.received, __ATOMIC_SEQ_CST), 2);
}

static void test_silent_master_gives_up_after_the_timeout (void)
{
    s_fake_t fake = {.drop_first = 1000000};
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 600, err, sizeof err);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int64_t t0 = zclock_mono ();
    int rc = rpc ? s_status (rpc, &reply) : -99;
    int64_t ms = zclock_mono () - t0;
    int received = __atomic_load_n (&fake.received, __ATOMIC_SEQ_CST);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK_EQ (rc, DT_RPC_EUNREACH);
    DT_CHECK (ms >= 550 && ms < 1200);
    DT_CHECK (received >= 2); /* it was resent before giving up */
}

static void test_no_master_gives_up_after_the_timeout (void)
{
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new ("tcp://127.0.0.1:1", 500, err, sizeof err);
    DT_CHECK (rpc);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int64_t t0 = zclock_mono ();
    int rc = s_status (rpc, &reply);
    int64_t ms = zclock_mono () - t0;
    dt_rpc_destroy (&rpc);
    DT_CHECK_EQ (rc, DT_RPC_EUNREACH);
    DT_CHECK (ms >= 450 && ms < 1000);
}

static void test_unaddressed_error_is_returned_without_a_tag (void)
{
    s_fake_t fake = {.error_req0 = 1};
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 3000, err, sizeof err);
    dt_msg_t req, reply;
    dt_msg_init (&req);
    dt_msg_init (&reply);
    req.type = DT_MSG_STATUS;
    void *tag = &fake;
    int rc = rpc ? dt_rpc_start (rpc, &req, &fake) : -99;
    if (rc == 0)
        rc = dt_rpc_wait (rpc, &reply, &tag, 3000);
    int ok = rc == 0 && tag == NULL && reply.type == DT_MSG_ERROR &&
             reply.error.code == DT_ERR_MALFORMED;
    dt_msg_reset (&reply);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK (ok);
}

static void test_pipelined_requests_each_get_their_reply (void)
{
    s_fake_t fake;
    memset (&fake, 0, sizeof fake);
    zactor_t *actor = s_fake_start (&fake);
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 3000, err, sizeof err);
    DT_CHECK (rpc);
    int tags[8], seen[8] = {0}, bad = 0;
    for (int i = 0; i < 8; i++) {
        dt_msg_t req;
        dt_msg_init (&req);
        req.type = DT_MSG_FETCH;
        req.fetch.cursor = (uint64_t) i * 10;
        req.fetch.max = 1;
        tags[i] = i;
        if (dt_rpc_start (rpc, &req, &tags[i]) != 0)
            bad++;
    }
    for (int i = 0; i < 8 && !bad; i++) {
        dt_msg_t reply;
        dt_msg_init (&reply);
        void *tag = NULL;
        if (dt_rpc_wait (rpc, &reply, &tag, 3000) != 0 || !tag)
            bad++;
        else if (reply.type != DT_MSG_PAGE ||
                 reply.page.cursor != (uint64_t) * (int *) tag * 10 + 1)
            bad++;
        else
            seen[*(int *) tag]++;
        dt_msg_reset (&reply);
    }
    size_t left = dt_rpc_inflight (rpc);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK_EQ (bad, 0);
    DT_CHECK_EQ (left, 0);
    for (int i = 0; i < 8; i++)
        DT_CHECK_EQ (seen[i], 1);
}

/* Listens on the port of "tcp://127.0.0.1:PORT" without ever accepting. */
static int s_hold_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (!colon || fd < 0)
        return -1;
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t) atoi (colon + 1))};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 1) != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

static void test_persistent_engine_waits_out_a_master_restart (void)
{
    /* A port outside the ephemeral range, so that other tests binding
     * "tcp://127.0.0.1:*" cannot take it while this master is down. */
    s_fake_t fake;
    zactor_t *actor = NULL;
    for (int try = 0; try < 20 && !actor; try++) {
        memset (&fake, 0, sizeof fake);
        snprintf (fake.endpoint, sizeof fake.endpoint, "tcp://127.0.0.1:%d",
                  20000 + (int) ((getpid () * 7919 + try * 104729) % 10000));
        actor = s_fake_start (&fake);
    }
    DT_CHECK (actor);
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (fake.endpoint, 400, err, sizeof err);
    DT_CHECK (rpc);
    dt_rpc_set_persistent (rpc, 1);
    dt_msg_t reply;
    dt_msg_init (&reply);
    int rc1 = s_status (rpc, &reply);
    dt_msg_reset (&reply);
    zactor_destroy (&actor);
    /* Hold the port while "down" with a listener that never speaks ZMTP, so
     * no other test binding an ephemeral port can answer in its place. */
    int hold = s_hold_port (fake.endpoint);

    /* Down for three timeouts, then back on the same endpoint. */
    dt_msg_t req;
    dt_msg_init (&req);
    req.type = DT_MSG_STATUS;
    int rc = dt_rpc_start (rpc, &req, NULL);
    void *tag;
    if (rc == 0)
        rc = dt_rpc_wait (rpc, &reply, &tag, 1200);
    int rc_down = rc;
    s_fake_t again;
    memset (&again, 0, sizeof again);
    memcpy (again.endpoint, fake.endpoint, sizeof again.endpoint);
    if (hold >= 0)
        close (hold);
    actor = s_fake_start (&again);
    rc = actor ? dt_rpc_wait (rpc, &reply, &tag, 8000) : -99;
    int ok = rc == 0 && reply.type == DT_MSG_STATUS_OK;
    dt_msg_reset (&reply);
    dt_rpc_destroy (&rpc);
    zactor_destroy (&actor);
    DT_CHECK_EQ (rc1, 0);
    DT_CHECK_EQ (rc_down, DT_RPC_EAGAIN);
    DT_CHECK (ok);
}

static dt_test_t tests[] = {
    {"answered request returns its reply", test_answered_request_returns_its_reply},
    {"lost request is resent on a new socket", test_lost_request_is_resent_on_a_new_socket},
    {"stale and invalid replies are dropped", test_stale_and_invalid_replies_are_dropped},
    {"silent master gives up after the timeout", test_silent_master_gives_up_after_the_timeout},
    {"no master gives up after the timeout", test_no_master_gives_up_after_the_timeout},
    {"unaddressed error is returned without a tag",
     test_unaddressed_error_is_returned_without_a_tag},
    {"pipelined requests each get their reply", test_pipelined_requests_each_get_their_reply},
    {"persistent engine waits out a master restart",
     test_persistent_engine_waits_out_a_master_restart},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
