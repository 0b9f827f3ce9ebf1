/* dt_addr.c - which network destinations a worker may be told to fetch from. */
#include "dt_addr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

/* An IPv4 address in host order, against a prefix. */
static int s_in (uint32_t a, uint32_t net, int bits)
{
    uint32_t mask = bits ? ~0u << (32 - bits) : 0;
    return (a & mask) == net;
}

static int s_v4_private (uint32_t a)
{
    return s_in (a, 0x00000000, 8)     /* 0/8: this network */
           || s_in (a, 0x0a000000, 8)  /* 10/8 */
           || s_in (a, 0x64400000, 10) /* 100.64/10: CGNAT */
           || s_in (a, 0x7f000000, 8)  /* 127/8: loopback */
           || s_in (a, 0xa9fe0000, 16) /* 169.254/16: link-local, cloud metadata */
           || s_in (a, 0xac100000, 12) /* 172.16/12 */
           || s_in (a, 0xc0000000, 24) /* 192.0.0/24: IETF protocol assignments */
           || s_in (a, 0xc0a80000, 16) /* 192.168/16 */
           || s_in (a, 0xc6120000, 15) /* 198.18/15: benchmarking */
           || s_in (a, 0xe0000000, 4)  /* 224/4: multicast */
           || s_in (a, 0xf0000000, 4); /* 240/4: reserved, broadcast */
}

int dt_addr_is_private (const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
        return s_v4_private (ntohl (in->sin_addr.s_addr));
    }
    if (sa->sa_family != AF_INET6)
        return 1;
    const uint8_t *b = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp (b, mapped, 12) == 0)
        return s_v4_private ((uint32_t) b[12] << 24 | (uint32_t) b[13] << 16 |
                             (uint32_t) b[14] << 8 | b[15]);
    static const uint8_t zero[15] = {0};
    if (memcmp (b, zero, 15) == 0)
        return 1;                                     /* :: and ::1 */
    return (b[0] & 0xfe) == 0xfc                      /* fc00::/7: unique local */
           || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10: link-local */
           || b[0] == 0xff;                           /* ff00::/8: multicast */
}
