/* supervisor.c: `consul agent`, the parent of the role processes. One loop over the role
 * table starts, restarts and stops them. */
#include "supervisor.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "buf.h"
#include "daemon.h"
#include "fileio.h"
#include "log.h"
#include "privdrop.h"
#include "roles.h"
#include "rpc.h"
#include "rpc_ops.h"
#include "version.h"

#define MAX_ROLES 8
#define BACKOFF_FIRST_S 0.1
#define BACKOFF_MAX_S 30.0
/* A child that exits with an error this soon after its first start could not set itself up
 * (bad config, port in use): the agent as a whole has failed to start. */
#define STARTUP_GRACE_S 2.0
/* A child that ran this long before dying gets its backoff reset. */
#define HEALTHY_RUN_S 10.0
#define STOP_TIMEOUT_S 5.0
/* Consul's wait for a graceful leave after a stop signal before it exits anyway. */
#define GRACEFUL_LEAVE_TIMEOUT_S 15.0
/* `consul reload`s that arrive while one runs wait for the next, which answers them all. */
#define RELOAD_WAITERS 8

struct child {
	const struct role *role;
	char *binary;
	pid_t pid;
	ev_child watcher;
	ev_timer restart_timer;
	ev_tstamp started_at;
	double backoff_s;
	bool first_run;
	bool enabled; /* the configuration wants it (scriptd: script checks allowed) */
	bool restart_now; /* stopped on purpose to start again at once (its settings changed) */
	struct agent *agent;
};

/* The callers one reload answers (SIGHUP has none, but wants it all the same). */
struct reload_batch {
	struct rpc_req *reqs[RELOAD_WAITERS];
	size_t n;
	bool wanted;
};

struct agent {
	struct ev_loop *loop;
	pid_t pid; /* the supervisor's: a role forked after it died must not run */
	struct config cfg;
	int flag_argc;
	char **flag_argv; /* the agent's flags, plus -data-dir for -dev: what every child gets */
	char *dev_dir;
	struct child children[MAX_ROLES];
	size_t nchildren;
	bool stopping;
	bool leaving;   /* a stop signal asked gossipd to leave; the others serve until it has */
	int exit_code;
	ev_signal sigint, sigterm, sighup;
	ev_timer stop_timer, leave_timer;
	struct rpc_server *control;
	/* `consul reload` asks checkd to apply the new definitions first (CHECKD_RELOAD), so a
	 * definition that does not validate fails the reload with its reason. */
	struct rpc_client *checkd;
	bool reload_pending;
	int64_t reload_call;
	struct config reload_fresh;
	struct reload_batch reload_now, reload_next;
};

static void child_start(struct child *c);
static void reload_finish(struct agent *a, const char *reason);

static size_t children_running(const struct agent *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nchildren; i++)
		n += a->children[i].pid > 0;
	return n;
}

static struct child *child_by_name(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->nchildren; i++)
		if (strcmp(a->children[i].role->name, name) == 0)
			return &a->children[i];
	return NULL;
}

/* Stops every role: gossipd with gossip_signo, which decides whether it leaves (the stop
 * signal forwarded: it applies Consul's rule as the supervisor did; SIGTERM after a
 * `consul leave`, when it has left already; SIGKILL when the agent fails, which must look
 * like a crash to the cluster, never like a leave), the others with SIGTERM. */
static void agent_stop(struct agent *a, int exit_code, int gossip_signo)
{
	if (a->stopping)
		return;
	a->stopping = true;
	a->leaving = false;
	ev_timer_stop(a->loop, &a->leave_timer);
	a->exit_code = exit_code;
	/* checkd goes too: no reload will be asked of it, and its link closing is expected. */
	if (a->reload_pending) {
		rpc_cancel(a->checkd, a->reload_call);
		a->reload_pending = false;
		config_free(&a->reload_fresh);
		reload_finish(a, "the agent is shutting down");
	}
	rpc_client_free(a->checkd);
	a->checkd = NULL;
	log_info("shutting down: stopping %zu roles", children_running(a));
	for (size_t i = 0; i < a->nchildren; i++) {
		struct child *c = &a->children[i];
		ev_timer_stop(a->loop, &c->restart_timer);
		if (c->pid > 0)
			kill(c->pid, strcmp(c->role->name, "gossipd") == 0 ? gossip_signo : SIGTERM);
	}
	ev_timer_start(a->loop, &a->stop_timer);
	if (children_running(a) == 0)
		ev_break(a->loop, EVBREAK_ALL);
}

