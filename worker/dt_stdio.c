/* dt_stdio.c - the stdio handler: long-lived children that take tasks as JSON lines on stdin. */
#include "dt_stdio.h"
#include "dt_base64.h"
#include "dt_child.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bytes read from a pipe at a time. */
#define S_READ_CHUNK (64 * 1024)
/* A line buffer grown past this for a big reply is freed once empty, so
 * one big output does not pin megabytes per child. */
#define S_LINE_KEEP (64 * 1024)

/* A task started and not reported yet. */
typedef struct s_job_t {
    uint64_t id;            /* the caller's handle */
    uint64_t task_id;       /* the master's id: the "id" of the line */
    uint32_t attempt;       /* as given to start */
    uint32_t time_limit_ms; /* for the error */
    int64_t started;        /* monotonic ms */
    int64_t deadline;       /* monotonic ms of its time limit */
    char *line;             /* the request line, '\n' included */
    size_t line_len;        /* its length */
    struct s_job_t *next;   /* pending FIFO link */
} s_job_t;

typedef enum {
    S_DOWN,  /* no process: spawned again at restart_at */
    S_IDLE,  /* running, no task */
    S_BUSY,  /* running a task */
    S_DYING, /* killed by us, not reaped yet */
} s_state_t;

typedef enum { S_FD_IN, S_FD_OUT, S_FD_ERR, S_FD_PID } s_fd_role_t;

/* One long-lived child. */
typedef struct {
    uint32_t index;       /* for logs */
    dt_child_t child;     /* pid 0 when DOWN */
    s_state_t state;      /* see s_state_t */
    s_job_t *job;         /* BUSY: its task */
    size_t written;       /* bytes of job->line written */
    char *rbuf;           /* stdout bytes not yet a whole line */
    size_t rlen;          /* bytes in it */
    size_t rcap;          /* bytes allocated */
    size_t scanned;       /* bytes of it known to hold no '\n' */
    dt_child_tail_t tail; /* the end of its stderr */
    int64_t restart_at;   /* DOWN: monotonic ms of the next spawn */
    int hung;             /* DYING: killed at the time limit (restarts at once) */
    uint32_t backoff_ms;  /* the delay after its next crash */
    uint64_t served;      /* tasks finished by this process */
    short revents[4];     /* from the last wait, by s_fd_role_t */
} s_kid_t;

typedef struct {
    dt_handler_t base;        /* must be first: the loop sees only this */
    dt_exec_options_t opts;   /* copy; strings borrowed */
    uint32_t task_ms;         /* the master's bound on a task's run time; 0: none */
    s_kid_t *kids;            /* the children */
    uint32_t nkids;           /* how many */
    s_job_t *pending_head;    /* tasks waiting for a child, oldest first */
    s_job_t *pending_tail;    /* newest */
    size_t running;           /* tasks started and not reported */
    struct pollfd *pfds;      /* 4 per child and the extra fd */
    s_kid_t **pfd_kid;        /* which child each belongs to */
    uint8_t *pfd_role;        /* and as what (s_fd_role_t) */
    char chunk[S_READ_CHUNK]; /* read buffer */
} s_stdio_t;

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_job_free (s_job_t *job)
{
    if (job) {
        free (job->line);
        free (job);
    }
}

/* Reports a task and frees it. */
static void s_report (s_stdio_t *self, s_job_t *job, uint8_t outcome, const void *output,
                      size_t output_len, const char *error)
{
    int64_t ms = s_now_ms () - job->started;
    dt_handler_result_t r = {
        .id = job->id,
        .attempt = job->attempt,
        .outcome = outcome,
        .bytes = output_len,
        .elapsed_ms = ms < 0            ? 0
                      : ms > UINT32_MAX ? UINT32_MAX
                                        : (uint32_t) ms,
        .final_url = "",
        .content_type = "",
        .error = error,
        .output = output_len ? output : NULL,
        .output_len = output_len,
        .exit_code = -1,
    };
    self->base.done (self->base.done_arg, &r);
    self->running--;
    s_job_free (job);
}

