/* dt_msg.c - the dtask wire codec (PROTOCOL.md): msgpack-c packs, a strict reader checks.
 *
 * Encoding uses msgpack-c's packer. Decoding reads the bytes directly with a
 * needle and a ceiling (the shape of czmq's generated codecs) instead of
 * msgpack_unpack(): the library allocates an object tree sized by the counts
 * a peer *declares*, so a 5-byte array header could ask for gigabytes. Here
 * every count is checked against its cap and against the bytes left in the
 * frame before anything is allocated, and only the handful of msgpack
 * formats the protocol uses are accepted.
 */
#include "dt_msg.h"
#include "dt_limits.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields after the 3-element header, per type (index = type). */
static const uint8_t s_fields[] = {
    [DT_MSG_HELLO] = 3,     [DT_MSG_WELCOME] = 3,    [DT_MSG_TASKS] = 1,  [DT_MSG_RESULTS] = 2,
    [DT_MSG_HEARTBEAT] = 0, [DT_MSG_BYE] = 0,        [DT_MSG_SUBMIT] = 4, [DT_MSG_SUBMIT_OK] = 4,
    [DT_MSG_FETCH] = 5,     [DT_MSG_PAGE] = 3,       [DT_MSG_STATUS] = 1, [DT_MSG_STATUS_OK] = 2,
    [DT_MSG_REQUEUE] = 1,   [DT_MSG_REQUEUE_OK] = 1, [DT_MSG_ERROR] = 2,  [DT_MSG_CANCEL] = 1,
    [DT_MSG_CANCEL_OK] = 1,
};

#define S_HEADER        3
#define S_TYPE_VALID(t) ((t) >= DT_MSG_HELLO && (t) <= DT_MSG_CANCEL_OK)

/* Elements of the composite items. */
#define S_TASK_FIELDS   3
#define S_RW_FIELDS     9
#define S_RC_FIELDS     11
#define S_STATS_FIELDS  9
#define S_WORKER_FIELDS 5

void dt_msg_init (dt_msg_t *self)
{
    memset (self, 0, sizeof *self);
}

void dt_msg_reset (dt_msg_t *self)
{
    free (self->zone_);
    if (self->has_frame_)
        zmq_msg_close (&self->frame_);
    memset (self, 0, sizeof *self);
}

/* ---- Decoding ---------------------------------------------------------- */

typedef struct {
    const uint8_t *needle;  /* next byte to read */
    const uint8_t *ceiling; /* one past the last byte of the frame */
    int rc;                 /* first error met; 0 while all is well */
} s_reader_t;

/* Records the first error only: later reads fail fast on a broken reader. */
static int s_fail (s_reader_t *r, int rc)
{
    if (!r->rc)
        r->rc = rc;
    return -1;
}

static size_t s_left (const s_reader_t *r)
{
    return (size_t) (r->ceiling - r->needle);
}

static uint64_t s_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Reads `n` big-endian bytes after the format byte. */
static int s_take (s_reader_t *r, int n, uint64_t *v)
{
    if (s_left (r) < (size_t) n)
        return s_fail (r, DT_PROTO_EMALFORMED);
    *v = s_be (r->needle, n);
    r->needle += n;
    return 0;
}

/* An unsigned integer no larger than `max`, in any msgpack uint format. */
static int s_uint (s_reader_t *r, uint64_t max, uint64_t *v)
{
    if (r->rc)
        return -1;
    if (s_left (r) < 1)
        return s_fail (r, DT_PROTO_EMALFORMED);
    uint8_t f = *r->needle++;
    int rc = 0;
    if (f <= 0x7f)
        *v = f;
    else if (f == 0xcc)
        rc = s_take (r, 1, v);
    else if (f == 0xcd)
        rc = s_take (r, 2, v);
    else if (f == 0xce)
        rc = s_take (r, 4, v);
    else if (f == 0xcf)
        rc = s_take (r, 8, v);
    else
        return s_fail (r, DT_PROTO_EMALFORMED);
    if (rc == 0 && *v > max)
        return s_fail (r, DT_PROTO_EMALFORMED);
    return rc;
}

static uint64_t s_u64 (s_reader_t *r)
{
    uint64_t v = 0;
    s_uint (r, UINT64_MAX, &v);
    return v;
}

static uint32_t s_u32 (s_reader_t *r)
{
    uint64_t v = 0;
    s_uint (r, UINT32_MAX, &v);
    return (uint32_t) v;
}

