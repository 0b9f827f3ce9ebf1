/* dt_jobhttp.c - a job's HTTP options as the master keeps them: checked once, owned by the job,
 * sent to workers with its tasks. */
#include "dt_jobhttp.h"
#include "dt_httpcheck.h"
#include "dt_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dt_jobhttp_t {
    dt_msg_httpopt_t msg; /* its strings point into buf */
    size_t size;          /* bytes of this allocation */
    char buf[];           /* user_agent then headers */
};

dt_jobhttp_t *dt_jobhttp_new (const dt_msg_httpopt_t *h)
{
    size_t size = sizeof (dt_jobhttp_t) + h->user_agent.len + h->headers.len;
    dt_jobhttp_t *self = malloc (size);
    if (!self)
        return NULL;
    self->msg = *h;
    self->size = size;
    if (h->user_agent.len)
        memcpy (self->buf, h->user_agent.ptr, h->user_agent.len);
    if (h->headers.len)
        memcpy (self->buf + h->user_agent.len, h->headers.ptr, h->headers.len);
    self->msg.user_agent = dt_str_n (self->buf, h->user_agent.len);
    self->msg.headers = dt_str_n (self->buf + h->user_agent.len, h->headers.len);
    return self;
}

void dt_jobhttp_destroy (dt_jobhttp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

const dt_msg_httpopt_t *dt_jobhttp_msg (const dt_jobhttp_t *self)
{
    return &self->msg;
}

static int s_str_eq (dt_str_t a, dt_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp (a.ptr, b.ptr, a.len) == 0);
}

int dt_jobhttp_same (const dt_jobhttp_t *self, const dt_msg_httpopt_t *h)
{
    if (!self)
        return dt_msg_httpopt_empty (h);
    const dt_msg_httpopt_t *m = &self->msg;
    return m->method == h->method && m->timeout_ms == h->timeout_ms &&
           m->connect_timeout_ms == h->connect_timeout_ms && m->max_bytes == h->max_bytes &&
           m->compressed == h->compressed && s_str_eq (m->user_agent, h->user_agent) &&
           s_str_eq (m->headers, h->headers);
}

int dt_jobhttp_check (const dt_msg_httpopt_t *h, dt_str_t kind, char *err, size_t err_size)
{
    char why[128];
    if (dt_msg_httpopt_empty (h))
        return 0;
    if (kind.len && !dt_spec_is_http (kind)) {
        snprintf (err, err_size, "HTTP options apply to http tasks only, not kind %.*s",
                  (int) kind.len, kind.ptr);
        return -1;
    }
    if (h->user_agent.len &&
        dt_httpcheck_user_agent (h->user_agent.ptr, h->user_agent.len, why, sizeof why) != 0) {
        snprintf (err, err_size, "http options: %s", why);
        return -1;
    }
    if (dt_httpcheck_headers (h->headers.ptr, h->headers.len, why, sizeof why) != 0) {
        snprintf (err, err_size, "http options: %s", why);
        return -1;
    }
    return 0;
}

size_t dt_jobhttp_memory (const dt_jobhttp_t *self)
{
    return self ? self->size : 0;
}
