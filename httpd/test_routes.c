/* test_routes.c: Consul paths to RPC ops and arguments, 404 / 405 / 400 answers, and the
 * rendering of replies (headers, ?raw, ?pretty, /v1/agent/self, peers down). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/json.h"
#include "common/rpc_ops.h"
#include "routes.h"

static struct config cfg;

static int setup(void **state)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.datacenter = "dc1";
	cfg.node_name = "node1";
	cfg.node_id = "0b5c3a5e-0000-4000-8000-000000000001";
	cfg.server = true;
	cfg.domain = "consul.";
	cfg.port_http = 8500;
	return 0;
}

struct planned {
	struct route_plan plan;
	int init_rc;
};

static struct planned plan_for(const char *method, const char *target, const char *body)
{
	struct planned p;
	struct route_request rr;
	char err[128];
	route_plan_init(&p.plan);
	p.init_rc = route_request_init(&rr, method, strlen(method), target, strlen(target), body,
				       body ? strlen(body) : 0, err, sizeof err);
	if (p.init_rc == 0) {
		route_plan(&cfg, &rr, &p.plan);
		route_request_free(&rr);
	}
	return p;
}

/* The request becomes this RPC with exactly these args. */
static void expect_rpc(const char *method, const char *target, const char *body, enum route_peer peer, unsigned op,
		       const char *args)
{
	struct planned p = plan_for(method, target, body);
	assert_int_equal(p.init_rc, 0);
	if (p.plan.status != 0)
		fail_msg("%s %s: answered %d (%s), want an RPC", method, target, p.plan.status,
			 p.plan.message.data ? p.plan.message.data : "");
	assert_int_equal(p.plan.peer, peer);
	assert_string_equal(rpc_op_name(p.plan.op), rpc_op_name(op));
	assert_string_equal(p.plan.args.data, args);
	route_plan_free(&p.plan);
}

/* The request is answered at once with this status and message. */
static void expect_answer(const char *method, const char *target, const char *body, int status, const char *message)
{
	struct planned p = plan_for(method, target, body);
	assert_int_equal(p.init_rc, 0);
	if (p.plan.status != status)
		fail_msg("%s %s: status %d, want %d", method, target, p.plan.status, status);
	if (message)
		assert_string_equal(p.plan.message.data ? p.plan.message.data : "", message);
	route_plan_free(&p.plan);
}

static void test_reads(void **state)
{
	expect_rpc("GET", "/v1/status/leader", NULL, ROUTE_PEER_RAFT, RPC_STATUS_LEADER, "{}");
	expect_rpc("GET", "/v1/status/peers", NULL, ROUTE_PEER_RAFT, RPC_STATUS_PEERS, "{}");
	expect_rpc("GET", "/v1/agent/members", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS, "{}");
	expect_rpc("GET", "/v1/agent/self", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS, "{}");
	expect_rpc("GET", "/v1/agent/services", NULL, ROUTE_PEER_CHECK, RPC_AGENT_SERVICES, "{}");
	expect_rpc("GET", "/v1/agent/service/web-1", NULL, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE, "{\"id\":\"web-1\"}");
	expect_rpc("GET", "/v1/agent/checks", NULL, ROUTE_PEER_CHECK, RPC_AGENT_CHECKS, "{}");
	expect_rpc("GET", "/v1/catalog/datacenters", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_DATACENTERS, "{}");
	expect_rpc("GET", "/v1/catalog/nodes?dc=dc1", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_NODES, "{}");
	expect_rpc("GET", "/v1/catalog/services?stale", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_SERVICES,
		   "{\"stale\":true}");
	expect_rpc("GET", "/v1/catalog/service/web?tag=v1&index=5&wait=10s", NULL, ROUTE_PEER_RAFT,
		   RPC_CATALOG_SERVICE, "{\"index\":5,\"wait_ms\":10000,\"name\":\"web\",\"tags\":[\"v1\"]}");
	/* ?tag= repeated: all of them go, and must all match */
	expect_rpc("GET", "/v1/catalog/service/web?tag=v1&tag=blue", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_SERVICE,
		   "{\"name\":\"web\",\"tags\":[\"v1\",\"blue\"]}");
	expect_rpc("GET", "/v1/catalog/node/node1", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_NODE, "{\"node\":\"node1\"}");
	expect_rpc("GET", "/v1/catalog/node-services/node1", NULL, ROUTE_PEER_RAFT, RPC_CATALOG_NODE_SERVICES,
		   "{\"node\":\"node1\"}");
	expect_rpc("GET", "/v1/health/service/web?passing", NULL, ROUTE_PEER_RAFT, RPC_HEALTH_SERVICE,
		   "{\"name\":\"web\",\"passing\":true}");
	expect_rpc("GET", "/v1/health/service/web?passing=false&tag=a%20b", NULL, ROUTE_PEER_RAFT, RPC_HEALTH_SERVICE,
		   "{\"name\":\"web\",\"tags\":[\"a b\"]}");
	expect_rpc("GET", "/v1/health/node/node1", NULL, ROUTE_PEER_RAFT, RPC_HEALTH_NODE, "{\"node\":\"node1\"}");
	expect_rpc("GET", "/v1/health/checks/web", NULL, ROUTE_PEER_RAFT, RPC_HEALTH_CHECKS, "{\"service\":\"web\"}");
	expect_rpc("GET", "/v1/health/state/critical", NULL, ROUTE_PEER_RAFT, RPC_HEALTH_STATE,
		   "{\"state\":\"critical\"}");
}

