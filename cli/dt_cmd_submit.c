/* dt_cmd_submit.c - `dtask submit`: reads and checks the tasks (dt_submit_input.h), sends them as
 * one job in pipelined chunks (dt_submit_send.h), optionally waits for their results (dt_stream.h).
 */
#include "dt_cli.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_stream.h"
#include "dt_submit_args.h"
#include "dt_submit_input.h"
#include "dt_submit_send.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Random job ids: 8 bytes as 16 hex digits. */
#define DT_SUBMIT_JOB_BYTES 8

/* Tasks the master counts for `job` (STATUS --job), in *submitted.
 * Returns 0; 1 when the job is unknown (or the master answered anything
 * else); or a dt_rpc_call() error (no reply, a signal). */
static int s_job_submitted (dt_rpc_t *rpc, const char *job, uint64_t *submitted)
{
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_STATUS;
    request.status.job = dt_str (job);
    int rc = dt_rpc_call (rpc, &request, &reply);
    if (rc == 0 && reply.type == DT_MSG_STATUS_OK)
        *submitted = reply.status_ok.stats.submitted;
    else if (rc == 0)
        rc = 1;
    dt_msg_reset (&reply);
    return rc;
}

static int s_random_job (char *out, size_t out_size)
{
    unsigned char bytes[DT_SUBMIT_JOB_BYTES];
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    ssize_t n = read (fd, bytes, sizeof bytes);
    close (fd);
    if (n != (ssize_t) sizeof bytes)
        return -1;
    assert (out_size > 2 * sizeof bytes);
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf (out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

int dt_cmd_submit (const dt_cli_opts_t *opts, int argc, char **argv)
{
    dt_submit_args_t args;
    int code = DT_CLI_EXIT_FAIL;
    if (dt_submit_args_parse (&args, argc, argv, &code) != 0)
        return code;
    char *blob = NULL;                  /* --jsonl: the payloads, borrowed by the list */
    dt_jsonin_opts_t *line_opts = NULL; /* --jsonl: each task's options */
    dt_submit_send_t *send = NULL;
    dt_urls_t *urls = NULL;
    const char *job = args.job;
    /* Connecting first lets the I/O thread open the connection (and run a
     * CURVE handshake) while this one reads and checks the URLs: for a big
     * file that is the time the master and its workers wait for a first
     * chunk. Nothing is sent before every URL has passed. */
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        goto done;
    urls = dt_urls_new ();
    if (!urls)
        goto nomem;
    code = dt_submit_input_load (&args, argc, argv, urls, &blob, &line_opts);
    if (code != 0)
        goto done;

    char random_job[2 * DT_SUBMIT_JOB_BYTES + 1];
    if (!job) {
        if (s_random_job (random_job, sizeof random_job) != 0) {
            fprintf (stderr, "dtask: cannot read /dev/urandom for a job id: %s\n",
                     strerror (errno));
            code = DT_CLI_EXIT_FAIL;
            goto done;
        }
        job = random_job;
    }
    if (dt_urls_count (urls) / DT_LIMIT_BATCH_MAX >= UINT32_MAX) {
        fprintf (stderr, "dtask: too many URLs for one job\n");
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }
    dt_submit_job_t what = {
        .cli = opts,
        .job = job,
        .kind = args.kind,
        .flags = args.flags,
        .polite_flags = args.polite_flags,
        .host_delay_ms = args.host_delay_ms,
        .http = &args.http.msg,
        .opts = &args.opts,
        .line_opts = line_opts,
        .urls = urls,
        .wait_room = args.wait_room,
    };
    send = dt_submit_send_new (&what);
    if (!send)
        goto nomem;

    /* The id goes out before any upload: an interrupted submission leaves
     * tasks under it, and this is the only way to name them (cancel, purge,
     * or the same submit again). Shown even with -q, on stderr in every
     * mode, so stdout stays what each mode promises. */
    fprintf (stderr, "job %s\n", job);
    fflush (stderr);
    /* A job given by the user may exist: its tasks before and after tell a
     * resubmission that created nothing from one that added tasks. */
    dt_rpc_set_persistent (rpc, args.wait);
    uint64_t before = 0, after = 0;
    int known = 0;
    if (job != random_job) {
        int rc = s_job_submitted (rpc, job, &before);
        if (rc < 0) {
            code = dt_cli_rpc_failed (opts, rc);
            goto done;
        }
        known = rc == 0;
    }
    if (args.append && (code = dt_submit_send_append (send, rpc)) != DT_CLI_EXIT_OK)
        goto done;
    dt_log_debug ("SUBMIT", "job %s: %zu URLs in %zu chunks to %s", job, dt_urls_count (urls),
                  dt_submit_send_chunks (send), opts->master);
    code = dt_submit_send_run (send, rpc);
    if (code != 0)
        goto done;
    uint64_t accepted = dt_submit_send_accepted (send);
    if (known && s_job_submitted (rpc, job, &after) == 0 && after == before) {
        printf ("job %s: all %" PRIu64 " tasks were already submitted; nothing new\n", job,
                accepted);
        if (args.wait && !opts->quiet)
            fprintf (stderr, "job %s: nothing new to wait for\n", job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
        goto done;
    }
    if (!args.wait) {
        printf ("accepted %" PRIu64 " tasks (job %s)\n", accepted, job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
        goto done;
    }
    if (!opts->quiet)
        fprintf (stderr, "accepted %" PRIu64 " tasks (job %s)\n", accepted, job);
    if (accepted == 0) {
        if (!opts->quiet)
            fprintf (stderr, "0 done, 0 failed\n");
        code = DT_CLI_EXIT_OK;
        goto done;
    }
    dt_stream_opts_t stream = {
        .job = job,
        .expect = accepted,
        .progress = !opts->quiet && isatty (STDERR_FILENO),
        .summary = 1,
    };
    code = dt_stream_run (opts, rpc, &stream);
    goto done;
nomem:
    fprintf (stderr, "dtask: out of memory\n");
    code = DT_CLI_EXIT_FAIL;
done:
    dt_rpc_destroy (&rpc);
    dt_submit_send_destroy (&send);
    free (line_opts);
    dt_urls_destroy (&urls);
    free (blob);
    return code;
}
