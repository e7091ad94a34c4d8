/* gossipd.c: the membership role. It runs the LAN pool (and the WAN pool on servers) and
 * serves gossip.sock: members (also as a blocking subscription), join, leave, force-leave,
 * user events and the keyring (keyring_ops.c). */
#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "random.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "gossipd.h"
#include "join.h"
#include "json.h"
#include "log.h"
#include "members.h"
#include "privdrop.h"
#include "rejoin.h"
#include "rpc.h"
#include "rpc_ops.h"

#define WAIT_DEFAULT_MS 300000u
#define WAIT_MAX_MS 600000u
#define LEAVE_WAIT_S 3.0  /* under the supervisor's 5 s stop timeout */
#define SNAPSHOT_DELAY_S 1.0

enum waiter_kind { WAIT_MEMBERS, WAIT_EVENTS };

struct waiter {
	struct gossipd *g;
	struct rpc_req *req;
	enum waiter_kind kind;
	bool wan;
	char *name;       /* events: ?name= */
	uint64_t index;
	ev_timer timer;
	struct waiter *prev, *next;
};

struct leave_req {
	struct rpc_req *req;
	struct leave_req *next;
};

/* ---- replies ---- */

static void reply_json(struct rpc_req *req, uint32_t status, uint64_t index, const struct buf *body)
{
	struct rpc_reply r = {.status = status, .known_leader = true, .index = index, .body = body->data,
			      .body_len = body->len};
	rpc_reply_send(req, &r);
}

static void reply_text(struct rpc_req *req, uint32_t status, const char *msg)
{
	rpc_reply_simple(req, status, 1, msg, strlen(msg));
}

static void render_members(struct gossipd *g, bool wan, struct buf *out)
{
	struct members m;
	members_init(&m);
	struct pool *p = wan ? g->wan : g->lan;
	if (p && members_from_swim(&m, pool_swim(p), g->leaving) < 0)
		log_warnx("members: out of memory");
	members_render(&m, out);
	members_free(&m);
}

/* ---- blocking queries ---- */

static uint64_t waiter_version(const struct gossipd *g, enum waiter_kind kind)
{
	return kind == WAIT_MEMBERS ? g->members_version : g->events.version;
}

static void waiter_unlink(struct waiter *w)
{
	struct gossipd *g = w->g;
	if (w->prev)
		w->prev->next = w->next;
	else
		g->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	ev_timer_stop(g->loop, &w->timer);
}

static void answer_members(struct gossipd *g, struct rpc_req *req, bool wan)
{
	struct buf out;
	buf_init(&out);
	render_members(g, wan, &out);
	reply_json(req, 200, g->members_version, &out);
	buf_free(&out);
}

static void answer_events(struct gossipd *g, struct rpc_req *req, const char *name)
{
	struct buf out;
	buf_init(&out);
	event_log_render(&g->events, name, &out);
	reply_json(req, 200, g->events.version ? g->events.version : 1, &out);
	buf_free(&out);
}

static void waiter_answer(struct waiter *w)
{
	waiter_unlink(w);
	if (w->kind == WAIT_MEMBERS)
		answer_members(w->g, w->req, w->wan);
	else
		answer_events(w->g, w->req, w->name);
	free(w->name);
	free(w);
}

static void waiter_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	waiter_answer(t->data);
}

static void waiter_abandon_cb(void *arg, struct rpc_req *req)
{
	(void)req;
	struct waiter *w = arg;
	waiter_unlink(w);
	free(w->name);
	free(w);
}

void gossipd_wake(struct gossipd *g, enum gossipd_change what)
{
	if (what == GOSSIPD_MEMBERS_CHANGED)
		g->members_version++;
	enum waiter_kind kind = what == GOSSIPD_MEMBERS_CHANGED ? WAIT_MEMBERS : WAIT_EVENTS;
	struct waiter *w = g->waiters;
	while (w) {
		struct waiter *next = w->next;
		if (w->kind == kind && waiter_version(g, kind) > w->index)
			waiter_answer(w);
		w = next;
	}
}

