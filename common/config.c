/* config.c: the agent's configuration. Flags are read first (to learn -dev and the config
 * files), then built-in defaults, -dev defaults, the JSON files in the order given and the
 * flags are applied in that order, and finally derived defaults are filled in and the whole
 * is checked, as Consul's config builder does. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "daemon.h"
#include "duration.h"
#include "json.h"

/* Config files are small; a cap keeps a stray -config-file=/dev/zero from eating memory. */
#define CONFIG_FILE_MAX_BYTES (4u << 20)
/* Deeper nesting than any real config has; yajl's tree and writer recurse per level. */
#define CONFIG_JSON_MAX_DEPTH 64
#define CONFIG_PATH_MAX 256

/* ---------------------------------------------------------------- value kinds and tables */

/* What a config key holds, which decides how a JSON value or flag string is checked and stored. */
enum kind {
	K_STR,       /* char * */
	K_ADDR,      /* char *, an IPv4 or IPv6 address */
	K_NODE_ID,   /* char *, a UUID, stored lower-cased */
	K_ENCRYPT,   /* char *, base64 of a 16, 24 or 32 byte key */
	K_LOG_LEVEL, /* enum log_level */
	K_BOOL,      /* bool */
	K_OPT_BOOL,  /* int: -1 until set (config_finish picks the default), then 0 or 1 */
	K_INT,       /* int within [min, max] */
	K_U32,       /* uint32_t within [min, max] */
	K_U64,       /* uint64_t within [min, max] */
	K_PORT,      /* int, 1..65535 */
	K_PORT_OFF,  /* int, 1..65535 or -1 (disabled) */
	K_DUR_MS,    /* uint64_t milliseconds, from a Go duration string */
	K_DUR_S,     /* uint32_t seconds, from a Go duration string */
	K_STRS,      /* struct config_strs: a JSON array of strings, appended */
	K_DEF,       /* struct config_defs: one JSON object, appended */
	K_DEFS,      /* struct config_defs: a JSON array of objects, appended */
	K_OBJ,       /* a nested object whose keys are in sub */
	K_TTL_MAP,   /* dns_config.service_ttl: {"*": duration, "<service>": duration} */
	K_IGNORE,    /* a Consul key we accept and do not use */
};

struct field {
	const char *key;
	enum kind kind;
	size_t off;              /* of the member in struct config */
	long long min, max;      /* K_INT, K_U32, K_U64 */
	const struct field *sub; /* K_OBJ */
};

#define FIELD(key, kind, member) {key, kind, offsetof(struct config, member), 0, 0, NULL}
#define NUM(key, kind, member, lo, hi) {key, kind, offsetof(struct config, member), lo, hi, NULL}
#define OBJ(key, sub) {key, K_OBJ, 0, 0, 0, sub}
#define IGNORE(key) {key, K_IGNORE, 0, 0, 0, NULL}

static const struct field port_fields[] = {
	FIELD("dns", K_PORT_OFF, port_dns),
	FIELD("http", K_PORT_OFF, port_http),
	FIELD("https", K_PORT_OFF, port_https),
	FIELD("serf_lan", K_PORT, port_serf_lan),
	FIELD("serf_wan", K_PORT_OFF, port_serf_wan),
	FIELD("server", K_PORT, port_server),
	IGNORE("grpc"), IGNORE("grpc_tls"), IGNORE("sidecar_min_port"), IGNORE("sidecar_max_port"),
	IGNORE("expose_min_port"), IGNORE("expose_max_port"),
	{NULL, K_IGNORE, 0, 0, 0, NULL},
};

static const struct field address_fields[] = {
	FIELD("http", K_ADDR, addr_http),
	FIELD("dns", K_ADDR, addr_dns),
	IGNORE("https"), IGNORE("grpc"), IGNORE("grpc_tls"),
	{NULL, K_IGNORE, 0, 0, 0, NULL},
};

static const struct field dns_fields[] = {
	FIELD("only_passing", K_BOOL, dns_only_passing),
	FIELD("allow_stale", K_BOOL, dns_allow_stale),
	FIELD("node_ttl", K_DUR_S, dns_node_ttl_s),
	FIELD("service_ttl", K_TTL_MAP, dns_service_ttl_s),
	FIELD("enable_truncate", K_BOOL, dns_enable_truncate),
	NUM("udp_answer_limit", K_U32, dns_udp_answer_limit, 0, INT_MAX),
	IGNORE("max_stale"), IGNORE("a_record_limit"), IGNORE("recursor_timeout"),
	IGNORE("recursor_strategy"), IGNORE("use_cache"), IGNORE("cache_max_age"),
	IGNORE("disable_compression"), IGNORE("enable_additional_node_meta_txt"), IGNORE("soa"),
	{NULL, K_IGNORE, 0, 0, 0, NULL},
};

static const struct field performance_fields[] = {
	NUM("raft_multiplier", K_INT, raft_multiplier, 1, 10),
	IGNORE("leave_drain_time"), IGNORE("rpc_hold_timeout"),
	{NULL, K_IGNORE, 0, 0, 0, NULL},
};

