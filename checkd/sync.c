/* sync.c: anti-entropy into the catalog (Consul's agent/local State.SyncFull/SyncChanges),
 * one RPC at a time on the raft.sock client. */
#include "sync.h"

#include <errno.h>
#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/duration.h"
#include "common/json.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/rpc_ops.h"

/* Entries the servers own on every node (structs.SerfCheckID, structs.ConsulServiceID). */
#define SERF_CHECK_ID "serfHealth"
#define CONSUL_SERVICE_ID "consul"

enum sync_step {
	STEP_IDLE,
	STEP_READ_SERVICES,
	STEP_READ_CHECKS,
	STEP_PUSH,
};

struct sync {
	struct ev_loop *loop;
	struct rpc_client *raft;
	struct local_state *ls;
	struct sync_node node;
	ev_timer soon;  /* coalesces local changes, and carries retries */
	ev_timer full;  /* periodic full sync, re-armed with a stagger each time */
	uint64_t full_base_ms;
	size_t cluster_size;
	ev_timer watch; /* notices raftd coming back */
	enum sync_step step;
	int64_t call;
	bool want_full;
	bool was_connected;
	bool failing;
	uint32_t backoff_ms;
};

/* --- pure: request bodies and diffs --- */

static void write_node_fields(struct jw *w, const struct sync_node *node)
{
	jw_kv_str(w, "Datacenter", node->datacenter);
	jw_kv_str(w, "ID", node->node_id);
	jw_kv_str(w, "Node", node->node_name);
	jw_kv_str(w, "Address", node->address);
	/* What a Consul agent registers for itself by default (agent.go syncNodeInfo). */
	jw_key(w, "TaggedAddresses");
	jw_obj_open(w);
	jw_kv_str(w, "lan", node->address);
	jw_kv_str(w, "lan_ipv4", node->address);
	jw_kv_str(w, "wan", node->address);
	jw_kv_str(w, "wan_ipv4", node->address);
	jw_obj_close(w);
	jw_key(w, "NodeMeta");
	jw_obj_open(w);
	jw_kv_str(w, "consul-network-segment", "");
	jw_obj_close(w);
}

static void write_service(struct jw *w, const struct ls_service *s)
{
	const struct service_def *d = &s->def;
	jw_obj_open(w);
	if (d->kind)
		jw_kv_str(w, "Kind", d->kind);
	jw_kv_str(w, "ID", d->id);
	jw_kv_str(w, "Service", d->name);
	jw_key(w, "Tags");
	ls_write_strv(w, d->tags, d->ntags);
	jw_kv_str(w, "Address", d->address);
	if (d->ntagged) {
		jw_key(w, "TaggedAddresses");
		jw_obj_open(w);
		for (size_t i = 0; i < d->ntagged; i++) {
			jw_key(w, d->tagged[i].name);
			jw_obj_open(w);
			jw_kv_str(w, "Address", d->tagged[i].address);
			jw_kv_i64(w, "Port", d->tagged[i].port);
			jw_obj_close(w);
		}
		jw_obj_close(w);
	}
	jw_key(w, "Meta");
	jw_obj_open(w);
	for (size_t i = 0; i < d->nmeta; i++)
		jw_kv_str(w, d->meta[i].key, d->meta[i].value);
	jw_obj_close(w);
	jw_kv_i64(w, "Port", d->port);
	jw_key(w, "Weights");
	jw_obj_open(w);
	jw_kv_i64(w, "Passing", d->weight_passing);
	jw_kv_i64(w, "Warning", d->weight_warning);
	jw_obj_close(w);
	jw_kv_bool(w, "EnableTagOverride", d->enable_tag_override);
	jw_obj_close(w);
}

static void write_check(struct jw *w, const struct sync_node *node, const struct local_state *ls,
			const struct ls_check *c)
{
	jw_obj_open(w);
	ls_write_check_head(w, ls, node->node_name, c);
	jw_kv_str(w, "Type", check_kind_name(c->def.kind));
	ls_write_duration(w, "Interval", c->def.interval_ms);
	ls_write_duration(w, "Timeout", c->def.timeout_ms);
	jw_key(w, "Definition");
	jw_obj_open(w);
	jw_obj_close(w);
	jw_obj_close(w);
}

