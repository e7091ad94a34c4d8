/* routes.h: Consul's HTTP API as one table: for each path and method, which RPC to make with
 * which JSON arguments, and how its reply becomes the HTTP response. Pure: no sockets, no
 * clock; the server (server.c) does the I/O around these calls.
 *
 *   struct route_request rr; struct route_plan plan; struct http_response resp;
 *   route_plan_init(&plan); http_response_init(&resp);
 *   if (route_request_init(&rr, "GET", 3, "/v1/kv/a?raw", 12, NULL, 0) < 0) -> 400
 *   route_plan(cfg, &rr, &plan);
 *   if (plan.status) route_render_immediate(cfg, &plan, &resp);
 *   else { rpc_call(peer[plan.peer], plan.op, plan.args.data, plan.args.len, ...);
 *          ... later: route_render(cfg, &plan, reply, &resp); }
 */
#ifndef HTTPD_ROUTES_H
#define HTTPD_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/rpc.h"
#include "http_parser.h"
#include "http_response.h"

enum route_peer {
	ROUTE_PEER_RAFT,
	ROUTE_PEER_CHECK,
	ROUTE_PEER_GOSSIP,
	ROUTE_PEER_CONTROL, /* the supervisor: reload */
	ROUTE_PEER_COUNT,
};

/* Socket file name and process name of each peer, indexed by route_peer. */
extern const char *const route_peer_socket[ROUTE_PEER_COUNT];
extern const char *const route_peer_name[ROUTE_PEER_COUNT];

enum route_render {
	ROUTE_RENDER_JSON,       /* 200: the reply body as is (indented for ?pretty and -dev) */
	ROUTE_RENDER_EMPTY,      /* 200: no body, as Consul's agent write endpoints answer */
	ROUTE_RENDER_KV_RAW,     /* 200: the first entry's Value, decoded, as text/plain */
	ROUTE_RENDER_AGENT_SELF, /* 200: /v1/agent/self, from cfg and the MEMBERS reply */
	ROUTE_RENDER_AGENT_HEALTH, /* /v1/agent/health/service/...: 200, 429 or 503 by AggregatedStatus */
	ROUTE_RENDER_JOIN,       /* 200 and no body; a failed join is a 500 with memberlist's error text */
	ROUTE_RENDER_FORCE_LEAVE, /* 200 and no body; an unknown node is Consul's 500 "No node found" */
	ROUTE_RENDER_SERVICES_MAP, /* 200: a (filtered) list of service instances as /v1/catalog/services' map */
};

struct route_param {
	const char *key;
	const char *value; /* "" when the parameter has no '=' */
	bool has_value;
};

/* A request decoded for routing: NUL-terminated strings in one arena owned by it. */
struct route_request {
	const char *method;
	const char *path; /* percent-decoded */
	struct route_param params[HTTP_MAX_PARAMS];
	size_t nparams;
	const char *body; /* not owned */
	size_t body_len;
	char *arena;
};

/* Decodes method, path and query. Returns 0, or -1 with a message in err (answer 400):
 * a malformed target or escape, a control character in the path, too many parameters. */
int route_request_init(struct route_request *rr, const char *method, size_t method_len, const char *target,
		       size_t target_len, const char *body, size_t body_len, char *err, size_t err_len);
void route_request_free(struct route_request *rr);
/* First value of a query parameter, or NULL when absent. */
const char *route_param(const struct route_request *rr, const char *key);
bool route_has_param(const struct route_request *rr, const char *key);

struct route_plan {
	/* Non-zero: answer at once with this status, `message` as the body (text/plain). */
	int status;
	struct buf message;
	const char *allow;    /* Allow header, for 405 and OPTIONS */
	struct buf location;  /* Location header, for 301 */
	bool matched;         /* the path is one of Consul's endpoints (gets Vary, as Consul's gzip wrapper adds it) */
	/* Otherwise: the RPC to make, and how to turn its reply into the response. */
	enum route_peer peer;
	unsigned op;
	struct buf args;      /* JSON object */
	enum route_render render;
	bool is_read;         /* add X-Consul-Index / KnownLeader / LastContact */
	bool index_only;      /* of those, X-Consul-Index alone (agent-local reads: /v1/event/list) */
	bool pretty;
	bool text;            /* ?format=text (agent health) */
	bool by_name;         /* agent health by service name: an array */
	char subject[256];    /* agent health: the service name, for the text "Not Found";
	                         force-leave: the node */
	/* After a 200 reply to the RPC, once the response is written: one more request, whose
	 * reply nobody waits for (PUT /v1/agent/leave: then the supervisor's shutdown). 0: none. */
	unsigned then_op;
	enum route_peer then_peer;
	/* ?filter= and ?node-meta= (filter.h), applied to the list in a 200 JSON reply: the body
	 * itself, or its member filter_field. NULL: none. */
	struct filter *filter;
	const char *filter_field;
};

void route_plan_init(struct route_plan *p);
void route_plan_free(struct route_plan *p);
/* Decides what a request means. Never fails: problems become an immediate status. */
void route_plan(const struct config *cfg, const struct route_request *rr, struct route_plan *plan);

/* The response for a plan with a non-zero status. */
void route_render_immediate(const struct route_plan *plan, struct http_response *resp);
/* The response for the reply to a plan's RPC. */
void route_render(const struct config *cfg, const struct route_plan *plan, const struct rpc_reply *reply,
		  struct http_response *resp);
/* The response when the peer could not be asked at all (not connected, or link lost). */
void route_render_peer_down(const struct route_plan *plan, bool server, struct http_response *resp);

#endif
