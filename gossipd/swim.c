/* swim.c: the membership state machine (SWIM + Lifeguard, Serf's member states). The rules
 * follow hashicorp/memberlist's state.go and Serf's serf.go as ideas; comments name the rule. */
#include "swim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "events.h"
#include "suspicion.h"
#include "swim_int.h"

struct swim_member {
	struct swim_update *info;     /* latest alive record: addr, port, tags */
	uint32_t incarnation;
	enum swim_state state;
	uint64_t state_change_ms;
	bool leave_intent;            /* Serf's "leaving": a force-leave named it while alive */
	uint32_t hash;
	size_t table_pos;             /* index in s->members */
	size_t suspect_pos;           /* index in s->suspects while suspect */
	struct suspicion *susp;       /* while suspect */
	char name[];
};

/* An indirect probe we run for another member (memberlist handleIndirectPing). */
struct relay {
	uint32_t local_seq, origin_seq;
	struct swim_addr origin;
	uint64_t deadline_ms;
	bool want_nack;
};

/* The one probe in flight (memberlist probeNode). */
struct probe {
	bool active, indirect;
	uint32_t seq;
	struct swim_member *target;
	uint64_t start_ms, direct_deadline_ms, deadline_ms;
	uint32_t expected_nacks, nacks;
};

enum { MAX_RELAYS = 256 };

struct swim {
	struct swim_config cfg;
	struct swim_rng rng;
	struct swim_member *self;
	struct swim_member **members;   /* the table, in no order */
	size_t nmembers, cap_members;
	struct swim_member **index;     /* open addressing by name */
	size_t index_cap;
	struct swim_member **order;     /* probe order (randomized round robin) */
	size_t order_pos;
	struct swim_member **suspects;
	size_t nsuspects, cap_suspects;
	size_t count[4];
	struct bcast_queue queue;
	struct user_events events;
	struct probe probe;
	struct relay relays[MAX_RELAYS];
	size_t nrelays;
	uint32_t next_seq;
	int awareness;
	uint32_t est_members;           /* see est_members() */
	bool started, leaving;
	uint64_t next_probe_ms, next_gossip_ms, next_push_pull_ms, next_reconnect_ms, next_reap_ms;
	uint64_t join_sync_ms;           /* the next follow-up sync after a join, 0: none yet, 1: done */
	struct swim_addr join_sync_addr;
	uint32_t join_syncs_left;        /* more follow-up syncs allowed while they bring news */
	bool join_sync_awaiting;         /* a follow-up sync is out: its answer decides on another */
	struct swim_stats stats;
};

void swim_config_lan(struct swim_config *c)
{
	*c = (struct swim_config){
		.probe_interval_ms = 1000,
		.probe_timeout_ms = 500,
		.indirect_checks = 3,
		.gossip_interval_ms = 200,
		.gossip_nodes = 3,
		.retransmit_mult = 4,
		.suspicion_mult = 4,
		.suspicion_max_timeout_mult = 6,
		.push_pull_interval_ms = 30000,
		.join_sync_delay_ms = 2000,
		.awareness_max_mult = 8,
		.gossip_to_dead_ms = 30000,
		.reconnect_interval_ms = 30000,
		.reconnect_timeout_ms = 72ULL * 3600 * 1000,
		.tombstone_timeout_ms = 24ULL * 3600 * 1000,
		.reap_interval_ms = 15000,
		.event_buffer = 512,
		.max_queue_depth = 4096,
		.tcp_fallback = true,
	};
}

/* ------------------------------------------------------------------ the member table */

