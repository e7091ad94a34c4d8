/* test_store.c: the state store as a client of the HTTP API would see it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "store.h"

static struct buf res;

/* Applies cmd at index idx; returns the status, with the result in `res`. */
static int apply(struct store *s, uint64_t idx, const char *cmd)
{
	buf_reset(&res);
	return store_apply(s, idx, cmd, strlen(cmd), &res);
}

static const char *body(void)
{
	return res.data ? res.data : "";
}

#define REG_WEB1                                                                                         \
	"{\"Op\":\"register\",\"Node\":\"n1\",\"ID\":\"11111111-2222-3333-4444-555555555555\","            \
	"\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\",\"TaggedAddresses\":{\"lan\":\"10.0.0.1\"},"      \
	"\"NodeMeta\":{\"rack\":\"r1\"},"                                                                  \
	"\"Service\":{\"ID\":\"web1\",\"Service\":\"web\",\"Tags\":[\"v1\"],\"Port\":80},"                  \
	"\"Check\":{\"CheckID\":\"web1-alive\",\"Name\":\"alive\",\"Status\":\"passing\",\"ServiceID\":\"web1\"}}"

#define REG_WEB2                                                                                         \
	"{\"Op\":\"register\",\"Node\":\"n2\",\"Address\":\"10.0.0.2\",\"Datacenter\":\"dc1\","            \
	"\"Service\":{\"ID\":\"web2\",\"Service\":\"web\",\"Tags\":[\"v2\"],\"Port\":81},"                  \
	"\"Checks\":[{\"CheckID\":\"serfHealth\",\"Name\":\"Serf\",\"Status\":\"passing\"},"               \
	"{\"CheckID\":\"web2-alive\",\"Name\":\"alive\",\"Status\":\"warning\",\"ServiceID\":\"web2\"}]}"

static struct store *two_nodes(void)
{
	struct store *s = store_new();
	assert_int_equal(apply(s, 5, REG_WEB1), 200);
	assert_string_equal(body(), "true");
	assert_int_equal(apply(s, 6, REG_WEB2), 200);
	return s;
}

static char *render(int (*fn)(const struct store *, struct buf *), const struct store *s)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(fn(s, &b), 200);
	return buf_steal(&b, NULL);
}

