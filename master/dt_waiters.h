/* dt_waiters.h - FETCHes not answered yet (long polls): parked, answered after a commit, expired.
 */
#ifndef DT_WAITERS_H
#define DT_WAITERS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_limits.h"
#include "dt_msg.h"

/* FETCH requests parked at once. Each costs ~400 bytes; past this many the
 * master refuses a FETCH at once (ERROR TOO_BIG, "retry later"), so a
 * client cannot make it hold unbounded state by long-polling from many
 * sockets, nor slow every commit by the walk over the parked ones. */
#define DT_WAITERS_MAX 4096

/* An IP address as text (INET6_ADDRSTRLEN), NUL included. */
#define DT_WAITERS_ADDR_MAX 46

/* Longest a FETCH is held: clients ask for seconds; a wait of days from a
 * peer that is long gone would only pin a slot. */
#define DT_WAITERS_WAIT_MAX_MS 60000

/* How long a FETCH with DT_FETCH_FILL may wait for a full page once
 * results are ready: a twentieth of a progress line's redraw, and at a
 * crawl's pace hundreds of results. */
#define DT_WAITERS_FILL_MS 10

/* A FETCH not answered yet (long poll, or just arrived this turn). */
typedef struct {
    dt_peer_t peer;             /* client routing id */
    uint64_t req;               /* echoed */
    char job[DT_LIMIT_JOB_MAX]; /* job id bytes, NOT NUL-terminated; empty: all jobs */
    uint32_t job_len;           /* bytes in job */
    uint32_t max;               /* results wanted */
    uint32_t flags;             /* DT_FETCH_* */
    uint64_t cursor;            /* advanced past results skipped by the filter so far */
    int64_t deadline;           /* monotonic ms: answer (maybe empty) by then */
    int64_t ready_at;           /* DT_FETCH_FILL: when new results were first seen; 0: not yet */
    uint64_t checked;           /* results log position at the last look; UINT64_MAX: never */
    char addr[DT_WAITERS_ADDR_MAX]; /* IP address it came from, NUL-terminated; "": unknown */
} dt_waiter_t;

/* Sends a PAGE for `waiter` from its cursor (empty when `empty`) and
 * advances the cursor. Returns the results sent. The master's; the
 * waiters only decide when. */
typedef uint32_t (*dt_waiters_page_fn) (void *arg, dt_waiter_t *waiter, int empty);

typedef struct dt_waiters_t dt_waiters_t;

/* Creates an empty set. Returns NULL on failure. */
dt_waiters_t *dt_waiters_new (void);

/* NULL-safe; nulls the pointer. */
void dt_waiters_destroy (dt_waiters_t **self_p);

/* Parks FETCH `msg` from `peer` (its IP address `addr`, "" when unknown)
 * at `now`: its wait is capped at DT_WAITERS_WAIT_MAX_MS, and is 0 once
 * DT_WAITERS_MAX are parked. Even with results ready it is answered after
 * the commit (dt_waiters_serve). Returns 0, or -1 when memory runs out
 * (nothing parked). */
int dt_waiters_add (dt_waiters_t *self, const dt_peer_t *peer, const char *addr,
                    const dt_msg_t *msg, int64_t now);

/* FETCHes parked now. */
size_t dt_waiters_count (const dt_waiters_t *self);

/* FETCHes parked now from IP address `addr` (not ""). Walks every parked
 * FETCH (at most DT_WAITERS_MAX): for the per-address cap. */
size_t dt_waiters_count_addr (const dt_waiters_t *self, const char *addr);

/* Answers the FETCHes that have something new, or must be answered now
 * (`last`: the results log position). Only right after a commit: pages
 * never show what is not durable. */
void dt_waiters_serve (dt_waiters_t *self, uint64_t last, int64_t now, dt_waiters_page_fn page,
                       void *arg);

/* Answers (empty) those whose deadline passed. Returns when the next one
 * is due to be looked at (monotonic ms), INT64_MAX when none is parked. */
int64_t dt_waiters_expire (dt_waiters_t *self, int64_t now, dt_waiters_page_fn page, void *arg);

/* Calls `fn` for each parked FETCH (the master stopping), then forgets
 * them all. */
void dt_waiters_drop_all (dt_waiters_t *self, void (*fn) (void *arg, const dt_waiter_t *waiter),
                          void *arg);

#endif