static size_t index_slot(const struct swim *s, const char *name, uint32_t hash, bool *found)
{
	size_t mask = s->index_cap - 1, i = hash & mask;
	for (; s->index[i]; i = (i + 1) & mask) {
		if (s->index[i]->hash == hash && !strcmp(s->index[i]->name, name)) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return i;
}

static struct swim_member *member_find_hashed(const struct swim *s, const char *name, uint32_t hash)
{
	bool found;
	size_t i = index_slot(s, name, hash, &found);
	return found ? s->index[i] : NULL;
}

static struct swim_member *member_find(const struct swim *s, const char *name)
{
	return member_find_hashed(s, name, swim_hash(name));
}

static int index_reserve(struct swim *s, size_t n)
{
	if (n * 2 <= s->index_cap)
		return 0;
	size_t cap = s->index_cap ? s->index_cap : 64;
	while (n * 2 > cap)
		cap *= 2;
	struct swim_member **idx = calloc(cap, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	struct swim_member **old = s->index;
	s->index = idx;
	s->index_cap = cap;
	for (size_t i = 0; i < s->nmembers; i++) {
		bool found;
		s->index[index_slot(s, s->members[i]->name, s->members[i]->hash, &found)] = s->members[i];
	}
	free(old);
	return 0;
}

static void index_remove(struct swim *s, struct swim_member *m)
{
	bool found;
	size_t mask = s->index_cap - 1, i = index_slot(s, m->name, m->hash, &found);
	if (!found)
		return;
	s->index[i] = NULL;
	for (size_t j = (i + 1) & mask; s->index[j]; j = (j + 1) & mask) {
		size_t home = s->index[j]->hash & mask;
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->index[i] = s->index[j];
			s->index[j] = NULL;
			i = j;
		}
	}
}

static void suspects_remove(struct swim *s, struct swim_member *m)
{
	size_t i = m->suspect_pos;
	s->suspects[i] = s->suspects[--s->nsuspects];
	s->suspects[i]->suspect_pos = i;
	free(m->susp);
	m->susp = NULL;
}

static int suspects_add(struct swim *s, struct swim_member *m)
{
	if (s->nsuspects == s->cap_suspects) {
		size_t cap = s->cap_suspects ? s->cap_suspects * 2 : 16;
		struct swim_member **p = realloc(s->suspects, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		s->suspects = p;
		s->cap_suspects = cap;
	}
	m->suspect_pos = s->nsuspects;
	s->suspects[s->nsuspects++] = m;
	return 0;
}

/* Moves m to st, keeping the per-state counts and the suspect list right. */
static void set_state(struct swim *s, struct swim_member *m, enum swim_state st, uint64_t now_ms)
{
	if (m->state == SWIM_SUSPECT && m->susp)
		suspects_remove(s, m);
	s->count[m->state]--;
	s->count[st]++;
	m->state = st;
	m->state_change_ms = now_ms;
	if (st == SWIM_DEAD || st == SWIM_LEFT)
		m->leave_intent = false;
}

/* Adds a member from its alive record, at a random place in the probe order (memberlist: so the
 * failure detection bound stays low on average). */
static struct swim_member *member_add(struct swim *s, struct swim_update *info, enum swim_state st,
				      uint64_t now_ms)
{
	size_t namelen = strlen(info->node);
	if (index_reserve(s, s->nmembers + 1) < 0)
		return NULL;
	if (s->nmembers == s->cap_members) {
		size_t cap = s->cap_members ? s->cap_members * 2 : 16;
		struct swim_member **t = realloc(s->members, cap * sizeof *t);
		if (!t)
			return NULL;
		s->members = t;
		struct swim_member **o = realloc(s->order, cap * sizeof *o);
		if (!o)
			return NULL;
		s->order = o;
		s->cap_members = cap;
	}
	struct swim_member *m = calloc(1, sizeof *m + namelen + 1);
	if (!m)
		return NULL;
	memcpy(m->name, info->node, namelen + 1);
	m->hash = info->name_hash;
	m->info = swim_update_ref(info);
	m->incarnation = info->incarnation;
	m->state = st;
	m->state_change_ms = now_ms;
	s->count[st]++;
	s->est_members++;
	size_t n = s->nmembers++;
	m->table_pos = n;
	s->members[n] = m;
	size_t offset = swim_rng_below(&s->rng, (uint32_t)n + 1);
	s->order[n] = s->order[offset];
	s->order[offset] = m;
	bool found;
	s->index[index_slot(s, m->name, m->hash, &found)] = m;
	return m;
}

static void member_remove(struct swim *s, struct swim_member *m)
{
	if (m->state == SWIM_SUSPECT && m->susp)
		suspects_remove(s, m);
	if (s->probe.target == m)
		s->probe.active = false, s->probe.target = NULL;
	s->count[m->state]--;
	index_remove(s, m);
	size_t i = m->table_pos;
	s->members[i] = s->members[--s->nmembers];
	s->members[i]->table_pos = i;
	for (size_t j = 0; j <= s->nmembers; j++) {
		if (s->order[j] != m)
			continue;
		memmove(&s->order[j], &s->order[j + 1], (s->nmembers - j) * sizeof *s->order);
		if (j < s->order_pos)
			s->order_pos--;
		break;
	}
	swim_update_unref(m->info);
	free(m);
}

/* memberlist estNumNodes: the members in its node list, ourselves included; the dead and left
 * leave that list gossip_to_dead_ms after their death, at the next probe cycle (resetNodes). */
static uint32_t est_members(const struct swim *s)
{
	return s->est_members ? s->est_members : 1;
}

static void recount_members(struct swim *s, uint64_t now_ms)
{
	uint32_t n = 0;
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct swim_member *m = s->members[i];
		n += m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT || m == s->self ||
		     now_ms - m->state_change_ms <= s->cfg.gossip_to_dead_ms;
	}
	s->est_members = n;
}

static void set_addr(struct swim_addr *a, const struct swim_update *info)
{
	strncpy(a->host, info->addr, SWIM_ADDR_MAX);
	a->host[SWIM_ADDR_MAX] = 0;
	a->port = info->port;
}

/* memberlist kRandomNodes: up to k distinct members passing `want`, found by at most 3 n random
 * draws. */
typedef bool (*member_filter)(const struct swim *s, const struct swim_member *m, const void *ctx, uint64_t now);

static size_t random_members(struct swim *s, size_t k, member_filter want, const void *ctx, uint64_t now_ms,
			     struct swim_member **out)
{
	size_t got = 0, n = s->nmembers;
	for (size_t tries = 0; tries < 3 * n && got < k; tries++) {
		struct swim_member *m = s->members[swim_rng_below(&s->rng, (uint32_t)n)];
		if (!want(s, m, ctx, now_ms))
			continue;
		bool dup = false;
		for (size_t i = 0; i < got && !dup; i++)
			dup = out[i] == m;
		if (!dup)
			out[got++] = m;
	}
	return got;
}

static bool want_alive_other(const struct swim *s, const struct swim_member *m, const void *ctx, uint64_t now)
{
	return m != s->self && m != ctx && m->state == SWIM_ALIVE;
}

/* memberlist gossip(): alive and suspect members, and the dead for gossip_to_dead_ms. */
static bool want_gossip_target(const struct swim *s, const struct swim_member *m, const void *ctx, uint64_t now)
{
	if (m == s->self)
		return false;
	if (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT)
		return true;
	return m->state == SWIM_DEAD && now - m->state_change_ms <= s->cfg.gossip_to_dead_ms;
}

static bool want_failed(const struct swim *s, const struct swim_member *m, const void *ctx, uint64_t now)
{
	return m->state == SWIM_DEAD;
}

/* ------------------------------------------------------------------ outputs */

static void emit(struct swim *s, struct swim_out *out, enum swim_event_type type, struct swim_member *m)
{
	if (swim_out_event(out, type, m->info, m->state, m->incarnation) < 0)
		s->stats.enomem++;
}

static void broadcast(struct swim *s, struct swim_update *u)
{
	if (bcast_push(&s->queue, u) < 0) {
		s->stats.enomem++;
		return;
	}
	size_t max = s->cfg.max_queue_depth, twice_n = 2 * (size_t)est_members(s);
	bcast_prune(&s->queue, max > twice_n ? max : twice_n);
}

/* Makes the fact (type, node, inc, from) and queues it. */
static void broadcast_fact(struct swim *s, enum swim_update_type type, const char *node, uint32_t inc,
			   const char *from)
{
	struct swim_update t = {.type = type, .incarnation = inc, .node = node, .from = from};
	struct swim_update *u = swim_update_new(&t);
	if (!u) {
		s->stats.enomem++;
		return;
	}
	broadcast(s, u);
	swim_update_unref(u);
}

static void piggyback(struct swim *s, struct swim_msg *m)
{
	uint32_t limit = bcast_retransmit_limit(s->cfg.retransmit_mult, est_members(s));
	bcast_fill(&s->queue, limit, SWIM_PACKET_BUDGET - SWIM_MSG_HEADER_MAX, m);
}

/* Queues a small UDP message (ping, ack, nack, indirect ping) with piggybacked facts. */
static struct swim_msg *send_packet(struct swim *s, struct swim_out *out, const struct swim_addr *to,
				    bool reliable, enum swim_msg_type type, uint32_t seq)
{
	struct swim_send *snd = swim_out_send(out, to, reliable, type);
	if (!snd) {
		s->stats.enomem++;
		return NULL;
	}
	snd->msg.seq = seq;
	return &snd->msg;
}

static void send_push_pull(struct swim *s, struct swim_out *out, const struct swim_addr *to, bool join, bool reply)
{
	struct swim_send *snd = swim_out_send(out, to, true, SWIM_MSG_PUSH_PULL);
	if (!snd) {
		s->stats.enomem++;
		return;
	}
	struct swim_msg *m = &snd->msg;
	m->join = join;
	m->reply = reply;
	m->event_ltime = s->events.clock.time;
	for (size_t i = 0; i < s->nmembers; i++) {
		struct swim_member *mb = s->members[i];
		if (swim_msg_add_state(m, swim_update_ref(mb->info), mb->incarnation, mb->state) < 0) {
			swim_update_unref(mb->info);
			s->stats.enomem++;
			break;
		}
	}
	/* Serf's push/pull carries the recent user events too: one missed by gossip arrives here */
	struct swim_update *recent[SWIM_MAX_UPDATES];
	size_t nrecent = user_events_recent(&s->events, recent, SWIM_MAX_UPDATES);
	for (size_t i = 0; i < nrecent; i++)
		if (swim_msg_add_update(m, swim_update_ref(recent[i])) < 0) {
			swim_update_unref(recent[i]);
			break;
		}
	s->stats.push_pulls++;
}

/* ------------------------------------------------------------------ Lifeguard awareness */

static void awareness_apply(struct swim *s, int delta)
{
	int max = (int)s->cfg.awareness_max_mult - 1;
	s->awareness += delta;
	if (s->awareness < 0)
		s->awareness = 0;
	if (s->awareness > max)
		s->awareness = max;
}

static uint64_t awareness_scale(const struct swim *s, uint64_t ms)
{
	return ms * (uint64_t)(s->awareness + 1);
}

/* ------------------------------------------------------------------ membership rules */

static struct swim_update *self_alive_record(struct swim *s, uint32_t inc, const uint8_t *tags, size_t tags_len)
{
	const struct swim_update *cur = s->self->info;
	struct swim_update t = {.type = SWIM_UPD_ALIVE, .incarnation = inc, .node = s->self->name,
				.addr = cur->addr, .port = cur->port, .tags = tags, .tags_len = (uint16_t)tags_len};
	return swim_update_new(&t);
}

/* memberlist refute: an incarnation above the accusation, a little less local health, and an
 * alive broadcast so the cluster hears we are fine. */
static void refute(struct swim *s, uint32_t accused_inc)
{
	uint32_t inc = s->self->incarnation + 1;
	if (accused_inc >= inc)
		inc = accused_inc + 1;
	struct swim_update *u = self_alive_record(s, inc, s->self->info->tags, s->self->info->tags_len);
	if (!u) {
		s->stats.enomem++;
		return;
	}
	s->self->incarnation = inc;
	swim_update_unref(s->self->info);
	s->self->info = u;
	awareness_apply(s, 1);
	broadcast(s, u);
	s->stats.refutations++;
}

static bool same_identity(const struct swim_update *a, const struct swim_update *b)
{
	return !strcmp(a->addr, b->addr) && a->port == b->port;
}

static bool same_tags(const struct swim_update *a, const struct swim_update *b)
{
	return a->tags_len == b->tags_len && !memcmp(a->tags, b->tags, a->tags_len);
}

/* memberlist aliveNode + Serf's join/update events. */
static void alive_node(struct swim *s, uint64_t now_ms, struct swim_update *a, bool rebroadcast,
		       struct swim_out *out)
{
	struct swim_member *m = member_find_hashed(s, a->node, a->name_hash);
	if (!m) {
		m = member_add(s, a, SWIM_ALIVE, now_ms);
		if (!m) {
			s->stats.enomem++;
			return;
		}
		if (rebroadcast)
			broadcast(s, a);
		emit(s, out, SWIM_EV_JOIN, m);
		return;
	}
	bool is_self = m == s->self;
	if (is_self && s->leaving)
		return;  /* an alive about us queued before our leave must not rejoin us */
	bool new_addr = false;
	if (!same_identity(m->info, a)) {
		/* a name at a new address: fine once the old one left or has been dead a while */
		bool reclaim = m->state == SWIM_LEFT ||
			       (m->state == SWIM_DEAD && now_ms - m->state_change_ms >= s->cfg.gossip_to_dead_ms);
		if (!reclaim || is_self) {
			s->stats.dropped_unexpected++;
			return;
		}
		new_addr = true;
	}
	if (!is_self && a->incarnation <= m->incarnation && !new_addr)
		return;
	if (is_self && a->incarnation < m->incarnation)
		return;
	if (is_self) {
		/* same incarnation, same content: an echo of our own alive */
		if (a->incarnation == m->incarnation && same_tags(a, m->info))
			return;
		refute(s, a->incarnation);
		return;
	}
	if (rebroadcast)
		broadcast(s, a);
	enum swim_state old_state = m->state;
	bool changed = !same_tags(m->info, a) || new_addr || m->leave_intent;
	m->leave_intent = false; /* a newer alive record is the member's refutation */
	swim_update_unref(m->info);
	m->info = swim_update_ref(a);
	m->incarnation = a->incarnation;
	if (m->state != SWIM_ALIVE)
		set_state(s, m, SWIM_ALIVE, now_ms);
	if (old_state == SWIM_DEAD || old_state == SWIM_LEFT)
		emit(s, out, SWIM_EV_JOIN, m);
	else if (changed)
		emit(s, out, SWIM_EV_UPDATE, m);
}

/* memberlist suspectNode with Lifeguard's dynamic timeout. u may be NULL (made if needed). */
/* Beyond memberlist: an accusation about us older than our incarnation means its sender missed
 * our refutation; gossip our alive record again (it rides on the ack to that sender's probe). */
static void remind(struct swim *s, const struct swim_member *m, uint32_t inc)
{
	if (m == s->self && inc < m->incarnation && !s->leaving)
		broadcast(s, m->info);
}

static void suspect_node(struct swim *s, uint64_t now_ms, const char *node, uint32_t inc, const char *from,
			 struct swim_update *u)
{
	struct swim_member *m = member_find(s, node);
	if (m)
		remind(s, m, inc);
	if (!m || inc < m->incarnation)
		return;
	if (m->state == SWIM_SUSPECT && m->susp) {
		/* an independent confirmation shortens the timeout; pass it on */
		if (suspicion_confirm(m->susp, from)) {
			if (u)
				broadcast(s, u);
			else
				broadcast_fact(s, SWIM_UPD_SUSPECT, node, inc, from);
		}
		return;
	}
	if (m->state != SWIM_ALIVE)
		return;
	if (m == s->self) {
		refute(s, inc);
		return;
	}
	struct suspicion *sp = malloc(sizeof *sp);
	if (!sp || suspects_add(s, m) < 0) {
		free(sp);
		s->stats.enomem++;
		return;
	}
	if (u)
		broadcast(s, u);
	else
		broadcast_fact(s, SWIM_UPD_SUSPECT, node, inc, from);
	m->incarnation = inc;
	s->count[m->state]--;
	s->count[SWIM_SUSPECT]++;
	m->state = SWIM_SUSPECT;
	m->state_change_ms = now_ms;
	/* Expect suspicion_mult - 2 confirmations (reaching the minimum two probe intervals early),
	 * none when the cluster is too small to give them. */
	uint32_t n = est_members(s), k = s->cfg.suspicion_mult >= 2 ? s->cfg.suspicion_mult - 2 : 0;
	if (n < k + 2)
		k = 0;
	uint64_t min = suspicion_min_timeout_ms(s->cfg.suspicion_mult, n, s->cfg.probe_interval_ms);
	suspicion_init(sp, from, k, min, min * s->cfg.suspicion_max_timeout_mult, now_ms);
	m->susp = sp;
	s->stats.suspicions++;
}

/* memberlist deadNode; a dead sent by the member itself means it left (Serf: left, not failed). */
static void dead_node(struct swim *s, uint64_t now_ms, const char *node, uint32_t inc, const char *from,
		      struct swim_update *u, struct swim_out *out)
{
	struct swim_member *m = member_find(s, node);
	if (m)
		remind(s, m, inc);
	if (!m || inc < m->incarnation)
		return;
	if (m->state == SWIM_DEAD || m->state == SWIM_LEFT)
		return;
	if (m == s->self) {
		refute(s, inc);
		return;
	}
	if (u)
		broadcast(s, u);
	else
		broadcast_fact(s, SWIM_UPD_DEAD, node, inc, from);
	m->incarnation = inc;
	/* Serf: a member marked leaving that then fails has left */
	bool left = !strcmp(node, from) || m->leave_intent;
	set_state(s, m, left ? SWIM_LEFT : SWIM_DEAD, now_ms);
	if (!left)
		s->stats.deaths_declared++;
	emit(s, out, left ? SWIM_EV_LEAVE : SWIM_EV_FAILED, m);
}

/* Serf's leave intent. From the member itself it is a graceful leave: left. About a failed
 * member (force-leave) it makes it left. About a member that is alive (a force-leave of a
 * live node) it only marks it leaving, as Serf does: the member refutes with a newer
 * incarnation, whose alive record clears the mark (alive_node), and it stays in the cluster.
 * About ourselves while we are not leaving, it is refuted. */
static void leave_node(struct swim *s, uint64_t now_ms, const char *node, uint32_t inc, const char *from,
		       struct swim_update *u, struct swim_out *out)
{
	struct swim_member *m = member_find(s, node);
	if (!m || inc < m->incarnation || m->state == SWIM_LEFT)
		return;
	if (m == s->self) {
		refute(s, inc);
		return;
	}
	bool intent_only = strcmp(node, from) != 0 && m->state != SWIM_DEAD;
	if (intent_only && m->leave_intent && inc == m->incarnation)
		return; /* heard already: gossip it no further */
	if (u)
		broadcast(s, u);
	else
		broadcast_fact(s, SWIM_UPD_LEAVE, node, inc, from);
	m->incarnation = inc;
	if (intent_only) {
		m->leave_intent = true;
		emit(s, out, SWIM_EV_UPDATE, m);
		return;
	}
	set_state(s, m, SWIM_LEFT, now_ms);
	emit(s, out, SWIM_EV_LEAVE, m);
}

/* Serf's prune (force-leave -prune): a failed or left member is made left, then forgotten, and
 * the fact gossiped on; a live one is only marked leaving (leave_node). Nothing is gossiped
 * about a name we do not know, which is what ends the spreading. */
static void prune_node(struct swim *s, uint64_t now_ms, const char *node, uint32_t inc, const char *from,
		       struct swim_update *u, struct swim_out *out)
{
	struct swim_member *m = member_find(s, node);
	if (!m || m == s->self || inc < m->incarnation)
		return;
	if (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT) {
		leave_node(s, now_ms, node, inc, from, NULL, out);
		return;
	}
	if (m->state == SWIM_DEAD)
		leave_node(s, now_ms, node, inc, node, NULL, out);
	if (u)
		broadcast(s, u);
	else
		broadcast_fact(s, SWIM_UPD_PRUNE, node, inc, from);
	emit(s, out, SWIM_EV_REAP, m);
	member_remove(s, m);
	recount_members(s, now_ms);
}

static void user_event(struct swim *s, struct swim_update *u, struct swim_out *out)
{
	int rc = user_events_accept(&s->events, u);
	if (rc < 0)
		s->stats.enomem++;
	if (rc != 1)
		return;
	broadcast(s, u);
	if (swim_out_event(out, SWIM_EV_USER, u, SWIM_ALIVE, 0) < 0)
		s->stats.enomem++;
}

static void apply_update(struct swim *s, uint64_t now_ms, struct swim_update *u, struct swim_out *out)
{
	switch (u->type) {
	case SWIM_UPD_ALIVE:
		alive_node(s, now_ms, u, true, out);
		break;
	case SWIM_UPD_SUSPECT:
		suspect_node(s, now_ms, u->node, u->incarnation, u->from, u);
		break;
	case SWIM_UPD_DEAD:
		dead_node(s, now_ms, u->node, u->incarnation, u->from, u, out);
		break;
	case SWIM_UPD_LEAVE:
		leave_node(s, now_ms, u->node, u->incarnation, u->from, u, out);
		break;
	case SWIM_UPD_USER_EVENT:
		user_event(s, u, out);
		break;
	case SWIM_UPD_PRUNE:
		prune_node(s, now_ms, u->node, u->incarnation, u->from, u, out);
		break;
	}
}

/* memberlist mergeState: a remote "dead" only makes us suspect (we check for ourselves).
 * Beyond memberlist, in large clusters: the alive facts in the answer to our join are what the
 * cluster already knows, so we do not gossip them again; memberlist does, and in a join storm
 * of n members that queues ~n^2 / 2 redundant facts cluster-wide. In a small cluster those
 * facts are cheap and they are what spreads members that joined a moment ago through the same
 * agent (without them a join storm of 20 left stragglers for a push/pull period), so up to
 * JOIN_REGOSSIP_MAX members they are gossiped on, as memberlist does. Other push/pulls are
 * anti-entropy repairs and their news is gossiped on. */
#define JOIN_REGOSSIP_MAX 64
static void merge_state(struct swim *s, uint64_t now_ms, const struct swim_msg *in, struct swim_out *out)
{
	bool rebroadcast = !(in->join && in->reply) || in->nstates <= JOIN_REGOSSIP_MAX;
	for (size_t i = 0; i < in->nstates; i++) {
		const struct swim_pp_entry *e = &in->states[i];
		switch (e->state) {
		case SWIM_ALIVE:
			alive_node(s, now_ms, e->info, rebroadcast, out);
			break;
		case SWIM_LEFT:
			leave_node(s, now_ms, e->info->node, e->incarnation, e->info->node, NULL, out);
			break;
		case SWIM_DEAD:
		case SWIM_SUSPECT:
			suspect_node(s, now_ms, e->info->node, e->incarnation, s->self->name, NULL);
			break;
		}
	}
}

/* ------------------------------------------------------------------ probing */

static void probe_end(struct swim *s, uint64_t now_ms)
{
	s->probe.active = false;
	s->probe.target = NULL;
	/* memberlist's probe ticker drops the ticks a long probe overran */
	uint64_t interval = s->cfg.probe_interval_ms;
	if (now_ms > s->next_probe_ms)
		s->next_probe_ms = s->probe.start_ms + (now_ms - s->probe.start_ms + interval - 1) / interval * interval;
}

static struct swim_member *next_probe_target(struct swim *s, uint64_t now_ms)
{
	for (size_t tries = 0; tries <= s->nmembers; tries++) {
		if (s->order_pos >= s->nmembers) {
			/* a full cycle: shuffle for the next one (memberlist resetNodes) */
			for (size_t i = s->nmembers; i > 1; i--) {
				size_t j = swim_rng_below(&s->rng, (uint32_t)i);
				struct swim_member *t = s->order[i - 1];
				s->order[i - 1] = s->order[j];
				s->order[j] = t;
			}
			s->order_pos = 0;
			recount_members(s, now_ms);
		}
		struct swim_member *m = s->order[s->order_pos++];
		if (m != s->self && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT))
			return m;
	}
	return NULL;
}

