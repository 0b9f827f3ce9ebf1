/* dt_cmd_export.c - `dtask export --job J -o FILE`: one standalone WARC file of a job, read
 * through the master: a warcinfo record, then every task's records, in the job's results order. */
#include "dt_cli.h"
#include "dt_limits.h"
#include "dt_warc.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char s_usage[] =
    "usage: dtask export --job ID -o FILE.warc.gz\n"
    "\n"
    "Writes every capture the master stored for job ID (submit --save warc) into\n"
    "one standalone WARC file: a warcinfo record, then each task's request and\n"
    "response records, as gzip members (what .warc.gz readers expect: warcio,\n"
    "pywb, wget and Heritrix tools, zcat). The master's index says which bytes\n"
    "belong to the job (a retried task has one capture); they come over the\n"
    "protocol a bounded piece at a time, so the master's disk is not needed.\n"
    "The file is written as FILE.part and renamed when complete.\n"
    "\n"
    "  -j, --job ID        the job (required)\n"
    "  -o, --output FILE   where to write it ('-': standard output)\n"
    "  -h, --help          this help\n"
    "\n"
    "Prints \"exported N captures, B bytes\" on stderr.\n";

typedef struct {
    FILE *out;
    uint64_t bytes;
} s_export_t;

static int s_sink (void *arg, const void *data, size_t len)
{
    s_export_t *self = arg;
    if (fwrite (data, 1, len, self->out) != len) {
        fprintf (stderr, "dtask: cannot write: %s\n", strerror (errno));
        return -1;
    }
    self->bytes += len;
    return 0;
}

int dt_cmd_export (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *job = NULL, *path = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            job = optarg;
            break;
        case 'o':
            path = optarg;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage);
        }
    }
    if (!job)
        return dt_cli_usage_error (s_usage, "export: give --job ID");
    if (!path || !*path)
        return dt_cli_usage_error (s_usage, "export: give -o FILE");
    if (optind != argc)
        return dt_cli_usage_error (s_usage, "export: unexpected argument '%s'", argv[optind]);
    if (dt_cli_check_job (job, s_usage) != 0)
        return DT_CLI_EXIT_USAGE;

    int code = DT_CLI_EXIT_FAIL, to_stdout = strcmp (path, "-") == 0;
    char *part = NULL;
    dt_msg_capture_t *items = NULL;
    s_export_t self = {NULL, 0};
    uint64_t captures = 0;
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc)
        goto done;
    if (to_stdout)
        self.out = stdout;
    else {
        part = malloc (strlen (path) + 6);
        if (!part)
            goto done;
        sprintf (part, "%s.part", path);
        self.out = fopen (part, "wb");
        if (!self.out) {
            fprintf (stderr, "dtask: cannot write %s: %s\n", part, strerror (errno));
            goto done;
        }
    }
    /* The file's own warcinfo: it says what made it and from which job. */
    char *copy = strdup (to_stdout ? "export.warc.gz" : path);
    char operator_[DT_LIMIT_JOB_MAX + 16];
    snprintf (operator_, sizeof operator_, "job %s", job);
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    char *name = copy ? basename (copy) : NULL;
    /* WARC-Filename is written as a bare value, which takes no space or
     * line break: the record names the file with those as '_' (the file on
     * disk keeps its name). */
    for (char *at = name; at && *at; at++)
        if (*at == ' ' || *at == '\r' || *at == '\n')
            *at = '_';
    dt_warc_info_t info = {.filename = name,
                           .software = "dtask/" DTASK_VERSION " export",
                           .hostname = host[0] ? host : NULL,
                           .operator_ = operator_};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    int made = dt_warc_warcinfo (&info, time (NULL), &rec, &rec_len);
    free (copy);
    if (made != 0)
        fprintf (stderr, "dtask: cannot make the export's warcinfo record (out of memory, or a "
                         "host name or job id a WARC header cannot hold)\n");
    if (made != 0 || s_sink (&self, rec, rec_len) != 0) {
        free (rec);
        goto done;
    }
    free (rec);
    /* The index a page at a time, each page's captures a piece at a time:
     * what the master holds for us stays bounded. The entries are copied
     * out, since fetching the captures reuses the reply. */
    items = malloc ((size_t) DT_LIMIT_BATCH_MAX * sizeof *items);
    if (!items)
        goto done;
    uint64_t cursor = 0;
    do {
        dt_msg_t request, reply;
        dt_msg_init (&request);
        dt_msg_init (&reply);
        request.type = DT_MSG_EXPORT;
        request.export_.job = dt_str (job);
        request.export_.cursor = cursor;
        request.export_.max = DT_LIMIT_BATCH_MAX;
        int rc = dt_rpc_call (rpc, &request, &reply);
        if (rc != 0) {
            code = dt_cli_rpc_failed (opts, rc);
            goto done;
        }
        if (reply.type != DT_MSG_EXPORT_OK) {
            code = dt_cli_refused (&reply);
            dt_msg_reset (&reply);
            goto done;
        }
        uint32_t count = reply.export_ok.count;
        memcpy (items, reply.export_ok.items, (size_t) count * sizeof *items);
        cursor = reply.export_ok.cursor;
        dt_msg_reset (&reply);
        for (uint32_t i = 0; i < count; i++) {
            uint64_t total = 0, before = self.bytes;
            code = dt_cli_get_capture (opts, rpc, items[i].id, s_sink, &self, &total);
            if (code != DT_CLI_EXIT_OK)
                goto done;
            code = DT_CLI_EXIT_FAIL;
            if (total != items[i].length || self.bytes - before != total) {
                fprintf (stderr, "dtask: task %" PRIu64 ": capture changed during the export\n",
                         items[i].id);
                goto done;
            }
            captures++;
        }
    } while (cursor != 0);
    if (fflush (self.out) != 0 || (!to_stdout && fsync (fileno (self.out)) != 0)) {
        fprintf (stderr, "dtask: cannot write %s: %s\n", path, strerror (errno));
        goto done;
    }
    if (!to_stdout) {
        int closed = fclose (self.out);
        self.out = NULL;
        if (closed != 0 || rename (part, path) != 0) {
            fprintf (stderr, "dtask: cannot write %s: %s\n", path, strerror (errno));
            goto done;
        }
    }
    if (!opts->quiet)
        fprintf (stderr, "exported %" PRIu64 " captures, %" PRIu64 " bytes\n", captures,
                 self.bytes);
    code = DT_CLI_EXIT_OK;
done:
    if (self.out && !to_stdout) {
        fclose (self.out);
        unlink (part);
    }
    free (part);
    free (items);
    dt_rpc_destroy (&rpc);
    return code;
}
