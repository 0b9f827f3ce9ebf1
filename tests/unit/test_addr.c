/* test_addr.c - the --deny-private address policy. */
#include "dt_addr.h"
#include "dt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static int s_private (const char *text)
{
    struct sockaddr_storage ss = {0};
    if (strchr (text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
        in6->sin6_family = AF_INET6;
        if (inet_pton (AF_INET6, text, &in6->sin6_addr) != 1)
            return -1;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *) &ss;
        in->sin_family = AF_INET;
        if (inet_pton (AF_INET, text, &in->sin_addr) != 1)
            return -1;
    }
    return dt_addr_is_private ((struct sockaddr *) &ss);
}

/* Each address with the verdict --deny-private must give, and the form it
 * is written in. */
static const struct {
    const char *addr;
    int private;
    const char *form;
} s_cases[] = {
    /* IPv4 */
    {"127.0.0.1", 1, "loopback"},
    {"127.255.0.9", 1, "loopback"},
    {"10.1.2.3", 1, "private 10/8"},
    {"172.16.0.1", 1, "private 172.16/12"},
    {"172.31.255.255", 1, "private 172.16/12"},
    {"192.168.1.1", 1, "private 192.168/16"},
    {"169.254.169.254", 1, "link-local, cloud metadata"},
    {"100.64.0.1", 1, "CGNAT"},
    {"0.0.0.0", 1, "this network"},
    {"224.0.0.1", 1, "multicast"},
    {"255.255.255.255", 1, "broadcast"},
    {"198.18.0.5", 1, "benchmarking"},
    {"192.0.2.1", 1, "documentation"},
    {"198.51.100.7", 1, "documentation"},
    {"203.0.113.9", 1, "documentation"},
    {"93.184.216.34", 0, "public"},
    {"8.8.8.8", 0, "public"},
    {"172.32.0.1", 0, "public, next to 172.16/12"},
    {"172.15.255.255", 0, "public, next to 172.16/12"},
    {"100.128.0.1", 0, "public, next to CGNAT"},
    {"192.169.0.1", 0, "public, next to 192.168/16"},
    /* IPv6 special ranges */
    {"::1", 1, "loopback"},
    {"::", 1, "unspecified"},
    {"fe80::1", 1, "link-local"},
    {"febf::1", 1, "link-local, top of fe80::/10"},
    {"fec0::1", 1, "site-local"},
    {"fd00::1", 1, "unique local"},
    {"fc12::3", 1, "unique local"},
    {"ff02::1", 1, "multicast"},
    {"2001:db8::1", 1, "documentation"},
    {"100::1", 1, "discard"},
    {"100:0:0:1::1", 0, "public, next to discard 100::/64"},
    {"2001:2::1", 1, "benchmarking 2001:2::/48, as 198.18/15 is"},
    {"2001:2:0:ffff::1", 1, "benchmarking, top of 2001:2::/48"},
    {"2001:2:1::1", 0, "public, next to benchmarking 2001:2::/48"},
    {"3fff::1", 1, "documentation 3fff::/20"},
    {"3fff:fff::1", 1, "documentation, top of 3fff::/20"},
    {"3fff:1000::1", 0, "public, next to documentation 3fff::/20"},
    {"5f00::1", 1, "SRv6 SIDs 5f00::/16"},
    {"2606:4700::1111", 0, "public"},
    {"2a00:1450::1", 0, "public"},
    /* IPv4-mapped ::ffff:0:0/96 */
    {"::ffff:127.0.0.1", 1, "IPv4-mapped loopback"},
    {"::ffff:10.0.0.1", 1, "IPv4-mapped private"},
    {"::ffff:169.254.169.254", 1, "IPv4-mapped metadata"},
    {"::ffff:8.8.8.8", 0, "IPv4-mapped public"},
    /* IPv4-compatible ::/96 */
    {"::127.0.0.1", 1, "IPv4-compatible loopback"},
    {"::10.0.0.1", 1, "IPv4-compatible private"},
    {"::8.8.8.8", 0, "IPv4-compatible public"},
    /* IPv4-translated ::ffff:0:0:0/96 */
    {"::ffff:0:127.0.0.1", 1, "IPv4-translated loopback"},
    {"::ffff:0:192.168.0.1", 1, "IPv4-translated private"},
    {"::ffff:0:8.8.8.8", 0, "IPv4-translated public"},
    /* NAT64 well-known 64:ff9b::/96 */
    {"64:ff9b::7f00:1", 1, "NAT64 loopback"},
    {"64:ff9b::169.254.169.254", 1, "NAT64 metadata"},
    {"64:ff9b::8.8.8.8", 0, "NAT64 public"},
    /* NAT64 local use 64:ff9b:1::/48: refused whole */
    {"64:ff9b:1::8.8.8.8", 1, "NAT64 local use"},
    {"64:ff9b:1:ffff::1", 1, "NAT64 local use"},
    /* 6to4 2002::/16 */
    {"2002:7f00:1::1", 1, "6to4 loopback"},
    {"2002:a00:1::", 1, "6to4 private"},
    {"2002:808:808::1", 0, "6to4 public"},
    /* Teredo 2001::/32: client IPv4 inverted in the last 32 bits */
    {"2001:0:4136:e378:8000:63bf:80ff:fffe", 1, "Teredo, client 127.0.0.1"},
    {"2001:0:4136:e378:8000:63bf:f5ff:fffe", 1, "Teredo, client 10.0.0.1"},
    {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", 0, "Teredo, client 8.8.8.8"},
};
#define S_CASES (sizeof s_cases / sizeof s_cases[0])

static void test_each_form_is_judged_by_its_table_row (void)
{
    /* Every row is tried, so one run lists every wrong verdict. */
    int wrong = 0;
    for (size_t i = 0; i < S_CASES; i++) {
        int got = s_private (s_cases[i].addr);
        if (got != s_cases[i].private) {
            fprintf (stderr, "    %s (%s): got %d, want %d\n", s_cases[i].addr, s_cases[i].form,
                     got, s_cases[i].private);
            wrong++;
        }
    }
    DT_CHECK_EQ (wrong, 0);
}

static void test_other_families_are_refused (void)
{
    struct sockaddr sa = {.sa_family = AF_UNIX};
    DT_CHECK_EQ (dt_addr_is_private (&sa), 1);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"each address form is judged by its table row", test_each_form_is_judged_by_its_table_row},
        {"other address families are refused", test_other_families_are_refused},
        {0},
    };
    return dt_test_run (tests);
}