int sync_render_register(const struct sync_node *node, const struct local_state *ls, const struct ls_service *svc,
			 const struct ls_check *check, bool skip_node_update, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	write_node_fields(&w, node);
	if (check && check->def.service_id && !svc)
		svc = ls_service_get(ls, check->def.service_id);
	if (svc) {
		jw_key(&w, "Service");
		write_service(&w, svc);
	}
	if (check) {
		jw_key(&w, "Check");
		write_check(&w, node, ls, check);
	} else if (svc) {
		jw_key(&w, "Checks");
		jw_arr_open(&w);
		for (size_t i = 0; i < ls->nchecks; i++) {
			const struct ls_check *c = ls->checks[i];
			if (c->def.service_id && !strcmp(c->def.service_id, svc->def.id))
				write_check(&w, node, ls, c);
		}
		jw_arr_close(&w);
	}
	jw_kv_bool(&w, "SkipNodeUpdate", skip_node_update);
	jw_obj_close(&w);
	jw_free(&w);
	return 0;
}

static bool str_eq(yajl_val v, const char *want)
{
	const char *s = json_str(v);
	if (!want)
		want = "";
	return s ? !strcmp(s, want) : !*want && (!v || YAJL_IS_NULL(v));
}

static bool int_eq(yajl_val v, int64_t want)
{
	int64_t n;
	return json_i64(v, &n) ? n == want : want == 0 && (!v || YAJL_IS_NULL(v));
}

static bool strv_eq(yajl_val v, char *const *want, size_t n)
{
	if (!v || YAJL_IS_NULL(v))
		return n == 0;
	if (!YAJL_IS_ARRAY(v) || v->u.array.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!str_eq(v->u.array.values[i], want[i]))
			return false;
	return true;
}

static bool meta_eq(yajl_val v, const struct service_def *d)
{
	if (!v || YAJL_IS_NULL(v))
		return d->nmeta == 0;
	if (!YAJL_IS_OBJECT(v) || v->u.object.len != d->nmeta)
		return false;
	for (size_t i = 0; i < d->nmeta; i++) {
		/* Exact key match: json_get would also match keys differing in case. */
		bool found = false;
		for (size_t j = 0; j < v->u.object.len && !found; j++)
			if (!strcmp(v->u.object.keys[j], d->meta[i].key))
				found = str_eq(v->u.object.values[j], d->meta[i].value);
		if (!found)
			return false;
	}
	return true;
}

static bool service_matches(yajl_val remote, const struct service_def *d)
{
	yajl_val weights = json_get(remote, "Weights");
	return str_eq(json_get(remote, "Service"), d->name) && strv_eq(json_get(remote, "Tags"), d->tags, d->ntags) &&
	       str_eq(json_get(remote, "Address"), d->address) && int_eq(json_get(remote, "Port"), d->port) &&
	       meta_eq(json_get(remote, "Meta"), d) &&
	       json_is_true(json_get(remote, "EnableTagOverride")) == d->enable_tag_override &&
	       (!weights || (int_eq(json_get(weights, "Passing"), d->weight_passing) &&
			     int_eq(json_get(weights, "Warning"), d->weight_warning)));
}

static bool node_matches(yajl_val remote, const struct sync_node *node)
{
	if (!remote || !YAJL_IS_OBJECT(remote))
		return false;
	const char *id = json_str(json_get(remote, "ID"));
	if (node->node_id && (!id || strcasecmp(id, node->node_id)))
		return false;
	yajl_val tagged = json_get(remote, "TaggedAddresses");
	return str_eq(json_get(remote, "Address"), node->address) && str_eq(json_get(tagged, "lan"), node->address) &&
	       str_eq(json_get(tagged, "wan"), node->address);
}