/* The ?tag= values of one request. */
#define TAGS(...)                                                                                 \
	(&(struct store_tags){(const char *const[]){__VA_ARGS__},                                \
			      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

static void test_catalog_service_render(void **state)
{
	struct store *s = two_nodes();
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_catalog_service(s, "web", TAGS("v1"), &b), 200);
	assert_string_equal(b.data,
			    "[{\"ID\":\"11111111-2222-3333-4444-555555555555\",\"Node\":\"n1\",\"Address\":\"10.0.0.1\","
			    "\"Datacenter\":\"dc1\",\"TaggedAddresses\":{\"lan\":\"10.0.0.1\"},\"NodeMeta\":{\"rack\":\"r1\"},"
			    "\"ServiceKind\":\"\",\"ServiceID\":\"web1\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v1\"],"
			    "\"ServiceAddress\":\"\",\"ServiceWeights\":{\"Passing\":1,\"Warning\":1},\"ServiceMeta\":{},"
			    "\"ServicePort\":80,\"ServiceSocketPath\":\"\",\"ServiceEnableTagOverride\":false,"
			    "\"ServiceProxy\":{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}},\"ServiceConnect\":{},"
			    "\"ServiceLocality\":null,\"CreateIndex\":5,\"ModifyIndex\":5}]");
	buf_reset(&b);
	/* no tag: both instances, ordered by node */
	store_catalog_service(s, "web", NULL, &b);
	char *n1 = strstr(b.data, "\"Node\":\"n1\""), *n2 = strstr(b.data, "\"Node\":\"n2\"");
	assert_non_null(n1);
	assert_non_null(n2);
	assert_true(n1 < n2);
	buf_reset(&b);
	store_catalog_service(s, "nosuch", NULL, &b);
	assert_string_equal(b.data, "[]");
	buf_free(&b);
	store_free(s);
}

static void test_catalog_nodes_and_services(void **state)
{
	struct store *s = two_nodes();
	char *nodes = render(store_catalog_nodes, s);
	assert_non_null(strstr(nodes, "{\"ID\":\"\",\"Node\":\"n2\",\"Address\":\"10.0.0.2\",\"Datacenter\":\"dc1\","
				      "\"TaggedAddresses\":{},\"Meta\":{},\"CreateIndex\":6,\"ModifyIndex\":6}"));
	assert_true(strstr(nodes, "\"n1\"") < strstr(nodes, "\"n2\""));
	free(nodes);
	char *svcs = render(store_catalog_services, s);
	assert_string_equal(svcs, "{\"web\":[\"v1\",\"v2\"]}");
	free(svcs);

	struct buf b;
	buf_init(&b);
	assert_int_equal(store_catalog_node(s, "n1", &b), 200);
	assert_non_null(strstr(b.data, "\"Services\":{\"web1\":{\"ID\":\"web1\",\"Service\":\"web\",\"Tags\":[\"v1\"]"));
	assert_non_null(strstr(b.data, "\"Port\":80,\"Weights\":{\"Passing\":1,\"Warning\":1}"));
	buf_reset(&b);
	assert_int_equal(store_catalog_node(s, "nosuch", &b), 200);
	assert_string_equal(b.data, "null");
	buf_reset(&b);
	assert_int_equal(store_catalog_node_services(s, "nosuch", &b), 404);
	assert_int_equal(store_catalog_node_services(s, "n2", &b), 200);
	assert_non_null(strstr(b.data, "\"Services\":[{\"ID\":\"web2\""));
	buf_free(&b);
	store_free(s);
}

static void test_indexes_move(void **state)
{
	struct store *s = two_nodes();
	assert_int_equal(store_index(s), 6);
	/* identical re-registration: the dry run sees no change, entries keep their indexes */
	bool changes = true;
	buf_reset(&res);
	assert_int_equal(store_check(s, REG_WEB1, strlen(REG_WEB1), &res, &changes), 200);
	assert_false(changes);
	assert_int_equal(apply(s, 7, REG_WEB1), 200);
	assert_int_equal(store_index(s), 7);
	struct buf b;
	buf_init(&b);
	store_catalog_service(s, "web", TAGS("v1"), &b);
	assert_non_null(strstr(b.data, "\"CreateIndex\":5,\"ModifyIndex\":5"));
	/* a changed port: ModifyIndex moves, CreateIndex stays */
	assert_int_equal(apply(s, 8,
			       "{\"Op\":\"register\",\"Node\":\"n1\",\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\","
			       "\"ID\":\"11111111-2222-3333-4444-555555555555\",\"TaggedAddresses\":{\"lan\":\"10.0.0.1\"},"
			       "\"NodeMeta\":{\"rack\":\"r1\"},\"Service\":{\"ID\":\"web1\",\"Service\":\"web\","
			       "\"Tags\":[\"v1\"],\"Port\":8080}}"),
			 200);
	buf_reset(&b);
	store_catalog_service(s, "web", TAGS("v1"), &b);
	assert_non_null(strstr(b.data, "\"ServicePort\":8080"));
	assert_non_null(strstr(b.data, "\"CreateIndex\":5,\"ModifyIndex\":8"));
	buf_reset(&b);
	/* the node itself did not change */
	store_catalog_nodes(s, &b);
	assert_non_null(strstr(b.data, "\"Meta\":{\"rack\":\"r1\"},\"CreateIndex\":5,\"ModifyIndex\":5"));
	buf_free(&b);
	store_free(s);
}

static void test_deregister(void **state)
{
	struct store *s = two_nodes();
	struct buf b;
	buf_init(&b);
	assert_int_equal(apply(s, 7, "{\"Op\":\"deregister\",\"Node\":\"n2\",\"ServiceID\":\"web2\"}"), 200);
	assert_string_equal(body(), "true");
	store_health_node(s, "n2", &b);
	/* the service's check went with it; the node check stays */
	assert_null(strstr(b.data, "web2-alive"));
	assert_non_null(strstr(b.data, "serfHealth"));
	buf_reset(&b);
	assert_int_equal(apply(s, 8, "{\"Op\":\"deregister\",\"Node\":\"n2\",\"CheckID\":\"serfHealth\"}"), 200);
	store_health_node(s, "n2", &b);
	assert_string_equal(b.data, "[]");
	buf_reset(&b);
	assert_int_equal(apply(s, 9, "{\"Op\":\"deregister\",\"Node\":\"n1\"}"), 200);
	store_catalog_service(s, "web", NULL, &b);
	assert_string_equal(b.data, "[]");
	buf_reset(&b);
	store_catalog_services(s, &b);
	assert_string_equal(b.data, "{}");
	/* unknown node: still true, as Consul */
	assert_int_equal(apply(s, 10, "{\"Op\":\"deregister\",\"Node\":\"ghost\"}"), 200);
	assert_int_equal(apply(s, 11, "{\"Op\":\"deregister\"}"), 400);
	assert_string_equal(body(), "Must provide node");
	buf_free(&b);
	store_free(s);
}

static void test_health_service_filters(void **state)
{
	struct store *s = two_nodes();
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_health_service(s, "web", NULL, false, &b), 200);
	assert_non_null(strstr(b.data, "\"Node\":{\"ID\":\"11111111-2222-3333-4444-555555555555\",\"Node\":\"n1\""));
	assert_non_null(strstr(b.data, "\"Service\":{\"ID\":\"web1\",\"Service\":\"web\""));
	/* n2's entry carries its node check and its service check */
	assert_non_null(strstr(b.data, "\"CheckID\":\"serfHealth\""));
	assert_non_null(strstr(b.data, "\"CheckID\":\"web2-alive\",\"Name\":\"alive\",\"Status\":\"warning\""));
	assert_non_null(strstr(b.data, "\"ServiceName\":\"web\",\"ServiceTags\":[\"v2\"]"));
	buf_reset(&b);
	/* passing: web2 has a warning check, so only web1 is left */
	store_health_service(s, "web", NULL, true, &b);
	assert_non_null(strstr(b.data, "web1"));
	assert_null(strstr(b.data, "web2"));
	buf_reset(&b);
	/* a critical node check fails every service on the node */
	assert_int_equal(apply(s, 7,
			       "{\"Op\":\"register\",\"Node\":\"n1\",\"Address\":\"10.0.0.1\",\"SkipNodeUpdate\":true,"
			       "\"Check\":{\"CheckID\":\"maint\",\"Name\":\"maint\",\"Status\":\"critical\"}}"),
			 200);
	store_health_service(s, "web", NULL, true, &b);
	assert_string_equal(b.data, "[]");
	buf_reset(&b);
	/* tag filter, ignoring case as Consul does */
	store_health_service(s, "web", TAGS("V2"), false, &b);
	assert_null(strstr(b.data, "web1"));
	assert_non_null(strstr(b.data, "web2"));
	buf_reset(&b);
	/* repeated ?tag=: every one must be there */
	store_health_service(s, "web", TAGS("v2", "v1"), false, &b);
	assert_string_equal(b.data, "[]");
	buf_reset(&b);
	store_catalog_service(s, "web", TAGS("v1", "V1"), &b);
	assert_non_null(strstr(b.data, "web1"));
	buf_reset(&b);
	assert_int_equal(store_health_checks(s, "web", &b), 200);
	assert_non_null(strstr(b.data, "web1-alive"));
	assert_non_null(strstr(b.data, "web2-alive"));
	assert_null(strstr(b.data, "serfHealth"));
	buf_free(&b);
	store_free(s);
}

