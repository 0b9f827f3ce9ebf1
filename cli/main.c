/* main.c - dtask, the command-line client: parses global options and runs one command. */
#include "dt_cli.h"
#include "dt_auth.h"
#include "dt_endpoint.h"
#include "dt_log.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: dtask [--master EP] [--timeout SECONDS] [-v|-q] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  submit [--job ID [--append]] [--wait] [--save warc] [--kind K] [-f FILE] [URL...]\n"
    "                         submit URLs (or payloads of kind K); with --wait, print\n"
    "                         results as JSON lines\n"
    "  crawl [--job ID] [--wait] [--depth N] [--scope SCOPE] [--max-pages N] SEED...\n"
    "                         crawl from seed URLs: every in-scope page once\n"
    "  jobs [--json] [--limit N | --all] [--job ID]\n"
    "                         list jobs, newest first, with their counts\n"
    "  results [--job ID] [--follow] [--failed]\n"
    "                         print stored results as JSON lines\n"
    "  status [--json] [--job ID [--hosts]]\n"
    "                         counters and connected workers; --hosts: a job's origins\n"
    "  retry --failed [--cancelled] [--job ID]\n"
    "                         put failed tasks back in the queue\n"
    "  cancel --job ID        end a job's unfinished tasks (final 'failed', 'cancelled')\n"
    "  purge --job ID | --finished-before TIME\n"
    "                         delete finished jobs: their tasks, results and counters\n"
    "  get [--headers | --record] ID\n"
    "                         what task ID fetched (submit --save warc): its body\n"
    "  export --job ID -o FILE.warc.gz\n"
    "                         one WARC file of everything a job saved\n"
    "  keygen [--role ROLE] [--dir DIR] NAME\n"
    "                         write a CURVE key pair\n"
    "Run 'dtask COMMAND --help' for a command's options.\n"
    "\n"
    "Options:\n"
    "  -m, --master EP        master endpoint (default: $DTASK_MASTER, else\n"
    "                         " DT_CLI_DEFAULT_MASTER ")\n"
    "  -t, --timeout SECONDS  give up when the master has not answered for this long,\n"
    "                         0 < SECONDS <= 86400 (default 10); submit --wait and\n"
    "                         results --follow keep retrying once the master has\n"
    "                         answered\n"
    "  -k, --key FILE         our key pair, NAME.key_secret (default: $DTASK_KEY);\n"
    "                         with --master-key, the link is CURVE-encrypted\n"
    "  -K, --master-key FILE  the master's public key, master.key\n"
    "                         (default: $DTASK_MASTER_KEY)\n"
    "  -v, --verbose          debug logging on stderr\n"
    "  -q, --quiet            only warnings and errors on stderr\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n"
    "\n"
    "Exit status:\n"
    "  0  success (submit --wait: every task is final, done or failed)\n"
    "  1  local failure (cannot write output, out of memory)\n"
    "  2  bad usage or invalid input (nothing was sent)\n"
    "  3  master unreachable: no reply within --timeout\n"
    "  4  refused by the master (e.g. queue full with --no-wait-room)\n"
    "  130 interrupted by SIGINT or SIGTERM\n";

typedef struct {
    const char *name;
    int (*run) (const dt_cli_opts_t *opts, int argc, char **argv);
} s_command_t;

static const s_command_t s_commands[] = {
    {"submit", dt_cmd_submit}, {"results", dt_cmd_results}, {"status", dt_cmd_status},
    {"retry", dt_cmd_retry},   {"keygen", dt_cmd_keygen},   {"cancel", dt_cmd_cancel},
    {"purge", dt_cmd_purge},   {"jobs", dt_cmd_jobs},       {"crawl", dt_cmd_crawl},
    {"get", dt_cmd_get},       {"export", dt_cmd_export},
};

/* Seconds as a positive number, possibly fractional, up to a day. */
static int s_parse_timeout (const char *text, int *ms_p)
{
    char *end;
    double s = strtod (text, &end);
    if (end == text || *end != '\0' || !isfinite (s) || s <= 0 || s > 86400)
        return -1;
    *ms_p = (int) ceil (s * 1000.0);
    return 0;
}

int main (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"master", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 't'},
        {"key", required_argument, NULL, 'k'},
        {"master-key", required_argument, NULL, 'K'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    dt_cli_opts_t opts = {.timeout_ms = DT_CLI_DEFAULT_TIMEOUT_S * 1000};
    const char *env = getenv ("DTASK_MASTER");
    opts.master = env && *env ? env : DT_CLI_DEFAULT_MASTER;
    opts.key = getenv ("DTASK_KEY");
    opts.master_key = getenv ("DTASK_MASTER_KEY");
    const char *master_from = env && *env ? "DTASK_MASTER" : "--master";
    int c;
    opterr = 0;
    /* '+': stop at the command name; what follows is the command's. */
    while ((c = getopt_long (argc, argv, "+:m:t:k:K:vqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (!*optarg)
                return dt_cli_usage_error (s_usage, "--master: empty endpoint");
            opts.master = optarg;
            master_from = "--master";
            break;
        case 't':
            if (s_parse_timeout (optarg, &opts.timeout_ms) != 0)
                return dt_cli_usage_error (
                    s_usage, "--timeout: '%s' is not a number of seconds (0 < s <= 86400)", optarg);
            break;
        case 'k':
            opts.key = optarg;
            break;
        case 'K':
            opts.master_key = optarg;
            break;
        case 'v':
            opts.verbose = 1;
            break;
        case 'q':
            opts.quiet = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        case 'V':
            printf ("dtask %s\n", DTASK_VERSION);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (opts.verbose && opts.quiet)
        return dt_cli_usage_error (s_usage, "-v and -q do not go together");
    if (optind == argc)
        return dt_cli_usage_error (s_usage, "no command given");
    char why[64];
    if (strcmp (argv[optind], "keygen") != 0 &&
        dt_endpoint_check (opts.master, why, sizeof why) != 0)
        return dt_cli_usage_error (NULL, "%s: '%s' is %s: expected " DT_ENDPOINT_FORM, master_from,
                                   opts.master, why);
    dt_log_init ("dtask", opts.verbose ? DT_LOG_DEBUG : opts.quiet ? DT_LOG_WARN : DT_LOG_INFO);

    const char *name = argv[optind];
    char err[512];
    if (strcmp (name, "keygen") != 0 &&
        dt_auth_client_init (opts.key, opts.master_key, err, sizeof err) != 0) {
        fprintf (stderr, "dtask: %s\n", err);
        return DT_CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands[0]; i++)
        if (strcmp (name, s_commands[i].name) == 0) {
            int rc = s_commands[i].run (&opts, argc - optind, argv + optind);
            dt_auth_client_end ();
            return rc;
        }
    return dt_cli_usage_error (s_usage, "unknown command '%s'", name);
}
