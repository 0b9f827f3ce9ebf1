/* zmq_raw - the transport ceiling for bench/run: N tiny tasks over plain ZeroMQ.
 *
 *   zmq_raw vent   --tasks EP --results EP -n N -w W [--credit C] [--timeout SECONDS]
 *   zmq_raw lat    --tasks EP --results EP -n N -w W --credit C [--timeout SECONDS]
 *   zmq_raw worker --tasks EP --results EP [--credit C]
 *   zmq_raw broker --tasks EP --results EP -w W --credit C [--timeout SECONDS]
 *   zmq_raw client --results EP -n N [--timeout SECONDS]
 *
 * The ventilator binds a PUSH socket for tasks and a PULL socket for results (it is also the sink).
 * Each worker connects a PULL to the tasks endpoint and a PUSH to the results endpoint, says
 * "ready", then answers every task with one result. Nothing is stored, leased, retried or encoded:
 * one message per task each way is all the transport itself has to do, which is what the other
 * systems are compared against.
 *
 * The ventilator waits for W workers to say ready, starts the clock, pushes the N tasks while it
 * collects results (one poll loop: pushing everything first could fill every high-water mark and
 * stall both sides), stops the clock at the N-th result and prints `elapsed_ms=MS` on stdout.
 * With --credit C (on both sides) the shape is dtask's instead: the ventilator binds a ROUTER on
 * the tasks endpoint, each worker connects a DEALER, says "ready" and gets up to C tasks in flight,
 * dealt round-robin; each result, sent back on the same socket, returns one credit. Still one
 * message per task each way and nothing else, so it is the ceiling for a credit-based dispatcher: a
 * load-balancing broker one hop from its workers.
 *
 * `lat` is that broker with one task in flight at a time: it sends a task, waits for its result, N
 * times, and prints the percentiles of the round trip: `p50_us=`, `p99_us=`, `p999_us=` (and
 * `elapsed_ms=`).
 *
 * `broker` and `client` are the same round trip with the client in its own process, the shape of
 * the ZeroMQ guide's load-balancing broker and of dtask: the client (DEALER) connects to the
 * broker's ROUTER on the results endpoint and sends one task at a time; the broker routes it to a
 * worker with credit and the result back to the client. Client -> broker -> worker -> broker ->
 * client: the hops of one dtask round trip, with nothing else done on the way. The client prints
 * the percentiles; the broker runs until it is stopped.
 *
 * Exit codes: 0 ok, 1 failure (timeout, socket error), 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define ZR_TASK_MAX  128 /* a task is a 60-byte URL: far below this */
#define ZR_TASK_FMT  "http://127.0.0.1:1/bench/noop/tasks/%024ld"
#define ZR_READY     "ready"
#define ZR_STOP      ""  /* an empty task tells a worker to exit */
#define ZR_WARMUP_MS 100 /* lets the last worker's task pipe finish connecting after "ready" */
#define ZR_POLL_MS   100 /* poll slice: the deadline is checked at least this often */
#define ZR_ID_MAX    256 /* a ROUTER routing id is at most 255 bytes */

typedef struct {
    const char *mode;    /* "vent" or "worker" */
    const char *tasks;   /* endpoint of the task PUSH/PULL pair */
    const char *results; /* endpoint of the result PUSH/PULL pair */
    long n;              /* tasks to send (vent) */
    long w;              /* workers to wait for (vent) */
    long timeout_s;      /* whole-run limit (vent) */
    long credit;         /* 0: PUSH/PULL; else ROUTER/DEALER with this many tasks in flight each */
    int latency;         /* mode "lat" */
    int broker;          /* mode "broker" */
    int client;          /* mode "client" */
} zr_args_t;

/* One worker as the credit-based ventilator sees it. */
typedef struct {
    unsigned char id[ZR_ID_MAX]; /* its routing id, NOT NUL-terminated */
    size_t idlen;                /* bytes of id */
    long credit;                 /* tasks it may still be sent */
} zr_peer_t;

