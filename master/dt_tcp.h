/* dt_tcp.h - what the kernel knows about one TCP connection (apart, because linux/tcp.h and the
 * netinet/tcp.h that czmq includes cannot meet in one file). */
#ifndef DT_TCP_H
#define DT_TCP_H

/* Bytes the peer of TCP socket `fd` has sent us (TCP_INFO), or -1 when it
 * is not a TCP socket any more. */
long long dt_tcp_received (int fd);

#endif
