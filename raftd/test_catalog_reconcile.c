/* test_catalog_reconcile.c: the catalog follows gossip (alive: serfHealth passing, failed:
 * critical, left and reaped: deregistered), leaves external nodes and other datacenters
 * alone, and a second pass over the result has nothing left to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "catalog_reconcile.h"
#include "store.h"

static uint64_t next_index = 1;

/* Applies every command line; returns how many. */
static size_t apply_all(struct store *s, struct buf *cmds)
{
	size_t n = 0;
	char *p = cmds->data;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		struct buf res;
		buf_init(&res);
		assert_int_equal(store_apply(s, next_index++, p, (size_t)(nl - p), &res), 200);
		buf_free(&res);
		n++;
		p = nl + 1;
	}
	buf_reset(cmds);
	return n;
}

static void reg(struct store *s, const char *cmd)
{
	struct buf res;
	buf_init(&res);
	assert_int_equal(store_apply(s, next_index++, cmd, strlen(cmd), &res), 200);
	buf_free(&res);
}

#define MEMBER(name, addr, status, dc)                                                             \
	"{\"Name\":\"" name "\",\"Addr\":\"" addr "\",\"Status\":" #status ",\"Tags\":{\"dc\":\"" dc "\",\"id\":\"\"}}"

static const char *serf_status(const struct store *s, const char *node)
{
	static char out[32];
	struct buf b;
	buf_init(&b);
	store_health_node(s, node, &b);
	const char *p = strstr(b.data ? b.data : "", "\"CheckID\":\"serfHealth\"");
	out[0] = '\0';
	if (p) {
		/* the node's checks render one object each; find serfHealth's own Status */
		const char *obj = p;
		while (obj > b.data && *obj != '{')
			obj--;
		const char *st = strstr(obj, "\"Status\":\"");
		if (st)
			sscanf(st + 10, "%31[^\"]", out);
	}
	buf_free(&b);
	return out;
}

static bool has_node(const struct store *s, const char *node)
{
	struct buf b;
	buf_init(&b);
	int st = store_catalog_node(s, node, &b);
	bool known = st == 200 && strcmp(b.data, "null") != 0;
	buf_free(&b);
	return known;
}

static void test_follows_gossip(void **state)
{
	(void)state;
	struct store *s = store_new();
	/* an external node (no serfHealth) and a node gossip has forgotten */
	reg(s, "{\"Op\":\"register\",\"Node\":\"ext\",\"Address\":\"10.9.9.9\"}");
	reg(s, "{\"Op\":\"register\",\"Node\":\"gone\",\"Address\":\"10.0.0.8\",\"Checks\":[{\"CheckID\":\"serfHealth\","
	       "\"Name\":\"Serf Health Status\",\"Status\":\"passing\"}]}");
	reg(s, "{\"Op\":\"register\",\"Node\":\"leaver\",\"Address\":\"10.0.0.3\",\"Checks\":[{\"CheckID\":\"serfHealth\","
	       "\"Name\":\"Serf Health Status\",\"Status\":\"passing\"}],\"Service\":{\"Service\":\"web\",\"Port\":80}}");
	reg(s, "{\"Op\":\"register\",\"Node\":\"sick\",\"Address\":\"10.0.0.2\",\"Checks\":[{\"CheckID\":\"serfHealth\","
	       "\"Name\":\"Serf Health Status\",\"Status\":\"passing\"},{\"CheckID\":\"disk\",\"Name\":\"disk\","
	       "\"Status\":\"passing\"}]}");
	const char *members = "[" MEMBER("new", "10.0.0.1", 1, "dc1") "," MEMBER("sick", "10.0.0.2", 4, "dc1") ","
		MEMBER("leaver", "10.0.0.3", 3, "dc1") "," MEMBER("far", "10.1.0.1", 1, "dc2") "]";
	struct buf cmds;
	buf_init(&cmds);
	size_t n = catalog_reconcile(s, members, strlen(members), "dc1", &cmds);
	assert_int_equal(n, 4);  /* new, sick, leaver, gone */
	assert_int_equal(apply_all(s, &cmds), 4);

	assert_true(has_node(s, "new"));
	assert_string_equal(serf_status(s, "new"), "passing");
	assert_string_equal(serf_status(s, "sick"), "critical");
	assert_false(has_node(s, "leaver"));
	assert_false(has_node(s, "gone"));
	assert_true(has_node(s, "ext"));
	assert_false(has_node(s, "far"));
	/* the failed node keeps its other checks */
	struct buf b;
	buf_init(&b);
	store_health_node(s, "sick", &b);
	assert_non_null(strstr(b.data, "\"disk\""));
	buf_free(&b);

	assert_int_equal(catalog_reconcile(s, members, strlen(members), "dc1", &cmds), 0);
	/* back alive, at a new address */
	const char *later = "[" MEMBER("new", "10.0.0.1", 1, "dc1") "," MEMBER("sick", "10.0.0.22", 1, "dc1") "]";
	assert_int_equal(catalog_reconcile(s, later, strlen(later), "dc1", &cmds), 1);
	apply_all(s, &cmds);
	assert_string_equal(serf_status(s, "sick"), "passing");
	assert_int_equal(catalog_reconcile(s, later, strlen(later), "dc1", &cmds), 0);
	assert_int_equal(catalog_reconcile(s, "nonsense", 8, "dc1", &cmds), 0);
	buf_free(&cmds);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_gossip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