static double s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int s_usage (void)
{
    fprintf (stderr, "usage: zmq_raw vent --tasks EP --results EP -n N -w W [--credit C] "
                     "[--timeout SECONDS]\n"
                     "       zmq_raw worker --tasks EP --results EP [--credit C]\n"
                     "       zmq_raw broker --tasks EP --results EP -w W --credit C "
                     "[--timeout SECONDS]\n"
                     "       zmq_raw client --results EP -n N [--timeout SECONDS]\n");
    return 2;
}

/* s_parse_long: a whole decimal number in [min, max], else -1 with *out untouched. */
static int s_parse_long (const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int s_parse (int argc, char **argv, zr_args_t *a)
{
    if (argc < 2)
        return -1;
    a->mode = argv[1];
    a->timeout_s = 300;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc)
            return -1;
        const char *opt = argv[i], *val = argv[++i];
        if (strcmp (opt, "--tasks") == 0)
            a->tasks = val;
        else if (strcmp (opt, "--results") == 0)
            a->results = val;
        else if (strcmp (opt, "-n") == 0) {
            if (s_parse_long (val, 1, 100000000, &a->n) != 0)
                return -1;
        } else if (strcmp (opt, "-w") == 0) {
            if (s_parse_long (val, 1, 1024, &a->w) != 0)
                return -1;
        } else if (strcmp (opt, "--credit") == 0) {
            if (s_parse_long (val, 0, 100000, &a->credit) != 0)
                return -1;
        } else if (strcmp (opt, "--timeout") == 0) {
            if (s_parse_long (val, 1, 86400, &a->timeout_s) != 0)
                return -1;
        } else
            return -1;
    }
    a->latency = strcmp (a->mode, "lat") == 0;
    a->broker = strcmp (a->mode, "broker") == 0;
    a->client = strcmp (a->mode, "client") == 0;
    if (a->client)
        return a->results && a->n >= 1 ? 0 : -1;
    if (!a->tasks || !a->results)
        return -1;
    if (a->broker && (a->w < 1 || a->credit < 1))
        return -1;
    if ((strcmp (a->mode, "vent") == 0 || a->latency) && (a->n < 1 || a->w < 1))
        return -1;
    if (a->latency && a->credit < 1)
        return -1;
    return 0;
}

/* s_socket: a socket of TYPE bound or connected to EP, with no linger so exit never blocks. */
static void *s_socket (void *ctx, int type, const char *ep, int bind)
{
    void *s = zmq_socket (ctx, type);
    if (!s)
        return NULL;
    int zero = 0;
    if (zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        (bind ? zmq_bind (s, ep) : zmq_connect (s, ep)) != 0) {
        fprintf (stderr, "zmq_raw: %s %s: %s\n", bind ? "bind" : "connect", ep,
                 zmq_strerror (errno));
        zmq_close (s);
        return NULL;
    }
    return s;
}

static int s_worker (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    void *in = s_socket (ctx, a->credit ? ZMQ_DEALER : ZMQ_PULL, a->tasks, 0);
    void *out = a->credit ? in : s_socket (ctx, ZMQ_PUSH, a->results, 0);
    if (!in || !out)
        goto done;
    if (zmq_send (out, ZR_READY, strlen (ZR_READY), 0) < 0)
        goto done;
    char buf[ZR_TASK_MAX + 8];
    for (;;) {
        int n = zmq_recv (in, buf, ZR_TASK_MAX, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto done;
        }
        if (n == 0)
            break; /* ZR_STOP */
        if (n > ZR_TASK_MAX)
            n = ZR_TASK_MAX; /* truncated by zmq_recv: still one result for one task */
        memcpy (buf + n, " ok", 3);
        if (zmq_send (out, buf, (size_t) n + 3, 0) < 0)
            goto done;
    }
    rc = 0;
done:
    if (out && out != in)
        zmq_close (out);
    if (in)
        zmq_close (in);
    return rc;
}

