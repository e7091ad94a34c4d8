/* test_join_addr.c: join addresses parse as Consul's do (default port, IPv6 brackets, names
 * resolved), and malformed ones are refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "join_addr.h"

static void ok(const char *text, const char *host, unsigned port)
{
	struct swim_addr a;
	char err[128];
	assert_int_equal(join_resolve(text, 8301, &a, err, sizeof err), 0);
	assert_string_equal(a.host, host);
	assert_int_equal(a.port, port);
}

static void bad(const char *text)
{
	struct swim_addr a;
	char err[128] = "";
	assert_int_equal(join_resolve(text, 8301, &a, err, sizeof err), -1);
	assert_true(err[0] != '\0');
}

static void test_forms(void **state)
{
	(void)state;
	ok("10.0.0.1", "10.0.0.1", 8301);
	ok("10.0.0.1:9000", "10.0.0.1", 9000);
	ok("[::1]:8302", "::1", 8302);
	ok("[::1]", "::1", 8301);
	ok("::1", "::1", 8301);
	struct swim_addr a;
	char err[128];
	assert_int_equal(join_resolve("localhost", 8301, &a, err, sizeof err), 0);
	assert_true(strcmp(a.host, "127.0.0.1") == 0 || strcmp(a.host, "::1") == 0);
}

static void test_refused(void **state)
{
	(void)state;
	bad("");
	bad(":8301");
	bad("10.0.0.1:");
	bad("10.0.0.1:0");
	bad("10.0.0.1:70000");
	bad("10.0.0.1:80x");
	bad("[::1");
	bad("[::1]x");
	bad("no-such-host.invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