/* A graceful stop: gossipd leaves (it got the signal and applies the same rule) while the
 * other roles keep serving; the agent stops once it has left (gossip_left). */
static void agent_leave_then_stop(struct agent *a, int signo)
{
	struct child *g = child_by_name(a, "gossipd");
	if (!g || g->pid <= 0) {
		log_error("error on leave: the gossip role is not running");
		agent_stop(a, 1, SIGKILL);
		return;
	}
	log_info("Gracefully shutting down agent...");
	a->leaving = true;
	kill(g->pid, signo);
	ev_timer_start(a->loop, &a->leave_timer);
}

/* gossipd ended during a graceful stop: its status says whether the leave was made. */
static void gossip_left(struct agent *a, int wait_status)
{
	a->leaving = false;
	if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
		log_info("Graceful exit completed");
		agent_stop(a, 0, SIGTERM);
	} else {
		log_error("error on leave: the gossip role ended without leaving");
		agent_stop(a, 1, SIGKILL);
	}
}

static void leave_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	log_info("Timeout on graceful leave. Exiting");
	agent_stop(a, 1, SIGKILL);
}

static void stop_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = w->data;
	for (size_t i = 0; i < a->nchildren; i++) {
		struct child *c = &a->children[i];
		if (c->pid > 0) {
			log_warnx("%s did not stop in %.0f s: killing it", c->role->binary, STOP_TIMEOUT_S);
			kill(c->pid, SIGKILL);
		}
	}
}

static void describe_exit(int status, char *out, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, len, "exited with code %d", WEXITSTATUS(status));
}

static void child_exit_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child *c = w->data;
	struct agent *a = c->agent;
	ev_child_stop(loop, w);
	char how[96];
	describe_exit(w->rstatus, how, sizeof how);
	c->pid = 0;
	if (a->leaving && strcmp(c->role->name, "gossipd") == 0) {
		gossip_left(a, w->rstatus);
		return;
	}
	if (a->stopping) {
		log_debug("%s stopped (%s)", c->role->binary, how);
		if (children_running(a) == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (!c->enabled) {
		log_info("%s stopped (%s): the configuration no longer needs it", c->role->binary, how);
		return;
	}
	if (c->restart_now) {
		c->restart_now = false;
		child_start(c);
		return;
	}
	double ran_s = ev_now(loop) - c->started_at;
	if (c->first_run && ran_s < STARTUP_GRACE_S && WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) != 0) {
		log_error("%s failed to start (%s); its reason is logged above", c->role->binary, how);
		agent_stop(a, 1, SIGKILL);
		return;
	}
	if (WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) == 0) {
		/* A role that ends on its own with success has nothing to do (ports.dns = -1). */
		log_info("%s exited cleanly; not restarting it", c->role->binary);
		return;
	}
	if (ran_s >= HEALTHY_RUN_S)
		c->backoff_s = BACKOFF_FIRST_S;
	log_warnx("%s %s after %.1f s; restarting it in %.1f s", c->role->binary, how, ran_s, c->backoff_s);
	ev_timer_set(&c->restart_timer, c->backoff_s, 0);
	ev_timer_start(loop, &c->restart_timer);
	c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : c->backoff_s * 2;
}

static void restart_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct child *c = w->data;
	c->first_run = false;
	child_start(c);
}

/* Runs in the forked child: becomes the role binary, or exits 127. */
static void child_exec(struct child *c)
{
	struct agent *a = c->agent;
	/* Its own process group, so a terminal's ^C reaches only the supervisor, which then
	 * stops the roles in order. And death with the supervisor, at once and by SIGKILL: a
	 * crashed agent must look failed to the cluster, never left, and free its ports for the
	 * next start (a SIGTERM would make a client's gossipd leave first). */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != a->pid)
		_exit(127); /* the supervisor died before the line above */
	/* The supervisor's handlers came along with the fork: a SIGTERM sent to this pid before
	 * the exec would be caught by them and lost, leaving a role that never stops. Signals are
	 * blocked across the fork (child_start); back to the defaults, a pending one acts now.
	 * SIGHUP stays ignored, as every role ignores it until it watches for reloads. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	char **argv = calloc((size_t)a->flag_argc + 2, sizeof *argv);
	if (!argv)
		_exit(127);
	argv[0] = c->binary;
	/* script_user reaches scriptd as the variable it reads (which, set by hand, still wins) */
	if (a->cfg.script_user && strcmp(c->role->name, "scriptd") == 0)
		setenv("CONSUL_SCRIPT_USER", a->cfg.script_user, 0);
	for (int i = 0; i < a->flag_argc; i++)
		argv[i + 1] = a->flag_argv[i];
	execvp(c->binary, argv);
	fprintf(stderr, "consul: exec %s: %s\n", c->binary, strerror(errno));
	_exit(127);
}

