/* dt_jsonl.c - results as JSON lines: one compact object per result, written a page at a time. */
#include "dt_jsonl.h"

#include "dt_base64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A page of typical results is a few hundred KiB; start there and grow for
 * pages of long URLs. */
#define DT_JSONL_BUFFER_INITIAL (256 * 1024)

struct dt_jsonl_t {
    FILE *out;       /* borrowed */
    char *buf;       /* lines not yet written */
    size_t len;      /* bytes used in buf */
    size_t capacity; /* bytes allocated in buf */
};

dt_jsonl_t *dt_jsonl_new (FILE *out)
{
    dt_jsonl_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->out = out;
    self->capacity = DT_JSONL_BUFFER_INITIAL;
    self->buf = malloc (self->capacity);
    if (!self->buf) {
        free (self);
        return NULL;
    }
    return self;
}

void dt_jsonl_destroy (dt_jsonl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_jsonl_t *self = *self_p;
    free (self->buf);
    free (self);
    *self_p = NULL;
}

/* Length of the valid UTF-8 sequence at p (at most `left` bytes), or 0. */
static size_t s_utf8_seq (const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A JSON string from bytes that failed UTF-8 validation: each byte that
 * starts no valid sequence becomes U+FFFD. */
static json_t *s_string_repaired (const char *ptr, size_t len)
{
    /* Each bad byte grows to 3 bytes at most. */
    char *fixed = malloc (len * 3 + 1);
    if (!fixed)
        return NULL;
    const unsigned char *p = (const unsigned char *) ptr;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_seq (p + i, len - i);
        if (n) {
            memcpy (fixed + o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy (fixed + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    json_t *s = json_stringn_nocheck (fixed, o);
    free (fixed);
    return s;
}

json_t *dt_jsonl_string (dt_str_t s)
{
    json_t *j = json_stringn (s.ptr ? s.ptr : "", s.len);
    return j ? j : s_string_repaired (s.ptr, s.len);
}

static json_t *s_string_or_null (dt_str_t s)
{
    return s.len ? dt_jsonl_string (s) : json_null ();
}

/* Bytes as a JSON member: `name` when they are UTF-8, else `name`_base64. */
static int s_set_bytes (json_t *o, const char *name, dt_str_t s)
{
    json_t *j = json_stringn (s.ptr ? s.ptr : "", s.len);
    if (j)
        return json_object_set_new (o, name, j);
    char key[64];
    snprintf (key, sizeof key, "%s_base64", name);
    char *text = malloc (DT_BASE64_ENCODED_SIZE ((size_t) s.len));
    if (!text)
        return -1;
    dt_base64_encode (s.ptr, s.len, text);
    int rc = json_object_set_new (o, key, json_string (text));
    free (text);
    return rc;
}

/* A result of a kind other than http: its payload and output instead of
 * the URL fields. */
static json_t *s_kind_result (const dt_msg_result_t *r, const char *state)
{
    json_t *o = json_object ();
    if (!o)
        return NULL;
    int rc = 0;
    rc |= json_object_set_new_nocheck (o, "id", json_integer ((json_int_t) r->id));
    rc |= json_object_set_new_nocheck (o, "kind", dt_jsonl_string (r->kind));
    rc |= s_set_bytes (o, "payload", r->payload);
    rc |= json_object_set_new_nocheck (o, "state", json_string_nocheck (state));
    rc |= s_set_bytes (o, "output", r->output);
    rc |= json_object_set_new_nocheck (
        o, "exit_code", r->exit_code == DT_EXIT_NONE ? json_null () : json_integer (r->exit_code));
    rc |= json_object_set_new_nocheck (o, "elapsed_ms", json_integer (r->elapsed_ms));
    rc |= json_object_set_new_nocheck (o, "attempts", json_integer (r->attempt));
    rc |= json_object_set_new_nocheck (o, "worker", s_string_or_null (r->worker));
    rc |= json_object_set_new_nocheck (o, "error", s_string_or_null (r->error));
    if (rc != 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

static int s_is_http (dt_str_t kind)
{
    return kind.len == 0 || (kind.len == 4 && memcmp (kind.ptr, "http", 4) == 0);
}

json_t *dt_jsonl_result (const dt_msg_result_t *r)
{
    if (!s_is_http (r->kind))
        return s_kind_result (r, r->state == DT_STATE_DONE     ? "done"
                                 : r->state == DT_STATE_FAILED ? "failed"
                                                               : "unknown");
    json_t *o = json_object ();
    if (!o)
        return NULL;
    const char *state = r->state == DT_STATE_DONE     ? "done"
                        : r->state == DT_STATE_FAILED ? "failed"
                                                      : "unknown";
    /* The _new setters take the value even on failure, so one check at the
     * end covers every allocation. */
    int rc = 0;
    rc |= json_object_set_new_nocheck (o, "id", json_integer ((json_int_t) r->id));
    rc |= json_object_set_new_nocheck (o, "kind", json_string_nocheck ("http"));
    rc |= json_object_set_new_nocheck (o, "url", dt_jsonl_string (r->payload));
    rc |= json_object_set_new_nocheck (o, "final_url", dt_jsonl_string (r->final_url));
    rc |= json_object_set_new_nocheck (o, "state", json_string_nocheck (state));
    rc |= json_object_set_new_nocheck (
        o, "http_status", r->http_status ? json_integer (r->http_status) : json_null ());
    rc |= json_object_set_new_nocheck (o, "bytes", json_integer ((json_int_t) r->bytes));
    rc |= json_object_set_new_nocheck (o, "content_type", s_string_or_null (r->content_type));
    rc |= json_object_set_new_nocheck (o, "elapsed_ms", json_integer (r->elapsed_ms));
    rc |= json_object_set_new_nocheck (o, "attempts", json_integer (r->attempt));
    rc |= json_object_set_new_nocheck (o, "worker", s_string_or_null (r->worker));
    rc |= json_object_set_new_nocheck (o, "error", s_string_or_null (r->error));
    /* Only a saved fetch has these (submit --save warc): where the master
     * stored its WARC records, and the payload digest of its response. */
    if (r->warc_length > 0) {
        json_t *warc = json_object ();
        if (warc) {
            rc |= json_object_set_new_nocheck (warc, "file", dt_jsonl_string (r->warc_file));
            rc |= json_object_set_new_nocheck (warc, "offset",
                                               json_integer ((json_int_t) r->warc_offset));
            rc |= json_object_set_new_nocheck (warc, "length",
                                               json_integer ((json_int_t) r->warc_length));
        }
        rc |= json_object_set_new_nocheck (o, "warc", warc);
        rc |= json_object_set_new_nocheck (o, "digest", s_string_or_null (r->digest));
    }
    if (rc != 0) {
        json_decref (o);
        return NULL;
    }
    return o;
}

/* Upper bound of one escaped byte: a control character becomes \u00XX (6
 * bytes) and a byte that starts no UTF-8 sequence becomes U+FFFD (3). */
#define DT_JSONL_ESCAPE_MAX 6

/* The line's fixed text: 12 keys, punctuation, 4 nulls or small words and 6
 * integers of at most 20 digits each, well under this. */
#define DT_JSONL_FIXED_MAX 512

/* Makes room for `need` more bytes. Returns 0 or -1 (no memory). */
static int s_reserve (dt_jsonl_t *self, size_t need)
{
    if (self->capacity - self->len >= need)
        return 0;
    size_t capacity = self->capacity * 2;
    while (capacity - self->len < need)
        capacity *= 2;
    char *bigger = realloc (self->buf, capacity);
    if (!bigger)
        return -1;
    self->buf = bigger;
    self->capacity = capacity;
    return 0;
}

static void s_raw (dt_jsonl_t *self, const char *text, size_t len)
{
    memcpy (self->buf + self->len, text, len);
    self->len += len;
}

#define S_LITERAL(self, text) s_raw ((self), (text), sizeof (text) - 1)

/* A signed decimal, as jansson prints a json_int_t. */
static void s_int (dt_jsonl_t *self, long long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
    do {
        digits[n++] = (char) ('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        self->buf[self->len++] = '-';
    while (n)
        self->buf[self->len++] = digits[--n];
}

/* A JSON string written exactly as jansson's compact dump writes the
 * string dt_jsonl_string() makes of the same bytes: '"' and '\\' and
 * control characters escaped (short forms where JSON has them, else
 * \u00XX), everything else as is, and each byte that starts no valid UTF-8
 * sequence as U+FFFD. Room is reserved by the caller. */
static void s_string (dt_jsonl_t *self, dt_str_t s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *) s.ptr;
    char *o = self->buf + self->len;
    *o++ = '"';
    for (size_t i = 0; i < s.len;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *o++ = (char) c;
            i++;
            continue;
        }
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"':
                *o++ = '"';
                break;
            case '\\':
                *o++ = '\\';
                break;
            case '\b':
                *o++ = 'b';
                break;
            case '\f':
                *o++ = 'f';
                break;
            case '\n':
                *o++ = 'n';
                break;
            case '\r':
                *o++ = 'r';
                break;
            case '\t':
                *o++ = 't';
                break;
            default:
                memcpy (o, "u00", 3);
                o[3] = hex[c >> 4];
                o[4] = hex[c & 0xf];
                o += 5;
            }
            i++;
            continue;
        }
        size_t n = s_utf8_seq (p + i, s.len - i);
        if (n) {
            memcpy (o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy (o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    *o++ = '"';
    self->len = (size_t) (o - self->buf);
}

static void s_string_or_null_raw (dt_jsonl_t *self, dt_str_t s)
{
    if (s.len)
        s_string (self, s);
    else
        S_LITERAL (self, "null");
}

/* The same line as json_dumpb(dt_jsonl_result(r), JSON_COMPACT) gives, and
 * the unit test holds it to that, but written straight into the buffer:
 * building and freeing eleven jansson values per result was most of what
 * `dtask submit --wait` spent its time on. */
int dt_jsonl_add (dt_jsonl_t *self, const dt_msg_result_t *r)
{
    if (!s_is_http (r->kind)) {
        /* Other kinds carry bytes that may need base64: the general path. */
        json_t *o = dt_jsonl_result (r);
        if (!o)
            return -1;
        size_t size = json_dumpb (o, NULL, 0, JSON_COMPACT);
        int rc = size == 0 || s_reserve (self, size + 1) != 0 ? -1 : 0;
        if (rc == 0) {
            json_dumpb (o, self->buf + self->len, size, JSON_COMPACT);
            self->len += size;
            self->buf[self->len++] = '\n';
        }
        json_decref (o);
        return rc;
    }
    size_t strings = (size_t) r->payload.len + r->final_url.len + r->content_type.len +
                     r->worker.len + r->error.len + r->warc_file.len + r->digest.len;
    if (s_reserve (self, DT_JSONL_FIXED_MAX + strings * DT_JSONL_ESCAPE_MAX) != 0)
        return -1;
    S_LITERAL (self, "{\"id\":");
    s_int (self, (long long) (json_int_t) r->id);
    S_LITERAL (self, ",\"kind\":\"http\",\"url\":");
    s_string (self, r->payload);
    S_LITERAL (self, ",\"final_url\":");
    s_string (self, r->final_url);
    if (r->state == DT_STATE_DONE)
        S_LITERAL (self, ",\"state\":\"done\",\"http_status\":");
    else if (r->state == DT_STATE_FAILED)
        S_LITERAL (self, ",\"state\":\"failed\",\"http_status\":");
    else
        S_LITERAL (self, ",\"state\":\"unknown\",\"http_status\":");
    if (r->http_status)
        s_int (self, r->http_status);
    else
        S_LITERAL (self, "null");
    S_LITERAL (self, ",\"bytes\":");
    s_int (self, (long long) (json_int_t) r->bytes);
    S_LITERAL (self, ",\"content_type\":");
    s_string_or_null_raw (self, r->content_type);
    S_LITERAL (self, ",\"elapsed_ms\":");
    s_int (self, r->elapsed_ms);
    S_LITERAL (self, ",\"attempts\":");
    s_int (self, r->attempt);
    S_LITERAL (self, ",\"worker\":");
    s_string_or_null_raw (self, r->worker);
    S_LITERAL (self, ",\"error\":");
    s_string_or_null_raw (self, r->error);
    if (r->warc_length > 0) {
        S_LITERAL (self, ",\"warc\":{\"file\":");
        s_string (self, r->warc_file);
        S_LITERAL (self, ",\"offset\":");
        s_int (self, (long long) (json_int_t) r->warc_offset);
        S_LITERAL (self, ",\"length\":");
        s_int (self, (long long) (json_int_t) r->warc_length);
        S_LITERAL (self, "},\"digest\":");
        s_string_or_null_raw (self, r->digest);
    }
    S_LITERAL (self, "}\n");
    return 0;
}

int dt_jsonl_flush (dt_jsonl_t *self)
{
    size_t len = self->len;
    self->len = 0;
    if (len && fwrite (self->buf, 1, len, self->out) != len)
        return -1;
    if (fflush (self->out) != 0)
        return -1;
    return 0;
}
