/* test_swim.c: the mechanics of the SWIM core one at a time: Lifeguard suspicion timeouts,
 * retransmit limits, local health awareness, incarnation rules and refutation, broadcast queue
 * invalidation, user event de-duplication, and the limits on untrusted messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broadcast.h"
#include "events.h"
#include "suspicion.h"
#include "swim.h"

/* ------------------------------------------------------------------ helpers */

static struct swim_update *fact(enum swim_update_type type, const char *node, uint32_t inc, const char *from)
{
	struct swim_update t = {.type = type, .incarnation = inc, .node = node, .from = from};
	if (type == SWIM_UPD_ALIVE) {
		t.addr = "10.0.0.2";
		t.port = 8301;
	}
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	return u;
}

/* Delivers one gossip message carrying u (the reference is the message's). */
static void deliver(struct swim *s, uint64_t now, struct swim_update *u, struct swim_out *out)
{
	struct swim_msg m;
	swim_msg_init(&m, SWIM_MSG_GOSSIP);
	assert_int_equal(swim_msg_add_update(&m, u), 0);
	struct swim_addr from = {"10.0.0.2", 8301};
	assert_int_equal(swim_recv(s, now, &from, &m, out), 0);
	swim_msg_free(&m);
}

static struct swim *new_swim(void)
{
	struct swim_config cfg;
	swim_config_lan(&cfg);
	struct swim_tag tags[] = {{"role", "node"}, {"dc", "dc1"}};
	struct swim *s = swim_new(&cfg, "a", "10.0.0.1", 8301, 1, tags, 2, 42);
	assert_non_null(s);
	return s;
}

static enum swim_state state_of(struct swim *s, const char *name, uint32_t *inc)
{
	struct swim_member_info info;
	assert_int_equal(swim_member_find(s, name, &info), 0);
	if (inc)
		*inc = info.incarnation;
	return info.state;
}

static size_t count_events(const struct swim_out *o, enum swim_event_type type, const char *node)
{
	size_t n = 0;
	for (size_t i = 0; i < o->nevents; i++)
		n += o->events[i].type == type && !strcmp(o->events[i].update->node, node);
	return n;
}

/* ------------------------------------------------------------------ Lifeguard math */

static void test_suspicion_timeouts(void **state)
{
	/* min = 4 * max(1, log10 n) * 1 s, as memberlist's suspicionTimeout */
	assert_int_equal(suspicion_min_timeout_ms(4, 1, 1000), 4000);
	assert_int_equal(suspicion_min_timeout_ms(4, 10, 1000), 4000);
	assert_int_equal(suspicion_min_timeout_ms(4, 100, 1000), 8000);
	assert_int_equal(suspicion_min_timeout_ms(4, 1000, 1000), 12000);
	assert_int_equal(suspicion_min_timeout_ms(4, 50, 1000), 6792);  /* log10 50 = 1.698 */
	/* from max down to min on a log scale as k = 2 confirmations arrive */
	assert_int_equal(suspicion_timeout_ms(0, 2, 8000, 48000), 48000);
	assert_int_equal(suspicion_timeout_ms(1, 2, 8000, 48000), 22762);  /* 48 - ln2/ln3 * 40 s, floored */
	assert_int_equal(suspicion_timeout_ms(2, 2, 8000, 48000), 8000);
	assert_int_equal(suspicion_timeout_ms(5, 2, 8000, 48000), 8000);  /* never below min */
	assert_int_equal(suspicion_timeout_ms(0, 0, 8000, 48000), 8000);
}

static void test_suspicion_confirmations(void **state)
{
	struct suspicion sp;
	suspicion_init(&sp, "b", 2, 8000, 48000, 1000);
	assert_int_equal(sp.deadline_ms, 49000);
	assert_false(suspicion_confirm(&sp, "b"));  /* the accuser does not confirm itself */
	assert_true(suspicion_confirm(&sp, "c"));
	assert_int_equal(sp.deadline_ms, 1000 + 22762);
	assert_false(suspicion_confirm(&sp, "c"));  /* once per member */
	assert_true(suspicion_confirm(&sp, "d"));
	assert_int_equal(sp.deadline_ms, 9000);
	assert_false(suspicion_confirm(&sp, "e"));  /* k reached: no more news to gossip */
	/* nobody to confirm: the minimum from the start */
	suspicion_init(&sp, "b", 0, 4000, 24000, 0);
	assert_int_equal(sp.deadline_ms, 4000);
}

