/* dt_cold.c - the cold queue: ids of queued tasks kept only in the store. */
#include "dt_cold.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t lo, hi; /* inclusive */
} s_run_t;

/* Runs live in runs[head .. head+count): dropping from the front moves
 * head, and the array is compacted only when it must grow. */
struct dt_cold_t {
    s_run_t *runs;
    size_t head;
    size_t count;
    size_t capacity;
    uint64_t ids; /* ids in all runs */
};

dt_cold_t *dt_cold_new (void)
{
    return calloc (1, sizeof (dt_cold_t));
}

void dt_cold_destroy (dt_cold_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->runs);
    free (*self_p);
    *self_p = NULL;
}

int dt_cold_add (dt_cold_t *self, uint64_t first, uint64_t count)
{
    if (count == 0)
        return 0;
    s_run_t *last = self->count ? &self->runs[self->head + self->count - 1] : NULL;
    assert (!last || first > last->hi);
    if (last && first == last->hi + 1) {
        last->hi += count;
        self->ids += count;
        return 0;
    }
    if (self->head + self->count == self->capacity) {
        if (self->head > 0) {
            memmove (self->runs, self->runs + self->head, self->count * sizeof *self->runs);
            self->head = 0;
        }
        if (self->count == self->capacity) {
            size_t capacity = self->capacity ? self->capacity * 2 : 8;
            s_run_t *runs = realloc (self->runs, capacity * sizeof *runs);
            if (!runs)
                return -1;
            self->runs = runs;
            self->capacity = capacity;
        }
    }
    self->runs[self->head + self->count++] = (s_run_t){first, first + count - 1};
    self->ids += count;
    return 0;
}

/* Appends lo..hi to runs[0..*len), joining the last run when they touch. */
static void s_append (s_run_t *runs, size_t *len, uint64_t lo, uint64_t hi)
{
    if (*len > 0 && runs[*len - 1].hi + 1 == lo)
        runs[*len - 1].hi = hi;
    else
        runs[(*len)++] = (s_run_t){lo, hi};
}

int dt_cold_merge (dt_cold_t *self, const uint64_t *ids, size_t n)
{
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / sizeof (s_run_t) - self->count)
        return -1;
    size_t allocated = self->count + n;
    s_run_t *runs = malloc (allocated * sizeof *runs);
    if (!runs)
        return -1;
    const s_run_t *old = self->count ? self->runs + self->head : NULL;
    size_t len = 0, r = 0, i = 0;
    while (r < self->count || i < n) {
        if (i == n || (r < self->count && old[r].lo < ids[i])) {
            assert (i == n || old[r].hi < ids[i]);
            s_append (runs, &len, old[r].lo, old[r].hi);
            r++;
        } else {
            s_append (runs, &len, ids[i], ids[i]);
            i++;
        }
    }
    free (self->runs);
    self->runs = runs;
    self->head = 0;
    self->count = len;
    self->capacity = allocated;
    self->ids += n;
    return 0;
}

int dt_cold_remove (dt_cold_t *self, const uint64_t *ids, size_t n)
{
    if (n == 0 || self->count == 0)
        return 0;
    /* Each id removed from inside a run splits it: at most n more runs. */
    if (n > SIZE_MAX / sizeof (s_run_t) - self->count)
        return -1;
    size_t allocated = self->count + n;
    s_run_t *runs = malloc (allocated * sizeof *runs);
    if (!runs)
        return -1;
    const s_run_t *old = self->runs + self->head;
    size_t len = 0, i = 0;
    uint64_t removed = 0;
    for (size_t r = 0; r < self->count; r++) {
        uint64_t lo = old[r].lo;
        while (i < n && ids[i] < lo)
            i++;
        for (; i < n && ids[i] <= old[r].hi; i++) {
            if (ids[i] > lo)
                runs[len++] = (s_run_t){lo, ids[i] - 1};
            lo = ids[i] + 1;
            removed++;
        }
        if (lo <= old[r].hi)
            runs[len++] = (s_run_t){lo, old[r].hi};
    }
    free (self->runs);
    self->runs = runs;
    self->head = 0;
    self->count = len;
    self->capacity = allocated;
    self->ids -= removed;
    return 0;
}

int dt_cold_front (const dt_cold_t *self, uint64_t *lo, uint64_t *hi)
{
    if (self->count == 0)
        return -1;
    *lo = self->runs[self->head].lo;
    *hi = self->runs[self->head].hi;
    return 0;
}

int dt_cold_span (const dt_cold_t *self, uint64_t want, uint64_t max_width, uint64_t *lo,
                  uint64_t *hi)
{
    if (self->count == 0)
        return -1;
    const s_run_t *runs = self->runs + self->head;
    *lo = *hi = runs[0].lo;
    uint64_t held = 0;
    for (size_t i = 0; i < self->count && held < want; i++) {
        uint64_t size = runs[i].hi - runs[i].lo + 1;
        uint64_t end = size <= want - held ? runs[i].hi : runs[i].lo + (want - held) - 1;
        if (i > 0 && end - *lo >= max_width)
            break;
        *hi = end;
        held += size;
    }
    return 0;
}

void dt_cold_drop_to (dt_cold_t *self, uint64_t id)
{
    while (self->count > 0) {
        s_run_t *run = &self->runs[self->head];
        if (run->lo > id)
            return;
        if (run->hi > id) {
            self->ids -= id - run->lo + 1;
            run->lo = id + 1;
            return;
        }
        self->ids -= run->hi - run->lo + 1;
        self->head++;
        self->count--;
    }
    self->head = 0;
}

int dt_cold_has (const dt_cold_t *self, uint64_t id)
{
    size_t lo = self->head, hi = self->head + self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->runs[mid].hi < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->head + self->count && self->runs[lo].lo <= id;
}

uint64_t dt_cold_count (const dt_cold_t *self)
{
    return self->ids;
}
