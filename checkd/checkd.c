/* checkd.c: consul-checkd, the libev shell around the agent's local state: serves the
 * check.sock ops, runs TTL deadlines, persists API registrations, and syncs the catalog. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/json.h"
#include "common/log.h"
#include "common/privdrop.h"
#include "common/rpc.h"
#include "common/server_link.h"
#include "common/rpc_ops.h"
#include "common/duration.h"
#include "file_defs.h"
#include "local_state.h"
#include "maint.h"
#include "persist.h"
#include "runner.h"
#include "service_def.h"
#include "members.h"
#include "sync.h"

/* Check state updates (TTL passes) are written at most this often; registrations at once. */
#define PERSIST_DELAY_S 1.0
/* Largest state file read back, a bound against a corrupt or hostile file. */
#define STATE_FILE_MAX_BYTES (64u << 20)

struct checkd {
	struct config cfg;
	struct ev_loop *loop;
	struct local_state *ls;
	struct sync *sync;
	struct rpc_server *server;
	struct rpc_client *raft;
	struct rpc_client *script; /* NULL unless script checks are enabled */
	struct rpc_client *gossip; /* the member count, for anti-entropy's scale */
	struct members_watch *members;
	struct runner *runner;
	struct def_ctx api_ctx;
	struct file_defs file_defs; /* the ids the configuration files define */
	ev_timer ttl_timer;
	ev_timer reap_timer;
	uint64_t deregister_min_ms;
	ev_timer persist_timer;
	ev_signal sigterm, sigint;
	char *state_path; /* NULL in -dev, or when the directory cannot be made */
	int argc;         /* main's, to re-read the configuration on CHECKD_RELOAD */
	char **argv;
	uint64_t persisted_index;
};

static uint64_t now_ms(struct checkd *d)
{
	return (uint64_t)(ev_now(d->loop) * 1000.0);
}

static void persist_now(struct checkd *d)
{
	ev_timer_stop(d->loop, &d->persist_timer);
	if (!d->state_path || d->persisted_index == d->ls->index)
		return;
	struct buf b;
	buf_init(&b);
	if (persist_render(d->ls, &b) == 0 && persist_write_file(d->state_path, &b) == 0)
		d->persisted_index = d->ls->index;
	buf_free(&b);
}

static void on_persist_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	persist_now(w->data);
}

static void arm_ttl_timer(struct checkd *d)
{
	ev_timer_stop(d->loop, &d->ttl_timer);
	uint64_t next = ls_next_deadline(d->ls);
	if (!next)
		return;
	uint64_t now = now_ms(d);
	double delay = next > now ? (double)(next - now) / 1000.0 : 0.;
	ev_timer_set(&d->ttl_timer, delay, 0.);
	ev_timer_start(d->loop, &d->ttl_timer);
}

/* After any change to the local state: sync it, re-arm TTLs, and persist (now for
 * registrations, which a caller must not lose once acknowledged; soon for check states). */
static void changed(struct checkd *d, bool persist_at_once)
{
	ls_track_critical(d->ls, now_ms(d));
	sync_changed(d->sync);
	if (d->runner)
		runner_states_changed(d->runner);
	arm_ttl_timer(d);
	if (persist_at_once)
		persist_now(d);
	else if (d->state_path && !ev_is_active(&d->persist_timer)) {
		ev_timer_set(&d->persist_timer, PERSIST_DELAY_S, 0.);
		ev_timer_start(d->loop, &d->persist_timer);
	}
}

/* Services or checks were added or removed: the runners follow, and it is persisted. */
static void registrations_changed(struct checkd *d)
{
	if (d->runner)
		runner_reconcile(d->runner);
	changed(d, true);
}

/* A runner's result, past the check's thresholds. Results are not persisted: like Consul,
 * a restarted agent finds them by running the checks again. */
