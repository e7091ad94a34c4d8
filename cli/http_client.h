/* http_client.h: the CLI's blocking HTTP/1.1 client for the local agent's API.
 *
 *   struct api api; api_init(&api);   // from -http-addr, else $CONSUL_HTTP_ADDR, else 127.0.0.1:8500
 *   struct api_response r;
 *   if (api_request(&api, "GET", "/v1/agent/members", NULL, 0, &r) < 0) { report(api.error); }
 *   use(r.status, r.body.data);
 *   api_response_free(&r);
 */
#ifndef CLI_HTTP_CLIENT_H
#define CLI_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct api {
	char host[256];
	char port[8];
	char error[512];
	/* Consul's API options (api_set_options): every request carries the token and ?dc=, as
	 * the Go client does; GETs carry ?stale. */
	char token[512];       /* "" for none */
	char datacenter[256];  /* "" for the agent's own */
	bool stale;
};

struct api_response {
	int status;
	struct buf body;
};

/* addr may be NULL (then $CONSUL_HTTP_ADDR or the default). Accepts "host:port",
 * "http://host:port" and "host". Returns 0, or -1 with api->error set. */
int api_init(struct api *api, const char *addr);
/* Sets what every request carries: token (X-Consul-Token; NULL or "" for none), datacenter
 * (?dc=; NULL for the agent's own), stale (?stale on GETs). Returns 0, or -1 with api->error
 * set when a value is too long or holds a character a header or URL cannot. */
int api_set_options(struct api *api, const char *token, const char *datacenter, bool stale);
/* Sends one request (Connection: close) and reads the whole response. Returns 0, or -1 with
 * api->error set (connection refused and the like, worded as Consul's CLI words them). */
int api_request(struct api *api, const char *method, const char *path, const char *body, size_t body_len,
		struct api_response *resp);
void api_response_free(struct api_response *resp);

#endif
