/* dt_worker.c - the worker's protocol engine and event loop: credit, tasks, results, shutdown. */
#include "dt_worker.h"
#include "dt_fetch.h"
#include "dt_handler.h"
#include "dt_jobopt.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_pagelinks.h"
#include "dt_sock.h"
#include "dt_stdio.h"
#include "dt_warc_file.h"

#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Beats a silent master may miss before WELCOME tells us its own value. */
#define DT_WORKER_LIVENESS_DEFAULT 3
/* HELLO resends back off up to this, so a worker notices a restarted master
 * within a few seconds without flooding a dead endpoint. */
#define DT_WORKER_HELLO_BACKOFF_MAX_MS 5000
/* Retry a RESULTS send refused by a full send queue this often. */
#define DT_WORKER_SEND_RETRY_MS 100
/* Longest single wait: bounds how late a signal delivered to another thread
 * (curl's resolver, libzmq's I/O) is noticed. */
#define DT_WORKER_WAIT_MAX_MS 500
/* Messages read per loop turn, so a flood cannot starve the fetches. */
#define DT_WORKER_DRAIN_MAX 1000
/* Tasks held beyond credit are only possible from a misbehaving master;
 * past this they are dropped (their lease ends and the master requeues). */
#define DT_WORKER_QUEUE_MAX (2 * DT_LIMIT_CREDIT_MAX)
/* How long closing waits to deliver the final RESULTS and BYE. */
#define DT_WORKER_BYE_LINGER_MS    1000
#define DT_WORKER_FORCED_LINGER_MS 100
/* Bounds on what WELCOME may set, so a bad value cannot spin or stall us. */
#define DT_WORKER_HEARTBEAT_MIN_MS 10
#define DT_WORKER_HEARTBEAT_MAX_MS 600000
#define DT_WORKER_LIVENESS_MAX     100
/* The INFO summary line (WORKER-SUMMARY: rate, done, errors, in flight)
 * comes this often while there is work: often enough to watch a crawl,
 * rare enough for a log kept for days (per-task lines are DEBUG). */
#define DT_WORKER_SUMMARY_MS 5000
/* Invalid messages logged at warning level; after that, debug only. */
#define DT_WORKER_INVALID_LOGGED 10

typedef enum { S_CONNECTING, S_READY } s_state_t;

/* A task received and not started yet. */
typedef struct s_task_t {
    uint64_t id;           /* master's task id */
    uint32_t attempt;      /* as received */
    uint64_t epoch;        /* of the TASKS that carried it: echoed in its result */
    struct s_task_t *next; /* FIFO link */
    uint32_t timeout_ms;   /* the task's own run limit; 0: none of its own */
    int foreign;           /* its kind is not the one this worker serves */
    uint32_t flags;        /* T.flags: DT_TASK_* */
    dt_jobopt_t *http;     /* its job's HTTP options (a reference); NULL: the worker's */
    size_t len;            /* bytes in payload */
    char payload[];        /* a copy, NUL-terminated for logs (a URL) */
} s_task_t;

/* A running task. The handler knows it by its slot index. */
typedef struct {
    uint64_t id;
    uint32_t attempt;
    uint64_t epoch;
    uint32_t flags; /* the task's DT_TASK_* */
} s_slot_t;

typedef struct {
    dt_worker_options_t opts; /* copy; strings borrowed from the caller */
    uint32_t capacity;        /* nslots + prefetch: the credit we want */
    uint32_t nslots;          /* tasks run at once: concurrency (x stdio_inflight for stdio) */
    dt_str_t kind;            /* the kind served: --kind of a command handler, else http */
    int kind_named;           /* HELLO names it (a command handler); http is the default */
    int fetches;              /* the handler is http's: jobs' HTTP options apply */
    zsock_t *sock;            /* DEALER to the master */
    void *zsock;              /* its libzmq handle */
    dt_handler_t *handler;    /* runs the tasks */
    dt_warc_file_t *warc;     /* --warc-dir: where captures are appended; NULL: none */
    s_state_t state;          /* CONNECTING until WELCOME */
    uint32_t heartbeat_ms;    /* in force: ours until WELCOME, then the master's */
    uint32_t liveness;        /* in force: beats a silent master may miss */
    int64_t last_sent;        /* monotonic ms of our last message */
    int64_t last_heard;       /* monotonic ms of the master's last valid message */
    int64_t hello_sent;       /* monotonic ms of our last HELLO */
    uint32_t hello_interval;  /* wait before resending HELLO while CONNECTING */
    int hello_this_turn;      /* a HELLO went out in this loop turn */
    int waiting_warned;       /* said once that the master does not answer */
    uint32_t errors_warned;   /* ERROR codes (bit per code) already logged at WARN since WELCOME */
    uint32_t offered;         /* capacity offered in the last HELLO */
    s_task_t *queue_head;     /* received, not started, oldest first */
    s_task_t *queue_tail;     /* newest */
    size_t queued;            /* tasks in the queue */
    s_slot_t *slots;          /* nslots entries */
    uint32_t *free_slots;     /* stack of unused slot indexes */
    uint32_t nfree;           /* entries on it */
    dt_msg_result_t *results; /* finished, not sent yet; [rhead, nresults) */
    char **result_strings;    /* each result's owned string storage */
    size_t rhead;             /* first unsent */
    size_t nresults;          /* used entries */
    size_t rcapacity;         /* allocated entries */
    int stopping;             /* a signal came: take nothing new */
    int held_back;            /* results waited one turn for more (see s_loop) */
    int64_t stop_deadline;    /* monotonic ms when the grace period ends */
    uint64_t tasks_done;      /* results produced */
    uint64_t tasks_errors;    /* of them, outcome retry or fail */
    int64_t summary_at;       /* monotonic ms of the last WORKER-SUMMARY (or the start) */
    uint64_t summary_done;    /* tasks_done then */
    uint64_t invalid;         /* invalid messages received */
} s_worker_t;