bool sync_diff_services(struct local_state *ls, const struct sync_node *node, yajl_val body)
{
	for (size_t i = 0; i < ls->nservices; i++)
		ls->services[i]->in_sync = false;
	yajl_val services = json_get(body, "Services");
	size_t n = 0;
	if (YAJL_IS_ARRAY(services))
		n = services->u.array.len;
	else if (YAJL_IS_OBJECT(services))
		n = services->u.object.len;
	for (size_t i = 0; i < n; i++) {
		yajl_val r = YAJL_IS_ARRAY(services) ? services->u.array.values[i] : services->u.object.values[i];
		const char *id = json_str(json_get(r, "ID"));
		if (!id || !strcmp(id, CONSUL_SERVICE_ID))
			continue;
		struct ls_service *local = ls_service_get(ls, id);
		if (!local) {
			ls_strs_add(&ls->deleted_services, id);
			continue;
		}
		local->in_sync = service_matches(r, &local->def);
	}
	return node_matches(json_get(body, "Node"), node);
}

void sync_diff_checks(struct local_state *ls, yajl_val body)
{
	for (size_t i = 0; i < ls->nchecks; i++)
		ls->checks[i]->in_sync = false;
	if (!YAJL_IS_ARRAY(body))
		return;
	for (size_t i = 0; i < body->u.array.len; i++) {
		yajl_val r = body->u.array.values[i];
		const char *id = json_str(json_get(r, "CheckID"));
		const char *service_id = json_str(json_get(r, "ServiceID"));
		if (!id || !strcmp(id, SERF_CHECK_ID) || (service_id && !strcmp(service_id, CONSUL_SERVICE_ID)))
			continue;
		struct ls_check *local = ls_check_get(ls, id);
		if (!local) {
			/* A catalog-only service takes its checks with it when deregistered. */
			if (!service_id || !*service_id || ls_service_get(ls, service_id))
				ls_strs_add(&ls->deleted_checks, id);
			continue;
		}
		local->in_sync = str_eq(json_get(r, "Status"), local->status) &&
				 str_eq(json_get(r, "Output"), local->output) &&
				 str_eq(json_get(r, "Name"), local->def.name) &&
				 str_eq(json_get(r, "Notes"), local->def.notes) &&
				 str_eq(json_get(r, "ServiceID"), local->def.service_id);
	}
}

/* --- the shell: one RPC at a time --- */

static void step(struct sync *s);

static void schedule(struct sync *s, uint32_t delay_ms)
{
	ev_timer_stop(s->loop, &s->soon);
	ev_timer_set(&s->soon, delay_ms / 1000.0, 0.);
	ev_timer_start(s->loop, &s->soon);
}

/* Something failed: start over with a full sync after a backoff. */
static void failed(struct sync *s, const char *what, uint32_t status, const char *body, size_t len)
{
	if (!s->failing)
		log_warnx("sync: %s failed (%u: %.*s); retrying", what, status, (int)(len > 200 ? 200 : len),
			  body ? body : "");
	else
		log_debug("sync: %s failed again (%u)", what, status);
	s->failing = true;
	s->step = STEP_IDLE;
	s->want_full = true;
	ls_mark_all_dirty(s->ls);
	s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : SYNC_RETRY_MIN_MS;
	if (s->backoff_ms > SYNC_RETRY_MAX_MS)
		s->backoff_ms = SYNC_RETRY_MAX_MS;
	schedule(s, s->backoff_ms);
}

static void succeeded(struct sync *s)
{
	if (s->failing)
		log_info("sync: catalog reachable again");
	s->failing = false;
	s->backoff_ms = 0;
}

static void call(struct sync *s, unsigned op, struct buf *args, rpc_reply_cb cb, const char *what)
{
	int64_t id = rpc_call(s->raft, op, args->data ? args->data : "{}", args->data ? args->len : 2, cb, s);
	buf_free(args);
	if (id < 0) {
		failed(s, what, 503, id == -ENOTCONN ? "raftd not connected" : "cannot send", 0);
		return;
	}
	s->call = id;
}

static void on_push_reply(void *arg, const struct rpc_reply *r)
{
	struct sync *s = arg;
	s->call = 0;
	/* Deregistering what is already gone is fine. */
	if (r->status != 200 && r->status != 404) {
		failed(s, "catalog update", r->status, r->body, r->body_len);
		return;
	}
	succeeded(s);
	step(s);
}

static void on_checks_reply(void *arg, const struct rpc_reply *r)
{
	struct sync *s = arg;
	s->call = 0;
	if (r->status != 200) {
		failed(s, "reading the node's checks", r->status, r->body, r->body_len);
		return;
	}
	char err[128];
	yajl_val body = json_parse(r->body ? r->body : "null", r->body ? r->body_len : 4, err, sizeof err);
	if (!body) {
		failed(s, "reading the node's checks", 500, err, strlen(err));
		return;
	}
	sync_diff_checks(s->ls, body);
	yajl_tree_free(body);
	s->want_full = false;
	s->step = STEP_PUSH;
	step(s);
}

