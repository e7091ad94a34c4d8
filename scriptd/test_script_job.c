/* test_script_job.c: scriptd's requests (bounds, refusals) and replies (exit code to status,
 * Consul's capture and timeout wording, invalid UTF-8 made safe). */
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
#include "script_job.h"

static void test_parse(void **state)
{
	struct script_req r;
	char err[256];
	const char *ok = "{\"args\":[\"/bin/sh\",\"-c\",\"exit 1\"],\"timeout_ms\":1500,\"output_max\":10}";
	assert_int_equal(script_req_parse(ok, strlen(ok), &r, err, sizeof err), 0);
	assert_int_equal(r.argc, 3);
	assert_string_equal(r.argv[2], "exit 1");
	assert_null(r.argv[3]);
	assert_int_equal(r.timeout_ms, 1500);
	assert_int_equal(r.output_max, 10);
	script_req_free(&r);
	const char *bad[] = {"{}", "[]", "{\"args\":[]}", "{\"args\":[\"\"]}", "{\"args\":[1]}",
			     "{\"args\":[\"x\"],\"timeout_ms\":0}", "{\"args\":[\"x\"],\"output_max\":99999999}",
			     "{\"args\":[\"x\",2]}", "not json"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(script_req_parse(bad[i], strlen(bad[i]), &r, err, sizeof err), -EINVAL);
		assert_true(err[0] != '\0');
	}
	const char *dflt = "{\"args\":[\"x\"]}";
	assert_int_equal(script_req_parse(dflt, strlen(dflt), &r, err, sizeof err), 0);
	assert_int_equal(r.timeout_ms, 30000);
	assert_int_equal(r.output_max, 4096);
	script_req_free(&r);
}

/* Renders and reads back Status and Output. */
static void reply(int wait_status, bool timed_out, const char *kept, uint64_t total, const char *want_status,
		  const char *want_output)
{
	struct script_req r = {.timeout_ms = 30000};
	struct buf b;
	buf_init(&b);
	assert_int_equal(script_reply_render(&b, &r, wait_status, timed_out, kept, strlen(kept), total), 0);
	char err[128];
	yajl_val v = json_parse(b.data, b.len, err, sizeof err);
	assert_non_null(v);
	assert_string_equal(json_str(json_get(v, "Status")), want_status);
	assert_string_equal(json_str(json_get(v, "Output")), want_output);
	yajl_tree_free(v);
	buf_free(&b);
}

static void test_reply(void **state)
{
	reply(0 << 8, false, "ok\n", 3, "passing", "ok\n");
	reply(1 << 8, false, "slow", 4, "warning", "slow");
	reply(2 << 8, false, "bad", 3, "critical", "bad");
	reply(9 /* killed by SIGKILL */, false, "", 0, "critical", "");
	reply(0, true, "", 0, "critical", "Timed out (30s) running check");
	reply(0, true, "partial", 7, "critical", "Timed out (30s) running check\n\npartial");
	reply(0, false, "tail", 5000, "passing", "Captured 4 of 5000 bytes\n...\ntail");
	reply(0, false, "a\xff" "b", 3, "passing", "a\xef\xbf\xbd" "b");
}

static void test_keep_tail(void **state)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 10; i++)
		assert_int_equal(buf_append_tail(&b, "0123456789", 10, 15), 0);
	assert_int_equal(b.len, 15);
	assert_string_equal(b.data, "567890123456789");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_keep_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
