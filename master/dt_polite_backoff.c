/* dt_polite_backoff.c - Retry-After and back-off: how long an origin pauses after a request. */
#include "dt_polite_backoff.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_polite.h"

#include <inttypes.h>

int64_t dt_polite_backoff (const char *origin, const dt_polite_attempt_t *a, uint32_t *fails,
                           int *error)
{
    int64_t pause = 0;
    *error = 0;
    if (!a->lost && a->outcome == DT_OUTCOME_DONE && a->status < 500 && a->status != 429) {
        *fails = 0;
    } else {
        *error = 1;
        if (!a->lost && !(a->status >= 400 && a->status < 500 && a->status != 429)) {
            (*fails)++;
            uint64_t ms = DT_POLITE_BACKOFF_BASE_MS;
            for (uint32_t i = 1; i < *fails && ms < DT_POLITE_BACKOFF_MAX_MS; i++)
                ms *= 2;
            pause = (int64_t) (ms < DT_POLITE_BACKOFF_MAX_MS ? ms : DT_POLITE_BACKOFF_MAX_MS);
        }
    }
    if (!a->lost && a->retry_after_ms > 0 && (a->status == 429 || a->status == 503)) {
        uint32_t ms = a->retry_after_ms;
        if (ms > DT_POLITE_PAUSE_MAX_MS) {
            dt_log_warn ("POLITE-PAUSE-CLAMPED",
                         "%s: Retry-After of %" PRIu32 " ms cut to %" PRIu32 " ms", origin, ms,
                         (uint32_t) DT_POLITE_PAUSE_MAX_MS);
            ms = DT_POLITE_PAUSE_MAX_MS;
        }
        if ((int64_t) ms > pause)
            pause = ms;
        dt_log_info ("POLITE-PAUSE", "%s: HTTP %u with Retry-After: paused %" PRIu32 " ms", origin,
                     a->status, ms);
    }
    return pause;
}
