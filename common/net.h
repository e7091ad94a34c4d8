/* net.h: listening sockets on numeric addresses, for the roles' public ports.
 *
 *   char err[160];
 *   int fd = net_listen("127.0.0.1", 8600, SOCK_DGRAM, err, sizeof err);
 *   if (fd < 0) fatalx("dns: %s", err);   // "bind udp 127.0.0.1:8600: Address already in use"
 */
#ifndef COMMON_NET_H
#define COMMON_NET_H

#include <stddef.h>

/* Opens a non-blocking, close-on-exec socket of socktype (SOCK_STREAM listens, with
 * SO_REUSEADDR) bound to addr:port; addr is a numeric IPv4 or IPv6 address. Returns the fd,
 * or -1 with a message naming protocol, address, port and cause in err. */
int net_listen(const char *addr, int port, int socktype, char *err, size_t err_len);

#endif
