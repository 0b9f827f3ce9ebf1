/* dt_life.c - one task's life: the table of its states and transitions, and the counters. */
#include "dt_life.h"

#include <assert.h>
#include <stddef.h>

#define S_BIT(state) (uint8_t) (1u << (state))
#define S_NONE       S_BIT (DT_TASK_NONE)
#define S_QUEUED     S_BIT (DT_TASK_QUEUED)
#define S_INFLIGHT   S_BIT (DT_TASK_INFLIGHT)
#define S_DELAYED    S_BIT (DT_TASK_DELAYED)
#define S_FAILED     S_BIT (DT_TASK_FAILED)

/* The table dt_life.h draws. A cold task is QUEUED like any other; the
 * COLD counts say it is only in the store. */
const dt_life_rule_t dt_life_rules[DT_LIFE_NEVENTS] = {
    [DT_LIFE_SUBMIT] = {"SUBMIT", S_NONE, DT_TASK_QUEUED, DT_LIFE_WRITE_ADD_TASK,
                        DT_LIFE_COUNT_SUBMITTED},
    [DT_LIFE_SUBMIT_COLD] = {"SUBMIT_COLD", S_NONE, DT_TASK_QUEUED, DT_LIFE_WRITE_ADD_TASK,
                             DT_LIFE_COUNT_SUBMITTED | DT_LIFE_COUNT_COLD_IN},
    [DT_LIFE_RECOVER] = {"RECOVER", S_NONE, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE,
                         DT_LIFE_COUNT_SUBMITTED},
    [DT_LIFE_RECOVER_COLD] = {"RECOVER_COLD", S_NONE, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE,
                              DT_LIFE_COUNT_SUBMITTED | DT_LIFE_COUNT_COLD_IN},
    [DT_LIFE_RECOVER_DONE] = {"RECOVER_DONE", S_NONE, DT_TASK_DONE, DT_LIFE_WRITE_NONE,
                              DT_LIFE_COUNT_SUBMITTED},
    [DT_LIFE_RECOVER_FAILED] = {"RECOVER_FAILED", S_NONE, DT_TASK_FAILED, DT_LIFE_WRITE_NONE,
                                DT_LIFE_COUNT_SUBMITTED},
    [DT_LIFE_WARM] = {"WARM", S_QUEUED, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE, DT_LIFE_COUNT_COLD_OUT},
    [DT_LIFE_TAKE] = {"TAKE", S_QUEUED, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE, 0},
    [DT_LIFE_UNTAKE] = {"UNTAKE", S_QUEUED, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE, 0},
    [DT_LIFE_LEASE] = {"LEASE", S_QUEUED, DT_TASK_INFLIGHT, DT_LIFE_WRITE_NONE,
                       DT_LIFE_COUNT_RETRIED},
    [DT_LIFE_RESULT_DONE] = {"RESULT_DONE", S_INFLIGHT, DT_TASK_DONE, DT_LIFE_WRITE_FINISH, 0},
    [DT_LIFE_RESULT_FAIL] = {"RESULT_FAIL", S_INFLIGHT, DT_TASK_FAILED, DT_LIFE_WRITE_FINISH, 0},
    [DT_LIFE_RESULT_RETRY] = {"RESULT_RETRY", S_INFLIGHT, DT_TASK_DELAYED, DT_LIFE_WRITE_ATTEMPTS,
                              0},
    [DT_LIFE_LEASE_LOST] = {"LEASE_LOST", S_INFLIGHT, DT_TASK_QUEUED, DT_LIFE_WRITE_ATTEMPTS, 0},
    [DT_LIFE_LEASE_LOST_LAST] = {"LEASE_LOST_LAST", S_INFLIGHT, DT_TASK_FAILED,
                                 DT_LIFE_WRITE_FINISH, 0},
    [DT_LIFE_DUE] = {"DUE", S_DELAYED, DT_TASK_QUEUED, DT_LIFE_WRITE_NONE, 0},
    [DT_LIFE_CANCEL] = {"CANCEL", S_QUEUED | S_INFLIGHT | S_DELAYED, DT_TASK_FAILED,
                        DT_LIFE_WRITE_FINISH, 0},
    [DT_LIFE_REQUEUE] = {"REQUEUE", S_FAILED, DT_TASK_QUEUED, DT_LIFE_WRITE_REOPEN, 0},
    [DT_LIFE_REQUEUE_COLD] = {"REQUEUE_COLD", S_FAILED, DT_TASK_QUEUED, DT_LIFE_WRITE_REOPEN,
                              DT_LIFE_COUNT_COLD_IN},
    [DT_LIFE_DELAY] = {"DELAY", S_QUEUED, DT_TASK_DELAYED, DT_LIFE_WRITE_NONE, 0},
    [DT_LIFE_SUBMIT_LATER] = {"SUBMIT_LATER", S_NONE, DT_TASK_DELAYED, DT_LIFE_WRITE_ADD_TASK,
                              DT_LIFE_COUNT_SUBMITTED | DT_LIFE_COUNT_LATER_IN},
    [DT_LIFE_RECOVER_LATER] = {"RECOVER_LATER", S_NONE, DT_TASK_DELAYED, DT_LIFE_WRITE_NONE,
                               DT_LIFE_COUNT_SUBMITTED | DT_LIFE_COUNT_LATER_IN},
    [DT_LIFE_WAKE] = {"WAKE", S_DELAYED, DT_TASK_DELAYED, DT_LIFE_WRITE_NONE,
                      DT_LIFE_COUNT_LATER_OUT},
    [DT_LIFE_REFUSE] = {"REFUSE", S_QUEUED, DT_TASK_FAILED, DT_LIFE_WRITE_FINISH, 0},
};

const dt_life_rule_t *dt_life_rule (dt_life_event_t event)
{
    assert (event < DT_LIFE_NEVENTS);
    return &dt_life_rules[event];
}

int dt_life_allowed (dt_life_event_t event, dt_task_state_t state)
{
    return event < DT_LIFE_NEVENTS && state < DT_TASK_NSTATES &&
           (dt_life_rules[event].from & S_BIT (state)) != 0;
}

void dt_life_count (dt_life_counts_t *counts, dt_job_t *job, dt_life_tally_t tally)
{
    switch (tally) {
    case DT_LIFE_DUPLICATE:
        counts->duplicates++;
        if (job)
            job->duplicates++;
        break;
    case DT_LIFE_LATE:
        counts->late++;
        if (job)
            job->late++;
        break;
    case DT_LIFE_INVALID:
        counts->invalid++;
        break;
    }
}

void dt_life_count_retired (dt_life_counts_t *counts, uint64_t submitted, uint64_t done,
                            uint64_t failed)
{
    counts->submitted += submitted;
    counts->states[DT_TASK_DONE] += done;
    counts->states[DT_TASK_FAILED] += failed;
}

void dt_life_count_purged (dt_life_counts_t *counts, uint64_t submitted, uint64_t done,
                           uint64_t failed)
{
    assert (counts->submitted >= submitted && counts->states[DT_TASK_DONE] >= done &&
            counts->states[DT_TASK_FAILED] >= failed);
    counts->submitted -= submitted;
    counts->states[DT_TASK_DONE] -= done;
    counts->states[DT_TASK_FAILED] -= failed;
}

void dt_life_cold_lost (dt_life_counts_t *counts, uint64_t n)
{
    counts->cold = n > counts->cold ? 0 : counts->cold - n;
}
