/* dt_polite.h - politeness per origin for the whole cluster: robots.txt, the spacing of request
 * starts, pauses a server asks for, and back-off of a host that keeps failing.
 *
 * The master owns the queue, so it is where a site is protected from the
 * sum of every worker: an origin (scheme, host, port: RFC 9309's unit) is
 * let have one request start at a time, at most every `delay` ms
 * (--host-delay, the job's own, or robots.txt's Crawl-delay, the largest),
 * never while it is paused (Retry-After on a 429/503, or an exponential
 * back-off after connect errors and 5xx), and never for a path its
 * robots.txt disallows, which is fetched once (as an internal task) before
 * the origin's first page of a job that obeys robots and cached.
 *
 * A page that may not start yet is parked here, in a FIFO per origin; an
 * origin with parked pages sits in a heap by the time its next start is
 * allowed. When that time comes the oldest page is granted (handed to the
 * caller's callback, which puts it in a ready queue): one grant per origin
 * at a time, so a slow or paused origin holds none of the others' pages
 * behind its own (no head-of-line blocking), and the cost is O(log
 * origins) per page, paid only by pages of jobs that ask for politeness.
 *
 * Bounds: origins kept (DT_POLITE_HOSTS_MAX, least recently used first
 * out, never one with pages waiting or whose spacing still runs), robots
 * fetches in flight (DT_POLITE_FETCHES_MAX), a pause
 * (DT_POLITE_PAUSE_MAX_MS), a back-off (DT_POLITE_BACKOFF_MAX_MS), the
 * robots.txt body (DT_LIMIT_ROBOTS_*, dt_robots.h).
 */
#ifndef DT_POLITE_H
#define DT_POLITE_H

#include <stddef.h>
#include <stdint.h>

#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_record.h"
#include "dt_tasks.h"

/* Origins kept. Each costs ~200 bytes plus its robots rules (at most
 * DT_LIMIT_ROBOTS_RULES_MAX of them, a few KiB for a real file), so the
 * table stays in the tens of MiB. Past it the least recently used idle
 * origin goes (it is fetched again if met again); origins with pages
 * waiting are bounded by the tasks in memory, not by this. */
#define DT_POLITE_HOSTS_MAX 65536

/* robots.txt fetches out at once: a crawl that meets a thousand new hosts
 * at once fetches their robots.txt a thousand at a time, the rest wait. */
#define DT_POLITE_FETCHES_MAX 1024

/* Longest pause a Retry-After may ask for: an hour. A longer one (a year,
 * a date far ahead) is cut to this and logged (POLITE-PAUSE-CLAMPED): a
 * server cannot park a crawl's share of a host for ever. */
#define DT_POLITE_PAUSE_MAX_MS (3600u * 1000)

/* A host whose fetches keep failing (connect errors, timeouts, 5xx) is
 * paused DT_POLITE_BACKOFF_BASE_MS after its first failure in a row,
 * doubling with each, up to DT_POLITE_BACKOFF_MAX_MS; a success ends it. */
#define DT_POLITE_BACKOFF_BASE_MS 500u
#define DT_POLITE_BACKOFF_MAX_MS  (5u * 60 * 1000)

/* Leases of one robots.txt fetch that may be lost (worker gone, lease
 * expired) before the file counts as unreachable. */
#define DT_POLITE_FETCH_LOST_MAX 3

/* Internal robots.txt tasks have ids from here up: no SUBMIT reaches 2^62
 * tasks, so they never meet a real task's id. */
#define DT_POLITE_ID_BASE (UINT64_C (1) << 62)

/* Bytes of an origin kept (dt_limits.h). */
#define DT_POLITE_ORIGIN_MAX DT_LIMIT_ORIGIN_MAX

/* The product token matched against robots.txt user-agent lines when a
 * job names no User-Agent of its own (the worker's default is
 * "dtask/VERSION"); a job's own User-Agent gives its leading token. */
#define DT_POLITE_AGENT "dtask"

/* Bytes of a product token kept: longer ones are cut (none is that long). */
#define DT_POLITE_AGENT_MAX 32

/* Product tokens one origin keeps a robots.txt verdict for: jobs with
 * different User-Agents crawling one site at once are few. A fifth takes
 * the place of the oldest verdict not waiting for a fetch. */
#define DT_POLITE_AGENTS_MAX 4

