/* dt_hosts.h - politeness per host: how many tasks of each host are out at once, and the tasks
 * that wait for one of them to come back.
 *
 * A crawl must not hit one web server with every fetch slot of every
 * worker. The master owns the queue, so it is where the limit is kept:
 * `--host-limit N` lets at most N tasks of one host be leased (or about to
 * be) at once, whatever the number of workers. A task taken from the queue
 * while its host is at the limit is parked here, in order, and goes back to
 * the front of the queue when a task of that host comes back.
 */
#ifndef DT_HOSTS_H
#define DT_HOSTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_hosts_t dt_hosts_t;

/* Creates an empty table for at most `limit` (> 0) tasks out per host.
 * Returns NULL when out of memory. */
dt_hosts_t *dt_hosts_new (uint32_t limit);

/* NULL-safe; nulls the pointer. */
void dt_hosts_destroy (dt_hosts_t **self_p);

/* The key of the host a URL names: a hash of its host name, lowercased
 * (scheme, user info, port, path and query left out: politeness is owed
 * to a server, and one name is one server here). Never 0. */
uint64_t dt_hosts_key (const char *url, size_t len);

/* Counts a task of host `key` out if the host is under its limit.
 * Returns 1 (counted), 0 (at the limit) or -1 (no memory). */
int dt_hosts_take (dt_hosts_t *self, uint64_t key);

/* Parks task `id` (queue generation `gen`) of host `key`, which is at its
 * limit, behind the ones parked before. Returns 0 or -1 (no memory). */
int dt_hosts_park (dt_hosts_t *self, uint64_t key, uint64_t id, uint32_t gen);

/* A task of host `key` came back (its lease ended, or it was not sent).
 * If tasks of that host are parked, the oldest is handed back through *id
 * and *gen, to be queued again: returns 1. Returns 0 when none is parked.
 * The caller checks that the task still waits (it may have been
 * cancelled meanwhile) and, if not, asks for the next with
 * dt_hosts_unpark(). */
int dt_hosts_give (dt_hosts_t *self, uint64_t key, uint64_t *id, uint32_t *gen);

/* The oldest parked task of host `key`, if any: returns 1 with *id and
 * *gen, or 0. */
int dt_hosts_unpark (dt_hosts_t *self, uint64_t key, uint64_t *id, uint32_t *gen);

/* Tasks parked, over all hosts. */
uint64_t dt_hosts_parked (const dt_hosts_t *self);

/* Tasks counted out of the host `key` now. */
uint32_t dt_hosts_out (const dt_hosts_t *self, uint64_t key);

#endif
