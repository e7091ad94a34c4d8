/* service_def.h: Consul service and check definitions, parsed and validated from JSON. Pure.
 *
 * The same parser serves config files (snake_case keys) and the agent API (CamelCase keys):
 * json.h lookups ignore case and underscores.
 *
 *   struct def_ctx ctx = { .source = "/etc/consul.d/web.json", .from_file = true,
 *                          .enable_local_script_checks = cfg->enable_local_script_checks };
 *   struct service_def svc;
 *   char err[512];
 *   if (service_def_parse_json(text, len, &ctx, &svc, err, sizeof err) < 0) fatalx("%s", err);
 *   ... svc.checks[i].id is filled in ("service:web", or "service:web:N" when several) ...
 *   service_def_free(&svc);
 *
 * Errors name the definition and the key: `config web.json: service "web": "port": expected a
 * number`. Only definitions are checked here; whether a check's service exists is the local
 * state's business.
 */
#ifndef CHECKD_SERVICE_DEF_H
#define CHECKD_SERVICE_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/* Consul's check types, named as Consul's HealthCheck.Type renders them. */
#define CHECK_KINDS(X)                                                                             \
	X(CHECK_TTL, "ttl")                                                                        \
	X(CHECK_SCRIPT, "script")                                                                  \
	X(CHECK_HTTP, "http")                                                                      \
	X(CHECK_TCP, "tcp")                                                                        \
	X(CHECK_UDP, "udp")                                                                        \
	X(CHECK_GRPC, "grpc")                                                                      \
	X(CHECK_H2PING, "h2ping")                                                                  \
	X(CHECK_ALIAS, "alias")                                                                    \
	X(CHECK_DOCKER, "docker")                                                                  \
	X(CHECK_OS_SERVICE, "os_service")                                                          \
	X(CHECK_MAINTENANCE, "maintenance") /* made by checkd for maintenance mode, never parsed */

enum check_kind {
#define CHECK_KIND_ENUM(name, str) name,
	CHECK_KINDS(CHECK_KIND_ENUM)
#undef CHECK_KIND_ENUM
};

/* "ttl", "http", ... */
const char *check_kind_name(enum check_kind kind);

/* Largest check output kept, as Consul's default output_max_size. */
#define CHECK_OUTPUT_MAX_BYTES 4096

struct def_kv {
	char *key;
	char *value;
};

/* One HTTP check header: a name with its values, as Consul's map[string][]string. */
struct def_header {
	char *name;
	char **values;
	size_t nvalues;
};

struct check_def {
	char *id;         /* never NULL after parsing */
	char *name;       /* never NULL after parsing */
	char *notes;      /* may be NULL */
	char *service_id; /* may be NULL: a node-level check */
	char *status;     /* initial status: "passing", "warning" or "critical" (default) */
	enum check_kind kind;
	uint64_t ttl_ms;
	uint64_t interval_ms;
	uint64_t timeout_ms;
	uint64_t deregister_critical_after_ms;
	/* kind-specific; NULL / 0 when absent. Kept for the runners (issue 5). */
	char **args;
	size_t nargs;
	char *http;
	char *method;
	char *body;
	struct def_header *headers;
	size_t nheaders;
	bool tls_skip_verify;
	char *tls_server_name;
	char *tcp;
	char *udp;
	char *grpc;
	bool grpc_use_tls;
	char *h2ping;
	char *alias_node;
	char *alias_service;
	char *docker_container_id;
	char *shell;
	char *os_service;
	uint32_t output_max_size; /* CHECK_OUTPUT_MAX_BYTES unless set */
	int success_before_passing;
	int failures_before_warning;
	int failures_before_critical;
};

struct service_tagged_addr {
	char *name;
	char *address;
	int port;
};

struct service_def {
	char *id;      /* never NULL after parsing: defaults to name */
	char *name;    /* never NULL after parsing */
	char *kind;    /* NULL for a typical service */
	char *address; /* never NULL: "" when absent */
	int port;
	char **tags;
	size_t ntags;
	struct def_kv *meta;
	size_t nmeta;
	struct service_tagged_addr *tagged;
	size_t ntagged;
	bool enable_tag_override;
	int weight_passing; /* default 1 */
	int weight_warning; /* default 1 */
	struct check_def *checks; /* "check" then "checks", ids and names defaulted */
	size_t nchecks;
};

/* Where a definition comes from: it decides the error prefix and which flag allows scripts. */
struct def_ctx {
	const char *source; /* config file name, or NULL for the agent API */
	bool from_file;     /* enable_local_script_checks allows scripts too */
	bool enable_script_checks;
	bool enable_local_script_checks;
};

/* Parses and validates a service definition object. Returns 0, or -EINVAL with a message
 * in err (and out left empty). The caller frees out with service_def_free. */
int service_def_parse(yajl_val v, const struct def_ctx *ctx, struct service_def *out, char *err, size_t err_len);
/* Same, from JSON text. A config file definition wrapped as {"service": {...}} is accepted. */
int service_def_parse_json(const char *text, size_t len, const struct def_ctx *ctx, struct service_def *out,
			   char *err, size_t err_len);
void service_def_free(struct service_def *s);

/* Parses a standalone check definition (/v1/agent/check/register or a config "check"). Its id
 * defaults to its name, as Consul's. */
int check_def_parse(yajl_val v, const struct def_ctx *ctx, struct check_def *out, char *err, size_t err_len);
int check_def_parse_json(const char *text, size_t len, const struct def_ctx *ctx, struct check_def *out, char *err,
			 size_t err_len);
void check_def_free(struct check_def *c);
/* Deep copy; returns 0 or -ENOMEM. */
int check_def_copy(struct check_def *dst, const struct check_def *src);

/* true for "passing", "warning", "critical". */
bool check_status_valid(const char *status);

#endif
