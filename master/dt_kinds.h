/* dt_kinds.h - the task kinds a master has met, each a small number, so a worker's kinds are a
 * bit mask and a task's kind one byte. */
#ifndef DT_KINDS_H
#define DT_KINDS_H

#include <stdint.h>

#include "dt_limits.h"
#include "dt_msg.h"

/* Number 0 is always "http". Kinds are never forgotten: a master meets
 * few (DT_LIMIT_KINDS_MAX at most, then refuses new ones). */
#define DT_KINDS_HTTP 0

typedef struct dt_kinds_t dt_kinds_t;

/* Returns NULL when out of memory. */
dt_kinds_t *dt_kinds_new (void);

/* NULL-safe; nulls the pointer. */
void dt_kinds_destroy (dt_kinds_t **self_p);

/* The number of `kind`, registered if new. Returns -1 when it is new and
 * DT_LIMIT_KINDS_MAX kinds are known already. */
int dt_kinds_index (dt_kinds_t *self, dt_str_t kind);

/* The number of `kind` when known, else -1. */
int dt_kinds_find (const dt_kinds_t *self, dt_str_t kind);

/* The name of kind number `index` (borrowed, NUL-terminated). */
dt_str_t dt_kinds_name (const dt_kinds_t *self, int index);

/* Kinds known. */
int dt_kinds_count (const dt_kinds_t *self);

#endif
