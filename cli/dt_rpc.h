/* dt_rpc.h - the CLI's request/reply engine: pipelined requests, Lazy Pirate resends.
 *
 * Requests go out on one DEALER socket, each with a fresh `req` id; a reply
 * is matched to its request by that id, and a reply matching nothing in
 * flight is stale and dropped. When a request goes unanswered for its try
 * time, the socket is destroyed and a new one is made (so no stale copy stays
 * queued), and every request in flight is resent as it was: all requests
 * are idempotent (SUBMIT by job and chunk, FETCH by cursor). The engine gives
 * up once `timeout_ms` passes without any reply from the master, unless it
 * is persistent and the master has answered before: then it warns once per
 * outage and keeps resending until the master comes back.
 */
#ifndef DT_RPC_H
#define DT_RPC_H

#include "dt_msg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dt_rpc_t dt_rpc_t;

/* True while the master has not answered for the timeout and a persistent
 * engine keeps resending (it warned MASTER-UNREACHABLE), until a reply. */
int dt_rpc_outage (const dt_rpc_t *self);

/* dt_rpc_wait() and dt_rpc_call() results other than 0. */
#define DT_RPC_EFAIL    -1 /* local failure (socket, memory); logged */
#define DT_RPC_EUNREACH -2 /* no reply from the master within the timeout */
#define DT_RPC_EINTR    -3 /* SIGINT or SIGTERM arrived */
#define DT_RPC_EAGAIN   -4 /* dt_rpc_wait: max_ms passed with no reply */

/* Creates an engine for `endpoint`; the socket is made at once (connecting
 * does not wait for the master). Returns NULL with a reason in `err` on a
 * malformed endpoint or a failed allocation. */
dt_rpc_t *dt_rpc_new (const char *endpoint, int timeout_ms, char *err, size_t err_size);

/* Closes the socket and drops any request still in flight. NULL-safe. */
void dt_rpc_destroy (dt_rpc_t **self_p);

/* With `on`, once the master has answered at least once, silence makes the
 * engine warn "master unreachable, retrying" and keep going instead of
 * returning DT_RPC_EUNREACH (for commands that wait for results). */
void dt_rpc_set_persistent (dt_rpc_t *self, int on);

/* `fn(arg)` is called before the engine writes a log line, so a caller
 * that draws a progress line on the terminal can clear it first. */
void dt_rpc_set_log_hook (dt_rpc_t *self, void (*fn) (void *arg), void *arg);

/* Sends `request` (its req field is set here) and tracks it until its reply
 * comes back from dt_rpc_wait() together with `tag`. The request is encoded
 * at once, so `request` and what it points to may be reused on return. A
 * FETCH's wait_ms is added to the time its reply may take. Returns 0, or
 * DT_RPC_EFAIL when it cannot be encoded (a programmer error: the caller
 * keeps within the caps) or memory runs out. */
int dt_rpc_start (dt_rpc_t *self, dt_msg_t *request, void *tag);

/* Waits for the reply to any request in flight and decodes it into `reply`
 * (initialised or reset; the caller resets it after use). On 0 the request
 * is done and *tag_p is its tag; *tag_p is NULL for an ERROR the master
 * could not address (req 0: it could not decode what we sent). Returns
 * early with DT_RPC_EAGAIN when `max_ms` (-1: no limit) passes, and with
 * DT_RPC_EINTR on a signal; DT_RPC_EUNREACH as described above. With no
 * request in flight it only waits out `max_ms`. */
int dt_rpc_wait (dt_rpc_t *self, dt_msg_t *reply, void **tag_p, int max_ms);

/* One request and its reply: dt_rpc_start() then dt_rpc_wait(). Only with
 * nothing else in flight. */
int dt_rpc_call (dt_rpc_t *self, dt_msg_t *request, dt_msg_t *reply);

/* Requests in flight. */
size_t dt_rpc_inflight (const dt_rpc_t *self);

/* The endpoint, borrowed. */
const char *dt_rpc_endpoint (const dt_rpc_t *self);

#endif
