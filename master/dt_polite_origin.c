/* dt_polite_origin.c - a URL's origin (scheme://host:port) and its path, as politeness reads them.
 */
#include "dt_polite.h"
#include "dt_polite_origin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int dt_polite_origin (const char *url, size_t len, char *out, size_t cap)
{
    const char *end = url + len, *sep = NULL;
    for (const char *c = url; c + 2 < end; c++)
        if (c[0] == ':' && c[1] == '/' && c[2] == '/') {
            sep = c;
            break;
        }
    if (!sep || sep == url)
        return -1;
    const char *p = sep + 3, *stop = p;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#')
        stop++;
    for (const char *at = stop; at > p; at--)
        if (at[-1] == '@') {
            p = at;
            break;
        }
    const char *host_end = stop, *port = NULL;
    if (p < stop && *p == '[') {
        const char *close = memchr (p, ']', (size_t) (stop - p));
        host_end = close ? close + 1 : stop;
    } else {
        const char *colon = memchr (p, ':', (size_t) (stop - p));
        host_end = colon ? colon : stop;
    }
    if (host_end < stop && *host_end == ':' && host_end + 1 < stop)
        port = host_end + 1;
    if (host_end == p)
        return -1;
    size_t slen = (size_t) (sep - url), hlen = (size_t) (host_end - p);
    int https = slen == 5 && strncasecmp (url, "https", 5) == 0;
    char portbuf[8];
    size_t plen;
    if (port) {
        plen = (size_t) (stop - port);
        if (plen > 5)
            return -1;
        memcpy (portbuf, port, plen);
    } else
        plen = (size_t) snprintf (portbuf, sizeof portbuf, "%s", https ? "443" : "80");
    size_t total = slen + 3 + hlen + 1 + plen;
    if (total + 1 > cap)
        return -1;
    char *o = out;
    for (size_t i = 0; i < slen; i++)
        *o++ = (char) (url[i] >= 'A' && url[i] <= 'Z' ? url[i] - 'A' + 'a' : url[i]);
    memcpy (o, "://", 3);
    o += 3;
    for (size_t i = 0; i < hlen; i++)
        *o++ = (char) (p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    *o++ = ':';
    memcpy (o, portbuf, plen);
    o += plen;
    *o = '\0';
    return (int) total;
}

void dt_polite_path (const char *url, size_t len, const char **path, size_t *plen)
{
    const char *end = url + len, *p = url;
    const char *sep = NULL;
    for (const char *c = url; c + 2 < end; c++)
        if (c[0] == ':' && c[1] == '/' && c[2] == '/') {
            sep = c;
            break;
        }
    p = sep ? sep + 3 : url;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    const char *stop = memchr (p, '#', (size_t) (end - p));
    *path = p;
    *plen = (size_t) ((stop ? stop : end) - p);
}