static void on_services_reply(void *arg, const struct rpc_reply *r)
{
	struct sync *s = arg;
	s->call = 0;
	yajl_val body = NULL;
	if (r->status == 200) {
		char err[128];
		body = json_parse(r->body ? r->body : "null", r->body ? r->body_len : 4, err, sizeof err);
		if (!body) {
			failed(s, "reading the node's services", 500, err, strlen(err));
			return;
		}
	} else if (r->status != 404) {
		failed(s, "reading the node's services", r->status, r->body, r->body_len);
		return;
	}
	/* 404 or a null node: not in the catalog yet, everything is to be sent. */
	s->ls->node_in_sync = sync_diff_services(s->ls, &s->node, body);
	yajl_tree_free(body);
	s->step = STEP_READ_CHECKS;
	struct buf args;
	buf_init(&args);
	buf_appendf(&args, "{\"node\":");
	json_quote(&args, s->node.node_name, strlen(s->node.node_name));
	buf_append_char(&args, '}');
	call(s, RPC_HEALTH_NODE, &args, on_checks_reply, "reading the node's checks");
}

static void deregister(struct sync *s, const char *field, const char *id)
{
	struct buf args;
	buf_init(&args);
	struct jw w;
	jw_init(&w, &args);
	jw_obj_open(&w);
	jw_kv_str(&w, "Datacenter", s->node.datacenter);
	jw_kv_str(&w, "Node", s->node.node_name);
	jw_kv_str(&w, field, id);
	jw_obj_close(&w);
	jw_free(&w);
	log_debug("sync: deregistering %s %s", field, id);
	call(s, RPC_CATALOG_DEREGISTER, &args, on_push_reply, "catalog deregister");
}

static void push(struct sync *s, const struct ls_service *svc, const struct ls_check *check, const char *what)
{
	struct buf args;
	buf_init(&args);
	/* Node fields ride along on every registration; only the node's own one applies them. */
	sync_render_register(&s->node, s->ls, svc, check, svc || check, &args);
	call(s, RPC_CATALOG_REGISTER, &args, on_push_reply, what);
}

/* Sends the next thing that is out of sync. Entries are marked in sync when sent: a change
 * while the request is in flight clears the mark again, and a failure marks everything. */
static void push_next(struct sync *s)
{
	struct local_state *ls = s->ls;
	if (!ls->node_in_sync) {
		ls->node_in_sync = true;
		push(s, NULL, NULL, "node registration");
		return;
	}
	if (ls->deleted_services.n) {
		char *id = ls->deleted_services.items[--ls->deleted_services.n];
		deregister(s, "ServiceID", id);
		free(id);
		return;
	}
	if (ls->deleted_checks.n) {
		char *id = ls->deleted_checks.items[--ls->deleted_checks.n];
		deregister(s, "CheckID", id);
		free(id);
		return;
	}
	for (size_t i = 0; i < ls->nservices; i++) {
		struct ls_service *svc = ls->services[i];
		if (svc->in_sync)
			continue;
		svc->in_sync = true;
		for (size_t j = 0; j < ls->nchecks; j++)
			if (ls->checks[j]->def.service_id && !strcmp(ls->checks[j]->def.service_id, svc->def.id))
				ls->checks[j]->in_sync = true;
		push(s, svc, NULL, "service registration");
		return;
	}
	for (size_t i = 0; i < ls->nchecks; i++) {
		struct ls_check *c = ls->checks[i];
		if (c->in_sync)
			continue;
		c->in_sync = true;
		push(s, NULL, c, "check registration");
		return;
	}
	s->step = STEP_IDLE;
	log_debug("sync: in sync");
}

