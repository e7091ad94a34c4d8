/* sim_raft.c: deterministic simulation of Raft clusters (raftd/raft.h) under faults.
 *
 * Each seed runs a 3- or 5-server cluster on a virtual clock with a seeded PRNG: a virtual
 * network that loses, duplicates, delays and reorders messages; partitions; crashes and
 * restarts from what the disk held (with unsynced writes surviving a process crash, or, in
 * half the seeds, lost as in a power failure: only what a Ready asked to persist and the sim
 * "fsynced" survives); snapshots and compaction with a few trailing entries, so followers
 * that fall behind get InstallSnapshot. Clients issue put/get/cas on a few keys through the
 * leader (reads by lease, by ReadIndex, or through a follower), with retries and timeouts.
 *
 * After every event: election safety, log matching, state-machine safety; at each new leader:
 * leader completeness; at each crash and restart: every committed entry is still durable on
 * a quorum. At the end: the cluster converges, and the client history of every key is
 * linearizable (Wing & Gong / Lowe search; timed-out operations may or may not have happened).
 *
 *   sim_raft                 run the default seed range
 *   SIM_SEED=1234 sim_raft   replay one seed (verbose: SIM_VERBOSE=1)
 *   SIM_SEEDS=5000 sim_raft  run more seeds
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft.h"

#define MAX_NODES 5
#define NCLIENTS 4
#define NKEYS 3
#define TICK_MS 10
#define FAULT_PHASE_MS 8000
#define SETTLE_MS 1500
#define MAX_RUN_MS 40000
#define CLIENT_TIMEOUT_MS 600
#define SNAP_EVERY 16
#define NEVER UINT64_MAX

static bool verbose;
static char fail_msg[512];
static bool failed;

#define FAIL(...)                                                                  \
	do {                                                                       \
		if (!failed) {                                                     \
			snprintf(fail_msg, sizeof fail_msg, __VA_ARGS__);          \
			failed = true;                                             \
		}                                                                  \
	} while (0)

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		abort();
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* ---- PRNG (splitmix64) ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	return splitmix(&rng_state);
}
static uint64_t rnd_range(uint64_t lo, uint64_t hi) /* [lo, hi] */
{
	return lo + rnd() % (hi - lo + 1);
}
static bool chance(double p)
{
	return (double)(rnd() >> 11) / (double)(1ull << 53) < p;
}

static uint64_t node_rand(void *arg)
{
	return splitmix((uint64_t *)arg);
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	h ^= 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* ---- the KV state machine and its commands ---- */

enum { OP_PUT = 1, OP_CAS = 2, OP_GET = 3 };

struct cmd {
	uint8_t op;
	uint8_t key;
	int64_t a, b; /* PUT: a = value; CAS: a = expected, b = new */
};

struct kv {
	int64_t val[NKEYS];
};

static uint64_t kv_hash(const struct kv *kv)
{
	return hash_bytes(kv->val, sizeof kv->val, 7);
}

/* Returns the command's result: 1/0 for a CAS, 1 for a PUT. */
static int64_t kv_apply(struct kv *kv, const struct cmd *c)
{
	if (c->key >= NKEYS)
		return 0;
	if (c->op == OP_PUT) {
		kv->val[c->key] = c->a;
		return 1;
	}
	if (c->op == OP_CAS && kv->val[c->key] == c->a) {
		kv->val[c->key] = c->b;
		return 1;
	}
	return 0;
}

/* ---- events ---- */

enum ev_type { EV_TICK, EV_MSG, EV_FSYNC, EV_C2S, EV_S2C, EV_CLIENT_NEXT, EV_CLIENT_TIMEOUT, EV_FAULT,
	       EV_RESTART, EV_HEAL };

struct creq {
	int client;
	uint64_t opid;
	uint8_t op, key;
	int64_t a, b;
	int read_mode; /* 0 lease, 1 consistent, 2 via a follower */
};

enum { RESP_OK, RESP_NOT_LEADER, RESP_FAIL };
struct cresp {
	int client;
	uint64_t opid;
	int status;
	int64_t value;
	int hint;
};

struct event {
	uint64_t time, seq;
	int type;
	int node;
	uint64_t arg;
	struct raft_msg *msg;
	struct creq req;
	struct cresp resp;
};

static struct event *heap;
static size_t heap_n, heap_cap;
static uint64_t ev_seq, now_ms;

static bool ev_less(const struct event *a, const struct event *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void push(struct event e)
{
	e.seq = ev_seq++;
	if (heap_n == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 256;
		heap = xrealloc(heap, heap_cap * sizeof *heap);
	}
	size_t i = heap_n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ev_less(&e, &heap[p]))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = e;
}

static struct event pop(void)
{
	struct event top = heap[0], last = heap[--heap_n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= heap_n)
			break;
		if (c + 1 < heap_n && ev_less(&heap[c + 1], &heap[c]))
			c++;
		if (!ev_less(&heap[c], &last))
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_n)
		heap[i] = last;
	return top;
}

/* ---- messages on the virtual network ---- */

static struct raft_msg *msg_copy(const struct raft_msg *m)
{
	struct raft_msg *c = xcalloc(1, sizeof *c);
	*c = *m;
	if (m->n_entries) {
		c->entries = xcalloc(m->n_entries, sizeof *c->entries);
		for (uint32_t i = 0; i < m->n_entries; i++) {
			c->entries[i] = m->entries[i];
			c->entries[i].data = NULL;
			if (m->entries[i].len) {
				c->entries[i].data = xcalloc(1, m->entries[i].len);
				memcpy(c->entries[i].data, m->entries[i].data, m->entries[i].len);
			}
		}
	}
	if (m->snapshot) {
		struct raft_snapshot *s = xcalloc(1, sizeof *s);
		*s = *m->snapshot;
		unsigned char *d = xcalloc(1, s->len);
		memcpy(d, m->snapshot->data, s->len);
		s->data = d;
		c->snapshot = s;
	}
	return c;
}

static void msg_free(struct raft_msg *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	if (m->snapshot) {
		free((void *)m->snapshot->data);
		free(m->snapshot);
	}
	free(m);
}

/* ---- nodes ---- */

