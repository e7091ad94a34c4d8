/* raftd.c: consul-raftd, the libev shell around the state store. It serves the raftd ops of
 * rpc_ops.h on data_dir/run/raft.sock: reads straight from the store (held as blocking queries
 * when asked), writes through the commit log. A lone server (-dev, -bootstrap,
 * -bootstrap-expect=1) is its own leader and registers itself in the catalog at start. */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "commit_log.h"
#include "config.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "privdrop.h"
#include "rpc.h"
#include "rpc_ops.h"
#include "store.h"
#include "version.h"

#define WAIT_DEFAULT_MS 300000u /* Consul's default blocking wait: 5 minutes */
#define WAIT_MAX_MS 600000u     /* and its cap: 10 minutes */

/* A read held until the index passes min_index or its timer fires. */
struct waiter {
	struct raftd *d;
	struct rpc_req *req;
	unsigned op;
	char *args;
	size_t args_len;
	uint64_t min_index;
	ev_timer timer;
	struct waiter *prev, *next;
};

struct raftd {
	struct ev_loop *loop;
	struct config cfg;
	struct store *store;
	struct commit_log *log;
	struct rpc_server *server;     /* raft.sock: this agent's roles */
	struct rpc_server *rpc_server; /* TCP server port (8300): other agents and servers */
	bool leader;
	char *server_addr; /* "advertise:port_server" */
	struct waiter *waiters;
	uint64_t waiters_seen_index; /* store index when the waiters were last checked */
	ev_prepare flush_watcher;
	ev_signal sigterm, sigint;
};

static uint64_t reply_index(const struct raftd *d)
{
	uint64_t i = store_index(d->store);
	return i ? i : 1; /* Consul's clients reject X-Consul-Index 0 */
}

static void reply(struct raftd *d, struct rpc_req *req, int status, const struct buf *body)
{
	struct rpc_reply r = {.status = (uint32_t)status, .known_leader = d->leader, .index = reply_index(d),
			      .last_contact_ms = 0, .body = body->data, .body_len = body->len};
	rpc_reply_send(req, &r);
}

static void reply_str(struct raftd *d, struct rpc_req *req, int status, const char *text)
{
	struct buf b = {.data = (char *)text, .len = strlen(text)};
	reply(d, req, status, &b);
}

static void answer_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct buf body;
	buf_init(&body);
	int status = ops_read(d->store, op, args, len, &body);
	reply(d, req, status, &body);
	buf_free(&body);
}

/* ---- blocking queries ---- */

static void waiter_unlink(struct waiter *w)
{
	struct raftd *d = w->d;
	if (w->prev)
		w->prev->next = w->next;
	else
		d->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	ev_timer_stop(d->loop, &w->timer);
	rpc_req_on_abandon(w->req, NULL, NULL);
}

static void waiter_free(struct waiter *w)
{
	free(w->args);
	free(w);
}

/* Answers with the data as it is now: after a write, or when the wait runs out. */
static void waiter_answer(struct waiter *w)
{
	answer_read(w->d, w->req, w->op, w->args, w->args_len);
	waiter_free(w);
}

static void waiter_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *w = t->data;
	waiter_unlink(w);
	waiter_answer(w);
}

static void waiter_abandon_cb(void *arg, struct rpc_req *req)
{
	struct waiter *w = arg;
	waiter_unlink(w);
	rpc_reply_send(req, &(struct rpc_reply){.status = 503}); /* only frees req: the client is gone */
	waiter_free(w);
}

/* Re-runs the reads whose index has been passed. They are taken off the list first, since
 * answering one may close a connection and abandon others. */
static void wake_waiters(struct raftd *d)
{
	uint64_t now = store_index(d->store);
	if (now == d->waiters_seen_index)
		return;
	d->waiters_seen_index = now;
	struct waiter *ready = NULL;
	for (struct waiter *w = d->waiters, *next; w; w = next) {
		next = w->next;
		if (now > w->min_index) {
			waiter_unlink(w);
			w->next = ready;
			ready = w;
		}
	}
	while (ready) {
		struct waiter *w = ready;
		ready = w->next;
		waiter_answer(w);
	}
}

