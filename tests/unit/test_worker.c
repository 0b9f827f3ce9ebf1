/* test_worker.c - the real dtask-worker binary (noop handler) against a scripted master ROUTER. */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_sock.h"
#include "dt_test.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_WAIT_MS 10000 /* generous bound for any expected message */

static char s_worker_bin[PATH_MAX];
static int s_child_quiet; /* send the next worker's stderr to /dev/null */

typedef struct {
    zsock_t *router;   /* the scripted master */
    char endpoint[64]; /* where the worker connects */
    pid_t pid;         /* the worker */
    dt_peer_t peer;    /* its routing id, from its first message */
} s_rig_t;

/* Binds a ROUTER on a free port and starts the worker with `args` (NULL-
 * terminated, after --master). Returns 0 or -1. */
static int s_rig_start (s_rig_t *rig, const char *const *args)
{
    memset (rig, 0, sizeof *rig);
    char err[256];
    rig->router = dt_sock_new_router ("tcp://127.0.0.1:*", err, sizeof err);
    if (!rig->router)
        return -1;
    snprintf (rig->endpoint, sizeof rig->endpoint, "%s", zsock_endpoint (rig->router));
    const char *argv[32] = {s_worker_bin, "--master", rig->endpoint, "-q"};
    int n = 4;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    rig->pid = fork ();
    if (rig->pid < 0)
        return -1;
    if (rig->pid == 0) {
        if (s_child_quiet && !freopen ("/dev/null", "w", stderr))
            _exit (127);
        execv (s_worker_bin, (char *const *) argv);
        perror ("exec dtask-worker");
        _exit (127);
    }
    return 0;
}

/* Waits (bounded) for the worker to exit; returns its exit code, or -1. */
static int s_rig_wait_exit (s_rig_t *rig)
{
    for (int i = 0; i < 150; i++) {
        int status;
        if (waitpid (rig->pid, &status, WNOHANG) == rig->pid) {
            rig->pid = 0;
            return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
        }
        usleep (100 * 1000);
    }
    return -1;
}

static void s_rig_stop (s_rig_t *rig)
{
    if (rig->pid > 0) {
        kill (rig->pid, SIGKILL);
        waitpid (rig->pid, NULL, 0);
        rig->pid = 0;
    }
    zsock_destroy (&rig->router);
}

/* Receives the next message of type `type` within TEST_WAIT_MS, skipping
 * HEARTBEATs (unless asked for). Returns 0 with `msg` filled, or -1. */
static int s_expect (s_rig_t *rig, dt_msg_t *msg, int type)
{
    int64_t end = zclock_mono () + TEST_WAIT_MS;
    while (zclock_mono () < end) {
        zmq_pollitem_t item = {zsock_resolve (rig->router), 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        dt_peer_t peer;
        if (dt_msg_recv (msg, zsock_resolve (rig->router), &peer, ZMQ_DONTWAIT) != 0)
            continue;
        rig->peer = peer;
        if ((int) msg->type == type)
            return 0;
        if (msg->type != DT_MSG_HEARTBEAT)
            fprintf (stderr, "    (got %s while waiting for %s)\n", dt_msg_type_name (msg->type),
                     dt_msg_type_name (type));
    }
    dt_msg_reset (msg);
    return -1;
}

static int s_send (s_rig_t *rig, dt_msg_t *msg)
{
    return dt_msg_send (msg, zsock_resolve (rig->router), &rig->peer);
}

static int s_welcome (s_rig_t *rig, uint32_t heartbeat_ms)
{
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_WELCOME;
    m.welcome.heartbeat_ms = heartbeat_ms;
    m.welcome.liveness = 3;
    m.welcome.task_ms = 60000;
    return s_send (rig, &m);
}

/* Sends one TASKS of `epoch` with `n` tasks, ids first..first+n-1, URLs `base`/t/ID. */
/* The kind of the tasks s_tasks_epoch sends. */
static const char *s_kind = "http";

static int s_tasks_epoch (s_rig_t *rig, const char *base, uint64_t first, uint32_t n,
                          uint64_t epoch)
{
    static char urls[64][128];
    dt_msg_task_t items[64];
    if (n > 64)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        snprintf (urls[i], sizeof urls[i], "%s/t/%llu", base, (unsigned long long) (first + i));
        items[i] = (dt_msg_task_t){first + i, 1, dt_str (s_kind), dt_str (urls[i]), 0, 0, 0};
    }
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_TASKS;
    m.tasks.epoch = epoch;
    m.tasks.count = n;
    m.tasks.items = items;
    return s_send (rig, &m);
}

