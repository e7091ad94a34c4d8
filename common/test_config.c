/* test_config.c: flags, JSON files, merge order, Consul's error messages and node-id. */
#include <arpa/inet.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"

static char tmp_root[64];
static char err[512];

/* Each test gets a fresh temporary directory, removed afterwards. */
static int setup(void **state)
{
	snprintf(tmp_root, sizeof tmp_root, "/tmp/test_config.XXXXXX");
	if (mkdtemp(tmp_root) == NULL)
		return -1;
	err[0] = '\0';
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path under the temp dir; the result lives until the next call with the same slot. */
static const char *tmp_path(int slot, const char *name)
{
	static char paths[8][512];
	snprintf(paths[slot], sizeof paths[slot], "%s/%s", tmp_root, name);
	return paths[slot];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(tmp_path(7, name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_dir(const char *name)
{
	assert_int_equal(mkdir(tmp_path(7, name), 0700), 0);
}

/* Loads a NULL-terminated flag list; err holds the message on failure. */
static int load(struct config *cfg, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	va_start(ap, cfg);
	for (char *a; (a = va_arg(ap, char *)) != NULL;) {
		assert_true(argc < 64);
		argv[argc++] = a;
	}
	va_end(ap);
	err[0] = '\0';
	return config_load(cfg, argc, argv, err, sizeof err);
}

/* Asserts that loading the flags fails with exactly the message want. */
#define assert_load_error(want, ...)                                                               \
	do {                                                                                       \
		struct config c_;                                                                  \
		assert_int_equal(load(&c_, __VA_ARGS__, NULL), -1);                                \
		assert_string_equal(err, want);                                                    \
	} while (0)

static char *data_flag(void)
{
	static char flag[600];
	snprintf(flag, sizeof flag, "-data-dir=%s", tmp_path(0, "data"));
	return flag;
}

static bool is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	}
	return true;
}

static void test_defaults(void **state)
{
	struct config cfg;
	char host[256] = "";
	gethostname(host, sizeof host);
	assert_int_equal(load(&cfg, data_flag(), NULL), 0);
	assert_string_equal(cfg.node_name, host);
	assert_string_equal(cfg.datacenter, "dc1");
	assert_string_equal(cfg.domain, "consul.");
	assert_false(cfg.dev);
	assert_false(cfg.server);
	assert_false(cfg.bootstrap);
	assert_int_equal(cfg.bootstrap_expect, 0);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_string_equal(cfg.bind_addr, "0.0.0.0");
	assert_string_equal(cfg.client_addr, "127.0.0.1");
	assert_string_equal(cfg.addr_http, "127.0.0.1");
	assert_string_equal(cfg.addr_dns, "127.0.0.1");
	/* Bound to every interface, it advertises one real address of this machine. */
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, cfg.advertise_addr, &a), 1);
	assert_string_not_equal(cfg.advertise_addr, "0.0.0.0");
	assert_int_equal(cfg.port_dns, 8600);
	assert_int_equal(cfg.port_http, 8500);
	assert_int_equal(cfg.port_https, -1);
	assert_int_equal(cfg.port_serf_lan, 8301);
	assert_int_equal(cfg.port_serf_wan, 8302);
	assert_int_equal(cfg.port_server, 8300);
	assert_int_equal(cfg.retry_interval_ms, 30000);
	assert_int_equal(cfg.retry_max, 0);
	assert_true(cfg.dns_allow_stale);
	assert_false(cfg.dns_only_passing);
	assert_int_equal(cfg.dns_udp_answer_limit, 3);
	assert_int_equal(cfg.raft_multiplier, 5);
	assert_int_equal(cfg.snapshot_threshold, 8192);
	assert_int_equal(cfg.trailing_logs, 10240);
	assert_int_equal(cfg.services.n, 0);
	assert_null(cfg.encrypt);
	assert_null(cfg.user);
	assert_true(is_uuid(cfg.node_id));
	assert_string_equal(cfg.source_desc, data_flag());
	char *sock = config_run_path(&cfg, "raft.sock");
	char want[600];
	snprintf(want, sizeof want, "%s/run/raft.sock", tmp_path(0, "data"));
	assert_string_equal(sock, want);
	free(sock);
	config_free(&cfg);
}

