/* main.c - dtask-master: parses the command line and runs the master's loop. */
#include "dt_endpoint.h"
#include "dt_http.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_master.h"
#include "dt_metrics.h"
#include "dt_state.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define DT_MAIN_EXIT_FAIL  1
#define DT_MAIN_EXIT_USAGE 2

static const char s_usage[] =
    "usage: dtask-master [--bind EP] [--data DIR | --memory] [--max-pending N] [--window N]\n"
    "                    [--host-limit N] [--host-delay MS] [--max-attempts N] [--heartbeat MS]\n"
    "                    [--liveness N] [--task-timeout SECONDS] [--retry-base MS]\n"
    "                    [--keys DIR | --insecure]\n"
    "                    [--http HOST:PORT [--http-token-file FILE]] [--max-store-bytes N]\n"
    "                    [--archive-roll N]\n"
    "                    [--max-conns N] [--max-conns-per-addr N] [-v|-q]\n"
    "\n"
    "Serves workers and clients on one ZeroMQ ROUTER endpoint.\n"
    "\n"
    "  --bind EP               endpoint to bind (default tcp://*:5555 with --keys,\n"
    "                          else tcp://127.0.0.1:5555)\n"
    "  --data DIR              keep jobs, tasks and results in DIR (default ./dtask-data),\n"
    "                          and what jobs submitted with --save warc fetch in DIR/warc\n"
    "  --memory                keep nothing on disk: a restart forgets everything\n"
    "                          (so does --data ''); submit --save warc is refused\n"

    "  --max-pending N         at most N unfinished tasks: a SUBMIT chunk that does not fit\n"
    "                          now is refused (QUEUE_FULL), one of more than N URLs always\n"
    "                          (TOO_BIG); dtask submit cuts its chunks to N (default 0: no\n"
    "                          limit)\n"
    "  --window N              with --data: queued tasks and recent results kept in memory\n"
    "                          (default 65536); the rest wait on disk, so memory stays flat\n"
    "                          however long the queue\n"
    "  --host-limit N          at most N tasks of one host (the URL's host name) leased at\n"
    "                          once, over all workers (default 0: no limit)\n"
    "  --host-delay MS         at least MS between the starts of two requests to one origin\n"
    "                          (scheme, host, port), over all workers, for jobs that set no\n"
    "                          delay of their own (default 0: none)\n"
    "  --max-attempts N        dispatches a task gets before it fails (default 3)\n"
    "  --heartbeat MS          heartbeat interval (default 1000)\n"
    "  --liveness N            heartbeats missed before a worker is dead (default 3)\n"
    "  --task-timeout SECONDS  a task leased longer than this is requeued (default 120)\n"
    "  --retry-base MS         first retry delay, doubling per attempt (default 500)\n"
    "  --keys DIR              CURVE: DIR/master.key_secret is our key pair; only the keys in\n"
    "                          DIR/workers and DIR/clients may connect, each in that role\n"
    "  --max-conns N           connections kept at once (default 4096, and at most the\n"
    "                          descriptor limit less 128); beyond it, silent ones are closed\n"
    "  --max-conns-per-addr N  connections kept from one IP address (default 256)\n"
    "  --insecure              allow a plaintext bind on a non-loopback address: anyone who\n"
    "                          reaches the port can submit, read results and take tasks\n"
    "  --http HOST:PORT        serve /metrics (Prometheus), /api/status, /api/history and a\n"
    "                          live dashboard at / on this address (127.0.0.1:9090; IPv6 as\n"
    "                          [::1]:9090); off by default\n"
    "  --http-token-file FILE  data endpoints want 'Authorization: Bearer TOKEN', TOKEN the\n"
    "                          file's one line (mode 0600); required to --http on a\n"
    "                          non-loopback address\n"
    "  --max-store-bytes N     with --data: refuse SUBMIT (QUEUE_FULL) once the store would\n"
    "                          pass N bytes (K, M, G suffixes: 1024s), keeping room for the\n"
    "                          results of every unfinished task (default 0: no limit);\n"
    "                          the archive's files (submit --save warc) count too: a\n"
    "                          capture past it is refused, its task fails saying why\n"
    "  --archive-roll N        with --data: start a new archive file (DATA/warc) past N\n"
    "                          bytes (default 1000000000; at least 64K); a purged job's\n"
    "                          captures are deleted with the last file they share\n"
    "  -v, --verbose           debug logging\n"
    "  -q, --quiet             warnings and errors only\n"
    "  -h, --help              this text\n"
    "      --version           print the version\n"
    "\n"
    "Files: --data is created 0700 and its files 0600 (umask 077); an existing --data\n"
    "that group or others can reach is used with a warning. The secret key must be\n"
    "readable by its owner only, and DIR, DIR/workers and DIR/clients writable by their\n"
    "owner only, or the master refuses to start.\n"
    "\n"
    "Signals: SIGINT, SIGTERM and SIGHUP stop cleanly (MASTER-STOP, exit 0).\n"
    "\n"
    "Exit status: 0 stopped by SIGINT/SIGTERM/SIGHUP, 1 failure (bind, store, keys,\n"
    "token file),\n"
    "2 bad usage.\n";