/* Answers now, or holds the request while the asked-for index is current. */
static void read_or_wait(struct gossipd *g, struct rpc_req *req, yajl_val args, enum waiter_kind kind)
{
	bool wan = json_is_true(json_get(args, "wan"));
	const char *name = json_str(json_get(args, "name"));
	uint64_t index = 0, wait_ms = WAIT_DEFAULT_MS;
	json_u64(json_get(args, "index"), &index);
	json_u64(json_get(args, "wait_ms"), &wait_ms);
	if (wait_ms > WAIT_MAX_MS)
		wait_ms = WAIT_MAX_MS;
	if (index == 0 || waiter_version(g, kind) > index) {
		if (kind == WAIT_MEMBERS)
			answer_members(g, req, wan);
		else
			answer_events(g, req, name);
		return;
	}
	struct waiter *w = calloc(1, sizeof *w);
	if (!w || (name && !(w->name = strdup(name)))) {
		free(w);
		reply_text(req, 500, "out of memory");
		return;
	}
	w->g = g;
	w->req = req;
	w->kind = kind;
	w->wan = wan;
	w->index = index;
	ev_timer_init(&w->timer, waiter_timeout_cb, (double)wait_ms / 1000.0, 0.);
	w->timer.data = w;
	ev_timer_start(g->loop, &w->timer);
	w->next = g->waiters;
	if (g->waiters)
		g->waiters->prev = w;
	g->waiters = w;
	rpc_req_on_abandon(req, waiter_abandon_cb, w);
}

/* ---- join ---- */

struct join_req {
	struct gossipd *g;
	struct rpc_req *req;
};

static void join_replied(void *arg, const struct join_result *r)
{
	struct join_req *jr = arg;
	struct buf out;
	buf_init(&out);
	struct jw w;
	jw_init(&w, &out);
	jw_obj_open(&w);
	jw_kv_u64(&w, "Joined", r->joined);
	jw_key(&w, "Errors");
	jw_arr_open(&w);
	for (size_t i = 0; i < r->nerrors; i++)
		jw_str(&w, r->errors[i]);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	reply_json(jr->req, r->joined ? 200 : 500, 1, &out);
	buf_free(&out);
	free(jr);
}

static void op_join(struct gossipd *g, struct rpc_req *req, yajl_val args)
{
	bool wan = json_is_true(json_get(args, "wan"));
	struct pool *p = wan ? g->wan : g->lan;
	if (!p) {
		reply_text(req, 400, "WAN gossip is available on servers only");
		return;
	}
	yajl_val list = json_get(args, "addrs");
	size_t n = json_arr_len(list);
	const char **addrs = calloc(n ? n : 1, sizeof *addrs);
	struct join_req *jr = malloc(sizeof *jr);
	if (!addrs || !jr) {
		free(addrs);
		free(jr);
		reply_text(req, 500, "out of memory");
		return;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (json_str(json_arr_at(list, i)))
			addrs[k++] = json_str(json_arr_at(list, i));
	if (k == 0) {
		free(addrs);
		free(jr);
		reply_text(req, 400, "no address to join");
		return;
	}
	*jr = (struct join_req){g, req};
	log_info("%s: joining %zu address(es)", pool_label(p), k);
	join_start(p, addrs, k, wan ? g->cfg.port_serf_wan : g->cfg.port_serf_lan, join_replied, jr);
	free(addrs);
}

/* ---- leave ---- */

/* Frees what the process holds, so that leak checkers see a clean exit. Consul's exit
 * status: 0 after a leave, 1 when the agent stops without one. */
static void gossipd_exit(struct gossipd *g, int status)
{
	rpc_client_free(g->check);
	rpc_server_free(g->server);  /* abandons held requests: their waiters go with them */
	while (g->waiters) {
		struct waiter *w = g->waiters;
		waiter_unlink(w);
		free(w->name);
		free(w);
	}
	pool_close(g->lan);
	pool_close(g->wan);
	members_free(&g->self);
	event_log_free(&g->events);
	keyring_clear(&g->keyring);
	free(g->snapshot_path);
	free(g->keyring_path);
	config_free(&g->cfg);
	exit(status);
}

static void leave_done(struct gossipd *g)
{
	g->left = true;
	ev_timer_stop(g->loop, &g->leave_timer);
	log_info("serf: graceful leave complete");
	while (g->leave_reqs) {
		struct leave_req *lr = g->leave_reqs;
		g->leave_reqs = lr->next;
		rpc_reply_simple(lr->req, 200, 1, "", 0);
		free(lr);
	}
	if (g->exit_after_leave)
		gossipd_exit(g, 0);
}

static void pool_left_cb(void *arg)
{
	struct gossipd *g = arg;
	if (--g->pools_leaving == 0)
		leave_done(g);
}

static void leave_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	struct gossipd *g = t->data;
	log_warnx("serf: leave not confirmed by the cluster within %.0f s; going anyway", LEAVE_WAIT_S);
	g->pools_leaving = 0;
	leave_done(g);
}

