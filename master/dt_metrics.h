/* dt_metrics.h - what the master's HTTP side shows: immutable snapshots the loop publishes, and
 * their renderings (Prometheus text, JSON). */
#ifndef DT_METRICS_H
#define DT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_state.h"

/* Two threads meet here and nowhere else. The master's loop owns the
 * model; it calls dt_metrics_publish() once per turn, which at most every
 * DT_METRICS_PUBLISH_MS copies what the endpoints show (counters, worker
 * rows, the throughput ring, the commit latency histogram) into a new
 * snapshot and swaps it into a mutex-protected slot. The HTTP thread takes
 * a reference to the current snapshot (dt_metrics_acquire), renders it
 * without any lock, and drops the reference; the last holder frees it.
 * A snapshot never changes once published, and nothing on the reading side
 * touches the model. Without --http there is no dt_metrics_t and the loop
 * does none of this. */
typedef struct dt_metrics_t dt_metrics_t;
typedef struct dt_metrics_snap_t dt_metrics_snap_t;

/* Snapshots are published at most this often (monotonic ms): fresher than
 * a dashboard's 1 s poll or a scrape, and rare enough that copying even
 * DT_LIMIT_WORKERS_MAX worker rows costs the loop nothing measurable. */
#define DT_METRICS_PUBLISH_MS 100

/* Throughput points kept: one a second, so ten minutes of history for the
 * dashboard's chart and /api/history. */
#define DT_METRICS_RING 600

/* Upper bounds (seconds) of the commit latency histogram's buckets; +Inf
 * is implied. From an fsync of a small group on an SSD (~0.5 ms) to a
 * large group on a slow disk (seconds). */
#define DT_METRICS_COMMIT_BOUNDS                                                                   \
    {                                                                                              \
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5                    \
    }
#define DT_METRICS_COMMIT_BUCKETS 12

/* Creates an empty publisher: no snapshot until the first publish.
 * Returns NULL on failure. */
dt_metrics_t *dt_metrics_new (void);

/* Frees the current snapshot. Every reader must be gone (the HTTP server
 * stopped). NULL-safe; nulls the pointer. */
void dt_metrics_destroy (dt_metrics_t **self_p);

/* ---- The loop's side (one thread) ---- */

/* A monotonic clock in microseconds, for timing a commit. */
int64_t dt_metrics_clock_us (void);

/* Counts one store commit that took `us` microseconds. */
void dt_metrics_commit_observe (dt_metrics_t *self, int64_t us);

/* Publishes a snapshot of `state` (borrowed, read only here) when
 * DT_METRICS_PUBLISH_MS have passed since the last one; adds a throughput
 * point every second. `now` is monotonic ms. Cheap when it is not due. On
 * an allocation failure the previous snapshot stays (and is logged once).
 * Returns when it wants to be called again (monotonic ms): within
 * DT_METRICS_PUBLISH_MS when the counters moved since the last snapshot,
 * else at the next throughput point. */
int64_t dt_metrics_publish (dt_metrics_t *self, dt_state_t *state, int64_t now);

/* When `worker` was last heard from (monotonic ms): the loop's to know,
 * not the model's. */
typedef int64_t (*dt_metrics_seen_fn) (void *arg, const dt_worker_t *worker);

/* Makes publish ask `seen` for each worker's idle time (0 until set). */
void dt_metrics_set_seen (dt_metrics_t *self, dt_metrics_seen_fn seen, void *arg);

/* ---- The readers' side (any thread) ---- */

/* The current snapshot with a reference taken, or NULL before the first
 * publish. Give it back with dt_metrics_release. */
const dt_metrics_snap_t *dt_metrics_acquire (dt_metrics_t *self);

/* Drops the reference; frees the snapshot when it was the last one.
 * NULL-safe; nulls the pointer. */
void dt_metrics_release (dt_metrics_t *self, const dt_metrics_snap_t **snap_p);

/* Renderings of a snapshot. Each returns a NUL-terminated text the caller
 * frees, its length in *len, or NULL when memory runs out. */

/* Prometheus text exposition format 0.0.4: counters, gauges, the busiest
 * DT_LIMIT_METRICS_WORKERS workers, the commit latency histogram. */
char *dt_metrics_prometheus (const dt_metrics_snap_t *snap, size_t *len);

/* /api/status: the counters as `dtask status --json` names them, and
 * "workers" (every worker), then what only the HTTP side has:
 * workers_connected, results_per_second, queued_cold, memory_bytes,
 * commit_latency, version, uptime_s, time_ms. */
char *dt_metrics_status_json (const dt_metrics_snap_t *snap, size_t *len);

/* /api/history: {"interval_ms": 1000, "points": [{"t": unix ms, "done",
 * "failed", "rate"}, ...]} oldest first. */
char *dt_metrics_history_json (const dt_metrics_snap_t *snap, size_t *len);

#endif
