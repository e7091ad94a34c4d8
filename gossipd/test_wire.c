/* test_wire.c: the swim_msg codec: round trips, truncation, limits, trailing bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static struct swim_update *alive(const char *node, uint32_t inc)
{
	static const uint8_t tags[] = "role\0node\0dc\0dc1";
	struct swim_update t = {.type = SWIM_UPD_ALIVE, .incarnation = inc, .node = node, .addr = "10.0.0.7",
				.port = 8301, .tags = tags, .tags_len = sizeof tags};
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	return u;
}

static struct swim_update *fact(enum swim_update_type type, const char *node, uint32_t inc)
{
	struct swim_update t = {.type = type, .incarnation = inc, .node = node, .from = "agent-one"};
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	return u;
}

static struct swim_update *user_event(const char *name, const char *payload, uint64_t ltime, bool coalesce)
{
	struct swim_update t = {.type = SWIM_UPD_USER_EVENT, .from = "agent-two", .event_name = name,
				.payload = (const uint8_t *)payload, .payload_len = (uint16_t)strlen(payload),
				.ltime = ltime, .coalesce = coalesce};
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	return u;
}

static void add_all_updates(struct swim_msg *m)
{
	assert_int_equal(swim_msg_add_update(m, alive("web-1", 7)), 0);
	assert_int_equal(swim_msg_add_update(m, fact(SWIM_UPD_SUSPECT, "web-2", 3)), 0);
	assert_int_equal(swim_msg_add_update(m, fact(SWIM_UPD_DEAD, "web-3", 4)), 0);
	assert_int_equal(swim_msg_add_update(m, fact(SWIM_UPD_LEAVE, "web-4", 5)), 0);
	assert_int_equal(swim_msg_add_update(m, fact(SWIM_UPD_PRUNE, "web-5", 6)), 0);
	assert_int_equal(swim_msg_add_update(m, user_event("deploy", "v1.2.3", 42, true)), 0);
	assert_int_equal(swim_msg_add_update(m, user_event("empty", "", 0xfffffffffffULL, false)), 0);
}

/* The messages every test runs over: one of each type, with and without updates. */
#define NSAMPLES 8
static void make_sample(int i, struct swim_msg *m)
{
	switch (i) {
	case 0:
		swim_msg_init(m, SWIM_MSG_PING);
		m->seq = 0xdeadbeef;
		strcpy(m->target, "web-9");
		break;
	case 1:
		swim_msg_init(m, SWIM_MSG_PING);
		m->seq = 1;  /* target "" is allowed */
		add_all_updates(m);
		break;
	case 2:
		swim_msg_init(m, SWIM_MSG_INDIRECT_PING);
		m->seq = 77;
		strcpy(m->target, "db-1");
		strcpy(m->target_addr.host, "fe80::1:2:3:4");
		m->target_addr.port = 65535;
		m->want_nack = true;
		assert_int_equal(swim_msg_add_update(m, fact(SWIM_UPD_SUSPECT, "db-1", 9)), 0);
		break;
	case 3:
		swim_msg_init(m, SWIM_MSG_ACK);
		m->seq = 77;
		break;
	case 4:
		swim_msg_init(m, SWIM_MSG_NACK);
		m->seq = 78;
		add_all_updates(m);
		break;
	case 5:
		swim_msg_init(m, SWIM_MSG_GOSSIP);
		add_all_updates(m);
		break;
	case 6:
		swim_msg_init(m, SWIM_MSG_PUSH_PULL);
		m->join = true;
		m->event_ltime = 1234567890123ULL;
		assert_int_equal(swim_msg_add_state(m, alive("a", 1), 1, SWIM_ALIVE), 0);
		assert_int_equal(swim_msg_add_state(m, alive("b", 2), 5, SWIM_SUSPECT), 0);
		assert_int_equal(swim_msg_add_state(m, alive("c", 3), 6, SWIM_DEAD), 0);
		assert_int_equal(swim_msg_add_state(m, alive("d", 4), 4, SWIM_LEFT), 0);
		break;
	case 7:
		swim_msg_init(m, SWIM_MSG_PUSH_PULL);
		m->reply = true;
		add_all_updates(m);
		break;
	}
}

