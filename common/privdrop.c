/* privdrop.c: leave root in the one order that cannot be undone halfway: groups, gid, uid. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <unistd.h>

#include "log.h"

void priv_drop(const char *user)
{
	if (geteuid() != 0)
		return;
	const char *name = user ? user : "consul";
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (!pw) {
		if (user)
			fatalx("user \"%s\" does not exist", user);
		log_debug("no \"consul\" user: keeping root (set -user to drop privileges)");
		return;
	}
	if (setgroups(1, &pw->pw_gid) < 0)
		fatal("setgroups for %s", name);
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		fatal("setresgid to %s", name);
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		fatal("setresuid to %s", name);
	/* If root can be regained, the drop did not happen. */
	if (setuid(0) == 0)
		fatalx("still able to regain root after dropping to %s", name);
	log_debug("running as %s (uid %u)", name, (unsigned)pw->pw_uid);
}
