/* dt_cmd_cancel.c - `dtask cancel --job ID`: end a job's unfinished tasks. */
#include "dt_cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

static const char s_usage[] =
    "usage: dtask cancel --job ID\n"
    "\n"
    "Makes every unfinished task of the job (queued, waiting for a retry, or running)\n"
    "final 'failed' with the error 'cancelled', so the job is finished; results already\n"
    "recorded stay. Prints how many tasks were cancelled. Safe to repeat.\n"
    "\n"
    "  -j, --job ID   the job (as printed by dtask submit)\n"
    "  -h, --help     this help\n";

int dt_cmd_cancel (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *job = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            job = optarg;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (optind < argc)
        return dt_cli_usage_error (s_usage, "cancel: unexpected argument '%s'", argv[optind]);
    if (!job)
        return dt_cli_usage_error (s_usage, "cancel: say which job: --job ID");
    if (dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;

    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_CANCEL;
    request.cancel.job = dt_str (job);
    int code = dt_cli_request (opts, &request, DT_MSG_CANCEL_OK, &reply);
    if (code == DT_CLI_EXIT_OK) {
        printf ("cancelled %" PRIu64 " unfinished tasks of job %s\n", reply.cancel_ok.count, job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    dt_msg_reset (&reply);
    return code;
}
