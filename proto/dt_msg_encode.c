/* dt_msg_encode.c - the writer: a dt_msg_t into one frame, walking dt_msg_table.
 *
 * It refuses what the reader would refuse, with the same error and for the
 * first fault in wire order (both walk the same table), so a peer never
 * receives a message it must drop. It writes msgpack directly, each value
 * in its shortest form, into one buffer grown as needed.
 */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_table.h"

#include <stdlib.h>
#include <string.h>

/* For the writers on the hot path of a batch (a PAGE of results, a TASKS):
 * gcc would otherwise keep them out of line, a call per field. */
#define S_HOT static inline __attribute__ ((always_inline))

typedef struct {
    uint8_t *data; /* the frame being written */
    uint8_t *p;    /* next byte to write */
    uint8_t *end;  /* one past the allocation */
    int checked;   /* refuse what the reader refuses (0: tests only) */
    int rc;        /* first error: a DT_PROTO_E* code; 0 while all is well */
} s_writer_t;

static void s_fail (s_writer_t *w, int rc)
{
    if (!w->rc)
        w->rc = rc;
}

/* Grows the frame for `n` more bytes (see s_room). */
static int s_grow (s_writer_t *w, size_t n)
{
    size_t used = (size_t) (w->p - w->data);
    if (w->checked && used > DT_LIMIT_FRAME_MAX) {
        s_fail (w, DT_PROTO_ETOOBIG);
        return -1;
    }
    size_t alloc = (size_t) (w->end - w->data) * 2;
    if (alloc < used + n)
        alloc = used + n;
    uint8_t *data = realloc (w->data, alloc);
    if (!data) {
        s_fail (w, DT_PROTO_ENOMEM);
        return -1;
    }
    w->data = data;
    w->p = data + used;
    w->end = data + alloc;
    return 0;
}

/* Makes room for `n` more bytes. A checked frame never grows past
 * DT_LIMIT_FRAME_MAX (plus one write), which the reader would refuse. */
S_HOT int s_room (s_writer_t *w, size_t n)
{
    if ((size_t) (w->end - w->p) >= n)
        return 0;
    return s_grow (w, n);
}

/* Writes `v` big-endian in `n` bytes after the format byte `f`. */
S_HOT void s_put_be (s_writer_t *w, uint8_t f, uint64_t v, int n)
{
    uint8_t *p = w->p;
    *p++ = f;
    for (int i = n - 1; i >= 0; i--)
        *p++ = (uint8_t) (v >> (8 * i));
    w->p = p;
}

/* A uint, in the shortest format (room for 9 bytes is made by the caller). */
S_HOT void s_put_uint (s_writer_t *w, uint64_t v)
{
    if (v <= 0x7f)
        *w->p++ = (uint8_t) v;
    else if (v <= UINT8_MAX)
        s_put_be (w, 0xcc, v, 1);
    else if (v <= UINT16_MAX)
        s_put_be (w, 0xcd, v, 2);
    else if (v <= UINT32_MAX)
        s_put_be (w, 0xce, v, 4);
    else
        s_put_be (w, 0xcf, v, 8);
}

S_HOT void s_put_array (s_writer_t *w, uint32_t n)
{
    if (s_room (w, 5) != 0)
        return;
    if (n <= 15)
        *w->p++ = (uint8_t) (0x90 | n);
    else if (n <= UINT16_MAX)
        s_put_be (w, 0xdc, n, 2);
    else
        s_put_be (w, 0xdd, n, 4);
}

/* Copies `len` bytes of a string into the frame: a short one (most are)
 * in at most two overlapping word moves instead of a call. Room for them
 * was made. */
S_HOT void s_copy (uint8_t *dst, const char *src, size_t len)
{
    if (len >= 8 && len <= 16) {
        uint64_t a, b;
        memcpy (&a, src, 8);
        memcpy (&b, src + len - 8, 8);
        memcpy (dst, &a, 8);
        memcpy (dst + len - 8, &b, 8);
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        memcpy (&a, src, 4);
        memcpy (&b, src + len - 4, 4);
        memcpy (dst, &a, 4);
        memcpy (dst + len - 4, &b, 4);
    } else if (len < 4) {
        for (size_t i = 0; i < len; i++)
            dst[i] = (uint8_t) src[i];
    } else
        memcpy (dst, src, len);
}

