/* test_links.c - link extraction: what is a link, base, nofollow, robots tags, caps, normalisation.
 */
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_test.h"

#include <stdlib.h>

#define PAGE "http://example.com/dir/page.html?x=1"

static dt_links_t *s_extract (const char *html)
{
    return dt_links_extract (PAGE, html, strlen (html), "text/html", "dtask");
}

/* 1 when the result holds exactly the given URLs, in order (NULL-ended). */
static int s_same (const dt_links_t *l, const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++)
        if (n >= dt_links_count (l) || strcmp (dt_links_url (l, n), want[n]) != 0) {
            fprintf (stderr, "    link %zu: got %s, want %s\n", n,
                     n < dt_links_count (l) ? dt_links_url (l, n) : "(none)", want[n]);
            return 0;
        }
    if (n != dt_links_count (l))
        fprintf (stderr, "    %zu links, want %zu; extra: %s\n", dt_links_count (l), n,
                 dt_links_url (l, n));
    return n == dt_links_count (l);
}

static void test_relative_links_resolve_against_the_page (void)
{
    dt_links_t *l = s_extract ("<a href=a.html>1</a><a href='/top'>2</a><a href=../up>3</a>"
                               "<a href='?q=2'>4</a><a href='//other.org/p'>5</a>"
                               "<a href='https://secure.example.com/'>6</a><a href=''>7</a>"
                               "<a href='#frag'>8</a><a href='  spaced.html\n'>9</a>");
    DT_CHECK (l);
    const char *want[] = {"http://example.com/dir/a.html",
                          "http://example.com/top",
                          "http://example.com/up",
                          "http://example.com/dir/page.html?q=2",
                          "http://other.org/p",
                          "https://secure.example.com/",
                          "http://example.com/dir/page.html?x=1",
                          "http://example.com/dir/spaced.html",
                          NULL};
    int same = s_same (l, want);
    /* '' and '#frag' are both the page itself: one link, one duplicate. */
    DT_CHECK_EQ (dt_links_skipped (l)->duplicate, 1);
    dt_links_destroy (&l);
    DT_CHECK (same);
}

static void test_all_link_elements_are_read (void)
{
    dt_links_t *l = s_extract ("<map><area href=/area></map><frameset><frame src=/frame>"
                               "</frameset><iframe src=/iframe></iframe>"
                               "<link rel=canonical href=/canonical><link rel='Next' href=/next>"
                               "<link rel=alternate hreflang=de href=/de>"
                               "<link rel=stylesheet href=/s.css><link rel=icon href=/i.ico>"
                               "<link rel='alternate stylesheet' href=/alt.css>"
                               "<link rel=preload href=/font.woff><link href=/norel>"
                               "<img src=/img.png><script src=/s.js></script><a>no href</a>");
    DT_CHECK (l);
    const char *want[] = {"http://example.com/area",
                          "http://example.com/frame",
                          "http://example.com/iframe",
                          "http://example.com/canonical",
                          "http://example.com/next",
                          "http://example.com/de",
                          NULL};
    int same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);
}

static void test_base_href_applies_to_every_link (void)
{
    /* Even a link before the <base> resolves against it; only the first
     * <base href> counts; a relative base resolves against the page. */
    dt_links_t *l = s_extract ("<a href=early>0</a><base href='/b/'><base href='http://no/'>"
                               "<a href=x>1</a><a href=/abs>2</a>");
    DT_CHECK (l);
    const char *want[] = {"http://example.com/b/early", "http://example.com/b/x",
                          "http://example.com/abs", NULL};
    int same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);

    l = s_extract ("<base href='https://cdn.example.net/root/'><a href=x>1</a>");
    DT_CHECK (l);
    const char *want2[] = {"https://cdn.example.net/root/x", NULL};
    same = s_same (l, want2);
    dt_links_destroy (&l);
    DT_CHECK (same);

    /* A base that is not http(s) is ignored. */
    l = s_extract ("<base href='javascript:void(0)'><a href=x>1</a>");
    DT_CHECK (l);
    const char *want3[] = {"http://example.com/dir/x", NULL};
    same = s_same (l, want3);
    dt_links_destroy (&l);
    DT_CHECK (same);
}

