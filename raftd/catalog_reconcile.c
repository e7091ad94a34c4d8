/* catalog_reconcile.c: see catalog_reconcile.h. */
#include "catalog_reconcile.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

#define SERF_CHECK "serfHealth"

enum { ALIVE = 1, LEAVING = 2, LEFT = 3, FAILED = 4 };

/* What the catalog says about one node. */
struct node_view {
	bool exists;
	const char *address;
	const char *serf_status;  /* NULL: no serfHealth check */
};

static yajl_val parse_body(const struct store *s, int (*read)(const struct store *, struct buf *))
{
	struct buf b;
	buf_init(&b);
	yajl_val v = NULL;
	char err[64];
	if (read(s, &b) == 200)
		v = json_parse(b.data, b.len, err, sizeof err);
	buf_free(&b);
	return v;
}

static int all_checks(const struct store *s, struct buf *out)
{
	return store_health_state(s, "any", out);
}

static void view_of(yajl_val nodes, yajl_val checks, const char *name, struct node_view *v)
{
	memset(v, 0, sizeof *v);
	for (size_t i = 0; i < json_arr_len(nodes); i++) {
		yajl_val n = json_arr_at(nodes, i);
		const char *node = json_str(json_get(n, "Node"));
		if (node && strcmp(node, name) == 0) {
			v->exists = true;
			v->address = json_str(json_get(n, "Address"));
			break;
		}
	}
	for (size_t i = 0; i < json_arr_len(checks); i++) {
		yajl_val c = json_arr_at(checks, i);
		const char *node = json_str(json_get(c, "Node")), *id = json_str(json_get(c, "CheckID"));
		if (node && id && strcmp(node, name) == 0 && strcmp(id, SERF_CHECK) == 0) {
			v->serf_status = json_str(json_get(c, "Status"));
			break;
		}
	}
}

static void emit_register(struct buf *cmds, yajl_val member, const char *dc, bool alive)
{
	const char *name = json_str(json_get(member, "Name")), *addr = json_str(json_get(member, "Addr"));
	const char *id = json_str(json_get(json_get(member, "Tags"), "id"));
	struct jw w;
	jw_init(&w, cmds);
	jw_obj_open(&w);
	jw_kv_str(&w, "Op", "register");
	jw_kv_str(&w, "Node", name);
	if (id && *id)
		jw_kv_str(&w, "ID", id);
	jw_kv_str(&w, "Address", addr);
	jw_kv_str(&w, "Datacenter", dc);
	jw_key(&w, "TaggedAddresses");
	jw_obj_open(&w);
	jw_kv_str(&w, "lan", addr);
	jw_kv_str(&w, "lan_ipv4", addr);
	jw_kv_str(&w, "wan", addr);
	jw_kv_str(&w, "wan_ipv4", addr);
	jw_obj_close(&w);
	jw_key(&w, "Checks");
	jw_arr_open(&w);
	jw_obj_open(&w);
	jw_kv_str(&w, "CheckID", SERF_CHECK);
	jw_kv_str(&w, "Name", "Serf Health Status");
	jw_kv_str(&w, "Status", alive ? "passing" : "critical");
	jw_kv_str(&w, "Output", alive ? "Agent alive and reachable" : "Agent not live or unreachable");
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	buf_append_char(cmds, '\n');
}

static void emit_deregister(struct buf *cmds, const char *node)
{
	struct jw w;
	jw_init(&w, cmds);
	jw_obj_open(&w);
	jw_kv_str(&w, "Op", "deregister");
	jw_kv_str(&w, "Node", node);
	jw_obj_close(&w);
	jw_free(&w);
	buf_append_char(cmds, '\n');
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* One member: returns 1 when a command was emitted. */
static size_t reconcile_member(yajl_val m, yajl_val nodes, yajl_val checks, const char *dc, struct buf *cmds)
{
	const char *name = json_str(json_get(m, "Name")), *addr = json_str(json_get(m, "Addr"));
	int64_t status = 0;
	json_i64(json_get(m, "Status"), &status);
	if (!name || !*name || !addr)
		return 0;
	struct node_view v;
	view_of(nodes, checks, name, &v);
	switch (status) {
	case ALIVE:
	case LEAVING:
		if (v.exists && same(v.address, addr) && same(v.serf_status, "passing"))
			return 0;
		emit_register(cmds, m, dc, true);
		return 1;
	case FAILED:
		if (v.exists && same(v.serf_status, "critical"))
			return 0;
		emit_register(cmds, m, dc, false);
		return 1;
	case LEFT:
		if (!v.exists)
			return 0;
		emit_deregister(cmds, name);
		return 1;
	}
	return 0;
}

/* Whether a member of that name is in the table (any status). */
static bool known_member(yajl_val members, const char *name)
{
	for (size_t i = 0; i < json_arr_len(members); i++)
		if (same(json_str(json_get(json_arr_at(members, i), "Name")), name))
			return true;
	return false;
}

size_t catalog_reconcile(const struct store *s, const char *members_json, size_t len, const char *dc,
			 struct buf *cmds)
{
	char err[64];
	yajl_val members = json_parse(members_json, len, err, sizeof err);
	if (!members || !YAJL_IS_ARRAY(members)) {
		yajl_tree_free(members);
		return 0;
	}
	yajl_val nodes = parse_body(s, store_catalog_nodes), checks = parse_body(s, all_checks);
	size_t n = 0;
	for (size_t i = 0; i < json_arr_len(members); i++) {
		yajl_val m = json_arr_at(members, i);
		const char *mdc = json_str(json_get(json_get(m, "Tags"), "dc"));
		if (mdc && strcmp(mdc, dc) == 0)
			n += reconcile_member(m, nodes, checks, dc, cmds);
	}
	/* Reaped: the catalog has a serfHealth node that gossip forgot. */
	for (size_t i = 0; i < json_arr_len(checks); i++) {
		yajl_val c = json_arr_at(checks, i);
		const char *node = json_str(json_get(c, "Node"));
		if (same(json_str(json_get(c, "CheckID")), SERF_CHECK) && node && !known_member(members, node)) {
			emit_deregister(cmds, node);
			n++;
		}
	}
	yajl_tree_free(members);
	yajl_tree_free(nodes);
	yajl_tree_free(checks);
	return n;
}
