/* rpc_ops.h: every request type carried over the internal links, as one table.
 *
 * Requests carry a JSON object of arguments (described beside each op); replies carry an
 * rpc_reply (rpc.h) whose body is JSON exactly as Consul's HTTP API renders it, so httpd can
 * pass it through. Common request arguments for reads: "index" (u64, blocking query: hold the
 * reply until the state index exceeds it) and "wait_ms" (u64, bound on that hold; default
 * 300000, max 600000). Node, service and check JSON bodies use Consul's field names.
 *
 * X(name, number, owner)
 */
#ifndef COMMON_RPC_OPS_H
#define COMMON_RPC_OPS_H

#define RPC_OPS(X)                                                                                 \
	/* raftd (raft.sock): the state store */                                                   \
	X(STATUS_LEADER, 1, "raftd")       /* {} -> "addr:port" JSON string, "" if none */         \
	X(STATUS_PEERS, 2, "raftd")        /* {} -> ["addr:port", ...] */                          \
	X(CATALOG_REGISTER, 3, "raftd")    /* Consul catalog register body -> true */              \
	X(CATALOG_DEREGISTER, 4, "raftd")  /* {"Node","ServiceID"?,"CheckID"?} -> true */          \
	X(CATALOG_NODES, 5, "raftd")       /* {} -> /v1/catalog/nodes body */                      \
	X(CATALOG_SERVICES, 6, "raftd")    /* {} -> /v1/catalog/services body */                   \
	X(CATALOG_SERVICE, 7, "raftd")     /* {"name"|"all","tags"?} -> /v1/catalog/service/:name */\
	X(CATALOG_NODE, 8, "raftd")        /* {"node"} -> /v1/catalog/node/:node, null if none */  \
	X(HEALTH_SERVICE, 9, "raftd")      /* {"name","tags"?,"passing"?} -> /v1/health/service */ \
	X(HEALTH_NODE, 10, "raftd")        /* {"node"} -> /v1/health/node/:node */                 \
	X(HEALTH_CHECKS, 11, "raftd")      /* {"service"} -> /v1/health/checks/:service */         \
	X(HEALTH_STATE, 12, "raftd")       /* {"state"} -> /v1/health/state/:state */              \
	X(KV_GET, 13, "raftd")             /* {"key","recurse"?,"keys"?,"separator"?} -> kv body */ \
	X(KV_PUT, 14, "raftd")             /* {"key","value" (base64),"flags"?,"cas"?} -> bool */   \
	X(KV_DELETE, 15, "raftd")          /* {"key","recurse"?,"cas"?} -> bool */                 \
	X(CATALOG_DUMP, 16, "raftd")       /* {} -> {"Nodes":[...],"Services":[health entries]} */ \
	X(CATALOG_NODE_SERVICES, 17, "raftd") /* {"node"} -> node-services body */                 \
	X(CATALOG_DATACENTERS, 18, "raftd") /* {} -> ["dc1"] */                                    \
	/* server to server on TCP 8300: one Raft message (raftd/raft_wire.h bytes) -> "" */      \
	X(RAFT_MESSAGE, 19, "raftd")                                                               \
	/* {} -> /v1/operator/raft/configuration body {"Servers":[...],"Index"} */                 \
	X(RAFT_CONFIGURATION, 20, "raftd")                                                         \
	/* {"id"?,"address"?} -> "": the leader removes that server from the configuration */     \
	X(RAFT_REMOVE_PEER, 21, "raftd")                                                           \
	/* server to server: u16 op (big-endian) + that op's args, relayed once to the leader ->  \
	 * that op's reply */                                                                      \
	X(RAFT_FORWARD, 22, "raftd")                                                               \
	/* {"stale"?} -> the snapshot file's bytes (snapshot_file.h); reply index: the snapshot's */ \
	X(SNAPSHOT_SAVE, 36, "raftd")                                                              \
	/* args: the snapshot file's bytes themselves -> "" once every server applied it */        \
	X(SNAPSHOT_RESTORE, 37, "raftd")                                                           \
	/* gossipd (gossip.sock): membership */                                                    \
	/* MEMBERS is also the subscription: with "index" it blocks until the member table (any   \
	 * state, address or tag) changes past it; the reply's index is the table's version.     \
	 * Every member carries Consul's tags: role ("consul" on servers, "node" on clients), dc,  \
	 * id, port (server RPC), expect / bootstrap (servers), build, vsn...; Status is Serf's    \
	 * (1 alive, 2 leaving, 3 left, 4 failed). */                                             \
	X(MEMBERS, 40, "gossipd")          /* {"wan"?,"index"?,"wait_ms"?} -> /v1/agent/members */ \
	/* {"addrs":["host[:port]",...],"wan"?} -> {"Joined":n,"Errors":["addr: reason",...]};   \
	 * status 200 when at least one joined, else 500 (body still the object) */               \
	X(JOIN, 41, "gossipd")                                                                     \
	/* {} -> "": broadcasts our leave and replies once it has spread (bounded by 3 s); the    \
	 * caller then asks the supervisor to shut the agent down (CONTROL_SHUTDOWN) */            \
	X(LEAVE, 42, "gossipd")                                                                    \
	/* {"node","prune"?,"wan"?} -> "": a failed member becomes left; 404 unknown node */       \
	X(FORCE_LEAVE, 43, "gossipd")                                                              \
	/* {"name","payload"? (base64),"node_filter"?,"service_filter"?,"tag_filter"?} ->          \
	 * /v1/event/fire body {"ID","Name","Payload","NodeFilter","ServiceFilter","TagFilter",   \
	 * "Version","LTime"} */                                                                   \
	X(EVENT_FIRE, 44, "gossipd")                                                               \
	/* {"name"?,"index"?,"wait_ms"?} -> /v1/event/list body (oldest first); blocking on the   \
	 * event buffer's version, which is also the reply's index */                              \
	X(EVENT_LIST, 45, "gossipd")                                                               \
	/* {"op":"list"|"install"|"use"|"remove","key"? (base64),"wan"?} -> for list, Consul's     \
	 * /v1/operator/keyring body; otherwise "" once every alive member reports the change     \
	 * (bounded by 10 s; 500 naming the members that did not) */                               \
	X(KEYRING, 46, "gossipd")                                                                  \
	/* checkd (check.sock): this agent's services and checks */                                \
	X(AGENT_SERVICES, 60, "checkd")    /* {} -> /v1/agent/services body */                     \
	X(AGENT_SERVICE, 61, "checkd")     /* {"id"} -> /v1/agent/service/:id body, 404 if none */ \
	X(AGENT_SERVICE_REGISTER, 62, "checkd") /* Consul service definition -> "" */              \
	X(AGENT_SERVICE_DEREGISTER, 63, "checkd") /* {"id"} -> "" */                               \
	X(AGENT_CHECKS, 64, "checkd")      /* {} -> /v1/agent/checks body */                       \
	X(AGENT_CHECK_REGISTER, 65, "checkd") /* Consul check definition -> "" */                  \
	X(AGENT_CHECK_DEREGISTER, 66, "checkd") /* {"id"} -> "" */                                 \
	X(AGENT_CHECK_UPDATE, 67, "checkd") /* {"id","status","output"?} -> "" */                  \
	X(AGENT_MAINTENANCE, 68, "checkd") /* {"enable","reason"?} -> "" */                         \
	X(AGENT_SERVICE_MAINTENANCE, 69, "checkd") /* {"id","enable","reason"?} -> "", 404 if none */ \
	X(AGENT_HEALTH_SERVICE, 70, "checkd") /* {"name"} or {"id"} -> /v1/agent/health/service body;  \
						 reply status 200/429/503 as the aggregate, 404 if none */ \
	/* From the supervisor on `consul reload`: re-read the flags and files (as on SIGHUP) and  \
	 * apply their definitions; 400 with the reason (file and key) when the configuration or \
	 * a definition is invalid, and then nothing changes */                                    \
	X(CHECKD_RELOAD, 71, "checkd")     /* {} -> "" */                                          \
	/* supervisor (control.sock) */                                                            \
	X(CONTROL_RELOAD, 80, "agent")     /* {} -> "" */                                          \
	X(CONTROL_SHUTDOWN, 81, "agent")   /* {} -> "" */                                        \
	/* scriptd (script.sock): runs script checks, never inside checkd */                       \
	X(SCRIPT_RUN, 100, "scriptd") /* {"args","timeout_ms","output_max"?} -> {"Status","Output","TimedOut"} */

/* CATALOG_SERVICE and HEALTH_SERVICE take "tags": every ?tag= of the request, at most this
 * many; an instance must carry them all. */
#define RPC_TAGS_MAX 64

enum rpc_op {
#define RPC_OP_ENUM(name, num, owner) RPC_##name = num,
	RPC_OPS(RPC_OP_ENUM)
#undef RPC_OP_ENUM
};

/* Returns the op's name ("KV_GET"), or "UNKNOWN". */
const char *rpc_op_name(unsigned op);

#endif
