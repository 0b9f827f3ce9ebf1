/* dt_curl.h - the few libcurl URL-API functions the URL rule needs, through one table. */
#ifndef DT_CURL_H
#define DT_CURL_H

#include <curl/curl.h>

/* The master and the worker link libcurl (dt_curl_linked.c); the CLI does
 * not, because loading libcurl and its ~30 libraries costs a short command
 * about 35 ms of start-up, and the CLI needs curl's parser only for URLs of
 * an unusual shape (dt_url.c): it loads libcurl on first need instead
 * (dt_curl_loaded.c). Each program links exactly one of the two. */
typedef struct {
    CURLU *(*url) (void);
    CURLUcode (*url_set) (CURLU *handle, CURLUPart what, const char *part, unsigned int flags);
    CURLUcode (*url_get) (CURLU *handle, CURLUPart what, char **part, unsigned int flags);
    void (*url_cleanup) (CURLU *handle);
    void (*free) (void *p);
} dt_curl_api_t;

/* The table, or NULL when libcurl cannot be loaded (with a reason in
 * `why`, NUL-terminated, when `why` is not NULL). */
const dt_curl_api_t *dt_curl_api (char *why, size_t why_size);

#endif
