/* dt_httpopt.h - the HTTP options of one task: method, extra headers, User-Agent, limits,
 * capture.
 *
 * A value type, copied freely: the headers live in a fixed buffer inside
 * it. Every setter validates its input (a header or User-Agent holding CR
 * or LF would let a job inject its own request lines), so an options value
 * is always safe to hand to libcurl. The worker's own flags fill one as the
 * default of every task; a job's options come over the protocol (TASKS) and
 * go through the same setters (dt_jobopt.h). The header and User-Agent rule
 * itself is dt_httpcheck.h's, shared with the master and the CLI.
 */
#ifndef DT_HTTPOPT_H
#define DT_HTTPOPT_H

#include "dt_limits.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { DT_HTTPOPT_GET = 0, DT_HTTPOPT_HEAD } dt_httpopt_method_t;

typedef struct {
    dt_httpopt_method_t method;  /* GET (default) or HEAD */
    uint32_t timeout_ms;         /* 0: the worker's --timeout; a task may ask for less, not more */
    uint32_t connect_timeout_ms; /* 0: the worker's --connect-timeout; likewise */
    uint64_t max_bytes;          /* 0: the worker's --max-bytes; likewise */
    int compressed;              /* send Accept-Encoding (gzip, deflate, br, zstd as built) */
    int capture;                 /* keep the exchange as WARC records (dt_warc.h) */
    uint64_t capture_max;        /* body bytes a capture keeps; 0: DT_LIMIT_CAPTURE_MAX */
    char user_agent[DT_LIMIT_USER_AGENT_MAX + 1]; /* "" : "dtask/VERSION" */
    uint32_t nheaders;                            /* extra headers in `headers` */
    size_t headers_len;                           /* bytes used in `headers` */
    char headers[DT_LIMIT_HTTP_HEADERS_BYTES];    /* 'Name: value' lines, each NUL-terminated */
} dt_httpopt_t;

/* The default User-Agent. */
#define DT_HTTPOPT_USER_AGENT "dtask/" DTASK_VERSION

/* GET, the worker's limits, no extra header, default User-Agent, no capture. */
void dt_httpopt_defaults (dt_httpopt_t *self);

/* Sets the method from "GET" or "HEAD" (case-sensitive, as on the wire).
 * Returns 0, or -1 with a reason in `err`, `self` unchanged. */
int dt_httpopt_set_method (dt_httpopt_t *self, const char *method, char *err, size_t err_size);

/* Adds an extra request header 'Name: value': the name is an HTTP token
 * (RFC 9110 tchar), the value holds no control character but tab (no CR,
 * LF or NUL). At most DT_LIMIT_HTTP_HEADERS_MAX headers in
 * DT_LIMIT_HTTP_HEADERS_BYTES. A header libcurl sends itself (Host,
 * User-Agent, Accept-Encoding) replaces curl's. Returns 0, or -1 with a
 * reason in `err`, `self` unchanged. */
int dt_httpopt_add_header (dt_httpopt_t *self, const char *line, char *err, size_t err_size);

/* Sets the User-Agent (1..DT_LIMIT_USER_AGENT_MAX bytes, no control
 * character). Returns 0, or -1 with a reason in `err`, `self` unchanged. */
int dt_httpopt_set_user_agent (dt_httpopt_t *self, const char *ua, char *err, size_t err_size);

/* The i-th extra header (i < nheaders), borrowed from `self`. */
const char *dt_httpopt_header (const dt_httpopt_t *self, uint32_t i);

#endif
