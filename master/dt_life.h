/* dt_life.h - one task's life: its states, the events that move it, and the counters and store
 * write each move implies, as one table.
 *
 * A task is born QUEUED by SUBMIT, goes INFLIGHT by LEASE (a worker holds
 * it), and from there ends DONE or FAILED by a result, goes DELAYED by a
 * RESULT_RETRY until DUE puts it back in the queue, or back to the queue
 * by LEASE_LOST. CANCEL makes any unfinished task FAILED; REQUEUE puts a
 * FAILED one back in the queue. A QUEUED task may be only in the store
 * (cold): SUBMIT_COLD, RECOVER_COLD and REQUEUE_COLD make one, WARM brings
 * it into memory. Recovery rebuilds the counters with the RECOVER_* events.
 *
 *   event            from                       to        store write
 *   SUBMIT           NONE                       QUEUED    add task
 *   SUBMIT_COLD      NONE                       QUEUED*   add task
 *   RECOVER          NONE                       QUEUED    -
 *   RECOVER_COLD     NONE                       QUEUED*   -
 *   RECOVER_DONE     NONE                       DONE      -
 *   RECOVER_FAILED   NONE                       FAILED    -
 *   WARM             QUEUED*                    QUEUED    -
 *   TAKE, UNTAKE     QUEUED                     QUEUED    -
 *   LEASE            QUEUED                     INFLIGHT  - (attempts are stored lazily)
 *   RESULT_DONE      INFLIGHT                   DONE      finish
 *   RESULT_FAIL      INFLIGHT                   FAILED    finish
 *   RESULT_RETRY     INFLIGHT                   DELAYED   attempts
 *   LEASE_LOST       INFLIGHT                   QUEUED    attempts
 *   LEASE_LOST_LAST  INFLIGHT                   FAILED    finish ("lease lost")
 *   DUE              DELAYED                    QUEUED    -
 *   DELAY            QUEUED                     DELAYED   - (its not-before is in its spec)
 *   SUBMIT_LATER     NONE                       DELAYED+  add task (and its due row)
 *   RECOVER_LATER    NONE                       DELAYED+  -
 *   WAKE             DELAYED+                   DELAYED   -
 *   REFUSE           QUEUED                     FAILED    finish (robots.txt: never fetched)
 *   CANCEL           QUEUED, INFLIGHT, DELAYED  FAILED    finish ("cancelled")
 *   REQUEUE          FAILED                     QUEUED    reopen
 *   REQUEUE_COLD     FAILED                     QUEUED*   reopen
 *   (* only in the store: counted in `cold` as well)
 *   (+ only in the store, waiting for its not-before time: counted in `later`
 *    as well; WAKE brings it into memory as its time nears, dt_state_due.c)
 *
 * Every change of a task's state, and of every counter below, goes through
 * dt_life_step (or, for what is not a task's move, dt_life_count), so the
 * counters always add up. Nothing here touches memory other than the
 * counters; dt_state_life.c does the store write a step names. */
#ifndef DT_LIFE_H
#define DT_LIFE_H

#include <assert.h>
#include <stdint.h>

#include "dt_jobs.h"
#include "dt_tasks.h"

typedef enum {
    DT_LIFE_SUBMIT,
    DT_LIFE_SUBMIT_COLD,
    DT_LIFE_RECOVER,
    DT_LIFE_RECOVER_COLD,
    DT_LIFE_RECOVER_DONE,
    DT_LIFE_RECOVER_FAILED,
    DT_LIFE_WARM,
    DT_LIFE_TAKE,
    DT_LIFE_UNTAKE,
    DT_LIFE_LEASE,
    DT_LIFE_RESULT_DONE,
    DT_LIFE_RESULT_FAIL,
    DT_LIFE_RESULT_RETRY,
    DT_LIFE_LEASE_LOST,
    DT_LIFE_LEASE_LOST_LAST,
    DT_LIFE_DUE,
    DT_LIFE_CANCEL,
    DT_LIFE_REQUEUE,
    DT_LIFE_REQUEUE_COLD,
    DT_LIFE_DELAY,
    DT_LIFE_SUBMIT_LATER,
    DT_LIFE_RECOVER_LATER,
    DT_LIFE_WAKE,
    DT_LIFE_REFUSE,
    DT_LIFE_NEVENTS
} dt_life_event_t;

/* The store write a step implies. */
typedef enum {
    DT_LIFE_WRITE_NONE,
    DT_LIFE_WRITE_ADD_TASK, /* dt_store_add_tasks (a SUBMIT writes its chunk's rows at once) */
    DT_LIFE_WRITE_FINISH,   /* dt_store_finish: the task's final result */
    DT_LIFE_WRITE_ATTEMPTS, /* dt_store_set_attempts */
    DT_LIFE_WRITE_REOPEN,   /* dt_store_reopen */
} dt_life_write_t;

/* Counter flags of a rule. */
#define DT_LIFE_COUNT_SUBMITTED 1u  /* one more task accepted (master and job) */
#define DT_LIFE_COUNT_RETRIED   2u  /* a dispatch beyond the first (when attempts > 1) */
#define DT_LIFE_COUNT_COLD_IN   4u  /* one more QUEUED task only in the store */
#define DT_LIFE_COUNT_COLD_OUT  8u  /* one fewer */
#define DT_LIFE_COUNT_LATER_IN  16u /* one more DELAYED task only in the store */
#define DT_LIFE_COUNT_LATER_OUT 32u /* one fewer */

