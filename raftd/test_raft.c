/* test_raft.c: specific mechanics of the Raft core (raft.h) on a tiny in-memory cluster:
 * elections, pre-vote, check-quorum, the commit rule for older terms, conflict
 * backtracking, snapshot install, configuration changes, reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raft.h"

#define N 5

/* A cluster whose messages go through a queue that the test delivers; cut[a][b] drops. */
struct cluster {
	int n;
	struct raft *r[N + 1];
	uint64_t rng[N + 1];
	bool cut[N + 1][N + 1];
	uint8_t drop_from[N + 1]; /* a message type this node's messages lose, 0: none */
	uint8_t drop_from2[N + 1];
	struct raft_msg *q;
	size_t nq, capq;
	uint64_t snap_installed[N + 1];
	uint64_t applied_normal[N + 1];
	uint64_t last_read_ctx[N + 1], last_read_index[N + 1];
};

/* Fixed "random" numbers: node 1 always times out first (100 ticks), the others at 192+. */
static uint64_t test_rand(void *arg)
{
	return *(uint64_t *)arg;
}

static struct raft_msg copy_msg(const struct raft_msg *m)
{
	struct raft_msg c = *m;
	if (m->n_entries) {
		c.entries = calloc(m->n_entries, sizeof *c.entries);
		for (uint32_t i = 0; i < m->n_entries; i++) {
			c.entries[i] = m->entries[i];
			if (m->entries[i].len) {
				c.entries[i].data = malloc(m->entries[i].len);
				memcpy(c.entries[i].data, m->entries[i].data, m->entries[i].len);
			}
		}
	}
	if (m->snapshot) {
		struct raft_snapshot *s = malloc(sizeof *s);
		*s = *m->snapshot;
		unsigned char *d = malloc(s->len ? s->len : 1);
		memcpy(d, m->snapshot->data, s->len);
		s->data = d;
		c.snapshot = s;
	}
	return c;
}

