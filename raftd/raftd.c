/* raftd.c: consul-raftd, the libev shell around the Raft core (raft.h) and the state store.
 * It serves the raftd ops of rpc_ops.h on data_dir/run/raft.sock and on the server RPC port
 * (TCP 8300), which also carries Raft's own messages between servers (RAFT_MESSAGE).
 *
 * Every 10 ms the core ticks; before the loop blocks, each Ready is done in the order the core
 * asks: replication sent, entries and hard state written with one fsync for the whole batch,
 * the other messages sent, committed entries applied to the store (store_apply) and their
 * proposers answered. Writes and default-mode reads go to the leader (a follower forwards
 * them); ?stale reads answer locally; ?consistent reads wait for a quorum round. A lone server
 * (-dev, -bootstrap, -bootstrap-expect=1) bootstraps a one-voter configuration and campaigns
 * at once, so it leads right at start and registers itself in the catalog. */
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "privdrop.h"
#include "raftd_int.h"
#include "rpc_ops.h"
#include "snapshot_file.h"
#include "version.h"

struct raftd *the_raftd;

/* ---- writes ---- */

static void proposal_answer(struct raftd *d, struct proposal *p, int status, const char *body, size_t len)
{
	if (p->req) {
		struct buf b = {.data = (char *)body, .len = len};
		reply(d, p->req, status, &b);
	} else if (status != 200) {
		log_warnx("%s failed: %.*s", p->what, (int)len, body);
	} else {
		log_info("%s committed at index %" PRIu64, p->what, p->index);
	}
	free(p);
}

/* Answers the proposals up to index: the one at index with (status, body) when its term
 * matches (it is the entry that committed), the others as lost. */
static void proposals_done(struct raftd *d, uint64_t index, uint64_t term, int status, const char *body,
			   size_t len)
{
	while (d->proposals && d->proposals->index <= index) {
		struct proposal *p = d->proposals;
		d->proposals = p->next;
		if (!d->proposals)
			d->proposals_tail = NULL;
		if (p->index == index && p->term == term) {
			proposal_answer(d, p, status, body, len);
		} else {
			static const char lost[] = "leadership lost while committing log";
			proposal_answer(d, p, 500, lost, sizeof lost - 1);
		}
	}
}

/* Validates the store command before it is logged, so bad input never enters the log; a
 * command that would change nothing (an identical re-registration from anti-entropy) is
 * answered without a log entry when nothing is queued ahead of it. req may be NULL for
 * raftd's own writes. Returns the index proposed at, or 0. */
uint64_t propose_command(struct raftd *d, struct rpc_req *req, const char *cmd, size_t len,
				const char *what)
{
	struct buf res;
	buf_init(&res);
	bool changes = false;
	int status = store_check(d->store, cmd, len, &res, &changes);
	if (status != 200 || (!changes && !d->proposals && d->applied >= d->lead_from)) {
		if (req)
			reply(d, req, status, &res);
		else if (status != 200)
			log_warnx("%s rejected: %.*s", what, (int)res.len, res.data);
		buf_free(&res);
		return 0;
	}
	buf_free(&res);
	uint64_t index, term;
	int rc = raft_propose(d->raft, cmd, len, &index, &term);
	if (rc != 0) {
		if (req)
			reply_str(d, req, rc == RAFT_ERR_TOO_BIG ? 413 : 500,
				  rc == RAFT_ERR_TOO_BIG ? "Request body too large" : "No cluster leader");
		else
			log_warnx("%s not proposed: %s", what, raft_strerror(rc));
		return 0;
	}
	struct proposal *p = malloc(sizeof *p);
	if (!p)
		abort();
	*p = (struct proposal){.index = index, .term = term, .req = req, .what = what};
	if (d->proposals_tail)
		d->proposals_tail->next = p;
	else
		d->proposals = p;
	d->proposals_tail = p;
	return index;
}

/* A write op: its store command, proposed. */
void handle_write(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len,
			 const char *what)
{
	struct buf cmd;
	buf_init(&cmd);
	int status = ops_command(op, args, len, &cmd);
	if (status == 200)
		propose_command(d, req, cmd.data, cmd.len, what);
	else if (req)
		reply(d, req, status, &cmd);
	else
		log_warnx("%s rejected: %.*s", what, (int)cmd.len, cmd.data);
	buf_free(&cmd);
}

/* ---- the Ready loop ---- */

