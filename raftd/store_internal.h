/* store_internal.h: the state store's data model, shared by store.c (commands, snapshot)
 * and store_read.c (the read API rendered as Consul's JSON). Not for use outside raftd's
 * store. */
#ifndef RAFTD_STORE_INTERNAL_H
#define RAFTD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"
#include "store.h"

/* A pointer array kept sorted by its owner's comparator. */
struct pvec {
	void **v;
	size_t n, cap;
};

typedef int (*pvec_cmp)(const void *elem, const void *key);

/* String map, sorted by key: Go's encoder writes map keys sorted, so we store them that way. */
struct strpair {
	char *k, *v;
};
struct strmap {
	struct strpair *items;
	size_t n;
};

struct strlist {
	char **items;
	size_t n;
};

/* ---- the data model ---- */

struct svc {
	struct node *node;
	char *id, *name, *kind, *address;
	struct strlist tags;
	struct strmap meta;
	char *tagged_addresses; /* JSON object text, NULL when none (omitted, as Consul does) */
	int64_t port;
	int64_t weight_passing, weight_warning;
	bool enable_tag_override;
	uint64_t create_index, modify_index;
};

struct check {
	char *id, *name, *status, *notes, *output, *service_id, *type, *interval, *timeout;
	char *definition; /* JSON object text, NULL renders {} */
	int64_t exposed_port;
	uint64_t create_index, modify_index;
};

struct node {
	char *name, *id, *address, *datacenter;
	struct strmap tagged_addresses, meta;
	uint64_t create_index, modify_index;
	struct pvec svcs;   /* struct svc *, by id */
	struct pvec checks; /* struct check *, by id */
};

struct kv {
	char *key;
	char *value; /* decoded bytes, NULL renders "Value": null */
	size_t value_len;
	uint64_t flags, lock_index, create_index, modify_index;
};

struct store {
	uint64_t index;
	struct pvec nodes;    /* struct node *, by name (case-insensitive, as Consul's index) */
	struct pvec services; /* struct svc *, by (name, node, id) */
	struct pvec kvs;      /* struct kv *, by key (bytes) */
};

/* Shared helpers (store.c) */
void *xrealloc(void *p, size_t n);
void jw_raw(struct jw *w, const char *json);
size_t pvec_lower(const struct pvec *p, const void *key, pvec_cmp cmp, bool *found);
int kv_cmp(const void *elem, const void *key);
int svc_name_cmp(const void *elem, const void *key);
struct node *node_find(const struct store *s, const char *name);
struct svc *svc_find(const struct node *n, const char *id);
bool status_valid(const char *st);

/* Renderers shared with the snapshot (store_read.c) */
void render_node_fields(struct jw *w, const struct node *n);
void render_node_service(struct jw *w, const struct svc *v);
void render_check(struct jw *w, const struct node *n, const struct check *c);
void render_kv(struct jw *w, const struct kv *e, struct buf *scratch);

#endif
