/* routes.c: Consul's HTTP paths, their methods, their RPCs and the rendering of replies
 * (see routes.h). Messages and statuses follow Consul's agent/http.go and its endpoints. */
#include "routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/duration.h"
#include "common/json.h"
#include "common/rpc_ops.h"
#include "common/snapshot_file.h"
#include "filter.h"
#include "version.h"

const char *const route_peer_socket[ROUTE_PEER_COUNT] = {"raft.sock", "check.sock", "gossip.sock", "control.sock"};
const char *const route_peer_name[ROUTE_PEER_COUNT] = {"raftd", "checkd", "gossipd", "agent"};

/* ---- decoding the request ---- */

static bool has_ctl(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* Decodes in[0..len) into the arena at *cursor as a NUL-terminated string. */
static const char *arena_decode(char **cursor, const char *in, size_t len, bool plus_is_space, bool allow_ctl)
{
	char *out = *cursor;
	ssize_t n = http_pct_decode(in, len, out, plus_is_space);
	if (n < 0)
		return NULL;
	if (memchr(out, '\0', (size_t)n) || (!allow_ctl && has_ctl(out, (size_t)n)))
		return NULL;
	out[n] = '\0';
	*cursor = out + n + 1;
	return out;
}

int route_request_init(struct route_request *rr, const char *method, size_t method_len, const char *target,
		       size_t target_len, const char *body, size_t body_len, char *err, size_t err_len)
{
	memset(rr, 0, sizeof *rr);
	rr->body = body;
	rr->body_len = body_len;
	struct http_url url;
	if (http_url_split(target, target_len, &url) < 0) {
		snprintf(err, err_len, "invalid request target");
		return -1;
	}
	struct http_param raw[HTTP_MAX_PARAMS];
	ssize_t np = http_query_parse(url.query.p, url.query.len, raw, HTTP_MAX_PARAMS);
	if (np < 0) {
		snprintf(err, err_len, "too many query parameters");
		return -1;
	}
	/* Decoding only shrinks, so the raw sizes (plus a NUL each) bound the arena. */
	rr->arena = malloc(method_len + 1 + url.path.len + 1 + url.query.len + 2 * HTTP_MAX_PARAMS + 2);
	if (!rr->arena) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	char *cursor = rr->arena;
	memcpy(cursor, method, method_len);
	cursor[method_len] = '\0';
	rr->method = cursor;
	cursor += method_len + 1;
	/* Consul refuses paths with unprintable characters (cleanhttp's PrintablePathCheckHandler). */
	rr->path = arena_decode(&cursor, url.path.p, url.path.len, false, false);
	if (!rr->path) {
		snprintf(err, err_len, "invalid URL path");
		route_request_free(rr);
		return -1;
	}
	for (ssize_t i = 0; i < np; i++) {
		struct route_param *p = &rr->params[rr->nparams];
		p->key = arena_decode(&cursor, raw[i].key.p, raw[i].key.len, true, true);
		p->value = p->key ? arena_decode(&cursor, raw[i].value.p, raw[i].value.len, true, true) : NULL;
		if (!p->key || !p->value) {
			snprintf(err, err_len, "invalid query string");
			route_request_free(rr);
			return -1;
		}
		p->has_value = raw[i].has_value;
		rr->nparams++;
	}
	return 0;
}

void route_request_free(struct route_request *rr)
{
	free(rr->arena);
	rr->arena = NULL;
}

const char *route_param(const struct route_request *rr, const char *key)
{
	for (size_t i = 0; i < rr->nparams; i++)
		if (strcmp(rr->params[i].key, key) == 0)
			return rr->params[i].value;
	return NULL;
}

bool route_has_param(const struct route_request *rr, const char *key)
{
	return route_param(rr, key) != NULL;
}

/* ---- plans ---- */

void route_plan_init(struct route_plan *p)
{
	memset(p, 0, sizeof *p);
	buf_init(&p->message);
	buf_init(&p->location);
	buf_init(&p->args);
}

void route_plan_free(struct route_plan *p)
{
	buf_free(&p->message);
	buf_free(&p->location);
	buf_free(&p->args);
	filter_free(p->filter);
	p->filter = NULL;
}

/* What a handler works with. */
struct route_ctx {
	const struct config *cfg;
	const struct route_request *rr;
	const char *arg; /* the path after a prefix pattern ("web" of /v1/catalog/service/web) */
	struct route_plan *p;
	struct jw w;
	bool writing;
};

static void fail(struct route_ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct route_ctx *c, int status, const char *fmt, ...)
{
	va_list ap;
	c->p->status = status;
	buf_reset(&c->p->message);
	va_start(ap, fmt);
	buf_vappendf(&c->p->message, fmt, ap);
	va_end(ap);
}

/* Go's strconv.ParseUint(s, 10, 64). */
static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return false;
	uint64_t n = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* Go's strconv.ParseBool. */
static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

/* Consul answers a request for another datacenter by forwarding it; with one datacenter
 * there is nowhere to forward to. */
static bool dc_ok(struct route_ctx *c, const char *dc)
{
	if (dc && *dc && strcasecmp(dc, c->cfg->datacenter ? c->cfg->datacenter : "dc1") != 0) {
		fail(c, 500, "No path to datacenter");
		return false;
	}
	return true;
}

static void start_args(struct route_ctx *c, enum route_peer peer, unsigned op)
{
	c->p->peer = peer;
	c->p->op = op;
	jw_init(&c->w, &c->p->args);
	c->writing = true;
	jw_obj_open(&c->w);
}

/* A read: ?dc, ?stale / ?consistent, and the blocking query's ?index and ?wait. Opens the
 * args object; returns false (with the plan failed) on a bad parameter. */
static bool begin_read(struct route_ctx *c, enum route_peer peer, unsigned op, bool dc_aware)
{
	const struct route_request *rr = c->rr;
	if (dc_aware && !dc_ok(c, route_param(rr, "dc")))
		return false;
	if (route_has_param(rr, "stale") && route_has_param(rr, "consistent")) {
		fail(c, 400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
		return false;
	}
	uint64_t wait_ms = 0, index = 0;
	const char *wait = route_param(rr, "wait"), *idx = route_param(rr, "index");
	if (wait && *wait && duration_parse_ms(wait, &wait_ms) < 0) {
		fail(c, 400, "Invalid wait time");
		return false;
	}
	if (idx && *idx && !parse_u64(idx, &index)) {
		fail(c, 400, "Invalid index");
		return false;
	}
	/* ?max_stale=<duration>: a stale read, unless the server answering has not heard from
	 * the leader for longer than that (then raftd asks the leader) */
	uint64_t max_stale_ms = 0;
	const char *max_stale = route_param(rr, "max_stale");
	if (max_stale && *max_stale && duration_parse_ms(max_stale, &max_stale_ms) < 0) {
		fail(c, 400, "Invalid max_stale value \"%s\"", max_stale);
		return false;
	}
	if (max_stale_ms && route_has_param(rr, "consistent")) {
		fail(c, 400, "Cannot specify ?max_stale with ?consistent, conflicting semantics.");
		return false;
	}
	c->p->is_read = true;
	start_args(c, peer, op);
	/* raftd picks the consistency mode: any server, the leader, or a quorum round */
	if (route_has_param(rr, "stale") || max_stale_ms) {
		jw_kv_bool(&c->w, "stale", true);
		if (max_stale_ms)
			jw_kv_u64(&c->w, "max_stale_ms", max_stale_ms);
	} else if (route_has_param(rr, "consistent")) {
		jw_kv_bool(&c->w, "consistent", true);
	}
	if (idx && *idx)
		jw_kv_u64(&c->w, "index", index);
	if (wait && *wait)
		jw_kv_u64(&c->w, "wait_ms", wait_ms);
	return true;
}

/* A read with one path argument that must not be empty. */
static bool begin_named_read(struct route_ctx *c, enum route_peer peer, unsigned op, const char *key,
			     const char *missing)
{
	if (!*c->arg) {
		fail(c, 400, "%s", missing);
		return false;
	}
	if (!begin_read(c, peer, op, true))
		return false;
	jw_kv_str(&c->w, key, c->arg);
	return true;
}

/* Checks that the body is one JSON object, as Consul's decodeBody needs, and makes it the
 * args. Returns the parsed tree (caller frees) or NULL with the plan failed. */
static yajl_val body_object(struct route_ctx *c, enum route_peer peer, unsigned op)
{
	char err[128];
	if (c->rr->body_len == 0) {
		fail(c, 400, "Request decode failed: EOF");
		return NULL;
	}
	yajl_val v = json_parse(c->rr->body, c->rr->body_len, err, sizeof err);
	if (!v) {
		fail(c, 400, "Request decode failed: %s", err);
		return NULL;
	}
	if (!YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		fail(c, 400, "Request decode failed: expected a JSON object");
		return NULL;
	}
	c->p->peer = peer;
	c->p->op = op;
	buf_append(&c->p->args, c->rr->body, c->rr->body_len);
	return v;
}

/* ---- ?filter= and ?node-meta= on list endpoints ---- */

/* Appends s as a double-quoted filter string literal. */
static void quote_filter_string(struct buf *out, const char *s)
{
	buf_append_char(out, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			buf_appendf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			buf_appendf(out, "\\x%02x", ch);
		else
			buf_append_char(out, (char)ch);
	}
	buf_append_char(out, '"');
}

/* Each ?node-meta=key:value (repeatable) as `meta_selector["key"] == "value"`: Consul keeps
 * entries whose node has every one of these pairs. */
static struct filter *node_meta_filter(const struct route_request *rr, const char *meta_selector)
{
	struct buf expr;
	buf_init(&expr);
	for (size_t i = 0; i < rr->nparams; i++) {
		if (strcmp(rr->params[i].key, "node-meta") != 0)
			continue;
		const char *pair = rr->params[i].value, *colon = strchr(pair, ':');
		char *key = strndup(pair, colon ? (size_t)(colon - pair) : strlen(pair));
		if (!key)
			break;
		buf_appendf(&expr, "%s%s[", expr.len ? " and " : "", meta_selector);
		quote_filter_string(&expr, key);
		buf_append_str(&expr, "] == ");
		quote_filter_string(&expr, colon ? colon + 1 : "");
		free(key);
	}
	char err[256];
	struct filter *f = expr.len ? filter_compile(expr.data, err, sizeof err) : NULL;
	buf_free(&expr);
	return f;
}

/* A list endpoint: compiles ?filter= (a 400 when it does not parse, as Consul's) and, where the
 * endpoint takes it, ?node-meta=. field: the member of the reply holding the list (NULL: the
 * reply is the list); meta_selector: where the entries carry their node's meta (NULL: none). */
static void list_filter(struct route_ctx *c, const char *field, const char *meta_selector)
{
	if (c->p->status)
		return;
	const char *expr = route_param(c->rr, "filter");
	char err[256];
	struct filter *f = NULL;
	if (expr && *expr && !(f = filter_compile(expr, err, sizeof err))) {
		fail(c, 400, "Failed to create boolean expression evaluator: %s", err);
		return;
	}
	if (meta_selector)
		f = filter_and(f, node_meta_filter(c->rr, meta_selector));
	c->p->filter = f;
	c->p->filter_field = field;
}

/* Every ?tag= (Consul takes it repeated, and an instance must carry them all) as "tags". */
static void tag_params(struct route_ctx *c)
{
	if (c->p->status || !route_has_param(c->rr, "tag"))
		return;
	size_t n = 0;
	jw_key(&c->w, "tags");
	jw_arr_open(&c->w);
	for (size_t i = 0; i < c->rr->nparams; i++) {
		if (strcmp(c->rr->params[i].key, "tag") || !c->rr->params[i].value[0])
			continue;
		if (++n > RPC_TAGS_MAX) {
			fail(c, 400, "More than %d ?tag= parameters", RPC_TAGS_MAX);
			return;
		}
		jw_str(&c->w, c->rr->params[i].value);
	}
	jw_arr_close(&c->w);
}

/* ---- handlers, one per Consul endpoint ---- */

static void h_status_leader(struct route_ctx *c)
{
	begin_read(c, ROUTE_PEER_RAFT, RPC_STATUS_LEADER, true);
}

static void h_status_peers(struct route_ctx *c)
{
	begin_read(c, ROUTE_PEER_RAFT, RPC_STATUS_PEERS, true);
}

static void h_agent_self(struct route_ctx *c)
{
	if (begin_read(c, ROUTE_PEER_GOSSIP, RPC_MEMBERS, false))
		c->p->render = ROUTE_RENDER_AGENT_SELF;
}

static void h_agent_services(struct route_ctx *c)
{
	if (begin_read(c, ROUTE_PEER_CHECK, RPC_AGENT_SERVICES, false))
		list_filter(c, NULL, NULL);
}

static void h_agent_service(struct route_ctx *c)
{
	if (begin_read(c, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE, false))
		jw_kv_str(&c->w, "id", c->arg);
}

static void h_agent_checks(struct route_ctx *c)
{
	if (begin_read(c, ROUTE_PEER_CHECK, RPC_AGENT_CHECKS, false))
		list_filter(c, NULL, NULL);
}

static void agent_write_id(struct route_ctx *c, unsigned op)
{
	c->p->render = ROUTE_RENDER_EMPTY;
	start_args(c, ROUTE_PEER_CHECK, op);
	jw_kv_str(&c->w, "id", c->arg);
}

static void h_agent_service_register(struct route_ctx *c)
{
	yajl_val v = body_object(c, ROUTE_PEER_CHECK, RPC_AGENT_SERVICE_REGISTER);
	c->p->render = ROUTE_RENDER_EMPTY;
	yajl_tree_free(v);
}

static void h_agent_service_deregister(struct route_ctx *c)
{
	agent_write_id(c, RPC_AGENT_SERVICE_DEREGISTER);
}

static void h_agent_check_register(struct route_ctx *c)
{
	yajl_val v = body_object(c, ROUTE_PEER_CHECK, RPC_AGENT_CHECK_REGISTER);
	c->p->render = ROUTE_RENDER_EMPTY;
	yajl_tree_free(v);
}

static void h_agent_check_deregister(struct route_ctx *c)
{
	agent_write_id(c, RPC_AGENT_CHECK_DEREGISTER);
}

/* TTL updates: ?note becomes the check's output. */
static void check_ttl(struct route_ctx *c, const char *status)
{
	agent_write_id(c, RPC_AGENT_CHECK_UPDATE);
	jw_kv_str(&c->w, "status", status);
	jw_kv_str(&c->w, "output", route_param(c->rr, "note"));
}

static void h_agent_check_pass(struct route_ctx *c)
{
	check_ttl(c, "passing");
}

static void h_agent_check_warn(struct route_ctx *c)
{
	check_ttl(c, "warning");
}

static void h_agent_check_fail(struct route_ctx *c)
{
	check_ttl(c, "critical");
}

/* PUT /v1/agent/check/update/:id with {"Status", "Output"} */
static void h_agent_check_update(struct route_ctx *c)
{
	char err[128];
	yajl_val v = c->rr->body_len ? json_parse(c->rr->body, c->rr->body_len, err, sizeof err) : NULL;
	if (!v) {
		fail(c, 400, "Request decode failed: %s", c->rr->body_len ? err : "EOF");
		return;
	}
	const char *status = json_str(json_get(v, "Status"));
	if (!status || (strcmp(status, "passing") && strcmp(status, "warning") && strcmp(status, "critical"))) {
		fail(c, 400, "Invalid check status: '%s'", status ? status : "");
		yajl_tree_free(v);
		return;
	}
	agent_write_id(c, RPC_AGENT_CHECK_UPDATE);
	jw_kv_str(&c->w, "status", status);
	jw_kv_str(&c->w, "output", json_str(json_get(v, "Output")));
	yajl_tree_free(v);
}

/* ?enable (required, a Go bool) and ?reason of the maintenance endpoints. */
static void maintenance(struct route_ctx *c, unsigned op, bool with_id)
{
	const char *raw = route_param(c->rr, "enable");
	bool enable;
	if (with_id && !*c->arg) {
		fail(c, 400, "Missing service ID");
		return;
	}
	if (!raw) {
		fail(c, 400, "Missing value for enable");
		return;
	}
	if (!parse_bool(raw, &enable)) {
		fail(c, 400, "Invalid value for enable: \"%s\"", raw);
		return;
	}
	c->p->render = ROUTE_RENDER_EMPTY;
	start_args(c, ROUTE_PEER_CHECK, op);
	if (with_id)
		jw_kv_str(&c->w, "id", c->arg);
	jw_kv_bool(&c->w, "enable", enable);
	const char *reason = route_param(c->rr, "reason");
	if (reason)
		jw_kv_str(&c->w, "reason", reason);
}

static void h_agent_maintenance(struct route_ctx *c)
{
	maintenance(c, RPC_AGENT_MAINTENANCE, false);
}

static void h_agent_service_maintenance(struct route_ctx *c)
{
	maintenance(c, RPC_AGENT_SERVICE_MAINTENANCE, true);
}

/* GET /v1/agent/health/service/name/:name and /id/:id, ?format=text. */
static void agent_health(struct route_ctx *c, const char *key, bool by_name)
{
	if (!*c->arg) {
		fail(c, 400, by_name ? "Missing service Name" : "Missing serviceID");
		return;
	}
	const char *format = route_param(c->rr, "format");
	c->p->text = format && !strcmp(format, "text");
	c->p->by_name = by_name;
	snprintf(c->p->subject, sizeof c->p->subject, "%s", c->arg);
	c->p->render = ROUTE_RENDER_AGENT_HEALTH;
	start_args(c, ROUTE_PEER_CHECK, RPC_AGENT_HEALTH_SERVICE);
	jw_kv_str(&c->w, key, c->arg);
}

static void h_agent_health_name(struct route_ctx *c)
{
	agent_health(c, "name", true);
}

static void h_agent_health_id(struct route_ctx *c)
{
	agent_health(c, "id", false);
}

/* PUT /v1/agent/reload: the supervisor re-reads the configuration and signals every role. */
static void h_agent_reload(struct route_ctx *c)
{
	c->p->render = ROUTE_RENDER_EMPTY;
	start_args(c, ROUTE_PEER_CONTROL, RPC_CONTROL_RELOAD);
}

static void catalog_write(struct route_ctx *c, unsigned op)
{
	yajl_val v = body_object(c, ROUTE_PEER_RAFT, op);
	if (v)
		dc_ok(c, json_str(json_get(v, "Datacenter")));
	yajl_tree_free(v);
}

static void h_catalog_register(struct route_ctx *c)
{
	catalog_write(c, RPC_CATALOG_REGISTER);
}

static void h_catalog_deregister(struct route_ctx *c)
{
	catalog_write(c, RPC_CATALOG_DEREGISTER);
}

static void h_catalog_datacenters(struct route_ctx *c)
{
	begin_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_DATACENTERS, false);
}

static void h_catalog_nodes(struct route_ctx *c)
{
	if (begin_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_NODES, true))
		list_filter(c, NULL, "Meta");
}

