/* raftd_members.c: consul-raftd and gossip: the servers of its datacenter from gossipd's
 * member table, -bootstrap-expect, the leader's configuration and catalog following
 * membership, and the operator's view of the configuration. */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "raftd_int.h"
#include "catalog_reconcile.h"
#include "rpc_ops.h"

/* ---- servers from gossip: bootstrap and membership ---- */

/* Nothing on disk and no configuration: this server never joined a cluster. */
static bool fresh(const struct raftd *d)
{
	return raft_last_index(d->raft) == 0 && raft_term(d->raft) == 0 && raft_get_snapshot(d->raft)->index == 0;
}

static void bootstrap_now(struct raftd *d)
{
	struct raft_config conf;
	char why[256];
	if (servers_bootstrap_config(d->members, d->n_members, d->cfg.bootstrap_expect, &conf, why, sizeof why) != 0 ||
	    !raft_config_find(&conf, d->id) || raft_bootstrap(d->raft, &conf) != 0)
		return;
	log_info("raft: %u servers seen, as expected: bootstrapped the cluster", conf.n);
}

/* The answers of the bootstrap safeguard: any server that already has peers belongs to a
 * cluster, which will add this one; otherwise, once all answered, bootstrap. */
static void boot_probe_cb(void *arg, const struct rpc_reply *r)
{
	struct raftd *d = the_raftd;
	if (r->status == 200 && r->body_len > 2)
		d->boot_refused = true;
	else if (r->status != 200)
		d->boot_probe_failed = true;
	if (--d->boot_probes_left > 0)
		return;
	if (d->boot_refused)
		log_info("raft: a server already belongs to a cluster: waiting for its leader to add this one");
	else if (!d->boot_probe_failed && fresh(d))
		bootstrap_now(d);
	d->boot_probe_failed = false;
}

/* -bootstrap-expect=N: once N servers of our datacenter are seen, ask each of the others
 * whether it already has a cluster (Consul's safeguard), then bootstrap exactly once: after
 * that the log is not empty and this never runs again. */
void maybe_bootstrap(struct raftd *d)
{
	if (d->cfg.bootstrap_expect < 2 || !d->cfg.server || !d->members_known || !fresh(d) || d->boot_refused ||
	    d->boot_probes_left)
		return;
	struct raft_config conf;
	char why[256] = "this server is not among those seen";
	int rc = servers_bootstrap_config(d->members, d->n_members, d->cfg.bootstrap_expect, &conf, why, sizeof why);
	if (rc != 0 || !raft_config_find(&conf, d->id)) {
		if (strcmp(why, d->boot_why) != 0) { /* say it once, not at every membership change */
			if (rc < 0)
				log_warnx("raft: not bootstrapping: %s", why);
			else
				log_info("raft: not bootstrapping yet: %s", why);
			snprintf(d->boot_why, sizeof d->boot_why, "%s", why);
		}
		return;
	}
	for (uint32_t i = 0; i < conf.n; i++) {
		if (conf.servers[i].id == d->id)
			continue;
		if (rpc_call(peer_client(d, conf.servers[i].id, conf.servers[i].addr), RPC_STATUS_PEERS, "{}", 2,
			     boot_probe_cb, NULL) > 0)
			d->boot_probes_left++;
		else
			d->boot_probe_failed = true;
	}
	if (d->boot_probes_left == 0) {
		if (!d->boot_probe_failed)
			bootstrap_now(d);
		d->boot_probe_failed = false;
	}
}

/* The leader writes gossip's view into the catalog (catalog_reconcile.h): each member a
 * node with its serfHealth check, those that left deregistered. Once its earlier writes are
 * applied, so that it compares with the catalog they made. */
void reconcile_catalog(struct raftd *d)
{
	if (!d->catalog_dirty || raft_role(d->raft) != RAFT_LEADER || !d->members_known ||
	    d->applied < d->lead_from || d->applied < d->catalog_wait_index)
		return;
	struct buf cmds;
	buf_init(&cmds);
	size_t n = catalog_reconcile(d->store, d->members_body.data, d->members_body.len, d->cfg.datacenter, &cmds);
	d->catalog_dirty = n > 0; /* look again once these are applied */
	for (size_t at = 0; at < cmds.len;) {
		const char *line = cmds.data + at, *nl = memchr(line, '\n', cmds.len - at);
		size_t len = nl ? (size_t)(nl - line) : cmds.len - at;
		uint64_t index = len ? propose_command(d, NULL, line, len, "catalog update from gossip") : 0;
		if (index > d->catalog_wait_index)
			d->catalog_wait_index = index;
		at += len + 1;
	}
	buf_free(&cmds);
}

/* The leader follows membership, one configuration change at a time. */
void reconcile_servers(struct raftd *d)
{
	if (raft_role(d->raft) != RAFT_LEADER || !d->members_known)
		return;
	struct server_change c = servers_reconcile(raft_configuration(d->raft), d->members, d->n_members, d->id);
	if (c.kind == SERVER_KEEP)
		return;
	uint64_t index;
	int rc = c.kind == SERVER_ADD ? raft_add_server(d->raft, c.id, c.addr, &index)
				      : raft_remove_server(d->raft, c.id, &index);
	if (rc == 0)
		log_info("raft: %s server %s at index %" PRIu64, c.kind == SERVER_ADD ? "adding" : "removing", c.addr,
			 index);
	else
		log_debug("raft: %s %s later: %s", c.kind == SERVER_ADD ? "adding" : "removing", c.addr,
			  raft_strerror(rc));
}