static void test_kv(void **state)
{
	expect_rpc("GET", "/v1/kv/app/config", NULL, ROUTE_PEER_RAFT, RPC_KV_GET, "{\"key\":\"app/config\"}");
	expect_rpc("GET", "/v1/kv/a%2Fb%20c", NULL, ROUTE_PEER_RAFT, RPC_KV_GET, "{\"key\":\"a/b c\"}");
	expect_rpc("GET", "/v1/kv/app?recurse", NULL, ROUTE_PEER_RAFT, RPC_KV_GET, "{\"key\":\"app\",\"recurse\":true}");
	expect_rpc("GET", "/v1/kv/?recurse", NULL, ROUTE_PEER_RAFT, RPC_KV_GET, "{\"key\":\"\",\"recurse\":true}");
	expect_rpc("GET", "/v1/kv/?keys&separator=/", NULL, ROUTE_PEER_RAFT, RPC_KV_GET,
		   "{\"key\":\"\",\"keys\":true,\"separator\":\"/\"}");
	expect_rpc("GET", "/v1/kv/a?keys&seperator=-&index=7", NULL, ROUTE_PEER_RAFT, RPC_KV_GET,
		   "{\"index\":7,\"key\":\"a\",\"keys\":true,\"separator\":\"-\"}");
	expect_rpc("PUT", "/v1/kv/a?flags=42&cas=7", "hello", ROUTE_PEER_RAFT, RPC_KV_PUT,
		   "{\"key\":\"a\",\"value\":\"aGVsbG8=\",\"flags\":42,\"cas\":7}");
	expect_rpc("PUT", "/v1/kv/empty", NULL, ROUTE_PEER_RAFT, RPC_KV_PUT, "{\"key\":\"empty\",\"value\":\"\"}");
	expect_rpc("DELETE", "/v1/kv/a?recurse", NULL, ROUTE_PEER_RAFT, RPC_KV_DELETE,
		   "{\"key\":\"a\",\"recurse\":true}");
	expect_rpc("DELETE", "/v1/kv/?recurse", NULL, ROUTE_PEER_RAFT, RPC_KV_DELETE, "{\"key\":\"\",\"recurse\":true}");
	expect_rpc("DELETE", "/v1/kv/a?cas=3", NULL, ROUTE_PEER_RAFT, RPC_KV_DELETE, "{\"key\":\"a\",\"cas\":3}");

	struct planned p = plan_for("GET", "/v1/kv/a?raw", NULL);
	assert_int_equal(p.plan.status, 0);
	assert_int_equal(p.plan.render, ROUTE_RENDER_KV_RAW);
	assert_true(p.plan.is_read);
	route_plan_free(&p.plan);
	p = plan_for("PUT", "/v1/kv/a", "x");
	assert_false(p.plan.is_read);
	route_plan_free(&p.plan);

	expect_answer("GET", "/v1/kv/", NULL, 400, "Missing key name");
	expect_answer("PUT", "/v1/kv/", "x", 400, "Missing key name");
	expect_answer("DELETE", "/v1/kv/", NULL, 400, "Missing key name");
	expect_answer("DELETE", "/v1/kv/a?recurse&cas=1", NULL, 400, "Conflicting flags: cas=1&recurse=\n");
	expect_answer("PUT", "/v1/kv/a?flags=x", "v", 500, "strconv.ParseUint: parsing \"x\": invalid syntax");
	expect_answer("GET", "/v1/kv/a?dc=dc2", NULL, 500, "No path to datacenter");
	expect_answer("PUT", "/v1/kv/a?dc=other", "v", 500, "No path to datacenter");
}