/* ---- Children ---------------------------------------------------------- */

static int s_spawn (s_stdio_t *self, s_kid_t *kid, char *err, size_t err_size)
{
    char kind[DT_LIMIT_KIND_MAX + 16];
    snprintf (kind, sizeof kind, "DTASK_KIND=%s", self->opts.kind ? self->opts.kind : "");
    const char *env[] = {kind, NULL};
    if (dt_child_spawn (&kid->child, self->opts.argv, env, err, err_size) != 0)
        return -1;
    kid->state = S_IDLE;
    kid->rlen = kid->scanned = 0;
    kid->tail.len = 0;
    kid->served = 0;
    return 0;
}

/* Spawns a DOWN child whose restart time came. */
static void s_restart (s_stdio_t *self, s_kid_t *kid, int64_t now)
{
    char err[256];
    if (s_spawn (self, kid, err, sizeof err) == 0) {
        dt_log_info ("STDIO-CHILD-START", "child %" PRIu32 ": pid %d", kid->index,
                     (int) kid->child.pid);
        return;
    }
    dt_log_warn ("STDIO-CHILD-SPAWN", "child %" PRIu32 ": %s; again in %" PRIu32 " ms", kid->index,
                 err, kid->backoff_ms);
    kid->restart_at = now + kid->backoff_ms;
    kid->backoff_ms = kid->backoff_ms * 2 > DT_STDIO_RESTART_MAX_MS ? DT_STDIO_RESTART_MAX_MS
                                                                    : kid->backoff_ms * 2;
}

/* Kills a child we give up on; its task, if any, was reported already.
 * `hung`: it ran past the time limit, and is restarted at once once reaped
 * (each such restart cost a whole time limit: no storm). Any other reason
 * (a malformed line) restarts it after the back-off, as a crash does: a
 * command that prints a banner on stdout at start must not respawn in a
 * tight loop. */
static void s_kill (s_kid_t *kid, int hung)
{
    dt_child_kill (&kid->child);
    dt_child_close_fd (&kid->child.in);
    kid->job = NULL;
    kid->state = S_DYING;
    kid->hung = hung;
}

/* A reaped child: its task, if it had one, is RETRY; it restarts at once
 * if it hung, else after its back-off. */
static void s_on_exit (s_stdio_t *self, s_kid_t *kid, int status, int64_t now)
{
    char what[64], tail[DT_CHILD_TAIL_MAX + 1];
    dt_child_describe (status, what, sizeof what);
    dt_child_tail_text (&kid->tail, tail, sizeof tail);
    int crashed = kid->state != S_DYING;
    int hung = kid->state == S_DYING && kid->hung;
    if (kid->state == S_BUSY) {
        char error[DT_LIMIT_ERROR_MAX - 1];
        snprintf (error, sizeof error, "child exited mid-task (%s)%s%s", what, tail[0] ? ": " : "",
                  tail);
        s_report (self, kid->job, DT_OUTCOME_RETRY, NULL, 0, error);
        kid->job = NULL;
    }
    dt_child_close_fd (&kid->child.in);
    dt_child_close_fd (&kid->child.out);
    dt_child_close_fd (&kid->child.err);
    kid->state = S_DOWN;
    kid->hung = 0;
    kid->restart_at = now;
    if (!hung) {
        /* Dying again before finishing a task doubles the delay. */
        uint32_t delay = kid->served ? DT_STDIO_RESTART_MIN_MS : kid->backoff_ms;
        kid->backoff_ms = delay * 2 > DT_STDIO_RESTART_MAX_MS ? DT_STDIO_RESTART_MAX_MS : delay * 2;
        kid->restart_at = now + delay;
        if (crashed)
            dt_log_warn ("STDIO-CHILD-EXIT", "child %" PRIu32 ": %s%s%s; restart in %" PRIu32 " ms",
                         kid->index, what, tail[0] ? ": " : "", tail, delay);
    }
}

/* ---- Lines ------------------------------------------------------------- */

