/* join.c: joining through a list of addresses. */
#include "join.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "pool.h"

struct join {
	join_done_fn done;
	void *arg;
	size_t pending;
	struct join_result r;
};

struct join_attempt {
	struct join *j;
	char *text;  /* the address as given, for the error */
};

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

static void join_finish_one(struct join *j)
{
	if (--j->pending)
		return;
	j->done(j->arg, &j->r);
	for (size_t i = 0; i < j->r.nerrors; i++)
		free(j->r.errors[i]);
	free(j->r.errors);
	free(j);
}

static void join_fail(struct join *j, const char *text, const char *why)
{
	char *line;
	if (asprintf(&line, "%s: %s", text, why) >= 0)
		j->r.errors[j->r.nerrors++] = line;
	join_finish_one(j);
}

static void on_contact(void *arg, const char *err)
{
	struct join_attempt *a = arg;
	struct join *j = a->j;
	if (err)
		log_info("join: %s: %s", a->text, err);
	if (err)
		join_fail(j, a->text, err);
	else {
		j->r.joined++;
		join_finish_one(j);
	}
	free(a->text);
	free(a);
}

void join_start(struct pool *p, const char *const *addrs, size_t n, int default_port, join_done_fn done, void *arg)
{
	struct join *j = calloc(1, sizeof *j);
	if (j)
		j->r.errors = calloc(n ? n : 1, sizeof *j->r.errors);
	if (!j || !j->r.errors) {
		free(j);
		struct join_result none = {0};
		done(arg, &none);
		return;
	}
	j->done = done;
	j->arg = arg;
	j->pending = n + 1;  /* held until every attempt has started */
	for (size_t i = 0; i < n; i++) {
		struct swim_addr a;
		char why[200];
		if (join_resolve(addrs[i], default_port, &a, why, sizeof why) < 0) {
			join_fail(j, addrs[i], why);
			continue;
		}
		struct join_attempt *at = malloc(sizeof *at);
		if (!at || !(at->text = strdup(addrs[i]))) {
			free(at);
			join_fail(j, addrs[i], "out of memory");
			continue;
		}
		at->j = j;
		pool_join(p, &a, on_contact, at);
	}
	join_finish_one(j);
}
