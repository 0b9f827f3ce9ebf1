/* test_pagelinks.c - a crawl page's links in the worker: HTML 2xx only, X-Robots-Tag, the body cap.
 */
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_pagelinks.h"
#include "dt_test.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char s_page[] = "<html><body><a href=\"/a\">a</a> <a href=\"b\">b</a></body></html>";

static const char *s_links (dt_pagelinks_t *p, long status, const char *ctype, size_t *len)
{
    return dt_pagelinks_links (p, status, "http://h.test/dir/", ctype, len);
}

static void test_an_html_page_gives_its_links (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    DT_CHECK (p);
    dt_pagelinks_header (p, "HTTP/1.1 200 OK\r\n", 17);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    size_t len;
    const char *links = s_links (p, 200, "text/html; charset=utf-8", &len);
    DT_CHECK (len == strlen ("http://h.test/a\nhttp://h.test/dir/b") &&
              memcmp (links, "http://h.test/a\nhttp://h.test/dir/b", len) == 0);
    dt_pagelinks_destroy (&p);
    DT_CHECK (!p);
}

static void test_no_links_from_other_bodies (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    size_t len;
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "application/octet-stream", &len);
    DT_CHECK_EQ (len, 0);
    s_links (p, 200, "", &len);
    DT_CHECK_EQ (len, 0);
    s_links (p, 404, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    s_links (p, 301, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    dt_pagelinks_destroy (&p);
}

static void test_x_robots_tag_nofollow_is_obeyed_for_us_only (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    size_t len;
    const char other[] = "X-Robots-Tag: otherbot: nofollow\r\n";
    dt_pagelinks_header (p, other, sizeof other - 1);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK (len > 0);
    dt_pagelinks_reset (p);
    const char ours[] = "x-robots-tag: dtask: noindex, nofollow\r\n";
    dt_pagelinks_header (p, ours, sizeof ours - 1);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    /* A redirect's header is not the final response's: a new status line forgets it. */
    dt_pagelinks_reset (p);
    const char all[] = "X-Robots-Tag: none\r\n";
    dt_pagelinks_header (p, all, sizeof all - 1);
    dt_pagelinks_header (p, "HTTP/1.1 200 OK\r\n", 17);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK (len > 0);
    dt_pagelinks_destroy (&p);
}

static void test_noindex_is_known_from_the_head_and_from_the_page (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    size_t len;
    /* From X-Robots-Tag for us, before any parse. */
    const char ours[] = "X-Robots-Tag: dtask: noindex\r\n";
    dt_pagelinks_header (p, ours, sizeof ours - 1);
    DT_CHECK (dt_pagelinks_robots (p) & DT_LINKS_NOINDEX);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK (len > 0); /* noindex alone still follows */
    /* From the page's meta robots, once its links are read. */
    dt_pagelinks_reset (p);
    DT_CHECK_EQ (dt_pagelinks_robots (p), 0);
    const char meta[] = "<html><head><meta name=\"robots\" content=\"noindex\"></head>"
                        "<body><a href=\"/a\">a</a></body></html>";
    dt_pagelinks_body (p, meta, sizeof meta - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK (len > 0);
    DT_CHECK (dt_pagelinks_robots (p) & DT_LINKS_NOINDEX);
    /* Another agent's noindex is not ours. */
    dt_pagelinks_reset (p);
    const char other[] = "X-Robots-Tag: otherbot: noindex\r\n";
    dt_pagelinks_header (p, other, sizeof other - 1);
    DT_CHECK_EQ (dt_pagelinks_robots (p) & DT_LINKS_NOINDEX, 0);
    dt_pagelinks_destroy (&p);
}

static void test_the_body_kept_is_capped (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    size_t chunk = 1024 * 1024;
    char *junk = malloc (chunk);
    DT_CHECK (junk);
    memset (junk, ' ', chunk);
    /* A link past the cap is never seen: only DT_LIMIT_HTML_MAX bytes are kept. */
    for (size_t i = 0; i < DT_LIMIT_HTML_MAX / chunk; i++)
        dt_pagelinks_body (p, junk, chunk);
    free (junk);
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    size_t len;
    s_links (p, 200, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    dt_pagelinks_destroy (&p);
}

/* Feeds one head line (NUL-terminated) to the page. */
static void s_head (dt_pagelinks_t *p, const char *line)
{
    dt_pagelinks_header (p, line, strlen (line));
}

/* The two links s_page gives. */
#define S_PAGE_LINKS "http://h.test/a\nhttp://h.test/dir/b"

static void test_a_wire_body_is_dechunked_before_its_links_are_read (void)
{
    dt_pagelinks_t *p = dt_pagelinks_new ();
    dt_pagelinks_wire (p);
    s_head (p, "HTTP/1.1 200 OK\r\n");
    s_head (p, "Transfer-Encoding: chunked\r\n");
    /* Framing inside both URLs, an extension, and a trailer. */
    const char wire[] = "15\r\n<html><body><a href=\"\r\n"
                        "3;ext=1\r\n/a\"\r\n"
                        "1a\r\n>a</a> <a href=\"b\">b</a></\r\n"
                        "c\r\nbody></html>\r\n"
                        "0\r\nX-Trailer: 1\r\n\r\n";
    dt_pagelinks_body (p, wire, sizeof wire - 1);
    size_t len;
    const char *links = s_links (p, 200, "text/html", &len);
    DT_CHECK (len == strlen (S_PAGE_LINKS) && memcmp (links, S_PAGE_LINKS, len) == 0);
    /* Without wire mode (libcurl decoded it) the same head changes nothing. */
    dt_pagelinks_reset (p);
    s_head (p, "Transfer-Encoding: chunked\r\n");
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    links = s_links (p, 200, "text/html", &len);
    DT_CHECK (len == strlen (S_PAGE_LINKS) && memcmp (links, S_PAGE_LINKS, len) == 0);
    dt_pagelinks_destroy (&p);
}

static void test_a_wire_body_is_inflated_and_unknown_codings_give_none (void)
{
    unsigned char gz[512];
    z_stream z;
    memset (&z, 0, sizeof z);
    DT_CHECK (deflateInit2 (&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *) s_page;
    z.avail_in = sizeof s_page - 1;
    z.next_out = gz;
    z.avail_out = sizeof gz;
    DT_CHECK (deflate (&z, Z_FINISH) == Z_STREAM_END);
    size_t gz_len = sizeof gz - z.avail_out;
    deflateEnd (&z);

    dt_pagelinks_t *p = dt_pagelinks_new ();
    dt_pagelinks_wire (p);
    s_head (p, "HTTP/1.1 200 OK\r\n");
    s_head (p, "Content-Encoding: gzip\r\n");
    dt_pagelinks_body (p, (const char *) gz, gz_len);
    size_t len;
    const char *links = s_links (p, 200, "text/html", &len);
    DT_CHECK (len == strlen (S_PAGE_LINKS) && memcmp (links, S_PAGE_LINKS, len) == 0);

    /* A coding zlib cannot undo: no links, rather than links read from it. */
    dt_pagelinks_reset (p);
    dt_pagelinks_wire (p);
    s_head (p, "Content-Encoding: br\r\n");
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    /* Broken gzip: none either. */
    dt_pagelinks_reset (p);
    dt_pagelinks_wire (p);
    s_head (p, "Content-Encoding: gzip\r\n");
    dt_pagelinks_body (p, s_page, sizeof s_page - 1);
    s_links (p, 200, "text/html", &len);
    DT_CHECK_EQ (len, 0);
    dt_pagelinks_destroy (&p);
}

static void test_links_are_cut_after_a_whole_url (void)
{
    const char links[] = "http://a/1\nhttp://b/22\nhttp://c/333";
    size_t len = sizeof links - 1;
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, len), len);
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, len + 100), len);
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, len - 1), strlen ("http://a/1\nhttp://b/22"));
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 23), strlen ("http://a/1\nhttp://b/22"));
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 22), strlen ("http://a/1\nhttp://b/22"));
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 21), strlen ("http://a/1"));
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 10), strlen ("http://a/1"));
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 9), 0);
    DT_CHECK_EQ (dt_pagelinks_fit (links, len, 0), 0);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"an HTML page gives its links", test_an_html_page_gives_its_links},
        {"no links from other bodies", test_no_links_from_other_bodies},
        {"X-Robots-Tag nofollow is obeyed for us only",
         test_x_robots_tag_nofollow_is_obeyed_for_us_only},
        {"noindex is known from the head and from the page",
         test_noindex_is_known_from_the_head_and_from_the_page},
        {"the body kept is capped", test_the_body_kept_is_capped},
        {"a wire body is dechunked before its links are read",
         test_a_wire_body_is_dechunked_before_its_links_are_read},
        {"links are cut after a whole URL", test_links_are_cut_after_a_whole_url},
        {"a wire body is inflated, and unknown codings give none",
         test_a_wire_body_is_inflated_and_unknown_codings_give_none},
        {0},
    };
    return dt_test_run (tests);
}