static void members_poll(struct raftd *d);

static void members_cb(void *arg, const struct rpc_reply *r)
{
	struct raftd *d = the_raftd;
	if (r->status != 200) {
		d->members_index = 0;
		ev_timer_start(d->loop, &d->members_retry);
		return;
	}
	int n = servers_from_members(r->body, r->body_len, d->cfg.datacenter, d->members,
				     sizeof d->members / sizeof d->members[0]);
	if (n >= 0) {
		d->n_members = (size_t)n;
		d->members_known = true;
	}
	d->members_index = r->index;
	buf_reset(&d->members_body);
	if (buf_append(&d->members_body, r->body, r->body_len) < 0)
		abort();
	d->catalog_dirty = true;
	maybe_bootstrap(d);
	reconcile_servers(d);
	reconcile_catalog(d);
	members_poll(d);
}

/* A blocking MEMBERS query on gossipd: answered at once the first time, then whenever the
 * member table changes. */
static void members_poll(struct raftd *d)
{
	char args[64];
	int n = snprintf(args, sizeof args, "{\"index\":%" PRIu64 ",\"wait_ms\":60000}", d->members_index);
	if (rpc_call(d->gossip, RPC_MEMBERS, args, (size_t)n, members_cb, NULL) < 0)
		ev_timer_start(d->loop, &d->members_retry);
}

static void members_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	members_poll(w->data);
}

static void reconcile_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct raftd *d = w->data;
	maybe_bootstrap(d);
	reconcile_servers(d);
	reconcile_catalog(d);
}

/* The member gossip knows as server id, or NULL. */
const struct server_member *member_of(const struct raftd *d, uint64_t id)
{
	for (size_t i = 0; i < d->n_members; i++)
		if (d->members[i].id == id)
			return &d->members[i];
	return NULL;
}

/* /v1/operator/raft/configuration: the servers of the configuration in effect, named by
 * gossip (Consul's fields; every server is a voter here). */
void handle_raft_configuration(struct raftd *d, struct rpc_req *req)
{
	const struct raft_config *c = raft_configuration(d->raft);
	uint64_t leader = raft_leader(d->raft);
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_key(&w, "Servers");
	jw_arr_open(&w);
	for (uint32_t i = 0; i < c->n; i++) {
		const struct raft_server *s = &c->servers[i];
		const struct server_member *m = member_of(d, s->id);
		char hex[24];
		snprintf(hex, sizeof hex, "%016" PRIx64, s->id);
		const char *id = s->id == d->id && d->cfg.node_id ? d->cfg.node_id : m && m->node_id[0] ? m->node_id : hex;
		const char *node = s->id == d->id ? d->cfg.node_name : m ? m->name : "(unknown)";
		jw_obj_open(&w);
		jw_kv_str(&w, "ID", id);
		jw_kv_str(&w, "Node", node);
		jw_kv_str(&w, "Address", s->addr);
		jw_kv_bool(&w, "Leader", s->id == leader);
		jw_kv_str(&w, "ProtocolVersion", "3");
		jw_kv_bool(&w, "Voter", true);
		jw_kv_u64(&w, "LastIndex", raft_match_index(d->raft, s->id));
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_kv_u64(&w, "Index", raft_commit_index(d->raft));
	jw_obj_close(&w);
	jw_free(&w);
	reply(d, req, 200, &b);
	buf_free(&b);
}

/* consul operator raft remove-peer -id=... | -address=...: the leader removes it. */
void handle_remove_peer(struct raftd *d, struct rpc_req *req, const char *args, size_t len)
{
	if (raft_role(d->raft) != RAFT_LEADER) {
		if (!forward_to_leader(d, req, RPC_RAFT_REMOVE_PEER, args, len))
			reply_str(d, req, 500, "No cluster leader");
		return;
	}
	char err[128];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	const char *id = a ? json_str(json_get(a, "id")) : NULL, *addr = a ? json_str(json_get(a, "address")) : NULL;
	const struct raft_config *c = raft_configuration(d->raft);
	uint64_t target = 0;
	for (uint32_t i = 0; i < c->n && !target; i++) {
		const struct server_member *m = member_of(d, c->servers[i].id);
		if ((addr && *addr && strcmp(c->servers[i].addr, addr) == 0) ||
		    (id && *id && (servers_raft_id(id, NULL) == c->servers[i].id || (m && strcmp(m->node_id, id) == 0))))
			target = c->servers[i].id;
	}
	if (a)
		yajl_tree_free(a);
	if (!target) {
		reply_str(d, req, 500, addr && *addr ? "address not found in the Raft configuration"
						    : "id not found in the Raft configuration");
		return;
	}
	uint64_t index;
	int rc = raft_remove_server(d->raft, target, &index);
	if (rc != 0) {
		reply_str(d, req, 500, raft_strerror(rc));
		return;
	}
	log_info("raft: removing server %016" PRIx64 " at index %" PRIu64 " (operator request)", target, index);
	reply_str(d, req, 200, "");
}

void members_start(struct raftd *d)
{
	char *gossip_sock = config_run_path(&d->cfg, "gossip.sock");
	d->gossip = rpc_client_new(d->loop, gossip_sock, "gossipd");
	free(gossip_sock);
	ev_timer_init(&d->members_retry, members_retry_cb, 1., 0.);
	d->members_retry.data = d;
	ev_timer_init(&d->reconcile_timer, reconcile_cb, 1., 1.);
	d->reconcile_timer.data = d;
	ev_timer_start(d->loop, &d->reconcile_timer);
	members_poll(d);
}