/* A uint within [min, max]; out of range is malformed. */
static uint32_t s_range (s_reader_t *r, uint32_t min, uint32_t max)
{
    uint64_t v = 0;
    if (s_uint (r, max, &v) == 0 && v < min)
        s_fail (r, DT_PROTO_EMALFORMED);
    return (uint32_t) v;
}

/* A str of at most `max` bytes, borrowed from the frame. Over the cap is
 * TOO_BIG (the peer must split or cut), any other format is malformed. */
static dt_str_t s_str (s_reader_t *r, uint32_t min, uint32_t max)
{
    dt_str_t s = {"", 0};
    if (r->rc)
        return s;
    if (s_left (r) < 1) {
        s_fail (r, DT_PROTO_EMALFORMED);
        return s;
    }
    uint8_t f = *r->needle++;
    uint64_t len = 0;
    if (f >= 0xa0 && f <= 0xbf)
        len = f & 0x1f;
    else if (f == 0xd9)
        s_take (r, 1, &len);
    else if (f == 0xda)
        s_take (r, 2, &len);
    else if (f == 0xdb)
        s_take (r, 4, &len);
    else
        s_fail (r, DT_PROTO_EMALFORMED);
    if (r->rc)
        return s;
    if (len > max) {
        s_fail (r, DT_PROTO_ETOOBIG);
        return s;
    }
    if (len < min || len > s_left (r)) {
        s_fail (r, DT_PROTO_EMALFORMED);
        return s;
    }
    s.ptr = (const char *) r->needle;
    s.len = (uint32_t) len;
    r->needle += len;
    return s;
}

/* An array header; returns its count. */
static uint32_t s_array (s_reader_t *r)
{
    if (r->rc)
        return 0;
    if (s_left (r) < 1)
        return s_fail (r, DT_PROTO_EMALFORMED), 0;
    uint8_t f = *r->needle++;
    uint64_t n = 0;
    if (f >= 0x90 && f <= 0x9f)
        n = f & 0x0f;
    else if (f == 0xdc)
        s_take (r, 2, &n);
    else if (f == 0xdd)
        s_take (r, 4, &n);
    else
        s_fail (r, DT_PROTO_EMALFORMED);
    return (uint32_t) n;
}

/* An array of exactly `n` elements (a composite item). */
static void s_tuple (s_reader_t *r, uint32_t n)
{
    if (s_array (r) != n)
        s_fail (r, DT_PROTO_EMALFORMED);
}

/* An array of items: count within [min, max] and never more than the
 * bytes left (each item takes at least one), so the allocation that
 * follows is bounded by the frame. */
static uint32_t s_list (s_reader_t *r, uint32_t min, uint32_t max)
{
    uint32_t n = s_array (r);
    if (r->rc)
        return 0;
    if (n > max)
        return s_fail (r, DT_PROTO_ETOOBIG), 0;
    if (n < min || n > s_left (r))
        return s_fail (r, DT_PROTO_EMALFORMED), 0;
    return n;
}

/* Items storage for one message, kept in zone_ and freed by reset. */
static void *s_items (dt_msg_t *self, s_reader_t *r, uint32_t count, size_t size)
{
    if (r->rc || count == 0)
        return NULL;
    self->zone_ = calloc (count, size);
    if (!self->zone_)
        s_fail (r, DT_PROTO_ENOMEM);
    return self->zone_;
}

static void s_get_stats (s_reader_t *r, dt_msg_stats_t *s)
{
    s_tuple (r, S_STATS_FIELDS);
    s->submitted = s_u64 (r);
    s->pending = s_u64 (r);
    s->inflight = s_u64 (r);
    s->delayed = s_u64 (r);
    s->done = s_u64 (r);
    s->failed = s_u64 (r);
    s->retried = s_u64 (r);
    s->duplicates = s_u64 (r);
    s->invalid = s_u64 (r);
}

static void s_get_task (s_reader_t *r, dt_msg_task_t *t)
{
    s_tuple (r, S_TASK_FIELDS);
    t->id = s_u64 (r);
    t->attempt = s_u32 (r);
    t->url = s_str (r, 1, DT_LIMIT_URL_MAX);
}