struct disk {
	struct raft_hard_state hs;
	struct raft_snapshot snap; /* index 0: none */
	unsigned char *snap_data;
	struct raft_entry *ents; /* consecutive */
	size_t n, cap;
};

struct pending_write {
	uint64_t index, term;
	int client;
	uint64_t opid;
};

struct pending_read {
	uint64_t ctx;
	uint64_t index;
	bool have_index;
	int client;
	uint64_t opid;
	uint8_t key;
};

struct node {
	int id; /* 1-based */
	uint64_t gen; /* restarts: an fsync of a previous life is ignored */
	struct raft *r;
	bool up, busy;
	uint64_t busy_until;
	struct raft_ready rd; /* in flight while busy */
	uint64_t rng;
	struct disk disk;
	struct kv kv;
	uint64_t last_snap;
	struct pending_write *pw;
	size_t n_pw, cap_pw;
	struct pending_read *pr;
	size_t n_pr, cap_pr;
};

static int nnodes;
static struct node nodes[MAX_NODES + 1];
static bool blocked[MAX_NODES + 1][MAX_NODES + 1];
static bool lossy_disk;
static double p_loss, p_dup;
static uint64_t delay_max_ms, fsync_max_ms;
static uint32_t election_ticks;
static uint64_t read_ctx_seq;

/* Cluster statistics across seeds. */
static uint64_t total_elections, total_crashes, total_snap_installs, total_ops_ok, total_ops_maybe;
static uint64_t *elect_ms;
static size_t n_elect_ms, cap_elect_ms;
static uint64_t leader_crash_at = NEVER, leader_crash_term;

/* ---- global knowledge for the checks ---- */

struct applied_rec {
	uint64_t term, hash, kvh;
	bool set;
};
static struct applied_rec *applied;
static size_t cap_applied;
static uint64_t max_committed;
/* Client values (all unique) that some committed command carried: a timed-out write whose
 * value is not here never took effect and leaves the history. */
static bool *value_committed;
static size_t cap_values;
static uint64_t lin_gave_up;
static uint64_t *leader_of_term;
static size_t cap_terms;

/* (index, term) -> (data hash, previous entry's term): log matching by induction. */
struct ekey {
	uint64_t index, term, hash, prev_term;
	bool used;
};
static struct ekey *etab;
static size_t etab_cap, etab_n;

static uint64_t entry_hash(const struct raft_entry *e)
{
	return hash_bytes(e->data, e->len, e->type);
}

static struct ekey *etab_slot(uint64_t index, uint64_t term)
{
	size_t i = (size_t)((index * 0x9e3779b97f4a7c15ull) ^ (term * 0xc2b2ae3d27d4eb4full)) & (etab_cap - 1);
	while (etab[i].used && (etab[i].index != index || etab[i].term != term))
		i = (i + 1) & (etab_cap - 1);
	return &etab[i];
}

static void etab_check(int node, uint64_t index, uint64_t term, uint64_t hash, uint64_t prev_term)
{
	if (etab_n * 2 >= etab_cap) {
		struct ekey *old = etab;
		size_t oc = etab_cap;
		etab_cap = oc ? oc * 2 : 1024;
		etab = xcalloc(etab_cap, sizeof *etab);
		for (size_t i = 0; i < oc; i++)
			if (old[i].used)
				*etab_slot(old[i].index, old[i].term) = old[i];
		free(old);
	}
	struct ekey *k = etab_slot(index, term);
	if (!k->used) {
		*k = (struct ekey){.index = index, .term = term, .hash = hash, .prev_term = prev_term, .used = true};
		etab_n++;
		return;
	}
	if (k->hash != hash)
		FAIL("log matching: node %d holds a different entry at index %" PRIu64 " term %" PRIu64, node, index,
		     term);
	if (k->prev_term != prev_term && prev_term != NEVER && k->prev_term != NEVER)
		FAIL("log matching: node %d: entry %" PRIu64 "/%" PRIu64 " follows term %" PRIu64 ", elsewhere %" PRIu64,
		     node, index, term, prev_term, k->prev_term);
}

/* Checks the node's log entries in (from, last]. */
static void check_log_matching(struct node *n, uint64_t from)
{
	const struct raft_log *l = raft_get_log(n->r);
	uint64_t last = raft_log_last(l);
	if (from < l->offset)
		from = l->offset;
	for (uint64_t i = from + 1; i <= last; i++) {
		const struct raft_entry *e = raft_log_get(l, i);
		uint64_t pt;
		if (raft_log_term(l, i - 1, &pt) != 0)
			pt = NEVER;
		etab_check(n->id, i, e->term, entry_hash(e), pt);
	}
}

static void grow_applied(uint64_t index)
{
	if (index < cap_applied)
		return;
	size_t nc = cap_applied ? cap_applied : 256;
	while (nc <= index)
		nc *= 2;
	applied = xrealloc(applied, nc * sizeof *applied);
	memset(applied + cap_applied, 0, (nc - cap_applied) * sizeof *applied);
	cap_applied = nc;
}

static void record_apply(struct node *n, const struct raft_entry *e, uint64_t kvh)
{
	grow_applied(e->index);
	struct applied_rec *a = &applied[e->index];
	uint64_t h = entry_hash(e);
	if (!a->set) {
		*a = (struct applied_rec){.term = e->term, .hash = h, .kvh = kvh, .set = true};
	} else if (a->term != e->term || a->hash != h) {
		FAIL("state machine safety: node %d applied term %" PRIu64 " at index %" PRIu64
		     ", another server applied term %" PRIu64,
		     n->id, e->term, e->index, a->term);
	} else if (a->kvh != kvh) {
		FAIL("state machine safety: node %d's state after index %" PRIu64 " differs", n->id, e->index);
	}
	if (e->index > max_committed)
		max_committed = e->index;
	if (e->type == RAFT_ENTRY_NORMAL && e->len == sizeof(struct cmd)) {
		struct cmd c;
		memcpy(&c, e->data, sizeof c);
		int64_t v = c.op == OP_PUT ? c.a : c.b;
		if (v > 0) {
			if ((size_t)v >= cap_values) {
				size_t nc = cap_values ? cap_values : 256;
				while (nc <= (size_t)v)
					nc *= 2;
				value_committed = xrealloc(value_committed, nc);
				memset(value_committed + cap_values, 0, nc - cap_values);
				cap_values = nc;
			}
			value_committed[v] = true;
		}
	}
}

