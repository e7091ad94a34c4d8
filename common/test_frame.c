/* test_frame.c: the framing round-trips, waits for whole frames, and refuses bad headers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

static void test_round_trip(void **state)
{
	struct buf b;
	buf_init(&b);
	struct frame_hdr h = {.type = 13, .flags = FRAME_REPLY, .request_id = 0xdeadbeef, .sender = 42};
	assert_int_equal(frame_append(&b, &h, "hello", 5), 0);
	assert_int_equal(b.len, FRAME_HDR_LEN + 5);

	struct frame_hdr got;
	const uint8_t *payload;
	assert_int_equal(frame_decode((uint8_t *)b.data, b.len, &got, &payload), FRAME_HDR_LEN + 5);
	assert_int_equal(got.type, 13);
	assert_int_equal(got.flags, FRAME_REPLY);
	assert_int_equal(got.request_id, 0xdeadbeef);
	assert_int_equal(got.sender, 42);
	assert_int_equal(got.len, 5);
	assert_memory_equal(payload, "hello", 5);
	buf_free(&b);
}

static void test_partial_needs_more(void **state)
{
	struct buf b;
	buf_init(&b);
	struct frame_hdr h = {.type = 1};
	frame_append(&b, &h, "abcdef", 6);
	struct frame_hdr got;
	const uint8_t *payload;
	for (size_t cut = 0; cut < b.len; cut++)
		assert_int_equal(frame_decode((uint8_t *)b.data, cut, &got, &payload), 0);
	buf_free(&b);
}

static void test_two_frames_back_to_back(void **state)
{
	struct buf b;
	buf_init(&b);
	struct frame_hdr h1 = {.type = 1, .request_id = 1}, h2 = {.type = 2, .request_id = 2};
	frame_append(&b, &h1, "a", 1);
	frame_append(&b, &h2, "", 0);
	struct frame_hdr got;
	const uint8_t *payload;
	ssize_t n = frame_decode((uint8_t *)b.data, b.len, &got, &payload);
	assert_int_equal(n, FRAME_HDR_LEN + 1);
	n = frame_decode((uint8_t *)b.data + n, b.len - (size_t)n, &got, &payload);
	assert_int_equal(n, FRAME_HDR_LEN);
	assert_int_equal(got.type, 2);
	buf_free(&b);
}

static void test_oversized_refused_early(void **state)
{
	/* Only the header is present: the length alone must be enough to refuse it. */
	uint8_t h[FRAME_HDR_LEN] = {0xff, 0xff, 0xff, 0xff};
	struct frame_hdr got;
	const uint8_t *payload;
	assert_int_equal(frame_decode(h, sizeof h, &got, &payload), -EMSGSIZE);
	struct buf b;
	buf_init(&b);
	struct frame_hdr hdr = {0};
	assert_int_equal(frame_append(&b, &hdr, "", (size_t)FRAME_MAX_PAYLOAD + 1), -EMSGSIZE);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_unknown_flags_refused(void **state)
{
	uint8_t h[FRAME_HDR_LEN] = {0, 0, 0, 0, 0, 1, 0, 0x80};
	struct frame_hdr got;
	const uint8_t *payload;
	assert_int_equal(frame_decode(h, sizeof h, &got, &payload), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_partial_needs_more),
		cmocka_unit_test(test_two_frames_back_to_back),
		cmocka_unit_test(test_oversized_refused_early),
		cmocka_unit_test(test_unknown_flags_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