static void test_dev_defaults(void **state)
{
	struct config cfg;
	assert_int_equal(load(&cfg, "-dev", NULL), 0);
	assert_true(cfg.dev);
	assert_true(cfg.server);
	assert_true(cfg.bootstrap);
	assert_string_equal(cfg.bind_addr, "127.0.0.1");
	assert_string_equal(cfg.advertise_addr, "127.0.0.1");
	assert_string_equal(cfg.client_addr, "127.0.0.1");
	assert_int_equal(cfg.raft_multiplier, 1);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_null(cfg.data_dir);
	assert_null(cfg.node_id);
	assert_null(config_run_path(&cfg, "raft.sock"));
	config_free(&cfg);

	/* -dev=false is not dev: it needs a data dir. */
	assert_load_error("data_dir cannot be empty", "-dev=false");
}

/* Consul's leave-on-signal defaults hang on the mode; a file's value wins either way. */
static void test_leave_on_signal(void **state)
{
	struct config cfg;
	assert_int_equal(load(&cfg, "-dev", NULL), 0);
	assert_false(config_leaves_on_signal(&cfg, SIGINT));
	assert_false(config_leaves_on_signal(&cfg, SIGTERM));
	config_free(&cfg);
	assert_int_equal(load(&cfg, data_flag(), NULL), 0);  /* a client */
	assert_true(config_leaves_on_signal(&cfg, SIGINT));
	assert_true(config_leaves_on_signal(&cfg, SIGTERM));
	assert_false(config_leaves_on_signal(&cfg, SIGHUP));
	config_free(&cfg);

	char flag[600], want[900];
	snprintf(flag, sizeof flag, "-config-file=%s", tmp_path(1, "leave.json"));
	write_file("leave.json", "{\"leave_on_terminate\": true, \"skip_leave_on_interrupt\": false}");
	assert_int_equal(load(&cfg, "-dev", flag, NULL), 0);
	assert_true(config_leaves_on_signal(&cfg, SIGINT));
	assert_true(config_leaves_on_signal(&cfg, SIGTERM));
	config_free(&cfg);
	write_file("leave.json", "{\"leave_on_terminate\": false, \"skip_leave_on_interrupt\": true}");
	assert_int_equal(load(&cfg, data_flag(), flag, NULL), 0);
	assert_false(config_leaves_on_signal(&cfg, SIGINT));
	assert_false(config_leaves_on_signal(&cfg, SIGTERM));
	config_free(&cfg);
	write_file("leave.json", "{\"leave_on_terminate\": \"yes\"}");
	snprintf(want, sizeof want, "config %s: \"leave_on_terminate\": expected a boolean", tmp_path(1, "leave.json"));
	assert_load_error(want, "-dev", flag);
}