static void test_ln(void **state)
{
	assert_true(swim_ln(1.0) == 0.0);
	double e = swim_ln(1000.0) - 6.907755278982137;
	assert_true(e < 1e-9 && e > -1e-9);
	e = swim_ln(0.5) + 0.6931471805599453;
	assert_true(e < 1e-9 && e > -1e-9);
}

static void test_retransmit_limit(void **state)
{
	/* 4 * ceil(log10(n + 1)) */
	assert_int_equal(bcast_retransmit_limit(4, 1), 4);
	assert_int_equal(bcast_retransmit_limit(4, 9), 4);
	assert_int_equal(bcast_retransmit_limit(4, 10), 8);
	assert_int_equal(bcast_retransmit_limit(4, 99), 8);
	assert_int_equal(bcast_retransmit_limit(4, 100), 12);
	assert_int_equal(bcast_retransmit_limit(4, 1000), 16);
	assert_int_equal(bcast_retransmit_limit(3, 5000), 12);
}

/* ------------------------------------------------------------------ broadcast queue */

static void test_queue_invalidation(void **state)
{
	struct bcast_queue q;
	bcast_init(&q);
	struct swim_update *alive = fact(SWIM_UPD_ALIVE, "b", 1, NULL), *susp = fact(SWIM_UPD_SUSPECT, "b", 1, "c");
	struct swim_update *other = fact(SWIM_UPD_ALIVE, "c", 1, NULL);
	assert_int_equal(bcast_push(&q, alive), 0);
	assert_int_equal(bcast_push(&q, other), 0);
	assert_int_equal(bcast_push(&q, susp), 0);  /* replaces the alive about b */
	assert_int_equal(bcast_len(&q), 2);
	struct swim_update t = {.type = SWIM_UPD_USER_EVENT, .event_name = "deploy", .from = "a"};
	struct swim_update *ev1 = swim_update_new(&t), *ev2 = swim_update_new(&t);
	assert_int_equal(bcast_push(&q, ev1), 0);
	assert_int_equal(bcast_push(&q, ev2), 0);  /* user events never replace each other */
	assert_int_equal(bcast_len(&q), 4);

	struct swim_msg m;
	swim_msg_init(&m, SWIM_MSG_GOSSIP);
	assert_int_equal(bcast_fill(&q, 2, 1200, &m), 4);
	bool saw_alive_b = false, saw_susp = false;
	for (size_t i = 0; i < m.nupdates; i++) {
		saw_alive_b |= m.updates[i] == alive;
		saw_susp |= m.updates[i] == susp;
	}
	assert_false(saw_alive_b);
	assert_true(saw_susp);
	/* newest first among equally sent facts */
	assert_ptr_equal(m.updates[0], ev2);
	swim_msg_free(&m);

	/* a fresh fact goes ahead of ones sent before; the limit retires them */
	bcast_watch(&q, susp);
	swim_msg_init(&m, SWIM_MSG_GOSSIP);
	assert_int_equal(bcast_fill(&q, 2, 1200, &m), 4);
	swim_msg_free(&m);
	assert_int_equal(bcast_len(&q), 0);
	assert_true(q.watch_done);

	/* the budget is respected */
	assert_int_equal(bcast_push(&q, other), 0);
	swim_msg_init(&m, SWIM_MSG_GOSSIP);
	assert_int_equal(bcast_fill(&q, 2, 10, &m), 0);
	swim_msg_free(&m);
	bcast_free(&q);
	struct swim_update *all[] = {alive, susp, other, ev1, ev2};
	for (size_t i = 0; i < 5; i++)
		swim_update_unref(all[i]);
}