enum {
    OPT_BIND = 256,
    OPT_DATA,
    OPT_MEMORY,
    OPT_MAX_PENDING,
    OPT_WINDOW,
    OPT_HOST_LIMIT,
    OPT_HOST_DELAY,
    OPT_MAX_ATTEMPTS,
    OPT_HEARTBEAT,
    OPT_LIVENESS,
    OPT_TASK_TIMEOUT,
    OPT_RETRY_BASE,
    OPT_KEYS,
    OPT_INSECURE,
    OPT_MAX_CONNS,
    OPT_MAX_CONNS_PER_ADDR,
    OPT_HTTP,
    OPT_HTTP_TOKEN_FILE,
    OPT_VERSION,
    OPT_MAX_STORE_BYTES,
    OPT_ARCHIVE_ROLL,
};

/* Prints "dtask-master: <message>" and the usage on stderr; returns the
 * usage exit code. */
static int s_usage_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int s_usage_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "dtask-master: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n%s", s_usage);
    va_end (ap);
    return DT_MAIN_EXIT_USAGE;
}

/* Parses a decimal number in [min, max]: digits only, no sign, no trailing
 * garbage, no overflow. Leaves *out untouched on failure. Returns 0 or -1. */
static int s_parse_u64 (const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!text || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull (text, &end, 10);
    if (errno || *end || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* Parses a size: a decimal number with an optional K, M or G (powers of
 * 1024). Leaves *out untouched on failure. Returns 0 or -1. */
static int s_parse_size (const char *text, uint64_t *out)
{
    static const char units[] = "KMG";
    size_t len = text ? strlen (text) : 0;
    if (len == 0 || len > 32)
        return -1;
    char digits[33];
    memcpy (digits, text, len + 1);
    int shift = 0;
    const char *unit = strchr (units, digits[len - 1]);
    if (unit && *unit) {
        shift = 10 * (int) (unit - units + 1);
        digits[len - 1] = '\0';
    }
    uint64_t value;
    if (s_parse_u64 (digits, 0, UINT64_MAX >> shift, &value) != 0)
        return -1;
    *out = value << shift;
    return 0;
}

/* SIGHUP stops the master as SIGTERM does: it logs to stderr, so there is
 * no log file to reopen, and a hangup (a closed terminal, an ssh session
 * ending) must not kill it without committing and saying MASTER-STOP.
 * czmq's own handler covers SIGINT and SIGTERM and sets the same flag. */
static void s_on_hangup (int sig)
{
    (void) sig;
    zsys_interrupted = 1;
}

/* Warns when an existing --data directory can be read or entered by group
 * or others: it holds every submitted URL and result. New directories are
 * made 0700 by the store. */
static void s_check_data_mode (const char *dir)
{
    struct stat st;
    if (stat (dir, &st) != 0 || !S_ISDIR (st.st_mode) || (st.st_mode & 077) == 0)
        return;
    dt_log_warn ("MASTER-DATA-MODE",
                 "%s has mode 0%03o: group or others can read its jobs and results; "
                 "run chmod 700 %s",
                 dir, (unsigned) (st.st_mode & 0777), dir);
}

/* True for endpoints only this host can reach: ipc, inproc, and tcp on a
 * loopback address. An interface name or a wildcard is not loopback. */
static int s_is_loopback (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return 1;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon)
        return 0;
    size_t len = (size_t) (colon - host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    return (len > 4 && strncmp (host, "127.", 4) == 0) ||
           (len == 9 && strncmp (host, "localhost", 9) == 0) ||
           (len == 3 && strncmp (host, "::1", 3) == 0) ||
           (len == 2 && strncmp (host, "lo", 2) == 0);
}

/* Raises the soft descriptor limit to the hard one: every peer connection
 * takes a descriptor, and the default soft limit (often 1,024) would let a
 * few hundred silent connections lock everyone out. The master's
 * connection cap is then set below whatever limit there is. */
static void s_raise_nofile (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
        return;
    rlim_t was = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &limit) != 0) {
            dt_log_warn ("MASTER-FDS", "cannot raise the descriptor limit from %llu to %llu: %s",
                         (unsigned long long) was, (unsigned long long) limit.rlim_max,
                         strerror (errno));
            return;
        }
        dt_log_info ("MASTER-FDS", "descriptor limit raised from %llu to %llu",
                     (unsigned long long) was, (unsigned long long) limit.rlim_cur);
    } else {
        dt_log_info ("MASTER-FDS", "descriptor limit %llu (the hard limit)",
                     (unsigned long long) limit.rlim_cur);
    }
}

