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
/* Jobs in one JOBS_OK page: each item is at most ~170 bytes (a name of
 * DT_LIMIT_JOB_MAX, a kind of DT_LIMIT_KIND_MAX, seven numbers), so a full page stays ~40 KiB,
 * and the master examines at most this many jobs for one request. */
#define DT_LIMIT_JOBS_MAX 256

/* A MIME type with parameters ("text/html; charset=utf-8") is well under 256
 * bytes; longer values are truncated by the worker before sending. */
#define DT_LIMIT_CTYPE_MAX 256

/* Error strings are one-line summaries from curl or the worker; truncated. */
#define DT_LIMIT_ERROR_MAX 512

/* Workers one master serves at most: it refuses new HELLOs past this. */
#define DT_LIMIT_WORKERS_MAX 1024

/* Workers registered from one IP address at once: a quarter of the slots,
 * so one host (say, one that makes up workers and keeps them open) cannot
 * take every slot and lock real workers out; four hosts would have to. A
 * single host rarely runs more than a few dozen worker processes; hosts
 * behind one NAT address share this. */
#define DT_LIMIT_WORKERS_PER_ADDR 256

/* Workers listed in one STATUS reply: the busiest (most leases, then most
 * done); STATUS_OK says how many there are in all. A worker's entry is at
 * most ~155 bytes (its 128-byte name and four numbers), so a reply stays
 * under DT_LIMIT_STATUS_BYTES however many peers said HELLO: a 5-byte
 * request cannot buy a 160 KB answer. */
#define DT_LIMIT_STATUS_WORKERS 100
#define DT_LIMIT_STATUS_BYTES   (DT_LIMIT_STATUS_WORKERS * 160 + 1024)

/* FETCHes (long polls) parked at once from one IP address: a quarter of
 * the master's DT_WAITERS_MAX (4,096), as DT_LIMIT_WORKERS_PER_ADDR is of
 * the worker slots. A routing id costs nothing (a new connection makes
 * one), so the address is the unit one client cannot multiply cheaply:
 * one host that parks FETCHes from many sockets cannot take every slot and
 * make every other client's --wait refused; four hosts would have to. A
 * real client has one FETCH out (the CLI) or a few dozen (many CLIs on one
 * host); past this, the next one is refused (TOO_BIG, "retry later"). */
#define DT_LIMIT_WAITERS_PER_ADDR 1024

/* Credit (tasks a worker may hold at once) a worker may ask for. Bounds the
 * master's per-worker lease table and the worst-case requeue burst when a
 * worker dies. */
#define DT_LIMIT_CREDIT_MAX 4096

/* ---- What one peer can make the master hold ------------------------------
 * libzmq bounds a ROUTER's queue to one peer in messages (ZMQ_SNDHWM), not in
 * bytes, and a peer that never reads lets the queue fill. So the bytes the
 * master holds for one peer are at most (DT_LIMIT_PEER_REPLIES + 1) x
 * DT_LIMIT_REPLY_BYTES: the pipe, plus the one message libzmq's encoder is
 * writing. Past that, a reply is dropped (REPLY-DROPPED, once per peer). The
 * kernel's socket buffer comes on top: it is the kernel's memory, capped by
 * net.ipv4.tcp_wmem, and left to autotune so long links keep their speed. */

/* Replies queued to one peer (the ROUTER's ZMQ_SNDHWM). Every reply of a
 * turn goes into the pipe before libzmq's I/O thread moves any of them on,
 * so this must exceed the requests a client has out at once, however fast
 * it reads: the CLI has 9 (8 SUBMIT chunks and a FETCH), tests/tools/dt_jobs
 * 64; 128 leaves room. TASKS to a worker are fewer than its credit (each
 * carries a task at least), and a TASKS send that does not fit waits for
 * the next turn (the worker is "blocked"). */
#define DT_LIMIT_PEER_REPLIES 128

