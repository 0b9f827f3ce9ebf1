/* test_life.c - a task's life table: every legal transition moves the counters as the table says,
 * every illegal one is refused and changes nothing. */
#include "dt_life.h"
#include "dt_test.h"

#include <stdio.h>
#include <string.h>

enum {
    N = DT_TASK_NONE,
    Q = DT_TASK_QUEUED,
    I = DT_TASK_INFLIGHT,
    D = DT_TASK_DELAYED,
    OK = DT_TASK_DONE,
    F = DT_TASK_FAILED,
    X = 0xff /* refused */
};

/* The life the master is meant to have, written out independently of the
 * table: expected[event][from] is the next state, or X. */
static const uint8_t s_expected[DT_LIFE_NEVENTS][DT_TASK_NSTATES] = {
    /*                          NONE QUEUED INFLIGHT DELAYED DONE FAILED */
    [DT_LIFE_SUBMIT] = {Q, X, X, X, X, X},
    [DT_LIFE_SUBMIT_COLD] = {Q, X, X, X, X, X},
    [DT_LIFE_RECOVER] = {Q, X, X, X, X, X},
    [DT_LIFE_RECOVER_COLD] = {Q, X, X, X, X, X},
    [DT_LIFE_RECOVER_DONE] = {OK, X, X, X, X, X},
    [DT_LIFE_RECOVER_FAILED] = {F, X, X, X, X, X},
    [DT_LIFE_WARM] = {X, Q, X, X, X, X},
    [DT_LIFE_TAKE] = {X, Q, X, X, X, X},
    [DT_LIFE_UNTAKE] = {X, Q, X, X, X, X},
    [DT_LIFE_LEASE] = {X, I, X, X, X, X},
    [DT_LIFE_RESULT_DONE] = {X, X, OK, X, X, X},
    [DT_LIFE_RESULT_FAIL] = {X, X, F, X, X, X},
    [DT_LIFE_RESULT_RETRY] = {X, X, D, X, X, X},
    [DT_LIFE_LEASE_LOST] = {X, X, Q, X, X, X},
    [DT_LIFE_LEASE_LOST_LAST] = {X, X, F, X, X, X},
    [DT_LIFE_DUE] = {X, X, X, Q, X, X},
    [DT_LIFE_CANCEL] = {X, F, F, F, X, X},
    [DT_LIFE_REQUEUE] = {X, X, X, X, X, Q},
    [DT_LIFE_REQUEUE_COLD] = {X, X, X, X, X, Q},
    [DT_LIFE_DELAY] = {X, D, X, X, X, X},
    [DT_LIFE_SUBMIT_LATER] = {D, X, X, X, X, X},
    [DT_LIFE_RECOVER_LATER] = {D, X, X, X, X, X},
    [DT_LIFE_WAKE] = {X, X, X, D, X, X},
    [DT_LIFE_REFUSE] = {X, F, X, X, X, X},
};

/* Counters with one task of `job` in `state` (none for DT_TASK_NONE),
 * and some cold ones so a WARM has one to take (and later ones for WAKE). */
static void s_setup (dt_life_counts_t *counts, dt_job_t *job, uint8_t state)
{
    memset (counts, 0, sizeof *counts);
    memset (job, 0, sizeof *job);
    counts->cold = 5;
    counts->later = 5;
    counts->states[Q] = job->states[Q] = 5;
    if (state != N) {
        counts->states[state]++;
        job->states[state]++;
    }
}

