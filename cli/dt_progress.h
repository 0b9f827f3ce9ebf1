/* dt_progress.h - a one-line progress display on a terminal's stderr, redrawn in place. */
#ifndef DT_PROGRESS_H
#define DT_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_progress_t dt_progress_t;

/* Creates a display for `total` tasks. Returns NULL when out of memory. */
dt_progress_t *dt_progress_new (uint64_t total);
void dt_progress_destroy (dt_progress_t **self_p);

/* The total grew (a crawl finds more pages). */
void dt_progress_set_total (dt_progress_t *self, uint64_t total);

/* Records the counts so far and redraws at most a few times a second
 * (always when `force`). */
void dt_progress_update (dt_progress_t *self, uint64_t finished, uint64_t failed, int force);

/* Adds `note` (borrowed; a string literal) after the counts, or removes it
 * (NULL); a change is drawn at once. */
void dt_progress_set_note (dt_progress_t *self, const char *note);

/* Erases the line, e.g. before a log line or at the end. NULL-safe (so it
 * can be a log hook with a NULL display). */
void dt_progress_clear (void *self);

/* Formats the line for `finished` of `total` (`failed` of them failed)
 * after `elapsed_ms` into `out`: "120/1000 done, 3 failed, 40/s, ETA 0:22".
 * Pure, for tests. */
void dt_progress_format (char *out, size_t out_size, uint64_t finished, uint64_t total,
                         uint64_t failed, int64_t elapsed_ms);

#endif