static volatile sig_atomic_t s_signals;

static void s_on_signal (int sig)
{
    (void) sig;
    if (s_signals < 2)
        s_signals++;
}

void dt_worker_options_defaults (dt_worker_options_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->handler = "http";
    opts->concurrency = DT_WORKER_CONCURRENCY_DEFAULT;
    opts->prefetch = DT_WORKER_CONCURRENCY_DEFAULT;
    opts->heartbeat_ms = DT_WORKER_HEARTBEAT_MS_DEFAULT;
    opts->grace_ms = DT_WORKER_GRACE_MS_DEFAULT;
    dt_fetch_options_defaults (&opts->fetch);
    dt_exec_options_defaults (&opts->exec);
}

/* ---- Sending ---------------------------------------------------------- */

static int s_send (s_worker_t *self, const dt_msg_t *msg)
{
    int rc = dt_msg_send (msg, self->zsock, NULL);
    if (rc == 0)
        self->last_sent = zclock_mono ();
    else if (rc != DT_PROTO_EAGAIN)
        dt_log_warn ("SEND-FAILED", "%s: %s", dt_msg_type_name (msg->type), dt_msg_strerror (rc));
    return rc;
}

static size_t s_held (const s_worker_t *self)
{
    return (self->nslots - self->nfree) + self->queued;
}

/* Sends HELLO offering the full capacity. To a master that still knows us
 * it renews our credit and keeps our leases; to one that restarted (or
 * forgot us) it is a new registration: the tasks we hold from before count
 * against nothing there, queued ones are dropped when its first TASKS (a
 * new epoch) arrives, and running ones finish and report results that it
 * counts as late. */
static void s_send_hello (s_worker_t *self)
{
    /* Stopping, it asks for nothing more: the master keeps its leases and
     * stops sending, instead of leasing tasks it would only refuse. */
    uint32_t capacity = self->stopping ? 0 : self->capacity;
    uint32_t concurrency = self->stopping ? 0 : self->nslots;
    size_t held = s_held (self);
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_HELLO;
    msg.hello.name = dt_str (self->opts.name);
    msg.hello.capacity = capacity;
    msg.hello.concurrency = concurrency;
    msg.hello.heartbeat_ms = self->opts.heartbeat_ms;
    if (self->kind_named) {
        msg.hello.nkinds = 1;
        msg.hello.kinds = &self->kind;
    }
    int rc = s_send (self, &msg);
    dt_log_debug ("HELLO", "capacity %" PRIu32 " (holding %zu): %s", capacity, held,
                  rc == 0 ? "sent" : dt_msg_strerror (rc));
    /* A HELLO that could not be queued is resent by the CONNECTING timer. */
    self->hello_sent = zclock_mono ();
    self->hello_this_turn = 1;
    self->offered = capacity;
}

/* Sends finished results, as many RESULTS messages as needed, each within
 * DT_LIMIT_BATCH_MAX items and DT_LIMIT_BATCH_BYTES. What the send queue
 * refuses stays for the next turn. */
static void s_send_results (s_worker_t *self)
{
    size_t max_items = DT_LIMIT_BATCH_MAX;
    while (self->rhead < self->nresults) {
        /* The envelope: header, worker name, array headers. */
        size_t n = 0, bytes = 64 + strlen (self->opts.name);
        while (self->rhead + n < self->nresults && n < max_items) {
            size_t size = dt_msg_result_size (&self->results[self->rhead + n]);
            if (n > 0 && bytes + size > DT_LIMIT_BATCH_BYTES)
                break;
            bytes += size;
            n++;
        }
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.type = DT_MSG_RESULTS;
        msg.results.worker = dt_str (self->opts.name);
        msg.results.count = (uint32_t) n;
        msg.results.items = &self->results[self->rhead];
        int rc = s_send (self, &msg);
        if (rc == DT_PROTO_ETOOBIG && n > 1) {
            /* Our size bound was wrong: smaller batches will do. */
            max_items = n / 2;
            continue;
        }
        if (rc != 0 && rc != DT_PROTO_ETOOBIG)
            break; /* full queue or socket error: try again next turn */
        if (rc == DT_PROTO_ETOOBIG)
            dt_log_error ("RESULT-DROPPED", "task %" PRIu64 ": result does not encode",
                          self->results[self->rhead].id);
        for (size_t i = 0; i < n; i++) {
            free (self->result_strings[self->rhead + i]);
            self->result_strings[self->rhead + i] = NULL;
        }
        self->rhead += n;
    }
    if (self->rhead == self->nresults)
        self->rhead = self->nresults = 0;
}

