/* privdrop.c: leave root in the one order that cannot be undone halfway: groups, gid, uid. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"

int priv_lookup(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return -ENOENT;
	struct passwd *pw;
	int rc = -ENOENT;
	while ((pw = fgetpwent(f))) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

int priv_target(const char *user, uid_t *uid, gid_t *gid)
{
	const char *name = user ? user : "consul";
	if (priv_lookup(name, uid, gid) == 0)
		return 0;
	if (user)
		fatalx("user \"%s\" does not exist in /etc/passwd", user);
	return -ENOENT;
}

void priv_drop(const char *user)
{
	if (geteuid() != 0)
		return;
	uid_t uid;
	gid_t gid;
	if (priv_target(user, &uid, &gid) < 0) {
		log_debug("no \"consul\" user: keeping root (set -user to drop privileges)");
		return;
	}
	/* Changing credentials clears the parent-death signal (prctl(2)): keep it, or a role would
	 * outlive a supervisor that crashed after the drop. */
	int death_signo = 0;
	pid_t parent = getppid();
	prctl(PR_GET_PDEATHSIG, &death_signo);
	if (setgroups(1, &gid) < 0)
		fatal("setgroups to gid %u", (unsigned)gid);
	if (setresgid(gid, gid, gid) < 0)
		fatal("setresgid to %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		fatal("setresuid to %u", (unsigned)uid);
	/* If root can be regained, the drop did not happen. */
	if (setuid(0) == 0)
		fatalx("still able to regain root after dropping to uid %u", (unsigned)uid);
	if (death_signo) {
		prctl(PR_SET_PDEATHSIG, death_signo);
		if (getppid() != parent)
			raise(death_signo); /* the parent died while the signal was not armed */
	}
	log_debug("running as uid %u gid %u", (unsigned)uid, (unsigned)gid);
}
