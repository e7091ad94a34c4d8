/* file_defs.h: applying the service and check definitions of the configuration files to the
 * local state, at start and on every reload (SIGHUP, `consul reload`). Pure: no I/O.
 *
 *   struct file_defs fd = {0};
 *   if (file_defs_apply(ls, &fd, &cfg->services, &cfg->checks, &flags, now_ms, err, sizeof err) < 0)
 *           log_warnx("reload: %s; keeping the previous definitions", err);
 *   file_defs_clear(&fd);
 *
 * Everything is parsed and checked before anything changes: an error (named by file and key)
 * leaves the local state as it was. Then what the files no longer define is removed, new
 * definitions are added and changed ones replaced (a check keeps its last status). Services
 * and checks registered through the API are left alone, unless a file now defines the same
 * id (the file wins, as Consul's).
 */
#ifndef CHECKD_FILE_DEFS_H
#define CHECKD_FILE_DEFS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "local_state.h"

/* The ids that came from the files last time. */
struct file_defs {
	struct ls_strs services;
	struct ls_strs checks; /* standalone checks only: a service's own checks go with it */
};

struct file_defs_flags {
	bool enable_script_checks;
	bool enable_local_script_checks;
};

/* Returns the number of services and checks now defined by the files, or -EINVAL (err names
 * the file and the key; nothing changed) or -ENOMEM. */
int file_defs_apply(struct local_state *ls, struct file_defs *fd, const struct config_defs *services,
		    const struct config_defs *checks, const struct file_defs_flags *flags, uint64_t now_ms, char *err,
		    size_t err_len);
void file_defs_clear(struct file_defs *fd);

#endif
