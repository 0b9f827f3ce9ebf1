/* dt_url.c - the one URL acceptance rule shared by CLI, master and worker. */
#include "dt_url.h"
#include "dt_limits.h"

#include <curl/curl.h>
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
    if (!(len > 7 && strncasecmp (url, "http://", 7) == 0) &&
        !(len > 8 && strncasecmp (url, "https://", 8) == 0))
        return s_fail (why, why_size, "scheme must be http or https");

    char *copy = malloc (len + 1);
    if (!copy)
        return s_fail (why, why_size, "out of memory");
    memcpy (copy, url, len);
    copy[len] = '\0';

    int rc = -1;
    char *host = NULL;
    CURLU *h = curl_url ();
    if (!h) {
        s_fail (why, why_size, "out of memory");
        goto done;
    }
    /* Non-supported schemes are refused above; curl's parser then checks the
     * authority and the port the way the fetch will see them. */
    if (curl_url_set (h, CURLUPART_URL, copy, 0) != CURLUE_OK) {
        s_fail (why, why_size, "malformed URL");
        goto done;
    }
    if (curl_url_get (h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        s_fail (why, why_size, "URL has no host");
        goto done;
    }
    rc = 0;
done:
    curl_free (host);
    curl_url_cleanup (h);
    free (copy);
    return rc;
}
