/* dt_fetch.c - the http handler: fetches URLs with libcurl multi; bodies are counted, or kept as
 * WARC records. */
#include "dt_fetch.h"
#include "dt_addr.h"
#include "dt_limits.h"
#include "dt_links.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_pagelinks.h"
#include "dt_proxy.h"
#include "dt_url.h"
#include "dt_warc.h"

#include <assert.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef DTASK_VERSION
#define DTASK_VERSION "0"
#endif

typedef struct s_fetch_t s_fetch_t;

/* One transfer slot: an easy handle and the task it runs. Slots are never
 * freed before the handler; a finished one goes on the free list. */
typedef struct s_xfer_t {
    s_fetch_t *owner;             /* the handler, for the body cap */
    CURL *easy;                   /* configured once, reused for every task */
    uint64_t id;                  /* task running in it */
    uint32_t attempt;             /* its attempt number */
    uint64_t bytes;               /* body bytes counted so far (this hop's) */
    uint64_t max_bytes;           /* this task's body cap */
    uint32_t timeout_ms;          /* this task's time limit, redirects included */
    int capturing;                /* this task keeps WARC records */
    uint32_t hops;                /* redirects followed by us (capturing) */
    dt_warc_capture_t *capture;   /* made on the first capturing task, kept with the slot */
    int linking;                  /* DT_TASK_LINKS: this task sends its page's links */
    dt_pagelinks_t *page;         /* made on the first linking task, kept with the slot */
    struct curl_slist *headers;   /* this task's extra headers; NULL when none */
    int too_big;                  /* the write callback refused the body */
    int denied;                   /* --deny-private refused the address */
    int task_limited;             /* the task time limit, not --timeout, bounds it */
    int keep_body;                /* DT_TASK_BODY: the body goes back as the output */
    char *body;                   /* its first DT_FETCH_BODY_MAX bytes (made once, kept) */
    size_t body_len;              /* bytes in body */
    int body_full;                /* the body reached the cap: the transfer was ended there */
    uint32_t retry_after_ms;      /* this response's Retry-After, 0: none */
    int64_t started_us;           /* monotonic time it started */
    int active;                   /* added to the multi handle */
    char errbuf[CURL_ERROR_SIZE]; /* curl's detailed error text */
    struct s_xfer_t *next_free;   /* free list link */
    struct s_xfer_t *next_all;    /* every slot, for destroy */
} s_xfer_t;

/* A task refused before any transfer (bad URL): reported at the next
 * perform, so completions always come from perform. */
typedef struct s_early_t {
    uint64_t id;
    uint32_t attempt;
    char error[128];        /* why it was refused */
    struct s_early_t *next; /* FIFO link */
} s_early_t;

struct s_fetch_t {
    dt_handler_t base;       /* must be first: the loop sees only this */
    dt_fetch_options_t opts; /* copy */
    uint32_t task_ms;        /* the master's limit on one task's run time; 0: none */
    CURLM *multi;            /* all transfers; owns the connection and DNS caches */
    s_xfer_t *all;           /* every slot ever made */
    s_xfer_t *free_list;     /* idle slots */
    size_t active;           /* slots in the multi handle */
    size_t slots;            /* slots ever made: the most transfers at once */
    s_early_t *early_head;   /* refused tasks to report, oldest first */
    s_early_t *early_tail;   /* last of them */
    size_t early_count;      /* how many */
    dt_proxy_t *proxy;       /* --trusted-proxy: addresses allowed despite deny_private */
};

void dt_fetch_options_defaults (dt_fetch_options_t *opts)
{
    opts->timeout_ms = DT_FETCH_TIMEOUT_MS_DEFAULT;
    opts->connect_timeout_ms = DT_FETCH_CONNECT_TIMEOUT_MS_DEFAULT;
    opts->max_bytes = (uint64_t) DT_LIMIT_BODY_MAX;
    opts->deny_private = 0;
    opts->trusted_proxy = 0;
    dt_httpopt_defaults (&opts->http);
}

