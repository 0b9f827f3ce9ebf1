/* dt_cmd_purge.c - `dtask purge --job ID | --finished-before TIME`: delete finished jobs from
 * the master. */
#include "dt_cli.h"

#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: dtask purge --job ID | --finished-before TIME\n"
    "\n"
    "Deletes a finished job from the master: its tasks, results and counters; with\n"
    "--data the store's rows go in steps right after, and the file shrinks (stores\n"
    "made by an older master reuse the space instead). A job with unfinished tasks is\n"
    "refused: cancel it first. Prints how many tasks it had. A job the master does\n"
    "not know (or already purged) exits 2.\n"
    "\n"
    "  -j, --job ID                 the job (as printed by dtask submit)\n"
    "  -b, --finished-before TIME   every job that finished before TIME: ISO 8601 UTC\n"
    "                               (2026-12-01, 2026-12-01T08:00:00Z) or an age\n"
    "                               (90s, 30m, 12h, 7d); one PURGE a job, so each\n"
    "                               step is bounded like --job's\n"
    "  -h, --help                   this help\n";

/* One PURGE. Returns DT_CLI_EXIT_OK with the job's tasks in *count, or the
 * exit code after printing why. */
static int s_purge_one (const dt_cli_opts_t *opts, dt_rpc_t *rpc, const char *job, uint64_t *count)
{
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_PURGE;
    request.purge.job = dt_str (job);
    int rc = dt_rpc_call (rpc, &request, &reply);
    if (rc != 0)
        return dt_cli_rpc_failed (opts, rc);
    int code = reply.type == DT_MSG_PURGE_OK ? DT_CLI_EXIT_OK : dt_cli_refused (&reply);
    if (code == DT_CLI_EXIT_OK)
        *count = reply.purge_ok.count;
    dt_msg_reset (&reply);
    return code;
}

/* The names of the jobs finished before `before` (Unix ms). */
typedef struct {
    uint64_t before;
    zlistx_t *names; /* char * (owned) */
} s_old_t;

static int s_collect (void *arg, const dt_msg_job_t *job)
{
    s_old_t *old = arg;
    if (job->pending > 0 || job->finished_ms == 0 || job->finished_ms >= old->before)
        return 0;
    char *name = strndup (job->name.ptr, job->name.len);
    if (!name || !zlistx_add_end (old->names, name)) {
        free (name);
        return -1;
    }
    return 0;
}

static void s_free_name (void **item)
{
    free (*item);
    *item = NULL;
}

static int s_purge_before (const dt_cli_opts_t *opts, uint64_t before)
{
    dt_rpc_t *rpc = dt_cli_connect (opts);
    s_old_t old = {before, zlistx_new ()};
    if (!rpc || !old.names) {
        dt_rpc_destroy (&rpc);
        zlistx_destroy (&old.names);
        return rpc ? DT_CLI_EXIT_FAIL : DT_CLI_EXIT_USAGE;
    }
    zlistx_set_destructor (old.names, s_free_name);
    /* Listed first, purged after: the listing's pages do not shift under
     * the purges. */
    int code = dt_cli_jobs_each (opts, rpc, "", UINT64_MAX, s_collect, &old);
    uint64_t jobs = 0, tasks = 0;
    for (const char *name = zlistx_first (old.names); name && code == DT_CLI_EXIT_OK;
         name = zlistx_next (old.names)) {
        uint64_t count = 0;
        code = s_purge_one (opts, rpc, name, &count);
        if (code == DT_CLI_EXIT_USAGE) {
            code = DT_CLI_EXIT_OK; /* purged meanwhile by someone else */
            continue;
        }
        if (code == DT_CLI_EXIT_OK) {
            printf ("purged job %s (%" PRIu64 " tasks)\n", name, count);
            jobs++;
            tasks += count;
        }
    }
    if (code == DT_CLI_EXIT_OK) {
        printf ("purged %" PRIu64 " jobs (%" PRIu64 " tasks)\n", jobs, tasks);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    zlistx_destroy (&old.names);
    dt_rpc_destroy (&rpc);
    return code;
}

int dt_cmd_purge (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"finished-before", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *job = NULL, *before_text = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            job = optarg;
            break;
        case 'b':
            before_text = optarg;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (optind < argc)
        return dt_cli_usage_error (s_usage, "purge: unexpected argument '%s'", argv[optind]);
    if (!job == !before_text)
        return dt_cli_usage_error (s_usage,
                                   "purge: say which jobs: --job ID or --finished-before TIME");
    if (before_text) {
        uint64_t before = 0;
        if (dt_cli_parse_time (before_text, (uint64_t) zclock_time (), &before) != 0)
            return dt_cli_usage_error (s_usage, "purge: --finished-before: not a time: '%s'",
                                       before_text);
        return s_purge_before (opts, before);
    }
    if (dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        return DT_CLI_EXIT_USAGE;
    uint64_t count = 0;
    int code = s_purge_one (opts, rpc, job, &count);
    dt_rpc_destroy (&rpc);
    if (code == DT_CLI_EXIT_OK) {
        printf ("purged job %s (%" PRIu64 " tasks)\n", job, count);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    return code;
}
