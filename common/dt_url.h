/* dt_url.h - the one URL acceptance rule shared by CLI, master and worker. */
#ifndef DT_URL_H
#define DT_URL_H

#include <stddef.h>

/* Checks that `url` (`len` bytes, need not be NUL-terminated) is an absolute
 * http or https URL with a host, at most DT_LIMIT_URL_MAX bytes, with no
 * whitespace or control characters. Returns 0 when acceptable. Otherwise
 * returns -1 and, when `why` is not NULL, writes a short reason such as
 * "scheme must be http or https" into `why` (NUL-terminated). */
int dt_url_check (const char *url, size_t len, char *why, size_t why_size);

/* The part of that rule only curl's URL parser decides (authority, port,
 * host), run on every URL: dt_url_check() skips it for URLs of a plain
 * shape that the parser always accepts. Same results; for tests that hold
 * the shortcut to the parser. Expects the checks before it passed. */
int dt_url_check_parsed (const char *url, size_t len, char *why, size_t why_size);

#endif
