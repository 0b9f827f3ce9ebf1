/* dt_workers.c - the workers the master knows: routing id, credit and the leases each holds. */
#include "dt_workers.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dt_workers_t {
    zhashx_t *by_peer;                        /* dt_worker_t by routing id (not owned) */
    dt_worker_t *slots[DT_LIMIT_WORKERS_MAX]; /* owned; NULL: free slot */
    uint32_t high;                            /* slots in use are below this */
    size_t count;                             /* workers registered */
    uint64_t free_total;                      /* sum of dt_workers_free() */
};

dt_workers_t *dt_workers_new (void)
{
    dt_workers_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->by_peer = dt_bkey_table_new (NULL);
    if (!self->by_peer) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_workers_destroy (dt_workers_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_workers_t *self = *self_p;
    zhashx_destroy (&self->by_peer);
    for (uint32_t i = 0; i < self->high; i++)
        free (self->slots[i]);
    free (self);
    *self_p = NULL;
}

dt_worker_t *dt_workers_find (dt_workers_t *self, const dt_peer_t *peer)
{
    dt_bkey_t key = dt_bkey (peer->id, peer->len);
    return zhashx_lookup (self->by_peer, &key);
}

dt_worker_t *dt_workers_add (dt_workers_t *self, const dt_peer_t *peer, dt_str_t name,
                             uint32_t capacity)
{
    if (self->count >= DT_LIMIT_WORKERS_MAX)
        return NULL;
    uint32_t slot = 0;
    while (slot < DT_LIMIT_WORKERS_MAX && self->slots[slot])
        slot++;
    assert (slot < DT_LIMIT_WORKERS_MAX);
    dt_worker_t *worker = calloc (1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->peer = *peer;
    worker->key = dt_bkey (worker->peer.id, worker->peer.len);
    uint32_t len = name.len > DT_LIMIT_NAME_MAX ? DT_LIMIT_NAME_MAX : name.len;
    if (len)
        memcpy (worker->name, name.ptr, len);
    worker->name_len = len;
    worker->slot = slot;
    if (zhashx_insert (self->by_peer, &worker->key, worker) != 0) {
        free (worker);
        return NULL;
    }
    self->slots[slot] = worker;
    if (slot >= self->high)
        self->high = slot + 1;
    self->count++;
    worker->credit = DT_WORKERS_CREDIT_START;
    dt_workers_set_capacity (self, worker, capacity);
    return worker;
}

void dt_workers_set_addr (dt_worker_t *worker, const char *addr)
{
    snprintf (worker->addr, sizeof worker->addr, "%s", addr);
}

uint32_t dt_workers_count_addr (const dt_workers_t *self, const char *addr)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < self->high; i++)
        if (self->slots[i] && strcmp (self->slots[i]->addr, addr) == 0)
            n++;
    return n;
}

/* What the worker may hold: the lower of what it offered and its credit. */
static void s_recredit (dt_workers_t *self, dt_worker_t *worker)
{
    self->free_total -= dt_workers_free (worker);
    worker->capacity = worker->offered < worker->credit ? worker->offered : worker->credit;
    self->free_total += dt_workers_free (worker);
}

void dt_workers_set_capacity (dt_workers_t *self, dt_worker_t *worker, uint32_t capacity)
{
    worker->offered = capacity;
    s_recredit (self, worker);
}

void dt_workers_returned (dt_workers_t *self, dt_worker_t *worker)
{
    /* Grows only while the credit is what limits it: a worker that offered
     * 4 keeps credit 8 however many results it returns. */
    if (worker->credit >= worker->offered) {
        worker->returned = 0;
        return;
    }
    if (++worker->returned < worker->credit)
        return;
    worker->credit =
        worker->credit > DT_LIMIT_CREDIT_MAX / 2 ? DT_LIMIT_CREDIT_MAX : worker->credit * 2;
    worker->returned = 0;
    s_recredit (self, worker);
}

void dt_workers_lost (dt_workers_t *self, dt_worker_t *worker)
{
    worker->credit =
        worker->credit / 2 < DT_WORKERS_CREDIT_START ? DT_WORKERS_CREDIT_START : worker->credit / 2;
    worker->returned = 0;
    s_recredit (self, worker);
}

/* Tasks the worker runs at once. */
static uint32_t s_runs (const dt_worker_t *worker)
{
    return worker->concurrency ? worker->concurrency : UINT32_MAX;
}

/* Starts the clocks of the waiting leases it has places for: the list is
 * oldest first, so the started ones stay its head and their start times
 * grow along it (the head expires first). */
static void s_start (dt_worker_t *worker, int64_t now)
{
    while (worker->waiting && worker->running < s_runs (worker)) {
        worker->waiting->since = now;
        worker->running++;
        worker->waiting = worker->waiting->next;
    }
}

void dt_workers_set_concurrency (dt_worker_t *worker, uint32_t concurrency, int64_t now)
{
    worker->concurrency = concurrency;
    s_start (worker, now);
}

void dt_workers_remove (dt_workers_t *self, dt_worker_t **worker_p)
{
    dt_worker_t *worker = *worker_p;
    assert (worker && worker->leases.count == 0);
    self->free_total -= dt_workers_free (worker);
    zhashx_delete (self->by_peer, &worker->key);
    self->slots[worker->slot] = NULL;
    while (self->high > 0 && !self->slots[self->high - 1])
        self->high--;
    self->count--;
    free (worker);
    *worker_p = NULL;
}

void dt_workers_lease (dt_workers_t *self, dt_worker_t *worker, dt_task_t *task, int64_t now)
{
    self->free_total -= dt_workers_free (worker);
    task->since = DT_LEASE_WAITING;
    task->worker = worker->slot;
    dt_lease_append (&worker->leases, task);
    if (!worker->waiting)
        worker->waiting = task;
    s_start (worker, now);
    self->free_total += dt_workers_free (worker);
}

dt_worker_t *dt_workers_release (dt_workers_t *self, dt_task_t *task, int64_t now)
{
    dt_worker_t *worker = self->slots[task->worker];
    assert (worker);
    self->free_total -= dt_workers_free (worker);
    if (task->since != DT_LEASE_WAITING) {
        assert (worker->running > 0);
        worker->running--;
    } else if (worker->waiting == task) {
        worker->waiting = task->next;
    }
    dt_lease_remove (&worker->leases, task);
    s_start (worker, now);
    self->free_total += dt_workers_free (worker);
    return worker;
}

uint64_t dt_workers_free_total (const dt_workers_t *self)
{
    return self->free_total;
}

size_t dt_workers_count (const dt_workers_t *self)
{
    return self->count;
}

uint32_t dt_workers_slots (const dt_workers_t *self)
{
    return self->high;
}

dt_worker_t *dt_workers_at (dt_workers_t *self, uint32_t slot)
{
    return slot < self->high ? self->slots[slot] : NULL;
}