/* Largest reply to a client: a PAGE is cut at this many bytes of results
 * (a STATUS_OK with DT_LIMIT_WORKERS_MAX workers is ~180 KiB). That is
 * ~2,000 typical results; a client following a fast job still keeps up
 * (with 4,096 or more results waiting, pages go out back to back, without
 * DT_FETCH_FILL's wait). With DT_LIMIT_PEER_REPLIES it bounds one peer's
 * queue to ~32 MiB, where 3 MiB pages and a 10,000-message HWM let one
 * client that never reads pin 30 GiB. */
#define DT_LIMIT_REPLY_BYTES (256 * 1024)

/* Bytes the master holds for one peer that does not read. */
#define DT_LIMIT_PEER_QUEUED_BYTES ((DT_LIMIT_PEER_REPLIES + 1) * DT_LIMIT_REPLY_BYTES)

/* Messages libzmq keeps received from one peer and not yet read by the
 * master (the ROUTER's ZMQ_RCVHWM; libzmq's default was 10,000 here, so one
 * peer could park 10,000 x 4 MiB = 40 GiB in the master). The master reads
 * up to 4,096 messages a turn from all peers, so a peer only meets this cap
 * when it sends faster than the master reads; then libzmq stops reading its
 * socket and TCP holds the rest back on the peer's side: nothing is lost.
 * A client has at most 64 requests out (tests/tools/dt_jobs; the CLI 9), a
 * worker a RESULTS batch or two and a heartbeat; 16 keeps the pipe busy
 * for all of them while the master reads it every turn. */
#define DT_LIMIT_PEER_RECV_MSGS 16

/* Bytes the master can hold received from one peer that sends faster than
 * it reads: the pipe, plus the one message libzmq's decoder is filling.
 * (libzmq counts whole messages: the frames of a message that has not ended
 * are all held until it ends; DT_LIMIT_PEER_UNDELIVERED_BYTES bounds
 * those.) The kernel's receive buffer comes on top (net.ipv4.tcp_rmem). */
#define DT_LIMIT_PEER_RECV_BYTES ((DT_LIMIT_PEER_RECV_MSGS + 1) * DT_LIMIT_FRAME_MAX)

/* Bytes one connection may bring in (as the kernel counts them, TCP_INFO)
 * while the master receives no message from it. libzmq delivers a message
 * only once its last frame has come, and holds every frame until then
 * (ZMQ_MAXMSGSIZE caps each frame, the receive HWM counts whole
 * messages), so a peer that writes ZMTP by hand could send one message of
 * frames without end. A rightful peer that the master does not read for a
 * while brings in at most its pipe (DT_LIMIT_PEER_RECV_BYTES) and the
 * kernel's receive buffer (net.ipv4.tcp_rmem's largest: 6 MiB by default)
 * before TCP stops it; 64 MiB on top of the pipe leaves room for tuned
 * buffers. The master looks every DT_CONNS_WATCH_MS (master/dt_conns.c) and
 * closes a connection past this with no message out of it
 * (CONN-UNFINISHED): it holds at most this plus what the peer sends in one
 * look's time. A connection that sends only ZMTP heartbeats (~10 to 50
 * bytes a second) would take a month to get here; its peer reconnects. */
#define DT_LIMIT_PEER_UNDELIVERED_BYTES (DT_LIMIT_PEER_RECV_BYTES + 64 * 1024 * 1024)

/* ---- Connections ----------------------------------------------------------
 * Every TCP connection costs the master a descriptor (and ~50 KiB in libzmq)
 * from the moment it is accepted, before any handshake. */

/* A connection must finish its ZMTP (and CURVE) handshake within this, or
 * libzmq closes it (ZMQ_HANDSHAKE_IVL; its default is 30 s). A CURVE
 * handshake is two round trips and a ZAP lookup: well under a second even
 * across continents. Short, because a silent connection holds its
 * descriptor until then. */
#define DT_LIMIT_HANDSHAKE_MS 5000

/* Connections the master keeps at once, at most (--max-conns; lowered to
 * the descriptor limit less DT_LIMIT_FD_RESERVE). DT_LIMIT_WORKERS_MAX
 * workers plus three times as many clients; ~200 MiB of libzmq buffers. */
#define DT_LIMIT_CONNS_MAX 4096

