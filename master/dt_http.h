/* dt_http.h - the master's HTTP side for operators: /metrics, /api/status, /api/history and the
 * dashboard, served by libmicrohttpd's own thread from published snapshots. */
#ifndef DT_HTTP_H
#define DT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dt_limits.h"
#include "dt_metrics.h"

/* The server runs in libmicrohttpd's internal polling thread. It reads only
 * dt_metrics snapshots (dt_metrics.h): it never touches the model or the
 * ZeroMQ socket, so a slow or hostile HTTP client cannot hold the loop back.
 * Every cap (connections, per address, idle time, request bytes) is set
 * explicitly from dt_limits.h. With a token every data endpoint wants
 * `Authorization: Bearer TOKEN` (compared in constant time); the dashboard
 * page itself is a constant file and is served to anyone who can connect.
 * Without a token (loopback only) a request must name a loopback Host, so a
 * web page cannot read the master through DNS rebinding. */
typedef struct dt_http_t dt_http_t;

/* Where to listen: a numeric IPv4 or [IPv6] address and a port. */
typedef struct {
    struct sockaddr_storage addr; /* address and port */
    socklen_t addr_len;           /* bytes of addr used */
} dt_http_addr_t;

/* Parses "HOST:PORT" (HOST an IPv4 literal or a bracketed IPv6 literal, PORT
 * 0..65535, 0: any free port). Returns 0, or -1 with why in `err`. */
int dt_http_parse_addr (const char *text, dt_http_addr_t *addr, char *err, size_t err_size);

/* True when the address is loopback (127.0.0.0/8, ::1, ::ffff:127.x). */
int dt_http_addr_is_loopback (const dt_http_addr_t *addr);

/* Reads a bearer token from `path`: one line of printable ASCII without
 * spaces, 16 to DT_LIMIT_HTTP_TOKEN_MAX bytes (a trailing newline is
 * dropped). The file must not be readable by group or others. Fills `token`
 * (DT_LIMIT_HTTP_TOKEN_MAX + 1 bytes). Returns 0, or -1 with why in `err`. */
int dt_http_read_token (const char *path, char *token, char *err, size_t err_size);

/* True when `given` equals `token`; time independent of where they differ. */
int dt_http_token_equal (const char *given, size_t given_len, const char *token, size_t token_len);

/* Starts serving on `addr`. `metrics` is borrowed and must outlive the
 * server; `token` is copied (NULL or empty: none). Returns NULL with why in
 * `err` ("bind 127.0.0.1:9090: Address already in use"). */
dt_http_t *dt_http_new (const dt_http_addr_t *addr, const char *token, dt_metrics_t *metrics,
                        char *err, size_t err_size);

/* Stops the thread (in-flight responses are cut) and frees everything.
 * NULL-safe; nulls the pointer. */
void dt_http_destroy (dt_http_t **self_p);

/* The port actually bound (port 0 resolved). */
uint16_t dt_http_port (const dt_http_t *self);

#endif
