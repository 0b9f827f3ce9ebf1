/* dt_stream.c - pages through a job's results with FETCH and prints them as JSON lines. */
#include "dt_stream.h"
#include "dt_idset.h"
#include "dt_jsonl.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_progress.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* How long the master may hold a FETCH when nothing is new: long enough that
 * an idle wait costs nothing, short enough that a dead link is noticed. */
#define DT_STREAM_WAIT_MS 5000

/* With a progress line, wake up this often to redraw rate and ETA even when
 * no result arrives. */
#define DT_STREAM_TICK_MS 500

int dt_stream_run (const dt_cli_opts_t *cli, dt_rpc_t *rpc, const dt_stream_opts_t *opts)
{
    uint64_t expect = opts->expect;
    int waiting = opts->follow || expect > 0;
    int code = DT_CLI_EXIT_FAIL;
    dt_progress_t *progress = NULL;
    dt_jsonl_t *out = dt_jsonl_new (stdout);
    if (!out) {
        fprintf (stderr, "dtask: out of memory\n");
        return DT_CLI_EXIT_FAIL;
    }
    /* Waiting for a job, each task counts once: a task run again (dtask
     * retry) while we wait has a second final result, not a new task. */
    dt_idset_t *seen = NULL;
    if (expect > 0 && !(seen = dt_idset_new ())) {
        dt_jsonl_destroy (&out);
        fprintf (stderr, "dtask: out of memory\n");
        return DT_CLI_EXIT_FAIL;
    }
    if (opts->progress && expect > 0) {
        progress = dt_progress_new (expect);
        dt_rpc_set_log_hook (rpc, dt_progress_clear, progress);
    }
    uint64_t cursor = 0, printed = 0, failed = 0;
    dt_msg_t reply;
    dt_msg_init (&reply);
    int inflight = 0;
    for (;;) {
        if (expect > 0 && printed >= expect) {
            code = DT_CLI_EXIT_OK;
            break;
        }
        if (!inflight) {
            dt_msg_t fetch;
            dt_msg_init (&fetch);
            fetch.type = DT_MSG_FETCH;
            fetch.fetch.job = dt_str (opts->job);
            fetch.fetch.cursor = cursor;
            fetch.fetch.max = DT_LIMIT_BATCH_MAX;
            fetch.fetch.wait_ms = waiting ? DT_STREAM_WAIT_MS : 0;
            fetch.fetch.flags = opts->flags;
            if (waiting) {
                /* Waiting or following: a page per commit costs both ends
                 * a wake-up per handful of results in a busy crawl, so the
                 * master may hold the FETCH briefly for a full page. Never
                 * for more than a job still owes, so its last page is not
                 * held. */
                fetch.fetch.flags |= DT_FETCH_FILL;
                uint64_t left = expect - printed;
                if (expect > 0 && left < DT_LIMIT_BATCH_MAX)
                    fetch.fetch.max = (uint32_t) left;
            }
            if (dt_rpc_start (rpc, &fetch, NULL) != 0)
                break;
            inflight = 1;
        }
        if (progress) {
            dt_progress_set_note (progress,
                                  dt_rpc_outage (rpc) ? "master unreachable, retrying" : NULL);
            dt_progress_update (progress, printed, failed, 0);
        }
        void *tag;
        int rc = dt_rpc_wait (rpc, &reply, &tag, progress ? DT_STREAM_TICK_MS : -1);
        if (rc == DT_RPC_EAGAIN)
            continue;
        if (rc == DT_RPC_EINTR && opts->follow) {
            code = DT_CLI_EXIT_OK;
            break;
        }
        if (rc == DT_RPC_EINTR && expect > 0) {
            /* The job goes on without us: say how to pick it up again. */
            dt_progress_clear (progress);
            fprintf (stderr,
                     "dtask: interrupted after %" PRIu64 " of %" PRIu64
                     " results; job %s goes on: follow its results with\n"
                     "  dtask results --job %s --follow\n",
                     printed, expect, opts->job, opts->job);
            code = DT_CLI_EXIT_INTERRUPTED;
            break;
        }
        if (rc != 0) {
            dt_progress_clear (progress);
            code = dt_cli_rpc_failed (cli, rc);
            break;
        }
        inflight = 0;
        if (reply.type != DT_MSG_PAGE) {
            dt_progress_clear (progress);
            code = dt_cli_refused (&reply);
            break;
        }
        int write_failed = 0;
        for (uint32_t i = 0; i < reply.page.count; i++) {
            const dt_msg_result_t *r = &reply.page.items[i];
            int fresh = seen ? dt_idset_add (seen, r->id) : 1;
            if (fresh == 0)
                continue;
            if (fresh > 0 && opts->broken && r->state == DT_STATE_DONE && r->http_status < 400) {
                printed++; /* counted as seen, not shown */
                continue;
            }
            if (fresh < 0 || dt_jsonl_add (out, r) != 0) {
                write_failed = 1;
                errno = ENOMEM;
                break;
            }
            printed++;
            if (r->state != DT_STATE_DONE)
                failed++;
        }
        if (!write_failed && reply.page.count > 0 && dt_jsonl_flush (out) != 0)
            write_failed = 1;
        if (write_failed) {
            dt_progress_clear (progress);
            fprintf (stderr, "dtask: cannot write results: %s\n", strerror (errno));
            break;
        }
        /* A crawl's pages come back before their links' tasks are final:
         * the job's count only grows, and reaches its end with its last
         * page (the master adds a page's links before recording it). */
        if (opts->grows && reply.page.stats.submitted > expect) {
            expect = reply.page.stats.submitted;
            if (progress)
                dt_progress_set_total (progress, expect);
        }
        /* A page examines a bounded number of the store's results, so one
         * that passed over retired ones (REQUEUE) may hold none with a
         * cursor that moved on: the end is an empty page that did not. */
        uint64_t before = cursor;
        cursor = reply.page.cursor;
        uint32_t count = reply.page.count;
        dt_msg_reset (&reply);
        if (!waiting && count == 0 && cursor == before) {
            code = DT_CLI_EXIT_OK;
            break;
        }
    }
    dt_msg_reset (&reply);
    if (progress) {
        dt_rpc_set_log_hook (rpc, NULL, NULL);
        dt_progress_destroy (&progress);
    }
    dt_jsonl_destroy (&out);
    dt_idset_destroy (&seen);
    if (code == DT_CLI_EXIT_OK && dt_cli_flush_stdout () != 0)
        code = DT_CLI_EXIT_FAIL;
    if (code == DT_CLI_EXIT_OK && opts->summary && !cli->quiet)
        fprintf (stderr, "%" PRIu64 " done, %" PRIu64 " failed\n", printed - failed, failed);
    return code;
}