static void test_rel_nofollow_links_are_skipped (void)
{
    dt_links_t *l = s_extract ("<a href=/a rel=nofollow>1</a><a href=/b rel='noopener NoFollow'>"
                               "2</a><a href=/c rel=noopener>3</a><area href=/d rel=nofollow>"
                               "<link rel='next nofollow' href=/e>");
    DT_CHECK (l);
    const char *want[] = {"http://example.com/c", NULL};
    int same = s_same (l, want);
    size_t nofollow = dt_links_skipped (l)->nofollow;
    dt_links_destroy (&l);
    DT_CHECK (same);
    DT_CHECK_EQ (nofollow, 4);
}

static void test_meta_robots_nofollow_and_noindex (void)
{
    dt_links_t *l = s_extract ("<head><meta name=robots content='noindex, nofollow'></head>"
                               "<a href=/a>1</a><a href=/b>2</a>");
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), 0);
    DT_CHECK_EQ (dt_links_robots (l), DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_skipped (l)->nofollow, 2);
    dt_links_destroy (&l);

    l = s_extract ("<meta name=ROBOTS content=NOINDEX><a href=/a>1</a>");
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), 1);
    DT_CHECK_EQ (dt_links_robots (l), DT_LINKS_NOINDEX);
    dt_links_destroy (&l);

    /* "none" is both; a tag for our agent counts; one for another does not. */
    l = s_extract ("<meta name=dtask content=none><a href=/a>1</a>");
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_robots (l), DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_count (l), 0);
    dt_links_destroy (&l);
    l = s_extract ("<meta name=googlebot content=nofollow><a href=/a>1</a>");
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_robots (l), 0);
    DT_CHECK_EQ (dt_links_count (l), 1);
    dt_links_destroy (&l);

    /* nofollow at the end of the page still holds for links before it. */
    l = s_extract ("<a href=/a>1</a><meta name=robots content=nofollow>");
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), 0);
    dt_links_destroy (&l);
}

static void test_x_robots_tag_header_values (void)
{
    DT_CHECK_EQ (dt_links_robots_header ("noindex", "dtask"), DT_LINKS_NOINDEX);
    DT_CHECK_EQ (dt_links_robots_header ("NoIndex, NOFOLLOW", "dtask"),
                 DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("none", "dtask"), DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("all", "dtask"), 0);
    DT_CHECK_EQ (dt_links_robots_header ("", "dtask"), 0);
    DT_CHECK_EQ (dt_links_robots_header (NULL, "dtask"), 0);
    /* Agent prefixes: ours counts, another's does not, to the end of the line. */
    DT_CHECK_EQ (dt_links_robots_header ("dtask: nofollow", "dtask"), DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("DTask: noindex, nofollow", "dtask/1.0"),
                 DT_LINKS_NOINDEX | DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("googlebot: noindex, nofollow", "dtask"), 0);
    DT_CHECK_EQ (dt_links_robots_header ("googlebot: noindex, dtask: nofollow", "dtask"),
                 DT_LINKS_NOFOLLOW);
    /* Directives whose value has a colon are not agents. */
    DT_CHECK_EQ (
        dt_links_robots_header ("unavailable_after: 25 Jun 2010 15:00:00 PST, noindex", "dtask"),
        DT_LINKS_NOINDEX);
    DT_CHECK_EQ (dt_links_robots_header ("max-snippet: 20, nofollow", "dtask"), DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("unavailable_after: Friday, 25-Jun-2010 15:00:00 PST, "
                                         "noindex",
                                         "dtask"),
                 DT_LINKS_NOINDEX);
    DT_CHECK_EQ (dt_links_robots_header ("nofollow", NULL), DT_LINKS_NOFOLLOW);
    DT_CHECK_EQ (dt_links_robots_header ("dtask: nofollow", NULL), 0);
}

static void test_content_type_decides_what_is_html (void)
{
    DT_CHECK_EQ (dt_links_is_html ("text/html"), 1);
    DT_CHECK_EQ (dt_links_is_html ("text/html; charset=utf-8"), 1);
    DT_CHECK_EQ (dt_links_is_html ("  TEXT/HTML ;charset=x"), 1);
    DT_CHECK_EQ (dt_links_is_html ("application/xhtml+xml"), 1);
    DT_CHECK_EQ (dt_links_is_html ("text/plain"), 0);
    DT_CHECK_EQ (dt_links_is_html ("application/json"), 0);
    DT_CHECK_EQ (dt_links_is_html ("image/png"), 0);
    DT_CHECK_EQ (dt_links_is_html ("text/htmlx"), 0);
    DT_CHECK_EQ (dt_links_is_html (""), 0);
    DT_CHECK_EQ (dt_links_is_html (NULL), 0);
}

