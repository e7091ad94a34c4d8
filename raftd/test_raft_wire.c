/* test_raft_wire.c: Raft messages survive encode/decode, and the decoder refuses every
 * truncation, trailing byte and out-of-range field instead of reading past its input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raft_wire.h"

static struct raft_wire_msg out; /* big: off the stack */

static struct raft_msg append_msg(struct raft_entry *e)
{
	static unsigned char a[] = "first", b[] = "{\"Op\":\"kv_set\"}";
	e[0] = (struct raft_entry){.term = 3, .index = 8, .type = RAFT_ENTRY_NOOP};
	e[1] = (struct raft_entry){.term = 3, .index = 9, .type = RAFT_ENTRY_NORMAL, .len = 5, .data = a};
	e[2] = (struct raft_entry){.term = 3, .index = 10, .type = RAFT_ENTRY_NORMAL, .len = sizeof b - 1, .data = b};
	return (struct raft_msg){.type = RAFT_MSG_APPEND, .from = 1, .to = 0xfedcba9876543210ull, .term = 3,
				 .index = 7, .log_term = 2, .commit = 6, .ctx = 99, .n_entries = 3, .entries = e};
}

static void test_append_round_trip(void **state)
{
	struct raft_entry e[3];
	struct raft_msg m = append_msg(e);
	struct buf b;
	buf_init(&b);
	assert_int_equal(raft_wire_encode(&b, &m, "127.0.0.50:8300"), 0);
	const char *why = NULL;
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), 0);
	assert_int_equal(out.msg.type, RAFT_MSG_APPEND);
	assert_string_equal(out.from_addr, "127.0.0.50:8300");
	assert_int_equal(out.msg.to, 0xfedcba9876543210ull);
	assert_int_equal(out.msg.commit, 6);
	assert_int_equal(out.msg.ctx, 99);
	assert_int_equal(out.msg.n_entries, 3);
	assert_int_equal(out.msg.entries[0].type, RAFT_ENTRY_NOOP);
	assert_int_equal(out.msg.entries[2].index, 10);
	assert_int_equal(out.msg.entries[2].len, e[2].len);
	assert_memory_equal(out.msg.entries[2].data, e[2].data, e[2].len);
	/* Every truncation is refused, never read past. */
	for (size_t cut = 0; cut < b.len; cut++) {
		unsigned char *copy = malloc(cut ? cut : 1);
		memcpy(copy, b.data, cut);
		assert_int_equal(raft_wire_decode(copy, cut, &out, &why), -EPROTO);
		free(copy);
	}
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	assert_string_equal(why, "trailing bytes");
	buf_free(&b);
}

static void test_vote_flags(void **state)
{
	struct raft_msg m = {.type = RAFT_MSG_VOTE_RESP, .from = 2, .to = 1, .term = 5, .reject = true};
	struct buf b;
	buf_init(&b);
	assert_int_equal(raft_wire_encode(&b, &m, "127.0.0.50:8300"), 0);
	const char *why;
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), 0);
	assert_true(out.msg.reject);
	assert_false(out.msg.transfer);
	assert_null(out.msg.entries);
	b.data[2] = 0x7; /* an unknown flag */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	b.data[2] = 0;
	b.data[1] = 13; /* an unknown type */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	b.data[1] = 4;
	b.data[3] = RAFT_ADDR_MAX; /* a sender address longer than any */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	b.data[3] = 15;
	b.data[5] = '\0'; /* a NUL inside it */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	b.data[5] = '7';
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), 0);
	b.data[0] = 2; /* a version we do not speak */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	buf_free(&b);
}

static void test_snapshot_round_trip(void **state)
{
	struct raft_snapshot s = {.index = 500, .term = 4, .data = (const unsigned char *)"{\"kv\":[]}", .len = 9};
	s.config.n = 2;
	s.config.servers[0].id = 1;
	strcpy(s.config.servers[0].addr, "127.0.0.50:8300");
	s.config.servers[1].id = 2;
	strcpy(s.config.servers[1].addr, "127.0.0.51:8300");
	struct raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .from = 1, .to = 2, .term = 4, .snapshot = &s};
	struct buf b;
	buf_init(&b);
	assert_int_equal(raft_wire_encode(&b, &m, "127.0.0.50:8300"), 0);
	const char *why;
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), 0);
	assert_non_null(out.msg.snapshot);
	assert_int_equal(out.msg.snapshot->index, 500);
	assert_int_equal(out.msg.snapshot->config.n, 2);
	assert_string_equal(out.msg.snapshot->config.servers[1].addr, "127.0.0.51:8300");
	assert_int_equal(out.msg.snapshot->len, 9);
	assert_memory_equal(out.msg.snapshot->data, "{\"kv\":[]}", 9);
	b.data[b.len - 10] ^= 0x10; /* the data length's low byte now disagrees with the bytes left */
	assert_int_equal(raft_wire_decode((unsigned char *)b.data, b.len, &out, &why), -EPROTO);
	buf_free(&b);
}

static void test_entry_count_limits(void **state)
{
	struct raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2};
	struct buf b;
	buf_init(&b);
	assert_int_equal(raft_wire_encode(&b, &m, "127.0.0.50:8300"), 0);
	const char *why;
	unsigned char *p = (unsigned char *)b.data;
	p[b.len - 1] = 1; /* one entry claimed by a heartbeat, none there */
	assert_int_equal(raft_wire_decode(p, b.len, &out, &why), -EPROTO);
	p[1] = RAFT_MSG_APPEND;
	p[b.len - 4] = 0xff; /* billions of entries claimed */
	assert_int_equal(raft_wire_decode(p, b.len, &out, &why), -EPROTO);
	assert_string_equal(why, "too many entries");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_round_trip),
		cmocka_unit_test(test_vote_flags),
		cmocka_unit_test(test_snapshot_round_trip),
		cmocka_unit_test(test_entry_count_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
