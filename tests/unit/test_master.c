/* test_master.c - the master's loop over the wire: a real ROUTER on 127.0.0.1, DEALERs as peers.
 *
 * Each test runs dt_master_run() in a thread of its own (stopped through
 * zsys_interrupted, as a signal would) and talks to it like a worker or a
 * client would, message by message.
 */
#include "dt_auth.h"
#include "dt_conns.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_master.h"
#include "dt_msg.h"
#include "dt_sock.h"
#include "dt_test.h"

#include <czmq.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Longest wait for a reply that must come. Generous: only a broken master
 * ever takes it, so it never makes a passing run slow. */
#define REPLY_MS 10000

static dt_master_t *s_master;
static pthread_t s_thread;
static int s_rc;

static void *s_run (void *arg)
{
    s_rc = dt_master_run (s_master);
    return NULL;
}

/* Starts a --memory master on a free port with fast heartbeats. */
static int s_stop (void);

static int s_start_keys (const char *keys_dir)
{
    if (s_master)
        s_stop (); /* left running by a test that failed half-way */
    dt_master_opts_t opts = {
        .bind = "tcp://127.0.0.1:*",
        .data_dir = NULL,
        .keys_dir = keys_dir,
        .max_attempts = 3,
        .heartbeat_ms = 200,
        .liveness = 50, /* no worker is declared dead during a test */
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

static int s_start (void)
{
    return s_start_keys (NULL);
}

/* Stops it as SIGTERM would. Returns dt_master_run()'s result. */
static int s_stop (void)
{
    if (!s_master)
        return -1;
    zsys_interrupted = 1;
    pthread_join (s_thread, NULL);
    zsys_interrupted = 0;
    dt_master_destroy (&s_master);
    return s_rc;
}

static zsock_t *s_peer (void)
{
    char err[256];
    zsock_t *sock = dt_sock_new_dealer (dt_master_endpoint (s_master), err, sizeof err);
    if (!sock)
        fprintf (stderr, "    dealer: %s\n", err);
    return sock;
}

static int s_send (zsock_t *sock, dt_msg_t *msg)
{
    return dt_msg_send (msg, zsock_resolve (sock), NULL);
}

/* Receives the next message into `msg` (reset first). Returns 0, or -1
 * when nothing valid came within `ms`. */
static int s_recv (zsock_t *sock, dt_msg_t *msg, int ms)
{
    dt_msg_reset (msg);
    zmq_pollitem_t item = {zsock_resolve (sock), 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, ms) != 1)
        return -1;
    return dt_msg_recv (msg, zsock_resolve (sock), NULL, ZMQ_DONTWAIT) == 0 ? 0 : -1;
}

/* Receives, skipping HEARTBEATs (a worker gets them at any time). */
static int s_recv_worker (zsock_t *sock, dt_msg_t *msg, int ms)
{
    for (int i = 0; i < 100; i++) {
        if (s_recv (sock, msg, ms) != 0)
            return -1;
        if (msg->type != DT_MSG_HEARTBEAT)
            return 0;
    }
    return -1;
}

static int s_hello (zsock_t *worker, const char *name, uint32_t capacity)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_HELLO;
    msg.hello.name = dt_str (name);
    msg.hello.capacity = capacity;
    msg.hello.concurrency = capacity;
    msg.hello.heartbeat_ms = 200;
    if (s_send (worker, &msg) != 0)
        return -1;
    int rc = s_recv_worker (worker, &msg, REPLY_MS) == 0 && msg.type == DT_MSG_WELCOME ? 0 : -1;
    dt_msg_reset (&msg);
    return rc;
}

static void s_status (zsock_t *client, dt_msg_t *reply)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_STATUS;
    msg.req = 77;
    msg.status.job = dt_str ("");
    if (s_send (client, &msg) != 0 || s_recv (client, reply, REPLY_MS) != 0)
        reply->type = 0;
}