static void free_msg(struct raft_msg *m)
{
	for (uint32_t i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	if (m->snapshot) {
		free((void *)m->snapshot->data);
		free(m->snapshot);
	}
}

static struct raft_config conf_of(int n)
{
	struct raft_config c = {.n = (uint32_t)n};
	for (int i = 0; i < n; i++) {
		c.servers[i].id = (uint64_t)i + 1;
		snprintf(c.servers[i].addr, RAFT_ADDR_MAX, "127.0.0.%d:8300", i + 1);
	}
	return c;
}

static struct raft *node_new(struct cluster *c, int id)
{
	struct raft_options o = raft_options_default((uint64_t)id);
	o.trailing_logs = 2;
	o.rand = test_rand;
	c->rng[id] = id == 1 ? 0 : (uint64_t)(90 + id);
	o.rand_arg = &c->rng[id];
	return raft_new(&o);
}

static void cluster_init(struct cluster *c, int n, bool bootstrap)
{
	memset(c, 0, sizeof *c);
	c->n = n;
	struct raft_config conf = conf_of(n);
	for (int i = 1; i <= n; i++) {
		c->r[i] = node_new(c, i);
		if (bootstrap)
			assert_int_equal(raft_bootstrap(c->r[i], &conf), 0);
	}
}

static void cluster_free(struct cluster *c)
{
	for (size_t i = 0; i < c->nq; i++)
		free_msg(&c->q[i]);
	free(c->q);
	for (int i = 1; i <= N; i++)
		raft_free(c->r[i]);
}

/* Runs every node's Ready: messages into the queue, committed entries counted. */
static void flush(struct cluster *c)
{
	for (int i = 1; i <= N; i++) {
		if (!c->r[i])
			continue;
		while (raft_has_ready(c->r[i])) {
			struct raft_ready rd;
			raft_ready(c->r[i], &rd);
			for (size_t k = 0; k < rd.n_msgs; k++) {
				if (c->nq == c->capq) {
					c->capq = c->capq ? c->capq * 2 : 64;
					c->q = realloc(c->q, c->capq * sizeof *c->q);
				}
				c->q[c->nq++] = copy_msg(&rd.msgs[k]);
			}
			if (rd.snapshot)
				c->snap_installed[i] = rd.snapshot->index;
			for (size_t k = 0; k < rd.n_reads; k++) {
				c->last_read_ctx[i] = rd.reads[k].ctx;
				c->last_read_index[i] = rd.reads[k].index;
			}
			for (size_t k = 0; k < rd.n_committed; k++)
				if (rd.committed[k].type == RAFT_ENTRY_NORMAL)
					c->applied_normal[i]++;
			raft_advance(c->r[i], &rd);
		}
	}
}

/* Delivers queued messages (and those they cause) until none is left. */
static void stabilize(struct cluster *c)
{
	flush(c);
	while (c->nq) {
		struct raft_msg *q = c->q;
		size_t n = c->nq;
		c->q = NULL;
		c->nq = c->capq = 0;
		for (size_t k = 0; k < n; k++) {
			int to = (int)q[k].to, from = (int)q[k].from;
			bool drop = from <= N && (q[k].type == c->drop_from[from] || q[k].type == c->drop_from2[from]);
			if (to <= N && c->r[to] && !c->cut[from][to] && !drop)
				raft_step(c->r[to], &q[k]);
			free_msg(&q[k]);
		}
		free(q);
		flush(c);
	}
}

/* Time passes for every server. */
static void tick(struct cluster *c, int ticks)
{
	for (int t = 0; t < ticks; t++) {
		for (int i = 1; i <= N; i++)
			if (c->r[i])
				raft_tick(c->r[i]);
		stabilize(c);
	}
}

static void isolate(struct cluster *c, int id, bool on)
{
	for (int i = 1; i <= N; i++)
		c->cut[id][i] = c->cut[i][id] = on;
}

static int leader_of(struct cluster *c)
{
	int l = 0;
	for (int i = 1; i <= c->n; i++)
		if (c->r[i] && raft_role(c->r[i]) == RAFT_LEADER)
			l = i;
	return l;
}

/* Node 1 times out first and wins. */
static void elect_1(struct cluster *c)
{
	tick(c, 110);
	assert_int_equal(leader_of(c), 1);
}

static void test_election_on_timeout(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	stabilize(&c);
	tick(&c, 99); /* heartbeat timeout is 100 ticks at the least */
	assert_int_equal(raft_role(c.r[1]), RAFT_FOLLOWER);
	tick(&c, 1);
	assert_int_equal(raft_role(c.r[1]), RAFT_LEADER);
	assert_int_equal(raft_term(c.r[1]), 2);
	assert_int_equal(raft_leader(c.r[2]), 1);
	assert_int_equal(raft_leader(c.r[3]), 1);
	/* The leader's no-op of term 2 commits everywhere after a heartbeat. */
	tick(&c, 10);
	assert_int_equal(raft_commit_index(c.r[2]), 2);
	assert_true(raft_get_stats(c.r[1])->pre_votes_started >= 1);
	cluster_free(&c);
}

static void test_campaign_now(void **state)
{
	/* A one-voter configuration (-dev, -bootstrap) leads at once, without waiting a tick. */
	struct cluster c;
	cluster_init(&c, 1, true);
	assert_int_equal(raft_campaign(c.r[1]), 0);
	assert_int_equal(raft_role(c.r[1]), RAFT_LEADER);
	assert_int_equal(raft_campaign(c.r[1]), RAFT_ERR_STATE);
	stabilize(&c);
	uint64_t index;
	assert_int_equal(raft_propose(c.r[1], "x", 1, &index, NULL), 0);
	stabilize(&c);
	assert_int_equal(raft_commit_index(c.r[1]), index);
	assert_int_equal(raft_match_index(c.r[1], 1), index);
	cluster_free(&c);
	/* In a cluster of three, a server that just started refuses votes for a heartbeat
	 * timeout (it may have acknowledged a leader's lease before a restart), so an early
	 * campaign changes nothing; the leader elected later knows how far each follower got. */
	cluster_init(&c, 3, true);
	stabilize(&c);
	assert_int_equal(raft_campaign(c.r[2]), 0);
	stabilize(&c);
	assert_int_equal(leader_of(&c), 0);
	tick(&c, 300);
	int l = leader_of(&c);
	assert_true(l != 0);
	int f = l == 3 ? 2 : 3;
	assert_int_equal(raft_match_index(c.r[l], (uint64_t)f), raft_last_index(c.r[l]));
	assert_int_equal(raft_match_index(c.r[f], (uint64_t)l), 0); /* only the leader knows */
	cluster_free(&c);
}

static void test_prevote_does_not_disrupt(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	uint64_t term = raft_term(c.r[1]);
	/* Node 3 is cut off and keeps timing out: pre-votes only, its term does not move. */
	isolate(&c, 3, true);
	tick(&c, 1000);
	assert_int_equal(raft_term(c.r[3]), term);
	assert_true(raft_get_stats(c.r[3])->pre_votes_started >= 3);
	assert_int_equal(raft_get_stats(c.r[3])->elections_started, 0);
	/* Back in the cluster: the leader's heartbeat brings it back, nobody's term moved. */
	isolate(&c, 3, false);
	tick(&c, 300);
	assert_int_equal(leader_of(&c), 1);
	assert_int_equal(raft_term(c.r[1]), term);
	assert_int_equal(raft_leader(c.r[3]), 1);
	cluster_free(&c);
}

static void test_check_quorum_step_down(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	isolate(&c, 1, true);
	assert_true(raft_lease_valid(c.r[1]));
	tick(&c, 60);
	assert_false(raft_lease_valid(c.r[1])); /* 500 ms without a quorum: no lease */
	tick(&c, 60);
	assert_int_equal(raft_role(c.r[1]), RAFT_FOLLOWER);
	assert_int_equal(raft_get_stats(c.r[1])->step_downs_check_quorum, 1);
	assert_int_equal(raft_propose(c.r[1], "x", 1, NULL, NULL), RAFT_ERR_NOT_LEADER);
	cluster_free(&c);
}

/* Raft §5.4.2 (Figure 8): an entry of an older term on a majority is not committed by
 * counting; it commits with the first entry of the current term. */
static void test_commit_rule_older_terms(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, false);
	unsigned char buf[RAFT_CONFIG_MAX_BYTES];
	struct raft_config conf = conf_of(3);
	size_t len = raft_config_encode(&conf, buf);
	struct raft_entry log1[2] = {{.term = 1, .index = 1, .type = RAFT_ENTRY_CONFIG, .len = (uint32_t)len, .data = buf},
				     {.term = 2, .index = 2, .type = RAFT_ENTRY_NORMAL, .len = 1, .data = (unsigned char *)"a"}};
	struct raft_hard_state hs = {.term = 3, .vote = 0, .commit = 1};
	/* Nodes 1 and 2 hold the term-2 entry (a majority), node 3 does not. */
	raft_load(c.r[1], &hs, NULL, log1, 2);
	raft_load(c.r[2], &hs, NULL, log1, 2);
	raft_load(c.r[3], &hs, NULL, log1, 1);
	/* Node 1 wins term 4 with node 3's vote only; node 2 hears nothing, and node 3's
	 * acknowledgements are lost: nobody acknowledges the term-4 no-op. */
	isolate(&c, 2, true);
	c.drop_from[3] = RAFT_MSG_APPEND_RESP;
	c.drop_from2[3] = RAFT_MSG_HEARTBEAT_RESP;
	tick(&c, 101);
	assert_int_equal(leader_of(&c), 1);
	assert_int_equal(raft_term(c.r[1]), 4);
	isolate(&c, 2, false);
	struct raft_msg ack = {.type = RAFT_MSG_APPEND_RESP, .from = 2, .to = 1, .term = 4, .index = 2};
	raft_step(c.r[1], &ack);
	flush(&c);
	assert_int_equal(raft_commit_index(c.r[1]), 1); /* index 2 (term 2) is on 2 of 3: not committed */
	ack.index = 3; /* the no-op of term 4 */
	raft_step(c.r[1], &ack);
	flush(&c);
	assert_int_equal(raft_commit_index(c.r[1]), 3); /* both commit now */
	assert_int_equal(c.applied_normal[1], 1);
	cluster_free(&c);
}