/* Error of a page robots.txt refuses (a final failed result, not fetched). */
#define DT_POLITE_DISALLOWED "robots.txt disallows"
/* ... and of a page whose robots.txt could not be read (5xx, unreachable):
 * RFC 9309 section 2.3.1.4, everything is disallowed until it is fetched
 * again (DT_ROBOTS_RETRY_S later). */
#define DT_POLITE_UNAVAILABLE "robots.txt unavailable: all disallowed"
/* ... and of a page whose origin is longer than DT_POLITE_ORIGIN_MAX: no
 * DNS name is, so no such server can be reached politely. */
#define DT_POLITE_NO_ORIGIN "host name too long"

/* What one page asks for: the job's politeness. */
typedef struct {
    int robots;        /* obey robots.txt */
    uint32_t delay_ms; /* least time between two starts at its origin */
    const char *agent; /* its product token (NUL-terminated); NULL: DT_POLITE_AGENT */
    /* Its job's HTTP options (borrowed; NULL: none): a robots.txt fetch it
     * asks for goes with their User-Agent, headers and timeouts
     * (dt_polite_fetch.h). */
    const dt_msg_httpopt_t *http;
} dt_polite_rule_t;

/* The product token of a User-Agent (`ua`, `len` bytes): its leading
 * [A-Za-z_-], lowercased, at most DT_POLITE_AGENT_MAX, into `out` (that
 * plus one bytes). "" when it has none. */
void dt_polite_agent (const char *ua, size_t len, char *out);

/* admit's verdicts. */
typedef enum {
    DT_POLITE_GO = 0, /* start it now: then dt_polite_started() */
    DT_POLITE_WAIT,   /* park it: dt_polite_park() */
    DT_POLITE_DENY,   /* robots.txt refuses it: fail it with *why */
    DT_POLITE_ERROR,  /* out of memory */
} dt_polite_verdict_t;

/* Grants a parked page: returns 1 when task `id` still waits with
 * generation `gen` (it is then the caller's, to take next), 0 when it is
 * stale (it left the queue since) and the next is tried. */
typedef int (dt_polite_grant_fn) (void *arg, uint64_t id, uint32_t gen);

typedef struct dt_polite_t dt_polite_t;
typedef struct dt_polite_host_t dt_polite_host_t;

/* A new, empty table whose grants go to `grant(arg, ...)`. NULL when out
 * of memory. */
dt_polite_t *dt_polite_new (dt_polite_grant_fn *grant, void *arg);

/* Frees every origin and every internal task (leased ones too: call it
 * after the workers are gone). NULL-safe; nulls the pointer. */
void dt_polite_destroy (dt_polite_t **self_p);

/* May the page `url` (`len` bytes) start at `now` (monotonic ms)?
 * `granted`: it is the grant of its origin (it came from the callback).
 * GO, WAIT (*host_p set, and *delay_p the delay it waits under), DENY
 * (*why set: a static string) or ERROR. *host_p is valid until the next
 * call of admit. */
dt_polite_verdict_t dt_polite_admit (dt_polite_t *self, const char *url, size_t len,
                                     const dt_polite_rule_t *rule, int granted, int64_t now,
                                     dt_polite_host_t **host_p, uint32_t *delay_p,
                                     const char **why);

/* Parks page (`id`, `gen`) behind its origin `host` (from admit's WAIT),
 * at the front (a grant that must wait again) or the back. Returns 0 or
 * -1 (out of memory). */
int dt_polite_park (dt_polite_t *self, dt_polite_host_t *host, uint64_t id, uint32_t gen,
                    uint32_t delay_ms, int front);

/* The page admitted (GO) at `host` under `delay_ms` starts now: the next
 * start is counted from here, and under a delay waits for its end
 * (dt_polite_ended). */
void dt_polite_started (dt_polite_t *self, dt_polite_host_t *host, uint32_t delay_ms, int64_t now);

/* A page admitted with its grant did not start after all (another limit
 * parked it): the origin's next page may be granted. */
void dt_polite_skipped (dt_polite_t *self, dt_polite_host_t *host);

/* The granted page of the origin of `url` left the queue (cancelled): the
 * origin's next page may be granted. */
void dt_polite_ungrant (dt_polite_t *self, const char *url, size_t len);

/* Grants the first page of every origin whose next start is due at `now`
 * (and every parked page of origins whose robots.txt just came). */
void dt_polite_promote (dt_polite_t *self, int64_t now);

/* When the next origin is due (monotonic ms), INT64_MAX when none waits. */
int64_t dt_polite_next_due (const dt_polite_t *self);