static int s_submit (zsock_t *client, const char *job, uint32_t chunk, const char **urls,
                     uint32_t n, dt_msg_t *reply)
{
    dt_str_t strs[16];
    for (uint32_t i = 0; i < n; i++)
        strs[i] = dt_str (urls[i]);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_SUBMIT;
    msg.req = 1000 + chunk;
    msg.submit.job = dt_str (job);
    msg.submit.chunk = chunk;
    msg.submit.count = n;
    msg.submit.payloads = strs;
    if (s_send (client, &msg) != 0)
        return -1;
    return s_recv (client, reply, REPLY_MS);
}

static int s_fetch_max (zsock_t *client, const char *job, uint64_t cursor, uint32_t wait_ms,
                        uint64_t req, uint32_t max, uint32_t flags)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_FETCH;
    msg.req = req;
    msg.fetch.job = dt_str (job);
    msg.fetch.cursor = cursor;
    msg.fetch.max = max;
    msg.fetch.wait_ms = wait_ms;
    msg.fetch.flags = flags;
    return s_send (client, &msg);
}

static int s_fetch (zsock_t *client, const char *job, uint64_t cursor, uint32_t wait_ms,
                    uint64_t req)
{
    return s_fetch_max (client, job, cursor, wait_ms, req, DT_LIMIT_BATCH_MAX, 0);
}

/* Sends one DONE result per task in `tasks` (a TASKS message). */
static int s_complete (zsock_t *worker, const char *name, const dt_msg_t *tasks)
{
    dt_msg_result_t items[16];
    uint32_t n = tasks->tasks.count < 16 ? tasks->tasks.count : 16;
    for (uint32_t i = 0; i < n; i++) {
        memset (&items[i], 0, sizeof items[i]);
        items[i].id = tasks->tasks.items[i].id;
        items[i].attempt = tasks->tasks.items[i].attempt;
        items[i].epoch = tasks->tasks.epoch;
        items[i].outcome = DT_OUTCOME_DONE;
        items[i].http_status = 200;
        items[i].bytes = 5;
        items[i].final_url = tasks->tasks.items[i].payload;
        items[i].content_type = dt_str ("text/plain");
        items[i].error = dt_str ("");
    }
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_RESULTS;
    msg.results.worker = dt_str (name);
    msg.results.count = n;
    msg.results.items = items;
    return s_send (worker, &msg);
}

