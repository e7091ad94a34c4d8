/* test_local_state.c: the agent's services and checks: registration, TTL expiry on a virtual
 * clock, Consul's renders of /v1/agent/services and /v1/agent/checks, and persistence. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "local_state.h"
#include "persist.h"
#include "service_def.h"

static const struct def_ctx api = {0};

static struct local_state *new_state(void)
{
	struct local_state *ls = ls_new("node1", "dc1");
	assert_non_null(ls);
	return ls;
}

static void add_service(struct local_state *ls, const char *json, uint64_t now)
{
	struct service_def s;
	char err[512];
	assert_int_equal(service_def_parse_json(json, strlen(json), &api, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, json, false, now, err, sizeof err), 0);
	assert_null(s.id); /* taken */
}

static char *render(int (*fn)(const struct local_state *, struct buf *), const struct local_state *ls)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(fn(ls, &b), 0);
	size_t len;
	return buf_steal(&b, &len);
}

static void renders_services_as_consul(void **state)
{
	struct local_state *ls = new_state();
	add_service(ls, "{\"Name\":\"web\",\"Port\":80,\"Tags\":[\"a\"],\"Meta\":{\"v\":\"1\"}}", 0);
	add_service(ls, "{\"Name\":\"db\",\"ID\":\"db1\",\"Address\":\"10.0.0.1\",\"Weights\":{\"Passing\":3}}", 0);
	char *out = render(ls_render_services, ls);
	assert_string_equal(out,
			    "{\"db1\":{\"ID\":\"db1\",\"Service\":\"db\",\"Tags\":[],\"Meta\":{},\"Port\":0,"
			    "\"Address\":\"10.0.0.1\",\"Weights\":{\"Passing\":3,\"Warning\":1},"
			    "\"EnableTagOverride\":false,\"Datacenter\":\"dc1\"},"
			    "\"web\":{\"ID\":\"web\",\"Service\":\"web\",\"Tags\":[\"a\"],\"Meta\":{\"v\":\"1\"},"
			    "\"Port\":80,\"Address\":\"\",\"Weights\":{\"Passing\":1,\"Warning\":1},"
			    "\"EnableTagOverride\":false,\"Datacenter\":\"dc1\"}}");
	free(out);

	struct buf b;
	buf_init(&b);
	assert_int_equal(ls_render_service(ls, "web", &b), 0);
	assert_non_null(strstr(b.data, "\"EnableTagOverride\":false,\"ContentHash\":\""));
	assert_non_null(strstr(b.data, "\",\"Datacenter\":\"dc1\"}"));
	buf_reset(&b);
	assert_int_equal(ls_render_service(ls, "nope", &b), -ENOENT);
	buf_free(&b);
	ls_free(ls);
}

static void renders_checks_as_consul(void **state)
{
	struct local_state *ls = new_state();
	add_service(ls, "{\"Name\":\"web\",\"Tags\":[\"t\"],\"Check\":{\"TTL\":\"10s\"}}", 0);
	char *out = render(ls_render_checks, ls);
	assert_string_equal(out, "{\"service:web\":{\"Node\":\"node1\",\"CheckID\":\"service:web\","
				 "\"Name\":\"Service 'web' check\",\"Status\":\"critical\",\"Notes\":\"\","
				 "\"Output\":\"\",\"ServiceID\":\"web\",\"ServiceName\":\"web\","
				 "\"ServiceTags\":[\"t\"],\"Type\":\"ttl\",\"Interval\":\"\",\"Timeout\":\"\","
				 "\"ExposedPort\":0,\"Definition\":{},\"CreateIndex\":0,\"ModifyIndex\":0}}");
	free(out);
	ls_free(ls);
}

static void ttl_expires_on_virtual_clock(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\",\"Status\":\"passing\"}}", 1000);
	struct ls_check *c = ls_check_get(ls, "service:web");
	assert_non_null(c);
	assert_string_equal(c->status, "passing");
	assert_int_equal(ls_next_deadline(ls), 11000);

	assert_int_equal(ls_ttl_expire(ls, 10999, NULL, NULL), 0);
	assert_string_equal(c->status, "passing");
	assert_int_equal(ls_ttl_expire(ls, 11000, NULL, NULL), 1);
	assert_string_equal(c->status, "critical");
	assert_string_equal(c->output, "TTL expired");
	assert_int_equal(ls_next_deadline(ls), 0);
	/* expired once, not again until the next update */
	assert_int_equal(ls_ttl_expire(ls, 50000, NULL, NULL), 0);

	c->in_sync = true;
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "passing", "all good", 60000, err, sizeof err), 1);
	assert_false(c->in_sync);
	assert_string_equal(c->status, "passing");
	assert_int_equal(ls_next_deadline(ls), 70000);
	/* the same again changes nothing, but still re-arms */
	c->in_sync = true;
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "passing", "all good", 65000, err, sizeof err), 0);
	assert_true(c->in_sync);
	assert_int_equal(ls_next_deadline(ls), 75000);
	assert_int_equal(ls_ttl_expire(ls, 75000, NULL, NULL), 1);
	assert_string_equal(c->output, "TTL expired (last output before timeout follows): all good");
	ls_free(ls);
}

static void update_errors_match_consul(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Check\":{\"HTTP\":\"http://x/\",\"Interval\":\"10s\"}}", 0);
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "passing", "", 0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "CheckID \"service:web\" does not have associated TTL");
	assert_string_equal(ls_check_get(ls, "service:web")->status, "critical");
	assert_int_equal(ls_check_update_ttl(ls, "nope", "passing", "", 0, err, sizeof err), -ENOENT);
	assert_string_equal(err, "Unknown check ID \"nope\". Ensure that the check ID is passed, not the check name.");
	ls_free(ls);

	ls = new_state();
	add_service(ls, "{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\"}}", 0);
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "ok", "", 0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "Invalid check status: 'ok'");
	ls_free(ls);
}

