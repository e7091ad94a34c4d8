/* daemon.h: what every role does at start: parse the configuration, set up logging, make the
 * run directory, and (after binding) drop privileges. Keeps each role's main() short.
 *
 *   struct config cfg;
 *   role_start("raftd", argc, argv, &cfg);       // exits 1 with a clear line on bad config
 *   ... bind sockets ...
 *   priv_drop(cfg.user);
 *   ev_run(loop, 0); fatalx("event loop returned");
 */
#ifndef COMMON_DAEMON_H
#define COMMON_DAEMON_H

#include "config.h"
#include "rpc.h"

/* argv as given to main (argv[0] is the program). Also ignores SIGPIPE and creates
 * data_dir/run (mode 0700) when a data dir is set. */
void role_start(const char *role, int argc, char **argv, struct config *cfg);
struct ev_loop;
/* Serves data_dir/run/<socket_name> (see rpc.h), owned by the user the roles drop to, so
 * sibling roles can still connect after everyone has dropped root. Exits if it cannot. */
struct rpc_server *role_serve(struct ev_loop *loop, const struct config *cfg, const char *socket_name,
			      rpc_handler handler, void *arg);
/* Called on SIGHUP with the configuration as the flags and files now say (valid: an invalid
 * one is logged and ignored). It is freed after the call. */
typedef void (*role_reload_fn)(void *arg, const struct config *fresh);
/* Watches SIGHUP: reloads the configuration (role_config_reload), applies the log level, then
 * calls apply (may be NULL). role_start() already makes SIGHUP harmless before this is called.
 * current is the role's configuration (for its data dir). */
void role_watch_reload(struct ev_loop *loop, const struct config *current, int argc, char **argv,
		       role_reload_fn apply, void *arg);
/* The configuration as the flags and files now say, for a reload. Under the supervisor the
 * files are read from the bundle it captured as root (data_dir/run/config-bundle.json): a role
 * that dropped privileges may not read the operator's files itself. Without one (a role run on
 * its own, as the systemd units do) the files are read directly. argv as main's. */
#define CONFIG_BUNDLE_NAME "config-bundle.json"
int role_config_reload(const struct config *current, int argc, char **argv, struct config *fresh, char *err,
		       size_t err_len);
/* mkdir -p with the given mode. Returns 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);

#endif
