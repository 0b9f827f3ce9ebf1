/* dt_cmd_hosts.c - `dtask status --job ID --hosts`: a job's origins and their politeness (HOSTS).
 */
#include "dt_cli.h"
#include "dt_jsonl.h"
#include "dt_limits.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char *s_robots_name (uint8_t robots)
{
    static const char *names[] = {"-", "pending", "rules", "allow-all", "disallow-all", "cut"};
    return robots <= DT_HOST_ROBOTS_MAX ? names[robots] : "?";
}

static int s_print_json (const dt_msg_t *reply)
{
    json_t *o = json_object (), *hosts = json_array ();
    int bad = !o || !hosts;
    for (uint32_t i = 0; !bad && i < reply->hosts_ok.count; i++) {
        const dt_msg_host_t *h = &reply->hosts_ok.items[i];
        json_t *jh = json_pack ("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "origin",
                                dt_jsonl_string (h->origin), "queued", (json_int_t) h->queued,
                                "inflight", (json_int_t) h->inflight, "started",
                                (json_int_t) h->started, "done", (json_int_t) h->done, "errors",
                                (json_int_t) h->errors, "denied", (json_int_t) h->denied, "next_ms",
                                (json_int_t) h->next_ms, "robots", s_robots_name (h->robots));
        bad |= !jh || json_array_append_new (hosts, jh) != 0;
    }
    if (!bad) {
        bad |= json_object_set_new_nocheck (o, "hosts_total", json_integer (reply->hosts_ok.total));
        bad |= json_object_set_nocheck (o, "hosts", hosts);
    }
    char *text = bad ? NULL : json_dumps (o, JSON_COMPACT);
    int rc = text ? 0 : -1;
    if (text)
        puts (text);
    else
        fprintf (stderr, "dtask: out of memory\n");
    free (text);
    json_decref (hosts);
    json_decref (o);
    return rc;
}

static void s_print_table (const dt_msg_t *reply)
{
    if (reply->hosts_ok.count == 0) {
        printf ("no queued or running http tasks of this job in memory\n");
        return;
    }
    if (reply->hosts_ok.total > reply->hosts_ok.count)
        printf ("%" PRIu32 " origins; the %" PRIu32 " with the most queued:\n",
                reply->hosts_ok.total, reply->hosts_ok.count);
    printf ("%-40s %9s %8s %9s %9s %8s %8s %9s %s\n", "ORIGIN", "QUEUED", "INFLIGHT", "STARTED",
            "DONE", "ERRORS", "DENIED", "NEXT", "ROBOTS");
    for (uint32_t i = 0; i < reply->hosts_ok.count; i++) {
        const dt_msg_host_t *h = &reply->hosts_ok.items[i];
        char name[DT_LIMIT_ORIGIN_MAX * 4 + 4];
        dt_cli_printable (name, sizeof name, h->origin);
        printf ("%-40s %9" PRIu64 " %8" PRIu64 " %9" PRIu64 " %9" PRIu64 " %8" PRIu64 " %8" PRIu64
                " %7.1f s %s\n",
                name, h->queued, h->inflight, h->started, h->done, h->errors, h->denied,
                h->next_ms / 1000.0, s_robots_name (h->robots));
    }
    printf ("(queued and inflight: this job's tasks; started, done, errors, denied, next and "
            "robots: the origin's, over every job)\n");
}

int dt_cmd_status_hosts (const dt_cli_opts_t *opts, const char *job, int json)
{
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_HOSTS;
    request.hosts.job = dt_str (job);
    request.hosts.max = DT_LIMIT_STATUS_HOSTS;
    int code = dt_cli_request (opts, &request, DT_MSG_HOSTS_OK, &reply);
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
