/* raft.c: the Raft protocol as a pure state machine (see raft.h). The structure follows the
 * thesis: elections (§3.4, pre-vote §9.6, check-quorum and leader stickiness §9.6/§6.2),
 * replication (§3.5, pipelining §10.2.2), commit (§3.6.2), membership one server at a time
 * (§4.1), compaction and InstallSnapshot (§5), leadership transfer (§3.10), reads (§6.4). */
#include "raft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pr_state { PR_PROBE, PR_REPLICATE, PR_SNAPSHOT };

/* The leader's view of one server (Raft's nextIndex/matchIndex, plus flow control). */
struct progress {
	uint64_t id;
	uint64_t match, next;
	enum pr_state state;
	bool paused;              /* PROBE: an append is out, wait for an answer or a heartbeat */
	uint64_t last_active;     /* tick when last heard from (check-quorum) */
	uint64_t acked_round;     /* highest leader round it acknowledged (reads, lease) */
	uint64_t hb_match;        /* match at the previous heartbeat answer (stall detection) */
	uint64_t pending_snapshot; /* SNAPSHOT: index sent */
	uint32_t snapshot_ticks;
	/* REPLICATE: last index of each unacknowledged append, oldest first (a ring). */
	uint64_t inflight[RAFT_MAX_INFLIGHT];
	uint32_t infl_start, infl_count;
};

/* A read waiting for leadership to be confirmed. */
struct pending_read {
	uint64_t ctx;
	uint64_t from;  /* 0: this node's caller; else the follower that forwarded it */
	uint64_t index; /* the commit index when it arrived */
	uint64_t round; /* 0 until a heartbeat round is started for it */
	bool lease;
};

#define ROUND_RING 32

struct raft {
	struct raft_options o;
	uint64_t id;
	enum raft_role role;
	uint64_t term, vote, leader;
	uint64_t commit, applied;
	struct raft_log log;
	struct raft_config conf;
	uint64_t conf_index; /* log index of the entry holding conf; 0 when from a snapshot/none */

	/* The latest snapshot (core-owned copy of the data). */
	struct raft_snapshot snap;
	unsigned char *snap_data;
	bool snap_install; /* received from the leader, the caller must install it */

	struct progress *prs;
	size_t n_prs;

	/* Election. */
	uint64_t vote_from[RAFT_MAX_SERVERS];
	bool vote_granted[RAFT_MAX_SERVERS];
	size_t n_votes;

	/* Time, in ticks. */
	uint64_t now;
	uint64_t elapsed;        /* since the timer was reset (follower/candidate) */
	uint64_t timeout;        /* randomized */
	uint64_t last_contact;   /* tick when a leader was last heard (or the node started) */
	uint64_t hb_elapsed;

	/* Leader. */
	uint64_t round;
	uint64_t round_tick[ROUND_RING];
	uint64_t transfer_to;
	uint64_t transfer_elapsed;
	/* Set once this leader started a transfer: the target may win an election that ignores
	 * stickiness, so the lease cannot be trusted again in this term. */
	bool lease_off;
	bool need_bcast, bcast_empty;
	struct pending_read *reads;
	size_t n_reads, cap_reads;

	/* Output gathered for the next Ready. */
	struct raft_msg *msgs;
	size_t n_msgs, cap_msgs;
	struct raft_read_state *rstates;
	size_t n_rstates, cap_rstates;
	void **allocs; /* freed at raft_advance */
	size_t n_allocs, cap_allocs;
	struct raft_hard_state persisted; /* last hard state handed out */

	struct raft_stats stats;
};

/* ---- small helpers ---- */

#define RAFT_ERR_STR(name, value, text) \
	case name:                      \
		return text;
const char *raft_strerror(int err)
{
	switch (err) {
		RAFT_ERRORS(RAFT_ERR_STR)
	}
	return "unknown error";
}
#undef RAFT_ERR_STR

const char *raft_role_name(enum raft_role role)
{
	static const char *names[] = {"follower", "pre-candidate", "candidate", "leader"};
	return (unsigned)role < 4 ? names[role] : "?";
}

const char *raft_msg_type_name(enum raft_msg_type t)
{
	static const char *names[] = {"?", "append", "append-resp", "vote", "vote-resp", "pre-vote",
				      "pre-vote-resp", "heartbeat", "heartbeat-resp", "snapshot",
				      "timeout-now", "read-index", "read-index-resp"};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t cap2 = *cap ? *cap * 2 : 8;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*arr, cap2 * elem);
	if (!p)
		abort();
	*arr = p;
	*cap = cap2;
}

/* Memory that outgoing messages point at: freed when the Ready is done. */
static void *ready_alloc(struct raft *r, size_t n)
{
	void *p = xmalloc(n);
	grow((void **)&r->allocs, &r->cap_allocs, r->n_allocs + 1, sizeof *r->allocs);
	r->allocs[r->n_allocs++] = p;
	return p;
}

static void ready_keep(struct raft *r, void *p)
{
	grow((void **)&r->allocs, &r->cap_allocs, r->n_allocs + 1, sizeof *r->allocs);
	r->allocs[r->n_allocs++] = p;
}

static uint64_t rnd(struct raft *r)
{
	return r->o.rand ? r->o.rand(r->o.rand_arg) : 0;
}

static uint64_t log_term_or0(const struct raft *r, uint64_t index)
{
	uint64_t t = 0;
	raft_log_term(&r->log, index, &t);
	return t;
}

static bool is_voter(const struct raft *r, uint64_t id)
{
	return raft_config_find(&r->conf, id) != NULL;
}

static size_t quorum(const struct raft *r)
{
	return r->conf.n / 2 + 1;
}

/* ---- configuration ---- */

const struct raft_server *raft_config_find(const struct raft_config *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->servers[i].id == id)
			return &c->servers[i];
	return NULL;
}

size_t raft_config_encode(const struct raft_config *c, unsigned char *buf)
{
	size_t off = 0;
	uint32_t n = c->n > RAFT_MAX_SERVERS ? RAFT_MAX_SERVERS : c->n;
	for (int i = 3; i >= 0; i--)
		buf[off++] = (unsigned char)(n >> (8 * i));
	for (uint32_t s = 0; s < n; s++) {
		for (int i = 7; i >= 0; i--)
			buf[off++] = (unsigned char)(c->servers[s].id >> (8 * i));
		size_t alen = strnlen(c->servers[s].addr, RAFT_ADDR_MAX - 1);
		buf[off++] = (unsigned char)alen;
		memcpy(buf + off, c->servers[s].addr, alen);
		off += alen;
	}
	return off;
}

