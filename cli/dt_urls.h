/* dt_urls.h - the URLs of one submission: read from arguments and files, checked, cut into chunks.
 *
 * URLs given as arguments are borrowed (argv outlives the list); a file is
 * read whole into memory the list owns, and its lines point into it. A bad
 * URL is reported by where it came from ("argument 3", "line 17"), in
 * terms the user can find.
 */
#ifndef DT_URLS_H
#define DT_URLS_H

#include "dt_msg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dt_urls_t dt_urls_t;

/* A run of consecutive URLs that goes out as one SUBMIT. */
typedef struct {
    size_t first;   /* index of its first URL */
    uint32_t count; /* URLs in it */
} dt_urls_chunk_t;

/* Called by dt_urls_check() for each invalid URL: `where` is "argument 3"
 * or "line 17", `why` the reason from dt_url_check(); both borrowed. */
typedef void (dt_urls_report_fn) (void *arg, const char *where, const char *why, dt_str_t url);

dt_urls_t *dt_urls_new (void);
void dt_urls_destroy (dt_urls_t **self_p);

/* Adds `url` (borrowed: it must outlive the list) as argument number n of
 * the URL arguments. Returns 0, or -1 when out of memory. */
int dt_urls_add_arg (dt_urls_t *self, const char *url);

/* Adds `len` bytes at `ptr` (borrowed: they must outlive the list) as the
 * next argument. Returns 0, or -1 when out of memory. */
int dt_urls_add_bytes (dt_urls_t *self, const char *ptr, size_t len);

/* Adds the URLs in `text` (copied), one per line: lines are trimmed of
 * spaces, tabs and a CR; blank lines and lines starting with '#' are
 * skipped. Line numbers count every line, from 1. Returns 0, or -1 when out
 * of memory. */
int dt_urls_add_text (dt_urls_t *self, const char *text, size_t len);

/* Reads the file at `path` ("-": standard input) whole and adds its lines
 * as dt_urls_add_text() does. Returns 0, or -1 with errno set. */
int dt_urls_load_file (dt_urls_t *self, const char *path);

size_t dt_urls_count (const dt_urls_t *self);

/* The URLs in order (borrowed; valid until the list changes or is
 * destroyed). */
const dt_str_t *dt_urls_items (const dt_urls_t *self);

/* Checks every URL with dt_url_check() and calls `report` (may be NULL) for
 * each invalid one. Returns the number of invalid URLs. */
size_t dt_urls_check (const dt_urls_t *self, dt_urls_report_fn *report, void *arg);

/* Cuts the list into chunks of at most `max_count` URLs and at most
 * `max_bytes` bytes of URL payload (each URL counted with its worst-case
 * encoding overhead). Returns a malloc'd array the caller frees, with its
 * length in *nchunks_p, or NULL when out of memory (or the list is empty).
 * The cut depends only on the URLs, so resubmitting the same input under
 * the same job id gives the same chunks. */
dt_urls_chunk_t *dt_urls_chunk (const dt_urls_t *self, size_t max_count, size_t max_bytes,
                                size_t *nchunks_p);

/* Worst-case bytes a URL of `len` bytes adds to a SUBMIT: a msgpack str
 * header is at most 5 bytes. */
#define DT_URLS_OVERHEAD 5

#endif
