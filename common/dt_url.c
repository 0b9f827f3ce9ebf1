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
static int s_plain (const char *url, size_t len, size_t start)
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
    for (; i < len; i++)
        if ((unsigned char) url[i] > 0x7e)
            return 0; /* controls and spaces were refused before */
    return 1;
}

int dt_url_check (const char *url, size_t len, char *why, size_t why_size)
{
    if (len == 0)
        return s_fail (why, why_size, "empty URL");
    if (len > DT_LIMIT_URL_MAX)
        return s_fail (why, why_size, "URL longer than 8192 bytes");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) url[i];
        if (c <= 0x20 || c == 0x7f)
            return s_fail (why, why_size, "URL contains whitespace or a control character");
    }
    /* Cheap scheme test first: it rejects most garbage without a parse. */
    size_t start = 0;
    if (len > 7 && strncasecmp (url, "http://", 7) == 0)
        start = 7;
    else if (len > 8 && strncasecmp (url, "https://", 8) == 0)
        start = 8;
    else
        return s_fail (why, why_size, "scheme must be http or https");
    if (s_plain (url, len, start))
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
    /* Non-supported schemes are refused above; curl's parser then checks the
     * authority and the port the way the fetch will see them. */
    if (curl->url_set (h, CURLUPART_URL, copy, 0) != CURLUE_OK) {
        s_fail (why, why_size, "malformed URL");
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
