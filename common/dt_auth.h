/* dt_auth.h - CURVE keys and the master's ZAP handler: who may connect, and in which role.
 *
 * Every peer has a key pair in czmq's certificate format (zcert: NAME.key is
 * the public half, NAME.key_secret both halves), made by `dtask keygen`. The
 * master's key directory holds its own pair and one allow-list per role:
 *
 *     DIR/master.key_secret    the master's key pair
 *     DIR/workers/NAME.key     public keys allowed to connect as workers
 *     DIR/clients/NAME.key     public keys allowed to connect as clients
 *
 * Workers and clients hold their own NAME.key_secret and the master's
 * master.key. The handshake encrypts and authenticates the link; the master's
 * ZAP handler admits only listed keys and names the role as the connection's
 * User-Id, which the codec reports with every message (dt_peer_t.role), so a
 * client key cannot speak as a worker or the other way round.
 */
#ifndef DT_AUTH_H
#define DT_AUTH_H

#include <czmq.h>

/* User-Id of an admitted connection, and what a message on a plaintext
 * master carries (any role is allowed there). */
#define DT_AUTH_ROLE_WORKER "worker"
#define DT_AUTH_ROLE_CLIENT "client"

/* ZAP domain the master's ROUTER uses. */
#define DT_AUTH_DOMAIN "dtask"

/* ZAP requests answered per call of dt_auth_handle (one loop turn): a flood
 * of handshakes with unknown keys then costs the loop a bounded slice per
 * turn, and the ROUTER's traffic is served in between. A request is a hash
 * lookup (~1 us), so 64 a turn keeps up with thousands of handshakes a
 * second, more than the CURVE crypto in libzmq's I/O thread can make. */
#define DT_AUTH_ZAP_PER_TURN 64

typedef struct dt_auth_t dt_auth_t;

/* Loads the key directory `dir` and binds the ZAP handler on the process's
 * ZeroMQ context (czmq's), which must happen before the master's ROUTER
 * binds. Returns NULL with a reason in `err`, among them (as ssh does) a
 * `dir`, allow-list directory or allow-list key file that group or others
 * can write to, with its mode and the chmod that fixes it. The allow-lists
 * are read again
 * when their directories change, so keys can be added or removed while the
 * master runs. */
dt_auth_t *dt_auth_new (const char *dir, char *err, size_t err_size);

/* NULL-safe; nulls the pointer. */
void dt_auth_destroy (dt_auth_t **self_p);

/* The master's key pair (owned by `self`). */
zcert_t *dt_auth_cert (dt_auth_t *self);

/* The ZAP handler socket, for the master's poll set. */
zsock_t *dt_auth_socket (dt_auth_t *self);

/* Answers the ZAP requests waiting on the socket, at most
 * DT_AUTH_ZAP_PER_TURN (the rest stay readable for the next turn). Refusals
 * are logged through the peer-line limiter. Returns 0 or -1. */
int dt_auth_handle (dt_auth_t *self);

/* Counters for STATUS and tests. */
uint64_t dt_auth_denied (const dt_auth_t *self);

/* Loads a certificate file (a NAME.key_secret for our own pair, a NAME.key
 * for a peer's public key). Returns NULL with a reason in `err`; with
 * need_secret, also when group or others may read the secret file (the
 * reason gives its mode and the chmod that fixes it). */
zcert_t *dt_auth_load_cert (const char *path, int need_secret, char *err, size_t err_size);

/* Writes a new key pair as DIR/NAME.key and DIR/NAME.key_secret (secret
 * file mode 0600), with `name` and `role` in the certificate's metadata.
 * Refuses to overwrite. Returns 0 or -1 with a reason in `err`. */
int dt_auth_keygen (const char *dir, const char *name, const char *role, char *err,
                    size_t err_size);

/* For workers and clients: loads our key pair (`key_path`, a
 * NAME.key_secret) and the master's public key (`master_key_path`, its
 * master.key) and makes every new socket of this process use them
 * (dt_sock_set_curve). Both NULL or empty: plaintext. One without the other
 * is an error. Returns 0, or -1 with a reason in `err`. */
int dt_auth_client_init (const char *key_path, const char *master_key_path, char *err,
                         size_t err_size);

/* Frees what dt_auth_client_init loaded, once no socket uses it. */
void dt_auth_client_end (void);

#endif