static void s_send_bye (s_worker_t *self)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    msg.type = DT_MSG_BYE;
    s_send (self, &msg);
}

/* ---- Results ---------------------------------------------------------- */

/* Length of `s` to send under `cap`: cut at the cap when `cut`, else 0 when
 * over it (a cut URL would be a different URL). */
static size_t s_capped (const char *s, size_t cap, int cut)
{
    size_t len = strlen (s);
    return len <= cap ? len : cut ? cap : 0;
}

/* Queues one result for the next RESULTS. Returns 0 or -1 (no memory). */
static int s_add_result (s_worker_t *self, const s_slot_t *task, const dt_handler_result_t *r)
{
    if (self->nresults == self->rcapacity) {
        size_t capacity = self->rcapacity ? self->rcapacity * 2 : 64;
        dt_msg_result_t *results = realloc (self->results, capacity * sizeof *results);
        if (!results)
            return -1;
        self->results = results;
        char **strings = realloc (self->result_strings, capacity * sizeof *strings);
        if (!strings)
            return -1;
        self->result_strings = strings;
        self->rcapacity = capacity;
    }
    size_t url_len = s_capped (r->final_url, DT_LIMIT_URL_MAX, 0);
    size_t ctype_len = s_capped (r->content_type, DT_LIMIT_CTYPE_MAX, 1);
    size_t error_len = s_capped (r->error, DT_LIMIT_ERROR_MAX, 1);
    /* Handlers cap their output at DT_LIMIT_OUTPUT_MAX (over it, the task
     * fails); the cut here only guards the codec's cap. */
    size_t output_len = r->output_len > DT_LIMIT_OUTPUT_MAX ? DT_LIMIT_OUTPUT_MAX : r->output_len;
    /* The capture goes back only when the master asked for it. One that
     * would not fit a result (heads of many hops past what the body cap
     * leaves them) fails the task rather than be cut. */
    size_t capture_len = (task->flags & DT_TASK_SAVE) ? r->warc_len : 0;
    uint8_t outcome = r->outcome;
    char over[128];
    if (capture_len > DT_LIMIT_CAPTURE_WIRE) {
        snprintf (over, sizeof over, "capture of %zu bytes is over the %d a result carries",
                  capture_len, DT_LIMIT_CAPTURE_WIRE);
        dt_log_warn ("CAPTURE-TOO-BIG", "task %" PRIu64 ": %s", task->id, over);
        capture_len = 0;
        outcome = DT_OUTCOME_FAIL;
        error_len = strlen (over);
    }
    const char *error = outcome == r->outcome ? r->error : over;
    /* dt_links caps a page's links under LINKS_BYTES; this guards the codec. */
    size_t links_len = r->links_len > DT_LIMIT_LINKS_BYTES ? 0 : r->links_len;
    size_t others = url_len + ctype_len + error_len + output_len + capture_len;
    if (links_len && others + links_len > DT_LIMIT_RESULT_BYTES) {
        /* One result must fit a frame: the capture is the page itself, so
         * the links give way, cut after a whole URL. The master sees fewer
         * links; the log says how many bytes went. */
        size_t room = others < DT_LIMIT_RESULT_BYTES ? DT_LIMIT_RESULT_BYTES - others : 0;
        size_t keep = dt_pagelinks_fit (r->links, links_len, room);
        dt_log_warn ("LINKS-CUT", "task %" PRIu64 ": %zu of %zu link bytes kept to fit a frame",
                     task->id, keep, links_len);
        links_len = keep;
    }
    char *strings =
        malloc (url_len + ctype_len + error_len + output_len + links_len + capture_len + 1);
    if (!strings)
        return -1;
    memcpy (strings, r->final_url, url_len);
    memcpy (strings + url_len, r->content_type, ctype_len);
    memcpy (strings + url_len + ctype_len, error, error_len);
    if (output_len)
        memcpy (strings + url_len + ctype_len + error_len, r->output, output_len);
    char *links = strings + url_len + ctype_len + error_len + output_len;
    if (links_len)
        memcpy (links, r->links, links_len);
    char *capture = links + links_len;
    if (capture_len)
        memcpy (capture, r->warc, capture_len);
    dt_msg_result_t *m = &self->results[self->nresults];
    memset (m, 0, sizeof *m);
    m->id = task->id;
    m->attempt = task->attempt;
    m->epoch = task->epoch;
    m->outcome = outcome;
    m->http_status = r->http_status;
    m->bytes = r->bytes;
    m->elapsed_ms = r->elapsed_ms;
    m->final_url = dt_str_n (strings, url_len);
    m->content_type = dt_str_n (strings + url_len, ctype_len);
    m->error = dt_str_n (strings + url_len + ctype_len, error_len);
    m->output = dt_str_n (strings + url_len + ctype_len + error_len, output_len);
    m->links = dt_str_n (links, links_len);
    m->capture = dt_str_n (capture, capture_len);
    m->exit_code =
        r->exit_code < 0 || r->exit_code >= DT_EXIT_NONE ? DT_EXIT_NONE : (uint16_t) r->exit_code;
    m->retry_after_ms = r->retry_after_ms;
    self->result_strings[self->nresults++] = strings;
    self->tasks_done++;
    return 0;
}

