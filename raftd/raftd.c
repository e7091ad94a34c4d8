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
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "catalog_reconcile.h"
#include "config.h"
#include "daemon.h"
#include "json.h"
#include "log.h"
#include "ops.h"
#include "privdrop.h"
#include "raft.h"
#include "raft_storage.h"
#include "raft_wire.h"
#include "rpc.h"
#include "rpc_ops.h"
#include "servers.h"
#include "store.h"
#include "version.h"

#define TICK_MS 10
#define WAIT_DEFAULT_MS 300000u /* Consul's default blocking wait: 5 minutes */
#define WAIT_MAX_MS 600000u     /* and its cap: 10 minutes */
#define READ_CONFIRM_TIMEOUT_S 5.0 /* a lost read-index round is given up after this */
#define MAX_READY_ROUNDS 16        /* Readys done per loop iteration before yielding */

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

/* A write proposed on this leader, answered when its index is applied. */
struct proposal {
	uint64_t index, term;
	struct rpc_req *req; /* NULL for raftd's own writes */
	const char *what;
	struct proposal *next;
};

/* A read waiting for a read index (a quorum round, or the lease of a new leader). */
struct pending_read {
	struct raftd *d;
	uint64_t ctx;
	uint64_t index; /* 0 until confirmed */
	struct rpc_req *req;
	unsigned op;
	char *args;
	size_t args_len;
	ev_timer timer;
	struct pending_read *prev, *next;
};

/* Another server, reached over its server RPC port. */
struct peer {
	uint64_t id;
	char addr[RAFT_ADDR_MAX];
	struct rpc_client *client;
};

struct raftd {
	struct ev_loop *loop;
	struct config cfg;
	struct store *store;
	struct raft *raft;
	struct raft_storage *disk;
	struct raft_hard_state persisted; /* as the state file holds it */
	uint64_t id;
	struct rpc_server *server;     /* raft.sock: this agent's roles */
	struct rpc_server *rpc_server; /* TCP server port (8300): other agents and servers */
	char *server_addr;             /* "advertise:port_server" */
	char *advertise;
	enum raft_role role;
	uint64_t lead_term;   /* the term this server last led in */
	uint64_t applied;     /* last committed entry done (store_index counts only commands) */
	uint64_t lead_from;   /* this leader's first entry: reads wait until it is applied */
	uint64_t snap_index;  /* the store's last snapshot */
	struct proposal *proposals, *proposals_tail;
	struct pending_read *reads;
	uint64_t next_read_ctx;
	struct waiter *waiters;
	uint64_t waiters_seen_index;
	struct peer peers[RAFT_MAX_SERVERS];
	size_t n_peers;
	struct buf wire; /* one encoded message */
	bool handling_forwarded; /* the request being handled came from another server */
	bool in_ready;           /* between raft_ready and raft_advance: no other raft_* call */
	/* gossip: the servers of our datacenter, kept fresh by a blocking MEMBERS query */
	struct rpc_client *gossip;
	struct server_member members[2 * RAFT_MAX_SERVERS];
	size_t n_members;
	uint64_t members_index;
	bool members_known;
	struct buf members_body; /* the last MEMBERS reply, for the catalog's reconciliation */
	bool catalog_dirty;      /* membership or leadership changed since the catalog followed */
	uint64_t catalog_wait_index; /* its last write: compare again once this is applied */
	int boot_probes_left; /* -bootstrap-expect: STATUS_PEERS answers still awaited */
	bool boot_probe_failed;
	bool boot_refused;    /* a probed server is already in a cluster */
	char boot_why[256];   /* why not bootstrapped yet, as last logged */
	ev_timer members_retry;
	ev_timer reconcile_timer;
	uint64_t rng;
	ev_timer tick;
	ev_prepare ready_watcher;
	ev_idle more_ready; /* keeps the loop from blocking while Readys are left */
	ev_signal sigterm, sigint;
};

