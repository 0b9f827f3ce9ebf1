/* test_frontier.c - the crawl frontier: scopes, the seen set, depth and page limits, and the
 * bounds a hostile page meets. */
#include "dt_frontier.h"
#include "dt_limits.h"
#include "dt_test.h"

#include <stdlib.h>
#include <string.h>

static dt_crawl_conf_t s_conf (uint8_t kind, const char *scope)
{
    dt_crawl_conf_t conf;
    memset (&conf, 0, sizeof conf);
    conf.scope_kind = kind;
    conf.scope = dt_str (scope);
    conf.depth = DT_CRAWL_DEPTH_ANY;
    conf.next_chunk = DT_FRONTIER_CHUNK_BASE;
    dt_urlfp_key_random (&conf.key);
    return conf;
}

static int s_in (const dt_crawl_t *crawl, const char *url)
{
    return dt_crawl_in_scope (crawl, url, strlen (url));
}

static void test_host_scope_is_the_seeds_host_and_port (void)
{
    dt_str_t seeds[] = {dt_str ("http://Example.org/a"), dt_str ("http://example.org:8080/"),
                        dt_str ("https://example.org:443/x"), dt_str ("http://example.org/b")};
    size_t len;
    char *hosts = dt_frontier_seed_hosts (DT_SCOPE_HOST, seeds, 4, &len);
    DT_CHECK (hosts && strcmp (hosts, "example.org\nexample.org:8080") == 0);
    dt_frontier_t *f = dt_frontier_new ();
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_HOST, hosts);
    char err[128] = "";
    dt_crawl_t *crawl = dt_frontier_add (f, dt_str ("j"), &conf, err, sizeof err);
    free (hosts);
    DT_CHECK (crawl);
    DT_CHECK (s_in (crawl, "http://example.org/z"));
    DT_CHECK (s_in (crawl, "https://user@EXAMPLE.org:443/z?q"));
    DT_CHECK (s_in (crawl, "http://example.org:8080/z"));
    DT_CHECK (!s_in (crawl, "http://example.org:8081/z"));
    DT_CHECK (!s_in (crawl, "http://www.example.org/"));
    DT_CHECK (!s_in (crawl, "http://example.org.evil.com/"));
    DT_CHECK (!s_in (crawl, "http://evil.com/?http://example.org/"));
    DT_CHECK (!s_in (crawl, "http://example.org@evil.com/"));
    DT_CHECK (dt_frontier_find (f, dt_str ("j")) == crawl);
    DT_CHECK (!dt_frontier_find (f, dt_str ("k")));
    dt_frontier_destroy (&f);
    DT_CHECK (!f);
}

static void test_domain_scope_takes_subdomains (void)
{
    dt_str_t seeds[] = {dt_str ("https://www.example.org/")};
    size_t len;
    char *hosts = dt_frontier_seed_hosts (DT_SCOPE_DOMAIN, seeds, 1, &len);
    DT_CHECK (hosts && strcmp (hosts, "example.org") == 0);
    dt_frontier_t *f = dt_frontier_new ();
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_DOMAIN, hosts);
    char err[128];
    dt_crawl_t *crawl = dt_frontier_add (f, dt_str ("j"), &conf, err, sizeof err);
    free (hosts);
    DT_CHECK (crawl);
    DT_CHECK (s_in (crawl, "http://example.org/"));
    DT_CHECK (s_in (crawl, "http://docs.example.org:8080/"));
    DT_CHECK (!s_in (crawl, "http://badexample.org/"));
    DT_CHECK (!s_in (crawl, "http://example.org.evil.com/"));
    dt_frontier_destroy (&f);
}

static void test_prefix_and_regex_scopes (void)
{
    dt_frontier_t *f = dt_frontier_new ();
    char err[128];
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_PREFIX, "https://a.org/docs/");
    dt_crawl_t *p = dt_frontier_add (f, dt_str ("p"), &conf, err, sizeof err);
    conf = s_conf (DT_SCOPE_REGEX, "^https://a\\.org/(docs|api)/[a-z]+$");
    dt_crawl_t *r = dt_frontier_add (f, dt_str ("r"), &conf, err, sizeof err);
    DT_CHECK (p && r);
    DT_CHECK (s_in (p, "https://a.org/docs/x"));
    DT_CHECK (!s_in (p, "https://a.org/doc"));
    DT_CHECK (s_in (r, "https://a.org/api/abc"));
    DT_CHECK (!s_in (r, "https://a.org/api/abc1"));
    DT_CHECK_EQ (dt_frontier_count (f), 2);
    dt_frontier_remove (f, &p);
    DT_CHECK (!p && dt_frontier_count (f) == 1 && dt_frontier_find (f, dt_str ("r")) == r);
    dt_frontier_destroy (&f);
}

