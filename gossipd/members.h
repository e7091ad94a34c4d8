/* members.h: the member table of the LAN pool and its rendering as /v1/agent/members.
 * This pool holds only the local agent; the gossip issue grows it with SWIM. Pure:
 * no I/O.
 *
 *   struct members m; members_init(&m);
 *   members_add_self(&m, &cfg);
 *   members_render(&m, &out);   // Consul's /v1/agent/members JSON
 */
#ifndef GOSSIPD_MEMBERS_H
#define GOSSIPD_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

enum member_status { MEMBER_NONE = 0, MEMBER_ALIVE = 1, MEMBER_LEAVING = 2, MEMBER_LEFT = 3, MEMBER_FAILED = 4 };

struct member_tag {
	char *key;
	char *value;
};

struct member {
	char *name;
	char *addr;
	uint16_t port;
	enum member_status status;
	struct member_tag *tags;
	size_t ntags;
};

struct members {
	struct member *items;
	size_t n;
};

void members_init(struct members *m);
void members_free(struct members *m);
/* Adds this agent, with the tags Consul sets for its role. Returns 0 or -ENOMEM. */
int members_add_self(struct members *m, const struct config *cfg);
/* Appends the JSON array of /v1/agent/members. */
void members_render(const struct members *m, struct buf *out);

#endif
