/* dt_urlfp.c - 64-bit keyed fingerprints of normalised URLs, and a compact set of them (the seen
 * set). */
#include "dt_urlfp.h"

#include <assert.h>
#include <sodium.h>
#include <stdlib.h>

struct dt_urlfp_set_t {
    uint64_t *slots; /* the table; 0 is an empty slot */
    size_t cap;      /* slots */
    size_t size;     /* fingerprints held */
    size_t limit;    /* size at which the next add grows the table: cap * 4/5 */
};

int dt_urlfp_key_random (dt_urlfp_key_t *key)
{
    if (sodium_init () < 0)
        return -1;
    randombytes_buf (key->bytes, sizeof key->bytes);
    return 0;
}

uint64_t dt_urlfp (const dt_urlfp_key_t *key, const char *url, size_t len)
{
    _Static_assert(crypto_shorthash_BYTES == 8, "SipHash-2-4 gives 8 bytes");
    _Static_assert(crypto_shorthash_KEYBYTES == sizeof key->bytes, "a 16-byte key");
    unsigned char out[8];
    crypto_shorthash (out, (const unsigned char *) url, len, key->bytes);
    uint64_t fp = 0;
    for (int i = 0; i < 8; i++)
        fp |= (uint64_t) out[i] << (8 * i);
    return fp ? fp : 1;
}

/* The home slot: fp scaled to [0, cap). Fingerprints are uniform, so this
 * spreads them as well as a modulo, without a division. */
static size_t s_home (uint64_t fp, size_t cap)
{
    return (size_t) (((unsigned __int128) fp * cap) >> 64);
}

/* How far slot i is from fp's home, going forward and round the end. */
static size_t s_dist (uint64_t fp, size_t i, size_t cap)
{
    size_t home = s_home (fp, cap);
    return i >= home ? i - home : i + cap - home;
}

/* Puts fp (not present) into the table. The caller has made sure a slot
 * is free. Robin Hood: a newcomer further from home than the resident
 * takes the slot, and the resident moves on. */
static void s_put (uint64_t *slots, size_t cap, uint64_t fp)
{
    size_t i = s_home (fp, cap), dist = 0;
    for (;;) {
        uint64_t cur = slots[i];
        if (cur == 0) {
            slots[i] = fp;
            return;
        }
        size_t cd = s_dist (cur, i, cap);
        if (cd < dist) {
            slots[i] = fp;
            fp = cur;
            dist = cd;
        }
        i = i + 1 == cap ? 0 : i + 1;
        dist++;
    }
}

static size_t s_limit (size_t cap)
{
    return cap / DT_URLFP_LOAD_MAX_DEN * DT_URLFP_LOAD_MAX_NUM +
           cap % DT_URLFP_LOAD_MAX_DEN * DT_URLFP_LOAD_MAX_NUM / DT_URLFP_LOAD_MAX_DEN;
}

static int s_resize (dt_urlfp_set_t *self, size_t cap)
{
    uint64_t *slots = calloc (cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->cap; i++)
        if (self->slots[i])
            s_put (slots, cap, self->slots[i]);
    free (self->slots);
    self->slots = slots;
    self->cap = cap;
    self->limit = s_limit (cap);
    return 0;
}

dt_urlfp_set_t *dt_urlfp_set_new (size_t expect)
{
    dt_urlfp_set_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    size_t cap = expect / DT_URLFP_LOAD_MAX_NUM * DT_URLFP_LOAD_MAX_DEN + DT_URLFP_LOAD_MAX_DEN;
    if (cap < 16)
        cap = 16;
    if (s_resize (self, cap) < 0) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_urlfp_set_destroy (dt_urlfp_set_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_urlfp_set_t *self = *self_p;
    free (self->slots);
    free (self);
    *self_p = NULL;
}

int dt_urlfp_set_has (const dt_urlfp_set_t *self, uint64_t fp)
{
    assert (fp != 0); /* 0 marks an empty slot; dt_urlfp() never gives it */
    size_t i = s_home (fp, self->cap), dist = 0;
    for (;;) {
        uint64_t cur = self->slots[i];
        if (cur == fp)
            return 1;
        /* An empty slot, or a resident nearer its home than fp would be
         * here: Robin Hood would have put fp before it. */
        if (cur == 0 || s_dist (cur, i, self->cap) < dist)
            return 0;
        i = i + 1 == self->cap ? 0 : i + 1;
        dist++;
    }
}

int dt_urlfp_set_add (dt_urlfp_set_t *self, uint64_t fp)
{
    if (dt_urlfp_set_has (self, fp))
        return 0;
    if (self->size + 1 > self->limit) {
        size_t cap = self->cap / DT_URLFP_GROW_DEN * DT_URLFP_GROW_NUM + DT_URLFP_GROW_NUM;
        if (s_resize (self, cap) < 0)
            return -1;
    }
    s_put (self->slots, self->cap, fp);
    self->size++;
    return 1;
}

size_t dt_urlfp_set_size (const dt_urlfp_set_t *self)
{
    return self->size;
}

size_t dt_urlfp_set_bytes (const dt_urlfp_set_t *self)
{
    return self->cap * sizeof *self->slots + sizeof *self;
}
