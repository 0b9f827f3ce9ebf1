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

/* A task kind's name ("resize", "ocr_v2"): 1..32 of [a-z0-9_-]. A label
 * that routes tasks, not data; short enough to sit in every task record. */
#define DT_LIMIT_KIND_MAX 32

/* What one task may produce (a command's stdout). The output travels back
 * in a RESULTS batch of DT_LIMIT_BATCH_BYTES and is kept in the master's
 * store: 1 MiB lets a batch carry a few full outputs with room for the
 * rest, and keeps the store's rows small. A task that makes more belongs
 * in a file or an object store, with its location as the output. Over the
 * cap, the task fails and its process is killed. */
#define DT_LIMIT_OUTPUT_MAX (1024 * 1024)

/* Longest line a long-lived --stdio child may send: a reply carrying a
 * full DT_LIMIT_OUTPUT_MAX output as a JSON string in which every byte is
 * escaped ("\u00XX", 6 bytes), plus room for the other fields. Any output
 * under the cap therefore fits, however it is encoded. */
#define DT_LIMIT_STDIO_LINE_MAX (6 * DT_LIMIT_OUTPUT_MAX + 64 * 1024)

/* Addresses kept for the trusted proxies of --trusted-proxy: each proxy
 * host name may resolve to several, and a handful of proxies (http, https,
 * all) is already unusual; beyond this the rest are not allowed. */
#define DT_LIMIT_PROXY_ADDRS_MAX 32

/* Crawl mode: what one origin server's robots.txt and pages may cost us. */

/* Bytes of a robots.txt parsed. RFC 9309 section 2.5 asks crawlers to
 * parse at least 500 KiB; the rest is ignored (and a line cut by the cap is
 * dropped whole, so a half-read Allow cannot widen). Real files are a few
 * KiB; one of the largest well-known ones (Wikipedia's) is under 50 KiB. */
#define DT_LIMIT_ROBOTS_MAX (512 * 1024)

/* Bytes of one robots.txt line read; the rest of the line is skipped.
 * Google's open-source parser stops at 8 x 2083 bytes (2083: the old
 * browser URL limit); a longer line cannot hold a rule for a URL we fetch
 * (DT_LIMIT_URL_MAX). */
#define DT_LIMIT_ROBOTS_LINE_MAX (16 * 1024)

/* Allow/Disallow rules kept for our agent. A check walks every rule in the
 * worst case, at most O(path + pattern) bytes each (dt_robots.c), so this
 * times DT_LIMIT_URL_MAX bounds one check: 4096 x 8 KiB = 32 M byte steps
 * for the most hostile file, a few hundred for a real one. Large real
 * files have hundreds of rules per group. */
#define DT_LIMIT_ROBOTS_RULES_MAX 4096

/* Bytes of HTML given to the parser for links. HTML documents are tens
 * of KiB typically and rarely past 1 MiB; a page past a few MiB is a dump
 * or a trap, not a page whose links are worth following. Parse time grows
 * with it: plain markup went at 5-20 MiB/s, but error-dense garbage
 * ("&#x&#x...", unterminated attributes) was measured at ~2 s for 4 MiB on
 * a busy 2-core machine, and the worker parses between fetches. */
#define DT_LIMIT_HTML_MAX (4 * 1024 * 1024)

/* Links kept from one page. A page with more is a link farm, an index or a
 * trap; 1,000 keeps one page from flooding the frontier, and its result at
 * ~100 bytes a URL is ~100 KiB. */
#define DT_LIMIT_LINKS_MAX 1000

/* Bytes of links kept from one page (the sum of their lengths): 1,000 URLs
 * of up to DT_LIMIT_URL_MAX would be 8 MiB, over DT_LIMIT_FRAME_MAX; 1 MiB
 * leaves a page's links room in one frame. */
#define DT_LIMIT_LINKS_BYTES (1024 * 1024)

#endif