int raft_config_decode(const unsigned char *buf, size_t len, struct raft_config *c)
{
	memset(c, 0, sizeof *c);
	if (len < 4)
		return RAFT_ERR_BAD_MSG;
	uint32_t n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	size_t off = 4;
	if (n > RAFT_MAX_SERVERS)
		return RAFT_ERR_BAD_MSG;
	for (uint32_t s = 0; s < n; s++) {
		if (len - off < 9)
			return RAFT_ERR_BAD_MSG;
		uint64_t id = 0;
		for (int i = 0; i < 8; i++)
			id = id << 8 | buf[off++];
		size_t alen = buf[off++];
		if (alen >= RAFT_ADDR_MAX || len - off < alen || id == 0 || raft_config_find(c, id))
			return RAFT_ERR_BAD_MSG;
		c->servers[s].id = id;
		memcpy(c->servers[s].addr, buf + off, alen);
		c->servers[s].addr[alen] = '\0';
		off += alen;
		c->n = s + 1;
	}
	if (off != len)
		return RAFT_ERR_BAD_MSG;
	return 0;
}

static void rebuild_progress(struct raft *r);

/* The configuration in effect is the latest in the log, committed or not (thesis §4.1); after
 * a truncation it falls back to an earlier entry or the snapshot's. */
static void config_recompute(struct raft *r)
{
	for (uint64_t i = raft_log_last(&r->log); i > r->log.offset; i--) {
		const struct raft_entry *e = raft_log_get(&r->log, i);
		if (e->type == RAFT_ENTRY_CONFIG && raft_config_decode(e->data, e->len, &r->conf) == 0) {
			r->conf_index = i;
			return;
		}
	}
	r->conf = r->snap.config;
	r->conf_index = 0;
}

/* The configuration as of index (for a snapshot there). */
static void config_at(const struct raft *r, uint64_t index, struct raft_config *out)
{
	for (uint64_t i = index; i > r->log.offset; i--) {
		const struct raft_entry *e = raft_log_get(&r->log, i);
		if (e && e->type == RAFT_ENTRY_CONFIG && raft_config_decode(e->data, e->len, out) == 0)
			return;
	}
	*out = r->snap.config;
}

/* Appends an entry in the current term; a CONFIG entry takes effect now. */
static uint64_t append_entry(struct raft *r, uint8_t type, const void *data, size_t len)
{
	struct raft_entry e = {.term = r->term, .type = type, .len = (uint32_t)len, .data = (unsigned char *)data};
	raft_log_append(&r->log, &e);
	uint64_t index = raft_log_last(&r->log);
	if (type == RAFT_ENTRY_CONFIG) {
		config_recompute(r);
		if (r->role == RAFT_LEADER)
			rebuild_progress(r);
	}
	return index;
}

/* ---- options, life cycle ---- */

struct raft_options raft_options_default(uint64_t id)
{
	return (struct raft_options){
		.id = id,
		.heartbeat_timeout_ticks = 100,
		.election_timeout_ticks = 100,
		.leader_lease_ticks = 50,
		.heartbeat_interval_ticks = 10,
		.trailing_logs = 10240,
		.max_inflight = RAFT_MAX_INFLIGHT,
		.pre_vote = true,
		.check_quorum = true,
	};
}

static void reset_timer(struct raft *r)
{
	uint64_t base = r->role == RAFT_FOLLOWER ? r->o.heartbeat_timeout_ticks : r->o.election_timeout_ticks;
	r->elapsed = 0;
	r->timeout = base + (base ? rnd(r) % base : 0);
}

struct raft *raft_new(const struct raft_options *opt)
{
	struct raft *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->o = *opt;
	if (!r->o.heartbeat_timeout_ticks)
		r->o.heartbeat_timeout_ticks = 1;
	if (!r->o.election_timeout_ticks)
		r->o.election_timeout_ticks = 1;
	if (!r->o.heartbeat_interval_ticks)
		r->o.heartbeat_interval_ticks = 1;
	if (!r->o.max_inflight || r->o.max_inflight > RAFT_MAX_INFLIGHT)
		r->o.max_inflight = RAFT_MAX_INFLIGHT;
	r->id = opt->id;
	raft_log_init(&r->log);
	r->role = RAFT_FOLLOWER;
	reset_timer(r);
	return r;
}

static void free_allocs(struct raft *r)
{
	for (size_t i = 0; i < r->n_allocs; i++)
		free(r->allocs[i]);
	r->n_allocs = 0;
}

void raft_free(struct raft *r)
{
	if (!r)
		return;
	free_allocs(r);
	free(r->allocs);
	free(r->msgs);
	free(r->rstates);
	free(r->reads);
	free(r->prs);
	free(r->snap_data);
	raft_log_free(&r->log);
	free(r);
}

/* Replaces the held snapshot. The old data stays alive until the Ready is done, since
 * messages already queued may point at it. */
static void snap_set(struct raft *r, const struct raft_snapshot *s)
{
	unsigned char *data = xmalloc(s->len);
	if (s->len)
		memcpy(data, s->data, s->len);
	if (r->snap_data)
		ready_keep(r, r->snap_data);
	r->snap = *s;
	r->snap_data = data;
	r->snap.data = data;
}

int raft_load(struct raft *r, const struct raft_hard_state *hs, const struct raft_snapshot *snap,
	      const struct raft_entry *entries, size_t n)
{
	uint64_t base = snap ? snap->index : 0;
	size_t skip = 0;
	while (skip < n && entries[skip].index <= base)
		skip++;
	entries += skip;
	n -= skip;
	for (size_t i = 0; i < n; i++)
		if (entries[i].index != base + 1 + i || entries[i].len > RAFT_MAX_ENTRY_BYTES)
			return RAFT_ERR_BAD_MSG;
	if (snap) {
		snap_set(r, snap);
		raft_log_reset(&r->log, snap->index, snap->term);
		r->applied = snap->index;
	}
	for (size_t i = 0; i < n; i++)
		raft_log_append(&r->log, &entries[i]);
	r->log.stable = raft_log_last(&r->log);
	if (hs) {
		r->term = hs->term;
		r->vote = hs->vote;
		r->commit = hs->commit;
		r->persisted = *hs;
	}
	if (r->commit > raft_log_last(&r->log))
		r->commit = raft_log_last(&r->log);
	if (r->commit < r->applied)
		r->commit = r->applied;
	config_recompute(r);
	return 0;
}