/* A malformed line: the task fails with why, the child is replaced. */
static void s_malformed (s_stdio_t *self, s_kid_t *kid, const char *line, size_t len,
                         const char *why)
{
    char sample[100], error[DT_LIMIT_ERROR_MAX - 1];
    dt_log_escape (sample, sizeof sample, line, len, 64);
    dt_log_warn ("STDIO-MALFORMED", "child %" PRIu32 ": %s: %s; restarting it", kid->index, why,
                 sample);
    if (kid->job) {
        snprintf (error, sizeof error, "malformed reply from the command: %s", why);
        s_report (self, kid->job, DT_OUTCOME_FAIL, NULL, 0, error);
    }
    s_kill (kid, 0);
}

/* The reply's output into *out (caller frees): "output" or
 * "output_base64". Returns 0, or -1 with why. */
static int s_output (json_t *reply, char **out, size_t *out_len, const char **why)
{
    json_t *text = json_object_get (reply, "output");
    json_t *b64 = json_object_get (reply, "output_base64");
    *out = NULL;
    *out_len = 0;
    if (text && !json_is_null (text)) {
        if (!json_is_string (text))
            return *why = "\"output\" is not a string", -1;
        size_t len = json_string_length (text);
        if (len && !(*out = malloc (len)))
            return *why = "out of memory", -1;
        if (len)
            memcpy (*out, json_string_value (text), len);
        *out_len = len;
    } else if (b64 && !json_is_null (b64)) {
        if (!json_is_string (b64))
            return *why = "\"output_base64\" is not a string", -1;
        size_t len = json_string_length (b64);
        if (len && !(*out = malloc (len / 4 * 3 + 1)))
            return *why = "out of memory", -1;
        long n = dt_base64_decode (json_string_value (b64), len, *out);
        if (n < 0) {
            free (*out);
            *out = NULL;
            return *why = "\"output_base64\" is not base64", -1;
        }
        *out_len = (size_t) n;
    }
    return 0;
}

static void s_on_line (s_stdio_t *self, s_kid_t *kid, const char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--;
    if (kid->state != S_BUSY) {
        s_malformed (self, kid, line, len, "a reply when it had no task");
        return;
    }
    /* The rest of its line would never be written, and the next task's
     * line would follow a cut one: the child must be replaced. */
    if (kid->written < kid->job->line_len) {
        s_malformed (self, kid, line, len, "a reply before its task was written whole");
        return;
    }
    json_error_t jerr;
    json_t *reply = json_loadb (line, len, JSON_ALLOW_NUL, &jerr);
    char why_buf[200];
    const char *why = NULL;
    char *output = NULL;
    size_t output_len = 0;
    uint8_t outcome = DT_OUTCOME_FAIL;
    const char *state = NULL;
    json_t *id = reply ? json_object_get (reply, "id") : NULL;
    json_t *error = reply ? json_object_get (reply, "error") : NULL;
    json_t *jstate = reply ? json_object_get (reply, "state") : NULL;
    if (!reply) {
        snprintf (why_buf, sizeof why_buf, "not JSON (%s)", jerr.text);
        why = why_buf;
    } else if (!json_is_object (reply))
        why = "not a JSON object";
    else if (!json_is_integer (id) || (uint64_t) json_integer_value (id) != kid->job->task_id) {
        snprintf (why_buf, sizeof why_buf, "\"id\" is not the task's (%" PRIu64 ")",
                  kid->job->task_id);
        why = why_buf;
    } else if (!json_is_string (jstate))
        why = "no \"state\" string";
    else if (error && !json_is_null (error) && !json_is_string (error))
        why = "\"error\" is not a string";
    else {
        state = json_string_value (jstate);
        if (strcmp (state, "done") == 0)
            outcome = DT_OUTCOME_DONE;
        else if (strcmp (state, "retry") == 0)
            outcome = DT_OUTCOME_RETRY;
        else if (strcmp (state, "failed") == 0)
            outcome = DT_OUTCOME_FAIL;
        else
            why = "\"state\" is not done, retry or failed";
        if (!why)
            s_output (reply, &output, &output_len, &why);
    }
    if (why) {
        s_malformed (self, kid, line, len, why);
        json_decref (reply);
        return;
    }
    /* An error goes with retry and failed only (dt_handler.h). */
    char text[DT_LIMIT_ERROR_MAX - 1] = "";
    if (json_is_string (error) && outcome != DT_OUTCOME_DONE)
        dt_child_text (json_string_value (error), json_string_length (error), text, sizeof text);
    if (output_len > self->opts.output_max) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (text, sizeof text, "output over %zu bytes", self->opts.output_max);
        output_len = 0;
    } else if (outcome != DT_OUTCOME_DONE && !text[0])
        snprintf (text, sizeof text, "the command said %s", state);
    s_job_t *job = kid->job;
    kid->job = NULL;
    kid->state = S_IDLE;
    kid->served++;
    kid->backoff_ms = DT_STDIO_RESTART_MIN_MS;
    s_report (self, job, outcome, output, output_len, text);
    free (output);
    json_decref (reply);
}

