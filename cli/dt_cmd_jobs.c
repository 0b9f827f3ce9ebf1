/* dt_cmd_jobs.c - `dtask jobs`: the master's jobs, newest first, a page at a time. */
#include "dt_cli.h"
#include "dt_jsonl.h"
#include "dt_limits.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Jobs shown without --limit or --all: a screenful of the newest. */
#define DT_CLI_JOBS_DEFAULT 50

static const char s_usage[] =
    "usage: dtask jobs [--json] [--limit N | --all] [--job ID]\n"
    "\n"
    "Lists the master's jobs, newest first: id, kind, when it was created,\n"
    "total/done/failed/pending tasks, and whether it is finished (and when).\n"
    "The master answers a bounded page per request; this asks for as many\n"
    "pages as needed.\n"
    "\n"
    "      --json      one JSON object per line: job, kind, created, created_ms,\n"
    "                  total, done, failed, pending, finished, finished_at\n"
    "  -n, --limit N   at most N jobs (default 50)\n"
    "  -a, --all       every job\n"
    "  -j, --job ID    this job only (exit 2 when the master does not know it)\n"
    "  -h, --help      this help\n";

int dt_cli_jobs_each (const dt_cli_opts_t *opts, dt_rpc_t *rpc, const char *job, uint64_t limit,
                      int (*fn) (void *arg, const dt_msg_job_t *item), void *arg)
{
    uint64_t cursor = 0, seen = 0;
    do {
        dt_msg_t request, reply;
        dt_msg_init (&request);
        dt_msg_init (&reply);
        request.type = DT_MSG_JOBS;
        request.jobs.job = dt_str (job);
        request.jobs.cursor = cursor;
        uint64_t want = limit - seen < DT_LIMIT_JOBS_MAX ? limit - seen : DT_LIMIT_JOBS_MAX;
        request.jobs.max = (uint32_t) want;
        int rc = dt_rpc_call (rpc, &request, &reply);
        if (rc != 0)
            return dt_cli_rpc_failed (opts, rc);
        if (reply.type != DT_MSG_JOBS_OK) {
            int code = dt_cli_refused (&reply);
            dt_msg_reset (&reply);
            return code;
        }
        for (uint32_t i = 0; i < reply.jobs_ok.count && seen < limit; i++, seen++)
            if (fn (arg, &reply.jobs_ok.items[i]) != 0) {
                dt_msg_reset (&reply);
                return DT_CLI_EXIT_FAIL;
            }
        cursor = reply.jobs_ok.cursor;
        dt_msg_reset (&reply);
    } while (cursor != 0 && seen < limit && !*job);
    return DT_CLI_EXIT_OK;
}

typedef struct {
    int json;
    int header; /* the table's header is printed */
} s_printer_t;

static int s_print_json (const dt_msg_job_t *j)
{
    char created[32], finished[32];
    json_t *o = json_object ();
    if (!o)
        return -1;
    int bad = 0;
    bad |= json_object_set_new_nocheck (o, "job", dt_jsonl_string (j->name));
    bad |= json_object_set_new_nocheck (o, "kind", dt_jsonl_string (j->kind));
    bad |= json_object_set_new_nocheck (
        o, "created", json_string (dt_cli_format_time (created, sizeof created, j->created_ms)));
    bad |= json_object_set_new_nocheck (o, "created_ms", json_integer ((json_int_t) j->created_ms));
    bad |= json_object_set_new_nocheck (o, "total", json_integer ((json_int_t) j->total));
    bad |= json_object_set_new_nocheck (o, "done", json_integer ((json_int_t) j->done));
    bad |= json_object_set_new_nocheck (o, "failed", json_integer ((json_int_t) j->failed));
    bad |= json_object_set_new_nocheck (o, "pending", json_integer ((json_int_t) j->pending));
    bad |= json_object_set_new_nocheck (o, "finished", json_boolean (j->pending == 0));
    bad |= json_object_set_new_nocheck (
        o, "finished_at",
        j->finished_ms
            ? json_string (dt_cli_format_time (finished, sizeof finished, j->finished_ms))
            : json_null ());
    char *text = bad ? NULL : json_dumps (o, JSON_COMPACT);
    json_decref (o);
    if (!text)
        return -1;
    puts (text);
    free (text);
    return 0;
}

static int s_print (void *arg, const dt_msg_job_t *j)
{
    s_printer_t *p = arg;
    if (p->json)
        return s_print_json (j);
    if (!p->header) {
        printf ("%-24s %-6s %-20s %10s %10s %10s %10s  %s\n", "JOB", "KIND", "CREATED", "TOTAL",
                "DONE", "FAILED", "PENDING", "STATE");
        p->header = 1;
    }
    char name[DT_LIMIT_JOB_MAX * 4 + 4], kind[DT_LIMIT_KIND_MAX * 4 + 4], created[32];
    dt_cli_printable (name, sizeof name, j->name);
    dt_cli_printable (kind, sizeof kind, j->kind);
    printf ("%-24s %-6s %-20s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "  %s\n", name,
            kind, dt_cli_format_time (created, sizeof created, j->created_ms), j->total, j->done,
            j->failed, j->pending, j->pending == 0 ? "finished" : "running");
    return 0;
}

int dt_cmd_jobs (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'}, {"limit", required_argument, NULL, 'n'},
        {"all", no_argument, NULL, 'a'},  {"job", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *job = "";
    uint64_t limit = DT_CLI_JOBS_DEFAULT;
    int c, all = 0, limited = 0;
    s_printer_t printer = {0, 0};
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":n:aj:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'J':
            printer.json = 1;
            break;
        case 'n': {
            char *end = NULL;
            unsigned long long n = strtoull (optarg, &end, 10);
            if (!*optarg || *end || n == 0 || optarg[0] == '-')
                return dt_cli_usage_error (s_usage, "jobs: --limit wants a positive number");
            limit = n;
            limited = 1;
            break;
        }
        case 'a':
            all = 1;
            break;
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
        return dt_cli_usage_error (s_usage, "jobs: unexpected argument '%s'", argv[optind]);
    if (all && limited)
        return dt_cli_usage_error (s_usage, "jobs: --all or --limit, not both");
    if (*job && dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;
    if (all)
        limit = UINT64_MAX;
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        return DT_CLI_EXIT_USAGE;
    int code = dt_cli_jobs_each (opts, rpc, job, limit, s_print, &printer);
    dt_rpc_destroy (&rpc);
    if (code == DT_CLI_EXIT_OK && !printer.json && !printer.header)
        printf ("no jobs\n");
    if (code == DT_CLI_EXIT_OK && dt_cli_flush_stdout () != 0)
        code = DT_CLI_EXIT_FAIL;
    return code;
}
