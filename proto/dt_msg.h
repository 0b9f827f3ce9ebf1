/* dt_msg.h - the dtask wire codec: the only code that touches wire bytes.
 *
 * Every message is one ZeroMQ frame holding one msgpack array (see
 * PROTOCOL.md). dt_msg_t is the decoded, validated, typed form. Master,
 * worker and CLI build a dt_msg_t and call dt_msg_send(), or call
 * dt_msg_recv() and read the typed fields; nothing else encodes or decodes.
 *
 * Lifetime: a dt_msg_t lives on the caller's stack. dt_msg_init() before
 * first use, dt_msg_reset() after each use (it frees what decoding
 * allocated). Strings in a received message (dt_str_t) are borrowed from the
 * received frame: valid until dt_msg_reset(), NOT NUL-terminated.
 */
#ifndef DT_MSG_H
#define DT_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#define DT_PROTO_VERSION 4
/* ERROR has had the same shape in every version, so an ERROR VERSION is
 * written with this (the oldest) version: a peer that speaks only it can
 * still read why it was refused. Any version's ERROR is decoded. */
#define DT_PROTO_VERSION_OLDEST 1

/* Decoder / sender results. 0 is success. */
#define DT_PROTO_EMALFORMED -1 /* not a valid dtask message: wrong types, counts, caps */
#define DT_PROTO_EVERSION   -2 /* well-formed header, unsupported protocol version */
#define DT_PROTO_ETOOBIG    -3 /* frame or item count over a cap in dt_limits.h */
#define DT_PROTO_ENOMEM     -4 /* allocation failed */
#define DT_PROTO_EFRAMES    -5 /* wrong number of ZeroMQ frames in the message */
#define DT_PROTO_EAGAIN     -6 /* recv: nothing to read (non-blocking); send: peer's HWM full */
#define DT_PROTO_EUNREACH   -7 /* send on ROUTER: peer not connected */
#define DT_PROTO_EIO        -8 /* any other zmq error; errno is set */

/* Message types: element 1 of the array. */
typedef enum {
    DT_MSG_HELLO = 1,       /* worker -> master: register, offer credit */
    DT_MSG_WELCOME = 2,     /* master -> worker: registered; timing rules */
    DT_MSG_TASKS = 3,       /* master -> worker: tasks to run (uses credit) */
    DT_MSG_RESULTS = 4,     /* worker -> master: outcomes (returns credit) */
    DT_MSG_HEARTBEAT = 5,   /* both ways between master and worker */
    DT_MSG_BYE = 6,         /* worker -> master: leaving; requeue my tasks */
    DT_MSG_SUBMIT = 7,      /* client -> master: a chunk of URLs */
    DT_MSG_SUBMIT_OK = 8,   /* master -> client: chunk is accepted (durable) */
    DT_MSG_FETCH = 9,       /* client -> master: results after a cursor */
    DT_MSG_PAGE = 10,       /* master -> client: a page of results */
    DT_MSG_STATUS = 11,     /* client -> master: queue and worker status */
    DT_MSG_STATUS_OK = 12,  /* master -> client */
    DT_MSG_REQUEUE = 13,    /* client -> master: requeue failed tasks of a job */
    DT_MSG_REQUEUE_OK = 14, /* master -> client */
    DT_MSG_ERROR = 15,      /* master -> any peer: request refused */
    DT_MSG_CANCEL = 16,     /* client -> master: end a job's unfinished tasks */
    DT_MSG_CANCEL_OK = 17,  /* master -> client */
    DT_MSG_PURGE = 18,      /* client -> master: delete a finished job */
    DT_MSG_PURGE_OK = 19,   /* master -> client */
    DT_MSG_JOBS = 20,       /* client -> master: a page of jobs, newest first */
    DT_MSG_JOBS_OK = 21,    /* master -> client */
    DT_MSG_GET = 22,        /* client -> master: a piece of a task's stored capture */
    DT_MSG_GET_OK = 23,     /* master -> client */
    DT_MSG_EXPORT = 24,     /* client -> master: a page of a job's capture index */
    DT_MSG_EXPORT_OK = 25,  /* master -> client */
    DT_MSG_HOSTS = 28,      /* client -> master: a job's origins and their politeness */
    DT_MSG_HOSTS_OK = 29,   /* master -> client */
} dt_msg_type_t;