static void h_catalog_services(struct route_ctx *c)
{
	if (!route_has_param(c->rr, "filter") && !route_has_param(c->rr, "node-meta")) {
		begin_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_SERVICES, true);
		return;
	}
	/* Consul filters the service instances (ServiceNode fields, their node's meta), then lists
	 * what is left by name: ask for every instance, filter, and fold them into the map. */
	if (!begin_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_SERVICE, true))
		return;
	jw_kv_bool(&c->w, "all", true);
	list_filter(c, NULL, "NodeMeta");
	c->p->render = ROUTE_RENDER_SERVICES_MAP;
}

static void h_catalog_service(struct route_ctx *c)
{
	if (!begin_named_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_SERVICE, "name", "Missing service name"))
		return;
	list_filter(c, NULL, "NodeMeta");
	tag_params(c);
}

static void h_catalog_node(struct route_ctx *c)
{
	if (begin_named_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_NODE, "node", "Missing node name"))
		list_filter(c, "Services", NULL);
}

static void h_catalog_node_services(struct route_ctx *c)
{
	if (begin_named_read(c, ROUTE_PEER_RAFT, RPC_CATALOG_NODE_SERVICES, "node", "Missing node name"))
		list_filter(c, "Services", NULL);
}

static void h_health_service(struct route_ctx *c)
{
	bool passing = false;
	const char *pv = route_param(c->rr, "passing");
	if (pv && *pv && !parse_bool(pv, &passing)) {
		fail(c, 400, "Invalid value for ?passing");
		return;
	}
	if (pv && !*pv)
		passing = true;
	if (!begin_named_read(c, ROUTE_PEER_RAFT, RPC_HEALTH_SERVICE, "name", "Missing service name"))
		return;
	list_filter(c, NULL, "Node.Meta");
	tag_params(c);
	if (passing)
		jw_kv_bool(&c->w, "passing", true);
}