static void apply_entry(struct raftd *d, const struct raft_entry *e, struct buf *res)
{
	int status = 200;
	buf_reset(res);
	if (e->type == RAFT_ENTRY_NORMAL) {
		status = store_apply(d->store, e->index, (const char *)e->data, e->len, res);
		if (status == 200 && snapshot_is_restore_command((const char *)e->data, e->len)) {
			log_info("snapshot: store restored at index %" PRIu64, e->index);
			d->catalog_dirty = true; /* the restored catalog follows membership again */
		}
	}
	d->applied = e->index;
	proposals_done(d, e->index, e->type == RAFT_ENTRY_NORMAL ? e->term : 0, status, res->data, res->len);
}

static void install_snapshot(struct raftd *d, const struct raft_snapshot *s)
{
	char err[256];
	if (store_restore(d->store, (const char *)s->data, (size_t)s->len, err, sizeof err) < 0)
		fatalx("raft: the leader's snapshot at index %" PRIu64 " does not restore: %s", s->index, err);
	d->applied = s->index;
	d->snap_index = s->index;
	proposals_done(d, s->index, 0, 500, NULL, 0);
	log_info("raft: installed the leader's snapshot at index %" PRIu64, s->index);
}

/* Snapshots the store at the last applied entry; Raft then drops the log up to trailing_logs
 * behind it, and so does the disk. */
static void take_snapshot(struct raftd *d, const char *why)
{
	if (raft_applied_index(d->raft) < d->applied)
		return;
	struct buf b;
	buf_init(&b);
	if (store_snapshot(d->store, &b) < 0 || raft_snapshot(d->raft, d->applied, b.data, b.len) != 0) {
		log_warnx("raft: snapshot at index %" PRIu64 " failed", d->applied);
		buf_free(&b);
		return;
	}
	buf_free(&b);
	d->snap_index = d->applied;
	if (raft_storage_save_snapshot(d->disk, raft_get_snapshot(d->raft), false) < 0)
		return; /* the log stays whole: nothing is lost, the next threshold tries again */
	int n = raft_storage_compact(d->disk, raft_first_index(d->raft));
	log_info("raft: snapshot (%s) at index %" PRIu64 ", %d old segments removed", why, d->applied, n > 0 ? n : 0);
}

/* Every snapshot_threshold entries. */
static void maybe_snapshot(struct raftd *d)
{
	uint64_t threshold = d->cfg.snapshot_threshold;
	if (threshold && d->applied >= d->snap_index + threshold)
		take_snapshot(d, "threshold");
}

static uint64_t rng_next(void *arg);

static double snapshot_interval_s(const struct raftd *d)
{
	return d->cfg.snapshot_interval_ms ? (double)d->cfg.snapshot_interval_ms / 1000.0 : 30.0;
}

/* And by time, as Consul's raft_snapshot_interval: a server whose log grows slowly still
 * snapshots what it applied, so that a restart replays little. The period is drawn anew
 * from [interval, 2 * interval) each time, so that servers do not all write at once. */
static void snapshot_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct raftd *d = w->data;
	if (d->applied > d->snap_index)
		take_snapshot(d, "interval");
	w->repeat = snapshot_interval_s(d) * (1.0 + (double)(rng_next(&d->rng) % 1000) / 1000.0);
	ev_timer_again(loop, w);
}

static void register_self(struct raftd *d);

static void became(struct raftd *d, enum raft_role role)
{
	if (role == d->role && (role != RAFT_LEADER || d->lead_term == raft_term(d->raft)))
		return;
	log_info("raft: %s in term %" PRIu64 " (leader %" PRIx64 ")", raft_role_name(role), raft_term(d->raft),
		 raft_leader(d->raft));
	d->role = role;
	if (role == RAFT_LEADER) {
		d->lead_from = raft_last_index(d->raft); /* its no-op entry */
		d->lead_term = raft_term(d->raft);
		d->catalog_dirty = true;
		register_self(d);
	}
}

/* Does what one Ready asks (raft.h), in its order. A failed write of the log or the hard
 * state cannot be answered safely: raftd exits and the supervisor restarts it, and recovery
 * starts again from what the disk holds. */