static const char *s_outcome_name (uint8_t outcome)
{
    return outcome == DT_OUTCOME_DONE ? "done" : outcome == DT_OUTCOME_RETRY ? "retry" : "fail";
}

/* The handler's completion callback: frees the slot, queues the result. */
static void s_on_done (void *arg, const dt_handler_result_t *r)
{
    s_worker_t *self = arg;
    assert (r->id < self->nslots);
    uint32_t index = (uint32_t) r->id;
    s_slot_t slot = self->slots[index];
    self->free_slots[self->nfree++] = index;
    /* Local mode: the records stay on this machine until the protocol
     * carries them to the master. A failed write loses this capture only. */
    if (self->warc && r->warc_len > 0) {
        char err[256];
        if (dt_warc_file_append (self->warc, r->warc, r->warc_len, err, sizeof err) != 0)
            dt_log_error ("WARC-WRITE", "task %" PRIu64 ": capture lost: %s", slot.id, err);
    }
    dt_log_debug ("TASK-END",
                  "task %" PRIu64 " attempt %" PRIu32 ": %s, HTTP %u, %" PRIu64 " bytes, %" PRIu32
                  " ms%s%s",
                  slot.id, slot.attempt, s_outcome_name (r->outcome), r->http_status, r->bytes,
                  r->elapsed_ms, r->error[0] ? ": " : "", r->error);
    if (r->outcome != DT_OUTCOME_DONE)
        self->tasks_errors++;
    if (s_add_result (self, &slot, r) != 0)
        dt_log_error ("RESULT-DROPPED", "task %" PRIu64 ": out of memory; its lease will end",
                      slot.id);
}

/* ---- Tasks ------------------------------------------------------------ */

static void s_queue_push (s_worker_t *self, s_task_t *task)
{
    task->next = NULL;
    if (self->queue_tail)
        self->queue_tail->next = task;
    else
        self->queue_head = task;
    self->queue_tail = task;
    self->queued++;
}

static s_task_t *s_queue_pop (s_worker_t *self)
{
    s_task_t *task = self->queue_head;
    if (task) {
        self->queue_head = task->next;
        if (!self->queue_head)
            self->queue_tail = NULL;
        self->queued--;
    }
    return task;
}

static void s_task_free (s_task_t **task_p)
{
    if (!*task_p)
        return;
    dt_jobopt_unref (&(*task_p)->http);
    free (*task_p);
    *task_p = NULL;
}

/* Drops the queued tasks leased in another master run than `epoch`. A
 * master that restarted (or another one) holds no lease of theirs: their
 * results could only be late, and run first they would hold up the new
 * run's tasks, whose lease clocks are already going. Returns how many. */
static size_t s_queue_drop_other_epochs (s_worker_t *self, uint64_t epoch)
{
    size_t dropped = 0;
    s_task_t *kept = NULL, *tail = NULL;
    while (self->queue_head) {
        s_task_t *task = s_queue_pop (self);
        if (task->epoch != epoch) {
            s_task_free (&task);
            dropped++;
            continue;
        }
        task->next = NULL;
        if (tail)
            tail->next = task;
        else
            kept = task;
        tail = task;
    }
    for (s_task_t *task = kept, *next; task; task = next) {
        next = task->next;
        s_queue_push (self, task);
    }
    return dropped;
}

static void s_on_tasks (s_worker_t *self, const dt_msg_t *msg)
{
    if (self->queue_head && self->queue_tail->epoch != msg->tasks.epoch) {
        size_t dropped = s_queue_drop_other_epochs (self, msg->tasks.epoch);
        if (dropped)
            dt_log_info ("TASKS-STALE",
                         "the master runs a new epoch: %zu queued tasks of the last one dropped "
                         "(it runs them again)",
                         dropped);
    }
    if (self->stopping) {
        /* Our BYE makes the master requeue them. */
        dt_log_debug ("TASKS-REFUSED", "stopping: not taking %" PRIu32 " tasks", msg->tasks.count);
        return;
    }
    /* The jobs' HTTP options, built once for all their tasks here. */
    dt_jobopt_t *http[DT_LIMIT_TASKS_HTTP] = {NULL};
    for (uint32_t j = 0; j < msg->tasks.nhttp; j++)
        http[j] = dt_jobopt_new (&self->opts.fetch.http, &msg->tasks.http[j]);
    for (uint32_t i = 0; i < msg->tasks.count; i++) {
        const dt_msg_task_t *t = &msg->tasks.items[i];
        if (self->queued >= DT_WORKER_QUEUE_MAX) {
            dt_log_peer_warn ("TASKS-OVER-CREDIT", "holding %zu tasks already: dropping %" PRIu32,
                              s_held (self), msg->tasks.count - i);
            break;
        }
        /* The codec checked opts <= nhttp. */
        dt_jobopt_t *opts = t->opts ? http[t->opts - 1] : NULL;
        s_task_t *task = (t->opts && !opts) ? NULL : malloc (sizeof *task + t->payload.len + 1);
        if (!task) {
            dt_log_error ("TASK-DROPPED", "task %" PRIu64 ": out of memory; its lease will end",
                          t->id);
            continue;
        }
        task->id = t->id;
        task->attempt = t->attempt;
        task->epoch = msg->tasks.epoch;
        if (t->payload.len)
            memcpy (task->payload, t->payload.ptr, t->payload.len);
        task->payload[t->payload.len] = '\0';
        task->len = t->payload.len;
        task->timeout_ms = t->timeout_ms;
        task->flags = t->flags;
        /* The master sends a worker only the kinds its HELLO named; a task
         * of another kind is a master's bug, refused rather than run. */
        task->foreign = t->kind.len != self->kind.len ||
                        memcmp (t->kind.ptr, self->kind.ptr, self->kind.len) != 0;
        task->http = opts ? dt_jobopt_ref (opts) : NULL;
        s_queue_push (self, task);
    }
    for (uint32_t j = 0; j < msg->tasks.nhttp; j++)
        dt_jobopt_unref (&http[j]);
}