static void test_queue_prune(void **state)
{
	struct bcast_queue q;
	bcast_init(&q);
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", i);
		struct swim_update *u = fact(SWIM_UPD_ALIVE, name, 1, NULL);
		assert_int_equal(bcast_push(&q, u), 0);
		swim_update_unref(u);
	}
	bcast_prune(&q, 64);
	assert_true(bcast_len(&q) <= 64);
	/* the index still works after pruning: a replacement keeps the count */
	size_t before = bcast_len(&q);
	struct swim_update *u = fact(SWIM_UPD_SUSPECT, "n99", 1, "x");  /* newest survived */
	assert_int_equal(bcast_push(&q, u), 0);
	swim_update_unref(u);
	assert_int_equal(bcast_len(&q), before);
	bcast_free(&q);
}

/* ------------------------------------------------------------------ incarnation rules */

static void test_alive_overrides_suspect(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	assert_int_equal(count_events(&out, SWIM_EV_JOIN, "b"), 1);
	deliver(s, 10, fact(SWIM_UPD_SUSPECT, "b", 1, "c"), &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_SUSPECT);
	/* the same incarnation does not clear a suspicion; a higher one does */
	deliver(s, 20, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_SUSPECT);
	deliver(s, 30, fact(SWIM_UPD_ALIVE, "b", 2, NULL), &out);
	uint32_t inc;
	assert_int_equal(state_of(s, "b", &inc), SWIM_ALIVE);
	assert_int_equal(inc, 2);
	/* an older suspicion is ignored */
	deliver(s, 40, fact(SWIM_UPD_SUSPECT, "b", 1, "c"), &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_ALIVE);
	/* a suspicion that times out is a failure, reported once */
	deliver(s, 50, fact(SWIM_UPD_SUSPECT, "b", 2, "c"), &out);
	swim_out_clear(&out);
	swim_tick(s, 50, &out);
	uint64_t deadline = 50 + suspicion_min_timeout_ms(4, 2, 1000);  /* 2 members: k = 0, min */
	swim_out_clear(&out);
	swim_tick(s, deadline - 1, &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_SUSPECT);
	swim_tick(s, deadline, &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_DEAD);
	assert_int_equal(count_events(&out, SWIM_EV_FAILED, "b"), 1);
	/* a restarted member (higher incarnation) joins again */
	swim_out_clear(&out);
	deliver(s, deadline + 10, fact(SWIM_UPD_ALIVE, "b", 3, NULL), &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_ALIVE);
	assert_int_equal(count_events(&out, SWIM_EV_JOIN, "b"), 1);
	swim_out_free(&out);
	swim_free(s);
}

/* Finds an alive fact about name in the messages out holds. */
static const struct swim_update *sent_alive(const struct swim_out *o, const char *name)
{
	for (size_t i = 0; i < o->nsends; i++)
		for (size_t k = 0; k < o->sends[i].msg.nupdates; k++) {
			const struct swim_update *u = o->sends[i].msg.updates[k];
			if (u->type == SWIM_UPD_ALIVE && !strcmp(u->node, name))
				return u;
		}
	return NULL;
}

static void test_refute_dead_and_suspect(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	swim_out_clear(&out);
	deliver(s, 10, fact(SWIM_UPD_DEAD, "a", 1, "b"), &out);
	uint32_t inc;
	assert_int_equal(state_of(s, "a", &inc), SWIM_ALIVE);
	assert_int_equal(inc, 2);
	assert_int_equal(swim_stats(s)->refutations, 1);
	assert_int_equal(swim_awareness(s), 1);  /* Lifeguard: refuting costs local health */
	assert_int_equal(count_events(&out, SWIM_EV_FAILED, "a"), 0);
	/* the refutation is gossiped */
	swim_tick(s, 1000, &out);
	swim_tick(s, 1400, &out);
	const struct swim_update *a = sent_alive(&out, "a");
	assert_non_null(a);
	assert_int_equal(a->incarnation, 2);
	swim_out_clear(&out);
	/* an accusation ahead of us: we jump past it */
	deliver(s, 2000, fact(SWIM_UPD_SUSPECT, "a", 7, "b"), &out);
	assert_int_equal(state_of(s, "a", &inc), SWIM_ALIVE);
	assert_int_equal(inc, 8);
	/* a stale one is ignored */
	deliver(s, 2010, fact(SWIM_UPD_SUSPECT, "a", 3, "b"), &out);
	assert_int_equal(swim_stats(s)->refutations, 2);
	/* someone else's alive about our name with other tags: refuted too */
	deliver(s, 2020, fact(SWIM_UPD_ALIVE, "a", 8, NULL), &out);  /* other address: a conflict */
	assert_int_equal(swim_stats(s)->refutations, 2);
	swim_out_free(&out);
	swim_free(s);
}

