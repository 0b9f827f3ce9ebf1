/* dt_cmd_get.c - `dtask get ID`: a task's stored capture, read through the master a piece at a
 * time: the body of its response, its head, or the WARC records themselves. */
#include "dt_cli.h"
#include "dt_limits.h"
#include "dt_warc_read.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "usage: dtask get [--headers | --record] ID\n"
    "\n"
    "Prints what task ID fetched, as the master stored it (submit --save warc):\n"
    "by default the body of its final response, exactly as the server sent it\n"
    "(chunked transfer framing removed; a gzip-encoded body stays gzip-encoded).\n"
    "The master is the only one that needs its disk: the bytes come over the\n"
    "protocol, a bounded piece per request.\n"
    "\n"
    "  -H, --headers   print the response's status line and headers, then the body\n"
    "  -r, --record    print the task's WARC records as stored: gzip members, a\n"
    "                  valid .warc.gz fragment (pipe through zcat to read them)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status 2 when the task has no stored capture.\n";

int dt_cli_get_capture (const dt_cli_opts_t *opts, dt_rpc_t *rpc, uint64_t id,
                        int (*sink) (void *arg, const void *data, size_t len), void *arg,
                        uint64_t *total)
{
    uint64_t offset = 0;
    *total = 0;
    do {
        dt_msg_t request, reply;
        dt_msg_init (&request);
        dt_msg_init (&reply);
        request.type = DT_MSG_GET;
        request.get.id = id;
        request.get.offset = offset;
        int rc = dt_rpc_call (rpc, &request, &reply);
        if (rc != 0)
            return dt_cli_rpc_failed (opts, rc);
        if (reply.type != DT_MSG_GET_OK || reply.get_ok.id != id || reply.get_ok.offset != offset) {
            int code = dt_cli_refused (&reply);
            dt_msg_reset (&reply);
            return code;
        }
        /* The capture cannot change under us (a task has one stored at a
         * time), but a REQUEUE and a new result may replace it between
         * two pieces: then its length differs. */
        if (offset > 0 && reply.get_ok.total != *total) {
            fprintf (stderr, "dtask: task %" PRIu64 ": its capture changed while being read\n", id);
            dt_msg_reset (&reply);
            return DT_CLI_EXIT_FAIL;
        }
        *total = reply.get_ok.total;
        if (*total == 0) {
            dt_msg_reset (&reply);
            return DT_CLI_EXIT_OK;
        }
        if (reply.get_ok.data.len == 0) {
            fprintf (stderr, "dtask: task %" PRIu64 ": the master sent an empty piece\n", id);
            dt_msg_reset (&reply);
            return DT_CLI_EXIT_FAIL;
        }
        rc = sink (arg, reply.get_ok.data.ptr, reply.get_ok.data.len);
        offset += reply.get_ok.data.len;
        dt_msg_reset (&reply);
        if (rc != 0)
            return DT_CLI_EXIT_FAIL;
    } while (offset < *total);
    return DT_CLI_EXIT_OK;
}

/* A capture gathered in memory: at most DT_LIMIT_CAPTURE_WIRE bytes. */
typedef struct {
    uint8_t *data;
    size_t len;
} s_buf_t;

static int s_gather (void *arg, const void *data, size_t len)
{
    s_buf_t *buf = arg;
    if (buf->len + len > DT_LIMIT_CAPTURE_WIRE) {
        fprintf (stderr, "dtask: capture larger than %d bytes\n", DT_LIMIT_CAPTURE_WIRE);
        return -1;
    }
    uint8_t *more = realloc (buf->data, buf->len + len);
    if (!more) {
        fprintf (stderr, "dtask: out of memory\n");
        return -1;
    }
    memcpy (more + buf->len, data, len);
    buf->data = more;
    buf->len += len;
    return 0;
}

static int s_write (const void *data, size_t len)
{
    return len == 0 || fwrite (data, 1, len, stdout) == len ? 0 : -1;
}

int dt_cmd_get (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"headers", no_argument, NULL, 'H'},
        {"record", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int headers = 0, record = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":Hrh", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            headers = 1;
            break;
        case 'r':
            record = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (headers && record)
        return dt_cli_usage_error (s_usage, "give one of --headers and --record");
    if (optind + 1 != argc)
        return dt_cli_usage_error (s_usage, "get: give one task ID");
    char *end = NULL;
    errno = 0;
    unsigned long long id = strtoull (argv[optind], &end, 10);
    if (errno || !end || *end || id == 0 || argv[optind][0] == '-')
        return dt_cli_usage_error (s_usage, "get: '%s' is not a task ID", argv[optind]);
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        return DT_CLI_EXIT_FAIL;
    s_buf_t buf = {NULL, 0};
    uint64_t total = 0;
    int code = dt_cli_get_capture (opts, rpc, id, s_gather, &buf, &total);
    dt_rpc_destroy (&rpc);
    if (code == DT_CLI_EXIT_OK && total == 0) {
        fprintf (stderr, "dtask: task %llu has no stored capture (submit --save warc keeps them)\n",
                 id);
        code = DT_CLI_EXIT_USAGE;
    }
    if (code != DT_CLI_EXIT_OK)
        goto done;
    if (record) {
        if (s_write (buf.data, buf.len) != 0 || dt_cli_flush_stdout () != 0)
            code = DT_CLI_EXIT_FAIL;
        goto done;
    }
    dt_warc_response_t response;
    char err[256];
    if (dt_warc_read_response (buf.data, buf.len, &response, err, sizeof err) != 0) {
        fprintf (stderr, "dtask: task %llu: %s\n", id, err);
        code = DT_CLI_EXIT_FAIL;
        goto done;
    }
    if (response.truncated)
        fprintf (stderr, "dtask: task %llu: the body was cut when stored (WARC-Truncated)\n", id);
    if ((headers && s_write (response.head, response.head_len) != 0) ||
        s_write (response.body, response.body_len) != 0 || dt_cli_flush_stdout () != 0)
        code = DT_CLI_EXIT_FAIL;
    dt_warc_response_free (&response);
done:
    free (buf.data);
    return code;
}