int main (int argc, char **argv)
{
    static const struct option options[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"data", required_argument, NULL, OPT_DATA},
        {"memory", no_argument, NULL, OPT_MEMORY},
        {"max-pending", required_argument, NULL, OPT_MAX_PENDING},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"host-limit", required_argument, NULL, OPT_HOST_LIMIT},
        {"host-delay", required_argument, NULL, OPT_HOST_DELAY},
        {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
        {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
        {"liveness", required_argument, NULL, OPT_LIVENESS},
        {"task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT},
        {"retry-base", required_argument, NULL, OPT_RETRY_BASE},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
        {"max-conns-per-addr", required_argument, NULL, OPT_MAX_CONNS_PER_ADDR},
        {"http", required_argument, NULL, OPT_HTTP},
        {"http-token-file", required_argument, NULL, OPT_HTTP_TOKEN_FILE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"max-store-bytes", required_argument, NULL, OPT_MAX_STORE_BYTES},
        {"archive-roll", required_argument, NULL, OPT_ARCHIVE_ROLL},
        {NULL, 0, NULL, 0},
    };
    dt_master_opts_t opts = {
        .bind = NULL,
        .data_dir = "./dtask-data",
        .max_pending = 0,
        .max_attempts = 3,
        .heartbeat_ms = 1000,
        .liveness = 3,
        .task_ms = 120 * 1000,
        .retry_base_ms = 500,
    };
    int memory = 0, data_given = 0, insecure = 0;
    const char *http = NULL, *http_token_file = NULL;
    dt_log_level_t level = DT_LOG_INFO;
    uint64_t value = 0;

    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":vqh", options, NULL)) != -1) {
        const char *arg = optarg;
        switch (c) {
        case OPT_BIND:
            if (!*arg)
                return s_usage_error ("--bind: empty endpoint");
            opts.bind = arg;
            break;
        case OPT_DATA:
            /* --data '' is the documented spelling of --memory. */
            opts.data_dir = arg;
            data_given = *arg != '\0';
            break;
        case OPT_MEMORY:
            memory = 1;
            break;
        case OPT_MAX_PENDING:
            if (s_parse_u64 (arg, 0, UINT64_MAX, &value))
                return s_usage_error ("--max-pending: '%s' is not a number", arg);
            opts.max_pending = value;
            break;
        case OPT_WINDOW:
            if (s_parse_u64 (arg, DT_STATE_WINDOW_MIN, UINT32_MAX, &value))
                return s_usage_error ("--window: '%s' is not a number in %d..%u", arg,
                                      DT_STATE_WINDOW_MIN, UINT32_MAX);
            opts.window = value;
            break;
        case OPT_HOST_LIMIT:
            if (s_parse_u64 (arg, 0, DT_LIMIT_CREDIT_MAX, &value))
                return s_usage_error ("--host-limit: '%s' is not a number in 0..%u", arg,
                                      DT_LIMIT_CREDIT_MAX);
            opts.host_limit = (uint32_t) value;
            break;
        case OPT_HOST_DELAY:
            if (s_parse_u64 (arg, 0, DT_LIMIT_HOST_DELAY_MAX_MS, &value))
                return s_usage_error ("--host-delay: '%s' is not a number in 0..%u", arg,
                                      DT_LIMIT_HOST_DELAY_MAX_MS);
            opts.host_delay_ms = (uint32_t) value;
            break;
        case OPT_MAX_ATTEMPTS:
            if (s_parse_u64 (arg, 1, 1000, &value))
                return s_usage_error ("--max-attempts: '%s' is not a number in 1..1000", arg);
            opts.max_attempts = (uint32_t) value;
            break;
        case OPT_HEARTBEAT:
            /* Below 10 ms the heartbeats alone would keep the loop busy. */
            if (s_parse_u64 (arg, 10, 3600 * 1000, &value))
                return s_usage_error ("--heartbeat: '%s' is not a number of ms in 10..3600000",
                                      arg);
            opts.heartbeat_ms = (uint32_t) value;
            break;
        case OPT_LIVENESS:
            if (s_parse_u64 (arg, 1, 1000, &value))
                return s_usage_error ("--liveness: '%s' is not a number in 1..1000", arg);
            opts.liveness = (uint32_t) value;
            break;
        case OPT_TASK_TIMEOUT:
            /* task_ms travels as a u32 in WELCOME. */
            if (s_parse_u64 (arg, 1, UINT32_MAX / 1000, &value))
                return s_usage_error ("--task-timeout: '%s' is not a number of seconds", arg);
            opts.task_ms = (uint32_t) value * 1000;
            break;
        case OPT_RETRY_BASE:
            if (s_parse_u64 (arg, 0, 3600 * 1000, &value))
                return s_usage_error ("--retry-base: '%s' is not a number of ms", arg);
            opts.retry_base_ms = (uint32_t) value;
            break;
        case OPT_KEYS:
            if (!*arg)
                return s_usage_error ("--keys: empty directory");
            opts.keys_dir = arg;
            break;
        case OPT_MAX_CONNS:
            if (s_parse_u64 (arg, 1, DT_LIMIT_CONNS_MAX, &value))
                return s_usage_error ("--max-conns: '%s' is not a number in 1..%d", arg,
                                      DT_LIMIT_CONNS_MAX);
            opts.max_conns = (uint32_t) value;
            break;
        case OPT_MAX_CONNS_PER_ADDR:
            if (s_parse_u64 (arg, 1, DT_LIMIT_CONNS_MAX, &value))
                return s_usage_error ("--max-conns-per-addr: '%s' is not a number in 1..%d", arg,
                                      DT_LIMIT_CONNS_MAX);
            opts.max_conns_per_addr = (uint32_t) value;
            break;
        case 'v':
            level = DT_LOG_DEBUG;
            break;
        case 'q':
            level = DT_LOG_WARN;
            break;
        case OPT_INSECURE:
            insecure = 1;
            break;
        case OPT_HTTP:
            http = arg;
            break;
        case OPT_HTTP_TOKEN_FILE:
            http_token_file = arg;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return 0;
        case OPT_VERSION:
            printf ("dtask-master %s\n", DTASK_VERSION);
            return 0;
        case OPT_MAX_STORE_BYTES:
            if (s_parse_size (arg, &value))
                return s_usage_error ("--max-store-bytes: '%s' is not a size (N, NK, NM, NG)", arg);
            opts.max_store_bytes = value;
            break;
        case OPT_ARCHIVE_ROLL:
            if (s_parse_size (arg, &value) || value < DT_ARCHIVE_ROLL_MIN)
                return s_usage_error ("--archive-roll: '%s' is not a size of at least 64K", arg);
            opts.archive_roll = value;
            break;
        case ':':
            return s_usage_error ("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt)
                return s_usage_error ("unknown option '-%c'", optopt);
            return s_usage_error ("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv[optind]);
    if (memory && data_given)
        return s_usage_error ("--data and --memory exclude each other");
    if (memory || (opts.data_dir && !opts.data_dir[0]))
        opts.data_dir = NULL;
    if (opts.max_store_bytes && !opts.data_dir)
        return s_usage_error ("--max-store-bytes needs a store (--data)");
    if (opts.archive_roll && !opts.data_dir)
        return s_usage_error ("--archive-roll needs a store (--data)");
    if (!opts.bind)
        opts.bind = opts.keys_dir ? "tcp://*:5555" : "tcp://127.0.0.1:5555";
    char why[160];
    if (dt_endpoint_check (opts.bind, why, sizeof why) != 0)
        return s_usage_error ("--bind: '%s' is %s: expected " DT_ENDPOINT_FORM, opts.bind, why);
    if (!opts.keys_dir && !insecure && !s_is_loopback (opts.bind))
        return s_usage_error ("refusing to serve %s in plaintext: give --keys DIR (CURVE), or "
                              "--insecure to accept anyone who can reach it",
                              opts.bind);
    if (opts.keys_dir && insecure)
        return s_usage_error ("--keys and --insecure exclude each other");
    dt_http_addr_t http_addr;
    if (http && dt_http_parse_addr (http, &http_addr, why, sizeof why) != 0)
        return s_usage_error ("--http: '%s': %s", http, why);
    if (http_token_file && !http)
        return s_usage_error ("--http-token-file needs --http");
    if (http && !http_token_file && !dt_http_addr_is_loopback (&http_addr))
        return s_usage_error ("refusing to serve metrics on %s without a token: give "
                              "--http-token-file FILE, or --http on 127.0.0.1",
                              http);

    dt_log_init ("dtask-master", level);
    /* Everything the master creates (the store's database, its journal)
     * is for its owner only, whatever the caller's umask. */
    umask (077);
    if (opts.data_dir)
        s_check_data_mode (opts.data_dir);
    struct sigaction hup;
    memset (&hup, 0, sizeof hup);
    hup.sa_handler = s_on_hangup;
    sigemptyset (&hup.sa_mask);
    sigaction (SIGHUP, &hup, NULL);
    if (insecure && !s_is_loopback (opts.bind))
        dt_log_warn ("MASTER-INSECURE",
                     "serving %s in plaintext (--insecure): anyone who can "
                     "reach it can submit, read results and take tasks",
                     opts.bind);
    s_raise_nofile ();
    char err[512] = "";
    char token[DT_LIMIT_HTTP_TOKEN_MAX + 1] = "";
    if (http_token_file && dt_http_read_token (http_token_file, token, err, sizeof err) != 0) {
        dt_log_error ("HTTP-TOKEN", "--http-token-file %s", err);
        return DT_MAIN_EXIT_FAIL;
    }
    dt_metrics_t *metrics = http ? dt_metrics_new () : NULL;
    if (http && !metrics) {
        dt_log_error ("MASTER-START", "out of memory");
        return DT_MAIN_EXIT_FAIL;
    }
    opts.metrics = metrics;
    dt_http_t *server = NULL;
    dt_master_t *master = dt_master_new (&opts, err, sizeof err);
    if (master && http)
        server = dt_http_new (&http_addr, token, metrics, err, sizeof err);
    memset (token, 0, sizeof token);
    int rc = -1;
    if (!master || (http && !server))
        dt_log_error ("MASTER-START", "%s", err);
    else
        rc = dt_master_run (master);
    /* The HTTP thread stops before the snapshots it reads are freed. */
    dt_http_destroy (&server);
    dt_master_destroy (&master);
    dt_metrics_destroy (&metrics);
    return rc == 0 ? 0 : DT_MAIN_EXIT_FAIL;
}