static void test_health_state(void **state)
{
	struct store *s = two_nodes();
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_health_state(s, "warning", &b), 200);
	assert_non_null(strstr(b.data, "web2-alive"));
	assert_null(strstr(b.data, "web1-alive"));
	buf_reset(&b);
	assert_int_equal(store_health_state(s, "any", &b), 200);
	assert_non_null(strstr(b.data, "web1-alive"));
	assert_non_null(strstr(b.data, "serfHealth"));
	buf_reset(&b);
	assert_int_equal(store_health_state(s, "critical", &b), 200);
	assert_string_equal(b.data, "[]");
	buf_reset(&b);
	assert_int_equal(store_health_state(s, "sideways", &b), 400);
	buf_free(&b);
	store_free(s);
}

static void test_catalog_dump(void **state)
{
	struct store *s = two_nodes();
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_catalog_dump(s, &b), 200);
	assert_string_equal(b.data,
			    "{\"Nodes\":[{\"ID\":\"11111111-2222-3333-4444-555555555555\",\"Node\":\"n1\","
			    "\"Address\":\"10.0.0.1\",\"Datacenter\":\"dc1\",\"TaggedAddresses\":{\"lan\":\"10.0.0.1\"},"
			    "\"Meta\":{\"rack\":\"r1\"}},{\"ID\":\"\",\"Node\":\"n2\",\"Address\":\"10.0.0.2\","
			    "\"Datacenter\":\"dc1\",\"TaggedAddresses\":{},\"Meta\":{}}],"
			    "\"Services\":[{\"Node\":\"n1\",\"ServiceID\":\"web1\",\"ServiceName\":\"web\","
			    "\"ServiceTags\":[\"v1\"],\"ServiceAddress\":\"\",\"ServicePort\":80,\"Status\":\"passing\"},"
			    "{\"Node\":\"n2\",\"ServiceID\":\"web2\",\"ServiceName\":\"web\",\"ServiceTags\":[\"v2\"],"
			    "\"ServiceAddress\":\"\",\"ServicePort\":81,\"Status\":\"warning\"}]}");
	buf_free(&b);
	store_free(s);
}

