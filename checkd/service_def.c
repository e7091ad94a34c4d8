/* service_def.c: Consul service and check definitions from JSON, with Consul's defaults and
 * validation rules (agent/structs CheckType.Validate, the agent's check id defaults). */
#include "service_def.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/duration.h"

/* Consul's limits on service meta (agent/structs ValidateServiceMetadata). */
#define META_MAX_PAIRS 64
#define META_KEY_MAX 128
#define META_VALUE_MAX 512
/* Consul's bound on a weight (structs.ValidateWeights). */
#define WEIGHT_MAX 65536
/* A bound of ours, so a hostile definition cannot grow without limit. */
#define TAGGED_MAX 64

static const char *const kind_names[] = {
#define CHECK_KIND_NAME(name, str) str,
	CHECK_KINDS(CHECK_KIND_NAME)
#undef CHECK_KIND_NAME
};

const char *check_kind_name(enum check_kind kind)
{
	if ((size_t)kind >= sizeof kind_names / sizeof kind_names[0])
		return "";
	return kind_names[kind];
}

bool check_status_valid(const char *status)
{
	return status && (!strcmp(status, "passing") || !strcmp(status, "warning") || !strcmp(status, "critical"));
}

/* Parser state: where errors go and what they are prefixed with. */
struct pctx {
	const struct def_ctx *ctx;
	char *err;
	size_t err_len;
	char what[256]; /* `service "web": check "db": ` */
};

static int fail(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pctx *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->err_len) {
		if (p->ctx && p->ctx->source)
			snprintf(p->err, p->err_len, "config %s: %s%s", p->ctx->source, p->what, msg);
		else
			snprintf(p->err, p->err_len, "%s%s", p->what, msg);
	}
	return -EINVAL;
}

static int nomem(struct pctx *p)
{
	fail(p, "out of memory");
	return -ENOMEM;
}

/* Keeps a quoted name short in error prefixes: names come from untrusted input. */
static void describe(char *out, size_t len, const char *kind, const char *name)
{
	if (name)
		snprintf(out, len, "%s \"%.64s\": ", kind, name);
	else
		snprintf(out, len, "%s: ", kind);
}

static int dup_str(struct pctx *p, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : nomem(p);
}

/* Optional string member: absent or null leaves *out NULL. */
static int get_str(struct pctx *p, yajl_val obj, const char *key, char **out)
{
	yajl_val v = json_get(obj, key);
	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return fail(p, "\"%s\": expected a string", key);
	return dup_str(p, v->u.string, out);
}

/* The first of several aliases that is present (e.g. "args" / "script_args"). */
static yajl_val get_any(yajl_val obj, const char *const *keys, const char **which)
{
	for (; *keys; keys++) {
		yajl_val v = json_get(obj, *keys);
		if (v && !YAJL_IS_NULL(v)) {
			*which = *keys;
			return v;
		}
	}
	return NULL;
}

