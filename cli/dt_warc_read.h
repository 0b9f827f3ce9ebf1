/* dt_warc_read.h - reading a capture back: its WARC records (gzip members), and the HTTP response
 * in the last one.
 *
 * `dtask get` receives a task's records as the master stored them and
 * shows the body (or the head) of the final response: the records are
 * inflated one member at a time (at most DT_LIMIT_CAPTURE_INFLATED bytes
 * in all: the master refuses larger captures), the response record's block
 * is split into the HTTP head and the body, and a "Transfer-Encoding:
 * chunked" body has its chunk framing removed, so the body is the payload
 * the record's WARC-Payload-Digest covers (content codings, e.g. gzip,
 * left in place, as the server sent it).
 */
#ifndef DT_WARC_READ_H
#define DT_WARC_READ_H

#include <stddef.h>
#include <stdint.h>

/* The final response of a capture. */
typedef struct {
    uint8_t *head;   /* the HTTP response head, CRLFs and the blank line included (owned) */
    size_t head_len; /* its bytes */
    uint8_t *body;   /* the payload: chunk framing removed (owned) */
    size_t body_len; /* its bytes */
    char digest[64]; /* its WARC-Payload-Digest; "" when none */
    char uri[8193];  /* its WARC-Target-URI */
    int truncated;   /* the record says WARC-Truncated */
} dt_warc_response_t;

/* Finds the last response record in `len` bytes of gzip members at `data`
 * and fills `out`. Returns 0, or -1 with a reason in `err` (not gzip, not
 * WARC, no response record, out of memory). */
int dt_warc_read_response (const void *data, size_t len, dt_warc_response_t *out, char *err,
                           size_t err_size);

/* Frees what `out` owns. */
void dt_warc_response_free (dt_warc_response_t *out);

/* Removes chunked transfer framing from `len` bytes at `in`, writing the
 * chunks' data to `out` (at least `len` bytes). Returns the bytes written;
 * malformed framing ends it there (what came before is kept). */
size_t dt_warc_dechunk (const uint8_t *in, size_t len, uint8_t *out);

#endif
