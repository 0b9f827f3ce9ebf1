/* dt_frontier.h - the crawls the master follows links for: each one's scope, depth and page
 * limits, its seen set, the depth of its pages, and the counts of links kept and skipped.
 *
 * A crawl is a job submitted with DT_SUBMIT_CRAWL. When one of its pages
 * comes back DONE with links, dt_crawl_filter keeps the links that become
 * new tasks of the job: an acceptable URL (dt_url_check), in scope, not
 * seen before in this crawl (a keyed 64-bit fingerprint, dt_urlfp.h),
 * within --max-pages; the page itself must be above the depth limit. Every
 * link skipped is counted by reason, never logged one by one: a hostile
 * page costs a counter, not a log line.
 *
 * What the master holds per crawl is bounded: DT_LIMIT_CRAWLS_MAX crawls,
 * a page's links cut at DT_LIMIT_LINKS_MAX, URLs at DT_LIMIT_URL_MAX, a
 * regex at DT_LIMIT_SCOPE_REGEX_MAX without back-references, the seen set
 * at DT_URLFP_BYTES_PER_URL_MAX bytes a URL (and its growth failing only
 * skips links, counted), and with a depth limit 16 bytes per page that
 * made tasks (the depth of that page's links). Nothing here touches the
 * store or the tasks: dt_state_crawl.c does, with these answers.
 */
#ifndef DT_FRONTIER_H
#define DT_FRONTIER_H

#include <stddef.h>
#include <stdint.h>

#include "dt_msg.h"
#include "dt_urlfp.h"

/* Chunk numbers of the tasks a crawl makes from its pages' links start
 * here: a client's SUBMIT chunks (the seeds) stay below, so neither can
 * take the other's number. */
#define DT_FRONTIER_CHUNK_BASE 0x80000000u

/* Why links were skipped, and how many became tasks. */
typedef struct {
    uint64_t added;     /* became tasks */
    uint64_t seen;      /* seen before in this crawl (or twice in one page) */
    uint64_t scope;     /* off the crawl's scope */
    uint64_t depth;     /* on a page at the depth limit */
    uint64_t max_pages; /* past --max-pages */
    uint64_t bad;       /* not an acceptable http(s) URL: scheme, length, bytes */
    uint64_t over_cap;  /* past DT_LIMIT_LINKS_MAX in one result */
    uint64_t refused;   /* the master could not take the tasks (queue full, store budget) */
    uint64_t memory;    /* the seen set could not grow */
} dt_frontier_counts_t;

/* A crawl's settings, as SUBMIT gave them and the store keeps them. */
typedef struct {
    uint8_t scope_kind;  /* DT_SCOPE_* */
    dt_str_t scope;      /* PREFIX, REGEX: the text; HOST, DOMAIN: hosts, one per '\n' */
    uint32_t depth;      /* DT_CRAWL_DEPTH_ANY: no limit */
    uint64_t max_pages;  /* 0: no limit */
    dt_urlfp_key_t key;  /* its fingerprints' key */
    uint32_t next_chunk; /* the chunk number its next page's links take */
} dt_crawl_conf_t;

typedef struct dt_frontier_t dt_frontier_t;
typedef struct dt_crawl_t dt_crawl_t;

/* An empty registry. NULL when out of memory. */
dt_frontier_t *dt_frontier_new (void);

/* NULL-safe; nulls the pointer; frees every crawl. */
void dt_frontier_destroy (dt_frontier_t **self_p);

/* Checks SUBMIT's crawl tuple: a PREFIX is an acceptable URL, a REGEX
 * compiles (POSIX extended) within DT_LIMIT_SCOPE_REGEX_MAX and has no
 * back-reference, a HOST or DOMAIN scope has no text. 0, or -1 with why
 * in `err`. */
int dt_frontier_check (const dt_msg_crawl_t *crawl, char *err, size_t err_size);

/* The host list of a HOST or DOMAIN scope from `n` seeds (http URLs):
 * their hosts, lower case, each once (DOMAIN: without a leading "www."),
 * one per '\n', in a new string the caller frees (*len its length).
 * NULL when out of memory or past DT_LIMIT_SCOPE_HOSTS hosts (*len then
 * 0). */
