/* dt_msg_encode.c - the writer: a dt_msg_t into one frame, with msgpack-c's packer.
 *
 * It refuses what the reader would refuse (a string or list over its cap),
 * so a peer never receives a message it must drop.
 */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_shape.h"

#include <msgpack.h>
#include <stdlib.h>

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
    s_put_array (w, DT_MSG_STATS_FIELDS);
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
            s_put_array (w, DT_MSG_TASK_FIELDS);
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
            s_put_array (w, DT_MSG_WORKER_RESULT_FIELDS);
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
            s_put_array (w, DT_MSG_CLIENT_RESULT_FIELDS);
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
            s_put_array (w, DT_MSG_WORKER_FIELDS);
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
    case DT_MSG_PURGE:
        s_put_str (w, m->purge.job, DT_LIMIT_JOB_MAX);
        break;
    case DT_MSG_PURGE_OK:
        s_put_u64 (w, m->purge_ok.count);
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
    case DT_MSG_PURGE:
        n += m->purge.job.len;
        break;
    default:
        break; /* numbers only */
    }
    return n <= DT_LIMIT_FRAME_MAX ? n : DT_LIMIT_FRAME_MAX + 1;
}

int dt_msg_encode (const dt_msg_t *self, void **data_p, size_t *size_p)
{
    /* A bad type is the caller's bug, not a runtime condition. */
    if (!DT_MSG_TYPE_VALID (self->type))
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
    s_put_array (&w, DT_MSG_HEADER_FIELDS + dt_msg_shape_fields (self->type));
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