/* Starts `task` as `start` says: 0, or -1 with the reason in *error and
 * the outcome in *outcome when it cannot start. */
static int s_start_one (s_worker_t *self, const s_task_t *task, const dt_handler_task_t *start,
                        const char **error, uint8_t *outcome)
{
    *outcome = DT_OUTCOME_FAIL;
    if (task->foreign) {
        *error = "a task of a kind this worker does not serve";
        return -1;
    }
    /* A job's HTTP options are for fetches: a handler that does not fetch
     * (noop, a command's) has no use for them. */
    const dt_jobopt_t *http = self->fetches ? task->http : NULL;
    if (http && dt_jobopt_error (http)) {
        *error = dt_jobopt_error (http);
        return -1;
    }
    int rc;
    if (self->fetches && (task->flags & DT_TASK_SAVE)) {
        /* The master wants the exchange saved: captured, its body kept up to
         * DT_LIMIT_CAPTURE_SAVE so the whole capture travels in the result. */
        static dt_httpopt_t saved; /* 8 KiB: not on the stack; the loop has one thread */
        saved = http ? *dt_jobopt_http (http) : self->opts.fetch.http;
        saved.capture = 1;
        saved.capture_max = DT_LIMIT_CAPTURE_SAVE;
        rc = dt_fetch_start_with (self->handler, start, &saved);
    } else
        rc = http ? dt_fetch_start_with (self->handler, start, dt_jobopt_http (http))
                  : dt_handler_start (self->handler, start);
    if (rc != 0) {
        /* Reported as transient: another attempt, maybe elsewhere, may work. */
        *outcome = DT_OUTCOME_RETRY;
        *error = "worker could not start the task: out of memory";
        return -1;
    }
    return 0;
}

/* Starts queued tasks while a slot is free. */
static void s_start_tasks (s_worker_t *self)
{
    while (self->nfree > 0 && self->queue_head) {
        s_task_t *task = s_queue_pop (self);
        uint32_t index = self->free_slots[--self->nfree];
        self->slots[index] = (s_slot_t){task->id, task->attempt, task->epoch, task->flags};
        dt_handler_task_t start = {.id = index,
                                   .task_id = task->id,
                                   .attempt = task->attempt,
                                   .time_limit_ms = task->timeout_ms,
                                   .payload = task->payload,
                                   .payload_len = task->len,
                                   .flags = task->flags};
        const char *error = NULL;
        uint8_t outcome;
        if (s_start_one (self, task, &start, &error, &outcome) != 0) {
            dt_handler_result_t r = {.outcome = outcome,
                                     .id = index,
                                     .attempt = task->attempt,
                                     .final_url = "",
                                     .content_type = "",
                                     .error = error,
                                     .exit_code = -1};
            s_on_done (self, &r);
        } else
            dt_log_debug ("TASK-START", "task %" PRIu64 " attempt %" PRIu32 ": %zu bytes", task->id,
                          task->attempt, task->len);
        s_task_free (&task);
    }
}

/* ---- Receiving -------------------------------------------------------- */

