/* join_addr.c: see join_addr.h. */
#include "join_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int join_resolve(const char *text, int default_port, struct swim_addr *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof *out);
	char host[256];
	const char *port_text = NULL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] && close[1] != ':') || (size_t)(close - text - 1) >= sizeof host) {
			snprintf(err, err_len, "malformed address");
			return -1;
		}
		snprintf(host, sizeof host, "%.*s", (int)(close - text - 1), text + 1);
		port_text = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;  /* a bare IPv6 literal */
		size_t hlen = colon ? (size_t)(colon - text) : strlen(text);
		if (hlen == 0 || hlen >= sizeof host) {
			snprintf(err, err_len, "malformed address");
			return -1;
		}
		snprintf(host, sizeof host, "%.*s", (int)hlen, text);
		port_text = colon ? colon + 1 : NULL;
	}
	long port = default_port;
	if (port_text) {
		char *end;
		port = strtol(port_text, &end, 10);
		if (!*port_text || *end || port <= 0 || port > 65535) {
			snprintf(err, err_len, "invalid port");
			return -1;
		}
	}
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_len, "lookup %s: %s", host, gai_strerror(rc));
		return -1;
	}
	const void *in = res->ai_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
						     : (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
	inet_ntop(res->ai_family, in, out->host, sizeof out->host);
	freeaddrinfo(res);
	out->port = (uint16_t)port;
	return 0;
}
