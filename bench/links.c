/* links.c - the crawl's link extraction alone (worker/dt_pagelinks.c): time and links per page of
 * the crawl benchmark's generated site.
 *
 * Not part of the test suite (a number, not a verdict). Usage:
 *   links ROOT PATHS [ROUNDS]
 * ROOT and PATHS are bench/peers/linked_site.py's output (the pages and their paths, one a line);
 * every page is read into memory, then extracted ROUNDS times (default 1) as found at
 * http://127.0.0.1:8080PATH. Run under valgrind --tool=callgrind for instructions per page.
 */
#include "dt_pagelinks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_PAGES_MAX 1000000
#define S_BASE      "http://127.0.0.1:8080"

typedef struct {
    char *url;
    char *body;
    size_t len;
} s_page_t;

static double s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static char *s_read (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            char *more = realloc (buf, cap = cap ? cap * 2 : 4096);
            if (!more)
                break;
            buf = more;
        }
        got = fread (buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose (f);
    *len = n;
    return buf;
}

int main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: links ROOT PATHS [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi (argv[3]) : 1;
    FILE *paths = fopen (argv[2], "r");
    if (!paths || rounds < 1) {
        fprintf (stderr, "links: cannot read %s\n", argv[2]);
        return 1;
    }
    s_page_t *pages = calloc (S_PAGES_MAX, sizeof *pages);
    size_t n = 0;
    char line[4096], file[8192];
    while (pages && n < S_PAGES_MAX && fgets (line, sizeof line, paths)) {
        line[strcspn (line, "\n")] = '\0';
        snprintf (file, sizeof file, "%s%s", argv[1], strcmp (line, "/") ? line : "/index.html");
        pages[n].body = s_read (file, &pages[n].len);
        if (!pages[n].body)
            continue;
        snprintf (file, sizeof file, "%s%s", S_BASE, line);
        pages[n++].url = strdup (file);
    }
    fclose (paths);
    dt_pagelinks_t *pl = dt_pagelinks_new ();
    size_t links = 0, bytes = 0;
    double t0 = s_now ();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            size_t len;
            dt_pagelinks_reset (pl);
            dt_pagelinks_body (pl, pages[i].body, pages[i].len);
            const char *out = dt_pagelinks_links (pl, 200, pages[i].url, "text/html", &len);
            for (size_t k = 0; k < len; k++)
                links += out[k] == '\n';
            links += len > 0;
            bytes += len;
        }
    double s = s_now () - t0;
    size_t total = n * (size_t) rounds;
    printf ("%zu pages x %d: %.2f us/page, %.1f links/page, %.0f link bytes/page\n", n, rounds,
            total ? s * 1e6 / (double) total : 0.0, total ? (double) links / (double) total : 0.0,
            total ? (double) bytes / (double) total : 0.0);
    dt_pagelinks_destroy (&pl);
    for (size_t i = 0; i < n; i++) {
        free (pages[i].url);
        free (pages[i].body);
    }
    free (pages);
    return 0;
}