static void test_charset_comes_from_content_type (void)
{
    const char *html = "<a href='/caf\xe9'>1</a>";
    dt_links_t *l =
        dt_links_extract (PAGE, html, strlen (html), "text/html; charset=ISO-8859-1", NULL);
    DT_CHECK (l);
    const char *want[] = {"http://example.com/caf%C3%A9", NULL};
    int same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);

    /* A meta charset, when the header has none. */
    html = "<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>"
           "<a href='/caf\xe9'>1</a>";
    l = dt_links_extract (PAGE, html, strlen (html), "text/html", NULL);
    DT_CHECK (l);
    same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);

    /* Nothing declared: UTF-8 when the bytes are UTF-8, else Latin-1. */
    html = "<a href='/caf\xc3\xa9'>1</a>";
    l = dt_links_extract (PAGE, html, strlen (html), NULL, NULL);
    DT_CHECK (l);
    same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);
    html = "<a href='/caf\xe9'>1</a>";
    l = dt_links_extract (PAGE, html, strlen (html), NULL, NULL);
    DT_CHECK (l);
    same = s_same (l, want);
    dt_links_destroy (&l);
    DT_CHECK (same);
}

static void test_malformed_html_is_survived (void)
{
    /* Unclosed tags, an unquoted and an unterminated attribute, stray
     * '<', NUL bytes in text and in an attribute, garbage bytes: the
     * parser recovers and the links around them are still found. */
    const char html[] = "<html><body><p><a href=/one>one<div><a href=\"/two\">two<b><i>"
                        "< <<>><a href=/three\0/rest>three</a>\0\0\0\x01\x02\xff\xfe"
                        "<a href=/four>four<a href='/five";
    dt_links_t *l = dt_links_extract (PAGE, html, sizeof html - 1, "text/html", NULL);
    DT_CHECK (l);
    int one = 0, two = 0, three = 0, four = 0;
    for (size_t i = 0; i < dt_links_count (l); i++) {
        const char *u = dt_links_url (l, i);
        one |= strcmp (u, "http://example.com/one") == 0;
        two |= strcmp (u, "http://example.com/two") == 0;
        three |= strncmp (u, "http://example.com/three", 24) == 0;
        four |= strcmp (u, "http://example.com/four") == 0;
    }
    dt_links_destroy (&l);
    DT_CHECK (one && two && three && four);
}

static void test_garbage_bytes_do_not_crash (void)
{
    size_t n = 256 * 1024;
    char *buf = malloc (n + 32);
    DT_CHECK (buf);
    unsigned x = 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char) (x >> 16);
    }
    memcpy (buf + n, "<a href=/after>", 15);
    dt_links_t *l = dt_links_extract (PAGE, buf, n + 15, NULL, NULL);
    free (buf);
    DT_CHECK (l);
    DT_CHECK (dt_links_count (l) <= DT_LIMIT_LINKS_MAX);
    dt_links_destroy (&l);
}

static void test_10000_links_are_capped (void)
{
    size_t size = 10000 * 40;
    char *html = malloc (size);
    DT_CHECK (html);
    size_t o = 0;
    for (int i = 0; i < 10000; i++)
        o += (size_t) snprintf (html + o, size - o, "<a href=/p%d>x</a>", i);
    dt_links_t *l = dt_links_extract (PAGE, html, o, "text/html", NULL);
    free (html);
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), DT_LIMIT_LINKS_MAX);
    DT_CHECK_EQ (dt_links_skipped (l)->over_cap, 10000 - DT_LIMIT_LINKS_MAX);
    DT_CHECK (strcmp (dt_links_url (l, 0), "http://example.com/p0") == 0);
    DT_CHECK (strcmp (dt_links_url (l, DT_LIMIT_LINKS_MAX - 1), "http://example.com/p999") == 0);
    dt_links_destroy (&l);
}

static void test_links_bytes_are_capped (void)
{
    /* 1,000 links of 4 KiB would be 4 MiB: the result stops at
     * DT_LIMIT_LINKS_BYTES. */
    size_t len = 4096, count = 1000;
    char *html = malloc (count * (len + 32));
    DT_CHECK (html);
    size_t o = 0, total = 0;
    for (size_t i = 0; i < count; i++) {
        o += (size_t) sprintf (html + o, "<a href=/%04zu", i);
        memset (html + o, 'a', len);
        o += len;
        o += (size_t) sprintf (html + o, ">x</a>");
    }
    dt_links_t *l = dt_links_extract (PAGE, html, o, "text/html", NULL);
    free (html);
    DT_CHECK (l);
    for (size_t i = 0; i < dt_links_count (l); i++)
        total += strlen (dt_links_url (l, i));
    DT_CHECK (total <= DT_LIMIT_LINKS_BYTES);
    DT_CHECK (dt_links_count (l) > 200);
    DT_CHECK (dt_links_skipped (l)->over_cap > 0);
    DT_CHECK_EQ (dt_links_count (l) + dt_links_skipped (l)->over_cap, count);
    dt_links_destroy (&l);
}

