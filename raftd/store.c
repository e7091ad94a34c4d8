/* store.c: the replicated state machine (see store.h). Sorted pointer arrays throughout:
 * nodes by name, each node's services and checks by ID, all services by (name, node, ID) for
 * the by-service queries, and KV entries by key (Consul returns keys in byte order). */
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "json.h"

/* ---- small helpers ---- */

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static void *xcalloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p)
		abort();
	return p;
}

/* Writes pre-rendered JSON text as one value: yajl_gen_number emits its argument verbatim with
 * the right separators, which is what a nested, already-valid document needs. */
void jw_raw(struct jw *w, const char *json)
{
	yajl_gen_number(w->gen, json, strlen(json));
}


/* Index of the first element not less than key; *found when it compares equal. */
size_t pvec_lower(const struct pvec *p, const void *key, pvec_cmp cmp, bool *found)
{
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp(p->v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (found)
		*found = lo < p->n && cmp(p->v[lo], key) == 0;
	return lo;
}

static void pvec_insert(struct pvec *p, size_t at, void *x)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	memmove(p->v + at + 1, p->v + at, (p->n - at) * sizeof *p->v);
	p->v[at] = x;
	p->n++;
}

static void pvec_remove(struct pvec *p, size_t at)
{
	memmove(p->v + at, p->v + at + 1, (p->n - at - 1) * sizeof *p->v);
	p->n--;
}

static void pvec_free(struct pvec *p)
{
	free(p->v);
	memset(p, 0, sizeof *p);
}


static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->items[i].k);
		free(m->items[i].v);
	}
	free(m->items);
	memset(m, 0, sizeof *m);
}

static bool strmap_eq(const struct strmap *a, const struct strmap *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].k, b->items[i].k) || strcmp(a->items[i].v, b->items[i].v))
			return false;
	return true;
}

static int strpair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct strpair *)a)->k, ((const struct strpair *)b)->k);
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

static bool strlist_eq(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]))
			return false;
	return true;
}

static bool streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}


static void svc_free(struct svc *v)
{
	if (!v)
		return;
	free(v->id);
	free(v->name);
	free(v->kind);
	free(v->address);
	strlist_free(&v->tags);
	strmap_free(&v->meta);
	free(v->tagged_addresses);
	free(v);
}

static void check_free(struct check *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->status);
	free(c->notes);
	free(c->output);
	free(c->service_id);
	free(c->type);
	free(c->interval);
	free(c->timeout);
	free(c->definition);
	free(c);
}

static void node_free(struct node *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->id);
	free(n->address);
	free(n->datacenter);
	strmap_free(&n->tagged_addresses);
	strmap_free(&n->meta);
	for (size_t i = 0; i < n->svcs.n; i++)
		svc_free(n->svcs.v[i]);
	for (size_t i = 0; i < n->checks.n; i++)
		check_free(n->checks.v[i]);
	pvec_free(&n->svcs);
	pvec_free(&n->checks);
	free(n);
}

static void kv_free(struct kv *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->value);
	free(e);
}

static int node_cmp(const void *elem, const void *key)
{
	return strcasecmp(((const struct node *)elem)->name, key);
}

static int svc_id_cmp(const void *elem, const void *key)
{
	return strcmp(((const struct svc *)elem)->id, key);
}

static int check_id_cmp(const void *elem, const void *key)
{
	return strcmp(((const struct check *)elem)->id, key);
}

int kv_cmp(const void *elem, const void *key)
{
	return strcmp(((const struct kv *)elem)->key, key);
}

/* Full order of the by-service index. */
static int svc_order_cmp(const void *elem, const void *key)
{
	const struct svc *a = elem, *b = key;
	int c = strcasecmp(a->name, b->name);
	if (!c)
		c = strcasecmp(a->node->name, b->node->name);
	if (!c)
		c = strcmp(a->id, b->id);
	return c;
}

/* Name-only order: lower bound finds the first service of that name. */
int svc_name_cmp(const void *elem, const void *key)
{
	return strcasecmp(((const struct svc *)elem)->name, key);
}

struct store *store_new(void)
{
	return xcalloc(sizeof(struct store));
}

static void store_clear(struct store *s)
{
	for (size_t i = 0; i < s->nodes.n; i++)
		node_free(s->nodes.v[i]);
	for (size_t i = 0; i < s->kvs.n; i++)
		kv_free(s->kvs.v[i]);
	pvec_free(&s->nodes);
	pvec_free(&s->services);
	pvec_free(&s->kvs);
	s->index = 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	store_clear(s);
	free(s);
}

uint64_t store_index(const struct store *s)
{
	return s->index;
}

