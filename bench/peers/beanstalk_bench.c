/* beanstalk_bench - beanstalkd doing bench/run's no-op workload, from a small C client.
 *
 *   beanstalk_bench driver --port P -n N -w W [--window K] [--timeout SECONDS]
 *   beanstalk_bench worker --port P
 *
 * Tubes: `tasks` carries the URLs, `results` the replies. A worker watches `tasks`, uses `results`,
 * puts "hello" once, then answers each reserved job with one round trip: it writes
 * "delete ID", "put <reply>" and the next "reserve" in one write and reads the three replies.
 * The driver waits for W hellos, starts the clock, and runs two connections in two threads: the
 * producer pipelines its puts (K put commands written before their K replies are read), the
 * collector reserves a result and writes "delete ID" with the next "reserve" in one write. The
 * clock stops at the N-th result; it prints `elapsed_ms=MS`, then puts W "stop" jobs.
 *
 * Exit codes: 0 ok, 1 failure (connection, protocol, timeout), 2 bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BB_BUF           65536
#define BB_BODY_MAX      256 /* every job body here is a short URL or a word */
#define BB_PRI           1024
#define BB_TTR           60
#define BB_CONNECT_TRIES 100 /* 0.1 s apart: the server may still be starting */

typedef struct {
    int fd;
    char in[BB_BUF]; /* bytes read, not yet consumed: [start, end) */
    size_t start, end;
} bb_conn_t;

typedef struct {
    int port;
    long n, w, window, timeout_s;
} bb_args_t;

static double s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int s_connect (bb_conn_t *c, int port, long timeout_s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    memset (c, 0, sizeof *c);
    for (int i = 0; i < BB_CONNECT_TRIES; i++) {
        c->fd = socket (AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0)
            return -1;
        if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
            int one = 1;
            setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (timeout_s > 0) { /* a reply that never comes ends the run instead of hanging it */
                struct timeval tv = {.tv_sec = timeout_s};
                setsockopt (c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            }
            return 0;
        }
        close (c->fd);
        c->fd = -1;
        usleep (100000);
    }
    fprintf (stderr, "beanstalk_bench: connect 127.0.0.1:%d: %s\n", port, strerror (errno));
    return -1;
}

