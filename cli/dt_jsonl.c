/* dt_jsonl.c - results as JSON lines: one compact object per result, written a page at a time. */
#include "dt_jsonl.h"

#include <errno.h>
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

dt_jsonl_t *dt_jsonl_new(FILE *out)
{
    dt_jsonl_t *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->out = out;
    self->capacity = DT_JSONL_BUFFER_INITIAL;
    self->buf = malloc(self->capacity);
    if (!self->buf) {
        free(self);
        return NULL;
    }
    return self;
}

void dt_jsonl_destroy(dt_jsonl_t **self_p)
{
    if (!self_p || !*self_p) return;
    dt_jsonl_t *self = *self_p;
    free(self->buf);
    free(self);
    *self_p = NULL;
}

/* Length of the valid UTF-8 sequence at p (at most `left` bytes), or 0. */
static size_t s_utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned int cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > left) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
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
static json_t *s_string_repaired(const char *ptr, size_t len)
{
    /* Each bad byte grows to 3 bytes at most. */
    char *fixed = malloc(len * 3 + 1);
    if (!fixed) return NULL;
    const unsigned char *p = (const unsigned char *)ptr;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_seq(p + i, len - i);
        if (n) {
            memcpy(fixed + o, p + i, n);
            o += n;
            i += n;
        } else {
            memcpy(fixed + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    json_t *s = json_stringn_nocheck(fixed, o);
    free(fixed);
    return s;
}

json_t *dt_jsonl_string(dt_str_t s)
{
    json_t *j = json_stringn(s.ptr ? s.ptr : "", s.len);
    return j ? j : s_string_repaired(s.ptr, s.len);
}

static json_t *s_string_or_null(dt_str_t s)
{
    return s.len ? dt_jsonl_string(s) : json_null();
}

json_t *dt_jsonl_result(const dt_msg_result_t *r)
{
    json_t *o = json_object();
    if (!o) return NULL;
    const char *state = r->state == DT_STATE_DONE     ? "done"
                        : r->state == DT_STATE_FAILED ? "failed"
                                                      : "unknown";
    /* The _new setters take the value even on failure, so one check at the
     * end covers every allocation. */
    int rc = 0;
    rc |= json_object_set_new_nocheck(o, "id", json_integer((json_int_t)r->id));
    rc |= json_object_set_new_nocheck(o, "url", dt_jsonl_string(r->url));
    rc |= json_object_set_new_nocheck(o, "final_url", dt_jsonl_string(r->final_url));
    rc |= json_object_set_new_nocheck(o, "state", json_string_nocheck(state));
    rc |= json_object_set_new_nocheck(o, "http_status",
                                      r->http_status ? json_integer(r->http_status) : json_null());
    rc |= json_object_set_new_nocheck(o, "bytes", json_integer((json_int_t)r->bytes));
    rc |= json_object_set_new_nocheck(o, "content_type", s_string_or_null(r->content_type));
    rc |= json_object_set_new_nocheck(o, "elapsed_ms", json_integer(r->elapsed_ms));
    rc |= json_object_set_new_nocheck(o, "attempts", json_integer(r->attempt));
    rc |= json_object_set_new_nocheck(o, "worker", s_string_or_null(r->worker));
    rc |= json_object_set_new_nocheck(o, "error", s_string_or_null(r->error));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int dt_jsonl_add(dt_jsonl_t *self, const dt_msg_result_t *result)
{
    json_t *o = dt_jsonl_result(result);
    if (!o) return -1;
    int rc = -1;
    for (;;) {
        size_t room = self->capacity - self->len;
        size_t n = json_dumpb(o, self->buf + self->len, room, JSON_COMPACT);
        if (n == 0) goto done; /* cannot happen for an object; refuse rather than print "" */
        if (n + 1 <= room) {
            self->len += n;
            self->buf[self->len++] = '\n';
            rc = 0;
            goto done;
        }
        /* json_dumpb() told us the size it needs: grow and dump again. */
        size_t capacity = self->capacity * 2;
        while (capacity - self->len < n + 1)
            capacity *= 2;
        char *bigger = realloc(self->buf, capacity);
        if (!bigger) goto done;
        self->buf = bigger;
        self->capacity = capacity;
    }
done:
    json_decref(o);
    return rc;
}

int dt_jsonl_flush(dt_jsonl_t *self)
{
    size_t len = self->len;
    self->len = 0;
    if (len && fwrite(self->buf, 1, len, self->out) != len) return -1;
    if (fflush(self->out) != 0) return -1;
    return 0;
}
