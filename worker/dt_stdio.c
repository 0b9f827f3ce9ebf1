/* dt_stdio.c - the stdio handler: long-lived children that take tasks as JSON lines on stdin. */
#include "dt_stdio.h"
#include "dt_child.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_stdio_line.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
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
/* Task lines handed to the kernel in one writev: enough for a batch, few
 * enough for the stack (IOV_MAX is 1024). */
#define S_IOV_MAX 64

/* A task started and not reported yet. */
typedef struct s_job_t {
    uint64_t id;            /* the caller's handle */
    uint64_t task_id;       /* the master's id: the "id" of the line */
    uint32_t attempt;       /* as given to start */
    uint32_t time_limit_ms; /* for the error */
    int64_t started;        /* monotonic ms of its start: elapsed_ms counts from it */
    int64_t deadline;       /* monotonic ms its time limit ends */
    int put_back;           /* it went back to the queue once already (s_give_up) */
    char *line;             /* the request line, '\n' included */
    size_t line_len;        /* its length */
    uint64_t end;           /* with a child: kid->given once its line was given */
    struct s_job_t *next;   /* FIFO link: the queue, or its child's tasks */
} s_job_t;

/* A FIFO of tasks, oldest first. */
typedef struct {
    s_job_t *head;
    s_job_t *tail;
    size_t count;
} s_fifo_t;

typedef enum {
    S_DOWN,  /* no process: spawned again at restart_at */
    S_UP,    /* running, holding 0 to inflight tasks */
    S_DYING, /* killed by us, not reaped yet; holds no task */
} s_state_t;

typedef enum { S_FD_IN, S_FD_OUT, S_FD_ERR, S_FD_PID } s_fd_role_t;