static void on_result(void *arg, const char *check_id, const char *status, const char *output)
{
	struct checkd *d = arg;
	struct ls_check *c = ls_check_get(d->ls, check_id);
	char was[16];
	snprintf(was, sizeof was, "%s", c ? c->status : "");
	int rc = ls_check_set_result(d->ls, check_id, status, output);
	if (rc <= 0) {
		if (rc < 0 && rc != -ENOENT)
			log_warnx("check %s: cannot record its result: %s", check_id, strerror(-rc));
		return;
	}
	if (strcmp(was, status))
		log_info("check %s is now %s", check_id, status);
	ls_track_critical(d->ls, now_ms(d));
	sync_changed(d->sync);
	runner_states_changed(d->runner);
}

/* Consul's reapServices: a service whose check stayed critical past its
 * deregister_critical_service_after is deregistered. */
static void on_reap_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct checkd *d = w->data;
	struct ls_strs doomed = {0};
	ls_track_critical(d->ls, now_ms(d));
	if (ls_services_to_reap(d->ls, now_ms(d), d->deregister_min_ms, &doomed) < 0)
		log_warnx("reap: out of memory");
	for (size_t i = 0; i < doomed.n; i++) {
		if (ls_service_remove(d->ls, doomed.items[i]) == 0)
			log_info("service %s deregistered: its check stayed critical past deregister_critical_service_after",
				 doomed.items[i]);
	}
	if (doomed.n)
		registrations_changed(d);
	ls_strs_clear(&doomed);
}

static uint64_t env_duration_ms(const char *name, uint64_t fallback)
{
	const char *v = getenv(name);
	uint64_t ms;
	if (!v || !*v)
		return fallback;
	if (duration_parse_ms(v, &ms) < 0) {
		log_warnx("%s: invalid duration \"%s\"; using the default", name, v);
		return fallback;
	}
	return ms;
}

static void on_cluster_size(void *arg, size_t alive)
{
	struct checkd *d = arg;
	sync_set_cluster_size(d->sync, alive);
}

static void on_expired(void *arg, const struct ls_check *c)
{
	log_warnx("check %s missed its TTL, is now critical", c->def.id);
}

static void on_ttl_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct checkd *d = w->data;
	if (ls_ttl_expire(d->ls, now_ms(d), on_expired, d))
		changed(d, false);
	else
		arm_ttl_timer(d);
}

static bool kind_is_run(enum check_kind kind)
{
	return kind == CHECK_TTL || kind == CHECK_HTTP || kind == CHECK_TCP || kind == CHECK_SCRIPT || kind == CHECK_ALIAS;
}

/* UDP, gRPC, H2PING, Docker and OS service checks have no runner yet: such a check keeps its
 * initial status, and says so rather than pretend to pass. */
static void note_unrun_checks(struct checkd *d, const char *service_id)
{
	for (size_t i = 0; i < d->ls->nchecks; i++) {
		const struct ls_check *c = d->ls->checks[i];
		if (kind_is_run(c->def.kind) || c->def.kind == CHECK_MAINTENANCE)
			continue;
		if (service_id && (!c->def.service_id || strcmp(c->def.service_id, service_id)))
			continue;
		log_warnx("check %s: %s checks are not run yet; it stays %s", c->def.id, check_kind_name(c->def.kind),
			  c->status);
	}
}

static void reply_error(struct rpc_req *req, uint32_t status, const char *msg)
{
	rpc_reply_simple(req, status, 0, msg, strlen(msg));
}

static void reply_buf(struct checkd *d, struct rpc_req *req, struct buf *b)
{
	rpc_reply_simple(req, 200, d->ls->index, b->data ? b->data : "", b->len);
	buf_free(b);
}

static void reply_empty(struct checkd *d, struct rpc_req *req)
{
	rpc_reply_simple(req, 200, d->ls->index, NULL, 0);
}

/* The "id" argument of an op; NULL (and a 400 sent) when missing. */
static const char *arg_id(struct rpc_req *req, yajl_val args)
{
	const char *id = json_str(json_get(args, "id"));
	if (!id || !*id) {
		reply_error(req, 400, "missing \"id\"");
		return NULL;
	}
	return id;
}

