/* json.h: JSON on yajl. A writer that appends to a buf, and lookups on yajl trees.
 *
 *   struct jw w; jw_init(&w, &out);
 *   jw_obj_open(&w); jw_kv_str(&w, "Node", name); jw_kv_u64(&w, "ModifyIndex", idx); jw_obj_close(&w);
 *   jw_free(&w);
 *
 *   char err[128];
 *   yajl_val v = json_parse(text, len, err, sizeof err);   // NULL on error, err says why
 *   const char *name = json_str(json_get(v, "Name"));      // NULL if absent or not a string
 *   yajl_tree_free(v);
 *
 * Lookups ignore case and underscores, so "EnableTagOverride" finds "enable_tag_override":
 * Consul's decoders accept both the API's CamelCase and the config files' snake_case.
 */
#ifndef COMMON_JSON_H
#define COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "buf.h"

struct jw {
	yajl_gen gen;
	struct buf *out;
};

/* Appends to out. pretty: indent with 4 spaces (Consul's ?pretty). */
void jw_init(struct jw *w, struct buf *out);
void jw_init_pretty(struct jw *w, struct buf *out);
void jw_free(struct jw *w);
void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s); /* NULL writes "" */
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_null(struct jw *w);
void jw_bool(struct jw *w, bool v);
void jw_i64(struct jw *w, int64_t v);
void jw_u64(struct jw *w, uint64_t v);
void jw_double(struct jw *w, double v);
/* Writes a parsed value back out, as it was. */
void jw_value(struct jw *w, yajl_val v);
void jw_kv_str(struct jw *w, const char *key, const char *s);
void jw_kv_bool(struct jw *w, const char *key, bool v);
void jw_kv_i64(struct jw *w, const char *key, int64_t v);
void jw_kv_u64(struct jw *w, const char *key, uint64_t v);
void jw_kv_null(struct jw *w, const char *key);

/* Parses len bytes (need not be NUL-terminated). Returns NULL with a message in err. */
yajl_val json_parse(const char *text, size_t len, char *err, size_t err_len);
/* Object member by key, ignoring case and '_'; NULL if obj is not an object or lacks it.
 * When several keys match, the last one wins (as Go's decoder does). */
yajl_val json_get(yajl_val obj, const char *key);
/* Typed views: NULL / false when v is absent or of another type. */
const char *json_str(yajl_val v);
bool json_is_true(yajl_val v);
bool json_i64(yajl_val v, int64_t *out);
bool json_u64(yajl_val v, uint64_t *out);
size_t json_arr_len(yajl_val v);
yajl_val json_arr_at(yajl_val v, size_t i);
size_t json_obj_len(yajl_val v);
const char *json_obj_key(yajl_val v, size_t i);
yajl_val json_obj_val(yajl_val v, size_t i);
/* Appends s as a JSON string literal (with quotes) to out. */
int json_quote(struct buf *out, const char *s, size_t len);

#endif
