/* local_state.c: the agent's services and checks, kept sorted by id (Go renders maps with
 * sorted keys, so the agent endpoints come out in that order for free). */
#include "local_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/duration.h"
#include "common/json.h"

static void service_free(struct ls_service *s)
{
	if (!s)
		return;
	service_def_free(&s->def);
	free(s->api_json);
	free(s);
}

static void check_free(struct ls_check *c)
{
	if (!c)
		return;
	check_def_free(&c->def);
	free(c->status);
	free(c->output);
	free(c->api_json);
	free(c);
}

void ls_strs_clear(struct ls_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

int ls_strs_add(struct ls_strs *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i], id))
			return 0;
	char **grown = realloc(s->items, (s->n + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	s->items = grown;
	if (!(s->items[s->n] = strdup(id)))
		return -ENOMEM;
	s->n++;
	return 0;
}

void ls_strs_remove(struct ls_strs *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->items[i], id)) {
			free(s->items[i]);
			s->items[i] = s->items[--s->n];
			return;
		}
	}
}

struct local_state *ls_new(const char *node_name, const char *datacenter)
{
	struct local_state *ls = calloc(1, sizeof *ls);
	if (!ls)
		return NULL;
	ls->node_name = strdup(node_name ? node_name : "");
	ls->datacenter = strdup(datacenter ? datacenter : "dc1");
	ls->index = 1;
	if (!ls->node_name || !ls->datacenter) {
		ls_free(ls);
		return NULL;
	}
	return ls;
}

void ls_free(struct local_state *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->nservices; i++)
		service_free(ls->services[i]);
	free(ls->services);
	for (size_t i = 0; i < ls->nchecks; i++)
		check_free(ls->checks[i]);
	free(ls->checks);
	ls_strs_clear(&ls->deleted_services);
	ls_strs_clear(&ls->deleted_checks);
	free(ls->node_name);
	free(ls->datacenter);
	free(ls);
}

/* Binary search in an array sorted by id. Returns the index of id, or where it would go
 * with *found false. */