static char *text_copy(const char *text, size_t len)
{
	char *s = malloc(len + 1);
	if (s) {
		memcpy(s, text, len);
		s[len] = '\0';
	}
	return s;
}

static void op_service_register(struct checkd *d, struct rpc_req *req, const char *text, size_t len)
{
	char err[512];
	struct service_def def;
	if (service_def_parse_json(text, len, &d->api_ctx, &def, err, sizeof err) < 0) {
		reply_error(req, 400, err);
		return;
	}
	char *json = text_copy(text, len);
	char id[256];
	snprintf(id, sizeof id, "%s", def.id);
	if (!json || ls_service_add(d->ls, &def, json, false, now_ms(d), err, sizeof err) < 0) {
		service_def_free(&def);
		free(json);
		reply_error(req, 500, "out of memory");
		return;
	}
	free(json);
	log_info("service %s registered", id);
	note_unrun_checks(d, id);
	registrations_changed(d);
	reply_empty(d, req);
}

static void op_check_register(struct checkd *d, struct rpc_req *req, const char *text, size_t len)
{
	char err[512];
	struct check_def def;
	if (check_def_parse_json(text, len, &d->api_ctx, &def, err, sizeof err) < 0) {
		reply_error(req, 400, err);
		return;
	}
	char *json = text_copy(text, len);
	char id[256];
	snprintf(id, sizeof id, "%s", def.id);
	int rc = json ? ls_check_add(d->ls, &def, json, now_ms(d), err, sizeof err) : -ENOMEM;
	free(json);
	if (rc < 0) {
		check_def_free(&def);
		reply_error(req, rc == -ENOENT ? 404 : 500, rc == -ENOMEM ? "out of memory" : err);
		return;
	}
	log_info("check %s registered", id);
	struct ls_check *c = ls_check_get(d->ls, id);
	if (c && !kind_is_run(c->def.kind))
		log_warnx("check %s: %s checks are not run yet; it stays %s", id, check_kind_name(c->def.kind),
			  c->status);
	registrations_changed(d);
	reply_empty(d, req);
}

static void op_check_update(struct checkd *d, struct rpc_req *req, yajl_val args)
{
	const char *id = arg_id(req, args);
	if (!id)
		return;
	const char *status = json_str(json_get(args, "status"));
	const char *output = json_str(json_get(args, "output"));
	char err[512];
	if (!ls_check_get(d->ls, id)) {
		snprintf(err, sizeof err, "Unknown check ID \"%.200s\". Ensure that the check ID is passed, not the check name.",
			 id);
		reply_error(req, 404, err);
		return;
	}
	if (!check_status_valid(status)) {
		snprintf(err, sizeof err, "Invalid check status: '%.32s'", status ? status : "");
		reply_error(req, 400, err);
		return;
	}
	int rc = ls_check_update_ttl(d->ls, id, status, output ? output : "", now_ms(d), err, sizeof err);
	if (rc < 0) {
		/* Consul answers a TTL update of another kind of check with a plain error: 500. */
		reply_error(req, rc == -ENOENT ? 404 : 500, err);
		return;
	}
	if (rc > 0)
		log_debug("check %s is now %s", id, status);
	changed(d, false);
	reply_empty(d, req);
}

/* Node maintenance (service_id NULL) or a service's: a critical "maintenance" check. */
static void op_maintenance(struct checkd *d, struct rpc_req *req, const char *service_id, yajl_val args)
{
	char err[512];
	yajl_val enable_v = json_get(args, "enable");
	bool enable = YAJL_IS_TRUE(enable_v);
	const char *reason = json_str(json_get(args, "reason"));
	int rc = enable ? maint_enable(d->ls, service_id, reason, now_ms(d), err, sizeof err)
			: maint_disable(d->ls, service_id, err, sizeof err);
	if (rc < 0) {
		reply_error(req, rc == -ENOENT ? 404 : 500, err);
		return;
	}
	if (rc > 0) {
		if (service_id)
			log_info("service %s: maintenance mode %s", service_id, enable ? "enabled" : "disabled");
		else
			log_info("node maintenance mode %s", enable ? "enabled" : "disabled");
		registrations_changed(d);
	}
	reply_empty(d, req);
}