static void test_every_transition_of_the_table_moves_the_counters_it_names (void)
{
    for (int e = 0; e < DT_LIFE_NEVENTS; e++) {
        const dt_life_rule_t *rule = dt_life_rule ((dt_life_event_t) e);
        DT_CHECK (rule->name && rule->name[0]);
        for (uint8_t from = 0; from < DT_TASK_NSTATES; from++) {
            dt_life_counts_t counts, before;
            dt_job_t job, job_before;
            s_setup (&counts, &job, from);
            before = counts;
            job_before = job;
            uint8_t state = from;
            const dt_life_rule_t *got =
                dt_life_step (&counts, &job, &state, (dt_life_event_t) e, 2);
            if (s_expected[e][from] == X) {
                if (got)
                    fprintf (stderr, "    %s from %u should be refused\n", rule->name, from);
                DT_CHECK (got == NULL);
                DT_CHECK (!dt_life_allowed ((dt_life_event_t) e, (dt_task_state_t) from));
                DT_CHECK_EQ (state, from);
                DT_CHECK (memcmp (&counts, &before, sizeof counts) == 0);
                DT_CHECK (memcmp (&job, &job_before, sizeof job) == 0);
                continue;
            }
            if (!got)
                fprintf (stderr, "    %s from %u should be allowed\n", rule->name, from);
            DT_CHECK (got == rule);
            DT_CHECK_EQ (state, s_expected[e][from]);
            DT_CHECK_EQ (rule->to, state);
            /* The task left `from` and is counted in its new state, for the
             * master and for its job alike. */
            for (uint8_t s = 0; s < DT_TASK_NSTATES; s++) {
                int64_t want = (int64_t) before.states[s] - (s == from && from != N) + (s == state);
                DT_CHECK_EQ ((int64_t) counts.states[s], want);
                DT_CHECK_EQ ((int64_t) job.states[s], (int64_t) job_before.states[s] -
                                                          (s == from && from != N) + (s == state));
            }
            int submitted = (rule->counts & DT_LIFE_COUNT_SUBMITTED) != 0;
            DT_CHECK_EQ (counts.submitted, before.submitted + submitted);
            DT_CHECK_EQ (job.total, job_before.total + submitted);
            DT_CHECK_EQ (counts.retried,
                         before.retried + ((rule->counts & DT_LIFE_COUNT_RETRIED) != 0));
            int64_t cold = (rule->counts & DT_LIFE_COUNT_COLD_IN ? 1 : 0) -
                           (rule->counts & DT_LIFE_COUNT_COLD_OUT ? 1 : 0);
            DT_CHECK_EQ ((int64_t) counts.cold, (int64_t) before.cold + cold);
            int64_t later = (rule->counts & DT_LIFE_COUNT_LATER_IN ? 1 : 0) -
                            (rule->counts & DT_LIFE_COUNT_LATER_OUT ? 1 : 0);
            DT_CHECK_EQ ((int64_t) counts.later, (int64_t) before.later + later);
            DT_CHECK_EQ (counts.duplicates + counts.late + counts.invalid, 0);
        }
    }
}

static void test_the_store_writes_of_the_life (void)
{
    /* A new task is written; a final one has its result written; a lease
     * that ends without one records the attempts; REQUEUE reopens. */
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_SUBMIT)->write, DT_LIFE_WRITE_ADD_TASK);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_RESULT_DONE)->write, DT_LIFE_WRITE_FINISH);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_RESULT_FAIL)->write, DT_LIFE_WRITE_FINISH);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_LEASE_LOST_LAST)->write, DT_LIFE_WRITE_FINISH);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_CANCEL)->write, DT_LIFE_WRITE_FINISH);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_RESULT_RETRY)->write, DT_LIFE_WRITE_ATTEMPTS);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_LEASE_LOST)->write, DT_LIFE_WRITE_ATTEMPTS);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_REQUEUE)->write, DT_LIFE_WRITE_REOPEN);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_REQUEUE_COLD)->write, DT_LIFE_WRITE_REOPEN);
    /* Recovery reads the store, it writes nothing. */
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_RECOVER)->write, DT_LIFE_WRITE_NONE);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_RECOVER_DONE)->write, DT_LIFE_WRITE_NONE);
    DT_CHECK_EQ (dt_life_rule (DT_LIFE_LEASE)->write, DT_LIFE_WRITE_NONE);
}

static void test_a_first_lease_is_not_a_retry (void)
{
    dt_life_counts_t counts;
    dt_job_t job;
    s_setup (&counts, &job, Q);
    uint8_t state = Q;
    DT_CHECK (dt_life_step (&counts, &job, &state, DT_LIFE_LEASE, 1));
    DT_CHECK_EQ (counts.retried, 0);
    DT_CHECK (dt_life_step (&counts, &job, &state, DT_LIFE_LEASE_LOST, 1));
    DT_CHECK (dt_life_step (&counts, &job, &state, DT_LIFE_LEASE, 2));
    DT_CHECK_EQ (counts.retried, 1);
    DT_CHECK_EQ (job.retried, 1);
}

static void test_results_that_move_no_task_are_tallied_apart (void)
{
    dt_life_counts_t counts;
    dt_job_t job;
    memset (&counts, 0, sizeof counts);
    memset (&job, 0, sizeof job);
    dt_life_count (&counts, &job, DT_LIFE_DUPLICATE);
    dt_life_count (&counts, &job, DT_LIFE_LATE);
    dt_life_count (&counts, &job, DT_LIFE_LATE);
    dt_life_count (&counts, &job, DT_LIFE_INVALID);
    DT_CHECK (counts.duplicates == 1 && counts.late == 2 && counts.invalid == 1);
    /* The job's own: the same results, invalid ones excepted (they name no job). */
    DT_CHECK (job.duplicates == 1 && job.late == 2);
    dt_life_count (&counts, NULL, DT_LIFE_LATE);
    DT_CHECK (counts.late == 3 && job.late == 2);
    for (int s = 0; s < DT_TASK_NSTATES; s++)
        DT_CHECK_EQ (counts.states[s], 0);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"every transition of the table moves the counters it names",
         test_every_transition_of_the_table_moves_the_counters_it_names},
        {"the store writes of the life", test_the_store_writes_of_the_life},
        {"a first lease is not a retry", test_a_first_lease_is_not_a_retry},
        {"results that move no task are tallied apart",
         test_results_that_move_no_task_are_tallied_apart},
        {0},
    };
    return dt_test_run (tests);
}
