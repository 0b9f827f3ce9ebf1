/* dt_cmd_submit.c - `dtask submit`: check URLs, send them in pipelined chunks, optionally wait for
 * results. */
#define _GNU_SOURCE /* strptime, timegm */
#include "dt_httpflags.h"
#include "dt_cli.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_stream.h"
#include "dt_jsonin.h"
#include "dt_urls.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Chunks in flight at once: enough to keep the master busy while replies
 * travel back (8 x 4096 URLs), few enough that a full queue wastes little. */
#define DT_SUBMIT_WINDOW 8

/* Waiting for room in a full queue: first pause, doubled per refusal. */
#define DT_SUBMIT_ROOM_FIRST_MS 250
#define DT_SUBMIT_ROOM_MAX_MS   5000

/* Invalid URLs printed one by one; beyond that only counted, so a wrong
 * file does not bury the terminal. */
#define DT_SUBMIT_BAD_SHOWN 100

/* submit --append: places before the job's next chunk where an earlier
 * run of the same append may have put its largest chunk (the first one a
 * run sends), tried after the place a complete run would have. Each try is
 * one resend-only SUBMIT of that chunk, so a fresh append costs this many
 * extra round trips at most. */
#define DT_SUBMIT_APPEND_PROBES 8

/* getopt values of the long-only politeness options (dt_httpflags.h has 0x10xx). */
#define S_OPT_ROBOTS     0x1101
#define S_OPT_HOST_DELAY 0x1102

/* Random job ids: 8 bytes as 16 hex digits. */
#define DT_SUBMIT_JOB_BYTES 8

static const char s_usage[] =
    "usage: dtask submit [--job ID] [--wait] [--no-wait-room] [HTTP options] [-f FILE] [URL...]\n"
    "       dtask submit --kind KIND [--priority P] [--delay SECONDS | --at TIME]\n"
    "                    [--max-attempts N] [--task-timeout SECONDS] [options] PAYLOAD... | -f "
    "FILE\n"
    "\n"
    "Submits tasks to the master as one job: http(s) URLs, or with --kind payloads\n"
    "for the workers serving KIND. Everything is checked first; if anything is\n"
    "invalid, it is reported and nothing is submitted (exit 2).\n"
    "\n"
    "  -f, --file FILE     read URLs (payloads) from FILE, one per line ('-': standard\n"
    "                      input); blank lines and lines starting with '#' are skipped\n"
    "  -k, --kind KIND     the tasks' kind (1 to 32 of a-z, 0-9, _, -; default http)\n"
    "      --priority P    0 (default) to 9: higher goes first\n"
    "      --delay SECONDS not before SECONDS from now\n"
    "      --at TIME       not before TIME: seconds since 1970, or UTC YYYY-MM-DDTHH:MM:SS[Z]\n"
    "      --max-attempts N   dispatches each task gets (default: the master's)\n"
    "      --task-timeout SECONDS  each run's limit (at most the master's --task-timeout)\n"
    "      --save warc|none  warc: the master keeps each fetch's request and response as\n"
    "                      WARC records (read back with dtask get and dtask export);\n"
    "                      none (default): only the results\n"
    "      --robots        obey each site's robots.txt: it is fetched once per origin\n"
    "                      before the first page, and pages it disallows fail with\n"
    "                      \"robots.txt disallows\", unfetched\n"
    "      --host-delay MS at least MS between the starts of two requests to one\n"
    "                      origin (scheme, host, port) over all workers (default:\n"
    "                      the master's --host-delay)\n"
    "      --jsonl         -f FILE holds one JSON object a line, {\"payload\": TEXT} or\n"
    "                      {\"payload_base64\": BASE64}: payloads with newlines or binary data;\n"
    "                      a line may add options of its own over the command line's:\n"
    "                      \"priority\", \"delay\" or \"at\", \"max_attempts\", \"task_timeout\"\n"
    "  -j, --job ID        job id (default: 16 random hex digits); submitting the\n"
    "                      same input under the same id again adds nothing twice\n"
    "  -a, --append        add these URLs to the existing job --job ID, as chunks\n"
    "                      after its last one (a new job when it has none); the\n"
    "                      same append run again adds nothing twice, as long as\n"
    "                      no other append to the job came in between\n"
    "  -w, --wait          then print each task's result as a JSON line on stdout\n"
    "                      until all are final (a progress line on stderr when it\n"
    "                      is a terminal); keeps waiting across master restarts\n"
    "      --no-wait-room  exit 4 if the master's queue is full, instead of\n"
    "                      waiting for room\n"
    "  -h, --help          this help\n"
    "\n"
    "Prints \"job ID\" on stderr before anything is sent (even with -q), so an\n"
    "interrupted submission can be named; then \"accepted N tasks (job ID)\" on\n"
    "stdout, or on stderr with --wait; or, when the job had every chunk already,\n"
    "\"job ID: all N tasks were already submitted; nothing new\" on stdout.\n"
    "With --wait, exits 0 once every task is final, done or failed, and prints\n"
    "\"N done, M failed\" on stderr.\n";