static void op_reload(struct checkd *d, struct rpc_req *req);

static void handle(void *arg, struct rpc_req *req, unsigned op, const char *args_text, size_t len)
{
	struct checkd *d = arg;
	char err[512];
	struct buf b;
	buf_init(&b);

	/* Registration bodies are definitions, parsed with their own error messages. */
	if (op == RPC_AGENT_SERVICE_REGISTER) {
		op_service_register(d, req, args_text, len);
		return;
	}
	if (op == RPC_AGENT_CHECK_REGISTER) {
		op_check_register(d, req, args_text, len);
		return;
	}
	yajl_val args = json_parse(len ? args_text : "{}", len ? len : 2, err, sizeof err);
	if (!args) {
		log_warnx("request %s: %s", rpc_op_name(op), err);
		reply_error(req, 400, err);
		return;
	}
	const char *id;
	switch (op) {
	case RPC_AGENT_SERVICES:
		ls_render_services(d->ls, &b);
		reply_buf(d, req, &b);
		break;
	case RPC_AGENT_SERVICE:
		if (!(id = arg_id(req, args)))
			break;
		if (ls_render_service(d->ls, id, &b) < 0) {
			snprintf(err, sizeof err, "unknown service ID: %.200s", id);
			reply_error(req, 404, err);
			break;
		}
		reply_buf(d, req, &b);
		break;
	case RPC_AGENT_SERVICE_DEREGISTER:
		if (!(id = arg_id(req, args)))
			break;
		if (ls_service_remove(d->ls, id) < 0) {
			snprintf(err, sizeof err,
				 "Unknown service ID \"%.200s\". Ensure that the service ID is passed, not the service name.",
				 id);
			reply_error(req, 404, err);
			break;
		}
		log_info("service %s deregistered", id);
		registrations_changed(d);
		reply_empty(d, req);
		break;
	case RPC_AGENT_CHECKS:
		ls_render_checks(d->ls, &b);
		reply_buf(d, req, &b);
		break;
	case RPC_AGENT_CHECK_DEREGISTER:
		if (!(id = arg_id(req, args)))
			break;
		if (ls_check_remove(d->ls, id) < 0) {
			snprintf(err, sizeof err,
				 "Unknown check ID \"%.200s\". Ensure that the check ID is passed, not the check name.", id);
			reply_error(req, 404, err);
			break;
		}
		log_info("check %s deregistered", id);
		registrations_changed(d);
		reply_empty(d, req);
		break;
	case RPC_AGENT_CHECK_UPDATE:
		op_check_update(d, req, args);
		break;
	case RPC_AGENT_HEALTH_SERVICE: {
		const char *name = json_str(json_get(args, "name"));
		id = json_str(json_get(args, "id"));
		if (!name && !id) {
			reply_error(req, 400, "missing \"name\" or \"id\"");
			break;
		}
		if (ls_render_service_health(d->ls, id ? NULL : name, id, &b) < 0) {
			snprintf(err, sizeof err, "ServiceId %.200s not found", id);
			reply_error(req, 404, err);
			break;
		}
		reply_buf(d, req, &b);
		break;
	}
	case RPC_AGENT_MAINTENANCE:
		op_maintenance(d, req, NULL, args);
		break;
	case RPC_AGENT_SERVICE_MAINTENANCE:
		if ((id = arg_id(req, args)))
			op_maintenance(d, req, id, args);
		break;
	case RPC_CHECKD_RELOAD:
		op_reload(d, req);
		break;
	default:
		log_warnx("request for op %u (%s), which checkd does not serve", op, rpc_op_name(op));
		snprintf(err, sizeof err, "checkd does not serve op %s", rpc_op_name(op));
		reply_error(req, 400, err);
		break;
	}
	buf_free(&b);
	yajl_tree_free(args);
}

/* The definitions the configuration files hold now. Returns 0, or -1 with the error logged
 * and in err. */
