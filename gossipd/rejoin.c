/* rejoin.c: the members snapshot. */
#include "rejoin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "json.h"

enum { SNAPSHOT_MAX = 4 << 20 };

int rejoin_save(const char *path, const struct swim *s, bool left)
{
	struct buf out;
	buf_init(&out);
	struct jw w;
	jw_init(&w, &out);
	jw_obj_open(&w);
	jw_kv_bool(&w, "left", left);
	jw_key(&w, "members");
	jw_arr_open(&w);
	for (size_t i = 0; i < swim_member_count(s); i++) {
		struct swim_member_info m;
		swim_member_at(s, i, &m);
		if (m.state != SWIM_ALIVE && m.state != SWIM_SUSPECT)
			continue;
		if (strcmp(m.name, swim_name(s)) == 0)
			continue;
		char addr[SWIM_ADDR_MAX + 10];
		snprintf(addr, sizeof addr, strchr(m.addr, ':') ? "[%s]:%u" : "%s:%u", m.addr, m.port);
		jw_str(&w, addr);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	int rc = file_write_atomic(path, out.data, out.len);
	buf_free(&out);
	return rc;
}

int rejoin_load(const char *path, struct rejoin_list *out)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	struct buf text;
	buf_init(&text);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len < SNAPSHOT_MAX)
		buf_append(&text, chunk, n);
	fclose(f);
	char err[128];
	yajl_val v = json_parse(text.data, text.len, err, sizeof err);
	buf_free(&text);
	yajl_val members = json_get(v, "members");
	if (!v || !YAJL_IS_ARRAY(members)) {
		yajl_tree_free(v);
		return -EINVAL;
	}
	out->left = json_is_true(json_get(v, "left"));
	size_t count = json_arr_len(members);
	out->addrs = calloc(count ? count : 1, sizeof *out->addrs);
	if (!out->addrs) {
		yajl_tree_free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		const char *s = json_str(json_arr_at(members, i));
		if (s && (out->addrs[out->n] = strdup(s)))
			out->n++;
	}
	yajl_tree_free(v);
	return 0;
}

void rejoin_list_free(struct rejoin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->addrs[i]);
	free(l->addrs);
	memset(l, 0, sizeof *l);
}
