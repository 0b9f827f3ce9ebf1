/* dt_tcp.c - what the kernel knows about one TCP connection. */
#include "dt_tcp.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

long long dt_tcp_received (int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    memset (&info, 0, sizeof info);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
        return -1;
    return (long long) info.tcpi_bytes_received;
}