uint32_t dt_fetch_retry_after (const char *value, size_t len, time_t now)
{
    char buf[64];
    while (len > 0 && (*value == ' ' || *value == '\t'))
        value++, len--;
    while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' ' ||
                       value[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy (buf, value, len);
    buf[len] = '\0';
    uint64_t ms;
    if (buf[0] >= '0' && buf[0] <= '9') {
        /* delay-seconds: digits only; a huge number is simply long. */
        uint64_t s = 0;
        for (size_t i = 0; i < len; i++) {
            if (buf[i] < '0' || buf[i] > '9')
                return 0;
            if (s < DT_LIMIT_RETRY_AFTER_MAX_MS)
                s = s * 10 + (uint64_t) (buf[i] - '0');
        }
        ms = s * 1000;
    } else {
        time_t at = curl_getdate (buf, NULL);
        if (at == (time_t) -1 || at <= now)
            return 0;
        ms = (uint64_t) (at - now) * 1000;
    }
    return ms > DT_LIMIT_RETRY_AFTER_MAX_MS ? DT_LIMIT_RETRY_AFTER_MAX_MS : (uint32_t) ms;
}

/* How early curl's timer may fire by our clock (see s_finish). */
#define S_TIMER_SLACK_US 20000

static int64_t s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Counts body bytes; refusing them (returning less than given) makes curl
 * end the transfer with CURLE_WRITE_ERROR. */
static size_t s_on_body (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_xfer_t *x = arg;
    size_t n = size * nmemb;
    if (x->keep_body) {
        /* Kept up to the cap, then the transfer ends: a 10 MB robots.txt
         * costs DT_FETCH_BODY_MAX bytes, not 10 MB. */
        size_t room = DT_FETCH_BODY_MAX - x->body_len, take = n < room ? n : room;
        memcpy (x->body + x->body_len, ptr, take);
        x->body_len += take;
        x->bytes += take;
        if (x->body_len == DT_FETCH_BODY_MAX) {
            x->body_full = 1;
            return 0;
        }
        return n;
    }
    if (n > x->max_bytes - x->bytes) {
        x->too_big = 1;
        return 0;
    }
    x->bytes += n;
    /* A capture that breaks (out of memory) only loses its records: the
     * fetch goes on and reports its result. */
    if (x->capturing)
        dt_warc_capture_body (x->capture, ptr, n);
    if (x->linking)
        dt_pagelinks_body (x->page, ptr, n);
    return n;
}

/* Keeps each response head line of a capturing task. */
static size_t s_on_header (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_xfer_t *x = arg;
    size_t n = size * nmemb;
    /* Each response (a redirect's too) starts with its status line. */
    if (n >= 5 && memcmp (ptr, "HTTP/", 5) == 0)
        x->retry_after_ms = 0;
    else if (n > 12 && strncasecmp (ptr, "retry-after:", 12) == 0)
        x->retry_after_ms = dt_fetch_retry_after (ptr + 12, n - 12, time (NULL));
    if (x->capturing)
        dt_warc_capture_header (x->capture, ptr, n);
    if (x->linking)
        dt_pagelinks_header (x->page, ptr, n);
    return n;
}

/* Keeps the request head as libcurl sent it; only called while capturing
 * (CURLOPT_VERBOSE is on then). */
static int s_on_debug (CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
    (void) easy;
    s_xfer_t *x = arg;
    if (type == CURLINFO_HEADER_OUT && x->capturing)
        dt_warc_capture_request (x->capture, data, size);
    return 0;
}

/* Opens each connection's socket, after DNS and for every redirect, so the
 * address checked is the one connected to, whatever the URL said. A
 * trusted proxy's own address and port pass: it checks the destinations. */
static curl_socket_t s_open_socket (void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    s_xfer_t *x = arg;
    dt_proxy_t *proxy = x->owner->proxy;
    if (purpose == CURLSOCKTYPE_IPCXN && !(proxy && dt_proxy_is (proxy, &addr->addr)) &&
        dt_addr_is_private (&addr->addr)) {
        x->denied = 1;
        return CURL_SOCKET_BAD;
    }
    return socket (addr->family, addr->socktype, addr->protocol);
}

/* Sets the options every task shares, once per easy handle. */
static int s_configure (s_fetch_t *self, s_xfer_t *x)
{
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
    /* Only http(s), on the first request and on every redirect: a redirect
     * must not reach file://, gopher:// or the like. */
    rc |= curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt (e, CURLOPT_MAXREDIRS, (long) DT_LIMIT_REDIRECTS_MAX);
    rc |= curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_on_body);
    rc |= curl_easy_setopt (e, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, s_on_header);
    rc |= curl_easy_setopt (e, CURLOPT_HEADERDATA, x);
    rc |= curl_easy_setopt (e, CURLOPT_DEBUGFUNCTION, s_on_debug);
    rc |= curl_easy_setopt (e, CURLOPT_DEBUGDATA, x);
    rc |= curl_easy_setopt (e, CURLOPT_PRIVATE, x);
    rc |= curl_easy_setopt (e, CURLOPT_ERRORBUFFER, x->errbuf);
    /* One thread that also serves ZeroMQ: no signals for DNS timeouts. */
    rc |= curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt (e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (self->opts.deny_private) {
        rc |= curl_easy_setopt (e, CURLOPT_OPENSOCKETFUNCTION, s_open_socket);
        rc |= curl_easy_setopt (e, CURLOPT_OPENSOCKETDATA, x);
    }
    return rc == CURLE_OK ? 0 : -1;
}

/* An idle slot from the free list, or a new one. NULL when out of memory. */
static s_xfer_t *s_xfer_get (s_fetch_t *self)
{
    s_xfer_t *x = self->free_list;
    if (x) {
        self->free_list = x->next_free;
        return x;
    }
    x = calloc (1, sizeof *x);
    if (!x)
        return NULL;
    x->owner = self;
    x->easy = curl_easy_init ();
    if (!x->easy || s_configure (self, x) != 0) {
        if (x->easy)
            curl_easy_cleanup (x->easy);
        free (x);
        return NULL;
    }
    x->next_all = self->all;
    self->all = x;
    self->slots++;
    /* curl sizes its connection cache to 4x the handles in the multi at the
     * moment a transfer ends, so whenever the worker runs low on tasks the
     * idle connections beyond that are closed and must be made again. Size
     * it to the peak instead: the same bound on open sockets, without the
     * churn. */
    if (curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, (long) (4 * self->slots)) != CURLM_OK)
        dt_log_warn ("FETCH-MAXCONNECTS", "cannot size the connection cache");
    return x;
}