/* Holds the read when the caller already has this index; otherwise answers now. */
static void handle_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	uint64_t min_index = 0, wait_ms = WAIT_DEFAULT_MS;
	char err[128];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	if (a) {
		json_u64(json_get(a, "index"), &min_index);
		if (json_u64(json_get(a, "wait_ms"), &wait_ms) && wait_ms == 0)
			wait_ms = WAIT_DEFAULT_MS;
		yajl_tree_free(a);
	}
	if (wait_ms > WAIT_MAX_MS)
		wait_ms = WAIT_MAX_MS;
	if (min_index == 0 || store_index(d->store) > min_index) {
		answer_read(d, req, op, args, len);
		return;
	}
	struct waiter *w = calloc(1, sizeof *w);
	if (!w || !(w->args = malloc(len + 1))) {
		free(w);
		reply_str(d, req, 500, "out of memory");
		return;
	}
	memcpy(w->args, args, len);
	w->args[len] = '\0';
	w->args_len = len;
	w->d = d;
	w->req = req;
	w->op = op;
	w->min_index = min_index;
	ev_timer_init(&w->timer, waiter_timeout_cb, (double)wait_ms / 1000.0, 0.);
	w->timer.data = w;
	ev_timer_start(d->loop, &w->timer);
	rpc_req_on_abandon(req, waiter_abandon_cb, w);
	w->next = d->waiters;
	if (d->waiters)
		d->waiters->prev = w;
	d->waiters = w;
}

/* ---- writes ---- */

struct pending_write {
	struct raftd *d;
	struct rpc_req *req; /* NULL for raftd's own writes */
	const char *what;
};

static void write_done_cb(void *arg, uint64_t index, int status, const char *body, size_t len)
{
	struct pending_write *pw = arg;
	if (pw->req) {
		struct buf b = {.data = (char *)body, .len = len};
		reply(pw->d, pw->req, status, &b);
	} else if (status != 200) {
		log_warnx("%s failed: %.*s", pw->what, (int)len, body);
	} else {
		log_info("%s committed at index %" PRIu64, pw->what, index);
	}
	free(pw);
}

/* Validates the command against the store before it is logged, so bad input never enters
 * the log; an identical re-registration (anti-entropy) is answered without a log entry when
 * nothing is queued ahead of it. req may be NULL for raftd's own writes. */
static void handle_write(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len,
			 const char *what)
{
	struct buf cmd, res;
	buf_init(&cmd);
	buf_init(&res);
	bool changes = false;
	int status = ops_command(op, args, len, &cmd);
	if (status == 200)
		status = store_check(d->store, cmd.data, cmd.len, &res, &changes);
	else
		buf_append(&res, cmd.data, cmd.len);
	if (status != 200 || (!changes && commit_log_pending(d->log) == 0)) {
		if (req)
			reply(d, req, status, &res);
		else if (status != 200)
			log_warnx("%s rejected: %.*s", what, (int)res.len, res.data);
		goto out;
	}
	struct pending_write *pw = malloc(sizeof *pw);
	if (!pw)
		abort();
	*pw = (struct pending_write){.d = d, .req = req, .what = what};
	if (commit_log_propose(d->log, cmd.data, cmd.len, write_done_cb, pw) < 0) {
		free(pw);
		if (req)
			reply_str(d, req, 413, "Request body too large");
	}
out:
	buf_free(&cmd);
	buf_free(&res);
}

/* One fsync for everything proposed in this loop iteration, then wake the blocked reads. */
static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct raftd *d = w->data;
	while (commit_log_pending(d->log))
		if (commit_log_flush(d->log) < 0)
			break;
	wake_waiters(d);
}