/* Lines over the cap are refused before they are parsed. */
static const char s_too_long[] = "a line over DT_LIMIT_STDIO_LINE_MAX (6 MiB + 64 KiB) bytes";

/* Reads stdout and handles each whole line, until it has nothing more now
 * or the child is given up. */
static void s_read (s_stdio_t *self, s_kid_t *kid)
{
    for (;;) {
        ssize_t n = dt_child_read (&kid->child.out, self->chunk, sizeof self->chunk);
        if (n <= 0)
            return; /* EOF: its exit, seen through the pidfd, ends the story */
        if (kid->state == S_DYING)
            continue; /* what a child we gave up on says is dropped */
        if (kid->rlen + (size_t) n > kid->rcap) {
            size_t cap = kid->rcap ? kid->rcap : 4096;
            while (cap < kid->rlen + (size_t) n)
                cap *= 2;
            char *rbuf = realloc (kid->rbuf, cap);
            if (!rbuf) {
                s_malformed (self, kid, "", 0, "out of memory for its reply");
                continue;
            }
            kid->rbuf = rbuf;
            kid->rcap = cap;
        }
        memcpy (kid->rbuf + kid->rlen, self->chunk, (size_t) n);
        kid->rlen += (size_t) n;
        size_t start = 0;
        while (kid->state != S_DYING) {
            char *nl = memchr (kid->rbuf + kid->scanned, '\n', kid->rlen - kid->scanned);
            if (!nl)
                break;
            size_t end = (size_t) (nl - kid->rbuf);
            if (end - start > DT_LIMIT_STDIO_LINE_MAX)
                s_malformed (self, kid, kid->rbuf + start, end - start, s_too_long);
            else
                s_on_line (self, kid, kid->rbuf + start, end - start);
            start = end + 1;
            kid->scanned = start;
        }
        if (kid->state == S_DYING) {
            kid->rlen = kid->scanned = 0;
            continue;
        }
        memmove (kid->rbuf, kid->rbuf + start, kid->rlen - start);
        kid->rlen -= start;
        kid->scanned = kid->rlen;
        if (kid->rlen > DT_LIMIT_STDIO_LINE_MAX) {
            s_malformed (self, kid, kid->rbuf, kid->rlen, s_too_long);
            kid->rlen = kid->scanned = 0;
        }
        if (kid->rlen == 0 && kid->rcap > S_LINE_KEEP) {
            free (kid->rbuf);
            kid->rbuf = NULL;
            kid->rcap = 0;
        }
        /* A short read emptied the pipe: the read that would say so
         * (EAGAIN) is a syscall a reply saved; poll reports what comes next. */
        if ((size_t) n < sizeof self->chunk)
            return;
    }
}

static void s_read_err (s_stdio_t *self, s_kid_t *kid)
{
    ssize_t n;
    while ((n = dt_child_read (&kid->child.err, self->chunk, sizeof self->chunk)) > 0)
        dt_child_tail_add (&kid->tail, self->chunk, (size_t) n);
}