int raft_bootstrap(struct raft *r, const struct raft_config *conf)
{
	if (raft_log_last(&r->log) != 0 || r->term != 0 || conf->n == 0 || conf->n > RAFT_MAX_SERVERS)
		return RAFT_ERR_STATE;
	unsigned char buf[RAFT_CONFIG_MAX_BYTES];
	struct raft_config check;
	size_t len = raft_config_encode(conf, buf);
	if (raft_config_decode(buf, len, &check) != 0)
		return RAFT_ERR_BAD_CONF;
	r->term = 1;
	append_entry(r, RAFT_ENTRY_CONFIG, buf, len);
	return 0;
}

/* ---- sending ---- */

static struct raft_msg *msg_new(struct raft *r, uint8_t type, uint64_t to)
{
	grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + 1, sizeof *r->msgs);
	struct raft_msg *m = &r->msgs[r->n_msgs++];
	memset(m, 0, sizeof *m);
	m->type = type;
	m->from = r->id;
	m->to = to;
	m->term = r->term;
	/* The leader's replication may leave before its own fsync (thesis §10.2.1); answers
	 * and votes speak for persisted state. */
	m->after_persist = !(type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT || type == RAFT_MSG_SNAPSHOT ||
			     type == RAFT_MSG_TIMEOUT_NOW || type == RAFT_MSG_PRE_VOTE ||
			     type == RAFT_MSG_PRE_VOTE_RESP || type == RAFT_MSG_READ_INDEX_RESP);
	return m;
}

