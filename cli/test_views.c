/* test_views.c: what `consul members` and `consul keyring -list` print for the agent's JSON:
 * columns, order, the status filter and its exit code 2, -detailed tags, keyring pools. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keyring_view.h"
#include "members_view.h"

/* Runs a view into a string. */
struct captured {
	char *text;
	int rc;
	char err[160];
};

static struct captured members_text(const char *body, bool detailed, const char *status)
{
	struct captured c = {0};
	size_t len;
	FILE *out = open_memstream(&c.text, &len);
	regex_t re;
	if (status)
		assert_int_equal(regcomp(&re, status, REG_EXTENDED | REG_NOSUB), 0);
	struct members_view_opts o = {.detailed = detailed, .status_re = status ? &re : NULL, .all_segments = true};
	c.rc = members_view(body, strlen(body), &o, out, c.err, sizeof c.err);
	fclose(out);
	if (status)
		regfree(&re);
	return c;
}

static const char cluster[] =
	"[{\"Name\":\"zeta-client\",\"Addr\":\"127.0.0.61\",\"Port\":8301,\"Status\":1,"
	"\"Tags\":{\"role\":\"node\",\"dc\":\"dc1\",\"build\":\"1.17.0:abc\",\"vsn\":\"2\",\"id\":\"x\"}},"
	"{\"Name\":\"agent-one\",\"Addr\":\"127.0.0.60\",\"Port\":8301,\"Status\":1,"
	"\"Tags\":{\"role\":\"consul\",\"dc\":\"dc1\",\"build\":\"1.17.0:abc\",\"vsn\":\"2\",\"port\":\"8300\"}},"
	"{\"Name\":\"alpha-client\",\"Addr\":\"127.0.0.62\",\"Port\":8301,\"Status\":4,"
	"\"Tags\":{\"role\":\"node\",\"dc\":\"dc1\",\"build\":\"1.17.0:abc\",\"vsn\":\"2\"}},"
	"{\"Name\":\"gone\",\"Addr\":\"127.0.0.63\",\"Port\":8301,\"Status\":3,"
	"\"Tags\":{\"role\":\"node\",\"dc\":\"dc1\",\"build\":\"1.17.0:abc\",\"vsn\":\"2\"}}]";

static void test_members_standard(void **state)
{
	struct captured c = members_text(cluster, false, NULL);
	assert_int_equal(c.rc, 0);
	/* servers first, then by name; Consul's nine columns */
	assert_string_equal(c.text,
			    "Node          Address          Status  Type    Build   Protocol  DC   Partition  Segment\n"
			    "agent-one     127.0.0.60:8301  alive   server  1.17.0  2         dc1  default    <all>\n"
			    "alpha-client  127.0.0.62:8301  failed  client  1.17.0  2         dc1  default    <default>\n"
			    "gone          127.0.0.63:8301  left    client  1.17.0  2         dc1  default    <default>\n"
			    "zeta-client   127.0.0.61:8301  alive   client  1.17.0  2         dc1  default    <default>\n");
	free(c.text);
}

static void test_members_status_filter(void **state)
{
	struct captured c = members_text(cluster, false, "^(failed|left)$");
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.text, "alpha-client"));
	assert_non_null(strstr(c.text, "gone"));
	assert_null(strstr(c.text, "agent-one"));
	free(c.text);
	/* nothing matches: exit code 2 and no output at all, not even the header */
	c = members_text(cluster, false, "leaving");
	assert_int_equal(c.rc, 2);
	assert_string_equal(c.text, "");
	free(c.text);
	/* an empty pool (a client's WAN members) is "none matched" too */
	c = members_text("null", false, NULL);
	assert_int_equal(c.rc, 2);
	free(c.text);
}

