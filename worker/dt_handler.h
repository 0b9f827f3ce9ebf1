/* dt_handler.h - what runs a task: a vtable the worker loop drives the same way for every handler.
 *
 * A handler starts tasks and reports each one's completion exactly once
 * through the `done` callback given at creation. The loop owns the waiting:
 * it asks the handler how soon it needs attention (timeout), lets it wait on
 * its own fds plus the loop's extra fd (wait), then lets it make progress
 * (perform), which is the only place completions are reported. So the http
 * handler (libcurl multi), the noop handler and the command handlers
 * (dt_exec.h, dt_stdio.h: child processes' pipes) plug in the same way.
 * A task's input is bytes (a payload); its result may carry bytes back
 * (output) and a command's exit status.
 */
#ifndef DT_HANDLER_H
#define DT_HANDLER_H

#include <stddef.h>
#include <stdint.h>

/* One task to start. Everything is borrowed for the call: a handler copies
 * what it keeps. */
typedef struct {
    uint64_t id;            /* the caller's handle for the task, echoed in its result */
    uint64_t task_id;       /* the master's task id (DTASK_TASK_ID for a command) */
    uint32_t attempt;       /* attempt number, 1 for the first */
    uint32_t time_limit_ms; /* 0: the handler's own limit */
    const void *payload;    /* the task's input: the URL for http; NOT NUL-terminated */
    size_t payload_len;     /* its length in bytes */
    uint32_t flags;         /* the master's DT_TASK_* bits (dt_msg.h); handlers ignore others */
} dt_handler_task_t;

/* One finished task. Strings are borrowed: valid only during the callback,
 * NUL-terminated, never NULL ("" when absent). */
typedef struct {
    uint64_t id;              /* as given to start */
    uint32_t attempt;         /* as given to start */
    uint8_t outcome;          /* DT_OUTCOME_DONE / RETRY / FAIL (dt_msg.h) */
    uint16_t http_status;     /* 0: no HTTP response */
    uint64_t bytes;           /* body bytes received */
    uint32_t elapsed_ms;      /* time the task took */
    const void *warc;         /* the http handler's capture, when asked for: WARC records, one
                                 gzip member each (dt_warc.h); borrowed, NULL when warc_len is 0 */
    size_t warc_len;          /* its length in bytes */
    const char *links;        /* DT_TASK_LINKS: the page's links, one per '\n' (dt_pagelinks.h);
                                 borrowed, NOT NUL-terminated, NULL when links_len is 0 */
    size_t links_len;         /* their length in bytes */
    const char *final_url;    /* after redirects */
    const char *content_type; /* as the server sent it */
    const char *error;        /* why it is RETRY or FAIL */
    const void *output;       /* what the task produced (a command's stdout); borrowed,
                                 NOT NUL-terminated, NULL when output_len is 0 */
    size_t output_len;        /* its length in bytes */
    int exit_code;            /* a command's exit status; -1 when none applies */
    uint32_t retry_after_ms;  /* http: the pause a 429/503 asked for (Retry-After); 0: none */
} dt_handler_result_t;

/* Completion callback. It must not call back into the handler (it runs
 * inside dt_handler_perform). */
typedef void (dt_handler_done_fn) (void *arg, const dt_handler_result_t *result);

typedef struct dt_handler_t dt_handler_t;

typedef struct {
    const char *name;
    /* Starts a task; what it needs of `task` is copied. Its completion
     * comes later, from perform (a task refused at once, e.g. a bad URL,
     * too). Returns 0, or -1 when it cannot start (out of memory): then no
     * completion will come. */
    int (*start) (dt_handler_t *self, const dt_handler_task_t *task);
    /* Milliseconds until the handler needs perform to be called: 0 now, -1
     * no deadline of its own. */
    long (*timeout) (dt_handler_t *self);
    /* Waits at most `timeout_ms` until the handler has progress to make or
     * `extra_fd` (if >= 0) is readable. Returns 0 (also when interrupted by
     * a signal), -1 on an unrecoverable error. */
    int (*wait) (dt_handler_t *self, int extra_fd, int timeout_ms);
    /* Advances every task and reports each finished one through `done`.
     * Returns 0, or -1 on an unrecoverable error. */
    int (*perform) (dt_handler_t *self);
    /* Limits the run time of each task started from now on to `ms`
     * (0: no limit beyond the handler's own), measured from its start; a
     * task over it ends RETRY with "task time limit (N ms)". NULL in a
     * handler whose tasks cannot run long. */
    void (*set_task_ms) (dt_handler_t *self, uint32_t ms);
    /* Tasks started whose completion has not been reported yet. */
    size_t (*running) (dt_handler_t *self);
    /* Frees the handler, abandoning running tasks without reporting them. */
    void (*destroy) (dt_handler_t *self);
} dt_handler_ops_t;

/* The common head of every handler: an implementation embeds it as its
 * first member. */
struct dt_handler_t {
    const dt_handler_ops_t *ops;
    dt_handler_done_fn *done; /* completion callback */
    void *done_arg;           /* its argument */
};

static inline int dt_handler_start (dt_handler_t *self, const dt_handler_task_t *task)
{
    return self->ops->start (self, task);
}
static inline long dt_handler_timeout (dt_handler_t *self)
{
    return self->ops->timeout (self);
}
static inline int dt_handler_wait (dt_handler_t *self, int extra_fd, int timeout_ms)
{
    return self->ops->wait (self, extra_fd, timeout_ms);
}
static inline int dt_handler_perform (dt_handler_t *self)
{
    return self->ops->perform (self);
}
static inline void dt_handler_set_task_ms (dt_handler_t *self, uint32_t ms)
{
    if (self->ops->set_task_ms)
        self->ops->set_task_ms (self, ms);
}
static inline size_t dt_handler_running (dt_handler_t *self)
{
    return self->ops->running (self);
}
static inline const char *dt_handler_name (const dt_handler_t *self)
{
    return self->ops->name;
}

/* NULL-safe; nulls the pointer. */
static inline void dt_handler_destroy (dt_handler_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    (*self_p)->ops->destroy (*self_p);
    *self_p = NULL;
}

/* The noop handler: completes every task at the next perform with status
 * 200, 0 bytes, the task's payload (its URL) as final URL and no output.
 * Measures the transport alone.
 * Returns NULL when out of memory. */
dt_handler_t *dt_noop_new (dt_handler_done_fn *done, void *done_arg);

#endif