static void start_leave(struct gossipd *g)
{
	if (g->leaving)
		return;
	g->leaving = true;
	log_info("serf: leaving the cluster");
	gossipd_save_snapshot(g);
	ev_timer_init(&g->leave_timer, leave_timeout_cb, LEAVE_WAIT_S, 0.);
	g->leave_timer.data = g;
	ev_timer_start(g->loop, &g->leave_timer);
	g->pools_leaving = g->wan ? 2 : 1;
	pool_leave(g->lan, pool_left_cb, g);
	if (g->wan)
		pool_leave(g->wan, pool_left_cb, g);
	gossipd_wake(g, GOSSIPD_MEMBERS_CHANGED);
}

static void op_leave(struct gossipd *g, struct rpc_req *req)
{
	struct leave_req *lr = malloc(sizeof *lr);
	if (!lr) {
		reply_text(req, 500, "out of memory");
		return;
	}
	lr->req = req;
	lr->next = g->leave_reqs;
	g->leave_reqs = lr;
	bool already = g->leaving;
	start_leave(g);
	if (already && g->pools_leaving == 0)
		leave_done(g);
}

static void op_force_leave(struct gossipd *g, struct rpc_req *req, yajl_val args)
{
	const char *node = json_str(json_get(args, "node"));
	struct pool *p = json_is_true(json_get(args, "wan")) ? g->wan : g->lan;
	if (!node || !*node) {
		reply_text(req, 400, "missing node name");
		return;
	}
	if (!p) {
		reply_text(req, 400, "WAN gossip is available on servers only");
		return;
	}
	bool prune = json_is_true(json_get(args, "prune"));
	int rc = pool_force_leave(p, node, prune);
	if (rc == -ENOENT) {
		char msg[SWIM_NAME_MAX + 32];
		snprintf(msg, sizeof msg, "Unknown node: %s", node);
		reply_text(req, 404, msg);
		return;
	}
	/* A live member is only marked leaving, and refutes it: Consul answers 200 all the same. */
	log_info("serf: force-leave of %s%s", node, prune ? " (prune)" : "");
	rpc_reply_simple(req, 200, 1, "", 0);
}

/* ---- user events ---- */