/* Connections from one IP address, at most (--max-conns-per-addr): a
 * whole worker host, or clients behind one NAT, fit; one address cannot
 * take the whole DT_LIMIT_CONNS_MAX. */
#define DT_LIMIT_CONNS_PER_ADDR 256

/* Descriptors kept free for everything that is not a peer connection: the
 * store (database, WAL, shared memory, journal), libzmq's own (a mailbox
 * per socket, the poller and the listener), stderr, and the connections
 * libzmq accepts before the master's next turn closes the ones over the cap. */
#define DT_LIMIT_FD_RESERVE 128

/* Raw bytes of one task's capture (every hop's response body together)
 * kept in memory to build its WARC records. The WARC header comes first in
 * each record and needs the block's length and digest, known only once the
 * body has ended, so the raw block is held until then: at concurrency 32,
 * 8 MiB each is 256 MiB at worst, where the 64 MiB body cap would be 2 GiB.
 * Most pages are far smaller; a body over it is kept up to it and its
 * record says "WARC-Truncated: length". */
#define DT_LIMIT_CAPTURE_MAX (8 * 1024 * 1024)
/* The capture bytes one result carries on the wire (Rw.capture): with the
 * rest of its RESULTS it must fit DT_LIMIT_FRAME_MAX, so a capture larger
 * than this travels in pieces. */
#define DT_LIMIT_CAPTURE_WIRE (3 * 1024 * 1024)

/* Body bytes a worker keeps for a capture the master stores (T flag SAVE):
 * the whole capture must travel in one result (DT_LIMIT_CAPTURE_WIRE), so
 * the body is kept up to this and its record says "WARC-Truncated: length"
 * past it. 512 KiB are left for the request and response heads and the
 * WARC headers of every hop (a few KiB for a real page); a capture still
 * over the wire cap fails its task (see PROTOCOL.md, "Archives"). */
#define DT_LIMIT_CAPTURE_SAVE (DT_LIMIT_CAPTURE_WIRE - 512 * 1024)

/* Bytes a stored capture may inflate to when the master reads its WARC
 * headers (it checks each gzip member is a WARC record and takes the
 * payload digest): the worker keeps at most DT_LIMIT_CAPTURE_SAVE of body
 * plus, per hop, two heads of DT_LIMIT_CAPTURE_HEAD_MAX and WARC headers.
 * A capture past it is a gzip bomb, not a fetch, and is refused. */
#define DT_LIMIT_CAPTURE_INFLATED                                                                  \
    (DT_LIMIT_CAPTURE_SAVE + (DT_LIMIT_REDIRECTS_MAX + 1) * (2 * DT_LIMIT_CAPTURE_HEAD_MAX + 4096))

/* A WARC file's name in a result (Rc.warc_file): "dtask-NNNNN.warc.gz"
 * is 19 bytes; 64 leaves room. */
#define DT_LIMIT_WARC_NAME_MAX 64
/* A payload digest in a result: "sha1:" and 32 base32 characters. */
#define DT_LIMIT_DIGEST_MAX 64

/* Capture bytes in one GET_OK: a reply to a client is at most
 * DT_LIMIT_REPLY_BYTES, so a client that never reads still makes the
 * master hold no more than DT_LIMIT_PEER_QUEUED_BYTES. */
#define DT_LIMIT_GET_BYTES (DT_LIMIT_REPLY_BYTES - 1024)

/* The request or response head of one HTTP message kept for a capture.
 * libcurl itself refuses a header line over 100 KiB (CURL_MAX_HTTP_HEADER)
 * and, in the versions Debian ships, a response head over 300 KiB in all:
 * 320 KiB keeps any head libcurl accepts. A request head is far smaller
 * (the URL and the extra headers are capped). */
#define DT_LIMIT_CAPTURE_HEAD_MAX (320 * 1024)

/* Extra request headers of one job ('Name: value'): a handful is normal
 * (a cookie, an auth token, Accept-Language). Servers refuse a request
 * head over 8..16 KiB, so more or longer could not be sent anyway. */
#define DT_LIMIT_HTTP_HEADERS_MAX   32
#define DT_LIMIT_HTTP_HEADERS_BYTES 8192

