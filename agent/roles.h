/* roles.h: the supervisor's table of roles and what each child process is. */
#ifndef AGENT_ROLES_H
#define AGENT_ROLES_H

#include <stdbool.h>
#include <sys/types.h>

struct config;

struct role {
	const char *name;   /* "raftd" */
	const char *binary; /* "consul-raftd" */
	bool servers_only;
	/* NULL, or whether this configuration needs the role at all (scriptd: scripts enabled). */
	bool (*wanted)(const struct config *cfg);
};

/* In start order: the store first, so the others find it when they connect. */
extern const struct role agent_roles[];
extern const size_t agent_nroles;

/* Finds a role's binary: $CONSUL_ROLE_DIR, the directory of the running `consul`, that
 * directory's ../<role>/ (the build tree), else the bare name for PATH. Caller frees. */
char *role_binary_path(const struct role *r);

#endif
