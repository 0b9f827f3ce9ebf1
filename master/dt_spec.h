/* dt_spec.h - a task's kind, options and payload as the master keeps them: one byte string, its
 * "spec".
 *
 * An http task with no options of its own has its URL as its spec, as
 * before kinds existed, so the http path and every store written before
 * them read unchanged. Any other task's spec is its kind, a NUL, a fixed
 * header of DT_SPEC_HEADER bytes (priority u8, not_before u64, max_attempts
 * u32, timeout_ms u32, big-endian), then the payload. A URL never holds a
 * NUL (dt_url_check refuses control bytes) and a kind is [a-z0-9_-], so the
 * first NUL tells the forms apart. The spec goes wherever a URL went (task
 * table, the store's `url` column, chunk hashes, byte budgets): the options
 * are durable with the task and need no column and no new path.
 */
#ifndef DT_SPEC_H
#define DT_SPEC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dt_msg.h"

#define DT_SPEC_HEADER 17

/* A task's own options; zero: the master's defaults. */
typedef struct {
    uint8_t priority;      /* 0..DT_PRIORITY_MAX, higher first */
    uint64_t not_before;   /* wall-clock ms since 1970; 0: none */
    uint32_t max_attempts; /* 0: the master's --max-attempts */
    uint32_t timeout_ms;   /* 0: the master's --task-timeout */
} dt_spec_opts_t;

static inline uint64_t dt_spec_be (const char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | (uint8_t) p[i];
    return v;
}

static inline void dt_spec_put_be (char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (char) (uint8_t) v;
}

/* True when `kind` is http. */
static inline int dt_spec_is_http (dt_str_t kind)
{
    return kind.len == sizeof DT_KIND_HTTP - 1 && memcmp (kind.ptr, DT_KIND_HTTP, kind.len) == 0;
}

/* Splits `spec` into its kind ("http" when it holds no NUL), options (when
 * `opts` is not NULL) and payload, borrowed from `spec` (the kind "http"
 * from a literal). */
static inline void dt_spec_split (const char *spec, size_t len, dt_str_t *kind, dt_str_t *payload,
                                  dt_spec_opts_t *opts)
{
    const char *nul = len ? memchr (spec, '\0', len) : NULL;
    if (opts)
        memset (opts, 0, sizeof *opts);
    if (!nul) {
        *kind = dt_str_n (DT_KIND_HTTP, sizeof DT_KIND_HTTP - 1);
        *payload = dt_str_n (spec, len);
        return;
    }
    size_t klen = (size_t) (nul - spec), rest = len - klen - 1;
    *kind = dt_str_n (spec, klen);
    if (rest < DT_SPEC_HEADER) { /* not written by dt_spec_join: no payload */
        *payload = dt_str_n ("", 0);
        return;
    }
    const char *h = nul + 1;
    if (opts) {
        opts->priority = (uint8_t) h[0];
        opts->not_before = dt_spec_be (h + 1, 8);
        opts->max_attempts = (uint32_t) dt_spec_be (h + 9, 4);
        opts->timeout_ms = (uint32_t) dt_spec_be (h + 13, 4);
    }
    *payload = dt_str_n (h + DT_SPEC_HEADER, rest - DT_SPEC_HEADER);
}

/* What dt_spec_split gives for a spec known to hold no NUL (an http URL
 * with no options of its own), without looking for one. */
static inline void dt_spec_plain (const char *spec, size_t len, dt_str_t *kind, dt_str_t *payload,
                                  dt_spec_opts_t *opts)
{
    *kind = dt_str_n (DT_KIND_HTTP, sizeof DT_KIND_HTTP - 1);
    *payload = dt_str_n (spec, len);
    if (opts)
        memset (opts, 0, sizeof *opts);
}

/* The specs of `count` payloads of `kind` with `opts`: for http with no
 * options the payloads themselves (*buf_p NULL); else each written into
 * one malloc'd buffer returned in *buf_p (the caller frees it, and the
 * array returned, which it also owns unless it is `payloads`). Returns NULL
 * when memory runs out. */
static inline const dt_str_t *dt_spec_join (dt_str_t kind, const dt_spec_opts_t *opts,
                                            const dt_str_t *payloads, uint32_t count, char **buf_p)
{
    *buf_p = NULL;
    if (dt_spec_is_http (kind) && !opts->priority && !opts->not_before && !opts->max_attempts &&
        !opts->timeout_ms)
        return payloads;
    size_t total = 0, head = kind.len + 1 + DT_SPEC_HEADER;
    for (uint32_t i = 0; i < count; i++)
        total += head + payloads[i].len;
    dt_str_t *specs = malloc ((size_t) count * sizeof *specs);
    char *buf = malloc (total ? total : 1);
    if (!specs || !buf) {
        free (specs);
        free (buf);
        return NULL;
    }
    char *p = buf;
    for (uint32_t i = 0; i < count; i++) {
        specs[i] = dt_str_n (p, head + payloads[i].len);
        memcpy (p, kind.ptr, kind.len);
        p[kind.len] = '\0';
        char *h = p + kind.len + 1;
        h[0] = (char) opts->priority;
        dt_spec_put_be (h + 1, opts->not_before, 8);
        dt_spec_put_be (h + 9, opts->max_attempts, 4);
        dt_spec_put_be (h + 13, opts->timeout_ms, 4);
        if (payloads[i].len)
            memcpy (h + DT_SPEC_HEADER, payloads[i].ptr, payloads[i].len);
        p += specs[i].len;
    }
    *buf_p = buf;
    return specs;
}

#endif
