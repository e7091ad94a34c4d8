/* rejoin.h: the members snapshot in the data dir (serf/local.snapshot for the LAN pool,
 * serf/remote.snapshot for the WAN pool), so a restarted agent finds its cluster again without
 * -join, as Serf's snapshot does. After a graceful leave it does so only with -rejoin.
 *
 * File (ours): {"left": false, "members": ["10.0.0.11:8301", ...]} */
#ifndef GOSSIPD_REJOIN_H
#define GOSSIPD_REJOIN_H

#include <stdbool.h>
#include <stddef.h>

#include "swim.h"

struct rejoin_list {
	bool left;               /* the agent left gracefully last time */
	char **addrs;            /* "host:port", as join_start takes them */
	size_t n;
};

/* Writes the alive members other than ourselves, and whether we left. 0 or -errno. */
int rejoin_save(const char *path, const struct swim *s, bool left);
/* Reads the file. 0, -ENOENT when there is none, -EINVAL when it is not ours (logged by the
 * caller, and ignored: a snapshot is only a hint). */
int rejoin_load(const char *path, struct rejoin_list *out);
void rejoin_list_free(struct rejoin_list *l);

#endif
