/* dt_urls.c - the URLs of one submission: read from arguments and files, checked, cut into chunks.
 */
#include "dt_urls.h"
#include "dt_bigmem.h"
#include "dt_url.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read size for standard input; the buffer doubles from here. A regular
 * file is read at once into a buffer sized from it (rounded up to a power
 * of two, address space only). */
#define DT_URLS_READ_CHUNK (64 * 1024)

/* From this size on a buffer comes from dt_bigmem: a million URLs are some
 * 60 MiB of text and 16 MiB of list, and written into 4 KiB pages that is
 * one page fault per 4 KiB before the first chunk can go out. */
#define DT_URLS_BIG (256 * 1024)

/* A buffer that is malloc'd while small and huge-page backed when big. */
typedef struct {
    char *ptr;
    size_t size;   /* usable bytes */
    size_t mapped; /* dt_bigmem size, or 0 when malloc'd */
} s_buf_t;

/* Where a run of URLs came from: arguments (text NULL) or the lines of one
 * text. The origin of a bad URL is worked out from these when it is
 * reported, so the list keeps nothing per URL but the URL. */
typedef struct {
    size_t first;       /* index of its first URL */
    const char *text;   /* the text its lines point into; NULL: arguments */
    uint32_t first_arg; /* arguments: the number of the first, from 1 */
} s_source_t;

struct dt_urls_t {
    s_buf_t list;        /* dt_str_t entries: borrowed from argv or from texts */
    size_t count;        /* used entries */
    s_source_t *sources; /* in order of `first` */
    size_t nsources;     /* used entries */
    uint32_t args;       /* URL arguments added so far */
    s_buf_t *texts;      /* file contents; owned, never moved once parsed */
    size_t ntexts;       /* used entries */
};

/* Grows `buf` to at least `want` bytes, keeping its contents. */
static int s_buf_grow (s_buf_t *buf, size_t want)
{
    size_t size = buf->size ? buf->size : 1024;
    while (size < want) {
        if (size > SIZE_MAX / 2)
            return -1;
        size *= 2;
    }
    if (size < DT_URLS_BIG) {
        char *ptr = realloc (buf->ptr, size);
        if (!ptr)
            return -1;
        *buf = (s_buf_t){ptr, size, 0};
        return 0;
    }
    size_t mapped;
    char *ptr = dt_bigmem_alloc (size, &mapped);
    if (!ptr)
        return -1;
    if (buf->ptr)
        memcpy (ptr, buf->ptr, buf->size);
    if (buf->mapped)
        dt_bigmem_free (buf->ptr, buf->mapped);
    else
        free (buf->ptr);
    *buf = (s_buf_t){ptr, mapped, mapped};
    return 0;
}

static void s_buf_free (s_buf_t *buf)
{
    if (buf->mapped)
        dt_bigmem_free (buf->ptr, buf->mapped);
    else
        free (buf->ptr);
    *buf = (s_buf_t){0};
}

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
        s_buf_free (&self->texts[i]);
    free (self->texts);
    s_buf_free (&self->list);
    free (self->sources);
    free (self);
    *self_p = NULL;
}

static dt_str_t *s_items (const dt_urls_t *self)
{
    return (dt_str_t *) (void *) self->list.ptr;
}

/* Makes room for `more` URLs past the current ones. */
static int s_reserve (dt_urls_t *self, size_t more)
{
    if (more > SIZE_MAX / sizeof (dt_str_t) - self->count)
        return -1;
    size_t want = (self->count + more) * sizeof (dt_str_t);
    return want <= self->list.size ? 0 : s_buf_grow (&self->list, want);
}

static int s_push (dt_urls_t *self, const char *ptr, size_t len)
{
    if (s_reserve (self, 1) != 0)
        return -1;
    /* A length beyond 32 bits is kept visibly too long for dt_url_check()
     * instead of wrapping into a plausible one. */
    s_items (self)[self->count++] = dt_str_n (ptr, len > UINT32_MAX ? UINT32_MAX : len);
    return 0;
}

static int s_add_source (dt_urls_t *self, const char *text)
{
    s_source_t *sources = realloc (self->sources, (self->nsources + 1) * sizeof *sources);
    if (!sources)
        return -1;
    self->sources = sources;
    self->sources[self->nsources++] = (s_source_t){self->count, text, self->args + 1};
    return 0;
}

int dt_urls_add_arg (dt_urls_t *self, const char *url)
{
    return dt_urls_add_bytes (self, url, strlen (url));
}

int dt_urls_add_bytes (dt_urls_t *self, const char *url, size_t len)
{
    /* Consecutive arguments share one source. */
    int joined = self->nsources > 0 && !self->sources[self->nsources - 1].text;
    if (!joined && s_add_source (self, NULL) != 0)
        return -1;
    if (s_push (self, url, len) != 0)
        return -1;
    self->args++;
    return 0;
}

