/* net.c: binding the public ports. */
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_listen(const char *addr, int port, int socktype, char *err, size_t err_len)
{
	const char *proto = socktype == SOCK_DGRAM ? "udp" : "tcp";
	char port_s[16];
	snprintf(port_s, sizeof port_s, "%d", port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *ai;
	int rc = getaddrinfo(addr, port_s, &hints, &ai);
	if (rc != 0) {
		snprintf(err, err_len, "bind %s %s:%d: %s", proto, addr, port, gai_strerror(rc));
		return -1;
	}
	const char *step = "socket";
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		int one = 1;
		if (socktype == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		step = "bind";
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			step = "listen";
			if (socktype != SOCK_STREAM || listen(fd, 512) == 0) {
				freeaddrinfo(ai);
				return fd;
			}
		}
	}
	int saved = errno;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	snprintf(err, err_len, "%s %s %s:%d: %s", step, proto, addr, port, strerror(saved));
	return -1;
}
