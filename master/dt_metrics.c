/* dt_metrics.c - snapshots of the master for its HTTP side, published by the loop, rendered by
 * the HTTP thread. */
#include "dt_metrics.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A worker name as shown: valid UTF-8 without control characters (an
 * invalid byte becomes U+FFFD, 3 bytes), so every rendering only escapes. */
#define DT_METRICS_NAME_MAX (DT_LIMIT_NAME_MAX * 3)

typedef struct {
    char name[DT_METRICS_NAME_MAX + 1]; /* sanitised, NUL-terminated */
    uint32_t capacity;                  /* credit offered */
    uint32_t inflight;                  /* tasks leased now */
    uint32_t idle_ms;                   /* since its last message */
    uint64_t done;                      /* results it returned that were recorded */
} dt_metrics_worker_t;

/* One second of throughput. */
typedef struct {
    int64_t t_ms;    /* wall clock, unix ms, at the end of the interval */
    uint64_t done;   /* final done tasks then */
    uint64_t failed; /* final failed tasks then */
    double rate;     /* tasks made final per second over the interval */
} dt_metrics_point_t;

/* What the endpoints show at one moment. Never changes once published. */
struct dt_metrics_snap_t {
    unsigned refs;                                          /* holders; under the slot's mutex */
    int64_t time_ms;                                        /* wall clock, unix ms */
    double uptime_s;                                        /* since the publisher was made */
    dt_msg_stats_t stats;                                   /* master-wide counters */
    uint64_t queued_cold;                                   /* queued tasks only in the store */
    uint64_t memory;                                        /* bytes of tasks and results */
    dt_frontier_counts_t crawl;                             /* crawls' links, by fate */
    uint32_t crawls;                                        /* crawls running */
    uint64_t commit_buckets[DT_METRICS_COMMIT_BUCKETS + 1]; /* per bucket, last: +Inf */
    uint64_t commit_count;                                  /* commits timed */
    double commit_sum_s;                                    /* their total seconds */
    uint32_t npoints;                                       /* points used */
    dt_metrics_point_t points[DT_METRICS_RING];             /* oldest first */
    uint32_t nworkers;                                      /* rows in workers */
    dt_metrics_worker_t workers[];                          /* by slot */
};

struct dt_metrics_t {
    pthread_mutex_t lock;                     /* guards current and every snapshot's refs */
    dt_metrics_snap_t *current;               /* the published snapshot; NULL before the first */
    dt_metrics_seen_fn seen;                  /* when a worker was last heard from; NULL: unknown */
    void *seen_arg;                           /* its argument */
    int64_t started;                          /* monotonic ms of the first publish */
    int64_t next_publish;                     /* monotonic ms the next publish is due */
    int64_t next_point;                       /* monotonic ms the next throughput point is due */
    int64_t last_point;                       /* monotonic ms of the last point; 0: none */
    dt_msg_stats_t published;                 /* counters in the last snapshot */
    size_t published_workers;                 /* workers in the last snapshot */
    uint64_t last_final;                      /* done + failed at the last point */
    dt_metrics_point_t ring[DT_METRICS_RING]; /* circular */
    uint32_t ring_head;                       /* index of the oldest point */
    uint32_t ring_count;                      /* points held */
    uint64_t commit_buckets[DT_METRICS_COMMIT_BUCKETS + 1]; /* loop's running histogram */
    uint64_t commit_count;                                  /* commits timed */
    int64_t commit_sum_us;                                  /* their total */
    int nomem_logged;                                       /* METRICS-NOMEM said once */
};

static const double s_commit_bounds[DT_METRICS_COMMIT_BUCKETS] = DT_METRICS_COMMIT_BOUNDS;