/* Each bad registration is refused with Consul's message, and changes nothing. */
static void test_register_validation(void **state)
{
	static const struct {
		const char *cmd, *msg;
	} cases[] = {
		{"{\"Op\":\"register\",\"Address\":\"1.2.3.4\"}", "Must provide node"},
		{"{\"Op\":\"register\",\"Node\":\"x\"}", "Must provide address if SkipNodeUpdate is not set"},
		{"{\"Op\":\"register\",\"Node\":\"x\",\"Address\":\"a\",\"Service\":{\"ID\":\"s\"}}",
		 "Must provide service name with ID"},
		{"{\"Op\":\"register\",\"Node\":\"x\",\"Address\":\"a\",\"Check\":{\"Name\":\"c\",\"Status\":\"ok\"}}",
		 "Invalid check status: \"ok\""},
		{"{\"Op\":\"register\",\"Node\":\"x\",\"Address\":\"a\",\"Check\":{\"Name\":\"c\",\"ServiceID\":\"s\"}}",
		 "Missing service registration"},
		{"{\"Op\":\"register\",\"Node\":\"x\",\"Address\":\"a\",\"ID\":\"nope\"}",
		 "Bad node ID: uuid string is wrong length"},
		{"{\"Op\":\"register\",\"Node\":\"x\",\"Address\":\"a\",\"Service\":{\"Service\":\"s\","
		 "\"Address\":\"0.0.0.0\"}}",
		 "Invalid service address"},
	};
	struct store *s = store_new();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(apply(s, i + 1, cases[i].cmd), 400);
		assert_string_equal(body(), cases[i].msg);
	}
	assert_int_equal(apply(s, 50, "not json"), 400);
	assert_int_equal(apply(s, 51, "{\"Op\":\"explode\"}"), 400);
	char *nodes = render(store_catalog_nodes, s);
	assert_string_equal(nodes, "[]");
	free(nodes);
	store_free(s);
}

