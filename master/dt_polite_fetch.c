/* dt_polite_fetch.c - robots.txt fetches as internal tasks: waiting, out, and their options. */
#include "dt_polite_fetch.h"
#include "dt_polite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fetch's task is no job's: it is in neither the task table nor the
 * store and counts in no job or master counter, so the task life's table
 * (dt_life.c), whose every step moves those counters, is not for it. It
 * has two states of its own, set here only: QUEUED while it waits here,
 * INFLIGHT while a worker holds its lease. */

/* One fetch. The task comes first: the state's lease lists hold a
 * dt_task_t *, and a fetch is found back from it. */
typedef struct s_fetch_t {
    dt_task_t task;
    void *host;             /* the origin's, borrowed */
    struct s_fetch_t *next; /* in the queue, or in the list of those out */
    struct s_fetch_t *prev; /* out: the previous in that list */
    uint32_t lost;          /* leases lost */
    int has_http;           /* http holds the job's options */
    dt_msg_httpopt_t http;  /* its strings point into `strings` */
    char url[DT_POLITE_ORIGIN_MAX + sizeof "/robots.txt"];
    char strings[]; /* the User-Agent, then the headers */
} s_fetch_t;

struct dt_polite_fetchq_t {
    s_fetch_t *head; /* waiting for a worker, oldest first */
    s_fetch_t *tail;
    uint32_t queued;   /* in that queue */
    s_fetch_t *out;    /* leased, newest first */
    uint32_t fetching; /* queued + out */
    uint64_t next_id;  /* the next internal task id */
};

dt_polite_fetchq_t *dt_polite_fetchq_new (void)
{
    dt_polite_fetchq_t *self = calloc (1, sizeof *self);
    if (self)
        self->next_id = DT_POLITE_ID_BASE;
    return self;
}

static void s_free_list (s_fetch_t *f)
{
    for (s_fetch_t *next; f; f = next) {
        next = f->next;
        free (f);
    }
}

void dt_polite_fetchq_destroy (dt_polite_fetchq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_polite_fetchq_t *self = *self_p;
    s_free_list (self->head);
    s_free_list (self->out);
    free (self);
    *self_p = NULL;
}

static void s_push (dt_polite_fetchq_t *self, s_fetch_t *f, int front)
{
    f->prev = NULL;
    if (front) {
        f->next = self->head;
        self->head = f;
        if (!self->tail)
            self->tail = f;
    } else {
        f->next = NULL;
        if (self->tail)
            self->tail->next = f;
        else
            self->head = f;
        self->tail = f;
    }
    self->queued++;
}

dt_task_t *dt_polite_fetchq_add (dt_polite_fetchq_t *self, const char *origin, void *host,
                                 const dt_msg_httpopt_t *http)
{
    size_t extra = http ? (size_t) http->user_agent.len + http->headers.len : 0;
    s_fetch_t *f = calloc (1, sizeof *f + extra);
    if (!f)
        return NULL;
    snprintf (f->url, sizeof f->url, "%s/robots.txt", origin);
    f->host = host;
    f->task.url = f->url;
    f->task.url_len = (uint32_t) strlen (f->url);
    f->task.job = UINT32_MAX;
    if (http && !dt_msg_httpopt_empty (http)) {
        /* The job's identity and limits; never its method, body cap or
         * compression: robots.txt is read whole, as it is. */
        f->has_http = 1;
        f->http.method = DT_HTTP_METHOD_GET;
        f->http.timeout_ms = http->timeout_ms;
        f->http.connect_timeout_ms = http->connect_timeout_ms;
        memcpy (f->strings, http->user_agent.ptr, http->user_agent.len);
        memcpy (f->strings + http->user_agent.len, http->headers.ptr, http->headers.len);
        f->http.user_agent = dt_str_n (f->strings, http->user_agent.len);
        f->http.headers = dt_str_n (f->strings + http->user_agent.len, http->headers.len);
    }
    s_push (self, f, 0);
    self->fetching++;
    return &f->task;
}

uint32_t dt_polite_fetchq_ready (const dt_polite_fetchq_t *self)
{
    /* Only as many as may be out at once count as work to hand out. */
    uint32_t out = self->fetching - self->queued;
    if (out >= DT_POLITE_FETCHES_MAX)
        return 0;
    return self->queued < DT_POLITE_FETCHES_MAX - out ? self->queued : DT_POLITE_FETCHES_MAX - out;
}

dt_task_t *dt_polite_fetchq_take (dt_polite_fetchq_t *self, dt_msg_task_t *item)
{
    if (dt_polite_fetchq_ready (self) == 0)
        return NULL;
    s_fetch_t *f = self->head;
    self->head = f->next;
    if (!self->head)
        self->tail = NULL;
    self->queued--;
    f->next = f->prev = NULL;
    if (!f->task.id)
        f->task.id = self->next_id++;
    memset (item, 0, sizeof *item);
    item->id = f->task.id;
    item->attempt = f->task.attempts + 1;
    item->kind = dt_str_n (DT_KIND_HTTP, sizeof DT_KIND_HTTP - 1);
    item->payload = dt_str_n (f->task.url, f->task.url_len);
    item->flags = DT_TASK_BODY;
    return &f->task;
}

void dt_polite_fetchq_untake (dt_polite_fetchq_t *self, dt_task_t *task)
{
    s_push (self, (s_fetch_t *) task, 1);
}

void dt_polite_fetchq_lease (dt_polite_fetchq_t *self, dt_task_t *task)
{
    s_fetch_t *f = (s_fetch_t *) task;
    task->attempts++;
    task->state = DT_TASK_INFLIGHT;
    f->next = self->out;
    f->prev = NULL;
    if (self->out)
        self->out->prev = f;
    self->out = f;
}

dt_task_t *dt_polite_fetchq_find (const dt_polite_fetchq_t *self, uint64_t id)
{
    for (s_fetch_t *f = self->out; f; f = f->next)
        if (f->task.id == id)
            return &f->task;
    return NULL;
}

void *dt_polite_fetchq_host (const dt_task_t *task)
{
    return ((const s_fetch_t *) task)->host;
}

const dt_msg_httpopt_t *dt_polite_fetchq_http (const dt_task_t *task)
{
    const s_fetch_t *f = (const s_fetch_t *) task;
    return f->has_http ? &f->http : NULL;
}

static void s_out_unlink (dt_polite_fetchq_t *self, s_fetch_t *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        self->out = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->next = f->prev = NULL;
}

int dt_polite_fetchq_lost (dt_polite_fetchq_t *self, dt_task_t **task_p)
{
    s_fetch_t *f = (s_fetch_t *) *task_p;
    if (f->lost + 1 < DT_POLITE_FETCH_LOST_MAX) {
        s_out_unlink (self, f);
        f->lost++;
        f->task.state = DT_TASK_QUEUED;
        s_push (self, f, 1);
        return 1;
    }
    dt_polite_fetchq_remove (self, task_p);
    return 0;
}

void dt_polite_fetchq_remove (dt_polite_fetchq_t *self, dt_task_t **task_p)
{
    if (!task_p || !*task_p)
        return;
    s_fetch_t *f = (s_fetch_t *) *task_p;
    s_out_unlink (self, f);
    self->fetching--;
    free (f);
    *task_p = NULL;
}
