/* privdrop.h: dropping root, in one fixed order (groups, gid, uid), after a role's setup. */
#ifndef COMMON_PRIVDROP_H
#define COMMON_PRIVDROP_H

#include <sys/types.h>

/* Looks `name` up in /etc/passwd. Returns 0, or -ENOENT.
 * Daemon users are local accounts; reading the file directly (not through NSS) keeps the
 * NSS modules, ~0.3 MB each, out of every role's memory. */
int priv_lookup(const char *name, uid_t *uid, gid_t *gid);
/* The user the roles run as when started as root: `user`, or "consul" when that exists.
 * Returns 0 with uid/gid set, -ENOENT when roles keep root (no such default user), and exits
 * when a named user does not exist. */
int priv_target(const char *user, uid_t *uid, gid_t *gid);
/* If running as root and there is a target user (see priv_target), switches to it; a failure
 * to switch is fatal. Otherwise does nothing and says so at debug level. */
void priv_drop(const char *user);

#endif