static void probe_start(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	s->next_probe_ms = now_ms + s->cfg.probe_interval_ms;
	struct swim_member *m = next_probe_target(s, now_ms);
	if (!m)
		return;
	struct probe *p = &s->probe;
	*p = (struct probe){.active = true, .seq = s->next_seq++, .target = m, .start_ms = now_ms};
	p->direct_deadline_ms = now_ms + s->cfg.probe_timeout_ms;
	/* Lifeguard: a member in poor health waits longer for acks before it accuses anyone */
	p->deadline_ms = now_ms + awareness_scale(s, s->cfg.probe_interval_ms);
	struct swim_addr to;
	set_addr(&to, m->info);
	struct swim_msg *ping = send_packet(s, out, &to, false, SWIM_MSG_PING, p->seq);
	if (!ping)
		return;
	strcpy(ping->target, m->name);
	if (m->state == SWIM_SUSPECT) {
		/* tell it, so it can refute at once (memberlist sends ping + suspect) */
		struct swim_update t = {.type = SWIM_UPD_SUSPECT, .incarnation = m->incarnation, .node = m->name,
					.from = s->self->name};
		struct swim_update *u = swim_update_new(&t);
		if (u && swim_msg_add_update(ping, u) < 0)
			swim_update_unref(u);
	}
	piggyback(s, ping);
	s->stats.probes++;
}

