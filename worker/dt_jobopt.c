/* dt_jobopt.c - the HTTP options a job's tasks run with on this worker. */
#include "dt_jobopt.h"
#include "dt_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dt_jobopt_t {
    uint32_t refs;     /* tasks and callers holding it */
    char error[160];   /* "" when usable, else why not */
    dt_httpopt_t http; /* the worker's options with the job's applied */
};

/* Applies `h` to self->http. Returns 0, or -1 with the reason in `err`. */
static int s_apply (dt_jobopt_t *self, const dt_msg_httpopt_t *h, char *err, size_t err_size)
{
    dt_httpopt_t *o = &self->http;
    if (h->method == DT_HTTP_METHOD_GET || h->method == DT_HTTP_METHOD_HEAD) {
        if (dt_httpopt_set_method (o, h->method == DT_HTTP_METHOD_GET ? "GET" : "HEAD", err,
                                   err_size) != 0)
            return -1;
    } else if (h->method != DT_HTTP_METHOD_DEFAULT) {
        snprintf (err, err_size, "method %u is neither GET nor HEAD", h->method);
        return -1;
    }
    /* 0: the worker's; dt_fetch bounds any other by the worker's own. */
    if (h->timeout_ms)
        o->timeout_ms = h->timeout_ms;
    if (h->connect_timeout_ms)
        o->connect_timeout_ms = h->connect_timeout_ms;
    if (h->max_bytes)
        o->max_bytes = h->max_bytes;
    if (h->compressed)
        o->compressed = 1;
    /* The setters take C strings: a copy with its NUL. One over its cap
     * is cut one byte past it, so the setter still refuses it. */
    char buf[DT_LIMIT_HTTP_HEADERS_BYTES + 1];
    if (h->user_agent.len) {
        size_t n = h->user_agent.len < sizeof buf - 1 ? h->user_agent.len : sizeof buf - 1;
        memcpy (buf, h->user_agent.ptr, n);
        buf[n] = '\0';
        if (strlen (buf) != n) {
            snprintf (err, err_size, "User-Agent holds a NUL");
            return -1;
        }
        if (dt_httpopt_set_user_agent (o, buf, err, err_size) != 0)
            return -1;
    }
    for (size_t at = 0; h->headers.len > 0 && at <= h->headers.len;) {
        const char *line = h->headers.ptr + at;
        const char *nl = memchr (line, '\n', h->headers.len - at);
        size_t n = nl ? (size_t) (nl - line) : h->headers.len - at;
        if (n >= sizeof buf) {
            snprintf (err, err_size, "a header over %d bytes", DT_LIMIT_HTTP_HEADERS_BYTES);
            return -1;
        }
        memcpy (buf, line, n);
        buf[n] = '\0';
        if (strlen (buf) != n) {
            snprintf (err, err_size, "a header holds a NUL");
            return -1;
        }
        if (dt_httpopt_add_header (o, buf, err, err_size) != 0)
            return -1;
        at += n + 1;
    }
    return 0;
}

dt_jobopt_t *dt_jobopt_new (const dt_httpopt_t *defaults, const dt_msg_httpopt_t *h)
{
    dt_jobopt_t *self = malloc (sizeof *self);
    if (!self)
        return NULL;
    self->refs = 1;
    self->error[0] = '\0';
    self->http = *defaults;
    char why[128];
    if (s_apply (self, h, why, sizeof why) != 0)
        snprintf (self->error, sizeof self->error, "job HTTP options: %s", why);
    return self;
}

dt_jobopt_t *dt_jobopt_ref (dt_jobopt_t *self)
{
    self->refs++;
    return self;
}

void dt_jobopt_unref (dt_jobopt_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if (--(*self_p)->refs == 0)
        free (*self_p);
    *self_p = NULL;
}

const dt_httpopt_t *dt_jobopt_http (const dt_jobopt_t *self)
{
    return &self->http;
}

const char *dt_jobopt_error (const dt_jobopt_t *self)
{
    return self->error[0] ? self->error : NULL;
}
