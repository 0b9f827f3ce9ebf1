/* dt_cli.c - what the dtask CLI's commands share: option errors, connecting, failure messages. */
#define _GNU_SOURCE /* strptime, timegm */
#include "dt_cli.h"
#include "dt_sock.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int dt_cli_usage_error (const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs ("dtask: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputs ("\n", stderr);
    va_end (ap);
    if (usage)
        fputs (usage, stderr);
    return DT_CLI_EXIT_USAGE;
}

int dt_cli_bad_option (int c, char **argv, const char *usage)
{
    /* getopt_long leaves the offending word at argv[optind - 1]; for a
     * bundled short option (-xq) optopt names the letter. */
    const char *word = argv[optind - 1];
    if (c == ':')
        return dt_cli_usage_error (usage, "option '%s' needs a value", word);
    if (optopt && word[0] == '-' && word[1] != '-')
        return dt_cli_usage_error (usage, "unknown option '-%c'", optopt);
    return dt_cli_usage_error (usage, "unknown option '%s'", word);
}

int dt_cli_check_job (const char *job, const char *usage)
{
    size_t len = strlen (job);
    if (len == 0 || len > DT_LIMIT_JOB_MAX) {
        dt_cli_usage_error (usage, "--job: a job id has 1 to %d characters", DT_LIMIT_JOB_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) job[i];
        if (c <= 0x20 || c >= 0x7f) {
            dt_cli_usage_error (usage, "--job: a job id is printable ASCII without spaces");
            return -1;
        }
    }
    return 0;
}

int dt_cli_parse_save (const char *arg, uint32_t *flags, const char *usage)
{
    if (strcmp (arg, "warc") == 0)
        *flags |= DT_SUBMIT_SAVE;
    else if (strcmp (arg, "none") == 0)
        *flags &= ~DT_SUBMIT_SAVE;
    else {
        dt_cli_usage_error (usage, "--save: warc or none, not '%s'", arg);
        return -1;
    }
    return 0;
}

int dt_cli_parse_host_delay (const char *arg, uint32_t *ms, const char *usage)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end || errno || v > DT_LIMIT_HOST_DELAY_MAX_MS) {
        dt_cli_usage_error (usage, "--host-delay: ms, 0 to %u, not '%s'",
                            DT_LIMIT_HOST_DELAY_MAX_MS, arg);
        return -1;
    }
    *ms = (uint32_t) v;
    return 0;
}

int dt_cli_request (const dt_cli_opts_t *opts, dt_msg_t *request, dt_msg_type_t want,
                    dt_msg_t *reply)
{
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        return DT_CLI_EXIT_FAIL;
    int code = DT_CLI_EXIT_OK;
    int rc = dt_rpc_call (rpc, request, reply);
    if (rc != 0)
        code = dt_cli_rpc_failed (opts, rc);
    else if (reply->type != want)
        code = dt_cli_refused (reply);
    /* The reply owns its frame: it outlives the socket. */
    dt_rpc_destroy (&rpc);
    return code;
}

dt_rpc_t *dt_cli_connect (const dt_cli_opts_t *opts)
{
    char err[256];
    dt_rpc_t *rpc = dt_rpc_new (opts->master, opts->timeout_ms, err, sizeof err);
    if (!rpc)
        fprintf (stderr, "dtask: cannot use master endpoint '%s': %s\n", opts->master, err);
    return rpc;
}

int dt_cli_rpc_failed (const dt_cli_opts_t *opts, int rc)
{
    switch (rc) {
    case DT_RPC_EUNREACH:
        fprintf (stderr,
                 "dtask: no reply from master at %s within %g s (is dtask-master running? check "
                 "--master or DTASK_MASTER%s)\n",
                 opts->master, opts->timeout_ms / 1000.0,
                 dt_sock_is_secure () ? "; is our key in the master's clients/ allow-list, and "
                                        "--master-key the master's key?"
                                      : "");
        return DT_CLI_EXIT_UNREACHABLE;
    case DT_RPC_EINTR:
        fprintf (stderr, "dtask: interrupted\n");
        return DT_CLI_EXIT_INTERRUPTED;
    default:
        /* The engine logged the cause. */
        return DT_CLI_EXIT_FAIL;
    }
}

char *dt_cli_printable (char *out, size_t out_size, dt_str_t s)
{
    return dt_log_escape (out, out_size, s.ptr, s.len, out_size);
}

const char *dt_cli_format_time (char *out, size_t out_size, uint64_t ms)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    if (ms == 0 || !gmtime_r (&t, &tm) || strftime (out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf (out, out_size, "-");
    return out;
}

int dt_cli_parse_time (const char *text, uint64_t now_ms, uint64_t *ms)
{
    char *end = NULL;
    if (text[0] >= '0' && text[0] <= '9') {
        unsigned long long n = strtoull (text, &end, 10);
        uint64_t unit = 0;
        if (end[0] && !end[1])
            unit = end[0] == 's'   ? 1000
                   : end[0] == 'm' ? 60000
                   : end[0] == 'h' ? 3600000
                   : end[0] == 'd' ? 86400000
                                   : 0;
        if (unit) {
            if (n > now_ms / unit)
                return -1; /* before 1970 */
            *ms = now_ms - n * unit;
            return 0;
        }
    }
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    end = strptime (text, "%Y-%m-%d", &tm);
    if (end && *end == 'T') {
        char *rest = strptime (end + 1, "%H:%M:%S", &tm);
        end = rest ? rest : strptime (end + 1, "%H:%M", &tm);
    }
    if (!end || (end[0] && strcmp (end, "Z") != 0))
        return -1;
    time_t t = timegm (&tm);
    if (t < 0)
        return -1;
    *ms = (uint64_t) t * 1000;
    return 0;
}

int dt_cli_refused (const dt_msg_t *reply)
{
    if (reply->type == DT_MSG_ERROR) {
        char text[DT_LIMIT_ERROR_MAX + 64];
        dt_cli_printable (text, sizeof text, reply->error.text);
        if (reply->error.code == DT_ERR_NO_SUCH_JOB) {
            /* A wrong job id is the user's mistake, like a bad option. */
            fprintf (stderr, "dtask: %s\n", text);
            return DT_CLI_EXIT_USAGE;
        }
        fprintf (stderr, "dtask: master refused: %s: %s\n",
                 dt_msg_error_name ((int) reply->error.code), text);
        return DT_CLI_EXIT_REFUSED;
    }
    dt_log_error ("PROTO-UNEXPECTED", "unexpected %s reply from master",
                  dt_msg_type_name (reply->type));
    return DT_CLI_EXIT_FAIL;
}

int dt_cli_flush_stdout (void)
{
    if (fflush (stdout) != 0 || ferror (stdout)) {
        fprintf (stderr, "dtask: cannot write output: %s\n", strerror (errno));
        return -1;
    }
    return 0;
}
