/* dt_spec.h - a task's kind and payload as the master keeps them: one byte string, its "spec".
 *
 * An http task's spec is its URL, as before kinds existed, so the http path
 * and every store written before them read unchanged. Any other kind's
 * spec is the kind, a NUL, then the payload: a URL never holds a NUL
 * (dt_url_check refuses control bytes), and a kind is [a-z0-9_-]. The spec
 * goes wherever a URL went (task table, store `url` column, chunk hashes,
 * byte budgets), so kinds need no new column and no new path.
 */
#ifndef DT_SPEC_H
#define DT_SPEC_H

#include <stdlib.h>
#include <string.h>

#include "dt_msg.h"

/* Splits `spec` into its kind ("http" when it holds no NUL) and payload,
 * both borrowed from `spec` (the kind "http" from a literal). */
static inline void dt_spec_split (const char *spec, size_t len, dt_str_t *kind, dt_str_t *payload)
{
    const char *nul = len ? memchr (spec, '\0', len) : NULL;
    if (!nul) {
        *kind = dt_str_n (DT_KIND_HTTP, sizeof DT_KIND_HTTP - 1);
        *payload = dt_str_n (spec, len);
        return;
    }
    *kind = dt_str_n (spec, (size_t) (nul - spec));
    *payload = dt_str_n (nul + 1, len - (size_t) (nul - spec) - 1);
}

/* True when `kind` is http. */
static inline int dt_spec_is_http (dt_str_t kind)
{
    return kind.len == sizeof DT_KIND_HTTP - 1 && memcmp (kind.ptr, DT_KIND_HTTP, kind.len) == 0;
}

/* The specs of `count` payloads of `kind`: for http the payloads
 * themselves (*buf_p NULL); else each kind NUL payload, written into one
 * malloc'd buffer returned in *buf_p (the caller frees it, and the array
 * returned, which it also owns unless it is `payloads`). Returns NULL
 * when memory runs out. */
static inline const dt_str_t *dt_spec_join (dt_str_t kind, const dt_str_t *payloads, uint32_t count,
                                            char **buf_p)
{
    *buf_p = NULL;
    if (dt_spec_is_http (kind))
        return payloads;
    size_t total = 0;
    for (uint32_t i = 0; i < count; i++)
        total += kind.len + 1 + payloads[i].len;
    dt_str_t *specs = malloc ((size_t) count * sizeof *specs);
    char *buf = malloc (total ? total : 1);
    if (!specs || !buf) {
        free (specs);
        free (buf);
        return NULL;
    }
    char *p = buf;
    for (uint32_t i = 0; i < count; i++) {
        specs[i] = dt_str_n (p, kind.len + 1 + payloads[i].len);
        memcpy (p, kind.ptr, kind.len);
        p[kind.len] = '\0';
        if (payloads[i].len)
            memcpy (p + kind.len + 1, payloads[i].ptr, payloads[i].len);
        p += specs[i].len;
    }
    *buf_p = buf;
    return specs;
}

#endif
