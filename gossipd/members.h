/* members.h: a member table as /v1/agent/members renders it, and the tags Consul gives this
 * agent. Pure: no I/O.
 *
 *   struct members m; members_init(&m);
 *   members_add_self(&m, &cfg);            // our own row, with our tags (for swim_new)
 *   members_from_swim(&m, swim, leaving);  // or: every member the gossip core knows
 *   members_render(&m, &out);              // Consul's /v1/agent/members JSON
 */
#ifndef GOSSIPD_MEMBERS_H
#define GOSSIPD_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "swim.h"

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
struct swim;
/* Appends every member swim knows, by name. Serf's statuses: suspect shows as alive, dead as
 * failed; ourselves as leaving while self_leaving. Returns 0 or -ENOMEM. */
int members_from_swim(struct members *m, const struct swim *s, bool self_leaving);
/* The tags of members_add_self's row as swim tags (pointing into m's row 0). Caller frees
 * *tags. Returns the count, or -ENOMEM. */
int members_swim_tags(const struct members *m, size_t row, struct swim_tag **tags);
/* Appends the JSON array of /v1/agent/members. */
/* (Sorts each member's tags by key.) */
void members_render(struct members *m, struct buf *out);

#endif