static void test_leave_and_force_leave(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "c", 1, NULL), &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "d", 1, NULL), &out);
	swim_out_clear(&out);
	/* a graceful leave is "left", never "failed" */
	deliver(s, 10, fact(SWIM_UPD_LEAVE, "b", 1, "b"), &out);
	assert_int_equal(state_of(s, "b", NULL), SWIM_LEFT);
	assert_int_equal(count_events(&out, SWIM_EV_LEAVE, "b"), 1);
	/* memberlist's form of it: a dead sent by the member itself */
	deliver(s, 10, fact(SWIM_UPD_DEAD, "c", 1, "c"), &out);
	assert_int_equal(state_of(s, "c", NULL), SWIM_LEFT);
	/* force-leave of a live member only marks it leaving (Serf), until its refutation */
	struct swim_member_info info;
	assert_int_equal(swim_force_leave(s, 20, "d", false, &out), 0);
	assert_int_equal(state_of(s, "d", NULL), SWIM_ALIVE);
	assert_int_equal(swim_member_find(s, "d", &info), 0);
	assert_true(info.leaving);
	assert_int_equal(count_events(&out, SWIM_EV_UPDATE, "d"), 1);
	assert_int_equal(count_events(&out, SWIM_EV_LEAVE, "d"), 0);
	deliver(s, 25, fact(SWIM_UPD_ALIVE, "d", 2, NULL), &out);  /* d refutes */
	assert_int_equal(swim_member_find(s, "d", &info), 0);
	assert_false(info.leaving);
	assert_int_equal(state_of(s, "d", NULL), SWIM_ALIVE);
	assert_int_equal(swim_force_leave(s, 20, "zz", false, &out), -ENOENT);
	deliver(s, 30, fact(SWIM_UPD_DEAD, "d", 2, "b"), &out);
	assert_int_equal(state_of(s, "d", NULL), SWIM_DEAD);
	swim_out_clear(&out);
	/* force-leave of a failed member: left */
	assert_int_equal(swim_force_leave(s, 40, "d", false, &out), 0);
	assert_int_equal(state_of(s, "d", NULL), SWIM_LEFT);
	assert_int_equal(count_events(&out, SWIM_EV_LEAVE, "d"), 1);
	/* -prune of a left member: forgotten, and the fact gossiped on */
	swim_out_clear(&out);
	assert_int_equal(swim_force_leave(s, 45, "d", true, &out), 0);
	assert_int_equal(swim_member_find(s, "d", &info), -ENOENT);
	assert_int_equal(count_events(&out, SWIM_EV_REAP, "d"), 1);
	/* a prune heard from another member forgets a failed member too */
	deliver(s, 46, fact(SWIM_UPD_DEAD, "c", 3, "b"), &out);
	deliver(s, 47, fact(SWIM_UPD_PRUNE, "c", 3, "b"), &out);
	assert_int_equal(swim_member_find(s, "c", &info), -ENOENT);
	/* a leave about us while we stay is refuted */
	deliver(s, 50, fact(SWIM_UPD_LEAVE, "a", 1, "x"), &out);
	assert_int_equal(state_of(s, "a", NULL), SWIM_ALIVE);
	/* our own leave: left, gossiped, and no rejoin by a stale alive */
	swim_out_clear(&out);
	assert_int_equal(swim_leave(s, 60, &out), 0);
	assert_int_equal(state_of(s, "a", NULL), SWIM_LEFT);
	assert_true(swim_leave_propagated(s));  /* b, c and d are gone: nobody left to tell */
	swim_out_free(&out);
	swim_free(s);
}