static void h_health_node(struct route_ctx *c)
{
	if (begin_named_read(c, ROUTE_PEER_RAFT, RPC_HEALTH_NODE, "node", "Missing node name"))
		list_filter(c, NULL, NULL);
}

static void h_health_checks(struct route_ctx *c)
{
	if (begin_named_read(c, ROUTE_PEER_RAFT, RPC_HEALTH_CHECKS, "service", "Missing service name"))
		list_filter(c, NULL, NULL);
}

static void h_health_state(struct route_ctx *c)
{
	if (begin_named_read(c, ROUTE_PEER_RAFT, RPC_HEALTH_STATE, "state", "Missing check state"))
		list_filter(c, NULL, NULL);
}

/* Consul answers "Conflicting flags: <the query, re-encoded>" when flags that cannot be
 * combined are given together. */
static bool conflicting(struct route_ctx *c, const char *a, const char *b, const char *d)
{
	int found = 0;
	const char *flags[] = {a, b, d};
	for (size_t i = 0; i < 3; i++)
		if (flags[i] && route_has_param(c->rr, flags[i]))
			found++;
	if (found < 2)
		return false;
	fail(c, 400, "Conflicting flags: ");
	/* Go's url.Values.Encode: keys in sorted order */
	const struct route_param *sorted[HTTP_MAX_PARAMS];
	size_t n = c->rr->nparams;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && strcmp(sorted[j - 1]->key, c->rr->params[i].key) > 0; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = &c->rr->params[i];
	}
	for (size_t i = 0; i < n; i++)
		buf_appendf(&c->p->message, "%s%s=%s", i ? "&" : "", sorted[i]->key, sorted[i]->value);
	buf_append_char(&c->p->message, '\n');
	return true;
}

