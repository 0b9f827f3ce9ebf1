/* dt_exec.c - the exec handler: runs a command per task, payload on stdin, stdout as the output. */
#include "dt_exec.h"
#include "dt_child.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* Bytes read from a pipe at a time. */
#define S_READ_CHUNK (64 * 1024)
/* First size of an output buffer; it doubles up to the cap. */
#define S_OUTPUT_FIRST 4096

typedef enum { S_KILL_NONE, S_KILL_TIME, S_KILL_OUTPUT } s_kill_t;

/* What a pollfd of the last wait belongs to. */
typedef enum { S_FD_IN, S_FD_OUT, S_FD_ERR, S_FD_PID } s_fd_role_t;

/* One task's process. */
typedef struct {
    uint64_t id;            /* the caller's handle */
    uint32_t attempt;       /* as given to start */
    dt_child_t child;       /* pid 0 once reaped (or never spawned) */
    int status;             /* wait status, once reaped */
    int finished;           /* reaped or never spawned: report at the next perform */
    char *payload;          /* owned copy, written to stdin; NOT NUL-terminated */
    size_t payload_len;     /* its length */
    size_t written;         /* bytes of it written so far */
    char *output;           /* stdout so far; NOT NUL-terminated */
    size_t output_len;      /* bytes in it */
    size_t output_cap;      /* bytes allocated */
    dt_child_tail_t tail;   /* the end of its stderr */
    int64_t started;        /* monotonic ms */
    int64_t deadline;       /* monotonic ms of its time limit */
    uint32_t time_limit_ms; /* that limit, for the error */
    s_kill_t killed;        /* why we killed it, if we did */
    char spawn_error[256];  /* why it could not be spawned; "" if it was */
    short revents[4];       /* from the last wait, by s_fd_role_t */
} s_proc_t;

typedef struct {
    dt_handler_t base;        /* must be first: the loop sees only this */
    dt_exec_options_t opts;   /* copy; strings borrowed */
    uint32_t task_ms;         /* the master's bound on a task's run time; 0: none */
    s_proc_t **procs;         /* running or finished, not reported yet */
    size_t count;             /* used entries */
    size_t capacity;          /* allocated entries */
    struct pollfd *pfds;      /* the last wait's fds */
    s_proc_t **pfd_proc;      /* which process each belongs to */
    uint8_t *pfd_role;        /* and as what (s_fd_role_t) */
    size_t pfd_capacity;      /* entries allocated in the three */
    size_t npfds;             /* entries used in the last wait */
    char chunk[S_READ_CHUNK]; /* read buffer */
} s_exec_t;

static int64_t s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dt_exec_options_defaults (dt_exec_options_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->time_limit_ms = DT_EXEC_TIME_LIMIT_MS_DEFAULT;
    opts->output_max = DT_LIMIT_OUTPUT_MAX;
}

int dt_exec_check (const dt_exec_options_t *opts, char *err, size_t err_size)
{
    if (!opts->argv || !opts->argv[0]) {
        snprintf (err, err_size, "no command");
        return -1;
    }
    return dt_child_check (opts->argv[0], err, err_size);
}

static void s_proc_free (s_proc_t **proc_p)
{
    s_proc_t *proc = *proc_p;
    if (!proc)
        return;
    dt_child_end (&proc->child);
    free (proc->payload);
    free (proc->output);
    free (proc);
    *proc_p = NULL;
}

/* Writes what stdin takes now; closes it after the payload, or when the
 * child closed its end (it need not read everything). */
static void s_feed (s_proc_t *proc)
{
    while (proc->child.in >= 0 && proc->written < proc->payload_len) {
        ssize_t n = dt_child_write (&proc->child.in, proc->payload + proc->written,
                                    proc->payload_len - proc->written);
        if (n <= 0)
            break;
        proc->written += (size_t) n;
    }
    if (proc->written == proc->payload_len)
        dt_child_close_fd (&proc->child.in);
}