/* Every committed entry must be durable on a quorum (the snapshot or the log). */
static void check_durable(const char *when)
{
	for (uint64_t i = 1; i <= max_committed && !failed; i++) {
		if (!applied[i].set)
			continue;
		int have = 0;
		for (int k = 1; k <= nnodes; k++) {
			struct disk *d = &nodes[k].disk;
			if (d->snap.index >= i) {
				have++;
				continue;
			}
			if (d->n && i >= d->ents[0].index && i < d->ents[0].index + d->n &&
			    d->ents[i - d->ents[0].index].term == applied[i].term)
				have++;
		}
		if (have < nnodes / 2 + 1)
			FAIL("durability (%s): committed index %" PRIu64 " is on %d disks only", when, i, have);
	}
}

/* Raft §5.4: a new leader holds every committed entry. */
static void check_leader_completeness(struct node *n)
{
	const struct raft_log *l = raft_get_log(n->r);
	for (uint64_t i = l->offset + 1; i <= max_committed && !failed; i++) {
		uint64_t t;
		if (!applied[i].set)
			continue;
		if (raft_log_term(l, i, &t) != 0 || t != applied[i].term)
			FAIL("leader completeness: leader %d of term %" PRIu64 " lacks committed index %" PRIu64, n->id,
			     raft_term(n->r), i);
	}
	if (l->offset < max_committed && raft_log_last(l) < max_committed)
		FAIL("leader completeness: leader %d's log ends before the commit index", n->id);
}

static void check_election_safety(void)
{
	for (int k = 1; k <= nnodes; k++) {
		struct node *n = &nodes[k];
		if (!n->up || raft_role(n->r) != RAFT_LEADER)
			continue;
		uint64_t t = raft_term(n->r);
		if (t >= cap_terms) {
			size_t nc = cap_terms ? cap_terms : 64;
			while (nc <= t)
				nc *= 2;
			leader_of_term = xrealloc(leader_of_term, nc * sizeof *leader_of_term);
			memset(leader_of_term + cap_terms, 0, (nc - cap_terms) * sizeof *leader_of_term);
			cap_terms = nc;
		}
		if (leader_of_term[t] == 0) {
			leader_of_term[t] = (uint64_t)n->id;
			if (verbose)
				printf("%8" PRIu64 " ms: node %d leader of term %" PRIu64 "\n", now_ms, n->id, t);
			check_leader_completeness(n);
			if (leader_crash_at != NEVER && t > leader_crash_term) {
				if (n_elect_ms == cap_elect_ms) {
					cap_elect_ms = cap_elect_ms ? cap_elect_ms * 2 : 256;
					elect_ms = xrealloc(elect_ms, cap_elect_ms * sizeof *elect_ms);
				}
				elect_ms[n_elect_ms++] = now_ms - leader_crash_at;
				leader_crash_at = NEVER;
			}
		} else if (leader_of_term[t] != (uint64_t)n->id) {
			FAIL("election safety: nodes %" PRIu64 " and %d both lead term %" PRIu64, leader_of_term[t], n->id, t);
		}
	}
}

/* ---- client history ---- */

struct op {
	int client;
	uint8_t type, key;
	int64_t a, b;
	int64_t out;
	bool out_known;
	uint64_t call, ret; /* ret NEVER: may or may not have happened */
	bool done, dropped;
};

static struct op *ops;
static size_t n_ops, cap_ops;

struct client {
	uint64_t opid; /* index in ops + 1, 0 when idle */
	int target;
	int64_t seen[NKEYS];
	uint64_t attempt;
};
static struct client clients[NCLIENTS];
static int64_t value_seq;
static bool clients_stop;

static void send_to_client(struct node *n, int client, uint64_t opid, int status, int64_t value)
{
	if (chance(p_loss / 2))
		return;
	struct event e = {.time = now_ms + rnd_range(1, delay_max_ms), .type = EV_S2C};
	e.resp = (struct cresp){.client = client, .opid = opid, .status = status, .value = value,
				.hint = (int)raft_leader(n->r)};
	push(e);
}

static void client_send(int c)
{
	struct client *cl = &clients[c];
	struct op *o = &ops[cl->opid - 1];
	struct event e = {.time = now_ms + rnd_range(1, delay_max_ms), .type = EV_C2S, .node = cl->target};
	e.req = (struct creq){.client = c, .opid = cl->opid, .op = o->type, .key = o->key, .a = o->a, .b = o->b,
			      .read_mode = (int)rnd_range(0, 2)};
	if (!chance(p_loss / 2))
		push(e);
	cl->attempt++;
	push((struct event){.time = now_ms + CLIENT_TIMEOUT_MS, .type = EV_CLIENT_TIMEOUT, .node = c,
			    .arg = cl->opid * 1000000 + cl->attempt});
}

static void client_next(int c)
{
	struct client *cl = &clients[c];
	if (clients_stop) {
		cl->opid = 0;
		return;
	}
	if (n_ops == cap_ops) {
		cap_ops = cap_ops ? cap_ops * 2 : 256;
		ops = xrealloc(ops, cap_ops * sizeof *ops);
	}
	struct op *o = &ops[n_ops++];
	memset(o, 0, sizeof *o);
	o->client = c;
	o->key = (uint8_t)rnd_range(0, NKEYS - 1);
	o->call = now_ms;
	o->ret = NEVER;
	uint64_t pick = rnd_range(0, 99);
	if (pick < 35) {
		o->type = OP_GET;
	} else if (pick < 70) {
		o->type = OP_PUT;
		o->a = ++value_seq;
	} else {
		o->type = OP_CAS;
		o->a = chance(0.8) ? cl->seen[o->key] : 0;
		o->b = ++value_seq;
	}
	cl->opid = n_ops;
	if (!cl->target || chance(0.1))
		cl->target = (int)rnd_range(1, (uint64_t)nnodes);
	client_send(c);
}

