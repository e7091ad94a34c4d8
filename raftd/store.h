/* store.h: the replicated state machine: catalog (nodes, services, checks) and KV, with
 * Consul's CreateIndex / ModifyIndex / LockIndex semantics. Pure: no I/O, no clock.
 *
 * The store changes only through store_apply() of a committed command, so every replica that
 * applies the same log holds the same store. The global index is the log index of the last
 * applied command. Reads render Consul's HTTP JSON into a buf.
 *
 *   struct store *s = store_new();
 *   struct buf res; buf_init(&res);
 *   int status = store_apply(s, 7, "{\"Op\":\"kv_set\",\"Key\":\"a\",\"Value\":\"YQ==\"}", len, &res);
 *   // status 200, res = "true"; store_index(s) == 7
 *   buf_reset(&res);
 *   store_kv_get(s, "a", KV_GET_ONE, NULL, &res);   // [{"LockIndex":0,"Key":"a",...}]
 *   store_free(s);
 *
 * Commands (JSON objects; keys matched ignoring case and '_'):
 *   {"Op":"register", <Consul catalog register body>}
 *   {"Op":"deregister","Node","ServiceID"?,"CheckID"?}
 *   {"Op":"kv_set","Key","Value"(base64)?,"Flags"?}
 *   {"Op":"kv_cas","Key","Value"?,"Flags"?,"Cas"}         cas 0: create only; N: ModifyIndex == N
 *   {"Op":"kv_delete","Key"}  {"Op":"kv_delete_tree","Key"}  {"Op":"kv_delete_cas","Key","Cas"}
 *   {"Op":"restore","Snapshot":<store_snapshot document>}  the whole store replaced (the
 *                                                          store's index becomes the command's)
 *
 * Statuses are HTTP-like: 200 ok, 400 bad input (body: the message), 404 not found.
 */
#ifndef RAFTD_STORE_H
#define RAFTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Consul's cap on a KV value (kv_max_value_size). */
#define STORE_KV_MAX_VALUE_BYTES (512u * 1024)

struct store;

/* Never NULL (aborts on out of memory). */
struct store *store_new(void);
void store_free(struct store *s);
/* The log index of the last applied command (0 for an empty store). */
uint64_t store_index(const struct store *s);

/* Applies the committed command at log index `index` (> store_index). Returns 200 with the
 * result ("true" / "false") appended to result, or 400 with a message; either way the index
 * moves to `index`, and a rejected command changes nothing else. */
int store_apply(struct store *s, uint64_t index, const char *cmd, size_t len, struct buf *result);
/* Dry run of store_apply against the current state: the same status and result, nothing
 * changes. *changes says whether applying it would change any entry (a re-registration of an
 * identical service does not). Lets the leader refuse bad commands before they are logged. */
int store_check(const struct store *s, const char *cmd, size_t len, struct buf *result, bool *changes);

/* Snapshot: the whole state as one JSON document, and back. restore replaces s's content;
 * on failure (-EINVAL, message in err) s is left empty. */
int store_snapshot(const struct store *s, struct buf *out);
int store_restore(struct store *s, const char *json, size_t len, char *err, size_t err_len);

/* ---- reads: each appends Consul's HTTP body to out and returns a status ---- */

int store_catalog_nodes(const struct store *s, struct buf *out);
int store_catalog_services(const struct store *s, struct buf *out);
/* ?tag= values: an instance must carry all of them. */
struct store_tags {
	const char *const *v;
	size_t n;
};
/* tags may be NULL (no tag asked); name NULL: every instance of every service, by name. */
int store_catalog_service(const struct store *s, const char *name, const struct store_tags *tags, struct buf *out);
/* 200 with "null" when the node is unknown, as Consul. */
int store_catalog_node(const struct store *s, const char *node, struct buf *out);
/* 404 with an empty body when the node is unknown. */
int store_catalog_node_services(const struct store *s, const char *node, struct buf *out);
/* passing: drop entries with any non-passing check (the node's own checks included). */
int store_health_service(const struct store *s, const char *name, const struct store_tags *tags, bool passing,
			 struct buf *out);
int store_health_node(const struct store *s, const char *node, struct buf *out);
int store_health_checks(const struct store *s, const char *service, struct buf *out);
/* state: any | passing | warning | critical; anything else is 400. */
int store_health_state(const struct store *s, const char *state, struct buf *out);
/* For dnsd: {"Nodes":[...],"Services":[{..., "Status": worst of service and node checks}]} */
int store_catalog_dump(const struct store *s, struct buf *out);

enum kv_get_mode {
	KV_GET_ONE,     /* the key itself */
	KV_GET_RECURSE, /* every key with that prefix */
	KV_GET_KEYS,    /* key names under the prefix, folded at `separator` when given */
};
/* 404 with an empty body when nothing matches. separator is used only by KV_GET_KEYS. */
int store_kv_get(const struct store *s, const char *key, enum kv_get_mode mode, const char *separator,
		 struct buf *out);

#endif