static void child_start(struct child *c)
{
	struct agent *a = c->agent;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(c);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warn("fork for %s", c->role->binary);
		ev_timer_set(&c->restart_timer, c->backoff_s, 0);
		ev_timer_start(a->loop, &c->restart_timer);
		return;
	}
	c->pid = pid;
	c->started_at = ev_now(a->loop);
	ev_child_set(&c->watcher, pid, 0);
	ev_child_start(a->loop, &c->watcher);
	log_debug("started %s (pid %d)", c->role->binary, (int)pid);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static bool role_wanted(const struct role *r, const struct config *cfg)
{
	return !r->wanted || r->wanted(cfg);
}

/* The table against the configuration: starts the roles it now wants (a reload that allows
 * script checks starts scriptd) and stops those it no longer does. */
static void roles_follow(struct agent *a)
{
	for (size_t i = 0; i < a->nchildren; i++) {
		struct child *c = &a->children[i];
		bool want = role_wanted(c->role, &a->cfg);
		if (want && !c->enabled) {
			c->enabled = true;
			c->first_run = false; /* a failure restarts it with backoff, not end the agent */
			c->backoff_s = BACKOFF_FIRST_S;
			if (c->pid <= 0) {
				log_info("starting %s: the configuration now needs it", c->role->binary);
				child_start(c);
			}
		} else if (!want && c->enabled) {
			c->enabled = false;
			c->restart_now = false;
			ev_timer_stop(a->loop, &c->restart_timer);
			if (c->pid > 0)
				kill(c->pid, SIGTERM);
		}
	}
}

/* Adopts a configuration that loaded (and that checkd accepted, when it was asked): every
 * role re-reads it on SIGHUP, but checkd when it has already applied it (checkd_applied). */
static void reload_commit(struct agent *a, struct config *fresh, bool checkd_applied)
{
	const char *old_user = a->cfg.script_user, *new_user = fresh->script_user;
	bool script_user_changed = (old_user || new_user) && (!old_user || !new_user || strcmp(old_user, new_user));
	config_free(&a->cfg);
	a->cfg = *fresh;
	memset(fresh, 0, sizeof *fresh);
	log_set_level(a->cfg.log_level);
	for (size_t i = 0; i < a->nchildren; i++) {
		struct child *c = &a->children[i];
		if (c->pid > 0 && c->enabled && !(checkd_applied && strcmp(c->role->name, "checkd") == 0))
			kill(c->pid, SIGHUP);
	}
	/* scriptd learns its user when it starts: a new script_user takes a restart. */
	for (size_t i = 0; i < a->nchildren && script_user_changed; i++) {
		struct child *c = &a->children[i];
		if (strcmp(c->role->name, "scriptd") == 0 && c->enabled && c->pid > 0) {
			log_info("restarting %s: script_user changed", c->role->binary);
			c->restart_now = true;
			kill(c->pid, SIGTERM);
		}
	}
	/* After the signals: a role started now reads the new files itself, and a SIGHUP before
	 * it ignores the signal would end it. */
	roles_follow(a);
	log_info("configuration reloaded");
}

static void reload_answer(struct rpc_req *req, const char *reason)
{
	if (!req)
		return;
	if (!reason) {
		rpc_reply_simple(req, 200, 1, "", 0);
		return;
	}
	/* Consul's /v1/agent/reload answers a configuration that does not load with a 500. */
	char msg[1100];
	int n = snprintf(msg, sizeof msg, "Failed reloading: %s", reason);
	rpc_reply_simple(req, 500, 1, msg, n < (int)sizeof msg ? (size_t)n : sizeof msg - 1);
}

static void reload_start(struct agent *a);

/* The running reload ended (reason NULL: done): its callers get the answer, and the reloads
 * asked for meanwhile run now, as one. */