static void assert_update_equal(const struct swim_update *a, const struct swim_update *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->incarnation, b->incarnation);
	assert_string_equal(a->node, b->node);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->addr, b->addr);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->tags_len, b->tags_len);
	assert_memory_equal(a->tags, b->tags, a->tags_len);
	assert_int_equal(a->ltime, b->ltime);
	assert_string_equal(a->event_name, b->event_name);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_memory_equal(a->payload, b->payload, a->payload_len);
	assert_int_equal(a->coalesce, b->coalesce);
}

static void assert_msg_equal(const struct swim_msg *a, const struct swim_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->seq, b->seq);
	assert_string_equal(a->target, b->target);
	assert_string_equal(a->target_addr.host, b->target_addr.host);
	assert_int_equal(a->target_addr.port, b->target_addr.port);
	assert_int_equal(a->want_nack, b->want_nack);
	assert_int_equal(a->join, b->join);
	assert_int_equal(a->reply, b->reply);
	assert_int_equal(a->event_ltime, b->event_ltime);
	assert_int_equal(a->nstates, b->nstates);
	for (size_t i = 0; i < a->nstates; i++) {
		assert_int_equal(a->states[i].incarnation, b->states[i].incarnation);
		assert_int_equal(a->states[i].state, b->states[i].state);
		assert_update_equal(a->states[i].info, b->states[i].info);
	}
	assert_int_equal(a->nupdates, b->nupdates);
	for (size_t i = 0; i < a->nupdates; i++)
		assert_update_equal(a->updates[i], b->updates[i]);
}

static void encode_sample(int i, struct swim_msg *m, struct buf *b)
{
	buf_init(b);
	make_sample(i, m);
	assert_int_equal(wire_encode(m, b), 0);
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	for (int i = 0; i < NSAMPLES; i++) {
		struct swim_msg m, d;
		struct buf b;
		encode_sample(i, &m, &b);
		assert_int_equal(wire_decode((const uint8_t *)b.data, b.len, &d), WIRE_OK);
		assert_msg_equal(&m, &d);
		assert_int_equal(swim_msg_validate(&d), 0);
		/* re-encoding gives the same bytes: the encoding is canonical */
		struct buf b2;
		buf_init(&b2);
		assert_int_equal(wire_encode(&d, &b2), 0);
		assert_int_equal(b2.len, b.len);
		assert_memory_equal(b2.data, b.data, b.len);
		buf_free(&b2);
		swim_msg_free(&m);
		swim_msg_free(&d);
		buf_free(&b);
	}
}

static void test_every_truncation_is_rejected(void **state)
{
	(void)state;
	for (int i = 0; i < NSAMPLES; i++) {
		struct swim_msg m, d;
		struct buf b;
		encode_sample(i, &m, &b);
		for (size_t len = 0; len < b.len; len++) {
			uint8_t *copy = malloc(len ? len : 1);  /* exact size, so ASan sees overreads */
			memcpy(copy, b.data, len);
			enum wire_err e = wire_decode(copy, len, &d);
			if (e != WIRE_TRUNCATED)
				fail_msg("sample %d cut at %zu of %zu: %s", i, len, b.len, wire_err_name(e));
			assert_int_equal(d.nupdates, 0);
			assert_int_equal(d.nstates, 0);
			free(copy);
		}
		swim_msg_free(&m);
		buf_free(&b);
	}
}

static void test_trailing_bytes_are_rejected(void **state)
{
	(void)state;
	for (int i = 0; i < NSAMPLES; i++) {
		struct swim_msg m, d;
		struct buf b;
		encode_sample(i, &m, &b);
		assert_int_equal(buf_append(&b, "\0", 1), 0);
		assert_int_equal(wire_decode((const uint8_t *)b.data, b.len, &d), WIRE_TRAILING);
		assert_int_equal(d.nupdates, 0);
		swim_msg_free(&m);
		buf_free(&b);
	}
}

/* Decodes a hand-built packet. */
static enum wire_err decode_bytes(const void *p, size_t len)
{
	struct swim_msg d;
	enum wire_err e = wire_decode(p, len, &d);
	if (e == WIRE_OK)
		swim_msg_free(&d);
	return e;
}