static void client_done(int c, int64_t out)
{
	struct client *cl = &clients[c];
	struct op *o = &ops[cl->opid - 1];
	o->out = out;
	o->out_known = true;
	o->ret = now_ms;
	o->done = true;
	if (o->type == OP_GET)
		cl->seen[o->key] = out;
	else if (o->type == OP_PUT)
		cl->seen[o->key] = o->a;
	else if (out)
		cl->seen[o->key] = o->b;
	total_ops_ok++;
	cl->opid = 0;
	push((struct event){.time = now_ms + rnd_range(0, 30), .type = EV_CLIENT_NEXT, .node = c});
}

static void client_on_resp(const struct cresp *r)
{
	struct client *cl = &clients[r->client];
	if (cl->opid != r->opid)
		return; /* an answer to an op given up on */
	if (r->status == RESP_OK) {
		client_done(r->client, r->value);
		return;
	}
	/* Not proposed (not the leader) or known not committed: retrying the same op is safe. */
	cl->target = r->hint > 0 && chance(0.9) ? r->hint : (int)rnd_range(1, (uint64_t)nnodes);
	client_send(r->client);
}

static void client_on_timeout(int c, uint64_t arg)
{
	struct client *cl = &clients[c];
	if (!cl->opid || cl->opid * 1000000 + cl->attempt != arg)
		return;
	struct op *o = &ops[cl->opid - 1];
	if (o->type == OP_GET)
		o->dropped = true; /* a read that did not answer changed nothing */
	else
		total_ops_maybe++;
	cl->opid = 0;
	cl->target = (int)rnd_range(1, (uint64_t)nnodes);
	push((struct event){.time = now_ms + rnd_range(0, 30), .type = EV_CLIENT_NEXT, .node = c});
}

/* ---- linearizability (per key; Lowe's variant of Wing & Gong with memoization) ---- */

struct lent {
	bool call;
	size_t op; /* index into the key's op list */
	uint64_t time;
	struct lent *prev, *next, *match;
};

struct memo {
	uint64_t *bits;
	int64_t state;
	struct memo *next;
};

static bool model_step(const struct op *o, int64_t state, int64_t *next)
{
	*next = state;
	switch (o->type) {
	case OP_PUT:
		*next = o->a;
		return true;
	case OP_GET:
		return o->out == state;
	case OP_CAS:
		if (!o->out_known) {
			if (state == o->a)
				*next = o->b;
			return true;
		}
		if (o->out) {
			*next = o->b;
			return state == o->a;
		}
		return state != o->a;
	}
	return false;
}

static int lent_cmp(const void *a, const void *b)
{
	const struct lent *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->call != y->call)
		return x->call ? -1 : 1; /* calls first: equal times overlap */
	return x->op < y->op ? -1 : x->op > y->op ? 1 : 0;
}

static bool in_history(const struct op *o, int key)
{
	if (o->key != key || o->dropped || (!o->done && o->type == OP_GET))
		return false;
	if (!o->done) { /* timed out: keep it only if it may have taken effect */
		int64_t v = o->type == OP_PUT ? o->a : o->b;
		return (size_t)v < cap_values && value_committed[v];
	}
	return true;
}

static bool check_key(int key, size_t *n_checked)
{
	size_t n = 0;
	for (size_t i = 0; i < n_ops; i++)
		if (in_history(&ops[i], key))
			n++;
	*n_checked = n;
	if (n == 0)
		return true;
	const struct op **kops = xcalloc(n, sizeof *kops);
	struct lent *ents = xcalloc(2 * n, sizeof *ents);
	size_t k = 0;
	for (size_t i = 0; i < n_ops; i++)
		if (in_history(&ops[i], key))
			kops[k++] = &ops[i];
	for (size_t i = 0; i < n; i++) {
		ents[2 * i] = (struct lent){.call = true, .op = i, .time = kops[i]->call};
		ents[2 * i + 1] = (struct lent){.call = false, .op = i, .time = kops[i]->ret};
	}
	qsort(ents, 2 * n, sizeof *ents, lent_cmp);
	struct lent **callof = xcalloc(n, sizeof *callof), **retof = xcalloc(n, sizeof *retof);
	for (size_t i = 0; i < 2 * n; i++)
		(ents[i].call ? callof : retof)[ents[i].op] = &ents[i];
	struct lent head = {0};
	struct lent *prev = &head;
	for (size_t i = 0; i < 2 * n; i++) {
		ents[i].prev = prev;
		prev->next = &ents[i];
		ents[i].match = ents[i].call ? retof[ents[i].op] : callof[ents[i].op];
		prev = &ents[i];
	}
	size_t words = (n + 63) / 64;
	uint64_t *bits = xcalloc(words, sizeof *bits);
	size_t memo_cap = 4096;
	struct memo **memo = xcalloc(memo_cap, sizeof *memo);
	struct {
		struct lent *e;
		int64_t state;
	} *stack = xcalloc(n, sizeof *stack);
	size_t sp = 0;
	int64_t state = 0;
	bool ok = true;
	struct lent *e = head.next;
	uint64_t steps = 0;
	while (head.next) {
		if (++steps > 2000000) { /* too much concurrency to decide: counted, not failed */
			lin_gave_up++;
			break;
		}
		if (e->call) {
			const struct op *o = kops[e->op];
			int64_t next;
			bool fits = model_step(o, state, &next);
			bool seen = false;
			if (fits) {
				bits[e->op / 64] |= 1ull << (e->op % 64);
				uint64_t h = hash_bytes(bits, words * 8, (uint64_t)next) & (memo_cap - 1);
				for (struct memo *m = memo[h]; m && !seen; m = m->next)
					seen = m->state == next && !memcmp(m->bits, bits, words * 8);
				if (!seen) {
					struct memo *m = xcalloc(1, sizeof *m);
					m->bits = xcalloc(words, 8);
					memcpy(m->bits, bits, words * 8);
					m->state = next;
					m->next = memo[h];
					memo[h] = m;
					stack[sp].e = e;
					stack[sp].state = state;
					sp++;
					state = next;
					/* lift the call and its return out of the list */
					e->prev->next = e->next;
					if (e->next)
						e->next->prev = e->prev;
					struct lent *r = e->match;
					r->prev->next = r->next;
					if (r->next)
						r->next->prev = r->prev;
					e = head.next;
					continue;
				}
				bits[e->op / 64] &= ~(1ull << (e->op % 64));
			}
			e = e->next;
		} else {
			if (sp == 0) {
				ok = false;
				break;
			}
			sp--;
			e = stack[sp].e;
			state = stack[sp].state;
			bits[e->op / 64] &= ~(1ull << (e->op % 64));
			struct lent *r = e->match;
			r->prev->next = r;
			if (r->next)
				r->next->prev = r;
			e->prev->next = e;
			if (e->next)
				e->next->prev = e;
			e = e->next;
		}
	}
	if (!ok) {
		fprintf(stderr, "sim_raft: history of key %d (%zu ops) is not linearizable:\n", key, n);
		for (size_t i = 0; i < n; i++) {
			const struct op *o = kops[i];
			fprintf(stderr, "  client %d %s a=%" PRId64 " b=%" PRId64 " out=%s%" PRId64 " [%" PRIu64 ", ",
				o->client, o->type == OP_PUT ? "put" : o->type == OP_CAS ? "cas" : "get", o->a, o->b,
				o->out_known ? "" : "?", o->out, o->call);
			if (o->ret == NEVER)
				fprintf(stderr, "maybe]\n");
			else
				fprintf(stderr, "%" PRIu64 "]\n", o->ret);
		}
	}
	for (size_t i = 0; i < memo_cap; i++)
		for (struct memo *m = memo[i], *nx; m; m = nx) {
			nx = m->next;
			free(m->bits);
			free(m);
		}
	free(memo);
	free(stack);
	free(bits);
	free(callof);
	free(retof);
	free(ents);
	free(kops);
	return ok;
}