static const struct field top_fields[] = {
	FIELD("node_name", K_STR, node_name),
	FIELD("node_id", K_NODE_ID, node_id),
	FIELD("datacenter", K_STR, datacenter),
	FIELD("domain", K_STR, domain),
	FIELD("server", K_BOOL, server),
	FIELD("bootstrap", K_BOOL, bootstrap),
	NUM("bootstrap_expect", K_INT, bootstrap_expect, 0, INT_MAX),
	FIELD("data_dir", K_STR, data_dir),
	FIELD("pid_file", K_STR, pid_file),
	FIELD("user", K_STR, user),
	FIELD("log_level", K_LOG_LEVEL, log_level),
	FIELD("bind_addr", K_ADDR, bind_addr),
	FIELD("advertise_addr", K_ADDR, advertise_addr),
	FIELD("client_addr", K_ADDR, client_addr),
	OBJ("addresses", address_fields),
	OBJ("ports", port_fields),
	FIELD("start_join", K_STRS, start_join),
	FIELD("retry_join", K_STRS, retry_join),
	FIELD("retry_interval", K_DUR_MS, retry_interval_ms),
	NUM("retry_max", K_INT, retry_max, 0, INT_MAX),
	FIELD("rejoin_after_leave", K_BOOL, rejoin_after_leave),
	FIELD("leave_on_terminate", K_OPT_BOOL, leave_on_terminate),
	FIELD("skip_leave_on_interrupt", K_OPT_BOOL, skip_leave_on_interrupt),
	FIELD("reconnect_timeout", K_DUR_MS, reconnect_timeout_ms),
	FIELD("encrypt", K_ENCRYPT, encrypt),
	FIELD("enable_script_checks", K_BOOL, enable_script_checks),
	FIELD("enable_local_script_checks", K_BOOL, enable_local_script_checks),
	FIELD("ae_interval", K_DUR_MS, ae_interval_ms),
	FIELD("check_reap_interval", K_DUR_MS, check_reap_interval_ms),
	FIELD("check_deregister_interval_min", K_DUR_MS, check_deregister_interval_min_ms),
	FIELD("script_user", K_STR, script_user),
	FIELD("service", K_DEF, services),
	FIELD("services", K_DEFS, services),
	FIELD("check", K_DEF, checks),
	FIELD("checks", K_DEFS, checks),
	OBJ("dns_config", dns_fields),
	FIELD("recursors", K_STRS, recursors),
	OBJ("performance", performance_fields),
	NUM("raft_snapshot_threshold", K_U64, snapshot_threshold, 0, LLONG_MAX),
	NUM("raft_trailing_logs", K_U64, trailing_logs, 0, LLONG_MAX),
	FIELD("raft_snapshot_interval", K_DUR_MS, snapshot_interval_ms),
	FIELD("discovery_max_stale", K_DUR_MS, discovery_max_stale_ms),
	/* Consul keys that are accepted so existing config files load, but do nothing here. */
	IGNORE("ui"), IGNORE("ui_config"), IGNORE("disable_update_check"), IGNORE("telemetry"),
	IGNORE("node_meta"), IGNORE("log_file"), IGNORE("log_json"), IGNORE("enable_syslog"),
	IGNORE("disable_remote_exec"), IGNORE("disable_host_node_id"), IGNORE("enable_debug"),
	IGNORE("acl"), IGNORE("connect"), IGNORE("primary_datacenter"), IGNORE("autopilot"),
	IGNORE("limits"), IGNORE("raft_protocol"),
	{NULL, K_IGNORE, 0, 0, 0, NULL},
};

/* What a flag does: set a config key, or one of the few flags that are not keys. */
enum flag_kind { FL_KEY, FL_DEV, FL_CONFIG_FILE, FL_CONFIG_DIR, FL_HCL, FL_IGNORED, FL_HELP };

struct flag {
	const char *name;
	enum flag_kind kind;
	bool boolean;
	const char *path; /* FL_KEY: the config key it sets, dotted */
	const char *help;
};

/* Sorted by name, as `consul agent -h` lists them. */
static const struct flag flags[] = {
	{"advertise", FL_KEY, false, "advertise_addr", "Address to advertise to other nodes (default: the bind address)."},
	{"bind", FL_KEY, false, "bind_addr", "Address to bind cluster communication to (default 0.0.0.0)."},
	{"bootstrap", FL_KEY, true, "bootstrap", "Lets this server elect itself leader without waiting for peers."},
	{"bootstrap-expect", FL_KEY, false, "bootstrap_expect", "Number of servers to wait for before bootstrapping the cluster."},
	{"client", FL_KEY, false, "client_addr", "Address the HTTP and DNS servers bind to (default 127.0.0.1)."},
	{"config-dir", FL_CONFIG_DIR, false, NULL, "Directory of *.json config files, read in lexical order. Repeatable."},
	{"config-file", FL_CONFIG_FILE, false, NULL, "A JSON config file to read. Repeatable."},
	{"data-dir", FL_KEY, false, "data_dir", "Directory for the agent's state (required unless -dev)."},
	{"datacenter", FL_KEY, false, "datacenter", "Datacenter this agent belongs to (default dc1)."},
	{"dev", FL_DEV, true, NULL, "Development mode: a single bootstrapped server on 127.0.0.1."},
	{"dns-port", FL_KEY, false, "ports.dns", "DNS port (default 8600, -1 disables)."},
	{"domain", FL_KEY, false, "domain", "Domain the DNS interface answers for (default consul.)."},
	{"enable-local-script-checks", FL_KEY, true, "enable_local_script_checks", "Allows script checks defined in local config files."},
	{"enable-script-checks", FL_KEY, true, "enable_script_checks", "Allows script checks, including those registered over HTTP."},
	{"encrypt", FL_KEY, false, "encrypt", "Base64 gossip encryption key."},
	{"h", FL_HELP, true, NULL, NULL},
	{"hcl", FL_HCL, false, NULL, "Not supported: configuration is JSON only."},
	{"help", FL_HELP, true, NULL, NULL},
	{"http-port", FL_KEY, false, "ports.http", "HTTP API port (default 8500, -1 disables)."},
	{"https-port", FL_KEY, false, "ports.https", "HTTPS API port (default -1, disabled)."},
	{"join", FL_KEY, false, "start_join", "Address of an agent to join at start. Repeatable."},
	{"log-level", FL_KEY, false, "log_level", "trace, debug, info, warn or err (default info)."},
	{"node", FL_KEY, false, "node_name", "Name of this node (default: the host name)."},
	{"node-id", FL_KEY, false, "node_id", "UUID of this node (default: random, kept in <data-dir>/node-id)."},
	{"pid-file", FL_KEY, false, "pid_file", "File to write the agent's PID to."},
	{"recursor", FL_KEY, false, "recursors", "Upstream DNS server for names outside the domain. Repeatable."},
	{"rejoin", FL_KEY, true, "rejoin_after_leave", "Rejoin the cluster after a graceful leave."},
	{"retry-interval", FL_KEY, false, "retry_interval", "Time between -retry-join attempts (default 30s)."},
	{"retry-join", FL_KEY, false, "retry_join", "Address of an agent to join, retried until it works. Repeatable."},
	{"retry-max", FL_KEY, false, "retry_max", "Maximum -retry-join attempts (default 0: no limit)."},
	{"serf-lan-port", FL_KEY, false, "ports.serf_lan", "LAN gossip port (default 8301)."},
	{"serf-wan-port", FL_KEY, false, "ports.serf_wan", "WAN gossip port (default 8302, -1 disables)."},
	{"server", FL_KEY, true, "server", "Runs this agent as a server."},
	{"server-port", FL_KEY, false, "ports.server", "Server RPC port (default 8300)."},
	{"ui", FL_IGNORED, true, NULL, "Accepted for compatibility; the UI is not served."},
	{"user", FL_KEY, false, "user", "User the roles drop privileges to (default consul, when it exists)."},
};

#define NFLAGS (sizeof flags / sizeof flags[0])