static int apply_file_defs(struct checkd *d, const struct config *cfg, char *err, size_t err_len)
{
	struct file_defs_flags flags = {.enable_script_checks = cfg->enable_script_checks,
					.enable_local_script_checks = cfg->enable_local_script_checks};
	int n = file_defs_apply(d->ls, &d->file_defs, &cfg->services, &cfg->checks, &flags, now_ms(d), err,
				err_len);
	if (n < 0) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("loaded %d services and checks from the configuration", n);
	note_unrun_checks(d, NULL);
	return 0;
}

static void restore_state(struct checkd *d)
{
	if (d->cfg.dev || !d->cfg.data_dir)
		return;
	size_t len = strlen(d->cfg.data_dir) + 32;
	char *dir = malloc(len);
	if (!dir)
		fatalx("out of memory");
	snprintf(dir, len, "%s/checkd", d->cfg.data_dir);
	int rc = mkdir_p(dir, 0700);
	if (rc < 0) {
		errno = -rc;
		log_warn("state: cannot create %s; API registrations will not survive a restart", dir);
		free(dir);
		return;
	}
	d->state_path = malloc(len + 16);
	if (!d->state_path)
		fatalx("out of memory");
	snprintf(d->state_path, len + 16, "%s/state.json", dir);
	free(dir);

	int fd = open(d->state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("state: open %s", d->state_path);
		return;
	}
	struct stat st;
	struct buf b;
	buf_init(&b);
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= STATE_FILE_MAX_BYTES &&
	    buf_reserve(&b, (size_t)st.st_size + 1) == 0) {
		ssize_t n;
		while ((n = read(fd, b.data + b.len, b.cap - b.len - 1)) > 0)
			b.len += (size_t)n;
	}
	close(fd);
	char err[256];
	int n = b.len ? persist_restore(d->ls, b.data, b.len, &d->api_ctx, now_ms(d), err, sizeof err) : 0;
	if (n < 0)
		log_warnx("state: %s: %s; starting without it", d->state_path, err);
	else if (n > 0)
		log_info("state: restored %d entries from %s", n, d->state_path);
	buf_free(&b);
	d->persisted_index = d->ls->index;
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct checkd *d = w->data;
	persist_now(d);
	log_info("stopping on signal %d", w->signum);
	exit(0);
}

/* Script checks allowed now (a reload may turn them on): the API accepts them, and there is a
 * link to scriptd, which the supervisor starts. */
static void scripts_follow(struct checkd *d, const struct config *fresh)
{
	d->cfg.enable_script_checks = fresh->enable_script_checks;
	d->cfg.enable_local_script_checks = fresh->enable_local_script_checks;
	d->api_ctx.enable_script_checks = fresh->enable_script_checks;
	if (!d->script && (fresh->enable_script_checks || fresh->enable_local_script_checks)) {
		char *script_sock = config_run_path(&d->cfg, "script.sock");
		d->script = rpc_client_new(d->loop, script_sock, "scriptd");
		free(script_sock);
		runner_set_script(d->runner, d->script);
	}
}

/* SIGHUP or CHECKD_RELOAD (`consul reload`): the files' definitions are applied again; API
 * registrations stay. A definition that does not validate keeps everything as it was.
 * Returns 0, or -1 with the reason in err. */
static int reload_defs(struct checkd *d, const struct config *fresh, char *err, size_t err_len)
{
	if (apply_file_defs(d, fresh, err, err_len) < 0) {
		log_warnx("reload: keeping the previous service and check definitions");
		return -1;
	}
	scripts_follow(d, fresh);
	registrations_changed(d);
	return 0;
}

static void on_reload(void *arg, const struct config *fresh)
{
	char err[768];
	reload_defs(arg, fresh, err, sizeof err);
}

/* CHECKD_RELOAD: as SIGHUP, but the caller (the supervisor, for `consul reload`) learns why a
 * configuration was refused. */
