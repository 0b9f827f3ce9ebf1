/* main.c - dtask-worker: parses options and runs the worker. */
#include "dt_auth.h"
#include "dt_child.h"
#include "dt_exec.h"
#include "dt_endpoint.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_proxy.h"
#include "dt_worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: dtask-worker [--master EP] [--concurrency N] [--prefetch N] [--name NAME]\n"
    "                    [--handler http|noop] [--timeout SECONDS] [--connect-timeout SECONDS]\n"
    "                    [--max-bytes N] [--heartbeat MS] [--grace SECONDS]\n"
    "                    [--deny-private [--trusted-proxy]]\n"
    "                    [--warc-dir DIR] [--header 'NAME: VALUE']... [--user-agent UA]\n"
    "                    [--method GET|HEAD] [--compressed]\n"
    "                    [--key FILE --master-key FILE] [-v|-q]\n"
    "       dtask-worker [options] --kind KIND [--stdio] [--task-timeout SECONDS] -- CMD "
    "[ARGS...]\n"
    "\n"
    "Fetches the URLs a dtask-master hands out (http and https only, up to 5 redirects)\n"
    "and sends back status, byte count, final URL and content type; bodies are counted,\n"
    "not kept (--warc-dir keeps them). With --kind, runs CMD for each task instead\n"
    "(docs/WORKERS.md): the task's payload on stdin; exit 0 done, 75 retry,\n"
    "anything else failed.\n"
    "\n"
    "Options:\n"
    "  -m, --master EP          master endpoint (default: $DTASK_MASTER, else\n"
    "                           " DT_WORKER_DEFAULT_MASTER ")\n"
    "  -c, --concurrency N      fetches at once, 1..2048 (default 16)\n"
    "  -p, --prefetch N         tasks held waiting beyond those running\n"
    "                           (default: same as --concurrency)\n"
    "  -n, --name NAME          worker name in results and status (default: hostname-pid)\n"
    "      --handler H          http (default), or noop: complete every task at once\n"
    "                           without fetching (measures the transport alone)\n"
    "  -t, --timeout SECONDS    total time limit of one fetch (default 30)\n"
    "      --connect-timeout SECONDS\n"
    "                           time limit of one connect (default 10)\n"
    "      --max-bytes N        a body over N bytes fails the task (default 67108864)\n"
    "      --warc-dir DIR       keep what is fetched: append each fetch's request and\n"
    "                           response as WARC records to rolling .warc.gz files in\n"
    "                           DIR (a new file every 1 GB); bodies over 8 MiB are\n"
    "                           kept truncated\n"
    "      --header 'NAME: VALUE'\n"
    "                           an extra request header; repeatable (up to 32)\n"
    "      --user-agent UA      User-Agent to send (default dtask/" DTASK_VERSION ")\n"
    "      --method M           GET (default) or HEAD\n"
    "      --compressed         ask for compressed bodies (Accept-Encoding); with\n"
    "                           --warc-dir they are kept as received\n"
    "      --heartbeat MS       heartbeat interval offered to the master (default 1000)\n"
    "      --grace SECONDS      on SIGTERM/SIGINT/SIGHUP: time to finish held tasks\n"
    "                           (default 30); a second signal stops at once\n"
    "      --deny-private       refuse to connect to loopback, private, link-local and\n"
    "                           other internal addresses (checked after DNS and on\n"
    "                           every redirect); refused at start while a proxy is\n"
    "                           set (http_proxy, https_proxy, ALL_PROXY...): only the\n"
    "                           proxy's address could be checked\n"
    "      --trusted-proxy      with --deny-private: the proxy refuses private\n"
    "                           destinations itself; connecting to it is allowed, any\n"
    "                           direct connection is still checked\n"
    "      --kind KIND          run the command after -- for each task: KIND is 1 to 32 of\n"
    "                           [a-z0-9_-], in the command's environment as DTASK_KIND\n"
    "      --stdio              keep --concurrency copies of the command running, each\n"
    "                           taking one task at a time as a JSON line on stdin\n"
    "      --task-timeout SECONDS\n"
    "                           time limit of one task run by the command (default 60);\n"
    "                           over it the command's process group is killed\n"
    "  -k, --key FILE           our CURVE key pair, NAME.key_secret (dtask keygen)\n"
    "  -K, --master-key FILE    the master's public key, master.key; with --key the\n"
    "                           link is encrypted and the master checks our key\n"
    "  -v, --verbose            debug logging on stderr\n"
    "  -q, --quiet              only warnings and errors on stderr\n"
    "  -h, --help               this help\n"
    "  -V, --version            print the version\n"
    "\n"
    "Every option can also be set in the environment: DTASK_MASTER, DTASK_CONCURRENCY,\n"
    "DTASK_PREFETCH, DTASK_NAME, DTASK_HANDLER, DTASK_TIMEOUT, DTASK_MAX_BYTES,\n"
    "DTASK_HEARTBEAT, DTASK_GRACE, DTASK_TASK_TIMEOUT, DTASK_DENY_PRIVATE=1,\n"
    "DTASK_TRUSTED_PROXY=1, DTASK_KEY, DTASK_MASTER_KEY, DTASK_WARC_DIR;\n"
    "flags win.\n"
    "\n"
    "Exit status: 0 stopped by a signal after finishing its tasks, 1 failure or forced\n"
    "stop, 2 bad usage or a command that cannot be run.\n";