static void op_event_fire(struct gossipd *g, struct rpc_req *req, yajl_val args)
{
	const char *name = json_str(json_get(args, "name"));
	if (!name || !*name) {
		reply_text(req, 400, "Missing name");
		return;
	}
	if (name[0] == '_') {
		reply_text(req, 400, "Event names beginning with an underscore are reserved");
		return;
	}
	struct user_event ev = {0};
	struct buf payload, wire;
	buf_init(&payload);
	buf_init(&wire);
	const char *b64 = json_str(json_get(args, "payload"));
	if (b64 && base64_decode(&payload, b64, strlen(b64)) < 0) {
		reply_text(req, 400, "payload is not base64");
		goto out;
	}
	uint8_t rnd[16];
	random_bytes(rnd, sizeof rnd);
	user_event_new_id(&ev, rnd);
	ev.name = (char *)name;
	ev.payload = (uint8_t *)payload.data;
	ev.payload_len = payload.len;
	ev.node_filter = (char *)json_str(json_get(args, "node_filter"));
	ev.service_filter = (char *)json_str(json_get(args, "service_filter"));
	ev.tag_filter = (char *)json_str(json_get(args, "tag_filter"));
	int rc = user_event_encode(&ev, &wire);
	if (rc == 0)
		rc = pool_user_event(g->lan, name, (const uint8_t *)wire.data, wire.len);
	if (rc == -E2BIG) {
		reply_text(req, 400, "user event exceeds the 512-byte limit");
		goto out;
	}
	if (rc < 0) {
		reply_text(req, 500, strerror(-rc));
		goto out;
	}
	ev.ltime = event_log_ltime_of(&g->events, ev.id);  /* we took our own event already */
	struct buf body;
	buf_init(&body);
	user_event_render(&ev, &body);
	reply_json(req, 200, 1, &body);
	buf_free(&body);
out:
	buf_free(&payload);
	buf_free(&wire);
}

static void keep_event(struct gossipd *g, struct user_event *ev)
{
	log_info("serf: user event: %s", ev->name);
	event_log_add(&g->events, ev);
	gossipd_wake(g, GOSSIPD_EVENTS_CHANGED);
}

/* An event with a service filter waits for checkd's list of our services. */
struct filtered_event {
	struct gossipd *g;
	struct user_event ev;
};

static void on_local_services(void *arg, const struct rpc_reply *r)
{
	struct filtered_event *fe = arg;
	char err[64];
	yajl_val v = r->status == 200 ? json_parse(r->body, r->body_len, err, sizeof err) : NULL;
	size_t n = json_obj_len(v);
	const char **names = calloc(n + 1, sizeof *names);
	const char ***tags = calloc(n + 1, sizeof *tags);
	for (size_t i = 0; names && tags && i < n; i++) {
		yajl_val svc = json_obj_val(v, i), tv = json_get(svc, "Tags");
		names[i] = json_str(json_get(svc, "Service"));
		if (!names[i])
			names[i] = "";
		tags[i] = calloc(json_arr_len(tv) + 1, sizeof **tags);
		for (size_t t = 0; tags[i] && t < json_arr_len(tv); t++)
			tags[i][t] = json_str(json_arr_at(tv, t)) ? json_str(json_arr_at(tv, t)) : "";
	}
	if (!v)
		log_warnx("serf: user event %s: cannot list local services for its filter; dropped", fe->ev.name);
	if (v && names && tags && user_event_wanted(&fe->ev, fe->g->cfg.node_name, names, (const char *const *const *)tags))
		keep_event(fe->g, &fe->ev);
	for (size_t i = 0; tags && i < n; i++)
		free(tags[i]);
	free(tags);
	free(names);
	yajl_tree_free(v);
	user_event_free(&fe->ev);
	free(fe);
}

/* A user event arrived (or we fired it): keep it if its filters select us. */
static void take_user_event(struct gossipd *g, const struct swim_update *u)
{
	if (u->event_name[0] == '_') {
		keyring_ops_event(g, u);
		return;
	}
	struct user_event ev;
	if (user_event_decode(u->event_name, u->payload, u->payload_len, u->ltime, &ev) < 0) {
		log_warnx("serf: dropped a malformed user event %s from %s", u->event_name, u->from);
		return;
	}
	if (!user_event_wanted(&ev, g->cfg.node_name, NULL, NULL)) {
		user_event_free(&ev);
		return;
	}
	if (!ev.service_filter || !*ev.service_filter) {
		keep_event(g, &ev);
		return;
	}
	struct filtered_event *fe = malloc(sizeof *fe);
	if (fe) {
		fe->g = g;
		fe->ev = ev;
	}
	if (!fe || rpc_call(g->check, RPC_AGENT_SERVICES, "{}", 2, on_local_services, fe) < 0) {
		log_warnx("serf: user event %s: checkd unreachable for its service filter; dropped", ev.name);
		free(fe);
		user_event_free(&ev);
	}
}

