/* test_utf8.c: valid UTF-8 passes through; every invalid byte becomes U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static void expect(const char *in, size_t len, const char *want)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(utf8_clean(&b, in, len), 0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void test_valid_kept(void **state)
{
	expect("plain", 5, "plain");
	expect("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void test_invalid_replaced(void **state)
{
	expect("a\xff" "b", 3, "a\xef\xbf\xbd" "b");
	expect("\xc3", 1, "\xef\xbf\xbd");                        /* truncated sequence */
	expect("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");         /* overlong */
	expect("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	expect("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_kept),
		cmocka_unit_test(test_invalid_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
