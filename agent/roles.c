/* roles.c: the roles of an agent, and where their binaries live. */
#include "roles.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

/* Script checks run in their own helper, only when some configuration allows them. */
static bool scripts_enabled(const struct config *cfg)
{
	return cfg->enable_script_checks || cfg->enable_local_script_checks;
}

const struct role agent_roles[] = {
	{"raftd", "consul-raftd", true, NULL},
	{"gossipd", "consul-gossipd", false, NULL},
	{"scriptd", "consul-scriptd", false, scripts_enabled},
	{"checkd", "consul-checkd", false, NULL},
	{"httpd", "consul-httpd", false, NULL},
	{"dnsd", "consul-dnsd", false, NULL},
};
const size_t agent_nroles = sizeof agent_roles / sizeof agent_roles[0];

static char *path_if_executable(const char *dir, const char *sub, const char *binary)
{
	char path[PATH_MAX];
	int n = sub ? snprintf(path, sizeof path, "%s/%s/%s", dir, sub, binary)
		    : snprintf(path, sizeof path, "%s/%s", dir, binary);
	if (n < 0 || (size_t)n >= sizeof path || access(path, X_OK) != 0)
		return NULL;
	return strdup(path);
}

char *role_binary_path(const struct role *r)
{
	const char *env = getenv("CONSUL_ROLE_DIR");
	char *found = env ? path_if_executable(env, NULL, r->binary) : NULL;
	if (found)
		return found;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *dir = dirname(self);
		if ((found = path_if_executable(dir, NULL, r->binary)))
			return found;
		char parent[PATH_MAX];
		snprintf(parent, sizeof parent, "%s/..", dir);
		if ((found = path_if_executable(parent, r->name, r->binary)))
			return found;
	}
	return strdup(r->binary);
}
