/* dt_warc.c - WARC/1.1 records (ISO 28500) of what a fetch sent and received, each its own gzip
 * member. */
#include "dt_warc.h"
#include "dt_limits.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* The WARC header of one record: its fixed fields are well under 1 KiB,
 * plus the longest URI. */
#define S_HEADER_MAX (DT_LIMIT_URL_MAX + 1024)

/* A growing byte buffer. */
typedef struct {
    uint8_t *data; /* NOT NUL-terminated */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
} s_buf_t;

/* Where a chunked body's parser is: the payload digest covers the entity
 * body, which is the body with its chunk framing removed (see dt_warc.h). */
typedef enum {
    S_CHUNK_OFF = 0,  /* not chunked: every body byte is payload */
    S_CHUNK_SIZE,     /* in a chunk-size line (hex digits, extensions, CRLF) */
    S_CHUNK_DATA,     /* in a chunk's data */
    S_CHUNK_DATA_END, /* in the CRLF after a chunk's data */
    S_CHUNK_TRAILER,  /* after the last chunk: trailer fields, not payload */
    S_CHUNK_BROKEN    /* the framing was malformed: the rest is digested as it came */
} s_chunk_state_t;

typedef struct {
    s_chunk_state_t state;
    uint64_t left; /* data bytes left in this chunk, or the size being read */
    int digits;    /* hex digits read in this size line */
    int in_ext;    /* past the digits: extensions or whitespace until LF */
} s_dechunk_t;

/* More hex digits than this cannot be a chunk size we could keep. */
#define S_CHUNK_DIGITS_MAX 15

/* Random bytes drawn at once for record ids: 32 ids (16 pages) a call to
 * OpenSSL's generator, whose call costs more than formatting the ids. */
#define S_ID_POOL (32 * 16)

struct dt_warc_capture_t {
    size_t body_cap;  /* body bytes it may keep over all hops */
    size_t body_kept; /* body bytes kept over all hops */
    size_t hop_body;  /* of which in this hop's response */
    time_t date;      /* this hop's WARC-Date */
    s_buf_t request;  /* this hop's request head, as sent */
    s_buf_t response; /* this hop's response head then body, as received */
    int have_status;  /* a status line started the response head */
    int in_body;      /* body bytes have come: the head is complete */
    EVP_MD
    *sha1; /* SHA-1 fetched once: an implicit fetch per init costs more than a page's digest */
    EVP_MD_CTX *block_sha;   /* over `response` as it grows */
    EVP_MD_CTX *payload_sha; /* over the body part of `response`, chunk framing removed */
    EVP_MD_CTX *request_sha; /* over `request`, at the end of a hop */
    int digests_on;          /* block_sha and payload_sha were started for this response */
    s_dechunk_t dechunk;     /* that framing's parser, when the response is chunked */
    const char *truncated;   /* WARC-Truncated reason, NULL when whole; static string */
    int broken;              /* a head over its cap or out of memory: this hop has no records */
    s_buf_t out;             /* gzip members of every record ended so far */
    size_t records;          /* how many */
    z_stream zs;             /* deflate state reused for each member (deflateReset) */
    int zs_ready;            /* zs was initialised: deflateEnd it on destroy */
    uint8_t ids[S_ID_POOL];  /* random bytes for record ids, used from the end */
    size_t ids_left;         /* bytes of `ids` not used yet */
    time_t date_of;          /* the time `date_text` holds; -1: none yet */
    char date_text[21];      /* WARC-Date of `date_of` */
};