/* ---- membership events ---- */

static const char *event_name(enum swim_event_type t)
{
	switch (t) {
	case SWIM_EV_JOIN:
		return "member-join";
	case SWIM_EV_LEAVE:
		return "member-leave";
	case SWIM_EV_FAILED:
		return "member-failed";
	case SWIM_EV_UPDATE:
		return "member-update";
	case SWIM_EV_REAP:
		return "member-reap";
	case SWIM_EV_USER:
		return "user";
	}
	return "?";
}

static void snapshot_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	gossipd_save_snapshot(t->data);
}

static void on_pool_event(void *arg, struct pool *p, const struct swim_event *ev)
{
	struct gossipd *g = arg;
	if (ev->type == SWIM_EV_USER) {
		if (p == g->lan)
			take_user_event(g, ev->update);
		return;
	}
	log_info("serf %s: %s: %s %s", pool_label(p), event_name(ev->type), ev->update->node, ev->update->addr);
	gossipd_wake(g, GOSSIPD_MEMBERS_CHANGED);
	if (g->snapshot_path && !ev_is_active(&g->snapshot_timer)) {
		ev_timer_set(&g->snapshot_timer, SNAPSHOT_DELAY_S, 0.);
		ev_timer_start(g->loop, &g->snapshot_timer);
	}
	if (p == g->lan)
		keyring_ops_member_changed(g);
}

void gossipd_save_snapshot(struct gossipd *g)
{
	if (!g->snapshot_path)
		return;
	int rc = rejoin_save(g->snapshot_path, pool_swim(g->lan), g->leaving);
	if (rc < 0)
		log_warnx("serf: cannot write %s: %s", g->snapshot_path, strerror(-rc));
}

/* ---- the RPC handler ---- */

static void handle_rpc(void *arg, struct rpc_req *req, unsigned op, const char *text, size_t len)
{
	struct gossipd *g = arg;
	char err[128];
	yajl_val args = len ? json_parse(text, len, err, sizeof err) : NULL;
	if (len && !args) {
		reply_text(req, 400, "malformed arguments");
		return;
	}
	switch (op) {
	case RPC_MEMBERS:
		read_or_wait(g, req, args, WAIT_MEMBERS);
		break;
	case RPC_JOIN:
		op_join(g, req, args);
		break;
	case RPC_LEAVE:
		op_leave(g, req);
		break;
	case RPC_FORCE_LEAVE:
		op_force_leave(g, req, args);
		break;
	case RPC_EVENT_FIRE:
		op_event_fire(g, req, args);
		break;
	case RPC_EVENT_LIST:
		read_or_wait(g, req, args, WAIT_EVENTS);
		break;
	case RPC_KEYRING:
		keyring_ops_request(g, req, args);
		break;
	default:
		reply_text(req, 400, "gossipd: unknown request");
	}
	yajl_tree_free(args);
}

/* ---- start-up joins ---- */

static void start_join_done(void *arg, const struct join_result *r)
{
	struct gossipd *g = arg;
	if (r->joined) {
		log_info("serf: join completed: synced with %zu initial agents", r->joined);
		return;
	}
	for (size_t i = 0; i < r->nerrors; i++)
		log_error("serf: join %s", r->errors[i]);
	fatalx("serf: failed to join any of the -join addresses");
	(void)g;
}

static void retry_join_attempt(struct gossipd *g);

