/* persist.c: checkd's state file: {"Services": [def...], "Checks": [def...],
 * "CheckStates": [{"CheckID", "Status", "Output", "ExpiresMs"}]}. */
#include "persist.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/fileio.h"
#include "common/log.h"
#include "maint.h"

/* Writes a stored definition back as a JSON value (it was valid JSON when registered). */
static void write_def(struct jw *w, const char *json)
{
	char err[64];
	yajl_val v = json_parse(json, strlen(json), err, sizeof err);
	jw_value(w, v);
	yajl_tree_free(v);
}

int persist_render(const struct local_state *ls, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	jw_key(&w, "Services");
	jw_arr_open(&w);
	for (size_t i = 0; i < ls->nservices; i++)
		if (ls->services[i]->api_json)
			write_def(&w, ls->services[i]->api_json);
	jw_arr_close(&w);
	jw_key(&w, "Checks");
	jw_arr_open(&w);
	for (size_t i = 0; i < ls->nchecks; i++)
		if (ls->checks[i]->api_json)
			write_def(&w, ls->checks[i]->api_json);
	jw_arr_close(&w);
	/* Consul persists TTL check states only: other kinds find their state by running. */
	jw_key(&w, "CheckStates");
	jw_arr_open(&w);
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		if (c->def.kind != CHECK_TTL || !c->ttl_deadline_ms)
			continue;
		jw_obj_open(&w);
		jw_kv_str(&w, "CheckID", c->def.id);
		jw_kv_str(&w, "Status", c->status);
		jw_kv_str(&w, "Output", c->output);
		jw_kv_u64(&w, "ExpiresMs", c->ttl_deadline_ms);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	/* Maintenance mode survives a restart, as Consul's (it persists them as local checks). */
	jw_key(&w, "Maintenance");
	jw_arr_open(&w);
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		if (c->def.kind != CHECK_MAINTENANCE)
			continue;
		jw_obj_open(&w);
		jw_kv_str(&w, "ServiceID", c->def.service_id);
		jw_kv_str(&w, "Reason", c->def.notes);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_free(&w);
	return 0;
}

/* The definition's own JSON text, to be stored again on the next write. */
static char *def_text(yajl_val v)
{
	struct buf b;
	buf_init(&b);
	struct jw w;
	jw_init(&w, &b);
	jw_value(&w, v);
	jw_free(&w);
	size_t len;
	return buf_steal(&b, &len);
}

static int restore_services(struct local_state *ls, yajl_val list, const struct def_ctx *ctx, uint64_t now_ms)
{
	int n = 0;
	for (size_t i = 0; i < json_arr_len(list); i++) {
		yajl_val v = json_arr_at(list, i);
		char err[512];
		struct service_def def;
		if (service_def_parse(v, ctx, &def, err, sizeof err) < 0) {
			log_warnx("state: dropping a stored service: %s", err);
			continue;
		}
		if (ls_service_get(ls, def.id)) {
			log_info("state: service %s is defined in the configuration; not restoring the API copy", def.id);
			service_def_free(&def);
			continue;
		}
		char *text = def_text(v);
		if (!text || ls_service_add(ls, &def, text, false, now_ms, err, sizeof err) < 0) {
			log_warnx("state: service %s: out of memory", def.id);
			service_def_free(&def);
		} else {
			n++;
		}
		free(text);
	}
	return n;
}

static int restore_checks(struct local_state *ls, yajl_val list, const struct def_ctx *ctx, uint64_t now_ms)
{
	int n = 0;
	for (size_t i = 0; i < json_arr_len(list); i++) {
		yajl_val v = json_arr_at(list, i);
		char err[512];
		struct check_def def;
		if (check_def_parse(v, ctx, &def, err, sizeof err) < 0) {
			log_warnx("state: dropping a stored check: %s", err);
			continue;
		}
		if (ls_check_get(ls, def.id)) {
			log_info("state: check %s is defined in the configuration; not restoring the API copy", def.id);
			check_def_free(&def);
			continue;
		}
		char *text = def_text(v);
		if (!text || ls_check_add(ls, &def, text, now_ms, err, sizeof err) < 0) {
			log_warnx("state: dropping stored check %s: %s", def.id, text ? err : "out of memory");
			check_def_free(&def);
		} else {
			n++;
		}
		free(text);
	}
	return n;
}

static int restore_states(struct local_state *ls, yajl_val list, uint64_t now_ms)
{
	int n = 0;
	for (size_t i = 0; i < json_arr_len(list); i++) {
		yajl_val v = json_arr_at(list, i);
		const char *id = json_str(json_get(v, "CheckID"));
		const char *status = json_str(json_get(v, "Status"));
		const char *output = json_str(json_get(v, "Output"));
		uint64_t expires = 0;
		json_u64(json_get(v, "ExpiresMs"), &expires);
		struct ls_check *c = id ? ls_check_get(ls, id) : NULL;
		/* An expired state is stale: the check starts from its definition instead. */
		if (!c || c->def.kind != CHECK_TTL || expires <= now_ms || !check_status_valid(status))
			continue;
		if (ls_check_set(ls, id, status, output ? output : "") >= 0)
			n++;
	}
	return n;
}

static int restore_maintenance(struct local_state *ls, yajl_val list, uint64_t now_ms)
{
	int n = 0;
	for (size_t i = 0; i < json_arr_len(list); i++) {
		yajl_val v = json_arr_at(list, i);
		const char *sid = json_str(json_get(v, "ServiceID"));
		char err[512];
		int rc = maint_enable(ls, sid && *sid ? sid : NULL, json_str(json_get(v, "Reason")), now_ms, err,
				      sizeof err);
		if (rc < 0)
			log_warnx("state: dropping stored maintenance mode: %s", err);
		else
			n += rc;
	}
	return n;
}

int persist_restore(struct local_state *ls, const char *text, size_t len, const struct def_ctx *ctx,
		    uint64_t now_ms, char *err, size_t err_len)
{
	yajl_val root = json_parse(text, len, err, err_len);
	if (!root)
		return -EINVAL;
	if (!YAJL_IS_OBJECT(root)) {
		snprintf(err, err_len, "expected a JSON object");
		yajl_tree_free(root);
		return -EINVAL;
	}
	int n = restore_services(ls, json_get(root, "Services"), ctx, now_ms);
	n += restore_checks(ls, json_get(root, "Checks"), ctx, now_ms);
	n += restore_states(ls, json_get(root, "CheckStates"), now_ms);
	n += restore_maintenance(ls, json_get(root, "Maintenance"), now_ms);
	yajl_tree_free(root);
	return n;
}

int persist_write_file(const char *path, const struct buf *data)
{
	int rc = file_write_atomic(path, data->data, data->len);
	if (rc < 0)
		log_warnx("state: write %s: %s", path, strerror(-rc));
	return rc;
}
