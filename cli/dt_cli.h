/* dt_cli.h - what the dtask CLI's commands share: options, exit codes, messages.
 *
 * main.c parses the global options into dt_cli_opts_t and calls one
 * dt_cmd_<name>() per command. Each command parses its own arguments (argv[0]
 * is the command name) and returns the process exit code.
 */
#ifndef DT_CLI_H
#define DT_CLI_H

#include "dt_msg.h"
#include "dt_rpc.h"

/* Exit codes, documented in `dtask --help`. */
#define DT_CLI_EXIT_OK          0
#define DT_CLI_EXIT_FAIL        1 /* local failure: cannot write output, out of memory */
#define DT_CLI_EXIT_USAGE       2 /* bad usage or invalid input; nothing was sent */
#define DT_CLI_EXIT_UNREACHABLE 3 /* no reply from the master within --timeout */
#define DT_CLI_EXIT_REFUSED     4 /* the master answered ERROR */
#define DT_CLI_EXIT_INTERRUPTED 130

#define DT_CLI_DEFAULT_MASTER    "tcp://127.0.0.1:5555"
#define DT_CLI_DEFAULT_TIMEOUT_S 10

typedef struct {
    const char *master;     /* endpoint; borrowed from argv or the environment */
    int timeout_ms;         /* give up after this long without any reply */
    int quiet;              /* -q: no informational lines on stderr */
    int verbose;            /* -v: debug logging */
    const char *key;        /* --key: our NAME.key_secret (CURVE); NULL: plaintext */
    const char *master_key; /* --master-key: the master's master.key */
} dt_cli_opts_t;

int dt_cmd_submit (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_results (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_status (const dt_cli_opts_t *opts, int argc, char **argv);
/* `dtask status --job ID --hosts` (dt_cmd_hosts.c): returns an exit code. */
int dt_cmd_status_hosts (const dt_cli_opts_t *opts, const char *job, int json);
int dt_cmd_retry (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_keygen (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_cancel (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_purge (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_jobs (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_crawl (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_get (const dt_cli_opts_t *opts, int argc, char **argv);
int dt_cmd_export (const dt_cli_opts_t *opts, int argc, char **argv);

/* Reads task `id`'s stored capture over `rpc`, GET a piece at a time, and
 * gives each piece to `sink` (which returns 0, or -1 to stop: a local
 * failure it has printed). *total is the capture's length, 0 when the task
 * has none. Returns DT_CLI_EXIT_OK, or the exit code to return after
 * printing why. */
int dt_cli_get_capture (const dt_cli_opts_t *opts, dt_rpc_t *rpc, uint64_t id,
                        int (*sink) (void *arg, const void *data, size_t len), void *arg,
                        uint64_t *total);

/* Calls `fn` for the master's jobs, newest first, at most `limit`
 * (UINT64_MAX: all), over `rpc` a JOBS page at a time; only job `job` when
 * it is not empty. Items are borrowed for the call; `fn` returns 0, or -1
 * to stop (a local failure). Returns DT_CLI_EXIT_OK, or the exit code to
 * return after printing why (2 for an unknown job). */
int dt_cli_jobs_each (const dt_cli_opts_t *opts, dt_rpc_t *rpc, const char *job, uint64_t limit,
                      int (*fn) (void *arg, const dt_msg_job_t *item), void *arg);

/* Writes Unix ms `ms` as ISO 8601 UTC ("2026-12-03T14:05:09Z") into `out`
 * (at least 21 bytes; "-" for 0). Returns `out`. */
const char *dt_cli_format_time (char *out, size_t out_size, uint64_t ms);

/* Parses a moment: ISO 8601 UTC ("2026-12-03", "2026-12-03T14:05:09Z",
 * seconds and the Z optional), or an age before `now_ms` ("90s", "30m",
 * "12h", "7d"). Returns 0 with Unix ms in *ms, or -1. */
int dt_cli_parse_time (const char *text, uint64_t now_ms, uint64_t *ms);

/* Prints "dtask: <message>" and then `usage` on stderr; returns
 * DT_CLI_EXIT_USAGE so a command can `return dt_cli_usage_error (...)`. */
int dt_cli_usage_error (const char *usage, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Reports what getopt_long() (run with a leading ':' in its optstring and
 * opterr = 0) rejected: `c` is its '?' or ':' return. Returns
 * DT_CLI_EXIT_USAGE. */
int dt_cli_bad_option (int c, char **argv, const char *usage);

/* Parses a job id given with --job: 1..DT_LIMIT_JOB_MAX printable ASCII
 * characters, no spaces. Returns 0, or -1 after printing why. */
int dt_cli_check_job (const char *job, const char *usage);

/* A job's --save (warc or none) into DT_SUBMIT_SAVE of *flags, and its
 * --host-delay (ms, 0..DT_LIMIT_HOST_DELAY_MAX_MS): shared by submit and
 * crawl. Each returns 0, or -1 after printing why. */
int dt_cli_parse_save (const char *arg, uint32_t *flags, const char *usage);
int dt_cli_parse_host_delay (const char *arg, uint32_t *ms, const char *usage);

/* Creates the request engine for opts->master. Returns NULL after printing
 * why (a malformed endpoint). */
dt_rpc_t *dt_cli_connect (const dt_cli_opts_t *opts);

/* One request, one reply, for commands that need nothing more of the master:
 * connects, sends `request` and waits. Returns DT_CLI_EXIT_OK with a reply
 * of type `want` in `reply` (the caller resets it), or, having printed why
 * (bad endpoint, no reply, ERROR, another type), the exit code to return. */
int dt_cli_request (const dt_cli_opts_t *opts, dt_msg_t *request, dt_msg_type_t want,
                    dt_msg_t *reply);

/* Turns a failed dt_rpc_wait()/dt_rpc_call() code into a message on stderr
 * and an exit code (3 for no reply, 130 for a signal, 1 otherwise). */
int dt_cli_rpc_failed (const dt_cli_opts_t *opts, int rc);

/* Prints "dtask: master refused: CODE: text" for an ERROR reply, or
 * "dtask: unexpected TYPE reply" for any other type, and returns
 * DT_CLI_EXIT_REFUSED (ERROR) or DT_CLI_EXIT_FAIL; an ERROR NO_SUCH_JOB
 * prints "dtask: no such job J" and returns DT_CLI_EXIT_USAGE. */
int dt_cli_refused (const dt_msg_t *reply);

/* Flushes stdout; on a write error prints it and returns -1. */
int dt_cli_flush_stdout (void);

/* Copies a peer's string into `out` (NUL-terminated, escaped, cut to fit)
 * for printing to a terminal. Returns `out`. */
char *dt_cli_printable (char *out, size_t out_size, dt_str_t s);

#endif