static void s_get_worker_result (s_reader_t *r, dt_msg_result_t *x)
{
    s_tuple (r, S_RW_FIELDS);
    x->id = s_u64 (r);
    x->attempt = s_u32 (r);
    x->outcome = (uint8_t) s_range (r, 0, DT_OUTCOME_FAIL);
    x->http_status = (uint16_t) s_range (r, 0, UINT16_MAX);
    x->bytes = s_u64 (r);
    x->elapsed_ms = s_u32 (r);
    x->final_url = s_str (r, 0, DT_LIMIT_URL_MAX);
    x->content_type = s_str (r, 0, DT_LIMIT_CTYPE_MAX);
    x->error = s_str (r, 0, DT_LIMIT_ERROR_MAX);
}

static void s_get_client_result (s_reader_t *r, dt_msg_result_t *x)
{
    s_tuple (r, S_RC_FIELDS);
    x->id = s_u64 (r);
    x->attempt = s_u32 (r);
    x->state = (uint8_t) s_range (r, DT_STATE_DONE, DT_STATE_FAILED);
    x->http_status = (uint16_t) s_range (r, 0, UINT16_MAX);
    x->bytes = s_u64 (r);
    x->elapsed_ms = s_u32 (r);
    x->url = s_str (r, 0, DT_LIMIT_URL_MAX);
    x->final_url = s_str (r, 0, DT_LIMIT_URL_MAX);
    x->content_type = s_str (r, 0, DT_LIMIT_CTYPE_MAX);
    x->worker = s_str (r, 0, DT_LIMIT_NAME_MAX);
    x->error = s_str (r, 0, DT_LIMIT_ERROR_MAX);
}

static void s_get_worker (s_reader_t *r, dt_msg_worker_t *w)
{
    s_tuple (r, S_WORKER_FIELDS);
    w->name = s_str (r, 0, DT_LIMIT_NAME_MAX);
    w->capacity = s_u32 (r);
    w->inflight = s_u32 (r);
    w->done = s_u64 (r);
    w->idle_ms = s_u32 (r);
}

