/* servers.h: the servers of this datacenter as gossip sees them, and what Raft should do
 * about them: when -bootstrap-expect may bootstrap (and with which configuration), and which
 * one change the leader makes next to follow membership. Pure: JSON and structs in, decisions
 * out.
 *
 *   struct server_member m[RAFT_MAX_SERVERS * 2];
 *   int n = servers_from_members(body, len, "dc1", m, max);   // MEMBERS reply (gossipd)
 *   if (servers_bootstrap_config(m, n, 3, &conf, why, sizeof why) == 0) raft_bootstrap(r, &conf);
 *   struct server_change c = servers_reconcile(raft_configuration(r), m, n, my_id);
 *
 * A server is a member tagged role=consul in our dc; its Raft id comes from its node ID (tag
 * "id"), its Raft address is its gossip address with the "port" tag (server RPC port).
 */
#ifndef RAFTD_SERVERS_H
#define RAFTD_SERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft.h"

enum member_status { MEMBER_ALIVE = 1, MEMBER_LEAVING = 2, MEMBER_LEFT = 3, MEMBER_FAILED = 4 };

struct server_member {
	uint64_t id;                /* servers_raft_id(node ID) */
	char node_id[40];
	char name[128];
	char addr[RAFT_ADDR_MAX];   /* "host:port" of its server RPC */
	int status;                 /* enum member_status */
	int expect;                 /* its bootstrap_expect, 0: none */
	bool bootstrap;             /* started with -bootstrap */
};

/* The Raft id of a server: 64 bits hashed from its node ID (its name when it has none). */
uint64_t servers_raft_id(const char *node_id, const char *name);

/* The servers of datacenter dc in a MEMBERS reply body, up to max of them. Returns how many,
 * or -1 when the body is not a list of members. */
int servers_from_members(const char *json, size_t len, const char *dc, struct server_member *out, size_t max);

/* With -bootstrap-expect=expect: 0 and the initial configuration (every alive server seen,
 * sorted by id, so that each of them builds the same one) once `expect` alive servers
 * agree on expect; 1 while waiting (why says for what); -1 when they disagree or one was
 * started with -bootstrap (why says so: no automatic bootstrap then). */
int servers_bootstrap_config(const struct server_member *m, size_t n, int expect, struct raft_config *out,
			     char *why, size_t why_len);

enum server_change_kind { SERVER_KEEP, SERVER_ADD, SERVER_REMOVE };
struct server_change {
	enum server_change_kind kind;
	uint64_t id;
	char addr[RAFT_ADDR_MAX];
};
/* The next change the leader (self) should make so that the configuration holds the alive
 * servers: add one alive server missing from it (or whose address changed: remove first),
 * remove one that left gracefully; never remove self. A failed server is removed too, as
 * Consul's autopilot does with cleanup_dead_servers, but only while the failed ones are a
 * minority of the configuration (removing them then never costs the quorum); it is added
 * back when it returns. One change at a time (Raft §4.1). */
struct server_change servers_reconcile(const struct raft_config *conf, const struct server_member *m, size_t n,
				       uint64_t self);

#endif