/* The usage, then the HTTP options' lines. */
static const char *s_usage_text (void)
{
    static char text[sizeof s_usage + 2048];
    if (!text[0])
        snprintf (text, sizeof text, "%s\n%s", s_usage, dt_httpflags_usage);
    return text;
}

typedef enum {
    S_CHUNK_QUEUED,   /* to be sent (again), not before retry_at */
    S_CHUNK_INFLIGHT, /* sent, no reply yet */
    S_CHUNK_ACCEPTED, /* SUBMIT_OK received */
} s_chunk_state_t;

typedef struct {
    dt_urls_chunk_t range; /* its URLs */
    s_chunk_state_t state;
    uint32_t number; /* chunk number in the job: base + its place in the cut */

    const dt_jsonin_opts_t *opts; /* its tasks' options (borrowed) */
} s_chunk_t;

typedef struct {
    const dt_cli_opts_t *cli;
    const char *kind;             /* every task's kind: "http" unless --kind */
    uint32_t flags;               /* DT_SUBMIT_SAVE with --save warc */
    dt_jsonin_opts_t opts;        /* every task's options (PROTOCOL.md SUBMIT) */
    uint32_t polite_flags;        /* DT_SUBMIT_ROBOTS (--robots) */
    uint32_t host_delay_ms;       /* --host-delay */
    const dt_msg_httpopt_t *http; /* the job's HTTP options, borrowed */
    const char *job;              /* borrowed */
    const dt_str_t *urls;         /* borrowed from the URL list */
    s_chunk_t *chunks;            /* owned */
    size_t nchunks;               /* entries in chunks */
    size_t accepted_chunks;       /* chunks with SUBMIT_OK */
    uint64_t accepted_tasks;      /* sum of SUBMIT_OK counts */
    int wait_room;                /* on QUEUE_FULL, wait and resend */
    int64_t paused_until;         /* monotonic ms: no sends before this (queue full) */
    int room_backoff_ms;          /* next pause when the queue is full */
    int full;                     /* the last answer was QUEUE_FULL */
    const dt_urls_t *list;        /* borrowed: the URLs, to cut again */
    dt_urls_chunk_t *ranges;      /* owned: the cut the chunks were made from */
    size_t chunk_max;             /* most URLs in one chunk */
    size_t largest;               /* the chunk with the most URLs (the first of them): sent first */
    uint32_t base;                /* number of the first chunk (--append: after the job's last) */
    char full_why[DT_LIMIT_ERROR_MAX * 4 + 1]; /* QUEUE_FULL's text, escaped */

    dt_jsonin_opts_t *line_opts; /* --jsonl: each task's own options, or NULL (owned) */
} s_submit_t;

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

/* Tasks the master counts for `job` (STATUS --job), in *submitted.
 * Returns 0; 1 when the job is unknown (or the master answered anything
 * else); or a dt_rpc_call() error (no reply, a signal). */
static int s_job_submitted (dt_rpc_t *rpc, const char *job, uint64_t *submitted)
{
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_STATUS;
    request.status.job = dt_str (job);
    int rc = dt_rpc_call (rpc, &request, &reply);
    if (rc == 0 && reply.type == DT_MSG_STATUS_OK)
        *submitted = reply.status_ok.stats.submitted;
    else if (rc == 0)
        rc = 1;
    dt_msg_reset (&reply);
    return rc;
}

/* The job's next chunk number (JOBS), 0 when the master does not know the
 * job. Returns 0, or the exit code after printing why. */
static int s_next_chunk (s_submit_t *self, dt_rpc_t *rpc, uint32_t *next)
{
    dt_msg_t request, reply;
    dt_msg_init (&request);
    dt_msg_init (&reply);
    request.type = DT_MSG_JOBS;
    request.jobs.job = dt_str (self->job);
    request.jobs.max = 1;
    int rc = dt_rpc_call (rpc, &request, &reply);
    *next = 0;
    if (rc != 0)
        return dt_cli_rpc_failed (self->cli, rc);
    int code = DT_CLI_EXIT_OK;
    if (reply.type == DT_MSG_JOBS_OK && reply.jobs_ok.count == 1)
        *next = reply.jobs_ok.items[0].next_chunk;
    else if (!(reply.type == DT_MSG_ERROR && reply.error.code == DT_ERR_NO_SUCH_JOB))
        code = dt_cli_refused (&reply);
    dt_msg_reset (&reply);
    return code;
}