struct node *node_find(const struct store *s, const char *name)
{
	bool found;
	size_t i = pvec_lower(&s->nodes, name, node_cmp, &found);
	return found ? s->nodes.v[i] : NULL;
}

struct svc *svc_find(const struct node *n, const char *id)
{
	bool found;
	size_t i = pvec_lower(&n->svcs, id, svc_id_cmp, &found);
	return found ? n->svcs.v[i] : NULL;
}

static struct check *check_find(const struct node *n, const char *id)
{
	bool found;
	size_t i = pvec_lower(&n->checks, id, check_id_cmp, &found);
	return found ? n->checks.v[i] : NULL;
}

/* ---- decoding command fields (errors name the field, as Go's decoder does) ---- */

static int bad(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct buf *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vappendf(err, fmt, ap);
	va_end(ap);
	return -1;
}

/* A string member: absent or null gives "" (a fresh copy either way). */
static int get_str(yajl_val obj, const char *key, char **out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	*out = NULL;
	if (v && !YAJL_IS_NULL(v) && !YAJL_IS_STRING(v))
		return bad(err, "Request decode failed: %s: expected a string", key);
	*out = xstrdup(v ? json_str(v) : "");
	return 0;
}

static int get_i64(yajl_val obj, const char *key, int64_t *out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	*out = 0;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!json_i64(v, out))
		return bad(err, "Request decode failed: %s: expected an integer", key);
	return 0;
}

static int get_u64(yajl_val obj, const char *key, uint64_t *out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	*out = 0;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!json_u64(v, out))
		return bad(err, "Request decode failed: %s: expected an unsigned integer", key);
	return 0;
}

static int get_bool(yajl_val obj, const char *key, bool *out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	*out = false;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return bad(err, "Request decode failed: %s: expected a boolean", key);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

/* An object of string values, stored sorted by key (a repeated key keeps the last value). */
static int get_strmap(yajl_val obj, const char *key, struct strmap *out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	memset(out, 0, sizeof *out);
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return bad(err, "Request decode failed: %s: expected an object", key);
	size_t n = json_obj_len(v);
	out->items = xcalloc((n ? n : 1) * sizeof *out->items);
	for (size_t i = 0; i < n; i++) {
		const char *val = json_str(json_obj_val(v, i));
		if (!val) {
			strmap_free(out);
			return bad(err, "Request decode failed: %s: values must be strings", key);
		}
		out->items[out->n].k = xstrdup(json_obj_key(v, i));
		out->items[out->n].v = xstrdup(val);
		out->n++;
	}
	/* stable for equal keys is not needed: dedupe below keeps the later one */
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = i + 1; j < out->n; j++)
			if (!strcmp(out->items[i].k, out->items[j].k)) {
				free(out->items[i].v);
				out->items[i].v = out->items[j].v;
				out->items[j].v = NULL;
				free(out->items[j].k);
				out->items[j] = out->items[--out->n];
				j--;
			}
	qsort(out->items, out->n, sizeof *out->items, strpair_cmp);
	return 0;
}

static int get_strlist(yajl_val obj, const char *key, struct strlist *out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	memset(out, 0, sizeof *out);
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return bad(err, "Request decode failed: %s: expected an array", key);
	size_t n = json_arr_len(v);
	out->items = xcalloc((n ? n : 1) * sizeof *out->items);
	for (size_t i = 0; i < n; i++) {
		const char *val = json_str(json_arr_at(v, i));
		if (!val) {
			strlist_free(out);
			return bad(err, "Request decode failed: %s: expected strings", key);
		}
		out->items[out->n++] = xstrdup(val);
	}
	return 0;
}

/* An object member kept as compact JSON text; NULL when absent, null or empty. */
static int get_raw_object(yajl_val obj, const char *key, char **out, struct buf *err)
{
	yajl_val v = json_get(obj, key);
	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return bad(err, "Request decode failed: %s: expected an object", key);
	if (json_obj_len(v) == 0)
		return 0;
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_value(&w, v);
	jw_free(&w);
	if (!b.data)
		abort();
	*out = buf_steal(&b, NULL);
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Consul's node IDs are UUIDs: 8-4-4-4-12 hex digits. */
static int check_uuid(const char *id, struct buf *err)
{
	if (strlen(id) != 36)
		return bad(err, "Bad node ID: uuid string is wrong length");
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? id[i] != '-' : !is_hex(id[i]))
			return bad(err, "Bad node ID: uuid is improperly formatted");
	}
	return 0;
}

bool status_valid(const char *st)
{
	return !strcmp(st, "passing") || !strcmp(st, "warning") || !strcmp(st, "critical");
}