static struct progress *progress_of(struct raft *r, uint64_t id)
{
	for (size_t i = 0; i < r->n_prs; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

static void become_probe(struct progress *pr)
{
	pr->state = PR_PROBE;
	pr->paused = false;
	pr->next = pr->match + 1;
	pr->infl_count = 0;
	pr->infl_start = 0;
}

static void become_replicate(struct progress *pr)
{
	pr->state = PR_REPLICATE;
	pr->paused = false;
	pr->next = pr->match + 1;
	pr->infl_count = 0;
	pr->infl_start = 0;
}

static void send_snapshot(struct raft *r, struct progress *pr)
{
	if (r->snap.index == 0) /* nothing to send: should not happen when the log was compacted */
		return;
	struct raft_snapshot *s = ready_alloc(r, sizeof *s);
	*s = r->snap;
	struct raft_msg *m = msg_new(r, RAFT_MSG_SNAPSHOT, pr->id);
	m->snapshot = s;
	m->index = s->index;
	m->log_term = s->term;
	m->ctx = r->round;
	pr->state = PR_SNAPSHOT;
	pr->pending_snapshot = s->index;
	pr->snapshot_ticks = 0;
	r->stats.snapshots_sent++;
}

/* Sends entries from pr->next (or a snapshot when they are compacted). allow_empty: send
 * even with nothing new (to carry the commit index). Returns whether a message went out. */
static bool send_append(struct raft *r, struct progress *pr, bool allow_empty)
{
	if (pr->state == PR_SNAPSHOT || (pr->state == PR_PROBE && pr->paused))
		return false;
	if (pr->state == PR_REPLICATE && pr->infl_count >= r->o.max_inflight)
		return false;
	uint64_t prev = pr->next - 1, prev_term;
	if (raft_log_term(&r->log, prev, &prev_term) != 0) {
		send_snapshot(r, pr);
		return true;
	}
	uint64_t last = raft_log_last(&r->log);
	size_t n = 0, bytes = 0;
	while (prev + n < last && n < RAFT_MAX_APPEND_ENTRIES) {
		const struct raft_entry *e = raft_log_get(&r->log, prev + n + 1);
		if (n > 0 && bytes + e->len > RAFT_MAX_APPEND_BYTES)
			break;
		bytes += e->len;
		n++;
	}
	if (n == 0 && !allow_empty && pr->state == PR_REPLICATE)
		return false;
	/* Copy the entries: the log may change before the Ready is taken. */
	struct raft_entry *ents = NULL;
	if (n) {
		unsigned char *blob = ready_alloc(r, n * sizeof *ents + bytes);
		ents = (struct raft_entry *)(void *)blob;
		unsigned char *data = blob + n * sizeof *ents;
		for (size_t i = 0; i < n; i++) {
			const struct raft_entry *e = raft_log_get(&r->log, prev + i + 1);
			ents[i] = *e;
			ents[i].data = e->len ? data : NULL;
			if (e->len)
				memcpy(data, e->data, e->len);
			data += e->len;
		}
	}
	struct raft_msg *m = msg_new(r, RAFT_MSG_APPEND, pr->id);
	m->index = prev;
	m->log_term = prev_term;
	m->commit = r->commit;
	m->ctx = r->round;
	m->entries = ents;
	m->n_entries = (uint32_t)n;
	if (pr->state == PR_REPLICATE && n) {
		uint64_t last_sent = prev + n;
		pr->next = last_sent + 1;
		pr->inflight[(pr->infl_start + pr->infl_count) % RAFT_MAX_INFLIGHT] = last_sent;
		pr->infl_count++;
	} else if (pr->state == PR_PROBE) {
		pr->paused = true;
	}
	return true;
}

static void bcast_append(struct raft *r, bool allow_empty)
{
	for (size_t i = 0; i < r->n_prs; i++)
		if (r->prs[i].id != r->id)
			send_append(r, &r->prs[i], allow_empty);
}

/* Starts a new leader round: heartbeats to everyone, remembering when (reads, lease). */
static void bcast_heartbeat(struct raft *r)
{
	r->round++;
	r->round_tick[r->round % ROUND_RING] = r->now;
	for (size_t i = 0; i < r->n_prs; i++) {
		struct progress *pr = &r->prs[i];
		if (pr->id == r->id)
			continue;
		struct raft_msg *m = msg_new(r, RAFT_MSG_HEARTBEAT, pr->id);
		m->commit = pr->match < r->commit ? pr->match : r->commit;
		m->ctx = r->round;
	}
}

/* ---- roles ---- */

static void drop_reads(struct raft *r)
{
	r->n_reads = 0;
}

static void become_follower(struct raft *r, uint64_t term, uint64_t leader)
{
	if (term > r->term) {
		r->term = term;
		r->vote = 0;
	}
	r->role = RAFT_FOLLOWER;
	r->leader = leader;
	r->transfer_to = 0;
	r->need_bcast = false;
	drop_reads(r);
	reset_timer(r);
}

static void rebuild_progress(struct raft *r)
{
	struct progress *old = r->prs;
	size_t n_old = r->n_prs;
	struct progress *prs = calloc(r->conf.n ? r->conf.n : 1, sizeof *prs);
	if (!prs)
		abort();
	uint64_t last = raft_log_last(&r->log);
	for (uint32_t i = 0; i < r->conf.n; i++) {
		uint64_t id = r->conf.servers[i].id;
		struct progress *p = NULL;
		for (size_t j = 0; j < n_old; j++)
			if (old[j].id == id)
				p = &old[j];
		if (p) {
			prs[i] = *p;
		} else {
			prs[i].id = id;
			prs[i].next = last + 1;
			prs[i].last_active = r->now;
			become_probe(&prs[i]);
			prs[i].next = last + 1;
		}
	}
	free(old);
	r->prs = prs;
	r->n_prs = r->conf.n;
}

static void become_leader(struct raft *r)
{
	r->role = RAFT_LEADER;
	r->leader = r->id;
	r->transfer_to = 0;
	r->lease_off = false;
	r->hb_elapsed = 0;
	r->stats.elections_won++;
	free(r->prs);
	r->prs = NULL;
	r->n_prs = 0;
	rebuild_progress(r);
	for (size_t i = 0; i < r->n_prs; i++) {
		r->prs[i].last_active = r->now;
		r->prs[i].acked_round = 0;
	}
	/* Raft §8: commit an entry of this term so the commit index is known (reads, config). */
	append_entry(r, RAFT_ENTRY_NOOP, NULL, 0);
	bcast_heartbeat(r);
	r->need_bcast = true;
}

static void send_vote_requests(struct raft *r, bool pre, bool transfer)
{
	for (uint32_t i = 0; i < r->conf.n; i++) {
		uint64_t id = r->conf.servers[i].id;
		if (id == r->id)
			continue;
		struct raft_msg *m = msg_new(r, pre ? RAFT_MSG_PRE_VOTE : RAFT_MSG_VOTE, id);
		m->term = pre ? r->term + 1 : r->term;
		m->index = raft_log_last(&r->log);
		m->log_term = raft_log_last_term(&r->log);
		m->transfer = transfer;
	}
}

static void tally_reset(struct raft *r)
{
	r->n_votes = 0;
}

/* Records a vote; returns 1 when a quorum granted, -1 when a quorum refused, else 0. */
static int tally(struct raft *r, uint64_t from, bool granted)
{
	if (!is_voter(r, from))
		return 0;
	size_t i;
	for (i = 0; i < r->n_votes; i++)
		if (r->vote_from[i] == from)
			break;
	if (i == r->n_votes && r->n_votes < RAFT_MAX_SERVERS) {
		r->vote_from[i] = from;
		r->vote_granted[i] = granted;
		r->n_votes++;
	}
	size_t yes = 0, no = 0;
	for (i = 0; i < r->n_votes; i++)
		r->vote_granted[i] ? yes++ : no++;
	if (yes >= quorum(r))
		return 1;
	if (no >= quorum(r))
		return -1;
	return 0;
}

static void campaign(struct raft *r, bool pre, bool transfer)
{
	if (!is_voter(r, r->id))
		return;
	tally_reset(r);
	r->leader = 0;
	if (pre) {
		r->role = RAFT_PRE_CANDIDATE;
		r->stats.pre_votes_started++;
	} else {
		r->role = RAFT_CANDIDATE;
		r->term++;
		r->vote = r->id;
		r->stats.elections_started++;
	}
	reset_timer(r);
	if (tally(r, r->id, true) == 1) { /* a cluster of one */
		if (pre)
			campaign(r, false, transfer);
		else
			become_leader(r);
		return;
	}
	send_vote_requests(r, pre, transfer);
}

/* ---- leader: commit, reads ---- */

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The quorum-th highest value among voters (the leader's own from self_value). */
static uint64_t quorum_value(struct raft *r, uint64_t self_value, bool use_round)
{
	uint64_t vals[RAFT_MAX_SERVERS];
	size_t n = 0;
	for (uint32_t i = 0; i < r->conf.n; i++) {
		uint64_t id = r->conf.servers[i].id;
		if (id == r->id) {
			vals[n++] = self_value;
			continue;
		}
		struct progress *pr = progress_of(r, id);
		vals[n++] = pr ? (use_round ? pr->acked_round : pr->match) : 0;
	}
	if (n == 0)
		return 0;
	qsort(vals, n, sizeof vals[0], cmp_desc);
	return vals[quorum(r) - 1];
}

static bool committed_in_term(const struct raft *r)
{
	return log_term_or0(r, r->commit) == r->term;
}

static void release_reads(struct raft *r);

/* Raft §3.6.2 / §5.4.2: the leader commits an entry of its own term once a quorum stores it;
 * earlier entries commit with it, never by counting replicas. */
static bool maybe_commit(struct raft *r)
{
	uint64_t mci = quorum_value(r, r->log.stable, false);
	if (mci <= r->commit || log_term_or0(r, mci) != r->term)
		return false;
	r->commit = mci;
	/* A leader that removed itself steps down once that is committed (thesis §4.2.2). */
	if (!is_voter(r, r->id) && r->commit >= r->conf_index) {
		become_follower(r, r->term, 0);
		return true;
	}
	release_reads(r);
	return true;
}

static void emit_read(struct raft *r, uint64_t from, uint64_t ctx, uint64_t index)
{
	if (from == 0 || from == r->id) {
		grow((void **)&r->rstates, &r->cap_rstates, r->n_rstates + 1, sizeof *r->rstates);
		r->rstates[r->n_rstates++] = (struct raft_read_state){.index = index, .ctx = ctx};
	} else {
		struct raft_msg *m = msg_new(r, RAFT_MSG_READ_INDEX_RESP, from);
		m->index = index;
		m->ctx = ctx;
	}
}

bool raft_lease_valid(const struct raft *r)
{
	if (r->role != RAFT_LEADER || !is_voter(r, r->id) || r->lease_off)
		return false;
	uint64_t q = quorum_value((struct raft *)r, r->round, true);
	if (q == 0 || r->round - q >= ROUND_RING)
		return false;
	return r->round_tick[q % ROUND_RING] + r->o.leader_lease_ticks > r->now;
}

/* Answers the reads whose round a quorum acknowledged (or that the lease covers). */
static void release_reads(struct raft *r)
{
	if (r->role != RAFT_LEADER || !r->n_reads || !committed_in_term(r))
		return;
	uint64_t acked = quorum_value(r, r->round, true);
	bool lease = raft_lease_valid(r);
	size_t keep = 0;
	for (size_t i = 0; i < r->n_reads; i++) {
		struct pending_read *rd = &r->reads[i];
		if (rd->index < r->commit && rd->round == 0)
			rd->index = r->commit; /* arrived before this term's first commit */
		if ((rd->lease && lease) || (rd->round && acked >= rd->round))
			emit_read(r, rd->from, rd->ctx, rd->index);
		else
			r->reads[keep++] = *rd;
	}
	r->n_reads = keep;
}

static int queue_read(struct raft *r, uint64_t from, uint64_t ctx, bool lease)
{
	if (r->n_reads >= RAFT_MAX_READS)
		return RAFT_ERR_BUSY;
	grow((void **)&r->reads, &r->cap_reads, r->n_reads + 1, sizeof *r->reads);
	r->reads[r->n_reads++] = (struct pending_read){.ctx = ctx, .from = from, .index = r->commit, .lease = lease};
	release_reads(r);
	return 0;
}

/* ---- ticks ---- */

static bool in_lease(const struct raft *r)
{
	return r->o.check_quorum &&
	       (r->role == RAFT_LEADER || r->now - r->last_contact < r->o.heartbeat_timeout_ticks);
}

static void tick_leader(struct raft *r)
{
	if (++r->hb_elapsed >= r->o.heartbeat_interval_ticks) {
		r->hb_elapsed = 0;
		bcast_heartbeat(r);
	}
	for (size_t i = 0; i < r->n_prs; i++) {
		struct progress *pr = &r->prs[i];
		/* A snapshot that got no answer is retried from a probe. */
		if (pr->state == PR_SNAPSHOT && ++pr->snapshot_ticks >= r->o.heartbeat_timeout_ticks)
			become_probe(pr);
	}
	if (r->transfer_to && ++r->transfer_elapsed >= r->o.election_timeout_ticks)
		r->transfer_to = 0;
	/* Check-quorum: step down when a quorum has not been heard from within an election
	 * timeout, so a partitioned leader stops taking writes and serving reads. */
	if (r->o.check_quorum) {
		size_t active = 0;
		for (uint32_t i = 0; i < r->conf.n; i++) {
			struct progress *pr = progress_of(r, r->conf.servers[i].id);
			if (r->conf.servers[i].id == r->id ||
			    (pr && r->now - pr->last_active < r->o.election_timeout_ticks))
				active++;
		}
		if (active < quorum(r)) {
			r->stats.step_downs_check_quorum++;
			become_follower(r, r->term, 0);
			return;
		}
	}
	release_reads(r); /* lease reads wait on time only when the lease was not yet valid */
}

int raft_campaign(struct raft *r)
{
	if (r->role == RAFT_LEADER || !is_voter(r, r->id))
		return RAFT_ERR_STATE;
	campaign(r, r->o.pre_vote, false);
	return 0;
}

void raft_tick(struct raft *r)
{
	r->now++;
	if (r->role == RAFT_LEADER) {
		tick_leader(r);
		return;
	}
	if (++r->elapsed >= r->timeout) {
		reset_timer(r);
		campaign(r, r->o.pre_vote, false);
	}
}

/* ---- receiving ---- */

static int validate(const struct raft *r, const struct raft_msg *m)
{
	if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_READ_INDEX_RESP || m->to != r->id || m->from == 0 ||
	    m->from == r->id)
		return RAFT_ERR_BAD_MSG;
	if (m->type == RAFT_MSG_APPEND) {
		if (m->n_entries > RAFT_MAX_APPEND_ENTRIES || (m->n_entries && !m->entries))
			return RAFT_ERR_BAD_MSG;
		uint64_t prev_term = m->log_term;
		for (uint32_t i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];
			struct raft_config c;
			if (e->index != m->index + 1 + i || e->term < prev_term || e->term > m->term ||
			    e->len > RAFT_MAX_ENTRY_BYTES || (e->len && !e->data) || e->type > RAFT_ENTRY_CONFIG)
				return RAFT_ERR_BAD_MSG;
			if (e->type == RAFT_ENTRY_CONFIG && raft_config_decode(e->data, e->len, &c) != 0)
				return RAFT_ERR_BAD_MSG;
			prev_term = e->term;
		}
		if (m->log_term > m->term)
			return RAFT_ERR_BAD_MSG;
	}
	if (m->type == RAFT_MSG_SNAPSHOT) {
		const struct raft_snapshot *s = m->snapshot;
		if (!s || s->index == 0 || s->term > m->term || s->len > RAFT_MAX_SNAPSHOT_BYTES ||
		    (s->len && !s->data) || s->config.n > RAFT_MAX_SERVERS)
			return RAFT_ERR_BAD_MSG;
	}
	return 0;
}

/* Raft §3.5 with fast backtracking: the last index <= index whose term is <= term. */
static uint64_t find_conflict_by_term(const struct raft *r, uint64_t index, uint64_t term)
{
	uint64_t last = raft_log_last(&r->log);
	if (index > last)
		index = last;
	for (;;) {
		uint64_t t;
		if (raft_log_term(&r->log, index, &t) != 0)
			return index; /* compacted: the snapshot's prefix matches whatever it is */
		if (t <= term)
			return index;
		index--;
	}
}

static void handle_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *resp;
	if (m->index < r->commit) {
		/* Everything up to the commit index already matches: take only what follows. */
		uint64_t skip = r->commit - m->index;
		if (skip >= m->n_entries) {
			resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
			resp->index = r->commit;
			resp->ctx = m->ctx;
			return;
		}
		struct raft_msg sub = *m;
		sub.index = r->commit;
		sub.log_term = m->entries[skip - 1].term; /* the entry at commit */
		sub.entries = m->entries + skip;
		sub.n_entries = m->n_entries - (uint32_t)skip;
		handle_append(r, &sub);
		return;
	}
	uint64_t term;
	if (raft_log_term(&r->log, m->index, &term) == 0 && term == m->log_term) {
		bool conf_changed = false;
		for (uint32_t i = 0; i < m->n_entries; i++) {
			const struct raft_entry *e = &m->entries[i];
			uint64_t t;
			if (raft_log_term(&r->log, e->index, &t) == 0) {
				if (t == e->term)
					continue;
				/* A conflict: drop it and all that follows (never a committed entry). */
				if (e->index <= r->commit)
					break;
				for (uint64_t j = e->index; j <= raft_log_last(&r->log); j++)
					if (raft_log_get(&r->log, j)->type == RAFT_ENTRY_CONFIG)
						conf_changed = true;
				raft_log_truncate_from(&r->log, e->index);
			}
			raft_log_append(&r->log, e);
			if (e->type == RAFT_ENTRY_CONFIG)
				conf_changed = true;
		}
		if (conf_changed)
			config_recompute(r);
		uint64_t last_new = m->index + m->n_entries;
		uint64_t c = m->commit < last_new ? m->commit : last_new;
		if (c > r->commit)
			r->commit = c;
		resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
		resp->index = last_new;
		resp->ctx = m->ctx;
		return;
	}
	uint64_t hint = find_conflict_by_term(r, m->index, m->log_term);
	resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
	resp->reject = true;
	resp->index = m->index;
	resp->hint_index = hint;
	resp->hint_term = log_term_or0(r, hint);
	resp->ctx = m->ctx;
}

