/* dt_jsonin.c - JSON-lines payloads: parsed and decoded whole before anything is sent. */
#include "dt_jsonin.h"
#include "dt_base64.h"
#include "dt_limits.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t off, len; /* a payload in the blob */
} s_span_t;

/* One line's payload appended to the blob. Returns 0, or -1 with `why`. */
static int s_line (dt_str_t line, char **blob, size_t *used, size_t *size, s_span_t *span,
                   char *why, size_t why_size)
{
    json_error_t error;
    json_t *o = json_loadb (line.ptr, line.len, JSON_REJECT_DUPLICATES, &error);
    int rc = -1;
    if (!o || !json_is_object (o)) {
        snprintf (why, why_size, "not a JSON object%s%s", o ? "" : ": ", o ? "" : error.text);
        goto done;
    }
    json_t *text = json_object_get (o, "payload"), *b64 = json_object_get (o, "payload_base64");
    if (json_object_size (o) != 1 || (!json_is_string (text) && !json_is_string (b64))) {
        snprintf (
            why, why_size,
            "give exactly one of \"payload\" or \"payload_base64\", a string (per-task options "
            "are given on the command line)");
        goto done;
    }
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

int dt_jsonin_load (const char *path, dt_urls_t *list, char **blob_p)
{
    *blob_p = NULL;
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
    spans = calloc (n ? n : 1, sizeof *spans);
    if (!spans) {
        fprintf (stderr, "dtask: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char why[256];
        if (s_line (dt_urls_items (lines)[i], &blob, &used, &size, &spans[i], why, sizeof why) !=
            0) {
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
    rc = 0;
done:
    free (blob);
    free (spans);
    dt_urls_destroy (&lines);
    return rc;
}