/* ---- the shell of each simulated server ---- */

static void net_send(struct node *n, const struct raft_msg *m)
{
	int to = (int)m->to;
	if (to < 1 || to > nnodes || chance(p_loss))
		return;
	int copies = chance(p_dup) ? 2 : 1;
	for (int i = 0; i < copies; i++) {
		struct event e = {.time = now_ms + rnd_range(1, delay_max_ms), .type = EV_MSG, .node = to};
		e.msg = msg_copy(m);
		push(e);
	}
}

static void disk_truncate_from(struct disk *d, uint64_t index)
{
	if (!d->n)
		return;
	uint64_t first = d->ents[0].index;
	if (index <= first)
		index = first;
	for (size_t i = (size_t)(index - first); i < d->n; i++)
		free(d->ents[i].data);
	if (index - first < d->n)
		d->n = (size_t)(index - first);
}

static void disk_append(struct disk *d, const struct raft_entry *e)
{
	if (d->n && e->index != d->ents[0].index + d->n)
		FAIL("sim bug: disk append of %" PRIu64 " after %" PRIu64, e->index, d->ents[0].index + d->n - 1);
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->ents = xrealloc(d->ents, d->cap * sizeof *d->ents);
	}
	struct raft_entry *c = &d->ents[d->n++];
	*c = *e;
	c->data = NULL;
	if (e->len) {
		c->data = xcalloc(1, e->len);
		memcpy(c->data, e->data, e->len);
	}
}

static void disk_set_snapshot(struct disk *d, const struct raft_snapshot *s)
{
	free(d->snap_data);
	d->snap = *s;
	d->snap_data = xcalloc(1, s->len);
	memcpy(d->snap_data, s->data, s->len);
	d->snap.data = d->snap_data;
}

/* Drops the log entries before index (they are in the snapshot). */
static void disk_compact_before(struct disk *d, uint64_t index)
{
	if (!d->n || d->ents[0].index >= index)
		return;
	size_t drop = (size_t)(index - d->ents[0].index);
	if (drop > d->n)
		drop = d->n;
	for (size_t i = 0; i < drop; i++)
		free(d->ents[i].data);
	memmove(d->ents, d->ents + drop, (d->n - drop) * sizeof *d->ents);
	d->n -= drop;
}

static void disk_free(struct disk *d)
{
	disk_truncate_from(d, 0);
	free(d->ents);
	free(d->snap_data);
	memset(d, 0, sizeof *d);
}

/* Writes what a Ready asks to persist: all of it, or (a crash in lossy mode) a prefix. */
static void persist(struct node *n, const struct raft_ready *rd, bool all)
{
	struct disk *d = &n->disk;
	size_t keep = rd->n_entries;
	bool snap = rd->snapshot != NULL, hs = rd->hs_changed;
	if (!all) {
		snap = snap && chance(0.5);
		keep = (rd->snapshot && !snap) ? 0 : (size_t)rnd_range(0, rd->n_entries);
		hs = hs && keep == rd->n_entries && (!rd->snapshot || snap) && chance(0.5);
	}
	if (snap) {
		disk_set_snapshot(d, rd->snapshot);
		disk_truncate_from(d, 0);
	}
	if (keep) {
		disk_truncate_from(d, rd->entries[0].index);
		if (d->n == 0 && d->snap.index + 1 != rd->entries[0].index) {
			/* the log restarts after a gap: only valid right after the snapshot */
			FAIL("sim: node %d: entries from %" PRIu64 " after snapshot %" PRIu64, n->id, rd->entries[0].index,
			     d->snap.index);
		}
		for (size_t i = 0; i < keep; i++)
			disk_append(d, &rd->entries[i]);
	}
	if (hs)
		d->hs = rd->hard_state;
}

static void reply_reads(struct node *n)
{
	uint64_t ap = raft_applied_index(n->r);
	size_t keep = 0;
	for (size_t i = 0; i < n->n_pr; i++) {
		struct pending_read *p = &n->pr[i];
		if (p->have_index && p->index <= ap)
			send_to_client(n, p->client, p->opid, RESP_OK, n->kv.val[p->key]);
		else
			n->pr[keep++] = *p;
	}
	n->n_pr = keep;
}