static void handle_heartbeat(struct raft *r, const struct raft_msg *m)
{
	uint64_t c = m->commit;
	if (c > raft_log_last(&r->log))
		c = raft_log_last(&r->log);
	if (c > r->commit)
		r->commit = c;
	struct raft_msg *resp = msg_new(r, RAFT_MSG_HEARTBEAT_RESP, m->from);
	resp->ctx = m->ctx;
	resp->index = raft_log_last(&r->log);
}

static void handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	const struct raft_snapshot *s = m->snapshot;
	struct raft_msg *resp;
	uint64_t t;
	if (s->index <= r->commit) {
		resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
		resp->index = r->commit;
		resp->ctx = m->ctx;
		return;
	}
	if (raft_log_term(&r->log, s->index, &t) == 0 && t == s->term) {
		/* We hold the entries it covers: they will be applied from the log. */
		r->commit = s->index;
	} else {
		snap_set(r, s);
		raft_log_reset(&r->log, s->index, s->term);
		r->log.stable = 0; /* not durable until the Ready that installs it is done */
		r->commit = s->index;
		r->snap_install = true;
		config_recompute(r);
		r->stats.snapshots_installed++;
	}
	resp = msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
	resp->index = s->index;
	resp->ctx = m->ctx;
}

static void leader_on_ack(struct raft *r, struct progress *pr, uint64_t ctx)
{
	pr->last_active = r->now;
	if (ctx > pr->acked_round && ctx <= r->round)
		pr->acked_round = ctx;
}

