/* dt_fetch.h - the http handler: fetches URLs with libcurl multi; bodies are counted, or kept as
 * WARC records.
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
 *
 * Each task has HTTP options (dt_httpopt.h: method, extra headers,
 * User-Agent, limits, compression, capture); dt_handler_start uses the
 * handler's defaults, dt_fetch_start_with a task's own. With capture on:
 *   - the request head as libcurl sent it (CURLINFO_HEADER_OUT), the
 *     response head and the body as received are kept and turned into a
 *     request and a response WARC record (dt_warc.h), handed over in the
 *     result's `warc` bytes;
 *   - HTTP/1.1 only: the records hold the bytes of the wire, and an HTTP/2
 *     exchange has no such bytes (libcurl would give its headers as
 *     HTTP/1-style lines, "HTTP/2 200" and lower-case names, which no
 *     reader could check against a digest of what was sent);
 *   - no decoding: a gzip body (compressed transfer) or a chunked one is
 *     kept and counted as it came (its payload digest leaves the chunk
 *     framing out, dt_warc.h);
 *   - redirects are followed here, hop by hop, not inside libcurl: each hop
 *     is its own request and response record pair, as a replay tool needs
 *     to replay the redirect; the result's final URL is the last hop's.
 *     Same limits as without capture: DT_LIMIT_REDIRECTS_MAX hops, http and
 *     https only, one time limit for the whole chain;
 *   - a body over DT_LIMIT_CAPTURE_MAX is kept up to it ("WARC-Truncated:
 *     length"), one over the task's byte cap fails the task as usual and
 *     its records are kept, truncated ("length"); a transfer cut by the
 *     server is marked "disconnect", one cut by the time limit "time".
 */
#ifndef DT_FETCH_H
#define DT_FETCH_H

#include "dt_handler.h"
#include "dt_httpopt.h"
#include "dt_limits.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DT_FETCH_TIMEOUT_MS_DEFAULT         30000
#define DT_FETCH_CONNECT_TIMEOUT_MS_DEFAULT 10000

typedef struct {
    uint32_t timeout_ms;         /* whole fetch, redirects included */
    uint32_t connect_timeout_ms; /* each TCP + TLS connect */
    uint64_t max_bytes;          /* body bytes over this fail the fetch */
    int deny_private;            /* refuse private, loopback, link-local... (dt_addr.h) */
    int trusted_proxy;           /* with deny_private: the environment's proxies refuse private
                                    destinations themselves; connecting to them is allowed */
    dt_httpopt_t http;           /* every task's HTTP options, unless it brings its own */
} dt_fetch_options_t;

/* Fills `opts` with the defaults (DT_LIMIT_BODY_MAX body cap). */
void dt_fetch_options_defaults (dt_fetch_options_t *opts);

/* Creates the http handler. Returns NULL with a reason in `err` on failure
 * (with deny_private and trusted_proxy: a proxy host that cannot be
 * resolved). */
dt_handler_t *dt_fetch_new (const dt_fetch_options_t *opts, dt_handler_done_fn *done,
                            void *done_arg, char *err, size_t err_size);

/* Starts a task of the http handler `h` with its own HTTP options `http`
 * (copied; its limits are bounded by the handler's), as dt_handler_start
 * does with the handler's defaults. Returns 0, or -1 when out of memory. */
/* Body bytes a DT_TASK_BODY task sends back: one more than a robots.txt
 * parse reads, so the master can tell a file that was cut. */
#define DT_FETCH_BODY_MAX (DT_LIMIT_ROBOTS_MAX + 1)

/* A Retry-After header's value (`len` bytes, after the colon: seconds or
 * an HTTP date, compared with `now`) in ms, capped at
 * DT_LIMIT_RETRY_AFTER_MAX_MS; 0 when it is none of those or in the past. */
uint32_t dt_fetch_retry_after (const char *value, size_t len, time_t now);

int dt_fetch_start_with (dt_handler_t *h, const dt_handler_task_t *task, const dt_httpopt_t *http);

#endif
