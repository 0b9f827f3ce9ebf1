/* dt_httpcheck.h - the one rule for the request headers and User-Agent a job or a worker may set.
 *
 * A header or User-Agent holding CR or LF would let whoever sets it write
 * its own request lines (header injection, request smuggling), and a NUL
 * would cut it short in libcurl. The master checks a job's options with
 * these when it is submitted; the worker checks them again, through
 * dt_httpopt.h, before anything reaches libcurl: the same code both times,
 * so the two sides cannot disagree about what is allowed.
 */
#ifndef DT_HTTPCHECK_H
#define DT_HTTPCHECK_H

#include <stddef.h>

/* Checks one header line 'Name: value' of `len` bytes (not
 * NUL-terminated): the name is 1 or more RFC 9110 token characters, then
 * ':', then a value of visible characters, spaces, tabs and bytes over
 * 0x7f (no CR, LF, NUL or other control). Returns 0, or -1 with the reason
 * in `err`. */
int dt_httpcheck_header (const char *line, size_t len, char *err, size_t err_size);

/* Checks a User-Agent of `len` bytes: 1..DT_LIMIT_USER_AGENT_MAX of the
 * characters a header value may hold. Returns 0, or -1 with the reason. */
int dt_httpcheck_user_agent (const char *ua, size_t len, char *err, size_t err_size);

/* Checks a job's headers as they travel: lines joined by '\n' (`len` 0:
 * none), each a header as dt_httpcheck_header says, at most
 * DT_LIMIT_HTTP_HEADERS_MAX of them in at most DT_LIMIT_HTTP_HEADERS_WIRE
 * bytes. Returns 0, or -1 with the reason (naming the line) in `err`. */
int dt_httpcheck_headers (const char *list, size_t len, char *err, size_t err_size);

#endif
