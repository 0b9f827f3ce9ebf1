/* test_robots.c - robots.txt parsing and matching: RFC 9309's text, Google's parser's cases,
 * hostile files. */
#include "dt_limits.h"
#include "dt_robots.h"
#include "dt_test.h"

#include <stdlib.h>

/* One robots.txt, one agent, one path, one verdict. */
typedef struct {
    const char *robots;
    const char *agent;
    const char *path;
    int allowed;
} s_case_t;

/* Files used by several rows. */
#define S_GROUPS                                                                                   \
    "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\n"        \
    "disallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\n"          \
    "allow: /z/\ndisallow: /\n"
#define S_RFC_EXAMPLE                                                                              \
    "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n"              \
    "User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n"     \
    "User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\nUser-Agent: quxbot\n"
#define S_FISH       "user-agent: FooBot\ndisallow: /\nallow: /fish\n"
#define S_FISH_STAR  "user-agent: FooBot\ndisallow: /\nallow: /fish*\n"
#define S_FISH_SLASH "user-agent: FooBot\ndisallow: /\nallow: /fish/\n"
#define S_PHP        "user-agent: FooBot\ndisallow: /\nallow: /*.php\n"
#define S_PHP_END    "user-agent: FooBot\ndisallow: /\nallow: /*.php$\n"
#define S_FISH_PHP   "user-agent: FooBot\ndisallow: /\nallow: /fish*.php\n"