static void test_kv_semantics(void **state)
{
	struct store *s = store_new();
	struct buf b;
	buf_init(&b);
	assert_int_equal(store_kv_get(s, "a", KV_GET_ONE, NULL, &b), 404);
	assert_int_equal(apply(s, 3, "{\"Op\":\"kv_set\",\"Key\":\"app/config\",\"Value\":\"eyJhIjoxfQ==\",\"Flags\":42}"),
			 200);
	assert_string_equal(body(), "true");
	assert_int_equal(store_kv_get(s, "app/config", KV_GET_ONE, NULL, &b), 200);
	assert_string_equal(b.data, "[{\"LockIndex\":0,\"Key\":\"app/config\",\"Flags\":42,\"Value\":\"eyJhIjoxfQ==\","
				    "\"CreateIndex\":3,\"ModifyIndex\":3}]");
	/* cas 0: create only */
	assert_int_equal(apply(s, 4, "{\"Op\":\"kv_cas\",\"Key\":\"app/config\",\"Value\":\"eA==\",\"Cas\":0}"), 200);
	assert_string_equal(body(), "false");
	/* cas N: only when ModifyIndex is N */
	assert_int_equal(apply(s, 5, "{\"Op\":\"kv_cas\",\"Key\":\"app/config\",\"Value\":\"eA==\",\"Cas\":2}"), 200);
	assert_string_equal(body(), "false");
	assert_int_equal(apply(s, 6, "{\"Op\":\"kv_cas\",\"Key\":\"app/config\",\"Value\":\"eA==\",\"Cas\":3}"), 200);
	assert_string_equal(body(), "true");
	buf_reset(&b);
	store_kv_get(s, "app/config", KV_GET_ONE, NULL, &b);
	assert_non_null(strstr(b.data, "\"Flags\":0,\"Value\":\"eA==\",\"CreateIndex\":3,\"ModifyIndex\":6"));
	/* an empty value renders as null */
	assert_int_equal(apply(s, 7, "{\"Op\":\"kv_set\",\"Key\":\"app/db/host\"}"), 200);
	assert_int_equal(apply(s, 8, "{\"Op\":\"kv_set\",\"Key\":\"app/db/port\",\"Value\":\"NTQzMg==\"}"), 200);
	assert_int_equal(apply(s, 9, "{\"Op\":\"kv_set\",\"Key\":\"apple\",\"Value\":\"eQ==\"}"), 200);
	buf_reset(&b);
	store_kv_get(s, "app/db/host", KV_GET_ONE, NULL, &b);
	assert_non_null(strstr(b.data, "\"Value\":null"));
	/* recurse: the prefix, in key order */
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "app/", KV_GET_RECURSE, NULL, &b), 200);
	char *c = strstr(b.data, "app/config"), *h = strstr(b.data, "app/db/host"), *p = strstr(b.data, "app/db/port");
	assert_true(c && h && p && c < h && h < p);
	assert_null(strstr(b.data, "apple"));
	/* keys with a separator fold the subtree */
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "app", KV_GET_KEYS, "/", &b), 200);
	assert_string_equal(b.data, "[\"app/\",\"apple\"]");
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "app/", KV_GET_KEYS, "/", &b), 200);
	assert_string_equal(b.data, "[\"app/config\",\"app/db/\"]");
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "", KV_GET_KEYS, NULL, &b), 200);
	assert_string_equal(b.data, "[\"app/config\",\"app/db/host\",\"app/db/port\",\"apple\"]");
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "zzz", KV_GET_KEYS, NULL, &b), 404);
	/* delete cas: wrong index refused, right index deletes */
	assert_int_equal(apply(s, 10, "{\"Op\":\"kv_delete_cas\",\"Key\":\"apple\",\"Cas\":1}"), 200);
	assert_string_equal(body(), "false");
	assert_int_equal(apply(s, 11, "{\"Op\":\"kv_delete_cas\",\"Key\":\"apple\",\"Cas\":9}"), 200);
	assert_string_equal(body(), "true");
	assert_int_equal(store_kv_get(s, "apple", KV_GET_ONE, NULL, &b), 404);
	/* delete tree */
	assert_int_equal(apply(s, 12, "{\"Op\":\"kv_delete_tree\",\"Key\":\"app/db/\"}"), 200);
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "", KV_GET_KEYS, NULL, &b), 200);
	assert_string_equal(b.data, "[\"app/config\"]");
	assert_int_equal(apply(s, 13, "{\"Op\":\"kv_delete\",\"Key\":\"app/config\"}"), 200);
	assert_string_equal(body(), "true");
	assert_int_equal(store_kv_get(s, "", KV_GET_RECURSE, NULL, &b), 404);
	/* bad input */
	assert_int_equal(apply(s, 14, "{\"Op\":\"kv_set\",\"Key\":\"k\",\"Value\":\"***\"}"), 400);
	assert_int_equal(apply(s, 15, "{\"Op\":\"kv_set\",\"Value\":\"eA==\"}"), 400);
	assert_string_equal(body(), "Missing key name");
	assert_int_equal(store_index(s), 15);
	buf_free(&b);
	store_free(s);
}