enum {
    OPT_HANDLER = 256,
    OPT_WARC_DIR,
    OPT_HEADER,
    OPT_USER_AGENT,
    OPT_METHOD,
    OPT_COMPRESSED,
    OPT_CONNECT_TIMEOUT,
    OPT_MAX_BYTES,
    OPT_HEARTBEAT,
    OPT_GRACE,
    OPT_DENY_PRIVATE,
    OPT_TRUSTED_PROXY,
    OPT_KIND,
    OPT_STDIO,
    OPT_TASK_TIMEOUT,
};

/* Options that may come from the environment, as the flags they stand for. */
static const struct {
    const char *env;
    const char *flag;
} s_env_flags[] = {
    {"DTASK_CONCURRENCY", "--concurrency"},
    {"DTASK_PREFETCH", "--prefetch"},
    {"DTASK_NAME", "--name"},
    {"DTASK_HANDLER", "--handler"},
    {"DTASK_TIMEOUT", "--timeout"},
    {"DTASK_MAX_BYTES", "--max-bytes"},
    {"DTASK_WARC_DIR", "--warc-dir"},
    {"DTASK_HEARTBEAT", "--heartbeat"},
    {"DTASK_GRACE", "--grace"},
    {"DTASK_TASK_TIMEOUT", "--task-timeout"},
    {"DTASK_KEY", "--key"},
    {"DTASK_MASTER_KEY", "--master-key"},
};
#define S_ENV_FLAGS (sizeof s_env_flags / sizeof s_env_flags[0])

/* argv with the environment's options first, so that flags given on the
 * command line (parsed later) win, and both go through the same checks. */
static char **s_with_env (int argc, char **argv, int *argc_out)
{
    char **out = calloc ((size_t) argc + 2 * S_ENV_FLAGS + 3, sizeof *out);
    if (!out)
        return NULL;
    int n = 0;
    out[n++] = argv[0];
    for (size_t i = 0; i < S_ENV_FLAGS; i++) {
        const char *value = getenv (s_env_flags[i].env);
        if (value && *value) {
            out[n++] = (char *) s_env_flags[i].flag;
            out[n++] = (char *) value;
        }
    }
    const char *deny = getenv ("DTASK_DENY_PRIVATE");
    if (deny && strcmp (deny, "1") == 0)
        out[n++] = "--deny-private";
    const char *trusted = getenv ("DTASK_TRUSTED_PROXY");
    if (trusted && strcmp (trusted, "1") == 0)
        out[n++] = "--trusted-proxy";
    for (int i = 1; i < argc; i++)
        out[n++] = argv[i];
    *argc_out = n;
    return out;
}

