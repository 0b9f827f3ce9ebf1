/* dt_coldq.c - the cold queues: ids of queued tasks kept only in the store, per kind and level. */
#include "dt_coldq.h"

#include <stdlib.h>

struct dt_coldq_t {
    dt_cold_t *sets[DT_COLDQ_KINDS][DT_COLDQ_LEVELS]; /* NULL until used */
    uint64_t kind_ids[DT_COLDQ_KINDS];                /* ids held per kind, all levels */
    uint64_t ids;                                     /* ids held in all */
    int kinds;                                        /* kinds with ids held */
    /* The sets ever used (kind * DT_COLDQ_LEVELS + level), so that a lookup
     * over all of them visits only those: a master has a few kinds. */
    uint16_t used[DT_COLDQ_KINDS * DT_COLDQ_LEVELS];
    size_t nused;
};

dt_coldq_t *dt_coldq_new (void)
{
    return calloc (1, sizeof (dt_coldq_t));
}

void dt_coldq_destroy (dt_coldq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_coldq_t *self = *self_p;
    for (size_t i = 0; i < self->nused; i++)
        dt_cold_destroy (
            &self->sets[self->used[i] / DT_COLDQ_LEVELS][self->used[i] % DT_COLDQ_LEVELS]);
    free (self);
    *self_p = NULL;
}

/* Kinds and levels out of range (a kind that could not be numbered) wait
 * with the first kind at level 0, as they do in memory. */
static void s_clamp (int *kind, int *level)
{
    if (*kind < 0 || *kind >= DT_COLDQ_KINDS || *level < 0 || *level >= DT_COLDQ_LEVELS) {
        if (*kind < 0 || *kind >= DT_COLDQ_KINDS)
            *kind = 0;
        if (*level < 0 || *level >= DT_COLDQ_LEVELS)
            *level = 0;
    }
}

/* The set of (kind, level), created when missing; NULL when out of memory. */
static dt_cold_t *s_set (dt_coldq_t *self, int kind, int level)
{
    dt_cold_t **set = &self->sets[kind][level];
    if (!*set) {
        if (!(*set = dt_cold_new ()))
            return NULL;
        self->used[self->nused++] = (uint16_t) (kind * DT_COLDQ_LEVELS + level);
    }
    return *set;
}

/* Counts `after` - `before` ids of `kind` in or out. */
static void s_moved (dt_coldq_t *self, int kind, uint64_t before, uint64_t after)
{
    uint64_t was = self->kind_ids[kind];
    self->kind_ids[kind] = was + after - before;
    self->ids = self->ids + after - before;
    self->kinds += (was == 0 && self->kind_ids[kind] > 0) - (was > 0 && self->kind_ids[kind] == 0);
}

int dt_coldq_add (dt_coldq_t *self, int kind, int level, uint64_t first, uint64_t count)
{
    s_clamp (&kind, &level);
    dt_cold_t *set = s_set (self, kind, level);
    if (!set)
        return -1;
    uint64_t before = dt_cold_count (set);
    if (dt_cold_add (set, first, count) != 0)
        return -1;
    s_moved (self, kind, before, dt_cold_count (set));
    return 0;
}

int dt_coldq_merge (dt_coldq_t *self, int kind, int level, const uint64_t *ids, size_t n)
{
    s_clamp (&kind, &level);
    dt_cold_t *set = s_set (self, kind, level);
    if (!set)
        return -1;
    uint64_t before = dt_cold_count (set);
    if (dt_cold_merge (set, ids, n) != 0)
        return -1;
    s_moved (self, kind, before, dt_cold_count (set));
    return 0;
}

int dt_coldq_remove (dt_coldq_t *self, const uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < self->nused; i++) {
        int kind = self->used[i] / DT_COLDQ_LEVELS, level = self->used[i] % DT_COLDQ_LEVELS;
        dt_cold_t *set = self->sets[kind][level];
        uint64_t before = dt_cold_count (set);
        if (before == 0)
            continue;
        if (dt_cold_remove (set, ids, n) != 0)
            return -1;
        s_moved (self, kind, before, dt_cold_count (set));
    }
    return 0;
}

int dt_coldq_has (const dt_coldq_t *self, uint64_t id)
{
    for (size_t i = 0; i < self->nused; i++) {
        const dt_cold_t *set =
            self->sets[self->used[i] / DT_COLDQ_LEVELS][self->used[i] % DT_COLDQ_LEVELS];
        if (dt_cold_count (set) > 0 && dt_cold_has (set, id))
            return 1;
    }
    return 0;
}

uint64_t dt_coldq_count (const dt_coldq_t *self)
{
    return self->ids;
}

uint64_t dt_coldq_kind_count (const dt_coldq_t *self, int kind)
{
    return kind >= 0 && kind < DT_COLDQ_KINDS ? self->kind_ids[kind] : 0;
}

int dt_coldq_kinds (const dt_coldq_t *self)
{
    return self->kinds;
}

int dt_coldq_top (const dt_coldq_t *self, int kind)
{
    int level = 0;
    s_clamp (&kind, &level);
    if (self->kind_ids[kind] == 0)
        return -1;
    for (level = DT_COLDQ_LEVELS - 1; level >= 0; level--)
        if (self->sets[kind][level] && dt_cold_count (self->sets[kind][level]) > 0)
            return level;
    return -1;
}

int dt_coldq_front (const dt_coldq_t *self, uint64_t *lo)
{
    int found = 0;
    for (size_t i = 0; i < self->nused; i++) {
        const dt_cold_t *set =
            self->sets[self->used[i] / DT_COLDQ_LEVELS][self->used[i] % DT_COLDQ_LEVELS];
        uint64_t first, last;
        if (dt_cold_front (set, &first, &last) == 0 && (!found || first < *lo)) {
            *lo = first;
            found = 1;
        }
    }
    return found ? 0 : -1;
}

const dt_cold_t *dt_coldq_at (const dt_coldq_t *self, int kind, int level)
{
    s_clamp (&kind, &level);
    return self->sets[kind][level];
}

void dt_coldq_drop_to (dt_coldq_t *self, int kind, int level, uint64_t id)
{
    s_clamp (&kind, &level);
    dt_cold_t *set = self->sets[kind][level];
    if (!set)
        return;
    uint64_t before = dt_cold_count (set);
    dt_cold_drop_to (set, id);
    s_moved (self, kind, before, dt_cold_count (set));
}
