/* test_members.c: the local member carries Consul's tags for its role and renders as
 * /v1/agent/members does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "members.h"

static const char *tag(yajl_val member, const char *key)
{
	return json_str(json_get(json_get(member, "Tags"), key));
}

static yajl_val render_one(struct config *cfg)
{
	struct members m;
	members_init(&m);
	assert_int_equal(members_add_self(&m, cfg), 0);
	struct buf out;
	buf_init(&out);
	members_render(&m, &out);
	members_free(&m);
	char err[128];
	yajl_val v = json_parse(out.data, out.len, err, sizeof err);
	buf_free(&out);
	assert_non_null(v);
	assert_int_equal(json_arr_len(v), 1);
	return v;
}

static void base_config(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->node_name = "agent-one";
	cfg->node_id = "6c5b4d1e-2a3b-4c5d-8e9f-001122334455";
	cfg->datacenter = "dc1";
	cfg->advertise_addr = "127.0.0.10";
	cfg->port_serf_lan = 8301;
	cfg->port_serf_wan = 8302;
	cfg->port_server = 8300;
}

static void test_server_member(void **state)
{
	struct config cfg;
	base_config(&cfg);
	cfg.server = true;
	cfg.bootstrap_expect = 3;
	yajl_val v = render_one(&cfg);
	yajl_val m = json_arr_at(v, 0);
	assert_string_equal(json_str(json_get(m, "Name")), "agent-one");
	assert_string_equal(json_str(json_get(m, "Addr")), "127.0.0.10");
	int64_t n;
	assert_true(json_i64(json_get(m, "Port"), &n));
	assert_int_equal(n, 8301);
	assert_true(json_i64(json_get(m, "Status"), &n));
	assert_int_equal(n, 1);
	assert_string_equal(tag(m, "role"), "consul");
	assert_string_equal(tag(m, "dc"), "dc1");
	assert_string_equal(tag(m, "port"), "8300");
	assert_string_equal(tag(m, "expect"), "3");
	assert_string_equal(tag(m, "id"), cfg.node_id);
	assert_null(tag(m, "bootstrap"));
	yajl_tree_free(v);
}

static void test_client_member(void **state)
{
	struct config cfg;
	base_config(&cfg);
	yajl_val v = render_one(&cfg);
	yajl_val m = json_arr_at(v, 0);
	assert_string_equal(tag(m, "role"), "node");
	assert_null(tag(m, "port"));
	assert_null(tag(m, "expect"));
	yajl_tree_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_member),
		cmocka_unit_test(test_client_member),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