/* A uint64 query parameter; Go's strconv error becomes a 500, as in Consul's KV endpoint. */
static bool u64_param(struct route_ctx *c, const char *name, uint64_t *out, bool *present)
{
	const char *v = route_param(c->rr, name);
	*present = v != NULL;
	if (v && !parse_u64(v, out)) {
		fail(c, 500, "strconv.ParseUint: parsing \"%s\": invalid syntax", v);
		return false;
	}
	return true;
}

static void kv_get(struct route_ctx *c)
{
	const struct route_request *rr = c->rr;
	bool recurse = route_has_param(rr, "recurse"), keys = route_has_param(rr, "keys");
	if (!keys && !recurse && !*c->arg) {
		fail(c, 400, "Missing key name");
		return;
	}
	if (!begin_read(c, ROUTE_PEER_RAFT, RPC_KV_GET, true))
		return;
	jw_kv_str(&c->w, "key", c->arg);
	if (keys) {
		jw_kv_bool(&c->w, "keys", true);
		/* "seperator" is Consul's historic spelling, still accepted */
		const char *sep = route_param(rr, "separator");
		if (!sep)
			sep = route_param(rr, "seperator");
		if (sep)
			jw_kv_str(&c->w, "separator", sep);
	} else if (recurse) {
		jw_kv_bool(&c->w, "recurse", true);
	} else if (route_has_param(rr, "raw")) {
		c->p->render = ROUTE_RENDER_KV_RAW;
	}
}

static void kv_put(struct route_ctx *c)
{
	if (!dc_ok(c, route_param(c->rr, "dc")))
		return;
	if (!*c->arg) {
		fail(c, 400, "Missing key name");
		return;
	}
	if (conflicting(c, "cas", "acquire", "release"))
		return;
	if (route_has_param(c->rr, "acquire") || route_has_param(c->rr, "release")) {
		fail(c, 500, "Session lookup failed: sessions are not supported by this agent");
		return;
	}
	uint64_t flags = 0, cas = 0;
	bool has_flags, has_cas;
	if (!u64_param(c, "flags", &flags, &has_flags) || !u64_param(c, "cas", &cas, &has_cas))
		return;
	start_args(c, ROUTE_PEER_RAFT, RPC_KV_PUT);
	jw_kv_str(&c->w, "key", c->arg);
	struct buf b64;
	buf_init(&b64);
	base64_encode(&b64, c->rr->body, c->rr->body_len);
	jw_key(&c->w, "value");
	jw_strn(&c->w, b64.data, b64.len);
	buf_free(&b64);
	if (has_flags)
		jw_kv_u64(&c->w, "flags", flags);
	if (has_cas)
		jw_kv_u64(&c->w, "cas", cas);
}

static void kv_delete(struct route_ctx *c)
{
	if (!dc_ok(c, route_param(c->rr, "dc")))
		return;
	if (conflicting(c, "recurse", "cas", NULL))
		return;
	bool recurse = route_has_param(c->rr, "recurse");
	if (!recurse && !*c->arg) {
		fail(c, 400, "Missing key name");
		return;
	}
	uint64_t cas = 0;
	bool has_cas;
	if (!u64_param(c, "cas", &cas, &has_cas))
		return;
	start_args(c, ROUTE_PEER_RAFT, RPC_KV_DELETE);
	jw_kv_str(&c->w, "key", c->arg);
	if (recurse)
		jw_kv_bool(&c->w, "recurse", true);
	if (has_cas)
		jw_kv_u64(&c->w, "cas", cas);
}

static void h_kv(struct route_ctx *c)
{
	if (strcmp(c->rr->method, "GET") == 0)
		kv_get(c);
	else if (strcmp(c->rr->method, "PUT") == 0)
		kv_put(c);
	else
		kv_delete(c);
}

/* ---- gossip: membership, leave, user events, keyring ---- */

/* Consul reads ?wan as "given with a non-empty value" on join and members
 * (req.URL.Query().Get("wan") != ""), and as "present at all" on force-leave. */
static bool wan_value(const struct route_ctx *c)
{
	const char *wan = route_param(c->rr, "wan");
	return wan && *wan;
}

/* GET /v1/agent/members?wan=1&segment=: this edition has no network segments, so only
 * "" and "_all" (what `consul members` sends) name the one pool (agent_endpoint.go). */
static void h_agent_members(struct route_ctx *c)
{
	const char *segment = route_param(c->rr, "segment");
	bool wan = wan_value(c);
	bool any_segment = !segment || !*segment || strcmp(segment, "_all") == 0;
	if (wan && !any_segment) {
		fail(c, 400, "Cannot provide a segment with wan=true");
		return;
	}
	if (!any_segment) {
		if (c->cfg->server || c->cfg->dev)
			fail(c, 500, "Network segments are not supported in this version of Consul");
		else
			fail(c, 500, "segment \"%s\" not found", segment);
		return;
	}
	if (!begin_read(c, ROUTE_PEER_GOSSIP, RPC_MEMBERS, false))
		return;
	if (wan)
		jw_kv_bool(&c->w, "wan", true);
	list_filter(c, NULL, NULL);
}

/* PUT /v1/agent/join/:address?wan=1: 200 and no body, or 500 with memberlist's error. */
static void h_agent_join(struct route_ctx *c)
{
	if (wan_value(c) && !c->cfg->server && !c->cfg->dev) {
		fail(c, 500, "Must be a server to join WAN cluster"); /* Consul's Agent.JoinWAN */
		return;
	}
	c->p->render = ROUTE_RENDER_JOIN;
	start_args(c, ROUTE_PEER_GOSSIP, RPC_JOIN);
	jw_key(&c->w, "addrs");
	jw_arr_open(&c->w);
	jw_str(&c->w, c->arg);
	jw_arr_close(&c->w);
	if (wan_value(c))
		jw_kv_bool(&c->w, "wan", true);
}

/* PUT /v1/agent/leave: gossipd spreads our leave; once it answers, the agent is told to
 * shut down, after the 200 is on its way (Consul's AgentLeave: Leave, then ShutdownAgent). */
static void h_agent_leave(struct route_ctx *c)
{
	c->p->render = ROUTE_RENDER_EMPTY;
	c->p->then_peer = ROUTE_PEER_CONTROL;
	c->p->then_op = RPC_CONTROL_SHUTDOWN;
	start_args(c, ROUTE_PEER_GOSSIP, RPC_LEAVE);
}

/* PUT /v1/agent/force-leave/:node?prune&wan */
static void h_agent_force_leave(struct route_ctx *c)
{
	c->p->render = ROUTE_RENDER_FORCE_LEAVE;
	snprintf(c->p->subject, sizeof c->p->subject, "%s", c->arg);
	start_args(c, ROUTE_PEER_GOSSIP, RPC_FORCE_LEAVE);
	jw_kv_str(&c->w, "node", c->arg);
	if (route_has_param(c->rr, "prune"))
		jw_kv_bool(&c->w, "prune", true);
	if (route_has_param(c->rr, "wan"))
		jw_kv_bool(&c->w, "wan", true);
}

/* Consul's validateUserEventParams: its errors are 500s. The filters' regular expressions are
 * left to gossipd, which runs them: compiling untrusted patterns here too would only add a
 * second place where a pathological one costs time. */