static int s_start_early (s_fetch_t *self, uint64_t id, uint32_t attempt, const char *why)
{
    s_early_t *e = calloc (1, sizeof *e);
    if (!e)
        return -1;
    e->id = id;
    e->attempt = attempt;
    snprintf (e->error, sizeof e->error, "%s", why);
    if (self->early_tail)
        self->early_tail->next = e;
    else
        self->early_head = e;
    self->early_tail = e;
    self->early_count++;
    return 0;
}

/* The smaller of a task's limit and the worker's; 0 in the task: the worker's. */
static uint64_t s_bound (uint64_t task, uint64_t worker)
{
    return task && task < worker ? task : worker;
}

/* Sets what changes from task to task on a reused easy handle: every
 * option is set each time, so nothing carries over from the task before. */
static int s_apply (s_fetch_t *self, s_xfer_t *x, const dt_httpopt_t *http)
{
    CURL *e = x->easy;
    CURLcode rc = CURLE_OK;
    x->max_bytes = s_bound (http->max_bytes, self->opts.max_bytes);
    x->timeout_ms = (uint32_t) s_bound (http->timeout_ms, self->opts.timeout_ms);
    uint32_t connect_ms =
        (uint32_t) s_bound (http->connect_timeout_ms, self->opts.connect_timeout_ms);
    x->capturing = http->capture;
    if (http->method == DT_HTTPOPT_HEAD)
        rc |= curl_easy_setopt (e, CURLOPT_NOBODY, 1L);
    else
        rc |= curl_easy_setopt (e, CURLOPT_HTTPGET, 1L);
    rc |= curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, (long) connect_ms);
    /* A Content-Length over the cap fails before the body is read; a body
     * without one is cut by s_on_body. 0 means "no limit" to curl, and
     * s_on_body refuses every byte then. */
    rc |= curl_easy_setopt (e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) x->max_bytes);
    rc |= curl_easy_setopt (e, CURLOPT_USERAGENT,
                            http->user_agent[0] ? http->user_agent : DT_HTTPOPT_USER_AGENT);
    curl_slist_free_all (x->headers);
    x->headers = NULL;
    for (uint32_t i = 0; i < http->nheaders; i++) {
        struct curl_slist *l = curl_slist_append (x->headers, dt_httpopt_header (http, i));
        if (!l)
            return -1;
        x->headers = l;
    }
    rc |= curl_easy_setopt (e, CURLOPT_HTTPHEADER, x->headers);
    /* "": every encoding this libcurl can decode. */
    rc |= curl_easy_setopt (e, CURLOPT_ACCEPT_ENCODING, http->compressed ? "" : NULL);
    /* Capturing keeps the wire's bytes (see dt_fetch.h): HTTP/1.1, no
     * decoding, redirects followed by s_finish. */
    long capture = http->capture ? 1L : 0L;
    rc |= curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 1L - capture);
    rc |= curl_easy_setopt (e, CURLOPT_VERBOSE, capture);
    rc |= curl_easy_setopt (e, CURLOPT_HTTP_VERSION,
                            capture ? (long) CURL_HTTP_VERSION_1_1 : (long) CURL_HTTP_VERSION_NONE);
    rc |= curl_easy_setopt (e, CURLOPT_HTTP_CONTENT_DECODING, 1L - capture);
    rc |= curl_easy_setopt (e, CURLOPT_HTTP_TRANSFER_DECODING, 1L - capture);
    if (http->capture) {
        size_t cap = http->capture_max && http->capture_max < DT_LIMIT_CAPTURE_MAX
                         ? (size_t) http->capture_max
                         : DT_LIMIT_CAPTURE_MAX;
        if (!x->capture)
            x->capture = dt_warc_capture_new (cap);
        if (!x->capture)
            return -1;
        dt_warc_capture_reset (x->capture, cap);
        dt_warc_capture_begin (x->capture, time (NULL));
    }
    return rc == CURLE_OK ? 0 : -1;
}