static size_t find_service(const struct local_state *ls, const char *id, bool *found)
{
	size_t lo = 0, hi = ls->nservices;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ls->services[mid]->def.id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static size_t find_check(const struct local_state *ls, const char *id, bool *found)
{
	size_t lo = 0, hi = ls->nchecks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ls->checks[mid]->def.id, id);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct ls_service *ls_service_get(const struct local_state *ls, const char *id)
{
	bool found;
	size_t i = find_service(ls, id, &found);
	return found ? ls->services[i] : NULL;
}

struct ls_check *ls_check_get(const struct local_state *ls, const char *id)
{
	bool found;
	size_t i = find_check(ls, id, &found);
	return found ? ls->checks[i] : NULL;
}

static int insert_at(void ***arr, size_t *n, size_t at, void *item)
{
	void **grown = realloc(*arr, (*n + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	*arr = grown;
	memmove(&grown[at + 1], &grown[at], (*n - at) * sizeof *grown);
	grown[at] = item;
	(*n)++;
	return 0;
}

static void remove_at(void **arr, size_t *n, size_t at)
{
	memmove(&arr[at], &arr[at + 1], (*n - at - 1) * sizeof *arr);
	(*n)--;
}

static void changed(struct local_state *ls)
{
	ls->index++;
}

char *ls_truncate_output(const char *output, size_t max)
{
	if (!output)
		output = "";
	size_t total = strlen(output);
	if (total <= max)
		return strdup(output);
	struct buf b;
	buf_init(&b);
	if (buf_append(&b, output, max) < 0 ||
	    buf_appendf(&b, " ... (captured %zu of %zu bytes)", max, total) < 0) {
		buf_free(&b);
		return NULL;
	}
	size_t len;
	return buf_steal(&b, &len);
}

static void arm_ttl(struct ls_check *c, uint64_t now_ms)
{
	c->ttl_deadline_ms = c->def.kind == CHECK_TTL ? now_ms + c->def.ttl_ms : 0;
	/* 0 means "not armed": a deadline at time 0 is a test clock artefact, keep it armed. */
	if (c->def.kind == CHECK_TTL && c->ttl_deadline_ms == 0)
		c->ttl_deadline_ms = 1;
}

/* A new check entry from a definition (taken), with the definition's initial status. */
static struct ls_check *check_new(struct local_state *ls, struct check_def *def, const char *api_json, uint64_t now_ms)
{
	struct ls_check *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->status = strdup(def->status ? def->status : "critical");
	c->output = strdup("");
	c->api_json = api_json ? strdup(api_json) : NULL;
	if (!c->status || !c->output || (api_json && !c->api_json)) {
		check_free(c);
		return NULL;
	}
	c->def = *def;
	memset(def, 0, sizeof *def);
	arm_ttl(c, now_ms);
	c->serial = ++ls->next_serial;
	return c;
}

/* Puts c in place of any check with its id. Takes c. */
static int check_put(struct local_state *ls, struct ls_check *c)
{
	bool found;
	size_t i = find_check(ls, c->def.id, &found);
	if (found) {
		check_free(ls->checks[i]);
		ls->checks[i] = c;
	} else if (insert_at((void ***)&ls->checks, &ls->nchecks, i, c) < 0) {
		check_free(c);
		return -ENOMEM;
	}
	ls_strs_remove(&ls->deleted_checks, c->def.id);
	return 0;
}

int ls_service_add(struct local_state *ls, struct service_def *def, const char *api_json, bool replace_checks,
		   uint64_t now_ms, char *err, size_t err_len)
{
	struct ls_service *s = calloc(1, sizeof *s);
	struct ls_check **fresh = def->nchecks ? calloc(def->nchecks, sizeof *fresh) : NULL;
	if (!s || (def->nchecks && !fresh) || (api_json && !(s->api_json = strdup(api_json))))
		goto nomem;
	/* Build every check entry first, so that running out of memory changes nothing. */
	for (size_t i = 0; i < def->nchecks; i++) {
		struct check_def copy;
		if (check_def_copy(&copy, &def->checks[i]) < 0)
			goto nomem;
		if (!(fresh[i] = check_new(ls, &copy, NULL, now_ms))) {
			check_def_free(&copy);
			goto nomem;
		}
		/* Re-registering keeps the check's last state (Consul's check state snapshot). */
		struct ls_check *prev = ls_check_get(ls, fresh[i]->def.id);
		if (prev) {
			char *status = strdup(prev->status), *output = strdup(prev->output);
			if (!status || !output) {
				free(status);
				free(output);
				goto nomem;
			}
			free(fresh[i]->status);
			free(fresh[i]->output);
			fresh[i]->status = status;
			fresh[i]->output = output;
		}
	}
	bool found;
	size_t at = find_service(ls, def->id, &found);
	if (!found && insert_at((void ***)&ls->services, &ls->nservices, at, NULL) < 0)
		goto nomem;

	if (replace_checks && found) {
		for (size_t i = ls->nchecks; i-- > 0;) {
			struct ls_check *c = ls->checks[i];
			if (!c->def.service_id || strcmp(c->def.service_id, def->id))
				continue;
			/* Only the service's own checks go: API and maintenance checks on it stay. */
			bool kept = c->api_json || c->def.kind == CHECK_MAINTENANCE;
			for (size_t j = 0; j < def->nchecks; j++)
				kept |= !strcmp(def->checks[j].id, c->def.id);
			if (!kept) {
				ls_strs_add(&ls->deleted_checks, c->def.id);
				check_free(c);
				remove_at((void **)ls->checks, &ls->nchecks, i);
			}
		}
	}
	for (size_t i = 0; i < def->nchecks; i++) {
		if (check_put(ls, fresh[i]) < 0) {
			/* The service is in place already; a check lost here is reported, the
			 * rest stays consistent. */
			fresh[i] = NULL;
			snprintf(err, err_len, "out of memory");
			for (size_t j = i + 1; j < def->nchecks; j++)
				check_free(fresh[j]);
			free(fresh);
			return -ENOMEM;
		}
		fresh[i] = NULL;
	}
	free(fresh);
	for (size_t i = 0; i < def->nchecks; i++)
		check_def_free(&def->checks[i]);
	free(def->checks);
	def->checks = NULL;
	def->nchecks = 0;
	s->def = *def;
	memset(def, 0, sizeof *def);
	if (found)
		service_free(ls->services[at]);
	ls->services[at] = s;
	ls_strs_remove(&ls->deleted_services, s->def.id);
	/* Checks carry the service's name and tags in the catalog: resend them too. */
	for (size_t i = 0; i < ls->nchecks; i++)
		if (ls->checks[i]->def.service_id && !strcmp(ls->checks[i]->def.service_id, s->def.id))
			ls->checks[i]->in_sync = false;
	changed(ls);
	return 0;
nomem:
	if (fresh)
		for (size_t i = 0; i < def->nchecks; i++)
			check_free(fresh[i]);
	free(fresh);
	service_free(s);
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
}

int ls_service_remove(struct local_state *ls, const char *id)
{
	bool found;
	size_t at = find_service(ls, id, &found);
	if (!found)
		return -ENOENT;
	/* The catalog drops a service's checks with the service; only the service is recorded. */
	for (size_t i = ls->nchecks; i-- > 0;) {
		struct ls_check *c = ls->checks[i];
		if (c->def.service_id && !strcmp(c->def.service_id, id)) {
			check_free(c);
			remove_at((void **)ls->checks, &ls->nchecks, i);
		}
	}
	ls_strs_add(&ls->deleted_services, id);
	service_free(ls->services[at]);
	remove_at((void **)ls->services, &ls->nservices, at);
	changed(ls);
	return 0;
}

int ls_check_add(struct local_state *ls, struct check_def *def, const char *api_json, uint64_t now_ms, char *err,
		 size_t err_len)
{
	if (def->service_id && !ls_service_get(ls, def->service_id)) {
		snprintf(err, err_len, "ServiceID \"%.200s\" does not exist", def->service_id);
		return -ENOENT;
	}
	struct ls_check *c = check_new(ls, def, api_json, now_ms);
	if (!c || check_put(ls, c) < 0) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	changed(ls);
	return 0;
}

int ls_check_remove(struct local_state *ls, const char *id)
{
	bool found;
	size_t at = find_check(ls, id, &found);
	if (!found)
		return -ENOENT;
	ls_strs_add(&ls->deleted_checks, id);
	check_free(ls->checks[at]);
	remove_at((void **)ls->checks, &ls->nchecks, at);
	changed(ls);
	return 0;
}

static int check_set(struct local_state *ls, const char *id, const char *status, const char *output,
		     bool truncate)
{
	struct ls_check *c = ls_check_get(ls, id);
	if (!c)
		return -ENOENT;
	if (!check_status_valid(status))
		return -EINVAL;
	char *out = truncate ? ls_truncate_output(output, c->def.output_max_size ? c->def.output_max_size
									       : CHECK_OUTPUT_MAX_BYTES)
			     : strdup(output ? output : "");
	if (!out)
		return -ENOMEM;
	if (!strcmp(c->status, status) && !strcmp(c->output, out)) {
		free(out);
		return 0;
	}
	char *st = strdup(status);
	if (!st) {
		free(out);
		return -ENOMEM;
	}
	free(c->status);
	free(c->output);
	c->status = st;
	c->output = out;
	c->in_sync = false;
	changed(ls);
	return 1;
}

int ls_check_set(struct local_state *ls, const char *id, const char *status, const char *output)
{
	return check_set(ls, id, status, output, true);
}

int ls_check_set_result(struct local_state *ls, const char *id, const char *status, const char *output)
{
	return check_set(ls, id, status, output, false);
}

int ls_check_update_ttl(struct local_state *ls, const char *id, const char *status, const char *output,
			uint64_t now_ms, char *err, size_t err_len)
{
	struct ls_check *c = ls_check_get(ls, id);
	if (!c) {
		snprintf(err, err_len, "Unknown check ID \"%.200s\". Ensure that the check ID is passed, not the check name.",
			 id);
		return -ENOENT;
	}
	if (c->def.kind != CHECK_TTL) {
		snprintf(err, err_len, "CheckID \"%.200s\" does not have associated TTL", id);
		return -EINVAL;
	}
	if (!check_status_valid(status)) {
		snprintf(err, err_len, "Invalid check status: '%.32s'", status ? status : "");
		return -EINVAL;
	}
	int rc = ls_check_set(ls, id, status, output);
	if (rc < 0) {
		snprintf(err, err_len, "out of memory");
		return rc;
	}
	arm_ttl(c, now_ms);
	return rc;
}

size_t ls_ttl_expire(struct local_state *ls, uint64_t now_ms, ls_expired_cb cb, void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < ls->nchecks; i++) {
		struct ls_check *c = ls->checks[i];
		if (c->def.kind != CHECK_TTL || !c->ttl_deadline_ms || c->ttl_deadline_ms > now_ms)
			continue;
		c->ttl_deadline_ms = 0;
		/* Consul keeps the last output the application sent, after the prefix. */
		struct buf b;
		buf_init(&b);
		if (c->output[0])
			buf_appendf(&b, "TTL expired (last output before timeout follows): %s", c->output);
		else
			buf_append_str(&b, "TTL expired");
		if (b.data && (strcmp(c->status, "critical") || strcmp(c->output, b.data))) {
			char *st = strdup("critical");
			if (st) {
				size_t len;
				free(c->status);
				free(c->output);
				c->status = st;
				c->output = buf_steal(&b, &len);
				c->in_sync = false;
				changed(ls);
			}
		}
		buf_free(&b);
		n++;
		if (cb)
			cb(arg, c);
	}
	return n;
}

uint64_t ls_next_deadline(const struct local_state *ls)
{
	uint64_t next = 0;
	for (size_t i = 0; i < ls->nchecks; i++) {
		uint64_t d = ls->checks[i]->ttl_deadline_ms;
		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

void ls_track_critical(struct local_state *ls, uint64_t now_ms)
{
	for (size_t i = 0; i < ls->nchecks; i++) {
		struct ls_check *c = ls->checks[i];
		if (strcmp(c->status, "critical"))
			c->critical_since_ms = 0;
		else if (!c->critical_since_ms)
			c->critical_since_ms = now_ms ? now_ms : 1;
	}
}

int ls_services_to_reap(const struct local_state *ls, uint64_t now_ms, uint64_t min_ms, struct ls_strs *out)
{
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		uint64_t after = c->def.deregister_critical_after_ms;
		if (!after || !c->def.service_id || !c->critical_since_ms)
			continue;
		if (after < min_ms)
			after = min_ms;
		/* Consul reaps once the check has been critical for longer than the timeout. */
		if (now_ms - c->critical_since_ms > after && ls_strs_add(out, c->def.service_id) < 0)
			return -ENOMEM;
	}
	return 0;
}

void ls_mark_all_dirty(struct local_state *ls)
{
	ls->node_in_sync = false;
	for (size_t i = 0; i < ls->nservices; i++)
		ls->services[i]->in_sync = false;
	for (size_t i = 0; i < ls->nchecks; i++)
		ls->checks[i]->in_sync = false;
}

/* --- rendering, field for field as Consul's api.AgentService and structs.HealthCheck --- */

void ls_write_strv(struct jw *w, char *const *v, size_t n)
{
	jw_arr_open(w);
	for (size_t i = 0; i < n; i++)
		jw_str(w, v[i]);
	jw_arr_close(w);
}

/* Meta and tagged addresses are kept sorted by service_def.c, as Go renders a map. */
static void write_meta(struct jw *w, const struct service_def *d)
{
	jw_obj_open(w);
	for (size_t i = 0; i < d->nmeta; i++)
		jw_kv_str(w, d->meta[i].key, d->meta[i].value);
	jw_obj_close(w);
}

static void write_tagged(struct jw *w, const struct service_def *d)
{
	jw_obj_open(w);
	for (size_t i = 0; i < d->ntagged; i++) {
		jw_key(w, d->tagged[i].name);
		jw_obj_open(w);
		jw_kv_str(w, "Address", d->tagged[i].address);
		jw_kv_i64(w, "Port", d->tagged[i].port);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

/* Go's 64-bit FNV-1a, for a ContentHash that moves when the service changes. */
static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void write_agent_service(struct jw *w, const struct local_state *ls, const struct ls_service *s,
				const char *content_hash)
{
	const struct service_def *d = &s->def;
	jw_obj_open(w);
	if (d->kind)
		jw_kv_str(w, "Kind", d->kind);
	jw_kv_str(w, "ID", d->id);
	jw_kv_str(w, "Service", d->name);
	jw_key(w, "Tags");
	ls_write_strv(w, d->tags, d->ntags);
	jw_key(w, "Meta");
	write_meta(w, d);
	jw_kv_i64(w, "Port", d->port);
	jw_kv_str(w, "Address", d->address);
	if (d->ntagged) {
		jw_key(w, "TaggedAddresses");
		write_tagged(w, d);
	}
	jw_key(w, "Weights");
	jw_obj_open(w);
	jw_kv_i64(w, "Passing", d->weight_passing);
	jw_kv_i64(w, "Warning", d->weight_warning);
	jw_obj_close(w);
	jw_kv_bool(w, "EnableTagOverride", d->enable_tag_override);
	if (content_hash)
		jw_kv_str(w, "ContentHash", content_hash);
	jw_kv_str(w, "Datacenter", ls->datacenter);
	jw_obj_close(w);
}

int ls_render_services(const struct local_state *ls, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	for (size_t i = 0; i < ls->nservices; i++) {
		jw_key(&w, ls->services[i]->def.id);
		write_agent_service(&w, ls, ls->services[i], NULL);
	}
	jw_obj_close(&w);
	jw_free(&w);
	return 0;
}

int ls_render_service(const struct local_state *ls, const char *id, struct buf *out)
{
	const struct ls_service *s = ls_service_get(ls, id);
	if (!s)
		return -ENOENT;
	/* The hash covers the service as rendered without it. */
	struct buf plain;
	buf_init(&plain);
	struct jw w;
	jw_init(&w, &plain);
	write_agent_service(&w, ls, s, NULL);
	jw_free(&w);
	char hash[17];
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a(plain.data ? plain.data : "", plain.len));
	buf_free(&plain);
	jw_init(&w, out);
	write_agent_service(&w, ls, s, hash);
	jw_free(&w);
	return 0;
}

void ls_write_duration(struct jw *w, const char *key, uint64_t ms)
{
	char text[32] = "";
	if (ms)
		duration_format_ms(ms, text, sizeof text);
	jw_kv_str(w, key, text);
}

/* The fields every rendering of a check starts with (Node through ServiceTags). */
void ls_write_check_head(struct jw *w, const struct local_state *ls, const char *node, const struct ls_check *c)
{
	const struct ls_service *s = c->def.service_id ? ls_service_get(ls, c->def.service_id) : NULL;
	jw_kv_str(w, "Node", node);
	jw_kv_str(w, "CheckID", c->def.id);
	jw_kv_str(w, "Name", c->def.name);
	jw_kv_str(w, "Status", c->status);
	jw_kv_str(w, "Notes", c->def.notes);
	jw_kv_str(w, "Output", c->output);
	jw_kv_str(w, "ServiceID", c->def.service_id);
	jw_kv_str(w, "ServiceName", s ? s->def.name : "");
	jw_key(w, "ServiceTags");
	if (s)
		ls_write_strv(w, s->def.tags, s->def.ntags);
	else
		ls_write_strv(w, NULL, 0);
}

static void write_agent_check(struct jw *w, const struct local_state *ls, const struct ls_check *c)
{
	jw_obj_open(w);
	ls_write_check_head(w, ls, ls->node_name, c);
	jw_kv_str(w, "Type", check_kind_name(c->def.kind));
	ls_write_duration(w, "Interval", c->def.interval_ms);
	ls_write_duration(w, "Timeout", c->def.timeout_ms);
	jw_kv_i64(w, "ExposedPort", 0);
	jw_key(w, "Definition");
	jw_obj_open(w);
	jw_obj_close(w);
	jw_kv_u64(w, "CreateIndex", 0);
	jw_kv_u64(w, "ModifyIndex", 0);
	jw_obj_close(w);
}

int ls_render_checks(const struct local_state *ls, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj_open(&w);
	for (size_t i = 0; i < ls->nchecks; i++) {
		jw_key(&w, ls->checks[i]->def.id);
		write_agent_check(&w, ls, ls->checks[i]);
	}
	jw_obj_close(&w);
	jw_free(&w);
	return 0;
}

/* Consul's HealthChecks.AggregatedStatus: maintenance first, then critical, warning, passing. */
static const char *aggregate_status(const struct local_state *ls, const char *service_id)
{
	bool maint = false, critical = false, warning = false;
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		if (c->def.service_id && strcmp(c->def.service_id, service_id))
			continue;
		if (c->def.kind == CHECK_MAINTENANCE)
			maint = true;
		else if (!strcmp(c->status, "critical"))
			critical = true;
		else if (!strcmp(c->status, "warning"))
			warning = true;
	}
	return maint ? "maintenance" : critical ? "critical" : warning ? "warning" : "passing";
}

/* The api.HealthCheck rendering of Consul's agent health endpoints (no Type there). */
static void write_api_check(struct jw *w, const struct local_state *ls, const struct ls_check *c)
{
	jw_obj_open(w);
	ls_write_check_head(w, ls, ls->node_name, c);
	jw_kv_str(w, "Type", "");
	jw_kv_i64(w, "ExposedPort", 0);
	jw_key(w, "Definition");
	jw_obj_open(w);
	jw_obj_close(w);
	jw_kv_u64(w, "CreateIndex", 0);
	jw_kv_u64(w, "ModifyIndex", 0);
	jw_obj_close(w);
}

static void write_service_health(struct jw *w, const struct local_state *ls, const struct ls_service *s)
{
	jw_obj_open(w);
	jw_kv_str(w, "AggregatedStatus", aggregate_status(ls, s->def.id));
	jw_key(w, "Service");
	write_agent_service(w, ls, s, NULL);
	jw_key(w, "Checks");
	jw_arr_open(w);
	for (size_t i = 0; i < ls->nchecks; i++) {
		const struct ls_check *c = ls->checks[i];
		if (!c->def.service_id || !strcmp(c->def.service_id, s->def.id))
			write_api_check(w, ls, c);
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

int ls_render_service_health(const struct local_state *ls, const char *name, const char *id, struct buf *out)
{
	struct jw w;
	if (id) {
		const struct ls_service *s = ls_service_get(ls, id);
		if (!s)
			return -ENOENT;
		jw_init(&w, out);
		write_service_health(&w, ls, s);
		jw_free(&w);
		return 0;
	}
	jw_init(&w, out);
	jw_arr_open(&w);
	for (size_t i = 0; i < ls->nservices; i++)
		if (!strcmp(ls->services[i]->def.name, name))
			write_service_health(&w, ls, ls->services[i]);
	jw_arr_close(&w);
	jw_free(&w);
	return 0;
}