static void handle_append_resp(struct raft *r, struct progress *pr, const struct raft_msg *m)
{
	leader_on_ack(r, pr, m->ctx);
	uint64_t last = raft_log_last(&r->log);
	if (m->reject) {
		uint64_t rejected = m->index;
		if (pr->state == PR_REPLICATE) {
			if (rejected <= pr->match)
				goto out; /* stale */
			become_probe(pr);
		} else if (pr->state == PR_PROBE) {
			if (rejected != pr->next - 1)
				goto out; /* stale */
		} else {
			become_probe(pr);
		}
		uint64_t hint = m->hint_index;
		if (m->hint_term > 0)
			hint = find_conflict_by_term(r, m->hint_index, m->hint_term);
		uint64_t next = hint + 1 < rejected ? hint + 1 : rejected;
		if (next < pr->match + 1)
			next = pr->match + 1;
		if (next < 1)
			next = 1;
		pr->next = next;
		pr->paused = false;
		send_append(r, pr, true);
		goto out;
	}
	if (m->index > last)
		goto out; /* cannot match what we do not hold */
	bool updated = false;
	if (m->index > pr->match) {
		pr->match = m->index;
		updated = true;
	}
	if (pr->next < m->index + 1)
		pr->next = m->index + 1;
	switch (pr->state) {
	case PR_PROBE:
		if (updated || pr->match + 1 == pr->next)
			become_replicate(pr);
		break;
	case PR_SNAPSHOT:
		if (pr->match >= pr->pending_snapshot)
			become_replicate(pr);
		break;
	case PR_REPLICATE:
		while (pr->infl_count && pr->inflight[pr->infl_start] <= m->index) {
			pr->infl_start = (pr->infl_start + 1) % RAFT_MAX_INFLIGHT;
			pr->infl_count--;
		}
		break;
	}
	if (updated && maybe_commit(r)) {
		if (r->role != RAFT_LEADER)
			return;
		r->need_bcast = true;
		r->bcast_empty = true;
	}
	while (send_append(r, pr, false))
		if (pr->state != PR_REPLICATE)
			break;
	if (r->transfer_to == pr->id && pr->match == last)
		msg_new(r, RAFT_MSG_TIMEOUT_NOW, pr->id);
out:
	release_reads(r);
}

static void handle_heartbeat_resp(struct raft *r, struct progress *pr, const struct raft_msg *m)
{
	leader_on_ack(r, pr, m->ctx);
	if (pr->state != PR_SNAPSHOT && pr->match < raft_log_last(&r->log)) {
		/* Appends that got no answer for a whole heartbeat interval were lost. */
		if (pr->state == PR_REPLICATE && pr->match == pr->hb_match && pr->infl_count)
			become_probe(pr);
		pr->paused = false;
		send_append(r, pr, true);
	}
	pr->hb_match = pr->match;
	release_reads(r);
}

static void handle_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PRE_VOTE;
	bool can_vote = r->vote == m->from || (r->vote == 0 && r->leader == 0) || (pre && m->term > r->term);
	uint64_t last_term = raft_log_last_term(&r->log);
	bool up_to_date = m->log_term > last_term ||
			  (m->log_term == last_term && m->index >= raft_log_last(&r->log));
	bool grant = can_vote && up_to_date;
	struct raft_msg *resp = msg_new(r, pre ? RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP, m->from);
	resp->reject = !grant;
	/* A granted pre-vote answers in the term asked about; a refusal in ours, so a stale
	 * candidate learns the term. */
	resp->term = grant && pre ? m->term : r->term;
	if (grant && !pre) {
		r->vote = m->from;
		r->elapsed = 0;
	}
}

static void handle_read_index(struct raft *r, const struct raft_msg *m)
{
	if (queue_read(r, m->from, m->ctx, false) != 0) {
		struct raft_msg *resp = msg_new(r, RAFT_MSG_READ_INDEX_RESP, m->from);
		resp->reject = true;
		resp->ctx = m->ctx;
	}
}

