/* dt_intents.h - replies that may only be sent after the group commit: SUBMIT_OK, REQUEUE_OK,
 * CANCEL_OK. */
#ifndef DT_INTENTS_H
#define DT_INTENTS_H

#include <stddef.h>

#include "dt_msg.h"

typedef struct dt_intents_t dt_intents_t;

/* Creates an empty queue. Returns NULL on failure. */
dt_intents_t *dt_intents_new (void);

/* NULL-safe; nulls the pointer. */
void dt_intents_destroy (dt_intents_t **self_p);

/* Queues reply `msg` (SUBMIT_OK, REQUEUE_OK or CANCEL_OK; its strings are
 * copied) for `peer`. Returns 0, or -1 when memory runs out (the client
 * resends, and gets the same answer). */
int dt_intents_add (dt_intents_t *self, const dt_peer_t *peer, const dt_msg_t *msg);

/* Replies queued. */
size_t dt_intents_count (const dt_intents_t *self);

/* Calls `send` for every queued reply in the order queued (the message is
 * valid during the call), then forgets them. */
void dt_intents_flush (dt_intents_t *self,
                       void (*send) (void *arg, const dt_msg_t *msg, const dt_peer_t *peer),
                       void *arg);

#endif