/* Whether the master holds chunk `index` of the cut as number `number`,
 * asked with a resend-only SUBMIT (which creates nothing). */
static int s_holds (s_submit_t *self, dt_rpc_t *rpc, size_t index, uint32_t number)
{
    const s_chunk_t *chunk = &self->chunks[index];
    dt_msg_t msg, reply;
    dt_msg_init (&msg);
    dt_msg_init (&reply);
    msg.type = DT_MSG_SUBMIT;
    msg.submit.job = dt_str (self->job);
    msg.submit.chunk = number;
    msg.submit.flags = DT_SUBMIT_RESEND_ONLY | self->polite_flags | self->flags;
    msg.submit.host_delay_ms = self->host_delay_ms;
    /* A resend names the same kind and options: they are part of each task. */
    msg.submit.kind = dt_str (self->kind);
    msg.submit.priority = chunk->opts->priority;
    msg.submit.not_before = chunk->opts->not_before;
    msg.submit.max_attempts = chunk->opts->max_attempts;
    msg.submit.timeout_ms = chunk->opts->timeout_ms;
    msg.submit.http = *self->http;
    msg.submit.count = chunk->range.count;
    msg.submit.payloads = (dt_str_t *) &self->urls[chunk->range.first];
    int held = dt_rpc_call (rpc, &msg, &reply) == 0 && reply.type == DT_MSG_SUBMIT_OK;
    dt_msg_reset (&reply);
    return held;
}

/* --append: numbers the cut's chunks after the job's last one, or where an
 * earlier run of this same append put them (PROTOCOL.md, "Appending"), so
 * that a run again resends instead of adding twice. Returns 0, or the exit
 * code after printing why. */
static int s_append_base (s_submit_t *self, dt_rpc_t *rpc)
{
    uint32_t next = 0;
    int code = s_next_chunk (self, rpc, &next);
    if (code != DT_CLI_EXIT_OK)
        return code;
    size_t n = self->nchunks, largest = self->largest;
    uint32_t base = next;
    /* A complete earlier run ends the job: its largest chunk is at
     * next - n + largest. Then one cut short: a little further back. */
    int found = next >= n && s_holds (self, rpc, largest, (uint32_t) (next - n + largest));
    if (found)
        base = (uint32_t) (next - n);
    for (uint32_t k = 1; !found && k <= DT_SUBMIT_APPEND_PROBES && k <= next; k++) {
        uint32_t at = next - k;
        if (at < largest || (next >= n && at == next - n + largest))
            continue;
        if (at + n - largest < next)
            break; /* a run based there would have ended before the job does */
        if ((found = s_holds (self, rpc, largest, at)))
            base = (uint32_t) (at - largest);
    }
    if (base > UINT32_MAX - n) {
        fprintf (stderr, "dtask: job %s has too many chunks to append to\n", self->job);
        return DT_CLI_EXIT_USAGE;
    }
    dt_log_debug ("SUBMIT-APPEND", "job %s: chunks from %" PRIu32 " (next %" PRIu32 ")%s",
                  self->job, base, next, found ? ": a resend" : "");
    self->base = base;
    for (size_t i = 0; i < n; i++)
        self->chunks[i].number = base + (uint32_t) i;
    return 0;
}