static int s_usage_error (const char *fmt, const char *arg)
{
    fprintf (stderr, "dtask-worker: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, "\n\n%s", s_usage);
    return 2;
}

/* A decimal integer in [lo, hi], nothing else. Leaves *out alone on failure. */
static int s_parse_u64 (const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!text[0] || text[0] == '-' || text[0] == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A task kind: 1..DT_LIMIT_KIND_MAX of [a-z0-9_-]. */
static int s_kind_ok (const char *kind)
{
    size_t len = strlen (kind);
    return len >= 1 && len <= DT_LIMIT_KIND_MAX &&
           strspn (kind, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/* Seconds, possibly fractional, in (0, max_s]; stored in ms (at least 1). */
static int s_parse_seconds (const char *text, double max_s, uint32_t *ms_out)
{
    char *end;
    errno = 0;
    double s = strtod (text, &end);
    if (end == text || *end != '\0' || errno || !isfinite (s) || s <= 0 || s > max_s)
        return -1;
    double ms = ceil (s * 1000.0);
    *ms_out = (uint32_t) ms;
    return 0;
}

/* Seconds in [0, max_s] (0 allowed: a grace of nothing). */
static int s_parse_grace (const char *text, double max_s, uint32_t *ms_out)
{
    if (strcmp (text, "0") == 0) {
        *ms_out = 0;
        return 0;
    }
    return s_parse_seconds (text, max_s, ms_out);
}

int main (int argc, char **argv)
{
    static const struct option longopts[] = {
        {"master", required_argument, NULL, 'm'},
        {"concurrency", required_argument, NULL, 'c'},
        {"prefetch", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"handler", required_argument, NULL, OPT_HANDLER},
        {"timeout", required_argument, NULL, 't'},
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
        {"warc-dir", required_argument, NULL, OPT_WARC_DIR},
        {"header", required_argument, NULL, OPT_HEADER},
        {"user-agent", required_argument, NULL, OPT_USER_AGENT},
        {"method", required_argument, NULL, OPT_METHOD},
        {"compressed", no_argument, NULL, OPT_COMPRESSED},
        {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"deny-private", no_argument, NULL, OPT_DENY_PRIVATE},
        {"trusted-proxy", no_argument, NULL, OPT_TRUSTED_PROXY},
        {"kind", required_argument, NULL, OPT_KIND},
        {"stdio", no_argument, NULL, OPT_STDIO},
        {"task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT},
        {"key", required_argument, NULL, 'k'},
        {"master-key", required_argument, NULL, 'K'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    dt_worker_options_t opts;
    dt_worker_options_defaults (&opts);
    const char *env_master = getenv ("DTASK_MASTER");
    opts.master = env_master && env_master[0] ? env_master : DT_WORKER_DEFAULT_MASTER;
    const char *master_from = env_master && env_master[0] ? "DTASK_MASTER" : "--master";
    int prefetch_set = 0, handler_set = 0, stdio = 0;
    dt_log_level_t level = DT_LOG_INFO;
    uint64_t v;
    char why_opt[128];
    const char *key = NULL, *master_key = NULL;
    /* Kept in a static: reachable until exit, whichever return is taken. */
    static char **args;
    args = s_with_env (argc, argv, &argc);
    if (!args) {
        fprintf (stderr, "dtask-worker: out of memory\n");
        return 1;
    }
    argv = args;

    opterr = 0; /* our own messages, with the usage */
    int c;
    /* '+': options end at the first non-option, so the command's own
     * options after -- are never taken for ours. */
    while ((c = getopt_long (argc, argv, "+:m:c:p:n:t:k:K:vqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            opts.master = optarg;
            master_from = "--master";
            break;
        case 'c':
            if (s_parse_u64 (optarg, 1, DT_LIMIT_CREDIT_MAX / 2, &v) != 0)
                return s_usage_error ("--concurrency: '%s' is not a number from 1 to 2048", optarg);
            opts.concurrency = (uint32_t) v;
            break;
        case 'p':
            if (s_parse_u64 (optarg, 0, DT_LIMIT_CREDIT_MAX / 2, &v) != 0)
                return s_usage_error ("--prefetch: '%s' is not a number from 0 to 2048", optarg);
            opts.prefetch = (uint32_t) v;
            prefetch_set = 1;
            break;
        case 'n':
            if (!optarg[0] || strlen (optarg) > DT_LIMIT_NAME_MAX)
                return s_usage_error ("--name: '%s' must be 1 to 128 bytes", optarg);
            opts.name = optarg;
            break;
        case OPT_HANDLER:
            if (strcmp (optarg, "http") != 0 && strcmp (optarg, "noop") != 0)
                return s_usage_error ("--handler: '%s' is not http or noop", optarg);
            opts.handler = optarg;
            handler_set = 1;
            break;
        case OPT_KIND:
            if (!s_kind_ok (optarg))
                return s_usage_error ("--kind: '%s' must be 1 to 32 of a-z, 0-9, _ and -", optarg);
            opts.exec.kind = optarg;
            break;
        case OPT_STDIO:
            stdio = 1;
            break;
        case OPT_TASK_TIMEOUT:
            if (s_parse_seconds (optarg, 86400, &opts.exec.time_limit_ms) != 0)
                return s_usage_error (
                    "--task-timeout: '%s' is not a number of seconds (0 < s <= 86400)", optarg);
            break;
        case 't':
            if (s_parse_seconds (optarg, 86400, &opts.fetch.timeout_ms) != 0)
                return s_usage_error ("--timeout: '%s' is not a number of seconds (0 < s <= 86400)",
                                      optarg);
            break;
        case OPT_CONNECT_TIMEOUT:
            if (s_parse_seconds (optarg, 86400, &opts.fetch.connect_timeout_ms) != 0)
                return s_usage_error (
                    "--connect-timeout: '%s' is not a number of seconds (0 < s <= 86400)", optarg);
            break;
        case OPT_MAX_BYTES:
            if (s_parse_u64 (optarg, 0, (uint64_t) DT_LIMIT_BODY_MAX, &v) != 0)
                return s_usage_error ("--max-bytes: '%s' is not a number from 0 to 67108864",
                                      optarg);
            opts.fetch.max_bytes = v;
            break;
        case OPT_WARC_DIR:
            opts.warc_dir = optarg;
            opts.fetch.http.capture = 1;
            break;
        case OPT_HEADER:
            if (dt_httpopt_add_header (&opts.fetch.http, optarg, why_opt, sizeof why_opt) != 0)
                return s_usage_error ("--header: %s", why_opt);
            break;
        case OPT_USER_AGENT:
            if (dt_httpopt_set_user_agent (&opts.fetch.http, optarg, why_opt, sizeof why_opt) != 0)
                return s_usage_error ("--user-agent: %s", why_opt);
            break;
        case OPT_METHOD:
            if (dt_httpopt_set_method (&opts.fetch.http, optarg, why_opt, sizeof why_opt) != 0)
                return s_usage_error ("--method: %s", why_opt);
            break;
        case OPT_COMPRESSED:
            opts.fetch.http.compressed = 1;
            break;
        case OPT_HEARTBEAT:
            if (s_parse_u64 (optarg, 10, 600000, &v) != 0)
                return s_usage_error ("--heartbeat: '%s' is not a number of ms from 10 to 600000",
                                      optarg);
            opts.heartbeat_ms = (uint32_t) v;
            break;
        case OPT_GRACE:
            if (s_parse_grace (optarg, 3600, &opts.grace_ms) != 0)
                return s_usage_error ("--grace: '%s' is not a number of seconds from 0 to 3600",
                                      optarg);
            break;
        case OPT_DENY_PRIVATE:
            opts.fetch.deny_private = 1;
            break;
        case OPT_TRUSTED_PROXY:
            opts.fetch.trusted_proxy = 1;
            break;
        case 'k':
            key = optarg;
            break;
        case 'K':
            master_key = optarg;
            break;
        case 'v':
            level = DT_LOG_DEBUG;
            break;
        case 'q':
            level = DT_LOG_WARN;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return 0;
        case 'V':
            printf ("dtask-worker " DTASK_VERSION "\n");
            return 0;
        case ':':
            return s_usage_error ("%s needs a value", argv[optind - 1]);
        default:
            return s_usage_error ("unknown option '%s'", argv[optind - 1]);
        }
    }
    /* The command is whatever follows "--". */
    int dashes = optind > 1 && strcmp (argv[optind - 1], "--") == 0;
    if (optind < argc && !dashes)
        return s_usage_error ("unexpected argument '%s' (a command goes after --)", argv[optind]);
    if (optind < argc && !opts.exec.kind)
        return s_usage_error ("a command (%s) needs --kind", argv[optind]);
    if (opts.exec.kind) {
        if (optind == argc)
            return s_usage_error ("--kind %s needs a command after --", opts.exec.kind);
        if (handler_set)
            return s_usage_error ("--handler %s and --kind do not go together", opts.handler);
        if (opts.warc_dir)
            return s_usage_error ("--warc-dir keeps what is fetched: not with --kind %s",
                                  opts.exec.kind);
        opts.exec.argv = &argv[optind];
        opts.handler = stdio ? "stdio" : "exec";
        /* A child per running task: its fds on top of the sockets'. */
        char fds_why[128];
        if (dt_child_reserve_fds ((size_t) opts.concurrency * DT_CHILD_FDS + 256, fds_why,
                                  sizeof fds_why) != 0)
            fprintf (stderr, "dtask-worker: warning: %s: some tasks may not start\n", fds_why);
        char cmd_why[512];
        if (dt_exec_check (&opts.exec, cmd_why, sizeof cmd_why) != 0) {
            fprintf (stderr, "dtask-worker: cannot run the command: %s\n", cmd_why);
            return 2;
        }
    } else if (stdio)
        return s_usage_error ("--stdio needs --kind%s", "");
    char why[64];
    if (dt_endpoint_check (opts.master, why, sizeof why) != 0) {
        fprintf (stderr, "dtask-worker: %s: '%s' is %s: expected " DT_ENDPOINT_FORM "\n",
                 master_from, opts.master, why);
        return 2;
    }
    if (!prefetch_set)
        opts.prefetch = opts.concurrency;
    /* Behind a proxy the only address the worker connects to is the
     * proxy's: --deny-private would pass http://127.0.0.1/ to a proxy that
     * fetches it on its own side. */
    const char *proxy_var = dt_proxy_env_name ();
    if (opts.fetch.deny_private && !opts.fetch.trusted_proxy && proxy_var) {
        fprintf (stderr,
                 "dtask-worker: --deny-private cannot check destinations behind the proxy in "
                 "%s=%.200s: the proxy would fetch private addresses (http://127.0.0.1/) on its "
                 "side. Unset %s, or give --trusted-proxy if that proxy refuses private "
                 "destinations itself\n",
                 proxy_var, getenv (proxy_var), proxy_var);
        return 2;
    }

    char name[DT_LIMIT_NAME_MAX + 1];
    if (!opts.name) {
        /* Room for "-" and a pid after the host name. */
        char host[DT_LIMIT_NAME_MAX - 12] = "";
        if (gethostname (host, sizeof host) != 0 || !host[0])
            snprintf (host, sizeof host, "worker");
        host[sizeof host - 1] = '\0';
        snprintf (name, sizeof name, "%s-%d", host, (int) getpid ());
        opts.name = name;
    }

    dt_log_init ("dtask-worker", level);
    char err[512];
    if (dt_auth_client_init (key, master_key, err, sizeof err) != 0) {
        fprintf (stderr, "dtask-worker: %s\n", err);
        return 2;
    }
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        dt_log_error ("WORKER-START", "curl_global_init failed");
        return 1;
    }
    int rc = dt_worker_run (&opts);
    curl_global_cleanup ();
    dt_auth_client_end ();
    free (args);
    return rc == 0 ? 0 : 1;
}
