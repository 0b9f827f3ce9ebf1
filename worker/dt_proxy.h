/* dt_proxy.h - the proxies libcurl takes from the environment, for --deny-private.
 *
 * A worker behind a proxy connects only to the proxy: --deny-private then
 * checks the proxy's address, never the destination's, and a public proxy
 * would fetch http://127.0.0.1/ on its own side. So the worker refuses to
 * start with both unless told the proxy is trusted to refuse private
 * destinations itself (--trusted-proxy); then connections to the proxy's
 * own addresses are allowed and every other connection (NO_PROXY hosts, a
 * scheme without a proxy) is still checked.
 */
#ifndef DT_PROXY_H
#define DT_PROXY_H

#include "dt_limits.h"

#include <stddef.h>
#include <sys/socket.h>

typedef struct dt_proxy_t dt_proxy_t;

/* The first proxy variable libcurl would use for http or https that is set
 * and not empty (http_proxy, https_proxy, HTTPS_PROXY, all_proxy,
 * ALL_PROXY), or NULL; NULL too when no_proxy (or NO_PROXY) is "*", which
 * turns every proxy off. Its value is getenv (name). */
const char *dt_proxy_env_name (void);

/* Resolves the host of every proxy variable set. Returns NULL with a
 * reason in `err` when one cannot be parsed or resolved; the caller owns
 * the result. With no proxy set it returns an empty set. */
dt_proxy_t *dt_proxy_new (char *err, size_t err_size);

/* True when `sa` is the address and port of one of the proxies. */
int dt_proxy_is (const dt_proxy_t *self, const struct sockaddr *sa);

void dt_proxy_destroy (dt_proxy_t **self_p);

#endif
