/* servers.c: servers from gossip membership, bootstrap and reconciliation decisions (see
 * servers.h). */
#include "servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

uint64_t servers_raft_id(const char *node_id, const char *name)
{
	const char *s = node_id && *node_id ? node_id : name;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h ? h : 1;
}

static const char *tag(yajl_val member, const char *key)
{
	return json_str(json_get(json_get(member, "Tags"), key));
}

static bool copy(char *dst, size_t cap, const char *src)
{
	if (!src || strlen(src) >= cap)
		return false;
	memcpy(dst, src, strlen(src) + 1);
	return true;
}

int servers_from_members(const char *json, size_t len, const char *dc, struct server_member *out, size_t max)
{
	char err[128];
	yajl_val v = json_parse(json, len, err, sizeof err);
	if (!v || !YAJL_IS_ARRAY(v)) {
		if (v)
			yajl_tree_free(v);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < json_arr_len(v) && n < max; i++) {
		yajl_val mb = json_arr_at(v, i);
		const char *role = tag(mb, "role"), *mdc = tag(mb, "dc"), *port = tag(mb, "port");
		const char *addr = json_str(json_get(mb, "Addr")), *name = json_str(json_get(mb, "Name"));
		int64_t status = 0;
		if (!role || strcmp(role, "consul") != 0 || !mdc || strcmp(mdc, dc) != 0 || !port || !addr || !name)
			continue;
		char *end;
		long p = strtol(port, &end, 10);
		if (*end || p <= 0 || p > 65535)
			continue;
		struct server_member *s = &out[n];
		memset(s, 0, sizeof *s);
		int w = strchr(addr, ':') ? snprintf(s->addr, sizeof s->addr, "[%s]:%ld", addr, p)
					  : snprintf(s->addr, sizeof s->addr, "%s:%ld", addr, p);
		if (w < 0 || (size_t)w >= sizeof s->addr || !copy(s->name, sizeof s->name, name))
			continue;
		copy(s->node_id, sizeof s->node_id, tag(mb, "id"));
		s->id = servers_raft_id(s->node_id, s->name);
		json_i64(json_get(mb, "Status"), &status);
		s->status = (int)status;
		const char *expect = tag(mb, "expect");
		s->expect = expect ? atoi(expect) : 0;
		s->bootstrap = tag(mb, "bootstrap") != NULL;
		n++;
	}
	yajl_tree_free(v);
	return (int)n;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct raft_server *)a)->id, y = ((const struct raft_server *)b)->id;
	return x < y ? -1 : x > y;
}

int servers_bootstrap_config(const struct server_member *m, size_t n, int expect, struct raft_config *out,
			     char *why, size_t why_len)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		if (m[i].status != MEMBER_ALIVE || !m[i].node_id[0])
			continue;
		if (m[i].bootstrap) {
			snprintf(why, why_len, "server %s was started with -bootstrap: not bootstrapping", m[i].name);
			return -1;
		}
		if (m[i].expect && m[i].expect != expect) {
			snprintf(why, why_len, "server %s expects %d servers, this one %d: not bootstrapping", m[i].name,
				 m[i].expect, expect);
			return -1;
		}
		if (out->n == RAFT_MAX_SERVERS)
			continue;
		bool dup = false;
		for (uint32_t k = 0; k < out->n; k++)
			dup |= out->servers[k].id == m[i].id;
		if (dup)
			continue;
		out->servers[out->n].id = m[i].id;
		snprintf(out->servers[out->n].addr, RAFT_ADDR_MAX, "%s", m[i].addr);
		out->n++;
	}
	if ((int)out->n < expect) {
		snprintf(why, why_len, "%u of %d expected servers seen", out->n, expect);
		return 1;
	}
	qsort(out->servers, out->n, sizeof out->servers[0], by_id);
	return 0;
}

struct server_change servers_reconcile(const struct raft_config *conf, const struct server_member *m, size_t n,
				       uint64_t self)
{
	struct server_change c = {.kind = SERVER_KEEP};
	for (size_t i = 0; i < n; i++) {
		if (m[i].id == self || !m[i].node_id[0])
			continue; /* without its node ID, its Raft id is unknown */
		const struct raft_server *s = raft_config_find(conf, m[i].id);
		if (m[i].status == MEMBER_ALIVE && (!s || strcmp(s->addr, m[i].addr) != 0)) {
			c.kind = s ? SERVER_REMOVE : SERVER_ADD; /* a new address: out, then back in */
			c.id = m[i].id;
			snprintf(c.addr, sizeof c.addr, "%s", m[i].addr);
			/* A new server at the address of one in the configuration (rebuilt with a new
			 * node ID): the old entry goes first, as Consul does. */
			for (uint32_t k = 0; !s && k < conf->n; k++)
				if (conf->servers[k].id != self && strcmp(conf->servers[k].addr, m[i].addr) == 0) {
					c.kind = SERVER_REMOVE;
					c.id = conf->servers[k].id;
				}
			return c;
		}
		if (m[i].status == MEMBER_LEFT && s && conf->n > 1) {
			c.kind = SERVER_REMOVE;
			c.id = m[i].id;
			snprintf(c.addr, sizeof c.addr, "%s", s->addr);
			return c;
		}
	}
	/* Dead servers, while they are a minority. */
	uint32_t failed = 0;
	const struct server_member *dead = NULL;
	for (size_t i = 0; i < n; i++)
		if (m[i].id != self && m[i].status == MEMBER_FAILED && raft_config_find(conf, m[i].id)) {
			failed++;
			dead = &m[i];
		}
	if (dead && 2 * failed < conf->n) {
		c.kind = SERVER_REMOVE;
		c.id = dead->id;
		snprintf(c.addr, sizeof c.addr, "%s", raft_config_find(conf, dead->id)->addr);
	}
	return c;
}
