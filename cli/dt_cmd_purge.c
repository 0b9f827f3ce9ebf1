/* dt_cmd_purge.c - `dtask purge --job ID`: delete a finished job from the master. */
#include "dt_cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

static const char s_usage[] =
    "usage: dtask purge --job ID\n"
    "\n"
    "Deletes a finished job from the master: its tasks, results and counters; with\n"
    "--data the store's rows go in steps right after, and the file shrinks (stores\n"
    "made by an older master reuse the space instead). A job with unfinished tasks is\n"
    "refused: cancel it first. Prints how many tasks it had. Safe to repeat.\n"
    "\n"
    "  -j, --job ID   the job (as printed by dtask submit)\n"
    "  -h, --help     this help\n";

int dt_cmd_purge (const dt_cli_opts_t *opts, int argc, char **argv)
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
        return dt_cli_usage_error (s_usage, "purge: unexpected argument '%s'", argv[optind]);
    if (!job)
        return dt_cli_usage_error (s_usage, "purge: say which job: --job ID");
    if (dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;

    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_PURGE;
    request.purge.job = dt_str (job);
    int code = dt_cli_request (opts, &request, DT_MSG_PURGE_OK, &reply);
    if (code == DT_CLI_EXIT_OK) {
        printf ("purged job %s (%" PRIu64 " tasks)\n", job, reply.purge_ok.count);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    dt_msg_reset (&reply);
    return code;
}