static void test_agent_writes(void **state)
{
	const char *svc = "{\"Name\":\"web\",\"Port\":80}";
	expect_rpc("PUT", "/v1/agent/service/register", svc, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE_REGISTER, svc);
	expect_rpc("PUT", "/v1/agent/service/deregister/web", NULL, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE_DEREGISTER,
		   "{\"id\":\"web\"}");
	/* python-consul 0.7.1 uses GET for these */
	expect_rpc("GET", "/v1/agent/service/deregister/web", NULL, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE_DEREGISTER,
		   "{\"id\":\"web\"}");
	expect_rpc("GET", "/v1/agent/check/deregister/c1", NULL, ROUTE_PEER_CHECK, RPC_AGENT_CHECK_DEREGISTER,
		   "{\"id\":\"c1\"}");
	expect_rpc("GET", "/v1/agent/check/pass/service:web?note=all%20good", NULL, ROUTE_PEER_CHECK,
		   RPC_AGENT_CHECK_UPDATE, "{\"id\":\"service:web\",\"status\":\"passing\",\"output\":\"all good\"}");
	expect_rpc("PUT", "/v1/agent/check/warn/c1", NULL, ROUTE_PEER_CHECK, RPC_AGENT_CHECK_UPDATE,
		   "{\"id\":\"c1\",\"status\":\"warning\",\"output\":\"\"}");
	expect_rpc("PUT", "/v1/agent/check/fail/c1", NULL, ROUTE_PEER_CHECK, RPC_AGENT_CHECK_UPDATE,
		   "{\"id\":\"c1\",\"status\":\"critical\",\"output\":\"\"}");
	expect_rpc("PUT", "/v1/agent/check/update/c1", "{\"Status\":\"passing\",\"Output\":\"ok\"}", ROUTE_PEER_CHECK,
		   RPC_AGENT_CHECK_UPDATE, "{\"id\":\"c1\",\"status\":\"passing\",\"output\":\"ok\"}");
	expect_rpc("PUT", "/v1/agent/check/register", "{\"Name\":\"ttl\",\"TTL\":\"10s\"}", ROUTE_PEER_CHECK,
		   RPC_AGENT_CHECK_REGISTER, "{\"Name\":\"ttl\",\"TTL\":\"10s\"}");

	struct planned p = plan_for("PUT", "/v1/agent/service/deregister/web", NULL);
	assert_int_equal(p.plan.render, ROUTE_RENDER_EMPTY);
	route_plan_free(&p.plan);

	expect_answer("PUT", "/v1/agent/check/update/c1", "{\"Status\":\"bogus\"}", 400,
		      "Invalid check status: 'bogus'");
	expect_answer("PUT", "/v1/agent/check/update/c1", NULL, 400, "Request decode failed: EOF");
	expect_answer("PUT", "/v1/agent/service/register", "{\"Name\":", 400, NULL);
	expect_answer("PUT", "/v1/agent/service/register", "[1]", 400,
		      "Request decode failed: expected a JSON object");
}

static void test_catalog_writes(void **state)
{
	const char *reg = "{\"Node\":\"n2\",\"Address\":\"10.0.0.2\"}";
	expect_rpc("PUT", "/v1/catalog/register", reg, ROUTE_PEER_RAFT, RPC_CATALOG_REGISTER, reg);
	expect_rpc("PUT", "/v1/catalog/deregister", "{\"Node\":\"n2\"}", ROUTE_PEER_RAFT, RPC_CATALOG_DEREGISTER,
		   "{\"Node\":\"n2\"}");
	expect_answer("PUT", "/v1/catalog/register", "{\"Datacenter\":\"dc9\",\"Node\":\"n\"}", 500,
		      "No path to datacenter");
}

static void test_methods_and_paths(void **state)
{
	struct planned p = plan_for("POST", "/v1/kv/a", "x");
	assert_int_equal(p.plan.status, 405);
	assert_string_equal(p.plan.allow, "OPTIONS,GET,PUT,DELETE");
	assert_string_equal(p.plan.message.data, "method POST not allowed");
	route_plan_free(&p.plan);

	p = plan_for("GET", "/v1/catalog/register", NULL);
	assert_int_equal(p.plan.status, 405);
	assert_string_equal(p.plan.allow, "OPTIONS,PUT");
	route_plan_free(&p.plan);

	/* the GET exceptions are not advertised */
	p = plan_for("DELETE", "/v1/agent/check/pass/c1", NULL);
	assert_int_equal(p.plan.status, 405);
	assert_string_equal(p.plan.allow, "OPTIONS,PUT");
	route_plan_free(&p.plan);

	expect_answer("PUT", "/v1/status/leader", NULL, 405, "method PUT not allowed");
	expect_answer("DELETE", "/v1/agent/service/register", NULL, 405, NULL);
	expect_answer("GET", "/v1/agent/service/register", NULL, 405, NULL);
	expect_answer("PUT", "/v1/agent/check/update/c1?x", NULL, 400, NULL);
	expect_answer("GET", "/v1/agent/check/update/c1", NULL, 405, NULL);

	p = plan_for("OPTIONS", "/v1/kv/a", NULL);
	assert_int_equal(p.plan.status, 200);
	assert_string_equal(p.plan.allow, "OPTIONS,GET,PUT,DELETE");
	route_plan_free(&p.plan);

	expect_answer("GET", "/v1/nope", NULL, 404, "");
	expect_answer("GET", "/v1/status/leaderx", NULL, 404, "");
	expect_answer("GET", "/", NULL, 200, "Consul Agent");
	p = plan_for("GET", "/v1/kv", NULL);
	assert_int_equal(p.plan.status, 301);
	assert_string_equal(p.plan.location.data, "/v1/kv/");
	route_plan_free(&p.plan);
	/* the longest prefix wins, as in Go's ServeMux */
	expect_rpc("GET", "/v1/agent/service/deregister", NULL, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE,
		   "{\"id\":\"deregister\"}");
}

