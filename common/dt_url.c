/* dt_url.c - the one URL acceptance rule shared by CLI, master and worker. */
#include "dt_url.h"
#include "dt_curl.h"
#include "dt_limits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int s_fail (char *why, size_t why_size, const char *reason)
{
    if (why && why_size)
        snprintf (why, why_size, "%s", reason);
    return -1;
}

/* A host name byte that curl's parser accepts everywhere in a host: it
 * refuses only a list of punctuation, and letters, digits, '.' and '-' are
 * not on it (nor is any of them special to its IPv4 reading, which treats
 * an out-of-range number as a name). */
static int s_host_byte (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* True when `url` (scheme already checked, `start` is just past "//") has
 * the plain shape almost every submitted URL has: a host of letters,
 * digits, dots and dashes, an optional decimal port up to 65535, then
 * nothing or a path, query or fragment of printable ASCII. curl's parser
 * accepts every such URL with that host, so it need not run: it costs a
 * few allocations and a URL rebuild per call, and the CLI and the master
 * both check every URL of a submission. Anything else (user info, IPv6,
 * percent signs, non-ASCII bytes) is left to curl. */
static int s_plain (const char *url, size_t len, size_t start, int high)
{
    size_t i = start;
    while (i < len && s_host_byte ((unsigned char) url[i]))
        i++;
    if (i == start)
        return 0;
    if (i < len && url[i] == ':') {
        size_t digits = 0;
        uint32_t port = 0;
        for (i++; i < len && url[i] >= '0' && url[i] <= '9' && digits < 6; i++, digits++)
            port = port * 10 + (uint32_t) (url[i] - '0');
        if (digits == 0 || digits > 5 || port > 65535)
            return 0;
    }
    if (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
        return 0;
    /* Controls, spaces and 0x7f were refused before, and the scheme and
     * host are ASCII: a byte above 0x7e (`high`) can only be in the rest. */
    return !high;
}

/* The bytes 0x01 and 0x80 in every lane of a word. */
#define S_ONES  0x0101010101010101ULL
#define S_HIGHS 0x8080808080808080ULL

/* True when one of the 8 bytes of `x` is a control or a space (below 0x21)
 * or DEL (0x7f). The "hasless" and "haszero" tests of the bit-twiddling
 * hacks: a borrow can flag a byte wrongly only above one that is rightly
 * flagged, so whether any is flagged is exact. */
static int s_word_bad (uint64_t x)
{
    uint64_t del = x ^ (0x7f * S_ONES);
    return (((x - 0x21 * S_ONES) & ~x) | ((del - S_ONES) & ~del)) & S_HIGHS ? 1 : 0;
}

/* 0 when no byte of `url` is a control, a space or DEL, with *high set
 * when one is above 0x7e (non-ASCII); -1 otherwise. Eight bytes a step:
 * every URL of a submission passes here, in the CLI and in the master. */
static int s_scan (const char *url, size_t len, int *high)
{
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy (&x, url + i, 8);
        if (s_word_bad (x))
            return -1;
        any |= x;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char) url[i];
        if (c <= 0x20 || c == 0x7f)
            return -1;
        any |= c;
    }
    *high = (any & S_HIGHS) != 0;
    return 0;
}

/* True when `url` starts with a scheme and "://" ("ftp://", "gopher://"):
 * then the scheme is what is wrong, not the shape. */
static int s_has_scheme (const char *url, size_t len)
{
    size_t i = 0;
    while (i < len && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
                       (i > 0 && ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
                                  url[i] == '-' || url[i] == '.'))))
        i++;
    return i > 0 && len - i >= 3 && memcmp (url + i, "://", 3) == 0;
}

/* True when nothing stands between "://" (ending at `start`) and the path:
 * curl would read "http:///x" as host "x", a guess the user did not make. */
static int s_no_authority (const char *url, size_t len, size_t start)
{
    return start == len || url[start] == '/' || url[start] == '?' || url[start] == '#';
}

/* What curl's URL parser refused, in the user's terms. */
static const char *s_parse_error (CURLUcode code)
{
    switch (code) {
    case CURLUE_BAD_PORT_NUMBER:
        return "bad port number (1 to 65535)";
    case CURLUE_NO_HOST:
    case CURLUE_BAD_HOSTNAME:
        return "bad or missing host name";
    case CURLUE_BAD_IPV6:
        return "bad IPv6 address";
    case CURLUE_BAD_LOGIN:
    case CURLUE_BAD_USER:
    case CURLUE_BAD_PASSWORD:
        return "bad user name or password part";
    default:
        return "malformed URL";
    }
}

int dt_url_check (const char *url, size_t len, char *why, size_t why_size)
{
    if (len == 0)
        return s_fail (why, why_size, "empty URL");
    if (len > DT_LIMIT_URL_MAX)
        return s_fail (why, why_size, "URL longer than 8192 bytes");
    int high = 0;
    if (s_scan (url, len, &high) != 0)
        return s_fail (why, why_size, "URL contains whitespace or a control character");
    /* Cheap scheme test first: it rejects most garbage without a parse.
     * The reason names what is wrong: the scheme, the "//", or the host. */
    size_t start = 0;
    if (len >= 7 && strncasecmp (url, "http://", 7) == 0)
        start = 7;
    else if (len >= 8 && strncasecmp (url, "https://", 8) == 0)
        start = 8;
    else if (s_has_scheme (url, len))
        return s_fail (why, why_size, "scheme must be http or https");
    else
        return s_fail (why, why_size, "not an absolute URL: must start with http:// or https://");
    if (s_no_authority (url, len, start))
        return s_fail (why, why_size, "URL has no host (http://HOST/...)");
    if (s_plain (url, len, start, high))
        return 0;
    return dt_url_check_parsed (url, len, why, why_size);
}

int dt_url_check_parsed (const char *url, size_t len, char *why, size_t why_size)
{
    if (len == 0 || len > DT_LIMIT_URL_MAX)
        return s_fail (why, why_size, "URL empty or too long");
    const dt_curl_api_t *curl = dt_curl_api (why, why_size);
    if (!curl)
        return -1;
    char *copy = malloc (len + 1);
    if (!copy)
        return s_fail (why, why_size, "out of memory");
    memcpy (copy, url, len);
    copy[len] = '\0';

    int rc = -1;
    char *host = NULL;
    CURLU *h = curl->url ();
    if (!h) {
        s_fail (why, why_size, "out of memory");
        goto done;
    }
    const char *sep = strstr (copy, "://");
    if (sep && s_no_authority (copy, len, (size_t) (sep - copy) + 3)) {
        s_fail (why, why_size, "URL has no host (http://HOST/...)");
        goto done;
    }
    /* Non-supported schemes are refused above; curl's parser then checks the
     * authority and the port the way the fetch will see them. */
    CURLUcode uc = curl->url_set (h, CURLUPART_URL, copy, 0);
    if (uc != CURLUE_OK) {
        s_fail (why, why_size, s_parse_error (uc));
        goto done;
    }
    if (curl->url_get (h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        s_fail (why, why_size, "URL has no host");
        goto done;
    }
    rc = 0;
done:
    curl->free (host);
    curl->url_cleanup (h);
    free (copy);
    return rc;
}