static void s_feed (s_kid_t *kid)
{
    s_job_t *job = kid->job;
    while (job && kid->child.in >= 0 && kid->written < job->line_len) {
        ssize_t n =
            dt_child_write (&kid->child.in, job->line + kid->written, job->line_len - kid->written);
        if (n <= 0)
            break; /* full, or it closed stdin: its exit or the time limit follows */
        kid->written += (size_t) n;
    }
}

/* Gives pending tasks to idle children. */
static void s_dispatch (s_stdio_t *self)
{
    for (uint32_t i = 0; i < self->nkids && self->pending_head; i++) {
        s_kid_t *kid = &self->kids[i];
        if (kid->state != S_IDLE)
            continue;
        s_job_t *job = self->pending_head;
        self->pending_head = job->next;
        if (!self->pending_head)
            self->pending_tail = NULL;
        job->next = NULL;
        kid->job = job;
        kid->written = 0;
        kid->state = S_BUSY;
        s_feed (kid);
    }
}

/* ---- The handler ------------------------------------------------------- */

/* The request line for a task, '\n' included; NULL when out of memory. */
static char *s_encode (const dt_handler_task_t *task, size_t *len_out)
{
    char *line = NULL, *b64 = NULL;
    json_t *obj = json_object ();
    if (!obj)
        return NULL;
    json_object_set_new (obj, "id", json_integer ((json_int_t) task->task_id));
    json_object_set_new (obj, "attempt", json_integer ((json_int_t) task->attempt));
    /* NULL when the payload is not valid UTF-8: then base64. */
    json_t *text = json_stringn (task->payload_len ? task->payload : "", task->payload_len);
    if (text)
        json_object_set_new (obj, "payload", text);
    else {
        b64 = malloc (DT_BASE64_ENCODED_SIZE (task->payload_len));
        if (!b64)
            goto done;
        size_t n = dt_base64_encode (task->payload, task->payload_len, b64);
        json_object_set_new (obj, "payload_base64", json_stringn (b64, n));
    }
    /* Serialised once: its NUL becomes the line's '\n'. (jansson's
     * allocator is malloc's: the worker never sets another.) */
    line = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!line)
        goto done;
    size_t len = strlen (line);
    line[len] = '\n';
    *len_out = len + 1;
done:
    free (b64);
    json_decref (obj);
    return line;
}

static int s_start (dt_handler_t *h, const dt_handler_task_t *task)
{
    s_stdio_t *self = (s_stdio_t *) h;
    s_job_t *job = calloc (1, sizeof *job);
    if (!job)
        return -1;
    job->line = s_encode (task, &job->line_len);
    if (!job->line) {
        free (job);
        return -1;
    }
    job->id = task->id;
    job->task_id = task->task_id;
    job->attempt = task->attempt;
    job->started = s_now_ms ();
    job->time_limit_ms =
        dt_exec_time_limit (task->time_limit_ms, self->opts.time_limit_ms, self->task_ms);
    job->deadline = job->started + job->time_limit_ms;
    if (self->pending_tail)
        self->pending_tail->next = job;
    else
        self->pending_head = job;
    self->pending_tail = job;
    self->running++;
    s_dispatch (self);
    return 0;
}

/* Pending tasks past their time limit (no child came free) are RETRY. */
static void s_expire_pending (s_stdio_t *self, int64_t now)
{
    s_job_t **link = &self->pending_head, *last = NULL;
    while (*link) {
        s_job_t *job = *link;
        if (now < job->deadline) {
            last = job;
            link = &job->next;
            continue;
        }
        *link = job->next;
        char error[128];
        snprintf (error, sizeof error, "task time limit: no command free within %" PRIu32 " ms",
                  job->time_limit_ms);
        s_report (self, job, DT_OUTCOME_RETRY, NULL, 0, error);
    }
    self->pending_tail = last;
}

