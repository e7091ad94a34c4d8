/* test_server_link.c: a client agent keeps its server while it is alive, moves to the next
 * alive server of its datacenter when it is not, and ignores clients, other datacenters and
 * failed servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server_link.h"

static const char members[] =
	"[{\"Name\":\"a\",\"Addr\":\"10.0.0.1\",\"Status\":1,\"Tags\":{\"role\":\"consul\",\"dc\":\"dc1\",\"port\":\"8300\"}},"
	" {\"Name\":\"b\",\"Addr\":\"10.0.0.2\",\"Status\":4,\"Tags\":{\"role\":\"consul\",\"dc\":\"dc1\",\"port\":\"8300\"}},"
	" {\"Name\":\"c\",\"Addr\":\"10.0.0.3\",\"Status\":1,\"Tags\":{\"role\":\"consul\",\"dc\":\"dc1\",\"port\":\"9300\"}},"
	" {\"Name\":\"d\",\"Addr\":\"10.0.0.4\",\"Status\":1,\"Tags\":{\"role\":\"node\",\"dc\":\"dc1\"}},"
	" {\"Name\":\"e\",\"Addr\":\"10.0.0.5\",\"Status\":1,\"Tags\":{\"role\":\"consul\",\"dc\":\"dc2\",\"port\":\"8300\"}}]";

static void choose(const char *current, char *out)
{
	server_link_choose(members, strlen(members), "dc1", "me", current, out, 64);
}

static void test_keeps_alive_server(void **state)
{
	(void)state;
	char out[64];
	choose("10.0.0.3:9300", out);
	assert_string_equal(out, "10.0.0.3:9300");
}

static void test_moves_on_from_failed(void **state)
{
	(void)state;
	char out[64];
	choose("10.0.0.2:8300", out);  /* failed: the next alive one */
	assert_string_equal(out, "10.0.0.3:9300");
	choose("10.0.0.9:8300", out);  /* gone, and last: wraps around */
	assert_string_equal(out, "10.0.0.1:8300");
}

static void test_first_choice_is_a_server_of_our_dc(void **state)
{
	(void)state;
	char out[64];
	choose("", out);
	assert_true(strcmp(out, "10.0.0.1:8300") == 0 || strcmp(out, "10.0.0.3:9300") == 0);
	server_link_choose(members, strlen(members), "dc3", "me", "", out, sizeof out);
	assert_string_equal(out, "");
	server_link_choose("not json", 8, "dc1", "me", "10.0.0.1:8300", out, sizeof out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_alive_server),
		cmocka_unit_test(test_moves_on_from_failed),
		cmocka_unit_test(test_first_choice_is_a_server_of_our_dc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