static int s_start (dt_handler_t *h, const dt_handler_task_t *task)
{
    s_exec_t *self = (s_exec_t *) h;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        s_proc_t **procs = realloc (self->procs, capacity * sizeof *procs);
        if (!procs)
            return -1;
        self->procs = procs;
        self->capacity = capacity;
    }
    s_proc_t *proc = calloc (1, sizeof *proc);
    if (!proc)
        return -1;
    proc->payload = malloc (task->payload_len ? task->payload_len : 1);
    if (!proc->payload) {
        free (proc);
        return -1;
    }
    if (task->payload_len)
        memcpy (proc->payload, task->payload, task->payload_len);
    proc->payload_len = task->payload_len;
    proc->id = task->id;
    proc->attempt = task->attempt;
    proc->started = s_now_ms ();
    proc->time_limit_ms =
        dt_exec_time_limit (task->time_limit_ms, self->opts.time_limit_ms, self->task_ms);
    proc->deadline = proc->started + proc->time_limit_ms;

    char id[40], attempt[40], kind[DT_LIMIT_KIND_MAX + 16];
    snprintf (id, sizeof id, "DTASK_TASK_ID=%" PRIu64, task->task_id);
    snprintf (attempt, sizeof attempt, "DTASK_ATTEMPT=%" PRIu32, task->attempt);
    snprintf (kind, sizeof kind, "DTASK_KIND=%s", self->opts.kind ? self->opts.kind : "");
    const char *env[] = {id, attempt, kind, NULL};
    if (dt_child_spawn (&proc->child, self->opts.argv, env, proc->spawn_error,
                        sizeof proc->spawn_error) != 0) {
        /* Reported from perform, as every completion is. */
        proc->finished = 1;
        dt_log_warn ("EXEC-SPAWN", "task %" PRIu64 ": %s", task->task_id, proc->spawn_error);
    } else
        s_feed (proc);
    self->procs[self->count++] = proc;
    return 0;
}

/* Appends stdout bytes, or kills the process when they pass the cap. */
static void s_take_output (s_exec_t *self, s_proc_t *proc, const char *data, size_t n)
{
    if (proc->killed == S_KILL_OUTPUT)
        return;
    if (n > self->opts.output_max - proc->output_len) {
        proc->killed = S_KILL_OUTPUT;
        dt_child_kill (&proc->child);
        dt_child_close_fd (&proc->child.out);
        return;
    }
    if (proc->output_len + n > proc->output_cap) {
        size_t cap = proc->output_cap ? proc->output_cap : S_OUTPUT_FIRST;
        while (cap < proc->output_len + n)
            cap *= 2;
        if (cap > self->opts.output_max)
            cap = self->opts.output_max;
        char *output = realloc (proc->output, cap);
        if (!output) {
            /* Treated as over the cap: this worker cannot hold it. */
            proc->killed = S_KILL_OUTPUT;
            dt_child_kill (&proc->child);
            dt_child_close_fd (&proc->child.out);
            return;
        }
        proc->output = output;
        proc->output_cap = cap;
    }
    memcpy (proc->output + proc->output_len, data, n);
    proc->output_len += n;
}

/* Reads stdout and stderr until they have nothing more now. */
static void s_drain (s_exec_t *self, s_proc_t *proc)
{
    ssize_t n;
    while ((n = dt_child_read (&proc->child.out, self->chunk, sizeof self->chunk)) > 0)
        s_take_output (self, proc, self->chunk, (size_t) n);
    while ((n = dt_child_read (&proc->child.err, self->chunk, sizeof self->chunk)) > 0)
        dt_child_tail_add (&proc->tail, self->chunk, (size_t) n);
}

/* "PREFIX: <stderr tail>", or PREFIX alone when stderr was empty. */
static void s_error_with_tail (const s_proc_t *proc, const char *prefix, char *out, size_t size)
{
    char tail[DT_CHILD_TAIL_MAX + 1];
    if (dt_child_tail_text (&proc->tail, tail, sizeof tail) > 0)
        snprintf (out, size, "%s: %s", prefix, tail);
    else
        snprintf (out, size, "%s", prefix);
}