static const s_case_t s_cases[] = {
    /* Google's parser's tests (robots_test.cc), as rows. */
    /* Empty file: everything allowed. */
    {"", "FooBot", "/", 1},
    /* Names are case-insensitive; lines without a recognised name are ignored. */
    {"user-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", 0},
    {"foo: FooBot\nbar: /\n", "FooBot", "/x/y", 1},
    /* A missing colon after a known name is assumed. */
    {"user-agent FooBot\ndisallow /\n", "FooBot", "/x/y", 0},
    {"USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n", "FooBot", "/x/y", 1},
    {"USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n", "FooBot", "/a/b", 0},
    {"uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n", "FooBot", "/x/y", 1},
    {"uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n", "FooBot", "/a/b", 0},
    /* Groups: consecutive user-agent lines share the rules after them; the
     * same agent's groups merge; rules before any user-agent are ignored. */
    {S_GROUPS, "FooBot", "/x/b", 1},
    {S_GROUPS, "FooBot", "/z/d", 1},
    {S_GROUPS, "FooBot", "/y/c", 0},
    {S_GROUPS, "BarBot", "/y/c", 1},
    {S_GROUPS, "BarBot", "/w/a", 1},
    {S_GROUPS, "BarBot", "/z/d", 0},
    {S_GROUPS, "BazBot", "/z/d", 1},
    {S_GROUPS, "FooBot", "/foo/bar/", 0},
    {S_GROUPS, "BarBot", "/foo/bar/", 0},
    {S_GROUPS, "BazBot", "/foo/bar/", 0},
    /* User-agent values are case-insensitive and count up to the first
     * byte outside the product token. */
    {"User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "Foo", "/x/y", 1},
    {"User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "foo", "/a/b", 0},
    {"User-Agent: foo bar\nAllow: /x/\nDisallow: /\n", "FOO", "/x/y", 1},
    {"User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n", "foo", "/a/b", 0},
    {"User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n", "Foo", "/x/y",
     1},
    /* Our own token is cut the same way: "Foo Bar" is "Foo". */
    {"User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n", "Foo Bar",
     "/x/y", 1},
    /* A group naming us wins over `*`; with none, `*` applies; with
     * neither, nothing does. */
    {"user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", 0},
    {"user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "BarBot", "/x/y", 1},
    {"user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\n"
     "disallow: /\n",
     "QuxBot", "/x/y", 1},
    /* Paths are case-sensitive. */
    {"user-agent: FooBot\ndisallow: /x/\n", "FooBot", "/x/y", 0},
    {"user-agent: FooBot\ndisallow: /X/\n", "FooBot", "/x/y", 1},
    /* The longest match wins; Allow wins a tie. */
    {"user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", "/x/page.html", 0},
    {"user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "/x/page.html", 1},
    {"user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "/x/", 0},
    {"user-agent: FooBot\ndisallow: \nallow: \n", "FooBot", "/x/page.html", 1},
    {"user-agent: FooBot\ndisallow: /\nallow: /\n", "FooBot", "/x/page.html", 1},
    {"user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x", 0},
    {"user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "/x/", 1},
    {"user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot", "/x/page.html",
     1},
    {"user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page.html", 0},
    {"user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "/page", 1},
    {"user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "/x/page.html", 1},
    {"user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "/x/y.html", 0},
    {"User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "/x/page", 1},
    {"User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "/y/page", 0},
    /* Encoding: reserved characters stay as written; non-ASCII rules are
     * encoded; an encoded URL matches them. */
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n",
     "FooBot", "/foo/bar?qux=taz&baz=http://foo.bar?tar&par", 1},
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/\xE3\x83\x84\n", "FooBot",
     "/foo/bar/%E3%83%84", 1},
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n", "FooBot", "/foo/bar/%E3%83%84",
     1},
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%e3%83%84\n", "FooBot", "/foo/bar/%E3%83%84",
     1},
    /* Here this parser follows the RFC's table where Google's does not:
     * a raw non-ASCII path is encoded before comparison, and %XX of an
     * unreserved character is that character. */
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/\xE3\x83\x84\n", "FooBot",
     "/foo/bar/\xE3\x83\x84", 1},
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n", "FooBot", "/foo/bar/baz", 1},
    {"User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n", "FooBot", "/foo/bar/%62%61%7A",
     1},
    /* Special characters: '*' any run of bytes, '$' the end, '#' a comment. */
    {"User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "/foo/bar/quz",
     0},
    {"User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "/foo/quz", 1},
    {"User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "/foo//quz", 1},
    {"User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "/foo/bax/quz",
     1},
    {"User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar", 0},
    {"User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/qux", 1},
    {"User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/", 1},
    {"User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "/foo/bar/baz", 1},
    {"User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "/foo/bar",
     1},
    {"User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "/foo/quz",
     0},
    /* Google's documentation examples. */
    {S_FISH, "FooBot", "/bar", 0},
    {S_FISH, "FooBot", "/fish", 1},
    {S_FISH, "FooBot", "/fish.html", 1},
    {S_FISH, "FooBot", "/fish/salmon.html", 1},
    {S_FISH, "FooBot", "/fishheads", 1},
    {S_FISH, "FooBot", "/fishheads/yummy.html", 1},
    {S_FISH, "FooBot", "/fish.html?id=anything", 1},
    {S_FISH, "FooBot", "/Fish.asp", 0},
    {S_FISH, "FooBot", "/catfish", 0},
    {S_FISH, "FooBot", "/?id=fish", 0},
    {S_FISH_STAR, "FooBot", "/bar", 0},
    {S_FISH_STAR, "FooBot", "/fish", 1},
    {S_FISH_STAR, "FooBot", "/fishheads/yummy.html", 1},
    {S_FISH_STAR, "FooBot", "/Fish.bar", 0},
    {S_FISH_STAR, "FooBot", "/catfish", 0},
    {S_FISH_SLASH, "FooBot", "/fish/", 1},
    {S_FISH_SLASH, "FooBot", "/fish/salmon", 1},
    {S_FISH_SLASH, "FooBot", "/fish/?salmon", 1},
    {S_FISH_SLASH, "FooBot", "/fish", 0},
    {S_FISH_SLASH, "FooBot", "/fish.html", 0},
    {S_FISH_SLASH, "FooBot", "/Fish/Salmon.html", 0},
    {S_PHP, "FooBot", "/bar", 0},
    {S_PHP, "FooBot", "/filename.php", 1},
    {S_PHP, "FooBot", "/folder/filename.php", 1},
    {S_PHP, "FooBot", "/folder/filename.php?parameters", 1},
    {S_PHP, "FooBot", "//folder/any.php.file.html", 1},
    {S_PHP, "FooBot", "/filename.php/", 1},
    {S_PHP, "FooBot", "/index?f=filename.php/", 1},
    {S_PHP, "FooBot", "/php/", 0},
    {S_PHP, "FooBot", "/index?php", 0},
    {S_PHP, "FooBot", "/windows.PHP", 0},
    {S_PHP_END, "FooBot", "/filename.php", 1},
    {S_PHP_END, "FooBot", "/folder/filename.php", 1},
    {S_PHP_END, "FooBot", "/filename.php?parameters", 0},
    {S_PHP_END, "FooBot", "/filename.php/", 0},
    {S_PHP_END, "FooBot", "/filename.php5", 0},
    {S_PHP_END, "FooBot", "/php/", 0},
    {S_PHP_END, "FooBot", "/filename?php", 0},
    {S_PHP_END, "FooBot", "/aaaphpaaa", 0},
    {S_PHP_END, "FooBot", "//windows.PHP", 0},
    {S_FISH_PHP, "FooBot", "/bar", 0},
    {S_FISH_PHP, "FooBot", "/fish.php", 1},
    {S_FISH_PHP, "FooBot", "/fishheads/catfish.php?parameters", 1},
    {S_FISH_PHP, "FooBot", "/Fish.PHP", 0},
    {"user-agent: FooBot\nallow: /p\ndisallow: /\n", "FooBot", "/page", 1},
    {"user-agent: FooBot\nallow: /folder\ndisallow: /folder\n", "FooBot", "/folder/page", 1},
    {"user-agent: FooBot\nallow: /page\ndisallow: /*.htm\n", "FooBot", "/page.htm", 0},
    {"user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/", 1},
    {"user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "/page.html", 0},
    /* CR, LF and CRLF end lines alike; a last line needs no end. */
    {"User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n", "bar",
     "/x", 0},
    {"User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r", "bar", "/x", 0},
    {"User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /", "bar", "/x", 0},
    {"User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r", "foo", "/x", 1},
    /* A byte order mark, whole or partial, is skipped; a broken one is
     * part of a garbage line, and one in the middle spoils its line. */
    {"\xEF\xBB\xBFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "/AnyValue", 0},
    {"\xEF\xBBUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "/AnyValue", 0},
    {"\xEFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "/AnyValue", 0},
    {"\xEF\x11\xBFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "/AnyValue", 1},
    {"User-Agent: foo\n\xEF\xBB\xBF"
     "Disallow: /AnyValue\n",
     "foo", "/AnyValue", 1},
    /* Sitemap lines do not end a group. */
    {"User-Agent: foo\nSitemap: http://foo.bar/sitemap.xml\nDisallow: /x\n", "foo", "/x", 0},

    /* RFC 9309. Section 5.1's example file. */
    {S_RFC_EXAMPLE, "foobot", "/example/page.html", 1},
    {S_RFC_EXAMPLE, "foobot", "/example/allowed.gif", 1},
    {S_RFC_EXAMPLE, "foobot", "/publications/", 0},
    {S_RFC_EXAMPLE, "barbot", "/example/page.html", 0},
    {S_RFC_EXAMPLE, "bazbot", "/example/page.html", 0},
    {S_RFC_EXAMPLE, "bazbot", "/example/other.html", 1},
    {S_RFC_EXAMPLE, "quxbot", "/example/", 1}, /* its group has no rules: all allowed */
    {S_RFC_EXAMPLE, "otherbot", "/example/", 0},
    {S_RFC_EXAMPLE, "otherbot", "/publications/", 1},
    {S_RFC_EXAMPLE, "otherbot", "/images/x.gif", 0},
    {S_RFC_EXAMPLE, "otherbot", "/images/x.gif?size=1", 1},
    /* Section 5.2: the longest match. */
    {"User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
     "foobot", "/example/page/", 1},
    {"User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n",
     "foobot", "/example/page/disallowed.gif", 0},
    /* Section 2.2.1: groups of the same agent are merged. */
    {"user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\n"
     "disallow: /baz\n",
     "examplebot", "/baz/x", 0},
    {"user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\n"
     "disallow: /baz\n",
     "examplebot", "/foo", 0},
    {"user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\n"
     "disallow: /baz\n",
     "examplebot", "/qux", 1},
    /* Section 2.2.1: the product token, without its version. */
    {"User-agent: ExampleBot/1.1\nDisallow: /\n", "ExampleBot", "/x", 0},
    {"User-agent: dtask/1.0\nDisallow: /private\n", "dtask/0.1.0", "/private/x", 0},
    {"User-agent: dtasks\nDisallow: /\n", "dtask", "/x", 1},
    {"User-agent: dtask\nDisallow: /\n", "DTask", "/x", 0},
    /* Section 2.2.2: percent-encoding, the table's rows. */
    {"User-agent: *\nDisallow: /foo/bar?baz=quz\n", "dtask", "/foo/bar?baz=quz", 0},
    {"User-agent: *\nDisallow: /foo/bar?baz=https://foo.bar\n", "dtask",
     "/foo/bar?baz=https%3A%2F%2Ffoo.bar", 1}, /* reserved: encoded and not are different */
    {"User-agent: *\nDisallow: /foo/bar?baz=https%3A%2F%2Ffoo.bar\n", "dtask",
     "/foo/bar?baz=https%3A%2F%2Ffoo.bar", 0},
    {"User-agent: *\nDisallow: /foo/bar/\xE3\x83\x84\n", "dtask", "/foo/bar/%E3%83%84", 0},
    {"User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "dtask", "/foo/bar/baz", 0},
    /* Section 2.2.3: the special characters' table. */
    {"User-agent: *\nallow: /this/path/exactly$\ndisallow: /\n", "dtask", "/this/path/exactly", 1},
    {"User-agent: *\nallow: /this/path/exactly$\ndisallow: /\n", "dtask", "/this/path/exactly/x",
     0},
    {"User-agent: *\nallow: /this/*/exactly\ndisallow: /\n", "dtask", "/this/a/b/exactly", 1},
    /* Section 2.2.2: /robots.txt is always allowed. */
    {"User-agent: *\nDisallow: /\n", "dtask", "/robots.txt", 1},
    {"User-agent: *\nDisallow: /\n", "dtask", "/robots.txt?x", 0},
    /* Crawl-delay is a group member, not an agent line. */
    {"User-agent: dtask\nCrawl-delay: 5\nUser-agent: other\nDisallow: /\n", "dtask", "/x", 1},
    /* An empty path is "/". */
    {"User-agent: *\nDisallow: /$\n", "dtask", "", 0},
    /* '$' only anchors at the end; a '*$' pattern matches anything. */
    {"User-agent: *\nDisallow: /a$b\n", "dtask", "/a$b/c", 0},
    {"User-agent: *\nDisallow: /a*$\n", "dtask", "/abc", 0},
    {"User-agent: *\nDisallow: /a**b***c\n", "dtask", "/a/x/b/y/c", 0},
    {"User-agent: *\nDisallow: /*aab\n", "dtask", "/aaab", 0},
    {"User-agent: *\nDisallow: /*abab$\n", "dtask", "/ababab", 0},
    {"User-agent: *\nDisallow: /*abab$\n", "dtask", "/ababa", 1},
    /* Google's system test: with a rule for the agent, an empty path is
     * "/" and disallowed; an empty file allows it. */
    {"user-agent: FooBot\ndisallow: /\n", "FooBot", "", 0},
    {"", "FooBot", "", 1},
    /* Google reads "index.html" at the end of an allowed pattern as its
     * directory too; RFC 9309 does not, and neither do we: the exact file
     * is allowed, the directory is not. */
    {"User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot",
     "/allowed-slash/index.html", 1},
    {"User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot",
     "/allowed-slash/index.htm", 0},
    {"User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "/allowed-slash/",
     0},
    {"User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "/anyother-url",
     0},
    /* A sitemap line may come before any group. */
    {"Sitemap: http://foo.bar/sitemap.xml\nUser-Agent: foo\nDisallow: /x\n", "foo", "/x", 0},
    /* Patterns are normalised as Google's escaping test expects: a raw
     * non-ASCII byte is encoded, %xx gets upper-case hex. */
    {"User-agent: *\nDisallow: /\xC3\xA1\n", "dtask", "/%C3%A1", 0},
    {"User-agent: *\nDisallow: /%aa\n", "dtask", "/%AA", 0},
    {"User-agent: *\nDisallow: /%AA\n", "dtask", "/%aa", 0},
    /* Characters not allowed in a URI compare as their encoding. */
    {"User-agent: *\nDisallow: /a b{c}\n", "dtask", "/a%20b%7Bc%7D", 0},
};

static void test_rfc_and_google_cases (void)
{
    int wrong = 0;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const s_case_t *c = &s_cases[i];
        dt_robots_t *r = dt_robots_parse (c->robots, strlen (c->robots), c->agent);
        DT_CHECK (r != NULL);
        int got = dt_robots_allowed (r, c->path, strlen (c->path));
        dt_robots_destroy (&r);
        if (got != c->allowed) {
            fprintf (stderr, "    row %zu: agent %s path %s: got %d\n", i, c->agent, c->path, got);
            wrong++;
        }
    }
    DT_CHECK_EQ (wrong, 0);
}

static void test_agent_without_product_token_is_refused (void)
{
    DT_CHECK (dt_robots_parse ("", 0, "") == NULL);
    DT_CHECK (dt_robots_parse ("", 0, "*") == NULL);
    DT_CHECK (dt_robots_parse ("", 0, "/1.0") == NULL);
    DT_CHECK (dt_robots_parse ("", 0, NULL) == NULL);
}

static void test_destroy_is_null_safe (void)
{
    dt_robots_t *r = NULL;
    dt_robots_destroy (&r);
    dt_robots_destroy (NULL);
    r = dt_robots_parse ("", 0, "dtask");
    DT_CHECK (r != NULL);
    dt_robots_destroy (&r);
    DT_CHECK (r == NULL);
}

static int s_delay_of (const char *robots)
{
    dt_robots_t *r = dt_robots_parse (robots, strlen (robots), "dtask");
    int ms = r ? dt_robots_delay_ms (r) : -2;
    dt_robots_destroy (&r);
    return ms;
}

static void test_crawl_delay_parses_fractions_and_is_capped (void)
{
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 5\n"), 5000);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 0.5\n"), 500);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 2.25\n"), 2250);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: .125\n"), 125);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 1.23456\n"), 1234);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 86400\n"), DT_ROBOTS_DELAY_MAX_MS);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 99999999999999999999999\n"),
                 DT_ROBOTS_DELAY_MAX_MS);
    /* Not numbers: ignored. */
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: -1\n"), -1);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 5s\n"), -1);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: .\n"), -1);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: nan\n"), -1);
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay:\n"), -1);
    /* Several in the groups kept: the largest. Another group's: not ours. */
    DT_CHECK_EQ (s_delay_of ("User-agent: dtask\nCrawl-delay: 1\nUser-agent: dtask\n"
                             "Crawl-delay: 3\n"),
                 3000);
    DT_CHECK_EQ (s_delay_of ("User-agent: other\nCrawl-delay: 9\n"), -1);
    DT_CHECK_EQ (s_delay_of ("User-agent: *\nCrawl-delay: 2\n"), 2000);
    DT_CHECK_EQ (s_delay_of ("User-agent: *\nCrawl-delay: 2\nUser-agent: dtask\nAllow: /\n"), -1);
    DT_CHECK_EQ (s_delay_of ("Crawl-delay: 2\n"), -1);
}

static void test_status_rules_follow_rfc_9309 (void)
{
    int ttl = -1;
    DT_CHECK_EQ (dt_robots_on_status (200, 0, &ttl), DT_ROBOTS_PARSE);
    DT_CHECK_EQ (ttl, DT_ROBOTS_TTL_S);
    DT_CHECK_EQ (dt_robots_on_status (204, 0, NULL), DT_ROBOTS_PARSE);
    DT_CHECK_EQ (dt_robots_on_status (301, 0, &ttl), DT_ROBOTS_FOLLOW);
    DT_CHECK_EQ (dt_robots_on_status (308, 4, NULL), DT_ROBOTS_FOLLOW);
    DT_CHECK_EQ (dt_robots_on_status (302, 5, &ttl), DT_ROBOTS_ALLOW_ALL); /* too many */
    DT_CHECK_EQ (ttl, DT_ROBOTS_TTL_S);
    DT_CHECK_EQ (dt_robots_on_status (404, 0, &ttl), DT_ROBOTS_ALLOW_ALL);
    DT_CHECK_EQ (ttl, DT_ROBOTS_TTL_S);
    DT_CHECK_EQ (dt_robots_on_status (401, 0, NULL), DT_ROBOTS_ALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (403, 0, NULL), DT_ROBOTS_ALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (410, 0, NULL), DT_ROBOTS_ALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (429, 0, &ttl), DT_ROBOTS_DISALLOW_ALL);
    DT_CHECK_EQ (ttl, DT_ROBOTS_RETRY_S);
    DT_CHECK_EQ (dt_robots_on_status (500, 0, NULL), DT_ROBOTS_DISALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (503, 0, &ttl), DT_ROBOTS_DISALLOW_ALL);
    DT_CHECK_EQ (ttl, DT_ROBOTS_RETRY_S);
    DT_CHECK_EQ (dt_robots_on_status (0, 0, NULL), DT_ROBOTS_DISALLOW_ALL); /* unreachable */
    DT_CHECK_EQ (dt_robots_on_status (100, 0, NULL), DT_ROBOTS_DISALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (999, 0, NULL), DT_ROBOTS_DISALLOW_ALL);
    DT_CHECK_EQ (dt_robots_on_status (-1, 0, NULL), DT_ROBOTS_DISALLOW_ALL);
}

static void test_all_and_nothing_objects (void)
{
    dt_robots_t *all = dt_robots_new_all (1);
    dt_robots_t *none = dt_robots_new_all (0);
    DT_CHECK (all && none);
    DT_CHECK_EQ (dt_robots_allowed (all, "/x", 2), 1);
    DT_CHECK_EQ (dt_robots_allowed (none, "/x", 2), 0);
    DT_CHECK_EQ (dt_robots_allowed (none, "/", 1), 0);
    DT_CHECK_EQ (dt_robots_allowed (none, "/robots.txt", 11), 1);
    DT_CHECK_EQ (dt_robots_delay_ms (none), -1);
    dt_robots_destroy (&all);
    dt_robots_destroy (&none);
}

static void test_stats_say_which_group_applied (void)
{
    const char *txt = "User-agent: *\nDisallow: /a\nUser-agent: dtask\nDisallow: /b\nAllow: /c\n"
                      "Sitemap: http://x/s.xml\nnonsense line\nFoo: bar\n";
    dt_robots_stats_t st;
    dt_robots_t *r = dt_robots_parse (txt, strlen (txt), "dtask");
    DT_CHECK (r);
    dt_robots_stats (r, &st);
    DT_CHECK_EQ (st.group, 1);
    DT_CHECK_EQ (st.rules, 2);
    DT_CHECK_EQ (st.unknown, 2);
    DT_CHECK_EQ (st.lines, 8);
    DT_CHECK_EQ (st.truncated, 0);
    dt_robots_destroy (&r);
    r = dt_robots_parse (txt, strlen (txt), "other");
    DT_CHECK (r);
    dt_robots_stats (r, &st);
    DT_CHECK_EQ (st.group, 0);
    DT_CHECK_EQ (st.rules, 1);
    dt_robots_destroy (&r);
    r = dt_robots_parse ("User-agent: x\nDisallow: /\n", 25, "dtask");
    DT_CHECK (r);
    dt_robots_stats (r, &st);
    DT_CHECK_EQ (st.group, -1);
    DT_CHECK_EQ (st.rules, 0);
    dt_robots_destroy (&r);
}

/* Hostile and broken files. None may crash, loop or grow past the caps. */

static void test_binary_garbage_allows_everything (void)
{
    char buf[64 * 1024];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (char) (x >> 16);
    }
    dt_robots_t *r = dt_robots_parse (buf, sizeof buf, "dtask");
    DT_CHECK (r);
    DT_CHECK_EQ (dt_robots_allowed (r, "/x", 2), 1);
    dt_robots_destroy (&r);
}

static void test_nul_bytes_are_ordinary_bytes (void)
{
    const char txt[] = "User-agent: dtask\nDisallow: /a\0b\nDisallow: /c\n";
    dt_robots_t *r = dt_robots_parse (txt, sizeof txt - 1, "dtask");
    DT_CHECK (r);
    DT_CHECK_EQ (dt_robots_allowed (r, "/c", 2), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/a%00b", 6), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/ab", 3), 1);
    dt_robots_destroy (&r);
}

static void test_10_mb_body_is_read_up_to_the_cap (void)
{
    /* 10 MB of rules for us: the parse reads at most DT_LIMIT_ROBOTS_MAX
     * bytes and keeps at most DT_LIMIT_ROBOTS_RULES_MAX rules. */
    size_t len = 10 * 1000 * 1000;
    char *body = malloc (len);
    DT_CHECK (body);
    const char *head = "User-agent: dtask\n";
    size_t o = strlen (head);
    memcpy (body, head, o);
    for (unsigned n = 0; o < len; n++) {
        char line[64];
        int w = snprintf (line, sizeof line, "Disallow: /p%u\n", n);
        if (o + (size_t) w > len)
            break;
        memcpy (body + o, line, (size_t) w);
        o += (size_t) w;
    }
    memset (body + o, 'x', len - o);
    dt_robots_t *r = dt_robots_parse (body, len, "dtask");
    free (body);
    DT_CHECK (r);
    dt_robots_stats_t st;
    dt_robots_stats (r, &st);
    DT_CHECK (st.bytes_parsed <= DT_LIMIT_ROBOTS_MAX);
    DT_CHECK (st.bytes_parsed >= 500 * 1024); /* RFC 9309: at least 500 KiB */
    DT_CHECK_EQ (st.truncated, 1);
    DT_CHECK_EQ (st.rules, DT_LIMIT_ROBOTS_RULES_MAX);
    DT_CHECK (st.rules_over_cap > 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/p0", 3), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/q", 2), 1);
    dt_robots_destroy (&r);
}

