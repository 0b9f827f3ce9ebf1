/* dt_fakeworkers.c - a hostile peer for tests: fake workers that say HELLO and never return a
 * result.
 *
 *   dt_fakeworkers ENDPOINT vanish TOTAL BATCH   TOTAL fakes, BATCH at a time: each says HELLO
 *                                                with capacity 4096, reads what comes for 300 ms,
 *                                                and closes without a word (no BYE)
 *   dt_fakeworkers ENDPOINT hold COUNT SECONDS   COUNT fakes say HELLO and stay, heartbeating and
 *                                                keeping every task they get, for SECONDS
 *   dt_fakeworkers ENDPOINT status MAXBYTES      one STATUS: prints the reply's size and the
 *                                                workers it lists and counts; exit 1 when it is
 *                                                over MAXBYTES or does not come within 10 s
 *
 * vanish and hold print one line: fakes, welcomed, refused, tasks received
 * (answers to HELLO), tasks received and the most tasks one fake held
 * ("max_tasks"), and exit 0 unless they
 * could not create a socket. Every wait is bounded; every message comes from
 * the codec.
 */
#include "dt_limits.h"
#include "dt_msg.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_FAKES_MAX   4096 /* sockets open at once */
#define S_READ_MS     300  /* a vanishing fake reads for this long */
#define S_BEAT_MS     1000 /* a holding fake's heartbeat (the master's default) */
#define S_STATUS_WAIT 10000

typedef struct {
    uint64_t fakes, welcomed, refused, tasks;
    uint32_t max_tasks;
} s_tally_t;

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *s_dealer (void *ctx, const char *endpoint)
{
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    int linger = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect (sock, endpoint) != 0) {
        zmq_close (sock);
        return NULL;
    }
    return sock;
}

static void s_send (void *sock, dt_msg_type_t type, uint32_t n)
{
    char name[32];
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = type;
    if (type == DT_MSG_HELLO) {
        snprintf (name, sizeof name, "fake-%" PRIu32, n);
        m.hello.name = dt_str (name);
        m.hello.capacity = DT_LIMIT_CREDIT_MAX;
        m.hello.concurrency = DT_LIMIT_CREDIT_MAX;
        m.hello.heartbeat_ms = S_BEAT_MS;
    }
    dt_msg_send (&m, sock, NULL); /* a fake does not care whether it went */
}

/* Reads from `socks` until `until` (monotonic ms), counting into `t` and
 * `held` (tasks each fake got); heartbeats every S_BEAT_MS when `beat`. */
static void s_read (void **socks, uint32_t n, uint32_t *held, s_tally_t *t, int64_t until, int beat)
{
    static zmq_pollitem_t items[S_FAKES_MAX];
    static uint8_t answered[S_FAKES_MAX];
    for (uint32_t i = 0; i < n; i++) {
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
        answered[i] = 0;
    }
    int64_t next_beat = s_now_ms () + S_BEAT_MS;
    dt_msg_t m;
    dt_msg_init (&m);
    for (int64_t now = s_now_ms (); now < until; now = s_now_ms ()) {
        int64_t wait = until - now;
        if (beat && next_beat - now < wait)
            wait = next_beat - now > 0 ? next_beat - now : 0;
        if (zmq_poll (items, (int) n, (long) wait) < 0)
            break;
        for (uint32_t i = 0; i < n; i++) {
            /* At most a few messages a turn each: one fake cannot starve the rest. */
            for (int k = 0; k < 8 && (items[i].revents & ZMQ_POLLIN); k++) {
                if (dt_msg_recv (&m, socks[i], NULL, ZMQ_DONTWAIT) != 0)
                    break;
                /* The first answer to HELLO; later ERRORs answer the
                 * heartbeats of a fake that was refused or dropped. */
                if (m.type == DT_MSG_WELCOME && !answered[i]) {
                    answered[i] = 1;
                    t->welcomed++;
                } else if (m.type == DT_MSG_ERROR && !answered[i]) {
                    answered[i] = 1;
                    t->refused++;
                } else if (m.type == DT_MSG_TASKS) {
                    t->tasks += m.tasks.count;
                    held[i] += m.tasks.count;
                    if (held[i] > t->max_tasks)
                        t->max_tasks = held[i];
                }
            }
        }
        if (beat && s_now_ms () >= next_beat) {
            for (uint32_t i = 0; i < n; i++)
                s_send (socks[i], DT_MSG_HEARTBEAT, 0);
            next_beat += S_BEAT_MS;
        }
    }
    dt_msg_reset (&m);
}