/* The fields after the header, for a type already known to be valid. */
static void s_get_body (dt_msg_t *self, s_reader_t *r)
{
    switch (self->type) {
    case DT_MSG_HELLO:
        self->hello.name = s_str (r, 0, DT_LIMIT_NAME_MAX);
        self->hello.capacity = s_range (r, 0, DT_LIMIT_CREDIT_MAX);
        self->hello.heartbeat_ms = s_u32 (r);
        break;
    case DT_MSG_WELCOME:
        self->welcome.heartbeat_ms = s_u32 (r);
        self->welcome.liveness = s_u32 (r);
        self->welcome.task_ms = s_u32 (r);
        break;
    case DT_MSG_TASKS: {
        uint32_t n = s_list (r, 1, DT_LIMIT_BATCH_MAX);
        dt_msg_task_t *items = s_items (self, r, n, sizeof *items);
        for (uint32_t i = 0; i < n && !r->rc; i++)
            s_get_task (r, &items[i]);
        self->tasks.count = n;
        self->tasks.items = items;
        break;
    }
    case DT_MSG_RESULTS: {
        self->results.worker = s_str (r, 0, DT_LIMIT_NAME_MAX);
        uint32_t n = s_list (r, 1, DT_LIMIT_BATCH_MAX);
        dt_msg_result_t *items = s_items (self, r, n, sizeof *items);
        for (uint32_t i = 0; i < n && !r->rc; i++)
            s_get_worker_result (r, &items[i]);
        self->results.count = n;
        self->results.items = items;
        break;
    }
    case DT_MSG_HEARTBEAT:
    case DT_MSG_BYE:
        break;
    case DT_MSG_SUBMIT: {
        self->submit.job = s_str (r, 1, DT_LIMIT_JOB_MAX);
        self->submit.chunk = s_u32 (r);
        self->submit.flags = s_u32 (r);
        uint32_t n = s_list (r, 1, DT_LIMIT_BATCH_MAX);
        dt_str_t *urls = s_items (self, r, n, sizeof *urls);
        for (uint32_t i = 0; i < n && !r->rc; i++)
            urls[i] = s_str (r, 1, DT_LIMIT_URL_MAX);
        self->submit.count = n;
        self->submit.urls = urls;
        break;
    }
    case DT_MSG_SUBMIT_OK:
        self->submit_ok.job = s_str (r, 0, DT_LIMIT_JOB_MAX);
        self->submit_ok.chunk = s_u32 (r);
        self->submit_ok.first_id = s_u64 (r);
        self->submit_ok.count = s_u32 (r);
        break;
    case DT_MSG_FETCH:
        self->fetch.job = s_str (r, 0, DT_LIMIT_JOB_MAX);
        self->fetch.cursor = s_u64 (r);
        self->fetch.max = s_range (r, 1, DT_LIMIT_BATCH_MAX);
        self->fetch.wait_ms = s_u32 (r);
        self->fetch.flags = s_u32 (r);
        break;
    case DT_MSG_PAGE: {
        self->page.cursor = s_u64 (r);
        s_get_stats (r, &self->page.stats);
        uint32_t n = s_list (r, 0, DT_LIMIT_BATCH_MAX);
        dt_msg_result_t *items = s_items (self, r, n, sizeof *items);
        for (uint32_t i = 0; i < n && !r->rc; i++)
            s_get_client_result (r, &items[i]);
        self->page.count = n;
        self->page.items = items;
        break;
    }
    case DT_MSG_STATUS:
        self->status.job = s_str (r, 0, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_STATUS_OK: {
        s_get_stats (r, &self->status_ok.stats);
        uint32_t n = s_list (r, 0, DT_LIMIT_WORKERS_MAX);
        dt_msg_worker_t *items = s_items (self, r, n, sizeof *items);
        for (uint32_t i = 0; i < n && !r->rc; i++)
            s_get_worker (r, &items[i]);
        self->status_ok.count = n;
        self->status_ok.workers = items;
        break;
    }
    case DT_MSG_REQUEUE:
        self->requeue.job = s_str (r, 0, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_REQUEUE_OK:
        self->requeue_ok.count = s_u64 (r);
        break;
    case DT_MSG_CANCEL:
        self->cancel.job = s_str (r, 1, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_CANCEL_OK:
        self->cancel_ok.count = s_u64 (r);
        break;
    case DT_MSG_ERROR:
        self->error.code = s_u32 (r);
        self->error.text = s_str (r, 0, DT_LIMIT_ERROR_MAX);
        break;
    }
}

int dt_msg_decode (dt_msg_t *self, const void *data, size_t size)
{
    if (size > DT_LIMIT_FRAME_MAX) {
        dt_msg_reset (self);
        return DT_PROTO_ETOOBIG;
    }
    s_reader_t r = {(const uint8_t *) data, (const uint8_t *) data + size, 0};
    uint32_t n = s_array (&r);
    if (!r.rc && n < S_HEADER)
        s_fail (&r, DT_PROTO_EMALFORMED);
    /* The version decides how to read the rest, so it is checked before the
     * shape: a newer peer gets VERSION, not MALFORMED. */
    uint64_t version = s_u64 (&r);
    if (!r.rc && version != DT_PROTO_VERSION)
        s_fail (&r, DT_PROTO_EVERSION);
    uint64_t type = s_u64 (&r);
    if (!r.rc && (!S_TYPE_VALID (type) || n != (uint32_t) (S_HEADER + s_fields[type])))
        s_fail (&r, DT_PROTO_EMALFORMED);
    self->req = s_u64 (&r);
    if (!r.rc) {
        self->type = (dt_msg_type_t) type;
        s_get_body (self, &r);
    }
    if (!r.rc && r.needle != r.ceiling)
        s_fail (&r, DT_PROTO_EMALFORMED);
    if (r.rc) {
        /* Keep a received frame alive only for a good message. */
        dt_msg_reset (self);
        return r.rc;
    }
    return 0;
}

/* ---- Encoding ---------------------------------------------------------- */

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    int rc; /* first error: ETOOBIG when a field breaks a cap, ENOMEM */
} s_writer_t;

static void s_put_check (s_writer_t *w, int rc)
{
    if (rc != 0 && !w->rc)
        w->rc = DT_PROTO_ENOMEM;
}

static void s_put_u64 (s_writer_t *w, uint64_t v)
{
    s_put_check (w, msgpack_pack_uint64 (&w->pk, v));
}

/* A string field; one the receiver would refuse is refused here, so a
 * sender learns of it before the peer does. */
static void s_put_str (s_writer_t *w, dt_str_t s, uint32_t max)
{
    if (s.len > max) {
        if (!w->rc)
            w->rc = DT_PROTO_ETOOBIG;
        return;
    }
    s_put_check (w, msgpack_pack_str (&w->pk, s.len));
    if (s.len)
        s_put_check (w, msgpack_pack_str_body (&w->pk, s.ptr, s.len));
}

static void s_put_array (s_writer_t *w, uint32_t n)
{
    s_put_check (w, msgpack_pack_array (&w->pk, n));
}

static void s_put_list (s_writer_t *w, uint32_t n, uint32_t max)
{
    if (n > max && !w->rc)
        w->rc = DT_PROTO_ETOOBIG;
    s_put_array (w, n);
}

static void s_put_stats (s_writer_t *w, const dt_msg_stats_t *s)
{
    s_put_array (w, S_STATS_FIELDS);
    s_put_u64 (w, s->submitted);
    s_put_u64 (w, s->pending);
    s_put_u64 (w, s->inflight);
    s_put_u64 (w, s->delayed);
    s_put_u64 (w, s->done);
    s_put_u64 (w, s->failed);
    s_put_u64 (w, s->retried);
    s_put_u64 (w, s->duplicates);
    s_put_u64 (w, s->invalid);
}

static void s_put_body (s_writer_t *w, const dt_msg_t *m)
{
    switch (m->type) {
    case DT_MSG_HELLO:
        s_put_str (w, m->hello.name, DT_LIMIT_NAME_MAX);
        s_put_u64 (w, m->hello.capacity);
        s_put_u64 (w, m->hello.heartbeat_ms);
        break;
    case DT_MSG_WELCOME:
        s_put_u64 (w, m->welcome.heartbeat_ms);
        s_put_u64 (w, m->welcome.liveness);
        s_put_u64 (w, m->welcome.task_ms);
        break;
    case DT_MSG_TASKS:
        s_put_list (w, m->tasks.count, DT_LIMIT_BATCH_MAX);
        for (uint32_t i = 0; i < m->tasks.count; i++) {
            const dt_msg_task_t *t = &m->tasks.items[i];
            s_put_array (w, S_TASK_FIELDS);
            s_put_u64 (w, t->id);
            s_put_u64 (w, t->attempt);
            s_put_str (w, t->url, DT_LIMIT_URL_MAX);
        }
        break;
    case DT_MSG_RESULTS:
        s_put_str (w, m->results.worker, DT_LIMIT_NAME_MAX);
        s_put_list (w, m->results.count, DT_LIMIT_BATCH_MAX);
        for (uint32_t i = 0; i < m->results.count; i++) {
            const dt_msg_result_t *x = &m->results.items[i];
            s_put_array (w, S_RW_FIELDS);
            s_put_u64 (w, x->id);
            s_put_u64 (w, x->attempt);
            s_put_u64 (w, x->outcome);
            s_put_u64 (w, x->http_status);
            s_put_u64 (w, x->bytes);
            s_put_u64 (w, x->elapsed_ms);
            s_put_str (w, x->final_url, DT_LIMIT_URL_MAX);
            s_put_str (w, x->content_type, DT_LIMIT_CTYPE_MAX);
            s_put_str (w, x->error, DT_LIMIT_ERROR_MAX);
        }
        break;
    case DT_MSG_HEARTBEAT:
    case DT_MSG_BYE:
        break;
    case DT_MSG_SUBMIT:
        s_put_str (w, m->submit.job, DT_LIMIT_JOB_MAX);
        s_put_u64 (w, m->submit.chunk);
        s_put_u64 (w, m->submit.flags);
        s_put_list (w, m->submit.count, DT_LIMIT_BATCH_MAX);
        for (uint32_t i = 0; i < m->submit.count; i++)
            s_put_str (w, m->submit.urls[i], DT_LIMIT_URL_MAX);
        break;
    case DT_MSG_SUBMIT_OK:
        s_put_str (w, m->submit_ok.job, DT_LIMIT_JOB_MAX);
        s_put_u64 (w, m->submit_ok.chunk);
        s_put_u64 (w, m->submit_ok.first_id);
        s_put_u64 (w, m->submit_ok.count);
        break;
    case DT_MSG_FETCH:
        s_put_str (w, m->fetch.job, DT_LIMIT_JOB_MAX);
        s_put_u64 (w, m->fetch.cursor);
        s_put_u64 (w, m->fetch.max);
        s_put_u64 (w, m->fetch.wait_ms);
        s_put_u64 (w, m->fetch.flags);
        break;
    case DT_MSG_PAGE:
        s_put_u64 (w, m->page.cursor);
        s_put_stats (w, &m->page.stats);
        s_put_list (w, m->page.count, DT_LIMIT_BATCH_MAX);
        for (uint32_t i = 0; i < m->page.count; i++) {
            const dt_msg_result_t *x = &m->page.items[i];
            s_put_array (w, S_RC_FIELDS);
            s_put_u64 (w, x->id);
            s_put_u64 (w, x->attempt);
            s_put_u64 (w, x->state);
            s_put_u64 (w, x->http_status);
            s_put_u64 (w, x->bytes);
            s_put_u64 (w, x->elapsed_ms);
            s_put_str (w, x->url, DT_LIMIT_URL_MAX);
            s_put_str (w, x->final_url, DT_LIMIT_URL_MAX);
            s_put_str (w, x->content_type, DT_LIMIT_CTYPE_MAX);
            s_put_str (w, x->worker, DT_LIMIT_NAME_MAX);
            s_put_str (w, x->error, DT_LIMIT_ERROR_MAX);
        }
        break;
    case DT_MSG_STATUS:
        s_put_str (w, m->status.job, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_STATUS_OK:
        s_put_stats (w, &m->status_ok.stats);
        s_put_list (w, m->status_ok.count, DT_LIMIT_WORKERS_MAX);
        for (uint32_t i = 0; i < m->status_ok.count; i++) {
            const dt_msg_worker_t *x = &m->status_ok.workers[i];
            s_put_array (w, S_WORKER_FIELDS);
            s_put_str (w, x->name, DT_LIMIT_NAME_MAX);
            s_put_u64 (w, x->capacity);
            s_put_u64 (w, x->inflight);
            s_put_u64 (w, x->done);
            s_put_u64 (w, x->idle_ms);
        }
        break;
    case DT_MSG_REQUEUE:
        s_put_str (w, m->requeue.job, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_REQUEUE_OK:
        s_put_u64 (w, m->requeue_ok.count);
        break;
    case DT_MSG_CANCEL:
        s_put_str (w, m->cancel.job, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_CANCEL_OK:
        s_put_u64 (w, m->cancel_ok.count);
        break;
    case DT_MSG_ERROR:
        s_put_u64 (w, m->error.code);
        s_put_str (w, m->error.text, DT_LIMIT_ERROR_MAX);
        break;
    }
}

/* Bytes for the header and every field that is not a list item or a
 * string: a uint takes at most 9 bytes, an array or str header 5, and no
 * message has more than a dozen such fields. */
#define S_FIXED_BOUND 256

/* An upper bound of the encoded size of `m` (see dt_msg_task_size and
 * dt_msg_result_size), capped just above the frame limit: a bigger
 * message fails with ETOOBIG, and the sbuffer still grows if it must. */
static size_t s_size_bound (const dt_msg_t *m)
{
    size_t n = S_FIXED_BOUND;
    switch (m->type) {
    case DT_MSG_HELLO:
        n += m->hello.name.len;
        break;
    case DT_MSG_TASKS:
        for (uint32_t i = 0; i < m->tasks.count && n <= DT_LIMIT_FRAME_MAX; i++)
            n += dt_msg_task_size (&m->tasks.items[i]);
        break;
    case DT_MSG_RESULTS:
        n += m->results.worker.len;
        for (uint32_t i = 0; i < m->results.count && n <= DT_LIMIT_FRAME_MAX; i++)
            n += dt_msg_result_size (&m->results.items[i]);
        break;
    case DT_MSG_SUBMIT:
        n += m->submit.job.len;
        for (uint32_t i = 0; i < m->submit.count && n <= DT_LIMIT_FRAME_MAX; i++)
            n += 5 + (size_t) m->submit.urls[i].len;
        break;
    case DT_MSG_SUBMIT_OK:
        n += m->submit_ok.job.len;
        break;
    case DT_MSG_FETCH:
        n += m->fetch.job.len;
        break;
    case DT_MSG_PAGE:
        for (uint32_t i = 0; i < m->page.count && n <= DT_LIMIT_FRAME_MAX; i++)
            n += dt_msg_result_size (&m->page.items[i]);
        break;
    case DT_MSG_STATUS:
        n += m->status.job.len;
        break;
    case DT_MSG_STATUS_OK:
        for (uint32_t i = 0; i < m->status_ok.count && n <= DT_LIMIT_FRAME_MAX; i++)
            n += 1 + 5 + 4 * 9 + (size_t) m->status_ok.workers[i].name.len;
        break;
    case DT_MSG_REQUEUE:
        n += m->requeue.job.len;
        break;
    case DT_MSG_ERROR:
        n += m->error.text.len;
        break;
    case DT_MSG_CANCEL:
        n += m->cancel.job.len;
        break;
    default:
        break; /* numbers only */
    }
    return n <= DT_LIMIT_FRAME_MAX ? n : DT_LIMIT_FRAME_MAX + 1;
}

int dt_msg_encode (const dt_msg_t *self, void **data_p, size_t *size_p)
{
    /* A bad type is the caller's bug, not a runtime condition. */
    if (!S_TYPE_VALID (self->type))
        return DT_PROTO_EMALFORMED;
    s_writer_t w;
    msgpack_sbuffer_init (&w.buf);
    /* One allocation of the right size: the sbuffer would start at 8 KiB
     * (too much for a HEARTBEAT) and double its way up through several
     * reallocs and copies for a 200 KiB PAGE or TASKS. */
    w.buf.alloc = s_size_bound (self);
    w.buf.data = malloc (w.buf.alloc);
    if (!w.buf.data)
        return DT_PROTO_ENOMEM;
    msgpack_packer_init (&w.pk, &w.buf, msgpack_sbuffer_write);
    w.rc = 0;
    s_put_array (&w, S_HEADER + s_fields[self->type]);
    s_put_u64 (&w, DT_PROTO_VERSION);
    s_put_u64 (&w, (uint64_t) self->type);
    s_put_u64 (&w, self->req);
    s_put_body (&w, self);
    if (!w.rc && w.buf.size > DT_LIMIT_FRAME_MAX)
        w.rc = DT_PROTO_ETOOBIG;
    if (w.rc) {
        msgpack_sbuffer_destroy (&w.buf);
        return w.rc;
    }
    *size_p = w.buf.size;
    *data_p = msgpack_sbuffer_release (&w.buf);
    return 0;
}

/* ---- Sockets ----------------------------------------------------------- */

static int s_zmq_rc (void)
{
    if (errno == EAGAIN)
        return DT_PROTO_EAGAIN;
    if (errno == EHOSTUNREACH)
        return DT_PROTO_EUNREACH;
    return DT_PROTO_EIO;
}

static void s_free (void *data, void *hint)
{
    (void) hint;
    free (data);
}

int dt_msg_send (const dt_msg_t *self, void *socket, const dt_peer_t *peer)
{
    void *data;
    size_t size;
    int rc = dt_msg_encode (self, &data, &size);
    if (rc)
        return rc;
    /* On a ROUTER the routing-id frame is where HWM and ROUTER_MANDATORY
     * are checked, so a failure there leaves nothing half-sent. */
    if (peer && zmq_send (socket, peer->id, peer->len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        free (data);
        return s_zmq_rc ();
    }
    zmq_msg_t frame;
    if (zmq_msg_init_data (&frame, data, size, s_free, NULL) != 0) {
        free (data);
        return DT_PROTO_ENOMEM;
    }
    if (zmq_msg_send (&frame, socket, ZMQ_DONTWAIT) < 0) {
        rc = s_zmq_rc ();
        zmq_msg_close (&frame);
        return rc;
    }
    return 0;
}

/* Receives one frame; tells whether more frames follow. */
static int s_recv_frame (void *socket, zmq_msg_t *frame, int flags, int *more)
{
    zmq_msg_init (frame);
    if (zmq_msg_recv (frame, socket, flags) < 0) {
        int rc = s_zmq_rc ();
        zmq_msg_close (frame);
        return rc == DT_PROTO_EUNREACH ? DT_PROTO_EIO : rc;
    }
    *more = zmq_msg_more (frame);
    return 0;
}

/* Consumes the rest of a message that has too many frames. */
static void s_drain (void *socket)
{
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        if (s_recv_frame (socket, &frame, 0, &more) != 0)
            return;
        zmq_msg_close (&frame);
    }
}

int dt_msg_recv (dt_msg_t *self, void *socket, dt_peer_t *peer, int flags)
{
    dt_msg_reset (self);
    zmq_msg_t frame;
    int more = 0;
    int rc = s_recv_frame (socket, &frame, flags, &more);
    if (rc)
        return rc;
    if (peer) {
        size_t len = zmq_msg_size (&frame);
        peer->len = len < sizeof peer->id ? len : sizeof peer->id;
        memcpy (peer->id, zmq_msg_data (&frame), peer->len);
        zmq_msg_close (&frame);
        if (!more)
            return DT_PROTO_EFRAMES;
        /* The rest of a message is already here once its first frame is. */
        rc = s_recv_frame (socket, &frame, 0, &more);
        if (rc)
            return rc;
    }
    if (more) {
        zmq_msg_close (&frame);
        s_drain (socket);
        return DT_PROTO_EFRAMES;
    }
    if (peer) {
        const char *role = zmq_msg_gets (&frame, "User-Id");
        snprintf (peer->role, sizeof peer->role, "%s", role ? role : "");
    }
    zmq_msg_init (&self->frame_);
    zmq_msg_move (&self->frame_, &frame);
    zmq_msg_close (&frame);
    self->has_frame_ = 1;
    return dt_msg_decode (self, zmq_msg_data (&self->frame_), zmq_msg_size (&self->frame_));
}

/* ---- Sizes and names ---------------------------------------------------- */

/* A uint takes at most 9 bytes and a str header 5. */
size_t dt_msg_result_size (const dt_msg_result_t *r)
{
    return 1 + 6 * 9 + 5 * 5 + r->url.len + r->final_url.len + r->content_type.len + r->worker.len +
           r->error.len;
}

size_t dt_msg_task_size (const dt_msg_task_t *t)
{
    return 1 + 2 * 9 + 5 + t->url.len;
}

const char *dt_msg_type_name (int type)
{
    static const char *names[] = {
        [DT_MSG_HELLO] = "HELLO",         [DT_MSG_WELCOME] = "WELCOME",
        [DT_MSG_TASKS] = "TASKS",         [DT_MSG_RESULTS] = "RESULTS",
        [DT_MSG_HEARTBEAT] = "HEARTBEAT", [DT_MSG_BYE] = "BYE",
        [DT_MSG_SUBMIT] = "SUBMIT",       [DT_MSG_SUBMIT_OK] = "SUBMIT_OK",
        [DT_MSG_FETCH] = "FETCH",         [DT_MSG_PAGE] = "PAGE",
        [DT_MSG_STATUS] = "STATUS",       [DT_MSG_STATUS_OK] = "STATUS_OK",
        [DT_MSG_REQUEUE] = "REQUEUE",     [DT_MSG_REQUEUE_OK] = "REQUEUE_OK",
        [DT_MSG_ERROR] = "ERROR",         [DT_MSG_CANCEL] = "CANCEL",
        [DT_MSG_CANCEL_OK] = "CANCEL_OK",
    };
    return S_TYPE_VALID (type) ? names[type] : "?";
}

const char *dt_msg_strerror (int rc)
{
    switch (rc) {
    case 0:
        return "ok";
    case DT_PROTO_EMALFORMED:
        return "malformed message";
    case DT_PROTO_EVERSION:
        return "unsupported protocol version";
    case DT_PROTO_ETOOBIG:
        return "message over a size limit";
    case DT_PROTO_ENOMEM:
        return "out of memory";
    case DT_PROTO_EFRAMES:
        return "wrong number of frames";
    case DT_PROTO_EAGAIN:
        return "would block";
    case DT_PROTO_EUNREACH:
        return "peer not connected";
    case DT_PROTO_EIO:
        return "socket error";
    }
    return "unknown error";
}

const char *dt_msg_error_name (int code)
{
    static const char *names[] = {
        [DT_ERR_MALFORMED] = "MALFORMED",   [DT_ERR_VERSION] = "VERSION",
        [DT_ERR_TOO_BIG] = "TOO_BIG",       [DT_ERR_UNKNOWN_PEER] = "UNKNOWN_PEER",
        [DT_ERR_QUEUE_FULL] = "QUEUE_FULL", [DT_ERR_BAD_URL] = "BAD_URL",
        [DT_ERR_STORE] = "STORE",           [DT_ERR_DENIED] = "DENIED",
        [DT_ERR_STOPPING] = "STOPPING",     [DT_ERR_TOO_MANY_WORKERS] = "TOO_MANY_WORKERS",
        [DT_ERR_CONFLICT] = "CONFLICT",
    };
    if (code < DT_ERR_MALFORMED || code > DT_ERR_CONFLICT)
        return "?";
    return names[code];
}