/* ERROR codes (dt_msg_t.error.code). */
typedef enum {
    DT_ERR_MALFORMED = 1,         /* the peer's message did not decode */
    DT_ERR_VERSION = 2,           /* unsupported protocol version */
    DT_ERR_TOO_BIG = 3,           /* over a cap */
    DT_ERR_UNKNOWN_PEER = 4,      /* worker traffic from an unregistered peer: send HELLO */
    DT_ERR_QUEUE_FULL = 5,        /* --max-pending reached: retry later */
    DT_ERR_BAD_URL = 6,           /* text says which URL and why; nothing was accepted */
    DT_ERR_STORE = 7,             /* master could not make the request durable: retry later */
    DT_ERR_DENIED = 8,            /* peer's key has no right to this message */
    DT_ERR_STOPPING = 9,          /* master is shutting down */
    DT_ERR_TOO_MANY_WORKERS = 10, /* DT_LIMIT_WORKERS_MAX reached */
    DT_ERR_CONFLICT = 11,         /* (job, chunk) already submitted with other URLs */
    DT_ERR_NO_SUCH_JOB = 12,      /* the job named is not known to the master (or purged) */
} dt_msg_error_t;

/* RESULTS outcome, as classified by the worker. */
#define DT_OUTCOME_DONE  0 /* a response was received; any status not retryable */
#define DT_OUTCOME_RETRY 1 /* transient: connect error, timeout, HTTP 5xx or 429 */
#define DT_OUTCOME_FAIL  2 /* permanent: bad URL, body too large, protocol refused */

/* SUBMIT priority: 0..9, higher goes first; 0 unless asked. Ten levels,
 * each a FIFO, keep the master's queue O(1) per task (dt_queue.h). */
#define DT_PRIORITY_MAX     9
#define DT_PRIORITY_DEFAULT 0

/* PAGE state of a final task. */
#define DT_STATE_DONE   1
#define DT_STATE_FAILED 2

/* FETCH flags. */
#define DT_FETCH_FAILED_ONLY 1u
/* A long poll that would rather have a full page: once results are ready
 * the master may hold it a little longer (DT_MASTER_FILL_MS) for `max` of
 * them, so a client following a busy job gets few large PAGEs instead of
 * one per commit. */
#define DT_FETCH_FILL 2u

/* SUBMIT flags. */
/* Only a resend check: the master answers SUBMIT_OK when this (job, chunk)
 * was accepted before with these URLs, and ERROR CONFLICT otherwise; it
 * never creates anything. `submit --append` finds where an earlier run of
 * the same append put its chunks this way (PROTOCOL.md). */
#define DT_SUBMIT_RESEND_ONLY 1u
/* Keep what is fetched (dtask submit --save warc): the job's http tasks are
 * dispatched with DT_TASK_SAVE and the master stores their captures. Kept
 * with the job: once a chunk asked for it, every task of the job saves. */
#define DT_SUBMIT_SAVE 2u
/* A crawl: the chunk's payloads are seeds (http URLs); the master follows
 * their links within the submit's `crawl` tuple (scope, depth, pages). */
#define DT_SUBMIT_CRAWL 4u

/* A crawl's scope (SUBMIT crawl.scope_kind): which links it follows. */
#define DT_SCOPE_HOST   0 /* the host and port of a seed (any seed's) */
#define DT_SCOPE_DOMAIN 1 /* a seed's host and its subdomains ("www." of the seed dropped) */
#define DT_SCOPE_PREFIX 2 /* URLs starting with crawl.scope */
#define DT_SCOPE_REGEX  3 /* URLs matching the POSIX extended regex crawl.scope */
/* crawl.depth when there is no depth limit. */
#define DT_CRAWL_DEPTH_ANY UINT32_MAX
/* Obey robots.txt for this job's http tasks: the master fetches each
 * origin's robots.txt before its first page and fails the pages it
 * disallows (error "robots.txt disallows"), unfetched. Durable with the
 * job; any chunk may set it. Bit 2 is left to another flag. */
