/* dt_cmd_retry.c - `dtask retry --failed`: put a job's failed tasks back in the queue. */
#include "dt_cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

static const char s_usage[] = "usage: dtask retry --failed [--cancelled] [--job ID]\n"
                              "\n"
                              "Puts failed tasks back in the queue with fresh attempts and prints\n"
                              "how many were requeued. Tasks failed by `dtask cancel` stay\n"
                              "cancelled unless --cancelled is given.\n"
                              "\n"
                              "      --failed     requeue the failed tasks (required)\n"
                              "      --cancelled  the cancelled ones too\n"
                              "  -j, --job ID     only this job's tasks (default: all jobs)\n"
                              "  -h, --help       this help\n";

int dt_cmd_retry (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"failed", no_argument, NULL, 'x'},
        {"cancelled", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *job = "";
    int failed = 0, cancelled = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            job = optarg;
            break;
        case 'x':
            failed = 1;
            break;
        case 'C':
            cancelled = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (optind < argc)
        return dt_cli_usage_error (s_usage, "retry: unexpected argument '%s'", argv[optind]);
    if (!failed)
        return dt_cli_usage_error (s_usage, "retry: say which tasks: --failed");
    if (*job && dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;

    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_REQUEUE;
    request.requeue.job = dt_str (job);
    request.requeue.flags = cancelled ? DT_REQUEUE_CANCELLED : 0;
    int code = dt_cli_request (opts, &request, DT_MSG_REQUEUE_OK, &reply);
    if (code == DT_CLI_EXIT_OK) {
        printf ("requeued %" PRIu64 " failed tasks%s%s\n", reply.requeue_ok.count,
                *job ? " of job " : "", job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    dt_msg_reset (&reply);
    return code;
}
