/* dt_noop.c - the noop handler: every task completes at once with status 200 and 0 bytes. */
#include "dt_handler.h"
#include "dt_msg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t id;
    uint32_t attempt;
    char *url; /* owned NUL-terminated copy of the payload, reported as the final URL */
} s_entry_t;

typedef struct {
    dt_handler_t base;  /* must be first: the loop sees only this */
    s_entry_t *entries; /* started, not reported yet */
    size_t count;       /* used entries */
    size_t capacity;    /* allocated entries */
} s_noop_t;

static int s_start (dt_handler_t *h, const dt_handler_task_t *task)
{
    s_noop_t *self = (s_noop_t *) h;
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        s_entry_t *entries = realloc (self->entries, capacity * sizeof *entries);
        if (!entries)
            return -1;
        self->entries = entries;
        self->capacity = capacity;
    }
    char *copy = strndup (task->payload ? task->payload : "", task->payload_len);
    if (!copy)
        return -1;
    self->entries[self->count++] = (s_entry_t){task->id, task->attempt, copy};
    return 0;
}

static long s_timeout (dt_handler_t *h)
{
    return ((s_noop_t *) h)->count ? 0 : -1;
}

static int s_wait (dt_handler_t *h, int extra_fd, int timeout_ms)
{
    if (((s_noop_t *) h)->count)
        return 0;
    struct pollfd pfd = {.fd = extra_fd, .events = POLLIN};
    int rc = poll (&pfd, extra_fd >= 0 ? 1 : 0, timeout_ms);
    return rc < 0 && errno != EINTR ? -1 : 0;
}

static int s_perform (dt_handler_t *h)
{
    s_noop_t *self = (s_noop_t *) h;
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        dt_handler_result_t r = {.id = e->id,
                                 .attempt = e->attempt,
                                 .outcome = DT_OUTCOME_DONE,
                                 .http_status = 200,
                                 .final_url = e->url,
                                 .content_type = "",
                                 .error = "",
                                 .exit_code = -1};
        h->done (h->done_arg, &r);
        free (e->url);
    }
    self->count = 0;
    return 0;
}

static size_t s_running (dt_handler_t *h)
{
    return ((s_noop_t *) h)->count;
}

static void s_destroy (dt_handler_t *h)
{
    s_noop_t *self = (s_noop_t *) h;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries[i].url);
    free (self->entries);
    free (self);
}

static const dt_handler_ops_t s_ops = {
    .name = "noop",
    .start = s_start,
    .timeout = s_timeout,
    .wait = s_wait,
    .perform = s_perform,
    .running = s_running,
    .destroy = s_destroy,
};

dt_handler_t *dt_noop_new (dt_handler_done_fn *done, void *done_arg)
{
    s_noop_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->base = (dt_handler_t){&s_ops, done, done_arg};
    return &self->base;
}