dt_metrics_t *dt_metrics_new (void)
{
    dt_metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (pthread_mutex_init (&self->lock, NULL) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_metrics_destroy (dt_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_metrics_t *self = *self_p;
    free (self->current);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

/* ---- The loop's side ----------------------------------------------------- */

int64_t dt_metrics_clock_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dt_metrics_commit_observe (dt_metrics_t *self, int64_t us)
{
    if (us < 0)
        us = 0;
    double s = (double) us / 1e6;
    size_t b = 0;
    while (b < DT_METRICS_COMMIT_BUCKETS && s > s_commit_bounds[b])
        b++;
    self->commit_buckets[b]++;
    self->commit_count++;
    self->commit_sum_us += us;
}

/* Length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t s_utf8_seq (const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if (n > len)
        return 0;
    unsigned cp = c & (0xff >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Copies a peer-chosen name into `out` (DT_METRICS_NAME_MAX + 1 bytes) as
 * valid UTF-8 with control characters as '?'. */
static void s_sanitise (char *out, const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *) name;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 3 <= DT_METRICS_NAME_MAX;) {
        size_t n = s_utf8_seq (s + i, len - i);
        if (n == 0) {
            memcpy (out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else if (n == 1) {
            out[o++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char) s[i];
            i++;
        } else {
            memcpy (out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
}

/* Adds a throughput point when a second has passed since the last. */
static void s_point (dt_metrics_t *self, const dt_msg_stats_t *stats, int64_t now)
{
    if (now < self->next_point)
        return;
    uint64_t final = stats->done + stats->failed;
    double rate = 0;
    if (self->last_point && now > self->last_point && final >= self->last_final)
        rate = (double) (final - self->last_final) * 1000.0 / (double) (now - self->last_point);
    dt_metrics_point_t *p;
    if (self->ring_count < DT_METRICS_RING)
        p = &self->ring[(self->ring_head + self->ring_count++) % DT_METRICS_RING];
    else {
        p = &self->ring[self->ring_head];
        self->ring_head = (self->ring_head + 1) % DT_METRICS_RING;
    }
    p->t_ms = s_wall_ms ();
    p->done = stats->done;
    p->failed = stats->failed;
    p->rate = rate;
    self->last_point = now;
    self->last_final = final;
    /* Keep to whole seconds from the first point; after a long turn, start
     * again from now rather than catching up with a burst of points. */
    self->next_point += 1000;
    if (self->next_point <= now)
        self->next_point = now + 1000;
}

/* Drops a reference under the lock; returns the snapshot to free, if any. */
static dt_metrics_snap_t *s_unref (dt_metrics_snap_t *snap)
{
    return snap && --snap->refs == 0 ? snap : NULL;
}

/* When the loop must wake for the next publish: soon when the counters
 * moved since the last snapshot (so the last change of a burst is not left
 * unpublished while the loop sleeps), else at the next throughput point. */
static int64_t s_next_due (dt_metrics_t *self, dt_state_t *state)
{
    dt_msg_stats_t stats;
    dt_state_stats (state, dt_str_n ("", 0), &stats);
    if (memcmp (&stats, &self->published, sizeof stats) != 0 ||
        dt_workers_count (dt_state_workers (state)) != self->published_workers)
        return self->next_publish;
    return self->next_point;
}

int64_t dt_metrics_publish (dt_metrics_t *self, dt_state_t *state, int64_t now)
{
    if (now < self->next_publish)
        return s_next_due (self, state);
    self->next_publish = now + DT_METRICS_PUBLISH_MS;
    if (!self->started) {
        self->started = now;
        self->next_point = now;
    }
    dt_workers_t *workers = dt_state_workers (state);
    uint32_t nworkers = (uint32_t) dt_workers_count (workers);
    dt_metrics_snap_t *snap = malloc (sizeof *snap + nworkers * sizeof snap->workers[0]);
    if (!snap) {
        if (!self->nomem_logged)
            dt_log_warn ("METRICS-NOMEM",
                         "no memory for a snapshot: the HTTP side shows older data");
        self->nomem_logged = 1;
        return self->next_publish;
    }
    snap->refs = 1;
    snap->time_ms = s_wall_ms ();
    snap->uptime_s = (double) (now - self->started) / 1000.0;
    dt_state_stats (state, dt_str_n ("", 0), &snap->stats);
    snap->queued_cold = dt_state_cold (state);
    snap->memory = dt_state_memory (state);
    snap->crawl = dt_state_crawl_totals (state);
    snap->crawls = (uint32_t) dt_state_crawls (state);
    memcpy (snap->commit_buckets, self->commit_buckets, sizeof snap->commit_buckets);
    snap->commit_count = self->commit_count;
    snap->commit_sum_s = (double) self->commit_sum_us / 1e6;
    s_point (self, &snap->stats, now);
    snap->npoints = self->ring_count;
    for (uint32_t i = 0; i < self->ring_count; i++)
        snap->points[i] = self->ring[(self->ring_head + i) % DT_METRICS_RING];
    uint32_t n = 0;
    for (uint32_t slot = 0; slot < dt_workers_slots (workers) && n < nworkers; slot++) {
        const dt_worker_t *worker = dt_workers_at (workers, slot);
        if (!worker)
            continue;
        dt_metrics_worker_t *w = &snap->workers[n++];
        s_sanitise (w->name, worker->name, worker->name_len);
        w->capacity = worker->capacity;
        w->inflight = worker->leases.count;
        w->done = worker->done;
        int64_t idle = self->seen ? now - self->seen (self->seen_arg, worker) : 0;
        w->idle_ms = idle < 0 ? 0 : idle > UINT32_MAX ? UINT32_MAX : (uint32_t) idle;
    }
    snap->nworkers = n;
    self->published = snap->stats;
    self->published_workers = nworkers;

    pthread_mutex_lock (&self->lock);
    dt_metrics_snap_t *old = s_unref (self->current);
    self->current = snap;
    pthread_mutex_unlock (&self->lock);
    free (old);
    return self->next_point;
}

/* ---- The readers' side ---------------------------------------------------- */

void dt_metrics_set_seen (dt_metrics_t *self, dt_metrics_seen_fn seen, void *arg)
{
    self->seen = seen;
    self->seen_arg = arg;
}

const dt_metrics_snap_t *dt_metrics_acquire (dt_metrics_t *self)
{
    pthread_mutex_lock (&self->lock);
    dt_metrics_snap_t *snap = self->current;
    if (snap)
        snap->refs++;
    pthread_mutex_unlock (&self->lock);
    return snap;
}

void dt_metrics_release (dt_metrics_t *self, const dt_metrics_snap_t **snap_p)
{
    if (!snap_p || !*snap_p)
        return;
    pthread_mutex_lock (&self->lock);
    dt_metrics_snap_t *dead = s_unref ((dt_metrics_snap_t *) *snap_p);
    pthread_mutex_unlock (&self->lock);
    free (dead);
    *snap_p = NULL;
}

/* ---- Prometheus text ------------------------------------------------------ */

/* Writes a label value: \ " and newline escaped (the names are already
 * valid UTF-8 without control characters). */
static void s_label (FILE *out, const char *value)
{
    for (const char *c = value; *c; c++) {
        if (*c == '\\' || *c == '"')
            fputc ('\\', out);
        fputc (*c, out);
    }
}

/* Orders worker rows busiest first: most leases, then most done. */
static int s_busier (const void *a, const void *b)
{
    const dt_metrics_worker_t *x = *(const dt_metrics_worker_t *const *) a;
    const dt_metrics_worker_t *y = *(const dt_metrics_worker_t *const *) b;
    if (x->inflight != y->inflight)
        return x->inflight > y->inflight ? -1 : 1;
    if (x->done != y->done)
        return x->done > y->done ? -1 : 1;
    return strcmp (x->name, y->name);
}

static void s_family (FILE *out, const char *name, const char *type, const char *help)
{
    fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void s_scalar (FILE *out, const char *name, const char *type, const char *help,
                      uint64_t value)
{
    s_family (out, name, type, help);
    fprintf (out, "%s %" PRIu64 "\n", name, value);
}

/* Per-worker series: the busiest DT_LIMIT_METRICS_WORKERS. A name that
 * repeats among them (two workers may share one) gets its slot order as a
 * second label so that no two series are the same. */
static void s_workers (FILE *out, const dt_metrics_snap_t *snap)
{
    uint32_t n = snap->nworkers;
    const dt_metrics_worker_t **rows = calloc (n ? n : 1, sizeof *rows);
    if (!rows)
        return;
    for (uint32_t i = 0; i < n; i++)
        rows[i] = &snap->workers[i];
    qsort (rows, n, sizeof *rows, s_busier);
    if (n > DT_LIMIT_METRICS_WORKERS)
        n = DT_LIMIT_METRICS_WORKERS;
    static const struct {
        const char *name, *type, *help;
    } families[] = {
        {"dtask_worker_inflight", "gauge", "Tasks leased to this worker now."},
        {"dtask_worker_done_total", "counter", "Results of this worker that were recorded."},
    };
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        s_family (out, families[f].name, families[f].type, families[f].help);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t same = 0;
            for (uint32_t j = 0; j < i; j++)
                same += strcmp (rows[j]->name, rows[i]->name) == 0;
            fprintf (out, "%s{worker=\"", families[f].name);
            s_label (out, rows[i]->name);
            if (same)
                fprintf (out, "\",dup=\"%" PRIu32, same);
            fprintf (out, "\"} %" PRIu64 "\n",
                     f == 0 ? (uint64_t) rows[i]->inflight : rows[i]->done);
        }
    }
    free (rows);
}

char *dt_metrics_prometheus (const dt_metrics_snap_t *snap, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    const dt_msg_stats_t *s = &snap->stats;
    s_family (out, "dtask_build_info", "gauge", "Version of this dtask-master; always 1.");
    fprintf (out, "dtask_build_info{version=\"%s\"} 1\n", DTASK_VERSION);
    s_scalar (out, "dtask_tasks_submitted_total", "counter", "Tasks ever accepted.", s->submitted);
    s_scalar (out, "dtask_tasks_pending", "gauge", "Tasks waiting in the queue.", s->pending);
    s_scalar (out, "dtask_tasks_delayed", "gauge", "Tasks waiting for a retry backoff to pass.",
              s->delayed);
    s_scalar (out, "dtask_tasks_inflight", "gauge", "Tasks leased to a worker.", s->inflight);
    s_scalar (out, "dtask_tasks_done_total", "counter", "Tasks final done.", s->done);
    s_scalar (out, "dtask_tasks_failed_total", "counter", "Tasks final failed.", s->failed);
    s_scalar (out, "dtask_tasks_retried_total", "counter", "Dispatches beyond a task's first.",
              s->retried);
    s_scalar (out, "dtask_results_duplicate_total", "counter",
              "Results dropped because their task was already final.", s->duplicates);
    s_scalar (out, "dtask_results_late_total", "counter",
              "Results dropped because the lease they answer had ended.", s->late);
    s_scalar (out, "dtask_messages_invalid_total", "counter", "Messages dropped as invalid.",
              s->invalid);
    s_scalar (out, "dtask_tasks_queued_cold", "gauge",
              "Queued tasks held only in the store (beyond the window in memory).",
              snap->queued_cold);
    s_scalar (out, "dtask_memory_bytes", "gauge", "Bytes held by the task table and results log.",
              snap->memory);
    s_scalar (out, "dtask_workers_connected", "gauge", "Workers registered now.", snap->nworkers);
    s_scalar (out, "dtask_crawls_running", "gauge", "Crawls whose pages' links are followed.",
              snap->crawls);
    s_family (out, "dtask_crawl_links_total", "counter",
              "Links of crawled pages: made tasks (added), or skipped and why.");
    const dt_frontier_counts_t *c = &snap->crawl;
    const struct {
        const char *reason;
        uint64_t n;
    } links[] = {{"added", c->added},       {"seen", c->seen},           {"scope", c->scope},
                 {"depth", c->depth},       {"max_pages", c->max_pages}, {"bad", c->bad},
                 {"over_cap", c->over_cap}, {"refused", c->refused},     {"memory", c->memory}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        fprintf (out, "dtask_crawl_links_total{reason=\"%s\"} %" PRIu64 "\n", links[i].reason,
                 links[i].n);
    s_family (out, "dtask_results_per_second", "gauge",
              "Tasks made final per second over the last second.");
    fprintf (out, "dtask_results_per_second %.3f\n",
             snap->npoints ? snap->points[snap->npoints - 1].rate : 0.0);
    s_family (out, "dtask_store_commit_seconds", "histogram",
              "Time of one store commit (group commit with fsync) that had writes.");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < DT_METRICS_COMMIT_BUCKETS; b++) {
        cumulative += snap->commit_buckets[b];
        fprintf (out, "dtask_store_commit_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                 s_commit_bounds[b], cumulative);
    }
    fprintf (out, "dtask_store_commit_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n",
             snap->commit_count);
    fprintf (out, "dtask_store_commit_seconds_sum %.6f\n", snap->commit_sum_s);
    fprintf (out, "dtask_store_commit_seconds_count %" PRIu64 "\n", snap->commit_count);
    s_workers (out, snap);
    /* Per task kind and per host families go here once tasks have kinds:
     * each a labelled family with its own named cap, like s_workers. */
    if (fclose (out) != 0 || !text) {
        free (text);
        return NULL;
    }
    *len = size;
    return text;
}

/* ---- JSON ---------------------------------------------------------------- */

/* Serialises `o` (consumed) compactly; NULL when any part of it failed. */
static char *s_dump (json_t *o, int bad, size_t *len)
{
    char *text = (!bad && o) ? json_dumps (o, JSON_COMPACT | JSON_REAL_PRECISION (9)) : NULL;
    json_decref (o);
    if (text)
        *len = strlen (text);
    return text;
}

static json_t *s_int (uint64_t v)
{
    return json_integer ((json_int_t) v);
}

char *dt_metrics_status_json (const dt_metrics_snap_t *snap, size_t *len)
{
    const dt_msg_stats_t *s = &snap->stats;
    json_t *o = json_object ();
    json_t *workers = json_array ();
    json_t *commit = json_object ();
    int bad = !o || !workers || !commit;
    if (bad) {
        json_decref (workers);
        json_decref (commit);
        return s_dump (o, bad, len);
    }
    const struct {
        const char *name;
        uint64_t value;
    } counters[] = {
        {"submitted", s->submitted}, {"pending", s->pending},
        {"inflight", s->inflight},   {"delayed", s->delayed},
        {"done", s->done},           {"failed", s->failed},
        {"retried", s->retried},     {"duplicates", s->duplicates},
        {"late", s->late},           {"invalid", s->invalid},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        bad |= json_object_set_new_nocheck (o, counters[i].name, s_int (counters[i].value));
    for (uint32_t i = 0; i < snap->nworkers; i++) {
        const dt_metrics_worker_t *w = &snap->workers[i];
        json_t *jw = json_pack ("{s:s, s:I, s:I, s:I, s:I}", "name", w->name, "capacity",
                                (json_int_t) w->capacity, "inflight", (json_int_t) w->inflight,
                                "done", (json_int_t) w->done, "idle_ms", (json_int_t) w->idle_ms);
        bad |= !jw || json_array_append_new (workers, jw);
    }
    bad |= json_object_set_new_nocheck (o, "workers", workers);
    bad |= json_object_set_new_nocheck (o, "workers_connected", s_int (snap->nworkers));
    bad |= json_object_set_new_nocheck (
        o, "results_per_second",
        json_real (snap->npoints ? snap->points[snap->npoints - 1].rate : 0.0));
    bad |= json_object_set_new_nocheck (o, "queued_cold", s_int (snap->queued_cold));
    bad |= json_object_set_new_nocheck (o, "memory_bytes", s_int (snap->memory));
    json_t *buckets = json_array ();
    uint64_t cumulative = 0;
    for (size_t b = 0; buckets && b <= DT_METRICS_COMMIT_BUCKETS; b++) {
        cumulative += snap->commit_buckets[b];
        json_t *jb = b < DT_METRICS_COMMIT_BUCKETS
                         ? json_pack ("{s:f, s:I}", "le", s_commit_bounds[b], "count",
                                      (json_int_t) cumulative)
                         : json_pack ("{s:s, s:I}", "le", "+Inf", "count", (json_int_t) cumulative);
        bad |= !jb || json_array_append_new (buckets, jb);
    }
    bad |= !buckets || json_object_set_new_nocheck (commit, "buckets", buckets);
    bad |= json_object_set_new_nocheck (commit, "count", s_int (snap->commit_count));
    bad |= json_object_set_new_nocheck (commit, "sum_s", json_real (snap->commit_sum_s));
    bad |= json_object_set_new_nocheck (o, "commit_latency", commit);
    bad |= json_object_set_new_nocheck (o, "version", json_string (DTASK_VERSION));
    bad |= json_object_set_new_nocheck (o, "uptime_s", json_real (snap->uptime_s));
    bad |= json_object_set_new_nocheck (o, "time_ms", json_integer (snap->time_ms));
    /* "jobs" joins here once the model lists jobs (dtask jobs). */
    return s_dump (o, bad, len);
}

char *dt_metrics_history_json (const dt_metrics_snap_t *snap, size_t *len)
{
    json_t *o = json_object ();
    json_t *points = json_array ();
    int bad = !o || !points;
    for (uint32_t i = 0; !bad && i < snap->npoints; i++) {
        const dt_metrics_point_t *p = &snap->points[i];
        json_t *jp =
            json_pack ("{s:I, s:I, s:I, s:f}", "t", (json_int_t) p->t_ms, "done",
                       (json_int_t) p->done, "failed", (json_int_t) p->failed, "rate", p->rate);
        bad |= !jp || json_array_append_new (points, jp);
    }
    if (!o) {
        json_decref (points);
        return NULL;
    }
    bad |= json_object_set_new_nocheck (o, "interval_ms", json_integer (1000));
    bad |= json_object_set_new_nocheck (o, "points", points);
    return s_dump (o, bad, len);
}