#define DT_SUBMIT_ROBOTS 8u
/* Every SUBMIT flag this version knows: any other bit is malformed. */
#define DT_SUBMIT_KNOWN (DT_SUBMIT_RESEND_ONLY | DT_SUBMIT_SAVE | DT_SUBMIT_CRAWL | DT_SUBMIT_ROBOTS)

/* REQUEUE flags. */
/* Failed tasks that were cancelled (error "cancelled") come back too;
 * without it REQUEUE leaves them failed. */
#define DT_REQUEUE_CANCELLED 1u

/* A byte string borrowed from a frame (or from the sender's memory when
 * encoding). NOT NUL-terminated. */
typedef struct {
    const char *ptr;
    uint32_t len;
} dt_str_t;

/* SUBMIT's crawl tuple; all zero (and ignored) without DT_SUBMIT_CRAWL. */
typedef struct {
    uint8_t scope_kind; /* DT_SCOPE_* */
    dt_str_t scope;     /* PREFIX: the URL prefix; REGEX: the regex; else empty */
    uint32_t depth;     /* links followed from a seed at most; DT_CRAWL_DEPTH_ANY: no limit */
    uint64_t max_pages; /* tasks the crawl makes at most, seeds included; 0: no limit */
} dt_msg_crawl_t;

/* Result exit_code when none applies (an http task, a task that never ran).
 * Otherwise 0..255 is a command's exit status and 256 + N means it was
 * killed by signal N. */
#define DT_EXIT_NONE 65535

/* A task kind that needs no --kind: today's URL fetch. */
#define DT_KIND_HTTP "http"

typedef struct {
    uint64_t id;         /* master-assigned task id */
    uint32_t attempt;    /* 1 for the first dispatch */
    dt_str_t kind;       /* which worker may run it: [a-z0-9_-]{1,32} */
    dt_str_t payload;    /* the task's input (msgpack bin); for http, the URL */
    uint32_t timeout_ms; /* this task's own run limit; 0: the master's task_ms */
    uint32_t flags;      /* DT_TASK_*: what the worker sends back beside the outcome */
    uint32_t opts;       /* its job's HTTP options: 0 none, i the TASKS' http[i - 1] */
} dt_msg_task_t;

/* A job's HTTP options (H), in SUBMIT and, once per job, in TASKS. Zero
 * and "" mean "not asked": the worker's own setting applies. A worker
 * applies a limit only when it is below its own (dt_fetch.h). */
typedef struct {
    uint8_t method;              /* DT_HTTP_METHOD_*: 0 the worker's, 1 GET, 2 HEAD */
    uint32_t timeout_ms;         /* whole fetch; 0: the worker's --timeout */
    uint32_t connect_timeout_ms; /* each connect; 0: the worker's --connect-timeout */
    uint64_t max_bytes;          /* body cap; 0: the worker's --max-bytes */
    uint8_t compressed;          /* 1: send Accept-Encoding; 0: the worker's --compressed */
    dt_str_t user_agent;         /* "": the worker's --user-agent (default dtask/VERSION) */
    dt_str_t headers;            /* extra 'Name: value' lines joined by '\n'; "": none */
} dt_msg_httpopt_t;

#define DT_HTTP_METHOD_DEFAULT 0
#define DT_HTTP_METHOD_GET     1
#define DT_HTTP_METHOD_HEAD    2

/* True when `h` asks for nothing: a job without HTTP options. */
static inline int dt_msg_httpopt_empty (const dt_msg_httpopt_t *h)
{
    return !h->method && !h->timeout_ms && !h->connect_timeout_ms && !h->max_bytes &&
           !h->compressed && !h->user_agent.len && !h->headers.len;
}

/* T flags (version 4). Bits a worker does not know are ignored. */
/* http: keep the exchange as WARC records and send them as the result's
 * `capture` (the job was submitted with --save warc). */
#define DT_TASK_SAVE 1u
/* http: extract the page's links and send them as the result's `links`
 * (a crawl job's page). */
#define DT_TASK_LINKS 2u
/* http: send the response body back as the result's `output`, up to
 * DT_LIMIT_ROBOTS_MAX + 1 bytes (one more than is parsed, so the reader
 * knows the file was longer): the master's own robots.txt fetches. */
#define DT_TASK_BODY 4u