static void test_100_kb_link_is_skipped (void)
{
    size_t n = 100 * 1000;
    char *html = malloc (n + 64);
    DT_CHECK (html);
    size_t o = (size_t) sprintf (html, "<a href=\"/");
    memset (html + o, 'x', n);
    o += n;
    o += (size_t) sprintf (html + o, "\">x</a><a href=/ok>y</a>");
    dt_links_t *l = dt_links_extract (PAGE, html, o, "text/html", NULL);
    free (html);
    DT_CHECK (l);
    const char *want[] = {"http://example.com/ok", NULL};
    int same = s_same (l, want);
    size_t too_long = dt_links_skipped (l)->too_long;
    dt_links_destroy (&l);
    DT_CHECK (same);
    DT_CHECK_EQ (too_long, 1);
}

static void test_link_too_long_once_resolved_is_skipped (void)
{
    /* 8,180 bytes as written, over DT_LIMIT_URL_MAX with the base's
     * scheme and host. */
    size_t n = DT_LIMIT_URL_MAX - 12;
    char *html = malloc (n + 64);
    DT_CHECK (html);
    size_t o = (size_t) sprintf (html, "<a href=\"/");
    memset (html + o, 'x', n - 1);
    o += n - 1;
    o += (size_t) sprintf (html + o, "\">x</a>");
    dt_links_t *l = dt_links_extract (PAGE, html, o, "text/html", NULL);
    free (html);
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), 0);
    DT_CHECK_EQ (dt_links_skipped (l)->too_long, 1);
    dt_links_destroy (&l);
}

static void test_other_schemes_are_skipped (void)
{
    dt_links_t *l =
        s_extract ("<a href='javascript:alert(1)'>1</a><a href='mailto:a@b.c'>2</a>"
                   "<a href='JavaScript:void(0)'>3</a><a href='data:text/html,x'>4</a>"
                   "<a href='ftp://example.com/f'>5</a><a href='tel:+123'>6</a>"
                   "<a href=' javascript:x'>7</a><a href='HTTPS://example.com/s'>8</a>");
    DT_CHECK (l);
    const char *want[] = {"https://example.com/s", NULL};
    int same = s_same (l, want);
    size_t bad = dt_links_skipped (l)->bad_scheme;
    dt_links_destroy (&l);
    DT_CHECK (same);
    DT_CHECK_EQ (bad, 7);
}

static void test_duplicates_in_a_page_are_kept_once (void)
{
    dt_links_t *l = s_extract ("<a href=/a>1</a><a href=/a>2</a><a href='http://example.com/a'>"
                               "3</a><a href='HTTP://EXAMPLE.COM:80/a#x'>4</a><a href=./a>5</a>"
                               "<a href=/b>6</a>");
    DT_CHECK (l);
    const char *want[] = {"http://example.com/a", "http://example.com/dir/a",
                          "http://example.com/b", NULL};
    int same = s_same (l, want);
    size_t dup = dt_links_skipped (l)->duplicate;
    dt_links_destroy (&l);
    DT_CHECK (same);
    DT_CHECK_EQ (dup, 3);
}

