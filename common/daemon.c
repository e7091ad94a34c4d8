/* daemon.c: the start-up every role shares. */
#include "daemon.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "privdrop.h"

int mkdir_p(const char *path, unsigned mode)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void role_start(const char *role, int argc, char **argv, struct config *cfg)
{
	log_init(role, LOG_INFO);
	char err[1024];
	int rc = config_load(cfg, argc - 1, argv + 1, err, sizeof err);
	if (rc == -2) {
		config_usage(stdout);
		exit(0);
	}
	if (rc < 0) {
		fprintf(stderr, "consul-%s: %s\n", role, err);
		exit(1);
	}
	log_set_level(cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	/* The supervisor forwards SIGHUP to every role on reload; none may die of it. */
	signal(SIGHUP, SIG_IGN);
	if (!cfg->data_dir)
		fatalx("no data directory: start under `consul agent` or give -data-dir");
	char *run = config_run_path(cfg, "");
	rc = mkdir_p(run, 0700);
	if (rc < 0) {
		errno = -rc;
		fatal("create %s", run);
	}
	/* Made as root, they must stay usable after the drop: roles create files there later. */
	uid_t uid;
	gid_t gid;
	if (geteuid() == 0 && priv_target(cfg->user, &uid, &gid) == 0) {
		if (chown(cfg->data_dir, uid, gid) < 0 || chown(run, uid, gid) < 0)
			fatal("hand %s over to uid %u", cfg->data_dir, (unsigned)uid);
		/* a reload reads it again, after the drop */
		char *node_id = NULL;
		if (asprintf(&node_id, "%s/node-id", cfg->data_dir) >= 0 && chown(node_id, uid, gid) < 0 &&
		    errno != ENOENT)
			fatal("hand %s over to uid %u", node_id, (unsigned)uid);
		free(node_id);
	}
	free(run);
}

struct rpc_server *role_serve(struct ev_loop *loop, const struct config *cfg, const char *socket_name,
			      rpc_handler handler, void *arg)
{
	char *path = config_run_path(cfg, socket_name);
	if (!path)
		fatalx("out of memory");
	struct rpc_server *server = rpc_server_listen_unix(loop, path, handler, arg);
	if (!server)
		fatalx("cannot serve %s", path);
	uid_t uid;
	gid_t gid;
	if (geteuid() == 0 && priv_target(cfg->user, &uid, &gid) == 0) {
		if (chown(path, uid, gid) < 0)
			fatal("chown %s", path);
		rpc_server_allow_uid(server, uid); /* for a server that keeps root: the supervisor */
	}
	free(path);
	return server;
}

struct reload_watch {
	ev_signal sighup;
	const struct config *current;
	int argc;
	char **argv;
	role_reload_fn apply;
	void *arg;
};

int role_config_reload(const struct config *current, int argc, char **argv, struct config *fresh, char *err,
		       size_t err_len)
{
	char *path = current->data_dir ? config_run_path(current, CONFIG_BUNDLE_NAME) : NULL;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	free(path);
	if (fd < 0)
		return config_load(fresh, argc - 1, argv + 1, err, err_len);
	struct buf b;
	buf_init(&b);
	ssize_t n;
	while (buf_reserve(&b, 65536) == 0 && (n = read(fd, b.data + b.len, 65536)) > 0)
		b.len += (size_t)n;
	close(fd);
	int rc = config_load_bundle(fresh, argc - 1, argv + 1, b.data ? b.data : "", b.len, err, err_len);
	buf_free(&b);
	return rc;
}

static void reload_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct reload_watch *rw = w->data;
	struct config fresh;
	char err[1024];
	if (role_config_reload(rw->current, rw->argc, rw->argv, &fresh, err, sizeof err) < 0) {
		log_error("reload: keeping the old configuration: %s", err);
		return;
	}
	log_set_level(fresh.log_level);
	if (rw->apply)
		rw->apply(rw->arg, &fresh);
	config_free(&fresh);
	log_info("reload: configuration reloaded");
}

void role_watch_reload(struct ev_loop *loop, const struct config *current, int argc, char **argv,
		       role_reload_fn apply, void *arg)
{
	static struct reload_watch rw;
	rw = (struct reload_watch){.current = current, .argc = argc, .argv = argv, .apply = apply, .arg = arg};
	ev_signal_init(&rw.sighup, reload_cb, SIGHUP);
	rw.sighup.data = &rw;
	ev_signal_start(loop, &rw.sighup);
}