static void test_members_detailed(void **state)
{
	const char *one = "[{\"Name\":\"agent-one\",\"Addr\":\"::1\",\"Port\":8301,\"Status\":1,"
			  "\"Tags\":{\"vsn\":\"2\",\"role\":\"consul\",\"dc\":\"dc1\",\"port\":\"8300\"}}]";
	struct captured c = members_text(one, true, NULL);
	assert_int_equal(c.rc, 0);
	/* tags sorted by key, with the partition and segment Consul's CLI fills in */
	assert_string_equal(c.text, "Node       Address     Status  Tags\n"
				    "agent-one  [::1]:8301  alive   ap=default,dc=dc1,port=8300,role=consul,segment=<all>,vsn=2\n");
	free(c.text);
}

static void test_members_odd_input(void **state)
{
	/* no build tag, unknown role */
	const char *odd = "[{\"Name\":\"old\",\"Addr\":\"10.0.0.1\",\"Port\":8301,\"Status\":1,"
			  "\"Tags\":{\"role\":\"node\",\"dc\":\"dc1\"}},"
			  "{\"Name\":\"serf\",\"Addr\":\"10.0.0.2\",\"Port\":7946,\"Status\":9,\"Tags\":{}}]";
	struct captured c = members_text(odd, false, NULL);
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.text, "old   10.0.0.1:8301  alive    client   < 0.3            dc1"));
	assert_non_null(strstr(c.text, "serf  10.0.0.2:7946  unknown  unknown\n"));
	free(c.text);
	c = members_text("{\"x\":1}", false, NULL);
	assert_int_equal(c.rc, -1);
	assert_non_null(strstr(c.err, "not a list"));
	free(c.text);
	c = members_text("[{", false, NULL);
	assert_int_equal(c.rc, -1);
	free(c.text);
}

static struct captured keyring_text(const char *body, bool primary)
{
	struct captured c = {0};
	size_t len;
	FILE *out = open_memstream(&c.text, &len);
	c.rc = keyring_view(body, strlen(body), primary, out, c.err, sizeof c.err);
	fclose(out);
	return c;
}

static void test_keyring_list(void **state)
{
	const char *body =
		"[{\"WAN\":true,\"Datacenter\":\"dc1\",\"Segment\":\"\",\"Partition\":\"\","
		"\"Keys\":{\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\":1},"
		"\"PrimaryKeys\":{\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\":1},\"NumNodes\":1},"
		"{\"WAN\":false,\"Datacenter\":\"dc1\",\"Segment\":\"\",\"Partition\":\"default\","
		"\"Keys\":{\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\":2,\"ZWTL+bgjHyQPhJRKcFe3ccirc2SFHmc/Nw67l8NQfdk=\":1},"
		"\"PrimaryKeys\":{\"pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\":2},"
		"\"Messages\":{\"node-b\":\"key not installed\"},\"NumNodes\":2}]";
	struct captured c = keyring_text(body, false);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.text, "\nWAN:\n"
				    "  pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s= [1/1]\n"
				    "\ndc1 (LAN):\n"
				    "  ===> node-b: key not installed\n"
				    "  ZWTL+bgjHyQPhJRKcFe3ccirc2SFHmc/Nw67l8NQfdk= [1/2]\n"
				    "  pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s= [2/2]\n");
	free(c.text);
	c = keyring_text(body, true);
	assert_int_equal(c.rc, 0);
	assert_null(strstr(c.text, "ZWTL"));
	assert_non_null(strstr(c.text, "dc1 (LAN):\n  ===> node-b: key not installed\n  pUqJ"));
	free(c.text);
	c = keyring_text("[{\"Datacenter\":\"dc2\",\"Segment\":\"alpha\",\"NumNodes\":0}]", false);
	assert_string_equal(c.text, "\ndc2 (LAN) [alpha]:\n");
	free(c.text);
	c = keyring_text("\"nope\"", false);
	assert_int_equal(c.rc, -1);
	free(c.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_standard),
		cmocka_unit_test(test_members_status_filter),
		cmocka_unit_test(test_members_detailed),
		cmocka_unit_test(test_members_odd_input),
		cmocka_unit_test(test_keyring_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
