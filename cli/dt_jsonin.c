/* dt_jsonin.c - JSON-lines payloads and their options: parsed and decoded whole before anything
 * is sent. */
#define _GNU_SOURCE /* strptime, timegm */
#include "dt_jsonin.h"
#include "dt_base64.h"
#include "dt_limits.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    size_t off, len; /* a payload in the blob */
} s_span_t;

uint64_t dt_jsonin_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int dt_jsonin_time (const char *text, double *secs)
{
    char *end;
    if (*text && strspn (text, "0123456789.") == strlen (text)) {
        errno = 0;
        *secs = strtod (text, &end);
        return errno || *end || *secs > 1e11 ? -1 : 0;
    }
    static const char *formats[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tm tm;
        memset (&tm, 0, sizeof tm);
        const char *stop = strptime (text, formats[i], &tm);
        if (stop && !*stop) {
            time_t t = timegm (&tm);
            if (t < 0)
                return -1;
            *secs = (double) t;
            return 0;
        }
    }
    return -1;
}

/* A whole number 0..max from `v`. Returns 0 or -1. */
static int s_whole (json_t *v, json_int_t max, json_int_t *out)
{
    if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > max)
        return -1;
    *out = json_integer_value (v);
    return 0;
}

/* Seconds 0..max (a fraction allowed) from `v`. Returns 0 or -1. */
static int s_secs (json_t *v, double max, double *out)
{
    if (!json_is_number (v) || json_number_value (v) < 0 || json_number_value (v) > max)
        return -1;
    *out = json_number_value (v);
    return 0;
}

/* The options of line object `o` over `opts`; "delay" counts from `now`
 * (one time for every line, so lines with the same delay share chunks).
 * Returns 0, or -1 with `why`. */
static int s_options (json_t *o, uint64_t now, dt_jsonin_opts_t *opts, char *why, size_t why_size)
{
    const char *key;
    json_t *v;
    json_int_t n;
    double secs;
    int timed = 0;
    json_object_foreach (o, key, v)
    {
        if (!strcmp (key, "payload") || !strcmp (key, "payload_base64"))
            continue;
        if (!strcmp (key, "priority")) {
            if (s_whole (v, DT_PRIORITY_MAX, &n) != 0)
                goto bad;
            opts->priority = (uint8_t) n;
        } else if (!strcmp (key, "delay") || !strcmp (key, "at")) {
            if (timed++) {
                snprintf (why, why_size, "give one of \"delay\" and \"at\"");
                return -1;
            }
            if (key[0] == 'd' && s_secs (v, DT_SUBMIT_DELAY_MAX_S, &secs) != 0)
                goto bad;
            if (key[0] == 'a' &&
                !(json_is_string (v) && dt_jsonin_time (json_string_value (v), &secs) == 0) &&
                s_secs (v, 1e11, &secs) != 0)
                goto bad;
            /* Rounded: 1700000000.123 is 1700000000122.99... in a double. */
            opts->not_before = (key[0] == 'd' ? now : 0) + (uint64_t) (secs * 1000 + 0.5);
        } else if (!strcmp (key, "max_attempts")) {
            if (s_whole (v, DT_SUBMIT_ATTEMPTS_MAX, &n) != 0 || n == 0)
                goto bad;
            opts->max_attempts = (uint32_t) n;
        } else if (!strcmp (key, "task_timeout")) {
            if (s_secs (v, DT_SUBMIT_DELAY_MAX_S, &secs) != 0 || secs * 1000 < 1)
                goto bad;
            opts->timeout_ms = (uint32_t) (secs * 1000);
        } else {
            snprintf (why, why_size,
                      "unknown key \"%.40s\" (payload, payload_base64, priority, delay, at, "
                      "max_attempts, task_timeout)",
                      key);
            return -1;
        }
        continue;
    bad:
        snprintf (why, why_size, "bad \"%s\" (as its command-line option takes)", key);
        return -1;
    }
    return 0;
}

/* One line's payload appended to the blob, its options over `opts`.
 * Returns 0, or -1 with `why`. */
