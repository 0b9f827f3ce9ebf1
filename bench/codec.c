/* codec.c - the wire codec's speed: encode + decode of a full TASKS and a full RESULTS batch.
 *
 *   build/bench/codec [ROUNDS]
 *
 * Prints, per batch type, the microseconds one encode and one decode of DT_LIMIT_BATCH_MAX items
 * take (best of ROUNDS, default 200), so a change to proto/ can be compared before and after.
 */
#include "dt_limits.h"
#include "dt_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Best times of `rounds` encodes and decodes of `m`, in microseconds; -1 on a codec error. */
static int s_measure (const dt_msg_t *m, int rounds, double *enc, double *dec)
{
    *enc = *dec = -1;
    for (int i = 0; i < rounds; i++) {
        double t0 = s_now_us ();
        void *data;
        size_t size;
        if (dt_msg_encode (m, &data, &size) != 0)
            return -1;
        double t1 = s_now_us ();
        dt_msg_t back;
        dt_msg_init (&back);
        int rc = dt_msg_decode (&back, data, size);
        dt_msg_reset (&back);
        double t2 = s_now_us ();
        free (data);
        if (rc != 0)
            return -1;
        if (*enc < 0 || t1 - t0 < *enc)
            *enc = t1 - t0;
        if (*dec < 0 || t2 - t1 < *dec)
            *dec = t2 - t1;
    }
    return 0;
}

int main (int argc, char **argv)
{
    int rounds = argc > 1 ? atoi (argv[1]) : 200;
    enum { N = DT_LIMIT_BATCH_MAX };
    static dt_msg_task_t tasks[N];
    static dt_msg_result_t results[N];
    static char urls[N][64];
    for (int i = 0; i < N; i++) {
        int len = snprintf (urls[i], sizeof urls[i], "http://host-%d.example.test/page/%d", i % 97,
                            i * 7919);
        tasks[i] = (dt_msg_task_t){.id = 1000000 + (uint64_t) i,
                                   .attempt = 1 + i % 3,
                                   .kind = dt_str ("http"),
                                   .payload = dt_str_n (urls[i], (size_t) len)};
        results[i] = (dt_msg_result_t){.id = 1000000 + (uint64_t) i,
                                       .attempt = 1 + i % 3,
                                       .outcome = DT_OUTCOME_DONE,
                                       .http_status = 200,
                                       .bytes = 5000 + (uint64_t) i,
                                       .elapsed_ms = 12 + i % 50,
                                       .final_url = dt_str_n (urls[i], (size_t) len),
                                       .content_type = dt_str ("text/html; charset=utf-8"),
                                       .error = dt_str ("")};
    }
    dt_msg_t m;
    dt_msg_init (&m);
    m.type = DT_MSG_TASKS;
    m.tasks.count = N;
    m.tasks.items = tasks;
#if DT_PROTO_VERSION >= 2
    m.tasks.epoch = 7;
    for (int i = 0; i < N; i++)
        results[i].epoch = 7;
#endif
    double te, td, re, rd;
    int rc = s_measure (&m, rounds, &te, &td);
    dt_msg_init (&m);
    m.type = DT_MSG_RESULTS;
    m.results.worker = dt_str ("bench-worker-1");
    m.results.count = N;
    m.results.items = results;
    rc |= s_measure (&m, rounds, &re, &rd);
    if (rc != 0) {
        fprintf (stderr, "codec: a batch did not encode and decode\n");
        return 1;
    }
    printf ("TASKS   x%d: encode %4.0f us, decode %4.0f us (best of %d)\n", N, te, td, rounds);
    printf ("RESULTS x%d: encode %4.0f us, decode %4.0f us (best of %d)\n", N, re, rd, rounds);
    return 0;
}