static void probe_indirect(struct swim *s, struct swim_out *out)
{
	struct probe *p = &s->probe;
	struct swim_member *target = p->target, *via[16];
	p->indirect = true;
	size_t k = s->cfg.indirect_checks < 16 ? s->cfg.indirect_checks : 16;
	size_t n = random_members(s, k, want_alive_other, target, 0, via);
	for (size_t i = 0; i < n; i++) {
		struct swim_addr to;
		set_addr(&to, via[i]->info);
		struct swim_msg *req = send_packet(s, out, &to, false, SWIM_MSG_INDIRECT_PING, p->seq);
		if (!req)
			continue;
		strcpy(req->target, target->name);
		set_addr(&req->target_addr, target->info);
		req->want_nack = true;
		piggyback(s, req);
		p->expected_nacks++;
	}
	s->stats.indirect_probes++;
	if (s->cfg.tcp_fallback) {
		struct swim_addr to;
		set_addr(&to, target->info);
		struct swim_msg *ping = send_packet(s, out, &to, true, SWIM_MSG_PING, p->seq);
		if (ping)
			strcpy(ping->target, target->name);
		s->stats.tcp_fallbacks++;
	}
}

static void probe_failed(struct swim *s, uint64_t now_ms)
{
	struct probe *p = &s->probe;
	struct swim_member *m = p->target;
	/* Lifeguard: missing nacks mean our own links are suspect, not only the target's */
	if (p->expected_nacks > 0)
		awareness_apply(s, (int)(p->expected_nacks - (p->nacks < p->expected_nacks ? p->nacks : p->expected_nacks)));
	else
		awareness_apply(s, 1);
	s->stats.probe_failures++;
	char name[SWIM_NAME_MAX + 1];
	strcpy(name, m->name);
	uint32_t inc = m->incarnation;
	probe_end(s, now_ms);
	suspect_node(s, now_ms, name, inc, s->self->name, NULL);
}

