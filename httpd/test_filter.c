/* test_filter.c: the ?filter= language: what parses, what is refused (with where), and which
 * elements each operator keeps on Consul-shaped replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/json.h"
#include "filter.h"

/* Two /v1/health/service entries, as raftd renders them. */
static const char health_entries[] =
	"[{\"Node\":{\"Node\":\"n1\",\"Address\":\"10.0.0.1\",\"Meta\":{\"env\":\"prod\",\"rack\":\"r1\"}},"
	"\"Service\":{\"ID\":\"web1\",\"Service\":\"web\",\"Tags\":[\"primary\",\"v1\"],\"Port\":8080,"
	"\"Meta\":{},\"EnableTagOverride\":false},"
	"\"Checks\":[{\"CheckID\":\"serfHealth\",\"Status\":\"passing\"},{\"CheckID\":\"c1\",\"Status\":\"critical\"}]},"
	"{\"Node\":{\"Node\":\"n2\",\"Address\":\"10.0.0.2\",\"Meta\":{\"env\":\"dev\"}},"
	"\"Service\":{\"ID\":\"web2\",\"Service\":\"web\",\"Tags\":[],\"Port\":9090,\"Meta\":null,"
	"\"EnableTagOverride\":true},"
	"\"Checks\":[{\"CheckID\":\"serfHealth\",\"Status\":\"passing\"}]}]";

/* Applies expr to the entries; returns the IDs kept, comma-separated, in a static buffer. */
static const char *kept(const char *expr)
{
	static char ids[256];
	char err[256];
	struct filter *f = filter_compile(expr, err, sizeof err);
	if (!f)
		fail_msg("%s: %s", expr, err);
	struct buf out;
	buf_init(&out);
	assert_int_equal(filter_apply(f, health_entries, strlen(health_entries), NULL, &out), 0);
	yajl_val v = json_parse(out.data, out.len, err, sizeof err);
	assert_non_null(v);
	ids[0] = '\0';
	for (size_t i = 0; i < json_arr_len(v); i++) {
		const char *id = json_str(json_get(json_get(json_arr_at(v, i), "Service"), "ID"));
		snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? "," : "", id);
	}
	yajl_tree_free(v);
	buf_free(&out);
	filter_free(f);
	return ids;
}

static void test_equality(void **state)
{
	(void)state;
	assert_string_equal(kept("Service.ID == web1"), "web1");
	assert_string_equal(kept("Service.ID == \"web2\""), "web2");
	assert_string_equal(kept("Service.ID == `web2`"), "web2");
	assert_string_equal(kept("Service.ID != web1"), "web2");
	assert_string_equal(kept("Service.Port == 9090"), "web2");
	assert_string_equal(kept("Service.Port != 9090.0"), "web1");
	assert_string_equal(kept("Service.EnableTagOverride == true"), "web2");
	assert_string_equal(kept("Service.EnableTagOverride == false"), "web1");
	assert_string_equal(kept("Node.Meta.env == prod"), "web1");
	assert_string_equal(kept("Node.Meta[\"env\"] == \"dev\""), "web2");
	/* case-sensitive names, as Consul's selectors */
	assert_string_equal(kept("service.ID == web1"), "");
}

static void test_missing_members(void **state)
{
	(void)state;
	/* n2 has no rack: equality fails, inequality and "is empty" hold */
	assert_string_equal(kept("Node.Meta.rack == r1"), "web1");
	assert_string_equal(kept("Node.Meta.rack != r1"), "web2");
	assert_string_equal(kept("Node.Meta.rack is empty"), "web2");
	assert_string_equal(kept("Node.Meta.rack is not empty"), "web1");
	assert_string_equal(kept("Nope.Deeper == x"), "");
	assert_string_equal(kept("Nope.Deeper != x"), "web1,web2");
}

static void test_emptiness_and_contains(void **state)
{
	(void)state;
	assert_string_equal(kept("Service.Tags is empty"), "web2");
	assert_string_equal(kept("Service.Tags is not empty"), "web1");
	assert_string_equal(kept("Service.Meta is empty"), "web1,web2"); /* {} and null */
	assert_string_equal(kept("primary in Service.Tags"), "web1");
	assert_string_equal(kept("\"primary\" not in Service.Tags"), "web2");
	assert_string_equal(kept("Service.Tags contains v1"), "web1");
	assert_string_equal(kept("Service.Tags not contains v1"), "web2");
	assert_string_equal(kept("rack in Node.Meta"), "web1"); /* a map: its keys */
	assert_string_equal(kept("Node.Address contains \".0.2\""), "web2"); /* a string: substring */
	assert_string_equal(kept("\"10.0\" in Node.Address"), "web1,web2");
}

static void test_arrays_match_any_element(void **state)
{
	(void)state;
	assert_string_equal(kept("Checks.Status == critical"), "web1");
	assert_string_equal(kept("Checks.Status == passing"), "web1,web2");
	assert_string_equal(kept("Checks.Status != passing"), "web1");
	assert_string_equal(kept("Checks.CheckID == c1"), "web1");
}