static bool event_filters_ok(struct route_ctx *c)
{
	const char *service = route_param(c->rr, "service"), *tag = route_param(c->rr, "tag");
	if (tag && *tag && !(service && *service)) {
		fail(c, 500, "Cannot provide tag filter without service filter");
		return false;
	}
	return true;
}

/* PUT /v1/event/fire/:name?node=&service=&tag=, the body is the payload (event_endpoint.go). */
static void h_event_fire(struct route_ctx *c)
{
	static const char *const filters[][2] = {
		{"node", "node_filter"}, {"service", "service_filter"}, {"tag", "tag_filter"}};
	if (!*c->arg) {
		fail(c, 400, "Missing name");
		return;
	}
	if (!event_filters_ok(c) || !dc_ok(c, route_param(c->rr, "dc")))
		return;
	start_args(c, ROUTE_PEER_GOSSIP, RPC_EVENT_FIRE);
	jw_kv_str(&c->w, "name", c->arg);
	if (c->rr->body_len > 0) {
		struct buf b64;
		buf_init(&b64);
		base64_encode(&b64, c->rr->body, c->rr->body_len);
		jw_key(&c->w, "payload");
		jw_strn(&c->w, b64.data, b64.len);
		buf_free(&b64);
	}
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		const char *v = route_param(c->rr, filters[i][0]);
		if (v && *v)
			jw_kv_str(&c->w, filters[i][1], v);
	}
}

/* GET /v1/event/list?name=, blocking on ?index with ?wait. */
static void h_event_list(struct route_ctx *c)
{
	if (!begin_read(c, ROUTE_PEER_GOSSIP, RPC_EVENT_LIST, false))
		return;
	c->p->index_only = true; /* Consul's EventList sets only the index */
	const char *name = route_param(c->rr, "name");
	if (name && *name)
		jw_kv_str(&c->w, "name", name);
}

