/* test_cli_urls.c - the CLI's URL list: reading lines, reporting bad URLs, cutting chunks. */
#include "dt_test.h"
#include "dt_limits.h"
#include "dt_urls.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int s_eq (dt_str_t s, const char *want)
{
    return s.len == strlen (want) && memcmp (s.ptr, want, s.len) == 0;
}

static void test_lines_are_trimmed_and_comments_skipped (void)
{
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    const char text[] =
        "http://a/1\r\n\n  # comment\n\t http://a/2 \r\n#http://a/x\n\r\nhttp://a/3";
    DT_CHECK_EQ (dt_urls_add_text (u, text, sizeof text - 1), 0);
    DT_CHECK_EQ (dt_urls_count (u), 3);
    const dt_str_t *items = dt_urls_items (u);
    DT_CHECK (s_eq (items[0], "http://a/1"));
    DT_CHECK (s_eq (items[1], "http://a/2"));
    DT_CHECK (s_eq (items[2], "http://a/3"));
    dt_urls_destroy (&u);
    DT_CHECK (u == NULL);
    dt_urls_destroy (&u);
}

typedef struct {
    int n;
    char where[8][32];
} s_seen_t;

static void s_collect (void *arg, const char *where, const char *why, dt_str_t url)
{
    s_seen_t *seen = arg;
    if (seen->n < 8)
        snprintf (seen->where[seen->n], sizeof seen->where[0], "%s", where);
    seen->n++;
}

static void test_bad_urls_are_reported_by_line_and_argument (void)
{
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    DT_CHECK_EQ (dt_urls_add_arg (u, "http://127.0.0.1/ok"), 0);
    DT_CHECK_EQ (dt_urls_add_arg (u, "ftp://x"), 0);
    const char text[] = "http://127.0.0.1/a\n# c\n\nnot a url\nhttps://127.0.0.1/b\n";
    DT_CHECK_EQ (dt_urls_add_text (u, text, sizeof text - 1), 0);
    s_seen_t seen = {0};
    DT_CHECK_EQ (dt_urls_check (u, s_collect, &seen), 2);
    DT_CHECK_EQ (seen.n, 2);
    DT_CHECK (strcmp (seen.where[0], "argument 2") == 0);
    DT_CHECK (strcmp (seen.where[1], "line 4") == 0);
    dt_urls_destroy (&u);
}

static void test_empty_text_gives_no_urls (void)
{
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    DT_CHECK_EQ (dt_urls_add_text (u, "\n\n# only a comment\n", 19), 0);
    DT_CHECK_EQ (dt_urls_count (u), 0);
    size_t n = 99;
    DT_CHECK (dt_urls_chunk (u, 10, 1000, &n) == NULL);
    DT_CHECK_EQ (n, 0);
    dt_urls_destroy (&u);
}

static void test_chunks_respect_the_count_cap (void)
{
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    for (int i = 0; i < 10001; i++)
        DT_CHECK_EQ (dt_urls_add_arg (u, "http://a/"), 0);
    size_t n = 0;
    dt_urls_chunk_t *c = dt_urls_chunk (u, DT_LIMIT_BATCH_MAX, DT_LIMIT_BATCH_BYTES, &n);
    DT_CHECK (c);
    DT_CHECK_EQ (n, 3);
    DT_CHECK_EQ (c[0].first, 0);
    DT_CHECK_EQ (c[0].count, DT_LIMIT_BATCH_MAX);
    DT_CHECK_EQ (c[1].first, DT_LIMIT_BATCH_MAX);
    DT_CHECK_EQ (c[2].count, 10001 - 2 * DT_LIMIT_BATCH_MAX);
    free (c);
    dt_urls_destroy (&u);
}

