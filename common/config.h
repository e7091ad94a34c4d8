/* config.h: the agent's configuration, from CLI flags and JSON files, with Consul's key names
 * and defaults. Every role parses the same flags and files, so each can also run on its own.
 *
 *   struct config cfg;
 *   char err[512];
 *   if (config_load(&cfg, argc, argv, err, sizeof err) < 0) { fprintf(stderr, "consul: %s\n", err); exit(1); }
 *   ...
 *   config_free(&cfg);
 *
 * Order, as Consul's: built-in defaults, then -dev defaults, then each -config-file /
 * -config-dir (*.json in lexical order) in the order given, then the command-line flags.
 * Scalars: the later source wins. Lists (services, checks, retry_join, start_join,
 * recursors): later sources append. Maps (ports, addresses, dns_config): merged per key.
 * Errors name the file and the key: `config /etc/consul.d/web.json: "ports.http": expected a number`.
 */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

/* One service or check definition from a file, kept as JSON for checkd to interpret. */
struct config_def {
	char *json;   /* the definition object, re-serialized */
	char *source; /* the file it came from, or "command line" */
};

struct config_defs {
	struct config_def *items;
	size_t n;
};

struct config_strs {
	char **items;
	size_t n;
};

struct config {
	/* identity */
	char *node_name;  /* -node / node_name; default: hostname */
	char *node_id;    /* node_id; default: read or created in data_dir/node-id (random UUID) */
	char *datacenter; /* -datacenter / datacenter; default "dc1", lower-cased */
	char *domain;     /* -domain / domain; default "consul." (always ends with a dot) */

	/* mode */
	bool dev;              /* -dev */
	bool server;           /* -server / server */
	bool bootstrap;        /* -bootstrap / bootstrap */
	int bootstrap_expect;  /* -bootstrap-expect / bootstrap_expect; 0 = unset */
	char *data_dir;        /* -data-dir / data_dir; required unless dev */
	char *pid_file;        /* -pid-file / pid_file */
	char *user;            /* -user / user: drop privileges to it; NULL = "consul" if it exists */
	enum log_level log_level; /* -log-level / log_level; default info */

	/* addresses and ports */
	char *bind_addr;      /* -bind / bind_addr; default 0.0.0.0 (dev: 127.0.0.1) */
	char *advertise_addr; /* -advertise / advertise_addr; default bind_addr, or the first private IPv4 if bind is 0.0.0.0 */
	char *client_addr;    /* -client / client_addr; default 127.0.0.1 */
	char *addr_http;      /* addresses.http; default client_addr */
	char *addr_dns;       /* addresses.dns; default client_addr */
	int port_dns;         /* -dns-port / ports.dns; default 8600, -1 disables */
	int port_http;        /* -http-port / ports.http; default 8500, -1 disables */
	int port_https;       /* -https-port / ports.https; default -1 */
	int port_serf_lan;    /* -serf-lan-port / ports.serf_lan; default 8301 */
	int port_serf_wan;    /* -serf-wan-port / ports.serf_wan; default 8302 */
	int port_server;      /* -server-port / ports.server; default 8300 */

	/* cluster */
	struct config_strs start_join; /* -join / start_join */
	struct config_strs retry_join; /* -retry-join / retry_join */
	uint64_t retry_interval_ms;    /* -retry-interval / retry_interval; default 30s */
	int retry_max;                 /* -retry-max / retry_max; default 0 = forever */
	bool rejoin_after_leave;       /* -rejoin / rejoin_after_leave */
	int leave_on_terminate;        /* leave_on_terminate; default: on for clients, off for servers */
	int skip_leave_on_interrupt;   /* skip_leave_on_interrupt; default: on for servers, off for clients */
	uint64_t reconnect_timeout_ms; /* reconnect_timeout; default 72h: failed members are reaped after it */
	char *encrypt;                 /* -encrypt / encrypt (base64 key) */