/* One result. RESULTS (worker -> master) carries id, attempt, epoch,
 * outcome, http_status, bytes, elapsed_ms, final_url, content_type, error.
 * PAGE (master -> client) carries id, attempt (attempts made), state,
 * http_status, bytes, elapsed_ms, url, final_url, content_type, worker,
 * error. Fields not carried decode as zero / empty. */
typedef struct {
    uint64_t id;
    uint32_t attempt;
    uint64_t epoch;       /* the TASKS epoch that carried this attempt (RESULTS only) */
    uint8_t outcome;      /* DT_OUTCOME_* (RESULTS only) */
    uint8_t state;        /* DT_STATE_* (PAGE only) */
    uint16_t http_status; /* 0: no HTTP response */
    uint64_t bytes;       /* body bytes received */
    uint32_t elapsed_ms;
    dt_str_t kind;           /* the task's kind (PAGE only) */
    dt_str_t payload;        /* as submitted, bin (PAGE only); for http the URL */
    dt_str_t final_url;      /* after redirects; empty if none */
    dt_str_t content_type;   /* empty if none */
    dt_str_t worker;         /* name of the worker whose result was recorded (PAGE only) */
    dt_str_t error;          /* empty when no error */
    dt_str_t output;         /* what the task produced (bin); empty when nothing */
    uint16_t exit_code;      /* a command's status, DT_EXIT_NONE when none applies */
    dt_str_t capture;        /* DT_TASK_SAVE: WARC records, gzip members (bin; RESULTS only) */
    dt_str_t links;          /* DT_TASK_LINKS: absolute URLs, one per '\n' (RESULTS only) */
    uint32_t retry_after_ms; /* the server asked for this pause (Retry-After); 0: none */
    /* Where the master stored the capture (PAGE only; empty / 0: none). */
    dt_str_t warc_file;   /* file name under DATA/warc ("dtask-00001.warc.gz") */
    uint64_t warc_offset; /* of its first record in the file */
    uint64_t warc_length; /* bytes of its records (gzip members) */
    dt_str_t digest;      /* WARC-Payload-Digest of its final response ("sha1:...") */
} dt_msg_result_t;

/* One entry of a job's capture index (EXPORT_OK). */
typedef struct {
    uint64_t id;     /* the task */
    uint64_t length; /* bytes of its records: what GET gives in pieces */
} dt_msg_capture_t;
/* One origin in HOSTS_OK. */
typedef struct {
    dt_str_t origin;   /* scheme://host:port */
    uint64_t queued;   /* the job's tasks waiting for it (in memory) */
    uint64_t inflight; /* the job's tasks leased */
    uint64_t started;  /* requests started at it (every job, since the master met it) */
    uint64_t done;     /* attempts answered DONE (every job) */
    uint64_t errors;   /* attempts that failed or were lost (every job) */
    uint64_t denied;   /* pages its robots.txt refused (every job) */
    uint32_t next_ms;  /* ms until a request may start at it (spacing, pause); 0: now */
    uint8_t robots;    /* DT_HOST_ROBOTS_* */
} dt_msg_host_t;

/* dt_msg_host_t.robots */
#define DT_HOST_ROBOTS_NONE      0 /* not asked for by any job */
#define DT_HOST_ROBOTS_PENDING   1 /* being fetched: its pages wait */
#define DT_HOST_ROBOTS_RULES     2 /* fetched and parsed */
#define DT_HOST_ROBOTS_ALLOW     3 /* 4xx: everything allowed */
#define DT_HOST_ROBOTS_DISALLOW  4 /* 5xx or unreachable: everything disallowed a while */
#define DT_HOST_ROBOTS_TRUNCATED 5 /* parsed, cut at DT_LIMIT_ROBOTS_MAX bytes */
#define DT_HOST_ROBOTS_MAX       5

/* Counters. In PAGE only total/done/failed are meaningful (for the job). */
typedef struct {
    uint64_t submitted;  /* tasks ever accepted */
    uint64_t pending;    /* waiting in the queue */
    uint64_t inflight;   /* leased to a worker */
    uint64_t delayed;    /* waiting for a retry backoff to pass */
    uint64_t done;       /* final: done */
    uint64_t failed;     /* final: failed */
    uint64_t retried;    /* dispatches beyond the first */
    uint64_t duplicates; /* results dropped because the task was already final */
    uint64_t invalid;    /* messages dropped as invalid */
    uint64_t late;       /* results dropped because the lease they answer had ended */
} dt_msg_stats_t;

