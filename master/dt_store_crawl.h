/* dt_store_crawl.h - what a crawl keeps in the store: its settings, its seen set and the depth of
 * its pages, in tables outside the schema versions (as job_info).
 *
 *   crawl_jobs  (name, key, scope_kind, scope, depth, max_pages): one row a crawl
 *   crawl_seen  (job, fp): one row a URL the crawl made a task of
 *   crawl_depth (job, first, count, depth): with a depth limit, one row a
 *               page whose links made tasks: tasks first .. first+count-1
 *               are at `depth`
 *
 * Writes join the current group, so the fingerprints and depths of a
 * page's links commit with the tasks made of them and the page's result:
 * after a crash the store has all of them or none.
 */
#ifndef DT_STORE_CRAWL_H
#define DT_STORE_CRAWL_H

#include <stdint.h>

#include "dt_frontier.h"
#include "dt_store.h"

/* Creates the tables when missing (at open). 0 or -1. */
int dt_store_crawl_init (dt_store_t *self);

/* Records the crawl of `job` (its conf's next_chunk is not kept: the
 * chunks table has it). 0 or -1 (the group then fails). */
int dt_store_crawl_put (dt_store_t *self, dt_str_t job, const dt_crawl_conf_t *conf);

/* Calls `fn` for each crawl recorded (strings borrowed for the call), until
 * it returns non-zero. 0, or -1 on a read error or when `fn` returned -1. */
typedef int (*dt_store_crawl_fn) (void *arg, dt_str_t job, const dt_crawl_conf_t *conf);
int dt_store_crawl_each (dt_store_t *self, dt_store_crawl_fn fn, void *arg);

/* Adds `n` fingerprints to the seen set of `job`. 0 or -1. */
int dt_store_crawl_seen_add (dt_store_t *self, dt_str_t job, const uint64_t *fps, uint32_t n);

/* Adds every stored fingerprint of `job` to `crawl`'s seen set (made
 * first, sized for them). 0, or -1 on a read error or out of memory. */
int dt_store_crawl_seen_load (dt_store_t *self, dt_str_t job, dt_crawl_t *crawl);

/* Records that tasks first .. first+count-1 of `job` are at `depth`. */
int dt_store_crawl_depth_add (dt_store_t *self, dt_str_t job, uint64_t first, uint32_t count,
                              uint32_t depth);

/* Gives `crawl` every depth range of `job`, in id order. 0 or -1. */
int dt_store_crawl_depth_load (dt_store_t *self, dt_str_t job, dt_crawl_t *crawl);

#endif