/* Normalisation: each link as written and as kept (NULL: skipped). */
static const struct {
    const char *href;
    const char *want;
} s_norm[] = {
    {"HTTP://Example.COM:80/a/./b/../c#frag", "http://example.com/a/c"},
    {"https://Example.com:443/", "https://example.com/"},
    {"https://example.com:8443/x", "https://example.com:8443/x"},
    {"http://example.com:443/", "http://example.com:443/"},
    {"http://example.com", "http://example.com/"},
    {"/a/%7e%7Euser/%2f%2Fx%41", "http://example.com/a/~~user/%2F%2FxA"},
    {"/p?q=%3d%20&r=%7E", "http://example.com/p?q=%3D%20&r=~"},
    {"/a b", "http://example.com/a%20b"},
    {"/caf\xc3\xa9?q=\xc3\xa9", "http://example.com/caf%C3%A9?q=%C3%A9"},
    {"http://b\xc3\xbc"
     "cher.de/",
     "http://xn--bcher-kva.de/"},
    {"http://B\xc3\x9c"
     "CHER.de/x",
     "http://xn--bcher-kva.de/x"},
    {"http://xn--bcher-kva.de/", "http://xn--bcher-kva.de/"},
    {"http://[::1]:80/x", "http://[::1]/x"},
    {"http://[2001:DB8::1]/", "http://[2001:db8::1]/"},
    {"/a/../../../b", "http://example.com/b"},
    {"http://exa mple.com/", NULL},
    {"http://example.com:99999/", NULL},
    {"http://", NULL},
};

static void test_normalisation_cases (void)
{
    int wrong = 0;
    for (size_t i = 0; i < sizeof s_norm / sizeof s_norm[0]; i++) {
        char html[512];
        snprintf (html, sizeof html, "<a href=\"%s\">x</a>", s_norm[i].href);
        dt_links_t *l =
            dt_links_extract ("http://example.com/", html, strlen (html), "text/html", NULL);
        DT_CHECK (l);
        const char *got = dt_links_count (l) ? dt_links_url (l, 0) : NULL;
        int ok = s_norm[i].want ? got && strcmp (got, s_norm[i].want) == 0 : got == NULL;
        if (!ok) {
            fprintf (stderr, "    %s: got %s, want %s\n", s_norm[i].href, got ? got : "(none)",
                     s_norm[i].want ? s_norm[i].want : "(none)");
            wrong++;
        }
        dt_links_destroy (&l);
    }
    DT_CHECK_EQ (wrong, 0);
}

static void test_page_url_must_be_http (void)
{
    DT_CHECK (dt_links_extract ("ftp://example.com/", "<a href=x>", 10, NULL, NULL) == NULL);
    DT_CHECK (dt_links_extract ("not a url", "<a href=x>", 10, NULL, NULL) == NULL);
    DT_CHECK (dt_links_extract (NULL, "<a href=x>", 10, NULL, NULL) == NULL);
    dt_links_t *l = dt_links_extract ("http://example.com/", NULL, 0, NULL, NULL);
    DT_CHECK (l);
    DT_CHECK_EQ (dt_links_count (l), 0);
    DT_CHECK (dt_links_url (l, 0) == NULL);
    dt_links_destroy (&l);
    DT_CHECK (l == NULL);
    dt_links_destroy (&l);
    dt_links_destroy (NULL);
}

static void test_html_past_the_cap_is_not_parsed (void)
{
    /* A link just past DT_LIMIT_HTML_MAX bytes is never seen. */
    size_t n = DT_LIMIT_HTML_MAX + 64;
    char *html = malloc (n);
    DT_CHECK (html);
    memset (html, ' ', n);
    memcpy (html, "<a href=/first>", 15);
    memcpy (html + DT_LIMIT_HTML_MAX + 8, "<a href=/x>", 11);
    dt_links_t *l = dt_links_extract (PAGE, html, n, "text/html", NULL);
    free (html);
    DT_CHECK (l);
    const char *want[] = {"http://example.com/first", NULL};
    int same = s_same (l, want);
    DT_CHECK_EQ (dt_links_skipped (l)->html_truncated, 1);
    DT_CHECK_EQ (dt_links_skipped (l)->html_bytes, DT_LIMIT_HTML_MAX);
    dt_links_destroy (&l);
    DT_CHECK (same);
}

/* Every link of `html` at `page`, '\n'-joined into out (cap bytes), with
 * the skipped counts appended: what a page gives, to compare two ways. */
static void s_render (const char *page, const char *html, char *out, size_t cap)
{
    dt_links_t *l = dt_links_extract (page, html, strlen (html), "text/html", "dtask");
    size_t at = 0;
    out[0] = '\0';
    if (!l) {
        snprintf (out, cap, "(refused)");
        return;
    }
    for (size_t i = 0; i < dt_links_count (l) && at < cap; i++)
        at += (size_t) snprintf (out + at, cap - at, "%s\n", dt_links_url (l, i));
    const dt_links_skipped_t *k = dt_links_skipped (l);
    if (at < cap)
        snprintf (out + at, cap - at, "long %zu scheme %zu bad %zu dup %zu", k->too_long,
                  k->bad_scheme, k->bad_url, k->duplicate);
    dt_links_destroy (&l);
}

