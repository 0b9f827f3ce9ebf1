/* dt_state_due.c - tasks that wait for their not-before time: with a store, only the next due
 * ones in memory, the rest read back from the store's index of due times as their time nears. */
#include "dt_state_priv.h"
#include "dt_log.h"
#include "dt_spec.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A task waiting for its time is one of three:
 *  - in memory, DELAYED, with an entry in `timed` (keyed by wall-clock ms):
 *    without a store every one is; with one, those read back (WAKE), and
 *    those met when already in memory (a REQUEUE'd task, at its take);
 *  - only in the store (`later`), with a row in task_due (dt_store_due.h);
 *  - due: DUE queued it in its level's `soon` queue, taken before the rest.
 * The store's rows are read in (due, id) order from a cursor: every row
 * at or before it was read (its task is in memory, or finished and its row
 * gone), every task counted `later` has its row after it. A SUBMIT of
 * tasks due before the cursor moves it back to them. */

uint64_t dt_state_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void dt_state_due_hold (dt_state_t *self, dt_task_t *task, uint64_t not_before)
{
    task->gen++;
    dt_state_step (self, task, DT_LIFE_DELAY);
    if (dt_queue_delay (self->timed, (int64_t) not_before, task->id, task->gen) != 0)
        dt_state_fail (self, "out of memory delaying a task");
}

/* Moves the cursor back before (due, id) when it is past it. */
static void s_rewind (dt_state_t *self, uint64_t due, uint64_t id)
{
    if (due < self->due_after || (due == self->due_after && id <= self->due_after_id)) {
        self->due_after = due;
        self->due_after_id = id - 1;
    }
    if (due < self->due_next)
        self->due_next = due;
}

/* Counts `n` more (or fewer) `later` tasks of kind number `kind`. */
static void s_count_kind (dt_state_t *self, int kind, int64_t n)
{
    if (kind >= 0 && kind < DT_LIMIT_KINDS_MAX)
        self->later_kind[kind] += (uint64_t) n;
}

/* The kind number of task spec `spec`, -1 when not known. */
static int s_kind_of (dt_state_t *self, dt_str_t spec)
{
    dt_str_t kind, payload;
    dt_spec_split (spec.ptr, spec.len, &kind, &payload, NULL);
    return dt_kinds_find (self->kinds, kind);
}

void dt_state_due_kind_counts (const dt_state_t *self, uint64_t (*counts)[3])
{
    for (int k = 0; k < dt_kinds_count (self->kinds); k++)
        counts[k][2] += self->later_kind[k];
}

void dt_state_due_submitted (dt_state_t *self, dt_job_t *job, int kind, uint64_t first,
                             uint32_t count, uint64_t not_before)
{
    for (uint32_t i = 0; i < count; i++)
        dt_state_step_cold (self, job, DT_TASK_NONE, DT_LIFE_SUBMIT_LATER);
    s_count_kind (self, kind, count);
    dt_state_check (self, dt_store_due_add (self->due, first, count, not_before));
    s_rewind (self, not_before, first);
}

void dt_state_due_load_begin (dt_state_t *self)
{
    /* What recovery finds due by now is queued as any task; the rest is
     * `later`. The cursor starts past every row due by now, which are
     * rows of tasks queued (or finished, their row left by a master that
     * stopped first), never read. */
    self->due_loaded = dt_state_wall_ms ();
    self->due_after = self->due_loaded;
    self->due_after_id = UINT64_MAX;
    self->due_next = self->due_loaded + 1;
}

int dt_state_due_recover (dt_state_t *self, dt_job_t *job, int kind, uint64_t id,
                          uint64_t not_before)
{
    if (!self->due || not_before <= self->due_loaded)
        return 0;
    /* A task REQUEUE'd since its row went has none: it gets it back. */
    dt_state_check (self, dt_store_due_add (self->due, id, 1, not_before));
    dt_state_step_cold (self, job, DT_TASK_NONE, DT_LIFE_RECOVER_LATER);
    s_count_kind (self, kind, 1);
    return 1;
}

void dt_state_due_finished (dt_state_t *self, dt_task_t *task)
{
    if (!self->due || !(task->meta & DT_TASK_OPTS))
        return;
    dt_str_t kind, payload;
    dt_spec_opts_t opts;
    dt_spec_split (task->url, task->url_len, &kind, &payload, &opts);
    if (opts.not_before)
        dt_state_check (self, dt_store_due_del (self->due, task->id));
}

typedef struct {
    dt_state_t *state;
    uint64_t upto; /* rows due after this are left for later */
    uint32_t rows; /* rows read */
    int stopped;   /* a row due after `upto` ended the read */
    uint64_t *ids; /* CANCEL: the tasks brought into memory */
    size_t nids, ids_capacity;
} s_wake_t;

/* True when `id` is a task counted `later`: not in memory, not cold. A
 * row of a task in memory is one read before, or of a task REQUEUE'd. */
static int s_is_later (dt_state_t *self, uint64_t id)
{
    return !dt_tasks_get (self->tasks, id) && !dt_coldq_has (self->cold, id);
}

/* Brings task `id` into memory, DELAYED as it was counted. */
static dt_task_t *s_wake_task (dt_state_t *self, uint64_t id, dt_str_t job_name, dt_str_t url,
                               uint32_t attempts)
{
    dt_job_t *job = dt_jobs_find (self->jobs, job_name);
    dt_task_t *task = job ? dt_tasks_add (self->tasks, id, job->index, url.ptr, url.len) : NULL;
    if (!task) {
        dt_state_fail (self,
                       job ? "out of memory reading delayed tasks" : "task of an unknown job");
        return NULL;
    }
    task->attempts = attempts;
    /* Not a change of state: the record is new, its task DELAYED (counted
     * so while in the store) all along; WAKE moves the `later` count. */
    task->state = DT_TASK_DELAYED;
    dt_state_step (self, task, DT_LIFE_WAKE);
    s_count_kind (self, s_kind_of (self, url), -1);
    return task;
}

static int s_wake_row (void *arg, uint64_t due, uint64_t id, dt_str_t job, dt_str_t url,
                       uint32_t attempts)
{
    s_wake_t *wake = arg;
    dt_state_t *self = wake->state;
    if (due > wake->upto) {
        self->due_next = due;
        wake->stopped = 1;
        return 1;
    }
    self->due_after = due;
    self->due_after_id = id;
    self->due_next = due; /* the next row is due no earlier */
    wake->rows++;
    if (!s_is_later (self, id))
        return 0;
    dt_task_t *task = s_wake_task (self, id, job, url, attempts);
    if (!task)
        return -1;
    task->gen++;
    if (dt_queue_delay (self->timed, (int64_t) due, task->id, task->gen) != 0) {
        dt_state_fail (self, "out of memory delaying a task");
        return -1;
    }
    return 0;
}

/* When the store's rows should next be read (wall ms), UINT64_MAX when
 * not. Rows due within DT_STATE_DUE_AHEAD_MS come in while fewer than a
 * window of tasks wait in memory; past that only overdue ones, so memory
 * holds about a window of them. Nothing comes while the queue in memory
 * is at its cap (workers take nothing): a take runs the loop again. */
static uint64_t s_read_at (const dt_state_t *self)
{
    if (!self->due || self->counts.later == 0 ||
        dt_state_hot_queued (self) >= DT_STATE_PARKED_WINDOWS * self->window)
        return UINT64_MAX;
    if (dt_queue_delayed (self->timed) >= self->window)
        return self->due_next;
    return self->due_next > DT_STATE_DUE_AHEAD_MS ? self->due_next - DT_STATE_DUE_AHEAD_MS : 0;
}

/* Reads the next due rows from the store when their time nears. */
static void s_read (dt_state_t *self, uint64_t wall)
{
    if (s_read_at (self) > wall)
        return;
    size_t held = dt_queue_delayed (self->timed);
    s_wake_t wake = {.state = self,
                     .upto = held < self->window ? wall + DT_STATE_DUE_AHEAD_MS : wall};
    uint32_t limit = held < self->window && self->window - held < DT_STATE_DUE_READ
                         ? (uint32_t) (self->window - held)
                         : DT_STATE_DUE_READ;
    if (dt_store_due_next (self->due, self->due_after, self->due_after_id, limit, s_wake_row,
                           &wake) != 0) {
        dt_state_fail (self, "reading delayed tasks from the store failed");
        return;
    }
    if (!wake.stopped && wake.rows < limit)
        self->due_next = UINT64_MAX; /* read to the end */
}

void dt_state_due_promote (dt_state_t *self)
{
    uint64_t wall = dt_state_wall_ms ();
    s_read (self, wall);
    /* Each due task joins its level's `soon` queue, in due order: a take
     * looks there before the level's queue. */
    uint64_t id;
    uint32_t gen;
    while (dt_queue_pop_due (self->timed, (int64_t) wall, &id, &gen) == 0) {
        dt_task_t *task = dt_tasks_get (self->tasks, id);
        if (!task || task->state != DT_TASK_DELAYED || task->gen != gen)
            continue;
        task->gen++;
        dt_state_step (self, task, DT_LIFE_DUE);
        if (dt_queue_push_back (dt_state_soon_of (self, task), task->id, task->gen) != 0)
            dt_state_fail (self, "out of memory queueing a task");
    }
}

int64_t dt_state_due_next (const dt_state_t *self, int64_t mono)
{
    uint64_t wall = dt_state_wall_ms (), at = s_read_at (self);
    int64_t timed = dt_queue_next_due (self->timed);
    if (timed != INT64_MAX && (uint64_t) timed < at)
        at = (uint64_t) timed;
    if (at == UINT64_MAX)
        return INT64_MAX;
    return at <= wall ? mono : mono + (int64_t) (at - wall);
}

static int s_cancel_row (void *arg, uint64_t due, uint64_t id, dt_str_t job, dt_str_t url,
                         uint32_t attempts)
{
    (void) due;
    s_wake_t *wake = arg;
    dt_state_t *self = wake->state;
    if (!s_is_later (self, id))
        return 0;
    if (wake->nids == wake->ids_capacity) {
        size_t capacity = wake->ids_capacity ? wake->ids_capacity * 2 : 1024;
        uint64_t *ids = realloc (wake->ids, capacity * sizeof *ids);
        if (!ids) {
            dt_state_fail (self, "out of memory cancelling tasks");
            return -1;
        }
        wake->ids = ids;
        wake->ids_capacity = capacity;
    }
    if (!s_wake_task (self, id, job, url, attempts))
        return -1;
    wake->ids[wake->nids++] = id;
    return 0;
}

void dt_state_due_cancel (dt_state_t *self, const dt_job_t *job, uint64_t *count, int64_t now)
{
    /* Read first, finish after: a finish deletes the row being read. */
    s_wake_t wake = {.state = self};
    if (dt_store_due_of_job (self->due, dt_str_n (job->name, job->name_len), s_cancel_row, &wake) !=
        0)
        dt_state_fail (self, "reading delayed tasks from the store failed");
    for (size_t i = 0; i < wake.nids && !self->broken; i++) {
        dt_task_t *task = dt_tasks_get (self->tasks, wake.ids[i]);
        dt_state_finish (self, task, DT_LIFE_CANCEL, NULL, dt_str_n ("", 0), DT_STATE_CANCELLED,
                         now);
        (*count)++;
    }
    free (wake.ids);
}