static int s_random_job (char *out, size_t out_size)
{
    unsigned char bytes[DT_SUBMIT_JOB_BYTES];
    int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    ssize_t n = read (fd, bytes, sizeof bytes);
    close (fd);
    if (n != (ssize_t) sizeof bytes)
        return -1;
    assert (out_size > 2 * sizeof bytes);
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf (out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

/* True when tasks i and j have the same options. */
static int s_same_options (const dt_jsonin_opts_t *a, const dt_jsonin_opts_t *b)
{
    return a->priority == b->priority && a->not_before == b->not_before &&
           a->max_attempts == b->max_attempts && a->timeout_ms == b->timeout_ms;
}

/* --jsonl: a SUBMIT's options are its chunk's, so a chunk is cut again
 * wherever a line's options differ from the line before: consecutive lines
 * with the same options share chunks. The cut still depends only on the
 * input, so chunk numbers do too. Returns 0, or -1 when out of memory. */
static int s_split_by_options (s_submit_t *self, dt_urls_chunk_t **ranges_p, size_t *n_p)
{
    const dt_jsonin_opts_t *o = self->line_opts;
    size_t n = *n_p, more = 0;
    for (size_t c = 0; c < n; c++)
        for (uint32_t k = 1; k < (*ranges_p)[c].count; k++)
            more +=
                !s_same_options (&o[(*ranges_p)[c].first + k], &o[(*ranges_p)[c].first + k - 1]);
    if (more == 0)
        return 0;
    dt_urls_chunk_t *out = malloc ((n + more) * sizeof *out);
    if (!out)
        return -1;
    size_t m = 0;
    for (size_t c = 0; c < n; c++) {
        dt_urls_chunk_t r = (*ranges_p)[c];
        out[m++] = (dt_urls_chunk_t){r.first, 1};
        for (uint32_t k = 1; k < r.count; k++) {
            size_t i = r.first + k;
            if (s_same_options (&o[i], &o[i - 1]))
                out[m - 1].count++;
            else
                out[m++] = (dt_urls_chunk_t){i, 1};
        }
    }
    free (*ranges_p);
    *ranges_p = out;
    *n_p = m;
    return 0;
}

/* Cuts the URLs into chunks of at most `max` URLs, all to be sent.
 * Returns 0, or -1 when out of memory. The cut depends only on the URLs
 * and `max`, so a resubmission under the same job id cuts them alike. */
static int s_cut (s_submit_t *self, size_t max)
{
    size_t n = 0;
    dt_urls_chunk_t *ranges = dt_urls_chunk (self->list, max, DT_LIMIT_BATCH_BYTES, &n);
    if (ranges && self->line_opts && s_split_by_options (self, &ranges, &n) != 0) {
        free (ranges);
        ranges = NULL;
    }
    s_chunk_t *chunks = ranges && n <= UINT32_MAX ? calloc (n, sizeof *chunks) : NULL;
    if (!chunks) {
        free (ranges);
        return -1;
    }
    size_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        chunks[i] = (s_chunk_t){ranges[i], S_CHUNK_QUEUED, self->base + (uint32_t) i,
                                self->line_opts ? &self->line_opts[ranges[i].first] : &self->opts};
        if (ranges[i].count > ranges[largest].count)
            largest = i;
    }
    free (self->ranges);
    free (self->chunks);
    self->ranges = ranges;
    self->chunks = chunks;
    self->nchunks = n;
    self->chunk_max = max;
    self->largest = largest;
    return 0;
}

/* The master's --max-pending, from its refusal of a chunk larger than it
 * ("... --max-pending N"), or 0. */
static uint64_t s_queue_limit (const dt_msg_t *reply)
{
    char text[DT_LIMIT_ERROR_MAX + 1];
    size_t len =
        reply->error.text.len < DT_LIMIT_ERROR_MAX ? reply->error.text.len : DT_LIMIT_ERROR_MAX;
    memcpy (text, reply->error.text.ptr, len);
    text[len] = '\0';
    const char *at = strstr (text, "--max-pending ");
    return at ? strtoull (at + strlen ("--max-pending "), NULL, 10) : 0;
}

/* The chunk to send now, or -1. Until one is accepted, only the largest:
 * chunks cut by bytes (DT_LIMIT_BATCH_BYTES) differ in size, and once it
 * fits under --max-pending every other one does, so no chunk can be
 * refused TOO_BIG after part of the job is in. Then the lowest-numbered. */
static ssize_t s_next_to_send (const s_submit_t *self)
{
    if (self->accepted_chunks == 0)
        return self->chunks[self->largest].state == S_CHUNK_QUEUED ? (ssize_t) self->largest : -1;
    for (size_t i = 0; i < self->nchunks; i++)
        if (self->chunks[i].state == S_CHUNK_QUEUED)
            return (ssize_t) i;
    return -1;
}

static int s_send_chunk (s_submit_t *self, dt_rpc_t *rpc, s_chunk_t *chunk)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_SUBMIT;
    msg.submit.job = dt_str (self->job);
    msg.submit.chunk = chunk->number;
    msg.submit.flags = self->polite_flags | self->flags;
    msg.submit.host_delay_ms = self->host_delay_ms;
    msg.submit.kind = dt_str (self->kind);
    msg.submit.priority = chunk->opts->priority;
    msg.submit.not_before = chunk->opts->not_before;
    msg.submit.max_attempts = chunk->opts->max_attempts;
    msg.submit.timeout_ms = chunk->opts->timeout_ms;
    msg.submit.http = *self->http;
    msg.submit.count = chunk->range.count;
    /* Sending only reads the payloads; the codec's API is shared with decoding. */
    msg.submit.payloads = (dt_str_t *) &self->urls[chunk->range.first];
    if (dt_rpc_start (rpc, &msg, chunk) != 0)
        return -1;
    chunk->state = S_CHUNK_INFLIGHT;
    return 0;
}