static void s_report (s_exec_t *self, s_proc_t *proc)
{
    /* Under DT_LIMIT_ERROR_MAX, so the worker never cuts it mid-character. */
    char error[DT_LIMIT_ERROR_MAX - 1] = "", what[64];
    uint8_t outcome;
    int exit_code = -1;
    if (proc->spawn_error[0]) {
        outcome = DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "%s", proc->spawn_error);
    } else if (proc->killed == S_KILL_TIME) {
        outcome = DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "task time limit: killed after %" PRIu32 " ms",
                  proc->time_limit_ms);
    } else if (proc->killed == S_KILL_OUTPUT) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (error, sizeof error, "output over %zu bytes: killed", self->opts.output_max);
    } else {
        if (WIFEXITED (proc->status))
            exit_code = WEXITSTATUS (proc->status);
        outcome = exit_code == 0    ? DT_OUTCOME_DONE
                  : exit_code == 75 ? DT_OUTCOME_RETRY
                                    : DT_OUTCOME_FAIL;
        if (outcome != DT_OUTCOME_DONE) {
            dt_child_describe (proc->status, what, sizeof what);
            s_error_with_tail (proc, what, error, sizeof error);
        }
    }
    int64_t ms = s_now_ms () - proc->started;
    dt_handler_result_t r = {
        .id = proc->id,
        .attempt = proc->attempt,
        .outcome = outcome,
        .bytes = proc->output_len,
        .elapsed_ms = ms < 0            ? 0
                      : ms > UINT32_MAX ? UINT32_MAX
                                        : (uint32_t) ms,
        .final_url = "",
        .content_type = "",
        .error = error,
        .output = proc->output_len ? proc->output : NULL,
        .output_len = proc->output_len,
        .exit_code = exit_code,
    };
    self->base.done (self->base.done_arg, &r);
}

/* Advances one process: stdin, stdout, stderr, its exit, its time limit. */
static void s_advance (s_exec_t *self, s_proc_t *proc, int64_t now)
{
    if (proc->finished)
        return;
    const short *ev = proc->revents;
    if (ev[S_FD_IN])
        s_feed (proc);
    if (ev[S_FD_OUT] || ev[S_FD_ERR])
        s_drain (self, proc);
    /* Without a pidfd nothing signals the exit: look on every turn. */
    if (ev[S_FD_PID] || proc->child.pidfd < 0) {
        int rc = dt_child_reap (&proc->child, &proc->status);
        if (rc != 0) {
            /* Everything it wrote before exiting is in the pipes: read it
             * all. What a killed leftover might still write is dropped. */
            s_drain (self, proc);
            dt_child_close_fd (&proc->child.in);
            dt_child_close_fd (&proc->child.out);
            dt_child_close_fd (&proc->child.err);
            if (rc < 0)
                proc->status = 0x7f00; /* cannot happen for our own child */
            proc->finished = 1;
            return;
        }
    }
    if (proc->killed == S_KILL_NONE && now >= proc->deadline) {
        proc->killed = S_KILL_TIME;
        dt_child_kill (&proc->child);
    }
    memset (proc->revents, 0, sizeof proc->revents);
}

uint32_t dt_exec_time_limit (uint32_t task_ms, uint32_t handler_ms, uint32_t master_ms)
{
    uint32_t ms = task_ms ? task_ms : handler_ms;
    return master_ms && master_ms < ms ? master_ms : ms;
}

static void s_set_task_ms (dt_handler_t *h, uint32_t ms)
{
    ((s_exec_t *) h)->task_ms = ms;
}

static int s_perform (dt_handler_t *h)
{
    s_exec_t *self = (s_exec_t *) h;
    int64_t now = s_now_ms ();
    for (size_t i = 0; i < self->count;) {
        s_proc_t *proc = self->procs[i];
        s_advance (self, proc, now);
        if (!proc->finished) {
            i++;
            continue;
        }
        s_report (self, proc);
        s_proc_free (&proc);
        self->procs[i] = self->procs[--self->count];
    }
    self->npfds = 0; /* the revents they pointed to are consumed */
    return 0;
}

static long s_timeout (dt_handler_t *h)
{
    s_exec_t *self = (s_exec_t *) h;
    int64_t now = s_now_ms ();
    long ms = -1;
    for (size_t i = 0; i < self->count; i++) {
        s_proc_t *proc = self->procs[i];
        long due = -1;
        if (proc->finished)
            return 0;
        /* Once killed, its exit is what we wait for. */
        if (proc->killed == S_KILL_NONE)
            due = proc->deadline <= now ? 0 : (long) (proc->deadline - now);
        if (proc->child.pidfd < 0 && (due < 0 || due > DT_CHILD_REAP_POLL_MS))
            due = DT_CHILD_REAP_POLL_MS;
        if (due >= 0 && (ms < 0 || due < ms))
            ms = due;
    }
    return ms;
}