static void op_reload(struct checkd *d, struct rpc_req *req)
{
	struct config fresh;
	char err[1024];
	if (role_config_reload(&d->cfg, d->argc, d->argv, &fresh, err, sizeof err) < 0) {
		log_error("reload: keeping the old configuration: %s", err);
		reply_error(req, 400, err);
		return;
	}
	log_set_level(fresh.log_level);
	int rc = reload_defs(d, &fresh, err, sizeof err);
	config_free(&fresh);
	if (rc < 0) {
		reply_error(req, 400, err);
		return;
	}
	log_info("reload: configuration reloaded");
	rpc_reply_simple(req, 200, d->ls->index, "", 0);
}

int main(int argc, char **argv)
{
	static struct checkd d;
	role_start("checkd", argc, argv, &d.cfg);
	d.loop = EV_DEFAULT;
	d.api_ctx.enable_script_checks = d.cfg.enable_script_checks;
	d.ls = ls_new(d.cfg.node_name, d.cfg.datacenter);
	if (!d.ls)
		fatalx("out of memory");
	d.argc = argc;
	d.argv = argv;
	/* At start, an invalid definition is fatal (the error names the file and the key). */
	char def_err[768];
	if (apply_file_defs(&d, &d.cfg, def_err, sizeof def_err) < 0)
		fatalx("invalid service or check definition in the configuration");

	d.server = role_serve(d.loop, &d.cfg, "check.sock", handle, &d);
	d.raft = server_link_new(d.loop, &d.cfg, "raftd");  /* a server's, on client agents */
	if (d.cfg.enable_script_checks || d.cfg.enable_local_script_checks) {
		char *script_sock = config_run_path(&d.cfg, "script.sock");
		d.script = rpc_client_new(d.loop, script_sock, "scriptd");
		free(script_sock);
	}

	priv_drop(d.cfg.user);

	restore_state(&d);
	/* Before the first full sync's stagger, so agents started together spread out. */
	srandom((unsigned)getpid() ^ (unsigned)(ev_time() * 1000.0));
	d.sync = sync_new(d.loop, d.raft, d.ls, &d.cfg);
	d.runner = runner_new(d.loop, d.ls, d.script, d.raft, on_result, &d);
	if (!d.sync || !d.runner)
		fatalx("out of memory");
	char *gossip_sock = config_run_path(&d.cfg, "gossip.sock");
	d.gossip = rpc_client_new(d.loop, gossip_sock, "gossipd");
	free(gossip_sock);
	if (!(d.members = members_watch_new(d.loop, d.gossip, on_cluster_size, &d)))
		fatalx("out of memory");
	ls_track_critical(d.ls, now_ms(&d));
	runner_reconcile(d.runner);
	/* The config keys check_deregister_interval_min and check_reap_interval; the older
	 * environment knobs still override them. */
	d.deregister_min_ms = env_duration_ms("CONSUL_CHECK_DEREGISTER_INTERVAL_MIN", d.cfg.check_deregister_interval_min_ms);
	double reap_s = (double)env_duration_ms("CONSUL_CHECK_REAP_INTERVAL", d.cfg.check_reap_interval_ms) / 1000.0;
	ev_timer_init(&d.reap_timer, on_reap_timer, reap_s, reap_s > 0 ? reap_s : 1.0);
	d.reap_timer.data = &d;
	ev_timer_start(d.loop, &d.reap_timer);

	ev_timer_init(&d.ttl_timer, on_ttl_timer, 0., 0.);
	d.ttl_timer.data = &d;
	ev_timer_init(&d.persist_timer, on_persist_timer, PERSIST_DELAY_S, 0.);
	d.persist_timer.data = &d;
	ev_signal_init(&d.sigterm, on_stop, SIGTERM);
	d.sigterm.data = &d;
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_init(&d.sigint, on_stop, SIGINT);
	d.sigint.data = &d;
	ev_signal_start(d.loop, &d.sigint);
	role_watch_reload(d.loop, &d.cfg, argc, argv, on_reload, &d);
	arm_ttl_timer(&d);
	log_info("serving on check.sock; node %s, %zu services, %zu checks", d.cfg.node_name, d.ls->nservices,
		 d.ls->nchecks);

	ev_run(d.loop, 0);
	fatalx("event loop returned");
}