static void apply_entry(struct node *n, const struct raft_entry *e)
{
	int64_t result = 0;
	if (e->type == RAFT_ENTRY_NORMAL && e->len == sizeof(struct cmd)) {
		struct cmd c;
		memcpy(&c, e->data, sizeof c);
		result = kv_apply(&n->kv, &c);
	}
	record_apply(n, e, kv_hash(&n->kv));
	size_t keep = 0;
	for (size_t i = 0; i < n->n_pw; i++) {
		struct pending_write *p = &n->pw[i];
		if (p->index == e->index)
			send_to_client(n, p->client, p->opid, p->term == e->term ? RESP_OK : RESP_FAIL, result);
		else
			n->pw[keep++] = *p;
	}
	n->n_pw = keep;
}

static void kv_restore(struct kv *kv, const struct raft_snapshot *s)
{
	memset(kv, 0, sizeof *kv);
	if (s->len == sizeof kv->val)
		memcpy(kv->val, s->data, sizeof kv->val);
}

static void maybe_snapshot(struct node *n)
{
	uint64_t ap = raft_applied_index(n->r);
	if (ap < n->last_snap + SNAP_EVERY)
		return;
	if (raft_snapshot(n->r, ap, n->kv.val, sizeof n->kv.val) != 0)
		return;
	n->last_snap = ap;
	disk_set_snapshot(&n->disk, raft_get_snapshot(n->r));
	disk_compact_before(&n->disk, raft_first_index(n->r));
}

static void process_ready(struct node *n);

/* The second half of a Ready: after the persist. */
static void finish_ready(struct node *n)
{
	struct raft_ready *rd = &n->rd;
	persist(n, rd, true);
	for (size_t i = 0; i < rd->n_msgs; i++)
		if (rd->msgs[i].after_persist)
			net_send(n, &rd->msgs[i]);
	if (rd->snapshot) {
		kv_restore(&n->kv, rd->snapshot);
		uint64_t idx = rd->snapshot->index;
		grow_applied(idx);
		if (applied[idx].set && applied[idx].kvh != kv_hash(&n->kv))
			FAIL("state machine safety: node %d installed a snapshot at %" PRIu64 " that differs", n->id, idx);
		n->last_snap = idx;
		total_snap_installs++;
	}
	for (size_t i = 0; i < rd->n_committed; i++)
		apply_entry(n, &rd->committed[i]);
	for (size_t i = 0; i < rd->n_reads; i++)
		for (size_t j = 0; j < n->n_pr; j++)
			if (n->pr[j].ctx == rd->reads[i].ctx) {
				n->pr[j].have_index = true;
				n->pr[j].index = rd->reads[i].index;
			}
	raft_advance(n->r, rd);
	n->busy = false;
	reply_reads(n);
	maybe_snapshot(n);
}

static void process_ready(struct node *n)
{
	while (!n->busy && n->up && raft_has_ready(n->r) && !failed) {
		raft_ready(n->r, &n->rd);
		for (size_t i = 0; i < n->rd.n_msgs; i++)
			if (!n->rd.msgs[i].after_persist)
				net_send(n, &n->rd.msgs[i]);
		if (n->rd.must_sync) {
			n->busy = true;
			n->busy_until = now_ms + rnd_range(1, fsync_max_ms);
			push((struct event){.time = n->busy_until, .type = EV_FSYNC, .node = n->id, .arg = n->gen});
			return;
		}
		finish_ready(n);
	}
}

static struct raft_options node_options(struct node *n)
{
	struct raft_options o = raft_options_default((uint64_t)n->id);
	/* Some seeds keep candidates and check-quorum slower than followers' timeout, so a
	 * deposed leader lingers while another is elected: only the lease guards its reads. */
	o.election_timeout_ticks = election_ticks;
	o.trailing_logs = 8;
	o.max_inflight = 8;
	o.rand = node_rand;
	o.rand_arg = &n->rng;
	return o;
}

static void node_start(struct node *n)
{
	struct raft_options o = node_options(n);
	n->r = raft_new(&o);
	struct disk *d = &n->disk;
	if (raft_load(n->r, &d->hs, d->snap.index ? &d->snap : NULL, d->ents, d->n) != 0)
		FAIL("restart: node %d: raft_load refused its own disk", n->id);
	memset(&n->kv, 0, sizeof n->kv);
	if (d->snap.index)
		kv_restore(&n->kv, &d->snap);
	n->last_snap = d->snap.index;
	n->up = true;
	n->busy = false;
	n->gen++;
	check_log_matching(n, 0);
}

static void node_crash(struct node *n)
{
	if (!n->up)
		return;
	if (verbose)
		printf("%8" PRIu64 " ms: crash node %d (%s, term %" PRIu64 ")%s\n", now_ms, n->id,
		       raft_role_name(raft_role(n->r)), raft_term(n->r), lossy_disk ? " losing unsynced writes" : "");
	if (raft_role(n->r) == RAFT_LEADER && leader_crash_at == NEVER) {
		leader_crash_at = now_ms;
		leader_crash_term = raft_term(n->r);
	}
	if (n->busy)
		persist(n, &n->rd, !lossy_disk); /* the page cache survives a process crash */
	total_elections += raft_get_stats(n->r)->elections_won;
	raft_free(n->r);
	n->r = NULL;
	n->up = false;
	n->busy = false;
	n->n_pw = n->n_pr = 0;
	total_crashes++;
	check_durable("after a crash");
}

/* A client request reaching a server. */
static void server_on_request(struct node *n, const struct creq *q)
{
	struct raft *r = n->r;
	if (q->op == OP_GET) {
		bool via_follower = q->read_mode == 2 && raft_role(r) == RAFT_FOLLOWER && raft_leader(r);
		if (raft_role(r) != RAFT_LEADER && !via_follower) {
			send_to_client(n, q->client, q->opid, RESP_NOT_LEADER, 0);
			return;
		}
		uint64_t ctx = ++read_ctx_seq;
		if (raft_read_index(r, q->read_mode == 0 ? RAFT_READ_LEASE : RAFT_READ_CONSISTENT, ctx) != 0) {
			send_to_client(n, q->client, q->opid, RESP_NOT_LEADER, 0);
			return;
		}
		if (n->n_pr == n->cap_pr) {
			n->cap_pr = n->cap_pr ? n->cap_pr * 2 : 8;
			n->pr = xrealloc(n->pr, n->cap_pr * sizeof *n->pr);
		}
		n->pr[n->n_pr++] = (struct pending_read){.ctx = ctx, .client = q->client, .opid = q->opid, .key = q->key};
		return;
	}
	struct cmd c = {.op = q->op, .key = q->key, .a = q->a, .b = q->b};
	uint64_t index, term;
	if (raft_propose(r, &c, sizeof c, &index, &term) != 0) {
		send_to_client(n, q->client, q->opid, RESP_NOT_LEADER, 0);
		return;
	}
	if (n->n_pw == n->cap_pw) {
		n->cap_pw = n->cap_pw ? n->cap_pw * 2 : 8;
		n->pw = xrealloc(n->pw, n->cap_pw * sizeof *n->pw);
	}
	n->pw[n->n_pw++] = (struct pending_write){.index = index, .term = term, .client = q->client, .opid = q->opid};
}