static void test_chunks_respect_the_byte_cap (void)
{
    /* 1000 URLs of 8000 bytes: 3 MiB holds 393 of them with overhead. */
    char *url = malloc (8001);
    DT_CHECK (url);
    memcpy (url, "http://a/", 9);
    memset (url + 9, 'x', 8000 - 9);
    url[8000] = '\0';
    dt_urls_t *u = dt_urls_new ();
    for (int i = 0; i < 1000; i++)
        dt_urls_add_arg (u, url);
    size_t n = 0;
    dt_urls_chunk_t *c = dt_urls_chunk (u, DT_LIMIT_BATCH_MAX, DT_LIMIT_BATCH_BYTES, &n);
    size_t total = 0;
    for (size_t i = 0; c && i < n; i++) {
        if (c[i].count * (size_t) (8000 + DT_URLS_OVERHEAD) > DT_LIMIT_BATCH_BYTES)
            n = 0; /* fails the check below */
        total += c[i].count;
    }
    int ok = c && n == 3 && total == 1000 && c[0].count == DT_LIMIT_BATCH_BYTES / 8005;
    free (c);
    dt_urls_destroy (&u);
    free (url);
    DT_CHECK (ok);
}

static void test_missing_file_fails_with_errno (void)
{
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    errno = 0;
    DT_CHECK_EQ (dt_urls_load_file (u, "/nonexistent/dtask-urls.txt"), -1);
    DT_CHECK_EQ (errno, ENOENT);
    dt_urls_destroy (&u);
}

/* A file past the size where buffers come from huge pages, with arguments
 * before and after it: every URL is read, and bad ones are found by line
 * and by argument number across the sources. */
static void test_a_big_file_between_arguments_keeps_every_origin (void)
{
    char path[] = "/tmp/dtask-urls-XXXXXX";
    int fd = mkstemp (path);
    DT_CHECK (fd != -1);
    FILE *f = fdopen (fd, "w");
    DT_CHECK (f);
    const int lines = 60000;
    for (int i = 1; i <= lines; i++) {
        if (i == 7)
            fprintf (f, "# a comment\n");
        else if (i == 41234 || i == 59999)
            fprintf (f, "bad url %d\n", i);
        else
            fprintf (f, "http://127.0.0.1:8080/a/fairly/long/path/to/page/%08d\n", i);
    }
    DT_CHECK_EQ (fclose (f), 0);
    dt_urls_t *u = dt_urls_new ();
    DT_CHECK (u);
    DT_CHECK_EQ (dt_urls_add_arg (u, "http://127.0.0.1/first"), 0);
    DT_CHECK_EQ (dt_urls_load_file (u, path), 0);
    DT_CHECK_EQ (dt_urls_add_arg (u, "gopher://x"), 0);
    unlink (path);
    DT_CHECK_EQ (dt_urls_count (u), (size_t) lines + 1);
    const dt_str_t *items = dt_urls_items (u);
    DT_CHECK (s_eq (items[1], "http://127.0.0.1:8080/a/fairly/long/path/to/page/00000001"));
    DT_CHECK (s_eq (items[lines - 1], "http://127.0.0.1:8080/a/fairly/long/path/to/page/00060000"));
    s_seen_t seen = {0};
    DT_CHECK_EQ (dt_urls_check (u, s_collect, &seen), 3);
    DT_CHECK (strcmp (seen.where[0], "line 41234") == 0);
    DT_CHECK (strcmp (seen.where[1], "line 59999") == 0);
    DT_CHECK (strcmp (seen.where[2], "argument 2") == 0);
    dt_urls_destroy (&u);
}

static dt_test_t tests[] = {
    {"lines are trimmed and comments skipped", test_lines_are_trimmed_and_comments_skipped},
    {"bad urls are reported by line and argument", test_bad_urls_are_reported_by_line_and_argument},
    {"empty text gives no urls", test_empty_text_gives_no_urls},
    {"chunks respect the count cap", test_chunks_respect_the_count_cap},
    {"chunks respect the byte cap", test_chunks_respect_the_byte_cap},
    {"missing file fails with errno", test_missing_file_fails_with_errno},
    {"a big file between arguments keeps every origin",
     test_a_big_file_between_arguments_keeps_every_origin},
    {0},
};

int main (void)
{
    return dt_test_run (tests);
}