static void test_bad_scopes_are_refused (void)
{
    char err[128];
    dt_msg_crawl_t c = {DT_SCOPE_REGEX, dt_str ("(a)\\1"), 0, 0};
    DT_CHECK_EQ (dt_frontier_check (&c, err, sizeof err), -1);
    DT_CHECK (strstr (err, "back-reference"));
    c.scope = dt_str ("a\\\\1"); /* an escaped backslash, then a digit: allowed */
    DT_CHECK_EQ (dt_frontier_check (&c, err, sizeof err), 0);
    c.scope = dt_str ("([a-z]");
    DT_CHECK_EQ (dt_frontier_check (&c, err, sizeof err), -1);
    char long_re[DT_LIMIT_SCOPE_REGEX_MAX + 2];
    memset (long_re, 'a', sizeof long_re - 1);
    long_re[sizeof long_re - 1] = '\0';
    c.scope = dt_str (long_re);
    DT_CHECK_EQ (dt_frontier_check (&c, err, sizeof err), -1);
    dt_msg_crawl_t p = {DT_SCOPE_PREFIX, dt_str ("ftp://a/"), 0, 0};
    DT_CHECK_EQ (dt_frontier_check (&p, err, sizeof err), -1);
    dt_msg_crawl_t h = {DT_SCOPE_HOST, dt_str ("x"), 0, 0};
    DT_CHECK_EQ (dt_frontier_check (&h, err, sizeof err), -1);
    dt_msg_crawl_t k = {7, dt_str (""), 0, 0};
    DT_CHECK_EQ (dt_frontier_check (&k, err, sizeof err), -1);
}

static void test_filter_keeps_each_new_in_scope_url_once (void)
{
    dt_frontier_t *f = dt_frontier_new ();
    char err[128];
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_HOST, "a.org");
    dt_crawl_t *crawl = dt_frontier_add (f, dt_str ("j"), &conf, err, sizeof err);
    DT_CHECK (crawl);
    const char *links = "http://a.org/1\nhttp://a.org/2\nhttp://a.org/1\nhttp://b.org/\n"
                        "ftp://a.org/x\n\nhttp://a.org/3";
    dt_str_t urls[DT_LIMIT_LINKS_MAX];
    uint64_t fps[DT_LIMIT_LINKS_MAX];
    uint32_t n = dt_crawl_filter (crawl, dt_str (links), 0, UINT64_MAX, urls, fps);
    DT_CHECK_EQ (n, 3);
    DT_CHECK (urls[1].len == 14 && memcmp (urls[1].ptr, "http://a.org/2", 14) == 0);
    const dt_frontier_counts_t *c = dt_crawl_counts (crawl);
    DT_CHECK (c->added == 3 && c->seen == 1 && c->scope == 1 && c->bad == 1);
    /* Another page with the same links: all seen; room for one only. */
    n = dt_crawl_filter (crawl, dt_str ("http://a.org/3\nhttp://a.org/4\nhttp://a.org/5"), 0, 1,
                         urls, fps);
    DT_CHECK_EQ (n, 1);
    DT_CHECK (c->seen == 2 && c->max_pages == 1 && c->added == 4);
    dt_crawl_refused (crawl, 1);
    DT_CHECK (c->added == 3 && c->refused == 1);
    dt_frontier_counts_t t = dt_frontier_totals (f);
    DT_CHECK_EQ (t.added, 3);
    dt_frontier_destroy (&f);
}

