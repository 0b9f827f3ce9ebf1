/* dt_urlfp.h - 64-bit keyed fingerprints of normalised URLs, and a compact set of them (the seen
 * set).
 *
 * The fingerprint is SipHash-2-4 (libsodium's crypto_shorthash) under a
 * key drawn once per crawl. SipHash is a keyed pseudo-random function:
 * without the key, a page cannot choose URLs whose fingerprints collide
 * (which would make the crawl skip a URL as "seen") or that crowd one
 * region of the set. An unkeyed or merely seeded fast hash (xxHash,
 * MurmurHash) gives no such guarantee; SipHash costs some tens of
 * nanoseconds for a URL, which a crawl at thousands of URLs a second does
 * not notice. libsodium is
 * already on every machine that has libzmq (CURVE).
 *
 * By chance alone, 10 million URLs in 64 bits collide with probability
 * about n^2 / 2^65 = 3e-6: one URL in a few hundred thousand crawls of
 * that size is wrongly skipped.
 */
#ifndef DT_URLFP_H
#define DT_URLFP_H

#include <stddef.h>
#include <stdint.h>

/* A crawl's key. Plain bytes: keep it with the crawl's state, so that the
 * fingerprints stay the same across a restart. */
typedef struct {
    unsigned char bytes[16];
} dt_urlfp_key_t;

/* Fills *key from the system's random source. 0, or -1 when libsodium
 * cannot start. */
int dt_urlfp_key_random (dt_urlfp_key_t *key);

/* The fingerprint of `len` bytes of `url` (normalise it first: equal URLs
 * must be equal bytes). Never 0: the set uses 0 for an empty slot, and the
 * one value that would be 0 is moved to 1. */
uint64_t dt_urlfp (const dt_urlfp_key_t *key, const char *url, size_t len);

/* The set is an open-addressing table of bare uint64 fingerprints with
 * Robin Hood linear probing. A fingerprint's home slot is
 * (fp * capacity) >> 64, so the capacity need not be a power of two and
 * the load stays between LOAD_MIN and LOAD_MAX: it grows by 5/4 when an
 * insert would pass 4/5 full. Memory is 8 bytes / load: 10 bytes a URL
 * just before a growth, 12.5 just after; while growing, the old and new
 * tables are both held for the copy (22.5 bytes a URL at that moment).
 * Lookups at 0.8 load probe about 3 slots (Robin Hood stops a miss early).
 * Created with the expected count, it starts at exactly 10 bytes a URL. */
#define DT_URLFP_LOAD_MAX_NUM 4
#define DT_URLFP_LOAD_MAX_DEN 5
#define DT_URLFP_GROW_NUM     5
#define DT_URLFP_GROW_DEN     4
/* Bytes per URL the set may hold at worst (8 / (0.8 / 1.25) = 12.5, and
 * its small header): what test_urlfp asserts at a million URLs. */
#define DT_URLFP_BYTES_PER_URL_MAX 12.6

typedef struct dt_urlfp_set_t dt_urlfp_set_t;

/* A new set with room for `expect` fingerprints before its first growth
 * (0 for a small start). NULL when memory runs out. */
dt_urlfp_set_t *dt_urlfp_set_new (size_t expect);

/* Frees the set and sets *self_p to NULL. NULL-safe. */
void dt_urlfp_set_destroy (dt_urlfp_set_t **self_p);

/* Adds `fp` (from dt_urlfp, so never 0). Returns 1 when it was new, 0 when
 * it was there already, -1 when the table had to grow and memory ran out
 * (the set is unchanged and still usable). */
int dt_urlfp_set_add (dt_urlfp_set_t *self, uint64_t fp);

/* 1 when `fp` is in the set, 0 when not. */
int dt_urlfp_set_has (const dt_urlfp_set_t *self, uint64_t fp);

/* Fingerprints in the set. */
size_t dt_urlfp_set_size (const dt_urlfp_set_t *self);

/* Bytes the set holds: its table and header. */
size_t dt_urlfp_set_bytes (const dt_urlfp_set_t *self);

#endif
