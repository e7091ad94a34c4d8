/* test_check_logic.c: what a check result means and how Consul words it: thresholds,
 * HTTP and exit code classification, output formats, alias evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check_logic.h"
#include "common/buf.h"
#include "local_state.h"

static const char *apply(struct check_threshold *t, const char *status)
{
	const char *s = check_threshold_apply(t, status);
	return s ? s : "held";
}

static void test_threshold_defaults_publish_every_result(void **state)
{
	struct check_def d = {0};
	struct check_threshold t;
	check_threshold_init(&t, &d);
	assert_string_equal(apply(&t, "critical"), "critical");
	assert_string_equal(apply(&t, "passing"), "passing");
	assert_string_equal(apply(&t, "warning"), "warning");
	assert_string_equal(apply(&t, "critical"), "critical");
}

static void test_threshold_success_before_passing(void **state)
{
	struct check_def d = {.success_before_passing = 2};
	struct check_threshold t;
	check_threshold_init(&t, &d);
	/* The first result is published at once (counters start at their thresholds). */
	assert_string_equal(apply(&t, "passing"), "passing");
	assert_string_equal(apply(&t, "critical"), "critical");
	assert_string_equal(apply(&t, "passing"), "held");
	assert_string_equal(apply(&t, "passing"), "passing");
	/* A flap resets the count. */
	assert_string_equal(apply(&t, "critical"), "critical");
	assert_string_equal(apply(&t, "passing"), "held");
	assert_string_equal(apply(&t, "critical"), "critical");
	assert_string_equal(apply(&t, "passing"), "held");
	assert_string_equal(apply(&t, "warning"), "warning"); /* warning counts as a success */
}

static void test_threshold_failures_before_critical(void **state)
{
	struct check_def d = {.failures_before_critical = 3};
	struct check_threshold t;
	check_threshold_init(&t, &d);
	assert_string_equal(apply(&t, "passing"), "passing");
	assert_string_equal(apply(&t, "critical"), "held");
	assert_string_equal(apply(&t, "critical"), "held");
	assert_string_equal(apply(&t, "critical"), "critical");
	for (int i = 0; i < 100; i++)
		assert_string_equal(apply(&t, "critical"), "critical");
	assert_string_equal(apply(&t, "passing"), "passing");
	assert_string_equal(apply(&t, "critical"), "held");
}

static void test_threshold_failures_before_warning(void **state)
{
	struct check_def d = {.failures_before_critical = 3, .failures_before_warning = 1};
	struct check_threshold t;
	check_threshold_init(&t, &d);
	assert_string_equal(apply(&t, "passing"), "passing");
	assert_string_equal(apply(&t, "critical"), "warning");
	assert_string_equal(apply(&t, "critical"), "warning");
	assert_string_equal(apply(&t, "critical"), "critical");
}

static void test_classify(void **state)
{
	assert_string_equal(check_http_classify(200), "passing");
	assert_string_equal(check_http_classify(204), "passing");
	assert_string_equal(check_http_classify(299), "passing");
	assert_string_equal(check_http_classify(429), "warning");
	assert_string_equal(check_http_classify(300), "critical");
	assert_string_equal(check_http_classify(404), "critical");
	assert_string_equal(check_http_classify(500), "critical");
	assert_string_equal(check_http_classify(199), "critical");
	assert_string_equal(check_script_classify(0), "passing");
	assert_string_equal(check_script_classify(1), "warning");
	assert_string_equal(check_script_classify(2), "critical");
	assert_string_equal(check_script_classify(-1), "critical");
	assert_string_equal(check_script_classify(255), "critical");
}

static void test_timeouts_and_intervals(void **state)
{
	struct check_def http = {.kind = CHECK_HTTP, .interval_ms = 10};
	struct check_def script = {.kind = CHECK_SCRIPT, .interval_ms = 5000, .timeout_ms = 0};
	assert_int_equal(check_timeout_ms(&http), 10000);
	assert_int_equal(check_timeout_ms(&script), 30000);
	assert_int_equal(check_interval_ms(&http), 1000); /* Consul's MinInterval */
	assert_int_equal(check_interval_ms(&script), 5000);
	http.timeout_ms = 250;
	assert_int_equal(check_timeout_ms(&http), 250);
}

static void test_formats(void **state)
{
	struct buf b;
	buf_init(&b);
	check_format_http(&b, "GET", "http://127.0.0.1:8080/health", "200 OK", "ok\n", 3);
	assert_string_equal(b.data, "HTTP GET http://127.0.0.1:8080/health: 200 OK Output: ok\n");
	buf_reset(&b);
	check_format_tcp_ok(&b, "127.0.0.1:80");
	assert_string_equal(b.data, "TCP connect 127.0.0.1:80: Success");
	buf_reset(&b);
	check_format_dial_error(&b, "127.0.0.1:1", check_errno_text(111 /* ECONNREFUSED */));
	assert_string_equal(b.data, "dial tcp 127.0.0.1:1: connect: connection refused");
	buf_reset(&b);
	check_format_timeout(&b, 30000, "");
	assert_string_equal(b.data, "Timed out (30s) running check");
	buf_reset(&b);
	check_format_timeout(&b, 1500, "partial");
	assert_string_equal(b.data, "Timed out (1.5s) running check\n\npartial");
	buf_reset(&b);
	check_format_captured(&b, "tail", 4, 4);
	assert_string_equal(b.data, "tail");
	buf_reset(&b);
	check_format_captured(&b, "tail", 4, 10000);
	assert_string_equal(b.data, "Captured 4 of 10000 bytes\n...\ntail");
	buf_free(&b);
}