S_HOT void s_put_bin (s_writer_t *w, const dt_msg_field_t *f, const dt_str_t *s)
{
    if (w->checked && s->len > f->max)
        s_fail (w, DT_PROTO_ETOOBIG);
    else if (w->checked && s->len < f->min)
        s_fail (w, DT_PROTO_EMALFORMED);
    if (w->rc || s_room (w, 5 + (size_t) s->len) != 0)
        return;
    if (s->len <= UINT8_MAX)
        s_put_be (w, 0xc4, s->len, 1);
    else if (s->len <= UINT16_MAX)
        s_put_be (w, 0xc5, s->len, 2);
    else
        s_put_be (w, 0xc6, s->len, 4);
    s_copy (w->p, s->ptr, s->len);
    w->p += s->len;
}

S_HOT void s_put_str (s_writer_t *w, const dt_msg_field_t *f, const dt_str_t *s)
{
    if (f->kind == DT_FIELD_BIN) {
        s_put_bin (w, f, s);
        return;
    }
    if (w->checked && s->len > f->max)
        s_fail (w, DT_PROTO_ETOOBIG);
    else if (w->checked && s->len < f->min)
        s_fail (w, DT_PROTO_EMALFORMED);
    if (w->rc || s_room (w, 5 + (size_t) s->len) != 0)
        return;
    if (s->len <= 31)
        *w->p++ = (uint8_t) (0xa0 | s->len);
    else if (s->len <= UINT8_MAX)
        s_put_be (w, 0xd9, s->len, 1);
    else if (s->len <= UINT16_MAX)
        s_put_be (w, 0xda, s->len, 2);
    else
        s_put_be (w, 0xdb, s->len, 4);
    s_copy (w->p, s->ptr, s->len);
    w->p += s->len;
}

S_HOT uint64_t s_load (const uint8_t *p, int width)
{
    switch (width) {
    case 1:
        return *p;
    case 2:
        return *(const uint16_t *) (const void *) p;
    case 4:
        return *(const uint32_t *) (const void *) p;
    default:
        return *(const uint64_t *) (const void *) p;
    }
}

/* The fields of one LIST item: UINT, STR and BIN only (dt_msg_table.h),
 * with what s_put_fields checks, in the same order. */
S_HOT void s_put_item (s_writer_t *w, const dt_msg_layout_t *item, const uint8_t *at)
{
    /* The bounds in locals: every byte written could alias the table, and
     * the compiler would reload them after each. */
    const dt_msg_field_t *f = item->fields, *end = f + item->count;
    for (; f < end; f++) {
        if (f->kind == DT_FIELD_UINT) {
            uint64_t v = s_load (at + f->offset, f->width);
            /* One unsigned compare for v < min || v > max. */
            if (w->checked && v - f->min > f->max - f->min)
                s_fail (w, DT_PROTO_EMALFORMED);
            else if (s_room (w, 9) == 0)
                s_put_uint (w, v);
        } else
            s_put_str (w, f, (const dt_str_t *) (const void *) (at + f->offset));
        if (w->rc)
            return;
    }
    if (w->checked && item->check && item->check (at) != 0)
        s_fail (w, DT_PROTO_EMALFORMED);
}

static void s_put_list (s_writer_t *w, const dt_msg_field_t *f, const uint8_t *base)
{
    uint32_t n = *(const uint32_t *) (const void *) (base + f->count_offset);
    const uint8_t *items = *(const uint8_t *const *) (const void *) (base + f->offset);
    if (w->checked && n > f->max)
        s_fail (w, DT_PROTO_ETOOBIG);
    else if (w->checked && n < f->min)
        s_fail (w, DT_PROTO_EMALFORMED);
    s_put_array (w, n);
    const dt_msg_layout_t *item = f->item;
    /* The hot loop of a batch, through a copy of the writer in locals: the
     * loads from the items could alias *w, and the compiler would reload
     * the write pointer after each one. */
    s_writer_t lw = *w;
    for (uint32_t i = 0; i < n && !lw.rc; i++) {
        const uint8_t *at = items + (size_t) i * item->size;
        if (item->bare)
            s_put_str (&lw, &item->fields[0], (const dt_str_t *) (const void *) at);
        else {
            s_put_array (&lw, item->count);
            if (!lw.rc)
                s_put_item (&lw, item, at);
        }
    }
    *w = lw;
}