static void test_conflict_backtracking(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, false);
	unsigned char buf[RAFT_CONFIG_MAX_BYTES];
	struct raft_config conf = conf_of(3);
	size_t len = raft_config_encode(&conf, buf);
	/* Leader-to-be: entries 2..4 of term 2. Node 3: entries 2..51 of term 3 that never
	 * committed (an old leader's). Node 2 has the leader's log. */
	struct raft_entry good[4], bad[51];
	good[0] = (struct raft_entry){.term = 1, .index = 1, .type = RAFT_ENTRY_CONFIG, .len = (uint32_t)len, .data = buf};
	bad[0] = good[0];
	for (int i = 1; i < 4; i++)
		good[i] = (struct raft_entry){.term = 2, .index = (uint64_t)i + 1, .len = 1, .data = (unsigned char *)"g"};
	for (int i = 1; i < 51; i++)
		bad[i] = (struct raft_entry){.term = 1, .index = (uint64_t)i + 1, .len = 1, .data = (unsigned char *)"b"};
	struct raft_hard_state hs = {.term = 3, .commit = 1};
	raft_load(c.r[1], &hs, NULL, good, 4);
	raft_load(c.r[2], &hs, NULL, good, 4);
	raft_load(c.r[3], &hs, NULL, bad, 51);
	/* Count the appends node 1 needs to bring node 3 in line. */
	tick(&c, 110);
	assert_int_equal(leader_of(&c), 1);
	tick(&c, 20);
	const struct raft_log *l3 = raft_get_log(c.r[3]);
	assert_int_equal(raft_log_last(l3), 5);
	for (uint64_t i = 2; i <= 5; i++) {
		uint64_t t1, t3;
		raft_log_term(raft_get_log(c.r[1]), i, &t1);
		raft_log_term(l3, i, &t3);
		assert_int_equal(t1, t3);
	}
	assert_int_equal(raft_commit_index(c.r[3]), 5);
	cluster_free(&c);
}

