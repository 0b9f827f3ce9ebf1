/* dt_httpopt.c - the HTTP options of one task: method, extra headers, User-Agent, limits, capture. */
#include "dt_httpopt.h"
#include "dt_httpcheck.h"

#include <stdio.h>
#include <string.h>

void dt_httpopt_defaults (dt_httpopt_t *self)
{
    memset (self, 0, sizeof *self);
    self->method = DT_HTTPOPT_GET;
}

int dt_httpopt_set_method (dt_httpopt_t *self, const char *method, char *err, size_t err_size)
{
    if (strcmp (method, "GET") == 0)
        self->method = DT_HTTPOPT_GET;
    else if (strcmp (method, "HEAD") == 0)
        self->method = DT_HTTPOPT_HEAD;
    else {
        snprintf (err, err_size, "method must be GET or HEAD");
        return -1;
    }
    return 0;
}

int dt_httpopt_add_header (dt_httpopt_t *self, const char *line, char *err, size_t err_size)
{
    if (dt_httpcheck_header (line, strlen (line), err, err_size) != 0)
        return -1;
    size_t len = strlen (line) + 1;
    if (self->nheaders >= DT_LIMIT_HTTP_HEADERS_MAX ||
        len > sizeof self->headers - self->headers_len) {
        snprintf (err, err_size, "more than %d headers or %d bytes of them",
                  DT_LIMIT_HTTP_HEADERS_MAX, DT_LIMIT_HTTP_HEADERS_BYTES);
        return -1;
    }
    memcpy (self->headers + self->headers_len, line, len);
    self->headers_len += len;
    self->nheaders++;
    return 0;
}

int dt_httpopt_set_user_agent (dt_httpopt_t *self, const char *ua, char *err, size_t err_size)
{
    size_t len = strlen (ua);
    if (dt_httpcheck_user_agent (ua, len, err, err_size) != 0)
        return -1;
    memcpy (self->user_agent, ua, len + 1);
    return 0;
}

const char *dt_httpopt_header (const dt_httpopt_t *self, uint32_t i)
{
    const char *p = self->headers;
    while (i-- > 0)
        p += strlen (p) + 1;
    return p;
}
