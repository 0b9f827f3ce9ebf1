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
           || s_in (a, 0xc0000200, 24) /* 192.0.2/24: documentation */
           || s_in (a, 0xc0a80000, 16) /* 192.168/16 */
           || s_in (a, 0xc6120000, 15) /* 198.18/15: benchmarking */
           || s_in (a, 0xc6336400, 24) /* 198.51.100/24: documentation */
           || s_in (a, 0xcb007100, 24) /* 203.0.113/24: documentation */
           || s_in (a, 0xe0000000, 4)  /* 224/4: multicast */
           || s_in (a, 0xf0000000, 4); /* 240/4: reserved, broadcast */
}

/* How an IPv6 range is judged: refused whole, or by the IPv4 address it
 * carries (4 bytes at v4_at, bit-inverted for Teredo). */
#define S_V6_DENY (-1)

/* IPv6 ranges, first match wins. Addresses in no range are public. Every
 * form that carries an IPv4 address is judged by that address: a kernel,
 * a NAT64 gateway or a 6to4/Teredo relay may deliver it to the IPv4 host,
 * so [::ffff:127.0.0.1] must be as private as 127.0.0.1. */
static const struct {
    uint8_t prefix[16]; /* network, bits beyond `bits` are zero */
    int bits;           /* prefix length */
    int v4_at;          /* offset of the embedded IPv4, or S_V6_DENY */
    int inverted;       /* the embedded IPv4 is stored bit-inverted */
} s_v6_ranges[] = {
    /* ::/128 unspecified and ::1/128 loopback */
    {{0}, 128, S_V6_DENY, 0},
    {{[15] = 1}, 128, S_V6_DENY, 0},
    /* ::ffff:0:0/96 IPv4-mapped (RFC 4291) */
    {{[10] = 0xff, [11] = 0xff}, 96, 12, 0},
    /* ::ffff:0:0:0/96 IPv4-translated (RFC 2765) */
    {{[8] = 0xff, [9] = 0xff}, 96, 12, 0},
    /* ::/96 IPv4-compatible, deprecated (RFC 4291) */
    {{0}, 96, 12, 0},
    /* 64:ff9b::/96 NAT64 well-known prefix (RFC 6052) */
    {{0x00, 0x64, 0xff, 0x9b}, 96, 12, 0},
    /* 64:ff9b:1::/48 NAT64 local use (RFC 8215): where the IPv4 sits
     * depends on the operator's prefix length, which a worker cannot
     * know; the range is never global, so it is refused whole. */
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, S_V6_DENY, 0},
    /* 100::/64 discard-only (RFC 6666) */
    {{0x01, 0x00}, 64, S_V6_DENY, 0},
    /* 2001:2::/48 benchmarking (RFC 5180), as 198.18/15 is */
    {{0x20, 0x01, 0x00, 0x02}, 48, S_V6_DENY, 0},
    /* 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637) documentation;
     * before Teredo's 2001::/32 only for readability, none overlap */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, S_V6_DENY, 0},
    {{0x3f, 0xff}, 20, S_V6_DENY, 0},
    /* 5f00::/16 SRv6 segment identifiers (RFC 9602): never global */
    {{0x5f, 0x00}, 16, S_V6_DENY, 0},
    /* 2001::/32 Teredo (RFC 4380): the client's IPv4 is the last 32 bits,
     * inverted */
    {{0x20, 0x01, 0x00, 0x00}, 32, 12, 1},
    /* 2002::/16 6to4 (RFC 3056): the IPv4 follows the prefix */
    {{0x20, 0x02}, 16, 2, 0},
    /* fc00::/7 unique local */
    {{0xfc}, 7, S_V6_DENY, 0},
    /* fe80::/10 link-local */
    {{0xfe, 0x80}, 10, S_V6_DENY, 0},
    /* fec0::/10 site-local, deprecated but still routed by some stacks */
    {{0xfe, 0xc0}, 10, S_V6_DENY, 0},
    /* ff00::/8 multicast */
    {{0xff}, 8, S_V6_DENY, 0},
};
#define S_V6_RANGES (sizeof s_v6_ranges / sizeof s_v6_ranges[0])

static int s_v6_in (const uint8_t *a, const uint8_t *prefix, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp (a, prefix, (size_t) whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t) (0xff << (8 - rest));
    return (a[whole] & mask) == prefix[whole];
}

static int s_v6_private (const uint8_t *a)
{
    for (size_t i = 0; i < S_V6_RANGES; i++) {
        if (!s_v6_in (a, s_v6_ranges[i].prefix, s_v6_ranges[i].bits))
            continue;
        int at = s_v6_ranges[i].v4_at;
        if (at == S_V6_DENY)
            return 1;
        uint32_t v4 = (uint32_t) a[at] << 24 | (uint32_t) a[at + 1] << 16 |
                      (uint32_t) a[at + 2] << 8 | a[at + 3];
        return s_v4_private (s_v6_ranges[i].inverted ? ~v4 : v4);
    }
    return 0;
}

int dt_addr_is_private (const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
        return s_v4_private (ntohl (in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6)
        return s_v6_private (((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr);
    return 1;
}
