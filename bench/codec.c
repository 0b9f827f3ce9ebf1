/* codec.c - the wire codec's speed: encode + decode of a full TASKS and a full RESULTS batch.
 *
 *   build/bench/codec [ROUNDS]
 *
 * Prints, per batch type, the microseconds one encode + decode of DT_LIMIT_BATCH_MAX items
 * takes (best of ROUNDS, default 200), so a change to proto/ can be compared before and after.
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

/* Best time of `rounds` encode + decode of `m`, in microseconds; -1 on a codec error. */
static double s_measure (const dt_msg_t *m, int rounds)
{
    double best = -1;
    for (int i = 0; i < rounds; i++) {
        double t0 = s_now_us ();
        void *data;
        size_t size;
        if (dt_msg_encode (m, &data, &size) != 0)
            return -1;
        dt_msg_t back;
        dt_msg_init (&back);
        int rc = dt_msg_decode (&back, data, size);
        dt_msg_reset (&back);
        free (data);
        if (rc != 0)
            return -1;
        double t = s_now_us () - t0;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
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
                                   .url = dt_str_n (urls[i], (size_t) len)};
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
    double t_tasks = s_measure (&m, rounds);
    dt_msg_init (&m);
    m.type = DT_MSG_RESULTS;
    m.results.worker = dt_str ("bench-worker-1");
    m.results.count = N;
    m.results.items = results;
    double t_results = s_measure (&m, rounds);
    if (t_tasks < 0 || t_results < 0) {
        fprintf (stderr, "codec: a batch did not encode and decode\n");
        return 1;
    }
    printf ("TASKS   x%d: %.0f us encode+decode (best of %d)\n", N, t_tasks, rounds);
    printf ("RESULTS x%d: %.0f us encode+decode (best of %d)\n", N, t_results, rounds);
    return 0;
}