static void test_bad_parameters(void **state)
{
	expect_answer("GET", "/v1/catalog/services?wait=abc", NULL, 400, "Invalid wait time");
	expect_answer("GET", "/v1/catalog/services?index=-1", NULL, 400, "Invalid index");
	expect_answer("GET", "/v1/catalog/services?stale&consistent", NULL, 400,
		      "Cannot specify ?stale with ?consistent, conflicting semantics.");
	expect_answer("GET", "/v1/catalog/nodes?dc=dc2", NULL, 500, "No path to datacenter");
	expect_answer("GET", "/v1/health/service/web?passing=maybe", NULL, 400, "Invalid value for ?passing");
	expect_answer("GET", "/v1/health/state/", NULL, 400, "Missing check state");
	expect_answer("GET", "/v1/catalog/service/", NULL, 400, "Missing service name");
	expect_answer("GET", "/v1/catalog/node/", NULL, 400, "Missing node name");
	expect_answer("GET", "/v1/health/checks/", NULL, 400, "Missing service name");

	struct planned p = plan_for("GET", "/v1/kv/a%zz", NULL);
	assert_int_equal(p.init_rc, -1);
	route_plan_free(&p.plan);
	p = plan_for("GET", "/v1/kv/a%00b", NULL);
	assert_int_equal(p.init_rc, -1);
	route_plan_free(&p.plan);
	p = plan_for("GET", "/v1/kv/a?x=%0", NULL);
	assert_int_equal(p.init_rc, -1);
	route_plan_free(&p.plan);
	p = plan_for("GET", "v1/kv/a", NULL);
	assert_int_equal(p.init_rc, -1);
	route_plan_free(&p.plan);
}

/* Finds "Name: value" among the response's extra headers. */
static bool has_header(const struct http_response *r, const char *line)
{
	return r->headers.data && strstr(r->headers.data, line) != NULL;
}

static void render(const char *method, const char *target, const struct rpc_reply *reply, struct http_response *resp)
{
	struct planned p = plan_for(method, target, NULL);
	assert_int_equal(p.plan.status, 0);
	http_response_init(resp);
	route_render(&cfg, &p.plan, reply, resp);
	route_plan_free(&p.plan);
}

static void test_render_json_and_meta(void **state)
{
	const char *body = "[\"dc1\"]";
	struct rpc_reply reply = {.status = 200, .known_leader = true, .index = 0, .last_contact_ms = 3,
				  .body = body, .body_len = strlen(body)};
	struct http_response resp;
	render("GET", "/v1/catalog/datacenters", &reply, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body.data, body);
	assert_true(has_header(&resp, "X-Consul-Index: 1\r\n")); /* never 0 */
	assert_true(has_header(&resp, "X-Consul-KnownLeader: true\r\n"));
	assert_true(has_header(&resp, "X-Consul-LastContact: 3\r\n"));
	assert_true(has_header(&resp, "Vary: Accept-Encoding\r\n"));
	http_response_free(&resp);

	/* a KV miss: 404, empty, but still with the index to block on */
	struct rpc_reply miss = {.status = 404, .index = 42};
	render("GET", "/v1/kv/nope", &miss, &resp);
	assert_int_equal(resp.status, 404);
	assert_int_equal(resp.body.len, 0);
	assert_true(has_header(&resp, "X-Consul-Index: 42\r\n"));
	assert_true(has_header(&resp, "X-Consul-KnownLeader: false\r\n"));
	http_response_free(&resp);

	/* writes carry no query meta */
	struct rpc_reply ok = {.status = 200, .index = 9, .body = "true", .body_len = 4};
	struct planned p = plan_for("PUT", "/v1/kv/a", NULL);
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &ok, &resp);
	assert_string_equal(resp.body.data, "true");
	assert_false(has_header(&resp, "X-Consul-Index"));
	http_response_free(&resp);
	route_plan_free(&p.plan);

	/* agent writes answer with an empty body */
	p = plan_for("PUT", "/v1/agent/check/pass/c1", NULL);
	http_response_init(&resp);
	struct rpc_reply empty = {.status = 200, .body = "\"\"", .body_len = 2};
	route_render(&cfg, &p.plan, &empty, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	assert_null(resp.content_type);
	http_response_free(&resp);
	route_plan_free(&p.plan);
}

static void test_render_pretty(void **state)
{
	const char *body = "{\"a\":[1,2],\"b\":\"x,{\\\"y\\\": [\",\"c\":[],\"d\":{},\"e\":[{}]}";
	struct rpc_reply reply = {.status = 200, .index = 5, .body = body, .body_len = strlen(body)};
	struct http_response resp;
	render("GET", "/v1/catalog/services?pretty", &reply, &resp);
	assert_string_equal(resp.body.data, "{\n    \"a\": [\n        1,\n        2\n    ],\n    \"b\": \"x,{\\\"y\\\": [\",\n"
					    "    \"c\": [],\n    \"d\": {},\n    \"e\": [\n        {}\n    ]\n}\n");
	http_response_free(&resp);
}

