/* dt_submit_args.c - `dtask submit`'s command line: its options parsed and checked, and its usage.
 */
#include "dt_submit_args.h"
#include "dt_cli.h"
#include "dt_limits.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getopt values of the long-only politeness options (dt_httpflags.h has 0x10xx). */
#define S_OPT_ROBOTS     0x1101
#define S_OPT_HOST_DELAY 0x1102

/* s_parse: no exit code, the command goes on (exit codes are 0 and up). */
#define S_GO_ON (-1)

static const char s_usage[] =
    "usage: dtask submit [--job ID] [--wait] [--no-wait-room] [HTTP options] [-f FILE] [URL...]\n"
    "       dtask submit --kind KIND [--priority P] [--delay SECONDS | --at TIME]\n"
    "                    [--max-attempts N] [--task-timeout SECONDS] [options] PAYLOAD... | -f "
    "FILE\n"
    "\n"
    "Submits tasks to the master as one job: http(s) URLs, or with --kind payloads\n"
    "for the workers serving KIND. Everything is checked first; if anything is\n"
    "invalid, it is reported and nothing is submitted (exit 2).\n"
    "\n"
    "  -f, --file FILE     read URLs (payloads) from FILE, one per line ('-': standard\n"
    "                      input); blank lines and lines starting with '#' are skipped\n"
    "  -k, --kind KIND     the tasks' kind (1 to 32 of a-z, 0-9, _, -; default http)\n"
    "      --priority P    0 (default) to 9: higher goes first\n"
    "      --delay SECONDS not before SECONDS from now\n"
    "      --at TIME       not before TIME: seconds since 1970, or UTC YYYY-MM-DDTHH:MM:SS[Z]\n"
    "      --max-attempts N   dispatches each task gets (default: the master's)\n"
    "      --task-timeout SECONDS  each run's limit (at most the master's --task-timeout)\n"
    "      --save warc|none  warc: the master keeps each fetch's request and response as\n"
    "                      WARC records (read back with dtask get and dtask export);\n"
    "                      none (default): only the results\n"
    "      --robots        obey each site's robots.txt: it is fetched once per origin\n"
    "                      before the first page, and pages it disallows fail with\n"
    "                      \"robots.txt disallows\", unfetched\n"
    "      --host-delay MS at least MS between the starts of two requests to one\n"
    "                      origin (scheme, host, port) over all workers (default:\n"
    "                      the master's --host-delay)\n"
    "      --jsonl         -f FILE holds one JSON object a line, {\"payload\": TEXT} or\n"
    "                      {\"payload_base64\": BASE64}: payloads with newlines or binary data;\n"
    "                      a line may add options of its own over the command line's:\n"
    "                      \"priority\", \"delay\" or \"at\", \"max_attempts\", \"task_timeout\"\n"
    "  -j, --job ID        job id (default: 16 random hex digits); submitting the\n"
    "                      same input under the same id again adds nothing twice\n"
    "  -a, --append        add these URLs to the existing job --job ID, as chunks\n"
    "                      after its last one (a new job when it has none); the\n"
    "                      same append run again adds nothing twice, as long as\n"
    "                      no other append to the job came in between\n"
    "  -w, --wait          then print each task's result as a JSON line on stdout\n"
    "                      until all are final (a progress line on stderr when it\n"
    "                      is a terminal); keeps waiting across master restarts\n"
    "      --no-wait-room  exit 4 if the master's queue is full, instead of\n"
    "                      waiting for room\n"
    "  -h, --help          this help\n"
    "\n"
    "Prints \"job ID\" on stderr before anything is sent (even with -q), so an\n"
    "interrupted submission can be named; then \"accepted N tasks (job ID)\" on\n"
    "stdout, or on stderr with --wait; or, when the job had every chunk already,\n"
    "\"job ID: all N tasks were already submitted; nothing new\" on stdout.\n"
    "With --wait, exits 0 once every task is final, done or failed, and prints\n"
    "\"N done, M failed\" on stderr.\n";

/* The usage, then the HTTP options' lines. */
const char *dt_submit_usage (void)
{
    static char text[sizeof s_usage + 2048];
    if (!text[0])
        snprintf (text, sizeof text, "%s\n%s", s_usage, dt_httpflags_usage);
    return text;
}

/* A whole number 0..max, nothing else. Returns 0 or -1. */
static int s_uint (const char *text, unsigned long long max, unsigned long long *v)
{
    if (!*text || strspn (text, "0123456789") != strlen (text) || strlen (text) > 19)
        return -1;
    *v = strtoull (text, NULL, 10);
    return *v <= max ? 0 : -1;
}

/* Seconds, 0..max, a decimal fraction allowed. Returns 0 or -1. */
static int s_seconds (const char *text, double max, double *secs)
{
    char *end;
    if (!*text || strspn (text, "0123456789.") != strlen (text))
        return -1;
    errno = 0;
    *secs = strtod (text, &end);
    return errno || *end || *secs < 0 || *secs > max ? -1 : 0;
}

