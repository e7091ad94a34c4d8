/* members.c: the member table and its Consul rendering. */
#include "members.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "version.h"

/* Serf and Consul protocol ranges advertised, as Consul 1.17 does. */
enum { PROTOCOL_MIN = 1, PROTOCOL_MAX = 5, PROTOCOL_CUR = 2, DELEGATE_MIN = 2, DELEGATE_MAX = 5, DELEGATE_CUR = 4 };

void members_init(struct members *m)
{
	m->items = NULL;
	m->n = 0;
}

static void member_free(struct member *mb)
{
	free(mb->name);
	free(mb->addr);
	for (size_t i = 0; i < mb->ntags; i++) {
		free(mb->tags[i].key);
		free(mb->tags[i].value);
	}
	free(mb->tags);
}

void members_free(struct members *m)
{
	for (size_t i = 0; i < m->n; i++)
		member_free(&m->items[i]);
	free(m->items);
	members_init(m);
}

static int tag_add(struct member *mb, const char *key, const char *value)
{
	struct member_tag *tags = realloc(mb->tags, (mb->ntags + 1) * sizeof *tags);
	if (!tags)
		return -ENOMEM;
	mb->tags = tags;
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	mb->tags[mb->ntags++] = (struct member_tag){k, v};
	return 0;
}

static int tag_addf(struct member *mb, const char *key, int value)
{
	char num[16];
	snprintf(num, sizeof num, "%d", value);
	return tag_add(mb, key, num);
}

/* The tags Consul puts on a LAN member, by role (agent/consul/server.go and client.go). */
static int self_tags(struct member *mb, const struct config *cfg)
{
	int rc = 0;
	rc |= tag_add(mb, "acls", "0");
	rc |= tag_add(mb, "build", CONSUL_VERSION ":consul-c");
	rc |= tag_add(mb, "dc", cfg->datacenter);
	rc |= tag_add(mb, "id", cfg->node_id ? cfg->node_id : "");
	rc |= tag_add(mb, "role", cfg->server ? "consul" : "node");
	rc |= tag_add(mb, "segment", "");
	rc |= tag_add(mb, "vsn", "2");
	rc |= tag_add(mb, "vsn_max", "3");
	rc |= tag_add(mb, "vsn_min", "2");
	if (cfg->server) {
		if (cfg->bootstrap)
			rc |= tag_add(mb, "bootstrap", "1");
		if (cfg->bootstrap_expect > 0)
			rc |= tag_addf(mb, "expect", cfg->bootstrap_expect);
		rc |= tag_add(mb, "ft_fs", "1");
		rc |= tag_add(mb, "ft_si", "1");
		rc |= tag_addf(mb, "port", cfg->port_server);
		rc |= tag_add(mb, "raft_vsn", "3");
		rc |= tag_addf(mb, "wan_join_port", cfg->port_serf_wan);
	}
	return rc ? -ENOMEM : 0;
}

int members_add_self(struct members *m, const struct config *cfg)
{
	struct member *items = realloc(m->items, (m->n + 1) * sizeof *items);
	if (!items)
		return -ENOMEM;
	m->items = items;
	struct member *mb = &m->items[m->n];
	memset(mb, 0, sizeof *mb);
	mb->name = strdup(cfg->node_name);
	mb->addr = strdup(cfg->advertise_addr);
	mb->port = (uint16_t)cfg->port_serf_lan;
	mb->status = MEMBER_ALIVE;
	if (!mb->name || !mb->addr || self_tags(mb, cfg) < 0) {
		member_free(mb);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

void members_render(const struct members *m, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; i < m->n; i++) {
		const struct member *mb = &m->items[i];
		jw_obj_open(&w);
		jw_kv_str(&w, "Name", mb->name);
		jw_kv_str(&w, "Addr", mb->addr);
		jw_kv_u64(&w, "Port", mb->port);
		jw_key(&w, "Tags");
		jw_obj_open(&w);
		for (size_t t = 0; t < mb->ntags; t++)
			jw_kv_str(&w, mb->tags[t].key, mb->tags[t].value);
		jw_obj_close(&w);
		jw_kv_u64(&w, "Status", mb->status);
		jw_kv_u64(&w, "ProtocolMin", PROTOCOL_MIN);
		jw_kv_u64(&w, "ProtocolMax", PROTOCOL_MAX);
		jw_kv_u64(&w, "ProtocolCur", PROTOCOL_CUR);
		jw_kv_u64(&w, "DelegateMin", DELEGATE_MIN);
		jw_kv_u64(&w, "DelegateMax", DELEGATE_MAX);
		jw_kv_u64(&w, "DelegateCur", DELEGATE_CUR);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_free(&w);
}