/* Adds the slot's handle for `url` with `timeout_ms` left. Returns 0 or -1. */
static int s_add (s_fetch_t *self, s_xfer_t *x, const char *url, long timeout_ms)
{
    if (curl_easy_setopt (x->easy, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt (x->easy, CURLOPT_URL, url) != CURLE_OK ||
        curl_multi_add_handle (self->multi, x->easy) != CURLM_OK)
        return -1;
    x->active = 1;
    self->active++;
    return 0;
}

static int s_start_url (s_fetch_t *self, const dt_handler_task_t *task, const dt_httpopt_t *http)
{
    uint64_t id = task->id;
    uint32_t attempt = task->attempt;
    /* The master checked the URL already; checking again keeps a worker
     * safe from a master that did not (or a different version of the rule).
     * The check also refuses NUL bytes and lengths over DT_LIMIT_URL_MAX,
     * so the payload fits the NUL-terminated copy curl needs. */
    char why[96];
    if (dt_url_check (task->payload, task->payload_len, why, sizeof why) != 0) {
        char error[128];
        snprintf (error, sizeof error, "bad url: %s", why);
        return s_start_early (self, id, attempt, error);
    }
    char url[DT_LIMIT_URL_MAX + 1];
    memcpy (url, task->payload, task->payload_len);
    url[task->payload_len] = '\0';
    s_xfer_t *x = s_xfer_get (self);
    if (!x)
        return -1;
    x->id = id;
    x->attempt = attempt;
    x->bytes = 0;
    x->too_big = 0;
    x->denied = 0;
    x->hops = 0;
    x->errbuf[0] = '\0';
    /* Out of memory for the page only loses its links: the fetch goes on. */
    x->linking = (task->flags & DT_TASK_LINKS) && (x->page || (x->page = dt_pagelinks_new ()));
    if (x->linking)
        dt_pagelinks_reset (x->page);
    /* A capture turns libcurl's decoding off (s_apply): the page undoes
     * the framing itself. */
    if (x->linking && http->capture)
        dt_pagelinks_wire (x->page);
    x->retry_after_ms = 0;
    x->body_len = 0;
    x->body_full = 0;
    x->keep_body = (task->flags & DT_TASK_BODY) != 0;
    if (x->keep_body && !x->body && !(x->body = malloc (DT_FETCH_BODY_MAX))) {
        x->next_free = self->free_list;
        self->free_list = x;
        return -1;
    }
    /* curl counts its timeout from here, when the task starts running,
     * not from when it arrived in the worker's queue. */
    int rc = s_apply (self, x, http);
    x->task_limited = self->task_ms > 0 && self->task_ms <= x->timeout_ms;
    x->started_us = s_now_us ();
    long timeout_ms = (long) (x->task_limited ? self->task_ms : x->timeout_ms);
    if (rc != 0 || s_add (self, x, url, timeout_ms) != 0) {
        x->next_free = self->free_list;
        self->free_list = x;
        return -1;
    }
    return 0;
}

static int s_start (dt_handler_t *h, const dt_handler_task_t *task)
{
    s_fetch_t *self = (s_fetch_t *) h;
    return s_start_url (self, task, &self->opts.http);
}

int dt_fetch_start_with (dt_handler_t *h, const dt_handler_task_t *task, const dt_httpopt_t *http)
{
    assert (strcmp (h->ops->name, "http") == 0);
    return s_start_url ((s_fetch_t *) h, task, http);
}

/* Permanent failures: trying again cannot help. Everything else that kept
 * a response from arriving (connect, DNS, timeout, reset, TLS handshake,
 * transfer) is transient. */
static int s_is_permanent (CURLcode code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_FILESIZE_EXCEEDED:
        return 1;
    default:
        return 0;
    }
}

