/* dt_kinds.c - kind names to small numbers: a linear scan over at most 64 short names, cheaper
 * than a hash at this size, and done once per task (dt_state_take caches it in the task). */
#include "dt_kinds.h"

#include <stdlib.h>
#include <string.h>

struct dt_kinds_t {
    char names[DT_LIMIT_KINDS_MAX][DT_LIMIT_KIND_MAX + 1]; /* NUL-terminated */
    uint8_t lens[DT_LIMIT_KINDS_MAX];                      /* bytes in each name */
    int count;                                             /* names in use */
};

dt_kinds_t *dt_kinds_new (void)
{
    dt_kinds_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    memcpy (self->names[DT_KINDS_HTTP], DT_KIND_HTTP, sizeof DT_KIND_HTTP);
    self->lens[DT_KINDS_HTTP] = sizeof DT_KIND_HTTP - 1;
    self->count = 1;
    return self;
}

void dt_kinds_destroy (dt_kinds_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

int dt_kinds_find (const dt_kinds_t *self, dt_str_t kind)
{
    for (int i = 0; i < self->count; i++)
        if (self->lens[i] == kind.len && memcmp (self->names[i], kind.ptr, kind.len) == 0)
            return i;
    return -1;
}

int dt_kinds_index (dt_kinds_t *self, dt_str_t kind)
{
    int i = dt_kinds_find (self, kind);
    if (i >= 0)
        return i;
    if (self->count >= DT_LIMIT_KINDS_MAX || kind.len == 0 || kind.len > DT_LIMIT_KIND_MAX)
        return -1;
    i = self->count++;
    memcpy (self->names[i], kind.ptr, kind.len);
    self->names[i][kind.len] = '\0';
    self->lens[i] = (uint8_t) kind.len;
    return i;
}

dt_str_t dt_kinds_name (const dt_kinds_t *self, int index)
{
    return dt_str_n (self->names[index], self->lens[index]);
}

int dt_kinds_count (const dt_kinds_t *self)
{
    return self->count;
}