/* Makes room for `n` more bytes under `max` in all. Returns 0 or -1. */
static int s_buf_reserve (s_buf_t *b, size_t n, size_t max)
{
    if (n > max || b->len > max - n)
        return -1;
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
    if (cap > max)
        cap = max;
    uint8_t *data = realloc (b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int s_buf_add (s_buf_t *b, const void *p, size_t n, size_t max)
{
    if (s_buf_reserve (b, n, max) != 0)
        return -1;
    if (n)
        memcpy (b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void s_buf_free (s_buf_t *b)
{
    free (b->data);
    *b = (s_buf_t){0};
}

/* Empties a buffer for the next record, keeping its memory when it is
 * small (DT_WARC_BUF_KEEP): allocating and growing it again for each page
 * cost more than the page's digests. A large one is freed, so an idle
 * capture never holds a big body. */
static void s_buf_empty (s_buf_t *b)
{
    if (b->cap > DT_WARC_BUF_KEEP)
        s_buf_free (b);
    b->len = 0;
}

/* ---- Digests, ids, dates ---------------------------------------------- */

static const char s_base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* "sha1:" + base32 of a 20-byte digest: 160 bits are exactly 32 groups of 5. */
static void s_digest_text (const unsigned char md[20], char out[DT_WARC_DIGEST_SIZE])
{
    memcpy (out, "sha1:", 5);
    char *p = out + 5;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 20; i++) {
        acc = (acc << 8) | md[i];
        bits += 8;
        while (bits >= 5) {
            *p++ = s_base32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    *p = '\0';
}

static void s_digest_final (EVP_MD_CTX *ctx, char out[DT_WARC_DIGEST_SIZE])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex (ctx, md, &n);
    s_digest_text (md, out);
}

void dt_warc_sha1 (const void *data, size_t len, char out[DT_WARC_DIGEST_SIZE])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest (data, len, md, &n, EVP_sha1 (), NULL);
    s_digest_text (md, out);
}

/* "<urn:uuid:...>" of 16 random bytes, made a version 4 (random) UUID. */
static void s_uuid_text (const unsigned char random[16], char out[DT_WARC_ID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    memcpy (b, random, sizeof b);
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4: random */
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
    memcpy (out, "<urn:uuid:", 10);
    char *p = out + 10;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p++ = '>';
    *p = '\0';
}

int dt_warc_record_id (char out[DT_WARC_ID_SIZE])
{
    unsigned char b[16];
    if (RAND_bytes (b, sizeof b) != 1)
        return -1;
    s_uuid_text (b, out);
    return 0;
}

void dt_warc_date (time_t t, char out[21])
{
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- Records ---------------------------------------------------------- */

/* A field value may not break the header's lines; a URI or an address may
 * hold no space either. */
static int s_value_ok (const char *v, int allow_space)
{
    for (; *v; v++)
        if (*v == '\r' || *v == '\n' || (!allow_space && *v == ' '))
            return 0;
    return 1;
}

/* Starts a deflate stream that writes one gzip member. Returns 0 or -1. */
static int s_deflate_init (z_stream *z)
{
    memset (z, 0, sizeof *z);
    /* windowBits 15 + 16: a gzip wrapper (header and CRC-32 trailer). */
    return deflateInit2 (z, DT_WARC_GZIP_LEVEL, Z_DEFLATED, 15 + 16, DT_WARC_GZIP_MEMLEVEL,
                         Z_DEFAULT_STRATEGY) == Z_OK
               ? 0
               : -1;
}

/* Appends one gzip member holding the concatenation of the pieces to
 * `out`, with `reuse` (reset first) or, when NULL, a deflate state of its
 * own. Returns 0, or -1 (out of memory, zlib error): `out` unchanged. */
static int s_gzip_member (z_stream *reuse, s_buf_t *out, const void *const *piece,
                          const size_t *piece_len, int pieces)
{
    z_stream own;
    z_stream *z = reuse ? reuse : &own;
    if (reuse ? deflateReset (reuse) != Z_OK : s_deflate_init (&own) != 0)
        return -1;
    uLong total = 0;
    for (int i = 0; i < pieces; i++)
        total += (uLong) piece_len[i];
    /* With the bound's room, deflate never runs out of output space. */
    uLong bound = deflateBound (z, total);
    int rc = s_buf_reserve (out, bound, SIZE_MAX) == 0 ? Z_OK : Z_MEM_ERROR;
    if (rc == Z_OK) {
        z->next_out = out->data + out->len;
        z->avail_out = (uInt) bound;
    }
    for (int i = 0; i < pieces && rc == Z_OK; i++) {
        int last = i == pieces - 1;
        if (!last && piece_len[i] == 0)
            continue; /* deflate calls that can make no progress fail (Z_BUF_ERROR) */
        z->next_in = (Bytef *) piece[i];
        z->avail_in = (uInt) piece_len[i];
        rc = deflate (z, last ? Z_FINISH : Z_NO_FLUSH);
        if (!last && rc == Z_OK && z->avail_in != 0)
            rc = Z_BUF_ERROR;
    }
    int ok = rc == Z_STREAM_END;
    if (ok)
        out->len += bound - z->avail_out;
    if (!reuse)
        deflateEnd (&own);
    return ok ? 0 : -1;
}

/* The fields of one record's WARC header. */
typedef struct {
    const char *type;         /* WARC-Type */
    const char *id;           /* WARC-Record-ID */
    const char *date;         /* WARC-Date */
    const char *uri;          /* WARC-Target-URI, or NULL */
    const char *ip;           /* WARC-IP-Address, or NULL/"" */
    const char *concurrent;   /* WARC-Concurrent-To, or NULL */
    const char *filename;     /* WARC-Filename, or NULL */
    const char *block_digest; /* WARC-Block-Digest */
    const char *payload;      /* WARC-Payload-Digest, or NULL */
    const char *truncated;    /* WARC-Truncated, or NULL */
    const char *content_type; /* Content-Type */
} s_fields_t;

/* A record's WARC header being written into a fixed buffer; `over` once
 * something did not fit. Built by hand: snprintf's format parsing cost
 * more than the header's compression. */
typedef struct {
    char *p;   /* next byte to write */
    char *end; /* end of the buffer */
    int over;  /* it did not fit */
} s_text_t;

static void s_text_add (s_text_t *t, const char *s, size_t n)
{
    if (t->over || (size_t) (t->end - t->p) < n) {
        t->over = 1;
        return;
    }
    memcpy (t->p, s, n);
    t->p += n;
}

/* "Name: value\r\n", or nothing when `value` is NULL or "". */
static void s_text_field (s_text_t *t, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    s_text_add (t, name, strlen (name));
    s_text_add (t, value, strlen (value));
    s_text_add (t, "\r\n", 2);
}

static void s_text_size (s_text_t *t, size_t v)
{
    char d[24];
    size_t i = sizeof d;
    do {
        d[--i] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    s_text_add (t, d + i, sizeof d - i);
}

/* Appends one record (header, block in up to two pieces, the two CRLFs
 * that end it) as one gzip member. Returns 0 or -1 (`out` unchanged). */
static int s_record (z_stream *reuse, s_buf_t *out, const s_fields_t *f, const void *a, size_t alen,
                     const void *b, size_t blen)
{
    char header[S_HEADER_MAX];
    s_text_t t = {header, header + sizeof header, 0};
    s_text_add (&t, "WARC/1.1\r\n", 10);
    s_text_field (&t, "WARC-Type: ", f->type);
    s_text_field (&t, "WARC-Record-ID: ", f->id);
    s_text_field (&t, "WARC-Date: ", f->date);
    s_text_field (&t, "WARC-Filename: ", f->filename);
    s_text_field (&t, "WARC-Target-URI: ", f->uri);
    s_text_field (&t, "WARC-IP-Address: ", f->ip);
    s_text_field (&t, "WARC-Concurrent-To: ", f->concurrent);
    s_text_field (&t, "WARC-Block-Digest: ", f->block_digest);
    s_text_field (&t, "WARC-Payload-Digest: ", f->payload);
    s_text_field (&t, "WARC-Truncated: ", f->truncated);
    s_text_field (&t, "Content-Type: ", f->content_type);
    s_text_add (&t, "Content-Length: ", 16);
    s_text_size (&t, alen + blen);
    s_text_add (&t, "\r\n\r\n", 4);
    if (t.over)
        return -1;
    const void *piece[] = {header, a, b, "\r\n\r\n"};
    const size_t len[] = {(size_t) (t.p - header), alen, blen, 4};
    return s_gzip_member (reuse, out, piece, len, 4);
}

int dt_warc_warcinfo (const dt_warc_info_t *info, time_t date, uint8_t **out, size_t *out_len)
{
    const char *format = info->format ? info->format : "WARC File Format 1.1";
    const char *values[] = {info->filename, info->software, info->hostname, info->operator_,
                            format};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        if (values[i] && !s_value_ok (values[i], 1))
            return -1;
    if (info->filename && !s_value_ok (info->filename, 0))
        return -1;
    s_buf_t block = {0}, buf = {0};
    const char *names[] = {"software", "hostname", "operator", "format"};
    const char *fields[] = {info->software, info->hostname, info->operator_, format};
    int rc = -1;
    for (size_t i = 0; i < 4; i++) {
        if (!fields[i])
            continue;
        char line[DT_LIMIT_URL_MAX];
        int n = snprintf (line, sizeof line, "%s: %s\r\n", names[i], fields[i]);
        if (n < 0 || (size_t) n >= sizeof line || s_buf_add (&block, line, (size_t) n, SIZE_MAX))
            goto done;
    }
    char id[DT_WARC_ID_SIZE], when[21], digest[DT_WARC_DIGEST_SIZE];
    if (dt_warc_record_id (id) != 0)
        goto done;
    dt_warc_date (date, when);
    dt_warc_sha1 (block.data ? (const void *) block.data : "", block.len, digest);
    s_fields_t f = {.type = "warcinfo",
                    .id = id,
                    .date = when,
                    .filename = info->filename,
                    .block_digest = digest,
                    .content_type = "application/warc-fields"};
    if (s_record (NULL, &buf, &f, block.data, block.len, NULL, 0) != 0)
        goto done;
    *out = buf.data;
    *out_len = buf.len;
    buf.data = NULL;
    rc = 0;
done:
    s_buf_free (&block);
    s_buf_free (&buf);
    return rc;
}

/* ---- Captures --------------------------------------------------------- */

dt_warc_capture_t *dt_warc_capture_new (size_t body_cap)
{
    dt_warc_capture_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->date_of = (time_t) -1;
    /* Fetched once: EVP_sha1() makes every EVP_DigestInit_ex look the
     * algorithm up again in OpenSSL 3 and make a new context for it. */
    self->sha1 = EVP_MD_fetch (NULL, "SHA1", NULL);
    self->block_sha = EVP_MD_CTX_new ();
    self->payload_sha = EVP_MD_CTX_new ();
    self->request_sha = EVP_MD_CTX_new ();
    /* One deflate state for the capture's life: making one per record
     * (~256 KiB allocated, page-faulted and freed twice a page) cost the
     * worker more CPU than compressing did. */
    self->zs_ready = s_deflate_init (&self->zs) == 0;
    if (!self->sha1 || !self->block_sha || !self->payload_sha || !self->request_sha ||
        !self->zs_ready) {
        dt_warc_capture_destroy (&self);
        return NULL;
    }
    dt_warc_capture_reset (self, body_cap);
    return self;
}

void dt_warc_capture_destroy (dt_warc_capture_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_warc_capture_t *self = *self_p;
    s_buf_free (&self->request);
    s_buf_free (&self->response);
    s_buf_free (&self->out);
    EVP_MD_CTX_free (self->block_sha);
    EVP_MD_CTX_free (self->payload_sha);
    EVP_MD_CTX_free (self->request_sha);
    EVP_MD_free (self->sha1);
    if (self->zs_ready)
        deflateEnd (&self->zs);
    free (self);
    *self_p = NULL;
}

/* Forgets this hop's response, ready for a new head. */
static void s_response_restart (dt_warc_capture_t *self)
{
    self->body_kept -= self->hop_body;
    self->hop_body = 0;
    self->response.len = 0;
    self->have_status = 0;
    self->in_body = 0;
    self->truncated = NULL;
    self->dechunk = (s_dechunk_t){0};
    self->digests_on = 0;
}

/* Starts the response's digests at its first byte: a hop, a task and a
 * slot going idle each restart the response, and only one in four of
 * those restarts is followed by bytes. */
static void s_digests_start (dt_warc_capture_t *self)
{
    if (self->digests_on)
        return;
    EVP_DigestInit_ex (self->block_sha, self->sha1, NULL);
    EVP_DigestInit_ex (self->payload_sha, self->sha1, NULL);
    self->digests_on = 1;
}

void dt_warc_capture_begin (dt_warc_capture_t *self, time_t date)
{
    self->date = date;
    self->request.len = 0;
    self->broken = 0;
    s_response_restart (self);
}

void dt_warc_capture_reset (dt_warc_capture_t *self, size_t body_cap)
{
    s_buf_empty (&self->request);
    s_buf_empty (&self->response);
    s_buf_empty (&self->out);
    self->records = 0;
    self->body_cap = body_cap;
    self->body_kept = 0;
    dt_warc_capture_begin (self, 0);
}

int dt_warc_capture_request (dt_warc_capture_t *self, const void *data, size_t len)
{
    /* A complete head already there means a new request: libcurl sent it
     * again on a fresh connection, or after an authentication round. */
    const uint8_t *r = self->request.data;
    size_t n = self->request.len;
    if (self->response.len > 0 || (n >= 4 && memcmp (r + n - 4, "\r\n\r\n", 4) == 0)) {
        self->request.len = 0;
        s_response_restart (self);
    }
    if (self->broken || s_buf_add (&self->request, data, len, DT_LIMIT_CAPTURE_HEAD_MAX) != 0) {
        self->broken = 1;
        return -1;
    }
    return 0;
}

/* Whether a head line is "Transfer-Encoding: ..., chunked" (the last
 * coding, the one that frames the body: RFC 9112 6.1). */
static int s_is_chunked (const char *line, size_t len)
{
    static const char name[] = "transfer-encoding:";
    if (len < sizeof name - 1 || strncasecmp (line, name, sizeof name - 1) != 0)
        return 0;
    while (len > 0 && strchr (" \t\r\n", line[len - 1]))
        len--;
    return len >= 7 + sizeof name - 1 && strncasecmp (line + len - 7, "chunked", 7) == 0;
}

static int s_hex (char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Feeds body bytes to the payload digest, without the chunk framing of a
 * chunked body. Malformed framing (a size that is not hex, too many
 * digits) stops the parsing: the rest is digested as it came, as for a
 * body that is not chunked. */
static void s_payload (dt_warc_capture_t *self, const uint8_t *p, size_t len)
{
    s_dechunk_t *d = &self->dechunk;
    while (len > 0) {
        switch (d->state) {
        case S_CHUNK_OFF:
        case S_CHUNK_BROKEN:
            EVP_DigestUpdate (self->payload_sha, p, len);
            return;
        case S_CHUNK_DATA: {
            size_t n = len < d->left ? len : (size_t) d->left;
            EVP_DigestUpdate (self->payload_sha, p, n);
            p += n;
            len -= n;
            d->left -= n;
            if (d->left == 0)
                d->state = S_CHUNK_DATA_END;
            break;
        }
        case S_CHUNK_DATA_END:
            /* CRLF; a bare LF is taken too, as parsers do. */
            if (*p == '\n')
                *d = (s_dechunk_t){.state = S_CHUNK_SIZE};
            else if (*p != '\r')
                d->state = S_CHUNK_BROKEN;
            if (d->state != S_CHUNK_BROKEN) {
                p++;
                len--;
            }
            break;
        case S_CHUNK_SIZE: {
            int h = s_hex ((char) *p);
            if (*p == '\n') {
                if (d->digits == 0) {
                    d->state = S_CHUNK_BROKEN;
                    break;
                }
                d->state = d->left ? S_CHUNK_DATA : S_CHUNK_TRAILER;
                d->digits = d->in_ext = 0;
            } else if (!d->in_ext && h >= 0) {
                if (++d->digits > S_CHUNK_DIGITS_MAX) {
                    d->state = S_CHUNK_BROKEN;
                    break;
                }
                d->left = d->left * 16 + (uint64_t) h;
            } else if (d->digits > 0 && (*p == ';' || *p == ' ' || *p == '\t' || *p == '\r'))
                d->in_ext = 1;
            else if (!d->in_ext) {
                d->state = S_CHUNK_BROKEN;
                break;
            }
            p++;
            len--;
            break;
        }
        case S_CHUNK_TRAILER:
            return;
        }
    }
}

int dt_warc_capture_header (dt_warc_capture_t *self, const void *data, size_t len)
{
    if (self->broken)
        return -1;
    if (len >= 5 && memcmp (data, "HTTP/", 5) == 0) {
        if (self->in_body) {
            self->broken = 1; /* a second response after a body: not an HTTP/1.1 exchange */
            return -1;
        }
        s_response_restart (self);
        self->have_status = 1;
    }
    if (s_buf_add (&self->response, data, len, DT_LIMIT_CAPTURE_HEAD_MAX) != 0) {
        self->broken = 1;
        return -1;
    }
    s_digests_start (self);
    EVP_DigestUpdate (self->block_sha, data, len);
    if (s_is_chunked (data, len))
        self->dechunk.state = S_CHUNK_SIZE;
    return 0;
}

int dt_warc_capture_body (dt_warc_capture_t *self, const void *data, size_t len)
{
    if (self->broken)
        return -1;
    self->in_body = 1;
    size_t room = self->body_cap - self->body_kept;
    if (len > room) {
        dt_warc_capture_truncate (self, "length");
        len = room;
    }
    if (len == 0)
        return 0;
    if (s_buf_add (&self->response, data, len, SIZE_MAX) != 0) {
        self->broken = 1;
        return -1;
    }
    self->body_kept += len;
    self->hop_body += len;
    s_digests_start (self);
    EVP_DigestUpdate (self->block_sha, data, len);
    s_payload (self, data, len);
    return 0;
}

void dt_warc_capture_truncate (dt_warc_capture_t *self, const char *reason)
{
    if (!self->truncated)
        self->truncated = reason;
}

int dt_warc_capture_has_response (const dt_warc_capture_t *self)
{
    return self->have_status;
}

/* Ends a response head that was cut before its blank line (libcurl stops
 * at a Content-Length over the body cap, a timeout or a reset can fall in
 * the head), so the block still parses as an HTTP message; the record is
 * marked truncated. A head that ended is left alone, bare LF included.
 * Returns 0, or -1 when memory ran out. */
static int s_close_head (dt_warc_capture_t *self)
{
    const uint8_t *r = self->response.data;
    size_t n = self->response.len;
    if (!self->have_status || self->in_body ||
        (n >= 2 && r[n - 1] == '\n' &&
         (r[n - 2] == '\n' || (n >= 3 && r[n - 2] == '\r' && r[n - 3] == '\n'))))
        return 0;
    const char *end = n >= 1 && r[n - 1] == '\n' ? "\r\n" : "\r\n\r\n";
    if (s_buf_add (&self->response, end, strlen (end), SIZE_MAX) != 0)
        return -1;
    s_digests_start (self);
    EVP_DigestUpdate (self->block_sha, end, strlen (end));
    dt_warc_capture_truncate (self, "unspecified");
    return 0;
}

/* A new record id from the capture's pool of random bytes. 0, or -1 when
 * no random bytes could be had. */
static int s_record_id (dt_warc_capture_t *self, char out[DT_WARC_ID_SIZE])
{
    if (self->ids_left < 16) {
        if (RAND_bytes (self->ids, sizeof self->ids) != 1)
            return -1;
        self->ids_left = sizeof self->ids;
    }
    self->ids_left -= 16;
    s_uuid_text (self->ids + self->ids_left, out);
    /* Used bytes are not kept: an id is never made twice from them. */
    memset (self->ids + self->ids_left, 0, 16);
    return 0;
}

/* This hop's WARC-Date: most pages of a second share it, made once. */
static void s_date (dt_warc_capture_t *self, char out[21])
{
    if (self->date != self->date_of) {
        dt_warc_date (self->date, self->date_text);
        self->date_of = self->date;
    }
    memcpy (out, self->date_text, 21);
}

int dt_warc_capture_end (dt_warc_capture_t *self, const char *uri, const char *ip)
{
    int rc = -1;
    if (self->request.len == 0 && !self->broken) {
        rc = 0; /* nothing was sent in this hop: nothing to record */
        goto done;
    }
    if (self->broken || !uri || !s_value_ok (uri, 0) || (ip && !s_value_ok (ip, 0)) ||
        s_close_head (self) != 0)
        goto done;
    /* The fragment is never sent: the record is of the URI without it, as
     * other WARC writers store it and as replay tools look it up. */
    char target[DT_LIMIT_URL_MAX + 1];
    size_t target_len = strcspn (uri, "#");
    if (target_len > DT_LIMIT_URL_MAX)
        goto done;
    memcpy (target, uri, target_len);
    target[target_len] = '\0';
    char request_id[DT_WARC_ID_SIZE], response_id[DT_WARC_ID_SIZE], when[21];
    char request_digest[DT_WARC_DIGEST_SIZE], block_digest[DT_WARC_DIGEST_SIZE],
        payload_digest[DT_WARC_DIGEST_SIZE];
    if (s_record_id (self, request_id) != 0 || s_record_id (self, response_id) != 0)
        goto done;
    s_date (self, when);
    EVP_DigestInit_ex (self->request_sha, self->sha1, NULL);
    EVP_DigestUpdate (self->request_sha, self->request.data, self->request.len);
    s_digest_final (self->request_sha, request_digest);
    size_t before = self->out.len;
    s_fields_t req = {.type = "request",
                      .id = request_id,
                      .date = when,
                      .uri = target,
                      .ip = ip,
                      .concurrent = self->have_status ? response_id : NULL,
                      .block_digest = request_digest,
                      .content_type = "application/http;msgtype=request"};
    if (s_record (&self->zs, &self->out, &req, self->request.data, self->request.len, NULL, 0) != 0)
        goto done;
    if (self->have_status) {
        s_digests_start (self);
        s_digest_final (self->block_sha, block_digest);
        s_digest_final (self->payload_sha, payload_digest);
        s_fields_t res = {.type = "response",
                          .id = response_id,
                          .date = when,
                          .uri = target,
                          .ip = ip,
                          .block_digest = block_digest,
                          .payload = payload_digest,
                          .truncated = self->truncated,
                          .content_type = "application/http;msgtype=response"};
        if (s_record (&self->zs, &self->out, &res, self->response.data, self->response.len, NULL,
                      0) != 0) {
            self->out.len = before; /* both records of the hop, or neither */
            goto done;
        }
    }
    self->records += self->have_status ? 2 : 1;
    rc = 0;
    self->hop_body = 0; /* kept: it counts against the cap of later hops */
done:
    /* The raw block is not needed any more: a large one's memory goes back. */
    s_buf_empty (&self->request);
    s_buf_empty (&self->response);
    self->broken = 0;
    s_response_restart (self);
    return rc;
}

const uint8_t *dt_warc_capture_output (const dt_warc_capture_t *self, size_t *len)
{
    *len = self->out.len;
    return self->out.len ? self->out.data : NULL;
}

size_t dt_warc_capture_records (const dt_warc_capture_t *self)
{
    return self->records;
}