/* The node part of a register body (or of a snapshot's node). */
static struct node *parse_node(yajl_val o, struct buf *err)
{
	struct node *n = xcalloc(sizeof *n);
	if (get_str(o, "Node", &n->name, err) || get_str(o, "ID", &n->id, err) ||
	    get_str(o, "Address", &n->address, err) || get_str(o, "Datacenter", &n->datacenter, err) ||
	    get_strmap(o, "TaggedAddresses", &n->tagged_addresses, err))
		goto fail;
	/* The register body calls it NodeMeta; a Node object (snapshots) calls it Meta. */
	if (get_strmap(o, json_get(o, "NodeMeta") ? "NodeMeta" : "Meta", &n->meta, err))
		goto fail;
	if (n->id[0] && check_uuid(n->id, err))
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct svc *parse_service(yajl_val o, struct buf *err)
{
	struct svc *v = xcalloc(sizeof *v);
	yajl_val weights = json_get(o, "Weights");
	if (weights && !YAJL_IS_NULL(weights) && !YAJL_IS_OBJECT(weights)) {
		bad(err, "Request decode failed: %s: expected an object", "Weights");
		goto fail;
	}
	if (get_str(o, "ID", &v->id, err) || get_str(o, "Service", &v->name, err) ||
	    get_str(o, "Kind", &v->kind, err) || get_str(o, "Address", &v->address, err) ||
	    get_strlist(o, "Tags", &v->tags, err) || get_strmap(o, "Meta", &v->meta, err) ||
	    get_raw_object(o, "TaggedAddresses", &v->tagged_addresses, err) ||
	    get_i64(o, "Port", &v->port, err) || get_bool(o, "EnableTagOverride", &v->enable_tag_override, err) ||
	    get_i64(weights, "Passing", &v->weight_passing, err) || get_i64(weights, "Warning", &v->weight_warning, err))
		goto fail;
	/* Consul keeps weights only when valid, else {1, 1}. */
	if (!weights || v->weight_passing < 1 || v->weight_warning < 0 || v->weight_passing > 65535 ||
	    v->weight_warning > 65535) {
		v->weight_passing = 1;
		v->weight_warning = 1;
	}
	if (!v->id[0] && v->name[0]) {
		free(v->id);
		v->id = xstrdup(v->name);
	}
	if (!v->name[0]) {
		bad(err, "%s", v->id[0] ? "Must provide service name with ID" : "Must provide service name");
		goto fail;
	}
	if (!strcmp(v->address, "0.0.0.0") || !strcmp(v->address, "::") || !strcmp(v->address, "[::]")) {
		bad(err, "%s", "Invalid service address");
		goto fail;
	}
	if (v->port < 0 || v->port > 65535) {
		bad(err, "%s", "Invalid service port");
		goto fail;
	}
	return v;
fail:
	svc_free(v);
	return NULL;
}

/* A check; `node` is the registration's node name, which the check must match. */
static struct check *parse_check(yajl_val o, const char *node, struct buf *err)
{
	struct check *c = xcalloc(sizeof *c);
	char *cnode = NULL;
	if (!YAJL_IS_OBJECT(o)) {
		bad(err, "Request decode failed: %s: expected an object", "Check");
		goto fail;
	}
	if (get_str(o, "Node", &cnode, err) || get_str(o, "CheckID", &c->id, err) ||
	    get_str(o, "Name", &c->name, err) || get_str(o, "Status", &c->status, err) ||
	    get_str(o, "Notes", &c->notes, err) || get_str(o, "Output", &c->output, err) ||
	    get_str(o, "ServiceID", &c->service_id, err) || get_str(o, "Type", &c->type, err) ||
	    get_str(o, "Interval", &c->interval, err) || get_str(o, "Timeout", &c->timeout, err) ||
	    get_i64(o, "ExposedPort", &c->exposed_port, err) ||
	    get_raw_object(o, "Definition", &c->definition, err))
		goto fail;
	if (!c->id[0] && c->name[0]) {
		free(c->id);
		c->id = xstrdup(c->name);
	}
	if (!c->id[0]) {
		bad(err, "%s", "Missing check ID");
		goto fail;
	}
	if (cnode[0] && strcasecmp(cnode, node)) {
		buf_appendf(err, "check node \"%s\" does not match node \"%s\"", cnode, node);
		goto fail;
	}
	if (!c->status[0]) {
		free(c->status);
		c->status = xstrdup("critical"); /* Consul's default for a check with no status */
	}
	if (!status_valid(c->status)) {
		buf_appendf(err, "Invalid check status: \"%s\"", c->status);
		goto fail;
	}
	free(cnode);
	return c;
fail:
	free(cnode);
	check_free(c);
	return NULL;
}

/* ---- equality, so an identical re-registration keeps its indexes ---- */

static bool node_same(const struct node *a, const struct node *b)
{
	return streq(a->id, b->id) && streq(a->address, b->address) && streq(a->datacenter, b->datacenter) &&
	       strmap_eq(&a->tagged_addresses, &b->tagged_addresses) && strmap_eq(&a->meta, &b->meta);
}

static bool svc_same(const struct svc *a, const struct svc *b)
{
	return streq(a->id, b->id) && streq(a->name, b->name) && streq(a->kind, b->kind) &&
	       streq(a->address, b->address) && strlist_eq(&a->tags, &b->tags) && strmap_eq(&a->meta, &b->meta) &&
	       streq(a->tagged_addresses, b->tagged_addresses) && a->port == b->port &&
	       a->weight_passing == b->weight_passing && a->weight_warning == b->weight_warning &&
	       a->enable_tag_override == b->enable_tag_override;
}

static bool check_same(const struct check *a, const struct check *b)
{
	return streq(a->id, b->id) && streq(a->name, b->name) && streq(a->status, b->status) &&
	       streq(a->notes, b->notes) && streq(a->output, b->output) && streq(a->service_id, b->service_id) &&
	       streq(a->type, b->type) && streq(a->interval, b->interval) && streq(a->timeout, b->timeout) &&
	       streq(a->definition, b->definition) && a->exposed_port == b->exposed_port;
}

/* ---- mutations (only reached from apply with a validated command) ---- */

static void services_index_remove(struct store *s, struct svc *v)
{
	bool found;
	size_t i = pvec_lower(&s->services, v, svc_order_cmp, &found);
	if (found)
		pvec_remove(&s->services, i);
}

static void services_index_add(struct store *s, struct svc *v)
{
	size_t i = pvec_lower(&s->services, v, svc_order_cmp, NULL);
	pvec_insert(&s->services, i, v);
}

/* Inserts n, or updates the existing node's fields (keeping its services and checks). */
static struct node *node_put(struct store *s, struct node *n, uint64_t idx)
{
	bool found;
	size_t i = pvec_lower(&s->nodes, n->name, node_cmp, &found);
	if (!found) {
		n->create_index = n->modify_index = idx;
		pvec_insert(&s->nodes, i, n);
		return n;
	}
	struct node *old = s->nodes.v[i];
	if (node_same(old, n)) {
		node_free(n);
		return old;
	}
	free(old->address);
	free(old->datacenter);
	strmap_free(&old->tagged_addresses);
	strmap_free(&old->meta);
	old->address = n->address;
	old->datacenter = n->datacenter;
	old->tagged_addresses = n->tagged_addresses;
	old->meta = n->meta;
	if (n->id[0]) {
		free(old->id);
		old->id = n->id;
		n->id = NULL;
	}
	old->modify_index = idx;
	free(n->name);
	free(n->id);
	free(n);
	return old;
}

static void svc_put(struct store *s, struct node *n, struct svc *v, uint64_t idx)
{
	bool found;
	size_t i = pvec_lower(&n->svcs, v->id, svc_id_cmp, &found);
	v->node = n;
	if (found) {
		struct svc *old = n->svcs.v[i];
		if (svc_same(old, v)) {
			svc_free(v);
			return;
		}
		v->create_index = old->create_index;
		v->modify_index = idx;
		services_index_remove(s, old);
		svc_free(old);
		n->svcs.v[i] = v;
	} else {
		v->create_index = v->modify_index = idx;
		pvec_insert(&n->svcs, i, v);
	}
	services_index_add(s, v);
}

static void check_put(struct node *n, struct check *c, uint64_t idx)
{
	bool found;
	size_t i = pvec_lower(&n->checks, c->id, check_id_cmp, &found);
	if (found) {
		struct check *old = n->checks.v[i];
		if (check_same(old, c)) {
			check_free(c);
			return;
		}
		c->create_index = old->create_index;
		c->modify_index = idx;
		check_free(old);
		n->checks.v[i] = c;
	} else {
		c->create_index = c->modify_index = idx;
		pvec_insert(&n->checks, i, c);
	}
}

static void check_remove_at(struct node *n, size_t i)
{
	check_free(n->checks.v[i]);
	pvec_remove(&n->checks, i);
}

/* Removes a service and the checks bound to it. */
static void svc_remove(struct store *s, struct node *n, const char *id)
{
	bool found;
	size_t i = pvec_lower(&n->svcs, id, svc_id_cmp, &found);
	if (!found)
		return;
	struct svc *v = n->svcs.v[i];
	services_index_remove(s, v);
	pvec_remove(&n->svcs, i);
	for (size_t j = n->checks.n; j-- > 0;)
		if (!strcmp(((struct check *)n->checks.v[j])->service_id, id))
			check_remove_at(n, j);
	svc_free(v);
}

static void node_remove(struct store *s, const char *name)
{
	bool found;
	size_t i = pvec_lower(&s->nodes, name, node_cmp, &found);
	if (!found)
		return;
	struct node *n = s->nodes.v[i];
	for (size_t j = 0; j < n->svcs.n; j++)
		services_index_remove(s, n->svcs.v[j]);
	pvec_remove(&s->nodes, i);
	node_free(n);
}

/* ---- commands ---- */

/* Shared state of one command run: dry runs validate and report, real runs also change. */
struct run {
	struct store *s;
	uint64_t idx;
	bool dry;
	bool changes;
	struct buf *res;
};

static int cmd_register(struct run *r, yajl_val o)
{
	struct buf *err = r->res;
	struct node *n = NULL;
	struct svc *v = NULL;
	struct check **checks = NULL;
	size_t nchecks = 0;
	bool skip_node_update = false;
	int status = 400;

	if (!(n = parse_node(o, err)) || get_bool(o, "SkipNodeUpdate", &skip_node_update, err))
		goto out;
	if (!n->name[0]) {
		buf_append_str(err, "Must provide node");
		goto out;
	}
	if (!n->address[0] && !skip_node_update) {
		buf_append_str(err, "Must provide address if SkipNodeUpdate is not set");
		goto out;
	}
	yajl_val sv = json_get(o, "Service");
	if (sv && !YAJL_IS_NULL(sv)) {
		if (!YAJL_IS_OBJECT(sv)) {
			bad(err, "Request decode failed: %s: expected an object", "Service");
			goto out;
		}
		if (!(v = parse_service(sv, err)))
			goto out;
	}
	/* The old single "Check" joins the "Checks" list, as Consul does. */
	yajl_val one = json_get(o, "Check"), many = json_get(o, "Checks");
	if (many && !YAJL_IS_NULL(many) && !YAJL_IS_ARRAY(many)) {
		bad(err, "Request decode failed: %s: expected an array", "Checks");
		goto out;
	}
	size_t nmany = many && YAJL_IS_ARRAY(many) ? json_arr_len(many) : 0;
	checks = xcalloc((nmany + 1) * sizeof *checks);
	for (size_t i = 0; i <= nmany; i++) {
		yajl_val cv = i < nmany ? json_arr_at(many, i) : one;
		if (!cv || YAJL_IS_NULL(cv))
			continue;
		if (!(checks[nchecks] = parse_check(cv, n->name, err)))
			goto out;
		nchecks++;
	}
	struct node *old = node_find(r->s, n->name);
	for (size_t i = 0; i < nchecks; i++) {
		const char *sid = checks[i]->service_id;
		if (sid[0] && !(v && !strcmp(v->id, sid)) && !(old && svc_find(old, sid))) {
			buf_append_str(err, "Missing service registration");
			goto out;
		}
	}

	/* Valid: work out what changes, then (unless dry) make it so. */
	bool node_changes = !old || (!skip_node_update && !node_same(old, n));
	r->changes = node_changes;
	if (v) {
		struct svc *ov = old ? svc_find(old, v->id) : NULL;
		r->changes |= !ov || !svc_same(ov, v);
	}
	for (size_t i = 0; i < nchecks; i++) {
		struct check *oc = old ? check_find(old, checks[i]->id) : NULL;
		r->changes |= !oc || !check_same(oc, checks[i]);
	}
	status = 200;
	buf_append_str(r->res, "true");
	if (r->dry)
		goto out;
	struct node *target = old;
	if (node_changes) {
		target = node_put(r->s, n, r->idx);
		n = NULL;
	}
	if (v) {
		svc_put(r->s, target, v, r->idx);
		v = NULL;
	}
	for (size_t i = 0; i < nchecks; i++) {
		check_put(target, checks[i], r->idx);
		checks[i] = NULL;
	}
out:
	node_free(n);
	svc_free(v);
	for (size_t i = 0; i < nchecks; i++)
		check_free(checks[i]);
	free(checks);
	return status;
}

static int cmd_deregister(struct run *r, yajl_val o)
{
	char *node = NULL, *sid = NULL, *cid = NULL;
	int status = 400;
	if (get_str(o, "Node", &node, r->res) || get_str(o, "ServiceID", &sid, r->res) ||
	    get_str(o, "CheckID", &cid, r->res))
		goto out;
	if (!node[0]) {
		buf_append_str(r->res, "Must provide node");
		goto out;
	}
	status = 200;
	buf_append_str(r->res, "true");
	struct node *n = node_find(r->s, node);
	if (!n)
		goto out;
	if (!sid[0] && !cid[0]) {
		r->changes = true;
		if (!r->dry)
			node_remove(r->s, node);
		goto out;
	}
	if (sid[0] && svc_find(n, sid)) {
		r->changes = true;
		if (!r->dry)
			svc_remove(r->s, n, sid);
	}
	if (cid[0]) {
		bool found;
		size_t i = pvec_lower(&n->checks, cid, check_id_cmp, &found);
		if (found) {
			r->changes = true;
			if (!r->dry)
				check_remove_at(n, i);
		}
	}
out:
	free(node);
	free(sid);
	free(cid);
	return status;
}

enum kv_op { KV_SET, KV_CAS, KV_DELETE, KV_DELETE_TREE, KV_DELETE_CAS };

static int kv_set(struct run *r, yajl_val o, bool cas)
{
	char *key = NULL, *b64 = NULL;
	uint64_t flags, cas_index = 0;
	struct buf value;
	buf_init(&value);
	int status = 400;
	if (get_str(o, "Key", &key, r->res) || get_str(o, "Value", &b64, r->res) ||
	    get_u64(o, "Flags", &flags, r->res) || get_u64(o, "Cas", &cas_index, r->res))
		goto out;
	if (!key[0]) {
		buf_append_str(r->res, "Missing key name");
		goto out;
	}
	if (cas && !json_get(o, "Cas")) {
		buf_append_str(r->res, "Missing cas index");
		goto out;
	}
	if (base64_decode(&value, b64, strlen(b64)) < 0) {
		buf_append_str(r->res, "Request decode failed: Value: illegal base64 data");
		goto out;
	}
	if (value.len > STORE_KV_MAX_VALUE_BYTES) {
		buf_appendf(r->res, "Request body(%zu bytes) too large, max size: %u bytes", value.len,
			    STORE_KV_MAX_VALUE_BYTES);
		goto out;
	}
	status = 200;
	bool found;
	size_t i = pvec_lower(&r->s->kvs, key, kv_cmp, &found);
	struct kv *e = found ? r->s->kvs.v[i] : NULL;
	if (cas && (cas_index == 0 ? e != NULL : (!e || e->modify_index != cas_index))) {
		buf_append_str(r->res, "false");
		goto out;
	}
	buf_append_str(r->res, "true");
	r->changes = true; /* every PUT moves ModifyIndex, as in Consul */
	if (r->dry)
		goto out;
	if (!e) {
		e = xcalloc(sizeof *e);
		e->key = key;
		key = NULL;
		e->create_index = r->idx;
		pvec_insert(&r->s->kvs, i, e);
	}
	free(e->value);
	e->value_len = value.len;
	e->value = value.len ? buf_steal(&value, NULL) : NULL;
	e->flags = flags;
	e->modify_index = r->idx;
out:
	free(key);
	free(b64);
	buf_free(&value);
	return status;
}

static int kv_delete(struct run *r, yajl_val o, enum kv_op op)
{
	char *key = NULL;
	uint64_t cas_index = 0;
	int status = 400;
	if (get_str(o, "Key", &key, r->res) || get_u64(o, "Cas", &cas_index, r->res))
		goto out;
	if (op == KV_DELETE_CAS && !json_get(o, "Cas")) {
		buf_append_str(r->res, "Missing cas index");
		goto out;
	}
	status = 200;
	struct pvec *kvs = &r->s->kvs;
	bool found;
	size_t i = pvec_lower(kvs, key, kv_cmp, &found);
	if (op == KV_DELETE_TREE) {
		size_t klen = strlen(key), end = i;
		while (end < kvs->n && !strncmp(((struct kv *)kvs->v[end])->key, key, klen))
			end++;
		buf_append_str(r->res, "true");
		r->changes = end > i;
		if (r->dry || end == i)
			goto out;
		for (size_t j = i; j < end; j++)
			kv_free(kvs->v[j]);
		memmove(kvs->v + i, kvs->v + end, (kvs->n - end) * sizeof *kvs->v);
		kvs->n -= end - i;
		goto out;
	}
	struct kv *e = found ? kvs->v[i] : NULL;
	/* CAS delete of a missing key succeeds (nothing to delete), as in Consul. */
	if (op == KV_DELETE_CAS && e && e->modify_index != cas_index) {
		buf_append_str(r->res, "false");
		goto out;
	}
	buf_append_str(r->res, "true");
	r->changes = e != NULL;
	if (r->dry || !e)
		goto out;
	kv_free(e);
	pvec_remove(kvs, i);
out:
	free(key);
	return status;
}

static int cmd_restore(struct run *r, yajl_val o);

static int run_cmd(struct run *r, const char *cmd, size_t len)
{
	char perr[128];
	yajl_val o = json_parse(cmd, len, perr, sizeof perr);
	if (!o) {
		buf_appendf(r->res, "Request decode failed: %s", perr);
		return 400;
	}
	int status;
	const char *op = json_str(json_get(o, "Op"));
	if (!YAJL_IS_OBJECT(o) || !op) {
		buf_append_str(r->res, "Request decode failed: a command is an object with an \"Op\"");
		status = 400;
	} else if (!strcmp(op, "register")) {
		status = cmd_register(r, o);
	} else if (!strcmp(op, "deregister")) {
		status = cmd_deregister(r, o);
	} else if (!strcmp(op, "kv_set")) {
		status = kv_set(r, o, false);
	} else if (!strcmp(op, "kv_cas")) {
		status = kv_set(r, o, true);
	} else if (!strcmp(op, "kv_delete")) {
		status = kv_delete(r, o, KV_DELETE);
	} else if (!strcmp(op, "kv_delete_tree")) {
		status = kv_delete(r, o, KV_DELETE_TREE);
	} else if (!strcmp(op, "kv_delete_cas")) {
		status = kv_delete(r, o, KV_DELETE_CAS);
	} else if (!strcmp(op, "restore")) {
		status = cmd_restore(r, o);
	} else {
		buf_appendf(r->res, "Unknown command op \"%s\"", op);
		status = 400;
	}
	yajl_tree_free(o);
	return status;
}

int store_apply(struct store *s, uint64_t index, const char *cmd, size_t len, struct buf *result)
{
	struct run r = {.s = s, .idx = index, .dry = false, .res = result};
	int status = run_cmd(&r, cmd, len);
	if (index > s->index)
		s->index = index;
	return status;
}

int store_check(const struct store *s, const char *cmd, size_t len, struct buf *result, bool *changes)
{
	/* The dry run never writes through r.s; the cast only shares the code path. */
	struct run r = {.s = (struct store *)s, .idx = s->index + 1, .dry = true, .res = result};
	int status = run_cmd(&r, cmd, len);
	if (changes)
		*changes = status == 200 && r.changes;
	return status;
}

/* ---- snapshot ---- */

int store_snapshot(const struct store *s, struct buf *out)
{
	struct buf scratch;
	buf_init(&scratch);
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_kv_u64(&w, "Index", s->index);
	jw_key(&w, "Nodes");
	jw_arr_open(&w);
	for (size_t i = 0; i < s->nodes.n; i++) {
		const struct node *n = s->nodes.v[i];
		jw_obj_open(&w);
		render_node_fields(&w, n);
		jw_kv_u64(&w, "CreateIndex", n->create_index);
		jw_kv_u64(&w, "ModifyIndex", n->modify_index);
		jw_key(&w, "Services");
		jw_arr_open(&w);
		for (size_t j = 0; j < n->svcs.n; j++)
			render_node_service(&w, n->svcs.v[j]);
		jw_arr_close(&w);
		jw_key(&w, "Checks");
		jw_arr_open(&w);
		for (size_t j = 0; j < n->checks.n; j++)
			render_check(&w, n, n->checks.v[j]);
		jw_arr_close(&w);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_key(&w, "KV");
	jw_arr_open(&w);
	for (size_t i = 0; i < s->kvs.n; i++)
		render_kv(&w, s->kvs.v[i], &scratch);
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	buf_free(&scratch);
	return 0;
}

static int restore_indexes(yajl_val o, uint64_t *create, uint64_t *modify, struct buf *err)
{
	return get_u64(o, "CreateIndex", create, err) || get_u64(o, "ModifyIndex", modify, err) ? -1 : 0;
}

/* Inserts one snapshot node with its services and checks. */
static int restore_node(struct store *s, yajl_val no, struct buf *err)
{
	struct node *n = parse_node(no, err);
	if (!n)
		return -1;
	bool found;
	size_t at = pvec_lower(&s->nodes, n->name, node_cmp, &found);
	if (!n->name[0] || found || restore_indexes(no, &n->create_index, &n->modify_index, err)) {
		if (!err->len)
			buf_appendf(err, "bad or repeated node \"%s\"", n->name);
		node_free(n);
		return -1;
	}
	pvec_insert(&s->nodes, at, n);
	yajl_val svcs = json_get(no, "Services"), checks = json_get(no, "Checks");
	for (size_t i = 0; i < json_arr_len(svcs); i++) {
		yajl_val so = json_arr_at(svcs, i);
		struct svc *v = YAJL_IS_OBJECT(so) ? parse_service(so, err) : NULL;
		if (!v || svc_find(n, v->id) || restore_indexes(so, &v->create_index, &v->modify_index, err)) {
			if (!err->len)
				buf_appendf(err, "bad or repeated service on node \"%s\"", n->name);
			svc_free(v);
			return -1;
		}
		v->node = n;
		pvec_insert(&n->svcs, pvec_lower(&n->svcs, v->id, svc_id_cmp, NULL), v);
		services_index_add(s, v);
	}
	for (size_t i = 0; i < json_arr_len(checks); i++) {
		yajl_val co = json_arr_at(checks, i);
		struct check *c = parse_check(co, n->name, err);
		if (!c || check_find(n, c->id) || restore_indexes(co, &c->create_index, &c->modify_index, err)) {
			if (!err->len)
				buf_appendf(err, "bad or repeated check on node \"%s\"", n->name);
			check_free(c);
			return -1;
		}
		pvec_insert(&n->checks, pvec_lower(&n->checks, c->id, check_id_cmp, NULL), c);
	}
	return 0;
}

static int restore_kv(struct store *s, yajl_val ko, struct buf *err)
{
	char *key = NULL, *b64 = NULL;
	struct kv *e = xcalloc(sizeof *e);
	struct buf value;
	buf_init(&value);
	int rc = -1;
	if (get_str(ko, "Key", &key, err) || get_str(ko, "Value", &b64, err) || get_u64(ko, "Flags", &e->flags, err) ||
	    get_u64(ko, "LockIndex", &e->lock_index, err) || restore_indexes(ko, &e->create_index, &e->modify_index, err))
		goto out;
	bool found;
	size_t at = pvec_lower(&s->kvs, key, kv_cmp, &found);
	if (!key[0] || found || base64_decode(&value, b64, strlen(b64)) < 0) {
		buf_appendf(err, "bad or repeated key \"%s\"", key);
		goto out;
	}
	e->key = key;
	key = NULL;
	if (!YAJL_IS_NULL(json_get(ko, "Value")) && value.len) {
		e->value_len = value.len;
		e->value = buf_steal(&value, NULL);
	}
	pvec_insert(&s->kvs, at, e);
	e = NULL;
	rc = 0;
out:
	free(key);
	free(b64);
	kv_free(e);
	buf_free(&value);
	return rc;
}

/* Fills the empty store s from a parsed snapshot document. Returns 0, or -EINVAL with the
 * reason in msg (s then holds part of it: the caller clears or frees it). */
static int restore_tree(struct store *s, yajl_val o, struct buf *msg)
{
	yajl_val nodes = json_get(o, "Nodes"), kvs = json_get(o, "KV");
	if (!YAJL_IS_OBJECT(o) || get_u64(o, "Index", &s->index, msg)) {
		buf_append_str(msg, "not a snapshot object");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_arr_len(nodes); i++)
		if (restore_node(s, json_arr_at(nodes, i), msg) < 0)
			return -EINVAL;
	for (size_t i = 0; i < json_arr_len(kvs); i++)
		if (restore_kv(s, json_arr_at(kvs, i), msg) < 0)
			return -EINVAL;
	return 0;
}

int store_restore(struct store *s, const char *json, size_t len, char *err, size_t err_len)
{
	char perr[128];
	struct buf msg;
	buf_init(&msg);
	store_clear(s);
	yajl_val o = json_parse(json, len, perr, sizeof perr);
	if (!o) {
		snprintf(err, err_len, "snapshot: %s", perr);
		return -EINVAL;
	}
	int rc = restore_tree(s, o, &msg);
	if (rc) {
		snprintf(err, err_len, "snapshot: %s", msg.data ? msg.data : "invalid");
		store_clear(s);
	}
	yajl_tree_free(o);
	buf_free(&msg);
	return rc;
}

/* {"Op":"restore","Snapshot":{...}}: the whole store replaced by a snapshot document (PUT
 * /v1/snapshot), through the log so that every server does it. A snapshot that does not load
 * changes nothing. The store's index becomes this command's: the restored entries keep their
 * own indexes, and blocking queries wake. */
static int cmd_restore(struct run *r, yajl_val o)
{
	yajl_val snap = json_get(o, "Snapshot");
	struct store *fresh = store_new();
	struct buf msg;
	buf_init(&msg);
	int status = 400;
	if (!YAJL_IS_OBJECT(snap) || restore_tree(fresh, snap, &msg) < 0) {
		buf_appendf(r->res, "snapshot does not restore: %s", msg.data ? msg.data : "not an object");
		goto out;
	}
	status = 200;
	r->changes = true;
	buf_append_str(r->res, "true");
	if (r->dry)
		goto out;
	struct store old = *r->s;
	*r->s = *fresh;
	*fresh = old;
	r->s->index = r->idx;
out:
	store_free(fresh);
	buf_free(&msg);
	return status;
}