static void reload_finish(struct agent *a, const char *reason)
{
	for (size_t i = 0; i < a->reload_now.n; i++)
		reload_answer(a->reload_now.reqs[i], reason);
	a->reload_now = a->reload_next;
	memset(&a->reload_next, 0, sizeof a->reload_next);
	if (!a->reload_now.wanted)
		return;
	if (a->stopping) {
		for (size_t i = 0; i < a->reload_now.n; i++)
			reload_answer(a->reload_now.reqs[i], "the agent is shutting down");
		memset(&a->reload_now, 0, sizeof a->reload_now);
		return;
	}
	reload_start(a);
}

static void on_checkd_reload(void *arg, const struct rpc_reply *reply)
{
	struct agent *a = arg;
	a->reload_pending = false;
	if (a->stopping) {
		config_free(&a->reload_fresh);
		reload_finish(a, "the agent is shutting down");
		return;
	}
	if (reply->status == 400) {
		char reason[1024];
		snprintf(reason, sizeof reason, "%.*s", (int)reply->body_len, reply->body ? reply->body : "");
		log_error("failed to reload configuration, keeping the old one: %s", reason);
		config_free(&a->reload_fresh);
		reload_finish(a, reason);
		return;
	}
	/* Applied (200), or checkd could not be asked (503: it restarts and reads the files). */
	reload_commit(a, &a->reload_fresh, reply->status == 200);
	reload_finish(a, NULL);
}

/* What the supervisor read as root, for the roles: they may no longer read the operator's
 * files after dropping privileges (role_config_reload). */
static int write_bundle(struct agent *a, const struct buf *bundle, char *err, size_t err_len)
{
	char *path = config_run_path(&a->cfg, CONFIG_BUNDLE_NAME);
	int rc = file_write_atomic(path, bundle->data, bundle->len);
	uid_t uid;
	gid_t gid;
	if (rc == 0 && geteuid() == 0 && priv_target(a->cfg.user, &uid, &gid) == 0 && chown(path, uid, gid) < 0)
		rc = -errno;
	if (rc < 0)
		snprintf(err, err_len, "%s: %s", path, strerror(-rc));
	free(path);
	return rc;
}

/* Runs the reload for reload_now: the flags and files again; checkd applies the definitions
 * first, and the answer waits for it. */
static void reload_start(struct agent *a)
{
	char err[1024];
	struct config fresh;
	log_info("reloading configuration");
	struct buf bundle;
	buf_init(&bundle);
	int rc = config_load_capture(&fresh, a->flag_argc, a->flag_argv, &bundle, err, sizeof err);
	if (rc == 0)
		rc = write_bundle(a, &bundle, err, sizeof err);
	buf_free(&bundle);
	if (rc < 0) {
		log_error("failed to reload configuration, keeping the old one: %s", err);
		reload_finish(a, err);
		return;
	}
	bool ask_checkd = false;
	for (size_t i = 0; i < a->nchildren; i++)
		if (strcmp(a->children[i].role->name, "checkd") == 0 && a->children[i].pid > 0)
			ask_checkd = rpc_client_connected(a->checkd);
	if (ask_checkd) {
		a->reload_fresh = fresh;
		a->reload_pending = true;
		if ((a->reload_call = rpc_call(a->checkd, RPC_CHECKD_RELOAD, "{}", 2, on_checkd_reload, a)) > 0)
			return;
		a->reload_pending = false;
		fresh = a->reload_fresh;
		memset(&a->reload_fresh, 0, sizeof a->reload_fresh);
	}
	reload_commit(a, &fresh, false);
	reload_finish(a, NULL);
}

/* A reload: SIGHUP (req NULL) or `consul reload` (answered once it is done). */
static void agent_reload(struct agent *a, struct rpc_req *req)
{
	if (a->stopping) {
		reload_answer(req, "the agent is shutting down");
		return;
	}
	struct reload_batch *b = a->reload_pending ? &a->reload_next : &a->reload_now;
	if (req && b->n == RELOAD_WAITERS) {
		reload_answer(req, "too many reloads waiting");
		return;
	}
	if (req)
		b->reqs[b->n++] = req;
	b->wanted = true;
	if (!a->reload_pending)
		reload_start(a);
}

/* The operator-facing lines below are Consul's words (scripts grep them), with Go's names. */
static const char *go_signal_name(int signo)
{
	return signo == SIGINT ? "interrupt" : signo == SIGTERM ? "terminated" : strsignal(signo);
}