/* Opens `n` fakes numbered from `first`, says HELLO from each, reads until
 * `ms` from now, closes them. Returns -1 when a socket could not be made. */
static int s_wave (void *ctx, const char *endpoint, uint32_t first, uint32_t n, int64_t ms,
                   int beat, s_tally_t *t)
{
    static void *socks[S_FAKES_MAX];
    static uint32_t held[S_FAKES_MAX];
    uint32_t open = 0;
    int rc = 0;
    for (; open < n; open++) {
        socks[open] = s_dealer (ctx, endpoint);
        if (!socks[open]) {
            fprintf (stderr, "dt_fakeworkers: socket %" PRIu32 ": %s\n", first + open,
                     zmq_strerror (zmq_errno ()));
            rc = -1;
            break;
        }
        held[open] = 0;
        s_send (socks[open], DT_MSG_HELLO, first + open);
    }
    t->fakes += open;
    s_read (socks, open, held, t, s_now_ms () + ms, beat);
    for (uint32_t i = 0; i < open; i++)
        zmq_close (socks[i]);
    return rc;
}

static int s_status (void *ctx, const char *endpoint, uint64_t max_bytes)
{
    void *sock = s_dealer (ctx, endpoint);
    if (!sock)
        return 1;
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_STATUS;
    m.req = 1;
    m.status.job = dt_str ("");
    int rc = 1;
    if (dt_msg_send (&m, sock, NULL) != 0)
        goto done;
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, S_STATUS_WAIT) != 1) {
        fprintf (stderr, "dt_fakeworkers: no STATUS reply within %d ms\n", S_STATUS_WAIT);
        goto done;
    }
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, sock, 0) < 0)
        goto done;
    size_t size = zmq_msg_size (&frame);
    int bad = dt_msg_decode (&m, zmq_msg_data (&frame), size) != 0 || m.type != DT_MSG_STATUS_OK;
    printf ("status: %zu bytes, %" PRIu32 " workers listed, %" PRIu32 " registered\n", size,
            bad ? 0 : m.status_ok.count, bad ? 0 : m.status_ok.total);
    dt_msg_reset (&m);
    zmq_msg_close (&frame);
    rc = bad || size > max_bytes;
    if (rc)
        fprintf (stderr, "dt_fakeworkers: STATUS reply %s (bound %" PRIu64 " bytes)\n",
                 bad ? "malformed" : "too big", max_bytes);
done:
    zmq_close (sock);
    return rc;
}

int main (int argc, char **argv)
{
    if (argc != 5) {
        fprintf (stderr, "usage: dt_fakeworkers ENDPOINT vanish TOTAL BATCH | hold COUNT SECONDS | "
                         "status MAXBYTES -\n");
        return 2;
    }
    const char *endpoint = argv[1], *mode = argv[2];
    uint64_t a = strtoull (argv[3], NULL, 10), b = strtoull (argv[4], NULL, 10);
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return 1;
    zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, S_FAKES_MAX + 16);
    s_tally_t t = {0};
    int rc = 0;
    if (strcmp (mode, "status") == 0) {
        rc = s_status (ctx, endpoint, a);
    } else if (strcmp (mode, "vanish") == 0 && b >= 1 && b <= S_FAKES_MAX) {
        for (uint64_t done = 0; done < a && rc == 0; done += b)
            rc = s_wave (ctx, endpoint, (uint32_t) done, (uint32_t) (a - done < b ? a - done : b),
                         S_READ_MS, 0, &t)
                     ? 1
                     : 0;
    } else if (strcmp (mode, "hold") == 0 && a <= S_FAKES_MAX && b <= 600) {
        rc = s_wave (ctx, endpoint, 0, (uint32_t) a, (int64_t) b * 1000, 1, &t) ? 1 : 0;
    } else {
        fprintf (stderr, "dt_fakeworkers: bad mode or count\n");
        rc = 2;
    }
    if (strcmp (mode, "status") != 0)
        printf ("%s: fakes %" PRIu64 " welcomed %" PRIu64 " refused %" PRIu64 " tasks %" PRIu64
                " max_tasks %" PRIu32 "\n",
                mode, t.fakes, t.welcomed, t.refused, t.tasks, t.max_tasks);
    zmq_ctx_term (ctx);
    return rc;
}