static void test_snapshot_roundtrip(void **state)
{
	struct store *s = two_nodes();
	assert_int_equal(apply(s, 7, "{\"Op\":\"kv_set\",\"Key\":\"k\",\"Value\":\"dmFsdWU=\",\"Flags\":1}"), 200);
	assert_int_equal(apply(s, 8, "{\"Op\":\"kv_set\",\"Key\":\"empty\"}"), 200);
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	store_snapshot(s, &a);
	struct store *copy = store_new();
	char err[256];
	assert_int_equal(store_restore(copy, a.data, a.len, err, sizeof err), 0);
	store_snapshot(copy, &b);
	assert_string_equal(a.data, b.data);
	assert_int_equal(store_index(copy), 8);
	assert_int_not_equal(store_restore(copy, "{\"Nodes\":[{}]}", 14, err, sizeof err), 0);
	buf_free(&a);
	buf_free(&b);
	store_free(copy);
	store_free(s);
}

/* {"Op":"restore"}: the whole store replaced at the command's index; a bad snapshot is
 * refused (dry run and real run alike) and changes nothing. */
static void test_restore_command(void **state)
{
	struct store *s = store_new();
	assert_int_equal(apply(s, 3, "{\"Op\":\"kv_set\",\"Key\":\"a\",\"Value\":\"b2xk\"}"), 200);
	struct buf snap, cmd, b;
	buf_init(&snap);
	buf_init(&cmd);
	buf_init(&b);
	store_snapshot(s, &snap);
	assert_int_equal(apply(s, 4, "{\"Op\":\"kv_set\",\"Key\":\"a\",\"Value\":\"bmV3\"}"), 200);
	assert_int_equal(apply(s, 5, "{\"Op\":\"kv_set\",\"Key\":\"extra\"}"), 200);
	buf_appendf(&cmd, "{\"Op\":\"restore\",\"Snapshot\":%.*s}", (int)snap.len, snap.data);

	bool changes = false;
	buf_reset(&res);
	assert_int_equal(store_check(s, cmd.data, cmd.len, &res, &changes), 200);
	assert_true(changes);
	assert_int_equal(apply(s, 9, "{\"Op\":\"restore\",\"Snapshot\":{\"Index\":1,\"KV\":[{}]}}"), 400);
	assert_int_equal(apply(s, 10, "{\"Op\":\"restore\",\"Snapshot\":[]}"), 400);
	assert_int_equal(store_kv_get(s, "extra", KV_GET_ONE, NULL, &b), 200); /* unchanged */

	buf_reset(&res);
	assert_int_equal(store_apply(s, 11, cmd.data, cmd.len, &res), 200);
	assert_int_equal(store_index(s), 11);
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "extra", KV_GET_ONE, NULL, &b), 404);
	buf_reset(&b);
	assert_int_equal(store_kv_get(s, "a", KV_GET_ONE, NULL, &b), 200);
	assert_non_null(strstr(b.data, "\"Value\":\"b2xk\""));
	assert_non_null(strstr(b.data, "\"ModifyIndex\":3")); /* entries keep their own indexes */
	buf_free(&snap);
	buf_free(&cmd);
	buf_free(&b);
	store_free(s);
}

static int teardown(void **state)
{
	buf_free(&res);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_service_render),
		cmocka_unit_test(test_catalog_nodes_and_services),
		cmocka_unit_test(test_indexes_move),
		cmocka_unit_test(test_deregister),
		cmocka_unit_test(test_health_service_filters),
		cmocka_unit_test(test_health_state),
		cmocka_unit_test(test_catalog_dump),
		cmocka_unit_test(test_register_validation),
		cmocka_unit_test(test_kv_semantics),
		cmocka_unit_test(test_snapshot_roundtrip),
		cmocka_unit_test(test_restore_command),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
