/* dt_peer.c - hostile and extreme peers for tests: one mode per attack on the master's bounds.
 *
 *   dt_peer noread  ENDPOINT COUNT HOLD_MS       FETCHes of a full page, replies never read
 *   dt_peer silent  PORT COUNT HOLD_MS REDIAL    raw TCP connections to 127.0.0.1:PORT that
 *                                                never say a word; with REDIAL 1 each one the
 *                                                master closes is opened again
 *   dt_peer flood   ENDPOINT KIND COUNT [KEY MASTER_KEY]
 *                                                COUNT messages of KIND (cancel: CANCEL of a
 *                                                missing job; hello: HELLO again and again;
 *                                                status: STATUS), replies read and dropped
 *   dt_peer curve   ENDPOINT MASTER_KEY MS       CURVE handshakes with fresh unknown keys
 *   dt_peer workers ENDPOINT N [SOURCES]         N workers say HELLO (capacity 0), worker i
 *                                                from loopback source 127.0.0.(1 + i % SOURCES)
 *                                                (default 1: all from 127.0.0.1); then one
 *                                                STATUS from 127.0.0.1, timed
 *   dt_peer waiters ENDPOINT N [SOURCES [FIRST [HOLD_MS]]]
 *                                                N long-poll FETCHes (8 s each), FETCH i from
 *                                                loopback source 127.0.0.(FIRST + i % SOURCES)
 *                                                (default 1 and 1: all from 127.0.0.1); after
 *                                                5 s of reading refusals, one STATUS, timed, and
 *                                                a line; with HOLD_MS, each FETCH answered is
 *                                                sent again until HOLD_MS or SIGTERM, then a
 *                                                last line
 *   dt_peer bigframes ENDPOINT COUNT PARTS FRAME MS
 *                                                COUNT messages of PARTS garbage frames of
 *                                                FRAME bytes, sent as fast as they go, then
 *                                                connected until MS (or SIGTERM)
 *   dt_peer rawmore PORT FRAMES FRAME MS         a hand-written ZMTP peer on 127.0.0.1:PORT
 *                                                sends FRAMES frames of FRAME bytes of one
 *                                                message that never ends (MORE on each)
 *   dt_peer forge ENDPOINT HOLD_MS              result forgery with real leases: worker A says
 *                                                HELLO and takes the tasks it is dealt (their ids,
 *                                                attempts and epoch), never runs them; then a peer
 *                                                that never said HELLO, and a second registered
 *                                                worker B, each send RESULTS "done" for A's leases
 *                                                (once naming A, once naming itself), with
 *                                                final_url http://forged.invalid/; A stays silent
 *                                                until HOLD_MS, so its leases end and go back
 *   dt_peer fakemaster PORT_FILE COUNT URL HOLD_MS
 *                                                a master on 127.0.0.1 that deals the first
 *                                                worker to say HELLO COUNT tasks of URL at once,
 *                                                whatever its credit, then heartbeats it
 *
 * Every mode is bounded in count and time, prints one line of key=value
 * results on stdout and exits 0 (1 when it could not start). Messages come
 * from the codec (proto/), so the tool never writes a frame of its own.
 */
#include "dt_limits.h"
#include "dt_msg.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* Longest any mode waits for replies. */
#define S_REPLY_WAIT_MS 30000

static void *s_ctx;

/* Set by SIGTERM: a holding mode stops, prints its line and exits 0. */
static volatile sig_atomic_t s_stop;

static void s_on_term (int sig)
{
    (void) sig;
    s_stop = 1;
}

static void s_raise_nofile (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* A DEALER connected to `endpoint`, with CURVE keys when `key` is given
 * (our NAME.key_secret and the master's public key file). */
static void *s_dealer (const char *endpoint, const char *key, const char *master_key)
{
    void *sock = zmq_socket (s_ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (key) {
        zcert_t *own = zcert_load (key);
        zcert_t *master = zcert_load (master_key);
        if (!own || !master) {
            fprintf (stderr, "dt_peer: cannot load %s or %s\n", key, master_key);
            exit (1);
        }
        zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, zcert_public_key (own), 32);
        zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, zcert_secret_key (own), 32);
        zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, zcert_public_key (master), 32);
        zcert_destroy (&own);
        zcert_destroy (&master);
    }
    if (zmq_connect (sock, endpoint) != 0) {
        fprintf (stderr, "dt_peer: connect %s: %s\n", endpoint, zmq_strerror (zmq_errno ()));
        exit (1);
    }
    return sock;
}