/* Ends a capturing task's hop: its records go to the capture's output,
 * marked truncated when the body did not arrive whole. */
static void s_capture_end (s_xfer_t *x, CURLcode code, const char *url)
{
    if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
        dt_warc_capture_truncate (x->capture, "length");
    else if (code == CURLE_OPERATION_TIMEDOUT)
        dt_warc_capture_truncate (x->capture, "time");
    else if (code != CURLE_OK)
        dt_warc_capture_truncate (x->capture, "disconnect");
    char *ip = NULL;
    curl_easy_getinfo (x->easy, CURLINFO_PRIMARY_IP, &ip);
    /* The URL passed dt_url_check: safe to log as it is. */
    if (dt_warc_capture_end (x->capture, url, ip) != 0)
        dt_log_warn ("WARC-CAPTURE", "%s: records lost (out of memory or a head over %d bytes)",
                     url, DT_LIMIT_CAPTURE_HEAD_MAX);
}

/* Whether a capturing task's hop ended in a redirect we follow. */
static int s_is_redirect (long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Follows a capturing task's redirect to `location`: the next hop reuses
 * the slot. Returns 0 when it is under way; otherwise -1 with the outcome
 * and the reason in `error`, and the task ends. */
static int s_follow (s_fetch_t *self, s_xfer_t *x, const char *location, uint8_t *outcome,
                     char *error, size_t error_size)
{
    char why[96];
    int64_t left_ms = (int64_t) (x->task_limited ? self->task_ms : x->timeout_ms) -
                      (s_now_us () - x->started_us) / 1000;
    *outcome = DT_OUTCOME_FAIL;
    if (x->hops >= DT_LIMIT_REDIRECTS_MAX) {
        /* libcurl's words, so results read the same with and without capture. */
        snprintf (error, error_size, "Maximum (%d) redirects followed", DT_LIMIT_REDIRECTS_MAX);
        return -1;
    }
    if (dt_url_check (location, strlen (location), why, sizeof why) != 0) {
        snprintf (error, error_size, "redirect to a refused URL: %s", why);
        return -1;
    }
    if (left_ms <= 0) {
        *outcome = DT_OUTCOME_RETRY;
        snprintf (error, error_size, "time limit reached after %" PRIu32 " redirects", x->hops);
        return -1;
    }
    /* `location` belongs to the handle: copy it before the handle changes. */
    char url[DT_LIMIT_URL_MAX + 1];
    snprintf (url, sizeof url, "%s", location);
    curl_multi_remove_handle (self->multi, x->easy);
    x->active = 0;
    self->active--;
    x->hops++;
    x->bytes = 0;
    if (x->linking) {
        /* A capture follows its own redirects: the next hop is wire too. */
        dt_pagelinks_reset (x->page);
        dt_pagelinks_wire (x->page);
    }
    dt_warc_capture_begin (x->capture, time (NULL));
    if (s_add (self, x, url, (long) left_ms) != 0) {
        *outcome = DT_OUTCOME_RETRY;
        snprintf (error, error_size, "worker could not follow the redirect: out of memory");
        return -1;
    }
    return 0;
}

/* Reports a finished transfer, then returns its slot to the free list. */
static void s_finish (s_fetch_t *self, s_xfer_t *x, CURLcode code)
{
    long status = 0;
    curl_off_t total_us = 0;
    char *final_url = NULL, *content_type = NULL;
    curl_easy_getinfo (x->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo (x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_easy_getinfo (x->easy, CURLINFO_EFFECTIVE_URL, &final_url);
    curl_easy_getinfo (x->easy, CURLINFO_CONTENT_TYPE, &content_type);

    char error[DT_LIMIT_ERROR_MAX];
    error[0] = '\0';
    uint8_t outcome = DT_OUTCOME_DONE;
    int unfollowed = 0; /* a redirect could not be followed: outcome and error are set */
    if (x->capturing) {
        s_capture_end (x, code, final_url ? final_url : "");
        char *location = NULL;
        curl_easy_getinfo (x->easy, CURLINFO_REDIRECT_URL, &location);
        if (code == CURLE_OK && s_is_redirect (status) && location) {
            if (s_follow (self, x, location, &outcome, error, sizeof error) == 0)
                return; /* the task goes on in its next hop */
            unfollowed = 1;
        }
    }
    if (x->body_full && code == CURLE_WRITE_ERROR) {
        /* Cut on purpose at the cap: the reader knows from the length. */
        outcome = DT_OUTCOME_DONE;
    } else if (unfollowed) {
        /* outcome and error set by s_follow */
    } else if (x->denied) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (error, sizeof error, "destination address is not allowed (--deny-private)");
    } else if (x->too_big || code == CURLE_FILESIZE_EXCEEDED) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (error, sizeof error, "body over %" PRIu64 " bytes", x->max_bytes);
    } else if (code == CURLE_OPERATION_TIMEDOUT && x->task_limited &&
               (self->opts.connect_timeout_ms >= self->task_ms ||
                s_now_us () - x->started_us + S_TIMER_SLACK_US >= (int64_t) self->task_ms * 1000)) {
        /* The whole-transfer timeout fired, not a shorter connect timeout.
         * curl rounds its elapsed time up to whole milliseconds, so it may
         * fire a little before our clock reaches the limit. */
        outcome = DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "task time limit (%" PRIu32 " ms)", self->task_ms);
    } else if (code != CURLE_OK) {
        outcome = s_is_permanent (code) ? DT_OUTCOME_FAIL : DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror (code));
    } else if (status >= 500 || status == 429) {
        outcome = DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "HTTP %ld", status);
    } else {
        outcome = DT_OUTCOME_DONE;
    }
    /* curl's time is this hop's; a capturing task may have made several. */
    int64_t ms = x->hops ? (s_now_us () - x->started_us) / 1000 : total_us / 1000;
    size_t warc_len = 0;
    const uint8_t *warc = x->capturing ? dt_warc_capture_output (x->capture, &warc_len) : NULL;
    size_t links_len = 0;
    const char *links = x->linking && outcome == DT_OUTCOME_DONE
                            ? dt_pagelinks_links (x->page, status, final_url ? final_url : "",
                                                  content_type, &links_len)
                            : NULL;
    /* A page marked noindex (meta robots, or X-Robots-Tag for every agent
     * or for us) is fetched and its links followed unless nofollow, but
     * what it says is not kept: its result names no capture. */
    if (warc && x->linking && (dt_pagelinks_robots (x->page) & DT_LINKS_NOINDEX)) {
        dt_log_debug ("NOINDEX", "task %" PRIu64 ": %s is marked noindex: capture not kept", x->id,
                      final_url ? final_url : "");
        warc = NULL;
        warc_len = 0;
    }
    dt_handler_result_t r = {
        .id = x->id,
        .attempt = x->attempt,
        .outcome = outcome,
        .http_status = status > 0 && status <= UINT16_MAX ? (uint16_t) status : 0,
        .bytes = x->bytes,
        .elapsed_ms = ms < 0            ? 0
                      : ms > UINT32_MAX ? UINT32_MAX
                                        : (uint32_t) ms,
        .warc = warc,
        .warc_len = warc_len,
        .links = links_len ? links : NULL,
        .links_len = links_len,
        .final_url = final_url ? final_url : "",
        .content_type = content_type ? content_type : "",
        .error = error,
        .output = x->keep_body && x->body_len ? x->body : NULL,
        .output_len = x->keep_body ? x->body_len : 0,
        .exit_code = -1,
        .retry_after_ms = status == 429 || status == 503 ? x->retry_after_ms : 0,
    };
    /* Report before removing the handle: the info strings belong to it. */
    self->base.done (self->base.done_arg, &r);
    if (x->active) {
        curl_multi_remove_handle (self->multi, x->easy);
        x->active = 0;
        self->active--;
    }
    /* An idle slot keeps no body in memory. */
    if (x->capture)
        dt_warc_capture_reset (x->capture, DT_LIMIT_CAPTURE_MAX);
    if (x->page)
        dt_pagelinks_reset (x->page);
    x->next_free = self->free_list;
    self->free_list = x;
}

