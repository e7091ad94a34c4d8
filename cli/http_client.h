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

#include <stddef.h>

#include "buf.h"

struct api {
	char host[256];
	char port[8];
	char error[512];
};

struct api_response {
	int status;
	struct buf body;
};

/* addr may be NULL (then $CONSUL_HTTP_ADDR or the default). Accepts "host:port",
 * "http://host:port" and "host". Returns 0, or -1 with api->error set. */
int api_init(struct api *api, const char *addr);
/* Sends one request (Connection: close) and reads the whole response. Returns 0, or -1 with
 * api->error set (connection refused and the like, worded as Consul's CLI words them). */
int api_request(struct api *api, const char *method, const char *path, const char *body, size_t body_len,
		struct api_response *resp);
void api_response_free(struct api_response *resp);

#endif
