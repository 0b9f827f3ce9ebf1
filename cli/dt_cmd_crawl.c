/* dt_cmd_crawl.c - `dtask crawl`: start a crawl from seed URLs, optionally wait for every page. */
#include "dt_cli.h"
#include "dt_httpflags.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_stream.h"
#include "dt_url.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_usage =
    "usage: dtask crawl [--job ID] [--wait] [--depth N] [--scope SCOPE] [--max-pages N] SEED...\n"
    "Starts a crawl: the master fetches each seed, then every page it links to\n"
    "within the scope, each URL once, until none is left.\n"
    "  --job ID          the crawl's job id (default: a random one)\n"
    "  -w, --wait        then print each page's result as a JSON line on stdout,\n"
    "                    until the crawl is over\n"
    "  --depth N         follow links at most N steps from a seed (0: the seeds\n"
    "                    alone; default: no limit)\n"
    "  --scope SCOPE     which links to follow:\n"
    "                      host          the host and port of a seed (default)\n"
    "                      domain        a seed's host and its subdomains\n"
    "                                    (a leading www. of the seed dropped)\n"
    "                      prefix:URL    URLs that start with URL\n"
    "                      regex:RE      URLs matching the POSIX extended regex RE\n"
    "                                    (at most 512 bytes, no back-references)\n"
    "  --max-pages N     make at most N tasks in all, seeds included\n"
    "  --host-delay MS   at least MS between the starts of two requests to one\n"
    "                    origin (default: the master's --host-delay); robots.txt\n"
    "                    is obeyed\n"
    "  --save FORMAT     warc: the master archives every page as fetched (see\n"
    "                    `dtask export`); none (default): results only\n"
    "Without --wait, prints the job id; follow it with `dtask results --job ID\n"
    "--follow`, stop it with `dtask cancel --job ID`. The HTTP options below\n"
    "apply to every page of the crawl.\n";

/* The usage, then the HTTP options' lines. */
static const char *s_usage_text (void)
{
    static char text[2048 + 2048];
    if (!text[0])
        snprintf (text, sizeof text, "%s\n%s", s_usage, dt_httpflags_usage);
    return text;
}

/* getopt values of --host-delay and --save (dt_httpflags.h has 0x10xx). */
#define S_OPT_HOST_DELAY 0x1102
#define S_OPT_SAVE       0x1103

/* Bytes of a random job id: as submit's. */
#define S_JOB_BYTES 8

