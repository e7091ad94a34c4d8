/* catalog_view.c: parse a CATALOG_DUMP body into sorted arrays for case-insensitive lookups. */
#include "catalog_view.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json.h"

/* Compares a (alen bytes) with the C string b, ignoring ASCII case; shorter sorts first. */
static int name_cmp(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	size_t n = alen < blen ? alen : blen;
	/* A NUL inside a (from a DNS label) differs from b's byte there, so it never matches. */
	int c = n ? strncasecmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static void set_err(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* strdup of an optional JSON string: absent or null gives "", another type is an error. */
static int dup_opt_str(yajl_val v, char **out)
{
	const char *s = "";

	if (v != NULL && !YAJL_IS_NULL(v)) {
		s = json_str(v);
		if (s == NULL)
			return -EINVAL;
	}
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int meta_cmp(const void *a, const void *b)
{
	const struct cv_meta *ma = a, *mb = b;

	return strcmp(ma->key, mb->key);
}

static int node_cmp(const void *a, const void *b)
{
	const struct cv_node *na = a, *nb = b;

	return name_cmp(na->name, strlen(na->name), nb->name);
}

static int parse_meta(yajl_val obj, struct cv_node *n)
{
	size_t i, count;

	if (obj == NULL || YAJL_IS_NULL(obj))
		return 0;
	if (!YAJL_IS_OBJECT(obj))
		return -EINVAL;
	count = json_obj_len(obj);
	if (count == 0)
		return 0;
	n->meta = calloc(count, sizeof *n->meta);
	if (n->meta == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct cv_meta *m = &n->meta[n->n_meta];
		int rc;

		m->key = strdup(json_obj_key(obj, i));
		if (m->key == NULL)
			return -ENOMEM;
		rc = dup_opt_str(json_obj_val(obj, i), &m->value);
		n->n_meta++;
		if (rc < 0)
			return rc;
	}
	qsort(n->meta, n->n_meta, sizeof *n->meta, meta_cmp);
	return 0;
}

static int parse_node(yajl_val obj, struct cv_node *n)
{
	const char *name;
	int rc;

	if (!YAJL_IS_OBJECT(obj))
		return -EINVAL;
	name = json_str(json_get(obj, "Node"));
	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	n->name = strdup(name);
	if (n->name == NULL)
		return -ENOMEM;
	if ((rc = dup_opt_str(json_get(obj, "Address"), &n->address)) < 0)
		return rc;
	if ((rc = dup_opt_str(json_get(obj, "Datacenter"), &n->datacenter)) < 0)
		return rc;
	return parse_meta(json_get(obj, "Meta"), n);
}

static int parse_status(yajl_val v, enum cv_status *out)
{
	const char *s;

	/* A missing status counts as passing: Consul treats a service without checks as healthy. */
	if (v == NULL || YAJL_IS_NULL(v)) {
		*out = CV_PASSING;
		return 0;
	}
	s = json_str(v);
	if (s == NULL)
		return -EINVAL;
	if (strcasecmp(s, "passing") == 0)
		*out = CV_PASSING;
	else if (strcasecmp(s, "warning") == 0)
		*out = CV_WARNING;
	else /* critical, maintenance, or anything unknown: never advertise it */
		*out = CV_CRITICAL;
	return 0;
}

static int parse_tags(yajl_val arr, struct cv_instance *in)
{
	size_t i, count;

	if (arr == NULL || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr))
		return -EINVAL;
	count = json_arr_len(arr);
	if (count == 0)
		return 0;
	in->tags = calloc(count, sizeof *in->tags);
	if (in->tags == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const char *t = json_str(json_arr_at(arr, i));

		if (t == NULL)
			return -EINVAL;
		in->tags[in->n_tags] = strdup(t);
		if (in->tags[in->n_tags] == NULL)
			return -ENOMEM;
		in->n_tags++;
	}
	return 0;
}

static int parse_instance(yajl_val obj, struct cv_instance *in, char **node_name)
{
	const char *node, *name;
	yajl_val port_v;
	int64_t port = 0;
	int rc;

	if (!YAJL_IS_OBJECT(obj))
		return -EINVAL;
	node = json_str(json_get(obj, "Node"));
	name = json_str(json_get(obj, "ServiceName"));
	if (node == NULL || name == NULL || name[0] == '\0')
		return -EINVAL;
	*node_name = (char *)node; /* borrowed from the tree, only used while parsing */
	in->name = strdup(name);
	if (in->name == NULL)
		return -ENOMEM;
	if ((rc = dup_opt_str(json_get(obj, "ServiceID"), &in->id)) < 0)
		return rc;
	if ((rc = dup_opt_str(json_get(obj, "ServiceAddress"), &in->address)) < 0)
		return rc;
	port_v = json_get(obj, "ServicePort");
	if (port_v != NULL && !YAJL_IS_NULL(port_v) && (!json_i64(port_v, &port) || port < 0 || port > 65535))
		return -EINVAL;
	in->port = (uint16_t)port;
	if ((rc = parse_status(json_get(obj, "Status"), &in->status)) < 0)
		return rc;
	return parse_tags(json_get(obj, "ServiceTags"), in);
}

static int instance_cmp(const void *a, const void *b)
{
	const struct cv_instance *ia = a, *ib = b;
	int c = name_cmp(ia->name, strlen(ia->name), ib->name);

	if (c == 0)
		c = strcmp(ia->node->name, ib->node->name);
	if (c == 0)
		c = strcmp(ia->id, ib->id);
	return c;
}

static void node_free(struct cv_node *n)
{
	size_t i;

	for (i = 0; i < n->n_meta; i++) {
		free(n->meta[i].key);
		free(n->meta[i].value);
	}
	free(n->meta);
	free(n->name);
	free(n->address);
	free(n->datacenter);
}

static void instance_free(struct cv_instance *in)
{
	size_t i;

	for (i = 0; i < in->n_tags; i++)
		free(in->tags[i]);
	free(in->tags);
	free(in->id);
	free(in->name);
	free(in->address);
}

void catalog_view_free(struct catalog_view *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n_nodes; i++)
		node_free(&v->nodes[i]);
	for (i = 0; i < v->n_instances; i++)
		instance_free(&v->instances[i]);
	free(v->nodes);
	free(v->instances);
	free(v);
}

static int parse_nodes(yajl_val arr, struct catalog_view *v, char *err, size_t err_len)
{
	size_t i, count = json_arr_len(arr);
	int rc;

	if (count == 0)
		return 0;
	v->nodes = calloc(count, sizeof *v->nodes);
	if (v->nodes == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		rc = parse_node(json_arr_at(arr, i), &v->nodes[v->n_nodes]);
		v->n_nodes++;
		if (rc < 0) {
			set_err(err, err_len, "Nodes[%zu]: %s", i,
				rc == -ENOMEM ? "out of memory" : "expected an object with a \"Node\" name");
			return rc;
		}
	}
	/* Names differing only in case cannot both exist (Consul's node index ignores case). */
	qsort(v->nodes, v->n_nodes, sizeof *v->nodes, node_cmp);
	return 0;
}

static int parse_services(yajl_val arr, struct catalog_view *v, char *err, size_t err_len)
{
	size_t i, count = json_arr_len(arr);

	if (count == 0)
		return 0;
	v->instances = calloc(count, sizeof *v->instances);
	if (v->instances == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct cv_instance *in = &v->instances[v->n_instances];
		char *node_name = NULL;
		int rc = parse_instance(json_arr_at(arr, i), in, &node_name);

		if (rc < 0) {
			instance_free(in);
			memset(in, 0, sizeof *in);
			set_err(err, err_len, "Services[%zu]: %s", i,
				rc == -ENOMEM ? "out of memory"
					      : "expected an object with \"Node\", \"ServiceName\", a port "
						"number, a status string and a list of tags");
			return rc;
		}
		in->node = catalog_view_node(v, node_name, strlen(node_name));
		if (in->node == NULL) { /* raced with a deregistration: nothing to answer with */
			instance_free(in);
			memset(in, 0, sizeof *in);
			v->n_dropped++;
			continue;
		}
		v->n_instances++;
	}
	qsort(v->instances, v->n_instances, sizeof *v->instances, instance_cmp);
	return 0;
}

struct catalog_view *catalog_view_parse(const char *json, size_t len, char *err, size_t err_len)
{
	char perr[128];
	struct catalog_view *v;
	yajl_val root, nodes, services;

	root = json_parse(json, len, perr, sizeof perr);
	if (root == NULL) {
		set_err(err, err_len, "catalog dump: %s", perr);
		return NULL;
	}
	nodes = json_get(root, "Nodes");
	services = json_get(root, "Services");
	if (!YAJL_IS_OBJECT(root) || (nodes != NULL && !YAJL_IS_NULL(nodes) && !YAJL_IS_ARRAY(nodes)) ||
	    (services != NULL && !YAJL_IS_NULL(services) && !YAJL_IS_ARRAY(services))) {
		set_err(err, err_len, "catalog dump: expected {\"Nodes\":[...],\"Services\":[...]}");
		yajl_tree_free(root);
		return NULL;
	}
	v = calloc(1, sizeof *v);
	if (v == NULL) {
		set_err(err, err_len, "catalog dump: out of memory");
		yajl_tree_free(root);
		return NULL;
	}
	if (parse_nodes(nodes, v, err, err_len) < 0 || parse_services(services, v, err, err_len) < 0) {
		catalog_view_free(v);
		yajl_tree_free(root);
		return NULL;
	}
	yajl_tree_free(root);
	return v;
}

const struct cv_node *catalog_view_node(const struct catalog_view *v, const char *name, size_t len)
{
	size_t lo = 0, hi = v->n_nodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(name, len, v->nodes[mid].name);

		if (c == 0)
			return &v->nodes[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t catalog_view_service(const struct catalog_view *v, const char *name, size_t len, size_t *first)
{
	size_t lo = 0, hi = v->n_instances, end;

	/* lower bound: first instance whose name is not below name */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (name_cmp(name, len, v->instances[mid].name) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	for (end = lo; end < v->n_instances && name_cmp(name, len, v->instances[end].name) == 0; end++)
		;
	return end - lo;
}

int cv_instance_has_tag(const struct cv_instance *in, const char *tag, size_t len)
{
	size_t i;

	for (i = 0; i < in->n_tags; i++)
		if (name_cmp(tag, len, in->tags[i]) == 0)
			return 1;
	return 0;
}