/* ---- faults ---- */

static int current_leader(void)
{
	int best = 0;
	for (int k = 1; k <= nnodes; k++)
		if (nodes[k].up && raft_role(nodes[k].r) == RAFT_LEADER &&
		    (!best || raft_term(nodes[k].r) > raft_term(nodes[best].r)))
			best = k;
	return best;
}

static uint64_t partition_gen;
static bool partitioned;

static void heal_all(void)
{
	memset(blocked, 0, sizeof blocked);
	partitioned = false;
	partition_gen++;
}

/* One partition at a time; it heals by its own timer. */
static void partition(const bool *side)
{
	partitioned = true;
	push((struct event){.time = now_ms + rnd_range(300, 4000), .type = EV_HEAL, .arg = ++partition_gen});
	for (int a = 1; a <= nnodes; a++)
		for (int b = 1; b <= nnodes; b++)
			blocked[a][b] = side[a] != side[b];
}

static void fault(void)
{
	uint64_t pick = rnd_range(0, 99);
	int leader = current_leader();
	if (pick < 25 && leader) {
		node_crash(&nodes[leader]);
		push((struct event){.time = now_ms + rnd_range(50, 2500), .type = EV_RESTART, .node = leader});
	} else if (pick < 45) {
		int k = (int)rnd_range(1, (uint64_t)nnodes);
		if (nodes[k].up) {
			node_crash(&nodes[k]);
			push((struct event){.time = now_ms + rnd_range(50, 2500), .type = EV_RESTART, .node = k});
		}
	} else if (pick < 70 && !partitioned) {
		bool side[MAX_NODES + 1] = {0};
		for (int k = 1; k <= nnodes; k++)
			side[k] = chance(0.5);
		if (verbose)
			printf("%8" PRIu64 " ms: partition\n", now_ms);
		partition(side);
	} else if (pick < 85 && leader && !partitioned) {
		bool side[MAX_NODES + 1] = {0};
		side[leader] = true;
		if (verbose)
			printf("%8" PRIu64 " ms: isolate leader %d\n", now_ms, leader);
		partition(side);
	} else if (leader && nnodes > 1) {
		/* Leadership transfer to a random other server. */
		int to = (int)rnd_range(1, (uint64_t)nnodes);
		if (to != leader && !nodes[leader].busy) {
			raft_transfer_leadership(nodes[leader].r, (uint64_t)to);
			process_ready(&nodes[leader]);
		}
	}
}

/* ---- one seed ---- */

static void reset_world(void)
{
	for (int k = 1; k <= MAX_NODES; k++) {
		struct node *n = &nodes[k];
		if (n->r)
			raft_free(n->r);
		disk_free(&n->disk);
		free(n->pw);
		free(n->pr);
		memset(n, 0, sizeof *n);
	}
	while (heap_n) {
		struct event e = pop();
		msg_free(e.msg);
	}
	free(applied);
	applied = NULL;
	cap_applied = 0;
	max_committed = 0;
	free(leader_of_term);
	leader_of_term = NULL;
	cap_terms = 0;
	free(etab);
	etab = NULL;
	etab_cap = etab_n = 0;
	free(ops);
	ops = NULL;
	free(value_committed);
	value_committed = NULL;
	cap_values = 0;
	n_ops = cap_ops = 0;
	memset(clients, 0, sizeof clients);
	memset(blocked, 0, sizeof blocked);
	value_seq = 0;
	clients_stop = false;
	partitioned = false;
	leader_crash_at = NEVER;
	now_ms = 0;
	ev_seq = 0;
}

static bool converged(void)
{
	int l = current_leader();
	if (!l || nodes[l].busy)
		return false;
	uint64_t c = raft_commit_index(nodes[l].r);
	if (c != raft_last_index(nodes[l].r))
		return false;
	for (int k = 1; k <= nnodes; k++)
		if (!nodes[k].up || raft_applied_index(nodes[k].r) != c)
			return false;
	for (int k = 0; k < NCLIENTS; k++)
		if (clients[k].opid)
			return false;
	return true;
}

static void handle_event(struct event *e)
{
	struct node *n = e->type == EV_TICK || e->type == EV_MSG || e->type == EV_FSYNC || e->type == EV_C2S ||
					 e->type == EV_RESTART
				 ? &nodes[e->node]
				 : NULL;
	/* A server in the middle of a Ready takes nothing else until its fsync is done. */
	if (n && n->busy && e->type != EV_FSYNC && e->type != EV_RESTART) {
		e->time = n->busy_until;
		push(*e);
		return;
	}
	uint64_t commit_before = n && n->up ? raft_commit_index(n->r) : 0;
	switch (e->type) {
	case EV_TICK:
		if (n->up)
			raft_tick(n->r);
		push((struct event){.time = now_ms + TICK_MS, .type = EV_TICK, .node = e->node});
		break;
	case EV_MSG:
		if (n->up && !blocked[e->msg->from][e->node])
			raft_step(n->r, e->msg);
		msg_free(e->msg);
		break;
	case EV_FSYNC:
		if (n->up && n->busy && e->arg == n->gen)
			finish_ready(n);
		break;
	case EV_C2S:
		if (n->up)
			server_on_request(n, &e->req);
		break;
	case EV_S2C:
		client_on_resp(&e->resp);
		break;
	case EV_CLIENT_NEXT:
		client_next(e->node);
		break;
	case EV_CLIENT_TIMEOUT:
		client_on_timeout(e->node, e->arg);
		break;
	case EV_FAULT:
		if (now_ms < FAULT_PHASE_MS) {
			fault();
			push((struct event){.time = now_ms + rnd_range(100, 900), .type = EV_FAULT});
		}
		break;
	case EV_RESTART:
		if (!n->up) {
			if (verbose)
				printf("%8" PRIu64 " ms: restart node %d\n", now_ms, n->id);
			node_start(n);
			check_durable("after a restart");
		}
		break;
	case EV_HEAL:
		if (e->arg != partition_gen)
			break;
		if (verbose)
			printf("%8" PRIu64 " ms: heal\n", now_ms);
		heal_all();
		break;
	}
	if (n && n->up) {
		process_ready(n);
		check_log_matching(n, commit_before);
	}
	check_election_safety();
}

