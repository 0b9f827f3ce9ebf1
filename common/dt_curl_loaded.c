/* dt_curl_loaded.c - dt_curl_api() that loads libcurl at first use (the CLI). */
#include "dt_curl.h"

#include <dlfcn.h>
#include <stdio.h>

/* Debian ships libcurl built against OpenSSL or GnuTLS under two names;
 * the URL API is the same in both. */
static const char *s_names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};

const dt_curl_api_t *dt_curl_api (char *why, size_t why_size)
{
    static dt_curl_api_t api;
    static int loaded; /* 1: api is filled; -1: loading failed */
    if (loaded == 0) {
        void *lib = NULL;
        for (size_t i = 0; !lib && i < sizeof s_names / sizeof s_names[0]; i++)
            lib = dlopen (s_names[i], RTLD_NOW | RTLD_LOCAL);
        /* Kept open for the life of the process: the table points into it. */
        if (lib) {
            *(void **) &api.url = dlsym (lib, "curl_url");
            *(void **) &api.url_set = dlsym (lib, "curl_url_set");
            *(void **) &api.url_get = dlsym (lib, "curl_url_get");
            *(void **) &api.url_cleanup = dlsym (lib, "curl_url_cleanup");
            *(void **) &api.free = dlsym (lib, "curl_free");
        }
        loaded =
            lib && api.url && api.url_set && api.url_get && api.url_cleanup && api.free ? 1 : -1;
    }
    if (loaded < 0) {
        if (why && why_size)
            snprintf (why, why_size, "cannot load libcurl to check this URL");
        return NULL;
    }
    return &api;
}