static uint32_t s_clamp (uint32_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void s_on_welcome (s_worker_t *self, const dt_msg_t *msg)
{
    if (msg->welcome.heartbeat_ms)
        self->heartbeat_ms = s_clamp (msg->welcome.heartbeat_ms, DT_WORKER_HEARTBEAT_MIN_MS,
                                      DT_WORKER_HEARTBEAT_MAX_MS);
    if (msg->welcome.liveness)
        self->liveness = s_clamp (msg->welcome.liveness, 1, DT_WORKER_LIVENESS_MAX);
    /* Bounds the run of each task started from now on; the master ends
     * the lease of one it has not heard back from by then anyway. */
    dt_handler_set_task_ms (self->handler, msg->welcome.task_ms);
    if (self->state != S_READY)
        dt_log_info ("WORKER-READY",
                     "registered with %s as %s: credit %" PRIu32 ", heartbeat %" PRIu32
                     " ms, liveness %" PRIu32,
                     self->opts.master, self->opts.name, self->offered, self->heartbeat_ms,
                     self->liveness);
    self->state = S_READY;
    self->waiting_warned = 0;
    self->errors_warned = 0;
}

static void s_on_error (s_worker_t *self, const dt_msg_t *msg)
{
    char text[160];
    dt_log_escape (text, sizeof text, msg->error.text.ptr, msg->error.text.len, 120);
    if (msg->error.code != DT_ERR_UNKNOWN_PEER) {
        /* DENIED, TOO_MANY_WORKERS, VERSION... answer each HELLO resend:
         * the resends go on (a key moved to the allow-list, a slot that
         * frees, an upgraded master let us in), and the log says why once
         * per outage rather than every few seconds. */
        uint32_t bit = msg->error.code < 32 ? 1u << msg->error.code : 0;
        if (self->errors_warned & bit)
            dt_log_debug ("MASTER-ERROR", "%s: %s", dt_msg_error_name ((int) msg->error.code),
                          text);
        else
            dt_log_warn ("MASTER-ERROR", "%s: %s%s", dt_msg_error_name ((int) msg->error.code),
                         text, self->state == S_CONNECTING ? " (still trying to register)" : "");
        self->errors_warned |= bit;
        return;
    }
    /* Replies to messages sent before our last HELLO are stale: that HELLO
     * (not yet answered) registers us. */
    int64_t now = zclock_mono ();
    if (self->hello_this_turn ||
        (self->state == S_CONNECTING &&
         now - self->hello_sent < (int64_t) self->liveness * self->heartbeat_ms))
        return;
    dt_log_warn ("MASTER-FORGOT", "master does not know us: registering again, holding %zu tasks",
                 s_held (self));
    self->state = S_CONNECTING;
    self->hello_interval = self->liveness * self->heartbeat_ms;
    s_send_hello (self);
}

static void s_on_message (s_worker_t *self, const dt_msg_t *msg)
{
    self->last_heard = zclock_mono ();
    switch (msg->type) {
    case DT_MSG_WELCOME:
        s_on_welcome (self, msg);
        break;
    case DT_MSG_TASKS:
        s_on_tasks (self, msg);
        break;
    case DT_MSG_HEARTBEAT:
        break;
    case DT_MSG_ERROR:
        s_on_error (self, msg);
        break;
    default:
        dt_log_warn ("PROTO-UNEXPECTED", "%s from the master: dropped",
                     dt_msg_type_name (msg->type));
    }
}

/* Reads every message waiting (up to DT_WORKER_DRAIN_MAX). ZMQ_FD only
 * signals an edge, so the socket must be read until it has nothing left. */
static void s_recv_all (s_worker_t *self)
{
    dt_msg_t msg;
    dt_msg_init (&msg);
    for (int i = 0; i < DT_WORKER_DRAIN_MAX; i++) {
        int rc = dt_msg_recv (&msg, self->zsock, NULL, ZMQ_DONTWAIT);
        if (rc == DT_PROTO_EAGAIN)
            break;
        if (rc == DT_PROTO_EIO) {
            dt_log_error ("RECV-FAILED", "%s", zmq_strerror (zmq_errno ()));
            break;
        }
        if (rc == 0)
            s_on_message (self, &msg);
        else {
            self->invalid++;
            if (self->invalid <= DT_WORKER_INVALID_LOGGED)
                dt_log_warn ("PROTO-INVALID", "from the master: %s: dropped", dt_msg_strerror (rc));
            else
                dt_log_debug ("PROTO-INVALID", "from the master: %s: dropped",
                              dt_msg_strerror (rc));
        }
        dt_msg_reset (&msg);
    }
    dt_msg_reset (&msg);
}

/* ---- Timers ----------------------------------------------------------- */

static int64_t s_silence_ms (const s_worker_t *self)
{
    return (int64_t) self->liveness * self->heartbeat_ms;
}

/* One INFO line every DT_WORKER_SUMMARY_MS while tasks are held or were
 * finished since the last one; an idle worker stays quiet. */
static void s_summary (s_worker_t *self, int64_t now)
{
    int64_t span = now - self->summary_at;
    if (span < DT_WORKER_SUMMARY_MS)
        return;
    uint64_t recent = self->tasks_done - self->summary_done;
    if (recent > 0 || s_held (self) > 0)
        dt_log_info ("WORKER-SUMMARY",
                     "%.1f tasks/s, %" PRIu64 " done, %" PRIu64 " errors, %zu in flight",
                     (double) recent * 1000.0 / (double) span, self->tasks_done, self->tasks_errors,
                     s_held (self));
    self->summary_at = now;
    self->summary_done = self->tasks_done;
}

/* Heartbeats, master liveness, HELLO resends, credit restore and the
 * summary line. */
static void s_tick (s_worker_t *self, int64_t now)
{
    s_summary (self, now);
    if (self->state == S_READY && now - self->last_heard > s_silence_ms (self)) {
        dt_log_warn ("MASTER-SILENT", "nothing from %s for %" PRId64 " ms: registering again",
                     self->opts.master, now - self->last_heard);
        self->state = S_CONNECTING;
        self->hello_interval = (uint32_t) s_silence_ms (self);
        s_send_hello (self);
    } else if (self->state == S_CONNECTING && !self->hello_this_turn &&
               now - self->hello_sent >= self->hello_interval) {
        /* Once per outage at WARN, so an operator sees why nothing happens. */
        if (!self->waiting_warned)
            dt_log_warn ("MASTER-WAIT", "no answer from %s yet: still trying (is it running%s?)",
                         self->opts.master,
                         dt_sock_is_secure () ? ", is our key in its workers/ allow-list" : "");
        else
            dt_log_debug ("HELLO-AGAIN", "no WELCOME from %s after %" PRIu32 " ms",
                          self->opts.master, self->hello_interval);
        self->waiting_warned = 1;
        uint32_t base = (uint32_t) s_silence_ms (self);
        uint32_t next = self->hello_interval * 2;
        if (next > DT_WORKER_HELLO_BACKOFF_MAX_MS)
            next = DT_WORKER_HELLO_BACKOFF_MAX_MS;
        self->hello_interval = next > base ? next : base;
        s_send_hello (self);
    }
    if (self->state == S_READY && now - self->last_sent >= self->heartbeat_ms) {
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.type = DT_MSG_HEARTBEAT;
        s_send (self, &msg);
    }
}

/* How long the loop may wait before something is due. */
static int s_wait_ms (s_worker_t *self, int64_t now)
{
    int64_t due = now + DT_WORKER_WAIT_MAX_MS;
#define S_DUE(t)                                                                                   \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (t_ < due)                                                                              \
            due = t_;                                                                              \
    } while (0)
    if (self->state == S_READY) {
        S_DUE (self->last_sent + self->heartbeat_ms);
        S_DUE (self->last_heard + s_silence_ms (self) + 1);
    } else
        S_DUE (self->hello_sent + self->hello_interval);
    if (self->rhead < self->nresults)
        S_DUE (now + DT_WORKER_SEND_RETRY_MS);
    S_DUE (self->summary_at + DT_WORKER_SUMMARY_MS);
    if (self->stopping)
        S_DUE (self->stop_deadline);
    if (self->queue_head && self->nfree > 0)
        S_DUE (now);
    long handler_ms = dt_handler_timeout (self->handler);
    if (handler_ms >= 0)
        S_DUE (now + handler_ms);
#undef S_DUE
    if (due <= now)
        return 0; /* no need to ask the socket: the next turn reads it anyway */
    /* ZMQ_FD fires on an edge only: a message already queued would not wake us. */
    if (zsock_events (self->sock) & ZMQ_POLLIN)
        return 0;
    return (int) (due - now);
}

