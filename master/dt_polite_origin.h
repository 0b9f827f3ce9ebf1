/* dt_polite_origin.h - the parts of a URL politeness works on: its origin (dt_polite_origin, in
 * dt_polite.h) and the path robots.txt rules are matched against.
 *
 * Both read the URL as the master holds it (an acceptable http(s) URL,
 * dt_url_check) without a URL parser: they run once per page taken.
 */
#ifndef DT_POLITE_ORIGIN_H
#define DT_POLITE_ORIGIN_H

#include <stddef.h>

/* The path and query of `url` (`len` bytes), for robots.txt: *path
 * borrows from url, *plen its length, without the fragment; empty when
 * the URL has none (robots.txt reads that as "/"). */
void dt_polite_path (const char *url, size_t len, const char **path, size_t *plen);

#endif
