/* test_servers.c: servers found in gossip membership, the -bootstrap-expect decision and the
 * leader's reconciliation of the Raft configuration with membership. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "servers.h"

static const char *member_json(char *buf, size_t cap, const char *name, const char *addr, const char *role,
			       const char *dc, int expect, int status, const char *extra)
{
	snprintf(buf, cap,
		 "{\"Name\":\"%s\",\"Addr\":\"%s\",\"Port\":8301,\"Tags\":{\"role\":\"%s\",\"dc\":\"%s\","
		 "\"id\":\"id-%s\",\"port\":\"8300\",\"expect\":\"%d\"%s},\"Status\":%d}",
		 name, addr, role, dc, name, expect, extra, status);
	return buf;
}

static int parse3(struct server_member *m, int st_a, int st_b, int st_c, int expect_c)
{
	char a[512], b[512], c[512], d[512], all[2200];
	snprintf(all, sizeof all, "[%s,%s,%s,%s]", member_json(a, sizeof a, "s1", "127.0.0.50", "consul", "dc1", 3, st_a, ""),
		 member_json(b, sizeof b, "s2", "127.0.0.51", "consul", "dc1", 3, st_b, ""),
		 member_json(c, sizeof c, "s3", "127.0.0.52", "consul", "dc1", expect_c, st_c, ""),
		 member_json(d, sizeof d, "c1", "127.0.0.53", "node", "dc1", 0, 1, ""));
	return servers_from_members(all, strlen(all), "dc1", m, 8);
}

static void test_parse(void **state)
{
	struct server_member m[8];
	assert_int_equal(parse3(m, 1, 1, 1, 3), 3); /* the client is not a server */
	assert_string_equal(m[0].name, "s1");
	assert_string_equal(m[1].addr, "127.0.0.51:8300");
	assert_int_equal(m[2].expect, 3);
	assert_int_equal(m[0].id, servers_raft_id("id-s1", "s1"));
	assert_int_equal(servers_from_members("{}", 2, "dc1", m, 8), -1);
	assert_int_equal(servers_from_members("[]", 2, "dc1", m, 8), 0);
	assert_int_equal(servers_from_members("[", 1, "dc1", m, 8), -1);
	char b[512];
	member_json(b, sizeof b, "s9", "10.0.0.9", "consul", "dc2", 3, 1, "");
	assert_int_equal(servers_from_members(b, strlen(b), "dc1", m, 8), -1); /* not a list */
	char l[600];
	snprintf(l, sizeof l, "[%s]", b);
	assert_int_equal(servers_from_members(l, strlen(l), "dc1", m, 8), 0); /* another dc */
}

static void test_bootstrap_waits_then_agrees(void **state)
{
	struct server_member m[8];
	struct raft_config c1, c2;
	char why[128];
	int n = parse3(m, 1, 1, 4, 3); /* s3 failed: only two alive */
	assert_int_equal(servers_bootstrap_config(m, (size_t)n, 3, &c1, why, sizeof why), 1);
	assert_non_null(strstr(why, "2 of 3"));
	n = parse3(m, 1, 1, 1, 3);
	assert_int_equal(servers_bootstrap_config(m, (size_t)n, 3, &c1, why, sizeof why), 0);
	assert_int_equal(c1.n, 3);
	/* Seen in another order, the configuration is the same. */
	struct server_member r[3] = {m[2], m[0], m[1]};
	assert_int_equal(servers_bootstrap_config(r, 3, 3, &c2, why, sizeof why), 0);
	assert_memory_equal(&c1, &c2, sizeof c1);
	assert_true(c1.servers[0].id < c1.servers[1].id && c1.servers[1].id < c1.servers[2].id);
}

static void test_bootstrap_refused_on_mismatch(void **state)
{
	struct server_member m[8];
	struct raft_config c;
	char why[128];
	int n = parse3(m, 1, 1, 1, 5);
	assert_int_equal(servers_bootstrap_config(m, (size_t)n, 3, &c, why, sizeof why), -1);
	assert_non_null(strstr(why, "expects 5"));
	n = parse3(m, 1, 1, 1, 3);
	m[1].bootstrap = true;
	assert_int_equal(servers_bootstrap_config(m, (size_t)n, 3, &c, why, sizeof why), -1);
}

static void test_reconcile(void **state)
{
	struct server_member m[8];
	int n = parse3(m, 1, 1, 1, 3);
	struct raft_config conf = {.n = 1};
	conf.servers[0].id = m[0].id;
	strcpy(conf.servers[0].addr, m[0].addr);
	struct server_change c = servers_reconcile(&conf, m, (size_t)n, m[0].id);
	assert_int_equal(c.kind, SERVER_ADD);
	assert_int_equal(c.id, m[1].id);
	assert_string_equal(c.addr, "127.0.0.51:8300");
	conf.servers[1] = (struct raft_server){.id = m[1].id};
	strcpy(conf.servers[1].addr, m[1].addr);
	conf.servers[2] = (struct raft_server){.id = m[2].id};
	strcpy(conf.servers[2].addr, m[2].addr);
	conf.n = 3;
	assert_int_equal(servers_reconcile(&conf, m, (size_t)n, m[0].id).kind, SERVER_KEEP);
	m[2].status = MEMBER_FAILED; /* one dead of three: cleaned up */
	c = servers_reconcile(&conf, m, (size_t)n, m[0].id);
	assert_int_equal(c.kind, SERVER_REMOVE);
	assert_int_equal(c.id, m[2].id);
	m[1].status = MEMBER_FAILED; /* two dead of three: removing would cost the quorum */
	assert_int_equal(servers_reconcile(&conf, m, (size_t)n, m[0].id).kind, SERVER_KEEP);
	m[1].status = MEMBER_ALIVE;
	m[2].status = MEMBER_LEFT;
	c = servers_reconcile(&conf, m, (size_t)n, m[0].id);
	assert_int_equal(c.kind, SERVER_REMOVE);
	assert_int_equal(c.id, m[2].id);
	/* s3 rebuilt with a new node ID at the same address: the old entry goes first. */
	struct server_member fresh = m[2];
	strcpy(fresh.node_id, "id-s3-new");
	fresh.status = MEMBER_ALIVE;
	fresh.id = servers_raft_id(fresh.node_id, fresh.name);
	struct server_member two[2] = {m[1], fresh};
	c = servers_reconcile(&conf, two, 2, m[0].id);
	assert_int_equal(c.kind, SERVER_REMOVE);
	assert_int_equal(c.id, m[2].id);
	fresh.node_id[0] = '\0'; /* no node ID known: left alone */
	two[1] = fresh;
	assert_int_equal(servers_reconcile(&conf, two, 2, m[0].id).kind, SERVER_KEEP);
	m[0].status = MEMBER_LEFT; /* never removes itself */
	m[2].status = MEMBER_ALIVE;
	assert_int_equal(servers_reconcile(&conf, m, (size_t)n, m[0].id).kind, SERVER_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bootstrap_waits_then_agrees),
		cmocka_unit_test(test_bootstrap_refused_on_mismatch),
		cmocka_unit_test(test_reconcile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