static void probe_acked(struct swim *s, uint64_t now_ms)
{
	if (!s->probe.indirect)
		awareness_apply(s, -1);
	probe_end(s, now_ms);
}

/* ------------------------------------------------------------------ timers */

static uint64_t push_pull_interval(const struct swim *s)
{
	/* memberlist pushPullScale: past 32 members, interval * (ceil(log2 n - log2 32) + 1) */
	uint32_t n = est_members(s);
	uint64_t interval = s->cfg.push_pull_interval_ms;
	if (n <= 32)
		return interval;
	double x = swim_ln((double)n) / swim_ln(2.0) - 5.0;
	uint64_t mult = (uint64_t)x;
	if ((double)mult < x)
		mult++;
	return interval * (mult + 1);
}

static void start(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	if (s->started)
		return;
	s->started = true;
	/* staggered, so members started together do not tick together */
	s->next_probe_ms = now_ms + swim_rng_below(&s->rng, s->cfg.probe_interval_ms);
	s->next_gossip_ms = now_ms + swim_rng_below(&s->rng, s->cfg.gossip_interval_ms);
	s->next_push_pull_ms = now_ms + swim_rng_below(&s->rng, s->cfg.push_pull_interval_ms);
	s->next_reconnect_ms = now_ms + s->cfg.reconnect_interval_ms;
	s->next_reap_ms = now_ms + s->cfg.reap_interval_ms;
	s->self->state_change_ms = now_ms;
	emit(s, out, SWIM_EV_JOIN, s->self);
}

