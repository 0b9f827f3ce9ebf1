/* dt_endpoint.c - the one rule for a ZeroMQ endpoint given on a command line. */
#include "dt_endpoint.h"

#include <stdio.h>
#include <string.h>

static int s_fail (char *why, size_t why_size, const char *reason)
{
    snprintf (why, why_size, "%s", reason);
    return -1;
}

int dt_endpoint_check (const char *endpoint, char *why, size_t why_size)
{
    if ((strncmp (endpoint, "ipc://", 6) == 0 && endpoint[6]) ||
        (strncmp (endpoint, "inproc://", 9) == 0 && endpoint[9]))
        return 0;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return s_fail (why, why_size, "not an endpoint");
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host)
        return s_fail (why, why_size, "no host and port");
    if (host[0] == '[' && colon[-1] != ']')
        return s_fail (why, why_size, "an IPv6 address must be in brackets");
    const char *port = colon + 1;
    if (strcmp (port, "*") == 0)
        return 0;
    size_t digits = strspn (port, "0123456789");
    if (digits == 0 || port[digits] != '\0' || digits > 5)
        return s_fail (why, why_size, "the port is not a number");
    long value = 0;
    for (size_t i = 0; i < digits; i++)
        value = value * 10 + (port[i] - '0');
    if (value > 65535)
        return s_fail (why, why_size, "the port is over 65535");
    return 0;
}