static void test_line_cut_by_the_body_cap_is_dropped (void)
{
    /* A Disallow line that straddles the cap is not read at all: its first
     * half would be a different rule. */
    size_t len = DT_LIMIT_ROBOTS_MAX + 100;
    char *body = malloc (len);
    DT_CHECK (body);
    const char *head = "User-agent: dtask\nDisallow: /a\n";
    size_t o = strlen (head);
    memcpy (body, head, o);
    memset (body + o, '\n', DT_LIMIT_ROBOTS_MAX - 10 - o);
    o = DT_LIMIT_ROBOTS_MAX - 10;
    memcpy (body + o, "Allow: /bcdefghijklmnopq\n", 25);
    memset (body + o + 25, '\n', len - o - 25);
    dt_robots_t *r = dt_robots_parse (body, len, "dtask");
    free (body);
    DT_CHECK (r);
    dt_robots_stats_t st;
    dt_robots_stats (r, &st);
    DT_CHECK_EQ (st.rules, 1);
    DT_CHECK (st.bytes_parsed <= DT_LIMIT_ROBOTS_MAX - 10);
    dt_robots_destroy (&r);
}

static void test_100_kb_line_is_cut_at_the_line_cap (void)
{
    /* A 100 kB comment-free garbage line between two rules: its bytes past
     * the line cap are skipped, the rules around it still count. */
    size_t n = 100 * 1000;
    char *body = malloc (n + 64);
    DT_CHECK (body);
    size_t o = (size_t) sprintf (body, "User-agent: dtask\nDisallow: /a\nAllow: /");
    memset (body + o, 'x', n);
    o += n;
    o += (size_t) sprintf (body + o, "\nDisallow: /b\n");
    dt_robots_t *r = dt_robots_parse (body, o, "dtask");
    free (body);
    DT_CHECK (r);
    dt_robots_stats_t st;
    dt_robots_stats (r, &st);
    DT_CHECK_EQ (st.lines_cut, 1);
    /* The cut Allow has more literal bytes than any URL we fetch: dropped. */
    DT_CHECK_EQ (st.rules_unmatchable, 1);
    DT_CHECK_EQ (st.rules, 2);
    DT_CHECK_EQ (dt_robots_allowed (r, "/a", 2), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/b", 2), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/c", 2), 1);
    dt_robots_destroy (&r);
}