/* One kind's tasks and workers (STATUS_OK). */
typedef struct {
    dt_str_t kind;
    uint64_t pending;  /* queued in memory (tasks only in the store are not sorted by kind) */
    uint64_t inflight; /* leased */
    uint64_t delayed;  /* waiting for a retry or their not-before time */
    uint32_t workers;  /* connected workers serving it; 0 with tasks: none will run them */
} dt_msg_kind_t;

/* One job in JOBS_OK. */
typedef struct {
    dt_str_t name;        /* its id */
    dt_str_t kind;        /* what its tasks are: "http" */
    uint64_t created_ms;  /* Unix ms of its first chunk */
    uint64_t finished_ms; /* Unix ms it last finished; 0 while it has unfinished tasks */
    uint64_t total;       /* tasks accepted */
    uint64_t done;        /* final: done */
    uint64_t failed;      /* final: failed */
    uint64_t pending;     /* unfinished: queued, leased or waiting for a retry */
    uint32_t next_chunk;  /* the chunk number after its highest one (--append) */
} dt_msg_job_t;

typedef struct {
    dt_str_t name;
    uint32_t capacity; /* credit offered */
    uint32_t inflight; /* tasks leased now */
    uint64_t done;     /* results returned */
    uint32_t idle_ms;  /* since last message from it */
} dt_msg_worker_t;

