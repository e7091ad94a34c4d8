/* test_service_def.c: service and check definitions: defaults, ids, kinds, and errors that
 * name the definition and the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "service_def.h"

static const struct def_ctx api = {0};
static const struct def_ctx file = {.source = "/etc/consul.d/web.json", .from_file = true};

static int parse(const char *json, const struct def_ctx *ctx, struct service_def *out, char *err, size_t len)
{
	return service_def_parse_json(json, strlen(json), ctx, out, err, len);
}

static void service_defaults(void **state)
{
	struct service_def s;
	char err[512];
	assert_int_equal(parse("{\"name\":\"web\"}", &api, &s, err, sizeof err), 0);
	assert_string_equal(s.id, "web");
	assert_string_equal(s.name, "web");
	assert_string_equal(s.address, "");
	assert_int_equal(s.port, 0);
	assert_int_equal(s.ntags, 0);
	assert_int_equal(s.weight_passing, 1);
	assert_int_equal(s.weight_warning, 1);
	assert_false(s.enable_tag_override);
	assert_int_equal(s.nchecks, 0);
	assert_null(s.kind);
	service_def_free(&s);
}

static void service_full_snake_case(void **state)
{
	struct service_def s;
	char err[512];
	const char *json = "{\"service\":{\"id\":\"web-1\",\"name\":\"web\",\"tags\":[\"v1\",\"primary\"],"
			   "\"address\":\"10.0.0.5\",\"port\":8080,\"meta\":{\"zone\":\"b\",\"arch\":\"x86\"},"
			   "\"enable_tag_override\":true,\"weights\":{\"passing\":10,\"warning\":2},"
			   "\"tagged_addresses\":{\"wan\":{\"address\":\"1.2.3.4\",\"port\":80}}}}";
	assert_int_equal(parse(json, &file, &s, err, sizeof err), 0);
	assert_string_equal(s.id, "web-1");
	assert_int_equal(s.port, 8080);
	assert_int_equal(s.ntags, 2);
	assert_string_equal(s.tags[1], "primary");
	assert_string_equal(s.address, "10.0.0.5");
	assert_true(s.enable_tag_override);
	assert_int_equal(s.weight_passing, 10);
	assert_int_equal(s.weight_warning, 2);
	/* meta comes out sorted, as Go renders maps */
	assert_int_equal(s.nmeta, 2);
	assert_string_equal(s.meta[0].key, "arch");
	assert_string_equal(s.meta[1].key, "zone");
	assert_int_equal(s.ntagged, 1);
	assert_string_equal(s.tagged[0].address, "1.2.3.4");
	service_def_free(&s);
}

static void service_api_camel_case(void **state)
{
	struct service_def s;
	char err[512];
	const char *json = "{\"ID\":\"w1\",\"Name\":\"web\",\"Port\":80,\"EnableTagOverride\":true,"
			   "\"Check\":{\"TTL\":\"5s\",\"Status\":\"passing\",\"Notes\":\"hi\"}}";
	assert_int_equal(parse(json, &api, &s, err, sizeof err), 0);
	assert_string_equal(s.id, "w1");
	assert_int_equal(s.port, 80);
	assert_true(s.enable_tag_override);
	assert_int_equal(s.nchecks, 1);
	assert_string_equal(s.checks[0].id, "service:w1");
	assert_string_equal(s.checks[0].name, "Service 'web' check");
	assert_string_equal(s.checks[0].status, "passing");
	assert_string_equal(s.checks[0].notes, "hi");
	assert_string_equal(s.checks[0].service_id, "w1");
	assert_int_equal(s.checks[0].kind, CHECK_TTL);
	assert_int_equal(s.checks[0].ttl_ms, 5000);
	service_def_free(&s);
}

static void service_check_ids_numbered_when_several(void **state)
{
	struct service_def s;
	char err[512];
	const char *json = "{\"name\":\"web\",\"check\":{\"ttl\":\"10s\"},"
			   "\"checks\":[{\"ttl\":\"20s\"},{\"id\":\"mine\",\"name\":\"Mine\",\"ttl\":\"1m\"}]}";
	assert_int_equal(parse(json, &api, &s, err, sizeof err), 0);
	assert_int_equal(s.nchecks, 3);
	assert_string_equal(s.checks[0].id, "service:web:1");
	assert_int_equal(s.checks[0].ttl_ms, 10000);
	assert_string_equal(s.checks[1].id, "service:web:2");
	assert_string_equal(s.checks[2].id, "mine");
	assert_string_equal(s.checks[2].name, "Mine");
	assert_int_equal(s.checks[2].ttl_ms, 60000);
	assert_string_equal(s.checks[0].status, "critical");
	service_def_free(&s);
}

