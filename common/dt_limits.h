/* dt_limits.h - every cap on what a peer may send us, and why it has that value.
 *
 * Each size, count or length that arrives from the network is checked against
 * one of these constants before anything is allocated for it. A value that
 * breaks a cap makes the whole message invalid: it is counted, logged and
 * dropped, and the connection lives on.
 */
#ifndef DT_LIMITS_H
#define DT_LIMITS_H

/* Longest URL accepted anywhere. 8 KiB is what common servers (nginx's
 * large_client_header_buffers, Apache's LimitRequestLine) accept in a
 * request line; a longer URL could not be fetched anyway. */
#define DT_LIMIT_URL_MAX 8192

/* Items (URLs, tasks or results) in one message. Batching amortises the
 * per-message cost; beyond a few thousand the gain is nil and the latency of
 * the first item in the batch grows. */
#define DT_LIMIT_BATCH_MAX 4096

/* Largest frame we accept or produce. It must hold a full batch of typical
 * items; a batch of long URLs is split by the sender to stay under it
 * (see DT_LIMIT_BATCH_BYTES). ZMQ_MAXMSGSIZE is set to this on every socket,
 * so libzmq drops a bigger frame before we allocate for it. */
#define DT_LIMIT_FRAME_MAX (4 * 1024 * 1024)

/* Payload budget senders use when filling a batch: leaves room under
 * DT_LIMIT_FRAME_MAX for the envelope and per-item overhead. */
#define DT_LIMIT_BATCH_BYTES (3 * 1024 * 1024)

/* Worker names (hostname-pid by default) and job ids are labels for humans
 * and logs, not data. */
#define DT_LIMIT_NAME_MAX 128
#define DT_LIMIT_JOB_MAX  64

/* A MIME type with parameters ("text/html; charset=utf-8") is well under 256
 * bytes; longer values are truncated by the worker before sending. */
#define DT_LIMIT_CTYPE_MAX 256

/* Error strings are one-line summaries from curl or the worker; truncated. */
#define DT_LIMIT_ERROR_MAX 512

/* Workers listed in one STATUS reply: one master serves at most this many
 * workers before it refuses new HELLOs. */
#define DT_LIMIT_WORKERS_MAX 1024

/* Credit (tasks a worker may hold at once) a worker may ask for. Bounds the
 * master's per-worker lease table and the worst-case requeue burst when a
 * worker dies. */
#define DT_LIMIT_CREDIT_MAX 4096

/* Fetch defaults and caps on the worker side. */
#define DT_LIMIT_REDIRECTS_MAX 5
#define DT_LIMIT_BODY_MAX      (64LL * 1024 * 1024) /* bytes read from one response */

/* Addresses kept for the trusted proxies of --trusted-proxy: each proxy
 * host name may resolve to several, and a handful of proxies (http, https,
 * all) is already unusual; beyond this the rest are not allowed. */
#define DT_LIMIT_PROXY_ADDRS_MAX 32

#endif