/* Go's strconv.Atoi, for ?relay-factor. */
static bool parse_int(const char *s, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (!*s || *end || errno || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		return false;
	*out = n;
	return true;
}

/* GET /v1/operator/raft/configuration: raftd renders Consul's body. */
static void h_operator_raft_configuration(struct route_ctx *c)
{
	begin_read(c, ROUTE_PEER_RAFT, RPC_RAFT_CONFIGURATION, true);
}

/* DELETE /v1/operator/raft/peer?id=|address=: the leader removes that server. */
static void h_operator_raft_peer(struct route_ctx *c)
{
	const char *id = route_param(c->rr, "id"), *address = route_param(c->rr, "address");
	if ((!id || !*id) && (!address || !*address)) {
		fail(c, 400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
		return;
	}
	c->p->render = ROUTE_RENDER_EMPTY;
	start_args(c, ROUTE_PEER_RAFT, RPC_RAFT_REMOVE_PEER);
	if (id && *id)
		jw_kv_str(&c->w, "id", id);
	if (address && *address)
		jw_kv_str(&c->w, "address", address);
}

/* /v1/operator/keyring: GET lists, POST installs, PUT uses, DELETE removes {"Key"}; one
 * request covers the LAN and WAN pools, as Consul's does (operator_endpoint.go). */
static void h_operator_keyring(struct route_ctx *c)
{
	const char *method = c->rr->method;
	bool list = strcmp(method, "GET") == 0;
	const char *key = NULL;
	yajl_val body = NULL;
	if (!list) {
		char err[128];
		body = c->rr->body_len ? json_parse(c->rr->body, c->rr->body_len, err, sizeof err) : NULL;
		if (!body || !YAJL_IS_OBJECT(body)) {
			fail(c, 400, "Request decode failed: %s",
			     !c->rr->body_len ? "EOF" : body ? "expected a JSON object" : err);
			yajl_tree_free(body);
			return;
		}
		key = json_str(json_get(body, "Key"));
	}
	const char *relay = route_param(c->rr, "relay-factor");
	long n = 0;
	if (relay && *relay && !parse_int(relay, &n)) {
		fail(c, 400, "Error parsing relay factor: strconv.Atoi: parsing \"%s\": invalid syntax", relay);
		goto out;
	}
	if (relay && *relay && (n < 0 || n > 5)) {
		fail(c, 400, "Invalid relay-factor: Relay factor must be in range: [0, 5]");
		goto out;
	}
	const char *local = route_param(c->rr, "local-only");
	bool local_only = false;
	if (local && *local && !parse_bool(local, &local_only)) {
		fail(c, 400, "Error parsing local-only: strconv.ParseBool: parsing \"%s\": invalid syntax", local);
		goto out;
	}
	if (local_only && !list) {
		fail(c, 400, "Invalid use of local-only: local-only can only be set for list requests");
		goto out;
	}
	c->p->render = list ? ROUTE_RENDER_JSON : ROUTE_RENDER_EMPTY;
	start_args(c, ROUTE_PEER_GOSSIP, RPC_KEYRING);
	jw_kv_str(&c->w, "op",
		  list ? "list" : !strcmp(method, "POST") ? "install" : !strcmp(method, "PUT") ? "use" : "remove");
	if (!list)
		jw_kv_str(&c->w, "key", key ? key : "");
out:
	yajl_tree_free(body);
}

/* /v1/snapshot: GET saves (default from the leader, or ?stale from any server), the reply being
 * the snapshot file itself; PUT restores the file in the body on every server. */
static void h_snapshot(struct route_ctx *c)
{
	if (strcmp(c->rr->method, "GET") == 0) {
		if (!begin_read(c, ROUTE_PEER_RAFT, RPC_SNAPSHOT_SAVE, true))
			return;
		c->p->pretty = false; /* the body is the file, byte for byte */
		return;
	}
	if (!dc_ok(c, route_param(c->rr, "dc")))
		return;
	if (c->rr->body_len == 0) {
		fail(c, 400, "failed to restore snapshot: empty request body");
		return;
	}
	c->p->peer = ROUTE_PEER_RAFT;
	c->p->op = RPC_SNAPSHOT_RESTORE;
	c->p->render = ROUTE_RENDER_EMPTY;
	buf_append(&c->p->args, c->rr->body, c->rr->body_len); /* the file, checked by raftd */
}

/* ---- the table ---- */

struct route_def {
	const char *path;  /* exact, or a prefix when it ends in '/' (the rest is the argument) */
	const char *allow; /* Consul's Allow header: OPTIONS, then the methods the path takes */
	const char *also;  /* accepted but not advertised: python-consul 0.7.1 sends GET here */
	void (*handler)(struct route_ctx *c);
};

static const struct route_def route_table[] = {
	{"/v1/status/leader", "OPTIONS,GET", NULL, h_status_leader},
	{"/v1/status/peers", "OPTIONS,GET", NULL, h_status_peers},
	{"/v1/agent/self", "OPTIONS,GET", NULL, h_agent_self},
	{"/v1/agent/members", "OPTIONS,GET", NULL, h_agent_members},
	{"/v1/agent/services", "OPTIONS,GET", NULL, h_agent_services},
	{"/v1/agent/reload", "OPTIONS,PUT", NULL, h_agent_reload},
	{"/v1/agent/maintenance", "OPTIONS,PUT", NULL, h_agent_maintenance},
	{"/v1/agent/health/service/name/", "OPTIONS,GET", NULL, h_agent_health_name},
	{"/v1/agent/health/service/id/", "OPTIONS,GET", NULL, h_agent_health_id},
	{"/v1/agent/service/maintenance/", "OPTIONS,PUT", NULL, h_agent_service_maintenance},
	{"/v1/agent/service/", "OPTIONS,GET", NULL, h_agent_service},
	{"/v1/agent/service/register", "OPTIONS,PUT", NULL, h_agent_service_register},
	{"/v1/agent/service/deregister/", "OPTIONS,PUT", "GET", h_agent_service_deregister},
	{"/v1/agent/checks", "OPTIONS,GET", NULL, h_agent_checks},
	{"/v1/agent/check/register", "OPTIONS,PUT", NULL, h_agent_check_register},
	{"/v1/agent/check/deregister/", "OPTIONS,PUT", "GET", h_agent_check_deregister},
	{"/v1/agent/check/pass/", "OPTIONS,PUT", "GET", h_agent_check_pass},
	{"/v1/agent/check/warn/", "OPTIONS,PUT", "GET", h_agent_check_warn},
	{"/v1/agent/check/fail/", "OPTIONS,PUT", "GET", h_agent_check_fail},
	{"/v1/agent/check/update/", "OPTIONS,PUT", NULL, h_agent_check_update},
	{"/v1/catalog/register", "OPTIONS,PUT", NULL, h_catalog_register},
	{"/v1/catalog/deregister", "OPTIONS,PUT", NULL, h_catalog_deregister},
	{"/v1/catalog/datacenters", "OPTIONS,GET", NULL, h_catalog_datacenters},
	{"/v1/catalog/nodes", "OPTIONS,GET", NULL, h_catalog_nodes},
	{"/v1/catalog/services", "OPTIONS,GET", NULL, h_catalog_services},
	{"/v1/catalog/service/", "OPTIONS,GET", NULL, h_catalog_service},
	{"/v1/catalog/node/", "OPTIONS,GET", NULL, h_catalog_node},
	{"/v1/catalog/node-services/", "OPTIONS,GET", NULL, h_catalog_node_services},
	{"/v1/health/service/", "OPTIONS,GET", NULL, h_health_service},
	{"/v1/health/node/", "OPTIONS,GET", NULL, h_health_node},
	{"/v1/health/checks/", "OPTIONS,GET", NULL, h_health_checks},
	{"/v1/health/state/", "OPTIONS,GET", NULL, h_health_state},
	{"/v1/kv/", "OPTIONS,GET,PUT,DELETE", NULL, h_kv},
	{"/v1/agent/join/", "OPTIONS,PUT", "GET", h_agent_join},
	{"/v1/agent/leave", "OPTIONS,PUT", NULL, h_agent_leave},
	{"/v1/agent/force-leave/", "OPTIONS,PUT", "GET", h_agent_force_leave},
	{"/v1/event/fire/", "OPTIONS,PUT", NULL, h_event_fire},
	{"/v1/event/list", "OPTIONS,GET", NULL, h_event_list},
	{"/v1/operator/keyring", "OPTIONS,GET,POST,PUT,DELETE", NULL, h_operator_keyring},
	{"/v1/operator/raft/configuration", "OPTIONS,GET", NULL, h_operator_raft_configuration},
	{"/v1/operator/raft/peer", "OPTIONS,DELETE", NULL, h_operator_raft_peer},
	{"/v1/snapshot", "OPTIONS,GET,PUT", NULL, h_snapshot},
};

/* Is method one of the comma-separated names in list? */
static bool method_in(const char *list, const char *method)
{
	size_t mlen = strlen(method);
	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == mlen && memcmp(p, method, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static bool is_prefix_pattern(const char *pattern)
{
	return pattern[strlen(pattern) - 1] == '/';
}

/* Go's ServeMux: an exact pattern wins, else the longest prefix pattern. */
static const struct route_def *route_lookup(const char *path)
{
	const struct route_def *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < sizeof route_table / sizeof route_table[0]; i++) {
		const struct route_def *d = &route_table[i];
		size_t n = strlen(d->path);
		if (!is_prefix_pattern(d->path)) {
			if (strcmp(path, d->path) == 0)
				return d;
		} else if (strncmp(path, d->path, n) == 0 && n > best_len) {
			best = d;
			best_len = n;
		}
	}
	return best;
}

void route_plan(const struct config *cfg, const struct route_request *rr, struct route_plan *plan)
{
	struct route_ctx c = {.cfg = cfg, .rr = rr, .p = plan};
	const struct route_def *d = route_lookup(rr->path);
	if (!d) {
		/* ServeMux redirects "/v1/kv" to the subtree "/v1/kv/". */
		size_t n = strlen(rr->path);
		for (size_t i = 0; i < sizeof route_table / sizeof route_table[0]; i++) {
			const char *pat = route_table[i].path;
			if (is_prefix_pattern(pat) && strlen(pat) == n + 1 && strncmp(pat, rr->path, n) == 0) {
				plan->status = 301;
				buf_append_str(&plan->location, pat);
				return;
			}
		}
		/* Consul's index handler: "/" names the agent, anything else is a bare 404. */
		if (strcmp(rr->path, "/") == 0)
			fail(&c, 200, "Consul Agent");
		else
			plan->status = 404;
		return;
	}
	plan->matched = true;
	plan->pretty = route_has_param(rr, "pretty") || cfg->dev;
	if (strcmp(rr->method, "OPTIONS") == 0) {
		plan->status = 200;
		plan->allow = d->allow;
		return;
	}
	const char *methods = strchr(d->allow, ',') + 1;
	if (!method_in(methods, rr->method) && !method_in(d->also, rr->method)) {
		plan->allow = d->allow;
		fail(&c, 405, "method %s not allowed", rr->method);
		return;
	}
	c.arg = is_prefix_pattern(d->path) ? rr->path + strlen(d->path) : "";
	d->handler(&c);
	if (c.writing) {
		jw_obj_close(&c.w);
		jw_free(&c.w);
	}
	if (plan->status)
		buf_reset(&plan->args);
}

/* ---- rendering ---- */

static void add_vary(struct http_response *resp)
{
	/* Consul wraps every endpoint in a gzip handler, which always adds this. */
	http_response_header(resp, "Vary", "Accept-Encoding");
}

void route_render_immediate(const struct route_plan *plan, struct http_response *resp)
{
	http_response_text(resp, plan->status, plan->message.data);
	if (plan->allow)
		http_response_header(resp, "Allow", "%s", plan->allow);
	if (plan->location.len)
		http_response_header(resp, "Location", "%s", plan->location.data);
	if (plan->status != 404 && plan->status != 301 && plan->message.len == 0 && plan->status != 200)
		http_response_text(resp, plan->status, http_status_text(plan->status));
	if (plan->matched)
		add_vary(resp);
}

void route_render_peer_down(const struct route_plan *plan, bool server, struct http_response *resp)
{
	char msg[160];
	/* A client agent has no state store of its own: until it knows a server (the gossip
	 * issue), Consul's own words for that apply. */
	if (plan->peer == ROUTE_PEER_RAFT && !server)
		snprintf(msg, sizeof msg, "No known Consul servers");
	else
		snprintf(msg, sizeof msg, "rpc error making call: %s is not reachable", route_peer_name[plan->peer]);
	http_response_text(resp, 500, msg);
	add_vary(resp);
}

static void add_meta(struct http_response *resp, const struct rpc_reply *reply, bool index_only)
{
	/* Never 0: a blocking client would spin on ?index=0 (Consul's setIndex does the same). */
	http_response_header(resp, "X-Consul-Index", "%" PRIu64, reply->index ? reply->index : 1);
	if (index_only)
		return;
	http_response_header(resp, "X-Consul-KnownLeader", "%s", reply->known_leader ? "true" : "false");
	http_response_header(resp, "X-Consul-LastContact", "%" PRIu32, reply->last_contact_ms);
}

/* Re-indents a JSON body as Go's json.MarshalIndent(obj, "", "    ") does, plus the "\n"
 * Consul appends: "key": value, and empty containers stay "[]" / "{}" (yajl's beautifier
 * would split those over lines). Works on the text, so it cannot fail. */
static void indent_newline(struct buf *out, int depth)
{
	buf_append_char(out, '\n');
	for (int i = 0; i < depth; i++)
		buf_append(out, "    ", 4);
}

static void pretty_json(struct buf *out, const char *body, size_t len)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char ch = body[i];
		if (in_string) {
			buf_append_char(out, ch);
			if (ch == '\\' && i + 1 < len)
				buf_append_char(out, body[++i]);
			else if (ch == '"')
				in_string = false;
			continue;
		}
		switch (ch) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		case '"':
			in_string = true;
			buf_append_char(out, ch);
			break;
		case '{':
		case '[': {
			size_t j = i + 1;
			while (j < len && strchr(" \t\r\n", body[j]) && body[j])
				j++;
			buf_append_char(out, ch);
			if (j < len && body[j] == (ch == '{' ? '}' : ']')) {
				buf_append_char(out, body[j]);
				i = j;
			} else {
				indent_newline(out, ++depth);
			}
			break;
		}
		case '}':
		case ']':
			indent_newline(out, depth > 0 ? --depth : 0);
			buf_append_char(out, ch);
			break;
		case ',':
			buf_append_char(out, ch);
			indent_newline(out, depth);
			break;
		case ':':
			buf_append(out, ": ", 2);
			break;
		default:
			buf_append_char(out, ch);
			break;
		}
	}
	buf_append_char(out, '\n');
}