	/* checks */
	bool enable_script_checks;       /* -enable-script-checks / enable_script_checks */
	bool enable_local_script_checks; /* -enable-local-script-checks / enable_local_script_checks */
	struct config_defs services;     /* service / services */
	struct config_defs checks;       /* check / checks */
	/* checkd's timing: Consul's non-user tuning keys of the same names (tests shorten them). */
	uint64_t ae_interval_ms;         /* ae_interval: anti-entropy full sync, before scaling by cluster size; default 1m */
	uint64_t check_reap_interval_ms; /* check_reap_interval: how often deregister_critical_service_after is applied; default 30s */
	uint64_t check_deregister_interval_min_ms; /* check_deregister_interval_min: floor of deregister_critical_service_after; default 1m */
	/* script_user: ours, not Consul's (Consul runs scripts as the agent's own user): who scriptd
	 * runs script checks as; NULL = "consul-script" if it exists, else "nobody"; never root. */
	char *script_user;

	/* dns_config */
	bool dns_only_passing;        /* dns_config.only_passing; default false */
	bool dns_allow_stale;         /* dns_config.allow_stale; default true */
	uint32_t dns_node_ttl_s;      /* dns_config.node_ttl; default 0 */
	uint32_t dns_service_ttl_s;   /* dns_config.service_ttl."*"; default 0 */
	bool dns_enable_truncate;     /* dns_config.enable_truncate; default false */
	uint32_t dns_udp_answer_limit; /* dns_config.udp_answer_limit; default 3 */
	struct config_strs recursors; /* -recursor / recursors */

	/* raft */
	int raft_multiplier;          /* performance.raft_multiplier; default 5 (dev: 1) */
	uint64_t snapshot_threshold;  /* raft_snapshot_threshold; default 8192 */
	uint64_t trailing_logs;       /* raft_trailing_logs; default 10240 */
	uint64_t snapshot_interval_ms; /* raft_snapshot_interval; default 30s (randomly stretched up to 2x) */
	uint64_t discovery_max_stale_ms; /* discovery_max_stale; 0: off (accepted; reads use ?max_stale) */

	/* where the configuration came from, for reload and for errors */
	struct config_strs config_files; /* -config-file, in order */
	struct config_strs config_dirs;  /* -config-dir, in order */
	char *source_desc;               /* flags as given, for /v1/agent/self */
};

/* Parses argv (without the program / subcommand name: argv[0] is the first flag) and the
 * files they name. Returns 0, or -1 with a one-line message in err (no "consul: " prefix).
 * Returns -2 for -h / -help (the caller prints config_usage). When no node_id is configured
 * and there is a data_dir, creates data_dir (0700) and data_dir/node-id.
 * On failure cfg holds nothing that needs freeing. */
int config_load(struct config *cfg, int argc, char **argv, char *err, size_t err_len);
void config_free(struct config *cfg);
/* Merges one JSON config document (text need not be NUL-terminated) into cfg, as a
 * -config-file would be: scalars replace, lists append, maps merge per key. source names the
 * document in errors. Returns 0, or -1 with a one-line message in err; on error cfg is
 * unchanged (unless memory ran out while storing). cfg may be all zeros; config_free
 * releases what was merged. */
int config_merge_json(struct config *cfg, const char *text, size_t len, const char *source, char *err,
		      size_t err_len);
struct buf;
/* As config_load, and also captures every file and directory listing it read into bundle (a
 * JSON document), so that a process that cannot read those files (a role, after dropping
 * privileges) can load the same configuration with config_load_bundle. */
int config_load_capture(struct config *cfg, int argc, char **argv, struct buf *bundle, char *err, size_t err_len);
/* As config_load, with the files and directories looked up in a captured bundle instead of
 * the file system. A file the bundle lacks is an error naming it. */
int config_load_bundle(struct config *cfg, int argc, char **argv, const char *bundle, size_t len, char *err,
		       size_t err_len);
/* Consul's rule for a stop signal: whether the agent leaves the cluster before it exits
 * (SIGINT unless skip_leave_on_interrupt, SIGTERM when leave_on_terminate). The supervisor
 * and a gossipd run alone under systemd both ask it, so they agree. */
bool config_leaves_on_signal(const struct config *cfg, int signo);
/* Prints the agent's flags, one per line, for -h. */
void config_usage(FILE *out);
/* Path of a file under data_dir/run (sockets); caller frees. */
char *config_run_path(const struct config *cfg, const char *name);

#endif
