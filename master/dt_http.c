/* dt_http.c - the master's HTTP side: libmicrohttpd in its own thread, serving rendered snapshots.
 */
#include "dt_http.h"
#include "dt_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The dashboard page, generated at build time from master/www/index.html. */
extern const unsigned char dt_www_index_html[];
extern const size_t dt_www_index_html_len;

/* Shortest token accepted: 16 bytes of printable ASCII is the least that
 * resists guessing over the network; `openssl rand -hex 32` gives 64. */
#define DT_HTTP_TOKEN_MIN 16

struct dt_http_t {
    struct MHD_Daemon *daemon;               /* owns the thread and the listening socket */
    dt_metrics_t *metrics;                   /* borrowed: where the snapshots come from */
    char token[DT_LIMIT_HTTP_TOKEN_MAX + 1]; /* bearer token, NUL-terminated; empty: none */
    size_t token_len;                        /* bytes in token */
    uint16_t port;                           /* bound port */
};

/* ---- Addresses and tokens --------------------------------------------------- */

int dt_http_parse_addr (const char *text, dt_http_addr_t *addr, char *err, size_t err_size)
{
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || !colon[1]) {
        snprintf (err, err_size, "expected HOST:PORT (127.0.0.1:9090, [::1]:9090)");
        return -1;
    }
    char host[64];
    size_t len = (size_t) (colon - text);
    const char *h = text;
    int v6 = 0;
    if (h[0] == '[') {
        if (len < 3 || h[len - 1] != ']') {
            snprintf (err, err_size, "an IPv6 address goes in brackets: [::1]:9090");
            return -1;
        }
        h++;
        len -= 2;
        v6 = 1;
    }
    if (len >= sizeof host) {
        snprintf (err, err_size, "the address is too long");
        return -1;
    }
    memcpy (host, h, len);
    host[len] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul (colon + 1, &end, 10);
    if (errno || *end || colon[1] < '0' || colon[1] > '9' || port > 65535) {
        snprintf (err, err_size, "'%s' is not a port in 0..65535", colon + 1);
        return -1;
    }
    memset (addr, 0, sizeof *addr);
    if (v6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *) &addr->addr;
        if (inet_pton (AF_INET6, host, &sa->sin6_addr) != 1) {
            snprintf (err, err_size, "'%s' is not an IPv6 address", host);
            return -1;
        }
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons ((uint16_t) port);
        addr->addr_len = sizeof *sa;
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *) &addr->addr;
        if (inet_pton (AF_INET, host, &sa->sin_addr) != 1) {
            snprintf (err, err_size, "'%s' is not an IPv4 address (names are not resolved)", host);
            return -1;
        }
        sa->sin_family = AF_INET;
        sa->sin_port = htons ((uint16_t) port);
        addr->addr_len = sizeof *sa;
    }
    return 0;
}

int dt_http_addr_is_loopback (const dt_http_addr_t *addr)
{
    if (addr->addr.ss_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *) &addr->addr;
        return (ntohl (sa->sin_addr.s_addr) >> 24) == 127;
    }
    if (addr->addr.ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) &addr->addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK (a) || (IN6_IS_ADDR_V4MAPPED (a) && a->s6_addr[12] == 127);
    }
    return 0;
}

int dt_http_read_token (const char *path, char *token, char *err, size_t err_size)
{
    char buf[DT_LIMIT_HTTP_TOKEN_MAX + 3];
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s: not a regular file", path);
        goto fail;
    }
    if (st.st_mode & 077) {
        snprintf (err, err_size,
                  "%s has mode 0%03o: a token file must not be readable by group or others; "
                  "run chmod 600 %s",
                  path, (unsigned) (st.st_mode & 0777), path);
        goto fail;
    }
    ssize_t n = read (fd, buf, sizeof buf);
    if (n < 0) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        goto fail;
    }
    close (fd);
    fd = -1;
    size_t len = (size_t) n;
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len < DT_HTTP_TOKEN_MIN || len > DT_LIMIT_HTTP_TOKEN_MAX) {
        snprintf (err, err_size, "%s: the token must be one line of %d to %d characters", path,
                  DT_HTTP_TOKEN_MIN, DT_LIMIT_HTTP_TOKEN_MAX);
        goto fail;
    }
    for (size_t i = 0; i < len; i++) {
        if (buf[i] <= ' ' || buf[i] > '~') {
            snprintf (err, err_size, "%s: the token must be printable ASCII without spaces", path);
            goto fail;
        }
    }
    memcpy (token, buf, len);
    token[len] = '\0';
    return 0;