static void test_long_rule_within_url_cap_still_matches (void)
{
    /* A rule of 8,000 bytes is as long as a URL we fetch may be: kept. */
    char *body = malloc (9000), *path = malloc (8100);
    DT_CHECK (body && path);
    path[0] = '/';
    memset (path + 1, 'a', 7999);
    size_t o = (size_t) sprintf (body, "User-agent: dtask\nDisallow: ");
    memcpy (body + o, path, 8000);
    o += 8000;
    body[o++] = '\n';
    dt_robots_t *r = dt_robots_parse (body, o, "dtask");
    DT_CHECK (r);
    int exact = dt_robots_allowed (r, path, 8000);
    int shorter = dt_robots_allowed (r, path, 7999);
    free (body);
    free (path);
    dt_robots_destroy (&r);
    DT_CHECK_EQ (exact, 0);
    DT_CHECK_EQ (shorter, 1);
}

static void test_path_longer_than_a_url_is_refused (void)
{
    size_t n = 3 * DT_LIMIT_URL_MAX + 1;
    char *path = malloc (n);
    DT_CHECK (path);
    path[0] = '/';
    memset (path + 1, 'a', n - 1);
    dt_robots_t *r = dt_robots_new_all (1);
    DT_CHECK (r);
    int long_one = dt_robots_allowed (r, path, n);
    int at_cap = dt_robots_allowed (r, path, DT_LIMIT_URL_MAX);
    int over_cap = dt_robots_allowed (r, path, DT_LIMIT_URL_MAX + 1);
    /* Short raw, long once encoded: each non-ASCII byte becomes three. */
    memset (path + 1, '\xff', DT_LIMIT_URL_MAX / 2);
    int encoded_over = dt_robots_allowed (r, path, DT_LIMIT_URL_MAX / 2 + 1);
    free (path);
    dt_robots_destroy (&r);
    DT_CHECK_EQ (long_one, 0);
    DT_CHECK_EQ (at_cap, 1);
    DT_CHECK_EQ (over_cap, 0);
    DT_CHECK_EQ (encoded_over, 0);
}