static void test_render_kv_raw(void **state)
{
	const char *body = "[{\"Key\":\"app/config\",\"Value\":\"eyJhIjoxfQ==\",\"Flags\":0}]";
	struct rpc_reply reply = {.status = 200, .index = 12, .body = body, .body_len = strlen(body)};
	struct http_response resp;
	render("GET", "/v1/kv/app/config?raw", &reply, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, "{\"a\":1}");
	assert_string_equal(resp.content_type, "text/plain");
	assert_true(has_header(&resp, "X-Content-Type-Options: nosniff\r\n"));
	assert_true(has_header(&resp, "X-Consul-Index: 12\r\n"));
	http_response_free(&resp);

	const char *nullval = "[{\"Key\":\"k\",\"Value\":null}]";
	struct rpc_reply nv = {.status = 200, .body = nullval, .body_len = strlen(nullval)};
	render("GET", "/v1/kv/k?raw", &nv, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);
}

static void test_render_errors(void **state)
{
	struct rpc_reply down = {.status = 503, .body = "link lost", .body_len = 9};
	struct http_response resp;
	render("GET", "/v1/catalog/nodes", &down, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "rpc error making call: raftd: link lost");
	assert_false(has_header(&resp, "X-Consul-Index"));
	http_response_free(&resp);

	struct planned p = plan_for("GET", "/v1/agent/services", NULL);
	http_response_init(&resp);
	route_render_peer_down(&p.plan, true, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "rpc error making call: checkd is not reachable");
	http_response_free(&resp);
	route_plan_free(&p.plan);

	/* A client agent without a server says so as Consul does. */
	p = plan_for("GET", "/v1/catalog/nodes", NULL);
	http_response_init(&resp);
	route_render_peer_down(&p.plan, false, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "No known Consul servers");
	http_response_free(&resp);
	route_plan_free(&p.plan);

	struct rpc_reply bad = {.status = 400, .body = "Invalid check state", .body_len = 19};
	render("GET", "/v1/health/state/bogus", &bad, &resp);
	assert_int_equal(resp.status, 400);
	assert_string_equal(resp.body.data, "Invalid check state");
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	http_response_free(&resp);

	p = plan_for("POST", "/v1/kv/a", NULL);
	http_response_init(&resp);
	route_render_immediate(&p.plan, &resp);
	assert_int_equal(resp.status, 405);
	assert_true(has_header(&resp, "Allow: OPTIONS,GET,PUT,DELETE\r\n"));
	assert_string_equal(resp.body.data, "method POST not allowed");
	assert_true(has_header(&resp, "Vary: Accept-Encoding\r\n"));
	http_response_free(&resp);
	route_plan_free(&p.plan);
}

static void test_render_agent_self(void **state)
{
	const char *members = "[{\"Name\":\"other\",\"Addr\":\"10.0.0.9\"},"
			      "{\"Name\":\"node1\",\"Addr\":\"127.0.0.5\",\"Port\":8301,\"Status\":1}]";
	struct rpc_reply reply = {.status = 200, .index = 1, .body = members, .body_len = strlen(members)};
	struct http_response resp;
	render("GET", "/v1/agent/self", &reply, &resp);
	assert_int_equal(resp.status, 200);
	char err[128];
	yajl_val v = json_parse(resp.body.data, resp.body.len, err, sizeof err);
	assert_non_null(v);
	const char *cfg_path[] = {"Config", "NodeName", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, cfg_path, yajl_t_string)), "node1");
	const char *dc_path[] = {"Config", "Datacenter", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, dc_path, yajl_t_string)), "dc1");
	const char *ver_path[] = {"Config", "Version", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, ver_path, yajl_t_string)), "1.17.0");
	const char *srv_path[] = {"Config", "Server", NULL};
	assert_true(YAJL_IS_TRUE(yajl_tree_get(v, srv_path, yajl_t_any)));
	const char *addr_path[] = {"Member", "Addr", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, addr_path, yajl_t_string)), "127.0.0.5");
	yajl_tree_free(v);
	http_response_free(&resp);
}