static void test_keep_tail(void **state)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(buf_append_tail(&b, "abc", 3, 5), 0);
	assert_int_equal(buf_append_tail(&b, "def", 3, 5), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "bcdef", 5);
	assert_int_equal(buf_append_tail(&b, "0123456789", 10, 5), 0);
	assert_string_equal(b.data, "56789");
	buf_free(&b);
}

static void test_alias(void **state)
{
	struct alias_item items[] = {
		{.node = "n1", .service_id = "web", .name = "web ok", .status = "passing", .output = ""},
		{.node = "n1", .service_id = "", .name = "node ok", .status = "passing", .output = ""},
		{.node = "n1", .service_id = "db", .name = "db down", .status = "critical", .output = "boom"},
	};
	struct buf out;
	buf_init(&out);
	assert_string_equal(check_alias_eval(items, 3, "", "web", true, &out), "passing");
	assert_string_equal(out.data, "All checks passing.");
	assert_string_equal(check_alias_eval(items, 3, "", "db", true, &out), "critical");
	assert_string_equal(out.data, "Aliased check \"db down\" failing: boom");
	items[1].status = "warning";
	items[1].output = "slow";
	assert_string_equal(check_alias_eval(items, 3, "", "web", true, &out), "warning");
	assert_string_equal(out.data, "Aliased check \"node ok\" failing: slow");
	/* A service with no checks: passing if it exists, critical if not. */
	assert_string_equal(check_alias_eval(items, 1, "", "api", true, &out), "passing");
	assert_string_equal(check_alias_eval(NULL, 0, "", "api", true, &out), "passing");
	assert_string_equal(out.data, "No checks found.");
	assert_string_equal(check_alias_eval(NULL, 0, "n2", "api", false, &out), "critical");
	assert_string_equal(out.data, "Service api could not be found on node n2");
	/* Another node's checks do not count. */
	assert_string_equal(check_alias_eval(items, 3, "n2", "db", true, &out), "passing");
	buf_free(&out);
}

static void test_alias_local_skips_itself(void **state)
{
	struct local_state *ls = ls_new("n1", "dc1");
	char err[256];
	const char *svc = "{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\",\"Status\":\"passing\"}}";
	struct service_def s;
	assert_int_equal(service_def_parse_json(svc, strlen(svc), NULL, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, NULL, false, 0, err, sizeof err), 0);
	const char *alias = "{\"Name\":\"web-alias\",\"AliasService\":\"web\"}";
	struct check_def c;
	struct def_ctx api = {0};
	assert_int_equal(check_def_parse_json(alias, strlen(alias), &api, &c, err, sizeof err), 0);
	assert_int_equal(ls_check_add(ls, &c, NULL, 0, err, sizeof err), 0);
	struct ls_check *self = ls_check_get(ls, "web-alias");
	assert_non_null(self);
	assert_string_equal(self->status, "critical");
	struct buf out;
	buf_init(&out);
	assert_string_equal(check_alias_eval_local(ls, self, &out), "passing");
	assert_int_equal(ls_check_set(ls, "service:web", "critical", "down"), 1);
	assert_string_equal(check_alias_eval_local(ls, self, &out), "critical");
	assert_string_equal(out.data, "Aliased check \"Service 'web' check\" failing: down");
	assert_int_equal(ls_service_remove(ls, "web"), 0);
	assert_string_equal(check_alias_eval_local(ls, self, &out), "critical");
	assert_string_equal(out.data, "Service web could not be found on node ");
	buf_free(&out);
	ls_free(ls);
}

static void test_reap(void **state)
{
	struct local_state *ls = ls_new("n1", "dc1");
	char err[256];
	const char *svc = "{\"Name\":\"web\",\"Check\":{\"TTL\":\"10s\",\"DeregisterCriticalServiceAfter\":\"2s\"}}";
	struct service_def s;
	assert_int_equal(service_def_parse_json(svc, strlen(svc), NULL, &s, err, sizeof err), 0);
	assert_int_equal(ls_service_add(ls, &s, NULL, false, 1000, err, sizeof err), 0);
	struct ls_strs doomed = {0};
	ls_track_critical(ls, 1000); /* critical from the start */
	assert_int_equal(ls_services_to_reap(ls, 2500, 0, &doomed), 0);
	assert_int_equal(doomed.n, 0);
	assert_int_equal(ls_services_to_reap(ls, 3001, 0, &doomed), 0);
	assert_int_equal(doomed.n, 1);
	assert_string_equal(doomed.items[0], "web");
	ls_strs_clear(&doomed);
	/* The minimum applies. */
	assert_int_equal(ls_services_to_reap(ls, 3001, 60000, &doomed), 0);
	assert_int_equal(doomed.n, 0);
	/* Passing again stops the clock. */
	ls_check_set(ls, "service:web", "passing", "");
	ls_track_critical(ls, 3100);
	assert_int_equal(ls_services_to_reap(ls, 100000, 0, &doomed), 0);
	assert_int_equal(doomed.n, 0);
	ls_free(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_defaults_publish_every_result),
		cmocka_unit_test(test_threshold_success_before_passing),
		cmocka_unit_test(test_threshold_failures_before_critical),
		cmocka_unit_test(test_threshold_failures_before_warning),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_timeouts_and_intervals),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_keep_tail),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_alias_local_skips_itself),
		cmocka_unit_test(test_reap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
