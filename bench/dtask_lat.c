/* dtask_lat - the latency client of bench/run: one task at a time through a dtask master.
 *
 *   dtask_lat --master EP -n N [--timeout SECONDS]
 *
 * N times: SUBMIT one URL (job J, chunk i) and, in the same breath, a long-poll FETCH of job J
 * after the last cursor; the round trip ends when the PAGE holding the task's result arrives.
 * It speaks the wire protocol through proto/'s codec on one DEALER, as the CLI does, but without
 * the CLI's process start, so the figure is dtask's and not the start-up's. Prints `p50_us=`,
 * `p99_us=`, `p999_us=` and `elapsed_ms=`, the same lines as `zmq_raw client`.
 *
 * Exit codes: 0 ok, 1 failure (timeout, refusal, socket error), 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "dt_msg.h"

#define DL_URL_FMT  "http://127.0.0.1:1/bench/noop/latency/%024ld"
#define DL_WAIT_MS  1000 /* long poll of each FETCH; an empty PAGE is simply asked again */
#define DL_POLL_MS  100  /* poll slice: the deadline is checked at least this often */
#define DL_JOB_SIZE 32

static double s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int s_cmp_double (const void *x, const void *y)
{
    double a = *(const double *) x, b = *(const double *) y;
    return (a > b) - (a < b);
}

static int s_send_fetch (void *sock, uint64_t *req, const char *job, uint64_t cursor)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_FETCH;
    msg.req = ++*req;
    msg.fetch.job = dt_str (job);
    msg.fetch.cursor = cursor;
    msg.fetch.max = 16;
    msg.fetch.wait_ms = DL_WAIT_MS;
    return dt_msg_send (&msg, sock, NULL);
}

static int s_send_submit (void *sock, uint64_t *req, const char *job, long i)
{
    char url[128];
    snprintf (url, sizeof url, DL_URL_FMT, i);
    dt_str_t urls[1] = {dt_str (url)};
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_SUBMIT;
    msg.req = ++*req;
    msg.submit.job = dt_str (job);
    msg.submit.chunk = (uint32_t) i;
    msg.submit.count = 1;
    msg.submit.payloads = urls;
    return dt_msg_send (&msg, sock, NULL);
}

/* s_round_trip: one SUBMIT and its result. Returns 0, or -1 with a message on stderr. */
static int s_round_trip (void *sock, uint64_t *req, const char *job, long i, uint64_t *cursor,
                         double deadline)
{
    if (s_send_submit (sock, req, job, i) != 0 || s_send_fetch (sock, req, job, *cursor) != 0) {
        fprintf (stderr, "dtask_lat: send: %s\n", zmq_strerror (errno));
        return -1;
    }
    int submitted = 0, got = 0;
    while (!(submitted && got)) {
        if (s_now_ms () > deadline) {
            fprintf (stderr, "dtask_lat: timed out after %ld round trips\n", i);
            return -1;
        }
        zmq_pollitem_t it = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&it, 1, DL_POLL_MS) < 0 && errno != EINTR)
            return -1;
        if (!(it.revents & ZMQ_POLLIN))
            continue;
        dt_msg_t msg;
        dt_msg_init (&msg);
        int rc = dt_msg_recv (&msg, sock, NULL, 0);
        if (rc != 0) {
            fprintf (stderr, "dtask_lat: bad reply: %s\n", dt_msg_strerror (rc));
            return -1;
        }
        if (msg.type == DT_MSG_ERROR) {
            fprintf (stderr, "dtask_lat: master refused: %s: %.*s\n",
                     dt_msg_error_name ((int) msg.error.code), (int) msg.error.text.len,
                     msg.error.text.ptr);
            dt_msg_reset (&msg);
            return -1;
        }
        if (msg.type == DT_MSG_SUBMIT_OK)
            submitted = 1;
        else if (msg.type == DT_MSG_PAGE) {
            *cursor = msg.page.cursor;
            if (msg.page.count > 0)
                got = 1;
            else if (s_send_fetch (sock, req, job, *cursor) != 0) /* the long poll ended empty */
                rc = -1;
        }
        dt_msg_reset (&msg);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    const char *master = NULL;
    long n = 0, timeout_s = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--master") == 0)
            master = argv[i + 1];
        else if (strcmp (argv[i], "-n") == 0)
            n = strtol (argv[i + 1], NULL, 10);
        else if (strcmp (argv[i], "--timeout") == 0)
            timeout_s = strtol (argv[i + 1], NULL, 10);
        else
            n = -1;
    }
    if (!master || n < 1 || n > 10000000 || timeout_s < 1 || argc % 2 == 0) {
        fprintf (stderr, "usage: dtask_lat --master EP -n N [--timeout SECONDS]\n");
        return 2;
    }
    int rc = 1;
    void *ctx = zmq_ctx_new ();
    void *sock = ctx ? zmq_socket (ctx, ZMQ_DEALER) : NULL;
    double *us = calloc ((size_t) n, sizeof *us);
    int zero = 0;
    if (!sock || !us || zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_connect (sock, master) != 0) {
        fprintf (stderr, "dtask_lat: %s: %s\n", master, zmq_strerror (errno));
        goto done;
    }
    char job[DL_JOB_SIZE];
    snprintf (job, sizeof job, "lat-%ld-%ld", (long) time (NULL), (long) (s_now_ms () * 1e3));
    uint64_t req = 0, cursor = 0;
    double deadline = s_now_ms () + (double) timeout_s * 1e3;
    double t0 = s_now_ms ();
    for (long i = 0; i < n; i++) {
        double ts = s_now_ms ();
        if (s_round_trip (sock, &req, job, i, &cursor, deadline) != 0)
            goto done;
        us[i] = (s_now_ms () - ts) * 1e3;
    }
    double t1 = s_now_ms ();
    qsort (us, (size_t) n, sizeof *us, s_cmp_double);
    printf ("elapsed_ms=%.3f\n", t1 - t0);
    printf ("p50_us=%.1f\np99_us=%.1f\np999_us=%.1f\n", us[(n - 1) * 50 / 100],
            us[(n - 1) * 99 / 100], us[(n - 1) * 999 / 1000]);
    rc = 0;
done:
    free (us);
    if (sock)
        zmq_close (sock);
    if (ctx)
        zmq_ctx_term (ctx);
    return rc;
}