static int s_tasks_at (s_rig_t *rig, const char *base, uint64_t first, uint32_t n)
{
    return s_tasks_epoch (rig, base, first, n, 1);
}

static int s_tasks (s_rig_t *rig, uint64_t first, uint32_t n)
{
    return s_tasks_at (rig, "http://127.0.0.1:9", first, n);
}

/* Collects RESULTS until `n` results came; checks each is a noop DONE for
 * a task in [first, first+n). Returns the results seen, or -1 on a bad one. */
static int s_collect (s_rig_t *rig, uint64_t first, uint32_t n)
{
    int seen = 0;
    dt_msg_t m;
    dt_msg_init (&m);
    while (seen < (int) n && s_expect (rig, &m, DT_MSG_RESULTS) == 0) {
        for (uint32_t i = 0; i < m.results.count; i++) {
            const dt_msg_result_t *r = &m.results.items[i];
            char want[64];
            snprintf (want, sizeof want, "http://127.0.0.1:9/t/%llu", (unsigned long long) r->id);
            if (r->id < first || r->id >= first + n || r->outcome != DT_OUTCOME_DONE ||
                r->http_status != 200 || r->attempt != 1 || r->final_url.len != strlen (want) ||
                memcmp (r->final_url.ptr, want, r->final_url.len) != 0) {
                dt_msg_reset (&m);
                return -1;
            }
            seen++;
        }
        dt_msg_reset (&m);
    }
    return seen;
}

static void test_hello_offers_concurrency_plus_prefetch (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop",    "--concurrency", "4",   "--prefetch", "2",
                          "--name",    "w-hello", "--heartbeat",   "250", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int rc = s_expect (&rig, &m, DT_MSG_HELLO);
    int ok = rc == 0 && m.hello.capacity == 6 && m.hello.concurrency == 4 &&
             m.hello.heartbeat_ms == 250 && m.hello.name.len == 7 &&
             memcmp (m.hello.name.ptr, "w-hello", 7) == 0;
    dt_msg_reset (&m);
    s_rig_stop (&rig);
    DT_CHECK_EQ (rc, 0);
    DT_CHECK (ok);
}

static void test_tasks_are_run_and_sigterm_sends_bye_then_exits_0 (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop", "--concurrency", "8", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    int sent = hello == 0 ? s_welcome (&rig, 1000) | s_tasks (&rig, 100, 16) : -1;
    int seen = sent == 0 ? s_collect (&rig, 100, 16) : -1;
    kill (rig.pid, SIGTERM);
    int bye = s_expect (&rig, &m, DT_MSG_BYE);
    dt_msg_reset (&m);
    int code = s_rig_wait_exit (&rig);
    s_rig_stop (&rig);
    DT_CHECK_EQ (hello, 0);
    DT_CHECK_EQ (sent, 0);
    DT_CHECK_EQ (seen, 16);
    DT_CHECK_EQ (bye, 0);
    DT_CHECK_EQ (code, 0);
}

static void test_each_result_echoes_the_epoch_of_its_tasks (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop", "--concurrency", "2", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    const char *base = "http://127.0.0.1:9";
    /* The second epoch's tasks go out once the first's are back: a worker
     * drops tasks of an earlier epoch still queued when a new one's come. */
    int sent = hello == 0 ? s_welcome (&rig, 1000) | s_tasks_epoch (&rig, base, 1, 3, 7) : -1;
    int seen = 0, wrong = 0;
    while (sent == 0 && seen < 6 && s_expect (&rig, &m, DT_MSG_RESULTS) == 0) {
        for (uint32_t i = 0; i < m.results.count; i++, seen++) {
            const dt_msg_result_t *r = &m.results.items[i];
            wrong += r->epoch != (r->id <= 3 ? 7 : 0x100000000ULL);
        }
        dt_msg_reset (&m);
        if (seen == 3)
            sent = s_tasks_epoch (&rig, base, 4, 3, 0x100000000ULL);
    }
    s_rig_stop (&rig);
    DT_CHECK_EQ (sent, 0);
    DT_CHECK_EQ (seen, 6);
    DT_CHECK_EQ (wrong, 0);
}