/* Handles the reply to one chunk. Returns 0 to go on, or an exit code. */
static int s_on_reply (s_submit_t *self, s_chunk_t *chunk, const dt_msg_t *reply)
{
    if (!chunk)
        return dt_cli_refused (reply); /* an ERROR the master could not address */
    if (reply->type == DT_MSG_SUBMIT_OK) {
        if (reply->submit_ok.chunk != chunk->number)
            dt_log_warn ("SUBMIT-MISMATCH",
                         "job %s: SUBMIT_OK names chunk %" PRIu32 " for chunk %" PRIu32, self->job,
                         reply->submit_ok.chunk, chunk->number);
        chunk->state = S_CHUNK_ACCEPTED;
        self->accepted_chunks++;
        self->accepted_tasks += reply->submit_ok.count;
        self->full = 0;
        self->room_backoff_ms = DT_SUBMIT_ROOM_FIRST_MS;
        dt_log_debug ("SUBMIT-OK", "job %s chunk %" PRIu32 ": %" PRIu32 " tasks from id %" PRIu64,
                      self->job, chunk->number, reply->submit_ok.count, reply->submit_ok.first_id);
        return 0;
    }
    /* A chunk over --max-pending: cut the URLs to the limit and start
     * again. Only before any chunk is accepted (the largest is sent first
     * and alone), so the chunks of a job never mix two cuts. */
    if (reply->type == DT_MSG_ERROR && reply->error.code == DT_ERR_TOO_BIG &&
        self->accepted_chunks == 0) {
        uint64_t limit = s_queue_limit (reply);
        if (limit > 0 && limit < self->chunk_max) {
            char text[DT_LIMIT_ERROR_MAX + 64];
            dt_cli_printable (text, sizeof text, reply->error.text);
            dt_log_debug ("SUBMIT-CUT", "job %s: master: %s; chunks of at most %" PRIu64 " URLs",
                          self->job, text, limit);
            if (s_cut (self, (size_t) limit) != 0) {
                fprintf (stderr, "dtask: out of memory\n");
                return DT_CLI_EXIT_FAIL;
            }
            return 0;
        }
    }
    if (reply->type == DT_MSG_ERROR && reply->error.code == DT_ERR_QUEUE_FULL) {
        chunk->state = S_CHUNK_QUEUED;
        dt_log_escape (self->full_why, sizeof self->full_why, reply->error.text.ptr,
                       reply->error.text.len, DT_LIMIT_ERROR_MAX);
        if (!self->wait_room)
            return 0; /* the caller stops sending and reports once all replies are in */
        if (!self->full)
            dt_log_info ("QUEUE-FULL",
                         "queue full, waiting for room (job %s, %zu of %zu chunks "
                         "accepted)",
                         self->job, self->accepted_chunks, self->nchunks);
        self->full = 1;
        /* The other chunks of the window come back full too: one pause
         * for all of them, not one doubling each. */
        int64_t now = zclock_mono ();
        if (now >= self->paused_until) {
            self->paused_until = now + self->room_backoff_ms;
            self->room_backoff_ms *= 2;
            if (self->room_backoff_ms > DT_SUBMIT_ROOM_MAX_MS)
                self->room_backoff_ms = DT_SUBMIT_ROOM_MAX_MS;
        }
        return 0;
    }
    return dt_cli_refused (reply);
}

/* Sends every chunk, DT_SUBMIT_WINDOW at a time (one at a time while the
 * queue is full). Returns 0 once all are accepted, or an exit code. */