static void service_check_id_from_check_id_key(void **state)
{
	struct service_def s;
	char err[512];
	assert_int_equal(parse("{\"Name\":\"db\",\"Checks\":[{\"CheckID\":\"db-ttl\",\"TTL\":\"3s\"}]}", &api, &s, err,
			       sizeof err),
			 0);
	assert_string_equal(s.checks[0].id, "db-ttl");
	service_def_free(&s);
}

static void empty_check_object_is_no_check(void **state)
{
	struct service_def s;
	char err[512];
	assert_int_equal(parse("{\"name\":\"web\",\"check\":{}}", &api, &s, err, sizeof err), 0);
	assert_int_equal(s.nchecks, 0);
	service_def_free(&s);
}

static void other_kinds_are_accepted_critical(void **state)
{
	struct service_def s;
	char err[512];
	const char *json = "{\"name\":\"web\",\"checks\":[{\"http\":\"http://localhost/h\",\"interval\":\"10s\"},"
			   "{\"tcp\":\"localhost:22\",\"interval\":\"5s\",\"timeout\":\"1s\"},"
			   "{\"alias_service\":\"db\"}]}";
	assert_int_equal(parse(json, &api, &s, err, sizeof err), 0);
	assert_int_equal(s.checks[0].kind, CHECK_HTTP);
	assert_string_equal(check_kind_name(s.checks[0].kind), "http");
	assert_int_equal(s.checks[0].interval_ms, 10000);
	assert_int_equal(s.checks[1].kind, CHECK_TCP);
	assert_int_equal(s.checks[1].timeout_ms, 1000);
	assert_int_equal(s.checks[2].kind, CHECK_ALIAS);
	assert_string_equal(s.checks[1].status, "critical");
	service_def_free(&s);
}

static void expect_error(const char *json, const struct def_ctx *ctx, const char *want)
{
	struct service_def s;
	char err[512];
	assert_int_equal(parse(json, ctx, &s, err, sizeof err), -EINVAL);
	assert_string_equal(err, want);
	/* nothing is left to free, and a second free is harmless */
	assert_null(s.id);
	service_def_free(&s);
}

static void errors_name_the_key(void **state)
{
	expect_error("{\"name\":\"web\",\"port\":\"80\"}", &api, "service \"web\": \"port\": expected a number");
	expect_error("{\"name\":\"web\",\"port\":\"80\"}", &file,
		     "config /etc/consul.d/web.json: service \"web\": \"port\": expected a number");
	expect_error("{\"name\":\"web\",\"port\":70000}", &api,
		     "service \"web\": \"port\": 70000 out of range (0 to 65535)");
	expect_error("{\"port\":80}", &api, "service: \"name\": required");
	expect_error("{\"name\":\"web\",\"tags\":\"a\"}", &api, "service \"web\": \"tags\": expected a list of strings");
	expect_error("{\"name\":\"web\",\"check\":{\"ttl\":\"abc\"}}", &api,
		     "service \"web\": check: \"ttl\": invalid duration \"abc\"");
	expect_error("{\"name\":\"web\",\"checks\":[{\"name\":\"c1\",\"notes\":\"n\"}]}", &api,
		     "service \"web\": check \"c1\": unknown kind: set \"ttl\", or \"interval\" with one of \"args\", "
		     "\"http\", \"tcp\", \"udp\", \"grpc\", \"h2ping\"; or \"alias_service\"");
	expect_error("{\"name\":\"web\",\"checks\":[{\"ttl\":\"1s\"},{\"http\":\"http://x\"}]}", &api,
		     "service \"web\": checks[1]: \"interval\": required (> 0) for script, HTTP, H2PING, TCP, UDP and "
		     "gRPC checks");
	expect_error("{\"name\":\"web\",\"check\":{\"ttl\":\"1s\",\"interval\":\"1s\",\"tcp\":\"x:1\"}}", &api,
		     "service \"web\": check: \"interval\" and \"ttl\" cannot both be set");
	expect_error("{\"name\":\"web\",\"check\":{\"ttl\":\"1s\",\"status\":\"ok\"}}", &api,
		     "service \"web\": check: \"status\": must be \"passing\", \"warning\" or \"critical\", not \"ok\"");
	expect_error("{\"name\":\"web\",\"meta\":{\"bad key\":\"v\"}}", &api,
		     "service \"web\": \"meta\": key \"bad key\": only letters, digits, '_' and '-', at most 128");
	expect_error("{\"name\":\"web\",\"meta\":{\"consul-x\":\"v\"}}", &api,
		     "service \"web\": \"meta\": key \"consul-x\": the \"consul-\" prefix is reserved");
	expect_error("{\"name\":\"web\",\"weights\":{\"passing\":0}}", &api,
		     "service \"web\": \"weights\": \"passing\": 0 out of range (1 to 65536)");
	expect_error("{\"name\":\"web\",\"address\":\"0.0.0.0\"}", &api,
		     "service \"web\": \"address\": invalid service address \"0.0.0.0\"");
	expect_error("{\"name\":\"web\",\"checks\":[{\"id\":\"a\",\"ttl\":\"1s\"},{\"id\":\"a\",\"ttl\":\"2s\"}]}", &api,
		     "service \"web\": check id \"a\" used twice");
	expect_error("[1,2]", &api, "service: expected an object");
	expect_error("{\"name\":", &file, "config /etc/consul.d/web.json: service: invalid JSON: parse error: premature EOF");
}