static void test_flag_forms(void **state)
{
	struct config cfg;
	assert_int_equal(load(&cfg, data_flag(), "-node=alpha", "-datacenter", "EU-West", "--domain=example",
			      "--http-port", "18500", "-server", "-bootstrap-expect=3", "-rejoin=true",
			      "-enable-script-checks=false", "-enable-local-script-checks", "-join", "10.0.0.1",
			      "-join=10.0.0.2", "-retry-join=10.0.0.3", "-retry-interval=5s",
			      "-retry-max", "4", "-bind=10.1.2.3", "-client=0.0.0.0", "-dns-port=-1",
			      "-log-level=DEBUG", "-recursor=8.8.8.8", "-ui", "-pid-file=/tmp/x.pid",
			      "-user=nobody", "-serf-lan-port=18301", "-serf-wan-port=18302",
			      "-server-port=18300", "-https-port=18501",
			      "-encrypt=pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=",
			      "-node-id=ADF4238A-882B-9DDC-4A9D-5B6758E4159E", NULL),
			 0);
	assert_string_equal(cfg.node_name, "alpha");
	assert_string_equal(cfg.datacenter, "eu-west");
	assert_string_equal(cfg.domain, "example.");
	assert_int_equal(cfg.port_http, 18500);
	assert_int_equal(cfg.port_dns, -1);
	assert_int_equal(cfg.port_https, 18501);
	assert_int_equal(cfg.port_serf_lan, 18301);
	assert_int_equal(cfg.port_serf_wan, 18302);
	assert_int_equal(cfg.port_server, 18300);
	assert_true(cfg.server);
	assert_int_equal(cfg.bootstrap_expect, 3);
	assert_true(cfg.rejoin_after_leave);
	assert_false(cfg.enable_script_checks);
	assert_true(cfg.enable_local_script_checks);
	assert_int_equal(cfg.start_join.n, 2);
	assert_string_equal(cfg.start_join.items[0], "10.0.0.1");
	assert_string_equal(cfg.start_join.items[1], "10.0.0.2");
	assert_int_equal(cfg.retry_join.n, 1);
	assert_int_equal(cfg.retry_interval_ms, 5000);
	assert_int_equal(cfg.retry_max, 4);
	assert_string_equal(cfg.bind_addr, "10.1.2.3");
	assert_string_equal(cfg.advertise_addr, "10.1.2.3");
	assert_string_equal(cfg.addr_http, "0.0.0.0");
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_int_equal(cfg.recursors.n, 1);
	assert_string_equal(cfg.pid_file, "/tmp/x.pid");
	assert_string_equal(cfg.user, "nobody");
	assert_string_equal(cfg.encrypt, "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=");
	assert_string_equal(cfg.node_id, "adf4238a-882b-9ddc-4a9d-5b6758e4159e");
	/* The gossip key is not repeated where /v1/agent/self would show it. */
	assert_null(strstr(cfg.source_desc, "pUqJ"));
	assert_non_null(strstr(cfg.source_desc, "-encrypt=<hidden>"));
	assert_non_null(strstr(cfg.source_desc, "-datacenter=EU-West -domain=example -http-port=18500 -server"));
	config_free(&cfg);
}

static void test_flag_errors(void **state)
{
	struct config cfg;
	assert_load_error("unknown flag: -foo", "-dev", "-foo");
	assert_load_error("unknown flag: -foo", "-dev", "--foo=bar");
	assert_load_error("flag needs an argument: -node", "-dev", "-node");
	assert_load_error("unexpected argument \"extra\"", "-dev", "extra");
	assert_load_error("invalid value \"abc\" for flag -http-port: parse error", "-dev", "-http-port=abc");
	assert_load_error("invalid value \"70000\" for flag -http-port: 70000 is not a valid port (1-65535, or -1 to disable)",
			  "-dev", "-http-port=70000");
	assert_load_error("invalid value \"0\" for flag -server-port: 0 is not a valid port (1-65535)",
			  "-dev", "-server-port", "0");
	assert_load_error("invalid value \"nope\" for flag -bind: \"nope\" is not an IP address", "-dev",
			  "-bind=nope");
	assert_load_error("invalid value \"loud\" for flag -log-level: unknown log level \"loud\" (use trace, debug, info, warn or err)",
			  "-dev", "-log-level=loud");
	assert_load_error("invalid value \"5\" for flag -retry-interval: invalid duration \"5\"", "-dev",
			  "-retry-interval=5");
	assert_load_error("invalid boolean value \"yes\" for -server: parse error", "-dev", "-server=yes");
	assert_load_error("invalid value \"node-1\" for flag -node-id: \"node-1\" is not a UUID", "-dev",
			  "-node-id=node-1");
	assert_load_error("invalid value for flag -encrypt: not a base64 key of 16, 24 or 32 bytes", "-dev",
			  "-encrypt=secret");
	assert_load_error("-hcl is not supported: configuration must be JSON", "-dev", "-hcl", "x = 1");
	assert_int_equal(load(&cfg, "-dev", "-help", NULL), -2);
	assert_int_equal(load(&cfg, "-h", NULL), -2);
}

