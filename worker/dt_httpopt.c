/* dt_httpopt.c - the HTTP options of one task (per job, later): method, extra headers, User-Agent,
 * limits, capture. */
#include "dt_httpopt.h"

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

/* RFC 9110 5.6.2 tchar. */
static int s_is_tchar (unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr ("!#$%&'*+-.^_`|~", c));
}

/* A field value: visible characters, spaces and tabs; obs-text (bytes over
 * 0x7f) passes as servers take it. No CR, LF, NUL or other control. */
static int s_value_ok (const char *v)
{
    for (const unsigned char *p = (const unsigned char *) v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    return 1;
}

int dt_httpopt_add_header (dt_httpopt_t *self, const char *line, char *err, size_t err_size)
{
    const char *colon = strchr (line, ':');
    if (!colon || colon == line) {
        snprintf (err, err_size, "header must be 'Name: value'");
        return -1;
    }
    for (const char *p = line; p < colon; p++)
        if (!s_is_tchar ((unsigned char) *p)) {
            snprintf (err, err_size, "header name holds a character not allowed in a name");
            return -1;
        }
    if (!s_value_ok (colon + 1)) {
        snprintf (err, err_size, "header value holds a control character (CR, LF...)");
        return -1;
    }
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
    if (len == 0 || len > DT_LIMIT_USER_AGENT_MAX) {
        snprintf (err, err_size, "User-Agent must be 1 to %d bytes", DT_LIMIT_USER_AGENT_MAX);
        return -1;
    }
    if (!s_value_ok (ua)) {
        snprintf (err, err_size, "User-Agent holds a control character (CR, LF...)");
        return -1;
    }
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
