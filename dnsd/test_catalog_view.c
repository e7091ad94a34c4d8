/* test_catalog_view.c: parsing a CATALOG_DUMP body and looking names up in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "catalog_view.h"

static const char dump[] =
	"{\"Nodes\":["
	"{\"ID\":\"a\",\"Node\":\"zeta\",\"Address\":\"10.0.0.9\",\"Datacenter\":\"dc1\","
	" \"TaggedAddresses\":{\"lan\":\"10.0.0.9\"},\"Meta\":{\"zz\":\"last\",\"aa\":\"first\"}},"
	"{\"ID\":\"b\",\"Node\":\"Alpha\",\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\",\"TaggedAddresses\":null,\"Meta\":null}"
	"],\"Services\":["
	"{\"Node\":\"zeta\",\"ServiceID\":\"web2\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v2\"],"
	" \"ServiceAddress\":\"\",\"ServicePort\":8080,\"Status\":\"warning\"},"
	"{\"Node\":\"alpha\",\"ServiceID\":\"web1\",\"ServiceName\":\"Web\",\"ServiceTags\":[\"V1\",\"x\"],"
	" \"ServiceAddress\":\"1.2.3.4\",\"ServicePort\":80,\"Status\":\"passing\"},"
	"{\"Node\":\"alpha\",\"ServiceID\":\"db\",\"ServiceName\":\"db\",\"ServicePort\":5432,\"Status\":\"maintenance\"},"
	"{\"Node\":\"alpha\",\"ServiceID\":\"cache\",\"ServiceName\":\"cache\",\"ServicePort\":1},"
	"{\"Node\":\"gone\",\"ServiceID\":\"x\",\"ServiceName\":\"web\",\"ServicePort\":1,\"Status\":\"passing\"}"
	"]}";

static struct catalog_view *parse_ok(const char *json)
{
	char err[160] = "";
	struct catalog_view *v = catalog_view_parse(json, strlen(json), err, sizeof err);

	if (v == NULL)
		print_error("unexpected parse error: %s\n", err);
	assert_non_null(v);
	return v;
}

static void test_nodes_sorted_and_found_ignoring_case(void **state)
{
	struct catalog_view *v = parse_ok(dump);
	const struct cv_node *n;

	assert_int_equal(v->n_nodes, 2);
	assert_string_equal(v->nodes[0].name, "Alpha");
	assert_string_equal(v->nodes[1].name, "zeta");
	n = catalog_view_node(v, "ALPHA", 5);
	assert_non_null(n);
	assert_string_equal(n->address, "10.0.0.1");
	assert_int_equal(n->n_meta, 0);
	n = catalog_view_node(v, "Zeta", 4);
	assert_non_null(n);
	assert_int_equal(n->n_meta, 2);
	assert_string_equal(n->meta[0].key, "aa");
	assert_string_equal(n->meta[0].value, "first");
	assert_null(catalog_view_node(v, "zet", 3));
	assert_null(catalog_view_node(v, "zetaa", 5));
	assert_null(catalog_view_node(v, "ze\0a", 4));
	catalog_view_free(v);
}

static void test_services_grouped_ignoring_case(void **state)
{
	struct catalog_view *v = parse_ok(dump);
	size_t first, n;
	const struct cv_instance *in;

	assert_int_equal(v->n_instances, 4);
	assert_int_equal(v->n_dropped, 1); /* the instance on node "gone" */
	n = catalog_view_service(v, "WEB", 3, &first);
	assert_int_equal(n, 2);
	in = &v->instances[first];
	assert_string_equal(in->node->name, "Alpha"); /* sorted by node within a service */
	assert_string_equal(in->address, "1.2.3.4");
	assert_int_equal(in->port, 80);
	assert_int_equal(in->status, CV_PASSING);
	assert_true(cv_instance_has_tag(in, "v1", 2));
	assert_false(cv_instance_has_tag(in, "v2", 2));
	in = &v->instances[first + 1];
	assert_string_equal(in->node->name, "zeta");
	assert_int_equal(in->status, CV_WARNING);
	assert_int_equal(in->port, 8080);

	n = catalog_view_service(v, "db", 2, &first);
	assert_int_equal(n, 1);
	assert_int_equal(v->instances[first].status, CV_CRITICAL); /* maintenance is never served */
	n = catalog_view_service(v, "cache", 5, &first);
	assert_int_equal(n, 1);
	assert_int_equal(v->instances[first].status, CV_PASSING); /* no checks: healthy */
	assert_int_equal(catalog_view_service(v, "we", 2, &first), 0);
	assert_int_equal(catalog_view_service(v, "zzz", 3, &first), 0);
	catalog_view_free(v);
}

static void test_empty_dump(void **state)
{
	struct catalog_view *v = parse_ok("{\"Nodes\":[],\"Services\":[]}");
	size_t first;

	assert_int_equal(v->n_nodes, 0);
	assert_null(catalog_view_node(v, "a", 1));
	assert_int_equal(catalog_view_service(v, "a", 1, &first), 0);
	catalog_view_free(v);
	v = parse_ok("{}");
	assert_int_equal(v->n_instances, 0);
	catalog_view_free(v);
}

static void test_garbage_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{\"Nodes\":5}",
		"{\"Nodes\":[1]}",
		"{\"Nodes\":[{\"Address\":\"1.1.1.1\"}]}",
		"{\"Nodes\":[{\"Node\":\"\"}]}",
		"{\"Nodes\":[{\"Node\":\"a\",\"Address\":7}]}",
		"{\"Nodes\":[{\"Node\":\"a\",\"Meta\":[]}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":{}}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\"}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\",\"ServiceName\":\"s\",\"ServicePort\":\"80\"}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\",\"ServiceName\":\"s\",\"ServicePort\":70000}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\",\"ServiceName\":\"s\",\"ServiceTags\":[1]}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\",\"ServiceName\":\"s\",\"Status\":3}]}",
		"{\"Nodes\":[{\"Node\":\"a\"}],\"Services\":[{\"Node\":\"a\",\"ServiceName\":\"s\"}",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[160] = "";
		struct catalog_view *v = catalog_view_parse(bad[i], strlen(bad[i]), err, sizeof err);

		if (v != NULL)
			print_error("accepted: %s\n", bad[i]);
		assert_null(v);
		assert_true(err[0] != '\0');
	}
}

static void test_not_nul_terminated(void **state)
{
	/* the body of an RPC reply is a slice: parsing must stop at len */
	static const char text[] = "{\"Nodes\":[{\"Node\":\"a\",\"Address\":\"1.1.1.1\"}]}garbage";
	char err[160];
	struct catalog_view *v = catalog_view_parse(text, strlen(text) - 7, err, sizeof err);

	assert_non_null(v);
	assert_int_equal(v->n_nodes, 1);
	catalog_view_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodes_sorted_and_found_ignoring_case),
		cmocka_unit_test(test_services_grouped_ignoring_case),
		cmocka_unit_test(test_empty_dump),
		cmocka_unit_test(test_garbage_rejected),
		cmocka_unit_test(test_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