static void test_reap(void **state)
{
	struct swim_config cfg;
	swim_config_lan(&cfg);
	cfg.reconnect_timeout_ms = 60000;
	cfg.tombstone_timeout_ms = 30000;
	struct swim *s = swim_new(&cfg, "a", "10.0.0.1", 8301, 1, NULL, 0, 1);
	struct swim_out out;
	swim_out_init(&out);
	swim_tick(s, 0, &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "c", 1, NULL), &out);
	deliver(s, 0, fact(SWIM_UPD_DEAD, "b", 1, "x"), &out);
	deliver(s, 0, fact(SWIM_UPD_LEAVE, "c", 1, "c"), &out);
	swim_out_clear(&out);
	for (uint64_t t = 0; t <= 50000; t += 500)
		swim_tick(s, t, &out);
	assert_int_equal(count_events(&out, SWIM_EV_REAP, "c"), 1);
	assert_int_equal(count_events(&out, SWIM_EV_REAP, "b"), 0);
	for (uint64_t t = 50000; t <= 80000; t += 500)
		swim_tick(s, t, &out);
	assert_int_equal(count_events(&out, SWIM_EV_REAP, "b"), 1);
	assert_int_equal(swim_member_count(s), 1);
	swim_out_free(&out);
	swim_free(s);
}

/* ------------------------------------------------------------------ awareness */

/* Ticks s at its deadlines up to `until`, acking nothing; returns how many pings went to b. */
static int run_silent(struct swim *s, uint64_t *now, uint64_t until, struct swim_out *out, uint64_t *last_ping)
{
	int pings = 0;
	while (*now < until) {
		uint64_t d = swim_next_deadline(s);
		*now = d > *now ? d : *now + 1;
		if (*now > until)
			break;
		swim_tick(s, *now, out);
		for (size_t i = 0; i < out->nsends; i++)
			if (out->sends[i].msg.type == SWIM_MSG_PING && !out->sends[i].reliable) {
				pings++;
				*last_ping = *now;
			}
		swim_out_clear(out);
	}
	return pings;
}

