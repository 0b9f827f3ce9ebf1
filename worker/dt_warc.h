/* dt_warc.h - WARC/1.1 records (ISO 28500) of what a fetch sent and received, each its own gzip
 * member.
 *
 * A capture is one task's HTTP exchanges: for each hop (a redirect is a hop
 * of its own, see dt_fetch.h) a `request` record (the request head exactly
 * as libcurl sent it) and a `response` record (the response head and body
 * exactly as received: an HTTP/1.1 message, transfer and content codings
 * left in place), linked by WARC-Concurrent-To.
 *
 * Why the raw block is kept until the end: a record's WARC header comes
 * first in its gzip member and carries Content-Length, WARC-Block-Digest
 * and WARC-Payload-Digest, which are only known once the body has ended.
 * So the raw HTTP block is kept in memory (bounded by the capture's body
 * cap, DT_LIMIT_CAPTURE_MAX by default: a longer body is kept up to the cap
 * and its record says "WARC-Truncated: length") while the two SHA-1 digests
 * are updated as each piece arrives; at the end of a hop the header and the
 * block are compressed into one gzip member each, appended to the capture's
 * output (one growing buffer of gzip members: deflate never grows its input
 * by more than ~0.03% plus a few bytes, so it is bounded by the cap too),
 * and the raw block is emptied (its memory freed when large). The output of a whole capture, every
 * hop's members concatenated, is itself a valid .warc.gz fragment: files are made by appending
 * captures after a warcinfo record.
 *
 * Digests are SHA-1 in base32 ("sha1:" + 32 characters), as every WARC
 * tool expects. WARC-Block-Digest covers the whole block. On a response,
 * WARC-Payload-Digest covers the entity body as transferred: content
 * codings kept (a gzip-encoded body is digested gzip-encoded), the chunk
 * framing of "Transfer-Encoding: chunked" removed (WARC 1.1 5.9 and the
 * IIPC's reading of it: two transfers of the same body in different chunks
 * have one payload digest), while the block keeps the chunks as they came.
 * Malformed chunk framing stops the removal: the rest is digested as it
 * came. Both digests cover what is kept when a record is truncated.
 */
#ifndef DT_WARC_H
#define DT_WARC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* zlib level of every gzip member. 1 (zlib's fastest matching) rather
 * than zlib's default 6: the worker compresses on the thread that also
 * drives the fetches, and at 6 capture cost the fetch more than half its
 * rate. On HTML pages of 15-200 KB level 1 is ~2.4x faster for an output
 * ~20% larger (25% of the input against 20.5%), and the level is not part
 * of the format: every WARC reader inflates any level, and a file can be
 * recompressed later, record by record. */
#define DT_WARC_GZIP_LEVEL 1

/* zlib memLevel: 6 rather than zlib's default 8. deflateReset clears the
 * match hash table, 2 << (memLevel + 7) bytes, for every record: 64 KiB
 * at 8 cost more than compressing a small page's records, 16 KiB at 6;
 * the output grows by under 1% on HTML (blocks of 4,096 symbols, not 16,384). */
#define DT_WARC_GZIP_MEMLEVEL 6

/* A capture's buffers (request, response, output) up to this size are
 * kept from one page to the next rather than freed: most pages fit, and
 * allocating and growing them for each page cost more than digesting it.
 * Larger ones are freed, so an idle capture holds at most 3x this. */
#define DT_WARC_BUF_KEEP (64 * 1024)

/* "sha1:" + 32 base32 characters + NUL. */
#define DT_WARC_DIGEST_SIZE 38
/* "<urn:uuid:" + 36 + ">" + NUL. */
#define DT_WARC_ID_SIZE 48

typedef struct dt_warc_capture_t dt_warc_capture_t;

/* Writes "sha1:" and the base32 (RFC 4648, no padding needed for 20 bytes)
 * of the SHA-1 of `len` bytes at `data` into `out`. */
void dt_warc_sha1 (const void *data, size_t len, char out[DT_WARC_DIGEST_SIZE]);

/* Writes a new record id, "<urn:uuid:...>" of a random (v4) UUID, into
 * `out`. Returns 0, or -1 when no random bytes could be had. */
int dt_warc_record_id (char out[DT_WARC_ID_SIZE]);

/* Writes `t` as a WARC-Date, "YYYY-MM-DDThh:mm:ssZ" (UTC), into `out`. */
void dt_warc_date (time_t t, char out[21]);

