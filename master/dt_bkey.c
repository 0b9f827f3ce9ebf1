/* dt_bkey.c - binary (not NUL-terminated) keys for czmq's zhashx. */
#include "dt_bkey.h"

#include <string.h>

/* FNV-1a: short keys (routing ids, job ids), no attacker-chosen collisions
 * worth defending against beyond what zhashx's chain limit already does. */
static size_t s_hash (const void *key)
{
    const dt_bkey_t *k = key;
    const unsigned char *p = k->data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < k->len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return (size_t) h;
}

static int s_compare (const void *a, const void *b)
{
    const dt_bkey_t *ka = a, *kb = b;
    if (ka->len != kb->len)
        return ka->len < kb->len ? -1 : 1;
    return ka->len ? memcmp (ka->data, kb->data, ka->len) : 0;
}

zhashx_t *dt_bkey_table_new (zhashx_destructor_fn *destructor)
{
    zhashx_t *table = zhashx_new ();
    if (!table)
        return NULL;
    zhashx_set_key_hasher (table, s_hash);
    zhashx_set_key_comparator (table, s_compare);
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    if (destructor)
        zhashx_set_destructor (table, destructor);
    return table;
}