/* A User-Agent value: browsers send ~150 bytes; 512 leaves room. */
#define DT_LIMIT_USER_AGENT_MAX 512

/* A job's extra headers on the wire: its lines joined by '\n'. Kept each
 * NUL-terminated they take one byte more than that, and must fit
 * DT_LIMIT_HTTP_HEADERS_BYTES as a worker's own do (dt_httpopt.h). */
#define DT_LIMIT_HTTP_HEADERS_WIRE (DT_LIMIT_HTTP_HEADERS_BYTES - 1)

/* Distinct jobs' HTTP options one TASKS carries (each up to ~8.7 KiB): a
 * batch of tasks of more jobs than this is cut short and the rest go in
 * the next one. 16 keeps the options under 150 KiB of a frame. */
#define DT_LIMIT_TASKS_HTTP 16

/* Fetch defaults and caps on the worker side. */
#define DT_LIMIT_REDIRECTS_MAX 5
#define DT_LIMIT_BODY_MAX      (64LL * 1024 * 1024) /* bytes read from one response */

/* A task kind's name ("resize", "ocr_v2"): 1..32 of [a-z0-9_-]. A label
 * that routes tasks, not data; short enough to sit in every task record. */
#define DT_LIMIT_KIND_MAX 32

/* A task's input (a SUBMIT item, a TASKS item). A task is a unit of work,
 * not a data set: 1 MiB keeps a SUBMIT or TASKS batch of DT_LIMIT_BATCH_BYTES
 * able to carry at least two, and a result carrying both its payload and a
 * full output (2 MiB) under the 4 MiB frame. Bigger inputs belong in a file
 * or object store, with their location as the payload. */
#define DT_LIMIT_PAYLOAD_MAX (1024 * 1024)

/* Kinds one worker may serve (HELLO) and kinds one master tracks at once:
 * the master keeps a worker's kinds as a 64-bit mask, one bit a kind. */
#define DT_LIMIT_KINDS_MAX 64

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

/* Longest --host-delay (a master's default or a job's own, SUBMIT's
 * host_delay_ms): ten minutes between two requests to one origin is
 * already a crawl of 144 pages a day per site; a larger value is a typo,
 * refused rather than left to hold an origin's pages for days. */
#define DT_LIMIT_HOST_DELAY_MAX_MS (10u * 60 * 1000)

/* Origins one HOSTS_OK lists (the most queued first), and the bytes of one
 * origin's name: "https://" + a DNS name (253 at most) + ":65535". 100
 * rows of at most ~330 bytes keep the reply far under DT_LIMIT_REPLY_BYTES. */
#define DT_LIMIT_STATUS_HOSTS 100
#define DT_LIMIT_ORIGIN_MAX   272

/* Longest Retry-After a worker passes on (Rw.retry_after_ms): a week,
 * far under the u32's 49 days. The master pauses a host at most
 * DT_POLITE_PAUSE_MAX_MS whatever this says, and logs the cut. */
#define DT_LIMIT_RETRY_AFTER_MAX_MS (7u * 24 * 3600 * 1000)

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

/* Bytes of one result's strings (URL, type, error, output, links,
 * capture) a worker sends: a crawl page saved near DT_LIMIT_CAPTURE_WIRE
 * with DT_LIMIT_LINKS_BYTES of links would pass DT_LIMIT_FRAME_MAX, so its
 * links are cut at a whole URL to fit. 64 KiB is left for the RESULTS
 * envelope (worker name) and the result's fixed fields. */
#define DT_LIMIT_RESULT_BYTES (DT_LIMIT_FRAME_MAX - 64 * 1024)
_Static_assert(DT_LIMIT_CAPTURE_WIRE + DT_LIMIT_URL_MAX + DT_LIMIT_CTYPE_MAX + DT_LIMIT_ERROR_MAX <
                   DT_LIMIT_RESULT_BYTES,
               "a capture that fits a result leaves room for its strings");

/* The operators' HTTP side (dtask-master --http, master/dt_http.c). It
 * serves a few small GETs to a dashboard and a Prometheus scraper, never
 * a crowd: a handful of connections is plenty, and the caps keep a
 * misbehaving client from holding the thread or memory. */