static void retry_join_done(void *arg, const struct join_result *r)
{
	struct gossipd *g = arg;
	if (r->joined) {
		log_info("serf: retry join completed: synced with %zu initial agents", r->joined);
		return;
	}
	g->retry_attempts++;
	if (g->cfg.retry_max > 0 && g->retry_attempts >= g->cfg.retry_max)
		fatalx("serf: retry join failed %d times; giving up", g->retry_attempts);
	log_warnx("serf: retry join failed (attempt %d); retrying in %.0f s", g->retry_attempts,
		  (double)g->cfg.retry_interval_ms / 1000.0);
	ev_timer_set(&g->retry_timer, (double)g->cfg.retry_interval_ms / 1000.0, 0.);
	ev_timer_start(g->loop, &g->retry_timer);
}

static void retry_join_attempt(struct gossipd *g)
{
	join_start(g->lan, (const char *const *)g->cfg.retry_join.items, g->cfg.retry_join.n, g->cfg.port_serf_lan,
		   retry_join_done, g);
}

static void retry_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	retry_join_attempt(t->data);
}

static void rejoin_done(void *arg, const struct join_result *r)
{
	(void)arg;
	if (r->joined)
		log_info("serf: rejoined %zu member(s) from the snapshot", r->joined);
	else
		log_info("serf: no member of the snapshot answered");
}

/* Serf's snapshot: a restarted agent contacts the members it last knew. */
static void rejoin_from_snapshot(struct gossipd *g)
{
	struct rejoin_list l;
	int rc = rejoin_load(g->snapshot_path, &l);
	if (rc == -EINVAL)
		log_warnx("serf: ignoring %s: not a members snapshot", g->snapshot_path);
	if (rc < 0)
		return;
	if (l.left && !g->cfg.rejoin_after_leave) {
		log_info("serf: left the cluster last time: not rejoining (use -rejoin)");
	} else if (l.n) {
		log_info("serf: rejoining %zu member(s) from the snapshot", l.n);
		join_start(g->lan, (const char *const *)l.addrs, l.n, g->cfg.port_serf_lan, rejoin_done, g);
	}
	rejoin_list_free(&l);
}

/* ---- signals ---- */

/* SIGINT and SIGTERM, from the supervisor (which forwards the operator's signal, so the rule
 * below decides for the whole agent) or from systemd when the role runs alone: Consul's
 * leave_on_terminate and skip_leave_on_interrupt choose whether to leave first, and a
 * second signal during the leave ends it at once. */
static void stop_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop, (void)revents;
	struct gossipd *g = w->data;
	if (g->left)
		gossipd_exit(g, 0);
	if (g->exit_after_leave) {
		log_info("caught second signal (%s): exiting without waiting for the leave", strsignal(w->signum));
		gossipd_exit(g, 1);
	}
	if (!config_leaves_on_signal(&g->cfg, w->signum)) {
		log_info("caught signal: %s: graceful shutdown disabled, exiting without a leave", strsignal(w->signum));
		gossipd_exit(g, 1);
	}
	log_info("caught signal: %s: gracefully leaving the cluster", strsignal(w->signum));
	g->exit_after_leave = true;  /* once the leave has spread (or a `consul leave` started it) */
	start_leave(g);
}

/* ---- start ---- */

/* Files made as root must stay writable after the privilege drop. */
static void hand_over(const struct gossipd *g, const char *path)
{
	uid_t uid;
	gid_t gid;
	if (path && geteuid() == 0 && priv_target(g->cfg.user, &uid, &gid) == 0 && chown(path, uid, gid) < 0 &&
	    errno != ENOENT)
		fatal("chown %s", path);
}

