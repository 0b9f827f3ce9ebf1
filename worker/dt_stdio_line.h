/* dt_stdio_line.h - the stdio line protocol's two lines: a task in (encoded), a reply out
 * (decoded).
 *
 * docs/WORKERS.md "Long-lived children" is the specification:
 *   in   {"id":N,"attempt":A,"payload":"..."}        payload as a UTF-8 string,
 *        {"id":N,"attempt":A,"payload_base64":"..."} or base64 when it is not UTF-8
 *   out  {"id":N,"state":"done|retry|failed","output":"...","error":"..."}
 *        ("output_base64" instead of "output" for bytes; output and error optional)
 * Only the shape of a line is checked here; whether its id names a task the
 * child holds is the handler's business (dt_stdio.c).
 */
#ifndef DT_STDIO_LINE_H
#define DT_STDIO_LINE_H

#include "dt_handler.h"
#include "dt_limits.h"

#include <stddef.h>
#include <stdint.h>

/* A child's reply, decoded. */
typedef struct {
    uint64_t id;       /* the task it answers, when has_id */
    int has_id;        /* "id" was an integer (also set on a failed decode) */
    uint8_t outcome;   /* DT_OUTCOME_DONE / RETRY / FAIL from "state" */
    const char *state; /* "done", "retry" or "failed": static */
    char *output;      /* decoded output, owned (dt_stdio_reply_free); NULL: none */
    size_t output_len; /* its length in bytes */
    char error[DT_LIMIT_ERROR_MAX - 1]; /* "error" as one printable line; "" when absent */
} dt_stdio_reply_t;

/* The request line for `task`, '\n' included, its length in *len_out.
 * The caller frees it. NULL when out of memory. */
char *dt_stdio_line_encode (const dt_handler_task_t *task, size_t *len_out);

/* Decodes one reply line (without its '\n'; a trailing '\r' is allowed).
 * Returns 0 with `reply` filled (free it with dt_stdio_reply_free), or -1
 * with what is wrong in `why`: then `reply` holds nothing to free, but its
 * id and has_id say which task the line named, if it named one. */
int dt_stdio_reply_decode (const char *line, size_t len, dt_stdio_reply_t *reply, char *why,
                           size_t why_size);

/* Frees what a decoded reply owns; the struct itself is the caller's. */
void dt_stdio_reply_free (dt_stdio_reply_t *reply);

#endif