/* ---- requests ---- */

static void handle_status(struct raftd *d, struct rpc_req *req, unsigned op)
{
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	if (op == RPC_STATUS_LEADER) {
		jw_str(&w, d->leader ? d->server_addr : "");
	} else if (op == RPC_STATUS_PEERS) {
		jw_arr_open(&w);
		if (d->leader)
			jw_str(&w, d->server_addr);
		jw_arr_close(&w);
	} else {
		jw_arr_open(&w);
		jw_str(&w, d->cfg.datacenter);
		jw_arr_close(&w);
	}
	jw_free(&w);
	reply(d, req, 200, &b);
	buf_free(&b);
}

static void handler(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct raftd *d = arg;
	if (op == RPC_STATUS_LEADER || op == RPC_STATUS_PEERS || op == RPC_CATALOG_DATACENTERS) {
		handle_status(d, req, op);
	} else if (!ops_is_store_op(op)) {
		log_debug("unknown op %u (%s) from a client", op, rpc_op_name(op));
		reply_str(d, req, 400, "unknown op");
	} else if (!d->leader) {
		reply_str(d, req, 500, "No cluster leader");
	} else if (ops_is_write(op)) {
		handle_write(d, req, op, args, len, rpc_op_name(op));
	} else {
		handle_read(d, req, op, args, len);
	}
}

/* ---- start-up ---- */

static char *host_port(const char *addr, int port)
{
	struct buf b;
	buf_init(&b);
	if (strchr(addr, ':'))
		buf_appendf(&b, "[%s]:%d", addr, port);
	else
		buf_appendf(&b, "%s:%d", addr, port);
	if (!b.data)
		abort();
	return buf_steal(&b, NULL);
}

/* The leader's own catalog entry, as Consul's leader writes it: the node with its serfHealth
 * check, and the "consul" service on the server port. */
static void register_self(struct raftd *d, const char *advertise)
{
	const struct config *c = &d->cfg;
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kv_str(&w, "Node", c->node_name);
	jw_kv_str(&w, "ID", c->node_id ? c->node_id : "");
	jw_kv_str(&w, "Address", advertise);
	jw_kv_str(&w, "Datacenter", c->datacenter);
	jw_key(&w, "TaggedAddresses");
	jw_obj_open(&w);
	jw_kv_str(&w, "lan", advertise);
	jw_kv_str(&w, "lan_ipv4", advertise);
	jw_kv_str(&w, "wan", advertise);
	jw_kv_str(&w, "wan_ipv4", advertise);
	jw_obj_close(&w);
	jw_key(&w, "NodeMeta");
	jw_obj_open(&w);
	jw_kv_str(&w, "consul-network-segment", "");
	jw_obj_close(&w);
	jw_key(&w, "Service");
	jw_obj_open(&w);
	jw_kv_str(&w, "ID", "consul");
	jw_kv_str(&w, "Service", "consul");
	jw_kv_i64(&w, "Port", c->port_server);
	jw_key(&w, "Meta");
	jw_obj_open(&w);
	jw_kv_str(&w, "non_voter", "false");
	jw_kv_str(&w, "raft_version", "3");
	jw_kv_str(&w, "read_replica", "false");
	jw_kv_str(&w, "serf_protocol_current", "2");
	jw_kv_str(&w, "serf_protocol_max", "5");
	jw_kv_str(&w, "serf_protocol_min", "1");
	jw_kv_str(&w, "version", CONSUL_VERSION);
	jw_obj_close(&w);
	jw_obj_close(&w);
	jw_key(&w, "Checks");
	jw_arr_open(&w);
	jw_obj_open(&w);
	jw_kv_str(&w, "CheckID", "serfHealth");
	jw_kv_str(&w, "Name", "Serf Health Status");
	jw_kv_str(&w, "Status", "passing");
	jw_kv_str(&w, "Output", "Agent alive and reachable");
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	handle_write(d, NULL, RPC_CATALOG_REGISTER, b.data, b.len, "registration of this server");
	buf_free(&b);
}

