/* dt_curl_linked.c - dt_curl_api() for programs linked with libcurl. */
#include "dt_curl.h"

const dt_curl_api_t *dt_curl_api (char *why, size_t why_size)
{
    (void) why;
    (void) why_size;
    static const dt_curl_api_t api = {curl_url, curl_url_set, curl_url_get, curl_url_cleanup,
                                      curl_free};
    return &api;
}