static int s_pfd_reserve (s_exec_t *self, size_t n)
{
    if (n <= self->pfd_capacity)
        return 0;
    size_t cap = self->pfd_capacity ? self->pfd_capacity : 64;
    while (cap < n)
        cap *= 2;
    struct pollfd *pfds = realloc (self->pfds, cap * sizeof *pfds);
    if (!pfds)
        return -1;
    self->pfds = pfds;
    s_proc_t **owner = realloc (self->pfd_proc, cap * sizeof *owner);
    if (!owner)
        return -1;
    self->pfd_proc = owner;
    uint8_t *role = realloc (self->pfd_role, cap);
    if (!role)
        return -1;
    self->pfd_role = role;
    self->pfd_capacity = cap;
    return 0;
}

static void s_pfd_add (s_exec_t *self, int fd, short events, s_proc_t *proc, s_fd_role_t role)
{
    if (fd < 0)
        return;
    self->pfds[self->npfds] = (struct pollfd){.fd = fd, .events = events};
    self->pfd_proc[self->npfds] = proc;
    self->pfd_role[self->npfds] = (uint8_t) role;
    self->npfds++;
}

static int s_wait (dt_handler_t *h, int extra_fd, int timeout_ms)
{
    s_exec_t *self = (s_exec_t *) h;
    if (s_pfd_reserve (self, 4 * self->count + 1) != 0)
        return -1;
    self->npfds = 0;
    for (size_t i = 0; i < self->count; i++) {
        s_proc_t *proc = self->procs[i];
        if (proc->finished)
            return 0;
        s_pfd_add (self, proc->child.in, POLLOUT, proc, S_FD_IN);
        s_pfd_add (self, proc->child.out, POLLIN, proc, S_FD_OUT);
        s_pfd_add (self, proc->child.err, POLLIN, proc, S_FD_ERR);
        s_pfd_add (self, proc->child.pidfd, POLLIN, proc, S_FD_PID);
    }
    size_t n = self->npfds;
    if (extra_fd >= 0)
        self->pfds[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
    int rc = poll (self->pfds, n, timeout_ms);
    if (rc < 0) {
        self->npfds = 0;
        return errno == EINTR ? 0 : -1;
    }
    for (size_t i = 0; i < self->npfds && rc > 0; i++)
        if (self->pfds[i].revents)
            self->pfd_proc[i]->revents[self->pfd_role[i]] = self->pfds[i].revents;
    return 0;
}

static size_t s_running (dt_handler_t *h)
{
    return ((s_exec_t *) h)->count;
}

static void s_destroy (dt_handler_t *h)
{
    s_exec_t *self = (s_exec_t *) h;
    for (size_t i = 0; i < self->count; i++)
        s_proc_free (&self->procs[i]);
    free (self->procs);
    free (self->pfds);
    free (self->pfd_proc);
    free (self->pfd_role);
    free (self);
}

static const dt_handler_ops_t s_ops = {
    .name = "exec",
    .start = s_start,
    .timeout = s_timeout,
    .wait = s_wait,
    .perform = s_perform,
    .set_task_ms = s_set_task_ms,
    .running = s_running,
    .destroy = s_destroy,
};

dt_handler_t *dt_exec_new (const dt_exec_options_t *opts, dt_handler_done_fn *done, void *done_arg,
                           char *err, size_t err_size)
{
    if (dt_exec_check (opts, err, err_size) != 0)
        return NULL;
    s_exec_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->base = (dt_handler_t){&s_ops, done, done_arg};
    self->opts = *opts;
    dt_child_ignore_sigpipe ();
    dt_child_default_sigchld ();
    dt_log_info ("EXEC-START", "kind %s: a process of %s per task, time limit %" PRIu32 " ms",
                 opts->kind ? opts->kind : "-", opts->argv[0], opts->time_limit_ms);
    return &self->base;
}