/* One row of the table. */
typedef struct {
    const char *name; /* "SUBMIT", ... for logs and tests */
    uint8_t from;     /* bit (1 << state) for each state the event applies in */
    uint8_t to;       /* the next state (dt_task_state_t) */
    uint8_t write;    /* dt_life_write_t */
    uint8_t counts;   /* DT_LIFE_COUNT_* */
} dt_life_rule_t;

/* The master's counters: those of task states (each job keeps its own
 * copy in dt_job_t.states and .total, and of retried, duplicates and late
 * while it is in memory) and those of results that moved no task. */
typedef struct {
    uint64_t states[DT_TASK_NSTATES]; /* tasks in each dt_task_state_t */
    uint64_t submitted;               /* tasks ever accepted */
    uint64_t retried;                 /* dispatches beyond a task's first */
    uint64_t cold;                    /* QUEUED tasks that are only in the store */
    uint64_t later;                   /* DELAYED tasks that are only in the store */
    uint64_t duplicates;              /* results for tasks already final */
    uint64_t late;                    /* results from a connection holding no lease for them */
    uint64_t invalid;                 /* messages and result items breaking the protocol */
} dt_life_counts_t;

/* Results that move no task, for dt_life_count. */
typedef enum {
    DT_LIFE_DUPLICATE,
    DT_LIFE_LATE,
    DT_LIFE_INVALID,
} dt_life_tally_t;

/* The rule of `event` (a valid event). */
const dt_life_rule_t *dt_life_rule (dt_life_event_t event);

/* True when `event` may happen in `state`. */
int dt_life_allowed (dt_life_event_t event, dt_task_state_t state);

/* The table, by event (dt_life.c). */
extern const dt_life_rule_t dt_life_rules[DT_LIFE_NEVENTS];

/* Applies `event` to a task of `job` in *state (a task record's state, or
 * a local for a task only in the store), whose attempts, after the step
 * for a LEASE, are `attempts`: moves *state and the counters of `counts`
 * and `job` as the table says. Returns the rule (its `write` is the store
 * write the caller owes), or NULL when the event is not allowed in that
 * state (nothing changed). Inline: every task takes three steps or more,
 * on the master's hottest path. */
static inline const dt_life_rule_t *dt_life_step (dt_life_counts_t *counts, dt_job_t *job,
                                                  uint8_t *state, dt_life_event_t event,
                                                  uint32_t attempts)
{
    const dt_life_rule_t *rule = &dt_life_rules[event];
    uint8_t from = *state;
    if (event >= DT_LIFE_NEVENTS || from >= DT_TASK_NSTATES || !(rule->from & (1u << from)))
        return NULL;
    if (from != DT_TASK_NONE) {
        assert (counts->states[from] > 0 && job->states[from] > 0);
        counts->states[from]--;
        job->states[from]--;
    }
    counts->states[rule->to]++;
    job->states[rule->to]++;
    if (rule->counts) {
        if (rule->counts & DT_LIFE_COUNT_SUBMITTED) {
            counts->submitted++;
            job->total++;
        }
        if ((rule->counts & DT_LIFE_COUNT_RETRIED) && attempts > 1) {
            counts->retried++;
            job->retried++;
        }
        if (rule->counts & DT_LIFE_COUNT_COLD_IN)
            counts->cold++;
        if (rule->counts & DT_LIFE_COUNT_COLD_OUT) {
            assert (counts->cold > 0);
            counts->cold--;
        }
        if (rule->counts & DT_LIFE_COUNT_LATER_IN)
            counts->later++;
        if (rule->counts & DT_LIFE_COUNT_LATER_OUT) {
            assert (counts->later > 0);
            counts->later--;
        }
    }
    *state = rule->to;
    return rule;
}

/* Counts a result that moved no task, for the master and for `job` (the
 * job of the task it names; NULL when that is not known). */
void dt_life_count (dt_life_counts_t *counts, dt_job_t *job, dt_life_tally_t tally);

/* Recovery: the tasks of jobs that left memory, counted from the store's
 * jobs table (`submitted` accepted, `done` and `failed` final), join the
 * master-wide counters without a step each. */
void dt_life_count_retired (dt_life_counts_t *counts, uint64_t submitted, uint64_t done,
                            uint64_t failed);

/* PURGE: the final tasks of a job that is purged (`submitted` accepted,
 * `done` and `failed` final: all of them) leave the master-wide counters. */
void dt_life_count_purged (dt_life_counts_t *counts, uint64_t submitted, uint64_t done,
                           uint64_t failed);

/* Recovery repair: `n` tasks counted as only in the store were not there
 * (a store written by a master with a bug); they stop being counted. */
void dt_life_cold_lost (dt_life_counts_t *counts, uint64_t n);

/* Unfinished tasks: queued, leased or waiting for a retry. */
static inline uint64_t dt_life_unfinished (const uint64_t *states)
{
    return states[DT_TASK_QUEUED] + states[DT_TASK_INFLIGHT] + states[DT_TASK_DELAYED];
}

#endif