static void do_ready(struct raftd *d)
{
	struct raft_ready rd;
	raft_ready(d->raft, &rd);
	d->in_ready = true;
	for (size_t i = 0; i < rd.n_msgs; i++)
		if (!rd.msgs[i].after_persist)
			send_message(d, &rd.msgs[i]);
	int rc = 0;
	if (rd.snapshot)
		rc = raft_storage_save_snapshot(d->disk, rd.snapshot, true);
	if (rc == 0 && rd.n_entries)
		rc = raft_storage_append(d->disk, rd.entries, rd.n_entries);
	/* Term and vote must be durable; the commit index is only a hint (raft.h), so a change
	 * of it alone does not cost a file replacement per batch. */
	if (rc == 0 && rd.hs_changed &&
	    (rd.hard_state.term != d->persisted.term || rd.hard_state.vote != d->persisted.vote)) {
		rc = raft_storage_set_hard_state(d->disk, &rd.hard_state);
		if (rc == 0)
			d->persisted = rd.hard_state;
	}
	if (rc == 0 && rd.must_sync)
		rc = raft_storage_sync(d->disk);
	if (rc < 0)
		fatalx("raft: cannot persist the log in %s/raft: %s", d->cfg.data_dir, strerror(-rc));
	for (size_t i = 0; i < rd.n_msgs; i++)
		if (rd.msgs[i].after_persist)
			send_message(d, &rd.msgs[i]);
	if (rd.snapshot)
		install_snapshot(d, rd.snapshot);
	struct buf res;
	buf_init(&res);
	for (size_t i = 0; i < rd.n_committed; i++)
		apply_entry(d, &rd.committed[i], &res);
	buf_free(&res);
	reads_confirmed(d, rd.reads, rd.n_reads);
	d->in_ready = false;
	raft_advance(d->raft, &rd);
	became(d, rd.role);
	release_reads(d);
	maybe_snapshot(d);
}

/* A leader that is the only voter has nobody to send heartbeats to and no election to time,
 * so its clock stops (an idle lone server then wakes only for requests); it runs again as
 * soon as the configuration holds another server. */
static void adjust_clock(struct raftd *d)
{
	const struct raft_config *c = raft_configuration(d->raft);
	bool alone = raft_role(d->raft) == RAFT_LEADER && c->n == 1 && c->servers[0].id == d->id;
	if (alone && ev_is_active(&d->tick))
		ev_timer_stop(d->loop, &d->tick);
	else if (!alone && !ev_is_active(&d->tick))
		ev_timer_start(d->loop, &d->tick);
}

void process_readys(struct raftd *d)
{
	int rounds = 0;
	while (raft_has_ready(d->raft) && rounds++ < MAX_READY_ROUNDS)
		do_ready(d);
	if (raft_has_ready(d->raft))
		ev_idle_start(d->loop, &d->more_ready);
	else
		ev_idle_stop(d->loop, &d->more_ready);
	adjust_clock(d);
	wake_waiters(d);
}

static void ready_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	process_readys(w->data);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Nothing: being active keeps the loop turning, and ready_cb runs before it blocks. */
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct raftd *d = w->data;
	raft_tick(d->raft);
}

/* ---- requests ---- */

