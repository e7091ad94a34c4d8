/* ops.c: raftd's ops mapped onto store commands and queries (see ops.h). */
#include "ops.h"

#include <string.h>

#include "json.h"
#include "rpc_ops.h"
#include "store.h"

bool ops_is_write(unsigned op)
{
	return op == RPC_CATALOG_REGISTER || op == RPC_CATALOG_DEREGISTER || op == RPC_KV_PUT || op == RPC_KV_DELETE;
}

bool ops_is_store_op(unsigned op)
{
	switch (op) {
	case RPC_CATALOG_REGISTER:
	case RPC_CATALOG_DEREGISTER:
	case RPC_CATALOG_NODES:
	case RPC_CATALOG_SERVICES:
	case RPC_CATALOG_SERVICE:
	case RPC_CATALOG_NODE:
	case RPC_HEALTH_SERVICE:
	case RPC_HEALTH_NODE:
	case RPC_HEALTH_CHECKS:
	case RPC_HEALTH_STATE:
	case RPC_KV_GET:
	case RPC_KV_PUT:
	case RPC_KV_DELETE:
	case RPC_CATALOG_DUMP:
	case RPC_CATALOG_NODE_SERVICES:
		return true;
	default:
		return false;
	}
}

static yajl_val parse_args(const char *args, size_t len, struct buf *out)
{
	char err[128];
	yajl_val v = json_parse(len ? args : "{}", len ? len : 2, err, sizeof err);
	if (!v) {
		buf_appendf(out, "Request decode failed: %s", err);
		return NULL;
	}
	if (!YAJL_IS_OBJECT(v)) {
		yajl_tree_free(v);
		buf_append_str(out, "Request decode failed: arguments must be an object");
		return NULL;
	}
	return v;
}

/* Copies a member under a new name when present. */
static void copy_member(struct jw *w, yajl_val args, const char *from, const char *to)
{
	yajl_val v = json_get(args, from);
	if (v) {
		jw_key(w, to);
		jw_value(w, v);
	}
}

int ops_command(unsigned op, const char *args, size_t len, struct buf *out)
{
	yajl_val a = parse_args(args, len, out);
	if (!a)
		return 400;
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	if (op == RPC_CATALOG_REGISTER || op == RPC_CATALOG_DEREGISTER) {
		/* The body as given, with "Op" written last: lookups take the last match, so a
		 * stray "op" member in the body cannot pick the command. */
		for (size_t i = 0; i < json_obj_len(a); i++) {
			jw_key(&w, json_obj_key(a, i));
			jw_value(&w, json_obj_val(a, i));
		}
		jw_kv_str(&w, "Op", op == RPC_CATALOG_REGISTER ? "register" : "deregister");
	} else if (op == RPC_KV_PUT) {
		jw_kv_str(&w, "Op", json_get(a, "cas") ? "kv_cas" : "kv_set");
		copy_member(&w, a, "key", "Key");
		copy_member(&w, a, "value", "Value");
		copy_member(&w, a, "flags", "Flags");
		copy_member(&w, a, "cas", "Cas");
	} else if (op == RPC_KV_DELETE) {
		const char *kind = json_is_true(json_get(a, "recurse")) ? "kv_delete_tree"
				   : json_get(a, "cas")                 ? "kv_delete_cas"
									: "kv_delete";
		jw_kv_str(&w, "Op", kind);
		copy_member(&w, a, "key", "Key");
		copy_member(&w, a, "cas", "Cas");
	}
	jw_obj_close(&w);
	jw_free(&w);
	yajl_tree_free(a);
	return 200;
}

/* A required string argument; NULL (with the message in out) when missing. */
static const char *need(yajl_val a, const char *key, const char *missing, struct buf *out)
{
	const char *v = json_str(json_get(a, key));
	if (!v || !v[0]) {
		buf_append_str(out, missing);
		return NULL;
	}
	return v;
}

static int kv_read(const struct store *s, yajl_val a, struct buf *out)
{
	const char *key = json_str(json_get(a, "key"));
	bool recurse = json_is_true(json_get(a, "recurse")), keys = json_is_true(json_get(a, "keys"));
	if (!key)
		key = "";
	if (!key[0] && !recurse && !keys) {
		buf_append_str(out, "Missing key name");
		return 400;
	}
	enum kv_get_mode mode = keys ? KV_GET_KEYS : recurse ? KV_GET_RECURSE : KV_GET_ONE;
	return store_kv_get(s, key, mode, json_str(json_get(a, "separator")), out);
}

int ops_read(const struct store *s, unsigned op, const char *args, size_t len, struct buf *out)
{
	yajl_val a = parse_args(args, len, out);
	if (!a)
		return 400;
	/* "tags": every ?tag= of the request; an instance must carry them all */
	const char *tag_list[RPC_TAGS_MAX];
	struct store_tags tags = {tag_list, 0};
	yajl_val tv = json_get(a, "tags");
	for (size_t i = 0; YAJL_IS_ARRAY(tv) && i < json_arr_len(tv) && tags.n < RPC_TAGS_MAX; i++)
		if (json_str(json_arr_at(tv, i)))
			tag_list[tags.n++] = json_str(json_arr_at(tv, i));
	const char *v;
	int status = 400;
	switch (op) {
	case RPC_CATALOG_NODES:
		status = store_catalog_nodes(s, out);
		break;
	case RPC_CATALOG_SERVICES:
		status = store_catalog_services(s, out);
		break;
	case RPC_CATALOG_SERVICE:
		if (json_is_true(json_get(a, "all")))
			status = store_catalog_service(s, NULL, &tags, out);
		else if ((v = need(a, "name", "Missing service name", out)))
			status = store_catalog_service(s, v, &tags, out);
		break;
	case RPC_CATALOG_NODE:
		if ((v = need(a, "node", "Missing node name", out)))
			status = store_catalog_node(s, v, out);
		break;
	case RPC_CATALOG_NODE_SERVICES:
		if ((v = need(a, "node", "Missing node name", out)))
			status = store_catalog_node_services(s, v, out);
		break;
	case RPC_HEALTH_SERVICE:
		if ((v = need(a, "name", "Missing service name", out)))
			status = store_health_service(s, v, &tags, json_is_true(json_get(a, "passing")), out);
		break;
	case RPC_HEALTH_NODE:
		if ((v = need(a, "node", "Missing node name", out)))
			status = store_health_node(s, v, out);
		break;
	case RPC_HEALTH_CHECKS:
		if ((v = need(a, "service", "Missing service name", out)))
			status = store_health_checks(s, v, out);
		break;
	case RPC_HEALTH_STATE:
		if ((v = need(a, "state", "Missing check state", out)))
			status = store_health_state(s, v, out);
		break;
	case RPC_CATALOG_DUMP:
		status = store_catalog_dump(s, out);
		break;
	case RPC_KV_GET:
		status = kv_read(s, a, out);
		break;
	default:
		buf_appendf(out, "op %u is not a read of the state store", op);
		break;
	}
	yajl_tree_free(a);
	return status;
}