static void test_depth_limit_and_ranges (void)
{
    dt_frontier_t *f = dt_frontier_new ();
    char err[128];
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_HOST, "a.org");
    conf.depth = 2;
    dt_crawl_t *crawl = dt_frontier_add (f, dt_str ("j"), &conf, err, sizeof err);
    DT_CHECK (crawl);
    DT_CHECK_EQ (dt_crawl_depth_put (crawl, 10, 5, 1), 0);
    DT_CHECK_EQ (dt_crawl_depth_put (crawl, 20, 1, 2), 0);
    DT_CHECK_EQ (dt_crawl_depth_of (crawl, 1), 0); /* a seed */
    DT_CHECK_EQ (dt_crawl_depth_of (crawl, 10), 1);
    DT_CHECK_EQ (dt_crawl_depth_of (crawl, 14), 1);
    DT_CHECK_EQ (dt_crawl_depth_of (crawl, 15), 0);
    DT_CHECK_EQ (dt_crawl_depth_of (crawl, 20), 2);
    dt_str_t urls[DT_LIMIT_LINKS_MAX];
    uint64_t fps[DT_LIMIT_LINKS_MAX];
    DT_CHECK_EQ (dt_crawl_filter (crawl, dt_str ("http://a.org/x\nhttp://a.org/y"), 2, UINT64_MAX,
                                  urls, fps),
                 0);
    DT_CHECK_EQ (dt_crawl_counts (crawl)->depth, 2);
    DT_CHECK_EQ (dt_crawl_filter (crawl, dt_str ("http://a.org/x"), 1, UINT64_MAX, urls, fps), 1);
    DT_CHECK_EQ (dt_crawl_next_chunk (crawl), DT_FRONTIER_CHUNK_BASE);
    DT_CHECK_EQ (dt_crawl_next_chunk (crawl), DT_FRONTIER_CHUNK_BASE + 1);
    dt_frontier_destroy (&f);
}

static void test_a_hostile_page_is_cut_and_counted (void)
{
    dt_frontier_t *f = dt_frontier_new ();
    char err[128];
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_REGEX, "a\\.org");
    dt_crawl_t *crawl = dt_frontier_add (f, dt_str ("j"), &conf, err, sizeof err);
    DT_CHECK (crawl);
    /* 3,000 distinct links and one of 100 kB: 1,000 kept at most, the
     * long one refused, the rest counted over the cap. */
    size_t cap = 3000 * 32 + 100 * 1024 + 64, at = 0;
    char *links = malloc (cap);
    DT_CHECK (links);
    at += (size_t) sprintf (links + at, "http://a.org/");
    memset (links + at, 'x', 100 * 1024);
    at += 100 * 1024;
    for (int i = 0; i < 3000; i++)
        at += (size_t) sprintf (links + at, "\nhttp://a.org/%d", i);
    dt_str_t *urls = calloc (DT_LIMIT_LINKS_MAX, sizeof *urls);
    uint64_t *fps = calloc (DT_LIMIT_LINKS_MAX, sizeof *fps);
    uint32_t n = dt_crawl_filter (crawl, dt_str_n (links, at), 0, UINT64_MAX, urls, fps);
    const dt_frontier_counts_t *c = dt_crawl_counts (crawl);
    int ok = n == DT_LIMIT_LINKS_MAX - 1 && c->bad == 1 && c->over_cap == 2001;
    free (links);
    free (urls);
    free (fps);
    DT_CHECK (ok);
    DT_CHECK (dt_frontier_memory (f) < 64 * 1024);
    dt_frontier_destroy (&f);
}

static void test_crawls_are_bounded_in_number (void)
{
    dt_frontier_t *f = dt_frontier_new ();
    char err[128], name[16];
    for (int i = 0; i < DT_LIMIT_CRAWLS_MAX; i++) {
        dt_crawl_conf_t conf = s_conf (DT_SCOPE_HOST, "a.org");
        snprintf (name, sizeof name, "j%d", i);
        DT_CHECK (dt_frontier_add (f, dt_str (name), &conf, err, sizeof err));
    }
    dt_crawl_conf_t conf = s_conf (DT_SCOPE_HOST, "a.org");
    DT_CHECK (!dt_frontier_add (f, dt_str ("one-more"), &conf, err, sizeof err));
    DT_CHECK (strstr (err, "crawls running"));
    dt_frontier_destroy (&f);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"host scope is the seeds' host and port", test_host_scope_is_the_seeds_host_and_port},
        {"domain scope takes subdomains", test_domain_scope_takes_subdomains},
        {"prefix and regex scopes", test_prefix_and_regex_scopes},
        {"bad scopes are refused", test_bad_scopes_are_refused},
        {"filter keeps each new in-scope URL once", test_filter_keeps_each_new_in_scope_url_once},
        {"depth limit and ranges", test_depth_limit_and_ranges},
        {"a hostile page is cut and counted", test_a_hostile_page_is_cut_and_counted},
        {"crawls are bounded in number", test_crawls_are_bounded_in_number},
        {0},
    };
    return dt_test_run (tests);
}