static void s_put_fields (s_writer_t *w, const dt_msg_layout_t *layout, const uint8_t *base)
{
    for (const dt_msg_field_t *f = layout->fields; f < layout->fields + layout->count; f++) {
        if (w->rc)
            return;
        switch (f->kind) {
        case DT_FIELD_UINT: {
            uint64_t v = s_load (base + f->offset, f->width);
            if (w->checked && (v < f->min || v > f->max))
                s_fail (w, DT_PROTO_EMALFORMED);
            else if (s_room (w, 9) == 0)
                s_put_uint (w, v);
            break;
        }
        case DT_FIELD_STR:
        case DT_FIELD_BIN:
            s_put_str (w, f, (const dt_str_t *) (const void *) (base + f->offset));
            break;
        case DT_FIELD_TUPLE:
            s_put_array (w, f->item->count);
            s_put_fields (w, f->item, base + f->offset);
            break;
        case DT_FIELD_LIST:
            s_put_list (w, f, base);
            break;
        }
    }
    if (!w->rc && w->checked && layout->check && layout->check (base) != 0)
        s_fail (w, DT_PROTO_EMALFORMED);
}

/* A first allocation that fits most messages at once: the header and
 * scalar fields, plus for a LIST each item's scalars and a typical string.
 * A bigger message grows (realloc, by doubling). */
static size_t s_first_alloc (const dt_msg_t *m, const dt_msg_layout_t *layout)
{
    size_t n = 64 + (size_t) layout->count * 16;
    for (const dt_msg_field_t *f = layout->fields; f < layout->fields + layout->count; f++)
        if (f->kind == DT_FIELD_LIST) {
            uint32_t count =
                *(const uint32_t *) (const void *) ((const uint8_t *) m + f->count_offset);
            if (count > DT_LIMIT_BATCH_MAX)
                count = DT_LIMIT_BATCH_MAX;
            n += (size_t) count * (1 + f->item->count * 9 + 48);
        }
    return n;
}

static int s_encode (const dt_msg_t *self, void **data_p, size_t *size_p, int checked)
{
    const dt_msg_layout_t *layout = dt_msg_layout (self->type);
    /* A bad type is the caller's bug, not a runtime condition. */
    if (!layout)
        return DT_PROTO_EMALFORMED;
    s_writer_t w = {NULL, NULL, NULL, checked, 0};
    size_t alloc = s_first_alloc (self, layout);
    w.data = malloc (alloc);
    if (!w.data)
        return DT_PROTO_ENOMEM;
    w.p = w.data;
    w.end = w.data + alloc;
    s_put_array (&w, DT_MSG_HEADER_FIELDS + layout->count);
    /* An ERROR VERSION goes to a peer of another version: written in the
     * oldest, which every dtask peer reads (see DT_PROTO_VERSION_OLDEST). */
    int oldest = self->type == DT_MSG_ERROR && self->error.code == DT_ERR_VERSION;
    s_put_uint (&w, oldest ? DT_PROTO_VERSION_OLDEST : DT_PROTO_VERSION);
    s_put_uint (&w, (uint64_t) self->type);
    if (s_room (&w, 9) == 0)
        s_put_uint (&w, self->req);
    s_put_fields (&w, layout, (const uint8_t *) self);
    size_t size = (size_t) (w.p - w.data);
    if (!w.rc && checked && size > DT_LIMIT_FRAME_MAX)
        w.rc = DT_PROTO_ETOOBIG;
    if (w.rc) {
        free (w.data);
        return w.rc;
    }
    *data_p = w.data;
    *size_p = size;
    return 0;
}

int dt_msg_encode (const dt_msg_t *self, void **data_p, size_t *size_p)
{
    return s_encode (self, data_p, size_p, 1);
}

int dt_msg_encode_unchecked (const dt_msg_t *self, void **data_p, size_t *size_p)
{
    return s_encode (self, data_p, size_p, 0);
}