/* Reload, maintenance and the agent's health endpoints. */
static void test_agent_ops(void **state)
{
	expect_rpc("PUT", "/v1/agent/reload", NULL, ROUTE_PEER_CONTROL, RPC_CONTROL_RELOAD, "{}");
	expect_answer("GET", "/v1/agent/reload", NULL, 405, NULL);
	expect_rpc("PUT", "/v1/agent/maintenance?enable=true&reason=a%20b", NULL, ROUTE_PEER_CHECK, RPC_AGENT_MAINTENANCE,
		   "{\"enable\":true,\"reason\":\"a b\"}");
	expect_rpc("PUT", "/v1/agent/service/maintenance/web?enable=false", NULL, ROUTE_PEER_CHECK,
		   RPC_AGENT_SERVICE_MAINTENANCE, "{\"id\":\"web\",\"enable\":false}");
	expect_answer("PUT", "/v1/agent/maintenance", NULL, 400, "Missing value for enable");
	expect_answer("PUT", "/v1/agent/maintenance?enable=yes", NULL, 400, "Invalid value for enable: \"yes\"");
	expect_answer("PUT", "/v1/agent/service/maintenance/?enable=true", NULL, 400, "Missing service ID");
	expect_rpc("GET", "/v1/agent/health/service/name/web", NULL, ROUTE_PEER_CHECK, RPC_AGENT_HEALTH_SERVICE,
		   "{\"name\":\"web\"}");
	expect_rpc("GET", "/v1/agent/health/service/id/web-1", NULL, ROUTE_PEER_CHECK, RPC_AGENT_HEALTH_SERVICE,
		   "{\"id\":\"web-1\"}");

	/* The worst instance sets the code; none is a 404. */
	const char *two = "[{\"AggregatedStatus\":\"passing\"},{\"AggregatedStatus\":\"warning\"}]";
	struct rpc_reply reply = {.status = 200, .body = two, .body_len = strlen(two)};
	struct http_response resp;
	render("GET", "/v1/agent/health/service/name/web", &reply, &resp);
	assert_int_equal(resp.status, 429);
	assert_string_equal(resp.body.data, two);
	http_response_free(&resp);
	render("GET", "/v1/agent/health/service/name/web?format=text", &reply, &resp);
	assert_int_equal(resp.status, 429);
	assert_string_equal(resp.body.data, "warning");
	http_response_free(&resp);
	const char *crit = "{\"AggregatedStatus\":\"maintenance\"}";
	reply = (struct rpc_reply){.status = 200, .body = crit, .body_len = strlen(crit)};
	render("GET", "/v1/agent/health/service/id/web", &reply, &resp);
	assert_int_equal(resp.status, 503);
	http_response_free(&resp);
	reply = (struct rpc_reply){.status = 200, .body = "[]", .body_len = 2};
	render("GET", "/v1/agent/health/service/name/none?format=text", &reply, &resp);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body.data, "ServiceName none Not Found");
	http_response_free(&resp);
}