static void gossip_round(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	struct swim_member *to[16];
	size_t k = s->cfg.gossip_nodes < 16 ? s->cfg.gossip_nodes : 16;
	if (!bcast_len(&s->queue))
		return;
	size_t n = random_members(s, k, want_gossip_target, NULL, now_ms, to);
	for (size_t i = 0; i < n; i++) {
		struct swim_msg m;
		swim_msg_init(&m, SWIM_MSG_GOSSIP);
		piggyback(s, &m);
		if (!m.nupdates)
			return;
		struct swim_addr addr;
		set_addr(&addr, to[i]->info);
		struct swim_send *snd = swim_out_send(out, &addr, false, SWIM_MSG_GOSSIP);
		if (!snd) {
			swim_msg_free(&m);
			s->stats.enomem++;
			return;
		}
		swim_msg_move(&snd->msg, &m);
	}
}

/* Serf reconnect: now and then try a failed member again, with probability failed / alive. */
static void reconnect(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	size_t failed = s->count[SWIM_DEAD], alive = s->count[SWIM_ALIVE] + s->count[SWIM_SUSPECT];
	if (!failed || s->leaving)
		return;
	if (!alive)
		alive = 1;
	if ((uint64_t)swim_rng_below(&s->rng, 1u << 30) * alive > (uint64_t)failed << 30)
		return;
	struct swim_member *m;
	if (random_members(s, 1, want_failed, NULL, now_ms, &m) != 1)
		return;
	struct swim_addr to;
	set_addr(&to, m->info);
	send_push_pull(s, out, &to, true, false);
	s->stats.reconnects++;
}

static void reap(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	for (size_t i = s->nmembers; i-- > 0;) {
		struct swim_member *m = s->members[i];
		uint64_t age = now_ms - m->state_change_ms;
		if (m == s->self || !((m->state == SWIM_DEAD && age > s->cfg.reconnect_timeout_ms) ||
				      (m->state == SWIM_LEFT && age > s->cfg.tombstone_timeout_ms)))
			continue;
		emit(s, out, SWIM_EV_REAP, m);
		member_remove(s, m);
		recount_members(s, now_ms);
	}
}

static void suspicion_timeouts(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	for (size_t i = s->nsuspects; i-- > 0;) {
		if (i >= s->nsuspects)
			continue;
		struct swim_member *m = s->suspects[i];
		if (now_ms < m->susp->deadline_ms)
			continue;
		dead_node(s, now_ms, m->name, m->incarnation, s->self->name, NULL, out);
	}
}

static void relay_timeouts(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	for (size_t i = 0; i < s->nrelays;) {
		struct relay *r = &s->relays[i];
		if (now_ms < r->deadline_ms) {
			i++;
			continue;
		}
		if (r->want_nack) {
			struct swim_msg *nack = send_packet(s, out, &r->origin, false, SWIM_MSG_NACK, r->origin_seq);
			if (nack)
				piggyback(s, nack);
		}
		*r = s->relays[--s->nrelays];
	}
}