/* ---- Setup ------------------------------------------------------------ */

/* The one place the worker's socket is made: CURVE keys will be set here. */
static zsock_t *s_socket_new (const dt_worker_options_t *opts, char *err, size_t err_size)
{
    return dt_sock_new_dealer (opts->master, err, err_size);
}

static void s_destroy (s_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_worker_t *self = *self_p;
    dt_handler_destroy (&self->handler);
    dt_warc_file_destroy (&self->warc);
    zsock_destroy (&self->sock);
    while (self->queue_head) {
        s_task_t *task = s_queue_pop (self);
        s_task_free (&task);
    }
    for (size_t i = self->rhead; i < self->nresults; i++)
        free (self->result_strings[i]);
    free (self->results);
    free (self->result_strings);
    free (self->slots);
    free (self->free_slots);
    free (self);
    *self_p = NULL;
}

static s_worker_t *s_new (const dt_worker_options_t *opts)
{
    s_worker_t *self = calloc (1, sizeof *self);
    if (!self) {
        dt_log_error ("WORKER-START", "out of memory");
        return NULL;
    }
    self->opts = *opts;
    /* A stdio child holds stdio_inflight tasks at once: each one runs,
     * as far as the master's lease clocks are concerned. */
    self->nslots = opts->concurrency;
    if (strcmp (opts->handler, "stdio") == 0 && opts->stdio_inflight > 1)
        self->nslots *= opts->stdio_inflight;
    self->capacity = self->nslots + opts->prefetch;
    /* A command handler serves its --kind; http and noop serve http. */
    self->kind_named = opts->exec.kind && strcmp (opts->handler, "http") != 0 &&
                       strcmp (opts->handler, "noop") != 0;
    self->kind = dt_str (self->kind_named ? opts->exec.kind : DT_KIND_HTTP);
    self->heartbeat_ms = opts->heartbeat_ms;
    self->liveness = DT_WORKER_LIVENESS_DEFAULT;
    self->slots = calloc (self->nslots, sizeof *self->slots);
    self->free_slots = calloc (self->nslots, sizeof *self->free_slots);
    if (!self->slots || !self->free_slots) {
        dt_log_error ("WORKER-START", "out of memory");
        goto fail;
    }
    /* Popped from the top: slot 0 first, which keeps logs readable. */
    for (uint32_t i = 0; i < self->nslots; i++)
        self->free_slots[i] = self->nslots - 1 - i;
    self->nfree = self->nslots;

    char err[256] = "";
    if (strcmp (opts->handler, "noop") == 0)
        self->handler = dt_noop_new (s_on_done, self);
    else if (strcmp (opts->handler, "http") == 0) {
        self->handler = dt_fetch_new (&opts->fetch, s_on_done, self, err, sizeof err);
        self->fetches = 1;
    } else if (strcmp (opts->handler, "exec") == 0)
        self->handler = dt_exec_new (&opts->exec, s_on_done, self, err, sizeof err);
    else if (strcmp (opts->handler, "stdio") == 0)
        self->handler =
            dt_stdio_new (&opts->exec, opts->concurrency, self->nslots / opts->concurrency,
                          s_on_done, self, err, sizeof err);
    else
        snprintf (err, sizeof err, "unknown handler '%s'", opts->handler);
    if (!self->handler) {
        dt_log_error ("WORKER-START", "handler: %s", err[0] ? err : "out of memory");
        goto fail;
    }
    if (opts->warc_dir) {
        self->warc = dt_warc_file_new (opts->warc_dir, 0, NULL, err, sizeof err);
        if (!self->warc) {
            dt_log_error ("WORKER-START", "--warc-dir: %s", err);
            goto fail;
        }
        dt_log_info ("WARC-LOCAL", "keeping what is fetched in %s (rolling every %lld bytes)",
                     opts->warc_dir, (long long) DT_WARC_FILE_ROLL_BYTES);
    }
    self->sock = s_socket_new (opts, err, sizeof err);
    if (!self->sock) {
        dt_log_error ("WORKER-START", "%s", err);
        goto fail;
    }
    self->zsock = zsock_resolve (self->sock);
    return self;
fail:
    s_destroy (&self);
    return NULL;
}