static void s_report_early (s_fetch_t *self)
{
    while (self->early_head) {
        s_early_t *e = self->early_head;
        self->early_head = e->next;
        if (!self->early_head)
            self->early_tail = NULL;
        self->early_count--;
        dt_handler_result_t r = {.id = e->id,
                                 .attempt = e->attempt,
                                 .outcome = DT_OUTCOME_FAIL,
                                 .final_url = "",
                                 .content_type = "",
                                 .error = e->error,
                                 .exit_code = -1};
        self->base.done (self->base.done_arg, &r);
        free (e);
    }
}

static void s_set_task_ms (dt_handler_t *h, uint32_t ms)
{
    ((s_fetch_t *) h)->task_ms = ms;
}

static long s_timeout (dt_handler_t *h)
{
    s_fetch_t *self = (s_fetch_t *) h;
    if (self->early_count)
        return 0;
    long ms = -1;
    if (curl_multi_timeout (self->multi, &ms) != CURLM_OK)
        return 0;
    return ms;
}

static int s_wait (dt_handler_t *h, int extra_fd, int timeout_ms)
{
    s_fetch_t *self = (s_fetch_t *) h;
    if (self->early_count)
        return 0;
    struct curl_waitfd wfd = {.fd = extra_fd, .events = CURL_WAIT_POLLIN};
    /* curl shortens the wait to its own next timer and treats EINTR as a
     * normal wakeup, so a signal ends the wait at once. */
    CURLMcode mc = curl_multi_poll (self->multi, &wfd, extra_fd >= 0 ? 1 : 0, timeout_ms, NULL);
    if (mc != CURLM_OK) {
        dt_log_error ("FETCH-POLL", "curl_multi_poll: %s", curl_multi_strerror (mc));
        return -1;
    }
    return 0;
}

