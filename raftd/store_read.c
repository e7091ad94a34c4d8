/* store_read.c: the store's read API, rendered exactly as Consul's HTTP API renders it:
 * catalog, health and KV reads, and the catalog dump for dnsd. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "json.h"
#include "store_internal.h"


static void render_strmap(struct jw *w, const char *key, const struct strmap *m)
{
	jw_key(w, key);
	jw_obj_open(w);
	for (size_t i = 0; i < m->n; i++)
		jw_kv_str(w, m->items[i].k, m->items[i].v);
	jw_obj_close(w);
}

static void render_strlist(struct jw *w, const char *key, const struct strlist *l)
{
	jw_key(w, key);
	jw_arr_open(w);
	for (size_t i = 0; i < l->n; i++)
		jw_str(w, l->items[i]);
	jw_arr_close(w);
}

void render_node_fields(struct jw *w, const struct node *n)
{
	jw_kv_str(w, "ID", n->id);
	jw_kv_str(w, "Node", n->name);
	jw_kv_str(w, "Address", n->address);
	jw_kv_str(w, "Datacenter", n->datacenter);
	render_strmap(w, "TaggedAddresses", &n->tagged_addresses);
	render_strmap(w, "Meta", &n->meta);
}

/* structs.Node */
static void render_node(struct jw *w, const struct node *n)
{
	jw_obj_open(w);
	render_node_fields(w, n);
	jw_kv_u64(w, "CreateIndex", n->create_index);
	jw_kv_u64(w, "ModifyIndex", n->modify_index);
	jw_obj_close(w);
}

static void render_weights(struct jw *w, const char *key, const struct svc *v)
{
	jw_key(w, key);
	jw_obj_open(w);
	jw_kv_i64(w, "Passing", v->weight_passing);
	jw_kv_i64(w, "Warning", v->weight_warning);
	jw_obj_close(w);
}

static void render_proxy(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_raw(w, "{\"Mode\":\"\",\"MeshGateway\":{},\"Expose\":{}}");
}

/* structs.NodeService, as in /v1/health/service's "Service" and /v1/catalog/node. */
void render_node_service(struct jw *w, const struct svc *v)
{
	jw_obj_open(w);
	if (v->kind[0])
		jw_kv_str(w, "Kind", v->kind);
	jw_kv_str(w, "ID", v->id);
	jw_kv_str(w, "Service", v->name);
	render_strlist(w, "Tags", &v->tags);
	jw_kv_str(w, "Address", v->address);
	if (v->tagged_addresses) {
		jw_key(w, "TaggedAddresses");
		jw_raw(w, v->tagged_addresses);
	}
	render_strmap(w, "Meta", &v->meta);
	if (v->port)
		jw_kv_i64(w, "Port", v->port);
	render_weights(w, "Weights", v);
	jw_kv_bool(w, "EnableTagOverride", v->enable_tag_override);
	render_proxy(w, "Proxy");
	jw_key(w, "Connect");
	jw_raw(w, "{}");
	jw_kv_str(w, "PeerName", "");
	jw_kv_u64(w, "CreateIndex", v->create_index);
	jw_kv_u64(w, "ModifyIndex", v->modify_index);
	jw_obj_close(w);
}