/* SIGINT and SIGTERM, as Consul's agent command handles them: leave first when the rule for
 * that signal says so (exit 0 once left), else exit 1 at once; a second signal during the
 * leave exits 1 at once. */
static void stop_signal(struct agent *a, int signo)
{
	if (a->leaving) {
		log_info("Caught second signal, Exiting: signal=%s", go_signal_name(signo));
		agent_stop(a, 1, signo); /* gossipd, leaving, ends at once on a second signal */
		return;
	}
	if (a->stopping)
		return;
	log_info("Caught: signal=%s", go_signal_name(signo));
	if (!config_leaves_on_signal(&a->cfg, signo)) {
		log_info("Graceful shutdown disabled. Exiting");
		agent_stop(a, 1, signo);
		return;
	}
	agent_leave_then_stop(a, signo);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *a = w->data;
	if (w->signum == SIGHUP)
		agent_reload(a, NULL);
	else
		stop_signal(a, w->signum);
}

static void control_cb(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct agent *a = arg;
	switch (op) {
	case RPC_CONTROL_RELOAD:
		agent_reload(a, req);
		break;
	case RPC_CONTROL_SHUTDOWN:
		/* After `consul leave`: gossipd has left, and a SIGTERM now just ends it. */
		rpc_reply_simple(req, 200, 1, "", 0);
		agent_stop(a, 0, SIGTERM);
		break;
	default:
		rpc_reply_simple(req, 400, 1, "unknown request", 15);
	}
}

static void print_banner(const struct config *cfg)
{
	printf("==> Starting Consul agent...\n"
	       "               Version: '%s'\n"
	       "               Node ID: '%s'\n"
	       "             Node name: '%s'\n"
	       "            Datacenter: '%s' (Segment: '%s')\n"
	       "                Server: %s (Bootstrap: %s)\n"
	       "           Client Addr: [%s] (HTTP: %d, HTTPS: %d, DNS: %d)\n"
	       "          Cluster Addr: %s (LAN: %d, WAN: %d)\n"
	       "\n==> Log data will now stream in as it occurs:\n\n",
	       CONSUL_VERSION, cfg->node_id ? cfg->node_id : "", cfg->node_name, cfg->datacenter,
	       cfg->server ? "<all>" : "", cfg->server ? "true" : "false",
	       cfg->bootstrap || cfg->bootstrap_expect == 1 ? "true" : "false", cfg->client_addr, cfg->port_http,
	       cfg->port_https, cfg->port_dns, cfg->advertise_addr, cfg->port_serf_lan, cfg->port_serf_wan);
	fflush(stdout);
}

static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f) == 0 ? 0 : -errno;
}

/* Builds the children's flags: ours, plus the run's data dir under -dev. */
static int child_flags(struct agent *a, int argc, char **argv)
{
	a->flag_argv = calloc((size_t)argc + 2, sizeof *a->flag_argv);
	if (!a->flag_argv)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		a->flag_argv[i] = argv[i];
	a->flag_argc = argc;
	if (a->dev_dir && asprintf(&a->flag_argv[a->flag_argc++], "-data-dir=%s", a->dev_dir) < 0)
		return -ENOMEM;
	return 0;
}

static int agent_setup(struct agent *a, int argc, char **argv)
{
	char err[1024];
	int rc = config_load(&a->cfg, argc, argv, err, sizeof err);
	if (rc == -2) {
		printf("Usage: consul agent [options]\n\n  Starts the Consul agent and runs until an interrupt is received.\n\n");
		config_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "consul: %s\n", err);
		return 1;
	}
	if (a->cfg.dev && !a->cfg.data_dir) {
		char tmpl[] = "/tmp/consul-dev-XXXXXX";
		if (!mkdtemp(tmpl)) {
			fprintf(stderr, "consul: cannot create a data directory for -dev: %s\n", strerror(errno));
			return 1;
		}
		a->dev_dir = strdup(tmpl);
	}
	if (child_flags(a, argc, argv) < 0)
		return 1;
	if (a->dev_dir) {
		/* Reload with the data dir so the node id is created once, here, before the roles. */
		config_free(&a->cfg);
		if (config_load(&a->cfg, a->flag_argc, a->flag_argv, err, sizeof err) < 0) {
			fprintf(stderr, "consul: %s\n", err);
			return 1;
		}
	}
	uid_t uid;
	gid_t gid;
	if (geteuid() == 0)
		priv_target(a->cfg.user, &uid, &gid); /* a named user that does not exist ends it here */
	rc = mkdir_p(a->cfg.data_dir, 0700);
	if (rc < 0) {
		fprintf(stderr, "consul: cannot create data directory %s: %s\n", a->cfg.data_dir, strerror(-rc));
		return 1;
	}
	if (a->cfg.pid_file && (rc = write_pid_file(a->cfg.pid_file)) < 0) {
		fprintf(stderr, "consul: cannot write pid file %s: %s\n", a->cfg.pid_file, strerror(-rc));
		return 1;
	}
	return -1; /* go on */
}