static void s_advance (s_stdio_t *self, s_kid_t *kid, int64_t now)
{
    const short *ev = kid->revents;
    if (kid->state == S_DOWN) {
        if (now >= kid->restart_at)
            s_restart (self, kid, now);
        return;
    }
    if (ev[S_FD_IN] && kid->state == S_BUSY)
        s_feed (kid);
    if (ev[S_FD_OUT])
        s_read (self, kid);
    if (ev[S_FD_ERR])
        s_read_err (self, kid);
    if (ev[S_FD_PID] || kid->child.pidfd < 0) {
        int status = 0;
        int rc = dt_child_reap (&kid->child, &status);
        if (rc != 0) {
            /* A reply written just before exiting still counts. */
            s_read (self, kid);
            s_read_err (self, kid);
            s_on_exit (self, kid, status, now);
            return;
        }
    }
    if (kid->state == S_BUSY && now >= kid->job->deadline) {
        char error[128];
        snprintf (error, sizeof error, "task time limit: command killed after %" PRIu32 " ms",
                  kid->job->time_limit_ms);
        dt_log_warn ("STDIO-CHILD-HUNG",
                     "child %" PRIu32 ": task %" PRIu64 " over %" PRIu32
                     " ms: killing and restarting it",
                     kid->index, kid->job->task_id, kid->job->time_limit_ms);
        s_report (self, kid->job, DT_OUTCOME_RETRY, NULL, 0, error);
        s_kill (kid, 1);
    }
}

static void s_set_task_ms (dt_handler_t *h, uint32_t ms)
{
    ((s_stdio_t *) h)->task_ms = ms;
}

static int s_perform (dt_handler_t *h)
{
    s_stdio_t *self = (s_stdio_t *) h;
    int64_t now = s_now_ms ();
    for (uint32_t i = 0; i < self->nkids; i++) {
        s_advance (self, &self->kids[i], now);
        memset (self->kids[i].revents, 0, sizeof self->kids[i].revents);
    }
    s_expire_pending (self, now);
    s_dispatch (self);
    return 0;
}

static long s_timeout (dt_handler_t *h)
{
    s_stdio_t *self = (s_stdio_t *) h;
    int64_t now = s_now_ms (), due = INT64_MAX;
    for (uint32_t i = 0; i < self->nkids; i++) {
        s_kid_t *kid = &self->kids[i];
        if (kid->state == S_DOWN && kid->restart_at < due)
            due = kid->restart_at;
        if (kid->state == S_BUSY && kid->job->deadline < due)
            due = kid->job->deadline;
        if (kid->state != S_DOWN && kid->child.pidfd < 0 && now + DT_CHILD_REAP_POLL_MS < due)
            due = now + DT_CHILD_REAP_POLL_MS;
    }
    for (s_job_t *job = self->pending_head; job; job = job->next)
        if (job->deadline < due)
            due = job->deadline;
    if (due == INT64_MAX)
        return -1;
    return due <= now ? 0 : (long) (due - now);
}

