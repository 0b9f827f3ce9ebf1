/* dt_warc_read.c - reading a capture back: its WARC records, and the HTTP response in the last one.
 */
#include "dt_warc_read.h"
#include "dt_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Inflates the gzip member at *data (of *len bytes) whole into a malloc'd
 * buffer; advances *data and *len past it. Counts the bytes into *total,
 * which may not pass DT_LIMIT_CAPTURE_INFLATED. Returns 0 or -1. */
static int s_inflate_member (const uint8_t **data, size_t *len, uint8_t **out, size_t *out_len,
                             size_t *total, char *err, size_t err_size)
{
    z_stream z;
    memset (&z, 0, sizeof z);
    if (inflateInit2 (&z, 15 + 16) != Z_OK) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    size_t cap = 64 * 1024, used = 0;
    uint8_t *buf = malloc (cap);
    int zr = Z_OK;
    z.next_in = (Bytef *) *data;
    z.avail_in = (uInt) *len;
    while (buf && zr != Z_STREAM_END) {
        if (used == cap) {
            uint8_t *bigger = realloc (buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        z.next_out = buf + used;
        z.avail_out = (uInt) (cap - used);
        zr = inflate (&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END) {
            snprintf (err, err_size, "not a gzip member (%s)", z.msg ? z.msg : "cut short");
            goto fail;
        }
        if (*total + used > DT_LIMIT_CAPTURE_INFLATED) {
            snprintf (err, err_size, "inflates past %d bytes", DT_LIMIT_CAPTURE_INFLATED);
            goto fail;
        }
    }
    if (!buf || zr != Z_STREAM_END) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    *total += used;
    *data = z.next_in;
    *len = z.avail_in;
    *out = buf;
    *out_len = used;
    inflateEnd (&z);
    return 0;
fail:
    free (buf);
    inflateEnd (&z);
    return -1;
}

/* The value of field `name` in the head `head` of `len` bytes (lines
 * ending CRLF, up to the blank line), copied into `out`; "" when absent. */
static void s_field (const uint8_t *head, size_t len, const char *name, char *out, size_t out_size)
{
    out[0] = '\0';
    size_t nlen = strlen (name);
    const char *p = (const char *) head, *end = p + len;
    while (p < end) {
        const char *eol = memchr (p, '\n', (size_t) (end - p));
        if (!eol)
            return;
        size_t line = (size_t) (eol - p);
        if (line > 0 && p[line - 1] == '\r')
            line--;
        if (line == 0)
            return;
        if (line > nlen && strncasecmp (p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1, *vend = p + line;
            while (v < vend && (*v == ' ' || *v == '\t'))
                v++;
            size_t n = (size_t) (vend - v) < out_size - 1 ? (size_t) (vend - v) : out_size - 1;
            memcpy (out, v, n);
            out[n] = '\0';
            return;
        }
        p = eol + 1;
    }
}

/* The end of the head (after its blank line) in `len` bytes, or NULL. */
static const uint8_t *s_head_end (const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
            return p + i + 4;
    return NULL;
}

size_t dt_warc_dechunk (const uint8_t *in, size_t len, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < len) {
        size_t size = 0;
        int digits = 0;
        for (; i < len; i++, digits++) {
            int c = in[i], d = c >= '0' && c <= '9'   ? c - '0'
                               : c >= 'a' && c <= 'f' ? c - 'a' + 10
                               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                      : -1;
            if (d < 0 || size > (SIZE_MAX >> 4))
                break;
            size = size * 16 + (size_t) d;
        }
        if (digits == 0)
            break;
        /* Chunk extensions, then CRLF. */
        while (i < len && in[i] != '\n')
            i++;
        if (i >= len)
            break;
        i++;
        if (size == 0 || size > len - i)
            break;
        memcpy (out + o, in + i, size);
        o += size;
        i += size;
        if (i + 1 < len && in[i] == '\r' && in[i + 1] == '\n')
            i += 2;
        else
            break;
    }
    return o;
}

int dt_warc_read_response (const void *data, size_t len, dt_warc_response_t *out, char *err,
                           size_t err_size)
{
    memset (out, 0, sizeof *out);
    const uint8_t *p = data;
    size_t left = len, total = 0;
    uint8_t *last = NULL; /* the last response record, inflated */
    size_t last_len = 0;
    while (left > 0) {
        uint8_t *rec = NULL;
        size_t rec_len = 0;
        if (s_inflate_member (&p, &left, &rec, &rec_len, &total, err, err_size) != 0) {
            free (last);
            return -1;
        }
        char type[32];
        s_field (rec, rec_len, "WARC-Type", type, sizeof type);
        if (rec_len < 9 || memcmp (rec, "WARC/1.", 7) != 0) {
            snprintf (err, err_size, "not a WARC record");
            free (rec);
            free (last);
            return -1;
        }
        if (strcmp (type, "response") == 0) {
            free (last);
            last = rec;
            last_len = rec_len;
        } else
            free (rec);
    }
    if (!last) {
        snprintf (err, err_size, "no response record (the fetch got no answer)");
        return -1;
    }
    int rc = -1;
    const uint8_t *block = s_head_end (last, last_len);
    char clen[32];
    s_field (last, last_len, "Content-Length", clen, sizeof clen);
    size_t block_len = block ? (size_t) strtoull (clen, NULL, 10) : 0;
    if (!block || block_len > last_len - (size_t) (block - last)) {
        snprintf (err, err_size, "malformed response record");
        goto done;
    }
    s_field (last, last_len, "WARC-Payload-Digest", out->digest, sizeof out->digest);
    s_field (last, last_len, "WARC-Target-URI", out->uri, sizeof out->uri);
    char trunc[32];
    s_field (last, last_len, "WARC-Truncated", trunc, sizeof trunc);
    out->truncated = trunc[0] != '\0';
    const uint8_t *body = s_head_end (block, block_len);
    size_t head_len = body ? (size_t) (body - block) : block_len;
    size_t body_len = block_len - head_len;
    out->head = malloc (head_len + 1);
    out->body = malloc (body_len + 1);
    if (!out->head || !out->body) {
        snprintf (err, err_size, "out of memory");
        goto done;
    }
    memcpy (out->head, block, head_len);
    out->head_len = head_len;
    char te[64];
    s_field (block, head_len, "Transfer-Encoding", te, sizeof te);
    for (char *t = te; *t; t++)
        if (*t >= 'A' && *t <= 'Z')
            *t = (char) (*t - 'A' + 'a');
    if (strstr (te, "chunked"))
        out->body_len = dt_warc_dechunk (block + head_len, body_len, out->body);
    else {
        if (body_len)
            memcpy (out->body, block + head_len, body_len);
        out->body_len = body_len;
    }
    rc = 0;
done:
    if (rc != 0)
        dt_warc_response_free (out);
    free (last);
    return rc;
}

void dt_warc_response_free (dt_warc_response_t *out)
{
    free (out->head);
    free (out->body);
    out->head = out->body = NULL;
    out->head_len = out->body_len = 0;
}
