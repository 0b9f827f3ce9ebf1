/* dt_jobs - submits many small jobs to a dtask master: the client of e2e_many_jobs and of
 * bench/run's jobs row.
 *
 *   dt_jobs --master EP -n N [--urls U] [--window W] [--prefix P] [--url-bytes B] [--timeout S]
 *
 * Submits jobs P-0 .. P-(N-1), each one chunk of U URLs (default 1) of about B bytes (default 40),
 * with up to W SUBMITs in flight (default 64) on one DEALER, through proto/'s codec. A QUEUE_FULL
 * answer is counted and the chunk sent again after a pause, so the figure covers every job. Prints
 * `submitted=` (jobs accepted), `refused=` (QUEUE_FULL answers) and `elapsed_ms=`.
 *
 * Exit codes: 0 ok, 1 failure (timeout, other refusal, socket error), 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "dt_msg.h"

#define DJ_POLL_MS   100 /* poll slice: the deadline is checked at least this often */
#define DJ_FULL_MS   50  /* pause before a chunk refused with QUEUE_FULL goes again */
#define DJ_URLS_MAX  64  /* URLs per job at most */
#define DJ_URL_BYTES 8000

static double s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

typedef struct {
    const char *prefix;
    long urls, url_bytes;
} s_opts_t;

/* SUBMIT of job `i`: req = i + 1, so a reply names its job. */
static int s_submit (void *sock, const s_opts_t *o, long i)
{
    static char bufs[DJ_URLS_MAX][DJ_URL_BYTES + 1];
    dt_str_t urls[DJ_URLS_MAX];
    char job[64];
    snprintf (job, sizeof job, "%s-%ld", o->prefix, i);
    for (long u = 0; u < o->urls; u++) {
        int n = snprintf (bufs[u], sizeof bufs[u], "http://127.0.0.1:1/jobs/%s/%ld/", job, u);
        while (n < o->url_bytes)
            bufs[u][n++] = 'x';
        bufs[u][n] = '\0';
        urls[u] = dt_str (bufs[u]);
    }
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_SUBMIT;
    msg.req = (uint64_t) i + 1;
    msg.submit.job = dt_str (job);
    msg.submit.chunk = 0;
    msg.submit.count = (uint32_t) o->urls;
    msg.submit.payloads = urls;
    return dt_msg_send (&msg, sock, NULL);
}

int main (int argc, char **argv)
{
    const char *master = NULL;
    long n = 0, window = 64, timeout_s = 600;
    s_opts_t o = {"jobs", 1, 40};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp (a, "--master") == 0)
            master = v;
        else if (strcmp (a, "-n") == 0)
            n = strtol (v, NULL, 10);
        else if (strcmp (a, "--urls") == 0)
            o.urls = strtol (v, NULL, 10);
        else if (strcmp (a, "--window") == 0)
            window = strtol (v, NULL, 10);
        else if (strcmp (a, "--prefix") == 0)
            o.prefix = v;
        else if (strcmp (a, "--url-bytes") == 0)
            o.url_bytes = strtol (v, NULL, 10);
        else if (strcmp (a, "--timeout") == 0)
            timeout_s = strtol (v, NULL, 10);
        else
            n = -1;
    }
    if (!master || n < 1 || n > 100000000 || o.urls < 1 || o.urls > DJ_URLS_MAX || window < 1 ||
        window > 4096 || o.url_bytes < 1 || o.url_bytes > DJ_URL_BYTES || timeout_s < 1 ||
        strlen (o.prefix) > 32 || argc % 2 == 0) {
        fprintf (stderr, "usage: dt_jobs --master EP -n N [--urls U] [--window W] [--prefix P]"
                         " [--url-bytes B] [--timeout S]\n");
        return 2;
    }
    int rc = 1;
    void *ctx = zmq_ctx_new ();
    void *sock = ctx ? zmq_socket (ctx, ZMQ_DEALER) : NULL;
    int zero = 0;
    if (!sock || zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_connect (sock, master) != 0) {
        fprintf (stderr, "dt_jobs: %s: %s\n", master, zmq_strerror (errno));
        goto done;
    }
    long sent = 0, accepted = 0, refused = 0, inflight = 0;
    double t0 = s_now_ms (), deadline = t0 + (double) timeout_s * 1e3;
    while (accepted < n) {
        while (inflight < window && sent < n) {
            if (s_submit (sock, &o, sent) != 0) {
                fprintf (stderr, "dt_jobs: send: %s\n", zmq_strerror (errno));
                goto done;
            }
            sent++;
            inflight++;
        }
        if (s_now_ms () > deadline) {
            fprintf (stderr, "dt_jobs: timed out with %ld of %ld jobs accepted\n", accepted, n);
            goto done;
        }
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&it, 1, DJ_POLL_MS) < 0 && errno != EINTR)
            goto done;
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        dt_msg_t msg;
        dt_msg_init (&msg);
        int err = dt_msg_recv (&msg, sock, NULL, 0);
        if (err != 0) {
            fprintf (stderr, "dt_jobs: bad reply: %s\n", dt_msg_strerror (err));
            goto done;
        }
        if (msg.type == DT_MSG_SUBMIT_OK) {
            accepted++;
            inflight--;
        } else if (msg.type == DT_MSG_ERROR && msg.error.code == DT_ERR_QUEUE_FULL &&
                   msg.req >= 1 && msg.req <= (uint64_t) n) {
            refused++;
            usleep (DJ_FULL_MS * 1000);
            if (s_submit (sock, &o, (long) msg.req - 1) != 0) {
                dt_msg_reset (&msg);
                goto done;
            }
        } else {
            fprintf (stderr, "dt_jobs: unexpected %s: %.*s\n", dt_msg_type_name (msg.type),
                     msg.type == DT_MSG_ERROR ? (int) msg.error.text.len : 0,
                     msg.type == DT_MSG_ERROR ? msg.error.text.ptr : "");
            dt_msg_reset (&msg);
            goto done;
        }
        dt_msg_reset (&msg);
    }
    printf ("submitted=%ld\nrefused=%ld\nelapsed_ms=%.3f\n", accepted, refused, s_now_ms () - t0);
    rc = 0;
done:
    if (sock)
        zmq_close (sock);
    if (ctx)
        zmq_ctx_term (ctx);
    return rc;
}