typedef struct {
    dt_msg_type_t type;
    /* Request id: chosen by the client, echoed in the reply so a client can
     * drop stale replies after a resend. 0 in worker traffic. */
    uint64_t req;
    union {
        struct {
            dt_str_t name;
            uint32_t capacity;     /* tasks it can hold at once (credit); 0: draining */
            uint32_t concurrency;  /* tasks it runs at once: 1..capacity; 0 iff capacity is 0 */
            uint32_t heartbeat_ms; /* the worker's heartbeat interval */
            uint32_t nkinds;       /* kinds it serves; 0: http alone */
            dt_str_t *kinds;
        } hello;
        struct {
            uint32_t heartbeat_ms; /* master's heartbeat interval */
            uint32_t liveness;     /* beats missed before a peer is dead */
            uint32_t task_ms;      /* master's per-task time limit */
        } welcome;
        struct {
            uint64_t epoch; /* the master run that leased these tasks; nonzero */
            uint32_t count;
            dt_msg_task_t *items;
            uint32_t nhttp;         /* HTTP options of the tasks' jobs, each once */
            dt_msg_httpopt_t *http; /* T.opts i refers to http[i - 1] */
        } tasks;
        struct {
            /* The sender's HELLO name: a result is credited to its worker
             * even when it arrives before that worker's HELLO (a master
             * that just restarted). */
            dt_str_t worker;
            uint32_t count;
            dt_msg_result_t *items;
        } results;
        struct {
            dt_str_t job;          /* client-chosen job id: idempotence key with chunk */
            uint32_t chunk;        /* 0,1,2... within the job */
            uint32_t flags;        /* DT_SUBMIT_* */
            dt_str_t kind;         /* every task of the chunk: [a-z0-9_-]{0,32}; "": http */
            uint8_t priority;      /* 0..DT_PRIORITY_MAX, higher first; DT_PRIORITY_DEFAULT */
            uint64_t not_before;   /* wall-clock ms since 1970 before which they wait; 0: none */
            uint32_t max_attempts; /* 0: the master's --max-attempts */
            uint32_t timeout_ms;   /* each run's limit; 0: the master's --task-timeout */
            uint32_t count;
            dt_str_t *payloads;    /* bin each; for http a URL */
            dt_msg_httpopt_t http; /* the job's HTTP options: the same in every chunk */
            dt_msg_crawl_t crawl;  /* DT_SUBMIT_CRAWL: how far to follow links */
            /* Least ms between two request starts at one origin for this
             * job; 0: the master's --host-delay. */
            uint32_t host_delay_ms;
        } submit;
        struct {
            dt_str_t job;
            uint32_t chunk;
            uint64_t first_id; /* ids first_id .. first_id+count-1, in URL order */
            uint32_t count;
        } submit_ok;
        struct {
            dt_str_t job;     /* empty: all jobs */
            uint64_t cursor;  /* 0 at first; then PAGE's cursor */
            uint32_t max;     /* results wanted, <= DT_LIMIT_BATCH_MAX */
            uint32_t wait_ms; /* long poll: hold the reply this long if nothing new */
            uint32_t flags;   /* DT_FETCH_* */
        } fetch;
        struct {
            uint64_t cursor;      /* pass back in the next FETCH */
            dt_msg_stats_t stats; /* the job's total/done/failed */
            uint32_t count;
            dt_msg_result_t *items;
        } page;
        struct {
            dt_str_t job; /* empty: whole master */
        } status;
        struct {
            dt_msg_stats_t stats;
            uint32_t count; /* listed: at most DT_LIMIT_STATUS_WORKERS */
            dt_msg_worker_t *workers;
            uint32_t total; /* workers registered */
            uint32_t nkinds;
            dt_msg_kind_t *kinds;
        } status_ok;
        struct {
            dt_str_t job;   /* empty: all jobs */
            uint32_t flags; /* DT_REQUEUE_* */
        } requeue;
        struct {
            uint64_t count; /* tasks put back in the queue */
        } requeue_ok;
        struct {
            dt_str_t job; /* the job to cancel (not empty) */
        } cancel;
        struct {
            uint64_t count; /* unfinished tasks now final "cancelled" */
        } cancel_ok;
        struct {
            dt_str_t job; /* the job to delete (not empty) */
        } purge;
        struct {
            uint64_t count; /* its tasks deleted */
        } purge_ok;
        struct {
            dt_str_t job;    /* empty: every job; else only this one */
            uint64_t cursor; /* 0 at first; then JOBS_OK's cursor */
            uint32_t max;    /* jobs wanted, <= DT_LIMIT_JOBS_MAX */
        } jobs;
        struct {
            uint64_t cursor; /* pass back in the next JOBS; 0: no more */
            uint32_t count;
            dt_msg_job_t *items; /* newest first */
        } jobs_ok;
        struct {
            uint64_t id;     /* the task whose capture is wanted */
            uint64_t offset; /* first byte wanted, within the capture */
        } get;
        struct {
            uint64_t id;     /* as asked */
            uint64_t total;  /* bytes of the whole capture; 0: the task has none stored */
            uint64_t offset; /* as asked */
            dt_str_t data;   /* bytes offset.. of it, at most DT_LIMIT_GET_BYTES (bin) */
        } get_ok;
        struct {
            dt_str_t job;    /* the job (not empty) */
            uint64_t cursor; /* 0 at first; then EXPORT_OK's cursor */
            uint32_t max;    /* entries wanted, <= DT_LIMIT_BATCH_MAX */
        } export_;
        struct {
            uint64_t cursor; /* pass back in the next EXPORT; 0: no more */
            uint32_t count;
            dt_msg_capture_t *items; /* in the job's results order */
        } export_ok;
        struct {
            dt_str_t job; /* the job (not empty) */
            uint32_t max; /* origins wanted, <= DT_LIMIT_STATUS_HOSTS */
        } hosts;
        struct {
            uint32_t total; /* origins the job's tasks in memory name */
            uint32_t count; /* listed: the most queued first */
            dt_msg_host_t *items;
        } hosts_ok;
        struct {
            uint32_t code; /* dt_msg_error_t */
            dt_str_t text;
        } error;
    };
    /* Private to the codec: storage owned by a received message. */
    void *zone_;
    void *zone2_; /* a second LIST's items (STATUS_OK, TASKS) */
    zmq_msg_t frame_;
    int has_frame_;
    int source_fd1_; /* descriptor it was read from, plus one (ZMQ_SRCFD); 0: not known */
} dt_msg_t;

/* A ROUTER peer: its routing id, copied out of the envelope, the role its
 * key was admitted in (the connection's ZAP User-Id: "worker" or "client")
 * and that key (Z85, the ZAP metadata property "Key"); both empty on a
 * plaintext master. */