static void test_validation(void **state)
{
	assert_load_error("data_dir cannot be empty", "-server");
	assert_load_error("'bootstrap_expect > 0' and 'bootstrap = true' are mutually exclusive",
			  data_flag(), "-server", "-bootstrap", "-bootstrap-expect=3");
	assert_load_error("'bootstrap_expect > 0' requires 'server = true'", data_flag(), "-bootstrap-expect=3");
	assert_load_error("'bootstrap = true' requires 'server = true'", data_flag(), "-bootstrap");
	assert_load_error("'bootstrap_expect > 0' not allowed in dev mode", "-dev", "-bootstrap-expect=1");
	assert_load_error("datacenter cannot be \"dc 1\". Please use only [a-z0-9-_].", "-dev", "-datacenter=dc 1");
	assert_load_error("Advertise address cannot be 0.0.0.0, :: or [::]", "-dev", "-advertise=0.0.0.0");
	assert_load_error("invalid value \"-1\" for flag -bootstrap-expect: cannot be -1: must be greater than or equal to 0",
			  data_flag(), "-server", "-bootstrap-expect=-1");
	write_file("file", "x");
	char flag[600];
	snprintf(flag, sizeof flag, "-data-dir=%s", tmp_path(1, "file"));
	char want[700];
	snprintf(want, sizeof want, "data_dir \"%s\" is not a directory", tmp_path(1, "file"));
	assert_load_error(want, flag);
}

static void test_files_merge_in_order(void **state)
{
	struct config cfg;
	write_file("a.json", "{\"node_name\": \"a\", \"retry_join\": [\"x\"], \"ports\": {\"http\": 1, \"dns\": 5},"
			     " \"service\": {\"name\": \"web\", \"port\": 80}, \"server\": true,"
			     " \"dns_config\": {\"only_passing\": true, \"node_ttl\": \"10s\"}}");
	write_file("b.json", "{\"node_name\": \"b\", \"retry_join\": [\"y\", \"z\"], \"ports\": {\"dns\": 2},"
			     " \"services\": [{\"name\": \"db\"}, {\"name\": \"cache\"}],"
			     " \"checks\": [{\"name\": \"disk\", \"args\": [\"df\"], \"interval\": \"10s\"}],"
			     " \"dns_config\": {\"service_ttl\": {\"*\": \"1m\", \"web\": \"5s\"}},"
			     " \"performance\": {\"raft_multiplier\": 2}, \"ui_config\": {\"enabled\": true},"
			     " \"Log_Level\": \"warn\"}");
	char fa[600], fb[600];
	snprintf(fa, sizeof fa, "-config-file=%s", tmp_path(1, "a.json"));
	snprintf(fb, sizeof fb, "-config-file=%s", tmp_path(2, "b.json"));
	assert_int_equal(load(&cfg, fa, data_flag(), fb, NULL), 0);
	assert_string_equal(cfg.node_name, "b");
	assert_int_equal(cfg.retry_join.n, 3);
	assert_string_equal(cfg.retry_join.items[0], "x");
	assert_string_equal(cfg.retry_join.items[2], "z");
	assert_int_equal(cfg.port_http, 1);
	assert_int_equal(cfg.port_dns, 2);
	assert_true(cfg.server);
	assert_true(cfg.dns_only_passing);
	assert_int_equal(cfg.dns_node_ttl_s, 10);
	assert_int_equal(cfg.dns_service_ttl_s, 60);
	assert_int_equal(cfg.raft_multiplier, 2);
	assert_int_equal(cfg.log_level, LOG_WARN);
	assert_int_equal(cfg.services.n, 3);
	assert_string_equal(cfg.services.items[0].json, "{\"name\":\"web\",\"port\":80}");
	assert_string_equal(cfg.services.items[0].source, tmp_path(1, "a.json"));
	assert_string_equal(cfg.services.items[1].json, "{\"name\":\"db\"}");
	assert_string_equal(cfg.services.items[2].source, tmp_path(2, "b.json"));
	assert_int_equal(cfg.checks.n, 1);
	assert_string_equal(cfg.checks.items[0].json, "{\"name\":\"disk\",\"args\":[\"df\"],\"interval\":\"10s\"}");
	assert_int_equal(cfg.config_files.n, 2);
	assert_string_equal(cfg.config_files.items[1], tmp_path(2, "b.json"));
	config_free(&cfg);

	/* Reversed, the other file wins the scalars. */
	assert_int_equal(load(&cfg, fb, data_flag(), fa, NULL), 0);
	assert_string_equal(cfg.node_name, "a");
	assert_int_equal(cfg.port_dns, 5);
	assert_string_equal(cfg.retry_join.items[0], "y");
	config_free(&cfg);
}