fail:
    if (fd >= 0)
        close (fd);
    return -1;
}

int dt_http_token_equal (const char *given, size_t given_len, const char *token, size_t token_len)
{
    /* Walks the whole token whatever `given` holds, so the time says
     * nothing about the first byte that differs. */
    unsigned char diff = given_len != token_len;
    for (size_t i = 0; i < token_len; i++)
        diff |= (unsigned char) token[i] ^ (unsigned char) (i < given_len ? given[i] : 0);
    return diff == 0;
}

/* ---- Requests ---------------------------------------------------------------- */

typedef char *(*s_render_fn) (const dt_metrics_snap_t *snap, size_t *len);

/* One endpoint: a rendering of the current snapshot, or the page (NULL). */
typedef struct {
    const char *path;
    const char *content_type;
    s_render_fn render;
} s_route_t;

static const s_route_t s_routes[] = {
    {"/", "text/html; charset=utf-8", NULL},
    {"/metrics", "text/plain; version=0.0.4; charset=utf-8", dt_metrics_prometheus},
    {"/api/status", "application/json", dt_metrics_status_json},
    {"/api/history", "application/json", dt_metrics_history_json},
};

/* Queues `response` (consumed) with the headers every answer carries. */
static enum MHD_Result s_queue (struct MHD_Connection *conn, unsigned status,
                                struct MHD_Response *response, const char *content_type)
{
    if (!response)
        return MHD_NO; /* out of memory: MHD closes the connection */
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response (conn, status, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result s_text (struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (strlen (text), (void *) text, MHD_RESPMEM_PERSISTENT);
    if (response && status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"dtask\"");
    if (response && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    return s_queue (conn, status, response, "text/plain; charset=utf-8");
}

/* True when the Host header names this host by a loopback address or as
 * localhost (or is absent: no browser omits it). */
static int s_host_is_local (struct MHD_Connection *conn)
{
    const char *host = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return 1;
    size_t len = strlen (host);
    const char *colon = strrchr (host, ':');
    if (colon && !strchr (colon, ']'))
        len = (size_t) (colon - host);
    if ((len == 9 && strncasecmp (host, "localhost", 9) == 0) ||
        (len == 5 && strncmp (host, "[::1]", 5) == 0))
        return 1;
    char ip[16];
    struct in_addr a;
    if (len == 0 || len >= sizeof ip)
        return 0;
    memcpy (ip, host, len);
    ip[len] = '\0';
    return inet_pton (AF_INET, ip, &a) == 1 && (ntohl (a.s_addr) >> 24) == 127;
}

/* True when the request may read data: the bearer token when one is set,
 * else a loopback Host. */
static int s_allowed (const dt_http_t *self, struct MHD_Connection *conn, unsigned *status)
{
    if (self->token_len == 0) {
        *status = MHD_HTTP_FORBIDDEN;
        return s_host_is_local (conn);
    }
    *status = MHD_HTTP_UNAUTHORIZED;
    const char *auth =
        MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncasecmp (auth, "Bearer ", 7) != 0)
        return 0;
    const char *given = auth + 7;
    while (*given == ' ')
        given++;
    return dt_http_token_equal (given, strlen (given), self->token, self->token_len);
}

static enum MHD_Result s_handle (void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    dt_http_t *self = cls;
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_text (conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    const s_route_t *route = NULL;
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes[0]; i++)
        if (strcmp (url, s_routes[i].path) == 0)
            route = &s_routes[i];
    if (!route)
        return s_text (conn, MHD_HTTP_NOT_FOUND, "not found: try /, /metrics, /api/status\n");
    if (!route->render) {
        /* A constant page with no data in it: it asks for the token itself. */
        struct MHD_Response *page = MHD_create_response_from_buffer (
            dt_www_index_html_len, (void *) dt_www_index_html, MHD_RESPMEM_PERSISTENT);
        if (page) {
            MHD_add_response_header (page, "Content-Security-Policy",
                                     "default-src 'none'; script-src 'unsafe-inline'; "
                                     "style-src 'unsafe-inline'; connect-src 'self'; "
                                     "img-src 'self' data:; frame-ancestors 'none'");
            MHD_add_response_header (page, "Referrer-Policy", "no-referrer");
        }
        return s_queue (conn, MHD_HTTP_OK, page, route->content_type);
    }
    unsigned refused;
    if (!s_allowed (self, conn, &refused)) {
        dt_log_debug ("HTTP-REFUSED", "%s %s: %s", method, route->path,
                      refused == MHD_HTTP_UNAUTHORIZED ? "no or wrong bearer token"
                                                       : "Host is not a loopback address");
        return s_text (conn, refused,
                       refused == MHD_HTTP_UNAUTHORIZED
                           ? "unauthorized: send Authorization: Bearer TOKEN\n"
                           : "forbidden: ask for this host by a loopback address\n");
    }
    const dt_metrics_snap_t *snap = dt_metrics_acquire (self->metrics);
    if (!snap)
        return s_text (conn, MHD_HTTP_SERVICE_UNAVAILABLE, "starting: no data yet\n");
    size_t len = 0;
    char *text = route->render (snap, &len);
    dt_metrics_release (self->metrics, &snap);
    if (!text)
        return s_text (conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    struct MHD_Response *response =
        MHD_create_response_from_buffer (len, text, MHD_RESPMEM_MUST_FREE);
    if (!response)
        free (text);
    return s_queue (conn, MHD_HTTP_OK, response, route->content_type);
}

/* MHD's own complaints (a failed accept, a request over the memory limit)
 * go to our log, one line each. */
static void s_mhd_log (void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf (line, sizeof line, fmt, ap);
    size_t len = strlen (line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    dt_log_info ("HTTP-MHD", "%s", line);
}

/* ---- Lifecycle ----------------------------------------------------------------- */

dt_http_t *dt_http_new (const dt_http_addr_t *addr, const char *token, dt_metrics_t *metrics,
                        char *err, size_t err_size)
{
    dt_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->metrics = metrics;
    if (token) {
        self->token_len = strnlen (token, DT_LIMIT_HTTP_TOKEN_MAX);
        memcpy (self->token, token, self->token_len);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (addr->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    uint16_t port = ntohs (((const struct sockaddr_in *) &addr->addr)->sin_port);
    /* sin_port and sin6_port sit at the same offset. */
    /* clang-format off */
    self->daemon = MHD_start_daemon (
        flags, port, NULL, NULL, s_handle, self,
        /* First, so that MHD's complaints about the options below reach it. */
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) &addr->addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) DT_LIMIT_HTTP_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) DT_LIMIT_HTTP_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) DT_LIMIT_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) DT_LIMIT_HTTP_REQUEST_BYTES,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) DT_LIMIT_HTTP_CONNECTIONS,
        MHD_OPTION_END);
    /* clang-format on */
    char shown[INET6_ADDRSTRLEN] = "?";
    if (addr->addr.ss_family == AF_INET6)
        inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) &addr->addr)->sin6_addr, shown,
                   sizeof shown);
    else
        inet_ntop (AF_INET, &((const struct sockaddr_in *) &addr->addr)->sin_addr, shown,
                   sizeof shown);
    if (!self->daemon) {
        snprintf (err, err_size, "http: cannot listen on %s port %u (in use, or not this host's)",
                  shown, (unsigned) port);
        free (self);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : port;
    dt_log_info ("HTTP-START", "serving /metrics, /api/status and the dashboard on %s%s%s:%u (%s)",
                 addr->addr.ss_family == AF_INET6 ? "[" : "", shown,
                 addr->addr.ss_family == AF_INET6 ? "]" : "", (unsigned) self->port,
                 self->token_len ? "bearer token required" : "loopback, no token");
    return self;
}

void dt_http_destroy (dt_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dt_http_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    memset (self->token, 0, sizeof self->token);
    free (self);
    *self_p = NULL;
}

uint16_t dt_http_port (const dt_http_t *self)
{
    return self->port;
}
