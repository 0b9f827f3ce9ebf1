/* dt_httpcheck.c - the one rule for the request headers and User-Agent a job or a worker may set.
 */
#include "dt_httpcheck.h"
#include "dt_limits.h"

#include <stdio.h>
#include <string.h>

/* RFC 9110 5.6.2 tchar. */
static int s_is_tchar (unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr ("!#$%&'*+-.^_`|~", c));
}

/* A field value: visible characters, spaces and tabs; obs-text (bytes over
 * 0x7f) passes as servers take it. No CR, LF, NUL or other control. */
static int s_value_ok (const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

int dt_httpcheck_header (const char *line, size_t len, char *err, size_t err_size)
{
    const char *colon = memchr (line, ':', len);
    if (!colon || colon == line) {
        snprintf (err, err_size, "header must be 'Name: value'");
        return -1;
    }
    for (const char *p = line; p < colon; p++)
        if (!s_is_tchar ((unsigned char) *p)) {
            snprintf (err, err_size, "header name holds a character not allowed in a name");
            return -1;
        }
    if (!s_value_ok (colon + 1, len - (size_t) (colon + 1 - line))) {
        snprintf (err, err_size, "header value holds a control character (CR, LF, NUL...)");
        return -1;
    }
    return 0;
}

int dt_httpcheck_user_agent (const char *ua, size_t len, char *err, size_t err_size)
{
    if (len == 0 || len > DT_LIMIT_USER_AGENT_MAX) {
        snprintf (err, err_size, "User-Agent must be 1 to %d bytes", DT_LIMIT_USER_AGENT_MAX);
        return -1;
    }
    if (!s_value_ok (ua, len)) {
        snprintf (err, err_size, "User-Agent holds a control character (CR, LF, NUL...)");
        return -1;
    }
    return 0;
}

int dt_httpcheck_headers (const char *list, size_t len, char *err, size_t err_size)
{
    if (len > DT_LIMIT_HTTP_HEADERS_WIRE) {
        snprintf (err, err_size, "headers: more than %d bytes", DT_LIMIT_HTTP_HEADERS_WIRE);
        return -1;
    }
    unsigned n = 0;
    for (size_t at = 0; len > 0 && at <= len;) {
        const char *nl = memchr (list + at, '\n', len - at);
        size_t end = nl ? (size_t) (nl - list) : len;
        char why[96];
        if (++n > DT_LIMIT_HTTP_HEADERS_MAX) {
            snprintf (err, err_size, "more than %d headers", DT_LIMIT_HTTP_HEADERS_MAX);
            return -1;
        }
        if (dt_httpcheck_header (list + at, end - at, why, sizeof why) != 0) {
            snprintf (err, err_size, "header %u: %s", n, why);
            return -1;
        }
        at = end + 1;
    }
    return 0;
}