/* Membership, leave, user events and the keyring (gossipd's ops). */
static void test_gossip_routes(void **state)
{
	expect_rpc("GET", "/v1/agent/members?wan=1", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS, "{\"wan\":true}");
	/* Consul reads ?wan by value on members and join: an empty one is the LAN */
	expect_rpc("GET", "/v1/agent/members?wan", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS, "{}");
	expect_rpc("GET", "/v1/agent/members?segment=_all", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS, "{}");
	expect_rpc("GET", "/v1/agent/members?wan=1&segment=_all", NULL, ROUTE_PEER_GOSSIP, RPC_MEMBERS,
		   "{\"wan\":true}");
	expect_answer("GET", "/v1/agent/members?wan=1&segment=alpha", NULL, 400,
		      "Cannot provide a segment with wan=true");
	expect_answer("GET", "/v1/agent/members?segment=alpha", NULL, 500,
		      "Network segments are not supported in this version of Consul");
	cfg.server = false;
	expect_answer("GET", "/v1/agent/members?segment=alpha", NULL, 500, "segment \"alpha\" not found");
	expect_answer("PUT", "/v1/agent/join/10.0.0.2?wan=1", NULL, 500, "Must be a server to join WAN cluster");
	cfg.server = true;

	expect_rpc("PUT", "/v1/agent/join/10.0.0.2", NULL, ROUTE_PEER_GOSSIP, RPC_JOIN, "{\"addrs\":[\"10.0.0.2\"]}");
	expect_rpc("PUT", "/v1/agent/join/10.0.0.2:8302?wan=1", NULL, ROUTE_PEER_GOSSIP, RPC_JOIN,
		   "{\"addrs\":[\"10.0.0.2:8302\"],\"wan\":true}");
	expect_rpc("PUT", "/v1/agent/join/%5B::1%5D:8301", NULL, ROUTE_PEER_GOSSIP, RPC_JOIN,
		   "{\"addrs\":[\"[::1]:8301\"]}");
	/* python-consul 0.7.1 joins and force-leaves with GET */
	expect_rpc("GET", "/v1/agent/join/h1", NULL, ROUTE_PEER_GOSSIP, RPC_JOIN, "{\"addrs\":[\"h1\"]}");
	expect_rpc("GET", "/v1/agent/force-leave/n2", NULL, ROUTE_PEER_GOSSIP, RPC_FORCE_LEAVE, "{\"node\":\"n2\"}");
	expect_rpc("PUT", "/v1/agent/force-leave/n2?prune=1&wan=1", NULL, ROUTE_PEER_GOSSIP, RPC_FORCE_LEAVE,
		   "{\"node\":\"n2\",\"prune\":true,\"wan\":true}");
	/* here presence is enough, as in Consul's AgentForceLeave */
	expect_rpc("PUT", "/v1/agent/force-leave/n2?prune", NULL, ROUTE_PEER_GOSSIP, RPC_FORCE_LEAVE,
		   "{\"node\":\"n2\",\"prune\":true}");
	expect_answer("DELETE", "/v1/agent/join/h1", NULL, 405, "method DELETE not allowed");

	struct planned p = plan_for("PUT", "/v1/agent/leave", NULL);
	assert_int_equal(p.plan.status, 0);
	assert_int_equal(p.plan.peer, ROUTE_PEER_GOSSIP);
	assert_string_equal(rpc_op_name(p.plan.op), "LEAVE");
	assert_int_equal(p.plan.render, ROUTE_RENDER_EMPTY);
	/* then the supervisor stops the agent */
	assert_int_equal(p.plan.then_peer, ROUTE_PEER_CONTROL);
	assert_string_equal(rpc_op_name(p.plan.then_op), "CONTROL_SHUTDOWN");
	route_plan_free(&p.plan);
	expect_answer("GET", "/v1/agent/leave", NULL, 405, NULL);
	/* nothing else chains a second request */
	p = plan_for("PUT", "/v1/agent/join/h1", NULL);
	assert_int_equal(p.plan.then_op, 0);
	route_plan_free(&p.plan);

	expect_rpc("PUT", "/v1/event/fire/deploy?node=web.*&service=api&tag=v1", "1609030", ROUTE_PEER_GOSSIP,
		   RPC_EVENT_FIRE,
		   "{\"name\":\"deploy\",\"payload\":\"MTYwOTAzMA==\",\"node_filter\":\"web.*\","
		   "\"service_filter\":\"api\",\"tag_filter\":\"v1\"}");
	expect_rpc("PUT", "/v1/event/fire/deploy?node=", NULL, ROUTE_PEER_GOSSIP, RPC_EVENT_FIRE,
		   "{\"name\":\"deploy\"}");
	expect_answer("PUT", "/v1/event/fire/", NULL, 400, "Missing name");
	expect_answer("PUT", "/v1/event/fire/x?dc=dc9", NULL, 500, "No path to datacenter");
	expect_answer("PUT", "/v1/event/fire/x?tag=v1", NULL, 500, "Cannot provide tag filter without service filter");
	expect_answer("GET", "/v1/event/fire/x", NULL, 405, NULL);
	expect_rpc("GET", "/v1/event/list", NULL, ROUTE_PEER_GOSSIP, RPC_EVENT_LIST, "{}");
	expect_rpc("GET", "/v1/event/list?name=deploy&index=12&wait=2s", NULL, ROUTE_PEER_GOSSIP, RPC_EVENT_LIST,
		   "{\"index\":12,\"wait_ms\":2000,\"name\":\"deploy\"}");
	expect_answer("GET", "/v1/event/list?index=x", NULL, 400, "Invalid index");
	p = plan_for("GET", "/v1/event/list", NULL);
	assert_true(p.plan.is_read);
	route_plan_free(&p.plan);

	const char *key = "{\"Key\":\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\"}";
	expect_rpc("GET", "/v1/operator/keyring", NULL, ROUTE_PEER_GOSSIP, RPC_KEYRING, "{\"op\":\"list\"}");
	expect_rpc("GET", "/v1/operator/keyring?local-only=true&relay-factor=2", NULL, ROUTE_PEER_GOSSIP, RPC_KEYRING,
		   "{\"op\":\"list\"}");
	expect_rpc("POST", "/v1/operator/keyring", key, ROUTE_PEER_GOSSIP, RPC_KEYRING,
		   "{\"op\":\"install\",\"key\":\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\"}");
	expect_rpc("PUT", "/v1/operator/keyring", key, ROUTE_PEER_GOSSIP, RPC_KEYRING,
		   "{\"op\":\"use\",\"key\":\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\"}");
	expect_rpc("DELETE", "/v1/operator/keyring", "{\"key\":\"abc=\"}", ROUTE_PEER_GOSSIP, RPC_KEYRING,
		   "{\"op\":\"remove\",\"key\":\"abc=\"}");
	expect_answer("POST", "/v1/operator/keyring", NULL, 400, "Request decode failed: EOF");
	expect_answer("PUT", "/v1/operator/keyring", "[\"k\"]", 400, "Request decode failed: expected a JSON object");
	expect_answer("POST", "/v1/operator/keyring?relay-factor=9", key, 400,
		      "Invalid relay-factor: Relay factor must be in range: [0, 5]");
	expect_answer("GET", "/v1/operator/keyring?relay-factor=x", NULL, 400,
		      "Error parsing relay factor: strconv.Atoi: parsing \"x\": invalid syntax");
	expect_answer("POST", "/v1/operator/keyring?local-only=true", key, 400,
		      "Invalid use of local-only: local-only can only be set for list requests");
	expect_answer("GET", "/v1/operator/keyring?local-only=maybe", NULL, 400,
		      "Error parsing local-only: strconv.ParseBool: parsing \"maybe\": invalid syntax");
	p = plan_for("PATCH", "/v1/operator/keyring", NULL);
	assert_int_equal(p.plan.status, 405);
	assert_string_equal(p.plan.allow, "OPTIONS,GET,POST,PUT,DELETE");
	route_plan_free(&p.plan);
}

