/* dt_tasks.h - the task table: the tasks held in memory, indexed by id. */
#ifndef DT_TASKS_H
#define DT_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_limits.h"
#include "dt_msg.h"

/* Where a task is in its life. */
typedef enum {
    DT_TASK_NONE = 0,     /* no task has this id (a gap left by recovery) */
    DT_TASK_QUEUED = 1,   /* waiting in the deque */
    DT_TASK_INFLIGHT = 2, /* leased to a worker */
    DT_TASK_DELAYED = 3,  /* waiting for a retry backoff to pass */
    DT_TASK_DONE = 4,     /* final: a result was recorded */
    DT_TASK_FAILED = 5,   /* final: failed after its attempts */
} dt_task_state_t;
#define DT_TASK_NSTATES 6

/* One task. Ids are assigned contiguously from 1, so the table is an array
 * indexed by id - 1, split into fixed chunks so records never move (the
 * lease lists link records by address) and growth never copies. A chunk
 * holds its tasks' URLs too, so a chunk whose tasks are all finished can be
 * given back whole (dt_tasks_sweep): a durable master keeps only the tasks
 * in play in memory, the rest are in the store. 64 bytes a task, plus its
 * URL. */
typedef struct dt_task_t {
    uint64_t id;            /* 1, 2, ... */
    const char *url;        /* in the table's arena, NUL-terminated */
    struct dt_task_t *prev; /* INFLIGHT: neighbours in its worker's lease list */
    struct dt_task_t *next;
    int64_t since;        /* INFLIGHT: when it was leased (monotonic ms) */
    uint32_t url_len;     /* bytes in url */
    uint32_t job;         /* index of its job in dt_jobs */
    uint32_t worker : 16; /* INFLIGHT: slot of the worker holding it (< DT_LIMIT_WORKERS_MAX) */
    uint32_t lost : 16;   /* leases of it lost with a worker that vanished, this run */
    uint32_t gen;         /* generation stamped on its queue entries */
    uint32_t attempts;    /* dispatches so far */
    uint8_t state;        /* dt_task_state_t */
    uint8_t parked;       /* QUEUED: DT_TASK_PARKED, _READY (dt_hosts.h), _POLITE, _GRANTED
                             (dt_polite.h), else 0 */
    uint8_t kind;         /* its kind's number (dt_kinds.h) + 1, 0 until first looked up */
    uint8_t meta;         /* once kind is set: its priority (DT_TASK_PRIO) and DT_TASK_OPTS */
} dt_task_t;

/* dt_task_t.worker holds a slot; lost stays below max_lost <= UINT16_MAX
 * (dt_state_life.c). Bit fields keep the record at 64 bytes. */
_Static_assert(DT_LIMIT_WORKERS_MAX <= 1u << 16, "dt_task_t.worker is 16 bits");

/* dt_task_t.meta: */
#define DT_TASK_PRIO 0x0f /* its priority, 0..DT_PRIORITY_MAX */
#define DT_TASK_OPTS 0x10 /* its spec carries options of its own (dt_spec.h) */

/* dt_task_t.parked, under --host-limit: */
#define DT_TASK_PARKED 1 /* waiting behind its host's limit */
#define DT_TASK_READY  2 /* its host had room again: it holds one of its slots until it goes out */
/* ... and under politeness (dt_polite.h): */
#define DT_TASK_POLITE  3 /* waiting behind its origin's spacing, pause or robots.txt */
#define DT_TASK_GRANTED 4 /* its origin's turn: it goes out before the queue */

/* A worker's leases, oldest first: dispatch appends, and since task_ms is
 * the same for all tasks the head is always the next lease to expire. */
typedef struct {
    dt_task_t *head;
    dt_task_t *tail;
    uint32_t count;
} dt_lease_list_t;

typedef struct dt_tasks_t dt_tasks_t;

/* Creates an empty table. Returns NULL on failure. */
dt_tasks_t *dt_tasks_new (void);

/* Frees every task and URL. NULL-safe; nulls the pointer. */
void dt_tasks_destroy (dt_tasks_t **self_p);

/* Makes sure that adding tasks first_id .. first_id+count-1 with `urls`
 * cannot fail. Returns 0 or -1 (no memory). */
int dt_tasks_reserve (dt_tasks_t *self, uint64_t first_id, const dt_str_t *urls, uint32_t count);

/* Adds task `id` (not in the table) in state DT_TASK_NONE with a copy of
 * the URL. The caller sets its state. Returns the record (owned by the
 * table, address stable until its chunk is swept), or NULL when memory
 * runs out (table unchanged). */
dt_task_t *dt_tasks_add (dt_tasks_t *self, uint64_t id, uint32_t job, const char *url, size_t len);

/* The task with this id, or NULL when it is not in the table. */
dt_task_t *dt_tasks_get (dt_tasks_t *self, uint64_t id);

/* The task in the table with the lowest id above `after`, or NULL. Skips
 * absent chunks, so a walk costs what is in memory, not the highest id. */
dt_task_t *dt_tasks_next (dt_tasks_t *self, uint64_t after);

/* Frees every chunk that lies wholly below id `below` and holds no task
 * for which `busy` returns true. Returns the chunks freed. */
size_t dt_tasks_sweep (dt_tasks_t *self, uint64_t below, int (*busy) (const dt_task_t *task));

/* In each block that holds busy tasks among many finished ones, forgets
 * the records for which `busy` is false and moves the URLs of the others
 * into a new arena, when that gives back at least half of the block's URL
 * bytes and the new arena is smaller than the old (never so when the old
 * is one arena block): a block's URLs are otherwise freed only with the whole block,
 * and one busy task would keep 32,768 long URLs in memory. Records stay
 * where they are (lease lists link them). Returns the blocks compacted. */
size_t dt_tasks_compact (dt_tasks_t *self, int (*busy) (const dt_task_t *task));

/* Bytes held by the table and its URLs, for memory accounting. */
size_t dt_tasks_memory (const dt_tasks_t *self);

/* Appends `task` (in no list) at the tail of `list`. */
void dt_lease_append (dt_lease_list_t *list, dt_task_t *task);

/* Unlinks `task` from `list`, which must hold it. */
void dt_lease_remove (dt_lease_list_t *list, dt_task_t *task);

#endif
