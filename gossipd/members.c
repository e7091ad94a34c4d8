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

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct member_tag *)a)->key, ((const struct member_tag *)b)->key);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static enum member_status serf_status(enum swim_state st)
{
	switch (st) {
	case SWIM_ALIVE:
	case SWIM_SUSPECT:
		return MEMBER_ALIVE;
	case SWIM_DEAD:
		return MEMBER_FAILED;
	case SWIM_LEFT:
		return MEMBER_LEFT;
	}
	return MEMBER_NONE;
}

static int member_from_info(struct member *mb, const struct swim_member_info *info)
{
	memset(mb, 0, sizeof *mb);
	mb->name = strdup(info->name);
	mb->addr = strdup(info->addr);
	mb->port = info->port;
	mb->status = info->leaving ? MEMBER_LEAVING : serf_status(info->state);
	if (!mb->name || !mb->addr)
		return -ENOMEM;
	size_t pos = 0;
	const char *k, *v;
	while (swim_tags_next(info->tags, info->tags_len, &pos, &k, &v) == 1)
		if (tag_add(mb, k, v) < 0)
			return -ENOMEM;
	return 0;
}

int members_from_swim(struct members *m, const struct swim *s, bool self_leaving)
{
	size_t n = swim_member_count(s);
	struct member *items = realloc(m->items, (m->n + n + 1) * sizeof *items);
	if (!items)
		return -ENOMEM;
	m->items = items;
	size_t first = m->n;
	for (size_t i = 0; i < n; i++) {
		struct swim_member_info info;
		swim_member_at(s, i, &info);
		struct member *mb = &m->items[m->n];
		if (member_from_info(mb, &info) < 0) {
			member_free(mb);
			return -ENOMEM;
		}
		if (self_leaving && strcmp(info.name, swim_name(s)) == 0 && mb->status == MEMBER_LEFT)
			mb->status = MEMBER_LEAVING;
		m->n++;
	}
	qsort(m->items + first, m->n - first, sizeof *m->items, by_name);
	return 0;
}

int members_swim_tags(const struct members *m, size_t row, struct swim_tag **tags)
{
	const struct member *mb = &m->items[row];
	*tags = calloc(mb->ntags ? mb->ntags : 1, sizeof **tags);
	if (!*tags)
		return -ENOMEM;
	for (size_t i = 0; i < mb->ntags; i++)
		(*tags)[i] = (struct swim_tag){mb->tags[i].key, mb->tags[i].value};
	return (int)mb->ntags;
}

void members_render(struct members *m, struct buf *out)
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
		/* Consul's Go maps render sorted by key. */
		qsort(mb->tags, mb->ntags, sizeof *mb->tags, by_key);
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