/* Open connections at once; more are refused at accept. A scraper and a
 * few dashboard tabs use one or two each. */
#define DT_LIMIT_HTTP_CONNECTIONS 32
/* Connections from one address: one client cannot take every slot. */
#define DT_LIMIT_HTTP_PER_IP 16
/* Seconds a connection may sit idle (slow headers, a stalled reader)
 * before it is closed. Prometheus scrapes within its own 10 s timeout. */
#define DT_LIMIT_HTTP_TIMEOUT_S 10
/* Bytes of one connection's memory pool in MHD, which holds the request
 * line and headers (and the response headers): a GET with a bearer token
 * needs well under 1 KiB, so 8 KiB leaves room for proxies' headers; a
 * request that does not fit is answered 414 (line) or 431 (headers) and
 * the connection closed. */
#define DT_LIMIT_HTTP_REQUEST_BYTES 8192
/* Length of the bearer token in --http-token-file: 32 random bytes in hex
 * or base64 fit many times over. */
#define DT_LIMIT_HTTP_TOKEN_MAX 256
/* Per-worker series in /metrics: the busiest workers (most leases, then
 * most done). Each worker adds two series; a thousand workers would make
 * every scrape large for little use. The JSON and the dashboard list all. */
#define DT_LIMIT_METRICS_WORKERS 100

/* Bytes of a crawl's scope text (SUBMIT crawl.scope): a URL prefix is a
 * URL; a regex longer than a URL is not a scope anyone writes, and the
 * cost of matching grows with its length. */
#define DT_LIMIT_SCOPE_MAX DT_LIMIT_URL_MAX

/* Bytes of a crawl's regex scope. glibc's regexec without back-references
 * (refused) runs in time polynomial in the pattern and the URL; 512 bytes
 * keeps one match on an 8 KiB URL in the microseconds for any pattern a
 * person writes, and a hostile one at a bounded cost. */
#define DT_LIMIT_SCOPE_REGEX_MAX 512

/* Crawl jobs the master follows links for at once (not finished). Each
 * holds its scope, a compiled regex and a seen set; a result's job is
 * looked up among them, so they stay few. */
#define DT_LIMIT_CRAWLS_MAX 64

/* Bytes of one X-Robots-Tag header value read for a crawl's page: a
 * directive list is tens of bytes ("dtask: noindex, nofollow"); the rest
 * of a longer line (curl allows 100 KiB) is not read. */
#define DT_LIMIT_ROBOTS_TAG_MAX 1024

/* Seed hosts a host or domain scope holds: one SUBMIT chunk's seeds. */
#define DT_LIMIT_SCOPE_HOSTS DT_LIMIT_BATCH_MAX

/* Store rows one step of a CANCEL reads at most, one step a loop turn. The
 * tasks of a job that are only in the store (beyond the queue window) are
 * cancelled in steps after CANCEL_OK: 500,000 of them in one turn took ~2 s
 * and 77 MiB, and no STATUS was answered meanwhile. 4,096 rows (as a purge
 * step, DT_STORE_PURGE_STEP) are a few ms and ~1 MiB of task records. */
#define DT_LIMIT_CANCEL_STEP 4096

/* CANCELs whose cold tasks wait for their steps at once: each is a job in
 * memory and 4 bytes here; the next is refused (QUEUE_FULL, retry later). */
#define DT_LIMIT_CANCELS_MAX 1024

/* Failed results one step of a REQUEUE reads at most, one step a loop
 * turn, as a CANCEL's (DT_LIMIT_CANCEL_STEP): the failed tasks of a job
 * that are only in the store are reopened the first step before
 * REQUEUE_OK, the rest in steps after it. 200,000 in one turn held the
 * loop for seconds; 4,096 reopened rows are a few ms. */
#define DT_LIMIT_REQUEUE_STEP 4096

/* REQUEUEs whose failed tasks wait for their steps at once: each is a
 * job's name here and a row in the store's `steps` table; the next is
 * refused (QUEUE_FULL, retry later). */
#define DT_LIMIT_REQUEUES_MAX 1024

#endif
