/* dt_workers.h - the workers the master knows: routing id, credit and the leases each holds. */
#ifndef DT_WORKERS_H
#define DT_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_bkey.h"
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_tasks.h"

/* A registered worker, as the model sees it. Capacity and leases change
 * only through this module, which keeps the master-wide free credit in
 * step. The loop's side of its connection (when it was last heard from or
 * sent to) is the loop's own (dt_master_priv.h). */
/* Room for an IPv6 address in text (INET6_ADDRSTRLEN). */
#define DT_WORKERS_ADDR_MAX 46

typedef struct {
    dt_bkey_t key;                    /* the registry's key: points at peer.id */
    dt_peer_t peer;                   /* routing id, and the role and key of its connection */
    char name[DT_LIMIT_NAME_MAX + 1]; /* from HELLO, NUL-terminated for logs */
    char addr[DT_WORKERS_ADDR_MAX];   /* IP address it connected from; "": unknown */
    uint32_t name_len;                /* bytes in name */
    uint32_t slot;                    /* index in the registry; leased tasks refer to it */
    uint32_t capacity;                /* tasks it may hold at once: min (offered, credit) */
    uint32_t offered;                 /* capacity it asked for in HELLO */
    uint32_t credit;                  /* what it has earned: DT_WORKERS_CREDIT_START, doubled by
                                         each round of results, halved by a lost lease */
    uint32_t returned;                /* results since the credit last changed */
    uint32_t concurrency;             /* tasks it runs at once (HELLO); 0: all it holds */
    uint32_t running;                 /* leases it runs now: the first ones of the list */
    dt_lease_list_t leases;           /* tasks it holds, oldest lease first */
    dt_task_t *waiting;               /* first lease waiting in its queue; NULL: none */
    uint64_t done;                    /* results it returned that were recorded */
    int64_t answered;                 /* when it last returned a recorded result (monotonic
                                         ms); 0: never */
    uint64_t kinds;                   /* bit k: it serves kind number k (dt_kinds.h) */
} dt_worker_t;

/* Credit a new worker starts with, whatever it offered: a peer that says
 * HELLO and never returns a result can hold no more than this many tasks
 * (a thousand such peers hold 8,000, not 4 million). Eight keeps a real
 * worker's pipeline full from the first batch (the bench's W=4 worker runs
 * 4 and prefetches 4); the ramp reaches 4096 in 9 rounds of results. */
#define DT_WORKERS_CREDIT_START 8

/* dt_task_t.since of a lease that waits in its worker's queue: its clock
 * has not started. */
#define DT_LEASE_WAITING INT64_MAX

typedef struct dt_workers_t dt_workers_t;

/* Creates an empty registry. Returns NULL on failure. */
dt_workers_t *dt_workers_new (void);

/* Frees every worker (their lease lists are only links into the task table).
 * NULL-safe; nulls the pointer. */
void dt_workers_destroy (dt_workers_t **self_p);

/* The worker with this routing id, or NULL. */
dt_worker_t *dt_workers_find (dt_workers_t *self, const dt_peer_t *peer);

/* Registers a new worker (the routing id must be unknown). Returns it (owned
 * by the registry), or NULL when DT_LIMIT_WORKERS_MAX are registered or
 * memory runs out. */
dt_worker_t *dt_workers_add (dt_workers_t *self, const dt_peer_t *peer, dt_str_t name,
                             uint32_t capacity);

/* Records the IP address a worker connected from ("" when unknown). */
void dt_workers_set_addr (dt_worker_t *worker, const char *addr);

/* Workers registered from `addr` (not ""). Walks every slot: for HELLO
 * only. */
uint32_t dt_workers_count_addr (const dt_workers_t *self, const char *addr);

/* Sets the capacity a worker offers (HELLO). What it may hold is the lower
 * of that and the credit it earned, which may be below its leases for a
 * while. */
void dt_workers_set_capacity (dt_workers_t *self, dt_worker_t *worker, uint32_t capacity);

/* The worker returned a result that was recorded: once it has returned as
 * many as its credit (a round), the credit doubles, like TCP slow start,
 * up to DT_LIMIT_CREDIT_MAX (what it may hold stays below what it
 * offered). */
void dt_workers_returned (dt_workers_t *self, dt_worker_t *worker);

/* The worker lost a lease without a result (its time limit passed): its
 * credit halves, down to DT_WORKERS_CREDIT_START. */
void dt_workers_lost (dt_workers_t *self, dt_worker_t *worker);

/* Sets how many tasks it runs at once (0: all it holds); leases waiting
 * for a place it now has start at `now`. */
void dt_workers_set_concurrency (dt_worker_t *worker, uint32_t concurrency, int64_t now);

/* Forgets a worker, which must hold no lease, and nulls the pointer. */
void dt_workers_remove (dt_workers_t *self, dt_worker_t **worker_p);

/* Leases `task` to `worker`: appends it to its lease list. The worker
 * runs its oldest `concurrency` leases and queues the rest in arrival
 * order, so the lease's clock (task->since) starts at `now` when it is one
 * of those, else when the leases ahead of it end. The caller has checked
 * the worker's free credit. */
void dt_workers_lease (dt_workers_t *self, dt_worker_t *worker, dt_task_t *task, int64_t now);

/* Ends the lease of `task` (which must be INFLIGHT), giving the credit back;
 * the worker's next waiting lease, if it now has a place, starts at `now`.
 * Returns the worker that held it. */
dt_worker_t *dt_workers_release (dt_workers_t *self, dt_task_t *task, int64_t now);

/* Tasks the worker may still be given. */
static inline uint32_t dt_workers_free (const dt_worker_t *worker)
{
    return worker->capacity > worker->leases.count ? worker->capacity - worker->leases.count : 0;
}

/* Sum of every worker's free credit. */
uint64_t dt_workers_free_total (const dt_workers_t *self);

/* Workers registered. */
size_t dt_workers_count (const dt_workers_t *self);

/* Iteration by slot: slots 0 .. dt_workers_slots() - 1, where dt_workers_at()
 * is NULL for an empty slot. Removing the worker in the current slot while
 * iterating is safe. */
uint32_t dt_workers_slots (const dt_workers_t *self);
dt_worker_t *dt_workers_at (dt_workers_t *self, uint32_t slot);

#endif