/* Fast backtracking in one step: the rejection's hint lets the leader skip a whole term. */
static void test_reject_hint(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(raft_propose(c.r[1], "v", 1, NULL, NULL), 0);
	stabilize(&c);
	/* A follower that holds only entry 1 rejects an append at index 7 with hint 1. */
	struct raft_entry e = {.term = 2, .index = 8, .len = 1, .data = (unsigned char *)"w"};
	struct raft_msg app = {.type = RAFT_MSG_APPEND, .from = 1, .to = 3, .term = raft_term(c.r[1]), .index = 7,
			       .log_term = 2, .n_entries = 1, .entries = &e};
	struct cluster fresh;
	cluster_init(&fresh, 3, true);
	flush(&fresh);
	free(fresh.q);
	fresh.q = NULL;
	fresh.nq = fresh.capq = 0;
	raft_step(fresh.r[3], &app);
	struct raft_ready rd;
	raft_ready(fresh.r[3], &rd);
	assert_int_equal(rd.n_msgs, 1);
	assert_int_equal(rd.msgs[0].type, RAFT_MSG_APPEND_RESP);
	assert_true(rd.msgs[0].reject);
	assert_int_equal(rd.msgs[0].index, 7);
	assert_int_equal(rd.msgs[0].hint_index, 1);
	assert_int_equal(rd.msgs[0].hint_term, 1);
	raft_advance(fresh.r[3], &rd);
	cluster_free(&fresh);
	cluster_free(&c);
}

