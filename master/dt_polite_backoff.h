/* dt_polite_backoff.h - the pause an ended request asks of its origin: a server's Retry-After on
 * a 429 or 503, or an exponential back-off while the host keeps failing.
 *
 * A success ends a run of failures. A connect error, a timeout or a 5xx
 * (not a lost lease, which says nothing about the host, nor another 4xx,
 * which is the page's) is one more failure in a row: the host pauses
 * DT_POLITE_BACKOFF_BASE_MS, doubling with each, up to
 * DT_POLITE_BACKOFF_MAX_MS. A Retry-After pauses it at least that long,
 * cut at DT_POLITE_PAUSE_MAX_MS (logged: POLITE-PAUSE-CLAMPED).
 */
#ifndef DT_POLITE_BACKOFF_H
#define DT_POLITE_BACKOFF_H

#include <stdint.h>

/* How one attempt ended, as the back-off reads it. */
typedef struct {
    int lost;                /* its lease ended without a result */
    uint8_t outcome;         /* DT_OUTCOME_* of its result */
    uint16_t status;         /* its HTTP status; 0: none */
    uint32_t retry_after_ms; /* the server's Retry-After; 0: none */
} dt_polite_attempt_t;

/* The pause in ms (0: none) that attempt `a` at `origin` (for the log)
 * asks for; *fails, the host's failures in a row, is updated. *error is
 * set to 1 when the attempt counts as an error for STATUS, else 0. */
int64_t dt_polite_backoff (const char *origin, const dt_polite_attempt_t *a, uint32_t *fails,
                           int *error);

#endif