/* What the gossip endpoints answer for gossipd's replies. */
static void test_render_gossip(void **state)
{
	struct http_response resp;
	struct planned p = plan_for("PUT", "/v1/agent/join/127.0.0.69", NULL);
	const char *joined = "{\"Joined\":1,\"Errors\":[]}";
	struct rpc_reply ok = {.status = 200, .body = joined, .body_len = strlen(joined)};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &ok, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);

	/* memberlist's multierror text, which `consul join` prints inside its error */
	const char *failed = "{\"Joined\":0,\"Errors\":[\"127.0.0.69:8301: dial tcp 127.0.0.69:8301: connect: "
			     "connection refused\"]}";
	struct rpc_reply bad = {.status = 500, .body = failed, .body_len = strlen(failed)};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &bad, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "1 error occurred:\n\t* Failed to join 127.0.0.69:8301: dial tcp "
					    "127.0.0.69:8301: connect: connection refused\n\n");
	assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
	http_response_free(&resp);
	const char *two = "{\"Joined\":0,\"Errors\":[\"a:8301: x\",\"b:8301: y\"]}";
	bad = (struct rpc_reply){.status = 500, .body = two, .body_len = strlen(two)};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &bad, &resp);
	assert_string_equal(resp.body.data,
			    "2 errors occurred:\n\t* Failed to join a:8301: x\n\t* Failed to join b:8301: y\n\n");
	http_response_free(&resp);
	/* anything else is passed on as it came */
	bad = (struct rpc_reply){.status = 400, .body = "gossipd: unknown request", .body_len = 24};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &bad, &resp);
	assert_int_equal(resp.status, 400);
	assert_string_equal(resp.body.data, "gossipd: unknown request");
	http_response_free(&resp);
	route_plan_free(&p.plan);

	p = plan_for("PUT", "/v1/agent/force-leave/ghost", NULL);
	struct rpc_reply missing = {.status = 404, .body = "no such member", .body_len = 14};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &missing, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "agent: No node found with name 'ghost'");
	http_response_free(&resp);
	struct rpc_reply done = {.status = 200, .body = "\"\"", .body_len = 2};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &done, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);
	route_plan_free(&p.plan);

	/* the event comes back as gossipd rendered it, with no query meta */
	const char *event = "{\"ID\":\"b54fe110-7af5-cafc-d1fb-afc8ba432b1c\",\"Name\":\"deploy\",\"Payload\":null,"
			    "\"NodeFilter\":\"\",\"ServiceFilter\":\"\",\"TagFilter\":\"\",\"Version\":1,\"LTime\":3}";
	struct rpc_reply fired = {.status = 200, .index = 4, .body = event, .body_len = strlen(event)};
	p = plan_for("PUT", "/v1/event/fire/deploy", NULL);
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &fired, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, event);
	assert_string_equal(resp.content_type, "application/json");
	assert_false(has_header(&resp, "X-Consul-Index"));
	http_response_free(&resp);
	route_plan_free(&p.plan);

	/* the list carries the buffer's version to block on */
	struct rpc_reply listed = {.status = 200, .index = 77, .body = "[]", .body_len = 2};
	render("GET", "/v1/event/list?name=deploy", &listed, &resp);
	assert_string_equal(resp.body.data, "[]");
	assert_true(has_header(&resp, "X-Consul-Index: 77\r\n"));
	assert_false(has_header(&resp, "X-Consul-KnownLeader"));
	http_response_free(&resp);

	/* keyring writes answer with no body; a member that did not follow is a 500 */
	const char *key = "{\"Key\":\"k\"}";
	p = plan_for("POST", "/v1/operator/keyring", key);
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &done, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	http_response_free(&resp);
	struct rpc_reply partial = {.status = 500, .body = "dc1 (LAN) error: 1/2 nodes reported failure",
				    .body_len = strlen("dc1 (LAN) error: 1/2 nodes reported failure")};
	http_response_init(&resp);
	route_render(&cfg, &p.plan, &partial, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.data, "dc1 (LAN) error: 1/2 nodes reported failure");
	http_response_free(&resp);
	route_plan_free(&p.plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reads, setup),
		cmocka_unit_test_setup(test_kv, setup),
		cmocka_unit_test_setup(test_agent_writes, setup),
		cmocka_unit_test_setup(test_catalog_writes, setup),
		cmocka_unit_test_setup(test_methods_and_paths, setup),
		cmocka_unit_test_setup(test_bad_parameters, setup),
		cmocka_unit_test_setup(test_render_json_and_meta, setup),
		cmocka_unit_test_setup(test_render_pretty, setup),
		cmocka_unit_test_setup(test_render_kv_raw, setup),
		cmocka_unit_test_setup(test_render_errors, setup),
		cmocka_unit_test_setup(test_render_agent_self, setup),
		cmocka_unit_test_setup(test_agent_ops, setup),
		cmocka_unit_test_setup(test_gossip_routes, setup),
		cmocka_unit_test_setup(test_render_gossip, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