static void process_readys(struct raftd *d);
static struct raftd *the_raftd; /* for callbacks whose argument is taken by a tag */

/* ---- replies ---- */

static uint64_t reply_index(const struct raftd *d)
{
	uint64_t i = store_index(d->store);
	return i ? i : 1; /* Consul's clients reject X-Consul-Index 0 */
}

static void reply(struct raftd *d, struct rpc_req *req, int status, const struct buf *body)
{
	struct rpc_reply r = {.status = (uint32_t)status,
			      .known_leader = raft_leader(d->raft) != 0,
			      .index = reply_index(d),
			      .last_contact_ms = (uint32_t)(raft_last_contact_ticks(d->raft) * TICK_MS),
			      .body = body->data,
			      .body_len = body->len};
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

static char *copy_args(const char *args, size_t len)
{
	char *c = malloc(len + 1);
	if (!c)
		abort();
	if (len)
		memcpy(c, args, len);
	c[len] = '\0';
	return c;
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
	if (!w)
		abort();
	w->args = copy_args(args, len);
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

/* ---- peers: Raft messages and forwarding ---- */

/* The server's address as the current configuration (or the snapshot's) names it, else as
 * gossip does (a server not yet in any configuration still answers votes and appends). */
static const char *server_addr_of(const struct raftd *d, uint64_t id)
{
	const struct raft_server *s = raft_config_find(raft_configuration(d->raft), id);
	if (!s)
		s = raft_config_find(&raft_get_snapshot(d->raft)->config, id);
	if (s)
		return s->addr;
	for (size_t i = 0; i < d->n_members; i++)
		if (d->members[i].id == id)
			return d->members[i].addr;
	return NULL;
}

/* The link to server id at addr, made (or remade, when its address changed) on demand. */
static struct rpc_client *peer_client(struct raftd *d, uint64_t id, const char *addr)
{
	struct peer *p = NULL;
	for (size_t i = 0; i < d->n_peers; i++)
		if (d->peers[i].id == id)
			p = &d->peers[i];
	if (p && strcmp(p->addr, addr) != 0) {
		rpc_client_free(p->client);
		p->client = NULL;
	}
	if (!p) {
		if (d->n_peers == RAFT_MAX_SERVERS) { /* forget the oldest: it left the configuration */
			rpc_client_free(d->peers[0].client);
			memmove(&d->peers[0], &d->peers[1], (d->n_peers - 1) * sizeof d->peers[0]);
			d->n_peers--;
		}
		p = &d->peers[d->n_peers++];
		memset(p, 0, sizeof *p);
		p->id = id;
	}
	if (!p->client) {
		snprintf(p->addr, sizeof p->addr, "%s", addr);
		p->client = rpc_client_new(d->loop, addr, "raft peer");
	}
	return p->client;
}

#define SNAPSHOT_FLAG (1ull << 63)

static void message_sent_cb(void *arg, const struct rpc_reply *r)
{
	uint64_t tag = (uint64_t)(uintptr_t)arg;
	/* Not from inside a Ready (a link freed while sending fails its calls at once): the
	 * core retries an unanswered snapshot on its own anyway. */
	if (r->status != 200 && (tag & SNAPSHOT_FLAG) && !the_raftd->in_ready)
		raft_report_unreachable(the_raftd->raft, tag & ~SNAPSHOT_FLAG);
}

static void send_message(struct raftd *d, const struct raft_msg *m)
{
	const char *addr = server_addr_of(d, m->to);
	if (!addr)
		return; /* not in any configuration we know: nobody to send to */
	buf_reset(&d->wire);
	if (raft_wire_encode(&d->wire, m) < 0)
		abort();
	uint64_t tag = m->to | (m->type == RAFT_MSG_SNAPSHOT ? SNAPSHOT_FLAG : 0);
	int64_t rc = rpc_call(peer_client(d, m->to, addr), RPC_RAFT_MESSAGE, d->wire.data, d->wire.len,
			      message_sent_cb, (void *)(uintptr_t)tag);
	if (rc < 0)
		log_debug("raft: %s to %s dropped: %s", raft_msg_type_name(m->type), addr, strerror((int)-rc));
	if (d->wire.cap > (1u << 20)) { /* a snapshot went out: give its memory back */
		buf_free(&d->wire);
		buf_init(&d->wire);
	}
}

/* A leader's snapshot is checked on a scratch store before the core may take it: once
 * persisted, a snapshot that does not restore would stop this server at every start. */
static bool snapshot_restores(const struct raft_snapshot *snap)
{
	struct store *scratch = store_new();
	char err[256];
	int rc = store_restore(scratch, (const char *)snap->data, (size_t)snap->len, err, sizeof err);
	store_free(scratch);
	if (rc < 0)
		log_warnx("raft: snapshot at index %" PRIu64 " from the leader refused: %s", snap->index, err);
	return rc == 0;
}

static void handle_raft_message(struct raftd *d, struct rpc_req *req, const char *args, size_t len)
{
	static struct raft_wire_msg w; /* 8 KB of entry slots: kept off the stack */
	const char *why = NULL;
	if (raft_wire_decode((const unsigned char *)args, len, &w, &why) < 0) {
		log_warnx("raft: malformed message (%zu bytes) refused: %s", len, why);
		reply_str(d, req, 400, "malformed raft message");
		return;
	}
	if (w.msg.to != d->id) {
		reply_str(d, req, 400, "raft message for another server");
		return;
	}
	if (w.msg.type == RAFT_MSG_SNAPSHOT && !snapshot_restores(w.msg.snapshot)) {
		reply_str(d, req, 400, "snapshot does not restore"); /* before it is persisted */
		return;
	}
	raft_step(d->raft, &w.msg);
	reply_str(d, req, 200, "");
}

/* A request relayed to the leader; its reply goes back to the caller as it came. */
struct forward {
	struct rpc_req *req;
};

static void forward_cb(void *arg, const struct rpc_reply *r)
{
	struct forward *f = arg;
	rpc_reply_send(f->req, r);
	free(f);
}

/* Sends the request to the leader, as Consul's servers do. Returns false when no leader is
 * known (the caller answers). */
static bool forward_to_leader(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	uint64_t leader = raft_leader(d->raft);
	const char *addr = leader && leader != d->id ? server_addr_of(d, leader) : NULL;
	if (!addr || d->handling_forwarded || op > 0xffff)
		return false; /* one hop only: two servers that disagree on the leader never loop */
	struct forward *f = malloc(sizeof *f);
	if (!f)
		abort();
	f->req = req;
	buf_reset(&d->wire);
	unsigned char hdr[2] = {(unsigned char)(op >> 8), (unsigned char)op};
	if (buf_append(&d->wire, (const char *)hdr, 2) < 0 || (len && buf_append(&d->wire, args, len) < 0))
		abort();
	if (rpc_call(peer_client(d, leader, addr), RPC_RAFT_FORWARD, d->wire.data, d->wire.len, forward_cb, f) < 0) {
		free(f);
		reply_str(d, req, 500, "rpc error: leader unreachable");
	}
	return true;
}

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
static uint64_t propose_command(struct raftd *d, struct rpc_req *req, const char *cmd, size_t len,
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
static void handle_write(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len,
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

/* ---- reads that need the leader's confirmation ---- */

static void pending_read_unlink(struct pending_read *pr)
{
	struct raftd *d = pr->d;
	if (pr->prev)
		pr->prev->next = pr->next;
	else
		d->reads = pr->next;
	if (pr->next)
		pr->next->prev = pr->prev;
	ev_timer_stop(d->loop, &pr->timer);
	rpc_req_on_abandon(pr->req, NULL, NULL);
}

static void pending_read_free(struct pending_read *pr)
{
	free(pr->args);
	free(pr);
}

static void pending_read_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct pending_read *pr = t->data;
	pending_read_unlink(pr);
	reply_str(pr->d, pr->req, 500, "No cluster leader");
	pending_read_free(pr);
}

static void pending_read_abandon_cb(void *arg, struct rpc_req *req)
{
	struct pending_read *pr = arg;
	pending_read_unlink(pr);
	rpc_reply_send(req, &(struct rpc_reply){.status = 503});
	pending_read_free(pr);
}

/* Asks the core for a read index; the read runs once the store has applied it. */
static void confirm_then_read(struct raftd *d, struct rpc_req *req, enum raft_read_mode mode, unsigned op,
			      const char *args, size_t len)
{
	uint64_t ctx = ++d->next_read_ctx;
	int rc = raft_read_index(d->raft, mode, ctx);
	if (rc != 0) {
		reply_str(d, req, 500, rc == RAFT_ERR_BUSY ? "too many pending reads" : "No cluster leader");
		return;
	}
	struct pending_read *pr = calloc(1, sizeof *pr);
	if (!pr)
		abort();
	*pr = (struct pending_read){.d = d, .ctx = ctx, .req = req, .op = op, .args = copy_args(args, len),
				    .args_len = len};
	ev_timer_init(&pr->timer, pending_read_timeout_cb, READ_CONFIRM_TIMEOUT_S, 0.);
	pr->timer.data = pr;
	ev_timer_start(d->loop, &pr->timer);
	rpc_req_on_abandon(req, pending_read_abandon_cb, pr);
	pr->next = d->reads;
	if (d->reads)
		d->reads->prev = pr;
	d->reads = pr;
}

static void reads_confirmed(struct raftd *d, const struct raft_read_state *rs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (struct pending_read *pr = d->reads; pr; pr = pr->next)
			if (pr->ctx == rs[i].ctx) {
				pr->index = rs[i].index ? rs[i].index : 1;
				break;
			}
}

/* Runs the confirmed reads whose index the store has reached. */
static void release_reads(struct raftd *d)
{
	struct pending_read *ready = NULL;
	for (struct pending_read *pr = d->reads, *next; pr; pr = next) {
		next = pr->next;
		if (pr->index && pr->index <= d->applied) {
			pending_read_unlink(pr);
			pr->next = ready;
			ready = pr;
		}
	}
	while (ready) {
		struct pending_read *pr = ready;
		ready = pr->next;
		handle_read(d, pr->req, pr->op, pr->args, pr->args_len);
		pending_read_free(pr);
	}
}

enum read_mode { READ_DEFAULT, READ_STALE, READ_CONSISTENT };

static enum read_mode read_mode_of(const char *args, size_t len)
{
	enum read_mode mode = READ_DEFAULT;
	char err[64];
	yajl_val a = len ? json_parse(args, len, err, sizeof err) : NULL;
	if (a && json_is_true(json_get(a, "stale")))
		mode = READ_STALE;
	else if (a && json_is_true(json_get(a, "consistent")))
		mode = READ_CONSISTENT;
	if (a)
		yajl_tree_free(a);
	return mode;
}

/* Consul's consistency modes: ?stale from any server; the default from the leader (under
 * its lease, once it has applied what its predecessors committed); ?consistent after a
 * quorum round confirms the leadership. */
static void handle_store_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	enum read_mode mode = read_mode_of(args, len);
	bool leader = raft_role(d->raft) == RAFT_LEADER;
	if (mode == READ_STALE) {
		handle_read(d, req, op, args, len);
	} else if (mode == READ_CONSISTENT) {
		confirm_then_read(d, req, RAFT_READ_CONSISTENT, op, args, len);
	} else if (leader && d->applied >= d->lead_from) {
		handle_read(d, req, op, args, len);
	} else if (leader) {
		confirm_then_read(d, req, RAFT_READ_LEASE, op, args, len);
	} else if (!forward_to_leader(d, req, op, args, len)) {
		reply_str(d, req, 500, "No cluster leader");
	}
}

/* ---- the Ready loop ---- */

static void apply_entry(struct raftd *d, const struct raft_entry *e, struct buf *res)
{
	int status = 200;
	buf_reset(res);
	if (e->type == RAFT_ENTRY_NORMAL)
		status = store_apply(d->store, e->index, (const char *)e->data, e->len, res);
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

/* Snapshots the store every snapshot_threshold entries; Raft then drops the log up to
 * trailing_logs behind it, and so does the disk. */
static void maybe_snapshot(struct raftd *d)
{
	uint64_t threshold = d->cfg.snapshot_threshold;
	if (!threshold || d->applied < d->snap_index + threshold || raft_applied_index(d->raft) < d->applied)
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
	log_info("raft: snapshot at index %" PRIu64 ", %d old segments removed", d->applied, n > 0 ? n : 0);
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

static void process_readys(struct raftd *d)
{
	int rounds = 0;
	while (raft_has_ready(d->raft) && rounds++ < MAX_READY_ROUNDS)
		do_ready(d);
	if (raft_has_ready(d->raft))
		ev_idle_start(d->loop, &d->more_ready);
	else
		ev_idle_stop(d->loop, &d->more_ready);
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
static void maybe_bootstrap(struct raftd *d)
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
static void reconcile_catalog(struct raftd *d)
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
static void reconcile_servers(struct raftd *d)
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

/* The member gossip knows as server id, or NULL. */
static const struct server_member *member_of(const struct raftd *d, uint64_t id)
{
	for (size_t i = 0; i < d->n_members; i++)
		if (d->members[i].id == id)
			return &d->members[i];
	return NULL;
}

/* /v1/operator/raft/configuration: the servers of the configuration in effect, named by
 * gossip (Consul's fields; every server is a voter here). */
static void handle_raft_configuration(struct raftd *d, struct rpc_req *req)
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
static void handle_remove_peer(struct raftd *d, struct rpc_req *req, const char *args, size_t len)
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

static void handler(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct raftd *d = arg;
	if (op == RPC_RAFT_FORWARD) {
		/* u16 op, then its args: a request another server relayed to us as leader */
		unsigned inner = len >= 2 ? (unsigned)((unsigned char)args[0] << 8 | (unsigned char)args[1]) : 0;
		if (len < 2 || inner == RPC_RAFT_FORWARD || inner == RPC_RAFT_MESSAGE) {
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
	role_watch_reload(d.loop, argc, argv, NULL, NULL);

	ev_prepare_init(&d.ready_watcher, ready_cb);
	d.ready_watcher.data = &d;
	ev_prepare_start(d.loop, &d.ready_watcher);
	ev_idle_init(&d.more_ready, idle_cb);
	ev_timer_init(&d.tick, tick_cb, TICK_MS / 1000.0, TICK_MS / 1000.0);
	d.tick.data = &d;
	ev_timer_start(d.loop, &d.tick);
	ev_signal_init(&d.sigterm, shutdown_cb, SIGTERM);
	ev_signal_init(&d.sigint, shutdown_cb, SIGINT);
	d.sigterm.data = d.sigint.data = &d;
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_start(d.loop, &d.sigint);

	char *gossip_sock = config_run_path(&d.cfg, "gossip.sock");
	d.gossip = rpc_client_new(d.loop, gossip_sock, "gossipd");
	free(gossip_sock);
	ev_timer_init(&d.members_retry, members_retry_cb, 1., 0.);
	d.members_retry.data = &d;
	ev_timer_init(&d.reconcile_timer, reconcile_cb, 1., 1.);
	d.reconcile_timer.data = &d;
	ev_timer_start(d.loop, &d.reconcile_timer);
	members_poll(&d);

	process_readys(&d); /* a lone server is leader from here on */
	log_info("serving %s at index %" PRIu64 " as %s (%s)", sock, store_index(d.store),
		 raft_role_name(raft_role(d.raft)), raft_dir);
	free(sock);
	free(raft_dir);
	ev_run(d.loop, 0);
	fatalx("event loop returned");
}