static void test_flags_override_files(void **state)
{
	struct config cfg;
	write_file("a.json", "{\"node_name\": \"file\", \"ports\": {\"http\": 1}, \"start_join\": [\"f\"],"
			     " \"bind_addr\": \"10.0.0.9\", \"log_level\": \"err\"}");
	char fa[600];
	snprintf(fa, sizeof fa, "-config-file=%s", tmp_path(1, "a.json"));
	assert_int_equal(load(&cfg, "-node=flag", "-http-port=2", "-join=g", fa, data_flag(), NULL), 0);
	assert_string_equal(cfg.node_name, "flag");
	assert_int_equal(cfg.port_http, 2);
	assert_int_equal(cfg.start_join.n, 2);
	assert_string_equal(cfg.start_join.items[0], "f");
	assert_string_equal(cfg.start_join.items[1], "g");
	assert_string_equal(cfg.bind_addr, "10.0.0.9");
	assert_string_equal(cfg.advertise_addr, "10.0.0.9");
	assert_int_equal(cfg.log_level, LOG_ERR);
	config_free(&cfg);
}

static void test_config_dir_lexical(void **state)
{
	struct config cfg;
	make_dir("conf.d");
	write_file("conf.d/20-web.json", "{\"node_name\": \"twenty\", \"service\": {\"name\": \"web\"}}");
	write_file("conf.d/10-base.json", "{\"node_name\": \"ten\", \"service\": {\"name\": \"base\"}, \"datacenter\": \"DC9\"}");
	write_file("conf.d/3-late.json", "{\"service\": {\"name\": \"late\"}}");
	write_file("conf.d/README.md", "not json");
	write_file("conf.d/old.json.bak", "not json");
	write_file("conf.d/other.hcl", "node_name = \"hcl\"");
	make_dir("conf.d/sub.json");
	char fd[600];
	snprintf(fd, sizeof fd, "-config-dir=%s", tmp_path(1, "conf.d"));
	assert_int_equal(load(&cfg, fd, "-dev", NULL), 0);
	/* Byte order: "10-" < "20-" < "3-". */
	assert_string_equal(cfg.node_name, "twenty");
	assert_string_equal(cfg.datacenter, "dc9");
	assert_int_equal(cfg.services.n, 3);
	assert_string_equal(cfg.services.items[0].json, "{\"name\":\"base\"}");
	assert_string_equal(cfg.services.items[1].json, "{\"name\":\"web\"}");
	assert_string_equal(cfg.services.items[2].json, "{\"name\":\"late\"}");
	assert_string_equal(cfg.services.items[2].source, tmp_path(2, "conf.d/3-late.json"));
	assert_int_equal(cfg.config_dirs.n, 1);
	config_free(&cfg);
}

