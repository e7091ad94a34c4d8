/* server_link.c: see server_link.h. */
#include "server_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "json.h"
#include "log.h"
#include "rpc_ops.h"

#define MEMBERS_WAIT_MS 60000
#define STALL_CHECK_S 2.0
#define TARGET_MAX 96

struct server_link {
	struct ev_loop *loop;
	const struct config *cfg;
	struct rpc_client *gossip;   /* gossip.sock: the member table, as a blocking query */
	struct rpc_client *raft;     /* the link handed out, retargeted as servers change */
	char current[TARGET_MAX];
	char *members;               /* the last member table, for re-choosing */
	size_t members_len;
	uint64_t index;
	int stalls;                  /* checks in a row that found the link down */
	bool subscribed;             /* a MEMBERS query is in flight */
	ev_timer watch;              /* re-subscribes, and leaves a server that stopped answering */
};

/* Whether m is an alive server of dc; writes its RPC target. */
static bool server_target(yajl_val m, const char *dc, char *out, size_t out_len)
{
	yajl_val tags = json_get(m, "Tags");
	const char *role = json_str(json_get(tags, "role")), *mdc = json_str(json_get(tags, "dc"));
	const char *port = json_str(json_get(tags, "port")), *addr = json_str(json_get(m, "Addr"));
	int64_t status = 0;
	json_i64(json_get(m, "Status"), &status);
	if (status != 1 || !role || strcmp(role, "consul") != 0 || !mdc || strcmp(mdc, dc) != 0 || !port || !addr)
		return false;
	snprintf(out, out_len, strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
	return true;
}

void server_link_choose(const char *members_json, size_t len, const char *dc, const char *self,
			const char *current, char *out, size_t out_len)
{
	out[0] = '\0';
	char err[64];
	yajl_val v = json_parse(members_json, len, err, sizeof err);
	size_t n = json_arr_len(v), count = 0;
	char (*targets)[TARGET_MAX] = calloc(n ? n : 1, sizeof *targets);
	for (size_t i = 0; targets && i < n; i++)
		if (server_target(json_arr_at(v, i), dc, targets[count], sizeof targets[count]))
			count++;
	yajl_tree_free(v);
	size_t pick = count;
	if (count && *current) {
		/* keep the current server while it is alive; else the one after it, in order */
		for (size_t i = 0; i < count && pick == count; i++)
			if (strcmp(targets[i], current) == 0)
				pick = i;
		for (size_t i = 0; i < count && pick == count; i++)
			if (strcmp(targets[i], current) > 0)
				pick = i;
		if (pick == count)
			pick = 0;
	} else if (count) {
		/* the first choice spreads the agents of a cluster over its servers */
		uint32_t h = 2166136261u;
		for (const char *p = self; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		pick = h % count;
	}
	if (pick < count)
		snprintf(out, out_len, "%s", targets[pick]);
	free(targets);
}

static void apply_choice(struct server_link *l, const char *avoid)
{
	if (!l->members)
		return;
	char next[TARGET_MAX];
	server_link_choose(l->members, l->members_len, l->cfg->datacenter, l->cfg->node_name, l->current, next,
			   sizeof next);
	if (avoid && strcmp(next, avoid) == 0) {
		/* still alive in gossip: move past it, unless it is the only server there is */
		char moved[TARGET_MAX + 1];
		snprintf(moved, sizeof moved, "%s~", avoid);  /* sorts right after it */
		server_link_choose(l->members, l->members_len, l->cfg->datacenter, l->cfg->node_name, moved, next,
				   sizeof next);
	}
	if (strcmp(next, l->current) == 0)
		return;
	snprintf(l->current, sizeof l->current, "%s", next);
	rpc_client_retarget(l->raft, next);
}

static void subscribe(struct server_link *l);

static void on_members(void *arg, const struct rpc_reply *r)
{
	struct server_link *l = arg;
	l->subscribed = false;
	if (r->status != 200)
		return;  /* gossipd away: the watch asks again */
	char *copy = malloc(r->body_len + 1);
	if (copy) {
		memcpy(copy, r->body, r->body_len);
		copy[r->body_len] = '\0';
		free(l->members);
		l->members = copy;
		l->members_len = r->body_len;
	}
	l->index = r->index;
	apply_choice(l, NULL);
	subscribe(l);
}

static void subscribe(struct server_link *l)
{
	char args[96];
	int n = snprintf(args, sizeof args, "{\"index\":%llu,\"wait_ms\":%d}", (unsigned long long)l->index,
			 MEMBERS_WAIT_MS);
	l->subscribed = rpc_call(l->gossip, RPC_MEMBERS, args, (size_t)n, on_members, l) > 0;
}

/* A server can be alive in gossip and still refuse RPC (its raftd restarting, a firewall):
 * after a few checks without a connection, try the next one. */
static void watch_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct server_link *l = w->data;
	ev_timer_set(w, l->members ? STALL_CHECK_S : 0.5, 0.);
	ev_timer_start(loop, w);
	if (!l->subscribed)
		subscribe(l);
	l->stalls = *l->current && !rpc_client_connected(l->raft) ? l->stalls + 1 : 0;
	if (l->stalls >= 2) {
		l->stalls = 0;
		log_info("server %s is not answering: trying another", l->current);
		apply_choice(l, l->current);
	}
}

struct rpc_client *server_link_new(struct ev_loop *loop, const struct config *cfg, const char *peer_name)
{
	if (cfg->server) {
		char *path = config_run_path(cfg, "raft.sock");
		struct rpc_client *c = rpc_client_new(loop, path, peer_name);
		free(path);
		return c;
	}
	struct server_link *l = calloc(1, sizeof *l);
	if (!l)
		fatalx("out of memory");
	l->loop = loop;
	l->cfg = cfg;
	char *path = config_run_path(cfg, "gossip.sock");
	l->gossip = rpc_client_new(loop, path, "gossipd");
	free(path);
	l->raft = rpc_client_new(loop, "", peer_name);
	ev_timer_init(&l->watch, watch_cb, 0.5, 0.);
	l->watch.data = l;
	subscribe(l);
	ev_timer_start(loop, &l->watch);
	return l->raft;
}