static int s_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static size_t s_count_lines (const char *text, size_t len)
{
    size_t lines = 1;
    for (const char *p = text, *end = text + len; (p = memchr (p, '\n', (size_t) (end - p))); p++)
        lines++;
    return lines;
}

/* Splits `text` into lines in place (it is owned by self and never moves). */
static int s_parse (dt_urls_t *self, const char *text, size_t len)
{
    if (s_add_source (self, text) != 0 || s_reserve (self, s_count_lines (text, len)) != 0)
        return -1;
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *stop = nl ? nl : end;
        const char *a = p, *b = stop;
        while (a < b && s_blank (*a))
            a++;
        while (b > a && s_blank (b[-1]))
            b--;
        if (a < b && *a != '#' && s_push (self, a, (size_t) (b - a)) != 0)
            return -1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Takes ownership of `text` (even on failure) and adds its lines. */
static int s_add_owned (dt_urls_t *self, s_buf_t text, size_t len)
{
    s_buf_t *texts = realloc (self->texts, (self->ntexts + 1) * sizeof *texts);
    if (!texts) {
        s_buf_free (&text);
        return -1;
    }
    self->texts = texts;
    self->texts[self->ntexts++] = text;
    return s_parse (self, text.ptr, len);
}

int dt_urls_add_text (dt_urls_t *self, const char *text, size_t len)
{
    s_buf_t copy = {0};
    if (len == SIZE_MAX || s_buf_grow (&copy, len + 1) != 0)
        return -1;
    memcpy (copy.ptr, text, len);
    copy.ptr[len] = '\0';
    return s_add_owned (self, copy, len);
}

int dt_urls_load_file (dt_urls_t *self, const char *path)
{
    int is_stdin = strcmp (path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -1;
    /* A regular file is read in one go into a buffer of its size (plus one
     * read that finds its end); a pipe grows the buffer as it goes. */
    struct stat st;
    size_t guess = DT_URLS_READ_CHUNK * 2;
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0 &&
        (uint64_t) st.st_size < SIZE_MAX / 4)
        guess = (size_t) st.st_size + 2;
    s_buf_t buf = {0};
    size_t len = 0;
    if (s_buf_grow (&buf, guess) != 0) {
        errno = ENOMEM;
        goto fail;
    }
    for (;;) {
        if (buf.size - len < 2 && s_buf_grow (&buf, buf.size + DT_URLS_READ_CHUNK) != 0) {
            errno = ENOMEM;
            goto fail;
        }
        ssize_t n = read (fd, buf.ptr + len, buf.size - len - 1);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    buf.ptr[len] = '\0';
    if (!is_stdin)
        close (fd);
    if (s_add_owned (self, buf, len) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
fail:;
    int saved = errno;
    s_buf_free (&buf);
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
    return s_items (self);
}

/* Counts lines up to each reported URL of one text, front to back, so a
 * file with many bad URLs is scanned once. */
typedef struct {
    const char *text; /* the text scanned */
    const char *at;   /* scanned up to here */
    uint32_t line;    /* the line `at` is on, from 1 */
} s_lines_t;

static void s_where (const dt_urls_t *self, size_t i, s_lines_t *lines, char *out, size_t size)
{
    size_t s = self->nsources;
    while (s > 0 && self->sources[s - 1].first > i)
        s--;
    assert (s > 0);
    const s_source_t *src = &self->sources[s - 1];
    if (!src->text) {
        snprintf (out, size, "argument %" PRIu32, src->first_arg + (uint32_t) (i - src->first));
        return;
    }
    if (lines->text != src->text)
        *lines = (s_lines_t){src->text, src->text, 1};
    const char *url = s_items (self)[i].ptr;
    for (const char *p = lines->at; (p = memchr (p, '\n', (size_t) (url - p))); p++)
        lines->line++;
    lines->at = url;
    snprintf (out, size, "line %" PRIu32, lines->line);
}

size_t dt_urls_check (const dt_urls_t *self, dt_urls_report_fn *report, void *arg)
{
    size_t bad = 0;
    s_lines_t lines = {0};
    const dt_str_t *urls = s_items (self);
    for (size_t i = 0; i < self->count; i++) {
        char why[128];
        if (dt_url_check (urls[i].ptr, urls[i].len, why, sizeof why) == 0)
            continue;
        bad++;
        if (report) {
            char where[32];
            s_where (self, i, &lines, where, sizeof where);
            report (arg, where, why, urls[i]);
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
    const dt_str_t *urls = s_items (self);
    for (size_t i = 0; i < self->count; i++) {
        size_t size = urls[i].len + DT_URLS_OVERHEAD;
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