static void test_snapshot_install(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	isolate(&c, 3, true);
	for (int i = 0; i < 20; i++)
		assert_int_equal(raft_propose(c.r[1], "v", 1, NULL, NULL), 0);
	stabilize(&c);
	uint64_t applied = raft_applied_index(c.r[1]);
	assert_int_equal(applied, 22);
	assert_int_equal(raft_snapshot(c.r[1], applied, "STATE", 5), 0);
	assert_int_equal(raft_first_index(c.r[1]), 21); /* two trailing entries kept */
	assert_int_equal(raft_snapshot(c.r[1], applied + 1, "X", 1), RAFT_ERR_BAD_INDEX);
	isolate(&c, 3, false);
	tick(&c, 20);
	assert_int_equal(c.snap_installed[3], 22);
	assert_int_equal(raft_applied_index(c.r[3]), 22);
	assert_int_equal(raft_get_snapshot(c.r[3])->len, 5);
	assert_memory_equal(raft_get_snapshot(c.r[3])->data, "STATE", 5);
	assert_int_equal(raft_configuration(c.r[3])->n, 3);
	assert_int_equal(raft_get_stats(c.r[1])->snapshots_sent, 1);
	/* Replication continues after the snapshot. */
	assert_int_equal(raft_propose(c.r[1], "w", 1, NULL, NULL), 0);
	tick(&c, 10);
	assert_int_equal(raft_applied_index(c.r[3]), 23);
	cluster_free(&c);
}

static void test_config_add_remove(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	c.n = 4;
	c.r[4] = node_new(&c, 4); /* a new server: empty log, no configuration */
	elect_1(&c);
	uint64_t index;
	assert_int_equal(raft_add_server(c.r[1], 4, "127.0.0.4:8300", &index), 0);
	/* In effect when appended: the leader counts 4 servers now. */
	assert_int_equal(raft_configuration(c.r[1])->n, 4);
	assert_int_equal(raft_add_server(c.r[1], 5, "127.0.0.5:8300", NULL), RAFT_ERR_CONF_PENDING);
	tick(&c, 20);
	assert_true(raft_commit_index(c.r[1]) >= index);
	assert_int_equal(raft_configuration(c.r[4])->n, 4);
	assert_int_equal(raft_last_index(c.r[4]), raft_last_index(c.r[1]));
	assert_int_equal(raft_add_server(c.r[1], 4, "x", NULL), RAFT_ERR_BAD_CONF);
	/* With 4 voters a write needs 3: cut two and nothing commits. */
	isolate(&c, 3, true);
	isolate(&c, 4, true);
	uint64_t before = raft_commit_index(c.r[1]);
	raft_propose(c.r[1], "v", 1, NULL, NULL);
	tick(&c, 20);
	assert_int_equal(raft_commit_index(c.r[1]), before);
	isolate(&c, 3, false);
	isolate(&c, 4, false);
	tick(&c, 20);
	assert_true(raft_commit_index(c.r[1]) > before);
	/* Remove the leader itself: it steps down once the change commits. */
	uint64_t elections = raft_get_stats(c.r[1])->elections_started;
	assert_int_equal(raft_remove_server(c.r[1], 1, &index), 0);
	tick(&c, 20);
	assert_int_equal(raft_role(c.r[1]), RAFT_FOLLOWER);
	assert_int_equal(raft_configuration(c.r[2])->n, 3);
	assert_null(raft_config_find(raft_configuration(c.r[2]), 1));
	/* The others elect a leader among themselves; node 1 never campaigns again. */
	tick(&c, 400);
	int l = leader_of(&c);
	assert_true(l >= 2);
	assert_int_equal(raft_get_stats(c.r[1])->elections_started, elections);
	cluster_free(&c);
}

