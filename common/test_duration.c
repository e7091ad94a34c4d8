/* test_duration.c: Go-style durations parse and print as Consul users write them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "duration.h"

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		uint64_t ms;
	} ok[] = {{"0", 0}, {"10s", 10000}, {"500ms", 500}, {"1m30s", 90000}, {"72h", 259200000},
		  {"1.5s", 1500}, {"2h45m", 9900000}, {"100us", 0}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t ms = 12345;
		assert_int_equal(duration_parse_ms(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	const char *bad[] = {"", "10", "s", "10x", "-5s", "1.s5", "ms", "1h-1m"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t ms = 7;
		assert_int_equal(duration_parse_ms(bad[i], &ms), -EINVAL);
		assert_int_equal(ms, 7);
	}
}

static void test_format(void **state)
{
	char out[32];
	duration_format_ms(0, out, sizeof out);
	assert_string_equal(out, "0s");
	duration_format_ms(10000, out, sizeof out);
	assert_string_equal(out, "10s");
	duration_format_ms(90000, out, sizeof out);
	assert_string_equal(out, "1m30s");
	duration_format_ms(259200000, out, sizeof out);
	assert_string_equal(out, "72h0m0s");
	duration_format_ms(1500, out, sizeof out);
	assert_string_equal(out, "1.5s");
	duration_format_ms(250, out, sizeof out);
	assert_string_equal(out, "250ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
