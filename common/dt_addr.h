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
 * link-local (169.254/16, fe80::/10), site-local (fec0::/10), shared CGNAT
 * (100.64/10), unspecified, "this network" (0/8), documentation (192.0.2/24,
 * 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20), discard
 * (100::/64), benchmarking (198.18/15, 2001:2::/48), SRv6 segment ids
 * (5f00::/16), multicast, broadcast and reserved (240/4)
 * addresses. An IPv6 address that carries an IPv4 one (IPv4-compatible,
 * -mapped, -translated, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo
 * 2001::/32) is judged by that IPv4 address; NAT64 local use
 * (64:ff9b:1::/48) is private whole. Anything that is not AF_INET or
 * AF_INET6 counts as private. */
int dt_addr_is_private (const struct sockaddr *sa);

#endif
