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

#endif