static void test_wildcard_worst_case_is_linear (void)
{
    /* "/ *a*a*...*a*b" (no space) against "/aaa...a": a backtracking matcher takes
     * exponential or quadratic time here. The leftmost-segment matcher
     * walks the path once per rule; this finishing at all is the check. */
    char *body = malloc (DT_LIMIT_ROBOTS_MAX), *path = malloc (DT_LIMIT_URL_MAX);
    DT_CHECK (body && path);
    size_t o = (size_t) sprintf (body, "User-agent: dtask\n");
    for (int rule = 0; rule < 64; rule++) {
        o += (size_t) sprintf (body + o, "Disallow: /");
        for (int k = 0; k < 2000; k++) {
            body[o++] = '*';
            body[o++] = 'a';
        }
        o += (size_t) sprintf (body + o, "*b\n");
    }
    dt_robots_t *r = dt_robots_parse (body, o, "dtask");
    DT_CHECK (r);
    path[0] = '/';
    memset (path + 1, 'a', DT_LIMIT_URL_MAX - 1);
    int a = dt_robots_allowed (r, path, DT_LIMIT_URL_MAX);
    path[DT_LIMIT_URL_MAX - 1] = 'b';
    int b = dt_robots_allowed (r, path, DT_LIMIT_URL_MAX);
    free (body);
    free (path);
    dt_robots_destroy (&r);
    DT_CHECK_EQ (a, 1);
    DT_CHECK_EQ (b, 0);
}

