/* scriptd.c: consul-scriptd, the helper that runs script checks so that checkd never forks
 * user commands. Serves data_dir/run/script.sock (SCRIPT_RUN). Each script runs in its own
 * process group, with no inherited descriptors, stdin on /dev/null, stdout and stderr
 * captured (the last output_max bytes), as an unprivileged user when the agent runs as root
 * ($CONSUL_SCRIPT_USER, else the script_user key, else "consul-script" if it exists, else "nobody"; never root), and
 * its whole group is killed with SIGKILL at its timeout.
 *
 * Privileges: like every role, scriptd drops to the daemon user once script.sock is bound.
 * When scripts run as another user, it keeps exactly CAP_SETUID, CAP_SETGID (to switch a
 * child to that user) and CAP_KILL (to kill that user's process group), and nothing else,
 * not even in its bounding set; children exec with no capabilities at all. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/privdrop.h"
#include "common/rpc.h"
#include "common/rpc_ops.h"
#include "script_job.h"

#define READ_CHUNK 4096

struct scriptd {
	struct config cfg;
	struct ev_loop *loop;
	struct rpc_server *server;
	bool switch_user; /* children change to script_uid/gid before exec */
	uid_t script_uid;
	gid_t script_gid;
	bool can_run;     /* false when root and no unprivileged user exists */
	ev_signal sigterm, sigint;
	size_t running;
	struct job *jobs; /* running, to kill their groups when scriptd stops */
};

struct job {
	struct scriptd *d;
	struct rpc_req *req;
	struct script_req sreq;
	pid_t pid;
	int out_fd;
	ev_child child;
	ev_io io;
	ev_timer timeout;
	struct buf kept;
	uint64_t total;
	bool exited;
	bool eof;
	bool replied;
	int wait_status;
	struct job *prev, *next;
};

/* --- the child: runs between fork and exec, so only async-signal-safe calls --- */

static void child_fail(const char *what, const char *arg)
{
	/* Go's wording when a command cannot start: `fork/exec <path>: <reason>`. */
	const char *why = strerror(errno);
	if (write(2, what, strlen(what)) < 0 || write(2, arg, strlen(arg)) < 0 || write(2, ": ", 2) < 0 ||
	    write(2, why, strlen(why)) < 0)
		_exit(127);
	_exit(127);
}

static void drop_all_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct none[2];
	memset(none, 0, sizeof none);
	syscall(SYS_capset, &h, none);
}

static void child_exec(struct scriptd *d, struct job *j, int pipe_w)
{
	/* Its own process group, so the timeout can kill everything it started. */
	setpgid(0, 0);
	/* role_start ignores SIGPIPE and SIGHUP; an exec'd script must get the defaults. */
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(pipe_w, 1) < 0 || dup2(pipe_w, 2) < 0)
		_exit(127);
	/* No inherited descriptors: the sockets and files of scriptd stay with it. */
	if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	if (d->switch_user) {
		if (setgroups(1, &d->script_gid) < 0 || setresgid(d->script_gid, d->script_gid, d->script_gid) < 0 ||
		    setresuid(d->script_uid, d->script_uid, d->script_uid) < 0)
			child_fail("switching to the script user: ", "");
		drop_all_caps();
	}
	if (geteuid() == 0)
		child_fail("refusing to run a script as root: ", j->sreq.argv[0]);
	execvp(j->sreq.argv[0], j->sreq.argv);
	child_fail("fork/exec ", j->sreq.argv[0]);
}

/* --- the parent --- */

static void job_free(struct job *j)
{
	struct ev_loop *loop = j->d->loop;
	ev_io_stop(loop, &j->io);
	ev_timer_stop(loop, &j->timeout);
	ev_child_stop(loop, &j->child);
	if (j->out_fd >= 0)
		close(j->out_fd);
	buf_free(&j->kept);
	script_req_free(&j->sreq);
	j->d->running--;
	if (j->prev)
		j->prev->next = j->next;
	else
		j->d->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
	free(j);
}

static void job_reply(struct job *j, bool timed_out)
{
	if (j->replied)
		return;
	j->replied = true;
	struct buf body;
	buf_init(&body);
	script_reply_render(&body, &j->sreq, j->wait_status, timed_out, j->kept.data, j->kept.len, j->total);
	rpc_reply_simple(j->req, 200, 1, body.data ? body.data : "", body.len);
	j->req = NULL;
	buf_free(&body);
}

/* Done when the script has exited and its output is closed (every process holding it gone),
 * as Go's cmd.Wait is; or when it was timed out and has been reaped. */
static void job_maybe_done(struct job *j)
{
	if (j->exited && (j->eof || j->replied)) {
		job_reply(j, false);
		job_free(j);
	}
}