static int s_submit_all (s_submit_t *self, dt_rpc_t *rpc)
{
    int stopping = 0; /* QUEUE_FULL with --no-wait-room: drain, then report */
    dt_msg_t reply;
    dt_msg_init (&reply);
    while (self->accepted_chunks < self->nchunks) {
        int64_t now = zclock_mono ();
        /* The largest chunk goes first, alone: its answer may cut the chunks again. */
        size_t window = self->full || self->accepted_chunks == 0 ? 1 : DT_SUBMIT_WINDOW;
        while (!stopping && now >= self->paused_until && dt_rpc_inflight (rpc) < window) {
            ssize_t i = s_next_to_send (self);
            if (i < 0)
                break;
            if (s_send_chunk (self, rpc, &self->chunks[i]) != 0)
                return DT_CLI_EXIT_FAIL;
        }
        if (dt_rpc_inflight (rpc) == 0 && stopping)
            break;
        int max_ms = -1;
        if (dt_rpc_inflight (rpc) == 0 || (now < self->paused_until))
            max_ms = self->paused_until > now ? (int) (self->paused_until - now) : 0;
        void *tag = NULL;
        int rc = dt_rpc_wait (rpc, &reply, &tag, max_ms);
        if (rc == DT_RPC_EAGAIN)
            continue;
        if (rc == DT_RPC_EINTR) {
            fprintf (stderr,
                     "dtask: interrupted while submitting: accepted %" PRIu64
                     " of %zu tasks under job %s; to add the rest, run the same submit again "
                     "with --job %s (what was accepted is not added twice)\n",
                     self->accepted_tasks, dt_urls_count (self->list), self->job, self->job);
            return DT_CLI_EXIT_INTERRUPTED;
        }
        if (rc != 0)
            return dt_cli_rpc_failed (self->cli, rc);
        int code = s_on_reply (self, tag, &reply);
        int full = reply.type == DT_MSG_ERROR && reply.error.code == DT_ERR_QUEUE_FULL;
        dt_msg_reset (&reply);
        if (code != 0)
            return code;
        if (full && !self->wait_room)
            stopping = 1;
    }
    if (stopping) {
        fprintf (stderr,
                 "dtask: master queue is full (--no-wait-room): %s; accepted %" PRIu64
                 " of %zu tasks under job %s; to add the rest, run the same submit again with "
                 "--job %s once there is room (what was accepted is not added twice)\n",
                 self->full_why, self->accepted_tasks, dt_urls_count (self->list), self->job,
                 self->job);
        return DT_CLI_EXIT_REFUSED;
    }
    return 0;
}

/* A whole number 0..max, nothing else. Returns 0 or -1. */
static int s_uint (const char *text, unsigned long long max, unsigned long long *v)
{
    if (!*text || strspn (text, "0123456789") != strlen (text) || strlen (text) > 19)
        return -1;
    *v = strtoull (text, NULL, 10);
    return *v <= max ? 0 : -1;
}

/* Seconds, 0..max, a decimal fraction allowed. Returns 0 or -1. */
static int s_seconds (const char *text, double max, double *secs)
{
    char *end;
    if (!*text || strspn (text, "0123456789.") != strlen (text))
        return -1;
    errno = 0;
    *secs = strtod (text, &end);
    return errno || *end || *secs < 0 || *secs > max ? -1 : 0;
}

