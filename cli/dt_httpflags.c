/* dt_httpflags.c - a job's HTTP options from the command line. */
#include "dt_httpflags.h"
#include "dt_httpcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char dt_httpflags_usage[] =
    "HTTP options of the job (the same for every chunk of it; each worker's own\n"
    "limits still bound them: a job may ask for less time or bytes, not more):\n"
    "      --method GET|HEAD   request method (default: the worker's, GET)\n"
    "  -H, --header 'Name: value'  an extra request header; repeatable (up to 32)\n"
    "      --user-agent UA     User-Agent (default: the worker's, dtask/VERSION)\n"
    "      --timeout SECONDS   each fetch's total time limit\n"
    "      --connect-timeout SECONDS  each connect's time limit\n"
    "      --max-bytes N[K|M|G]  a body over N bytes fails the task\n"
    "      --compressed        ask for a compressed body (Accept-Encoding); a\n"
    "                          saved body is kept as received\n";

void dt_httpflags_init (dt_httpflags_t *self)
{
    memset (self, 0, sizeof *self);
    self->msg.user_agent = dt_str_n (self->user_agent, 0);
    self->msg.headers = dt_str_n (self->headers, 0);
}

/* Seconds, over 0 and at most DT_HTTPFLAGS_SECONDS_MAX, into whole ms (at
 * least 1). Returns 0 or -1. */
static int s_ms (const char *text, uint32_t *ms)
{
    char *end;
    if (!*text || strspn (text, "0123456789.") != strlen (text))
        return -1;
    errno = 0;
    double secs = strtod (text, &end);
    if (errno || *end || secs <= 0 || secs > DT_HTTPFLAGS_SECONDS_MAX)
        return -1;
    *ms = secs * 1000 < 1 ? 1 : (uint32_t) (secs * 1000);
    return 0;
}

/* N, NK, NM or NG (binary multiples), 1 to 2^50. Returns 0 or -1. */
static int s_bytes (const char *text, uint64_t *n)
{
    char *end;
    if (!*text || text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (errno || *end || v == 0 || v > (1ull << (50 - shift)))
        return -1;
    *n = (uint64_t) v << shift;
    return 0;
}

static int s_header (dt_httpflags_t *self, const char *line, char *err, size_t err_size)
{
    char why[96];
    size_t len = strlen (line), used = self->msg.headers.len;
    if (dt_httpcheck_header (line, len, why, sizeof why) != 0) {
        snprintf (err, err_size, "--header: %s", why);
        return -1;
    }
    if (self->nheaders >= DT_LIMIT_HTTP_HEADERS_MAX ||
        used + (used > 0) + len > DT_LIMIT_HTTP_HEADERS_WIRE) {
        snprintf (err, err_size, "--header: more than %d headers or %d bytes of them",
                  DT_LIMIT_HTTP_HEADERS_MAX, DT_LIMIT_HTTP_HEADERS_WIRE);
        return -1;
    }
    if (used > 0)
        self->headers[used++] = '\n';
    memcpy (self->headers + used, line, len);
    self->msg.headers.len = (uint32_t) (used + len);
    self->nheaders++;
    return 0;
}

int dt_httpflags_parse (dt_httpflags_t *self, int c, const char *arg, char *err, size_t err_size)
{
    char why[96];
    switch (c) {
    case DT_HTTPFLAGS_METHOD:
        if (strcmp (arg, "GET") == 0)
            self->msg.method = DT_HTTP_METHOD_GET;
        else if (strcmp (arg, "HEAD") == 0)
            self->msg.method = DT_HTTP_METHOD_HEAD;
        else {
            snprintf (err, err_size, "--method: GET or HEAD, not '%.40s'", arg);
            return -1;
        }
        return 1;
    case 'H':
        return s_header (self, arg, err, err_size) == 0 ? 1 : -1;
    case DT_HTTPFLAGS_USER_AGENT: {
        size_t len = strlen (arg);
        if (dt_httpcheck_user_agent (arg, len, why, sizeof why) != 0) {
            snprintf (err, err_size, "--user-agent: %s", why);
            return -1;
        }
        memcpy (self->user_agent, arg, len);
        self->msg.user_agent.len = (uint32_t) len;
        return 1;
    }
    case DT_HTTPFLAGS_TIMEOUT:
    case DT_HTTPFLAGS_CONNECT_TIMEOUT:
        if (s_ms (arg, c == DT_HTTPFLAGS_TIMEOUT ? &self->msg.timeout_ms
                                                 : &self->msg.connect_timeout_ms) != 0) {
            snprintf (err, err_size, "--%s: seconds, over 0, to %d, not '%.40s'",
                      c == DT_HTTPFLAGS_TIMEOUT ? "timeout" : "connect-timeout",
                      DT_HTTPFLAGS_SECONDS_MAX, arg);
            return -1;
        }
        return 1;
    case DT_HTTPFLAGS_MAX_BYTES:
        if (s_bytes (arg, &self->msg.max_bytes) != 0) {
            snprintf (err, err_size,
                      "--max-bytes: a number of bytes over 0, K, M or G after it, "
                      "not '%.40s'",
                      arg);
            return -1;
        }
        return 1;
    case DT_HTTPFLAGS_COMPRESSED:
        self->msg.compressed = 1;
        return 1;
    default:
        return 0;
    }
}