static int s_write (bb_conn_t *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (c->fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* s_fill: reads more bytes, compacting the buffer first. */
static int s_fill (bb_conn_t *c)
{
    if (c->start > 0) {
        memmove (c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == sizeof c->in)
        return -1;
    for (;;) {
        ssize_t n = read (c->fd, c->in + c->end, sizeof c->in - c->end);
        if (n > 0) {
            c->end += (size_t) n;
            return 0;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return -1; /* closed, error or SO_RCVTIMEO */
    }
}

/* s_line: the next reply line without its CRLF, NUL-terminated in place; NULL on failure. */
static char *s_line (bb_conn_t *c)
{
    for (;;) {
        char *p = memmem (c->in + c->start, c->end - c->start, "\r\n", 2);
        if (p) {
            char *line = c->in + c->start;
            *p = '\0';
            c->start = (size_t) (p + 2 - c->in);
            return line;
        }
        if (s_fill (c) != 0)
            return NULL;
    }
}

/* s_expect: the next reply line must start with WORD. */
static int s_expect (bb_conn_t *c, const char *word)
{
    char *line = s_line (c);
    if (!line || strncmp (line, word, strlen (word)) != 0) {
        fprintf (stderr, "beanstalk_bench: expected %s, got %s\n", word, line ? line : "(nothing)");
        return -1;
    }
    return 0;
}

/* s_reserved: reads "RESERVED id bytes" and the body; copies the body (NUL-terminated) to BODY. */
static int s_reserved (bb_conn_t *c, unsigned long long *id, char *body, size_t *blen)
{
    char *line = s_line (c);
    size_t len;
    if (!line || sscanf (line, "RESERVED %llu %zu", id, &len) != 2 || len >= BB_BODY_MAX) {
        fprintf (stderr, "beanstalk_bench: expected RESERVED, got %s\n", line ? line : "(nothing)");
        return -1;
    }
    while (c->end - c->start < len + 2)
        if (s_fill (c) != 0)
            return -1;
    memcpy (body, c->in + c->start, len);
    body[len] = '\0';
    *blen = len;
    c->start += len + 2;
    return 0;
}

static int s_cmd (bb_conn_t *c, const char *cmd, const char *reply)
{
    return s_write (c, cmd, strlen (cmd)) == 0 ? s_expect (c, reply) : -1;
}

static int s_put_fmt (char *out, size_t cap, const char *body, size_t len)
{
    return snprintf (out, cap, "put %d 0 %d %zu\r\n%s\r\n", BB_PRI, BB_TTR, len, body);
}

static int s_worker (const bb_args_t *a)
{
    bb_conn_t *c = malloc (sizeof *c);
    if (!c || s_connect (c, a->port, 0) != 0)
        return 1;
    int rc = 1;
    char out[1024], body[BB_BODY_MAX], reply[BB_BODY_MAX + 8];
    int len = s_put_fmt (out, sizeof out, "hello", 5);
    if (s_cmd (c, "watch tasks\r\n", "WATCHING") != 0 ||
        s_cmd (c, "ignore default\r\n", "WATCHING") != 0 ||
        s_cmd (c, "use results\r\n", "USING") != 0 || s_write (c, out, (size_t) len) != 0 ||
        s_expect (c, "INSERTED") != 0 || s_write (c, "reserve\r\n", 9) != 0)
        goto done;
    for (;;) {
        unsigned long long id;
        size_t blen;
        if (s_reserved (c, &id, body, &blen) != 0)
            break; /* the server is gone: the harness stops the worker in any case */
        if (strcmp (body, "stop") == 0) {
            rc = 0;
            break;
        }
        int rl = snprintf (reply, sizeof reply, "%s ok", body);
        int ol = snprintf (out, sizeof out, "delete %llu\r\n", id);
        ol += s_put_fmt (out + ol, sizeof out - (size_t) ol, reply, (size_t) rl);
        ol += snprintf (out + ol, sizeof out - (size_t) ol, "reserve\r\n");
        if (s_write (c, out, (size_t) ol) != 0 || s_expect (c, "DELETED") != 0 ||
            s_expect (c, "INSERTED") != 0)
            break;
    }
done:
    close (c->fd);
    free (c);
    return rc;
}

typedef struct {
    const bb_args_t *a;
    bb_conn_t *conn;
    int rc;
} bb_job_t;

/* s_produce: puts N URLs into `tasks`, WINDOW commands written per batch before reading replies. */
static void *s_produce (void *arg)
{
    bb_job_t *j = arg;
    const bb_args_t *a = j->a;
    size_t cap = (size_t) a->window * 128;
    char *out = malloc (cap), url[96];
    j->rc = -1;
    if (!out)
        return NULL;
    for (long sent = 0; sent < a->n;) {
        size_t used = 0;
        long batch = 0;
        for (; batch < a->window && sent + batch < a->n; batch++) {
            int ul = snprintf (url, sizeof url, "http://127.0.0.1:1/bench/noop/tasks/%024ld",
                               sent + batch);
            used += (size_t) s_put_fmt (out + used, cap - used, url, (size_t) ul);
        }
        if (s_write (j->conn, out, used) != 0)
            goto done;
        for (long i = 0; i < batch; i++)
            if (s_expect (j->conn, "INSERTED") != 0)
                goto done;
        sent += batch;
    }
    j->rc = 0;
done:
    free (out);
    return NULL;
}

/* s_collect: reserves and deletes N results, one round trip each. */
static int s_collect (bb_conn_t *c, long n)
{
    char body[BB_BODY_MAX], out[64];
    if (s_write (c, "reserve\r\n", 9) != 0)
        return -1;
    for (long got = 0; got < n; got++) {
        unsigned long long id;
        size_t blen;
        if (s_reserved (c, &id, body, &blen) != 0)
            return -1;
        int ol =
            snprintf (out, sizeof out, "delete %llu\r\n%s", id, got + 1 < n ? "reserve\r\n" : "");
        if (s_write (c, out, (size_t) ol) != 0 || s_expect (c, "DELETED") != 0)
            return -1;
    }
    return 0;
}

static int s_driver (const bb_args_t *a)
{
    bb_conn_t *prod = calloc (1, sizeof *prod), *coll = calloc (1, sizeof *coll);
    int rc = 1;
    if (!prod || !coll || s_connect (prod, a->port, a->timeout_s) != 0 ||
        s_connect (coll, a->port, a->timeout_s) != 0)
        goto done;
    if (s_cmd (prod, "use tasks\r\n", "USING") != 0 ||
        s_cmd (coll, "watch results\r\n", "WATCHING") != 0 ||
        s_cmd (coll, "ignore default\r\n", "WATCHING") != 0)
        goto done;
    char body[BB_BODY_MAX], out[128];
    for (long i = 0; i < a->w; i++) {
        unsigned long long id;
        size_t blen;
        int ol;
        if (s_write (coll, "reserve\r\n", 9) != 0 || s_reserved (coll, &id, body, &blen) != 0)
            goto done;
        ol = snprintf (out, sizeof out, "delete %llu\r\n", id);
        if (s_write (coll, out, (size_t) ol) != 0 || s_expect (coll, "DELETED") != 0)
            goto done;
    }
    bb_job_t job = {.a = a, .conn = prod, .rc = -1};
    pthread_t th;
    double t0 = s_now_ms ();
    if (pthread_create (&th, NULL, s_produce, &job) != 0)
        goto done;
    int crc = s_collect (coll, a->n);
    double t1 = s_now_ms ();
    if (crc != 0)
        shutdown (prod->fd, SHUT_RDWR); /* unblocks the producer */
    pthread_join (th, NULL);
    if (crc != 0 || job.rc != 0)
        goto done;
    printf ("elapsed_ms=%.3f\n", t1 - t0);
    fflush (stdout);
    for (long i = 0; i < a->w; i++) {
        int ol = s_put_fmt (out, sizeof out, "stop", 4);
        if (s_write (prod, out, (size_t) ol) != 0 || s_expect (prod, "INSERTED") != 0)
            break; /* best effort: the harness stops the workers in any case */
    }
    rc = 0;
done:
    if (prod && prod->fd > 0)
        close (prod->fd);
    if (coll && coll->fd > 0)
        close (coll->fd);
    free (prod);
    free (coll);
    return rc;
}

static int s_usage (void)
{
    fprintf (stderr, "usage: beanstalk_bench driver --port P -n N -w W [--window K] [--timeout S]\n"
                     "       beanstalk_bench worker --port P\n");
    return 2;
}

static int s_num (const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main (int argc, char **argv)
{
    bb_args_t a = {.window = 256, .timeout_s = 300};
    long port = 0;
    if (argc < 2)
        return s_usage ();
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc)
            return s_usage ();
        const char *o = argv[i], *v = argv[i + 1];
        int bad = strcmp (o, "--port") == 0      ? s_num (v, 1, 65535, &port)
                  : strcmp (o, "-n") == 0        ? s_num (v, 1, 100000000, &a.n)
                  : strcmp (o, "-w") == 0        ? s_num (v, 1, 1024, &a.w)
                  : strcmp (o, "--window") == 0  ? s_num (v, 1, 65536, &a.window)
                  : strcmp (o, "--timeout") == 0 ? s_num (v, 1, 86400, &a.timeout_s)
                                                 : -1;
        if (bad)
            return s_usage ();
    }
    a.port = (int) port;
    if (a.port == 0)
        return s_usage ();
    if (strcmp (argv[1], "worker") == 0)
        return s_worker (&a);
    if (strcmp (argv[1], "driver") == 0 && a.n > 0 && a.w > 0)
        return s_driver (&a);
    return s_usage ();
}
