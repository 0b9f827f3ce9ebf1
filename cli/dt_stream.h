/* dt_stream.h - pages through a job's results with FETCH and prints them as JSON lines.
 *
 * Shared by `submit --wait` (until every submitted task is final),
 * `results` (until caught up) and `results --follow` (until a signal). The
 * cursor makes resends safe: each result is printed exactly once even when
 * the master restarts underneath.
 */
#ifndef DT_STREAM_H
#define DT_STREAM_H

#include "dt_cli.h"

#include <stdint.h>

typedef struct {
    const char *job; /* job id, "" for all jobs; borrowed */
    uint32_t flags;  /* DT_FETCH_* */
    int follow;      /* long-poll forever; a signal ends it with exit 0 */
    uint64_t expect; /* > 0: long-poll until this many results are printed */
    int grows;       /* with expect: the job's task count grows (a crawl); expect follows
                        the count each PAGE carries, so the wait ends once every task the
                        job has is final */
    int progress;    /* draw a progress line on stderr (with expect) */
    int summary;     /* print "N done, M failed" on stderr at the end */
    int broken;      /* print only broken links: failed, or HTTP status >= 400 */
} dt_stream_opts_t;

/* Without follow or expect, stops at the first empty page. Returns the
 * process exit code, having printed any error; interrupted while waiting
 * for a job (expect), it says how to follow the job's results again. */
int dt_stream_run (const dt_cli_opts_t *cli, dt_rpc_t *rpc, const dt_stream_opts_t *opts);

#endif
