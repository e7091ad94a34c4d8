/* json.c: a yajl-backed writer into a buf, and lookups on yajl trees. */
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static void print_to_buf(void *ctx, const char *s, size_t len)
{
	buf_append(ctx, s, len);
}

static void jw_setup(struct jw *w, struct buf *out, bool pretty)
{
	w->out = out;
	w->gen = yajl_gen_alloc(NULL);
	if (!w->gen)
		fatalx("out of memory");
	yajl_gen_config(w->gen, yajl_gen_print_callback, print_to_buf, out);
	if (pretty) {
		yajl_gen_config(w->gen, yajl_gen_beautify, 1);
		yajl_gen_config(w->gen, yajl_gen_indent_string, "    ");
	}
}

void jw_init(struct jw *w, struct buf *out)
{
	jw_setup(w, out, false);
}

void jw_init_pretty(struct jw *w, struct buf *out)
{
	jw_setup(w, out, true);
}

void jw_free(struct jw *w)
{
	if (w->gen)
		yajl_gen_free(w->gen);
	w->gen = NULL;
}

void jw_obj_open(struct jw *w)
{
	yajl_gen_map_open(w->gen);
}

void jw_obj_close(struct jw *w)
{
	yajl_gen_map_close(w->gen);
}

void jw_arr_open(struct jw *w)
{
	yajl_gen_array_open(w->gen);
}

void jw_arr_close(struct jw *w)
{
	yajl_gen_array_close(w->gen);
}

void jw_strn(struct jw *w, const char *s, size_t len)
{
	yajl_gen_string(w->gen, (const unsigned char *)(s ? s : ""), s ? len : 0);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_key(struct jw *w, const char *key)
{
	jw_str(w, key);
}

void jw_null(struct jw *w)
{
	yajl_gen_null(w->gen);
}

void jw_bool(struct jw *w, bool v)
{
	yajl_gen_bool(w->gen, v);
}

void jw_i64(struct jw *w, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, v);
	yajl_gen_number(w->gen, num, (size_t)n);
}

void jw_u64(struct jw *w, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRIu64, v);
	yajl_gen_number(w->gen, num, (size_t)n);
}

void jw_double(struct jw *w, double v)
{
	yajl_gen_double(w->gen, v);
}

void jw_value(struct jw *w, yajl_val v)
{
	if (!v) {
		jw_null(w);
		return;
	}
	switch (v->type) {
	case yajl_t_string:
		jw_str(w, v->u.string);
		break;
	case yajl_t_number:
		yajl_gen_number(w->gen, v->u.number.r, strlen(v->u.number.r));
		break;
	case yajl_t_object:
		jw_obj_open(w);
		for (size_t i = 0; i < v->u.object.len; i++) {
			jw_key(w, v->u.object.keys[i]);
			jw_value(w, v->u.object.values[i]);
		}
		jw_obj_close(w);
		break;
	case yajl_t_array:
		jw_arr_open(w);
		for (size_t i = 0; i < v->u.array.len; i++)
			jw_value(w, v->u.array.values[i]);
		jw_arr_close(w);
		break;
	case yajl_t_true:
		jw_bool(w, true);
		break;
	case yajl_t_false:
		jw_bool(w, false);
		break;
	default:
		jw_null(w);
		break;
	}
}

void jw_kv_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kv_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_kv_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_i64(w, v);
}

void jw_kv_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

void jw_kv_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

yajl_val json_parse(const char *text, size_t len, char *err, size_t err_len)
{
	if (err_len)
		err[0] = '\0';
	if (memchr(text, '\0', len)) {
		snprintf(err, err_len, "invalid JSON: contains a NUL byte");
		return NULL;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	char msg[256] = "";
	yajl_val v = yajl_tree_parse(copy, msg, sizeof msg);
	free(copy);
	if (!v) {
		/* yajl's messages span lines (with a caret under the error); keep the first. */
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		snprintf(err, err_len, "invalid JSON: %s", msg[0] ? msg : "parse error");
	}
	return v;
}

/* Equal ignoring ASCII case and underscores. */
static bool key_matches(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (!*a || !*b)
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

yajl_val json_get(yajl_val obj, const char *key)
{
	if (!obj || obj->type != yajl_t_object)
		return NULL;
	yajl_val found = NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (key_matches(obj->u.object.keys[i], key))
			found = obj->u.object.values[i];
	return found;
}

const char *json_str(yajl_val v)
{
	return v && v->type == yajl_t_string ? v->u.string : NULL;
}

bool json_is_true(yajl_val v)
{
	return v && v->type == yajl_t_true;
}

bool json_i64(yajl_val v, int64_t *out)
{
	if (!v || v->type != yajl_t_number || !(v->u.number.flags & YAJL_NUMBER_INT_VALID))
		return false;
	*out = v->u.number.i;
	return true;
}

bool json_u64(yajl_val v, uint64_t *out)
{
	if (!v || v->type != yajl_t_number)
		return false;
	if (v->u.number.flags & YAJL_NUMBER_INT_VALID) {
		if (v->u.number.i < 0)
			return false;
		*out = (uint64_t)v->u.number.i;
		return true;
	}
	/* Above INT64_MAX yajl gives up on the integer; indexes are u64, so parse it here. */
	const char *r = v->u.number.r;
	if (!r || !isdigit((unsigned char)r[0]))
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(r, &end, 10);
	if (errno || *end)
		return false;
	*out = n;
	return true;
}

size_t json_arr_len(yajl_val v)
{
	return v && v->type == yajl_t_array ? v->u.array.len : 0;
}

yajl_val json_arr_at(yajl_val v, size_t i)
{
	return i < json_arr_len(v) ? v->u.array.values[i] : NULL;
}

size_t json_obj_len(yajl_val v)
{
	return v && v->type == yajl_t_object ? v->u.object.len : 0;
}

const char *json_obj_key(yajl_val v, size_t i)
{
	return i < json_obj_len(v) ? v->u.object.keys[i] : NULL;
}

yajl_val json_obj_val(yajl_val v, size_t i)
{
	return i < json_obj_len(v) ? v->u.object.values[i] : NULL;
}

int json_quote(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_reserve(out, len + 2) < 0)
		return -ENOMEM;
	int rc = buf_append_char(out, '"');
	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			rc = buf_append(out, "\\\"", 2);
			break;
		case '\\':
			rc = buf_append(out, "\\\\", 2);
			break;
		case '\n':
			rc = buf_append(out, "\\n", 2);
			break;
		case '\r':
			rc = buf_append(out, "\\r", 2);
			break;
		case '\t':
			rc = buf_append(out, "\\t", 2);
			break;
		default:
			if (c < 0x20) {
				char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				rc = buf_append(out, esc, sizeof esc);
			} else {
				rc = buf_append_char(out, (char)c);
			}
		}
	}
	return rc ? rc : buf_append_char(out, '"');
}