static void test_header_checks(void **state)
{
	(void)state;
	const uint8_t ack[] = {'S', 'W', 1, SWIM_MSG_ACK, 0, 0, 0, 0, 9, 0, 0};
	assert_int_equal(decode_bytes(ack, sizeof ack), WIRE_OK);
	uint8_t p[sizeof ack];
	memcpy(p, ack, sizeof p);
	p[0] = 'X';
	assert_int_equal(decode_bytes(p, sizeof p), WIRE_BAD_MAGIC);
	memcpy(p, ack, sizeof p);
	p[2] = 2;
	assert_int_equal(decode_bytes(p, sizeof p), WIRE_BAD_VERSION);
	memcpy(p, ack, sizeof p);
	p[3] = 0;
	assert_int_equal(decode_bytes(p, sizeof p), WIRE_BAD_TYPE);
	p[3] = 7;
	assert_int_equal(decode_bytes(p, sizeof p), WIRE_BAD_TYPE);
	memcpy(p, ack, sizeof p);
	p[4] = 1;  /* want_nack on an ack */
	assert_int_equal(decode_bytes(p, sizeof p), WIRE_BAD_FLAGS);
	const uint8_t pp_bad_flag[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(decode_bytes(pp_bad_flag, sizeof pp_bad_flag), WIRE_BAD_FLAGS);
	const uint8_t pp_ok[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(decode_bytes(pp_ok, sizeof pp_ok), WIRE_OK);
}

static void test_oversized_counts_and_fields(void **state)
{
	(void)state;
	/* 257 updates announced */
	const uint8_t many[] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0x01, 0x01};
	assert_int_equal(decode_bytes(many, sizeof many), WIRE_TOO_MANY);
	/* 65537 push/pull states announced */
	const uint8_t states[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
	assert_int_equal(decode_bytes(states, sizeof states), WIRE_TOO_MANY);
	/* 65536 states announced but none present: truncated, without a big allocation */
	const uint8_t states_max[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
	assert_int_equal(decode_bytes(states_max, sizeof states_max), WIRE_TRUNCATED);

	/* a ping target of 129 bytes */
	uint8_t ping[5 + 4 + 1 + 129 + 2] = {'S', 'W', 1, SWIM_MSG_PING, 0, 0, 0, 0, 1, 129};
	memset(ping + 10, 'a', 129);
	assert_int_equal(decode_bytes(ping, sizeof ping), WIRE_TOO_LONG);
	/* 128 is the limit and fine */
	ping[9] = 128;
	ping[138] = ping[139] = 0;
	assert_int_equal(decode_bytes(ping, sizeof ping - 1), WIRE_OK);
	/* an indirect ping's address of 64 bytes */
	uint8_t ind[5 + 4 + 2 + 1 + 64 + 2 + 2] = {'S', 'W', 1, SWIM_MSG_INDIRECT_PING, 1, 0, 0, 0, 1, 1, 'x', 64};
	memset(ind + 12, '1', 64);
	assert_int_equal(decode_bytes(ind, sizeof ind), WIRE_TOO_LONG);

	/* a user event payload of 513 bytes, and a tags blob of 513 */
	uint8_t ev[5 + 2 + 1 + 1 + 8 + 2 + 2 + 2 + 513] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, SWIM_UPD_USER_EVENT};
	size_t o = 8;
	ev[o++] = 0;      /* flags */
	o += 8;           /* ltime */
	ev[o++] = 1;
	ev[o++] = 'n';    /* from */
	ev[o++] = 1;
	ev[o++] = 'e';    /* name */
	ev[o++] = 0x02;
	ev[o++] = 0x01;   /* payload length 513 */
	assert_int_equal(o + 513, sizeof ev);
	assert_int_equal(decode_bytes(ev, sizeof ev), WIRE_TOO_LONG);
	ev[o - 1] = 0x00; /* 512: the limit */
	assert_int_equal(decode_bytes(ev, sizeof ev - 1), WIRE_OK);

	uint8_t al[5 + 2 + 1 + 4 + 2 + 2 + 2 + 2 + 513] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, SWIM_UPD_ALIVE};
	o = 8 + 4;
	al[o++] = 1;
	al[o++] = 'n';
	al[o++] = 1;
	al[o++] = 'a';
	o += 2;           /* port */
	al[o++] = 0x02;
	al[o++] = 0x01;
	assert_int_equal(o + 513, sizeof al);
	assert_int_equal(decode_bytes(al, sizeof al), WIRE_TOO_LONG);
}

static void test_bad_contents(void **state)
{
	(void)state;
	/* a NUL inside a name */
	const uint8_t nul[] = {'S', 'W', 1, SWIM_MSG_PING, 0, 0, 0, 0, 1, 3, 'a', 0, 'b', 0, 0};
	assert_int_equal(decode_bytes(nul, sizeof nul), WIRE_BAD_STRING);
	/* an indirect ping without a target name, or without its address (found by the fuzzer) */
	const uint8_t noname[] = {'S', 'W', 1, SWIM_MSG_INDIRECT_PING, 0, 0, 0, 0, 3, 0, 1, 'a', 0, 42, 0, 0};
	assert_int_equal(decode_bytes(noname, sizeof noname), WIRE_EMPTY);
	const uint8_t noaddr[] = {'S', 'W', 1, SWIM_MSG_INDIRECT_PING, 0, 0, 0, 0, 3, 1, 'n', 0, 0, 42, 0, 0};
	assert_int_equal(decode_bytes(noaddr, sizeof noaddr), WIRE_EMPTY);
	const uint8_t both[] = {'S', 'W', 1, SWIM_MSG_INDIRECT_PING, 0, 0, 0, 0, 3, 1, 'n', 1, 'a', 0, 42, 0, 0};
	assert_int_equal(decode_bytes(both, sizeof both), WIRE_OK);
	/* an unknown update type */
	const uint8_t upd[] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, 9};
	assert_int_equal(decode_bytes(upd, sizeof upd), WIRE_BAD_UPDATE_TYPE);
	/* suspect without a from: swim_update_new refuses it */
	const uint8_t nofrom[] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, SWIM_UPD_SUSPECT, 0, 0, 0, 1, 1, 'n', 0};
	assert_int_equal(decode_bytes(nofrom, sizeof nofrom), WIRE_BAD_UPDATE);
	/* alive with a tags blob missing its last NUL */
	const uint8_t badtags[] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, SWIM_UPD_ALIVE, 0, 0, 0, 1,
				   1, 'n', 1, 'a', 0x1f, 0x90, 0, 3, 'k', 0, 'v'};
	assert_int_equal(decode_bytes(badtags, sizeof badtags), WIRE_BAD_UPDATE);
	/* user event with an unknown flag */
	const uint8_t evflag[] = {'S', 'W', 1, SWIM_MSG_GOSSIP, 0, 0, 1, SWIM_UPD_USER_EVENT, 2};
	assert_int_equal(decode_bytes(evflag, sizeof evflag), WIRE_BAD_FLAGS);
	/* a push/pull entry with state 4, and one whose record is not an alive one */
	const uint8_t st[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4};
	assert_int_equal(decode_bytes(st, sizeof st), WIRE_BAD_STATE);
	const uint8_t notalive[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
				    0, 0, 0, 1, SWIM_UPD_DEAD, 0, 0, 0, 1, 1, 'n', 1, 'f', 0, 0};
	assert_int_equal(decode_bytes(notalive, sizeof notalive), WIRE_BAD_STATE);
	/* the same with an alive record decodes */
	const uint8_t isalive[] = {'S', 'W', 1, SWIM_MSG_PUSH_PULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
				   0, 0, 0, 1, SWIM_UPD_ALIVE, 0, 0, 0, 1, 1, 'n', 1, 'a', 0, 1, 0, 0, 0, 0};
	assert_int_equal(decode_bytes(isalive, sizeof isalive), WIRE_OK);
}