/* How a request admitted (GO) ended. */
typedef enum {
    DT_POLITE_END_RESULT, /* its result came (`result`) */
    DT_POLITE_END_LOST,   /* its lease ended without one (worker gone, expired, cancelled) */
    DT_POLITE_END_UNSENT, /* it never left the master */
} dt_polite_end_t;

/* A request to the origin of `url` ended `how` (with `result`, borrowed,
 * for DT_POLITE_END_RESULT): the origin's next request may be due (its
 * spacing counts from when the result says this one began: now less its
 * elapsed time), and the pause (Retry-After) and back-off rules apply. */
void dt_polite_ended (dt_polite_t *self, const char *url, size_t len, dt_polite_end_t how,
                      const dt_report_t *result, int64_t now);

/* ---- robots.txt fetches: internal tasks ---- */

/* robots.txt fetches waiting for a worker. */
uint32_t dt_polite_fetches (const dt_polite_t *self);

/* The next robots.txt fetch to send, as an internal task (owned here,
 * INFLIGHT once dt_polite_fetch_lease'd) and its TASKS item (*item,
 * borrowing its URL); NULL when none waits. */
dt_task_t *dt_polite_fetch_take (dt_polite_t *self, dt_msg_task_t *item);

/* The HTTP options a fetch goes with (borrowed, valid while it lives):
 * those of the job whose page asked for it, NULL when it had none. */
const dt_msg_httpopt_t *dt_polite_fetch_http (const dt_task_t *task);

/* The fetch went out at `now` (its origin's last start) / was not sent
 * (back to the front of the fetches waiting). */
void dt_polite_fetch_lease (dt_polite_t *self, dt_task_t *task, int64_t now);
void dt_polite_fetch_untake (dt_polite_t *self, dt_task_t *task);

/* True when `id` is an internal task's; the task, or NULL when none such
 * is out now. */
int dt_polite_owns (uint64_t id);
dt_task_t *dt_polite_fetch_find (dt_polite_t *self, uint64_t id);

/* The fetch's result (the lease is already released by the caller): the
 * origin's rules are set, its pages may go. Frees the task. */
void dt_polite_fetch_done (dt_polite_t *self, dt_task_t *task, const dt_report_t *result,
                           int64_t now);

/* The fetch's lease ended without a result: it is sent again, or after
 * DT_POLITE_FETCH_LOST_MAX the file counts as unreachable. */
void dt_polite_fetch_lost (dt_polite_t *self, dt_task_t *task, int64_t now);

/* ---- STATUS ---- */

/* One origin as STATUS --hosts shows it. */
typedef struct {
    char origin[DT_POLITE_ORIGIN_MAX + 1]; /* scheme://host:port */
    uint64_t parked;                       /* pages waiting here (all jobs) */
    uint64_t started;                      /* requests started since it was met */
    uint64_t done;                         /* attempts answered DONE */
    uint64_t errors;                       /* attempts that failed or were lost */
    uint64_t denied;                       /* pages robots.txt refused */
    int64_t next_ms;                       /* ms from now to its next allowed start (0: now) */
    uint8_t robots;                        /* DT_POLITE_ROBOTS_* */
} dt_polite_row_t;

/* The wire's values (dt_msg.h). */
#define DT_POLITE_ROBOTS_NONE      DT_HOST_ROBOTS_NONE
#define DT_POLITE_ROBOTS_PENDING   DT_HOST_ROBOTS_PENDING
#define DT_POLITE_ROBOTS_RULES     DT_HOST_ROBOTS_RULES
#define DT_POLITE_ROBOTS_ALLOW     DT_HOST_ROBOTS_ALLOW
#define DT_POLITE_ROBOTS_DISALLOW  DT_HOST_ROBOTS_DISALLOW
#define DT_POLITE_ROBOTS_TRUNCATED DT_HOST_ROBOTS_TRUNCATED

/* Fills *row for the origin of `url`; returns 0, or -1 when the origin is
 * not in the table. */
int dt_polite_row (dt_polite_t *self, const char *url, size_t len, int64_t now,
                   dt_polite_row_t *row);

/* The origin of `url` ("scheme://host:port", lowercase, default port
 * written) into `out` (`cap` bytes, NUL-terminated). Returns its length,
 * or -1 when `url` has no host or the origin does not fit. */
int dt_polite_origin (const char *url, size_t len, char *out, size_t cap);

#endif
