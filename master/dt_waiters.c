/* dt_waiters.c - FETCHes not answered yet (long polls): parked, answered after a commit, expired.
 */
#include "dt_waiters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dt_waiters_t {
    dt_waiter_t *items; /* parked FETCHes, in no order */
    size_t count;       /* entries used */
    size_t capacity;    /* entries allocated */
};

dt_waiters_t *dt_waiters_new (void)
{
    return calloc (1, sizeof (dt_waiters_t));
}

void dt_waiters_destroy (dt_waiters_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->items);
    free (*self_p);
    *self_p = NULL;
}

int dt_waiters_add (dt_waiters_t *self, const dt_peer_t *peer, const char *addr,
                    const dt_msg_t *msg, int64_t now)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        dt_waiter_t *items = realloc (self->items, capacity * sizeof *items);
        if (!items)
            return -1;
        self->items = items;
        self->capacity = capacity;
    }
    dt_waiter_t *waiter = &self->items[self->count++];
    waiter->peer = *peer;
    snprintf (waiter->addr, sizeof waiter->addr, "%s", addr);
    waiter->req = msg->req;
    if (msg->fetch.job.len)
        memcpy (waiter->job, msg->fetch.job.ptr, msg->fetch.job.len);
    waiter->job_len = msg->fetch.job.len;
    waiter->max = msg->fetch.max;
    waiter->flags = msg->fetch.flags;
    waiter->cursor = msg->fetch.cursor;
    waiter->checked = UINT64_MAX;
    waiter->ready_at = 0;
    uint32_t wait_ms = msg->fetch.wait_ms;
    if (self->count > DT_WAITERS_MAX)
        wait_ms = 0;
    else if (wait_ms > DT_WAITERS_WAIT_MAX_MS)
        wait_ms = DT_WAITERS_WAIT_MAX_MS;
    waiter->deadline = now + wait_ms;
    return 0;
}

size_t dt_waiters_count (const dt_waiters_t *self)
{
    return self->count;
}

size_t dt_waiters_count_addr (const dt_waiters_t *self, const char *addr)
{
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->items[i].addr, addr) == 0)
            n++;
    return n;
}

static void s_remove (dt_waiters_t *self, size_t i)
{
    self->items[i] = self->items[--self->count];
}

/* A FETCH with DT_FETCH_FILL waits for a full page until then. */
static int64_t s_fill_due (const dt_waiter_t *waiter)
{
    return waiter->ready_at ? waiter->ready_at + DT_WAITERS_FILL_MS : INT64_MAX;
}

/* True while a FETCH with DT_FETCH_FILL should wait for more results: some
 * are ready (or were, for another job), fewer than it asked for, and its
 * fill time has not run out. The count is over all jobs, so it can only
 * answer early, never late. */
static int s_filling (dt_waiter_t *waiter, uint64_t last, int64_t now)
{
    if (!(waiter->flags & DT_FETCH_FILL) || last <= waiter->cursor)
        return 0;
    if (!waiter->ready_at)
        waiter->ready_at = now;
    uint32_t full = waiter->max < DT_LIMIT_BATCH_MAX ? waiter->max : DT_LIMIT_BATCH_MAX;
    return last - waiter->cursor < full && now < s_fill_due (waiter) && now < waiter->deadline;
}

void dt_waiters_serve (dt_waiters_t *self, uint64_t last, int64_t now, dt_waiters_page_fn page,
                       void *arg)
{
    for (size_t i = 0; i < self->count;) {
        dt_waiter_t *waiter = &self->items[i];
        if (waiter->checked == last && waiter->deadline > now && s_fill_due (waiter) > now) {
            i++;
            continue; /* nothing new since it last looked */
        }
        waiter->checked = last;
        if (s_filling (waiter, last, now)) {
            i++;
        } else if (page (arg, waiter, 0) > 0) {
            s_remove (self, i);
        } else if (waiter->deadline <= now) {
            page (arg, waiter, 1);
            s_remove (self, i);
        } else {
            waiter->ready_at = 0; /* the new results were another job's */
            i++;
        }
    }
}

int64_t dt_waiters_expire (dt_waiters_t *self, int64_t now, dt_waiters_page_fn page, void *arg)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < self->count;) {
        dt_waiter_t *waiter = &self->items[i];
        if (waiter->deadline <= now) {
            /* Its cursor only ever moved right after a commit, so an empty
             * page with it never points past what is durable. */
            page (arg, waiter, 1);
            s_remove (self, i);
            continue;
        }
        int64_t due =
            s_fill_due (waiter) < waiter->deadline ? s_fill_due (waiter) : waiter->deadline;
        if (due < next)
            next = due;
        i++;
    }
    return next;
}

void dt_waiters_drop_all (dt_waiters_t *self, void (*fn) (void *arg, const dt_waiter_t *waiter),
                          void *arg)
{
    for (size_t i = 0; i < self->count; i++)
        fn (arg, &self->items[i]);
    self->count = 0;
}