static void test_encoder_refuses_what_swim_cannot_make(void **state)
{
	(void)state;
	struct swim_msg m;
	struct buf b;
	buf_init(&b);
	swim_msg_init(&m, SWIM_MSG_PING);
	memset(m.target, 'a', sizeof m.target);  /* no NUL */
	assert_int_equal(wire_encode(&m, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	swim_msg_init(&m, (enum swim_msg_type)9);
	assert_int_equal(wire_encode(&m, &b), -EINVAL);
	buf_free(&b);
}

static struct swim_update *big_alive(int i)
{
	char name[SWIM_NAME_MAX + 1];
	uint8_t tags[300];
	memset(name, 'n', SWIM_NAME_MAX);
	snprintf(name, sizeof name, "node-%03d-", i);
	name[strlen(name)] = 'x';  /* replace the NUL: a 128-byte name */
	name[SWIM_NAME_MAX] = 0;
	memset(tags, 't', sizeof tags);
	tags[99] = 0;
	tags[299] = 0;
	struct swim_update t = {.type = SWIM_UPD_ALIVE, .incarnation = (uint32_t)i, .node = name,
				.addr = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", .port = 8301, .tags = tags,
				.tags_len = sizeof tags};
	struct swim_update *u = swim_update_new(&t);
	assert_non_null(u);
	return u;
}

static void test_packet_packing_respects_the_budget(void **state)
{
	(void)state;
	struct swim_msg m;
	swim_msg_init(&m, SWIM_MSG_INDIRECT_PING);
	memset(m.target, 'T', SWIM_NAME_MAX);  /* the biggest header there is */
	memset(m.target_addr.host, 'A', SWIM_ADDR_MAX);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(swim_msg_add_update(&m, big_alive(i)), 0);
		if (i % 3 == 0)
			assert_int_equal(swim_msg_add_update(&m, fact(SWIM_UPD_DEAD, "x", 1)), 0);
	}
	/* each update takes exactly wire_update_len bytes, within swim_update_wire_size */
	for (size_t i = 0; i < m.nupdates; i++)
		assert_true(wire_update_len(m.updates[i]) <= swim_update_wire_size(m.updates[i]));

	struct buf b;
	buf_init(&b);
	int n = wire_encode_packet(&m, WIRE_UDP_MAX, &b);
	assert_true(n > 0 && (size_t)n < m.nupdates);
	assert_true(b.len <= WIRE_UDP_MAX);
	/* maximal: the next update would not have fit */
	assert_true(b.len + wire_update_len(m.updates[n]) > WIRE_UDP_MAX);
	struct swim_msg d;
	assert_int_equal(wire_decode((const uint8_t *)b.data, b.len, &d), WIRE_OK);
	assert_int_equal(d.nupdates, (size_t)n);
	for (int i = 0; i < n; i++)
		assert_update_equal(d.updates[i], m.updates[i]);
	/* one byte less and the last update no longer fits */
	struct buf less;
	buf_init(&less);
	assert_int_equal(wire_encode_packet(&m, b.len - 1, &less), n - 1);
	assert_int_equal(less.len, b.len - wire_update_len(m.updates[n - 1]));
	buf_free(&less);
	swim_msg_free(&d);

	/* the biggest header alone is over a tiny budget */
	buf_reset(&b);
	assert_int_equal(wire_encode_packet(&m, 20, &b), -E2BIG);
	assert_int_equal(b.len, 0);
	swim_msg_free(&m);
	buf_free(&b);
}

static void test_packet_packing_fits_everything_when_small(void **state)
{
	(void)state;
	for (int i = 0; i < NSAMPLES; i++) {
		struct swim_msg m, d;
		struct buf full, pkt;
		encode_sample(i, &m, &full);
		buf_init(&pkt);
		assert_int_equal(wire_encode_packet(&m, WIRE_UDP_MAX, &pkt), (int)m.nupdates);
		assert_int_equal(pkt.len, full.len);
		/* sum of parts: exact sizes */
		size_t upd = 0;
		for (size_t j = 0; j < m.nupdates; j++)
			upd += wire_update_len(m.updates[j]);
		buf_reset(&pkt);
		assert_int_equal(wire_encode_packet(&m, full.len - upd, &pkt), 0);
		assert_int_equal(pkt.len, full.len - upd);
		assert_int_equal(wire_decode((const uint8_t *)pkt.data, pkt.len, &d), WIRE_OK);
		assert_int_equal(d.nupdates, 0);
		swim_msg_free(&d);
		swim_msg_free(&m);
		buf_free(&full);
		buf_free(&pkt);
	}
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(wire_err_name(WIRE_OK), "ok");
	assert_string_equal(wire_err_name(WIRE_BAD_MAGIC), "bad_magic");
	assert_string_equal(wire_err_name(WIRE_TRAILING), "trailing");
	assert_string_equal(wire_err_name(WIRE_NERRORS), "unknown");
	assert_string_equal(wire_err_text(WIRE_TRUNCATED), "truncated");
	for (int e = 0; e < WIRE_NERRORS; e++)
		assert_true(strlen(wire_err_name((enum wire_err)e)) > 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_every_truncation_is_rejected),
		cmocka_unit_test(test_trailing_bytes_are_rejected),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_oversized_counts_and_fields),
		cmocka_unit_test(test_bad_contents),
		cmocka_unit_test(test_encoder_refuses_what_swim_cannot_make),
		cmocka_unit_test(test_packet_packing_respects_the_budget),
		cmocka_unit_test(test_packet_packing_fits_everything_when_small),
		cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