int swim_tick(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	size_t enomem = s->stats.enomem;
	start(s, now_ms, out);
	relay_timeouts(s, now_ms, out);
	suspicion_timeouts(s, now_ms, out);
	if (s->probe.active && !s->probe.indirect && now_ms >= s->probe.direct_deadline_ms)
		probe_indirect(s, out);
	if (s->probe.active && now_ms >= s->probe.deadline_ms)
		probe_failed(s, now_ms);
	if (!s->probe.active && !s->leaving && now_ms >= s->next_probe_ms)
		probe_start(s, now_ms, out);
	if (now_ms >= s->next_gossip_ms) {
		gossip_round(s, now_ms, out);
		s->next_gossip_ms += s->cfg.gossip_interval_ms;
		if (s->next_gossip_ms <= now_ms)
			s->next_gossip_ms = now_ms + s->cfg.gossip_interval_ms;
	}
	if (now_ms >= s->next_push_pull_ms) {
		s->next_push_pull_ms = now_ms + push_pull_interval(s);
		struct swim_member *m;
		if (!s->leaving && random_members(s, 1, want_alive_other, NULL, now_ms, &m) == 1) {
			struct swim_addr to;
			set_addr(&to, m->info);
			send_push_pull(s, out, &to, false, false);
		}
	}
	if (s->join_sync_ms > 1 && now_ms >= s->join_sync_ms) {
		s->join_sync_ms = 1;  /* done, unless its answer brings news; a later join does not repeat it */
		if (!s->leaving) {
			send_push_pull(s, out, &s->join_sync_addr, false, false);
			s->join_sync_awaiting = true;
		}
	}
	if (now_ms >= s->next_reconnect_ms) {
		s->next_reconnect_ms = now_ms + s->cfg.reconnect_interval_ms;
		reconnect(s, now_ms, out);
	}
	if (now_ms >= s->next_reap_ms) {
		s->next_reap_ms = now_ms + s->cfg.reap_interval_ms;
		reap(s, now_ms, out);
	}
	return s->stats.enomem != enomem ? -ENOMEM : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t swim_next_deadline(const struct swim *s)
{
	if (!s->started)
		return 0;
	uint64_t t = min_u64(s->next_gossip_ms, min_u64(s->next_push_pull_ms, min_u64(s->next_reconnect_ms, s->next_reap_ms)));
	if (s->probe.active) {
		t = min_u64(t, s->probe.deadline_ms);
		if (!s->probe.indirect)
			t = min_u64(t, s->probe.direct_deadline_ms);
	} else if (!s->leaving) {
		t = min_u64(t, s->next_probe_ms);
	}
	if (s->join_sync_ms > 1)
		t = min_u64(t, s->join_sync_ms);
	for (size_t i = 0; i < s->nrelays; i++)
		t = min_u64(t, s->relays[i].deadline_ms);
	for (size_t i = 0; i < s->nsuspects; i++)
		t = min_u64(t, s->suspects[i]->susp->deadline_ms);
	return t;
}

/* ------------------------------------------------------------------ messages in */

static void on_ping(struct swim *s, const struct swim_addr *from, const struct swim_msg *in, struct swim_out *out)
{
	/* a ping meant for another name (an old address reused) is not ours to answer */
	if (in->target[0] && strcmp(in->target, s->self->name)) {
		s->stats.dropped_unexpected++;
		return;
	}
	struct swim_msg *ack = send_packet(s, out, from, in->reliable, SWIM_MSG_ACK, in->seq);
	if (ack && !in->reliable)
		piggyback(s, ack);
}

static void on_indirect_ping(struct swim *s, uint64_t now_ms, const struct swim_addr *from,
			     const struct swim_msg *in, struct swim_out *out)
{
	if (s->nrelays == MAX_RELAYS) {
		s->stats.relays_dropped++;
		return;
	}
	struct relay *r = &s->relays[s->nrelays++];
	*r = (struct relay){.local_seq = s->next_seq++, .origin_seq = in->seq, .origin = *from,
			    .deadline_ms = now_ms + s->cfg.probe_timeout_ms, .want_nack = in->want_nack};
	struct swim_msg *ping = send_packet(s, out, &in->target_addr, false, SWIM_MSG_PING, r->local_seq);
	if (!ping)
		return;
	strcpy(ping->target, in->target);
	piggyback(s, ping);
}

static void on_ack(struct swim *s, uint64_t now_ms, const struct swim_msg *in, struct swim_out *out)
{
	if (s->probe.active && in->seq == s->probe.seq) {
		probe_acked(s, now_ms);
		return;
	}
	for (size_t i = 0; i < s->nrelays; i++) {
		struct relay *r = &s->relays[i];
		if (r->local_seq != in->seq)
			continue;
		struct swim_msg *ack = send_packet(s, out, &r->origin, false, SWIM_MSG_ACK, r->origin_seq);
		if (ack)
			piggyback(s, ack);
		*r = s->relays[--s->nrelays];
		return;
	}
	s->stats.dropped_unexpected++;
}

static void on_nack(struct swim *s, const struct swim_msg *in)
{
	if (s->probe.active && s->probe.indirect && in->seq == s->probe.seq)
		s->probe.nacks++;
	else
		s->stats.dropped_unexpected++;
}

/* Follow-up syncs after a join. Facts gossiped while a member was still unknown to most never
 * reach it, and in a join storm gossip is the bottleneck: each of n members relays up to n
 * facts, about 9 to a packet, so the last facts trickle in by chance (a coupon collector's
 * tail). A push/pull with the member we joined through (which heard every join made through
 * it first hand) brings them all at once. memberlist has no such sync; ours was one, 2-4 s
 * after the join, and that was the tail of a storm: at 30 members the last one converged in
 * 1.3-1.9 s (serf: 0.7-0.8 s). Now the first sync comes after 250-500 ms in a small cluster,
 * and the delay grows with the table the join brought (5 ms a member, up to
 * join_sync_delay_ms), so a large cluster keeps its pace; and while a sync still brings
 * members we did not know (the storm goes on), another follows, at most JOIN_SYNCS_MAX in all.
 * A quiet join costs one sync, as before. Simulator, time until the last member converged
 * (5 seeds): everyone joining at once, 10: 0.2-0.4 s, 30 and 60: 0.5 s, 100: 0.8-1.0 s (it was
 * 1.3-1.9, 2.7-3.9 and 4.0 s); joins spread over 1 s, from the first join, 30: 1.2-1.4 s,
 * 60: 1.4-1.6 s, 100: 1.8-1.9 s (it was 1.8-3.3, 3.5-4.0 and 4.3-4.6 s). */
#define JOIN_SYNC_MIN_MS 250
#define JOIN_SYNC_MS_PER_MEMBER 5
#define JOIN_SYNCS_MAX 4
static void join_sync_schedule(struct swim *s, uint64_t now_ms, size_t table_size)
{
	uint64_t delay = (uint64_t)table_size * JOIN_SYNC_MS_PER_MEMBER;
	if (delay < JOIN_SYNC_MIN_MS)
		delay = JOIN_SYNC_MIN_MS;
	if (delay > s->cfg.join_sync_delay_ms)
		delay = s->cfg.join_sync_delay_ms;
	s->join_sync_ms = now_ms + delay + swim_rng_below(&s->rng, (uint32_t)delay + 1);
}

static void on_push_pull(struct swim *s, uint64_t now_ms, const struct swim_addr *from, const struct swim_msg *in,
			 struct swim_out *out)
{
	/* memberlist answers with its state before merging the remote one */
	if (!in->reply && !s->leaving)
		send_push_pull(s, out, from, in->join, true);
	if (in->event_ltime > 0)
		lamport_witness(&s->events.clock, in->event_ltime - 1);
	if (in->join && in->reply) {
		user_events_joined(&s->events, in->event_ltime);
		/* Beyond memberlist: follow-up syncs with the member we joined through (see
		 * join_sync_schedule); the next periodic sync may be minutes away. */
		if (s->cfg.join_sync_delay_ms && !s->join_sync_ms) {
			join_sync_schedule(s, now_ms, in->nstates);
			s->join_sync_addr = *from;
			s->join_syncs_left = JOIN_SYNCS_MAX - 1;
		}
	}
	bool sync_answer = in->reply && !in->join && s->join_sync_awaiting && s->join_sync_ms == 1 &&
			   !strcmp(from->host, s->join_sync_addr.host) && from->port == s->join_sync_addr.port;
	size_t known_before = s->nmembers;
	merge_state(s, now_ms, in, out);
	if (sync_answer) {
		s->join_sync_awaiting = false;
		if (s->nmembers > known_before && s->join_syncs_left > 0) {
			s->join_syncs_left--;
			join_sync_schedule(s, now_ms, s->nmembers);
		}
	}
}

int swim_recv(struct swim *s, uint64_t now_ms, const struct swim_addr *from, const struct swim_msg *in,
	      struct swim_out *out)
{
	if (swim_msg_validate(in) < 0 || !memchr(from->host, 0, sizeof from->host)) {
		s->stats.dropped_invalid++;
		return -EINVAL;
	}
	start(s, now_ms, out);
	for (size_t i = 0; i < in->nupdates; i++)
		apply_update(s, now_ms, in->updates[i], out);
	switch (in->type) {
	case SWIM_MSG_PING:
		on_ping(s, from, in, out);
		break;
	case SWIM_MSG_INDIRECT_PING:
		on_indirect_ping(s, now_ms, from, in, out);
		break;
	case SWIM_MSG_ACK:
		on_ack(s, now_ms, in, out);
		break;
	case SWIM_MSG_NACK:
		on_nack(s, in);
		break;
	case SWIM_MSG_GOSSIP:
		break;
	case SWIM_MSG_PUSH_PULL:
		on_push_pull(s, now_ms, from, in, out);
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ commands */

int swim_join(struct swim *s, uint64_t now_ms, const struct swim_addr *addrs, size_t n, struct swim_out *out)
{
	start(s, now_ms, out);
	int queued = 0;
	for (size_t i = 0; i < n; i++) {
		size_t before = out->nsends;
		send_push_pull(s, out, &addrs[i], true, false);
		queued += out->nsends > before;
	}
	return queued;
}

int swim_leave(struct swim *s, uint64_t now_ms, struct swim_out *out)
{
	start(s, now_ms, out);
	if (s->leaving)
		return 0;
	struct swim_update t = {.type = SWIM_UPD_LEAVE, .incarnation = s->self->incarnation,
				.node = s->self->name, .from = s->self->name};
	struct swim_update *u = swim_update_new(&t);
	if (!u)
		return -ENOMEM;
	s->leaving = true;
	s->probe.active = false;
	s->probe.target = NULL;
	set_state(s, s->self, SWIM_LEFT, now_ms);
	broadcast(s, u);
	bcast_watch(&s->queue, u);
	emit(s, out, SWIM_EV_LEAVE, s->self);
	swim_update_unref(u);
	return 0;
}

bool swim_leave_propagated(const struct swim *s)
{
	return s->leaving && (s->queue.watch_done || s->count[SWIM_ALIVE] + s->count[SWIM_SUSPECT] == 0);
}

int swim_force_leave(struct swim *s, uint64_t now_ms, const char *name, bool prune, struct swim_out *out)
{
	start(s, now_ms, out);
	struct swim_member *m = member_find(s, name);
	if (!m)
		return -ENOENT;
	if (m == s->self)
		return 0;
	if (prune) {
		prune_node(s, now_ms, m->name, m->incarnation, s->self->name, NULL, out);
		return 0;
	}
	if (m->state == SWIM_LEFT)
		return 0;
	/* A live member is only marked leaving, and refutes (leave_node). */
	leave_node(s, now_ms, m->name, m->incarnation, s->self->name, NULL, out);
	return 0;
}

int swim_set_tags(struct swim *s, uint64_t now_ms, const struct swim_tag *tags, size_t ntags, struct swim_out *out)
{
	start(s, now_ms, out);
	uint8_t blob[SWIM_TAGS_MAX];
	int len = swim_tags_encode(tags, ntags, blob, sizeof blob);
	if (len < 0)
		return len;
	struct swim_update *u = self_alive_record(s, s->self->incarnation + 1, blob, (size_t)len);
	if (!u)
		return -ENOMEM;
	s->self->incarnation = u->incarnation;
	swim_update_unref(s->self->info);
	s->self->info = u;
	if (!s->leaving)
		broadcast(s, u);
	emit(s, out, SWIM_EV_UPDATE, s->self);
	return 0;
}

int swim_user_event(struct swim *s, uint64_t now_ms, const char *name, const uint8_t *payload, size_t len,
		    bool coalesce, struct swim_out *out)
{
	start(s, now_ms, out);
	if (!name || !*name || strlen(name) > SWIM_NAME_MAX || len > SWIM_EVENT_PAYLOAD_MAX)
		return -E2BIG;
	struct swim_update t = {.type = SWIM_UPD_USER_EVENT, .from = s->self->name, .event_name = name,
				.payload = payload, .payload_len = (uint16_t)len, .coalesce = coalesce,
				.ltime = user_events_fire_time(&s->events)};
	struct swim_update *u = swim_update_new(&t);
	if (!u)
		return -ENOMEM;
	user_event(s, u, out);
	swim_update_unref(u);
	return 0;
}

/* ------------------------------------------------------------------ life cycle and queries */

struct swim *swim_new(const struct swim_config *cfg, const char *name, const char *addr, uint16_t port,
		      uint32_t incarnation, const struct swim_tag *tags, size_t ntags, uint64_t seed)
{
	uint8_t blob[SWIM_TAGS_MAX];
	int len = swim_tags_encode(tags, ntags, blob, sizeof blob);
	if (len < 0 || cfg->probe_interval_ms == 0 || cfg->gossip_interval_ms == 0 ||
	    cfg->push_pull_interval_ms == 0 || cfg->awareness_max_mult == 0)
		return NULL;
	struct swim_update t = {.type = SWIM_UPD_ALIVE, .incarnation = incarnation, .node = name, .addr = addr,
				.port = port, .tags = blob, .tags_len = (uint16_t)len};
	struct swim_update *u = swim_update_new(&t);
	struct swim *s = calloc(1, sizeof *s);
	if (!u || !s || user_events_init(&s->events, cfg->event_buffer) < 0)
		goto fail;
	s->cfg = *cfg;
	swim_rng_seed(&s->rng, seed);
	bcast_init(&s->queue);
	s->next_seq = (uint32_t)swim_rng_next(&s->rng);
	s->self = member_add(s, u, SWIM_ALIVE, 0);
	if (!s->self)
		goto fail;
	/* memberlist setAlive: our alive goes out with the first packets */
	broadcast(s, u);
	swim_update_unref(u);
	return s;
fail:
	swim_update_unref(u);
	swim_free(s);
	return NULL;
}

void swim_free(struct swim *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmembers; i++) {
		free(s->members[i]->susp);
		swim_update_unref(s->members[i]->info);
		free(s->members[i]);
	}
	free(s->members);
	free(s->order);
	free(s->index);
	free(s->suspects);
	bcast_free(&s->queue);
	user_events_free(&s->events);
	free(s);
}

static void member_info(const struct swim_member *m, struct swim_member_info *out)
{
	*out = (struct swim_member_info){m->name, m->info->addr, m->info->port, m->info->tags, m->info->tags_len,
					 m->incarnation, m->state, m->state_change_ms,
					 m->leave_intent && m->state != SWIM_DEAD};
}

size_t swim_member_count(const struct swim *s)
{
	return s->nmembers;
}

void swim_member_at(const struct swim *s, size_t i, struct swim_member_info *out)
{
	member_info(s->members[i], out);
}

int swim_member_find(const struct swim *s, const char *name, struct swim_member_info *out)
{
	const struct swim_member *m = member_find(s, name);
	if (!m)
		return -ENOENT;
	member_info(m, out);
	return 0;
}

size_t swim_count(const struct swim *s, enum swim_state st)
{
	return st <= SWIM_LEFT ? s->count[st] : 0;
}

int swim_awareness(const struct swim *s)
{
	return s->awareness;
}

uint64_t swim_event_ltime(const struct swim *s)
{
	return s->events.clock.time;
}

size_t swim_backlog(const struct swim *s)
{
	return bcast_len(&s->queue);
}

const struct swim_stats *swim_stats(const struct swim *s)
{
	return &s->stats;
}

const char *swim_name(const struct swim *s)
{
	return s->self->name;
}