static void test_reads(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	tick(&c, 10);
	/* Lease read: answered in the next Ready without a round trip. */
	assert_true(raft_lease_valid(c.r[1]));
	assert_int_equal(raft_read_index(c.r[1], RAFT_READ_LEASE, 42), 0);
	struct raft_ready rd;
	raft_ready(c.r[1], &rd);
	assert_int_equal(rd.n_reads, 1);
	assert_int_equal(rd.reads[0].ctx, 42);
	assert_int_equal(rd.reads[0].index, raft_commit_index(c.r[1]));
	raft_advance(c.r[1], &rd);
	stabilize(&c);
	/* Consistent read: needs a heartbeat round acknowledged by a quorum. */
	isolate(&c, 2, true);
	isolate(&c, 3, true);
	assert_int_equal(raft_read_index(c.r[1], RAFT_READ_CONSISTENT, 43), 0);
	raft_ready(c.r[1], &rd);
	assert_int_equal(rd.n_reads, 0);
	raft_advance(c.r[1], &rd);
	tick(&c, 30);
	assert_int_equal(c.last_read_ctx[1], 0); /* no quorum, no answer */
	isolate(&c, 2, false);
	tick(&c, 10); /* the next heartbeat round confirms it */
	assert_int_equal(c.last_read_ctx[1], 43);
	assert_int_equal(c.last_read_index[1], raft_commit_index(c.r[1]));
	/* A follower asks the leader. */
	assert_int_equal(raft_read_index(c.r[2], RAFT_READ_CONSISTENT, 44), 0);
	tick(&c, 10);
	assert_int_equal(c.last_read_ctx[2], 44);
	assert_int_equal(c.last_read_index[2], raft_commit_index(c.r[1]));
	cluster_free(&c);
}

static void test_transfer_leadership(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	elect_1(&c);
	assert_int_equal(raft_transfer_leadership(c.r[1], 3), 0);
	assert_false(raft_lease_valid(c.r[1]));
	stabilize(&c);
	assert_int_equal(leader_of(&c), 3);
	assert_int_equal(raft_leader(c.r[1]), 3);
	cluster_free(&c);
}

static void test_bad_messages(void **state)
{
	struct cluster c;
	cluster_init(&c, 3, true);
	flush(&c);
	struct raft_entry e = {.term = 9, .index = 5, .len = 1, .data = (unsigned char *)"x"};
	struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2, .index = 1, .log_term = 1,
			     .n_entries = 1, .entries = &e};
	assert_int_equal(raft_step(c.r[1], &m), RAFT_ERR_BAD_MSG); /* index not after prev */
	e.index = 2;
	assert_int_equal(raft_step(c.r[1], &m), RAFT_ERR_BAD_MSG); /* term beyond the message's */
	e.term = 2;
	e.type = RAFT_ENTRY_CONFIG; /* a configuration that does not decode */
	assert_int_equal(raft_step(c.r[1], &m), RAFT_ERR_BAD_MSG);
	m.type = 99;
	assert_int_equal(raft_step(c.r[1], &m), RAFT_ERR_BAD_MSG);
	m.type = RAFT_MSG_SNAPSHOT;
	assert_int_equal(raft_step(c.r[1], &m), RAFT_ERR_BAD_MSG); /* no snapshot */
	assert_int_equal(raft_term(c.r[1]), 1);                      /* nothing changed */
	assert_int_equal(raft_last_index(c.r[1]), 1);
	assert_int_equal(raft_get_stats(c.r[1])->msgs_dropped, 5);
	unsigned char bad[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}; /* id 0 */
	struct raft_config conf;
	assert_int_equal(raft_config_decode(bad, sizeof bad, &conf), RAFT_ERR_BAD_MSG);
	assert_string_equal(raft_strerror(RAFT_ERR_NOT_LEADER), "not the leader");
	cluster_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_election_on_timeout),
		cmocka_unit_test(test_campaign_now),
		cmocka_unit_test(test_prevote_does_not_disrupt),
		cmocka_unit_test(test_check_quorum_step_down),
		cmocka_unit_test(test_commit_rule_older_terms),
		cmocka_unit_test(test_conflict_backtracking),
		cmocka_unit_test(test_reject_hint),
		cmocka_unit_test(test_snapshot_install),
		cmocka_unit_test(test_config_add_remove),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_transfer_leadership),
		cmocka_unit_test(test_bad_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
