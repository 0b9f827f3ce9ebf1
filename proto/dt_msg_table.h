/* dt_msg_table.h - the shape of every message (PROTOCOL.md) as data: one table per message type.
 *
 * The encoder and the decoder both walk these tables, so what one writes
 * the other accepts and what one refuses the other refuses: a field's kind,
 * the width of its C member, where it lives (offsetof), and its limits are
 * written once. Private to proto/ and its tests.
 *
 * A message is [version, type, req, fields...]. A field is one of:
 *   UINT   a msgpack uint stored in a `width`-byte unsigned member, within
 *          [min, max] (else MALFORMED);
 *   STR    a msgpack str stored as a dt_str_t, its length within [min, max]
 *          (over max, the cap: TOO_BIG; under min: MALFORMED);
 *   BIN    the same as STR but a msgpack bin (payloads and outputs: bytes);
 *   TUPLE  a struct member written as a fixed array of the `item` layout's
 *          fields (the stats `S`);
 *   LIST   an array of `item`s: the items pointer at `offset`, their
 *          uint32_t count at `count_offset`, the count within [min, max]
 *          (over max: TOO_BIG; under min: MALFORMED). Only a message has a
 *          LIST, at most two, and its items hold only UINT, STR and BIN fields,
 *          so one allocation per message suffices.
 */
#ifndef DT_MSG_TABLE_H
#define DT_MSG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "dt_msg.h"

/* Elements of the header: version, type, req. */
#define DT_MSG_HEADER_FIELDS 3

#define DT_MSG_TYPE_VALID(t)                                                                       \
    (((t) >= DT_MSG_HELLO && (t) <= DT_MSG_JOBS_OK) ||                                             \
     ((t) >= DT_MSG_GET && (t) <= DT_MSG_EXPORT_OK) || (t) == DT_MSG_HOSTS ||                      \
     (t) == DT_MSG_HOSTS_OK)

typedef enum {
    DT_FIELD_UINT = 1,
    DT_FIELD_STR,
    DT_FIELD_TUPLE,
    DT_FIELD_LIST,
    DT_FIELD_BIN,
} dt_field_kind_t;

typedef struct dt_msg_layout_t dt_msg_layout_t;

typedef struct {
    const char *name;            /* as in PROTOCOL.md, for tests and logs */
    uint8_t kind;                /* dt_field_kind_t */
    uint8_t width;               /* UINT: bytes of the C member (1, 2, 4 or 8) */
    uint16_t offset;             /* of the member (LIST: of the items pointer) */
    uint16_t count_offset;       /* LIST: of its uint32_t count */
    uint64_t min;                /* UINT: least value; STR: length; LIST: count */
    uint64_t max;                /* UINT: greatest value; STR, LIST: the cap */
    const dt_msg_layout_t *item; /* TUPLE, LIST: what each element holds */
} dt_msg_field_t;

struct dt_msg_layout_t {
    const char *name;             /* "HELLO", "T", "Rw"... */
    const dt_msg_field_t *fields; /* in wire order */
    uint8_t count;                /* fields */
    uint8_t bare;                 /* an item that is its one field, not an array (urls) */
    uint16_t size;                /* LIST items: sizeof the C struct of one */
    /* A rule across fields (HELLO's concurrency <= capacity), checked
     * after the fields by both sides: 0 when it holds. NULL: none. */
    int (*check) (const void *base);
};

/* The layout of a message of `type`, or NULL for an unknown type. */
const dt_msg_layout_t *dt_msg_layout (int type);

/* Encodes `self` without checking any limit: what a careless or hostile
 * peer could send. For tests, which hand it to the decoder to compare its
 * verdict with dt_msg_encode's. Same contract as dt_msg_encode otherwise
 * (ENOMEM only). */
int dt_msg_encode_unchecked (const dt_msg_t *self, void **data_p, size_t *size_p);

#endif
