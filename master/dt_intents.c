/* dt_intents.c - replies that may only be sent after the group commit. */
#include "dt_intents.h"
#include "dt_limits.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* One reply waiting for the commit. */
typedef struct {
    dt_peer_t peer;             /* client routing id */
    uint64_t req;               /* echoed */
    dt_msg_type_t type;         /* DT_MSG_SUBMIT_OK, _REQUEUE_OK, _CANCEL_OK or _PURGE_OK */
    char job[DT_LIMIT_JOB_MAX]; /* SUBMIT_OK: job id bytes, NOT NUL-terminated */
    uint32_t job_len;           /* bytes in job */
    uint32_t chunk;             /* SUBMIT_OK */
    uint64_t first_id;          /* SUBMIT_OK */
    uint64_t count;             /* SUBMIT_OK: tasks; the others: tasks affected */
} s_intent_t;

struct dt_intents_t {
    s_intent_t *items; /* in the order queued */
    size_t count;      /* entries used */
    size_t capacity;   /* entries allocated */
};

dt_intents_t *dt_intents_new (void)
{
    return calloc (1, sizeof (dt_intents_t));
}

void dt_intents_destroy (dt_intents_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->items);
    free (*self_p);
    *self_p = NULL;
}

int dt_intents_add (dt_intents_t *self, const dt_peer_t *peer, const dt_msg_t *msg)
{
    assert (msg->type == DT_MSG_SUBMIT_OK || msg->type == DT_MSG_REQUEUE_OK ||
            msg->type == DT_MSG_CANCEL_OK || msg->type == DT_MSG_PURGE_OK);
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        s_intent_t *items = realloc (self->items, capacity * sizeof *items);
        if (!items)
            return -1;
        self->items = items;
        self->capacity = capacity;
    }
    s_intent_t *intent = &self->items[self->count++];
    intent->peer = *peer;
    intent->req = msg->req;
    intent->type = msg->type;
    intent->job_len = 0;
    if (msg->type == DT_MSG_SUBMIT_OK) {
        uint32_t len = msg->submit_ok.job.len;
        if (len > DT_LIMIT_JOB_MAX)
            len = DT_LIMIT_JOB_MAX; /* the codec caps it already */
        if (len)
            memcpy (intent->job, msg->submit_ok.job.ptr, len);
        intent->job_len = len;
        intent->chunk = msg->submit_ok.chunk;
        intent->first_id = msg->submit_ok.first_id;
        intent->count = msg->submit_ok.count;
    } else if (msg->type == DT_MSG_CANCEL_OK) {
        intent->count = msg->cancel_ok.count;
    } else if (msg->type == DT_MSG_PURGE_OK) {
        intent->count = msg->purge_ok.count;
    } else {
        intent->count = msg->requeue_ok.count;
    }
    return 0;
}

size_t dt_intents_count (const dt_intents_t *self)
{
    return self->count;
}

void dt_intents_flush (dt_intents_t *self,
                       void (*send) (void *arg, const dt_msg_t *msg, const dt_peer_t *peer),
                       void *arg)
{
    for (size_t i = 0; i < self->count; i++) {
        const s_intent_t *intent = &self->items[i];
        dt_msg_t msg;
        dt_msg_init (&msg);
        msg.type = intent->type;
        msg.req = intent->req;
        if (intent->type == DT_MSG_SUBMIT_OK) {
            msg.submit_ok.job = dt_str_n (intent->job, intent->job_len);
            msg.submit_ok.chunk = intent->chunk;
            msg.submit_ok.first_id = intent->first_id;
            msg.submit_ok.count = (uint32_t) intent->count;
        } else if (intent->type == DT_MSG_CANCEL_OK) {
            msg.cancel_ok.count = intent->count;
        } else if (intent->type == DT_MSG_PURGE_OK) {
            msg.purge_ok.count = intent->count;
        } else {
            msg.requeue_ok.count = intent->count;
        }
        send (arg, &msg, &intent->peer);
    }
    self->count = 0;
}