/* s_wait_ready: receives W "ready" messages from the results socket before DEADLINE. */
static int s_wait_ready (void *sink, long w, double deadline)
{
    char buf[ZR_TASK_MAX];
    long ready = 0;
    while (ready < w) {
        if (s_now_ms () > deadline) {
            fprintf (stderr, "zmq_raw: only %ld of %ld workers ready\n", ready, w);
            return -1;
        }
        zmq_pollitem_t it = {sink, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&it, 1, ZR_POLL_MS) < 0 && errno != EINTR)
            return -1;
        if ((it.revents & ZMQ_POLLIN) && zmq_recv (sink, buf, sizeof buf, 0) >= 0)
            ready++;
    }
    return 0;
}

static int s_vent (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    double deadline = s_now_ms () + (double) a->timeout_s * 1e3;
    void *push = s_socket (ctx, ZMQ_PUSH, a->tasks, 1);
    void *sink = s_socket (ctx, ZMQ_PULL, a->results, 1);
    if (!push || !sink || s_wait_ready (sink, a->w, deadline) != 0)
        goto done;
    zmq_pollitem_t warm = {sink, 0, ZMQ_POLLIN, 0};
    zmq_poll (&warm, 0, ZR_WARMUP_MS); /* a sleep: nothing is expected on it */

    char task[ZR_TASK_MAX], res[ZR_TASK_MAX + 8];
    long sent = 0, got = 0;
    double t0 = s_now_ms ();
    while (got < a->n) {
        if (s_now_ms () > deadline) {
            fprintf (stderr, "zmq_raw: timeout: %ld sent, %ld of %ld results\n", sent, got, a->n);
            goto done;
        }
        zmq_pollitem_t items[2] = {{sink, 0, ZMQ_POLLIN, 0}, {push, 0, ZMQ_POLLOUT, 0}};
        int nitems = sent < a->n ? 2 : 1;
        if (zmq_poll (items, nitems, ZR_POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            goto done;
        }
        /* Drain what can go without blocking on each side, then poll again. */
        while (sent < a->n) {
            int len = snprintf (task, sizeof task, ZR_TASK_FMT, sent);
            if (zmq_send (push, task, (size_t) len, ZMQ_DONTWAIT) < 0)
                break;
            sent++;
        }
        while (got < a->n && zmq_recv (sink, res, sizeof res, ZMQ_DONTWAIT) >= 0)
            got++;
    }
    double t1 = s_now_ms ();
    printf ("elapsed_ms=%.3f\n", t1 - t0);
    fflush (stdout);
    for (long i = 0; i < a->w; i++)
        zmq_send (push, ZR_STOP, 0, ZMQ_DONTWAIT); /* best effort: the harness stops them anyway */
    rc = 0;
done:
    if (push)
        zmq_close (push);
    if (sink)
        zmq_close (sink);
    return rc;
}

/* s_credit_ready: receives W "ready" messages on the ROUTER before DEADLINE, recording each peer.
 */
static int s_credit_ready (void *router, zr_peer_t *peers, long w, long credit, double deadline)
{
    char buf[ZR_TASK_MAX];
    long ready = 0;
    while (ready < w) {
        if (s_now_ms () > deadline) {
            fprintf (stderr, "zmq_raw: only %ld of %ld workers ready\n", ready, w);
            return -1;
        }
        zmq_pollitem_t it = {router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&it, 1, ZR_POLL_MS) < 0 && errno != EINTR)
            return -1;
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        int idlen = zmq_recv (router, peers[ready].id, ZR_ID_MAX, 0);
        if (idlen < 0 || zmq_recv (router, buf, sizeof buf, 0) < 0)
            return -1;
        peers[ready].idlen = (size_t) idlen;
        peers[ready].credit = credit;
        ready++;
    }
    return 0;
}