static void step(struct sync *s)
{
	if (s->call)
		return; /* the reply continues */
	if (s->want_full && s->step != STEP_READ_CHECKS) {
		s->step = STEP_READ_SERVICES;
		struct buf args;
		buf_init(&args);
		buf_appendf(&args, "{\"node\":");
		json_quote(&args, s->node.node_name, strlen(s->node.node_name));
		buf_append_char(&args, '}');
		call(s, RPC_CATALOG_NODE_SERVICES, &args, on_services_reply, "reading the node's services");
		return;
	}
	s->step = STEP_PUSH;
	push_next(s);
}

static void on_soon(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sync *s = w->data;
	if (s->step == STEP_IDLE)
		step(s);
}

unsigned sync_scale_factor(size_t members)
{
	unsigned factor = 1;
	/* ceil(log2(members) - log2(threshold)) + 1, in integers */
	for (size_t limit = SYNC_SCALE_THRESHOLD; members > limit; limit *= 2) {
		factor++;
		if (limit > SIZE_MAX / 2)
			break;
	}
	return factor;
}

uint64_t sync_next_full_ms(uint64_t base_ms, size_t members, uint32_t random_u32)
{
	uint64_t spread = base_ms * sync_scale_factor(members);
	return base_ms + (spread ? random_u32 % spread : 0);
}

static void arm_full(struct sync *s)
{
	uint64_t ms = sync_next_full_ms(s->full_base_ms, s->cluster_size, (uint32_t)random());
	ev_timer_stop(s->loop, &s->full);
	ev_timer_set(&s->full, (double)ms / 1000.0, 0.);
	ev_timer_start(s->loop, &s->full);
}

void sync_set_cluster_size(struct sync *s, size_t members)
{
	if (sync_scale_factor(members) != sync_scale_factor(s->cluster_size))
		log_info("anti-entropy: %zu members, full sync every %.0f s plus up to %u times that",
			 members, (double)s->full_base_ms / 1000.0, sync_scale_factor(members));
	s->cluster_size = members;
}

static void on_full(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sync *s = w->data;
	arm_full(s);
	s->want_full = true;
	if (s->step == STEP_IDLE)
		step(s);
}

static void on_watch(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sync *s = w->data;
	bool connected = rpc_client_connected(s->raft);
	/* raftd restarted (in -dev its store starts empty): resync at once. */
	if (connected && !s->was_connected) {
		s->want_full = true;
		s->backoff_ms = 0;
		if (s->step == STEP_IDLE)
			schedule(s, 0);
	}
	s->was_connected = connected;
}

struct sync *sync_new(struct ev_loop *loop, struct rpc_client *raft, struct local_state *ls, const struct config *cfg)
{
	struct sync *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->loop = loop;
	s->raft = raft;
	s->ls = ls;
	s->node.node_name = cfg->node_name ? cfg->node_name : "";
	s->node.node_id = cfg->node_id;
	s->node.address = cfg->advertise_addr ? cfg->advertise_addr : cfg->bind_addr;
	s->node.datacenter = cfg->datacenter ? cfg->datacenter : "dc1";
	s->want_full = true;
	ev_timer_init(&s->soon, on_soon, 0., 0.);
	s->soon.data = s;
	/* The config key ae_interval; the older environment knob still overrides it. */
	s->full_base_ms = cfg->ae_interval_ms;
	const char *env = getenv("CONSUL_AE_INTERVAL");
	uint64_t env_ms;
	if (env && *env && duration_parse_ms(env, &env_ms) == 0)
		s->full_base_ms = env_ms;
	if (s->full_base_ms < SYNC_FULL_INTERVAL_MIN_MS)
		s->full_base_ms = SYNC_FULL_INTERVAL_MIN_MS;
	s->cluster_size = 1;
	ev_init(&s->full, on_full);
	s->full.data = s;
	arm_full(s);
	ev_timer_init(&s->watch, on_watch, 0.25, 0.25);
	s->watch.data = s;
	ev_timer_start(loop, &s->watch);
	return s;
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	if (s->call)
		rpc_cancel(s->raft, s->call);
	ev_timer_stop(s->loop, &s->soon);
	ev_timer_stop(s->loop, &s->full);
	ev_timer_stop(s->loop, &s->watch);
	free(s);
}

void sync_changed(struct sync *s)
{
	if (s->step != STEP_IDLE || ev_is_active(&s->soon))
		return; /* a pass in progress (or a retry) picks the change up */
	schedule(s, SYNC_COALESCE_MS);
}