static void test_regex(void **state)
{
	(void)state;
	assert_string_equal(kept("Service.ID matches \"^web[0-9]$\""), "web1,web2");
	assert_string_equal(kept("Service.ID matches `2$`"), "web2");
	assert_string_equal(kept("Service.ID not matches `\\d$`"), "");
	assert_string_equal(kept("Node.Node matches \"n(1|3)\""), "web1");
	assert_string_equal(kept("Service.ID matches `^w.+?1$`"), "web1");
	assert_string_equal(kept("Service.ID matches `[+*?]+|^web2{1}$`"), "web2");
	assert_string_equal(kept("Service.ID matches `^[]a-z[]+[\\d]$`"), "web1,web2");
}

static void test_boolean_logic(void **state)
{
	(void)state;
	assert_string_equal(kept("Service.ID == web1 or Service.ID == web2"), "web1,web2");
	assert_string_equal(kept("Service.Service == web and Node.Meta.env == dev"), "web2");
	assert_string_equal(kept("not Service.ID == web1"), "web2");
	assert_string_equal(kept("not not Service.ID == web1"), "web1");
	/* and binds tighter than or */
	assert_string_equal(kept("Service.ID == web1 or Service.ID == web2 and Service.Port == 1"), "web1");
	assert_string_equal(kept("(Service.ID == web1 or Service.ID == web2) and Service.Port == 1"), "");
	assert_string_equal(kept(" ( \tService.ID==web2 )\n"), "web2");
	assert_string_equal(kept("not (Service.ID == web1 or Node.Meta.env == dev)"), "");
}

/* The expression is refused, and the message says this. */
static void expect_refused(const char *expr, const char *want)
{
	char err[256];
	struct filter *f = filter_compile(expr, err, sizeof err);
	if (f)
		fail_msg("%s: compiled, want refused", expr);
	if (!strstr(err, want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", expr, err, want);
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused("", "unexpected end");
	expect_refused("Service.ID ==", "unexpected end");
	expect_refused("Service.ID", "expected a match operator");
	expect_refused("Service.ID === web", "1:14 (13)");
	expect_refused("(Service.ID == web", "Unmatched parentheses");
	expect_refused("Service.ID == \"web", "Unterminated string literal");
	expect_refused("Service.ID == \"a\\qb\"", "invalid escape");
	expect_refused("\"web\" == Service.ID", "must be followed by \"in\"");
	expect_refused("web in \"Service.Tags\"", "Invalid selector");
	expect_refused("Service.Port == 12ab", "Invalid number literal");
	expect_refused("Service.ID matches \"(\"", "Failed to compile regular expression");
	expect_refused("Service.ID matches `(a)\\1`", "back-references");
	expect_refused("Service.ID matches \"a{1000}\"", "counted repetitions");
	expect_refused("Service.ID matches `e+++`", "nested repetition");
	expect_refused("Service.ID matches `a{2}{3}`", "nested repetition");
	expect_refused("Service.ID matches `a*?+`", "nested repetition");
	expect_refused("Service.ID is full", "expected \"empty\"");
	expect_refused("Service.ID not equals x", "after \"not\"");
	expect_refused("Service.ID == a b", "expected \"and\", \"or\"");
	expect_refused("Service.ID == a and", "unexpected end");
	expect_refused("Service[1] == a", "Invalid index");
	expect_refused("Service[\"x\" == a", "Unclosed index");

	char deep[200];
	memset(deep, '(', 100);
	strcpy(deep + 100, "a == b");
	expect_refused(deep, "nested deeper");
	char nots[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(nots, "not ");
	strcat(nots, "a == b");
	expect_refused(nots, "nested deeper");
}

static void test_maps_and_fields(void **state)
{
	(void)state;
	char err[256];
	struct filter *f = filter_compile("Service == web", err, sizeof err);
	assert_non_null(f);
	struct buf out;
	buf_init(&out);
	/* /v1/agent/services: a map, filtered by value */
	const char *services = "{\"a\":{\"Service\":\"web\"},\"b\":{\"Service\":\"db\"}}";
	assert_int_equal(filter_apply(f, services, strlen(services), NULL, &out), 0);
	assert_string_equal(out.data, "{\"a\":{\"Service\":\"web\"}}");
	/* /v1/catalog/node/:node: the Services member only */
	buf_reset(&out);
	const char *node = "{\"Node\":{\"Node\":\"n1\",\"Service\":\"db\"},\"Services\":{\"a\":{\"Service\":\"web\"},"
			   "\"b\":{\"Service\":\"db\"}}}";
	assert_int_equal(filter_apply(f, node, strlen(node), "Services", &out), 0);
	assert_string_equal(out.data,
			    "{\"Node\":{\"Node\":\"n1\",\"Service\":\"db\"},\"Services\":{\"a\":{\"Service\":\"web\"}}}");
	/* no such member, or not JSON: copied as is, or refused */
	buf_reset(&out);
	assert_int_equal(filter_apply(f, "null", 4, "Services", &out), 0);
	assert_string_equal(out.data, "null");
	assert_int_equal(filter_apply(f, "[{", 2, NULL, &out), -1);
	buf_free(&out);

	/* filter_and: both must hold */
	struct filter *g = filter_and(f, filter_compile("Port == 1", err, sizeof err));
	const char *item = "{\"Service\":\"web\",\"Port\":2}";
	yajl_val v = json_parse(item, strlen(item), err, sizeof err);
	assert_false(filter_match(g, v));
	yajl_tree_free(v);
	filter_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_missing_members),
		cmocka_unit_test(test_emptiness_and_contains),
		cmocka_unit_test(test_arrays_match_any_element),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_boolean_logic),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_maps_and_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