static void heard_from_leader(struct raft *r, uint64_t leader)
{
	r->leader = leader;
	r->last_contact = r->now;
	r->elapsed = 0;
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	if (validate(r, m) != 0) {
		r->stats.msgs_dropped++;
		return RAFT_ERR_BAD_MSG;
	}
	bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PRE_VOTE;
	if (m->term > r->term) {
		if (vote_req && !m->transfer && in_lease(r))
			return 0; /* leader stickiness: a leader is alive, ignore the disruption */
		if (m->type == RAFT_MSG_PRE_VOTE || (m->type == RAFT_MSG_PRE_VOTE_RESP && !m->reject)) {
			/* Pre-votes change no term. */
		} else {
			bool from_leader = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
					   m->type == RAFT_MSG_SNAPSHOT;
			become_follower(r, m->term, from_leader ? m->from : 0);
		}
	} else if (m->term < r->term) {
		if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT) {
			/* A stale leader (e.g. back from a partition): tell it our term. */
			msg_new(r, RAFT_MSG_APPEND_RESP, m->from);
		} else if (m->type == RAFT_MSG_PRE_VOTE) {
			struct raft_msg *resp = msg_new(r, RAFT_MSG_PRE_VOTE_RESP, m->from);
			resp->reject = true;
		}
		r->stats.msgs_dropped++;
		return 0;
	}

	if (vote_req) {
		handle_vote(r, m);
		return 0;
	}
	switch (r->role) {
	case RAFT_LEADER: {
		struct progress *pr = progress_of(r, m->from);
		if (m->type == RAFT_MSG_READ_INDEX) {
			handle_read_index(r, m);
			return 0;
		}
		if (!pr)
			return 0;
		if (m->type == RAFT_MSG_APPEND_RESP)
			handle_append_resp(r, pr, m);
		else if (m->type == RAFT_MSG_HEARTBEAT_RESP)
			handle_heartbeat_resp(r, pr, m);
		return 0;
	}
	case RAFT_PRE_CANDIDATE:
	case RAFT_CANDIDATE:
		if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT || m->type == RAFT_MSG_SNAPSHOT) {
			become_follower(r, m->term, m->from);
			break; /* handled as a follower below */
		}
		if ((m->type == RAFT_MSG_PRE_VOTE_RESP && r->role == RAFT_PRE_CANDIDATE) ||
		    (m->type == RAFT_MSG_VOTE_RESP && r->role == RAFT_CANDIDATE)) {
			int res = tally(r, m->from, !m->reject);
			if (res == 1 && r->role == RAFT_PRE_CANDIDATE)
				campaign(r, false, false);
			else if (res == 1)
				become_leader(r);
			else if (res == -1)
				become_follower(r, r->term, 0);
		}
		return 0;
	case RAFT_FOLLOWER:
		break;
	}
	switch (m->type) {
	case RAFT_MSG_APPEND:
		heard_from_leader(r, m->from);
		handle_append(r, m);
		break;
	case RAFT_MSG_HEARTBEAT:
		heard_from_leader(r, m->from);
		handle_heartbeat(r, m);
		break;
	case RAFT_MSG_SNAPSHOT:
		heard_from_leader(r, m->from);
		handle_snapshot(r, m);
		break;
	case RAFT_MSG_TIMEOUT_NOW:
		if (m->from == r->leader)
			campaign(r, false, true);
		break;
	case RAFT_MSG_READ_INDEX_RESP:
		if (!m->reject)
			emit_read(r, 0, m->ctx, m->index);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the application's requests ---- */

int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index, uint64_t *term)
{
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (r->transfer_to)
		return RAFT_ERR_TRANSFERRING;
	if (len > RAFT_MAX_ENTRY_BYTES)
		return RAFT_ERR_TOO_BIG;
	uint64_t i = append_entry(r, RAFT_ENTRY_NORMAL, data, len);
	r->need_bcast = true;
	if (index)
		*index = i;
	if (term)
		*term = r->term;
	return 0;
}

static int change_config(struct raft *r, const struct raft_config *next, uint64_t *index)
{
	unsigned char buf[RAFT_CONFIG_MAX_BYTES];
	size_t len = raft_config_encode(next, buf);
	uint64_t i = append_entry(r, RAFT_ENTRY_CONFIG, buf, len);
	r->need_bcast = true;
	if (index)
		*index = i;
	return 0;
}

static int conf_change_allowed(const struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	if (r->transfer_to)
		return RAFT_ERR_TRANSFERRING;
	/* Thesis §4.1 and its errata: one change at a time, and only once this leader has
	 * committed an entry of its term. */
	if (r->conf_index > r->commit)
		return RAFT_ERR_CONF_PENDING;
	if (!committed_in_term(r))
		return RAFT_ERR_NOT_READY;
	return 0;
}

int raft_add_server(struct raft *r, uint64_t id, const char *addr, uint64_t *index)
{
	int rc = conf_change_allowed(r);
	if (rc)
		return rc;
	if (id == 0 || raft_config_find(&r->conf, id) || r->conf.n >= RAFT_MAX_SERVERS || !addr ||
	    strlen(addr) >= RAFT_ADDR_MAX)
		return RAFT_ERR_BAD_CONF;
	struct raft_config next = r->conf;
	next.servers[next.n].id = id;
	snprintf(next.servers[next.n].addr, RAFT_ADDR_MAX, "%s", addr);
	next.n++;
	return change_config(r, &next, index);
}

int raft_remove_server(struct raft *r, uint64_t id, uint64_t *index)
{
	int rc = conf_change_allowed(r);
	if (rc)
		return rc;
	if (!raft_config_find(&r->conf, id) || r->conf.n == 1)
		return RAFT_ERR_BAD_CONF;
	struct raft_config next = {0};
	for (uint32_t i = 0; i < r->conf.n; i++)
		if (r->conf.servers[i].id != id)
			next.servers[next.n++] = r->conf.servers[i];
	return change_config(r, &next, index);
}

int raft_transfer_leadership(struct raft *r, uint64_t to)
{
	if (r->role != RAFT_LEADER)
		return RAFT_ERR_NOT_LEADER;
	struct progress *pr = progress_of(r, to);
	if (to == r->id || !pr)
		return RAFT_ERR_BAD_CONF;
	r->transfer_to = to;
	r->transfer_elapsed = 0;
	r->lease_off = true;
	if (pr->match == raft_log_last(&r->log))
		msg_new(r, RAFT_MSG_TIMEOUT_NOW, to);
	else
		send_append(r, pr, true);
	return 0;
}