/* One long-lived child. */
typedef struct {
    uint32_t index;       /* for logs */
    dt_child_t child;     /* pid 0 when DOWN */
    s_state_t state;      /* see s_state_t */
    s_fifo_t held;        /* tasks given to it and not answered, in the order given */
    s_job_t *wjob;        /* the first held task whose line is not all written; NULL: none */
    size_t woff;          /* bytes of wjob's line written */
    uint64_t given;       /* bytes of task lines given to this process */
    uint64_t written;     /* of them, written to its stdin */
    int64_t deadline;     /* the earliest deadline of its held tasks; INT64_MAX: none */
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
    uint32_t inflight;        /* tasks one child may hold at once */
    uint32_t task_ms;         /* the master's bound on a task's run time; 0: none */
    s_kid_t *kids;            /* the children */
    uint32_t nkids;           /* how many */
    s_fifo_t pending;         /* tasks waiting for room in a child */
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

/* ---- FIFOs ------------------------------------------------------------- */

static void s_fifo_push (s_fifo_t *fifo, s_job_t *job)
{
    job->next = NULL;
    if (fifo->tail)
        fifo->tail->next = job;
    else
        fifo->head = job;
    fifo->tail = job;
    fifo->count++;
}

static s_job_t *s_fifo_pop (s_fifo_t *fifo)
{
    s_job_t *job = fifo->head;
    if (job) {
        fifo->head = job->next;
        if (!fifo->head)
            fifo->tail = NULL;
        fifo->count--;
        job->next = NULL;
    }
    return job;
}

/* Puts all of `front` before what `fifo` holds, in its order; empties it. */
static void s_fifo_prepend (s_fifo_t *fifo, s_fifo_t *front)
{
    if (!front->head)
        return;
    front->tail->next = fifo->head;
    fifo->head = front->head;
    if (!fifo->tail)
        fifo->tail = front->tail;
    fifo->count += front->count;
    *front = (s_fifo_t){NULL, NULL, 0};
}

/* Unlinks `job`, which `prev` precedes (NULL: it is the head). */
static void s_fifo_unlink (s_fifo_t *fifo, s_job_t *prev, s_job_t *job)
{
    if (prev)
        prev->next = job->next;
    else
        fifo->head = job->next;
    if (fifo->tail == job)
        fifo->tail = prev;
    fifo->count--;
    job->next = NULL;
}

static void s_fifo_free (s_fifo_t *fifo)
{
    s_job_t *job;
    while ((job = s_fifo_pop (fifo)))
        s_job_free (job);
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

/* ---- A child's tasks --------------------------------------------------- */

/* Gives `job` to `kid`: its line is written by s_feed, after the others'. */
static void s_give (s_kid_t *kid, s_job_t *job)
{
    s_fifo_push (&kid->held, job);
    kid->given += job->line_len;
    job->end = kid->given;
    if (!kid->wjob) {
        kid->wjob = job;
        kid->woff = 0;
    }
    if (job->deadline < kid->deadline)
        kid->deadline = job->deadline;
}

/* The first task `kid` holds with master's id `task_id` (an earlier attempt
 * of the same task may still be held: the oldest answers first), and the
 * one before it in *prev; NULL when none. */
static s_job_t *s_find (s_kid_t *kid, uint64_t task_id, s_job_t **prev)
{
    *prev = NULL;
    for (s_job_t *job = kid->held.head; job; *prev = job, job = job->next)
        if (job->task_id == task_id)
            return job;
    return NULL;
}

/* Takes an answered task (its line written whole) from `kid`. */
static void s_take (s_kid_t *kid, s_job_t *prev, s_job_t *job)
{
    assert (kid->wjob != job);
    s_fifo_unlink (&kid->held, prev, job);
    if (job->deadline == kid->deadline) {
        kid->deadline = INT64_MAX;
        for (s_job_t *j = kid->held.head; j; j = j->next)
            if (j->deadline < kid->deadline)
                kid->deadline = j->deadline;
    }
}

/* Writes what it can of the lines not yet written, several in one call. */
static void s_feed (s_kid_t *kid)
{
    while (kid->wjob && kid->child.in >= 0) {
        struct iovec iov[S_IOV_MAX];
        int n = 0;
        size_t off = kid->woff;
        for (s_job_t *job = kid->wjob; job && n < S_IOV_MAX; job = job->next, off = 0)
            iov[n++] = (struct iovec){job->line + off, job->line_len - off};
        ssize_t w = dt_child_writev (&kid->child.in, iov, n);
        if (w <= 0)
            return; /* full, or it closed stdin: its exit or the time limit follows */
        kid->written += (uint64_t) w;
        while (w > 0) {
            size_t left = kid->wjob->line_len - kid->woff;
            size_t step = (size_t) w < left ? (size_t) w : left;
            kid->woff += step;
            w -= (ssize_t) step;
            if (kid->woff == kid->wjob->line_len) {
                kid->wjob = kid->wjob->next;
                kid->woff = 0;
            }
        }
    }
}

/* ---- Children ---------------------------------------------------------- */

static int s_spawn (s_stdio_t *self, s_kid_t *kid, char *err, size_t err_size)
{
    char kind[DT_LIMIT_KIND_MAX + 16];
    snprintf (kind, sizeof kind, "DTASK_KIND=%s", self->opts.kind ? self->opts.kind : "");
    const char *env[] = {kind, NULL};
    if (dt_child_spawn (&kid->child, self->opts.argv, env, err, err_size) != 0)
        return -1;
    kid->state = S_UP;
    kid->rlen = kid->scanned = 0;
    kid->given = kid->written = 0;
    kid->deadline = INT64_MAX;
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

/* Gives up on a child whose task at fault was reported already: the tasks
 * it still holds go back to the front of the queue, in their order, with
 * their time limit started again (they did nothing wrong, and another
 * child takes them without an attempt spent); one that went back once
 * already is RETRY instead, so a task is not held back indefinitely by one
 * bad neighbour after another. Then the child is killed. `hung`: it ran
 * past a time limit, and is restarted at once once reaped (each such
 * restart cost a whole time limit: no storm). Any other reason (a
 * malformed line) restarts it after the back-off, as a crash does: a
 * command that prints a banner on stdout at start must not respawn in a
 * tight loop. */
static void s_give_up (s_stdio_t *self, s_kid_t *kid, int hung, int64_t now)
{
    s_fifo_t back = {NULL, NULL, 0};
    s_job_t *job;
    while ((job = s_fifo_pop (&kid->held))) {
        if (job->put_back) {
            s_report (self, job, DT_OUTCOME_RETRY, NULL, 0,
                      "child killed twice while it held the task (for another task's time "
                      "limit or a malformed line)");
            continue;
        }
        job->put_back = 1;
        job->deadline = now + job->time_limit_ms;
        s_fifo_push (&back, job);
    }
    s_fifo_prepend (&self->pending, &back);
    kid->wjob = NULL;
    kid->deadline = INT64_MAX;
    dt_child_kill (&kid->child);
    dt_child_close_fd (&kid->child.in);
    kid->state = S_DYING;
    kid->hung = hung;
}

/* A reaped child: the tasks it held are RETRY (any of them may be why it
 * died); it restarts at once if it hung, else after its back-off. */
static void s_on_exit (s_stdio_t *self, s_kid_t *kid, int status, int64_t now)
{
    char what[64], tail[DT_CHILD_TAIL_MAX + 1];
    dt_child_describe (status, what, sizeof what);
    dt_child_tail_text (&kid->tail, tail, sizeof tail);
    int crashed = kid->state != S_DYING;
    int hung = kid->state == S_DYING && kid->hung;
    s_job_t *job;
    while ((job = s_fifo_pop (&kid->held))) {
        char error[DT_LIMIT_ERROR_MAX - 1];
        snprintf (error, sizeof error, "child exited mid-task (%s)%s%s", what, tail[0] ? ": " : "",
                  tail);
        s_report (self, job, DT_OUTCOME_RETRY, NULL, 0, error);
    }
    kid->wjob = NULL;
    kid->deadline = INT64_MAX;
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

/* A malformed line: the task it names (`job`, which `prev` precedes), else
 * the oldest the child holds, fails with why; the child is given up on. */
static void s_malformed (s_stdio_t *self, s_kid_t *kid, s_job_t *prev, s_job_t *job,
                         const char *line, size_t len, const char *why)
{
    char sample[100], error[DT_LIMIT_ERROR_MAX - 1];
    dt_log_escape (sample, sizeof sample, line, len, 64);
    dt_log_warn ("STDIO-MALFORMED",
                 "child %" PRIu32 ": %s: %s; restarting it (%zu tasks held go back to the queue)",
                 kid->index, why, sample, kid->held.count ? kid->held.count - 1 : 0);
    if (!job) {
        prev = NULL;
        job = kid->held.head;
    }
    if (job) {
        /* Where its line stood no longer matters: the child is given up
         * on below, and what else it held goes back whole. */
        s_fifo_unlink (&kid->held, prev, job);
        snprintf (error, sizeof error, "malformed reply from the command: %s", why);
        s_report (self, job, DT_OUTCOME_FAIL, NULL, 0, error);
    }
    s_give_up (self, kid, 0, s_now_ms ());
}

static void s_on_line (s_stdio_t *self, s_kid_t *kid, const char *line, size_t len)
{
    dt_stdio_reply_t reply;
    char why[200];
    s_job_t *prev = NULL, *job = NULL;
    if (dt_stdio_reply_decode (line, len, &reply, why, sizeof why) != 0) {
        if (reply.has_id)
            job = s_find (kid, reply.id, &prev);
        s_malformed (self, kid, prev, job, line, len, why);
        return;
    }
    job = s_find (kid, reply.id, &prev);
    if (!job) {
        if (kid->held.count == 0)
            snprintf (why, sizeof why, "a reply when it had no task");
        else if (kid->held.count == 1)
            snprintf (why, sizeof why, "\"id\" is not the task's (%" PRIu64 ")",
                      kid->held.head->task_id);
        else
            snprintf (why, sizeof why, "\"id\" %" PRIu64 " is none of the %zu tasks it holds",
                      reply.id, kid->held.count);
        s_malformed (self, kid, NULL, NULL, line, len, why);
    } else if (kid->written < job->end)
        /* The rest of its line would never be written, and the next
         * task's line would follow a cut one: the child must be replaced. */
        s_malformed (self, kid, prev, job, line, len, "a reply before its task was written whole");
    else {
        s_take (kid, prev, job);
        kid->served++;
        kid->backoff_ms = DT_STDIO_RESTART_MIN_MS;
        if (reply.output_len > self->opts.output_max) {
            snprintf (why, sizeof why, "output over %zu bytes", self->opts.output_max);
            s_report (self, job, DT_OUTCOME_FAIL, NULL, 0, why);
        } else {
            if (reply.outcome != DT_OUTCOME_DONE && !reply.error[0])
                snprintf (reply.error, sizeof reply.error, "the command said %s", reply.state);
            s_report (self, job, reply.outcome, reply.output, reply.output_len, reply.error);
        }
    }
    dt_stdio_reply_free (&reply);
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
                s_malformed (self, kid, NULL, NULL, "", 0, "out of memory for its reply");
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
                s_malformed (self, kid, NULL, NULL, kid->rbuf + start, end - start, s_too_long);
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
            s_malformed (self, kid, NULL, NULL, kid->rbuf, kid->rlen, s_too_long);
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

/* The running child with the most room, NULL when none has any: tasks are
 * spread over the children, so each holds about as many as the others. */
static s_kid_t *s_roomiest (s_stdio_t *self)
{
    s_kid_t *best = NULL;
    for (uint32_t i = 0; i < self->nkids; i++) {
        s_kid_t *kid = &self->kids[i];
        if (kid->state == S_UP && kid->child.in >= 0 && kid->held.count < self->inflight &&
            (!best || kid->held.count < best->held.count))
            best = kid;
    }
    return best;
}

/* Gives queued tasks to children with room, then writes each child's new
 * lines together. */
static void s_dispatch (s_stdio_t *self)
{
    s_kid_t *kid;
    while (self->pending.head && (kid = s_roomiest (self)))
        s_give (kid, s_fifo_pop (&self->pending));
    for (uint32_t i = 0; i < self->nkids; i++)
        if (self->kids[i].wjob)
            s_feed (&self->kids[i]);
}

/* ---- The handler ------------------------------------------------------- */

static int s_start (dt_handler_t *h, const dt_handler_task_t *task)
{
    s_stdio_t *self = (s_stdio_t *) h;
    s_job_t *job = calloc (1, sizeof *job);
    if (!job)
        return -1;
    job->line = dt_stdio_line_encode (task, &job->line_len);
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
    /* Given to a child at the next perform, with the rest of this turn's
     * tasks: one write each child for all of them. */
    s_fifo_push (&self->pending, job);
    self->running++;
    return 0;
}

/* Queued tasks past their time limit (no child had room) are RETRY. */
static void s_expire_pending (s_stdio_t *self, int64_t now)
{
    s_job_t *prev = NULL, *job = self->pending.head;
    while (job) {
        s_job_t *next = job->next;
        if (now < job->deadline) {
            prev = job;
            job = next;
            continue;
        }
        s_fifo_unlink (&self->pending, prev, job);
        char error[128];
        snprintf (error, sizeof error, "task time limit: no command free within %" PRIu32 " ms",
                  job->time_limit_ms);
        s_report (self, job, DT_OUTCOME_RETRY, NULL, 0, error);
        job = next;
    }
}

/* The child's earliest deadline passed: the task it belongs to (the oldest
 * of those with it) is RETRY, the child is given up on. */
static void s_time_limit (s_stdio_t *self, s_kid_t *kid, int64_t now)
{
    s_job_t *prev = NULL, *job = kid->held.head;
    while (job->deadline != kid->deadline) {
        prev = job;
        job = job->next;
    }
    dt_log_warn ("STDIO-CHILD-HUNG",
                 "child %" PRIu32 ": task %" PRIu64 " over %" PRIu32
                 " ms: killing and restarting it (%zu tasks held go back to the queue)",
                 kid->index, job->task_id, job->time_limit_ms, kid->held.count - 1);
    s_fifo_unlink (&kid->held, prev, job);
    char error[128];
    snprintf (error, sizeof error, "task time limit: command killed after %" PRIu32 " ms",
              job->time_limit_ms);
    s_report (self, job, DT_OUTCOME_RETRY, NULL, 0, error);
    s_give_up (self, kid, 1, now);
}

static void s_advance (s_stdio_t *self, s_kid_t *kid, int64_t now)
{
    const short *ev = kid->revents;
    if (kid->state == S_DOWN) {
        if (now >= kid->restart_at)
            s_restart (self, kid, now);
        return;
    }
    if (ev[S_FD_IN] && kid->wjob)
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
    if (kid->state == S_UP && kid->held.head && now >= kid->deadline)
        s_time_limit (self, kid, now);
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
    if (self->pending.head && s_roomiest (self))
        return 0; /* new tasks for a child: the next perform gives them */
    int64_t now = s_now_ms (), due = INT64_MAX;
    for (uint32_t i = 0; i < self->nkids; i++) {
        s_kid_t *kid = &self->kids[i];
        if (kid->state == S_DOWN && kid->restart_at < due)
            due = kid->restart_at;
        if (kid->state == S_UP && kid->deadline < due)
            due = kid->deadline;
        if (kid->state != S_DOWN && kid->child.pidfd < 0 && now + DT_CHILD_REAP_POLL_MS < due)
            due = now + DT_CHILD_REAP_POLL_MS;
    }
    for (s_job_t *job = self->pending.head; job; job = job->next)
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
        want[0].fd = kid->wjob ? kid->child.in : -1;
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
            s_fifo_free (&self->kids[i].held);
            free (self->kids[i].rbuf);
        }
    }
    s_fifo_free (&self->pending);
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

dt_handler_t *dt_stdio_new (const dt_exec_options_t *opts, uint32_t children, uint32_t inflight,
                            dt_handler_done_fn *done, void *done_arg, char *err, size_t err_size)
{
    assert (children > 0 && inflight > 0);
    if (dt_exec_check (opts, err, err_size) != 0)
        return NULL;
    s_stdio_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->base = (dt_handler_t){&s_ops, done, done_arg};
    self->opts = *opts;
    self->inflight = inflight;
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
        kid->deadline = INT64_MAX;
        self->nkids = i + 1;
        if (s_spawn (self, kid, err, err_size) != 0)
            goto fail;
    }
    dt_log_info ("STDIO-START",
                 "kind %s: %" PRIu32 " children of %s, %" PRIu32
                 " tasks in flight each, time limit %" PRIu32 " ms",
                 opts->kind ? opts->kind : "-", children, opts->argv[0], inflight,
                 opts->time_limit_ms);
    return &self->base;
fail:
    s_destroy (&self->base);
    return NULL;
}
