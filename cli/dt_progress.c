/* dt_progress.c - a one-line progress display on a terminal's stderr, redrawn in place. */
#include "dt_progress.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Five redraws a second look live without costing anything measurable. */
#define DT_PROGRESS_INTERVAL_MS 200

struct dt_progress_t {
    uint64_t total;    /* tasks expected */
    uint64_t finished; /* last counts given */
    uint64_t failed;
    int64_t started;  /* monotonic ms at creation */
    int64_t drawn_at; /* monotonic ms of the last redraw */
    int shown;        /* a line is on the terminal now */
    const char *note; /* said after the counts, e.g. "master unreachable"; borrowed */
};

dt_progress_t *dt_progress_new (uint64_t total)
{
    dt_progress_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->total = total;
    self->started = zclock_mono ();
    return self;
}

void dt_progress_set_total (dt_progress_t *self, uint64_t total)
{
    self->total = total;
}

void dt_progress_destroy (dt_progress_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_progress_clear (*self_p);
    free (*self_p);
    *self_p = NULL;
}

void dt_progress_format (char *out, size_t out_size, uint64_t finished, uint64_t total,
                         uint64_t failed, int64_t elapsed_ms)
{
    double rate = elapsed_ms > 0 ? (double) finished * 1000.0 / (double) elapsed_ms : 0.0;
    char eta[32] = "--";
    if (finished >= total) {
        snprintf (eta, sizeof eta, "0:00");
    } else if (rate > 0.0) {
        uint64_t s = (uint64_t) ((double) (total - finished) / rate + 0.5);
        if (s >= 3600)
            snprintf (eta, sizeof eta, "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned) (s / 60 % 60),
                      (unsigned) (s % 60));
        else
            snprintf (eta, sizeof eta, "%u:%02u", (unsigned) (s / 60), (unsigned) (s % 60));
    }
    snprintf (out, out_size, "%" PRIu64 "/%" PRIu64 " done, %" PRIu64 " failed, %.0f/s, ETA %s",
              finished, total, failed, rate, eta);
}

static void s_draw (dt_progress_t *self, int64_t now)
{
    char line[160];
    dt_progress_format (line, sizeof line, self->finished, self->total, self->failed,
                        now - self->started);
    /* \033[K erases what a longer previous line left behind. */
    fprintf (stderr, "\r%s%s%s\033[K", line, self->note ? " - " : "", self->note ? self->note : "");
    fflush (stderr);
    self->shown = 1;
    self->drawn_at = now;
}

void dt_progress_update (dt_progress_t *self, uint64_t finished, uint64_t failed, int force)
{
    self->finished = finished;
    self->failed = failed;
    int64_t now = zclock_mono ();
    if (force || !self->shown || now - self->drawn_at >= DT_PROGRESS_INTERVAL_MS)
        s_draw (self, now);
}

void dt_progress_set_note (dt_progress_t *self, const char *note)
{
    if (self->note == note)
        return;
    self->note = note;
    s_draw (self, zclock_mono ());
}

void dt_progress_clear (void *arg)
{
    dt_progress_t *self = arg;
    if (!self || !self->shown)
        return;
    fputs ("\r\033[K", stderr);
    fflush (stderr);
    self->shown = 0;
}
