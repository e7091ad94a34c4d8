/* test_sync.c: the pure halves of anti-entropy: catalog register bodies and the diff of the
 * catalog's view of this node against the local state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/json.h"
#include "local_state.h"
#include "members.h"
#include "sync.h"

static const struct def_ctx api = {0};
static const struct sync_node node = {
	.node_name = "node1", .node_id = "0f0e-id", .address = "127.0.0.7", .datacenter = "dc1"};

static struct local_state *state_with_web(void)
{
	struct local_state *ls = ls_new("node1", "dc1");
	struct service_def s;
	char err[256];
	const char *json = "{\"Name\":\"web\",\"Port\":80,\"Tags\":[\"a\"],\"Check\":{\"TTL\":\"10s\"}}";
	assert_int_equal(service_def_parse_json(json, strlen(json), &api, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, NULL, false, 0, err, sizeof err), 0);
	return ls;
}

static void register_bodies(void **state)
{
	struct local_state *ls = state_with_web();
	struct buf b;
	buf_init(&b);
	assert_int_equal(sync_render_register(&node, ls, NULL, NULL, false, &b), 0);
	assert_string_equal(b.data, "{\"Datacenter\":\"dc1\",\"ID\":\"0f0e-id\",\"Node\":\"node1\",\"Address\":\"127.0.0.7\","
				    "\"TaggedAddresses\":{\"lan\":\"127.0.0.7\",\"lan_ipv4\":\"127.0.0.7\","
				    "\"wan\":\"127.0.0.7\",\"wan_ipv4\":\"127.0.0.7\"},"
				    "\"NodeMeta\":{\"consul-network-segment\":\"\"},\"SkipNodeUpdate\":false}");
	buf_reset(&b);
	assert_int_equal(sync_render_register(&node, ls, ls->services[0], NULL, true, &b), 0);
	assert_non_null(strstr(b.data, "\"Service\":{\"ID\":\"web\",\"Service\":\"web\",\"Tags\":[\"a\"],"
				       "\"Address\":\"\",\"Meta\":{},\"Port\":80,"
				       "\"Weights\":{\"Passing\":1,\"Warning\":1},\"EnableTagOverride\":false}"));
	assert_non_null(strstr(b.data, "\"Checks\":[{\"Node\":\"node1\",\"CheckID\":\"service:web\","));
	assert_non_null(strstr(b.data, "\"SkipNodeUpdate\":true}"));
	buf_free(&b);
	ls_free(ls);
}

static yajl_val parse(const char *json)
{
	char err[128];
	yajl_val v = json_parse(json, strlen(json), err, sizeof err);
	assert_non_null(v);
	return v;
}

static void diff_marks_and_records(void **state)
{
	struct local_state *ls = state_with_web();
	yajl_val body = parse("{\"Node\":{\"ID\":\"0F0E-ID\",\"Node\":\"node1\",\"Address\":\"127.0.0.7\","
			      "\"TaggedAddresses\":{\"lan\":\"127.0.0.7\",\"wan\":\"127.0.0.7\"}},"
			      "\"Services\":[{\"ID\":\"web\",\"Service\":\"web\",\"Tags\":[\"a\"],\"Address\":\"\","
			      "\"Meta\":{},\"Port\":80,\"Weights\":{\"Passing\":1,\"Warning\":1},"
			      "\"EnableTagOverride\":false},"
			      "{\"ID\":\"old\",\"Service\":\"old\"},{\"ID\":\"consul\",\"Service\":\"consul\"}]}");
	assert_true(sync_diff_services(ls, &node, body));
	assert_true(ls->services[0]->in_sync);
	assert_int_equal(ls->deleted_services.n, 1);
	assert_string_equal(ls->deleted_services.items[0], "old");
	yajl_tree_free(body);

	/* a different port means a re-registration; a missing node means the node too */
	body = parse("{\"Node\":null,\"Services\":[{\"ID\":\"web\",\"Service\":\"web\",\"Tags\":[\"a\"],\"Port\":81}]}");
	assert_false(sync_diff_services(ls, &node, body));
	assert_false(ls->services[0]->in_sync);
	yajl_tree_free(body);

	body = parse("[{\"CheckID\":\"serfHealth\",\"Status\":\"passing\"},"
		     "{\"CheckID\":\"service:web\",\"Name\":\"Service 'web' check\",\"Status\":\"critical\","
		     "\"Output\":\"\",\"Notes\":\"\",\"ServiceID\":\"web\"},"
		     "{\"CheckID\":\"stale\",\"Status\":\"passing\",\"ServiceID\":\"\"},"
		     "{\"CheckID\":\"service:old\",\"Status\":\"passing\",\"ServiceID\":\"old\"}]");
	sync_diff_checks(ls, body);
	assert_true(ls->checks[0]->in_sync);
	/* serfHealth is the leader's; checks of a catalog-only service go with the service */
	assert_int_equal(ls->deleted_checks.n, 1);
	assert_string_equal(ls->deleted_checks.items[0], "stale");
	yajl_tree_free(body);

	body = parse("[{\"CheckID\":\"service:web\",\"Name\":\"Service 'web' check\",\"Status\":\"passing\","
		     "\"ServiceID\":\"web\"}]");
	sync_diff_checks(ls, body);
	assert_false(ls->checks[0]->in_sync);
	yajl_tree_free(body);
	ls_free(ls);
}

/* Consul's ae: the stagger grows by one interval per doubling past 128 members. */
static void scale_with_cluster_size(void **state)
{
	(void)state;
	assert_int_equal(sync_scale_factor(0), 1);
	assert_int_equal(sync_scale_factor(1), 1);
	assert_int_equal(sync_scale_factor(128), 1);
	assert_int_equal(sync_scale_factor(129), 2);
	assert_int_equal(sync_scale_factor(256), 2);
	assert_int_equal(sync_scale_factor(257), 3);
	assert_int_equal(sync_scale_factor(1000), 4);
	assert_int_equal(sync_scale_factor(8192), 7);
	assert_int_equal(sync_scale_factor(8193), 8);
	assert_int_equal(sync_scale_factor(SIZE_MAX), 58);

	/* base plus a stagger below factor * base */
	assert_int_equal(sync_next_full_ms(60000, 3, 0), 60000);
	assert_int_equal(sync_next_full_ms(60000, 3, 59999), 119999);
	assert_int_equal(sync_next_full_ms(60000, 3, 60000), 60000);
	assert_int_equal(sync_next_full_ms(60000, 200, 119999), 179999);
	assert_int_equal(sync_next_full_ms(60000, 200, 120000), 60000);
	assert_int_equal(sync_next_full_ms(60000, 5000, UINT32_MAX), 60000 + (uint64_t)UINT32_MAX % 420000); /* factor 7 */
}

static void count_alive_members(void **state)
{
	(void)state;
	const char *body = "[{\"Name\":\"a\",\"Status\":1},{\"Name\":\"b\",\"Status\":4},"
			   "{\"Name\":\"c\",\"Status\":1},{\"Name\":\"d\",\"Status\":3},{\"Name\":\"e\"}]";
	assert_int_equal(members_count_alive(body, strlen(body)), 2);
	assert_int_equal(members_count_alive("[]", 2), 0);
	assert_int_equal(members_count_alive("{}", 2), -1);
	assert_int_equal(members_count_alive("[", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_bodies),
		cmocka_unit_test(diff_marks_and_records),
		cmocka_unit_test(scale_with_cluster_size),
		cmocka_unit_test(count_alive_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