static void script_checks_need_permission(void **state)
{
	const char *json = "{\"name\":\"web\",\"check\":{\"args\":[\"/bin/true\"],\"interval\":\"10s\"}}";
	expect_error(json, &api,
		     "service \"web\": check: Scripts are disabled on this agent from remote calls; to enable, "
		     "configure 'enable_script_checks' to true");
	expect_error(json, &file,
		     "config /etc/consul.d/web.json: service \"web\": check: Scripts are disabled on this agent; to "
		     "enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true");

	struct def_ctx local = file;
	local.enable_local_script_checks = true;
	struct service_def s;
	char err[512];
	assert_int_equal(parse(json, &local, &s, err, sizeof err), 0);
	assert_int_equal(s.checks[0].kind, CHECK_SCRIPT);
	assert_int_equal(s.checks[0].nargs, 1);
	assert_string_equal(s.checks[0].args[0], "/bin/true");
	service_def_free(&s);

	/* enable_local_script_checks does not open the API */
	struct def_ctx api_local = api;
	api_local.enable_local_script_checks = true;
	assert_int_equal(parse(json, &api_local, &s, err, sizeof err), -EINVAL);
	struct def_ctx api_all = api;
	api_all.enable_script_checks = true;
	assert_int_equal(parse(json, &api_all, &s, err, sizeof err), 0);
	service_def_free(&s);
}

static void standalone_check(void **state)
{
	struct check_def c;
	char err[512];
	const char *json = "{\"Name\":\"mem\",\"TTL\":\"15s\",\"Notes\":\"memory\"}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), 0);
	assert_string_equal(c.id, "mem"); /* Consul: the id defaults to the name */
	assert_string_equal(c.name, "mem");
	assert_null(c.service_id);
	assert_int_equal(c.kind, CHECK_TTL);
	assert_string_equal(c.status, "critical");

	struct check_def copy;
	assert_int_equal(check_def_copy(&copy, &c), 0);
	assert_string_equal(copy.notes, "memory");
	assert_ptr_not_equal(copy.notes, c.notes);
	check_def_free(&copy);
	check_def_free(&c);

	json = "{\"check\":{\"id\":\"x\",\"name\":\"X\",\"service_id\":\"web\",\"ttl\":\"1s\"}}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &file, &c, err, sizeof err), 0);
	assert_string_equal(c.id, "x");
	assert_string_equal(c.service_id, "web");
	check_def_free(&c);

	json = "{\"ttl\":\"1s\"}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "check: \"name\": required");
	json = "{\"name\":\"x\",\"http\":\"http://a\",\"interval\":\"1s\",\"header\":{\"A\":[\"1\",\"2\"]}}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), 0);
	assert_int_equal(c.nheaders, 1);
	assert_int_equal(c.headers[0].nvalues, 2);
	check_def_free(&c);
}

static void durations_as_nanoseconds(void **state)
{
	struct check_def c;
	char err[512];
	const char *json = "{\"Name\":\"t\",\"TTL\":30000000000}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), 0);
	assert_int_equal(c.ttl_ms, 30000);
	check_def_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_defaults),
		cmocka_unit_test(service_full_snake_case),
		cmocka_unit_test(service_api_camel_case),
		cmocka_unit_test(service_check_ids_numbered_when_several),
		cmocka_unit_test(service_check_id_from_check_id_key),
		cmocka_unit_test(empty_check_object_is_no_check),
		cmocka_unit_test(other_kinds_are_accepted_critical),
		cmocka_unit_test(errors_name_the_key),
		cmocka_unit_test(script_checks_need_permission),
		cmocka_unit_test(standalone_check),
		cmocka_unit_test(durations_as_nanoseconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
