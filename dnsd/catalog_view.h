/* catalog_view.h: dnsd's read-only copy of the catalog, parsed from a CATALOG_DUMP reply body.
 *
 *   char err[128];
 *   struct catalog_view *v = catalog_view_parse(body, len, err, sizeof err); // NULL: err says why
 *   const struct cv_node *n = catalog_view_node(v, "web-1", 5);             // ignores case
 *   size_t first, count = catalog_view_service(v, "web", 3, &first);        // v->instances[first..]
 *   catalog_view_free(v);
 *
 * The body is {"Nodes":[{"Node","Address","Datacenter","TaggedAddresses","Meta"}...],
 * "Services":[{"Node","ServiceID","ServiceName","ServiceTags","ServiceAddress","ServicePort",
 * "Status"}...]}, Status being the worst of the instance's checks and its node's checks.
 * Parsing is pure: no I/O, no logging. Nodes are sorted by name and instances by service name
 * (both ignoring case, as DNS does) so lookups are binary searches.
 */
#ifndef DNSD_CATALOG_VIEW_H
#define DNSD_CATALOG_VIEW_H

#include <stddef.h>
#include <stdint.h>

enum cv_status { CV_PASSING, CV_WARNING, CV_CRITICAL };

struct cv_meta {
	char *key;
	char *value;
};

struct cv_node {
	char *name;
	char *address;    /* an IP, or a host name for external nodes */
	char *datacenter; /* "" when the dump does not say */
	struct cv_meta *meta; /* sorted by key */
	size_t n_meta;
};

struct cv_instance {
	const struct cv_node *node;
	char *id;
	char *name;
	char **tags;
	size_t n_tags;
	char *address; /* ServiceAddress; "" means the node's address */
	uint16_t port;
	enum cv_status status;
};

struct catalog_view {
	struct cv_node *nodes;
	size_t n_nodes;
	struct cv_instance *instances;
	size_t n_instances;
	size_t n_dropped; /* instances whose node was not in Nodes, left out */
};

/* Parses len bytes of JSON. Returns a view the caller frees with catalog_view_free, or NULL
 * with the reason in err (garbage, wrong types, missing names, out of memory). */
struct catalog_view *catalog_view_parse(const char *json, size_t len, char *err, size_t err_len);
void catalog_view_free(struct catalog_view *v);

/* The node named name (len bytes, ignoring case), or NULL. */
const struct cv_node *catalog_view_node(const struct catalog_view *v, const char *name, size_t len);
/* Number of instances of the service named name (ignoring case); *first gets the index of the
 * first one in v->instances (they are contiguous). */
size_t catalog_view_service(const struct catalog_view *v, const char *name, size_t len, size_t *first);
/* True when the instance carries tag (ignoring case, as Consul's tag filter does). */
int cv_instance_has_tag(const struct cv_instance *in, const char *tag, size_t len);

#endif