/* structs.ServiceNode, as in /v1/catalog/service/:name. */
static void render_service_node(struct jw *w, const struct svc *v)
{
	const struct node *n = v->node;
	jw_obj_open(w);
	jw_kv_str(w, "ID", n->id);
	jw_kv_str(w, "Node", n->name);
	jw_kv_str(w, "Address", n->address);
	jw_kv_str(w, "Datacenter", n->datacenter);
	render_strmap(w, "TaggedAddresses", &n->tagged_addresses);
	render_strmap(w, "NodeMeta", &n->meta);
	jw_kv_str(w, "ServiceKind", v->kind);
	jw_kv_str(w, "ServiceID", v->id);
	jw_kv_str(w, "ServiceName", v->name);
	render_strlist(w, "ServiceTags", &v->tags);
	jw_kv_str(w, "ServiceAddress", v->address);
	if (v->tagged_addresses) {
		jw_key(w, "ServiceTaggedAddresses");
		jw_raw(w, v->tagged_addresses);
	}
	render_weights(w, "ServiceWeights", v);
	render_strmap(w, "ServiceMeta", &v->meta);
	jw_kv_i64(w, "ServicePort", v->port);
	jw_kv_str(w, "ServiceSocketPath", "");
	jw_kv_bool(w, "ServiceEnableTagOverride", v->enable_tag_override);
	render_proxy(w, "ServiceProxy");
	jw_key(w, "ServiceConnect");
	jw_raw(w, "{}");
	jw_kv_null(w, "ServiceLocality");
	jw_kv_u64(w, "CreateIndex", v->create_index);
	jw_kv_u64(w, "ModifyIndex", v->modify_index);
	jw_obj_close(w);
}

/* structs.HealthCheck; ServiceName and ServiceTags come from the live service. */
void render_check(struct jw *w, const struct node *n, const struct check *c)
{
	const struct svc *v = c->service_id[0] ? svc_find(n, c->service_id) : NULL;
	static const struct strlist no_tags;
	jw_obj_open(w);
	jw_kv_str(w, "Node", n->name);
	jw_kv_str(w, "CheckID", c->id);
	jw_kv_str(w, "Name", c->name);
	jw_kv_str(w, "Status", c->status);
	jw_kv_str(w, "Notes", c->notes);
	jw_kv_str(w, "Output", c->output);
	jw_kv_str(w, "ServiceID", c->service_id);
	jw_kv_str(w, "ServiceName", v ? v->name : "");
	render_strlist(w, "ServiceTags", v ? &v->tags : &no_tags);
	jw_kv_str(w, "Type", c->type);
	jw_kv_str(w, "Interval", c->interval);
	jw_kv_str(w, "Timeout", c->timeout);
	jw_kv_i64(w, "ExposedPort", c->exposed_port);
	jw_key(w, "Definition");
	jw_raw(w, c->definition ? c->definition : "{}");
	jw_kv_u64(w, "CreateIndex", c->create_index);
	jw_kv_u64(w, "ModifyIndex", c->modify_index);
	jw_obj_close(w);
}

/* Consul's ?tag= (repeatable): the instance carries every one of them, case ignored. */
static bool tags_match(const struct svc *v, const struct store_tags *want)
{
	for (size_t k = 0; want && k < want->n; k++) {
		bool has = false;
		for (size_t i = 0; i < v->tags.n && !has; i++)
			has = !strcasecmp(v->tags.items[i], want->v[k]);
		if (!has)
			return false;
	}
	return true;
}

/* Range [*begin, *end) of the by-service index holding `name`. */
static void services_named(const struct store *s, const char *name, size_t *begin, size_t *end)
{
	*begin = pvec_lower(&s->services, name, svc_name_cmp, NULL);
	*end = *begin;
	while (*end < s->services.n && !svc_name_cmp(s->services.v[*end], name))
		(*end)++;
}

int store_catalog_nodes(const struct store *s, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; i < s->nodes.n; i++)
		render_node(&w, s->nodes.v[i]);
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

static int cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_catalog_services(const struct store *s, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	const char **tags = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < s->services.n;) {
		const struct svc *first = s->services.v[i];
		size_t ntags = 0;
		/* the union of the tags of every instance, sorted, without repeats */
		for (; i < s->services.n && !strcasecmp(((struct svc *)s->services.v[i])->name, first->name); i++) {
			const struct svc *v = s->services.v[i];
			if (ntags + v->tags.n > cap) {
				cap = (ntags + v->tags.n) * 2;
				tags = xrealloc(tags, cap * sizeof *tags);
			}
			for (size_t t = 0; t < v->tags.n; t++)
				tags[ntags++] = v->tags.items[t];
		}
		if (ntags)
			qsort(tags, ntags, sizeof *tags, cstr_cmp);
		jw_key(&w, first->name);
		jw_arr_open(&w);
		for (size_t t = 0; t < ntags; t++)
			if (t == 0 || strcmp(tags[t], tags[t - 1]))
				jw_str(&w, tags[t]);
		jw_arr_close(&w);
	}
	free(tags);
	jw_obj_close(&w);
	jw_free(&w);
	return 200;
}