static bool run_seed(uint64_t seed)
{
	reset_world();
	failed = false;
	rng_state = seed * 0x2545f4914f6cdd1dull + 1;
	nnodes = chance(0.5) ? 3 : 5;
	lossy_disk = chance(0.5);
	p_loss = chance(0.3) ? 0 : (double)rnd_range(0, 10) / 100.0;
	p_dup = (double)rnd_range(0, 5) / 100.0;
	delay_max_ms = chance(0.2) ? rnd_range(40, 150) : rnd_range(2, 40);
	fsync_max_ms = rnd_range(1, 20);
	election_ticks = (uint32_t)(100 * rnd_range(1, 3));
	struct raft_config conf = {.n = (uint32_t)nnodes};
	for (int k = 1; k <= nnodes; k++) {
		conf.servers[k - 1].id = (uint64_t)k;
		snprintf(conf.servers[k - 1].addr, RAFT_ADDR_MAX, "10.0.0.%d:8300", k);
	}
	for (int k = 1; k <= nnodes; k++) {
		struct node *n = &nodes[k];
		n->id = k;
		n->rng = seed * 31 + (uint64_t)k;
		node_start(n);
		raft_bootstrap(n->r, &conf);
		process_ready(n);
		push((struct event){.time = rnd_range(1, TICK_MS), .type = EV_TICK, .node = k});
	}
	for (int c = 0; c < NCLIENTS; c++)
		push((struct event){.time = rnd_range(0, 500), .type = EV_CLIENT_NEXT, .node = c});
	push((struct event){.time = rnd_range(500, 2000), .type = EV_FAULT});
	if (verbose)
		printf("seed %" PRIu64 ": %d servers, loss %.2f, dup %.2f, delay <= %" PRIu64 " ms, %s disk\n", seed, nnodes,
		       p_loss, p_dup, delay_max_ms, lossy_disk ? "lossy" : "kept");
	bool healed = false;
	uint64_t settle_end = FAULT_PHASE_MS + SETTLE_MS;
	while (heap_n && !failed) {
		struct event e = pop();
		now_ms = e.time;
		if (!healed && now_ms >= FAULT_PHASE_MS) {
			healed = true;
			heal_all();
			p_loss = p_dup = 0;
			for (int k = 1; k <= nnodes; k++)
				if (!nodes[k].up)
					push((struct event){.time = now_ms, .type = EV_RESTART, .node = k});
		}
		if (now_ms >= settle_end)
			clients_stop = true;
		handle_event(&e);
		if (clients_stop && converged())
			break;
		if (now_ms > MAX_RUN_MS) {
			FAIL("liveness: no convergence %d ms after the faults stopped", MAX_RUN_MS - FAULT_PHASE_MS);
			break;
		}
	}
	if (!failed) {
		/* Every server holds the same state. */
		int l = current_leader();
		for (int k = 1; k <= nnodes; k++)
			if (kv_hash(&nodes[k].kv) != kv_hash(&nodes[l].kv))
				FAIL("convergence: node %d's state differs from the leader's", k);
		check_durable("at the end");
	}
	for (int k = 1; k <= nnodes && !failed; k++)
		total_elections += raft_get_stats(nodes[k].r)->elections_won;
	if (!failed)
		for (int key = 0; key < NKEYS; key++) {
			size_t n_checked;
			if (!check_key(key, &n_checked))
				FAIL("linearizability: the history of key %d is not linearizable", key);
		}
	if (failed)
		fprintf(stderr, "sim_raft: FAILED seed %" PRIu64 " at %" PRIu64 " ms: %s\n  replay: SIM_SEED=%" PRIu64
				" SIM_VERBOSE=1 %s\n",
			seed, now_ms, fail_msg, seed, "tests/sim/sim_raft");
	return !failed;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	const char *one = getenv("SIM_SEED"), *count = getenv("SIM_SEEDS");
	verbose = getenv("SIM_VERBOSE") != NULL;
	uint64_t first = 1, nseeds = 4000;
	if (one) {
		first = strtoull(one, NULL, 10);
		nseeds = 1;
	} else if (count) {
		nseeds = strtoull(count, NULL, 10);
	}
	unsigned failures = 0;
	for (uint64_t s = first; s < first + nseeds; s++)
		if (!run_seed(s))
			failures++;
	reset_world();
	free(heap);
	uint64_t median = 0;
	if (n_elect_ms) {
		qsort(elect_ms, n_elect_ms, sizeof *elect_ms, cmp_u64);
		median = elect_ms[n_elect_ms / 2];
	}
	printf("sim_raft: %" PRIu64 " seeds, %u failed; %" PRIu64 " elections won, %" PRIu64 " crashes, %" PRIu64
	       " snapshots installed, %" PRIu64 " ops acknowledged, %" PRIu64 " timed out; median time to a new "
	       "leader after a leader crash %" PRIu64 " ms (%zu crashes, p90 %" PRIu64 " ms)\n",
	       nseeds, failures, total_elections, total_crashes, total_snap_installs, total_ops_ok, total_ops_maybe,
	       median, n_elect_ms, n_elect_ms ? elect_ms[n_elect_ms * 9 / 10] : 0);
	if (lin_gave_up)
		printf("sim_raft: the linearizability search gave up on %" PRIu64 " key histories\n", lin_gave_up);
	free(elect_ms);
	return failures ? 1 : 0;
}
