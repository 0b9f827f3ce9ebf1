/* dt_submit_input.c - `dtask submit`'s input: payloads from the arguments, -f FILE or --jsonl,
 * every one checked before anything is sent. */
#include "dt_submit_input.h"
#include "dt_cli.h"
#include "dt_limits.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Invalid URLs printed one by one; beyond that only counted, so a wrong
 * file does not bury the terminal. */
#define DT_SUBMIT_BAD_SHOWN 100

typedef struct {
    size_t shown; /* bad URLs printed so far */
} s_report_t;

static void s_report_bad (void *arg, const char *where, const char *why, dt_str_t url)
{
    s_report_t *report = arg;
    if (report->shown++ >= DT_SUBMIT_BAD_SHOWN)
        return;
    char shown[120];
    dt_cli_printable (shown, sizeof shown, url);
    fprintf (stderr, "dtask: %s: not a url: %s: %s\n", where, why, shown);
}

/* Reads the arguments and the file into `urls`. Returns 0 or the exit code. */
static int s_read (const dt_submit_args_t *args, int argc, char **argv, dt_urls_t *urls,
                   char **blob_p, dt_jsonin_opts_t **line_opts_p)
{
    for (int i = args->first; i < argc; i++)
        if (dt_urls_add_arg (urls, argv[i]) != 0) {
            fprintf (stderr, "dtask: out of memory\n");
            return DT_CLI_EXIT_FAIL;
        }
    const char *file = args->file;
    if (args->jsonl && !file)
        return dt_cli_usage_error (dt_submit_usage (), "--jsonl reads -f FILE (or -f - for stdin)");
    if (args->jsonl && dt_jsonin_load (file, urls, blob_p, &args->opts, line_opts_p) != 0)
        return DT_CLI_EXIT_USAGE;
    if (!args->jsonl && file && dt_urls_load_file (urls, file) != 0) {
        fprintf (stderr, "dtask: cannot read %s: %s\n",
                 strcmp (file, "-") ? file : "standard input", strerror (errno));
        return DT_CLI_EXIT_USAGE;
    }
    return 0;
}

int dt_submit_input_load (const dt_submit_args_t *args, int argc, char **argv, dt_urls_t *urls,
                          char **blob_p, dt_jsonin_opts_t **line_opts_p)
{
    int code = s_read (args, argc, argv, urls, blob_p, line_opts_p);
    if (code != 0)
        return code;
    s_report_t report = {0};
    int http = strcmp (args->kind, DT_KIND_HTTP) == 0;
    /* Only http payloads are URLs; any other kind's are bytes, within the
     * protocol's cap. */
    size_t bad = http ? dt_urls_check (urls, s_report_bad, &report) : 0;
    for (size_t i = 0; !http && i < dt_urls_count (urls); i++)
        if (dt_urls_items (urls)[i].len > DT_LIMIT_PAYLOAD_MAX) {
            fprintf (stderr, "dtask: payload %zu is %" PRIu32 " bytes, over the %d-byte limit\n",
                     i + 1, dt_urls_items (urls)[i].len, DT_LIMIT_PAYLOAD_MAX);
            bad++;
        }
    if (bad > 0) {
        if (bad > DT_SUBMIT_BAD_SHOWN)
            fprintf (stderr, "dtask: ... %zu more invalid URLs not shown\n",
                     bad - DT_SUBMIT_BAD_SHOWN);
        fprintf (stderr, "dtask: %zu of %zu URLs are invalid: nothing was submitted\n", bad,
                 dt_urls_count (urls));
        return DT_CLI_EXIT_USAGE;
    }
    if (dt_urls_count (urls) == 0) {
        fprintf (stderr, "dtask: no URLs in %s: nothing to submit\n",
                 !args->file                ? "the arguments"
                 : strcmp (args->file, "-") ? args->file
                                            : "standard input");
        return DT_CLI_EXIT_USAGE;
    }
    return 0;
}