int store_catalog_service(const struct store *s, const char *name, const struct store_tags *tags, struct buf *out)
{
	size_t b = 0, e = s->services.n;
	if (name)
		services_named(s, name, &b, &e);
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = b; i < e; i++)
		if (tags_match(s->services.v[i], tags))
			render_service_node(&w, s->services.v[i]);
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

int store_catalog_node(const struct store *s, const char *node, struct buf *out)
{
	const struct node *n = node_find(s, node);
	if (!n) {
		/* Consul answers a node it does not know with a 200 and null (its CLI's
		 * `catalog services -node` relies on it), unlike /v1/catalog/node-services. */
		buf_append_str(out, "null");
		return 200;
	}
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_key(&w, "Node");
	render_node(&w, n);
	jw_key(&w, "Services");
	jw_obj_open(&w);
	for (size_t i = 0; i < n->svcs.n; i++) {
		const struct svc *v = n->svcs.v[i];
		jw_key(&w, v->id);
		render_node_service(&w, v);
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	return 200;
}

int store_catalog_node_services(const struct store *s, const char *node, struct buf *out)
{
	const struct node *n = node_find(s, node);
	if (!n)
		return 404;
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_key(&w, "Node");
	render_node(&w, n);
	jw_key(&w, "Services");
	jw_arr_open(&w);
	for (size_t i = 0; i < n->svcs.n; i++)
		render_node_service(&w, n->svcs.v[i]);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	return 200;
}

/* The checks that bear on a service instance: its own and its node's. */
static bool check_applies(const struct check *c, const struct svc *v)
{
	return !c->service_id[0] || !strcmp(c->service_id, v->id);
}

static int status_rank(const char *st)
{
	if (!strcmp(st, "critical"))
		return 2;
	if (!strcmp(st, "warning"))
		return 1;
	return 0;
}

static const char *worst_status(const struct svc *v)
{
	static const char *names[] = {"passing", "warning", "critical"};
	int worst = 0;
	const struct node *n = v->node;
	for (size_t i = 0; i < n->checks.n; i++) {
		const struct check *c = n->checks.v[i];
		if (check_applies(c, v) && status_rank(c->status) > worst)
			worst = status_rank(c->status);
	}
	return names[worst];
}

int store_health_service(const struct store *s, const char *name, const struct store_tags *tags, bool passing,
			 struct buf *out)
{
	size_t b, e;
	services_named(s, name, &b, &e);
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = b; i < e; i++) {
		const struct svc *v = s->services.v[i];
		if (!tags_match(v, tags) || (passing && strcmp(worst_status(v), "passing")))
			continue;
		const struct node *n = v->node;
		jw_obj_open(&w);
		jw_key(&w, "Node");
		render_node(&w, n);
		jw_key(&w, "Service");
		render_node_service(&w, v);
		jw_key(&w, "Checks");
		jw_arr_open(&w);
		for (size_t j = 0; j < n->checks.n; j++)
			if (check_applies(n->checks.v[j], v))
				render_check(&w, n, n->checks.v[j]);
		jw_arr_close(&w);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

int store_health_node(const struct store *s, const char *node, struct buf *out)
{
	const struct node *n = node_find(s, node);
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; n && i < n->checks.n; i++)
		render_check(&w, n, n->checks.v[i]);
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

int store_health_checks(const struct store *s, const char *service, struct buf *out)
{
	size_t b, e;
	services_named(s, service, &b, &e);
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = b; i < e; i++) {
		const struct svc *v = s->services.v[i];
		const struct node *n = v->node;
		for (size_t j = 0; j < n->checks.n; j++) {
			const struct check *c = n->checks.v[j];
			if (!strcmp(c->service_id, v->id))
				render_check(&w, n, c);
		}
	}
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

int store_health_state(const struct store *s, const char *state, struct buf *out)
{
	bool any = state && !strcmp(state, "any");
	if (!state || (!any && !status_valid(state))) {
		buf_appendf(out, "Invalid check state \"%s\": must be one of any, passing, warning, critical",
			    state ? state : "");
		return 400;
	}
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; i < s->nodes.n; i++) {
		const struct node *n = s->nodes.v[i];
		for (size_t j = 0; j < n->checks.n; j++) {
			const struct check *c = n->checks.v[j];
			if (any || !strcmp(c->status, state))
				render_check(&w, n, c);
		}
	}
	jw_arr_close(&w);
	jw_free(&w);
	return 200;
}

int store_catalog_dump(const struct store *s, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_key(&w, "Nodes");
	jw_arr_open(&w);
	for (size_t i = 0; i < s->nodes.n; i++) {
		jw_obj_open(&w);
		render_node_fields(&w, s->nodes.v[i]);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_key(&w, "Services");
	jw_arr_open(&w);
	for (size_t i = 0; i < s->services.n; i++) {
		const struct svc *v = s->services.v[i];
		jw_obj_open(&w);
		jw_kv_str(&w, "Node", v->node->name);
		jw_kv_str(&w, "ServiceID", v->id);
		jw_kv_str(&w, "ServiceName", v->name);
		render_strlist(&w, "ServiceTags", &v->tags);
		jw_kv_str(&w, "ServiceAddress", v->address);
		jw_kv_i64(&w, "ServicePort", v->port);
		jw_kv_str(&w, "Status", worst_status(v));
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	return 200;
}

/* ---- KV reads ---- */

void render_kv(struct jw *w, const struct kv *e, struct buf *scratch)
{
	jw_obj_open(w);
	jw_kv_u64(w, "LockIndex", e->lock_index);
	jw_kv_str(w, "Key", e->key);
	jw_kv_u64(w, "Flags", e->flags);
	jw_key(w, "Value");
	if (e->value) {
		buf_reset(scratch);
		if (base64_encode(scratch, e->value, e->value_len) < 0)
			abort();
		jw_strn(w, scratch->data, scratch->len);
	} else {
		jw_null(w);
	}
	jw_kv_u64(w, "CreateIndex", e->create_index);
	jw_kv_u64(w, "ModifyIndex", e->modify_index);
	jw_obj_close(w);
}

int store_kv_get(const struct store *s, const char *key, enum kv_get_mode mode, const char *separator,
		 struct buf *out)
{
	bool found;
	size_t i = pvec_lower(&s->kvs, key, kv_cmp, &found);
	size_t klen = strlen(key);
	size_t seplen = separator ? strlen(separator) : 0;
	if (mode == KV_GET_ONE && !found)
		return 404;
	if (mode != KV_GET_ONE && (i == s->kvs.n || strncmp(((struct kv *)s->kvs.v[i])->key, key, klen)))
		return 404;
	struct buf scratch;
	buf_init(&scratch);
	struct jw w;
	jw_init(&w, out);
	jw_arr_open(&w);
	if (mode == KV_GET_ONE) {
		render_kv(&w, s->kvs.v[i], &scratch);
	} else {
		const char *last = NULL;
		size_t last_len = 0;
		for (; i < s->kvs.n; i++) {
			const struct kv *e = s->kvs.v[i];
			if (strncmp(e->key, key, klen))
				break;
			if (mode == KV_GET_RECURSE) {
				render_kv(&w, e, &scratch);
				continue;
			}
			/* keys: fold everything past the first separator after the prefix; keys
			 * sharing a folded name are adjacent in sorted order */
			size_t len = strlen(e->key);
			const char *sep = seplen ? strstr(e->key + klen, separator) : NULL;
			if (sep)
				len = (size_t)(sep - e->key) + seplen;
			if (last && last_len == len && !strncmp(last, e->key, len))
				continue;
			jw_strn(&w, e->key, len);
			last = e->key;
			last_len = len;
		}
	}
	jw_arr_close(&w);
	jw_free(&w);
	buf_free(&scratch);
	return 200;
}

