/* test_base64.c: RFC 4648 test vectors, and malformed input refused without output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

static const char *const vectors[][2] = {
	{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
	{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(base64_encode(&b, vectors[i][0], strlen(vectors[i][0])), 0);
		assert_int_equal(b.len, strlen(vectors[i][1]));
		if (b.len)
			assert_memory_equal(b.data, vectors[i][1], b.len);
		buf_reset(&b);
		assert_int_equal(base64_decode(&b, vectors[i][1], strlen(vectors[i][1])), 0);
		assert_int_equal(b.len, strlen(vectors[i][0]));
		if (b.len)
			assert_memory_equal(b.data, vectors[i][0], b.len);
		buf_free(&b);
	}
}

static void test_binary_round_trip(void **state)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	struct buf enc, dec;
	buf_init(&enc);
	buf_init(&dec);
	base64_encode(&enc, all, sizeof all);
	assert_int_equal(base64_decode(&dec, enc.data, enc.len), 0);
	assert_int_equal(dec.len, sizeof all);
	assert_memory_equal(dec.data, all, sizeof all);
	buf_free(&enc);
	buf_free(&dec);
}

static void test_malformed(void **state)
{
	const char *bad[] = {"Zg=", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm=v"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(base64_decode(&b, bad[i], strlen(bad[i])), -EINVAL);
		assert_int_equal(b.len, 0);
		buf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_binary_round_trip),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