int raft_read_index(struct raft *r, enum raft_read_mode mode, uint64_t ctx)
{
	if (r->role == RAFT_LEADER)
		return queue_read(r, 0, ctx, mode == RAFT_READ_LEASE);
	if (r->role != RAFT_FOLLOWER || r->leader == 0)
		return RAFT_ERR_NOT_LEADER;
	struct raft_msg *m = msg_new(r, RAFT_MSG_READ_INDEX, r->leader);
	m->ctx = ctx;
	return 0;
}

int raft_snapshot(struct raft *r, uint64_t index, const void *data, size_t len)
{
	uint64_t term;
	if (index > r->applied || index <= r->snap.index || raft_log_term(&r->log, index, &term) != 0)
		return RAFT_ERR_BAD_INDEX;
	struct raft_snapshot s = {.index = index, .term = term, .data = data, .len = len};
	config_at(r, index, &s.config);
	snap_set(r, &s);
	if (index > r->o.trailing_logs) {
		uint64_t to = index - r->o.trailing_logs;
		if (to > r->log.offset)
			raft_log_compact_to(&r->log, to);
	}
	return 0;
}

void raft_report_unreachable(struct raft *r, uint64_t id)
{
	struct progress *pr = r->role == RAFT_LEADER ? progress_of(r, id) : NULL;
	if (pr && pr->state != PR_PROBE)
		become_probe(pr);
}

/* ---- Ready ---- */

bool raft_has_ready(const struct raft *r)
{
	return r->n_msgs || r->n_rstates || r->need_bcast || r->snap_install ||
	       r->log.stable < raft_log_last(&r->log) || r->commit > r->applied || r->term != r->persisted.term ||
	       r->vote != r->persisted.vote || r->commit != r->persisted.commit ||
	       (r->role == RAFT_LEADER && r->n_reads && r->reads[r->n_reads - 1].round == 0 &&
		committed_in_term(r));
}

/* Starts one heartbeat round for every read that is waiting for one (batched per Ready). */
static void start_read_round(struct raft *r)
{
	bool need = false;
	for (size_t i = 0; i < r->n_reads; i++)
		if (r->reads[i].round == 0)
			need = true; /* lease reads left here found no valid lease: confirm them too */
	if (!need || !committed_in_term(r))
		return;
	bcast_heartbeat(r);
	for (size_t i = 0; i < r->n_reads; i++)
		if (r->reads[i].round == 0) {
			r->reads[i].round = r->round;
			r->reads[i].lease = false;
		}
	release_reads(r); /* a cluster of one confirms at once */
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
	memset(rd, 0, sizeof *rd);
	if (r->role == RAFT_LEADER) {
		if (r->need_bcast)
			bcast_append(r, r->bcast_empty);
		start_read_round(r);
	}
	r->need_bcast = r->bcast_empty = false;
	rd->role = r->role;
	rd->leader = r->leader;
	rd->hard_state = (struct raft_hard_state){.term = r->term, .vote = r->vote, .commit = r->commit};
	rd->hs_changed = r->term != r->persisted.term || r->vote != r->persisted.vote ||
			 r->commit != r->persisted.commit;
	rd->must_sync = r->term != r->persisted.term || r->vote != r->persisted.vote;
	if (r->snap_install) {
		rd->snapshot = &r->snap;
		rd->must_sync = true;
	}
	uint64_t last = raft_log_last(&r->log);
	uint64_t from = r->log.stable + 1 > r->log.offset + 1 ? r->log.stable + 1 : r->log.offset + 1;
	if (from <= last) {
		rd->entries = (struct raft_entry *)raft_log_get(&r->log, from);
		rd->n_entries = (size_t)(last - from + 1);
		rd->must_sync = true;
	}
	uint64_t applied = r->applied;
	if (r->snap_install && r->snap.index > applied)
		applied = r->snap.index;
	if (r->commit > applied) {
		rd->committed = (struct raft_entry *)raft_log_get(&r->log, applied + 1);
		rd->n_committed = (size_t)(r->commit - applied);
	}
	rd->msgs = r->msgs;
	rd->n_msgs = r->n_msgs;
	rd->reads = r->rstates;
	rd->n_reads = r->n_rstates;
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	if (rd->snapshot) {
		r->snap_install = false;
		if (r->applied < rd->snapshot->index)
			r->applied = rd->snapshot->index;
		if (r->log.stable < r->log.offset)
			r->log.stable = r->log.offset;
	}
	if (rd->n_entries) {
		const struct raft_entry *e = &rd->entries[rd->n_entries - 1];
		uint64_t t;
		if (raft_log_term(&r->log, e->index, &t) == 0 && t == e->term && e->index > r->log.stable)
			r->log.stable = e->index;
	}
	if (rd->n_committed)
		r->applied = rd->committed[rd->n_committed - 1].index;
	r->persisted = rd->hard_state;
	r->n_msgs = 0;
	r->n_rstates = 0;
	free_allocs(r);
	if (r->role == RAFT_LEADER && maybe_commit(r) && r->role == RAFT_LEADER) {
		r->need_bcast = true;
		r->bcast_empty = true;
	}
}

/* ---- queries ---- */

enum raft_role raft_role(const struct raft *r)
{
	return r->role;
}
uint64_t raft_id(const struct raft *r)
{
	return r->id;
}
uint64_t raft_term(const struct raft *r)
{
	return r->term;
}
uint64_t raft_leader(const struct raft *r)
{
	return r->leader;
}
uint64_t raft_commit_index(const struct raft *r)
{
	return r->commit;
}
uint64_t raft_applied_index(const struct raft *r)
{
	return r->applied;
}
uint64_t raft_first_index(const struct raft *r)
{
	return raft_log_first(&r->log);
}
uint64_t raft_last_index(const struct raft *r)
{
	return raft_log_last(&r->log);
}
uint64_t raft_last_contact_ticks(const struct raft *r)
{
	return r->role == RAFT_LEADER ? 0 : r->now - r->last_contact;
}
uint64_t raft_match_index(const struct raft *r, uint64_t id)
{
	if (r->role != RAFT_LEADER)
		return 0;
	if (id == r->id)
		return raft_log_last(&r->log);
	const struct progress *pr = progress_of((struct raft *)r, id);
	return pr ? pr->match : 0;
}

const struct raft_config *raft_configuration(const struct raft *r)
{
	return &r->conf;
}
const struct raft_snapshot *raft_get_snapshot(const struct raft *r)
{
	return &r->snap;
}
const struct raft_log *raft_get_log(const struct raft *r)
{
	return &r->log;
}
const struct raft_stats *raft_get_stats(const struct raft *r)
{
	return &r->stats;
}
