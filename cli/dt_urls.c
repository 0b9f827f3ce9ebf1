/* dt_urls.c - the URLs of one submission: read from arguments and files, checked, cut into chunks.
 */
#include "dt_urls.h"
#include "dt_url.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DT_URLS_FROM_ARG  0
#define DT_URLS_FROM_LINE 1

/* Read size for files and stdin; the buffer doubles from here. */
#define DT_URLS_READ_CHUNK (64 * 1024)

typedef struct {
    uint32_t kind; /* DT_URLS_FROM_ARG or DT_URLS_FROM_LINE */
    uint32_t n;    /* argument number or line number, from 1 */
} s_origin_t;

struct dt_urls_t {
    dt_str_t *urls;      /* the URLs, borrowed from argv or from texts */
    s_origin_t *origins; /* where each came from, same index */
    size_t count;        /* used entries in both arrays */
    size_t capacity;     /* allocated entries in both arrays */
    uint32_t args;       /* URL arguments added so far */
    char **texts;        /* file contents; owned, never moved once parsed */
    size_t ntexts;       /* used entries */
};

dt_urls_t *dt_urls_new (void)
{
    return calloc (1, sizeof (dt_urls_t));
}

void dt_urls_destroy (dt_urls_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_urls_t *self = *self_p;
    for (size_t i = 0; i < self->ntexts; i++)
        free (self->texts[i]);
    free (self->texts);
    free (self->urls);
    free (self->origins);
    free (self);
    *self_p = NULL;
}

static int s_push (dt_urls_t *self, const char *ptr, size_t len, uint32_t kind, uint32_t n)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 1024;
        dt_str_t *urls = realloc (self->urls, capacity * sizeof *urls);
        if (!urls)
            return -1;
        self->urls = urls;
        s_origin_t *origins = realloc (self->origins, capacity * sizeof *origins);
        if (!origins)
            return -1;
        self->origins = origins;
        self->capacity = capacity;
    }
    /* A length beyond 32 bits is kept visibly too long for dt_url_check()
     * instead of wrapping into a plausible one. */
    self->urls[self->count] = dt_str_n (ptr, len > UINT32_MAX ? UINT32_MAX : len);
    self->origins[self->count] = (s_origin_t){kind, n};
    self->count++;
    return 0;
}

int dt_urls_add_arg (dt_urls_t *self, const char *url)
{
    return s_push (self, url, strlen (url), DT_URLS_FROM_ARG, ++self->args);
}

static int s_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits `text` into lines in place (it is owned by self and never moves). */
static int s_parse (dt_urls_t *self, const char *text, size_t len)
{
    const char *end = text + len;
    uint32_t line = 0;
    for (const char *p = text; p < end;) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *stop = nl ? nl : end;
        line++;
        const char *a = p, *b = stop;
        while (a < b && s_blank (*a))
            a++;
        while (b > a && s_blank (b[-1]))
            b--;
        if (a < b && *a != '#' && s_push (self, a, (size_t) (b - a), DT_URLS_FROM_LINE, line) != 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Takes ownership of `text` (even on failure) and adds its lines. */
static int s_add_owned (dt_urls_t *self, char *text, size_t len)
{
    char **texts = realloc (self->texts, (self->ntexts + 1) * sizeof *texts);
    if (!texts) {
        free (text);
        return -1;
    }
    self->texts = texts;
    self->texts[self->ntexts++] = text;
    return s_parse (self, text, len);
}

int dt_urls_add_text (dt_urls_t *self, const char *text, size_t len)
{
    char *copy = malloc (len + 1);
    if (!copy)
        return -1;
    memcpy (copy, text, len);
    copy[len] = '\0';
    return s_add_owned (self, copy, len);
}

int dt_urls_load_file (dt_urls_t *self, const char *path)
{
    int is_stdin = strcmp (path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    char *buf = NULL;
    size_t len = 0, capacity = 0;
    for (;;) {
        if (capacity - len < DT_URLS_READ_CHUNK) {
            size_t grown = capacity ? capacity * 2 : DT_URLS_READ_CHUNK * 2;
            char *bigger = realloc (buf, grown);
            if (!bigger) {
                errno = ENOMEM;
                goto fail;
            }
            buf = bigger;
            capacity = grown;
        }
        ssize_t n = read (fd, buf + len, capacity - len - 1);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    buf[len] = '\0';
    if (!is_stdin)
        close (fd);
    if (s_add_owned (self, buf, len) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
fail:;
    int saved = errno;
    free (buf);
    if (!is_stdin)
        close (fd);
    errno = saved;
    return -1;
}

size_t dt_urls_count (const dt_urls_t *self)
{
    return self->count;
}

const dt_str_t *dt_urls_items (const dt_urls_t *self)
{
    return self->urls;
}

size_t dt_urls_check (const dt_urls_t *self, dt_urls_report_fn *report, void *arg)
{
    size_t bad = 0;
    for (size_t i = 0; i < self->count; i++) {
        char why[128];
        if (dt_url_check (self->urls[i].ptr, self->urls[i].len, why, sizeof why) == 0)
            continue;
        bad++;
        if (report) {
            char where[32];
            snprintf (where, sizeof where, "%s %" PRIu32,
                      self->origins[i].kind == DT_URLS_FROM_ARG ? "argument" : "line",
                      self->origins[i].n);
            report (arg, where, why, self->urls[i]);
        }
    }
    return bad;
}

dt_urls_chunk_t *dt_urls_chunk (const dt_urls_t *self, size_t max_count, size_t max_bytes,
                                size_t *nchunks_p)
{
    assert (max_count > 0);
    *nchunks_p = 0;
    if (self->count == 0)
        return NULL;
    /* Upper bound: every chunk holds at least one URL. */
    size_t estimate = self->count / max_count + 1, capacity = estimate < 64 ? 64 : estimate;
    dt_urls_chunk_t *chunks = malloc (capacity * sizeof *chunks);
    if (!chunks)
        return NULL;
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < self->count; i++) {
        size_t size = self->urls[i].len + DT_URLS_OVERHEAD;
        if (n == 0 || chunks[n - 1].count == max_count || bytes + size > max_bytes) {
            if (n == capacity) {
                capacity *= 2;
                dt_urls_chunk_t *bigger = realloc (chunks, capacity * sizeof *chunks);
                if (!bigger) {
                    free (chunks);
                    return NULL;
                }
                chunks = bigger;
            }
            chunks[n++] = (dt_urls_chunk_t){i, 0};
            bytes = 0;
        }
        chunks[n - 1].count++;
        bytes += size;
    }
    *nchunks_p = n;
    return chunks;
}