static void test_awareness_scales_probes(void **state)
{
	struct swim_config cfg;
	swim_config_lan(&cfg);
	cfg.suspicion_mult = 1000;  /* keep b suspect, never dead, for the whole test */
	struct swim *s = swim_new(&cfg, "a", "10.0.0.1", 8301, 1, NULL, 0, 7);
	struct swim_out out;
	swim_out_init(&out);
	uint64_t now = 0, last = 0;
	swim_tick(s, 0, &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	swim_out_clear(&out);
	/* the first probe fails: no one to ask for nacks, so health drops by one */
	run_silent(s, &now, 2000, &out, &last);
	assert_int_equal(swim_awareness(s), 1);
	assert_int_equal(state_of(s, "b", NULL), SWIM_SUSPECT);
	/* each failure raises the score, and a probe at score k waits k + 1 intervals before it
	 * fails: probes 2 s, 3 s, 4 s apart instead of 1 s */
	int pings = run_silent(s, &now, 12000, &out, &last);
	assert_int_equal(pings, 3);
	assert_int_equal(swim_awareness(s), 4);
	/* the score is capped at awareness_max_mult - 1, then probes are 8 s apart */
	run_silent(s, &now, 200000, &out, &last);
	assert_int_equal(swim_awareness(s), 7);
	pings = run_silent(s, &now, 280000, &out, &last);
	assert_in_range(pings, 9, 11);
	/* a direct ack restores health one step at a time */
	uint64_t ping_at = 0;
	for (;;) {
		now = swim_next_deadline(s);
		swim_tick(s, now, &out);
		for (size_t i = 0; i < out.nsends; i++)
			if (out.sends[i].msg.type == SWIM_MSG_PING && !out.sends[i].reliable) {
				struct swim_msg ack;
				swim_msg_init(&ack, SWIM_MSG_ACK);
				ack.seq = out.sends[i].msg.seq;
				struct swim_addr from = {"10.0.0.2", 8301};
				ping_at = now;
				swim_out_clear(&out);
				swim_recv(s, now + 5, &from, &ack, &out);
				break;
			}
		swim_out_clear(&out);
		if (ping_at)
			break;
	}
	assert_int_equal(swim_awareness(s), 6);
	swim_out_free(&out);
	swim_free(s);
}

/* ------------------------------------------------------------------ probes */

static void test_probe_indirect_and_nack(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	swim_tick(s, 0, &out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	struct swim_update *c = fact(SWIM_UPD_ALIVE, "c", 1, NULL);
	deliver(s, 0, c, &out);
	swim_out_clear(&out);
	/* run to the first probe, and past the direct timeout */
	uint64_t now = 0, start = 0;
	const char *target = NULL;
	while (!target) {
		now = swim_next_deadline(s);
		swim_tick(s, now, &out);
		for (size_t i = 0; i < out.nsends; i++)
			if (out.sends[i].msg.type == SWIM_MSG_PING)
				target = out.sends[i].msg.target[0] == 'b' ? "b" : "c";
		swim_out_clear(&out);
	}
	start = now;
	swim_tick(s, start + 500, &out);
	size_t indirect = 0, tcp = 0;
	uint32_t seq = 0;
	for (size_t i = 0; i < out.nsends; i++) {
		const struct swim_send *snd = &out.sends[i];
		if (snd->msg.type == SWIM_MSG_INDIRECT_PING) {
			indirect++;
			seq = snd->msg.seq;
			assert_string_equal(snd->msg.target, target);
			assert_true(snd->msg.want_nack);
		}
		if (snd->msg.type == SWIM_MSG_PING && snd->reliable)
			tcp++;
	}
	assert_int_equal(indirect, 1);  /* the one other member */
	assert_int_equal(tcp, 1);        /* and the TCP fallback */
	swim_out_clear(&out);
	/* the helper nacks: it works, so the failed probe costs no health */
	struct swim_msg nack;
	swim_msg_init(&nack, SWIM_MSG_NACK);
	nack.seq = seq;
	struct swim_addr from = {"10.0.0.3", 8301};
	assert_int_equal(swim_recv(s, start + 700, &from, &nack, &out), 0);
	swim_tick(s, start + 1000, &out);
	assert_int_equal(state_of(s, target, NULL), SWIM_SUSPECT);
	assert_int_equal(swim_awareness(s), 0);
	swim_out_free(&out);
	swim_free(s);
}

static void test_relay_indirect_ping(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	struct swim_msg req;
	swim_msg_init(&req, SWIM_MSG_INDIRECT_PING);
	req.seq = 77;
	strcpy(req.target, "b");
	req.target_addr = (struct swim_addr){"10.0.0.2", 8301};
	req.want_nack = true;
	struct swim_addr origin = {"10.0.0.9", 8301};
	assert_int_equal(swim_recv(s, 100, &origin, &req, &out), 0);
	assert_int_equal(out.nsends, 1);
	assert_int_equal(out.sends[0].msg.type, SWIM_MSG_PING);
	assert_string_equal(out.sends[0].to.host, "10.0.0.2");
	uint32_t seq = out.sends[0].msg.seq;
	swim_out_clear(&out);
	/* the target answers: the origin gets an ack with its own sequence number */
	struct swim_msg ack;
	swim_msg_init(&ack, SWIM_MSG_ACK);
	ack.seq = seq;
	struct swim_addr b = {"10.0.0.2", 8301};
	assert_int_equal(swim_recv(s, 150, &b, &ack, &out), 0);
	assert_int_equal(out.nsends, 1);
	assert_int_equal(out.sends[0].msg.type, SWIM_MSG_ACK);
	assert_int_equal(out.sends[0].msg.seq, 77);
	assert_string_equal(out.sends[0].to.host, "10.0.0.9");
	swim_out_clear(&out);
	/* a second request the target ignores: a nack after the probe timeout */
	assert_int_equal(swim_recv(s, 200, &origin, &req, &out), 0);
	swim_out_clear(&out);
	swim_tick(s, 699, &out);
	for (size_t i = 0; i < out.nsends; i++)
		assert_int_not_equal(out.sends[i].msg.type, SWIM_MSG_NACK);
	swim_out_clear(&out);
	swim_tick(s, 700, &out);
	size_t nacks = 0;
	for (size_t i = 0; i < out.nsends; i++)
		nacks += out.sends[i].msg.type == SWIM_MSG_NACK && out.sends[i].msg.seq == 77;
	assert_int_equal(nacks, 1);
	/* a ping for another name is not answered */
	swim_out_clear(&out);
	struct swim_msg ping;
	swim_msg_init(&ping, SWIM_MSG_PING);
	strcpy(ping.target, "someone-else");
	assert_int_equal(swim_recv(s, 800, &origin, &ping, &out), 0);
	assert_int_equal(out.nsends, 0);
	swim_out_free(&out);
	swim_free(s);
}

/* ------------------------------------------------------------------ push/pull */

static void test_push_pull_merge(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	deliver(s, 0, fact(SWIM_UPD_ALIVE, "b", 1, NULL), &out);
	swim_out_clear(&out);
	struct swim_msg pp;
	swim_msg_init(&pp, SWIM_MSG_PUSH_PULL);
	pp.event_ltime = 9;
	swim_msg_add_state(&pp, fact(SWIM_UPD_ALIVE, "c", 4, NULL), 4, SWIM_ALIVE);
	swim_msg_add_state(&pp, fact(SWIM_UPD_ALIVE, "b", 1, NULL), 1, SWIM_DEAD);  /* only suspected */
	swim_msg_add_state(&pp, fact(SWIM_UPD_ALIVE, "a", 1, NULL), 1, SWIM_DEAD);  /* refuted */
	struct swim_addr from = {"10.0.0.3", 8301};
	assert_int_equal(swim_recv(s, 10, &from, &pp, &out), 0);
	swim_msg_free(&pp);
	assert_int_equal(state_of(s, "c", NULL), SWIM_ALIVE);
	assert_int_equal(state_of(s, "b", NULL), SWIM_SUSPECT);
	uint32_t inc;
	assert_int_equal(state_of(s, "a", &inc), SWIM_ALIVE);
	assert_int_equal(inc, 2);
	assert_true(swim_event_ltime(s) >= 9);
	/* we answered with our whole state, reliably */
	const struct swim_send *reply = NULL;
	for (size_t i = 0; i < out.nsends; i++)
		if (out.sends[i].msg.type == SWIM_MSG_PUSH_PULL)
			reply = &out.sends[i];
	assert_non_null(reply);
	assert_true(reply->reliable && reply->msg.reply);
	assert_int_equal(reply->msg.nstates, 2);  /* a and b, before merging c */
	swim_out_free(&out);
	swim_free(s);
}

/* ------------------------------------------------------------------ user events */

static struct swim_update *user_event(uint64_t ltime, const char *name, const char *payload)
{
	struct swim_update t = {.type = SWIM_UPD_USER_EVENT, .event_name = name, .from = "b", .ltime = ltime,
				.payload = (const uint8_t *)payload, .payload_len = (uint16_t)strlen(payload)};
	return swim_update_new(&t);
}

static void test_user_events_dedup(void **state)
{
	struct user_events ev;
	assert_int_equal(user_events_init(&ev, 4), 0);
	struct swim_update *a = user_event(5, "deploy", "x"), *a2 = user_event(5, "deploy", "x");
	struct swim_update *b = user_event(5, "deploy", "y"), *old = user_event(1, "deploy", "z");
	assert_int_equal(user_events_accept(&ev, a), 1);
	assert_int_equal(user_events_accept(&ev, a2), 0);   /* same (ltime, name, payload) */
	assert_int_equal(user_events_accept(&ev, b), 1);    /* other payload */
	assert_int_equal(ev.clock.time, 6);                 /* Lamport: past what we saw */
	assert_int_equal(user_events_accept(&ev, old), 0);  /* older than the buffer remembers */
	assert_int_equal(user_events_fire_time(&ev), 6);
	assert_int_equal(ev.clock.time, 7);
	user_events_joined(&ev, 20);
	struct swim_update *before_join = user_event(19, "x", "");
	assert_int_equal(user_events_accept(&ev, before_join), 0);
	user_events_free(&ev);
	struct swim_update *all[] = {a, a2, b, old, before_join};
	for (size_t i = 0; i < 5; i++)
		swim_update_unref(all[i]);
}

static void test_user_event_api(void **state)
{
	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	assert_int_equal(swim_user_event(s, 0, "deploy", (const uint8_t *)"v2", 2, false, &out), 0);
	assert_int_equal(out.nevents >= 1, 1);
	assert_int_equal(out.events[out.nevents - 1].type, SWIM_EV_USER);
	uint8_t big[SWIM_EVENT_PAYLOAD_MAX + 1] = {0};
	assert_int_equal(swim_user_event(s, 0, "deploy", big, sizeof big, false, &out), -E2BIG);
	/* seen again by gossip: not delivered twice */
	size_t n = out.nevents;
	deliver(s, 10, swim_update_ref(out.events[n - 1].update), &out);
	assert_int_equal(out.nevents, n);
	swim_out_free(&out);
	swim_free(s);
}

/* ------------------------------------------------------------------ untrusted input */

static void test_limits(void **state)
{
	char name[SWIM_NAME_MAX + 2];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	struct swim_update t = {.type = SWIM_UPD_ALIVE, .node = name, .addr = "10.0.0.1"};
	assert_null(swim_update_new(&t));  /* 129 bytes */
	name[SWIM_NAME_MAX] = 0;
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	swim_update_unref(u);
	uint8_t tags[SWIM_TAGS_MAX + 1];
	memset(tags, 'k', sizeof tags);
	t.node = "a";
	t.tags = tags;
	t.tags_len = SWIM_TAGS_MAX + 1;
	assert_null(swim_update_new(&t));
	t.tags_len = 4;  /* no NUL: malformed */
	assert_null(swim_update_new(&t));
	memcpy(tags, "k\0v\0", 4);
	assert_non_null(u = swim_update_new(&t));
	swim_update_unref(u);
	struct swim_update bad_dead = {.type = SWIM_UPD_DEAD, .node = "a"};  /* no from */
	assert_null(swim_update_new(&bad_dead));
	struct swim_update bad_type = {.type = 99, .node = "a", .from = "b"};
	assert_null(swim_update_new(&bad_type));

	struct swim *s = new_swim();
	struct swim_out out;
	swim_out_init(&out);
	struct swim_addr from = {"10.0.0.2", 8301};
	struct swim_msg m;
	swim_msg_init(&m, 42);
	assert_int_equal(swim_recv(s, 0, &from, &m, &out), -EINVAL);
	swim_msg_init(&m, SWIM_MSG_INDIRECT_PING);  /* without a target */
	assert_int_equal(swim_recv(s, 0, &from, &m, &out), -EINVAL);
	swim_msg_init(&m, SWIM_MSG_PING);
	memset(m.target, 'x', sizeof m.target);  /* not terminated */
	assert_int_equal(swim_recv(s, 0, &from, &m, &out), -EINVAL);
	assert_int_equal(swim_stats(s)->dropped_invalid, 3);
	assert_int_equal(out.nsends, 0);
	swim_out_free(&out);
	swim_free(s);
}

static void test_tags_roundtrip(void **state)
{
	struct swim_tag in[] = {{"role", "consul"}, {"dc", "dc1"}, {"segment", ""}};
	uint8_t buf[SWIM_TAGS_MAX];
	int len = swim_tags_encode(in, 3, buf, sizeof buf);
	assert_int_equal(len, 5 + 7 + 3 + 4 + 8 + 1);
	size_t pos = 0;
	const char *k, *v;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(swim_tags_next(buf, (size_t)len, &pos, &k, &v), 1);
		assert_string_equal(k, in[i].key);
		assert_string_equal(v, in[i].value);
	}
	assert_int_equal(swim_tags_next(buf, (size_t)len, &pos, &k, &v), 0);
	char big[600];
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = 0;
	struct swim_tag huge = {"k", big};
	assert_int_equal(swim_tags_encode(&huge, 1, buf, sizeof buf), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suspicion_timeouts),
		cmocka_unit_test(test_suspicion_confirmations),
		cmocka_unit_test(test_ln),
		cmocka_unit_test(test_retransmit_limit),
		cmocka_unit_test(test_queue_invalidation),
		cmocka_unit_test(test_queue_prune),
		cmocka_unit_test(test_alive_overrides_suspect),
		cmocka_unit_test(test_refute_dead_and_suspect),
		cmocka_unit_test(test_leave_and_force_leave),
		cmocka_unit_test(test_reap),
		cmocka_unit_test(test_awareness_scales_probes),
		cmocka_unit_test(test_probe_indirect_and_nack),
		cmocka_unit_test(test_relay_indirect_ping),
		cmocka_unit_test(test_push_pull_merge),
		cmocka_unit_test(test_user_events_dedup),
		cmocka_unit_test(test_user_event_api),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_tags_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