static void handle_status(struct raftd *d, struct rpc_req *req, unsigned op)
{
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	if (op == RPC_STATUS_LEADER) {
		uint64_t leader = raft_leader(d->raft);
		const char *addr = leader ? server_addr_of(d, leader) : NULL;
		jw_str(&w, addr ? addr : "");
	} else if (op == RPC_STATUS_PEERS) {
		const struct raft_config *c = raft_configuration(d->raft);
		jw_arr_open(&w);
		for (uint32_t i = 0; i < c->n; i++)
			jw_str(&w, c->servers[i].addr);
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
	if (op == RPC_RAFT_FORWARD) {
		/* u16 op, then its args: a request another server relayed to us as leader */
		unsigned inner = len >= 2 ? (unsigned)((unsigned char)args[0] << 8 | (unsigned char)args[1]) : 0;
		if (len < 2 || inner == RPC_RAFT_FORWARD || inner == RPC_RAFT_MESSAGE) {
			rpc_req_close(req); /* only a broken or hostile server sends this */
			reply_str(d, req, 400, "malformed forwarded request");
			return;
		}
		d->handling_forwarded = true;
		handler(d, req, inner, args + 2, len - 2);
		d->handling_forwarded = false;
	} else if (op == RPC_RAFT_MESSAGE) {
		handle_raft_message(d, req, args, len);
	} else if (op == RPC_RAFT_CONFIGURATION) {
		/* the leader's view (it knows how far each server is), unless ?stale */
		if (raft_role(d->raft) == RAFT_LEADER || read_mode_of(args, len) == READ_STALE ||
		    !forward_to_leader(d, req, op, args, len))
			handle_raft_configuration(d, req);
	} else if (op == RPC_RAFT_REMOVE_PEER) {
		handle_remove_peer(d, req, args, len);
	} else if (op == RPC_SNAPSHOT_SAVE) {
		handle_store_read(d, req, op, args, len); /* default from the leader, or ?stale */
	} else if (op == RPC_SNAPSHOT_RESTORE) {
		if (raft_role(d->raft) == RAFT_LEADER)
			snapshot_restore_propose(d, req, args, len);
		else if (!forward_to_leader(d, req, op, args, len))
			reply_str(d, req, 500, "No cluster leader");
	} else if (op == RPC_STATUS_LEADER || op == RPC_STATUS_PEERS || op == RPC_CATALOG_DATACENTERS) {
		handle_status(d, req, op);
	} else if (!ops_is_store_op(op)) {
		log_debug("unknown op %u (%s) from a client", op, rpc_op_name(op));
		reply_str(d, req, 400, "unknown op");
	} else if (ops_is_write(op)) {
		if (raft_role(d->raft) == RAFT_LEADER)
			handle_write(d, req, op, args, len, rpc_op_name(op));
		else if (!forward_to_leader(d, req, op, args, len))
			reply_str(d, req, 500, "No cluster leader");
	} else {
		handle_store_read(d, req, op, args, len);
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
static void register_self(struct raftd *d)
{
	const struct config *c = &d->cfg;
	const char *advertise = d->advertise;
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

/* Files made before the privilege drop must stay writable after it (the log, snapshots). */
static void hand_over(const char *dir, const char *user)
{
	if (geteuid() != 0)
		return;
	uid_t uid;
	gid_t gid;
	if (priv_target(user, &uid, &gid) < 0)
		return;
	if (chown(dir, uid, gid) < 0)
		fatal("chown %s", dir);
	DIR *dh = opendir(dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (chown(path, uid, gid) < 0 && errno != ENOENT)
			fatal("chown %s", path);
	}
	if (dh)
		closedir(dh);
}

static void shutdown_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct raftd *d = w->data;
	process_readys(d);
	log_info("shutting down at index %" PRIu64, store_index(d->store));
	rpc_server_free(d->server);
	rpc_server_free(d->rpc_server);
	raft_storage_close(d->disk);
	exit(0);
}

/* xorshift64*, seeded from the kernel: the only randomness is the election timeouts. */
static uint64_t rng_next(void *arg)
{
	uint64_t *x = arg;
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

static uint64_t rng_seed(uint64_t id)
{
	uint64_t seed = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
			seed = 0;
		close(fd);
	}
	seed ^= id ^ (uint64_t)getpid() << 32;
	return seed ? seed : 0x9e3779b97f4a7c15ull;
}

/* Reads the durable state back into the core and the store. */
static void recover(struct raftd *d, const char *raft_dir)
{
	char err[768];
	struct raft_storage_state st;
	struct raft_storage_options so = {.dir = raft_dir, .no_sync = d->cfg.dev};
	d->disk = raft_storage_open(&so, &st, err, sizeof err);
	if (!d->disk)
		fatalx("raft storage: %s", err);
	if (st.has_snapshot) {
		if (store_restore(d->store, (const char *)st.snapshot.data, (size_t)st.snapshot.len, err, sizeof err) < 0)
			fatalx("raft storage: snapshot in %s does not restore (%s); stop this server, move %s "
			       "aside and let it rejoin its cluster",
			       raft_dir, err, raft_dir);
		d->applied = d->snap_index = st.snapshot.index;
	}
	d->persisted = st.hard_state;
	if (raft_load(d->raft, &st.hard_state, st.has_snapshot ? &st.snapshot : NULL, st.entries, st.n_entries) != 0)
		fatalx("raft storage: the log in %s does not follow its snapshot; move it aside", raft_dir);
	log_info("raft: recovered term %" PRIu64 ", snapshot %" PRIu64 ", log up to %" PRIu64 "%s",
		 st.hard_state.term, st.has_snapshot ? st.snapshot.index : 0, raft_last_index(d->raft),
		 st.dropped_bytes ? " (a torn tail was dropped)" : "");
	raft_storage_state_free(&st);
}

int main(int argc, char **argv)
{
	static struct raftd d;
	the_raftd = &d;
	role_start("raftd", argc, argv, &d.cfg);
	d.loop = ev_default_loop(0);
	d.store = store_new();
	buf_init(&d.wire);
	buf_init(&d.members_body);
	const char *advertise = d.cfg.advertise_addr ? d.cfg.advertise_addr : d.cfg.bind_addr;
	if (!advertise || !strcmp(advertise, "0.0.0.0"))
		advertise = "127.0.0.1";
	d.advertise = strdup(advertise);
	d.server_addr = host_port(advertise, d.cfg.port_server);
	d.id = servers_raft_id(d.cfg.node_id, d.cfg.node_name);

	struct raft_options o = raft_options_default(d.id);
	uint32_t m = d.cfg.raft_multiplier > 0 ? (uint32_t)d.cfg.raft_multiplier : 1;
	o.heartbeat_timeout_ticks *= m;
	o.election_timeout_ticks *= m;
	o.leader_lease_ticks *= m;
	o.heartbeat_interval_ticks *= m;
	o.trailing_logs = d.cfg.trailing_logs;
	d.rng = rng_seed(d.id);
	o.rand = rng_next;
	o.rand_arg = &d.rng;
	d.raft = raft_new(&o);

	char *raft_dir;
	{
		size_t n = strlen(d.cfg.data_dir) + sizeof "/raft";
		raft_dir = malloc(n);
		if (!raft_dir)
			abort();
		snprintf(raft_dir, n, "%s/raft", d.cfg.data_dir);
	}
	recover(&d, raft_dir);
	bool lone = d.cfg.dev || (d.cfg.server && (d.cfg.bootstrap || d.cfg.bootstrap_expect == 1));
	if (lone && raft_last_index(d.raft) == 0 && raft_term(d.raft) == 0) {
		struct raft_config conf = {.n = 1};
		conf.servers[0].id = d.id;
		snprintf(conf.servers[0].addr, RAFT_ADDR_MAX, "%s", d.server_addr);
		if (raft_bootstrap(d.raft, &conf) != 0)
			fatalx("raft: bootstrap failed");
		log_info("raft: bootstrapped a cluster of one (%s)", d.server_addr);
	}
	const struct raft_config *conf = raft_configuration(d.raft);
	if (conf->n == 1 && conf->servers[0].id == d.id)
		raft_campaign(d.raft); /* the only voter: no one to wait for */

	char *sock = config_run_path(&d.cfg, "raft.sock");
	d.server = role_serve(d.loop, &d.cfg, "raft.sock", handler, &d);
	/* The same requests arrive over TCP from client agents and other servers. */
	if (d.cfg.server && d.cfg.port_server > 0 &&
	    !(d.rpc_server = rpc_server_listen_tcp(d.loop, d.cfg.bind_addr, d.cfg.port_server, handler, &d)))
		fatalx("cannot serve RPC on %s:%d", d.cfg.bind_addr, d.cfg.port_server);
	hand_over(raft_dir, d.cfg.user);
	priv_drop(d.cfg.user);
	role_watch_reload(d.loop, &d.cfg, argc, argv, NULL, NULL);

	ev_prepare_init(&d.ready_watcher, ready_cb);
	d.ready_watcher.data = &d;
	ev_prepare_start(d.loop, &d.ready_watcher);
	ev_idle_init(&d.more_ready, idle_cb);
	ev_timer_init(&d.tick, tick_cb, TICK_MS / 1000.0, TICK_MS / 1000.0);
	d.tick.data = &d;
	ev_timer_start(d.loop, &d.tick);
	ev_init(&d.snapshot_timer, snapshot_timer_cb);
	d.snapshot_timer.data = &d;
	d.snapshot_timer.repeat = snapshot_interval_s(&d) * (1.0 + (double)(rng_next(&d.rng) % 1000) / 1000.0);
	ev_timer_again(d.loop, &d.snapshot_timer);
	ev_signal_init(&d.sigterm, shutdown_cb, SIGTERM);
	ev_signal_init(&d.sigint, shutdown_cb, SIGINT);
	d.sigterm.data = d.sigint.data = &d;
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_start(d.loop, &d.sigint);

	members_start(&d);

	process_readys(&d); /* a lone server is leader from here on */
	log_info("serving %s at index %" PRIu64 " as %s (%s)", sock, store_index(d.store),
		 raft_role_name(raft_role(d.raft)), raft_dir);
	free(sock);
	free(raft_dir);
	ev_run(d.loop, 0);
	fatalx("event loop returned");
}
