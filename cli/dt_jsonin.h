/* dt_jsonin.h - `dtask submit --jsonl`: payloads given as JSON lines, for payloads with newlines or
 * binary data. */
#ifndef DT_JSONIN_H
#define DT_JSONIN_H

#include "dt_urls.h"

/* A longest delay or task time limit, in seconds: a year. Over it is a typo
 * more likely than a plan. */
#define DT_SUBMIT_DELAY_MAX_S (366 * 86400)

/* Most attempts one task may ask for. */
#define DT_SUBMIT_ATTEMPTS_MAX 1000

/* A task's options as SUBMIT carries them (PROTOCOL.md); 0: the master's. */
typedef struct {
    uint8_t priority;      /* 0..DT_PRIORITY_MAX */
    uint64_t not_before;   /* wall-clock ms since 1970; 0: none */
    uint32_t max_attempts; /* 1..DT_SUBMIT_ATTEMPTS_MAX, 0: the master's */
    uint32_t timeout_ms;   /* 0: the master's */
} dt_jsonin_opts_t;

/* Reads `path` ("-": standard input), one JSON object a line (blank lines
 * skipped), each {"payload": TEXT} or {"payload_base64": BASE64} with, if
 * it likes, options of its own: "priority" (0..9), "delay" (seconds from
 * now) or "at" (seconds since 1970, or a UTC date as --at takes),
 * "max_attempts", "task_timeout" (seconds). Adds every payload to `list`,
 * in order, and its options, `defaults` (the command line's) with the
 * line's own in their place, to *opts_p (one per payload, the caller's to
 * free). The payloads live in *blob_p, which the caller frees after the
 * list. Returns 0, or -1 after saying on stderr which line is bad and why
 * (nothing is added then). */
int dt_jsonin_load (const char *path, dt_urls_t *list, char **blob_p,
                    const dt_jsonin_opts_t *defaults, dt_jsonin_opts_t **opts_p);

/* --at's TIME: seconds since 1970, or UTC YYYY-MM-DDTHH:MM:SS[Z] (or with
 * a space for the T). Returns 0 with *secs, or -1. */
int dt_jsonin_time (const char *text, double *secs);

/* Wall-clock ms since 1970. */
uint64_t dt_jsonin_now_ms (void);

#endif
