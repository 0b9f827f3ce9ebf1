/* dt_msg_decode.c - the strict reader: bytes from the network into a dt_msg_t, walking
 * dt_msg_table.
 *
 * It reads the bytes directly with a needle and a ceiling (the shape of
 * czmq's generated codecs) instead of msgpack_unpack(): the library
 * allocates an object tree sized by the counts a peer *declares*, so a
 * 5-byte array header could ask for gigabytes. Here every count is checked
 * against its cap and against the bytes left in the frame before anything
 * is allocated, and only the handful of msgpack formats the protocol uses
 * are accepted (a `bin` where a str belongs is malformed).
 */
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_msg_table.h"

#include <stdlib.h>
#include <string.h>

/* For the few readers on the hot path of a batch: gcc would otherwise keep
 * them out of line, a call per field. */
#define S_HOT static inline __attribute__ ((always_inline))

typedef struct {
    const uint8_t *needle;  /* next byte to read */
    const uint8_t *ceiling; /* one past the last byte of the frame */
    int rc;                 /* first error met; 0 while all is well */
} s_reader_t;

/* Records the first error only: later reads fail fast on a broken reader. */
static inline int s_fail (s_reader_t *r, int rc)
{
    if (!r->rc)
        r->rc = rc;
    return -1;
}

static size_t s_left (const s_reader_t *r)
{
    return (size_t) (r->ceiling - r->needle);
}

/* Reads `n` big-endian bytes after a format byte. Inlined with a
 * constant `n` at each call, so the loop unrolls: this is the hot path of
 * a 4,096-item batch. */
S_HOT int s_take (s_reader_t *r, int n, uint64_t *v)
{
    if (s_left (r) < (size_t) n)
        return s_fail (r, DT_PROTO_EMALFORMED);
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = (x << 8) | r->needle[i];
    r->needle += n;
    *v = x;
    return 0;
}

/* An unsigned integer in any msgpack uint format. */
S_HOT int s_uint (s_reader_t *r, uint64_t *v)
{
    if (r->rc)
        return -1;
    if (r->needle == r->ceiling)
        return s_fail (r, DT_PROTO_EMALFORMED);
    uint8_t f = *r->needle++;
    switch (f) {
    case 0xcc:
        return s_take (r, 1, v);
    case 0xcd:
        return s_take (r, 2, v);
    case 0xce:
        return s_take (r, 4, v);
    case 0xcf:
        return s_take (r, 8, v);
    default:
        if (f > 0x7f)
            return s_fail (r, DT_PROTO_EMALFORMED);
        *v = f;
        return 0;
    }
}