static void output_truncated_at_4k(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\"}}", 0);
	char *big = malloc(5001);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "warning", big, 0, err, sizeof err), 1);
	const char *out = ls_check_get(ls, "service:web")->output;
	assert_int_equal(strlen(out), 4096 + strlen(" ... (captured 4096 of 5000 bytes)"));
	assert_string_equal(out + 4096, " ... (captured 4096 of 5000 bytes)");
	free(big);
	ls_free(ls);
}

static void remove_service_removes_its_checks(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Checks\":[{\"TTL\":\"10s\"},{\"TTL\":\"20s\"}]}", 0);
	struct check_def c;
	const char *json = "{\"Name\":\"mem\",\"TTL\":\"1m\"}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), 0);
	assert_int_equal(ls_check_add(ls, &c, json, 0, err, sizeof err), 0);
	assert_int_equal(ls->nchecks, 3);
	assert_int_equal(ls_service_remove(ls, "web"), 0);
	assert_int_equal(ls->nservices, 0);
	assert_int_equal(ls->nchecks, 1);
	assert_string_equal(ls->checks[0]->def.id, "mem");
	assert_int_equal(ls->deleted_services.n, 1);
	assert_string_equal(ls->deleted_services.items[0], "web");
	assert_int_equal(ls->deleted_checks.n, 0); /* the catalog drops them with the service */
	assert_int_equal(ls_service_remove(ls, "web"), -ENOENT);
	assert_int_equal(ls_check_remove(ls, "mem"), 0);
	assert_int_equal(ls->deleted_checks.n, 1);
	assert_int_equal(ls_check_remove(ls, "mem"), -ENOENT);
	ls_free(ls);
}

static void check_for_unknown_service_refused(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	struct check_def c;
	const char *json = "{\"Name\":\"x\",\"ServiceID\":\"nope\",\"TTL\":\"1m\"}";
	assert_int_equal(check_def_parse_json(json, strlen(json), &api, &c, err, sizeof err), 0);
	uint64_t before = ls->index;
	assert_int_equal(ls_check_add(ls, &c, json, 0, err, sizeof err), -ENOENT);
	assert_string_equal(err, "ServiceID \"nope\" does not exist");
	assert_int_equal(ls->nchecks, 0);
	assert_int_equal(ls->index, before);
	check_def_free(&c);
	ls_free(ls);
}

static void reregistering_keeps_check_state(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Port\":80,\"Check\":{\"TTL\":\"10s\"}}", 0);
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "passing", "fine", 0, err, sizeof err), 1);
	ls->services[0]->in_sync = true;
	add_service(ls, "{\"Name\":\"web\",\"Port\":81,\"Check\":{\"TTL\":\"10s\"}}", 5);
	assert_int_equal(ls->nservices, 1);
	assert_int_equal(ls->services[0]->def.port, 81);
	assert_false(ls->services[0]->in_sync);
	struct ls_check *c = ls_check_get(ls, "service:web");
	assert_string_equal(c->status, "passing");
	assert_string_equal(c->output, "fine");
	ls_free(ls);
}

static void persist_round_trip(void **state)
{
	struct local_state *ls = new_state();
	char err[256];
	add_service(ls, "{\"Name\":\"web\",\"Port\":80,\"Check\":{\"TTL\":\"10s\"}}", 1000);
	assert_int_equal(ls_check_update_ttl(ls, "service:web", "passing", "ok", 2000, err, sizeof err), 1);
	struct buf b;
	buf_init(&b);
	assert_int_equal(persist_render(ls, &b), 0);
	ls_free(ls);

	/* restarted before the TTL ran out: the state comes back */
	ls = new_state();
	assert_int_equal(persist_restore(ls, b.data, b.len, &api, 5000, err, sizeof err), 2);
	assert_non_null(ls_service_get(ls, "web"));
	assert_non_null(ls_service_get(ls, "web")->api_json);
	assert_string_equal(ls_check_get(ls, "service:web")->status, "passing");
	assert_string_equal(ls_check_get(ls, "service:web")->output, "ok");
	ls_free(ls);

	/* after it: the registration comes back, the stale state does not */
	ls = new_state();
	assert_int_equal(persist_restore(ls, b.data, b.len, &api, 20000, err, sizeof err), 1);
	assert_string_equal(ls_check_get(ls, "service:web")->status, "critical");
	ls_free(ls);

	/* a config definition of the same id wins over the stored API copy */
	ls = new_state();
	struct service_def s;
	const char *json = "{\"name\":\"web\",\"port\":9}";
	assert_int_equal(service_def_parse_json(json, strlen(json), &api, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, NULL, false, 0, err, sizeof err), 0);
	persist_restore(ls, b.data, b.len, &api, 5000, err, sizeof err);
	assert_int_equal(ls_service_get(ls, "web")->def.port, 9);
	assert_null(ls_service_get(ls, "web")->api_json);
	ls_free(ls);

	ls = new_state();
	assert_int_equal(persist_restore(ls, "nonsense", 8, &api, 0, err, sizeof err), -EINVAL);
	ls_free(ls);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renders_services_as_consul),
		cmocka_unit_test(renders_checks_as_consul),
		cmocka_unit_test(ttl_expires_on_virtual_clock),
		cmocka_unit_test(update_errors_match_consul),
		cmocka_unit_test(output_truncated_at_4k),
		cmocka_unit_test(remove_service_removes_its_checks),
		cmocka_unit_test(check_for_unknown_service_refused),
		cmocka_unit_test(reregistering_keeps_check_state),
		cmocka_unit_test(persist_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