static int s_line (dt_str_t line, char **blob, size_t *used, size_t *size, s_span_t *span,
                   uint64_t now, dt_jsonin_opts_t *opts, char *why, size_t why_size)
{
    json_error_t error;
    json_t *o = json_loadb (line.ptr, line.len, JSON_REJECT_DUPLICATES, &error);
    int rc = -1;
    if (!o || !json_is_object (o)) {
        snprintf (why, why_size, "not a JSON object%s%s", o ? "" : ": ", o ? "" : error.text);
        goto done;
    }
    json_t *text = json_object_get (o, "payload"), *b64 = json_object_get (o, "payload_base64");
    if ((text && b64) || (!json_is_string (text) && !json_is_string (b64))) {
        snprintf (why, why_size, "give exactly one of \"payload\" or \"payload_base64\", a string");
        goto done;
    }
    if (s_options (o, now, opts, why, why_size) != 0)
        goto done;
    const char *s = json_string_value (text ? text : b64);
    size_t len = json_string_length (text ? text : b64);
    size_t room = text ? len : len / 4 * 3 + 3;
    if (*used + room > *size) {
        size_t grow = *size ? *size : 4096;
        while (grow < *used + room)
            grow *= 2;
        char *p = realloc (*blob, grow);
        if (!p) {
            snprintf (why, why_size, "out of memory");
            goto done;
        }
        *blob = p;
        *size = grow;
    }
    long n = (long) len;
    if (text)
        memcpy (*blob + *used, s, len);
    else if ((n = dt_base64_decode (s, len, *blob + *used)) < 0) {
        snprintf (why, why_size, "payload_base64 is not base64");
        goto done;
    }
    if ((size_t) n > DT_LIMIT_PAYLOAD_MAX) {
        snprintf (why, why_size, "payload of %ld bytes, over the %d-byte limit", n,
                  DT_LIMIT_PAYLOAD_MAX);
        goto done;
    }
    *span = (s_span_t){*used, (size_t) n};
    *used += (size_t) n;
    rc = 0;
done:
    json_decref (o);
    return rc;
}

int dt_jsonin_load (const char *path, dt_urls_t *list, char **blob_p,
                    const dt_jsonin_opts_t *defaults, dt_jsonin_opts_t **opts_p)
{
    *blob_p = NULL;
    *opts_p = NULL;
    dt_jsonin_opts_t *opts = NULL;
    dt_urls_t *lines = dt_urls_new ();
    s_span_t *spans = NULL;
    char *blob = NULL;
    size_t used = 0, size = 0;
    int rc = -1;
    if (!lines) {
        fprintf (stderr, "dtask: out of memory\n");
        goto done;
    }
    if (dt_urls_load_file (lines, path) != 0) {
        fprintf (stderr, "dtask: cannot read %s: %s\n",
                 strcmp (path, "-") ? path : "standard input", strerror (errno));
        goto done;
    }
    size_t n = dt_urls_count (lines);
    uint64_t now = dt_jsonin_now_ms ();
    spans = calloc (n ? n : 1, sizeof *spans);
    opts = calloc (n ? n : 1, sizeof *opts);
    if (!spans || !opts) {
        fprintf (stderr, "dtask: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char why[256];
        opts[i] = *defaults;
        if (s_line (dt_urls_items (lines)[i], &blob, &used, &size, &spans[i], now, &opts[i], why,
                    sizeof why) != 0) {
            fprintf (stderr, "dtask: --jsonl entry %zu: %s: nothing was submitted\n", i + 1, why);
            goto done;
        }
    }
    /* The blob no longer moves: the list can borrow from it. */
    for (size_t i = 0; i < n; i++)
        if (dt_urls_add_bytes (list, blob ? blob + spans[i].off : "", spans[i].len) != 0) {
            fprintf (stderr, "dtask: out of memory\n");
            goto done;
        }
    *blob_p = blob;
    blob = NULL;
    *opts_p = opts;
    opts = NULL;
    rc = 0;
done:
    free (opts);
    free (blob);
    free (spans);
    dt_urls_destroy (&lines);
    return rc;
}