int dt_cmd_submit (const dt_cli_opts_t *opts, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"wait", no_argument, NULL, 'w'},
        {"no-wait-room", no_argument, NULL, 'R'},
        {"file", required_argument, NULL, 'f'},
        {"append", no_argument, NULL, 'a'},
        {"kind", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"priority", required_argument, NULL, 'P'},
        {"delay", required_argument, NULL, 'D'},
        {"at", required_argument, NULL, 'A'},
        {"max-attempts", required_argument, NULL, 'M'},
        {"task-timeout", required_argument, NULL, 'T'},
        {"jsonl", no_argument, NULL, 'L'},
        {"save", required_argument, NULL, 'S'},
        DT_HTTPFLAGS_LONGOPTS,
        {"robots", no_argument, NULL, S_OPT_ROBOTS},
        {"host-delay", required_argument, NULL, S_OPT_HOST_DELAY},
        {NULL, 0, NULL, 0},
    };
    const char *job = NULL, *file = NULL, *kind = DT_KIND_HTTP;
    int wait = 0, wait_room = 1, append = 0, c, timed = 0, jsonl = 0;
    char *blob = NULL; /* --jsonl: the payloads, borrowed by the list */
    unsigned long long v;
    double secs;
    s_submit_t self = {0};
    dt_httpflags_t flags;
    dt_httpflags_init (&flags);
    self.http = &flags.msg;
    char why[256];
    optind = 0;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":j:awf:k:hH:", longopts, NULL)) != -1) {
        int taken = dt_httpflags_parse (&flags, c, optarg, why, sizeof why);
        if (taken < 0)
            return dt_cli_usage_error (s_usage_text (), "%s", why);
        if (taken)
            continue;
        switch (c) {
        case 'L':
            jsonl = 1;
            break;
        case 'S':
            if (dt_cli_parse_save (optarg, &self.flags, s_usage_text ()) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case S_OPT_ROBOTS:
            self.polite_flags |= DT_SUBMIT_ROBOTS;
            break;
        case S_OPT_HOST_DELAY:
            if (dt_cli_parse_host_delay (optarg, &self.host_delay_ms, s_usage) != 0)
                return DT_CLI_EXIT_USAGE;
            break;
        case 'P':
            if (s_uint (optarg, DT_PRIORITY_MAX, &v) != 0)
                return dt_cli_usage_error (s_usage_text (),
                                           "--priority: a whole number 0 to %d, not '%s'",
                                           DT_PRIORITY_MAX, optarg);
            self.opts.priority = (uint8_t) v;
            break;
        case 'D':
        case 'A':
            if (timed++)
                return dt_cli_usage_error (s_usage_text (), "give one of --delay and --at, once");
            if (c == 'D' && s_seconds (optarg, DT_SUBMIT_DELAY_MAX_S, &secs) != 0)
                return dt_cli_usage_error (s_usage_text (), "--delay: seconds, 0 to %d, not '%s'",
                                           DT_SUBMIT_DELAY_MAX_S, optarg);
            if (c == 'A' && dt_jsonin_time (optarg, &secs) != 0)
                return dt_cli_usage_error (
                    s_usage_text (),
                    "--at: seconds since 1970 or UTC YYYY-MM-DDTHH:MM:SS[Z], not '%s'", optarg);
            self.opts.not_before = c == 'D' ? dt_jsonin_now_ms () + (uint64_t) (secs * 1000)
                                            : (uint64_t) (secs * 1000);
            break;
        case 'M':
            if (s_uint (optarg, DT_SUBMIT_ATTEMPTS_MAX, &v) != 0 || v == 0)
                return dt_cli_usage_error (s_usage_text (), "--max-attempts: 1 to %d, not '%s'",
                                           DT_SUBMIT_ATTEMPTS_MAX, optarg);
            self.opts.max_attempts = (uint32_t) v;
            break;
        case 'T':
            if (s_seconds (optarg, DT_SUBMIT_DELAY_MAX_S, &secs) != 0 || secs * 1000 < 1)
                return dt_cli_usage_error (s_usage_text (),
                                           "--task-timeout: seconds, over 0, to %d, not '%s'",
                                           DT_SUBMIT_DELAY_MAX_S, optarg);
            self.opts.timeout_ms = (uint32_t) (secs * 1000);
            break;
        case 'k':
            kind = optarg;
            if (!*kind || strlen (kind) > DT_LIMIT_KIND_MAX ||
                strspn (kind, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen (kind))
                return dt_cli_usage_error (s_usage_text (),
                                           "--kind: 1 to 32 of a-z, 0-9, _ and - (e.g. square)");
            break;
        case 'j':
            job = optarg;
            break;
        case 'w':
            wait = 1;
            break;
        case 'a':
            append = 1;
            break;
        case 'R':
            wait_room = 0;
            break;
        case 'f':
            if (file)
                return dt_cli_usage_error (s_usage_text (), "give -f only once");
            file = optarg;
            break;
        case 'h':
            fputs (s_usage_text (), stdout);
            return DT_CLI_EXIT_OK;
        default:
            return dt_cli_bad_option (c, argv, s_usage_text ());
        }
    }
    if (job && dt_cli_check_job (job, s_usage_text ()) != 0)
        return DT_CLI_EXIT_USAGE;
    if (strcmp (kind, DT_KIND_HTTP) != 0 && !dt_msg_httpopt_empty (&flags.msg))
        return dt_cli_usage_error (s_usage_text (), "HTTP options apply to http tasks only");
    if (append && !job)
        return dt_cli_usage_error (s_usage_text (),
                                   "submit: --append adds to a job: give --job ID");
    if (optind == argc && !file)
        return dt_cli_usage_error (s_usage_text (), "submit: no URLs given (pass URLs or -f FILE)");
    if ((self.flags & DT_SUBMIT_SAVE) && strcmp (kind, DT_KIND_HTTP) != 0)
        return dt_cli_usage_error (s_usage_text (),
                                   "--save warc keeps http fetches: not with --kind %s", kind);

    int code = DT_CLI_EXIT_FAIL;
    dt_rpc_t *rpc = NULL;
    self.cli = opts;
    self.wait_room = wait_room;
    self.room_backoff_ms = DT_SUBMIT_ROOM_FIRST_MS;
    dt_urls_t *urls = NULL;
    /* Connecting first lets the I/O thread open the connection (and run a
     * CURVE handshake) while this one reads and checks the URLs: for a big
     * file that is the time the master and its workers wait for a first
     * chunk. Nothing is sent before every URL has passed. */
    rpc = dt_cli_connect (opts);
    if (!rpc)
        goto done;
    urls = dt_urls_new ();
    if (!urls)
        goto nomem;
    for (int i = optind; i < argc; i++)
        if (dt_urls_add_arg (urls, argv[i]) != 0)
            goto nomem;
    if (jsonl && !file) {
        code = dt_cli_usage_error (s_usage_text (), "--jsonl reads -f FILE (or -f - for stdin)");
        goto done;
    }
    if (jsonl && dt_jsonin_load (file, urls, &blob, &self.opts, &self.line_opts) != 0) {
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }
    if (!jsonl && file && dt_urls_load_file (urls, file) != 0) {
        fprintf (stderr, "dtask: cannot read %s: %s\n",
                 strcmp (file, "-") ? file : "standard input", strerror (errno));
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }
    s_report_t report = {0};
    int http = strcmp (kind, DT_KIND_HTTP) == 0;
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
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }
    if (dt_urls_count (urls) == 0) {
        fprintf (stderr, "dtask: no URLs in %s: nothing to submit\n",
                 !file                ? "the arguments"
                 : strcmp (file, "-") ? file
                                      : "standard input");
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }

    char random_job[2 * DT_SUBMIT_JOB_BYTES + 1];
    if (!job) {
        if (s_random_job (random_job, sizeof random_job) != 0) {
            fprintf (stderr, "dtask: cannot read /dev/urandom for a job id: %s\n",
                     strerror (errno));
            goto done;
        }
        job = random_job;
    }
    self.job = job;
    self.kind = kind;
    self.urls = dt_urls_items (urls);
    self.list = urls;
    if (dt_urls_count (urls) / DT_LIMIT_BATCH_MAX >= UINT32_MAX) {
        fprintf (stderr, "dtask: too many URLs for one job\n");
        code = DT_CLI_EXIT_USAGE;
        goto done;
    }
    if (s_cut (&self, DT_LIMIT_BATCH_MAX) != 0)
        goto nomem;

    /* The id goes out before any upload: an interrupted submission leaves
     * tasks under it, and this is the only way to name them (cancel, purge,
     * or the same submit again). Shown even with -q, on stderr in every
     * mode, so stdout stays what each mode promises. */
    fprintf (stderr, "job %s\n", job);
    fflush (stderr);
    /* A job given by the user may exist: its tasks before and after tell a
     * resubmission that created nothing from one that added tasks. */
    dt_rpc_set_persistent (rpc, wait);
    uint64_t before = 0, after = 0;
    int known = 0;
    if (job != random_job) {
        int rc = s_job_submitted (rpc, job, &before);
        if (rc < 0) {
            code = dt_cli_rpc_failed (opts, rc);
            goto done;
        }
        known = rc == 0;
    }
    if (append && (code = s_append_base (&self, rpc)) != DT_CLI_EXIT_OK)
        goto done;
    dt_log_debug ("SUBMIT", "job %s: %zu URLs in %zu chunks to %s", job, dt_urls_count (urls),
                  self.nchunks, opts->master);
    code = s_submit_all (&self, rpc);
    if (code != 0)
        goto done;
    if (known && s_job_submitted (rpc, job, &after) == 0 && after == before) {
        printf ("job %s: all %" PRIu64 " tasks were already submitted; nothing new\n", job,
                self.accepted_tasks);
        if (wait && !opts->quiet)
            fprintf (stderr, "job %s: nothing new to wait for\n", job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
        goto done;
    }
    if (!wait) {
        printf ("accepted %" PRIu64 " tasks (job %s)\n", self.accepted_tasks, job);
        code = dt_cli_flush_stdout () == 0 ? DT_CLI_EXIT_OK : DT_CLI_EXIT_FAIL;
        goto done;
    }
    if (!opts->quiet)
        fprintf (stderr, "accepted %" PRIu64 " tasks (job %s)\n", self.accepted_tasks, job);
    if (self.accepted_tasks == 0) {
        if (!opts->quiet)
            fprintf (stderr, "0 done, 0 failed\n");
        code = DT_CLI_EXIT_OK;
        goto done;
    }
    dt_stream_opts_t stream = {
        .job = job,
        .expect = self.accepted_tasks,
        .progress = !opts->quiet && isatty (STDERR_FILENO),
        .summary = 1,
    };
    code = dt_stream_run (opts, rpc, &stream);
    goto done;
nomem:
    fprintf (stderr, "dtask: out of memory\n");
    code = DT_CLI_EXIT_FAIL;
done:
    dt_rpc_destroy (&rpc);
    free (self.chunks);
    free (self.ranges);
    free (self.line_opts);
    dt_urls_destroy (&urls);
    free (blob);
    return code;
}