static void test_queued_tasks_of_an_earlier_epoch_are_dropped_for_a_new_one (void)
{
    /* One task at a time, each two seconds long: when the restarted
     * master's TASKS (epoch 9) come, tasks 2 and 3 of epoch 7 are still
     * queued (task 1 may have started). They are dropped: the new master
     * holds no lease of theirs and runs them again. Kept, they would run
     * (and report) before 4 and 5. */
    s_rig_t rig;
    const char *args[] = {"--kind", "sleep", "--concurrency", "1", "--prefetch",
                          "8",      "--",    "/bin/sleep",    "2", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    const char *base = "http://127.0.0.1:9";
    s_kind = "sleep";
    int sent = hello == 0 ? s_welcome (&rig, 10000) | s_tasks_epoch (&rig, base, 1, 3, 7) |
                                s_tasks_epoch (&rig, base, 4, 2, 9)
                          : -1;
    s_kind = "http";
    unsigned ids = 0, want = (1u << 4) | (1u << 5), failed = 0;
    while (sent == 0 && (ids & want) != want && s_expect (&rig, &m, DT_MSG_RESULTS) == 0) {
        for (uint32_t i = 0; i < m.results.count; i++) {
            if (m.results.items[i].id < 32)
                ids |= 1u << m.results.items[i].id;
            failed += m.results.items[i].outcome != DT_OUTCOME_DONE;
        }
        dt_msg_reset (&m);
    }
    s_rig_stop (&rig);
    DT_CHECK_EQ (sent, 0);
    DT_CHECK_EQ (failed, 0); /* each ran its two seconds */
    DT_CHECK_EQ (ids & want, want);
    DT_CHECK_EQ (ids & ((1u << 2) | (1u << 3)), 0);
}

static void test_unknown_peer_error_gets_a_fresh_hello (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop", "--concurrency", "2", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int first = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    s_welcome (&rig, 1000);
    dt_msg_t e;
    dt_msg_init (&e);
    e.type = DT_MSG_ERROR;
    e.error.code = DT_ERR_UNKNOWN_PEER;
    e.error.text = dt_str ("who are you");
    s_send (&rig, &e);
    int again = s_expect (&rig, &m, DT_MSG_HELLO);
    uint32_t capacity = again == 0 ? m.hello.capacity : 0;
    dt_msg_reset (&m);
    s_rig_stop (&rig);
    DT_CHECK_EQ (first, 0);
    DT_CHECK_EQ (again, 0);
    DT_CHECK_EQ (capacity, 4); /* holds nothing: all its credit is free */
}

static void test_silent_master_gets_hello_again (void)
{
    s_rig_t rig;
    /* Before WELCOME the worker uses its own heartbeat and liveness 3. */
    const char *args[] = {"--handler", "noop", "--heartbeat", "50", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int first = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    int again = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    s_rig_stop (&rig);
    DT_CHECK_EQ (first, 0);
    DT_CHECK_EQ (again, 0);
}

static void test_idle_worker_sends_heartbeats (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    s_welcome (&rig, 50);
    int beat = s_expect (&rig, &m, DT_MSG_HEARTBEAT);
    dt_msg_reset (&m);
    s_rig_stop (&rig);
    DT_CHECK_EQ (hello, 0);
    DT_CHECK_EQ (beat, 0);
}

static void test_invalid_message_is_dropped_and_work_goes_on (void)
{
    s_rig_t rig;
    const char *args[] = {"--handler", "noop", NULL};
    DT_CHECK (s_rig_start (&rig, args) == 0);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = s_expect (&rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    s_welcome (&rig, 1000);
    /* Not msgpack at all, then a valid batch. */
    void *router = zsock_resolve (rig.router);
    zmq_send (router, rig.peer.id, rig.peer.len, ZMQ_SNDMORE);
    zmq_send (router, "\xff\x00garbage", 9, 0);
    s_tasks (&rig, 1, 3);
    int seen = s_collect (&rig, 1, 3);
    s_rig_stop (&rig);
    DT_CHECK_EQ (hello, 0);
    DT_CHECK_EQ (seen, 3);
}

/* A listening socket that never accepts: a fetch from it connects, then
 * waits for an answer that never comes. Returns the fd (port in *port_p). */
static int s_silent_listener (int *port_p)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind (fd, (struct sockaddr *) &a, sizeof a) != 0 || listen (fd, 64) != 0 ||
        getsockname (fd, (struct sockaddr *) &a, &len) != 0) {
        close (fd);
        return -1;
    }
    *port_p = ntohs (a.sin_port);
    return fd;
}

/* Starts an http worker, registers it and gives it 4 fetches that hang.
 * Returns 0 with the worker holding them, or -1. */
static int s_hanging_worker (s_rig_t *rig, const char *grace, int *listener)
{
    int port = 0;
    *listener = s_silent_listener (&port);
    if (*listener < 0)
        return -1;
    char base[64];
    snprintf (base, sizeof base, "http://127.0.0.1:%d", port);
    const char *args[] = {"--concurrency", "2", "--timeout", "60", "--grace", grace, NULL};
    if (s_rig_start (rig, args) != 0)
        return -1;
    dt_msg_t m;
    dt_msg_init (&m);
    int rc = s_expect (rig, &m, DT_MSG_HELLO);
    dt_msg_reset (&m);
    if (rc == 0)
        rc = s_welcome (rig, 1000) | s_tasks_at (rig, base, 1, 4);
    /* A connection waiting on the listener: the worker is fetching. */
    struct pollfd pfd = {.fd = *listener, .events = POLLIN};
    if (rc == 0 && poll (&pfd, 1, TEST_WAIT_MS) != 1)
        rc = -1;
    return rc;
}

/* With one slot and fetches that never answer, each task is cut by the
 * WELCOME's task_ms counted from when it started: the second, which waited
 * for the first, still runs its full task_ms. */
static void test_task_ms_limits_each_task_from_its_start (void)
{
    int port = 0;
    int listener = s_silent_listener (&port);
    DT_CHECK (listener >= 0);
    char base[64];
    snprintf (base, sizeof base, "http://127.0.0.1:%d", port);
    s_rig_t rig;
    const char *args[] = {"--concurrency", "1", "--prefetch", "1", "--timeout", "60", NULL};
    int started = s_rig_start (&rig, args);
    dt_msg_t m;
    dt_msg_init (&m);
    int hello = started == 0 ? s_expect (&rig, &m, DT_MSG_HELLO) : -1;
    dt_msg_reset (&m);
    m.type = DT_MSG_WELCOME;
    m.welcome.heartbeat_ms = 1000;
    m.welcome.liveness = 3;
    m.welcome.task_ms = 300;
    int sent = hello == 0 ? s_send (&rig, &m) | s_tasks_at (&rig, base, 1, 2) : -1;
    int seen = 0, wrong = 0;
    while (sent == 0 && seen < 2 && s_expect (&rig, &m, DT_MSG_RESULTS) == 0) {
        for (uint32_t i = 0; i < m.results.count; i++, seen++) {
            const dt_msg_result_t *r = &m.results.items[i];
            const char *want = "task time limit (300 ms)";
            /* Counted from the arrival, the second would be cut at once. */
            if (r->outcome != DT_OUTCOME_RETRY || r->elapsed_ms < 150 ||
                r->error.len != strlen (want) || memcmp (r->error.ptr, want, r->error.len) != 0) {
                fprintf (stderr, "    task %llu: outcome %u after %u ms: %.*s\n",
                         (unsigned long long) r->id, r->outcome, r->elapsed_ms, (int) r->error.len,
                         r->error.ptr);
                wrong++;
            }
        }
        dt_msg_reset (&m);
    }
    s_rig_stop (&rig);
    close (listener);
    DT_CHECK_EQ (sent, 0);
    DT_CHECK_EQ (seen, 2);
    DT_CHECK_EQ (wrong, 0);
}

static void test_grace_period_over_abandons_tasks_and_exits_0 (void)
{
    s_rig_t rig;
    int listener = -1;
    int ready = s_hanging_worker (&rig, "0.3", &listener);
    if (ready == 0)
        kill (rig.pid, SIGTERM);
    dt_msg_t m;
    dt_msg_init (&m);
    int bye = ready == 0 ? s_expect (&rig, &m, DT_MSG_BYE) : -1;
    dt_msg_reset (&m);
    int code = ready == 0 ? s_rig_wait_exit (&rig) : -1;
    s_rig_stop (&rig);
    if (listener >= 0)
        close (listener);
    DT_CHECK_EQ (ready, 0);
    DT_CHECK_EQ (bye, 0);
    DT_CHECK_EQ (code, 0);
}

static void test_second_signal_stops_at_once_with_exit_1 (void)
{
    s_rig_t rig;
    int listener = -1;
    /* The grace period (an hour) cannot be what ends it. */
    int ready = s_hanging_worker (&rig, "3600", &listener);
    if (ready == 0) {
        kill (rig.pid, SIGTERM);
        usleep (100 * 1000);
        kill (rig.pid, SIGTERM);
    }
    int code = ready == 0 ? s_rig_wait_exit (&rig) : -1;
    s_rig_stop (&rig);
    if (listener >= 0)
        close (listener);
    DT_CHECK_EQ (ready, 0);
    DT_CHECK_EQ (code, 1);
}

static void test_bad_flag_is_usage_error_exit_2 (void)
{
    s_rig_t rig;
    const char *args[] = {"--concurrency", "0", NULL};
    s_child_quiet = 1;
    int started = s_rig_start (&rig, args);
    s_child_quiet = 0;
    DT_CHECK (started == 0);
    int code = s_rig_wait_exit (&rig);
    s_rig_stop (&rig);
    DT_CHECK_EQ (code, 2);
}

/* The binary sits in ../bin next to this test's directory in a build tree. */
static int s_find_worker (void)
{
    char self[PATH_MAX - 32];
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr (self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf (s_worker_bin, sizeof s_worker_bin, "%s/../bin/dtask-worker", self);
    return access (s_worker_bin, X_OK);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"hello offers concurrency plus prefetch", test_hello_offers_concurrency_plus_prefetch},
        {"tasks are run and sigterm sends bye then exits 0",
         test_tasks_are_run_and_sigterm_sends_bye_then_exits_0},
        {"each result echoes the epoch of its tasks",
         test_each_result_echoes_the_epoch_of_its_tasks},
        {"queued tasks of an earlier epoch are dropped for a new one",
         test_queued_tasks_of_an_earlier_epoch_are_dropped_for_a_new_one},
        {"unknown peer error gets a fresh hello", test_unknown_peer_error_gets_a_fresh_hello},
        {"task_ms limits each task from its start", test_task_ms_limits_each_task_from_its_start},
        {"silent master gets hello again", test_silent_master_gets_hello_again},
        {"idle worker sends heartbeats", test_idle_worker_sends_heartbeats},
        {"invalid message is dropped and work goes on",
         test_invalid_message_is_dropped_and_work_goes_on},
        {"grace period over abandons tasks and exits 0",
         test_grace_period_over_abandons_tasks_and_exits_0},
        {"second signal stops at once with exit 1", test_second_signal_stops_at_once_with_exit_1},
        {"bad flag is a usage error with exit 2", test_bad_flag_is_usage_error_exit_2},
        {0},
    };
    if (s_find_worker () != 0) {
        fprintf (stderr, "dtask-worker not found next to this test (%s)\n", s_worker_bin);
        printf ("0 passed, 1 failed\n");
        return 1;
    }
    zsys_handler_set (NULL);
    signal (SIGPIPE, SIG_IGN);
    int rc = dt_test_run (tests);
    zsys_shutdown ();
    return rc;
}