/* An array header; returns its count. */
S_HOT uint32_t s_array (s_reader_t *r)
{
    if (r->rc)
        return 0;
    if (r->needle == r->ceiling)
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

/* A str of `min`..`max` bytes, borrowed from the frame. Over the cap is
 * TOO_BIG (the peer must split or cut), any other fault is malformed. */
S_HOT void s_str (s_reader_t *r, const dt_msg_field_t *f, dt_str_t *s)
{
    if (r->rc)
        return;
    if (r->needle == r->ceiling) {
        s_fail (r, DT_PROTO_EMALFORMED);
        return;
    }
    uint8_t b = *r->needle++;
    uint64_t len = 0;
    int rc = 0;
    /* A str where a str belongs, a bin where a bin belongs: nothing else. */
    if (f->kind == DT_FIELD_BIN) {
        if (b == 0xc4)
            rc = s_take (r, 1, &len);
        else if (b == 0xc5)
            rc = s_take (r, 2, &len);
        else if (b == 0xc6)
            rc = s_take (r, 4, &len);
        else
            rc = s_fail (r, DT_PROTO_EMALFORMED);
    } else if (b >= 0xa0 && b <= 0xbf)
        len = b & 0x1f;
    else if (b == 0xd9)
        rc = s_take (r, 1, &len);
    else if (b == 0xda)
        rc = s_take (r, 2, &len);
    else if (b == 0xdb)
        rc = s_take (r, 4, &len);
    else
        rc = s_fail (r, DT_PROTO_EMALFORMED);
    if (rc != 0)
        return;
    if (len > f->max) {
        s_fail (r, DT_PROTO_ETOOBIG);
        return;
    }
    if (len < f->min || len > s_left (r)) {
        s_fail (r, DT_PROTO_EMALFORMED);
        return;
    }
    s->ptr = (const char *) r->needle;
    s->len = (uint32_t) len;
    r->needle += len;
}

/* Stores `v` in a member of `width` bytes. */
S_HOT void s_store (uint8_t *p, int width, uint64_t v)
{
    switch (width) {
    case 1:
        *p = (uint8_t) v;
        break;
    case 2:
        *(uint16_t *) (void *) p = (uint16_t) v;
        break;
    case 4:
        *(uint32_t *) (void *) p = (uint32_t) v;
        break;
    default:
        *(uint64_t *) (void *) p = v;
    }
}

/* A uint field within its [min, max], stored in its member. */
S_HOT void s_get_uint (s_reader_t *r, const dt_msg_field_t *f, uint8_t *base)
{
    uint64_t v;
    /* Most numbers are positive fixints: one byte, read here. */
    if (r->needle < r->ceiling && *r->needle <= 0x7f)
        v = *r->needle++;
    else if (s_uint (r, &v) != 0)
        return;
    /* One unsigned compare for v < min || v > max. */
    if (v - f->min > f->max - f->min)
        s_fail (r, DT_PROTO_EMALFORMED);
    else
        s_store (base + f->offset, f->width, v);
}

/* The fields of one LIST item: UINT and STR only (dt_msg_table.h). */
S_HOT void s_get_item (s_reader_t *r, const dt_msg_layout_t *item, uint8_t *at)
{
    for (const dt_msg_field_t *f = item->fields; f < item->fields + item->count; f++) {
        if (f->kind == DT_FIELD_STR || f->kind == DT_FIELD_BIN)
            s_str (r, f, (dt_str_t *) (void *) (at + f->offset));
        else
            s_get_uint (r, f, at);
    }
}

static void s_get_fields (dt_msg_t *self, s_reader_t *r, const dt_msg_layout_t *layout,
                          uint8_t *base);

/* A LIST: the count within [min, max] and never more than the bytes left
 * (each item takes at least one), so the allocation that follows is
 * bounded by the frame. Items live in zone_, freed by dt_msg_reset. */
static void s_get_list (dt_msg_t *self, s_reader_t *r, const dt_msg_field_t *f, uint8_t *base)
{
    uint32_t n = s_array (r);
    if (r->rc)
        return;
    if (n > f->max) {
        s_fail (r, DT_PROTO_ETOOBIG);
        return;
    }
    if (n < f->min || n > s_left (r)) {
        s_fail (r, DT_PROTO_EMALFORMED);
        return;
    }
    const dt_msg_layout_t *item = f->item;
    uint8_t *items = NULL;
    if (n > 0) {
        items = calloc (n, item->size);
        if (!items) {
            s_fail (r, DT_PROTO_ENOMEM);
            return;
        }
        if (self->zone_)
            self->zone2_ = items;
        else
            self->zone_ = items;
    }
    *(void **) (void *) (base + f->offset) = items;
    *(uint32_t *) (void *) (base + f->count_offset) = n;
    /* The hot loop of a batch. It reads through a copy of the reader in
     * locals: the stores into the items could alias *r, and the compiler
     * would reload the needle after each one. */
    s_reader_t lr = *r;
    for (uint32_t i = 0; i < n && !lr.rc; i++) {
        uint8_t *at = items + (size_t) i * item->size;
        if (item->bare)
            s_str (&lr, &item->fields[0], (dt_str_t *) (void *) at);
        else if (s_array (&lr) != item->count)
            s_fail (&lr, DT_PROTO_EMALFORMED);
        else
            s_get_item (&lr, item, at);
    }
    *r = lr;
}

/* Reads the fields of `layout` into the struct at `base`. */
static void s_get_fields (dt_msg_t *self, s_reader_t *r, const dt_msg_layout_t *layout,
                          uint8_t *base)
{
    for (const dt_msg_field_t *f = layout->fields; f < layout->fields + layout->count; f++) {
        if (r->rc)
            return;
        switch (f->kind) {
        case DT_FIELD_UINT:
            s_get_uint (r, f, base);
            break;
        case DT_FIELD_STR:
        case DT_FIELD_BIN:
            s_str (r, f, (dt_str_t *) (void *) (base + f->offset));
            break;
        case DT_FIELD_TUPLE:
            if (s_array (r) != f->item->count)
                s_fail (r, DT_PROTO_EMALFORMED);
            else
                s_get_fields (self, r, f->item, base + f->offset);
            break;
        case DT_FIELD_LIST:
            s_get_list (self, r, f, base);
            break;
        }
    }
    if (!r->rc && layout->check && layout->check (base) != 0)
        s_fail (r, DT_PROTO_EMALFORMED);
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
    uint64_t version = 0, type = 0, req = 0;
    s_uint (&r, &version);
    int version_read = !r.rc;
    s_uint (&r, &type);
    s_uint (&r, &req);
    int header_read = !r.rc;
    /* The version decides how to read the rest, so it wins over the shape:
     * a peer of another version gets VERSION, not MALFORMED. ERROR alone
     * is read at any version (its shape never changes), so a peer learns
     * why it was refused. */
    int any_version = header_read && type == DT_MSG_ERROR;
    if (version_read && version != DT_PROTO_VERSION && !any_version)
        r.rc = DT_PROTO_EVERSION;
    /* The range is checked on the whole u64: cast to int first, 2^32 + 5
     * would pass for type 5. */
    const dt_msg_layout_t *layout =
        r.rc || !DT_MSG_TYPE_VALID (type) ? NULL : dt_msg_layout ((int) type);
    if (!r.rc && (!layout || n != DT_MSG_HEADER_FIELDS + (uint32_t) layout->count))
        s_fail (&r, DT_PROTO_EMALFORMED);
    if (!r.rc) {
        self->type = (dt_msg_type_t) type;
        self->req = req;
        s_get_fields (self, &r, layout, (uint8_t *) self);
    }
    if (!r.rc && r.needle != r.ceiling)
        s_fail (&r, DT_PROTO_EMALFORMED);
    if (r.rc) {
        /* Keep a received frame alive only for a good message; keep the
         * req so the ERROR reply can echo it. */
        dt_msg_reset (self);
        self->req = header_read ? req : 0;
        return r.rc;
    }
    return 0;
}