static int s_send (void *sock, const dt_msg_t *msg)
{
    int rc = dt_msg_send (msg, sock, NULL);
    return rc == 0 ? 0 : -1;
}

/* Receives one reply within `ms`. Returns 0, or -1 on timeout. */
static int s_recv (void *sock, dt_msg_t *reply, long ms)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, ms) <= 0)
        return -1;
    dt_msg_reset (reply);
    return dt_msg_recv (reply, sock, NULL, ZMQ_DONTWAIT) == 0 ? 0 : -1;
}

static void s_sleep_ms (long ms)
{
    zclock_sleep ((int) ms);
}

/* ---- noread ------------------------------------------------------------- */

static int s_noread (const char *endpoint, long count, long hold_ms)
{
    void *sock = zmq_socket (s_ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000, rcvhwm = 1, rcvbuf = 4096;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sock, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    zmq_setsockopt (sock, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (zmq_connect (sock, endpoint) != 0)
        return 1;
    long sent = 0;
    for (long i = 0; i < count; i++) {
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.req = (uint64_t) i + 1;
        if (i % 10 == 9) {
            msg.type = DT_MSG_STATUS;
        } else {
            msg.type = DT_MSG_FETCH; /* every result from the start: a full page each */
            msg.fetch.max = DT_LIMIT_BATCH_MAX;
        }
        sent += s_send (sock, &msg) == 0;
    }
    s_sleep_ms (hold_ms);
    printf ("sent=%ld\n", sent);
    zmq_close (sock);
    return 0;
}

/* ---- silent ------------------------------------------------------------- */

static int s_connect_raw (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        close (fd);
        return -1;
    }
    return fd;
}

static int s_silent (int port, long count, long hold_ms, int redial)
{
    /* poll() refuses more entries than our own descriptor limit (EINVAL). */
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (rlim_t) count + 64 > limit.rlim_cur)
        count = (long) limit.rlim_cur - 64;
    struct pollfd *fds = calloc ((size_t) count, sizeof *fds);
    if (!fds)
        return 1;
    long opened = 0, closed_by_peer = 0, failed = 0;
    for (long i = 0; i < count; i++) {
        fds[i].fd = s_connect_raw (port);
        fds[i].events = POLLIN;
        if (fds[i].fd < 0)
            failed++;
        else
            opened++;
    }
    int64_t end = zclock_mono () + hold_ms;
    while (zclock_mono () < end) {
        int n = poll (fds, (nfds_t) count, 50);
        for (long i = 0; n > 0 && i < count; i++) {
            if (fds[i].fd >= 0 && !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (fds[i].fd >= 0) {
                char byte;
                if (recv (fds[i].fd, &byte, 1, MSG_DONTWAIT) > 0)
                    continue; /* the master's greeting: stay silent */
                close (fds[i].fd);
                fds[i].fd = -1;
                closed_by_peer++;
            }
            if (!redial) {
                fds[i].fd = -1;
                continue;
            }
            fds[i].fd = s_connect_raw (port);
            if (fds[i].fd < 0)
                failed++;
            else
                opened++;
        }
        if (n == 0 && redial) {
            /* Redial the ones that could not connect. */
            for (long i = 0; i < count; i++)
                if (fds[i].fd < 0 && (fds[i].fd = s_connect_raw (port)) >= 0)
                    opened++;
        }
    }
    long held = 0;
    for (long i = 0; i < count; i++) {
        if (fds[i].fd >= 0) {
            held++;
            close (fds[i].fd);
        }
    }
    printf ("opened=%ld closed_by_peer=%ld failed=%ld held=%ld\n", opened, closed_by_peer, failed,
            held);
    free (fds);
    return 0;
}

/* ---- flood -------------------------------------------------------------- */

static int s_flood (const char *endpoint, const char *kind, long count, const char *key,
                    const char *master_key)
{
    void *sock = s_dealer (endpoint, key, master_key);
    dt_msg_t msg, reply;
    dt_msg_init (&reply);
    long sent = 0, replies = 0, errors = 0;
    for (long i = 0; i < count; i++) {
        dt_msg_init (&msg);
        msg.req = (uint64_t) i + 1;
        if (strcmp (kind, "cancel") == 0) {
            msg.type = DT_MSG_CANCEL;
            msg.cancel.job = dt_str ("no-such-job");
        } else if (strcmp (kind, "hello") == 0) {
            msg.type = DT_MSG_HELLO;
            msg.hello.name = dt_str ("hello-flood");
            msg.hello.capacity = 0;
        } else {
            msg.type = DT_MSG_STATUS;
        }
        sent += s_send (sock, &msg) == 0;
        while (s_recv (sock, &reply, 0) == 0) {
            replies++;
            errors += reply.type == DT_MSG_ERROR;
        }
    }
    int64_t end = zclock_mono () + 2000;
    while (zclock_mono () < end && s_recv (sock, &reply, 100) == 0) {
        replies++;
        errors += reply.type == DT_MSG_ERROR;
    }
    dt_msg_reset (&reply);
    printf ("sent=%ld replies=%ld errors=%ld\n", sent, replies, errors);
    zmq_close (sock);
    return 0;
}

/* ---- bigframes ---------------------------------------------------------- */

/* Sends COUNT messages of PARTS frames of FRAME bytes each (garbage, not
 * msgpack), as fast as the socket takes them, for at most MS; a frame that
 * would block waits (bounded by MS). Prints what was sent. */
static int s_bigframes (const char *endpoint, long count, long parts, long frame, long ms)
{
    if (count < 1 || parts < 1 || frame < 1 || frame > DT_LIMIT_FRAME_MAX || ms < 1) {
        fprintf (stderr, "dt_peer: bad COUNT, PARTS, FRAME or MS\n");
        return 1;
    }
    signal (SIGTERM, s_on_term);
    void *sock = s_dealer (endpoint, NULL, NULL);
    int timeout = 100;
    zmq_setsockopt (sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    char *buf = malloc ((size_t) frame);
    if (!buf)
        return 1;
    memset (buf, 0xc1, (size_t) frame); /* 0xc1: never used in msgpack */
    long sent = 0, frames = 0;
    int64_t end = zclock_mono () + ms;
    for (long i = 0; i < count && !s_stop && zclock_mono () < end; i++) {
        for (long p = 0; p < parts && !s_stop && zclock_mono () < end;) {
            if (zmq_send (sock, buf, (size_t) frame, p + 1 < parts ? ZMQ_SNDMORE : 0) >= 0) {
                p++;
                frames++;
            }
        }
        sent++;
    }
    printf ("sent=%ld frames=%ld\n", sent, frames);
    fflush (stdout);
    /* Stay connected until MS or SIGTERM: what was sent stays queued. */
    while (!s_stop && zclock_mono () < end)
        s_sleep_ms (50);
    free (buf);
    zmq_close (sock);
    return 0;
}

/* ---- rawmore ------------------------------------------------------------ */

/* Writes all of `buf` to `fd`, or returns -1. */
static int s_write_all (int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write (fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Reads exactly `len` bytes from `fd` within 5 s, or returns -1. */
static int s_read_all (int fd, void *buf, size_t len)
{
    char *p = buf;
    int64_t end = zclock_mono () + 5000;
    while (len > 0 && zclock_mono () < end) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll (&pfd, 1, 100) <= 0)
            continue;
        ssize_t n = read (fd, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return len == 0 ? 0 : -1;
}

/* A ZMTP 3.0 peer written by hand (libzmq holds back every frame of an
 * unfinished message on the sending side, a hostile peer need not): it
 * greets as a NULL-mechanism DEALER from 127.0.0.1, then sends FRAMES frames
 * of FRAME bytes each with the MORE flag set, a message that never ends,
 * and stays connected until MS or SIGTERM. Prints the bytes sent. */
static int s_rawmore (int port, long frames, long frame, long ms)
{
    if (frames < 1 || frame < 1 || frame > DT_LIMIT_FRAME_MAX || ms < 1)
        return 1;
    signal (SIGTERM, s_on_term);
    signal (SIGPIPE, SIG_IGN);
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        fprintf (stderr, "dt_peer: connect 127.0.0.1:%d: %s\n", port, strerror (errno));
        return 1;
    }
    unsigned char greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L'};
    unsigned char theirs[64];
    static const char ready[] = "\x05READY\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER";
    unsigned char cmd[2] = {0x04, sizeof ready - 1};
    if (s_write_all (fd, greeting, sizeof greeting) || s_read_all (fd, theirs, sizeof theirs) ||
        s_write_all (fd, cmd, sizeof cmd) || s_write_all (fd, ready, sizeof ready - 1)) {
        fprintf (stderr, "dt_peer: ZMTP handshake failed\n");
        close (fd);
        return 1;
    }
    char *buf = malloc ((size_t) frame);
    if (!buf)
        return 1;
    memset (buf, 0xc1, (size_t) frame);
    unsigned char head[9] = {0x03}; /* MORE | LONG, then a 64-bit size */
    for (int i = 0; i < 8; i++)
        head[1 + i] = (unsigned char) ((uint64_t) frame >> (56 - 8 * i));
    long sent = 0;
    int64_t end = zclock_mono () + ms;
    while (sent < frames && !s_stop && zclock_mono () < end) {
        if (s_write_all (fd, head, sizeof head) || s_write_all (fd, buf, (size_t) frame))
            break; /* the master closed the connection */
        sent++;
    }
    printf ("frames=%ld bytes=%ld\n", sent, sent * frame);
    fflush (stdout);
    while (!s_stop && zclock_mono () < end)
        s_sleep_ms (50);
    free (buf);
    close (fd);
    return 0;
}

/* ---- curve -------------------------------------------------------------- */

#define S_CURVE_BATCH 32

static int s_curve (const char *endpoint, const char *master_key, long ms)
{
    zcert_t *master = zcert_load (master_key);
    if (!master) {
        fprintf (stderr, "dt_peer: cannot load %s\n", master_key);
        return 1;
    }
    long tries = 0;
    int64_t end = zclock_mono () + ms;
    while (zclock_mono () < end) {
        void *socks[S_CURVE_BATCH];
        for (int i = 0; i < S_CURVE_BATCH; i++) {
            char public_txt[41], secret_txt[41];
            zmq_curve_keypair (public_txt, secret_txt);
            socks[i] = zmq_socket (s_ctx, ZMQ_DEALER);
            int linger = 0;
            zmq_setsockopt (socks[i], ZMQ_LINGER, &linger, sizeof linger);
            zmq_setsockopt (socks[i], ZMQ_CURVE_PUBLICKEY, public_txt, 40);
            zmq_setsockopt (socks[i], ZMQ_CURVE_SECRETKEY, secret_txt, 40);
            zmq_setsockopt (socks[i], ZMQ_CURVE_SERVERKEY, zcert_public_key (master), 32);
            zmq_connect (socks[i], endpoint);
            tries++;
        }
        s_sleep_ms (50); /* long enough for the handshake to reach the ZAP handler */
        for (int i = 0; i < S_CURVE_BATCH; i++)
            zmq_close (socks[i]);
    }
    zcert_destroy (&master);
    printf ("handshakes=%ld\n", tries);
    return 0;
}

/* ---- workers ------------------------------------------------------------ */

/* Loopback source addresses the workers mode spreads over, at most: all of
 * 127.0.0.0/8 is loopback on Linux, so 127.0.0.2.. need no setup. */
#define S_SOURCES_MAX 16

/* `endpoint` ("tcp://HOST:PORT") connected from loopback source address
 * 127.0.0.`octet` (zmq_tcp(7): "tcp://SOURCE:0;HOST:PORT"). */
static void s_from_source (char *out, size_t size, const char *endpoint, long octet)
{
    const char *rest = strncmp (endpoint, "tcp://", 6) == 0 ? endpoint + 6 : endpoint;
    snprintf (out, size, "tcp://127.0.0.%ld:0;%s", octet, rest);
}

/* Whether `str` holds `word`. */
static int s_str_has (dt_str_t str, const char *word)
{
    size_t len = strlen (word);
    for (size_t i = 0; i + len <= str.len; i++)
        if (memcmp (str.ptr + i, word, len) == 0)
            return 1;
    return 0;
}

static int s_workers (const char *endpoint, long n, long sources)
{
    if (sources < 1 || sources > S_SOURCES_MAX) {
        fprintf (stderr, "dt_peer: SOURCES must be 1..%d\n", S_SOURCES_MAX);
        return 1;
    }
    void **socks = calloc ((size_t) n, sizeof *socks);
    zmq_pollitem_t *items = calloc ((size_t) n, sizeof *items);
    char *answered = calloc ((size_t) n, 1);
    if (!socks || !items || !answered)
        return 1;
    for (long i = 0; i < n; i++) {
        char from[256];
        s_from_source (from, sizeof from, endpoint, 1 + i % sources);
        socks[i] = s_dealer (from, NULL, NULL);
        char name[32];
        snprintf (name, sizeof name, "cap-%ld", i);
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.type = DT_MSG_HELLO;
        msg.hello.name = dt_str (name);
        msg.hello.capacity = 0; /* takes no task of the rightful job */
        s_send (socks[i], &msg);
        items[i] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
    }
    /* too_many_addr: refused by DT_LIMIT_WORKERS_PER_ADDR (its own text),
     * not by DT_LIMIT_WORKERS_MAX. */
    long welcome = 0, too_many = 0, too_many_addr = 0, other = 0, left = n;
    dt_msg_t reply;
    dt_msg_init (&reply);
    int64_t end = zclock_mono () + S_REPLY_WAIT_MS;
    while (left > 0 && zclock_mono () < end) {
        if (zmq_poll (items, (int) n, 100) <= 0)
            continue;
        for (long i = 0; i < n; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            dt_msg_reset (&reply);
            if (dt_msg_recv (&reply, socks[i], NULL, ZMQ_DONTWAIT) != 0)
                continue;
            if (answered[i])
                continue; /* a heartbeat, later on */
            answered[i] = 1;
            left--;
            if (reply.type == DT_MSG_WELCOME)
                welcome++;
            else if (reply.type == DT_MSG_ERROR && reply.error.code == DT_ERR_TOO_MANY_WORKERS) {
                too_many++;
                too_many_addr += s_str_has (reply.error.text, "address");
            } else
                other++;
        }
    }
    /* While every worker is registered: one STATUS, timed. */
    void *client = s_dealer (endpoint, NULL, NULL);
    dt_msg_t status;
    dt_msg_init (&status);
    status.type = DT_MSG_STATUS;
    status.req = 1;
    int64_t t0 = zclock_mono ();
    s_send (client, &status);
    long status_ms = -1, status_workers = -1, status_total = -1;
    if (s_recv (client, &reply, S_REPLY_WAIT_MS) == 0 && reply.type == DT_MSG_STATUS_OK) {
        status_ms = (long) (zclock_mono () - t0);
        status_workers = (long) reply.status_ok.count;
        status_total = (long) reply.status_ok.total;
    }
    dt_msg_reset (&reply);
    printf ("welcome=%ld too_many=%ld too_many_addr=%ld other=%ld unanswered=%ld status_ms=%ld "
            "status_workers=%ld status_total=%ld\n",
            welcome, too_many, too_many_addr, other, left, status_ms, status_workers, status_total);
    zmq_close (client);
    for (long i = 0; i < n; i++)
        zmq_close (socks[i]);
    free (socks);
    free (items);
    free (answered);
    return 0;
}

/* ---- waiters ------------------------------------------------------------ */

/* One long-poll FETCH that no result can answer early. */
static void s_fetch_parked (void *sock, uint64_t req)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_FETCH;
    msg.req = req;
    msg.fetch.cursor = (uint64_t) 1 << 62; /* past any result: nothing to answer with */
    msg.fetch.max = 1;
    msg.fetch.wait_ms = 8000; /* parked past the first reads (5 s), then answered empty */
    s_send (sock, &msg);
}

typedef struct {
    long refused, refused_addr, pages, other, reparked, statuses;
} s_waiters_tally_t;

/* Reads every reply waiting on `socks`; with `repark`, an empty PAGE (a
 * wait that ended) is answered by the same FETCH again, so the slot stays
 * taken. */
static void s_waiters_read (void **socks, long nsocks, s_waiters_tally_t *t, int repark)
{
    dt_msg_t reply;
    dt_msg_init (&reply);
    for (long s = 0; s < nsocks; s++)
        while (s_recv (socks[s], &reply, 0) == 0) {
            if (reply.type == DT_MSG_ERROR && reply.error.code == DT_ERR_TOO_BIG) {
                t->refused++;
                t->refused_addr += s_str_has (reply.error.text, "address");
            } else if (reply.type == DT_MSG_PAGE) {
                t->pages++;
                if (repark) {
                    s_fetch_parked (socks[s], reply.req);
                    t->reparked++;
                }
            } else if (reply.type == DT_MSG_STATUS_OK)
                t->statuses++;
            else
                t->other++;
        }
    dt_msg_reset (&reply);
}

static void s_waiters_print (const s_waiters_tally_t *t, long status_ms)
{
    printf ("refused=%ld refused_addr=%ld pages=%ld other=%ld reparked=%ld status_ms=%ld\n",
            t->refused, t->refused_addr, t->pages, t->other, t->reparked, status_ms);
    fflush (stdout);
}

static int s_waiters (const char *endpoint, long n, long sources, long first, long hold_ms)
{
    if (sources < 1 || sources > S_SOURCES_MAX || first < 1 || first + sources - 1 > 254 ||
        hold_ms < 0 || hold_ms > 600000) {
        fprintf (stderr, "dt_peer: bad SOURCES, FIRST or HOLD_MS\n");
        return 1;
    }
    signal (SIGTERM, s_on_term);
    void *socks[S_SOURCES_MAX];
    for (long s = 0; s < sources; s++) {
        char from[256];
        s_from_source (from, sizeof from, endpoint, first + s);
        socks[s] = s_dealer (from, NULL, NULL);
    }
    /* In batches of 64, each followed by a STATUS on every socket whose
     * answer is awaited: the master answers a connection's messages in
     * order, so the batch's refusals have come by then, and never more
     * than a batch is queued to us (under DT_LIMIT_PEER_REPLIES): none is
     * dropped and every refusal is counted. */
    s_waiters_tally_t t = {0};
    for (long i = 0; i < n && !s_stop; i++) {
        s_fetch_parked (socks[i % sources], (uint64_t) i + 1);
        if (i % 64 != 63 && i != n - 1)
            continue;
        long want = t.statuses + sources;
        for (long s = 0; s < sources; s++) {
            dt_msg_t mark;
            dt_msg_init (&mark);
            mark.type = DT_MSG_STATUS;
            mark.req = (uint64_t) 1 << 40;
            s_send (socks[s], &mark);
        }
        int64_t until = zclock_mono () + S_REPLY_WAIT_MS;
        while (t.statuses < want && zclock_mono () < until && !s_stop) {
            s_waiters_read (socks, sources, &t, 0);
            s_sleep_ms (5);
        }
    }
    /* Refusals come at once; give them a few seconds. */
    int64_t end = zclock_mono () + 5000;
    while (zclock_mono () < end && !s_stop) {
        s_waiters_read (socks, sources, &t, 0);
        s_sleep_ms (50);
    }
    /* A STATUS, timed, with every slot taken. */
    void *client = s_dealer (endpoint, NULL, NULL);
    dt_msg_t status, reply;
    dt_msg_init (&status);
    dt_msg_init (&reply);
    status.type = DT_MSG_STATUS;
    status.req = 1;
    int64_t t0 = zclock_mono ();
    s_send (client, &status);
    long status_ms = -1;
    if (s_recv (client, &reply, S_REPLY_WAIT_MS) == 0 && reply.type == DT_MSG_STATUS_OK)
        status_ms = (long) (zclock_mono () - t0);
    dt_msg_reset (&reply);
    s_waiters_print (&t, status_ms);
    /* Holding: every FETCH answered is parked again, until HOLD_MS or
     * SIGTERM. */
    end = zclock_mono () + hold_ms;
    while (hold_ms > 0 && zclock_mono () < end && !s_stop) {
        s_waiters_read (socks, sources, &t, 1);
        s_sleep_ms (50);
    }
    if (hold_ms > 0)
        s_waiters_print (&t, status_ms);
    zmq_close (client);
    for (long s = 0; s < sources; s++)
        zmq_close (socks[s]);
    return 0;
}

/* ---- fakemaster --------------------------------------------------------- */

static int s_fakemaster (const char *port_file, long count, const char *url, long hold_ms)
{
    void *router = zmq_socket (s_ctx, ZMQ_ROUTER);
    int linger = 0, hwm = 0;
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    char endpoint[64];
    size_t size = sizeof endpoint;
    if (zmq_bind (router, "tcp://127.0.0.1:*") != 0 ||
        zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0)
        return 1;
    FILE *out = fopen (port_file, "w");
    if (!out)
        return 1;
    fprintf (out, "%s\n", strrchr (endpoint, ':') + 1);
    fclose (out);

    dt_msg_t msg;
    dt_msg_init (&msg);
    dt_peer_t worker;
    zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
    int64_t end = zclock_mono () + S_REPLY_WAIT_MS;
    int hello = 0;
    while (!hello && zclock_mono () < end) {
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        dt_msg_reset (&msg);
        hello = dt_msg_recv (&msg, router, &worker, ZMQ_DONTWAIT) == 0 && msg.type == DT_MSG_HELLO;
    }
    if (!hello) {
        fprintf (stderr, "dt_peer: no HELLO\n");
        return 1;
    }
    dt_msg_t reply;
    dt_msg_init (&reply);
    reply.type = DT_MSG_WELCOME;
    reply.welcome.heartbeat_ms = 1000;
    reply.welcome.liveness = 30;
    reply.welcome.task_ms = 600000;
    dt_msg_send (&reply, router, &worker);

    dt_msg_task_t *items = calloc (DT_LIMIT_BATCH_MAX, sizeof *items);
    if (!items)
        return 1;
    long sent = 0;
    while (sent < count) {
        uint32_t n = 0;
        while (n < DT_LIMIT_BATCH_MAX && sent + n < count) {
            items[n] = (dt_msg_task_t){.id = (uint64_t) (sent + n + 1),
                                       .attempt = 1,
                                       .kind = dt_str (DT_KIND_HTTP),
                                       .payload = dt_str (url)};
            n++;
        }
        dt_msg_init (&reply);
        reply.type = DT_MSG_TASKS;
        reply.tasks.epoch = 1; /* this fake master's one run */
        reply.tasks.count = n;
        reply.tasks.items = items;
        if (dt_msg_send (&reply, router, &worker) != 0)
            break;
        sent += n;
    }
    long results = 0, beats = 0;
    int64_t next_beat = zclock_mono () + 500;
    end = zclock_mono () + hold_ms;
    while (zclock_mono () < end) {
        if (zmq_poll (&item, 1, 100) > 0) {
            dt_peer_t peer;
            dt_msg_reset (&msg);
            if (dt_msg_recv (&msg, router, &peer, ZMQ_DONTWAIT) == 0) {
                if (msg.type == DT_MSG_RESULTS)
                    results += msg.results.count;
                else if (msg.type == DT_MSG_HEARTBEAT)
                    beats++;
            }
        }
        if (zclock_mono () >= next_beat) {
            dt_msg_init (&reply);
            reply.type = DT_MSG_HEARTBEAT;
            dt_msg_send (&reply, router, &worker);
            next_beat = zclock_mono () + 500;
        }
    }
    dt_msg_reset (&msg);
    free (items);
    printf ("sent=%ld results=%ld heartbeats=%ld\n", sent, results, beats);
    zmq_close (router);
    return 0;
}

/* ---- forge -------------------------------------------------------------- */

/* One RESULTS "done" for every lease in `leases`, sent over `sock` under
 * the name `worker`. */
static void s_forge_send (void *sock, const char *worker, const dt_msg_result_t *leases, long n)
{
    dt_msg_result_t *items = calloc ((size_t) n, sizeof *items);
    if (!items)
        exit (1);
    for (long i = 0; i < n; i++) {
        items[i] = leases[i];
        items[i].outcome = DT_OUTCOME_DONE;
        items[i].http_status = 200;
        items[i].final_url = dt_str ("http://forged.invalid/");
    }
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_RESULTS;
    msg.results.worker = dt_str (worker);
    msg.results.count = (uint32_t) n;
    msg.results.items = items;
    s_send (sock, &msg);
    free (items);
}

static int s_forge (const char *endpoint, long hold_ms)
{
    int64_t end = zclock_mono () + hold_ms;
    void *holder = s_dealer (endpoint, NULL, NULL);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_HELLO;
    msg.hello.name = dt_str ("forge-holder");
    msg.hello.capacity = 64;
    msg.hello.concurrency = 64;
    s_send (holder, &msg);
    /* Take what the master deals: wait for the first TASKS (up to 10 s),
     * then 300 ms more, heartbeating so the leases stay live. */
    enum { S_LEASES_MAX = 4096 };
    static dt_msg_result_t leases[S_LEASES_MAX];
    long n = 0;
    dt_msg_t reply, beat;
    dt_msg_init (&reply);
    dt_msg_init (&beat);
    beat.type = DT_MSG_HEARTBEAT;
    int64_t take_end = zclock_mono () + 10000;
    while (zclock_mono () < take_end && n < S_LEASES_MAX) {
        s_send (holder, &beat);
        if (s_recv (holder, &reply, 50) != 0 || reply.type != DT_MSG_TASKS)
            continue;
        if (n == 0)
            take_end = zclock_mono () + 300;
        for (uint32_t i = 0; i < reply.tasks.count && n < S_LEASES_MAX; i++, n++) {
            memset (&leases[n], 0, sizeof leases[n]);
            leases[n].id = reply.tasks.items[i].id;
            leases[n].attempt = reply.tasks.items[i].attempt;
            leases[n].epoch = reply.tasks.epoch;
        }
    }
    dt_msg_reset (&reply);
    /* While the holder's leases are live: a peer that never said HELLO
     * names the holder; a registered worker names the holder, then itself. */
    void *anon = s_dealer (endpoint, NULL, NULL);
    s_forge_send (anon, "forge-holder", leases, n);
    void *other = s_dealer (endpoint, NULL, NULL);
    msg.hello.name = dt_str ("forge-other");
    msg.hello.capacity = 0;
    msg.hello.concurrency = 0;
    s_send (other, &msg);
    s_recv (other, &reply, 2000);
    dt_msg_reset (&reply);
    s_forge_send (other, "forge-holder", leases, n);
    s_forge_send (other, "forge-other", leases, n);
    /* The holder keeps its leases 2 s more, then falls silent. */
    for (int64_t keep = zclock_mono () + 2000; zclock_mono () < keep && !s_stop;) {
        s_send (holder, &beat);
        s_sleep_ms (50);
    }
    /* The holder never answers: its leases end with its liveness. */
    while (!s_stop && zclock_mono () < end)
        s_sleep_ms (50);
    printf ("leased=%ld forged=%ld\n", n, 3 * n);
    zmq_close (anon);
    zmq_close (other);
    zmq_close (holder);
    return 0;
}

int main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: see the head of tests/tools/dt_peer.c\n");
        return 2;
    }
    s_raise_nofile ();
    s_ctx = zmq_ctx_new ();
    int max_sockets = 65536;
    zmq_ctx_set (s_ctx, ZMQ_MAX_SOCKETS, max_sockets);
    const char *mode = argv[1];
    int rc = 2;
    if (strcmp (mode, "noread") == 0 && argc == 5)
        rc = s_noread (argv[2], atol (argv[3]), atol (argv[4]));
    else if (strcmp (mode, "silent") == 0 && argc == 6)
        rc = s_silent (atoi (argv[2]), atol (argv[3]), atol (argv[4]), atoi (argv[5]));
    else if (strcmp (mode, "flood") == 0 && (argc == 5 || argc == 7))
        rc = s_flood (argv[2], argv[3], atol (argv[4]), argc == 7 ? argv[5] : NULL,
                      argc == 7 ? argv[6] : NULL);
    else if (strcmp (mode, "curve") == 0 && argc == 5)
        rc = s_curve (argv[2], argv[3], atol (argv[4]));
    else if (strcmp (mode, "workers") == 0 && (argc == 4 || argc == 5))
        rc = s_workers (argv[2], atol (argv[3]), argc == 5 ? atol (argv[4]) : 1);
    else if (strcmp (mode, "waiters") == 0 && argc >= 4 && argc <= 7)
        rc = s_waiters (argv[2], atol (argv[3]), argc >= 5 ? atol (argv[4]) : 1,
                        argc >= 6 ? atol (argv[5]) : 1, argc >= 7 ? atol (argv[6]) : 0);
    else if (strcmp (mode, "bigframes") == 0 && argc == 7)
        rc = s_bigframes (argv[2], atol (argv[3]), atol (argv[4]), atol (argv[5]), atol (argv[6]));
    else if (strcmp (mode, "rawmore") == 0 && argc == 6)
        rc = s_rawmore (atoi (argv[2]), atol (argv[3]), atol (argv[4]), atol (argv[5]));
    else if (strcmp (mode, "forge") == 0 && argc == 4)
        rc = s_forge (argv[2], atol (argv[3]));
    else if (strcmp (mode, "fakemaster") == 0 && argc == 6)
        rc = s_fakemaster (argv[2], atol (argv[3]), argv[4], atol (argv[5]));
    else
        fprintf (stderr, "dt_peer: bad arguments for '%s' (see tests/tools/dt_peer.c)\n", mode);
    zmq_ctx_term (s_ctx);
    return rc;
}