static void test_garbage_is_answered_with_error_and_the_master_keeps_serving (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *peer = s_peer ();
    DT_CHECK (peer);
    void *sock = zsock_resolve (peer);
    dt_msg_t reply;
    dt_msg_init (&reply);

    /* Random bytes, an empty frame, a header from a future version, and a
     * message of two frames. */
    uint8_t noise[200];
    srand (42);
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (uint8_t) rand ();
    const uint8_t future[] = {0x94, DT_PROTO_VERSION + 1, 0x0b, 0x00, 0xa0};
    DT_CHECK (zmq_send (sock, noise, sizeof noise, 0) == (int) sizeof noise);
    DT_CHECK (s_recv (peer, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_MALFORMED);
    DT_CHECK (zmq_send (sock, "", 0, 0) == 0);
    DT_CHECK (s_recv (peer, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.error.code, DT_ERR_MALFORMED);
    DT_CHECK (zmq_send (sock, future, sizeof future, 0) == (int) sizeof future);
    DT_CHECK (s_recv (peer, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_VERSION);
    DT_CHECK (zmq_send (sock, future, sizeof future, ZMQ_SNDMORE) == (int) sizeof future);
    DT_CHECK (zmq_send (sock, future, sizeof future, 0) == (int) sizeof future);
    DT_CHECK (s_recv (peer, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.error.code, DT_ERR_MALFORMED);

    /* A valid message the master only ever sends. */
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_WELCOME;
    msg.req = 5;
    DT_CHECK (s_send (peer, &msg) == 0);
    DT_CHECK (s_recv (peer, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.error.code, DT_ERR_MALFORMED);
    DT_CHECK_EQ (reply.req, 5);

    /* Still serving, and every one of them was counted. */
    s_status (peer, &reply);
    DT_CHECK_EQ (reply.type, DT_MSG_STATUS_OK);
    DT_CHECK_EQ (reply.req, 77);
    DT_CHECK_EQ (reply.status_ok.stats.invalid, 5);
    dt_msg_reset (&reply);
    zsock_destroy (&peer);
    DT_CHECK_EQ (s_stop (), 0);
}

static void test_submitted_tasks_reach_a_worker_and_results_reach_a_client (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *worker = s_peer (), *client = s_peer ();
    DT_CHECK (worker && client);
    dt_msg_t reply, tasks;
    dt_msg_init (&reply);
    dt_msg_init (&tasks);
    DT_CHECK (s_hello (worker, "w1", 8) == 0);

    const char *urls[3] = {"http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "https://127.0.0.1:9/c"};
    DT_CHECK (s_submit (client, "job1", 0, urls, 3, &reply) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_SUBMIT_OK);
    DT_CHECK_EQ (reply.req, 1000);
    DT_CHECK_EQ (reply.submit_ok.first_id, 1);
    DT_CHECK_EQ (reply.submit_ok.count, 3);
    /* The same chunk again: the same answer, nothing new. */
    DT_CHECK (s_submit (client, "job1", 0, urls, 3, &reply) == 0);
    DT_CHECK_EQ (reply.submit_ok.first_id, 1);

    /* A long poll parked before any result exists. */
    DT_CHECK (s_fetch (client, "job1", 0, REPLY_MS, 9) == 0);

    uint32_t got = 0;
    while (got < 3) {
        DT_CHECK (s_recv_worker (worker, &tasks, REPLY_MS) == 0);
        DT_CHECK_EQ (tasks.type, DT_MSG_TASKS);
        for (uint32_t i = 0; i < tasks.tasks.count; i++) {
            DT_CHECK_EQ (tasks.tasks.items[i].id, got + i + 1);
            DT_CHECK_EQ (tasks.tasks.items[i].attempt, 1);
        }
        got += tasks.tasks.count;
        DT_CHECK (s_complete (worker, "w1", &tasks) == 0);
    }
    DT_CHECK_EQ (got, 3);

    /* The parked FETCH is answered by the results, maybe over a few pages. */
    uint64_t cursor = 0, seen = 0;
    for (int i = 0; i < 10 && seen < 3; i++) {
        if (i > 0)
            DT_CHECK (s_fetch (client, "job1", cursor, REPLY_MS, 10 + i) == 0);
        DT_CHECK (s_recv (client, &reply, REPLY_MS) == 0);
        DT_CHECK_EQ (reply.type, DT_MSG_PAGE);
        for (uint32_t k = 0; k < reply.page.count; k++) {
            DT_CHECK_EQ (reply.page.items[k].id, seen + k + 1);
            DT_CHECK_EQ (reply.page.items[k].state, DT_STATE_DONE);
            DT_CHECK (reply.page.items[k].worker.len == 2);
        }
        seen += reply.page.count;
        cursor = reply.page.cursor;
    }
    DT_CHECK_EQ (seen, 3);
    DT_CHECK_EQ (reply.page.stats.submitted, 3);
    DT_CHECK_EQ (reply.page.stats.done, 3);

    /* Nothing more: a short long poll ends with an empty page. */
    DT_CHECK (s_fetch (client, "job1", cursor, 50, 99) == 0);
    DT_CHECK (s_recv (client, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_PAGE);
    DT_CHECK_EQ (reply.req, 99);
    DT_CHECK_EQ (reply.page.count, 0);
    DT_CHECK_EQ (reply.page.cursor, cursor);

    /* The same result again is a duplicate. */
    DT_CHECK (s_complete (worker, "w1", &tasks) == 0);
    s_status (client, &reply);
    DT_CHECK_EQ (reply.type, DT_MSG_STATUS_OK);
    DT_CHECK_EQ (reply.status_ok.stats.done, 3);
    DT_CHECK (reply.status_ok.stats.duplicates >= 1);
    DT_CHECK_EQ (reply.status_ok.count, 1);
    DT_CHECK_EQ (reply.status_ok.workers[0].capacity, 8);
    DT_CHECK_EQ (reply.status_ok.workers[0].inflight, 0);
    DT_CHECK_EQ (reply.status_ok.workers[0].done, 3);
    dt_msg_reset (&reply);
    dt_msg_reset (&tasks);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
}

/* A long poll with DT_FETCH_FILL: answered at once when its page is full,
 * and within its fill time (not its 30 s wait) when results stop short. */
static void test_a_filling_long_poll_answers_a_full_page_or_at_its_fill_time (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *worker = s_peer (), *client = s_peer ();
    DT_CHECK (worker && client);
    dt_msg_t reply, tasks, held[4];
    dt_msg_init (&reply);
    dt_msg_init (&tasks);
    DT_CHECK (s_hello (worker, "w1", 8) == 0);
    const char *urls[4] = {"http://127.0.0.1:9/1", "http://127.0.0.1:9/2", "http://127.0.0.1:9/3",
                           "http://127.0.0.1:9/4"};
    DT_CHECK (s_submit (client, "fill", 0, urls, 4, &reply) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_SUBMIT_OK);
    /* The tasks, one result message per task later. */
    uint32_t got = 0, nheld = 0;
    while (got < 4 && nheld < 4) {
        dt_msg_init (&held[nheld]);
        DT_CHECK (s_recv_worker (worker, &held[nheld], REPLY_MS) == 0);
        DT_CHECK_EQ (held[nheld].type, DT_MSG_TASKS);
        got += held[nheld++].tasks.count;
    }
    DT_CHECK_EQ (got, 4);

    /* Two results of the four asked for: the page comes at the fill time. */
    DT_CHECK (s_fetch_max (client, "fill", 0, 30000, 5, 4, DT_FETCH_FILL) == 0);
    uint32_t sent = 0;
    for (uint32_t m = 0; m < nheld && sent < 2; m++)
        for (uint32_t i = 0; i < held[m].tasks.count && sent < 2; i++, sent++) {
            tasks = held[m];
            tasks.tasks.items += i;
            tasks.tasks.count = 1;
            DT_CHECK (s_complete (worker, "w1", &tasks) == 0);
        }
    uint64_t seen = 0, cursor = 0;
    while (seen < 2) {
        DT_CHECK (s_recv (client, &reply, 5000) == 0);
        DT_CHECK_EQ (reply.type, DT_MSG_PAGE);
        seen += reply.page.count;
        cursor = reply.page.cursor;
        if (seen < 2)
            DT_CHECK (s_fetch_max (client, "fill", cursor, 30000, 6, 4, DT_FETCH_FILL) == 0);
    }
    DT_CHECK_EQ (seen, 2);

    /* The other two fill a page of two: answered when they are in. */
    DT_CHECK (s_fetch_max (client, "fill", cursor, 30000, 7, 2, DT_FETCH_FILL) == 0);
    for (uint32_t m = 0, k = 0; m < nheld; m++)
        for (uint32_t i = 0; i < held[m].tasks.count; i++, k++)
            if (k >= 2) {
                tasks = held[m];
                tasks.tasks.items += i;
                tasks.tasks.count = 1;
                DT_CHECK (s_complete (worker, "w1", &tasks) == 0);
            }
    while (seen < 4) {
        DT_CHECK (s_recv (client, &reply, 5000) == 0);
        DT_CHECK_EQ (reply.type, DT_MSG_PAGE);
        seen += reply.page.count;
        if (seen < 4)
            DT_CHECK (s_fetch_max (client, "fill", reply.page.cursor, 30000, 8, 4 - seen,
                                   DT_FETCH_FILL) == 0);
    }
    DT_CHECK_EQ (seen, 4);
    DT_CHECK_EQ (reply.page.stats.done, 4);
    dt_msg_reset (&reply);
    for (uint32_t m = 0; m < nheld; m++)
        dt_msg_reset (&held[m]);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
}

static void test_bad_url_is_refused_and_nothing_is_created (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *client = s_peer ();
    DT_CHECK (client);
    dt_msg_t reply;
    dt_msg_init (&reply);
    const char *urls[2] = {"http://127.0.0.1:9/ok", "ftp://127.0.0.1/x"};
    DT_CHECK (s_submit (client, "job", 0, urls, 2, &reply) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_BAD_URL);
    DT_CHECK (reply.error.text.len >= 6 && memcmp (reply.error.text.ptr, "url 2:", 6) == 0);
    s_status (client, &reply);
    DT_CHECK_EQ (reply.status_ok.stats.submitted, 0);
    dt_msg_reset (&reply);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
}

static void test_only_the_lease_holders_connection_records_a_result (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *worker = s_peer (), *client = s_peer ();
    DT_CHECK (worker && client);
    dt_msg_t reply, tasks;
    dt_msg_init (&reply);
    dt_msg_init (&tasks);
    DT_CHECK (s_hello (worker, "w1", 1) == 0);
    const char *urls[1] = {"http://127.0.0.1:9/a"};
    DT_CHECK (s_submit (client, "j", 0, urls, 1, &reply) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_SUBMIT_OK);
    DT_CHECK (s_recv_worker (worker, &tasks, REPLY_MS) == 0);
    DT_CHECK_EQ (tasks.type, DT_MSG_TASKS);
    DT_CHECK (tasks.tasks.epoch != 0);

    /* A peer that never said HELLO, naming another worker or the lease
     * holder itself: late, nothing recorded, and told to say HELLO. */
    zsock_t *stranger = s_peer ();
    DT_CHECK (stranger);
    DT_CHECK (s_complete (stranger, "w9", &tasks) == 0);
    DT_CHECK (s_recv (stranger, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.error.code, DT_ERR_UNKNOWN_PEER);
    DT_CHECK (s_complete (stranger, "w1", &tasks) == 0);
    DT_CHECK (s_recv (stranger, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_UNKNOWN_PEER);
    dt_msg_t beat;
    dt_msg_init (&beat);
    beat.type = DT_MSG_HEARTBEAT;
    DT_CHECK (s_send (stranger, &beat) == 0);
    DT_CHECK (s_recv (stranger, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.error.code, DT_ERR_UNKNOWN_PEER);
    s_status (client, &reply);
    DT_CHECK_EQ (reply.status_ok.stats.done, 0);
    DT_CHECK_EQ (reply.status_ok.stats.late, 2);
    DT_CHECK_EQ (reply.status_ok.stats.invalid, 0);
    DT_CHECK_EQ (reply.status_ok.workers[0].inflight, 1);

    /* The same result from the connection holding the lease is recorded
     * (it travels on another socket than STATUS: asked until it shows). */
    DT_CHECK (s_complete (worker, "w1", &tasks) == 0);
    for (int i = 0; i < 500; i++) {
        s_status (client, &reply);
        if (reply.status_ok.stats.done == 1)
            break;
        zclock_sleep (10);
    }
    DT_CHECK_EQ (reply.status_ok.stats.done, 1);
    DT_CHECK_EQ (reply.status_ok.stats.late, 2);
    DT_CHECK_EQ (reply.status_ok.workers[0].inflight, 0);
    DT_CHECK_EQ (reply.status_ok.workers[0].done, 1);
    dt_msg_reset (&reply);
    dt_msg_reset (&tasks);
    zsock_destroy (&stranger);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
}

/* A DEALER over CURVE with the key pair in `dir`/`file` (secret) to the
 * running master, whose public key is `server_key`; with `id`, that
 * routing id instead of a random one. */
static zsock_t *s_curve_peer (const char *dir, const char *file, const char *server_key,
                              const uint8_t *id, size_t id_len)
{
    char path[256], err[256];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    zcert_t *cert = dt_auth_load_cert (path, 1, err, sizeof err);
    if (!cert)
        return NULL;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    if (sock) {
        zsock_set_linger (sock, 0);
        if (id)
            zmq_setsockopt (zsock_resolve (sock), ZMQ_ROUTING_ID, id, id_len);
        zcert_apply (cert, sock);
        zsock_set_curve_serverkey (sock, server_key);
        if (zsock_connect (sock, "%s", dt_master_endpoint (s_master)) != 0)
            zsock_destroy (&sock);
    }
    zcert_destroy (&cert);
    return sock;
}

static void test_another_workers_key_cannot_end_a_lease_even_with_its_routing_id (void)
{
    char dir[] = "/tmp/dtask-master-keys-XXXXXX", sub[64], err[256];
    DT_CHECK (mkdtemp (dir));
    DT_CHECK_EQ (dt_auth_keygen (dir, "master", "master", err, sizeof err), 0);
    snprintf (sub, sizeof sub, "%s/workers", dir);
    DT_CHECK_EQ (dt_auth_keygen (sub, "w1", "worker", err, sizeof err), 0);
    DT_CHECK_EQ (dt_auth_keygen (sub, "w2", "worker", err, sizeof err), 0);
    snprintf (sub, sizeof sub, "%s/clients", dir);
    DT_CHECK_EQ (dt_auth_keygen (sub, "c1", "client", err, sizeof err), 0);
    char path[256];
    snprintf (path, sizeof path, "%s/master.key", dir);
    zcert_t *master_cert = dt_auth_load_cert (path, 0, err, sizeof err);
    DT_CHECK (master_cert);
    char master_key[41];
    snprintf (master_key, sizeof master_key, "%s", zcert_public_txt (master_cert));
    zcert_destroy (&master_cert);

    DT_CHECK (s_start_keys (dir) == 0);
    const uint8_t id[4] = {0x7f, 'w', '1', 0x01};
    zsock_t *worker = s_curve_peer (dir, "workers/w1.key_secret", master_key, id, sizeof id);
    zsock_t *client = s_curve_peer (dir, "clients/c1.key_secret", master_key, NULL, 0);
    DT_CHECK (worker && client);
    dt_msg_t reply, tasks;
    dt_msg_init (&reply);
    dt_msg_init (&tasks);
    DT_CHECK (s_hello (worker, "w1", 1) == 0);
    const char *urls[1] = {"http://127.0.0.1:9/a"};
    DT_CHECK (s_submit (client, "j", 0, urls, 1, &reply) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_SUBMIT_OK);
    DT_CHECK (s_recv_worker (worker, &tasks, REPLY_MS) == 0);
    DT_CHECK_EQ (tasks.type, DT_MSG_TASKS);

    /* Worker key w2 takes w1's routing id over and reports w1's lease with
     * every number right: late, and its HELLO on that id is refused. */
    zsock_t *forger = s_curve_peer (dir, "workers/w2.key_secret", master_key, id, sizeof id);
    DT_CHECK (forger);
    DT_CHECK (s_complete (forger, "w1", &tasks) == 0);
    DT_CHECK (s_recv (forger, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_UNKNOWN_PEER);
    dt_msg_t hello;
    dt_msg_init (&hello);
    hello.type = DT_MSG_HELLO;
    hello.hello.name = dt_str ("w1");
    hello.hello.capacity = hello.hello.concurrency = 1;
    hello.hello.heartbeat_ms = 200;
    DT_CHECK (s_send (forger, &hello) == 0);
    DT_CHECK (s_recv_worker (forger, &reply, REPLY_MS) == 0);
    DT_CHECK_EQ (reply.type, DT_MSG_ERROR);
    DT_CHECK_EQ (reply.error.code, DT_ERR_DENIED);
    s_status (client, &reply);
    DT_CHECK_EQ (reply.type, DT_MSG_STATUS_OK);
    DT_CHECK_EQ (reply.status_ok.stats.done, 0);
    DT_CHECK_EQ (reply.status_ok.stats.late, 1);
    DT_CHECK_EQ (reply.status_ok.stats.inflight, 1);
    DT_CHECK_EQ (reply.status_ok.count, 1);
    dt_msg_reset (&reply);
    dt_msg_reset (&tasks);
    zsock_destroy (&forger);
    zsock_destroy (&worker);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
    snprintf (path, sizeof path, "rm -rf %s", dir);
    DT_CHECK_EQ (system (path), 0);
}

static void test_bye_requeues_what_the_worker_held (void)
{
    DT_CHECK (s_start () == 0);
    zsock_t *w1 = s_peer (), *w2 = s_peer (), *client = s_peer ();
    DT_CHECK (w1 && w2 && client);
    dt_msg_t reply, tasks;
    dt_msg_init (&reply);
    dt_msg_init (&tasks);
    DT_CHECK (s_hello (w1, "w1", 2) == 0);
    const char *urls[2] = {"http://127.0.0.1:9/a", "http://127.0.0.1:9/b"};
    DT_CHECK (s_submit (client, "j", 0, urls, 2, &reply) == 0);
    uint32_t got = 0;
    while (got < 2 && s_recv_worker (w1, &tasks, REPLY_MS) == 0)
        got += tasks.tasks.count;
    DT_CHECK_EQ (got, 2);
    dt_msg_t bye;
    dt_msg_init (&bye);
    bye.type = DT_MSG_BYE;
    DT_CHECK (s_send (w1, &bye) == 0);
    /* The next worker gets both again, as second attempts. */
    DT_CHECK (s_hello (w2, "w2", 4) == 0);
    got = 0;
    while (got < 2) {
        DT_CHECK (s_recv_worker (w2, &tasks, REPLY_MS) == 0);
        DT_CHECK_EQ (tasks.type, DT_MSG_TASKS);
        DT_CHECK_EQ (tasks.tasks.items[0].attempt, 2);
        got += tasks.tasks.count;
    }
    s_status (client, &reply);
    DT_CHECK_EQ (reply.status_ok.count, 1);
    DT_CHECK_EQ (reply.status_ok.stats.inflight, 2);
    DT_CHECK_EQ (reply.status_ok.stats.retried, 2);
    dt_msg_reset (&reply);
    dt_msg_reset (&tasks);
    zsock_destroy (&w1);
    zsock_destroy (&w2);
    zsock_destroy (&client);
    DT_CHECK_EQ (s_stop (), 0);
}

/* libzmq sends monitor events from its one I/O thread with a blocking
 * send: a connection monitor whose reader is closed while the ROUTER lives
 * on would hang that thread at the next event (a peer's arrival or
 * departure), and with it every socket of the process. Closing the
 * connection budget must stop the monitor first. */
static void test_closing_the_connection_budget_stops_its_monitor (void)
{
    char err[256];
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    DT_CHECK (router);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    DT_CHECK (port > 0);
    dt_conns_opts_t opts = {.max_total = 16, .max_per_addr = 16};
    dt_conns_t *conns = dt_conns_new (zsock_resolve (router), &opts, err, sizeof err);
    DT_CHECK (conns);
    dt_conns_destroy (&conns);
    /* ACCEPTED and DISCONNECTED events after the reader is gone (its pipe
     * ends asynchronously: a few peers make sure one event comes after). */
    zsock_set_rcvtimeo (router, REPLY_MS);
    for (int round = 0; round < 5; round++) {
        zsock_t *peer = zsock_new (ZMQ_DEALER);
        DT_CHECK (peer);
        zsock_set_linger (peer, 0);
        DT_CHECK_EQ (zsock_connect (peer, "tcp://127.0.0.1:%d", port), 0);
        DT_CHECK_EQ (zstr_send (peer, "ping"), 0);
        /* The router gets it only if the I/O thread still runs. */
        zmsg_t *msg = zmsg_recv (router);
        zsock_destroy (&peer);
        DT_CHECK (msg);
        DT_CHECK_EQ (zmsg_size (msg), 2);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&router);
}

int main (void)
{
    dt_log_init ("test_master", DT_LOG_ERROR);
    static dt_test_t tests[] = {
        {"garbage is answered with ERROR and the master keeps serving",
         test_garbage_is_answered_with_error_and_the_master_keeps_serving},
        {"a filling long poll answers a full page or at its fill time",
         test_a_filling_long_poll_answers_a_full_page_or_at_its_fill_time},
        {"submitted tasks reach a worker and results reach a client",
         test_submitted_tasks_reach_a_worker_and_results_reach_a_client},
        {"bad url is refused and nothing is created",
         test_bad_url_is_refused_and_nothing_is_created},
        {"only the lease holder's connection records a result",
         test_only_the_lease_holders_connection_records_a_result},
        {"BYE requeues what the worker held", test_bye_requeues_what_the_worker_held},
        {"another worker's key cannot end a lease, even with its routing id",
         test_another_workers_key_cannot_end_a_lease_even_with_its_routing_id},
        {"closing the connection budget stops its monitor",
         test_closing_the_connection_budget_stops_its_monitor},
        {0},
    };
    int rc = dt_test_run (tests);
    /* A failed check may leave a master thread running. */
    if (s_master)
        s_stop ();
    return rc;
}
