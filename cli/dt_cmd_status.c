/* dt_cmd_status.c - `dtask status`: the master's counters and connected workers, as a table or
 * JSON. */
#include "dt_cli.h"
#include "dt_jsonl.h"
#include "dt_limits.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static const char s_usage[] =
    "usage: dtask status [--json] [--job ID [--hosts]]\n"
    "\n"
    "Prints the master's counters (submitted, pending, inflight, delayed, done,\n"
    "failed, retried, duplicates, late, invalid) and its connected workers.\n"
    "\n"
    "      --json     one JSON object: the counters and \"workers\": [{name,\n"
    "                 capacity, inflight, done, idle_ms}]\n"
    "  -j, --job ID   counters of this job only\n"
    "      --hosts    with --job: the origins of its queued and running http tasks\n"
    "                 (the 100 with the most queued): queued, inflight, requests\n"
    "                 started and done, errors, pages robots.txt denied, time to\n"
    "                 the next allowed request, robots.txt state\n"
    "  -h, --help     this help\n";

/* Counter names in display order, with their place in dt_msg_stats_t. */
static const struct {
    const char *name;
    size_t offset;
} s_counters[] = {
    {"submitted", offsetof (dt_msg_stats_t, submitted)},
    {"pending", offsetof (dt_msg_stats_t, pending)},
    {"inflight", offsetof (dt_msg_stats_t, inflight)},
    {"delayed", offsetof (dt_msg_stats_t, delayed)},
    {"done", offsetof (dt_msg_stats_t, done)},
    {"failed", offsetof (dt_msg_stats_t, failed)},
    {"retried", offsetof (dt_msg_stats_t, retried)},
    {"duplicates", offsetof (dt_msg_stats_t, duplicates)},
    {"late", offsetof (dt_msg_stats_t, late)},
    {"invalid", offsetof (dt_msg_stats_t, invalid)},
};
#define S_NCOUNTERS (sizeof s_counters / sizeof s_counters[0])

static uint64_t s_counter (const dt_msg_stats_t *stats, size_t i)
{
    return *(const uint64_t *) ((const char *) stats + s_counters[i].offset);
}

static int s_print_json (const dt_msg_t *reply)
{
    json_t *o = json_object ();
    json_t *workers = json_array ();
    int rc = -1;
    if (!o || !workers)
        goto done;
    int bad = 0;
    for (size_t i = 0; i < S_NCOUNTERS; i++)
        bad |= json_object_set_new_nocheck (
            o, s_counters[i].name,
            json_integer ((json_int_t) s_counter (&reply->status_ok.stats, i)));
    for (uint32_t i = 0; i < reply->status_ok.count; i++) {
        const dt_msg_worker_t *w = &reply->status_ok.workers[i];
        json_t *jw = json_object ();
        if (!jw)
            goto done;
        bad |= json_object_set_new_nocheck (jw, "name", dt_jsonl_string (w->name));
        bad |= json_object_set_new_nocheck (jw, "capacity", json_integer (w->capacity));
        bad |= json_object_set_new_nocheck (jw, "inflight", json_integer (w->inflight));
        bad |= json_object_set_new_nocheck (jw, "done", json_integer ((json_int_t) w->done));
        bad |= json_object_set_new_nocheck (jw, "idle_ms", json_integer (w->idle_ms));
        bad |= json_array_append_new (workers, jw);
    }
    bad |= json_object_set_nocheck (o, "workers", workers);
    bad |= json_object_set_new_nocheck (o, "workers_total", json_integer (reply->status_ok.total));
    json_t *kinds = json_array ();
    if (!kinds)
        goto done;
    for (uint32_t i = 0; i < reply->status_ok.nkinds; i++) {
        const dt_msg_kind_t *k = &reply->status_ok.kinds[i];
        json_t *jk =
            json_pack ("{s:o, s:I, s:I, s:I, s:i}", "kind", dt_jsonl_string (k->kind), "pending",
                       (json_int_t) k->pending, "inflight", (json_int_t) k->inflight, "delayed",
                       (json_int_t) k->delayed, "workers", (int) k->workers);
        bad |= !jk || json_array_append_new (kinds, jk);
    }
    bad |= json_object_set_new_nocheck (o, "kinds", kinds);
    if (bad)
        goto done;
    char *text = json_dumps (o, JSON_COMPACT);
    if (!text)
        goto done;
    puts (text);
    free (text);
    rc = 0;
done:
    if (rc != 0)
        fprintf (stderr, "dtask: out of memory\n");
    json_decref (workers);
    json_decref (o);
    return rc;
}

