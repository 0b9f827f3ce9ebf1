/* test_steps.c - the list of long operations under way (dt_steps): order, caps per kind,
 * lookup by kind and job, and the numbers a restart keeps. */
#include "dt_steps.h"
#include "dt_store_steps.h"
#include "dt_test.h"

#include <stdlib.h>

static void test_operations_come_oldest_first_per_kind (void)
{
    dt_steps_t *steps = dt_steps_new ();
    DT_CHECK (steps);
    DT_CHECK (dt_steps_add (steps, DT_STEPS_PURGE, dt_str ("p1"), 0, 4));
    DT_CHECK (dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("c1"), 0, 4));
    DT_CHECK (dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("c2"), 0, 4));
    DT_CHECK (dt_steps_add (steps, DT_STEPS_REQUEUE, dt_str (""), 0, 4));
    DT_CHECK_EQ (dt_steps_count (steps, 0), 4);
    DT_CHECK_EQ (dt_steps_count (steps, DT_STEPS_CANCEL), 2);
    dt_steps_op_t *op = dt_steps_first (steps, DT_STEPS_CANCEL);
    DT_CHECK (op && op->job_len == 2 && memcmp (op->job, "c1", 2) == 0);
    DT_CHECK_EQ (op->added, 2);
    dt_steps_remove (steps, op);
    op = dt_steps_first (steps, DT_STEPS_CANCEL);
    DT_CHECK (op && memcmp (op->job, "c2", 2) == 0);
    DT_CHECK_EQ (op->added, 3);
    /* Every job (REQUEUE of "") is a job of its own. */
    DT_CHECK (dt_steps_find (steps, DT_STEPS_REQUEUE, dt_str ("")));
    DT_CHECK (!dt_steps_find (steps, DT_STEPS_REQUEUE, dt_str ("p1")));
    DT_CHECK (dt_steps_find (steps, DT_STEPS_PURGE, dt_str ("p1")));
    DT_CHECK (!dt_steps_find (steps, DT_STEPS_PURGE, dt_str ("p")));
    DT_CHECK_EQ (dt_steps_next_added (steps), 5);
    dt_steps_destroy (&steps);
    DT_CHECK (!steps);
    dt_steps_destroy (&steps);
}

/* DT_LIMIT_CANCELS_MAX, DT_LIMIT_REQUEUES_MAX and DT_JOBS_PURGES_MAX are
 * each a kind's cap: at the cap the next of that kind is refused, and the
 * other kinds are not. */
static void test_each_kind_is_refused_at_its_cap_and_not_beyond (void)
{
    dt_steps_t *steps = dt_steps_new ();
    DT_CHECK (steps);
    char name[16];
    for (int i = 0; i < DT_LIMIT_CANCELS_MAX; i++) {
        snprintf (name, sizeof name, "j%d", i);
        DT_CHECK (dt_steps_add (steps, DT_STEPS_CANCEL, dt_str (name), 0, DT_LIMIT_CANCELS_MAX));
    }
    DT_CHECK (!dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("over"), 0, DT_LIMIT_CANCELS_MAX));
    DT_CHECK_EQ (dt_steps_count (steps, DT_STEPS_CANCEL), DT_LIMIT_CANCELS_MAX);
    DT_CHECK (dt_steps_add (steps, DT_STEPS_REQUEUE, dt_str ("j1"), 0, DT_LIMIT_REQUEUES_MAX));
    /* One ends: the next fits again. */
    dt_steps_remove (steps, dt_steps_find (steps, DT_STEPS_CANCEL, dt_str ("j7")));
    DT_CHECK (dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("over"), 0, DT_LIMIT_CANCELS_MAX));
    /* A name over DT_LIMIT_JOB_MAX cannot be kept. */
    char longname[DT_LIMIT_JOB_MAX + 1];
    memset (longname, 'x', sizeof longname);
    DT_CHECK (!dt_steps_add (steps, DT_STEPS_PURGE, dt_str_n (longname, sizeof longname), 0, 8));
    DT_CHECK (dt_steps_add (steps, DT_STEPS_PURGE, dt_str_n (longname, DT_LIMIT_JOB_MAX), 0, 8));
    DT_CHECK (!dt_steps_add (steps, 0, dt_str ("bad kind"), 0, 8));
    DT_CHECK (!dt_steps_add (steps, DT_STEPS_KINDS, dt_str ("bad kind"), 0, 8));
    dt_steps_destroy (&steps);
}