static int s_wait (dt_handler_t *h, int extra_fd, int timeout_ms)
{
    s_stdio_t *self = (s_stdio_t *) h;
    size_t n = 0;
    struct {
        int fd;
        short events;
        s_fd_role_t role;
    } want[4];
    for (uint32_t i = 0; i < self->nkids; i++) {
        s_kid_t *kid = &self->kids[i];
        if (kid->state == S_DOWN)
            continue;
        int writing = kid->state == S_BUSY && kid->written < kid->job->line_len;
        want[0].fd = writing ? kid->child.in : -1;
        want[0].events = POLLOUT;
        want[0].role = S_FD_IN;
        want[1].fd = kid->child.out;
        want[1].events = POLLIN;
        want[1].role = S_FD_OUT;
        want[2].fd = kid->child.err;
        want[2].events = POLLIN;
        want[2].role = S_FD_ERR;
        want[3].fd = kid->child.pidfd;
        want[3].events = POLLIN;
        want[3].role = S_FD_PID;
        for (int k = 0; k < 4; k++) {
            if (want[k].fd < 0)
                continue;
            self->pfds[n] = (struct pollfd){.fd = want[k].fd, .events = want[k].events};
            self->pfd_kid[n] = kid;
            self->pfd_role[n] = (uint8_t) want[k].role;
            n++;
        }
    }
    size_t nkid_fds = n;
    if (extra_fd >= 0)
        self->pfds[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
    int rc = poll (self->pfds, n, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    for (size_t i = 0; i < nkid_fds && rc > 0; i++)
        if (self->pfds[i].revents)
            self->pfd_kid[i]->revents[self->pfd_role[i]] = self->pfds[i].revents;
    return 0;
}

static size_t s_running (dt_handler_t *h)
{
    return ((s_stdio_t *) h)->running;
}

/* Closes every child's stdin (its cue to exit), gives them DT_STDIO_STOP_MS
 * in all, then kills and reaps whatever is left. */
static void s_stop_children (s_stdio_t *self)
{
    for (uint32_t i = 0; i < self->nkids; i++)
        dt_child_close_fd (&self->kids[i].child.in);
    int64_t end = s_now_ms () + DT_STDIO_STOP_MS;
    for (uint32_t i = 0; i < self->nkids; i++) {
        dt_child_t *c = &self->kids[i].child;
        int status;
        while (c->pid > 0 && c->pidfd >= 0 && dt_child_reap (c, &status) == 0) {
            int64_t left = end - s_now_ms ();
            if (left <= 0)
                break;
            struct pollfd pfd = {.fd = c->pidfd, .events = POLLIN};
            if (poll (&pfd, 1, (int) left) < 0 && errno != EINTR)
                break;
        }
        dt_child_end (c);
    }
}

static void s_destroy (dt_handler_t *h)
{
    s_stdio_t *self = (s_stdio_t *) h;
    if (self->kids) {
        s_stop_children (self);
        for (uint32_t i = 0; i < self->nkids; i++) {
            s_job_free (self->kids[i].job);
            free (self->kids[i].rbuf);
        }
    }
    while (self->pending_head) {
        s_job_t *job = self->pending_head;
        self->pending_head = job->next;
        s_job_free (job);
    }
    free (self->kids);
    free (self->pfds);
    free (self->pfd_kid);
    free (self->pfd_role);
    free (self);
}

static const dt_handler_ops_t s_ops = {
    .name = "stdio",
    .start = s_start,
    .timeout = s_timeout,
    .wait = s_wait,
    .perform = s_perform,
    .set_task_ms = s_set_task_ms,
    .running = s_running,
    .destroy = s_destroy,
};

dt_handler_t *dt_stdio_new (const dt_exec_options_t *opts, uint32_t children,
                            dt_handler_done_fn *done, void *done_arg, char *err, size_t err_size)
{
    assert (children > 0);
    if (dt_exec_check (opts, err, err_size) != 0)
        return NULL;
    s_stdio_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->base = (dt_handler_t){&s_ops, done, done_arg};
    self->opts = *opts;
    size_t nfds = 4 * (size_t) children + 1;
    self->kids = calloc (children, sizeof *self->kids);
    self->pfds = calloc (nfds, sizeof *self->pfds);
    self->pfd_kid = calloc (nfds, sizeof *self->pfd_kid);
    self->pfd_role = calloc (nfds, 1);
    if (!self->kids || !self->pfds || !self->pfd_kid || !self->pfd_role) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    dt_child_ignore_sigpipe ();
    dt_child_default_sigchld ();
    for (uint32_t i = 0; i < children; i++) {
        s_kid_t *kid = &self->kids[i];
        kid->index = i;
        kid->child.pidfd = kid->child.in = kid->child.out = kid->child.err = -1;
        kid->backoff_ms = DT_STDIO_RESTART_MIN_MS;
        self->nkids = i + 1;
        if (s_spawn (self, kid, err, err_size) != 0)
            goto fail;
    }
    dt_log_info ("STDIO-START", "kind %s: %" PRIu32 " children of %s, time limit %" PRIu32 " ms",
                 opts->kind ? opts->kind : "-", children, opts->argv[0], opts->time_limit_ms);
    return &self->base;
fail:
    s_destroy (&self->base);
    return NULL;
}
