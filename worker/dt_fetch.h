/* dt_fetch.h - the http handler: fetches URLs with libcurl multi; bodies are counted, not kept.
 *
 * Only http and https, at most DT_LIMIT_REDIRECTS_MAX redirects, a connect
 * and a total time limit, a body size cap. Every fetch ends as a result:
 *   DONE  any final HTTP response (404 included) but 5xx and 429;
 *   RETRY 5xx, 429, or no response (connect, DNS, timeout, reset, transfer
 *         errors), with curl's error text;
 *   FAIL  URL refused, protocol not allowed, too many redirects, body over
 *         the cap ("body over N bytes").
 * One thread: the worker loop calls wait/perform (dt_handler.h). Easy
 * handles are reused from a free list; connections and DNS answers are
 * shared through the multi handle. The caller has called curl_global_init.
 */
#ifndef DT_FETCH_H
#define DT_FETCH_H

#include "dt_handler.h"

#include <stddef.h>
#include <stdint.h>

#define DT_FETCH_TIMEOUT_MS_DEFAULT         30000
#define DT_FETCH_CONNECT_TIMEOUT_MS_DEFAULT 10000

typedef struct {
    uint32_t timeout_ms;         /* whole fetch, redirects included */
    uint32_t connect_timeout_ms; /* each TCP + TLS connect */
    uint64_t max_bytes;          /* body bytes over this fail the fetch */
    int deny_private;            /* refuse private, loopback, link-local... (dt_addr.h) */
    int trusted_proxy;           /* with deny_private: the environment's proxies refuse private
                                    destinations themselves; connecting to them is allowed */
} dt_fetch_options_t;

/* Fills `opts` with the defaults (DT_LIMIT_BODY_MAX body cap). */
void dt_fetch_options_defaults (dt_fetch_options_t *opts);

/* Creates the http handler. Returns NULL with a reason in `err` on failure
 * (with deny_private and trusted_proxy: a proxy host that cannot be
 * resolved). */
dt_handler_t *dt_fetch_new (const dt_fetch_options_t *opts, dt_handler_done_fn *done,
                            void *done_arg, char *err, size_t err_size);

#endif
