/* fuzz_http_request.c: untrusted bytes through the whole pure request path: the parser
 * (head, body, chunked decoding), URL and query decoding, routing, and the rendering of a
 * reply whose body is the bytes after the request (so ?raw, ?pretty and /v1/agent/self
 * see arbitrary JSON too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parser.h"
#include "http_response.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct config *cfg, const struct route_plan *plan, const char *rest, size_t rest_len)
{
	static const uint32_t statuses[] = {200, 404, 500, 503};
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		struct rpc_reply reply = {.status = statuses[i], .index = rest_len, .known_leader = rest_len & 1,
					  .body = rest, .body_len = rest_len};
		struct http_response resp;
		http_response_init(&resp);
		route_render(cfg, plan, &reply, &resp);
		struct buf out;
		buf_init(&out);
		http_response_write(&out, &resp, true, 0);
		buf_free(&out);
		http_response_free(&resp);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	cfg.datacenter = "dc1";
	cfg.node_name = "node1";
	cfg.node_id = "id";
	cfg.dev = size & 1;

	const char *in = (const char *)data;
	struct http_request req;
	/* as the server does: the head chooses the body limit */
	size_t max_body = http_parse_head(in, size, &req) > 0 ? http_body_limit(&req) : HTTP_MAX_BODY_BYTES;
	if (max_body != HTTP_MAX_BODY_BYTES && max_body != HTTP_MAX_SNAPSHOT_BODY_BYTES)
		abort();
	ssize_t n = http_parse_request(in, size, max_body, NULL, &req);
	/* Fed in two pieces with a resume mark, as the server reads, the answer is the same. */
	struct http_chunk_resume mark = {0};
	struct http_request again;
	http_parse_request(in, size / 2, max_body, &mark, &again);
	if (http_parse_request(in, size, max_body, &mark, &again) != n ||
	    (n > 0 && again.body_decoded_len != req.body_decoded_len))
		abort();
	if (n <= 0)
		return 0;
	if ((size_t)n > size || req.head_len > (size_t)n || req.body.p + req.body.len > in + n ||
	    req.body_decoded_len > max_body)
		abort();

	char *body = malloc(req.body.len + 1);
	if (!body)
		return 0;
	size_t body_len = req.body.len;
	if (req.chunked)
		body_len = http_chunked_decode(req.body.p, req.body.len, body);
	else
		memcpy(body, req.body.p, req.body.len);
	if (body_len != req.body_decoded_len)
		abort();

	struct route_request rr;
	char err[128];
	if (route_request_init(&rr, req.method.p, req.method.len, req.target.p, req.target.len, body, body_len, err,
			       sizeof err) == 0) {
		struct route_plan plan;
		route_plan_init(&plan);
		route_plan(&cfg, &rr, &plan);
		route_request_free(&rr);
		if (plan.status) {
			struct http_response resp;
			http_response_init(&resp);
			route_render_immediate(&plan, &resp);
			http_response_free(&resp);
		} else {
			render_all(&cfg, &plan, in + n, size - (size_t)n);
		}
		route_plan_free(&plan);
	}
	free(body);
	return 0;
}