static struct pool *open_pool(struct gossipd *g, bool wan, const struct members *self, char *err, size_t err_len)
{
	struct swim_tag *tags;
	char *kr = NULL;
	int ntags = wan ? members_swim_tags(self, 0, &tags) : keyring_ops_tags(g, &tags, &kr);
	if (ntags < 0)
		fatalx("out of memory");
	char name[SWIM_NAME_MAX + 1];
	snprintf(name, sizeof name, wan ? "%s.%s" : "%s", g->cfg.node_name, g->cfg.datacenter);
	struct swim_config sc;
	swim_config_lan(&sc);
	sc.reconnect_timeout_ms = g->cfg.reconnect_timeout_ms;
	if (wan) {  /* memberlist's WAN profile */
		sc.probe_interval_ms = 5000;
		sc.probe_timeout_ms = 3000;
		sc.gossip_interval_ms = 500;
		sc.gossip_nodes = 4;
		sc.suspicion_mult = 6;
		sc.push_pull_interval_ms = 60000;
	}
	struct pool_params pp = {
		.label = wan ? "wan" : "lan",
		.bind_addr = g->cfg.bind_addr,
		.port = wan ? g->cfg.port_serf_wan : g->cfg.port_serf_lan,
		.name = name,
		.advertise_addr = g->cfg.advertise_addr,
		.tags = tags,
		.ntags = (size_t)ntags,
		.swim = &sc,
		.keyring = &g->keyring,
	};
	struct pool *p = pool_open(g->loop, &pp, on_pool_event, g, err, err_len);
	free(tags);
	free(kr);
	return p;
}

int main(int argc, char **argv)
{
	static struct gossipd g;
	role_start("gossipd", argc, argv, &g.cfg);
	g.loop = ev_default_loop(0);
	event_log_init(&g.events);
	keyring_init(&g.keyring);
	keyring_ops_load(&g);

	members_init(&g.self);
	if (members_add_self(&g.self, &g.cfg) < 0)
		fatalx("out of memory");
	char err[256];
	if (!(g.lan = open_pool(&g, false, &g.self, err, sizeof err)))
		fatalx("%s", err);
	if (g.cfg.server && g.cfg.port_serf_wan > 0 && !(g.wan = open_pool(&g, true, &g.self, err, sizeof err)))
		fatalx("%s", err);

	g.server = role_serve(g.loop, &g.cfg, "gossip.sock", handle_rpc, &g);
	char *check_sock = config_run_path(&g.cfg, "check.sock");
	g.check = rpc_client_new(g.loop, check_sock, "checkd");
	free(check_sock);
	ev_init(&g.snapshot_timer, snapshot_timer_cb);
	g.snapshot_timer.data = &g;
	ev_init(&g.retry_timer, retry_timer_cb);
	g.retry_timer.data = &g;
	ev_signal_init(&g.sigterm, stop_signal_cb, SIGTERM);
	ev_signal_init(&g.sigint, stop_signal_cb, SIGINT);
	g.sigterm.data = g.sigint.data = &g;
	ev_signal_start(g.loop, &g.sigterm);
	ev_signal_start(g.loop, &g.sigint);

	if (g.cfg.data_dir && !g.cfg.dev) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/serf", g.cfg.data_dir);
		if (mkdir_p(dir, 0700) < 0 || asprintf(&g.snapshot_path, "%s/local.snapshot", dir) < 0)
			g.snapshot_path = NULL;
		hand_over(&g, g.snapshot_path);
		hand_over(&g, g.keyring_path);
	}

	priv_drop(g.cfg.user);
	role_watch_reload(g.loop, &g.cfg, argc, argv, NULL, NULL);
	log_info("serf: LAN pool of %s on %s:%d (%s%s)", g.cfg.node_name, g.cfg.bind_addr, g.cfg.port_serf_lan,
		 g.cfg.server ? "server" : "client", keyring_enabled(&g.keyring) ? ", encrypted" : "");

	if (g.snapshot_path)
		rejoin_from_snapshot(&g);
	if (g.cfg.start_join.n)
		join_start(g.lan, (const char *const *)g.cfg.start_join.items, g.cfg.start_join.n, g.cfg.port_serf_lan,
			   start_join_done, &g);
	if (g.cfg.retry_join.n)
		retry_join_attempt(&g);
	ev_run(g.loop, 0);
	fatalx("event loop returned");
}