/* ---- The loop --------------------------------------------------------- */

/* Runs loop turns until stopped. Returns 0 (graceful), 1 (forced) or -1
 * (the handler failed). */
static int s_loop (s_worker_t *self)
{
    int64_t now = zclock_mono ();
    self->last_heard = now;
    self->summary_at = now;
    self->state = S_CONNECTING;
    self->hello_interval = (uint32_t) s_silence_ms (self);
    s_send_hello (self);
    int fd = zsock_fd (self->sock);
    for (;;) {
        self->hello_this_turn = 0;
        if (s_signals >= 2) {
            dt_log_warn ("WORKER-STOP", "second signal: stopping now, abandoning %zu tasks",
                         s_held (self));
            return 1;
        }
        if (s_signals >= 1 && !self->stopping) {
            self->stopping = 1;
            self->stop_deadline = zclock_mono () + self->opts.grace_ms;
            dt_log_info ("WORKER-STOPPING",
                         "finishing %zu running and %zu queued tasks within %" PRIu32 " ms",
                         s_held (self) - self->queued, self->queued, self->opts.grace_ms);
            if (self->state == S_READY)
                s_send_hello (self);
        }
        if (dt_handler_perform (self->handler) != 0)
            return -1;
        s_recv_all (self);
        s_start_tasks (self);
        /* While the handler has completions due at once (timeout 0: tasks
         * it finishes at the next perform), results wait for them one
         * turn, so they leave in one RESULTS instead of two and the master
         * answers with one TASKS for the combined credit. Only one turn: a
         * handler that is always due cannot hold results back. */
        if (self->held_back || self->stopping || dt_handler_timeout (self->handler) != 0) {
            s_send_results (self);
            self->held_back = 0;
        } else
            self->held_back = self->rhead < self->nresults;
        now = zclock_mono ();
        s_tick (self, now);
        dt_log_flush (); /* summaries of lines a misbehaving master made us suppress */
        if (self->stopping) {
            int idle = s_held (self) == 0 && self->rhead == self->nresults;
            if (idle)
                return 0;
            if (now >= self->stop_deadline) {
                dt_log_warn ("WORKER-GRACE", "grace period over: abandoning %zu tasks",
                             s_held (self));
                return 0;
            }
        }
        /* A wait of 0 would only poll what the next turn reads anyway: each
         * poll of the socket is a system call or two inside libzmq. */
        int wait_ms = s_wait_ms (self, now);
        if (wait_ms > 0 && dt_handler_wait (self->handler, fd, wait_ms) != 0)
            return -1;
    }
}

int dt_worker_run (const dt_worker_options_t *opts)
{
    assert (opts->master && opts->name && opts->handler);
    assert (opts->concurrency > 0);
    /* Our own handlers: czmq's would only set a flag, and we count signals
     * (the second one means "now"). Set before czmq initialises. SIGHUP is
     * a stop like SIGTERM: logs go to stderr, there is nothing to reopen. */
    zsys_handler_set (NULL);
    s_signals = 0;
    struct sigaction sa, old_int, old_term, old_hup, old_pipe;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, &old_int);
    sigaction (SIGTERM, &sa, &old_term);
    sigaction (SIGHUP, &sa, &old_hup);
    sa.sa_handler = SIG_IGN;
    sigaction (SIGPIPE, &sa, &old_pipe);

    int rc = -1;
    s_worker_t *self = s_new (opts);
    if (self) {
        dt_log_info ("WORKER-START",
                     "%s: %s handler, concurrency %" PRIu32 ", prefetch %" PRIu32 ", master %s",
                     opts->name, dt_handler_name (self->handler), opts->concurrency, opts->prefetch,
                     opts->master);
        rc = s_loop (self);
        /* Whatever finished is reported; the master requeues the rest on BYE. */
        s_send_results (self);
        s_send_bye (self);
        zsock_set_linger (self->sock,
                          rc == 0 ? DT_WORKER_BYE_LINGER_MS : DT_WORKER_FORCED_LINGER_MS);
        dt_log_info ("WORKER-BYE", "%" PRIu64 " tasks run; %zu results unsent, %zu tasks abandoned",
                     self->tasks_done, self->nresults - self->rhead, s_held (self));
        s_destroy (&self);
    }
    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    sigaction (SIGHUP, &old_hup, NULL);
    sigaction (SIGPIPE, &old_pipe, NULL);
    return rc;
}
