/* dt_polite_verdict.h - what an origin's robots.txt says to one product token: the rules parsed
 * for it (dt_robots.h), their kind for STATUS, their Crawl-delay and until when they hold.
 *
 * An origin keeps DT_POLITE_AGENTS_MAX verdicts, one per product token
 * its jobs crawl as. A token's verdict waits (WAITING) while the origin's
 * robots.txt is being fetched, and the one fetch sets every verdict that
 * waits for it.
 */
#ifndef DT_POLITE_VERDICT_H
#define DT_POLITE_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "dt_polite.h"
#include "dt_robots.h"

/* A verdict's state. */
typedef enum {
    DT_POLITE_VERDICT_FREE = 0, /* slot unused */
    DT_POLITE_VERDICT_WAITING,  /* the next fetch's answer sets it */
    DT_POLITE_VERDICT_KNOWN,    /* `robots` holds it until `until` */
} dt_polite_verdict_state_t;

/* One product token's verdict at one origin. */
typedef struct {
    char agent[DT_POLITE_AGENT_MAX + 1]; /* the product token, lowercase */
    uint8_t state;                       /* dt_polite_verdict_state_t */
    uint8_t kind;                        /* DT_POLITE_ROBOTS_* once known */
    dt_robots_t *robots;                 /* KNOWN: the rules */
    int64_t until;                       /* KNOWN: fetched again after this (monotonic ms) */
    int delay_ms;                        /* its Crawl-delay, or 0 */
} dt_polite_token_t;

/* The slot of product token `agent` among an origin's DT_POLITE_AGENTS_MAX
 * `slots`: its own, else a free one, else the oldest known one (which is
 * forgotten); a slot taken anew is FREE, named `agent`. NULL when every
 * slot waits for the fetch on the way. */
dt_polite_token_t *dt_polite_verdict_slot (dt_polite_token_t *slots, const char *agent);

/* Sets `v` (WAITING) from the robots.txt response of `origin` (`status`
 * 0: none came; `body`, `len`: what came) at `now`, and logs it
 * (POLITE-ROBOTS). Out of memory leaves it FREE: asked again at the next
 * page. */
void dt_polite_verdict_set (dt_polite_token_t *v, const char *origin, int status,
                            const char *body, size_t len, int64_t now);

/* Frees the rules of every slot. */
void dt_polite_verdict_free (dt_polite_token_t *slots);

#endif
