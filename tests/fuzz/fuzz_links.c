/* fuzz_links.c - libFuzzer target for the worker's link extraction: any page a
 * hostile server sends.
 *
 * Any bytes must parse without a crash, a leak or a read past the buffer, and
 * every link kept must be an absolute http(s) URL within DT_LIMIT_URL_MAX, at
 * most DT_LIMIT_LINKS_MAX of them. The page body goes through dt_pagelinks
 * too, in wire mode half of the time (chunked framing and a content coding
 * undone), with the first input byte choosing the response head.
 */
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_pagelinks.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void s_check_url (const char *u, size_t len)
{
    if (len == 0 || len > DT_LIMIT_URL_MAX)
        abort ();
    if (strncmp (u, "http://", 7) != 0 && strncmp (u, "https://", 8) != 0)
        abort ();
    if (memchr (u, '\n', len))
        abort ();
}

static void s_extract (const uint8_t *data, size_t size)
{
    dt_links_t *links = dt_links_extract ("http://fuzz.test/dir/page.html", (const char *) data,
                                          size, "text/html", DT_PAGELINKS_AGENT);
    if (!links)
        return;
    size_t n = dt_links_count (links);
    if (n > DT_LIMIT_LINKS_MAX)
        abort ();
    for (size_t i = 0; i < n; i++) {
        const char *u = dt_links_url (links, i);
        s_check_url (u, strlen (u));
    }
    (void) dt_links_robots (links);
    dt_links_destroy (&links);
}

/* The head a response may come with, chosen by the input's first byte. */
static const char *const s_heads[] = {
    "",
    "Transfer-Encoding: chunked\r\n",
    "Content-Encoding: gzip\r\n",
    "Content-Encoding: deflate\r\n",
    "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n",
    "X-Robots-Tag: dtask: nofollow\r\n",
};

static void s_pagelinks (uint8_t mode, const uint8_t *data, size_t size)
{
    dt_pagelinks_t *page = dt_pagelinks_new ();
    if (!page)
        return;
    if (mode & 0x80)
        dt_pagelinks_wire (page);
    const char *status = "HTTP/1.1 200 OK\r\n";
    dt_pagelinks_header (page, status, strlen (status));
    const char *head = s_heads[(mode & 0x7f) % (sizeof s_heads / sizeof s_heads[0])];
    while (*head) {
        const char *eol = strstr (head, "\r\n") + 2;
        dt_pagelinks_header (page, head, (size_t) (eol - head));
        head = eol;
    }
    /* Bodies arrive in pieces: split at a size the input also picks. */
    size_t step = 1 + (mode % 61) * 97;
    for (size_t off = 0; off < size; off += step)
        dt_pagelinks_body (page, (const char *) data + off, size - off < step ? size - off : step);
    size_t len = 0;
    const char *all = dt_pagelinks_links (page, 200, "https://fuzz.test/", "text/html", &len);
    if (len > 0 && all[len - 1] == '\n')
        abort ();
    for (size_t off = 0; off < len;) {
        const char *nl = memchr (all + off, '\n', len - off);
        size_t ulen = nl ? (size_t) (nl - all - off) : len - off;
        s_check_url (all + off, ulen);
        off += ulen + 1;
    }
    dt_pagelinks_destroy (&page);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_extract (data, size);
    if (size > 0)
        s_pagelinks (data[0], data + 1, size - 1);
    return 0;
}
