/* http_client.c: one request per connection, response read to EOF. */
#include "http_client.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RESPONSE_MAX_BYTES (64u << 20)

int api_init(struct api *api, const char *addr)
{
	memset(api, 0, sizeof *api);
	if (!addr || !*addr)
		addr = getenv("CONSUL_HTTP_ADDR");
	if (!addr || !*addr)
		addr = "127.0.0.1:8500";
	if (strncmp(addr, "http://", 7) == 0)
		addr += 7;
	else if (strncmp(addr, "https://", 8) == 0) {
		snprintf(api->error, sizeof api->error, "HTTPS is not supported yet: %s", addr);
		return -1;
	}
	const char *colon = strrchr(addr, ':');
	size_t host_len = colon ? (size_t)(colon - addr) : strlen(addr);
	const char *port = colon ? colon + 1 : "8500";
	if (host_len == 0 || host_len >= sizeof api->host || strlen(port) >= sizeof api->port || !*port) {
		snprintf(api->error, sizeof api->error, "invalid HTTP address: %s", addr);
		return -1;
	}
	memcpy(api->host, addr, host_len);
	api->host[host_len] = '\0';
	strcpy(api->port, port);
	return 0;
}

int api_set_options(struct api *api, const char *token, const char *datacenter, bool stale)
{
	token = token ? token : "";
	datacenter = datacenter ? datacenter : "";
	if (strlen(token) >= sizeof api->token || strlen(datacenter) >= sizeof api->datacenter) {
		snprintf(api->error, sizeof api->error, "the ACL token or datacenter name is too long");
		return -1;
	}
	for (const char *p = token; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(api->error, sizeof api->error, "the ACL token holds a control character");
			return -1;
		}
	}
	strcpy(api->token, token);
	strcpy(api->datacenter, datacenter);
	api->stale = stale;
	return 0;
}

/* Appends the query-string form of s (RFC 3986 unreserved characters kept). */
static void append_query_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
			buf_append_char(b, (char)c);
		else
			buf_appendf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* The request target: path, plus ?dc= and ?stale as the options ask. */
static void append_target(struct buf *b, const struct api *api, const char *method, const char *path)
{
	buf_append_str(b, path);
	char sep = strchr(path, '?') ? '&' : '?';
	if (api->datacenter[0]) {
		buf_appendf(b, "%cdc=", sep);
		append_query_escaped(b, api->datacenter);
		sep = '&';
	}
	if (api->stale && strcmp(method, "GET") == 0 && !strstr(path, "?stale") && !strstr(path, "&stale"))
		buf_appendf(b, "%cstale", sep);
}

static int connect_agent(struct api *api)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(api->host, api->port, &hints, &res);
	if (rc != 0) {
		snprintf(api->error, sizeof api->error, "dial tcp: lookup %s: %s", api->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		struct timeval tv = {.tv_sec = 30};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(api->error, sizeof api->error, "dial tcp %s:%s: connect: %s", api->host, api->port,
			 strerror(err ? err : ECONNREFUSED));
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Splits a raw response into status and body. Only what our agent sends is needed:
 * Content-Length or read-to-close; chunked is not used with Connection: close. */
static int parse_response(struct api *api, struct buf *raw, struct api_response *resp)
{
	char *head_end = raw->data ? strstr(raw->data, "\r\n\r\n") : NULL;
	int status;
	if (!head_end || sscanf(raw->data, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(api->error, sizeof api->error, "malformed HTTP response from %s:%s", api->host, api->port);
		return -1;
	}
	resp->status = status;
	size_t body_off = (size_t)(head_end + 4 - raw->data);
	buf_init(&resp->body);
	buf_append(&resp->body, raw->data + body_off, raw->len - body_off);
	return 0;
}

int api_request(struct api *api, const char *method, const char *path, const char *body, size_t body_len,
		struct api_response *resp)
{
	int fd = connect_agent(api);
	if (fd < 0)
		return -1;
	struct buf req;
	buf_init(&req);
	buf_appendf(&req, "%s ", method);
	append_target(&req, api, method, path);
	buf_appendf(&req, " HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: consul-c-cli\r\nConnection: close\r\n", api->host,
		    api->port);
	if (api->token[0])
		buf_appendf(&req, "X-Consul-Token: %s\r\n", api->token);
	if (body)
		buf_appendf(&req, "Content-Length: %zu\r\n", body_len);
	buf_append_str(&req, "\r\n");
	if (body)
		buf_append(&req, body, body_len);
	int rc = write_all(fd, req.data, req.len);
	buf_free(&req);
	struct buf raw;
	buf_init(&raw);
	while (rc == 0) {
		if (buf_reserve(&raw, 16384) < 0) {
			rc = -1;
			break;
		}
		ssize_t n = read(fd, raw.data + raw.len, 16384);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -1;
		if (n <= 0)
			break;
		raw.len += (size_t)n;
		raw.data[raw.len] = '\0';
		if (raw.len > RESPONSE_MAX_BYTES)
			rc = -1;
	}
	close(fd);
	if (rc < 0) {
		snprintf(api->error, sizeof api->error, "error talking to %s:%s: %s", api->host, api->port,
			 strerror(errno));
		buf_free(&raw);
		return -1;
	}
	rc = parse_response(api, &raw, resp);
	buf_free(&raw);
	return rc;
}

void api_response_free(struct api_response *resp)
{
	buf_free(&resp->body);
}