/* s_credit_deal: sends tasks round-robin, one per peer with credit per pass, until none has any. */
static int s_credit_deal (void *router, zr_peer_t *peers, long w, long n, long *sent)
{
    char task[ZR_TASK_MAX];
    int any = 1;
    while (*sent < n && any) {
        any = 0;
        for (long i = 0; i < w && *sent < n; i++) {
            if (peers[i].credit == 0)
                continue;
            int len = snprintf (task, sizeof task, ZR_TASK_FMT, *sent);
            if (zmq_send (router, peers[i].id, peers[i].idlen, ZMQ_SNDMORE) < 0 ||
                zmq_send (router, task, (size_t) len, 0) < 0)
                return -1;
            peers[i].credit--;
            (*sent)++;
            any = 1;
        }
    }
    return 0;
}

/* s_credit_collect: takes every result waiting on the ROUTER, giving each sender one credit back.
 */
static int s_credit_collect (void *router, zr_peer_t *peers, long w, long *got)
{
    unsigned char id[ZR_ID_MAX];
    char res[ZR_TASK_MAX + 8];
    for (;;) {
        int idlen = zmq_recv (router, id, sizeof id, ZMQ_DONTWAIT);
        if (idlen < 0)
            return errno == EAGAIN ? 0 : -1;
        if (zmq_recv (router, res, sizeof res, 0) < 0)
            return -1;
        for (long i = 0; i < w; i++) {
            if (peers[i].idlen == (size_t) idlen && memcmp (peers[i].id, id, (size_t) idlen) == 0) {
                peers[i].credit++;
                break;
            }
        }
        (*got)++;
    }
}

static int s_vent_credit (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    double deadline = s_now_ms () + (double) a->timeout_s * 1e3;
    zr_peer_t *peers = calloc ((size_t) a->w, sizeof *peers);
    void *router = s_socket (ctx, ZMQ_ROUTER, a->tasks, 1);
    if (!peers || !router || s_credit_ready (router, peers, a->w, a->credit, deadline) != 0)
        goto done;
    long sent = 0, got = 0;
    double t0 = s_now_ms ();
    while (got < a->n) {
        if (s_now_ms () > deadline) {
            fprintf (stderr, "zmq_raw: timeout: %ld sent, %ld of %ld results\n", sent, got, a->n);
            goto done;
        }
        if (s_credit_deal (router, peers, a->w, a->n, &sent) != 0)
            goto done;
        zmq_pollitem_t it = {router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&it, 1, ZR_POLL_MS) < 0 && errno != EINTR)
            goto done;
        if (s_credit_collect (router, peers, a->w, &got) != 0)
            goto done;
    }
    double t1 = s_now_ms ();
    printf ("elapsed_ms=%.3f\n", t1 - t0);
    fflush (stdout);
    for (long i = 0; i < a->w; i++) {
        if (zmq_send (router, peers[i].id, peers[i].idlen, ZMQ_SNDMORE) >= 0)
            zmq_send (router, ZR_STOP, 0, ZMQ_DONTWAIT); /* best effort, as in s_vent */
    }
    rc = 0;
done:
    if (router)
        zmq_close (router);
    free (peers);
    return rc;
}

static int s_cmp_double (const void *x, const void *y)
{
    double a = *(const double *) x, b = *(const double *) y;
    return (a > b) - (a < b);
}

/* s_print_latency: sorts the N round trips in US and prints the run's figures. */
static void s_print_latency (double *us, long n, double elapsed_ms)
{
    qsort (us, (size_t) n, sizeof *us, s_cmp_double);
    printf ("elapsed_ms=%.3f\n", elapsed_ms);
    printf ("p50_us=%.1f\np99_us=%.1f\np999_us=%.1f\n", us[(n - 1) * 50 / 100],
            us[(n - 1) * 99 / 100], us[(n - 1) * 999 / 1000]);
    fflush (stdout);
}

/* s_vent_latency: N sequential round trips through the ROUTER, dealt round-robin to the W workers.
 */
