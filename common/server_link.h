/* server_link.h: where a role reaches the state store. On a server agent that is raftd's
 * raft.sock. On a client agent it is the server RPC port (8300) of one alive server of its
 * datacenter, learnt from gossipd's member table (tags role=consul, dc, port), as Consul's
 * client agents find servers through Serf; when that server fails, leaves or stops answering,
 * the link moves to another. Calls made while no server is known fail at once (-ENOTCONN),
 * which roles report as Consul does ("No known Consul servers").
 *
 *   struct rpc_client *raft = server_link_new(loop, &cfg, "raftd");
 *   rpc_call(raft, RPC_KV_GET, args, len, on_reply, ctx);   // as with any rpc_client
 */
#ifndef COMMON_SERVER_LINK_H
#define COMMON_SERVER_LINK_H

#include "config.h"
#include "rpc.h"

struct ev_loop;

/* Never NULL. The client lives as long as the process. */
struct rpc_client *server_link_new(struct ev_loop *loop, const struct config *cfg, const char *peer_name);

/* Picks the server a client agent should use from a /v1/agent/members body: the current one
 * ("addr:port", or "") while it is alive, otherwise the next alive server of datacenter dc
 * after it; the first choice is spread by a hash of self (our node name) so the agents of a
 * cluster spread over the servers. Writes "addr:port" into out ("" when none). Pure. */
void server_link_choose(const char *members_json, size_t len, const char *dc, const char *self,
			const char *current, char *out, size_t out_len);

#endif
