/* test_event_log.c: user events survive their gossip encoding, malformed payloads are refused,
 * filters select agents as Consul's do, and the log keeps the newest 256 in order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event_log.h"
#include "json.h"

static const uint8_t rnd[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void make(struct user_event *ev, const char *name, const char *payload)
{
	memset(ev, 0, sizeof *ev);
	user_event_new_id(ev, rnd);
	ev->name = (char *)name;
	ev->payload = (uint8_t *)payload;
	ev->payload_len = strlen(payload);
	ev->node_filter = "^web";
	ev->service_filter = "";
	ev->tag_filter = "";
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct user_event ev, back;
	make(&ev, "deploy", "v1.2");
	assert_string_equal(ev.id, "01020304-0506-4708-890a-0b0c0d0e0f10");
	struct buf wire;
	buf_init(&wire);
	assert_int_equal(user_event_encode(&ev, &wire), 0);
	assert_int_equal(user_event_decode("deploy", (uint8_t *)wire.data, wire.len, 7, &back), 0);
	assert_string_equal(back.id, ev.id);
	assert_string_equal(back.name, "deploy");
	assert_int_equal(back.payload_len, 4);
	assert_memory_equal(back.payload, "v1.2", 4);
	assert_string_equal(back.node_filter, "^web");
	assert_int_equal(back.ltime, 7);
	user_event_free(&back);
	/* Cut anywhere in the header (id, "\4^web", two empty filters) it is refused, and leaves
	 * nothing to free; from 23 bytes on it is a whole event with a shorter payload. */
	for (size_t n = 0; n < 16 + 5 + 1 + 1; n++) {
		assert_int_equal(user_event_decode("deploy", (uint8_t *)wire.data, n, 1, &back), -22);
		assert_null(back.name);
	}
	buf_free(&wire);
}

static void test_filters(void **state)
{
	(void)state;
	struct user_event ev;
	make(&ev, "restart", "");
	assert_true(user_event_wanted(&ev, "web-1", NULL, NULL));
	assert_false(user_event_wanted(&ev, "db-1", NULL, NULL));
	ev.node_filter = "^web-\\d+$";  /* Go's syntax */
	assert_true(user_event_wanted(&ev, "web-12", NULL, NULL));
	ev.node_filter = "web+++";  /* refused by go_regex: selects nobody, harms nothing */
	assert_false(user_event_wanted(&ev, "webbb", NULL, NULL));
	ev.node_filter = "";
	ev.service_filter = "^api$";
	const char *services[] = {"web", "api", NULL};
	const char *web_tags[] = {"v1", NULL}, *api_tags[] = {"blue", NULL};
	const char *const *tags[] = {web_tags, api_tags};
	assert_true(user_event_wanted(&ev, "n", services, tags));
	ev.tag_filter = "green";
	assert_false(user_event_wanted(&ev, "n", services, tags));
	ev.tag_filter = "bl";
	assert_true(user_event_wanted(&ev, "n", services, tags));
	const char *none[] = {NULL};
	assert_false(user_event_wanted(&ev, "n", none, tags));
}

static void test_log_keeps_newest(void **state)
{
	(void)state;
	static struct event_log log;
	event_log_init(&log);
	for (int i = 0; i < EVENT_LOG_SIZE + 10; i++) {
		struct user_event ev;
		char payload[16];
		snprintf(payload, sizeof payload, "%d", i);
		make(&ev, i % 2 ? "odd" : "even", payload);
		struct buf wire;
		buf_init(&wire);
		assert_int_equal(user_event_encode(&ev, &wire), 0);
		struct user_event got;
		assert_int_equal(user_event_decode(ev.name, (uint8_t *)wire.data, wire.len, (uint64_t)i, &got), 0);
		buf_free(&wire);
		event_log_add(&log, &got);
	}
	assert_int_equal(log.n, EVENT_LOG_SIZE);
	assert_int_equal(log.version, EVENT_LOG_SIZE + 10);
	struct buf out;
	buf_init(&out);
	event_log_render(&log, "odd", &out);
	char err[128];
	yajl_val v = json_parse(out.data, out.len, err, sizeof err);
	assert_non_null(v);
	assert_int_equal(json_arr_len(v), EVENT_LOG_SIZE / 2);
	int64_t first;
	assert_true(json_i64(json_get(json_arr_at(v, 0), "LTime"), &first));
	assert_int_equal(first, 11);  /* 0..9 fell off; 10 is even */
	assert_string_equal(json_str(json_get(json_arr_at(v, 0), "Payload")), "MTE=");
	yajl_tree_free(v);
	buf_free(&out);
	event_log_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_log_keeps_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