static void test_kmp_finds_overlapping_segments (void)
{
    /* Segments whose prefix repeats: a naive "skip past the mismatch" search
     * would miss these. */
    const char *txt = "User-agent: dtask\nDisallow: /*aabaab\nDisallow: /x*abcabd$\n";
    dt_robots_t *r = dt_robots_parse (txt, strlen (txt), "dtask");
    DT_CHECK (r);
    DT_CHECK_EQ (dt_robots_allowed (r, "/aabaabaab", 10), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/aaabaaab", 9), 1);
    DT_CHECK_EQ (dt_robots_allowed (r, "/xabcabcabd", 11), 0);
    DT_CHECK_EQ (dt_robots_allowed (r, "/xabcabcabdx", 12), 1);
    dt_robots_destroy (&r);
}

static const dt_test_t s_tests[] = {
    {"RFC 9309 and Google parser cases", test_rfc_and_google_cases},
    {"agent without a product token is refused", test_agent_without_product_token_is_refused},
    {"destroy is NULL-safe", test_destroy_is_null_safe},
    {"crawl-delay parses fractions and is capped", test_crawl_delay_parses_fractions_and_is_capped},
    {"status rules follow RFC 9309", test_status_rules_follow_rfc_9309},
    {"allow-all and disallow-all objects", test_all_and_nothing_objects},
    {"stats say which group applied", test_stats_say_which_group_applied},
    {"binary garbage allows everything", test_binary_garbage_allows_everything},
    {"NUL bytes are ordinary bytes", test_nul_bytes_are_ordinary_bytes},
    {"10 MB body is read up to the cap", test_10_mb_body_is_read_up_to_the_cap},
    {"line cut by the body cap is dropped", test_line_cut_by_the_body_cap_is_dropped},
    {"100 kB line is cut at the line cap", test_100_kb_line_is_cut_at_the_line_cap},
    {"long rule within the URL cap still matches", test_long_rule_within_url_cap_still_matches},
    {"path longer than a URL is refused", test_path_longer_than_a_url_is_refused},
    {"wildcard worst case is linear", test_wildcard_worst_case_is_linear},
    {"KMP finds overlapping segments", test_kmp_finds_overlapping_segments},
    {0},
};

int main (void)
{
    return dt_test_run (s_tests);
}