/* An operation read back from the store keeps its number; the next new
 * one comes after the highest. */
static void test_a_number_read_back_is_kept_and_new_ones_follow_it (void)
{
    dt_steps_t *steps = dt_steps_new ();
    DT_CHECK (steps);
    dt_steps_op_t *op = dt_steps_add (steps, DT_STEPS_REQUEUE, dt_str ("a"), 41, 8);
    DT_CHECK (op && op->added == 41);
    op = dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("b"), 7, 8);
    DT_CHECK (op && op->added == 7);
    op = dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("c"), 0, 8);
    DT_CHECK (op && op->added == 42);
    dt_steps_destroy (&steps);
}

typedef struct {
    dt_steps_op_t ops[8];
    int n;
} s_loaded_t;

static int s_collect (void *arg, const dt_steps_op_t *op)
{
    s_loaded_t *loaded = arg;
    if (loaded->n < 8)
        loaded->ops[loaded->n++] = *op;
    return 0;
}

/* The store keeps each operation by kind and job, rewritten in place, and
 * gives them back oldest first; an ended one is gone. */
static void test_the_store_keeps_operations_until_they_end (void)
{
    char dir[] = "/tmp/dtask-steps-store-XXXXXX", err[256];
    DT_CHECK (mkdtemp (dir));
    dt_store_t *store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    dt_steps_t *steps = dt_steps_new ();
    DT_CHECK (steps);
    dt_steps_op_t *op = dt_steps_add (steps, DT_STEPS_REQUEUE, dt_str (""), 0, 8);
    op->next = 10;
    op->last = 99;
    op->flags = DT_REQUEUE_CANCELLED;
    DT_CHECK_EQ (dt_store_steps_put (store, op), 0);
    op = dt_steps_add (steps, DT_STEPS_CANCEL, dt_str ("c"), 0, 8);
    op->last = 7;
    DT_CHECK_EQ (dt_store_steps_put (store, op), 0);
    op->next = 5; /* a step went on: the row is rewritten */
    DT_CHECK_EQ (dt_store_steps_put (store, op), 0);
    op = dt_steps_add (steps, DT_STEPS_PURGE, dt_str ("p"), 0, 8);
    DT_CHECK_EQ (dt_store_steps_put (store, op), 0);
    DT_CHECK_EQ (dt_store_steps_drop (store, op), 0);
    DT_CHECK_EQ (dt_store_commit (store), 0);
    dt_store_destroy (&store);
    store = dt_store_open (dir, err, sizeof err);
    DT_CHECK (store);
    s_loaded_t loaded = {.n = 0};
    DT_CHECK_EQ (dt_store_steps_load (store, s_collect, &loaded), 0);
    dt_store_destroy (&store);
    dt_steps_destroy (&steps);
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    DT_CHECK_EQ (system (cmd), 0);
    DT_CHECK_EQ (loaded.n, 2);
    DT_CHECK_EQ (loaded.ops[0].kind, DT_STEPS_REQUEUE);
    DT_CHECK_EQ (loaded.ops[0].job_len, 0);
    DT_CHECK_EQ (loaded.ops[0].added, 1);
    DT_CHECK_EQ (loaded.ops[0].next, 10);
    DT_CHECK_EQ (loaded.ops[0].last, 99);
    DT_CHECK_EQ (loaded.ops[0].flags, DT_REQUEUE_CANCELLED);
    DT_CHECK_EQ (loaded.ops[1].kind, DT_STEPS_CANCEL);
    DT_CHECK (loaded.ops[1].job_len == 1 && loaded.ops[1].job[0] == 'c');
    DT_CHECK_EQ (loaded.ops[1].next, 5);
    DT_CHECK_EQ (loaded.ops[1].last, 7);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"operations come oldest first per kind", test_operations_come_oldest_first_per_kind},
        {"each kind is refused at its cap and not beyond",
         test_each_kind_is_refused_at_its_cap_and_not_beyond},
        {"a number read back is kept and new ones follow it",
         test_a_number_read_back_is_kept_and_new_ones_follow_it},
        {"the store keeps operations until they end",
         test_the_store_keeps_operations_until_they_end},
        {0},
    };
    return dt_test_run (tests);
}