static void agent_cleanup(struct agent *a)
{
	if (a->checkd)
		rpc_client_free(a->checkd);
	config_free(&a->reload_fresh);
	rpc_server_free(a->control);
	if (a->cfg.pid_file)
		unlink(a->cfg.pid_file);
	if (a->dev_dir)
		nftw(a->dev_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < a->nchildren; i++)
		free(a->children[i].binary);
	if (a->dev_dir)
		free(a->flag_argv[a->flag_argc - 1]);
	free(a->flag_argv);
	free(a->dev_dir);
	config_free(&a->cfg);
}

int agent_main(int argc, char **argv)
{
	static struct agent a;
	log_init("agent", LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	int rc = agent_setup(&a, argc - 1, argv + 1);
	if (rc >= 0)
		return rc;
	log_set_level(a.cfg.log_level);
	a.loop = ev_default_loop(0);
	print_banner(&a.cfg);

	ev_signal_init(&a.sigint, signal_cb, SIGINT);
	ev_signal_init(&a.sigterm, signal_cb, SIGTERM);
	ev_signal_init(&a.sighup, signal_cb, SIGHUP);
	a.sigint.data = a.sigterm.data = a.sighup.data = &a;
	ev_signal_start(a.loop, &a.sigint);
	ev_signal_start(a.loop, &a.sigterm);
	ev_signal_start(a.loop, &a.sighup);
	ev_timer_init(&a.stop_timer, stop_timeout_cb, STOP_TIMEOUT_S, 0);
	ev_timer_init(&a.leave_timer, leave_timeout_cb, GRACEFUL_LEAVE_TIMEOUT_S, 0);
	a.stop_timer.data = a.leave_timer.data = &a;
	a.pid = getpid();

	char *run_dir = config_run_path(&a.cfg, "");
	int rc_run = mkdir_p(run_dir, 0700);
	if (rc_run < 0) {
		fprintf(stderr, "consul: cannot create %s: %s\n", run_dir, strerror(-rc_run));
		free(run_dir);
		agent_cleanup(&a);
		return 1;
	}
	free(run_dir);
	/* httpd, having dropped root, must still reach it for `consul reload` and leave. */
	a.control = role_serve(a.loop, &a.cfg, "control.sock", control_cb, &a);
	char *check_sock = config_run_path(&a.cfg, "check.sock");
	a.checkd = rpc_client_new(a.loop, check_sock, "checkd");
	free(check_sock);

	for (size_t i = 0; i < agent_nroles && a.nchildren < MAX_ROLES; i++) {
		const struct role *r = &agent_roles[i];
		if (r->servers_only && !a.cfg.server)
			continue;
		/* Roles the configuration does not want yet stay in the table: a reload may start them. */
		struct child *c = &a.children[a.nchildren++];
		*c = (struct child){.role = r, .binary = role_binary_path(r), .backoff_s = BACKOFF_FIRST_S,
				    .first_run = true, .enabled = role_wanted(r, &a.cfg), .agent = &a};
		ev_init(&c->watcher, child_exit_cb);
		ev_init(&c->restart_timer, restart_cb);
		c->watcher.data = c->restart_timer.data = c;
	}
	size_t started = 0;
	for (size_t i = 0; i < a.nchildren; i++) {
		if (a.children[i].enabled) {
			child_start(&a.children[i]);
			started++;
		}
	}
	log_info("started %zu roles as %s", started, a.cfg.server ? "a server" : "a client");

	ev_run(a.loop, 0);
	rc = a.exit_code;
	log_info("agent stopped");
	agent_cleanup(&a);
	return rc;
}