/* Files made before the privilege drop must stay writable after it (snapshots, the log). */
static void hand_over(const char *dir, const char *user)
{
	if (geteuid() != 0)
		return;
	uid_t uid;
	gid_t gid;
	if (priv_target(user, &uid, &gid) < 0)
		return;
	const char *names[] = {"", "/wal.log", "/snapshot.json"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s%s", dir, names[i]);
		if (chown(path, uid, gid) < 0 && errno != ENOENT)
			fatal("chown %s", path);
	}
}

static void shutdown_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct raftd *d = w->data;
	while (commit_log_pending(d->log))
		if (commit_log_flush(d->log) < 0)
			break;
	log_info("shutting down at index %" PRIu64, store_index(d->store));
	rpc_server_free(d->server);
	rpc_server_free(d->rpc_server);
	commit_log_close(d->log);
	exit(0);
}

int main(int argc, char **argv)
{
	static struct raftd d;
	role_start("raftd", argc, argv, &d.cfg);
	d.loop = ev_default_loop(0);
	d.store = store_new();
	const char *advertise = d.cfg.advertise_addr ? d.cfg.advertise_addr : d.cfg.bind_addr;
	if (!advertise)
		advertise = "127.0.0.1";
	d.server_addr = host_port(advertise, d.cfg.port_server);
	/* A lone server elects itself; more servers arrive with the Raft issue. */
	d.leader = d.cfg.dev || (d.cfg.server && (d.cfg.bootstrap || d.cfg.bootstrap_expect == 1));

	char *raft_dir = NULL;
	{
		size_t n = strlen(d.cfg.data_dir) + sizeof "/raft";
		raft_dir = malloc(n);
		if (!raft_dir)
			abort();
		snprintf(raft_dir, n, "%s/raft", d.cfg.data_dir);
	}
	char err[512];
	struct commit_log_config cc = {.dir = raft_dir, .snapshot_threshold = d.cfg.snapshot_threshold,
					 .no_sync = d.cfg.dev};
	d.log = commit_log_open(&cc, d.store, err, sizeof err);
	if (!d.log)
		fatalx("commit log: %s", err);

	char *sock = config_run_path(&d.cfg, "raft.sock");
	d.server = role_serve(d.loop, &d.cfg, "raft.sock", handler, &d);
	/* The same requests arrive over TCP from client agents (and, with Raft, other servers). */
	if (d.cfg.server && d.cfg.port_server > 0 &&
	    !(d.rpc_server = rpc_server_listen_tcp(d.loop, d.cfg.bind_addr, d.cfg.port_server, handler, &d)))
		fatalx("cannot serve RPC on %s:%d", d.cfg.bind_addr, d.cfg.port_server);
	if (raft_dir)
		hand_over(raft_dir, d.cfg.user);
	priv_drop(d.cfg.user);
	role_watch_reload(d.loop, argc, argv, NULL, NULL);

	ev_prepare_init(&d.flush_watcher, flush_cb);
	d.flush_watcher.data = &d;
	ev_prepare_start(d.loop, &d.flush_watcher);
	ev_signal_init(&d.sigterm, shutdown_cb, SIGTERM);
	ev_signal_init(&d.sigint, shutdown_cb, SIGINT);
	d.sigterm.data = d.sigint.data = &d;
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_start(d.loop, &d.sigint);

	log_info("serving %s at index %" PRIu64 " (%s, %s)", sock, store_index(d.store),
		 d.leader ? "leader" : "no leader yet", raft_dir ? raft_dir : "in memory");
	if (d.leader)
		register_self(&d, advertise);
	free(sock);
	free(raft_dir);
	ev_run(d.loop, 0);
	fatalx("event loop returned");
}
