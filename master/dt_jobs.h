/* dt_jobs.h - jobs: their counts, their chunks (for idempotent SUBMIT without a store), and
 * which finished jobs leave memory. */
#ifndef DT_JOBS_H
#define DT_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "dt_bkey.h"
#include "dt_limits.h"
#include "dt_msg.h"
#include "dt_tasks.h"

/* Finished jobs kept in memory: the most recent this many. An older one
 * leaves memory (dt_jobs_retire_next): with a store its counters go to the
 * store, which answers STATUS, FETCH, SUBMIT resends and REQUEUE for it as
 * before; without one (--memory) it is forgotten, chunks and all. ~300
 * bytes a job: about 1 MiB. */
#define DT_JOBS_KEEP_FINISHED 4096

/* A job index no job has: results of a job not in memory. */
#define DT_JOBS_NONE UINT32_MAX

/* A job: the client-chosen id that groups chunks of tasks. */
typedef struct {
    dt_bkey_t key;                    /* the registry's key: points at name */
    char name[DT_LIMIT_JOB_MAX + 1];  /* job id bytes, NUL-terminated for logs */
    uint32_t name_len;                /* bytes in name */
    uint32_t index;                   /* its number: tasks and results refer to it */
    dt_bkey_t index_key;              /* points at index */
    uint64_t total;                   /* tasks accepted */
    uint64_t states[DT_TASK_NSTATES]; /* its tasks in each dt_task_state_t */
    uint64_t since_seq;               /* results log position when it came into memory: its
                                         results up to there may carry another number */
    uint64_t last_seq;                /* position of its latest result (0: none known) */
    void *chunks;                     /* its chunks in memory (dt_jobs.c's list) */
    uint64_t seq;                     /* creation order, kept across restarts (JOBS: newest
                                         first); 0 until the model gave it one */
    uint64_t created_ms;              /* Unix ms of its first chunk */
    uint64_t finished_ms;             /* Unix ms it last finished; 0 while unfinished */
    uint32_t next_chunk;              /* without a store: its highest chunk number + 1 */
    uint64_t retried;                 /* dispatches of its tasks beyond their first */
    uint64_t duplicates;              /* results for its tasks already final */
    uint64_t late;                    /* results for its tasks from no current lease */
    int retiring;                     /* in the finished queue */
    uint64_t cancel_from;             /* a CANCEL under way: the next id its steps read */
    uint64_t cancel_to;               /* its last id (tasks submitted later stay); 0: none */
    uint64_t cancel_left;             /* cold tasks it counted and has not cancelled yet */
    uint64_t cancel_mark;             /* at its latest CANCEL, the number the next long
                                         operation gets (dt_steps.h): a REQUEUE of every job
                                         asked before it leaves this job's tasks alone */
    int kind;                  /* its first chunk's kind number + 1 (dt_kinds.h); 0: not known */
    struct dt_jobhttp_t *http; /* its HTTP options (dt_jobhttp.h), owned; NULL: none */
    uint32_t flags;            /* DT_SUBMIT_SAVE: its http tasks save what they fetch */
    uint8_t robots;            /* its http tasks obey robots.txt (DT_SUBMIT_ROBOTS) */
    uint32_t host_delay_ms;    /* its own --host-delay; 0: the master's */
} dt_job_t;

typedef struct dt_jobs_t dt_jobs_t;

/* Creates an empty registry. Returns NULL on failure. */
dt_jobs_t *dt_jobs_new (void);

/* Frees every job. NULL-safe; nulls the pointer. */
void dt_jobs_destroy (dt_jobs_t **self_p);

/* The job named `name`, or NULL. Owned by the registry. */
dt_job_t *dt_jobs_find (dt_jobs_t *self, dt_str_t name);

/* The job named `name`, created when missing (with `*created` set, when
 * given). Returns NULL when the name is empty or longer than
 * DT_LIMIT_JOB_MAX, or memory runs out. A new job gets a number no job in
 * memory has; numbers are not reused before 2^32 - 1 jobs were created, so
 * a result or task that still carries a removed job's number finds no job
 * (dt_jobs_at returns NULL), not another one. */
dt_job_t *dt_jobs_ensure (dt_jobs_t *self, dt_str_t name, int *created);

/* The job numbered `index`, or NULL. */
dt_job_t *dt_jobs_at (dt_jobs_t *self, uint32_t index);

/* Jobs in memory. */
size_t dt_jobs_count (const dt_jobs_t *self);

/* Every job in memory, in no order: the first (NULL when none), then the
 * next after the one last returned (NULL at the end). Nothing may be added
 * or removed in between. */
dt_job_t *dt_jobs_first (dt_jobs_t *self);
dt_job_t *dt_jobs_next (dt_jobs_t *self);

/* Looks up chunk `chunk` of `job` in memory. Returns 0 and fills the ids it
 * created and the hash of its URLs (dt_jobs_urls_hash), or -1 when it is
 * not there. */
int dt_jobs_chunk_find (dt_jobs_t *self, const dt_job_t *job, uint32_t chunk, uint64_t *first_id,
                        uint32_t *count, uint64_t *urls_hash);

/* Records that chunk `chunk` of `job` created ids first_id .. first_id +
 * count - 1 from URLs of hash `urls_hash`. Returns 0, or -1 when it is
 * already known or memory ran out. */
int dt_jobs_chunk_add (dt_jobs_t *self, dt_job_t *job, uint32_t chunk, uint64_t first_id,
                       uint32_t count, uint64_t urls_hash);

/* A hash of a chunk's URLs (64 bits over lengths and 8-byte words), to tell
 * a resend from another submission once the tasks have left memory. */
uint64_t dt_jobs_urls_hash (const dt_str_t *urls, uint32_t count);

/* Notes that `job` may just have finished (no task queued, leased or
 * delayed): it joins the queue of finished jobs unless already there.
 * Returns 0 or -1 (no memory: it then stays in memory). */
int dt_jobs_finished (dt_jobs_t *self, dt_job_t *job);

/* The oldest finished job beyond the DT_JOBS_KEEP_FINISHED most recent
 * (`keep` in tests: 0 means DT_JOBS_KEEP_FINISHED), when it is still
 * finished; NULL when none. The caller then removes it. Jobs that got new
 * tasks since are passed over (they join again when they finish). */
dt_job_t *dt_jobs_retire_next (dt_jobs_t *self, size_t keep);

/* Gives `job` the HTTP options *http_p (taken: *http_p is nulled; NULL:
 * none), freeing those it had. */
void dt_jobs_set_http (dt_jobs_t *self, dt_job_t *job, struct dt_jobhttp_t **http_p);

/* Jobs in memory that hold HTTP options: 0 lets dispatch skip looking. */
size_t dt_jobs_with_http (const dt_jobs_t *self);

/* Removes `job` and its chunks from memory; nulls the pointer. */
void dt_jobs_remove (dt_jobs_t *self, dt_job_t **job_p);

/* Purges under way at most (each holds its job's name until the store has
 * deleted its rows, a step a loop turn: dt_steps.h). */
#define DT_JOBS_PURGES_MAX 1024

/* Bytes held by the registry, for memory accounting (approximate). */
size_t dt_jobs_memory (const dt_jobs_t *self);

#endif