/* Returns S_GO_ON, or the exit code. */
static int s_parse (dt_submit_args_t *args, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"wait", no_argument, NULL, 'w'},
        {"no-wait-room", no_argument, NULL, 'R'},
        {"file", required_argument, NULL, 'f'},
        {"append", no_argument, NULL, 'a'},
        {"kind", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"priority", required_argument, NULL, 'P'},
        {"delay", required_argument, NULL, 'D'},
        {"at", required_argument, NULL, 'A'},
        {"max-attempts", required_argument, NULL, 'M'},
        {"task-timeout", required_argument, NULL, 'T'},
        {"jsonl", no_argument, NULL, 'L'},
        {"save", required_argument, NULL, 'S'},
        DT_HTTPFLAGS_LONGOPTS,
        {"robots", no_argument, NULL, S_OPT_ROBOTS},
        {"host-delay", required_argument, NULL, S_OPT_HOST_DELAY},
        {NULL, 0, NULL, 0},
    };
    unsigned long long v;
    double secs;
    int c, timed = 0;
    char why[256];
    memset (args, 0, sizeof *args);
    args->kind = DT_KIND_HTTP;
    args->wait_room = 1;
    dt_httpflags_init (&args->http);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:awf:k:hH:", longopts, NULL)) != -1) {
        int taken = dt_httpflags_parse (&args->http, c, optarg, why, sizeof why);
        if (taken < 0)
            return dt_cli_usage_error (dt_submit_usage (), "%s", why);
        if (taken)
            continue;
        switch (c) {
        case 'L':
            args->jsonl = 1;
            break;
        case 'S':
            if (dt_cli_parse_save (optarg, &args->flags, dt_submit_usage ()) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case S_OPT_ROBOTS:
            args->polite_flags |= DT_SUBMIT_ROBOTS;
            break;
        case S_OPT_HOST_DELAY:
            if (dt_cli_parse_host_delay (optarg, &args->host_delay_ms, s_usage) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case 'P':
            if (s_uint (optarg, DT_PRIORITY_MAX, &v) != 0)
                return dt_cli_usage_error (dt_submit_usage (),
                                           "--priority: a whole number 0 to %d, not '%s'",
                                           DT_PRIORITY_MAX, optarg);
            args->opts.priority = (uint8_t) v;
            break;
        case 'D':
        case 'A':
            if (timed++)
                return dt_cli_usage_error (dt_submit_usage (),
                                           "give one of --delay and --at, once");
            if (c == 'D' && s_seconds (optarg, DT_SUBMIT_DELAY_MAX_S, &secs) != 0)
                return dt_cli_usage_error (dt_submit_usage (),
                                           "--delay: seconds, 0 to %d, not '%s'",
                                           DT_SUBMIT_DELAY_MAX_S, optarg);
            if (c == 'A' && dt_jsonin_time (optarg, &secs) != 0)
                return dt_cli_usage_error (
                    dt_submit_usage (),
                    "--at: seconds since 1970 or UTC YYYY-MM-DDTHH:MM:SS[Z], not '%s'", optarg);
            args->opts.not_before = c == 'D' ? dt_jsonin_now_ms () + (uint64_t) (secs * 1000)
                                             : (uint64_t) (secs * 1000);
            break;
        case 'M':
            if (s_uint (optarg, DT_SUBMIT_ATTEMPTS_MAX, &v) != 0 || v == 0)
                return dt_cli_usage_error (dt_submit_usage (), "--max-attempts: 1 to %d, not '%s'",
                                           DT_SUBMIT_ATTEMPTS_MAX, optarg);
            args->opts.max_attempts = (uint32_t) v;
            break;
        case 'T':
            if (s_seconds (optarg, DT_SUBMIT_DELAY_MAX_S, &secs) != 0 || secs * 1000 < 1)
                return dt_cli_usage_error (dt_submit_usage (),
                                           "--task-timeout: seconds, over 0, to %d, not '%s'",
                                           DT_SUBMIT_DELAY_MAX_S, optarg);
            args->opts.timeout_ms = (uint32_t) (secs * 1000);
            break;
        case 'k':
            args->kind = optarg;
            if (!*optarg || strlen (optarg) > DT_LIMIT_KIND_MAX ||
                strspn (optarg, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (optarg))
                return dt_cli_usage_error (dt_submit_usage (),
                                           "--kind: 1 to 32 of a-z, 0-9, _ and - (e.g. square)");
            break;
        case 'j':
            args->job = optarg;
            break;
        case 'w':
            args->wait = 1;
            break;
        case 'a':
            args->append = 1;
            break;
        case 'R':
            args->wait_room = 0;
            break;
        case 'f':
            if (args->file)
                return dt_cli_usage_error (dt_submit_usage (), "give -f only once");
            args->file = optarg;
            break;
        case 'h':
            fputs (dt_submit_usage (), stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, dt_submit_usage ());
        }
    }
    if (args->job && dt_cli_check_job (args->job, dt_submit_usage ()) != 0)
        return DT_CLI_EXIT_USAGE;
    if (strcmp (args->kind, DT_KIND_HTTP) != 0 && !dt_msg_httpopt_empty (&args->http.msg))
        return dt_cli_usage_error (dt_submit_usage (), "HTTP options apply to http tasks only");
    if (args->append && !args->job)
        return dt_cli_usage_error (dt_submit_usage (),
                                   "submit: --append adds to a job: give --job ID");
    if (optind == argc && !args->file)
        return dt_cli_usage_error (dt_submit_usage (),
                                   "submit: no URLs given (pass URLs or -f FILE)");
    if ((args->flags & DT_SUBMIT_SAVE) && strcmp (args->kind, DT_KIND_HTTP) != 0)
        return dt_cli_usage_error (
            dt_submit_usage (), "--save warc keeps http fetches: not with --kind %s", args->kind);

    args->first = optind;
    return S_GO_ON;
}

int dt_submit_args_parse (dt_submit_args_t *args, int argc, char **argv, int *code)
{
    int rc = s_parse (args, argc, argv);
    if (rc == S_GO_ON)
        return 0;
    *code = rc;
    return -1;
}
