/* dt_msg_decode.c - the strict reader: bytes from the network into a dt_msg_t.
 *
 * It reads the bytes directly with a needle and a ceiling (the shape of
 * czmq's generated codecs) instead of msgpack_unpack(): the library
 * allocates an object tree sized by the counts a peer *declares*, so a
 * 5-byte array header could ask for gigabytes. Here every count is checked
 * against its cap and against the bytes left in the frame before anything
 * is allocated, and only the handful of msgpack formats the protocol uses
 * are accepted.
 */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_shape.h"

#include <stdlib.h>
#include <string.h>

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
    s_tuple (r, DT_MSG_STATS_FIELDS);
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
    s_tuple (r, DT_MSG_TASK_FIELDS);
    t->id = s_u64 (r);
    t->attempt = s_u32 (r);
    t->url = s_str (r, 1, DT_LIMIT_URL_MAX);
}

static void s_get_worker_result (s_reader_t *r, dt_msg_result_t *x)
{
    s_tuple (r, DT_MSG_WORKER_RESULT_FIELDS);
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
    s_tuple (r, DT_MSG_CLIENT_RESULT_FIELDS);
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
    s_tuple (r, DT_MSG_WORKER_FIELDS);
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
    case DT_MSG_PURGE:
        self->purge.job = s_str (r, 1, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_PURGE_OK:
        self->purge_ok.count = s_u64 (r);
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
    if (!r.rc && n < DT_MSG_HEADER_FIELDS)
        s_fail (&r, DT_PROTO_EMALFORMED);
    /* The version decides how to read the rest, so it is checked before the
     * shape: a newer peer gets VERSION, not MALFORMED. */
    uint64_t version = s_u64 (&r);
    if (!r.rc && version != DT_PROTO_VERSION)
        s_fail (&r, DT_PROTO_EVERSION);
    uint64_t type = s_u64 (&r);
    if (!r.rc && (!DT_MSG_TYPE_VALID (type) ||
                  n != (uint32_t) (DT_MSG_HEADER_FIELDS + dt_msg_shape_fields ((int) type))))
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
