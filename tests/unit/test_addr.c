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

static void test_internal_addresses_are_private (void)
{
    const char *internal[] = {"127.0.0.1",
                              "127.255.0.9",
                              "10.1.2.3",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "224.0.0.1",
                              "255.255.255.255",
                              "198.18.0.5",
                              "::1",
                              "::",
                              "fe80::1",
                              "fd00::1",
                              "fc12::3",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1"};
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        if (s_private (internal[i]) != 1)
            fprintf (stderr, "    %s\n", internal[i]);
        DT_CHECK_EQ (s_private (internal[i]), 1);
    }
}

static void test_public_addresses_are_not (void)
{
    const char *public[] = {"93.184.216.34",  "8.8.8.8",         "172.32.0.1",
                            "172.15.255.255", "100.128.0.1",     "192.169.0.1",
                            "2001:db8::1",    "2606:4700::1111", "::ffff:8.8.8.8"};
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++) {
        if (s_private (public[i]) != 0)
            fprintf (stderr, "    %s\n", public[i]);
        DT_CHECK_EQ (s_private (public[i]), 0);
    }
}

static void test_other_families_are_refused (void)
{
    struct sockaddr sa = {.sa_family = AF_UNIX};
    DT_CHECK_EQ (dt_addr_is_private (&sa), 1);
}

int main (void)
{
    static dt_test_t tests[] = {
        {"internal addresses are private", test_internal_addresses_are_private},
        {"public addresses are not", test_public_addresses_are_not},
        {"other address families are refused", test_other_families_are_refused},
        {0},
    };
    return dt_test_run (tests);
}