typedef struct {
    uint8_t id[256];
    size_t len;
    char role[16];
    char key[41];
} dt_peer_t;

void dt_msg_init (dt_msg_t *self);

/* Frees what decoding allocated, releases the frame, zeroes the message. */
void dt_msg_reset (dt_msg_t *self);

/* Decodes `size` bytes at `data` into `self` (which must be initialised or
 * reset). Strings borrow from `data`. Returns 0, or a DT_PROTO_E* code with
 * `self` reset except for `self->req`: the request id whenever the header
 * (version, type, req) could be read, else 0, so an ERROR reply can echo it. Validates: frame size,
 * array shape, version, type, every field's type, every string and count against dt_limits.h. Never
 * reads past `size`, never allocates more than a bound derived from `size`. */
int dt_msg_decode (dt_msg_t *self, const void *data, size_t size);

/* Copies the IP address of the TCP peer the message in `self` came from
 * (libzmq's "Peer-Address" property of its frame) into `buf`, NUL-terminated
 * and cut to `size`; "" when there is none (not received, or not TCP). For
 * per-address caps on what a peer may register, not for every message. */
void dt_msg_peer_address (const dt_msg_t *self, char *buf, size_t size);

/* The descriptor of the TCP connection the message in `self` came from
 * (libzmq's ZMQ_SRCFD of its first frame), also when it was invalid; -1
 * when not known. For the master's per-connection accounting (dt_conns):
 * the descriptor may be closed, even reused, by now. */
int dt_msg_source_fd (const dt_msg_t *self);

/* Encodes `self` into a new malloc'd buffer returned in *data_p (caller
 * frees) with its size in *size_p. Returns 0, DT_PROTO_ETOOBIG when a cap
 * would be broken (the sender must split), or DT_PROTO_ENOMEM. */
int dt_msg_encode (const dt_msg_t *self, void **data_p, size_t *size_p);

/* Encodes and sends `self` on a libzmq socket (not a zsock_t; pass
 * zsock_resolve()). With `peer` the routing id frame is sent first (ROUTER);
 * with NULL the body alone (DEALER). Never blocks: returns 0,
 * DT_PROTO_EAGAIN, DT_PROTO_EUNREACH (ROUTER_MANDATORY, peer gone),
 * DT_PROTO_ETOOBIG, DT_PROTO_ENOMEM or DT_PROTO_EIO. */
int dt_msg_send (const dt_msg_t *self, void *socket, const dt_peer_t *peer);

/* Receives one whole ZeroMQ message from `socket` and decodes it into
 * `self` (initialised or reset). With `peer` the first frame is taken as
 * the routing id (ROUTER). `flags` is 0 or ZMQ_DONTWAIT. All frames of the
 * message are consumed even when it is invalid, so the next call starts at
 * the next message. Returns 0, DT_PROTO_EAGAIN, DT_PROTO_EFRAMES, a decode
 * error (peer is still filled in, and self->req as dt_msg_decode leaves it,
 * for the error reply), or DT_PROTO_EIO. */
int dt_msg_recv (dt_msg_t *self, void *socket, dt_peer_t *peer, int flags);

/* Upper bound of the bytes one result or task adds to an encoded message,
 * so senders can fill a batch up to DT_LIMIT_BATCH_BYTES. */
size_t dt_msg_result_size (const dt_msg_result_t *r);
size_t dt_msg_task_size (const dt_msg_task_t *t);
size_t dt_msg_httpopt_size (const dt_msg_httpopt_t *h);

const char *dt_msg_type_name (int type);  /* "HELLO", ..., "?" */
const char *dt_msg_strerror (int rc);     /* for DT_PROTO_E* codes */
const char *dt_msg_error_name (int code); /* "QUEUE_FULL", ... for DT_ERR_* */

/* Helpers to fill a dt_str_t from C strings when encoding. */
static inline dt_str_t dt_str (const char *s)
{
    dt_str_t r = {s, 0};
    if (s)
        while (s[r.len])
            r.len++;
    return r;
}
static inline dt_str_t dt_str_n (const char *s, size_t len)
{
    dt_str_t r = {s, (uint32_t) len};
    return r;
}

#endif