static void render_kv_raw(const struct rpc_reply *reply, struct http_response *resp)
{
	char err[128];
	yajl_val v = json_parse(reply->body, reply->body_len, err, sizeof err);
	yajl_val entry = YAJL_IS_ARRAY(v) ? json_arr_at(v, 0) : v;
	const char *value = json_str(json_get(entry, "Value"));
	if (!entry || (value && base64_decode(&resp->body, value, strlen(value)) < 0)) {
		http_response_text(resp, 500, "rpc error: malformed KV reply");
		yajl_tree_free(v);
		return;
	}
	yajl_tree_free(v);
	/* Consul serves raw values so browsers cannot run them (kvs_endpoint.go). */
	resp->content_type = "text/plain";
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	http_response_header(resp, "Content-Security-Policy", "sandbox");
}

/* Consul's /v1/agent/self: "Config" and "Member" are what the Go api client and
 * python-consul read (NodeName, Datacenter, Member.Addr); DebugConfig is a subset. */
static void render_agent_self(const struct config *cfg, const struct route_plan *plan, const struct rpc_reply *reply,
			      struct http_response *resp)
{
	char err[128];
	yajl_val members = json_parse(reply->body, reply->body_len, err, sizeof err);
	yajl_val self = NULL;
	for (size_t i = 0; i < json_arr_len(members); i++) {
		const char *name = json_str(json_get(json_arr_at(members, i), "Name"));
		if (name && cfg->node_name && strcmp(name, cfg->node_name) == 0)
			self = json_arr_at(members, i);
	}
	bool server = cfg->server || cfg->dev;
	struct buf compact;
	buf_init(&compact);
	struct jw w;
	jw_init(&w, plan->pretty ? &compact : &resp->body);
	jw_obj_open(&w);
	jw_key(&w, "Config");
	jw_obj_open(&w);
	jw_kv_str(&w, "Datacenter", cfg->datacenter);
	jw_kv_str(&w, "PrimaryDatacenter", cfg->datacenter);
	jw_kv_str(&w, "NodeName", cfg->node_name);
	jw_kv_str(&w, "NodeID", cfg->node_id);
	jw_kv_str(&w, "Revision", "");
	jw_kv_bool(&w, "Server", server);
	jw_kv_str(&w, "Version", CONSUL_VERSION);
	jw_kv_str(&w, "BuildDate", "1970-01-01T00:00:01Z");
	jw_obj_close(&w);

	jw_key(&w, "DebugConfig");
	jw_obj_open(&w);
	jw_kv_str(&w, "Datacenter", cfg->datacenter);
	jw_kv_str(&w, "NodeName", cfg->node_name);
	jw_kv_str(&w, "NodeID", cfg->node_id);
	jw_kv_bool(&w, "ServerMode", server);
	jw_kv_bool(&w, "DevMode", cfg->dev);
	jw_kv_bool(&w, "Bootstrap", cfg->bootstrap);
	jw_kv_i64(&w, "BootstrapExpect", cfg->bootstrap_expect);
	jw_kv_str(&w, "DataDir", cfg->data_dir);
	jw_kv_str(&w, "BindAddr", cfg->bind_addr);
	jw_kv_str(&w, "AdvertiseAddrLAN", cfg->advertise_addr ? cfg->advertise_addr : cfg->bind_addr);
	jw_key(&w, "ClientAddrs");
	jw_arr_open(&w);
	if (cfg->client_addr)
		jw_str(&w, cfg->client_addr);
	jw_arr_close(&w);
	jw_kv_str(&w, "DNSDomain", cfg->domain);
	jw_kv_i64(&w, "DNSPort", cfg->port_dns);
	jw_kv_i64(&w, "HTTPPort", cfg->port_http);
	jw_kv_i64(&w, "SerfPortLAN", cfg->port_serf_lan);
	jw_kv_i64(&w, "SerfPortWAN", cfg->port_serf_wan);
	jw_kv_i64(&w, "ServerPort", cfg->port_server);
	jw_kv_bool(&w, "EnableScriptChecks", cfg->enable_script_checks);
	jw_kv_str(&w, "Version", CONSUL_VERSION);
	jw_obj_close(&w);

	jw_key(&w, "Member");
	jw_value(&w, self);
	jw_obj_close(&w);
	jw_free(&w);
	yajl_tree_free(members);
	if (plan->pretty)
		pretty_json(&resp->body, compact.data, compact.len);
	buf_free(&compact);
	resp->content_type = "application/json";
}

/* Consul's agentHealthService codes: passing 200, warning 429, anything else 503. */
static int health_code(const char *status)
{
	if (status && !strcmp(status, "passing"))
		return 200;
	if (status && !strcmp(status, "warning"))
		return 429;
	return 503;
}

/* The worst of the instances' statuses sets the code (none: 404), as Consul's. */
static void render_agent_health(const struct route_plan *plan, const struct rpc_reply *reply,
				struct http_response *resp)
{
	char err[128];
	yajl_val v = json_parse(reply->body, reply->body_len, err, sizeof err);
	if (!v || (plan->by_name ? !YAJL_IS_ARRAY(v) : !YAJL_IS_OBJECT(v))) {
		yajl_tree_free(v);
		http_response_text(resp, 500, "rpc error: malformed agent health reply");
		return;
	}
	int code = 404;
	const char *status = NULL;
	size_t n = plan->by_name ? json_arr_len(v) : 1;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_str(json_get(plan->by_name ? json_arr_at(v, i) : v, "AggregatedStatus"));
		int scode = health_code(s);
		if (code == 404 || scode > code) {
			code = scode;
			status = s;
		}
	}
	resp->status = code;
	if (plan->text) {
		resp->content_type = "text/plain";
		if (status)
			buf_append_str(&resp->body, status);
		else
			buf_appendf(&resp->body, "ServiceName %s Not Found", plan->subject);
	} else {
		resp->content_type = "application/json";
		if (plan->pretty)
			pretty_json(&resp->body, reply->body, reply->body_len);
		else
			buf_append(&resp->body, reply->body, reply->body_len);
	}
	yajl_tree_free(v);
}