static void on_output(struct ev_loop *loop, ev_io *w, int revents)
{
	struct job *j = w->data;
	char chunk[READ_CHUNK];
	for (;;) {
		ssize_t n = read(j->out_fd, chunk, sizeof chunk);
		if (n > 0) {
			j->total += (uint64_t)n;
			if (buf_append_tail(&j->kept, chunk, (size_t)n, j->sreq.output_max) < 0)
				log_warnx("script output: out of memory");
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* EOF, or an error that ends the stream all the same. */
		ev_io_stop(loop, w);
		close(j->out_fd);
		j->out_fd = -1;
		j->eof = true;
		job_maybe_done(j);
		return;
	}
}

static void on_exit_status(struct ev_loop *loop, ev_child *w, int revents)
{
	struct job *j = w->data;
	ev_child_stop(loop, w);
	j->exited = true;
	j->wait_status = w->rstatus;
	/* Whatever is already in the pipe belongs to the result. */
	if (!j->eof)
		on_output(loop, &j->io, EV_READ);
	else
		job_maybe_done(j);
}

static void kill_group(struct job *j)
{
	if (j->pid > 0 && kill(-j->pid, SIGKILL) < 0 && errno != ESRCH)
		log_warn("kill the process group of %s (pid %d)", j->sreq.argv[0], (int)j->pid);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct job *j = w->data;
	log_warnx("script %s (pid %d) timed out; killing its process group", j->sreq.argv[0], (int)j->pid);
	kill_group(j);
	/* Read what it wrote so far, then answer now; the job ends once the script is reaped. */
	if (!j->eof)
		on_output(loop, &j->io, EV_READ);
	job_reply(j, true);
	if (j->out_fd >= 0) {
		ev_io_stop(loop, &j->io);
		close(j->out_fd);
		j->out_fd = -1;
		j->eof = true;
	}
	job_maybe_done(j);
}

/* checkd went away (restart): nobody waits for this script any more. */
static void on_abandon(void *arg, struct rpc_req *req)
{
	struct job *j = arg;
	kill_group(j);
}

static void run_job(struct scriptd *d, struct rpc_req *req, const char *text, size_t len)
{
	char err[256];
	struct job *j = calloc(1, sizeof *j);
	if (!j) {
		rpc_reply_simple(req, 500, 1, "out of memory", 13);
		return;
	}
	if (script_req_parse(text, len, &j->sreq, err, sizeof err) < 0) {
		log_warnx("bad SCRIPT_RUN request: %s", err);
		rpc_reply_simple(req, 400, 1, err, strlen(err));
		free(j);
		return;
	}
	if (!d->can_run) {
		const char *msg = "no unprivileged user to run scripts as (set CONSUL_SCRIPT_USER)";
		rpc_reply_simple(req, 500, 1, msg, strlen(msg));
		script_req_free(&j->sreq);
		free(j);
		return;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, sizeof err, "pipe: %s", strerror(errno));
		rpc_reply_simple(req, 500, 1, err, strlen(err));
		script_req_free(&j->sreq);
		free(j);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_exec(d, j, fds[1]);
	}
	close(fds[1]);
	if (pid < 0) {
		snprintf(err, sizeof err, "fork: %s", strerror(errno));
		close(fds[0]);
		rpc_reply_simple(req, 500, 1, err, strlen(err));
		script_req_free(&j->sreq);
		free(j);
		return;
	}
	/* Also from here, so a kill at the timeout cannot race the child's own setpgid. */
	setpgid(pid, pid);
	d->running++;
	j->next = d->jobs;
	if (d->jobs)
		d->jobs->prev = j;
	d->jobs = j;
	j->d = d;
	j->req = req;
	j->pid = pid;
	j->out_fd = fds[0];
	buf_init(&j->kept);
	fcntl(j->out_fd, F_SETFL, fcntl(j->out_fd, F_GETFL) | O_NONBLOCK);
	ev_child_init(&j->child, on_exit_status, pid, 0);
	ev_io_init(&j->io, on_output, j->out_fd, EV_READ);
	ev_timer_init(&j->timeout, on_timeout, (double)j->sreq.timeout_ms / 1000.0, 0.);
	j->child.data = j->io.data = j->timeout.data = j;
	ev_child_start(d->loop, &j->child);
	ev_io_start(d->loop, &j->io);
	ev_timer_start(d->loop, &j->timeout);
	rpc_req_on_abandon(req, on_abandon, j);
	log_debug("running %s (pid %d, timeout %llu ms)", j->sreq.argv[0], (int)pid,
		  (unsigned long long)j->sreq.timeout_ms);
}

static void handle(void *arg, struct rpc_req *req, unsigned op, const char *args, size_t len)
{
	struct scriptd *d = arg;
	if (op != RPC_SCRIPT_RUN) {
		char msg[96];
		snprintf(msg, sizeof msg, "scriptd does not serve op %s", rpc_op_name(op));
		log_warnx("%s", msg);
		rpc_reply_simple(req, 400, 1, msg, strlen(msg));
		return;
	}
	run_job(d, req, args, len);
}