static int s_vent_latency (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    double deadline = s_now_ms () + (double) a->timeout_s * 1e3;
    zr_peer_t *peers = calloc ((size_t) a->w, sizeof *peers);
    double *us = calloc ((size_t) a->n, sizeof *us);
    void *router = s_socket (ctx, ZMQ_ROUTER, a->tasks, 1);
    if (!peers || !us || !router || s_credit_ready (router, peers, a->w, a->credit, deadline) != 0)
        goto done;
    char task[ZR_TASK_MAX], res[ZR_TASK_MAX + 8];
    unsigned char id[ZR_ID_MAX];
    double t0 = s_now_ms ();
    for (long i = 0; i < a->n; i++) {
        zr_peer_t *p = &peers[i % a->w];
        int len = snprintf (task, sizeof task, ZR_TASK_FMT, i);
        double ts = s_now_ms ();
        if (zmq_send (router, p->id, p->idlen, ZMQ_SNDMORE) < 0 ||
            zmq_send (router, task, (size_t) len, 0) < 0)
            goto done;
        for (;;) {
            if (s_now_ms () > deadline) {
                fprintf (stderr, "zmq_raw: timeout after %ld round trips\n", i);
                goto done;
            }
            zmq_pollitem_t it = {router, 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&it, 1, ZR_POLL_MS) < 0 && errno != EINTR)
                goto done;
            if (it.revents & ZMQ_POLLIN)
                break;
        }
        if (zmq_recv (router, id, sizeof id, 0) < 0 || zmq_recv (router, res, sizeof res, 0) < 0)
            goto done;
        us[i] = (s_now_ms () - ts) * 1e3;
    }
    s_print_latency (us, a->n, s_now_ms () - t0);
    for (long i = 0; i < a->w; i++) {
        if (zmq_send (router, peers[i].id, peers[i].idlen, ZMQ_SNDMORE) >= 0)
            zmq_send (router, ZR_STOP, 0, ZMQ_DONTWAIT); /* best effort, as in s_vent */
    }
    rc = 0;
done:
    if (router)
        zmq_close (router);
    free (us);
    free (peers);
    return rc;
}

/* The client routing ids a worker's tasks came from, oldest first: a worker answers in order. */
typedef struct {
    unsigned char id[ZR_ID_MAX];
    size_t idlen;
} zr_client_t;

/* s_broker: routes client tasks to workers with credit and each result back to its client, until
 * it is stopped or the timeout ends. The front end is bound once every worker is ready, so a
 * client's first task never waits for a worker. */