static int s_perform (dt_handler_t *h)
{
    s_fetch_t *self = (s_fetch_t *) h;
    int still = 0;
    CURLMcode mc = curl_multi_perform (self->multi, &still);
    if (mc != CURLM_OK) {
        dt_log_error ("FETCH-PERFORM", "curl_multi_perform: %s", curl_multi_strerror (mc));
        return -1;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        void *x = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, &x);
        if (x)
            s_finish (self, x, code);
    }
    s_report_early (self);
    return 0;
}

static size_t s_running (dt_handler_t *h)
{
    s_fetch_t *self = (s_fetch_t *) h;
    return self->active + self->early_count;
}

static void s_destroy (dt_handler_t *h)
{
    s_fetch_t *self = (s_fetch_t *) h;
    while (self->all) {
        s_xfer_t *x = self->all;
        self->all = x->next_all;
        if (x->active)
            curl_multi_remove_handle (self->multi, x->easy);
        curl_easy_cleanup (x->easy);
        curl_slist_free_all (x->headers);
        dt_warc_capture_destroy (&x->capture);
        dt_pagelinks_destroy (&x->page);
        free (x->body);
        free (x);
    }
    while (self->early_head) {
        s_early_t *e = self->early_head;
        self->early_head = e->next;
        free (e);
    }
    if (self->multi)
        curl_multi_cleanup (self->multi);
    dt_proxy_destroy (&self->proxy);
    free (self);
}

static const dt_handler_ops_t s_ops = {
    .name = "http",
    .start = s_start,
    .timeout = s_timeout,
    .set_task_ms = s_set_task_ms,
    .wait = s_wait,
    .perform = s_perform,
    .running = s_running,
    .destroy = s_destroy,
};

dt_handler_t *dt_fetch_new (const dt_fetch_options_t *opts, dt_handler_done_fn *done,
                            void *done_arg, char *err, size_t err_size)
{
    s_fetch_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->base = (dt_handler_t){&s_ops, done, done_arg};
    self->opts = *opts;
    self->multi = curl_multi_init ();
    if (!self->multi) {
        snprintf (err, err_size, "curl_multi_init failed");
        free (self);
        return NULL;
    }
    if (opts->deny_private && opts->trusted_proxy) {
        self->proxy = dt_proxy_new (err, err_size);
        if (!self->proxy) {
            s_destroy (&self->base);
            return NULL;
        }
    }
    return &self->base;
}