static void test_file_errors(void **state)
{
	char flag[600], want[900];
	const char *path = tmp_path(1, "web.json");
	snprintf(flag, sizeof flag, "-config-file=%s", path);

	write_file("web.json", "{\"ports\": {\"http\": \"8500\"}}");
	snprintf(want, sizeof want, "config %s: \"ports.http\": expected a number", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"foo\": 1}");
	snprintf(want, sizeof want, "config %s: unknown key \"foo\"", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"ports\": {\"htp\": 1}}");
	snprintf(want, sizeof want, "config %s: unknown key \"ports.htp\"", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"server\": \"yes\"}");
	snprintf(want, sizeof want, "config %s: \"server\": expected a boolean", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"services\": [{\"name\": \"a\"}, \"b\"]}");
	snprintf(want, sizeof want, "config %s: \"services[1]\": expected an object", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"retry_join\": [\"a\", 7]}");
	snprintf(want, sizeof want, "config %s: \"retry_join[1]\": expected a string", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"retry_interval\": \"soon\"}");
	snprintf(want, sizeof want, "config %s: \"retry_interval\": invalid duration \"soon\"", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"dns_config\": {\"udp_answer_limit\": 1.5}}");
	snprintf(want, sizeof want, "config %s: \"dns_config.udp_answer_limit\": expected a whole number", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"performance\": {\"raft_multiplier\": 11}}");
	snprintf(want, sizeof want,
		 "config %s: \"performance.raft_multiplier\": cannot be 11: must be between 1 and 10", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "[1]");
	snprintf(want, sizeof want, "config %s: expected a JSON object", path);
	assert_load_error(want, "-dev", flag);

	write_file("web.json", "{\"node_name\": ");
	struct config cfg;
	assert_int_equal(load(&cfg, "-dev", flag, NULL), -1);
	snprintf(want, sizeof want, "config %s: invalid JSON: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_null(strchr(err, '\n'));

	snprintf(flag, sizeof flag, "-config-file=%s", tmp_path(1, "missing.json"));
	snprintf(want, sizeof want, "config %s: No such file or directory", tmp_path(1, "missing.json"));
	assert_load_error(want, "-dev", flag);

	snprintf(flag, sizeof flag, "-config-dir=%s", tmp_path(1, "missing.d"));
	snprintf(want, sizeof want, "config %s: No such file or directory", tmp_path(1, "missing.d"));
	assert_load_error(want, "-dev", flag);

	write_file("web.hcl", "node_name = \"x\"");
	snprintf(flag, sizeof flag, "-config-file=%s", tmp_path(1, "web.hcl"));
	snprintf(want, sizeof want, "config %s: HCL is not supported, only JSON configuration files",
		 tmp_path(1, "web.hcl"));
	assert_load_error(want, "-dev", flag);
}

static void test_merge_json_changes_nothing_on_error(void **state)
{
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	const char *good = "{\"node_name\": \"n1\", \"retry_join\": [\"a\"], \"node_name\": \"n2\"}";
	assert_int_equal(config_merge_json(&cfg, good, strlen(good), "mem", err, sizeof err), 0);
	assert_string_equal(cfg.node_name, "n2"); /* the last of repeated keys wins */
	const char *bad = "{\"node_name\": \"n3\", \"retry_join\": [\"b\"], \"ports\": {\"dns\": true}}";
	assert_int_equal(config_merge_json(&cfg, bad, strlen(bad), "mem", err, sizeof err), -1);
	assert_string_equal(err, "config mem: \"ports.dns\": expected a number");
	assert_string_equal(cfg.node_name, "n2");
	assert_int_equal(cfg.retry_join.n, 1);
	/* Keys and values from a file may hold control characters; the error stays one line. */
	const char *nl = "{\"a\\nb\": 1}";
	assert_int_equal(config_merge_json(&cfg, nl, strlen(nl), "mem", err, sizeof err), -1);
	assert_string_equal(err, "config mem: unknown key \"a?b\"");
	/* Not NUL-terminated: only len bytes are read. */
	const char buf[] = {'{', '}', 'x'};
	assert_int_equal(config_merge_json(&cfg, buf, 2, "mem", err, sizeof err), 0);
	config_free(&cfg);
}

static void test_node_id_persisted(void **state)
{
	struct config cfg;
	char first[64];
	assert_int_equal(load(&cfg, data_flag(), NULL), 0);
	assert_true(is_uuid(cfg.node_id));
	snprintf(first, sizeof first, "%s", cfg.node_id);
	config_free(&cfg);

	FILE *f = fopen(tmp_path(1, "data/node-id"), "r");
	assert_non_null(f);
	char stored[64] = "";
	assert_non_null(fgets(stored, sizeof stored, f));
	fclose(f);
	assert_string_equal(stored, first);

	assert_int_equal(load(&cfg, data_flag(), NULL), 0);
	assert_string_equal(cfg.node_id, first);
	config_free(&cfg);

	/* A configured node_id wins over the file and is not written. */
	assert_int_equal(load(&cfg, data_flag(), "-node-id=11111111-2222-3333-4444-555555555555", NULL), 0);
	assert_string_equal(cfg.node_id, "11111111-2222-3333-4444-555555555555");
	config_free(&cfg);
	assert_int_equal(load(&cfg, data_flag(), NULL), 0);
	assert_string_equal(cfg.node_id, first);
	config_free(&cfg);

	/* An existing file (as an operator may write it) is read, trimmed and lower-cased. */
	write_file("data/node-id", "  ADF4238A-882B-9DDC-4A9D-5B6758E4159E\n");
	assert_int_equal(load(&cfg, data_flag(), NULL), 0);
	assert_string_equal(cfg.node_id, "adf4238a-882b-9ddc-4a9d-5b6758e4159e");
	config_free(&cfg);

	write_file("data/node-id", "garbage");
	char want[700];
	snprintf(want, sizeof want, "node ID in %s is not a valid UUID", tmp_path(1, "data/node-id"));
	assert_load_error(want, data_flag());
}

/* Roles start together on a fresh data dir; all must end up with the same node id. */
static void test_node_id_race(void **state)
{
	enum { NPROC = 6 };
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < NPROC; i++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct config cfg;
			char line[40] = "";
			if (load(&cfg, data_flag(), NULL) == 0 && cfg.node_id != NULL)
				snprintf(line, sizeof line, "%s", cfg.node_id);
			if (write(fds[1], line, 37) != 37)
				_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	char ids[NPROC][37];
	for (int i = 0; i < NPROC; i++) {
		size_t got = 0;
		while (got < 37) {
			ssize_t n = read(fds[0], ids[i] + got, 37 - got);
			assert_true(n > 0);
			got += (size_t)n;
		}
		assert_true(is_uuid(ids[i]));
		assert_string_equal(ids[i], ids[0]);
	}
	close(fds[0]);
	for (int i = 0; i < NPROC; i++)
		wait(NULL);
}

static void test_usage(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	config_usage(out);
	fclose(out);
	assert_non_null(strstr(text, "  -bootstrap-expect=<value>"));
	assert_non_null(strstr(text, "  -dev "));
	assert_non_null(strstr(text, "  -retry-join=<value>"));
	assert_null(strstr(text, "-h "));
	free(text);
}

/* What was captured loads the same without the files: a role that may not read them after
 * dropping privileges reloads from the bundle the supervisor wrote. */
static void test_bundle_replays_files_and_dirs(void **state)
{
	make_dir("conf.d");
	write_file("conf.d/b.json", "{\"service\": {\"name\": \"b\", \"port\": 2}}");
	write_file("conf.d/a.json", "{\"node_name\": \"from-dir\", \"service\": {\"name\": \"a\", \"port\": 1}}");
	write_file("top.json", "{\"datacenter\": \"east\"}");
	char fdir[600], ffile[600];
	snprintf(fdir, sizeof fdir, "-config-dir=%s", tmp_path(1, "conf.d"));
	snprintf(ffile, sizeof ffile, "-config-file=%s", tmp_path(2, "top.json"));
	char *argv[] = {fdir, ffile, (char *)data_flag()};
	struct config live, replayed;
	struct buf bundle;
	buf_init(&bundle);
	assert_int_equal(config_load_capture(&live, 3, argv, &bundle, err, sizeof err), 0);
	assert_int_equal(remove(tmp_path(3, "conf.d/a.json")), 0);
	assert_int_equal(remove(tmp_path(3, "top.json")), 0);
	assert_int_equal(config_load_bundle(&replayed, 3, argv, bundle.data, bundle.len, err, sizeof err), 0);
	assert_string_equal(replayed.node_name, "from-dir");
	assert_string_equal(replayed.datacenter, "east");
	assert_int_equal(replayed.services.n, 2);
	assert_non_null(strstr(replayed.services.items[0].json, "\"a\""));  /* still in name order */
	assert_non_null(strstr(replayed.services.items[1].json, "\"b\""));
	config_free(&live);
	config_free(&replayed);
	/* a file the bundle never saw is named; a broken bundle is refused */
	char fother[600];
	snprintf(fother, sizeof fother, "-config-file=%s", tmp_path(4, "other.json"));
	char *argv2[] = {fother, (char *)data_flag()};
	assert_int_equal(config_load_bundle(&replayed, 2, argv2, bundle.data, bundle.len, err, sizeof err), -1);
	assert_non_null(strstr(err, "other.json"));
	assert_int_equal(config_load_bundle(&replayed, 2, argv2, "{", 1, err, sizeof err), -1);
	buf_free(&bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_on_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_merge_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_override_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_dir_lexical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_json_changes_nothing_on_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_id_persisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_id_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundle_replays_files_and_dirs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
