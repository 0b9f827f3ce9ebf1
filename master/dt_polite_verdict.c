/* dt_polite_verdict.c - an origin's robots.txt verdicts, one per product token. */
#include "dt_polite_verdict.h"
#include "dt_log.h"

#include <stdio.h>
#include <string.h>

dt_polite_token_t *dt_polite_verdict_slot (dt_polite_token_t *slots, const char *agent)
{
    dt_polite_token_t *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++) {
        dt_polite_token_t *v = &slots[i];
        if (v->state == DT_POLITE_VERDICT_FREE) {
            if (!free_slot)
                free_slot = v;
        } else if (strcmp (v->agent, agent) == 0)
            return v;
        else if (v->state == DT_POLITE_VERDICT_KNOWN && (!oldest || v->until < oldest->until))
            oldest = v;
    }
    dt_polite_token_t *v = free_slot ? free_slot : oldest;
    if (!v)
        return NULL;
    dt_robots_destroy (&v->robots);
    memset (v, 0, sizeof *v);
    snprintf (v->agent, sizeof v->agent, "%s", agent);
    return v;
}

void dt_polite_verdict_set (dt_polite_token_t *v, const char *origin, int status,
                            const char *body, size_t len, int64_t now)
{
    int ttl_s = DT_ROBOTS_RETRY_S;
    dt_robots_action_t action = dt_robots_on_status (status, 0, &ttl_s);
    dt_robots_t *robots = NULL;
    uint8_t kind;
    if (action == DT_ROBOTS_PARSE) {
        robots = dt_robots_parse (body, len, v->agent);
        dt_robots_stats_t st;
        if (robots) {
            dt_robots_stats (robots, &st);
            kind = st.truncated ? DT_POLITE_ROBOTS_TRUNCATED : DT_POLITE_ROBOTS_RULES;
            dt_log_info ("POLITE-ROBOTS",
                         "%s: robots.txt HTTP %d, %zu bytes parsed%s, %zu lines (%zu cut, %zu "
                         "unknown), %zu rules for %s (%zu over the cap)",
                         origin, status, st.bytes_parsed, st.truncated ? " (cut)" : "", st.lines,
                         st.lines_cut, st.unknown, st.rules, v->agent, st.rules_over_cap);
        } else
            kind = DT_POLITE_ROBOTS_DISALLOW;
    } else {
        /* A redirect not followed by the worker counts as unavailable. */
        int allow = action == DT_ROBOTS_ALLOW_ALL;
        robots = dt_robots_new_all (allow);
        kind = allow ? DT_POLITE_ROBOTS_ALLOW : DT_POLITE_ROBOTS_DISALLOW;
        dt_log_info ("POLITE-ROBOTS", "%s: robots.txt HTTP %d: %s for %d s", origin, status,
                     allow ? "everything allowed" : "everything disallowed", ttl_s);
    }
    if (!robots) { /* out of memory: fetched again at the next page */
        dt_log_error ("POLITE-NOMEM", "%s: robots.txt verdict lost", origin);
        v->state = DT_POLITE_VERDICT_FREE;
        return;
    }
    dt_robots_destroy (&v->robots);
    v->robots = robots;
    v->kind = kind;
    v->until = now + (int64_t) ttl_s * 1000;
    int delay = dt_robots_delay_ms (robots);
    v->delay_ms = delay > 0 ? delay : 0;
    v->state = DT_POLITE_VERDICT_KNOWN;
}

void dt_polite_verdict_free (dt_polite_token_t *slots)
{
    for (int i = 0; i < DT_POLITE_AGENTS_MAX; i++)
        dt_robots_destroy (&slots[i].robots);
}

void dt_polite_agent (const char *ua, size_t len, char *out)
{
    size_t n = 0;
    while (n < len && n < DT_POLITE_AGENT_MAX &&
           ((ua[n] >= 'A' && ua[n] <= 'Z') || (ua[n] >= 'a' && ua[n] <= 'z') || ua[n] == '_' ||
            ua[n] == '-')) {
        out[n] = (char) (ua[n] >= 'A' && ua[n] <= 'Z' ? ua[n] - 'A' + 'a' : ua[n]);
        n++;
    }
    out[n] = '\0';
}