static void s_print_table (const dt_msg_t *reply)
{
    for (size_t i = 0; i < S_NCOUNTERS; i++)
        printf ("%-12s %12" PRIu64 "\n", s_counters[i].name,
                s_counter (&reply->status_ok.stats, i));
    printf ("\n");
    uint64_t sorted = 0;
    for (uint32_t i = 0; i < reply->status_ok.nkinds; i++) {
        const dt_msg_kind_t *k = &reply->status_ok.kinds[i];
        sorted += k->pending;
        if (i == 0)
            printf ("%-32s %9s %9s %9s %9s\n", "KIND", "PENDING", "INFLIGHT", "DELAYED", "WORKERS");
        char name[DT_LIMIT_KIND_MAX * 4 + 4];
        dt_cli_printable (name, sizeof name, k->kind);
        printf ("%-32s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu32 "%s\n", name, k->pending,
                k->inflight, k->delayed, k->workers,
                k->workers == 0 && k->pending + k->delayed > 0 ? "  no worker serves this kind"
                                                               : "");
    }
    if (reply->status_ok.nkinds) {
        if (reply->status_ok.stats.pending > sorted)
            printf ("(%" PRIu64 " more pending in the store: their kinds are read as they load)\n",
                    reply->status_ok.stats.pending - sorted);
        printf ("\n");
    }
    if (reply->status_ok.count == 0) {
        printf ("no workers connected\n");
        return;
    }
    if (reply->status_ok.total > reply->status_ok.count)
        printf ("%" PRIu32 " workers connected; the %" PRIu32 " busiest:\n", reply->status_ok.total,
                reply->status_ok.count);
    else
        printf ("%" PRIu32 " worker%s connected\n", reply->status_ok.total,
                reply->status_ok.total == 1 ? "" : "s");
    printf ("%-32s %9s %9s %12s %9s\n", "WORKER", "CAPACITY", "INFLIGHT", "DONE", "IDLE");
    for (uint32_t i = 0; i < reply->status_ok.count; i++) {
        const dt_msg_worker_t *w = &reply->status_ok.workers[i];
        char name[DT_LIMIT_NAME_MAX * 4 + 4];
        dt_cli_printable (name, sizeof name, w->name);
        printf ("%-32s %9" PRIu32 " %9" PRIu32 " %12" PRIu64 " %7.1f s\n", name, w->capacity,
                w->inflight, w->done, w->idle_ms / 1000.0);
    }
}

int dt_cmd_status (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'},
        {"job", required_argument, NULL, 'j'},
        {"hosts", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *job = "";
    int json = 0, hosts = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'J':
            json = 1;
            break;
        case 'j':
            job = optarg;
            break;
        case 'H':
            hosts = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (optind < argc)
        return dt_cli_usage_error (s_usage, "status: unexpected argument '%s'", argv[optind]);
    if (*job && dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;
    if (hosts && !*job)
        return dt_cli_usage_error (s_usage, "--hosts needs --job ID");
    if (hosts)
        return dt_cmd_status_hosts (opts, job, json);

    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_STATUS;
    request.status.job = dt_str (job);
    int code = dt_cli_request (opts, &request, DT_MSG_STATUS_OK, &reply);
    if (code == DT_CLI_EXIT_OK && json && s_print_json (&reply) != 0) {
        code = DT_CLI_EXIT_FAIL;
    } else if (code == DT_CLI_EXIT_OK) {
        if (!json)
            s_print_table (&reply);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
    }
    dt_msg_reset (&reply);
    return code;
}