static int get_bool(struct pctx *p, yajl_val obj, const char *key, bool *out)
{
	yajl_val v = json_get(obj, key);
	*out = false;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return fail(p, "\"%s\": expected a boolean", key);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

static int get_int(struct pctx *p, yajl_val obj, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	yajl_val v = json_get(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return 0;
	int64_t n;
	if (!json_i64(v, &n))
		return fail(p, "\"%s\": expected a number", key);
	if (n < lo || n > hi)
		return fail(p, "\"%s\": %lld out of range (%lld to %lld)", key, (long long)n, (long long)lo,
			    (long long)hi);
	*out = n;
	return 0;
}

/* A Go duration: a string ("10s"), or a number of nanoseconds as the API's decoder allows. */
static int get_duration(struct pctx *p, yajl_val obj, const char *key, uint64_t *out_ms)
{
	yajl_val v = json_get(obj, key);
	*out_ms = 0;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (YAJL_IS_STRING(v)) {
		if (!v->u.string[0])
			return 0;
		if (duration_parse_ms(v->u.string, out_ms) < 0)
			return fail(p, "\"%s\": invalid duration \"%.64s\"", key, v->u.string);
		return 0;
	}
	int64_t ns;
	if (json_i64(v, &ns) && ns >= 0) {
		*out_ms = (uint64_t)ns / 1000000;
		return 0;
	}
	return fail(p, "\"%s\": expected a duration such as \"10s\"", key);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of strings; a lone string is taken as a list of one when allow_single. */
static int get_strv(struct pctx *p, yajl_val v, const char *key, bool allow_single, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (allow_single && YAJL_IS_STRING(v)) {
		*out = calloc(1, sizeof **out);
		if (!*out || dup_str(p, v->u.string, &(*out)[0]) < 0) {
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		*n = 1;
		return 0;
	}
	if (!YAJL_IS_ARRAY(v))
		return fail(p, "\"%s\": expected a list of strings", key);
	size_t len = v->u.array.len;
	if (len == 0)
		return 0;
	char **items = calloc(len, sizeof *items);
	if (!items)
		return nomem(p);
	for (size_t i = 0; i < len; i++) {
		yajl_val s = v->u.array.values[i];
		if (!YAJL_IS_STRING(s)) {
			free_strv(items, i);
			return fail(p, "\"%s\": expected a list of strings", key);
		}
		if (dup_str(p, s->u.string, &items[i]) < 0) {
			free_strv(items, i);
			return -ENOMEM;
		}
	}
	*out = items;
	*n = len;
	return 0;
}

void check_def_free(struct check_def *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->notes);
	free(c->service_id);
	free(c->status);
	free_strv(c->args, c->nargs);
	free(c->http);
	free(c->method);
	free(c->body);
	for (size_t i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free_strv(c->headers[i].values, c->headers[i].nvalues);
	}
	free(c->headers);
	free(c->tls_server_name);
	free(c->tcp);
	free(c->udp);
	free(c->grpc);
	free(c->h2ping);
	free(c->alias_node);
	free(c->alias_service);
	free(c->docker_container_id);
	free(c->shell);
	free(c->os_service);
	memset(c, 0, sizeof *c);
}

void service_def_free(struct service_def *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->name);
	free(s->kind);
	free(s->address);
	free_strv(s->tags, s->ntags);
	for (size_t i = 0; i < s->nmeta; i++) {
		free(s->meta[i].key);
		free(s->meta[i].value);
	}
	free(s->meta);
	for (size_t i = 0; i < s->ntagged; i++) {
		free(s->tagged[i].name);
		free(s->tagged[i].address);
	}
	free(s->tagged);
	for (size_t i = 0; i < s->nchecks; i++)
		check_def_free(&s->checks[i]);
	free(s->checks);
	memset(s, 0, sizeof *s);
}

static int parse_headers(struct pctx *p, yajl_val obj, struct check_def *c)
{
	yajl_val v = json_get(obj, "header");
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return fail(p, "\"header\": expected an object of header names to lists of values");
	size_t n = v->u.object.len;
	if (n == 0)
		return 0;
	c->headers = calloc(n, sizeof *c->headers);
	if (!c->headers)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		struct def_header *h = &c->headers[i];
		c->nheaders = i + 1;
		if (dup_str(p, v->u.object.keys[i], &h->name) < 0)
			return -ENOMEM;
		int rc = get_strv(p, v->u.object.values[i], "header", true, &h->values, &h->nvalues);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Consul refuses script checks unless the agent allows them: from files, either flag does;
 * from the API, only enable_script_checks (agent.go addCheck). */
static int check_scripts_allowed(struct pctx *p)
{
	const struct def_ctx *ctx = p->ctx;
	if (ctx->enable_script_checks)
		return 0;
	if (ctx->from_file) {
		if (ctx->enable_local_script_checks)
			return 0;
		return fail(p, "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or "
			       "'enable_local_script_checks' to true");
	}
	return fail(p, "Scripts are disabled on this agent from remote calls; to enable, configure "
		       "'enable_script_checks' to true");
}

/* Decides the kind as Consul's CheckType.Type() does, after its Validate() rules. */
static int classify_check(struct pctx *p, struct check_def *c)
{
	bool script = c->nargs > 0;
	bool interval_kind = script || c->http || c->tcp || c->udp || c->grpc || c->h2ping || c->os_service;
	bool alias = c->alias_node || c->alias_service;

	if (c->interval_ms > 0 && c->ttl_ms > 0)
		return fail(p, "\"interval\" and \"ttl\" cannot both be set");
	if (interval_kind && c->interval_ms == 0)
		return fail(p, "\"interval\": required (> 0) for script, HTTP, H2PING, TCP, UDP and gRPC checks");
	if (interval_kind && alias)
		return fail(p, "\"interval\": not allowed for alias checks");
	if (alias && c->ttl_ms > 0)
		return fail(p, "\"ttl\": not allowed for alias checks");
	if (!interval_kind && !alias && c->ttl_ms == 0)
		return fail(p, "unknown kind: set \"ttl\", or \"interval\" with one of \"args\", \"http\", "
			       "\"tcp\", \"udp\", \"grpc\", \"h2ping\"; or \"alias_service\"");

	if (c->grpc)
		c->kind = CHECK_GRPC;
	else if (c->http)
		c->kind = CHECK_HTTP;
	else if (c->ttl_ms > 0)
		c->kind = CHECK_TTL;
	else if (c->tcp)
		c->kind = CHECK_TCP;
	else if (c->udp)
		c->kind = CHECK_UDP;
	else if (alias)
		c->kind = CHECK_ALIAS;
	else if (script && c->docker_container_id)
		c->kind = CHECK_DOCKER;
	else if (script)
		c->kind = CHECK_SCRIPT;
	else if (c->h2ping)
		c->kind = CHECK_H2PING;
	else
		c->kind = CHECK_OS_SERVICE;
	if (c->kind == CHECK_SCRIPT || c->kind == CHECK_DOCKER)
		return check_scripts_allowed(p);
	return 0;
}

/* The check fields shared by standalone and service checks. The id, name and service id
 * are the caller's. */
static int parse_check_body(struct pctx *p, yajl_val v, struct check_def *c)
{
	static const char *const args_keys[] = {"args", "script_args", NULL};
	int rc;
	int64_t n;
	const char *which = NULL;

	if ((rc = get_str(p, v, "notes", &c->notes)) < 0 || (rc = get_str(p, v, "status", &c->status)) < 0)
		return rc;
	if (c->status && !c->status[0]) {
		free(c->status);
		c->status = NULL;
	}
	if (c->status && !check_status_valid(c->status))
		return fail(p, "\"status\": must be \"passing\", \"warning\" or \"critical\", not \"%.32s\"",
			    c->status);
	if (!c->status && dup_str(p, "critical", &c->status) < 0)
		return -ENOMEM;

	if ((rc = get_duration(p, v, "ttl", &c->ttl_ms)) < 0 ||
	    (rc = get_duration(p, v, "interval", &c->interval_ms)) < 0 ||
	    (rc = get_duration(p, v, "timeout", &c->timeout_ms)) < 0 ||
	    (rc = get_duration(p, v, "deregister_critical_service_after", &c->deregister_critical_after_ms)) < 0)
		return rc;

	yajl_val args = get_any(v, args_keys, &which);
	if (args && (rc = get_strv(p, args, which, false, &c->args, &c->nargs)) < 0)
		return rc;
	yajl_val script = json_get(v, "script");
	if (!args && script && !YAJL_IS_NULL(script)) {
		/* The old "script" form: one shell command line. */
		if (!YAJL_IS_STRING(script))
			return fail(p, "\"script\": expected a string");
		if (script->u.string[0]) {
			c->args = calloc(3, sizeof *c->args);
			if (!c->args)
				return nomem(p);
			c->nargs = 3;
			if (dup_str(p, "/bin/sh", &c->args[0]) < 0 || dup_str(p, "-c", &c->args[1]) < 0 ||
			    dup_str(p, script->u.string, &c->args[2]) < 0)
				return -ENOMEM;
		}
	}

	if ((rc = get_str(p, v, "http", &c->http)) < 0 || (rc = get_str(p, v, "method", &c->method)) < 0 ||
	    (rc = get_str(p, v, "body", &c->body)) < 0 || (rc = parse_headers(p, v, c)) < 0 ||
	    (rc = get_bool(p, v, "tls_skip_verify", &c->tls_skip_verify)) < 0 ||
	    (rc = get_str(p, v, "tls_server_name", &c->tls_server_name)) < 0 ||
	    (rc = get_str(p, v, "tcp", &c->tcp)) < 0 || (rc = get_str(p, v, "udp", &c->udp)) < 0 ||
	    (rc = get_str(p, v, "grpc", &c->grpc)) < 0 || (rc = get_bool(p, v, "grpc_use_tls", &c->grpc_use_tls)) < 0 ||
	    (rc = get_str(p, v, "h2ping", &c->h2ping)) < 0 || (rc = get_str(p, v, "alias_node", &c->alias_node)) < 0 ||
	    (rc = get_str(p, v, "alias_service", &c->alias_service)) < 0 ||
	    (rc = get_str(p, v, "docker_container_id", &c->docker_container_id)) < 0 ||
	    (rc = get_str(p, v, "shell", &c->shell)) < 0 || (rc = get_str(p, v, "os_service", &c->os_service)) < 0)
		return rc;
	/* An empty string is no target at all (Go's zero value). */
	char **targets[] = {&c->http, &c->tcp, &c->udp, &c->grpc, &c->h2ping, &c->alias_node,
			    &c->alias_service, &c->docker_container_id, &c->os_service};
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (*targets[i] && !**targets[i]) {
			free(*targets[i]);
			*targets[i] = NULL;
		}

	n = CHECK_OUTPUT_MAX_BYTES;
	if ((rc = get_int(p, v, "output_max_size", 0, INT32_MAX, &n)) < 0)
		return rc;
	c->output_max_size = n > 0 ? (uint32_t)n : CHECK_OUTPUT_MAX_BYTES;
	n = 0;
	if ((rc = get_int(p, v, "success_before_passing", 0, INT32_MAX, &n)) < 0)
		return rc;
	c->success_before_passing = (int)n;
	n = 0;
	if ((rc = get_int(p, v, "failures_before_warning", 0, INT32_MAX, &n)) < 0)
		return rc;
	c->failures_before_warning = (int)n;
	n = 0;
	if ((rc = get_int(p, v, "failures_before_critical", 0, INT32_MAX, &n)) < 0)
		return rc;
	c->failures_before_critical = (int)n;
	return classify_check(p, c);
}

/* The check's own id: "id" (API's ID, config's id) or "check_id" (CheckID). */
static int get_check_id(struct pctx *p, yajl_val v, char **out)
{
	int rc = get_str(p, v, "id", out);
	if (rc < 0)
		return rc;
	if (!*out || !**out) {
		free(*out);
		if ((rc = get_str(p, v, "check_id", out)) < 0)
			return rc;
	}
	if (*out && !**out) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

static void check_prefix(struct pctx *p, const char *outer, yajl_val v, const char *fallback)
{
	const char *label = json_str(json_get(v, "name"));
	if (!label || !*label)
		label = json_str(json_get(v, "id"));
	if (!label || !*label)
		label = json_str(json_get(v, "check_id"));
	char inner[128];
	if (label && *label)
		describe(inner, sizeof inner, "check", label);
	else
		snprintf(inner, sizeof inner, "%s: ", fallback);
	snprintf(p->what, sizeof p->what, "%s%s", outer, inner);
}

int check_def_parse(yajl_val v, const struct def_ctx *ctx, struct check_def *out, char *err, size_t err_len)
{
	struct pctx p = {.ctx = ctx, .err = err, .err_len = err_len};
	memset(out, 0, sizeof *out);
	if (err_len)
		err[0] = '\0';
	check_prefix(&p, "", v, "check");
	if (!YAJL_IS_OBJECT(v))
		return fail(&p, "expected an object");
	int rc;
	if ((rc = get_check_id(&p, v, &out->id)) < 0 || (rc = get_str(&p, v, "name", &out->name)) < 0 ||
	    (rc = get_str(&p, v, "service_id", &out->service_id)) < 0)
		goto fail;
	if (!out->name || !out->name[0]) {
		rc = fail(&p, "\"name\": required");
		goto fail;
	}
	if (out->service_id && !out->service_id[0]) {
		free(out->service_id);
		out->service_id = NULL;
	}
	/* Consul: a check registered without an id is known by its name. */
	if (!out->id && (rc = dup_str(&p, out->name, &out->id)) < 0)
		goto fail;
	if ((rc = parse_check_body(&p, v, out)) < 0)
		goto fail;
	return 0;
fail:
	check_def_free(out);
	return rc;
}

/* A check nested in a service: id "service:<id>" (":N" when there are several), name
 * "Service '<name>' check" unless given, bound to the service. */
static int parse_service_check(struct pctx *p, yajl_val v, const struct service_def *s, size_t index, size_t total,
			       struct check_def *c)
{
	char outer[256];
	char fallback[32];
	snprintf(outer, sizeof outer, "%s", p->what);
	snprintf(fallback, sizeof fallback, total > 1 ? "checks[%zu]" : "check", index);
	check_prefix(p, outer, v, fallback);
	memset(c, 0, sizeof *c);
	int rc;
	if (!YAJL_IS_OBJECT(v))
		return fail(p, "expected an object");
	if ((rc = get_check_id(p, v, &c->id)) < 0 || (rc = get_str(p, v, "name", &c->name)) < 0)
		return rc;
	if (!c->id) {
		size_t len = strlen(s->id) + 32;
		if (!(c->id = malloc(len)))
			return nomem(p);
		if (total > 1)
			snprintf(c->id, len, "service:%s:%zu", s->id, index + 1);
		else
			snprintf(c->id, len, "service:%s", s->id);
	}
	if (!c->name || !c->name[0]) {
		free(c->name);
		size_t len = strlen(s->name) + 32;
		if (!(c->name = malloc(len)))
			return nomem(p);
		snprintf(c->name, len, "Service '%s' check", s->name);
	}
	if ((rc = dup_str(p, s->id, &c->service_id)) < 0)
		return rc;
	return parse_check_body(p, v, c);
}

static bool empty_object(yajl_val v)
{
	return !v || YAJL_IS_NULL(v) || (YAJL_IS_OBJECT(v) && v->u.object.len == 0);
}

static int parse_service_checks(struct pctx *p, yajl_val v, struct service_def *s)
{
	yajl_val one = json_get(v, "check");
	yajl_val many = json_get(v, "checks");
	if (!empty_object(one) && !YAJL_IS_OBJECT(one))
		return fail(p, "\"check\": expected an object");
	if (many && !YAJL_IS_NULL(many) && !YAJL_IS_ARRAY(many))
		return fail(p, "\"checks\": expected a list of objects");
	size_t total = (empty_object(one) ? 0 : 1) + (YAJL_IS_ARRAY(many) ? many->u.array.len : 0);
	if (total == 0)
		return 0;
	s->checks = calloc(total, sizeof *s->checks);
	if (!s->checks)
		return nomem(p);
	char outer[sizeof p->what];
	snprintf(outer, sizeof outer, "%s", p->what);
	size_t i = 0;
	/* Consul's ServiceDefinition.CheckTypes: "check" first, then "checks". */
	if (!empty_object(one)) {
		s->nchecks = i + 1;
		int rc = parse_service_check(p, one, s, i, total, &s->checks[i]);
		if (rc < 0)
			return rc;
		i++;
		snprintf(p->what, sizeof p->what, "%s", outer);
	}
	for (size_t j = 0; YAJL_IS_ARRAY(many) && j < many->u.array.len; j++, i++) {
		s->nchecks = i + 1;
		int rc = parse_service_check(p, many->u.array.values[j], s, i, total, &s->checks[i]);
		if (rc < 0)
			return rc;
		snprintf(p->what, sizeof p->what, "%s", outer);
	}
	/* Two checks of one service with one id would silently replace each other. */
	for (size_t a = 0; a < s->nchecks; a++)
		for (size_t b = a + 1; b < s->nchecks; b++)
			if (!strcmp(s->checks[a].id, s->checks[b].id))
				return fail(p, "check id \"%.64s\" used twice", s->checks[a].id);
	return 0;
}

static bool meta_key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_' ||
		      *k == '-'))
			return false;
	return true;
}

static int parse_meta(struct pctx *p, yajl_val v, struct service_def *s)
{
	yajl_val m = json_get(v, "meta");
	if (!m || YAJL_IS_NULL(m))
		return 0;
	if (!YAJL_IS_OBJECT(m))
		return fail(p, "\"meta\": expected an object of strings");
	size_t n = m->u.object.len;
	if (n > META_MAX_PAIRS)
		return fail(p, "\"meta\": at most %d pairs", META_MAX_PAIRS);
	if (n == 0)
		return 0;
	s->meta = calloc(n, sizeof *s->meta);
	if (!s->meta)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		const char *k = m->u.object.keys[i];
		yajl_val val = m->u.object.values[i];
		if (!YAJL_IS_STRING(val))
			return fail(p, "\"meta\": key \"%.64s\": expected a string", k);
		if (!meta_key_ok(k) || strlen(k) > META_KEY_MAX)
			return fail(p, "\"meta\": key \"%.64s\": only letters, digits, '_' and '-', at most %d",
				    k, META_KEY_MAX);
		if (!strncmp(k, "consul-", 7))
			return fail(p, "\"meta\": key \"%.64s\": the \"consul-\" prefix is reserved", k);
		if (strlen(val->u.string) > META_VALUE_MAX)
			return fail(p, "\"meta\": key \"%.64s\": value longer than %d", k, META_VALUE_MAX);
		/* Kept sorted by key, as Go renders a map; a repeated key replaces (last wins). */
		size_t at = 0;
		while (at < s->nmeta && strcmp(s->meta[at].key, k) < 0)
			at++;
		char *value;
		if (dup_str(p, val->u.string, &value) < 0)
			return -ENOMEM;
		if (at < s->nmeta && !strcmp(s->meta[at].key, k)) {
			free(s->meta[at].value);
			s->meta[at].value = value;
			continue;
		}
		memmove(&s->meta[at + 1], &s->meta[at], (s->nmeta - at) * sizeof s->meta[0]);
		s->meta[at].value = value;
		s->meta[at].key = NULL;
		s->nmeta++;
		if (dup_str(p, k, &s->meta[at].key) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int parse_weights(struct pctx *p, yajl_val v, struct service_def *s)
{
	s->weight_passing = 1;
	s->weight_warning = 1;
	yajl_val w = json_get(v, "weights");
	if (!w || YAJL_IS_NULL(w))
		return 0;
	if (!YAJL_IS_OBJECT(w))
		return fail(p, "\"weights\": expected an object with \"passing\" and \"warning\"");
	int64_t passing = 1, warning = 1;
	int rc;
	size_t outer_len = strlen(p->what);
	snprintf(p->what + outer_len, sizeof p->what - outer_len, "\"weights\": ");
	if ((rc = get_int(p, w, "passing", 1, WEIGHT_MAX, &passing)) < 0 ||
	    (rc = get_int(p, w, "warning", 0, WEIGHT_MAX, &warning)) < 0)
		return rc;
	p->what[outer_len] = '\0';
	s->weight_passing = (int)passing;
	s->weight_warning = (int)warning;
	return 0;
}

static int parse_tagged_addresses(struct pctx *p, yajl_val v, struct service_def *s)
{
	yajl_val t = json_get(v, "tagged_addresses");
	if (!t || YAJL_IS_NULL(t))
		return 0;
	if (!YAJL_IS_OBJECT(t))
		return fail(p, "\"tagged_addresses\": expected an object");
	size_t n = t->u.object.len;
	if (n == 0)
		return 0;
	s->tagged = calloc(n, sizeof *s->tagged);
	if (!s->tagged)
		return nomem(p);
	if (n > TAGGED_MAX)
		return fail(p, "\"tagged_addresses\": at most %d", TAGGED_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *k = t->u.object.keys[i];
		yajl_val a = t->u.object.values[i];
		/* Kept sorted by name, as Go renders a map; a repeated name replaces. */
		size_t at = 0;
		while (at < s->ntagged && strcmp(s->tagged[at].name, k) < 0)
			at++;
		if (at < s->ntagged && !strcmp(s->tagged[at].name, k)) {
			free(s->tagged[at].name);
			free(s->tagged[at].address);
		} else {
			memmove(&s->tagged[at + 1], &s->tagged[at], (s->ntagged - at) * sizeof s->tagged[0]);
			s->ntagged++;
		}
		struct service_tagged_addr *ta = &s->tagged[at];
		memset(ta, 0, sizeof *ta);
		if (!YAJL_IS_OBJECT(a))
			return fail(p, "\"tagged_addresses\": \"%.64s\": expected {\"address\", \"port\"}", k);
		const char *addr = json_str(json_get(a, "address"));
		int64_t port = 0;
		if (json_get(a, "address") && !addr)
			return fail(p, "\"tagged_addresses\": \"%.64s\": \"address\": expected a string", k);
		if (get_int(p, a, "port", 0, 65535, &port) < 0)
			return fail(p, "\"tagged_addresses\": \"%.64s\": \"port\": expected a number 0-65535", k);
		if (dup_str(p, k, &ta->name) < 0 || dup_str(p, addr ? addr : "", &ta->address) < 0)
			return -ENOMEM;
		ta->port = (int)port;
	}
	return 0;
}

static bool address_is_any(const char *a)
{
	return !strcmp(a, "0.0.0.0") || !strcmp(a, "::") || !strcmp(a, "[::]");
}

int service_def_parse(yajl_val v, const struct def_ctx *ctx, struct service_def *out, char *err, size_t err_len)
{
	static const struct def_ctx api_ctx = {0};
	struct pctx p = {.ctx = ctx ? ctx : &api_ctx, .err = err, .err_len = err_len};
	int rc;
	int64_t port = 0;

	memset(out, 0, sizeof *out);
	if (err_len)
		err[0] = '\0';
	const char *name = json_str(json_get(v, "name"));
	describe(p.what, sizeof p.what, "service", name && *name ? name : NULL);
	if (!YAJL_IS_OBJECT(v))
		return fail(&p, "expected an object");
	if ((rc = get_str(&p, v, "name", &out->name)) < 0 || (rc = get_str(&p, v, "id", &out->id)) < 0 ||
	    (rc = get_str(&p, v, "kind", &out->kind)) < 0 || (rc = get_str(&p, v, "address", &out->address)) < 0)
		goto fail;
	if (!out->name || !out->name[0]) {
		rc = fail(&p, "\"name\": required");
		goto fail;
	}
	if ((!out->id || !out->id[0])) {
		free(out->id);
		if ((rc = dup_str(&p, out->name, &out->id)) < 0)
			goto fail;
	}
	if (out->kind && !out->kind[0]) {
		free(out->kind);
		out->kind = NULL;
	}
	if (!out->address && (rc = dup_str(&p, "", &out->address)) < 0)
		goto fail;
	if (address_is_any(out->address)) {
		rc = fail(&p, "\"address\": invalid service address \"%s\"", out->address);
		goto fail;
	}
	if ((rc = get_int(&p, v, "port", 0, 65535, &port)) < 0)
		goto fail;
	out->port = (int)port;
	if ((rc = get_strv(&p, json_get(v, "tags"), "tags", false, &out->tags, &out->ntags)) < 0 ||
	    (rc = parse_meta(&p, v, out)) < 0 || (rc = parse_tagged_addresses(&p, v, out)) < 0 ||
	    (rc = get_bool(&p, v, "enable_tag_override", &out->enable_tag_override)) < 0 ||
	    (rc = parse_weights(&p, v, out)) < 0 || (rc = parse_service_checks(&p, v, out)) < 0)
		goto fail;
	return 0;
fail:
	service_def_free(out);
	return rc;
}

/* Unwraps {"service": {...}}, the shape of a config file, when it is the only key. */
static yajl_val unwrap(yajl_val v, const char *key)
{
	if (YAJL_IS_OBJECT(v) && v->u.object.len == 1) {
		yajl_val inner = json_get(v, key);
		if (inner && YAJL_IS_OBJECT(inner))
			return inner;
	}
	return v;
}

static int parse_text(const char *text, size_t len, const struct def_ctx *ctx, const char *what, yajl_val *out,
		      char *err, size_t err_len)
{
	char msg[200];
	*out = json_parse(text, len, msg, sizeof msg);
	if (*out)
		return 0;
	if (ctx && ctx->source)
		snprintf(err, err_len, "config %s: %s: %s", ctx->source, what, msg);
	else
		snprintf(err, err_len, "%s: %s", what, msg);
	return -EINVAL;
}

int service_def_parse_json(const char *text, size_t len, const struct def_ctx *ctx, struct service_def *out,
			   char *err, size_t err_len)
{
	yajl_val root;
	memset(out, 0, sizeof *out);
	if (parse_text(text, len, ctx, "service", &root, err, err_len) < 0)
		return -EINVAL;
	int rc = service_def_parse(unwrap(root, "service"), ctx, out, err, err_len);
	yajl_tree_free(root);
	return rc;
}

int check_def_parse_json(const char *text, size_t len, const struct def_ctx *ctx, struct check_def *out, char *err,
			 size_t err_len)
{
	yajl_val root;
	memset(out, 0, sizeof *out);
	if (parse_text(text, len, ctx, "check", &root, err, err_len) < 0)
		return -EINVAL;
	int rc = check_def_parse(unwrap(root, "check"), ctx, out, err, err_len);
	yajl_tree_free(root);
	return rc;
}

static int copy_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int copy_strv(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	*dst = NULL;
	*ndst = 0;
	if (!n)
		return 0;
	if (!(*dst = calloc(n, sizeof **dst)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		*ndst = i + 1;
		if (!((*dst)[i] = strdup(src[i])))
			return -ENOMEM;
	}
	return 0;
}

int check_def_copy(struct check_def *dst, const struct check_def *src)
{
	*dst = *src;
	/* Clear every pointer first so a failure part-way frees only what was copied. */
	dst->id = dst->name = dst->notes = dst->service_id = dst->status = NULL;
	dst->args = NULL;
	dst->nargs = 0;
	dst->http = dst->method = dst->body = dst->tls_server_name = dst->tcp = dst->udp = dst->grpc = NULL;
	dst->h2ping = dst->alias_node = dst->alias_service = dst->docker_container_id = dst->shell = NULL;
	dst->os_service = NULL;
	dst->headers = NULL;
	dst->nheaders = 0;
	int rc = 0;
	rc |= copy_opt(&dst->id, src->id);
	rc |= copy_opt(&dst->name, src->name);
	rc |= copy_opt(&dst->notes, src->notes);
	rc |= copy_opt(&dst->service_id, src->service_id);
	rc |= copy_opt(&dst->status, src->status);
	rc |= copy_strv(&dst->args, &dst->nargs, src->args, src->nargs);
	rc |= copy_opt(&dst->http, src->http);
	rc |= copy_opt(&dst->method, src->method);
	rc |= copy_opt(&dst->body, src->body);
	rc |= copy_opt(&dst->tls_server_name, src->tls_server_name);
	rc |= copy_opt(&dst->tcp, src->tcp);
	rc |= copy_opt(&dst->udp, src->udp);
	rc |= copy_opt(&dst->grpc, src->grpc);
	rc |= copy_opt(&dst->h2ping, src->h2ping);
	rc |= copy_opt(&dst->alias_node, src->alias_node);
	rc |= copy_opt(&dst->alias_service, src->alias_service);
	rc |= copy_opt(&dst->docker_container_id, src->docker_container_id);
	rc |= copy_opt(&dst->shell, src->shell);
	rc |= copy_opt(&dst->os_service, src->os_service);
	if (!rc && src->nheaders) {
		if (!(dst->headers = calloc(src->nheaders, sizeof *dst->headers))) {
			rc = -ENOMEM;
		} else {
			for (size_t i = 0; i < src->nheaders && !rc; i++) {
				dst->nheaders = i + 1;
				rc |= copy_opt(&dst->headers[i].name, src->headers[i].name);
				rc |= copy_strv(&dst->headers[i].values, &dst->headers[i].nvalues,
						src->headers[i].values, src->headers[i].nvalues);
			}
		}
	}
	if (rc) {
		check_def_free(dst);
		return -ENOMEM;
	}
	return 0;
}
