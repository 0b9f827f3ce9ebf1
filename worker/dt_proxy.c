/* dt_proxy.c - the proxies libcurl takes from the environment, for --deny-private. */
#include "dt_proxy.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variables libcurl reads for http and https URLs. http_proxy has no
 * upper-case form: libcurl ignores HTTP_PROXY, which a CGI request could
 * set through a "Proxy:" header. */
static const char *const s_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                     "ALL_PROXY"};
#define S_VARS (sizeof s_vars / sizeof s_vars[0])

/* libcurl's port for a proxy given without one (CURL_DEFAULT_PROXY_PORT,
 * and 443 for an https:// proxy). */
#define S_PROXY_PORT_DEFAULT       1080
#define S_PROXY_HTTPS_PORT_DEFAULT 443

struct dt_proxy_t {
    struct sockaddr_storage addrs[DT_LIMIT_PROXY_ADDRS_MAX]; /* every proxy address, port set */
    size_t count;                                            /* how many */
};

const char *dt_proxy_env_name (void)
{
    /* no_proxy=* turns every proxy off in libcurl (which reads the lower
     * case name first). */
    const char *none = getenv ("no_proxy");
    if (!none)
        none = getenv ("NO_PROXY");
    if (none && strcmp (none, "*") == 0)
        return NULL;
    for (size_t i = 0; i < S_VARS; i++) {
        const char *v = getenv (s_vars[i]);
        if (v && *v)
            return s_vars[i];
    }
    return NULL;
}

/* Adds the addresses of one proxy URL. Returns 0, or -1 with `err`. */
static int s_add (dt_proxy_t *self, const char *var, const char *value, char *err, size_t err_size)
{
    CURLU *u = curl_url ();
    char *host = NULL, *port = NULL, *scheme = NULL;
    struct addrinfo *res = NULL;
    int rc = -1;
    if (!u ||
        curl_url_set (u, CURLUPART_URL, value, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) ||
        curl_url_get (u, CURLUPART_HOST, &host, 0) || !host || !*host) {
        snprintf (err, err_size, "%s: cannot read a proxy host in '%.200s'", var, value);
        goto done;
    }
    curl_url_get (u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
    curl_url_get (u, CURLUPART_SCHEME, &scheme, 0);
    long number = port                                      ? strtol (port, NULL, 10)
                  : scheme && strcmp (scheme, "https") == 0 ? S_PROXY_HTTPS_PORT_DEFAULT
                                                            : S_PROXY_PORT_DEFAULT;
    /* curl gives an IPv6 literal in brackets. */
    char name[256];
    size_t len = strlen (host);
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
        snprintf (name, sizeof name, "%.*s", (int) (len - 2), host + 1);
    else
        snprintf (name, sizeof name, "%s", host);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int gai = getaddrinfo (name, NULL, &hints, &res);
    if (gai != 0) {
        snprintf (err, err_size, "%s: cannot resolve proxy host %s: %s", var, name,
                  gai_strerror (gai));
        goto done;
    }
    for (struct addrinfo *a = res; a && self->count < DT_LIMIT_PROXY_ADDRS_MAX; a = a->ai_next) {
        struct sockaddr_storage *ss = &self->addrs[self->count];
        if (a->ai_family == AF_INET && a->ai_addrlen <= sizeof *ss) {
            memcpy (ss, a->ai_addr, a->ai_addrlen);
            ((struct sockaddr_in *) ss)->sin_port = htons ((uint16_t) number);
            self->count++;
        } else if (a->ai_family == AF_INET6 && a->ai_addrlen <= sizeof *ss) {
            memcpy (ss, a->ai_addr, a->ai_addrlen);
            ((struct sockaddr_in6 *) ss)->sin6_port = htons ((uint16_t) number);
            self->count++;
        }
    }
    rc = 0;
done:
    if (res)
        freeaddrinfo (res);
    curl_free (host);
    curl_free (port);
    curl_free (scheme);
    curl_url_cleanup (u);
    return rc;
}

dt_proxy_t *dt_proxy_new (char *err, size_t err_size)
{
    dt_proxy_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < S_VARS; i++) {
        const char *v = getenv (s_vars[i]);
        if (v && *v && s_add (self, s_vars[i], v, err, err_size) != 0) {
            dt_proxy_destroy (&self);
            return NULL;
        }
    }
    return self;
}

int dt_proxy_is (const dt_proxy_t *self, const struct sockaddr *sa)
{
    for (size_t i = 0; i < self->count; i++) {
        const struct sockaddr *p = (const struct sockaddr *) &self->addrs[i];
        if (p->sa_family != sa->sa_family)
            continue;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *a = (const void *) sa, *b = (const void *) p;
            if (a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr)
                return 1;
        } else if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *a = (const void *) sa, *b = (const void *) p;
            if (a->sin6_port == b->sin6_port &&
                memcmp (&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0)
                return 1;
        }
    }
    return 0;
}

void dt_proxy_destroy (dt_proxy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}
