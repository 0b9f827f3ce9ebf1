/* dt_bkey.h - binary (not NUL-terminated) keys for czmq's zhashx. */
#ifndef DT_BKEY_H
#define DT_BKEY_H

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

/* A key is a length and a pointer to bytes that may hold NUL. Records that
 * live in a table embed their own dt_bkey_t pointing at their own bytes, so
 * the table stores the record's key without copying it (no duplicator); a
 * lookup builds one on the stack pointing at the message's bytes. */
typedef struct {
    const void *data; /* borrowed; NOT NUL-terminated */
    size_t len;       /* bytes at data */
} dt_bkey_t;

/* Creates a zhashx whose keys are `const dt_bkey_t *` owned by the items
 * (no key duplicator or destructor), and whose items are freed with
 * `destructor` when removed (NULL: not freed). Returns NULL on failure. */
zhashx_t *dt_bkey_table_new (zhashx_destructor_fn *destructor);

static inline dt_bkey_t dt_bkey (const void *data, size_t len)
{
    dt_bkey_t key = {data, len};
    return key;
}

#endif
