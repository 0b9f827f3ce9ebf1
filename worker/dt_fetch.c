/* dt_fetch.c - the http handler: fetches URLs with libcurl multi; bodies are counted, not kept. */
#include "dt_fetch.h"
#include "dt_addr.h"
#include "dt_limits.h"
#include "dt_log.h"
#include "dt_msg.h"
#include "dt_proxy.h"
#include "dt_url.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    uint64_t bytes;               /* body bytes counted so far */
    int too_big;                  /* the write callback refused the body */
    int denied;                   /* --deny-private refused the address */
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
}

/* Counts body bytes; refusing them (returning less than given) makes curl
 * end the transfer with CURLE_WRITE_ERROR. */
static size_t s_on_body (char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_xfer_t *x = arg;
    size_t n = size * nmemb;
    if (n > x->owner->opts.max_bytes - x->bytes) {
        x->too_big = 1;
        return 0;
    }
    x->bytes += n;
    return n;
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
    rc |= curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 1L);
    rc |= curl_easy_setopt (e, CURLOPT_MAXREDIRS, (long) DT_LIMIT_REDIRECTS_MAX);
    rc |= curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long) self->opts.timeout_ms);
    rc |= curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, (long) self->opts.connect_timeout_ms);
    /* A Content-Length over the cap fails before the body is read; a body
     * without one is cut by s_on_body. 0 would mean "no limit" to curl. */
    if (self->opts.max_bytes > 0)
        rc |= curl_easy_setopt (e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) self->opts.max_bytes);
    rc |= curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_on_body);
    rc |= curl_easy_setopt (e, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt (e, CURLOPT_PRIVATE, x);
    rc |= curl_easy_setopt (e, CURLOPT_ERRORBUFFER, x->errbuf);
    /* One thread that also serves ZeroMQ: no signals for DNS timeouts. */
    rc |= curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt (e, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt (e, CURLOPT_USERAGENT, "dtask-worker/" DTASK_VERSION);
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

static int s_start (dt_handler_t *h, uint64_t id, uint32_t attempt, const char *url)
{
    s_fetch_t *self = (s_fetch_t *) h;
    /* The master checked the URL already; checking again keeps a worker
     * safe from a master that did not (or a different version of the rule). */
    char why[96];
    if (dt_url_check (url, strlen (url), why, sizeof why) != 0) {
        char error[128];
        snprintf (error, sizeof error, "bad url: %s", why);
        return s_start_early (self, id, attempt, error);
    }
    s_xfer_t *x = s_xfer_get (self);
    if (!x)
        return -1;
    x->id = id;
    x->attempt = attempt;
    x->bytes = 0;
    x->too_big = 0;
    x->denied = 0;
    x->errbuf[0] = '\0';
    if (curl_easy_setopt (x->easy, CURLOPT_URL, url) != CURLE_OK ||
        curl_multi_add_handle (self->multi, x->easy) != CURLM_OK) {
        x->next_free = self->free_list;
        self->free_list = x;
        return -1;
    }
    x->active = 1;
    self->active++;
    return 0;
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
    uint8_t outcome;
    if (x->denied) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (error, sizeof error, "destination address is not allowed (--deny-private)");
    } else if (x->too_big || code == CURLE_FILESIZE_EXCEEDED) {
        outcome = DT_OUTCOME_FAIL;
        snprintf (error, sizeof error, "body over %" PRIu64 " bytes", self->opts.max_bytes);
    } else if (code != CURLE_OK) {
        outcome = s_is_permanent (code) ? DT_OUTCOME_FAIL : DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror (code));
    } else if (status >= 500 || status == 429) {
        outcome = DT_OUTCOME_RETRY;
        snprintf (error, sizeof error, "HTTP %ld", status);
    } else {
        outcome = DT_OUTCOME_DONE;
    }
    int64_t ms = total_us / 1000;
    dt_handler_result_t r = {
        .id = x->id,
        .attempt = x->attempt,
        .outcome = outcome,
        .http_status = status > 0 && status <= UINT16_MAX ? (uint16_t) status : 0,
        .bytes = x->bytes,
        .elapsed_ms = ms < 0            ? 0
                      : ms > UINT32_MAX ? UINT32_MAX
                                        : (uint32_t) ms,
        .final_url = final_url ? final_url : "",
        .content_type = content_type ? content_type : "",
        .error = error,
    };
    /* Report before removing the handle: the info strings belong to it. */
    self->base.done (self->base.done_arg, &r);
    curl_multi_remove_handle (self->multi, x->easy);
    x->active = 0;
    self->active--;
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
                                 .error = e->error};
        self->base.done (self->base.done_arg, &r);
        free (e);
    }
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