/* ---------------------------------------------------------------- small helpers */

static int str_set(char **dst, const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int strs_append(struct config_strs *l, const char *s)
{
	char **items = realloc(l->items, (l->n + 1) * sizeof *items);
	if (items == NULL)
		return -ENOMEM;
	l->items = items;
	if ((items[l->n] = strdup(s)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

static void strs_free(struct config_strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void defs_free(struct config_defs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].json);
		free(d->items[i].source);
	}
	free(d->items);
	d->items = NULL;
	d->n = 0;
}

static void str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_ip(const char *s)
{
	unsigned char addr[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

/* 0.0.0.0 or :: : addresses that mean "every interface" and cannot be advertised. */
static bool is_any_addr(const char *s)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, s, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	if (inet_pton(AF_INET6, s, &a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(&a6);
	return false;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Gossip keys are AES keys: 16, 24 or 32 bytes once decoded. */
static bool is_gossip_key(const char *s)
{
	struct buf raw;
	buf_init(&raw);
	int rc = base64_decode(&raw, s, strlen(s));
	bool ok = rc == 0 && (raw.len == 16 || raw.len == 24 || raw.len == 32);
	buf_free(&raw);
	return ok;
}

/* Go's strconv.ParseBool, which Go's flag package uses for boolean flags. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* The deepest nesting of [ and { in text, outside strings; stops counting past limit. */
static size_t json_depth(const char *text, size_t len, size_t limit)
{
	size_t depth = 0, max = 0;
	bool in_string = false;
	for (size_t i = 0; i < len && max <= limit; i++) {
		char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

/* ---------------------------------------------------------------- setting one value */

/* Where a value comes from, for error messages, and whether to store it or only check it. */
struct source {
	struct config *cfg;
	const char *file;       /* the JSON source, or NULL for a flag */
	const char *flag;       /* the flag's name, when file is NULL */
	const char *flag_value; /* the flag's value as given */
	bool apply;             /* false: check only, change nothing */
	char *err;
	size_t err_len;
};

static int fail(const struct source *src, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes `config FILE: "path": why` or `invalid value "v" for flag -f: why`; returns -1. */
static int fail(const struct source *src, const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (src->file != NULL)
		snprintf(src->err, src->err_len, "config %s: \"%s\": %s", src->file, path, why);
	else if (src->flag_value != NULL)
		snprintf(src->err, src->err_len, "invalid value \"%s\" for flag -%s: %s", src->flag_value,
			 src->flag, why);
	else
		snprintf(src->err, src->err_len, "invalid value for flag -%s: %s", src->flag, why);
	return -1;
}

static int oom(const struct source *src, const char *path)
{
	return fail(src, path, "out of memory");
}

static void path_join(char *out, size_t out_len, const char *prefix, const char *key)
{
	if (prefix[0] == '\0')
		snprintf(out, out_len, "%s", key);
	else
		snprintf(out, out_len, "%s.%s", prefix, key);
}

static int set_object(const struct source *src, const struct field *fields, yajl_val obj,
		      const char *prefix);

static int set_string_kind(const struct source *src, const struct field *f, yajl_val v,
			   const char *path)
{
	const char *s = YAJL_GET_STRING(v);
	void *member = (char *)src->cfg + f->off;
	if (s == NULL)
		return fail(src, path, "expected a string");
	switch (f->kind) {
	case K_ADDR:
		if (!is_ip(s))
			return fail(src, path, "\"%s\" is not an IP address", s);
		break;
	case K_NODE_ID:
		if (!is_uuid(s))
			return fail(src, path, "\"%s\" is not a UUID", s);
		break;
	case K_ENCRYPT:
		if (!is_gossip_key(s))
			return fail(src, path, "not a base64 key of 16, 24 or 32 bytes");
		break;
	case K_LOG_LEVEL: {
		enum log_level level;
		if (log_level_parse(s, &level) < 0)
			return fail(src, path, "unknown log level \"%s\" (use trace, debug, info, warn or err)", s);
		if (src->apply)
			*(enum log_level *)member = level;
		return 0;
	}
	default:
		break;
	}
	if (!src->apply)
		return 0;
	if (str_set(member, s) < 0)
		return oom(src, path);
	if (f->kind == K_NODE_ID)
		str_lower(*(char **)member);
	return 0;
}

static int set_number(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	void *member = (char *)src->cfg + f->off;
	long long lo = f->min, hi = f->max;
	if (!YAJL_IS_NUMBER(v))
		return fail(src, path, "expected a number");
	if (!YAJL_IS_INTEGER(v))
		return fail(src, path, "expected a whole number");
	long long n = YAJL_GET_INTEGER(v);
	if (f->kind == K_PORT || f->kind == K_PORT_OFF) {
		if ((n < 1 || n > 65535) && !(f->kind == K_PORT_OFF && n == -1))
			return fail(src, path, "%lld is not a valid port (1-65535%s)", n,
				    f->kind == K_PORT_OFF ? ", or -1 to disable" : "");
		lo = -1;
	} else if (n < lo || n > hi) {
		if (hi == INT_MAX || hi == LLONG_MAX)
			return fail(src, path, "cannot be %lld: must be greater than or equal to %lld", n, lo);
		return fail(src, path, "cannot be %lld: must be between %lld and %lld", n, lo, hi);
	}
	if (!src->apply)
		return 0;
	switch (f->kind) {
	case K_U32:
		*(uint32_t *)member = (uint32_t)n;
		break;
	case K_U64:
		*(uint64_t *)member = (uint64_t)n;
		break;
	default:
		*(int *)member = (int)n;
		break;
	}
	return 0;
}

static int parse_duration(const struct source *src, yajl_val v, const char *path, uint64_t *ms)
{
	const char *s = YAJL_GET_STRING(v);
	if (s == NULL)
		return fail(src, path, "expected a duration string such as \"30s\"");
	if (duration_parse_ms(s, ms) < 0)
		return fail(src, path, "invalid duration \"%s\"", s);
	return 0;
}

static uint32_t ms_to_s(uint64_t ms)
{
	return ms / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(ms / 1000);
}

static int set_duration(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	void *member = (char *)src->cfg + f->off;
	uint64_t ms;
	if (parse_duration(src, v, path, &ms) < 0)
		return -1;
	if (!src->apply)
		return 0;
	if (f->kind == K_DUR_S)
		*(uint32_t *)member = ms_to_s(ms);
	else
		*(uint64_t *)member = ms;
	return 0;
}

/* dns_config.service_ttl: "*" is the default for every service; per-service TTLs are checked
 * but not kept yet. */
static int set_ttl_map(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(src, path, "expected an object");
	for (size_t i = 0; i < v->u.object.len; i++) {
		char sub[CONFIG_PATH_MAX];
		uint64_t ms;
		path_join(sub, sizeof sub, path, v->u.object.keys[i]);
		if (parse_duration(src, v->u.object.values[i], sub, &ms) < 0)
			return -1;
		if (src->apply && strcmp(v->u.object.keys[i], "*") == 0)
			*(uint32_t *)((char *)src->cfg + f->off) = ms_to_s(ms);
	}
	return 0;
}

static int set_strs(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	struct config_strs *list = (void *)((char *)src->cfg + f->off);
	/* A flag such as -retry-join gives one element per use. */
	if (src->file == NULL && YAJL_IS_STRING(v)) {
		if (src->apply && strs_append(list, YAJL_GET_STRING(v)) < 0)
			return oom(src, path);
		return 0;
	}
	if (!YAJL_IS_ARRAY(v))
		return fail(src, path, "expected an array of strings");
	for (size_t i = 0; i < v->u.array.len; i++) {
		const char *s = YAJL_GET_STRING(v->u.array.values[i]);
		if (s == NULL) {
			char sub[CONFIG_PATH_MAX];
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			return fail(src, sub, "expected a string");
		}
		if (src->apply && strs_append(list, s) < 0)
			return oom(src, path);
	}
	return 0;
}

/* Appends one service or check definition, re-serialized, with the file it came from. */
static int def_append(const struct source *src, struct config_defs *defs, yajl_val v, const char *path)
{
	if (!YAJL_IS_OBJECT(v))
		return fail(src, path, "expected an object");
	if (!src->apply)
		return 0;
	struct config_def *items = realloc(defs->items, (defs->n + 1) * sizeof *items);
	if (items == NULL)
		return oom(src, path);
	defs->items = items;
	struct buf out;
	struct jw w;
	buf_init(&out);
	jw_init(&w, &out);
	jw_value(&w, v);
	jw_free(&w);
	char *json = buf_steal(&out, NULL);
	char *source = strdup(src->file != NULL ? src->file : "command line");
	if (json == NULL || source == NULL) {
		free(json);
		free(source);
		return oom(src, path);
	}
	items[defs->n].json = json;
	items[defs->n].source = source;
	defs->n++;
	return 0;
}

static int set_defs(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	struct config_defs *defs = (void *)((char *)src->cfg + f->off);
	if (f->kind == K_DEF)
		return def_append(src, defs, v, path);
	if (!YAJL_IS_ARRAY(v))
		return fail(src, path, "expected an array of objects");
	for (size_t i = 0; i < v->u.array.len; i++) {
		char sub[CONFIG_PATH_MAX];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		if (def_append(src, defs, v->u.array.values[i], sub) < 0)
			return -1;
	}
	return 0;
}

/* Checks v against f and, when src->apply, stores it. A JSON null leaves the key as it was. */
static int set_value(const struct source *src, const struct field *f, yajl_val v, const char *path)
{
	if (f->kind == K_IGNORE || YAJL_IS_NULL(v))
		return 0;
	switch (f->kind) {
	case K_STR:
	case K_ADDR:
	case K_NODE_ID:
	case K_ENCRYPT:
	case K_LOG_LEVEL:
		return set_string_kind(src, f, v, path);
	case K_BOOL:
	case K_OPT_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return fail(src, path, "expected a boolean");
		if (src->apply && f->kind == K_BOOL)
			*(bool *)((char *)src->cfg + f->off) = YAJL_IS_TRUE(v);
		else if (src->apply)
			*(int *)((char *)src->cfg + f->off) = YAJL_IS_TRUE(v);
		return 0;
	case K_INT:
	case K_U32:
	case K_U64:
	case K_PORT:
	case K_PORT_OFF:
		return set_number(src, f, v, path);
	case K_DUR_MS:
	case K_DUR_S:
		return set_duration(src, f, v, path);
	case K_STRS:
		return set_strs(src, f, v, path);
	case K_DEF:
	case K_DEFS:
		return set_defs(src, f, v, path);
	case K_TTL_MAP:
		return set_ttl_map(src, f, v, path);
	case K_OBJ:
		if (!YAJL_IS_OBJECT(v))
			return fail(src, path, "expected an object");
		return set_object(src, f->sub, v, path);
	case K_IGNORE:
		break;
	}
	return 0;
}

/* Config keys match case-insensitively, as Consul's decoder matches them. */
static const struct field *field_find(const struct field *fields, const char *key, size_t key_len)
{
	for (const struct field *f = fields; f->key != NULL; f++)
		if (strlen(f->key) == key_len && strncasecmp(f->key, key, key_len) == 0)
			return f;
	return NULL;
}

/* The field a dotted path such as "ports.http" names. */
static const struct field *field_by_path(const char *path)
{
	const struct field *fields = top_fields, *f = NULL;
	while (fields != NULL) {
		size_t len = strcspn(path, ".");
		if ((f = field_find(fields, path, len)) == NULL || path[len] == '\0')
			return f;
		path += len + 1;
		fields = f->sub;
	}
	return NULL;
}

/* Applies each member of obj in order, so that with repeated keys the last one wins. */
static int set_object(const struct source *src, const struct field *fields, yajl_val obj,
		      const char *prefix)
{
	for (size_t i = 0; i < obj->u.object.len; i++) {
		const char *key = obj->u.object.keys[i];
		char path[CONFIG_PATH_MAX];
		path_join(path, sizeof path, prefix, key);
		const struct field *f = field_find(fields, key, strlen(key));
		if (f == NULL) {
			snprintf(src->err, src->err_len, "config %s: unknown key \"%s\"", src->file, path);
			return -1;
		}
		if (set_value(src, f, obj->u.object.values[i], path) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- JSON sources */

/* Errors quote keys and values from files and flags, which may hold any byte; control
 * characters become '?' so that the message stays one printable line. */
static void err_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int config_merge_json_checked(struct config *cfg, const char *text, size_t len, const char *source,
				     char *err, size_t err_len)
{
	char why[256];
	if (json_depth(text, len, CONFIG_JSON_MAX_DEPTH) > CONFIG_JSON_MAX_DEPTH) {
		snprintf(err, err_len, "config %s: invalid JSON: nested deeper than %d levels", source,
			 CONFIG_JSON_MAX_DEPTH);
		return -1;
	}
	why[0] = '\0';
	yajl_val root = json_parse(text, len, why, sizeof why);
	if (root == NULL) {
		/* json_parse says "invalid JSON: <yajl's reason>", on one line. */
		snprintf(err, err_len, "config %s: %s", source, why[0] != '\0' ? why : "invalid JSON");
		return -1;
	}
	if (!YAJL_IS_OBJECT(root)) {
		snprintf(err, err_len, "config %s: expected a JSON object", source);
		yajl_tree_free(root);
		return -1;
	}
	/* Check everything first, so a bad file changes nothing. */
	struct source src = {cfg, source, NULL, NULL, false, err, err_len};
	int rc = set_object(&src, top_fields, root, "");
	if (rc == 0) {
		src.apply = true;
		rc = set_object(&src, top_fields, root, "");
	}
	yajl_tree_free(root);
	return rc;
}

int config_merge_json(struct config *cfg, const char *text, size_t len, const char *source, char *err,
		      size_t err_len)
{
	int rc = config_merge_json_checked(cfg, text, len, source, err, err_len);
	if (rc < 0 && err_len > 0)
		err_printable(err);
	return rc;
}

/* ---------------------------------------------------------------- bundles
 * A bundle is what one config_load read: every file's text and every directory's listing, as
 * [{"file": path, "text": text}, {"dir": path, "files": [path, ...]}, ...]. The supervisor, which
 * keeps root, captures one on reload; roles that dropped privileges (and may not read the
 * operator's files any more) load the same configuration from it. */
static struct jw *bundle_out;   /* capturing: records are appended here */
static yajl_val bundle_in;      /* replaying: files and listings come from here */

static void bundle_record_file(const char *path, const char *text, size_t len)
{
	if (!bundle_out)
		return;
	jw_obj_open(bundle_out);
	jw_kv_str(bundle_out, "file", path);
	jw_key(bundle_out, "text");
	jw_strn(bundle_out, text ? text : "", len);
	jw_obj_close(bundle_out);
}

static void bundle_record_dir(const char *dir, const struct config_strs *paths)
{
	if (!bundle_out)
		return;
	jw_obj_open(bundle_out);
	jw_kv_str(bundle_out, "dir", dir);
	jw_key(bundle_out, "files");
	jw_arr_open(bundle_out);
	for (size_t i = 0; i < paths->n; i++)
		jw_str(bundle_out, paths->items[i]);
	jw_arr_close(bundle_out);
	jw_obj_close(bundle_out);
}

/* The replayed record for path: kind "file" or "dir"; NULL when the bundle has none. */
static yajl_val bundle_find(const char *kind, const char *path)
{
	for (size_t i = 0; i < json_arr_len(bundle_in); i++) {
		yajl_val rec = json_arr_at(bundle_in, i);
		const char *p = json_str(json_get(rec, kind));
		if (p && strcmp(p, path) == 0)
			return rec;
	}
	return NULL;
}

/* Replay of read_file. */
static int bundle_read_file(const char *path, char **out, size_t *out_len, char *err, size_t err_len)
{
	yajl_val rec = bundle_find("file", path);
	const char *text = json_str(json_get(rec, "text"));
	if (!text) {
		snprintf(err, err_len, "config %s: not among the files the agent read", path);
		return -1;
	}
	if (!(*out = strdup(text))) {
		snprintf(err, err_len, "config %s: out of memory", path);
		return -1;
	}
	*out_len = strlen(text);
	return 0;
}

static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t err_len)
{
	if (bundle_in)
		return bundle_read_file(path, out, out_len, err, err_len);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "config %s: %s", path, strerror(errno));
		return -1;
	}
	struct buf b;
	buf_init(&b);
	for (;;) {
		if (buf_reserve(&b, 4096) < 0) {
			snprintf(err, err_len, "config %s: out of memory", path);
			goto fail;
		}
		ssize_t n = read(fd, b.data + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_len, "config %s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > CONFIG_FILE_MAX_BYTES) {
			snprintf(err, err_len, "config %s: larger than %u bytes", path, CONFIG_FILE_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	*out = buf_steal(&b, out_len);
	return 0;
fail:
	close(fd);
	buf_free(&b);
	return -1;
}

static int merge_file(struct config *cfg, const char *path, char *err, size_t err_len)
{
	if (ends_with(path, ".hcl")) {
		snprintf(err, err_len, "config %s: HCL is not supported, only JSON configuration files", path);
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	if (read_file(path, &text, &len, err, err_len) < 0)
		return -1;
	bundle_record_file(path, text, len);
	int rc = config_merge_json(cfg, text != NULL ? text : "", len, path, err, err_len);
	free(text);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads dir's *.json files (not subdirectories, not other files) in byte order of name. */
static int merge_dir_paths(struct config *cfg, const char *dir, struct config_strs *paths, char *err,
			   size_t err_len);

/* Replay of merge_dir: the listing the bundle recorded. */
static int bundle_merge_dir(struct config *cfg, const char *dir, char *err, size_t err_len)
{
	yajl_val files = json_get(bundle_find("dir", dir), "files");
	struct config_strs paths = {NULL, 0};
	for (size_t i = 0; i < json_arr_len(files); i++)
		if (json_str(json_arr_at(files, i)) && strs_append(&paths, json_str(json_arr_at(files, i))) < 0) {
			strs_free(&paths);
			snprintf(err, err_len, "config %s: out of memory", dir);
			return -1;
		}
	return merge_dir_paths(cfg, dir, &paths, err, err_len);
}

static int merge_dir(struct config *cfg, const char *dir, char *err, size_t err_len)
{
	if (bundle_in)
		return bundle_merge_dir(cfg, dir, err, err_len);
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, err_len, "config %s: %s", dir, strerror(errno));
		return -1;
	}
	struct config_strs paths = {NULL, 0};
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!ends_with(de->d_name, ".json"))
			continue;
		char *path = NULL;
		struct stat st;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			snprintf(err, err_len, "config %s: out of memory", dir);
			rc = -1;
			break;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && strs_append(&paths, path) < 0) {
			snprintf(err, err_len, "config %s: out of memory", dir);
			rc = -1;
		}
		free(path);
	}
	closedir(d);
	if (rc < 0) {
		strs_free(&paths);
		return rc;
	}
	if (paths.n > 0)
		qsort(paths.items, paths.n, sizeof paths.items[0], name_cmp);
	return merge_dir_paths(cfg, dir, &paths, err, err_len);
}

/* Merges the listed files of dir in order; frees the list. */
static int merge_dir_paths(struct config *cfg, const char *dir, struct config_strs *paths, char *err,
			   size_t err_len)
{
	bundle_record_dir(dir, paths);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < paths->n; i++)
		rc = merge_file(cfg, paths->items[i], err, err_len);
	strs_free(paths);
	return rc;
}

/* -config-file and -config-dir both take either, as Consul's do. */
static int merge_path(struct config *cfg, const char *path, char *err, size_t err_len)
{
	if (bundle_in)
		return bundle_find("dir", path) ? merge_dir(cfg, path, err, err_len) : merge_file(cfg, path, err, err_len);
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, err_len, "config %s: %s", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? merge_dir(cfg, path, err, err_len) : merge_file(cfg, path, err, err_len);
}

/* ---------------------------------------------------------------- flags */

struct flag_use {
	const struct flag *flag;
	const char *value; /* NULL for a boolean flag given bare */
};

static const struct flag *flag_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NFLAGS; i++)
		if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
			return &flags[i];
	return NULL;
}

/* Splits argv into flag uses, with Go's flag syntax: -f, --f, -f=v, -f v (not for booleans).
 * Returns the number of uses, -1 with err set, or -2 for -h. */
static int flags_parse(int argc, char **argv, struct flag_use *uses, char *err, size_t err_len)
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			if (i + 1 < argc) {
				snprintf(err, err_len, "unexpected argument \"%s\"", argv[i + 1]);
				return -1;
			}
			break;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			snprintf(err, err_len, "unexpected argument \"%s\"", arg);
			return -1;
		}
		const char *name = arg + (arg[1] == '-' ? 2 : 1);
		if (name[0] == '\0' || name[0] == '-' || name[0] == '=') {
			snprintf(err, err_len, "bad flag syntax: %s", arg);
			return -1;
		}
		size_t name_len = strcspn(name, "=");
		const struct flag *f = flag_find(name, name_len);
		if (f == NULL) {
			snprintf(err, err_len, "unknown flag: -%.*s", (int)name_len, name);
			return -1;
		}
		if (f->kind == FL_HELP)
			return -2;
		const char *value = NULL;
		if (name[name_len] == '=')
			value = name + name_len + 1;
		else if (!f->boolean && i + 1 < argc)
			value = argv[++i];
		else if (!f->boolean) {
			snprintf(err, err_len, "flag needs an argument: -%s", f->name);
			return -1;
		}
		if (f->kind == FL_HCL) {
			snprintf(err, err_len, "-hcl is not supported: configuration must be JSON");
			return -1;
		}
		bool b;
		if (f->boolean && value != NULL && parse_bool(value, &b) < 0) {
			snprintf(err, err_len, "invalid boolean value \"%s\" for -%s: parse error", value, f->name);
			return -1;
		}
		uses[n].flag = f;
		uses[n].value = value;
		n++;
	}
	return n;
}

static bool flag_bool(const struct flag_use *u)
{
	bool b = true;
	if (u->value != NULL)
		parse_bool(u->value, &b); /* checked by flags_parse */
	return b;
}

/* Sets the config key a flag names, from the flag's string, through the same checks as JSON. */
static int flag_apply(struct config *cfg, const struct flag_use *u, char *err, size_t err_len)
{
	const struct field *f = field_by_path(u->flag->path);
	struct source src = {cfg, NULL, u->flag->name, u->value, false, err, err_len};
	struct yajl_val_s v;
	memset(&v, 0, sizeof v);
	if (f == NULL) {
		snprintf(err, err_len, "flag -%s: no config key %s", u->flag->name, u->flag->path);
		return -1;
	}
	if (f->kind == K_ENCRYPT)
		src.flag_value = NULL; /* keep the key out of error messages */
	switch (f->kind) {
	case K_BOOL:
		v.type = flag_bool(u) ? yajl_t_true : yajl_t_false;
		break;
	case K_INT:
	case K_U32:
	case K_U64:
	case K_PORT:
	case K_PORT_OFF: {
		char *end;
		errno = 0;
		long long n = strtoll(u->value, &end, 10);
		if (errno != 0 || end == u->value || *end != '\0')
			return fail(&src, u->flag->path, "parse error");
		v.type = yajl_t_number;
		v.u.number.i = n;
		v.u.number.r = (char *)u->value;
		v.u.number.flags = YAJL_NUMBER_INT_VALID;
		break;
	}
	default:
		v.type = yajl_t_string;
		v.u.string = (char *)u->value;
		break;
	}
	if (set_value(&src, f, &v, u->flag->path) < 0)
		return -1;
	src.apply = true;
	return set_value(&src, f, &v, u->flag->path);
}

/* "-node=a -server ..." as given, normalized, with the gossip key hidden. */
static char *flags_describe(const struct flag_use *uses, int n)
{
	struct buf b;
	buf_init(&b);
	int rc = buf_append(&b, "", 0);
	for (int i = 0; rc == 0 && i < n; i++) {
		const char *value = uses[i].value;
		if (uses[i].flag->path != NULL && strcmp(uses[i].flag->path, "encrypt") == 0)
			value = "<hidden>";
		rc = buf_appendf(&b, "%s-%s%s%s", i > 0 ? " " : "", uses[i].flag->name, value ? "=" : "",
				 value ? value : "");
	}
	if (rc < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* ---------------------------------------------------------------- defaults and checks */

static int config_defaults(struct config *cfg, bool dev)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->dev = dev;
	cfg->log_level = LOG_INFO;
	cfg->port_dns = 8600;
	cfg->port_http = 8500;
	cfg->port_https = -1;
	cfg->port_serf_lan = 8301;
	cfg->port_serf_wan = 8302;
	cfg->port_server = 8300;
	cfg->retry_interval_ms = 30000;
	cfg->reconnect_timeout_ms = 72ull * 3600 * 1000;
	cfg->dns_allow_stale = true;
	cfg->dns_udp_answer_limit = 3;
	cfg->raft_multiplier = 5;
	cfg->snapshot_threshold = 8192;
	cfg->trailing_logs = 10240;
	cfg->snapshot_interval_ms = 30000;
	cfg->ae_interval_ms = 60000;
	cfg->check_reap_interval_ms = 30000;
	cfg->check_deregister_interval_min_ms = 60000;
	cfg->leave_on_terminate = cfg->skip_leave_on_interrupt = -1;
	const char *bind = "0.0.0.0";
	if (dev) {
		/* consul agent -dev: a single server that elects itself, reachable only locally. */
		cfg->server = true;
		cfg->bootstrap = true;
		cfg->raft_multiplier = 1;
		bind = "127.0.0.1";
	}
	if (str_set(&cfg->datacenter, "dc1") < 0 || str_set(&cfg->domain, "consul.") < 0 ||
	    str_set(&cfg->bind_addr, bind) < 0 || str_set(&cfg->client_addr, "127.0.0.1") < 0)
		return -ENOMEM;
	return 0;
}

/* RFC 1918 and RFC 6598 ranges: what Consul prefers to advertise when bound to 0.0.0.0. */
static bool is_private_v4(const struct in_addr *a)
{
	uint32_t ip = ntohl(a->s_addr);
	return (ip >> 24) == 10 || (ip >> 20) == (172u << 4 | 1) || (ip >> 16) == (192u << 8 | 168) ||
	       (ip >> 22) == (100u << 2 | 1);
}

/* The address to advertise when bound to every interface: the first private IPv4 address
 * of an interface that is up, else the first non-loopback one, else loopback. */
static void pick_advertise(char *out, size_t out_len)
{
	struct ifaddrs *ifs, *ifa;
	struct in_addr best = {0}, any = {0};
	bool have_best = false, have_any = false;
	snprintf(out, out_len, "127.0.0.1");
	if (getifaddrs(&ifs) < 0)
		return;
	for (ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
		    (ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP))
			continue;
		struct in_addr a = ((struct sockaddr_in *)(void *)ifa->ifa_addr)->sin_addr;
		if (!have_best && is_private_v4(&a))
			best = a, have_best = true;
		if (!have_any)
			any = a, have_any = true;
	}
	freeifaddrs(ifs);
	if (have_best || have_any)
		inet_ntop(AF_INET, have_best ? &best : &any, out, (socklen_t)out_len);
}

/* Reads a node id file. Returns 0 with *out set, 1 when there is no file, -1 on error. */
static int node_id_read(const char *path, char **out, char *err, size_t err_len)
{
	char text[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		snprintf(err, err_len, "node ID %s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, err_len, "node ID %s: %s", path, strerror(errno));
		return -1;
	}
	text[n] = '\0';
	char *start = text;
	while (isspace((unsigned char)*start))
		start++;
	for (size_t len = strlen(start); len > 0 && isspace((unsigned char)start[len - 1]); len--)
		start[len - 1] = '\0';
	if (!is_uuid(start)) {
		snprintf(err, err_len, "node ID in %s is not a valid UUID", path);
		return -1;
	}
	str_lower(start);
	if ((*out = strdup(start)) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

static int random_bytes(unsigned char *out, size_t len)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, out + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return got == len ? 0 : -1;
}

/* Writes a new random node id to path unless one appears first. Roles start at the same
 * time and must agree, so the file is created whole by link(2), which never replaces an
 * existing file: whoever links first wins, and everyone then reads the file. */
static int node_id_create(const char *path, char *err, size_t err_len)
{
	unsigned char b[16];
	char id[37], tmp[PATH_MAX];
	if (random_bytes(b, sizeof b) < 0) {
		snprintf(err, err_len, "node ID: cannot read /dev/urandom: %s", strerror(errno));
		return -1;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* RFC 4122 version 4, random */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(id, sizeof id,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		snprintf(err, err_len, "node ID %s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "node ID %s: %s", tmp, strerror(errno));
		return -1;
	}
	bool ok = write(fd, id, 36) == 36 && fsync(fd) == 0;
	int saved = errno;
	if (close(fd) < 0 && ok)
		ok = false, saved = errno;
	if (ok && link(tmp, path) < 0 && errno != EEXIST) {
		/* Some file systems have no hard links; rename is atomic there too. */
		ok = rename(tmp, path) == 0;
		saved = errno;
	}
	unlink(tmp);
	if (!ok) {
		snprintf(err, err_len, "node ID %s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}

/* node_id, when not configured: the one kept in data_dir/node-id, made on first start. */
static int node_id_load(struct config *cfg, char *err, size_t err_len)
{
	char *path = NULL;
	int rc = mkdir_p(cfg->data_dir, 0700);
	if (rc < 0) {
		snprintf(err, err_len, "data_dir %s: %s", cfg->data_dir, strerror(-rc));
		return -1;
	}
	if (asprintf(&path, "%s/node-id", cfg->data_dir) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	rc = node_id_read(path, &cfg->node_id, err, err_len);
	if (rc == 1 && node_id_create(path, err, err_len) == 0) {
		rc = node_id_read(path, &cfg->node_id, err, err_len);
		if (rc == 1)
			snprintf(err, err_len, "node ID %s: vanished after it was written", path);
	}
	free(path);
	return rc == 0 ? 0 : -1;
}

static bool is_datacenter_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* Fills in what depends on other keys and checks the combination, with Consul's messages. */
static int config_finish(struct config *cfg, char *err, size_t err_len)
{
	if (cfg->node_name == NULL) {
		char host[256];
		if (gethostname(host, sizeof host) < 0) {
			snprintf(err, err_len, "cannot read the host name for node_name: %s", strerror(errno));
			return -1;
		}
		host[sizeof host - 1] = '\0';
		if (str_set(&cfg->node_name, host) < 0)
			goto nomem;
	}
	str_lower(cfg->datacenter);
	if (cfg->datacenter[0] == '\0') {
		snprintf(err, err_len, "datacenter cannot be empty");
		return -1;
	}
	if (!is_datacenter_name(cfg->datacenter)) {
		snprintf(err, err_len, "datacenter cannot be \"%s\". Please use only [a-z0-9-_].", cfg->datacenter);
		return -1;
	}
	if (cfg->domain[0] == '\0') {
		snprintf(err, err_len, "domain cannot be empty");
		return -1;
	}
	if (!ends_with(cfg->domain, ".")) {
		char *dotted = NULL;
		if (asprintf(&dotted, "%s.", cfg->domain) < 0)
			goto nomem;
		free(cfg->domain);
		cfg->domain = dotted;
	}
	if ((cfg->data_dir == NULL || cfg->data_dir[0] == '\0') && !cfg->dev) {
		snprintf(err, err_len, "data_dir cannot be empty");
		return -1;
	}
	if (cfg->data_dir != NULL && cfg->data_dir[0] == '\0') {
		free(cfg->data_dir);
		cfg->data_dir = NULL;
	}
	struct stat st;
	if (cfg->data_dir != NULL && stat(cfg->data_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "data_dir \"%s\" is not a directory", cfg->data_dir);
		return -1;
	}
	if (cfg->node_name[0] == '\0') {
		snprintf(err, err_len, "node_name cannot be empty");
		return -1;
	}
	if (cfg->advertise_addr != NULL && is_any_addr(cfg->advertise_addr)) {
		snprintf(err, err_len, "Advertise address cannot be 0.0.0.0, :: or [::]");
		return -1;
	}
	if (cfg->bootstrap && !cfg->server) {
		snprintf(err, err_len, "'bootstrap = true' requires 'server = true'");
		return -1;
	}
	if (cfg->bootstrap_expect > 0 && !cfg->server) {
		snprintf(err, err_len, "'bootstrap_expect > 0' requires 'server = true'");
		return -1;
	}
	if (cfg->bootstrap_expect > 0 && cfg->dev) {
		snprintf(err, err_len, "'bootstrap_expect > 0' not allowed in dev mode");
		return -1;
	}
	if (cfg->bootstrap_expect > 0 && cfg->bootstrap) {
		snprintf(err, err_len, "'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive");
		return -1;
	}
	/* Consul's defaults hang on the mode: servers stay in the cluster on either signal, client
	 * agents leave on both. */
	if (cfg->leave_on_terminate < 0)
		cfg->leave_on_terminate = !cfg->server;
	if (cfg->skip_leave_on_interrupt < 0)
		cfg->skip_leave_on_interrupt = cfg->server;
	if (cfg->advertise_addr == NULL) {
		char picked[INET6_ADDRSTRLEN];
		const char *adv = cfg->bind_addr;
		if (is_any_addr(cfg->bind_addr)) {
			pick_advertise(picked, sizeof picked);
			adv = picked;
		}
		if (str_set(&cfg->advertise_addr, adv) < 0)
			goto nomem;
	}
	if ((cfg->addr_http == NULL && str_set(&cfg->addr_http, cfg->client_addr) < 0) ||
	    (cfg->addr_dns == NULL && str_set(&cfg->addr_dns, cfg->client_addr) < 0))
		goto nomem;
	if (cfg->node_id == NULL && cfg->data_dir != NULL && node_id_load(cfg, err, err_len) < 0)
		return -1;
	return 0;
nomem:
	snprintf(err, err_len, "out of memory");
	return -1;
}

/* ---------------------------------------------------------------- the API */

bool config_leaves_on_signal(const struct config *cfg, int signo)
{
	if (signo == SIGINT)
		return cfg->skip_leave_on_interrupt == 0;
	if (signo == SIGTERM)
		return cfg->leave_on_terminate == 1;
	return false;
}

int config_load(struct config *cfg, int argc, char **argv, char *err, size_t err_len)
{
	struct flag_use *uses = calloc(argc > 0 ? (size_t)argc : 1, sizeof *uses);
	bool dev = false;
	int n, rc = -1;
	memset(cfg, 0, sizeof *cfg);
	if (uses == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if ((n = flags_parse(argc, argv, uses, err, err_len)) < 0) {
		free(uses);
		return n;
	}
	for (int i = 0; i < n; i++)
		if (uses[i].flag->kind == FL_DEV)
			dev = flag_bool(&uses[i]);
	if (config_defaults(cfg, dev) < 0) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	/* Files first, in the order their flags were given; then every other flag on top. */
	for (int i = 0; i < n; i++) {
		enum flag_kind kind = uses[i].flag->kind;
		if (kind != FL_CONFIG_FILE && kind != FL_CONFIG_DIR)
			continue;
		struct config_strs *list = kind == FL_CONFIG_FILE ? &cfg->config_files : &cfg->config_dirs;
		if (strs_append(list, uses[i].value) < 0) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
		if (merge_path(cfg, uses[i].value, err, err_len) < 0)
			goto out;
	}
	for (int i = 0; i < n; i++)
		if (uses[i].flag->kind == FL_KEY && flag_apply(cfg, &uses[i], err, err_len) < 0)
			goto out;
	if ((cfg->source_desc = flags_describe(uses, n)) == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	rc = config_finish(cfg, err, err_len);
out:
	free(uses);
	if (rc < 0) {
		config_free(cfg);
		if (err_len > 0)
			err_printable(err);
	}
	return rc;
}

void config_free(struct config *cfg)
{
	char **strings[] = {&cfg->node_name, &cfg->node_id, &cfg->datacenter, &cfg->domain,
			    &cfg->data_dir, &cfg->pid_file, &cfg->user, &cfg->bind_addr,
			    &cfg->advertise_addr, &cfg->client_addr, &cfg->addr_http, &cfg->addr_dns,
			    &cfg->encrypt, &cfg->source_desc, &cfg->script_user};
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		free(*strings[i]);
	strs_free(&cfg->start_join);
	strs_free(&cfg->retry_join);
	strs_free(&cfg->recursors);
	strs_free(&cfg->config_files);
	strs_free(&cfg->config_dirs);
	defs_free(&cfg->services);
	defs_free(&cfg->checks);
	memset(cfg, 0, sizeof *cfg);
}

void config_usage(FILE *out)
{
	for (size_t i = 0; i < NFLAGS; i++) {
		const struct flag *f = &flags[i];
		char name[64];
		if (f->help == NULL)
			continue;
		snprintf(name, sizeof name, "-%s%s", f->name, f->boolean ? "" : "=<value>");
		fprintf(out, "  %-29s %s\n", name, f->help);
	}
}

char *config_run_path(const struct config *cfg, const char *name)
{
	char *path = NULL;
	if (cfg->data_dir == NULL)
		return NULL;
	if (asprintf(&path, "%s/run/%s", cfg->data_dir, name) < 0)
		return NULL;
	return path;
}

int config_load_capture(struct config *cfg, int argc, char **argv, struct buf *bundle, char *err, size_t err_len)
{
	struct jw w;
	jw_init(&w, bundle);
	jw_arr_open(&w);
	bundle_out = &w;
	int rc = config_load(cfg, argc, argv, err, err_len);
	bundle_out = NULL;
	jw_arr_close(&w);
	jw_free(&w);
	return rc;
}

int config_load_bundle(struct config *cfg, int argc, char **argv, const char *bundle, size_t len, char *err,
		       size_t err_len)
{
	char perr[128];
	yajl_val v = json_parse(bundle, len, perr, sizeof perr);
	if (!v || !YAJL_IS_ARRAY(v)) {
		yajl_tree_free(v);
		snprintf(err, err_len, "configuration bundle: %s", v ? "not a list" : perr);
		return -1;
	}
	bundle_in = v;
	int rc = config_load(cfg, argc, argv, err, err_len);
	bundle_in = NULL;
	yajl_tree_free(v);
	return rc;
}
