/* dt_submit_send.c - `dtask submit`'s upload: a job's tasks cut into chunks and sent, several in
 * flight, waiting for room when the master's queue is full; --append's chunk numbers. */
#include "dt_submit_send.h"
#include "dt_limits.h"
#include "dt_log.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunks in flight at once: enough to keep the master busy while replies
 * travel back (8 x 4096 URLs), few enough that a full queue wastes little. */
#define DT_SUBMIT_WINDOW 8

/* Waiting for room in a full queue: first pause, doubled per refusal. */
#define DT_SUBMIT_ROOM_FIRST_MS 250
#define DT_SUBMIT_ROOM_MAX_MS   5000

/* submit --append: places before the job's next chunk where an earlier
 * run of the same append may have put its largest chunk (the first one a
 * run sends), tried after the place a complete run would have. Each try is
 * one resend-only SUBMIT of that chunk, so a fresh append costs this many
 * extra round trips at most. */
#define DT_SUBMIT_APPEND_PROBES 8

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

struct dt_submit_send_t {
    const dt_cli_opts_t *cli;     /* borrowed: for reporting RPC failures */
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
    const dt_jsonin_opts_t *line_opts; /* --jsonl: each task's own options, or NULL (borrowed) */
};

/* The job's next chunk number (JOBS), 0 when the master does not know the
 * job. Returns 0, or the exit code after printing why. */
static int s_next_chunk (dt_submit_send_t *self, dt_rpc_t *rpc, uint32_t *next)
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
static int s_holds (dt_submit_send_t *self, dt_rpc_t *rpc, size_t index, uint32_t number)
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
int dt_submit_send_append (dt_submit_send_t *self, dt_rpc_t *rpc)
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
static int s_split_by_options (dt_submit_send_t *self, dt_urls_chunk_t **ranges_p, size_t *n_p)
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
static int s_cut (dt_submit_send_t *self, size_t max)
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
static ssize_t s_next_to_send (const dt_submit_send_t *self)
{
    if (self->accepted_chunks == 0)
        return self->chunks[self->largest].state == S_CHUNK_QUEUED ? (ssize_t) self->largest : -1;
    for (size_t i = 0; i < self->nchunks; i++)
        if (self->chunks[i].state == S_CHUNK_QUEUED)
            return (ssize_t) i;
    return -1;
}

static int s_send_chunk (dt_submit_send_t *self, dt_rpc_t *rpc, s_chunk_t *chunk)
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
static int s_on_reply (dt_submit_send_t *self, s_chunk_t *chunk, const dt_msg_t *reply)
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
int dt_submit_send_run (dt_submit_send_t *self, dt_rpc_t *rpc)
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

dt_submit_send_t *dt_submit_send_new (const dt_submit_job_t *job)
{
    dt_submit_send_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cli = job->cli;
    self->job = job->job;
    self->kind = job->kind;
    self->flags = job->flags;
    self->polite_flags = job->polite_flags;
    self->host_delay_ms = job->host_delay_ms;
    self->http = job->http;
    self->opts = *job->opts;
    self->line_opts = job->line_opts;
    self->list = job->urls;
    self->urls = dt_urls_items (job->urls);
    self->wait_room = job->wait_room;
    self->room_backoff_ms = DT_SUBMIT_ROOM_FIRST_MS;
    if (s_cut (self, DT_LIMIT_BATCH_MAX) != 0)
        dt_submit_send_destroy (&self);
    return self;
}

void dt_submit_send_destroy (dt_submit_send_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_submit_send_t *self = *self_p;
    free (self->chunks);
    free (self->ranges);
    free (self);
    *self_p = NULL;
}

size_t dt_submit_send_chunks (const dt_submit_send_t *self)
{
    return self->nchunks;
}

uint64_t dt_submit_send_accepted (const dt_submit_send_t *self)
{
    return self->accepted_tasks;
}
