/* dt_addr.h - which network destinations a worker may be told to fetch from.
 *
 * With --deny-private a worker refuses to connect to its own machine or
 * network: a submitted URL (or a redirect, or a DNS name that resolves
 * there) must not turn a worker into a scanner of the hosts behind it.
 */
#ifndef DT_ADDR_H
#define DT_ADDR_H

#include <sys/socket.h>

/* True for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
 * link-local (169.254/16, fe80::/10), shared CGNAT (100.64/10),
 * unspecified, "this network" (0/8), multicast, broadcast and reserved
 * (240/4) addresses, and for IPv4 addresses mapped into IPv6 that are any
 * of those. Anything that is not AF_INET or AF_INET6 counts as private. */
int dt_addr_is_private (const struct sockaddr *sa);

#endif