static void test_plain_paths_resolve_as_curl_resolves_them (void)
{
    /* Pages whose base has a query, a directory, percent-escapes, a port,
     * user info, an upper-case host, dots curl removed; links of every
     * shape the fast way takes, and some it must leave to curl. */
    static const char *pages[] = {
        "http://example.com/dir/page.html?x=1",
        "https://Example.COM:443/a/b/",
        "http://127.0.0.1:8080/p/003/03456.html",
        "http://user:pw@h.test/x/%7euser/%2fy/z",
        "http://h.test/a/./b/../c/d?q#f",
        "http://h.test",
        "http://h.test/%2E%2E/x/",
    };
    static const char *links[] = {
        "a.html",
        "/top",
        "01234.html",
        "/p/003/03456.html",
        "/",
        "x/y/z",
        "a?b=c&d=e",
        "a#frag",
        "/a/b?c#d",
        "a%7Eb",
        "a%7eb",
        "a%2fb",
        "a%zzb",
        "%41%42",
        "a;b=c",
        "a,b",
        "a(b)*!$'",
        "a@b",
        "x/a:b",
        "a:b",
        "1:b",
        "./a",
        "../a",
        "a/./b",
        "a/../b",
        "a/..",
        "a/.",
        ".",
        "..",
        ".hidden",
        "..x",
        "x..",
        "a/.b/",
        "?q=1",
        "#only",
        "",
        "//other.org/p",
        "a b",
        "a\\b",
        "a\"b",
        "a<b>",
        "a{b}",
        "a|b",
        "a^b",
        "a`b",
        "caf\xc3\xa9",
        "a//b",
        "/a//b",
        "a?b/../c",
        "a?b#c#d",
        "a#b c",
        "a%",
        "a%4",
        "~user/",
        "-._~",
    };
    char html[8192], fast[8192], slow[8192];
    size_t at = 0;
    for (size_t i = 0; i < sizeof links / sizeof *links; i++)
        at += (size_t) snprintf (html + at, sizeof html - at, "<a href=\"%s\">x</a>", links[i]);
    for (size_t p = 0; p < sizeof pages / sizeof *pages; p++) {
        dt_links_set_fast (1);
        s_render (pages[p], html, fast, sizeof fast);
        dt_links_set_fast (0);
        s_render (pages[p], html, slow, sizeof slow);
        dt_links_set_fast (1);
        if (strcmp (fast, slow) != 0)
            fprintf (stderr, "    page %s\n    fast:\n%s\n    curl:\n%s\n", pages[p], fast, slow);
        DT_CHECK (strcmp (fast, slow) == 0);
    }
}

static const dt_test_t s_tests[] = {
    {"plain paths resolve as curl resolves them", test_plain_paths_resolve_as_curl_resolves_them},
    {"relative links resolve against the page", test_relative_links_resolve_against_the_page},
    {"all link elements are read", test_all_link_elements_are_read},
    {"base href applies to every link", test_base_href_applies_to_every_link},
    {"rel=nofollow links are skipped", test_rel_nofollow_links_are_skipped},
    {"meta robots nofollow and noindex", test_meta_robots_nofollow_and_noindex},
    {"X-Robots-Tag header values", test_x_robots_tag_header_values},
    {"Content-Type decides what is HTML", test_content_type_decides_what_is_html},
    {"charset comes from Content-Type", test_charset_comes_from_content_type},
    {"malformed HTML is survived", test_malformed_html_is_survived},
    {"garbage bytes do not crash", test_garbage_bytes_do_not_crash},
    {"10,000 links are capped", test_10000_links_are_capped},
    {"links' bytes are capped", test_links_bytes_are_capped},
    {"a 100 kB link is skipped", test_100_kb_link_is_skipped},
    {"a link too long once resolved is skipped", test_link_too_long_once_resolved_is_skipped},
    {"other schemes are skipped", test_other_schemes_are_skipped},
    {"duplicates in a page are kept once", test_duplicates_in_a_page_are_kept_once},
    {"normalisation cases", test_normalisation_cases},
    {"page URL must be http(s)", test_page_url_must_be_http},
    {"HTML past the cap is not parsed", test_html_past_the_cap_is_not_parsed},
    {0},
};

int main (void)
{
    /* Every case again with each link through curl: both ways agree. */
    int failed = dt_test_run (s_tests);
    dt_links_set_fast (0);
    return dt_test_run (s_tests) || failed;
}
