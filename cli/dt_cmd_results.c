/* dt_cmd_results.c - `dtask results`: print stored results as JSON lines, optionally following new
 * ones. */
#include "dt_cli.h"
#include "dt_stream.h"

#include <getopt.h>
#include <stdio.h>

static const char s_usage[] =
    "usage: dtask results [--job ID] [--follow] [--failed | --broken]\n"
    "\n"
    "Prints the results the master holds as JSON lines on stdout, oldest first.\n"
    "A fetch (kind http): id, kind, url, final_url, state, http_status, bytes,\n"
    "content_type, elapsed_ms, attempts, worker, error, and with --save warc\n"
    "warc {file, offset, length} and digest. Any other kind: id, kind, payload,\n"
    "state, output, exit_code, elapsed_ms, attempts, worker, error (payload and\n"
    "output as payload_base64 / output_base64 when they are not UTF-8).\n"
    "\n"
    "  -j, --job ID   only this job's results (default: all jobs)\n"
    "  -F, --follow   keep printing new results as they arrive, across master\n"
    "                 restarts, until interrupted (SIGINT/SIGTERM: exit 0)\n"
    "      --failed   only failed results\n"
    "      --broken   only broken links: failed, or an HTTP status of 400 or more\n"
    "                 (a 404 is a done task; for link checking it is broken)\n"
    "  -h, --help     this help\n";

int dt_cmd_results (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'}, {"follow", no_argument, NULL, 'F'},
        {"failed", no_argument, NULL, 'x'},    {"broken", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    dt_stream_opts_t stream = {.job = ""};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:Fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            stream.job = optarg;
            break;
        case 'F':
            stream.follow = 1;
            break;
        case 'x':
            stream.flags |= DT_FETCH_FAILED_ONLY;
            break;
        case 'b':
            stream.broken = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (optind < argc)
        return dt_cli_usage_error (s_usage, "results: unexpected argument '%s'", argv[optind]);
    if (*stream.job && dt_cli_check_job (stream.job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;

    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        return DT_CLI_EXIT_FAIL;
    dt_rpc_set_persistent (rpc, stream.follow);
    int code = dt_stream_run (opts, rpc, &stream);
    dt_rpc_destroy (&rpc);
    return code;
}