char *dt_frontier_seed_hosts (uint8_t kind, const dt_str_t *seeds, uint32_t n, size_t *len);

/* Registers the crawl of job `job` with `conf` (copied; its seen set
 * starts empty, see dt_crawl_seen_ready). Returns it, or NULL with why in
 * `err` (DT_LIMIT_CRAWLS_MAX crawls, a regex that does not compile, out
 * of memory). */
dt_crawl_t *dt_frontier_add (dt_frontier_t *self, dt_str_t job, const dt_crawl_conf_t *conf,
                             char *err, size_t err_size);

/* The crawl of job `job`, or NULL. */
dt_crawl_t *dt_frontier_find (dt_frontier_t *self, dt_str_t job);

/* Forgets a crawl (its job finished); nulls the pointer. Its counts stay
 * in the registry's totals. */
void dt_frontier_remove (dt_frontier_t *self, dt_crawl_t **crawl_p);

/* Crawls registered, and the i-th (i < count), for sweeps. */
size_t dt_frontier_count (const dt_frontier_t *self);
dt_crawl_t *dt_frontier_at (dt_frontier_t *self, size_t i);

/* Counts of every crawl since the master started. */
dt_frontier_counts_t dt_frontier_totals (const dt_frontier_t *self);

/* Bytes the crawls hold: seen sets, depth ranges, regexes. */
size_t dt_frontier_memory (const dt_frontier_t *self);

/* The crawl's settings and job name (borrowed). */
const dt_crawl_conf_t *dt_crawl_conf (const dt_crawl_t *self);
dt_str_t dt_crawl_job (const dt_crawl_t *self);

/* Its counts (this run's). */
const dt_frontier_counts_t *dt_crawl_counts (const dt_crawl_t *self);

/* True once the seen set is there; dt_crawl_seen_ready makes it (for
 * `expect` fingerprints), then the store's are added with
 * dt_crawl_seen_add. 0 or -1 (out of memory). */
int dt_crawl_seen_loaded (const dt_crawl_t *self);
int dt_crawl_seen_ready (dt_crawl_t *self, size_t expect);

/* Adds `fp`: 1 new, 0 there already, -1 out of memory. */
int dt_crawl_seen_add (dt_crawl_t *self, uint64_t fp);

/* The fingerprint of `url` in this crawl. */
uint64_t dt_crawl_fp (const dt_crawl_t *self, const char *url, size_t len);

/* True when `url` (an acceptable http(s) URL) is in the crawl's scope. */
int dt_crawl_in_scope (const dt_crawl_t *self, const char *url, size_t len);

/* With a depth limit: records that tasks first .. first+count-1 are at
 * `depth` (a crawl's tasks are made in increasing ids). 0, or -1 out of
 * memory. */
int dt_crawl_depth_put (dt_crawl_t *self, uint64_t first, uint32_t count, uint32_t depth);

/* The depth of task `id`: 0 for a seed (no range holds it). */
uint32_t dt_crawl_depth_of (const dt_crawl_t *self, uint64_t id);

/* Takes the next chunk number for a page's links. */
uint32_t dt_crawl_next_chunk (dt_crawl_t *self);

/* Keeps the links of one page at `depth` (its task's) that become tasks:
 * splits `links` at '\n', cuts at DT_LIMIT_LINKS_MAX, and keeps each
 * acceptable, in-scope, unseen URL while fewer than `room` are kept
 * (--max-pages left; UINT64_MAX: no limit), adding it to the seen set.
 * Fills urls[] (borrowed from `links`) and fps[], DT_LIMIT_LINKS_MAX
 * each, and counts every link. Returns how many were kept. */
uint32_t dt_crawl_filter (dt_crawl_t *self, dt_str_t links, uint32_t depth, uint64_t room,
                          dt_str_t *urls, uint64_t *fps);

/* Counts `n` links kept by dt_crawl_filter that the master then could not
 * take: they move from added to refused. */
void dt_crawl_refused (dt_crawl_t *self, uint32_t n);

#endif
