/* test_json.c: the writer escapes and nests correctly; lookups ignore case and underscores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static void test_writer(void **state)
{
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_kv_str(&w, "Node", "a\"b\n");
	jw_kv_u64(&w, "ModifyIndex", UINT64_MAX);
	jw_kv_i64(&w, "Neg", -3);
	jw_kv_bool(&w, "Leader", true);
	jw_kv_null(&w, "Value");
	jw_key(&w, "Tags");
	jw_arr_open(&w);
	jw_str(&w, "v1");
	jw_str(&w, NULL);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	assert_string_equal(b.data, "{\"Node\":\"a\\\"b\\n\",\"ModifyIndex\":18446744073709551615,\"Neg\":-3,"
				    "\"Leader\":true,\"Value\":null,\"Tags\":[\"v1\",\"\"]}");
	buf_free(&b);
}

static void test_parse_and_lookup(void **state)
{
	const char *text = "{\"enable_tag_override\": true, \"Port\": 80, \"name\": \"web\", \"Big\": "
			   "18446744073709551615, \"list\": [1, 2]}";
	char err[128];
	yajl_val v = json_parse(text, strlen(text), err, sizeof err);
	assert_non_null(v);
	assert_true(json_is_true(json_get(v, "EnableTagOverride")));
	int64_t port;
	assert_true(json_i64(json_get(v, "port"), &port));
	assert_int_equal(port, 80);
	assert_string_equal(json_str(json_get(v, "Name")), "web");
	uint64_t big;
	assert_true(json_u64(json_get(v, "big"), &big));
	assert_true(big == UINT64_MAX);
	assert_null(json_get(v, "missing"));
	assert_null(json_str(json_get(v, "Port")));
	assert_int_equal(json_arr_len(json_get(v, "list")), 2);
	assert_null(json_arr_at(json_get(v, "list"), 2));

	/* Round trip through the writer keeps the text. */
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_value(&w, v);
	jw_free(&w);
	assert_string_equal(b.data, "{\"enable_tag_override\":true,\"Port\":80,\"name\":\"web\",\"Big\":"
				    "18446744073709551615,\"list\":[1,2]}");
	buf_free(&b);
	yajl_tree_free(v);
}

static void test_parse_errors(void **state)
{
	char err[128];
	assert_null(json_parse("{\"a\":", 5, err, sizeof err));
	assert_true(strncmp(err, "invalid JSON: ", 14) == 0);
	assert_null(strchr(err, '\n'));
	assert_null(json_parse("{\"a\":1}\0x", 9, err, sizeof err));
	assert_string_equal(err, "invalid JSON: contains a NUL byte");
	/* Not NUL-terminated input is fine. */
	char exact[7] = {'[', '1', ',', '2', ']', 'X', 'Y'};
	yajl_val v = json_parse(exact, 5, err, sizeof err);
	assert_non_null(v);
	yajl_tree_free(v);
}

static void test_quote(void **state)
{
	struct buf b;
	buf_init(&b);
	json_quote(&b, "a\"\\\x01z", 5);
	assert_string_equal(b.data, "\"a\\\"\\\\\\u0001z\"");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_parse_and_lookup),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