static int s_random_job (char *out, size_t out_size)
{
    unsigned char bytes[S_JOB_BYTES];
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    ssize_t n = read (fd, bytes, sizeof bytes);
    close (fd);
    if (n != (ssize_t) sizeof bytes || out_size <= 2 * sizeof bytes)
        return -1;
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf (out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

/* A whole decimal number in [min, max]. */
static int s_number (const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Parses --scope into the crawl tuple (scope borrowed from `text`). */
static int s_scope (const char *text, dt_msg_crawl_t *crawl)
{
    if (strcmp (text, "host") == 0)
        crawl->scope_kind = DT_SCOPE_HOST;
    else if (strcmp (text, "domain") == 0)
        crawl->scope_kind = DT_SCOPE_DOMAIN;
    else if (strncmp (text, "prefix:", 7) == 0 && text[7]) {
        crawl->scope_kind = DT_SCOPE_PREFIX;
        crawl->scope = dt_str (text + 7);
    } else if (strncmp (text, "regex:", 6) == 0 && text[6]) {
        crawl->scope_kind = DT_SCOPE_REGEX;
        crawl->scope = dt_str (text + 6);
    } else
        return -1;
    return 0;
}

int dt_cmd_crawl (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longs[] = {
        {"job", required_argument, NULL, 'j'},
        {"wait", no_argument, NULL, 'w'},
        {"depth", required_argument, NULL, 'd'},
        {"scope", required_argument, NULL, 's'},
        {"max-pages", required_argument, NULL, 'm'},
        {"host-delay", required_argument, NULL, S_OPT_HOST_DELAY},
        {"save", required_argument, NULL, S_OPT_SAVE},
        {"help", no_argument, NULL, 'h'},
        DT_HTTPFLAGS_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *job = NULL;
    int wait = 0, c;
    uint32_t host_delay_ms = 0, save = 0;
    dt_msg_crawl_t crawl = {DT_SCOPE_HOST, {"", 0}, DT_CRAWL_DEPTH_ANY, 0};
    uint64_t value;
    dt_httpflags_t http;
    dt_httpflags_init (&http);
    char why[256];
    opterr = 0;
    optind = 1;
    while ((c = getopt_long (argc, argv, ":j:wd:s:m:hH:", longs, NULL)) != -1) {
        int taken = dt_httpflags_parse (&http, c, optarg, why, sizeof why);
        if (taken < 0)
            return dt_cli_usage_error (s_usage_text (), "%s", why);
        if (taken)
            continue;
        switch (c) {
        case 'j':
            if (dt_cli_check_job (optarg, s_usage_text ()) != 0)
                return DT_CLI_EXIT_USAGE;
            job = optarg;
            break;
        case 'w':
            wait = 1;
            break;
        case S_OPT_SAVE:
            /* As submit's --save: the master refuses it without an archive. */
            if (dt_cli_parse_save (optarg, &save, s_usage_text ()) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case 'd':
            if (s_number (optarg, 0, DT_CRAWL_DEPTH_ANY - 1, &value) != 0)
                return dt_cli_usage_error (s_usage_text (), "--depth: '%s' is not a number",
                                           optarg);
            crawl.depth = (uint32_t) value;
            break;
        case 's':
            if (s_scope (optarg, &crawl) != 0)
                return dt_cli_usage_error (s_usage_text (), "--scope: '%s' is not a scope", optarg);
            if (crawl.scope.len > (crawl.scope_kind == DT_SCOPE_REGEX ? DT_LIMIT_SCOPE_REGEX_MAX
                                                                      : DT_LIMIT_SCOPE_MAX))
                return dt_cli_usage_error (s_usage_text (), "--scope: too long");
            break;
        case 'm':
            if (s_number (optarg, 1, UINT64_MAX, &value) != 0)
                return dt_cli_usage_error (s_usage_text (), "--max-pages: '%s' is not a number > 0",
                                           optarg);
            crawl.max_pages = value;
            break;
        case S_OPT_HOST_DELAY:
            if (dt_cli_parse_host_delay (optarg, &host_delay_ms, s_usage_text ()) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case 'h':
            fputs (s_usage_text (), stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage_text ());
        }
    }
    uint32_t nseeds = (uint32_t) (argc - optind);
    if (nseeds == 0)
        return dt_cli_usage_error (s_usage_text (), "no seed URL");
    if (nseeds > DT_LIMIT_BATCH_MAX)
        return dt_cli_usage_error (s_usage_text (), "at most %d seeds", DT_LIMIT_BATCH_MAX);
    if (crawl.scope_kind == DT_SCOPE_PREFIX &&
        dt_url_check (crawl.scope.ptr, crawl.scope.len, why, sizeof why) != 0)
        return dt_cli_usage_error (s_usage_text (), "--scope prefix: %s", why);
    dt_str_t *seeds = calloc (nseeds, sizeof *seeds);
    if (!seeds) {
        fprintf (stderr, "dtask: out of memory\n");
        return DT_CLI_EXIT_FAIL;
    }
    for (uint32_t i = 0; i < nseeds; i++) {
        seeds[i] = dt_str (argv[optind + (int) i]);
        if (dt_url_check (seeds[i].ptr, seeds[i].len, why, sizeof why) != 0) {
            free (seeds);
            return dt_cli_usage_error (s_usage_text (), "seed %" PRIu32 ": %s", i + 1, why);
        }
    }
    char random_job[2 * S_JOB_BYTES + 1];
    if (!job) {
        if (s_random_job (random_job, sizeof random_job) != 0) {
            free (seeds);
            fprintf (stderr, "dtask: cannot read /dev/urandom\n");
            return DT_CLI_EXIT_FAIL;
        }
        job = random_job;
    }
    dt_rpc_t *rpc = dt_cli_connect (opts);
    if (!rpc) {
        free (seeds);
        return DT_CLI_EXIT_FAIL;
    }
    fprintf (stderr, "job %s\n", job);
    fflush (stderr);
    /* With --wait, a master restart is waited out as submit --wait does. */
    dt_rpc_set_persistent (rpc, wait);
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_SUBMIT;
    request.submit.job = dt_str (job);
    request.submit.chunk = 0;
    request.submit.flags = DT_SUBMIT_CRAWL | save;
    request.submit.count = nseeds;
    request.submit.payloads = seeds;
    request.submit.http = http.msg;
    request.submit.crawl = crawl;
    request.submit.host_delay_ms = host_delay_ms;
    int code = DT_CLI_EXIT_OK;
    int rc = dt_rpc_call (rpc, &request, &reply);
    uint32_t accepted = 0;
    if (rc != 0)
        code = dt_cli_rpc_failed (opts, rc);
    else if (reply.type != DT_MSG_SUBMIT_OK)
        code = dt_cli_refused (&reply);
    else
        accepted = reply.submit_ok.count;
    dt_msg_reset (&reply);
    free (seeds);
    if (code != DT_CLI_EXIT_OK)
        goto done;
    if (!wait) {
        printf ("crawl started from %" PRIu32 " seeds (job %s)\n", accepted, job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
        goto done;
    }
    dt_stream_opts_t stream = {
        .job = job,
        .expect = accepted,
        .grows = 1,
        .progress = !opts->quiet && isatty (STDERR_FILENO),
        .summary = 1,
    };
    code = dt_stream_run (opts, rpc, &stream);
done:
    dt_rpc_destroy (&rpc);
    return code;
}
