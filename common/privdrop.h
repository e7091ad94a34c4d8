/* privdrop.h: dropping root, in one fixed order (groups, gid, uid), after a role's setup. */
#ifndef COMMON_PRIVDROP_H
#define COMMON_PRIVDROP_H

/* If running as root and `user` (or, when NULL, "consul") exists, switches to it; a failure
 * to switch is fatal. When not root, or the default user does not exist, does nothing and
 * says so at debug level. A named user that does not exist is fatal. */
void priv_drop(const char *user);

#endif