/* A failed join: Consul answers 500 with memberlist's multierror text, one line per address
 * ("1 error occurred:\n\t* Failed to join 10.0.0.9:8301: ...\n\n"). gossipd's reply is
 * {"Joined":0,"Errors":["addr: reason",...]}. Returns false if the body is not that object. */
static bool render_join_failure(const struct rpc_reply *reply, struct http_response *resp)
{
	char err[128];
	yajl_val v = json_parse(reply->body, reply->body_len, err, sizeof err);
	yajl_val errors = json_get(v, "Errors");
	size_t n = json_arr_len(errors);
	if (!YAJL_IS_OBJECT(v) || n == 0) {
		yajl_tree_free(v);
		return false;
	}
	resp->status = (int)reply->status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_appendf(&resp->body, "%zu error%s occurred:\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		const char *e = json_str(json_arr_at(errors, i));
		buf_appendf(&resp->body, "%s\t* Failed to join %s", i ? "\n" : "", e ? e : "unknown error");
	}
	buf_append_str(&resp->body, "\n\n");
	yajl_tree_free(v);
	return true;
}

/* A list reply through the plan's filter; X-Consul-Index stays the reply's, so blocking
 * queries behave as without a filter. */
static void render_filtered(const struct route_plan *plan, const struct rpc_reply *reply, struct http_response *resp)
{
	struct buf filtered;
	buf_init(&filtered);
	if (filter_apply(plan->filter, reply->body, reply->body_len, plan->filter_field, &filtered) < 0) {
		buf_free(&filtered);
		http_response_text(resp, 500, "rpc error: malformed reply");
		return;
	}
	if (plan->pretty)
		pretty_json(&resp->body, filtered.data, filtered.len);
	else
		buf_append(&resp->body, filtered.data, filtered.len);
	buf_free(&filtered);
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Folds a list of service instances (sorted by name, as raftd lists them) into
 * /v1/catalog/services' map: each name with the union of its instances' tags, sorted. */
static int fold_services(const char *list, size_t len, bool pretty, struct buf *out)
{
	char err[128];
	yajl_val v = json_parse(list, len, err, sizeof err);
	if (!YAJL_IS_ARRAY(v)) {
		yajl_tree_free(v);
		return -1;
	}
	struct buf body;
	buf_init(&body);
	struct jw w;
	jw_init(&w, &body);
	jw_obj_open(&w);
	size_t n = json_arr_len(v);
	const char **tags = calloc(1, sizeof *tags);
	size_t ntags = 0, cap = 1;
	for (size_t i = 0; i < n && tags;) {
		const char *name = json_str(json_get(json_arr_at(v, i), "ServiceName"));
		ntags = 0;
		for (; i < n && tags; i++) {
			yajl_val inst = json_arr_at(v, i);
			const char *other = json_str(json_get(inst, "ServiceName"));
			if (!name || !other || strcmp(name, other))
				break;
			yajl_val t = json_get(inst, "ServiceTags");
			for (size_t k = 0; k < json_arr_len(t) && tags; k++) {
				if (ntags == cap) {
					const char **more = realloc(tags, 2 * cap * sizeof *tags);
					if (!more) {
						free(tags);
						tags = NULL;
						break;
					}
					tags = more;
					cap *= 2;
				}
				tags[ntags++] = json_str(json_arr_at(t, k)) ? json_str(json_arr_at(t, k)) : "";
			}
		}
		if (!name) {
			i++;
			continue;
		}
		if (tags && ntags)
			qsort(tags, ntags, sizeof *tags, str_ptr_cmp);
		jw_key(&w, name);
		jw_arr_open(&w);
		for (size_t k = 0; tags && k < ntags; k++)
			if (k == 0 || strcmp(tags[k], tags[k - 1]))
				jw_str(&w, tags[k]);
		jw_arr_close(&w);
	}
	jw_obj_close(&w);
	jw_free(&w);
	int rc = tags ? 0 : -1;
	free(tags);
	yajl_tree_free(v);
	if (rc == 0) {
		if (pretty)
			pretty_json(out, body.data, body.len);
		else
			buf_append(out, body.data, body.len);
	}
	buf_free(&body);
	return rc;
}

static void render_services_map(const struct route_plan *plan, const struct rpc_reply *reply,
				struct http_response *resp)
{
	struct buf filtered;
	buf_init(&filtered);
	resp->content_type = "application/json";
	if ((plan->filter && filter_apply(plan->filter, reply->body, reply->body_len, NULL, &filtered) < 0) ||
	    fold_services(plan->filter ? filtered.data : reply->body, plan->filter ? filtered.len : reply->body_len,
			  plan->pretty, &resp->body) < 0)
		http_response_text(resp, 500, "rpc error: malformed reply");
	buf_free(&filtered);
}

void route_render(const struct config *cfg, const struct route_plan *plan, const struct rpc_reply *reply,
		  struct http_response *resp)
{
	if (reply->status == 503) {
		char msg[256];
		snprintf(msg, sizeof msg, "rpc error making call: %s: %.*s", route_peer_name[plan->peer],
			 (int)(reply->body_len > 160 ? 160 : reply->body_len), reply->body ? reply->body : "");
		http_response_text(resp, 500, msg);
		add_vary(resp);
		return;
	}
	add_vary(resp);
	if (plan->is_read && (reply->status == 200 || reply->status == 404))
		add_meta(resp, reply, plan->index_only);
	if (plan->render == ROUTE_RENDER_JOIN && reply->status != 200 && render_join_failure(reply, resp))
		return;
	if (plan->render == ROUTE_RENDER_FORCE_LEAVE && reply->status == 404) {
		/* Consul's RemoveFailedNode error, which its HTTP layer answers as a 500 */
		char msg[sizeof plan->subject + 64];
		snprintf(msg, sizeof msg, "agent: No node found with name '%s'", plan->subject);
		http_response_text(resp, 500, msg);
		return;
	}
	if (reply->status != 200) {
		resp->status = (int)reply->status;
		if (reply->body_len) {
			resp->content_type = "text/plain; charset=utf-8";
			buf_append(&resp->body, reply->body, reply->body_len);
		}
		return;
	}
	resp->status = 200;
	switch (plan->render) {
	case ROUTE_RENDER_EMPTY:
	case ROUTE_RENDER_JOIN:
	case ROUTE_RENDER_FORCE_LEAVE:
		break;
	case ROUTE_RENDER_SERVICES_MAP:
		render_services_map(plan, reply, resp);
		break;
	case ROUTE_RENDER_KV_RAW:
		render_kv_raw(reply, resp);
		break;
	case ROUTE_RENDER_AGENT_SELF:
		render_agent_self(cfg, plan, reply, resp);
		break;
	case ROUTE_RENDER_AGENT_HEALTH:
		render_agent_health(plan, reply, resp);
		break;
	case ROUTE_RENDER_JSON:
		/* a saved snapshot is our file format, not Consul's gzipped tar: not labelled as one */
		resp->content_type = plan->op == RPC_SNAPSHOT_SAVE ? "application/octet-stream" : "application/json";
		if (plan->filter)
			render_filtered(plan, reply, resp);
		else if (plan->pretty)
			pretty_json(&resp->body, reply->body, reply->body_len);
		else
			buf_append(&resp->body, reply->body, reply->body_len);
		break;
	}
}