/* --- privileges --- */

/* The user scripts run as: $CONSUL_SCRIPT_USER, else the script_user key, else the defaults. */
static int script_user_lookup(const char *configured, uid_t *uid, gid_t *gid, const char **name)
{
	const char *env = getenv("CONSUL_SCRIPT_USER");
	const char *chosen = env && *env ? env : configured;
	if (chosen && *chosen) {
		*name = chosen;
		if (priv_lookup(chosen, uid, gid) < 0)
			fatalx("%s: user \"%s\" does not exist in /etc/passwd", env && *env ? "CONSUL_SCRIPT_USER" : "script_user",
			       chosen);
		return 0;
	}
	static const char *const defaults[] = {"consul-script", "nobody"};
	for (size_t i = 0; i < 2; i++) {
		*name = defaults[i];
		if (priv_lookup(defaults[i], uid, gid) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Leaves root like priv_drop(), keeping only what switching children to another user takes. */
static void drop_keeping_setuid(uid_t uid, gid_t gid)
{
	static const int keep[] = {CAP_SETUID, CAP_SETGID, CAP_KILL};
	uint32_t mask = 0;
	for (size_t i = 0; i < 3; i++)
		mask |= 1u << keep[i];
	/* The bounding set first (that needs CAP_SETPCAP, which root still has). */
	for (int cap = 0; cap <= 63; cap++)
		if (!(cap < 32 && (mask & (1u << cap))) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			fatal("drop capability %d from the bounding set", cap);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fatal("PR_SET_KEEPCAPS");
	if (setgroups(1, &gid) < 0)
		fatal("setgroups to gid %u", (unsigned)gid);
	if (setresgid(gid, gid, gid) < 0)
		fatal("setresgid to %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		fatal("setresuid to %u", (unsigned)uid);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	data[0].permitted = data[0].effective = mask;
	if (syscall(SYS_capset, &h, data) < 0)
		fatal("keep CAP_SETUID, CAP_SETGID and CAP_KILL");
	if (getuid() == 0 || geteuid() == 0)
		fatalx("still root after dropping to uid %u", (unsigned)uid);
	log_debug("running as uid %u gid %u, keeping CAP_SETUID, CAP_SETGID and CAP_KILL", (unsigned)uid,
		  (unsigned)gid);
}

static void setup_privileges(struct scriptd *d)
{
	d->can_run = true;
	if (geteuid() != 0) {
		/* Not root: scripts run as this user, which cannot be changed anyway. */
		return;
	}
	const char *name;
	if (script_user_lookup(d->cfg.script_user, &d->script_uid, &d->script_gid, &name) < 0 || d->script_uid == 0) {
		log_warnx("no unprivileged user (consul-script, nobody) to run scripts as: script checks will fail");
		d->can_run = false;
		priv_drop(d->cfg.user);
		return;
	}
	uid_t uid;
	gid_t gid;
	bool drops = priv_target(d->cfg.user, &uid, &gid) == 0;
	if (drops && uid == d->script_uid) {
		priv_drop(d->cfg.user); /* the daemon user runs the scripts itself */
	} else if (drops) {
		d->switch_user = true;
		drop_keeping_setuid(uid, gid);
	} else {
		d->switch_user = true; /* roles keep root here; scripts still never do */
	}
	log_info("scripts run as %s (uid %u)", name, (unsigned)d->script_uid);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct scriptd *d = w->data;
	log_info("stopping on signal %d (%zu scripts running)", w->signum, d->running);
	for (struct job *j = d->jobs; j; j = j->next)
		kill_group(j);
	exit(0);
}

int main(int argc, char **argv)
{
	static struct scriptd d;
	role_start("scriptd", argc, argv, &d.cfg);
	if (!d.cfg.enable_script_checks && !d.cfg.enable_local_script_checks) {
		log_info("script checks are not enabled (enable_script_checks, enable_local_script_checks): nothing to do");
		return 0;
	}
	d.loop = EV_DEFAULT;
	d.server = role_serve(d.loop, &d.cfg, "script.sock", handle, &d);
	/* Orphans of a script (a child whose parent exited) come back to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	setup_privileges(&d);
	ev_signal_init(&d.sigterm, on_stop, SIGTERM);
	d.sigterm.data = &d;
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_init(&d.sigint, on_stop, SIGINT);
	d.sigint.data = &d;
	ev_signal_start(d.loop, &d.sigint);
	role_watch_reload(d.loop, &d.cfg, argc, argv, NULL, NULL);
	log_info("serving on script.sock");
	ev_run(d.loop, 0);
	fatalx("event loop returned");
}