/* A warcinfo record's fields. Strings are borrowed; NULL leaves a field out. */
typedef struct {
    const char *filename;  /* WARC-Filename: the file the record heads */
    const char *software;  /* "dtask/VERSION" */
    const char *hostname;  /* of the machine that fetched */
    const char *operator_; /* who ran the crawl; optional */
    const char *format;    /* "WARC File Format 1.1" when NULL */
} dt_warc_info_t;

/* Builds a warcinfo record as one gzip member. On success returns 0 and
 * sets *out (malloc'd, the caller frees it) and *out_len. Returns -1 when
 * out of memory or a field holds CR or LF (a field cannot span lines). */
int dt_warc_warcinfo (const dt_warc_info_t *info, time_t date, uint8_t **out, size_t *out_len);

/* A new, empty capture keeping at most `body_cap` body bytes in all its
 * hops. It holds one zlib deflate state (~256 KiB) for its whole life,
 * reset for each record: a new one per record cost more CPU than the
 * compression itself. NULL when out of memory. */
dt_warc_capture_t *dt_warc_capture_new (size_t body_cap);

/* NULL-safe; frees everything, output included, and nulls the pointer. */
void dt_warc_capture_destroy (dt_warc_capture_t **self_p);

/* Forgets everything, output included, for a new task with `body_cap`.
 * Body and output buffers over DT_WARC_BUF_KEEP are freed, so an idle
 * capture holds only its deflate state and small buffers. */
void dt_warc_capture_reset (dt_warc_capture_t *self, size_t body_cap);

/* Starts a hop: forgets the current request and response, keeps the
 * output. `date` is its WARC-Date. */
void dt_warc_capture_begin (dt_warc_capture_t *self, time_t date);

/* Appends bytes of the request head as sent (CURLINFO_HEADER_OUT). A
 * piece that comes after a complete head or after response bytes is a new
 * request on the same hop (libcurl resending on a fresh connection, an
 * authentication round): it replaces the request and the response. Returns 0, or -1 when the head
 * would pass DT_LIMIT_CAPTURE_HEAD_MAX or memory ran out: the capture is
 * then broken (dt_warc_capture_end fails). */
int dt_warc_capture_request (dt_warc_capture_t *self, const void *data, size_t len);

/* Appends one response head line as received, CRLF included. A status
 * line ("HTTP/...") starts the head anew, so an interim 1xx answer is
 * replaced by the final one. Returns 0, or -1 as for the request. */
int dt_warc_capture_header (dt_warc_capture_t *self, const void *data, size_t len);

/* Appends body bytes as received. Bytes past the body cap are dropped and
 * mark the response "WARC-Truncated: length". Returns 0, or -1 when memory
 * ran out (the capture is broken). */
int dt_warc_capture_body (dt_warc_capture_t *self, const void *data, size_t len);

/* Marks the response truncated for `reason` ("length", "time",
 * "disconnect" or "unspecified": WARC 1.1 section 5.13). The first reason
 * given wins. */
void dt_warc_capture_truncate (dt_warc_capture_t *self, const char *reason);

/* 1 when a response head has been received in this hop. */
int dt_warc_capture_has_response (const dt_warc_capture_t *self);

/* Ends the hop: appends its request record and, when a response head came,
 * its response record (gzip members) to the output, then empties the raw
 * block. A response head cut before its blank line (libcurl stops reading
 * at a Content-Length over the body cap) gets the blank line, so the block
 * parses as HTTP, and the record stays marked truncated ("unspecified" if
 * no reason was given). `uri` is the hop's URL (WARC-Target-URI leaves its fragment out:
 * it is not sent), `ip` the address connected to (NULL or
 * "": no WARC-IP-Address). Returns 0 (also when no request was sent in the
 * hop: nothing is appended then); -1 when the capture is broken, memory ran
 * out, or `uri`/`ip` hold a CR, LF or space: the output then holds the hops
 * that ended before. */
int dt_warc_capture_end (dt_warc_capture_t *self, const char *uri, const char *ip);

/* The output so far: gzip members, one per record. Borrowed: valid until
 * the next call on the capture. *len is 0 (and NULL returned) when empty. */
const uint8_t *dt_warc_capture_output (const dt_warc_capture_t *self, size_t *len);

/* Records in the output so far. */
size_t dt_warc_capture_records (const dt_warc_capture_t *self);

#endif