static int s_broker (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    double deadline = s_now_ms () + (double) a->timeout_s * 1e3;
    zr_peer_t *peers = calloc ((size_t) a->w, sizeof *peers);
    zr_client_t *from = calloc ((size_t) (a->w * a->credit), sizeof *from);
    long *head = calloc ((size_t) a->w, sizeof *head);
    void *back = s_socket (ctx, ZMQ_ROUTER, a->tasks, 1);
    void *front = NULL;
    if (!peers || !from || !head || !back ||
        s_credit_ready (back, peers, a->w, a->credit, deadline) != 0)
        goto done;
    front = s_socket (ctx, ZMQ_ROUTER, a->results, 1);
    if (!front)
        goto done;
    unsigned char id[ZR_ID_MAX];
    char buf[ZR_TASK_MAX + 8];
    long next = 0; /* round-robin start */
    while (s_now_ms () < deadline) {
        zmq_pollitem_t items[2] = {{back, 0, ZMQ_POLLIN, 0}, {front, 0, ZMQ_POLLIN, 0}};
        long free_workers = 0;
        for (long i = 0; i < a->w; i++)
            free_workers += peers[i].credit > 0;
        if (zmq_poll (items, free_workers ? 2 : 1, ZR_POLL_MS) < 0) {
            if (errno == EINTR)
                continue;
            goto done;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            int idlen = zmq_recv (back, id, sizeof id, 0);
            int n = idlen < 0 ? -1 : zmq_recv (back, buf, sizeof buf, 0);
            if (n < 0)
                goto done;
            for (long i = 0; i < a->w; i++) {
                zr_peer_t *p = &peers[i];
                if (p->idlen != (size_t) idlen || memcmp (p->id, id, (size_t) idlen) != 0)
                    continue;
                zr_client_t *c = &from[i * a->credit + head[i]];
                head[i] = (head[i] + 1) % a->credit;
                p->credit++;
                if (zmq_send (front, c->id, c->idlen, ZMQ_SNDMORE) < 0 ||
                    zmq_send (front, buf, (size_t) (n > (int) sizeof buf ? (int) sizeof buf : n),
                              0) < 0)
                    goto done;
                break;
            }
        }
        if (free_workers && (items[1].revents & ZMQ_POLLIN)) {
            int idlen = zmq_recv (front, id, sizeof id, 0);
            int n = idlen < 0 ? -1 : zmq_recv (front, buf, sizeof buf, 0);
            if (n < 0)
                goto done;
            long i = next;
            while (peers[i].credit == 0)
                i = (i + 1) % a->w;
            next = (i + 1) % a->w;
            zr_peer_t *p = &peers[i];
            long tail = (head[i] + a->credit - p->credit) % a->credit;
            zr_client_t *c = &from[i * a->credit + tail];
            memcpy (c->id, id, (size_t) idlen);
            c->idlen = (size_t) idlen;
            p->credit--;
            if (zmq_send (back, p->id, p->idlen, ZMQ_SNDMORE) < 0 ||
                zmq_send (back, buf, (size_t) (n > ZR_TASK_MAX ? ZR_TASK_MAX : n), 0) < 0)
                goto done;
        }
    }
    rc = 0;
done:
    if (front)
        zmq_close (front);
    if (back)
        zmq_close (back);
    free (head);
    free (from);
    free (peers);
    return rc;
}

/* s_client: N sequential round trips through the broker; prints the percentiles. */
static int s_client (void *ctx, const zr_args_t *a)
{
    int rc = 1;
    double deadline = s_now_ms () + (double) a->timeout_s * 1e3;
    double *us = calloc ((size_t) a->n, sizeof *us);
    void *sock = s_socket (ctx, ZMQ_DEALER, a->results, 0);
    if (!us || !sock)
        goto done;
    char task[ZR_TASK_MAX], res[ZR_TASK_MAX + 8];
    double t0 = s_now_ms ();
    for (long i = 0; i < a->n; i++) {
        int len = snprintf (task, sizeof task, ZR_TASK_FMT, i);
        double ts = s_now_ms ();
        if (zmq_send (sock, task, (size_t) len, 0) < 0)
            goto done;
        for (;;) {
            if (s_now_ms () > deadline) {
                fprintf (stderr, "zmq_raw: timeout after %ld round trips\n", i);
                goto done;
            }
            zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
            if (zmq_poll (&it, 1, ZR_POLL_MS) < 0 && errno != EINTR)
                goto done;
            if (it.revents & ZMQ_POLLIN)
                break;
        }
        if (zmq_recv (sock, res, sizeof res, 0) < 0)
            goto done;
        us[i] = (s_now_ms () - ts) * 1e3;
    }
    s_print_latency (us, a->n, s_now_ms () - t0);
    rc = 0;
done:
    if (sock)
        zmq_close (sock);
    free (us);
    return rc;
}

int main (int argc, char **argv)
{
    zr_args_t a = {0};
    if (s_parse (argc, argv, &a) != 0)
        return s_usage ();
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return 1;
    int rc;
    if (strcmp (a.mode, "vent") == 0)
        rc = a.credit ? s_vent_credit (ctx, &a) : s_vent (ctx, &a);
    else if (a.latency)
        rc = s_vent_latency (ctx, &a);
    else if (a.broker)
        rc = s_broker (ctx, &a);
    else if (a.client)
        rc = s_client (ctx, &a);
    else if (strcmp (a.mode, "worker") == 0)
        rc = s_worker (ctx, &a);
    else
        rc = s_usage ();
    zmq_ctx_term (ctx);
    return rc;
}
