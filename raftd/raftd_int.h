/* raftd_int.h: what the files of consul-raftd share: the daemon's state (struct raftd) and
 * the functions one file offers the others. raftd.c: start-up, writes and the Ready loop;
 * raftd_reads.c: replies, blocking queries and the consistency modes; raftd_peers.c: Raft
 * messages between servers and forwarding to the leader; raftd_members.c: servers found by
 * gossip (bootstrap, the configuration and the catalog following membership). */
#ifndef RAFTD_RAFTD_INT_H
#define RAFTD_RAFTD_INT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "raft.h"
#include "raft_storage.h"
#include "rpc.h"
#include "servers.h"
#include "store.h"

#define TICK_MS 10
#define WAIT_DEFAULT_MS 300000u /* Consul's default blocking wait: 5 minutes */
#define WAIT_MAX_MS 600000u     /* and its cap: 10 minutes */
#define READ_CONFIRM_TIMEOUT_S 5.0 /* a lost read-index round is given up after this */
#define MAX_READY_ROUNDS 16        /* Readys done per loop iteration before yielding */

/* A read held until the index passes min_index or its timer fires. */
struct waiter {
	struct raftd *d;
	struct rpc_req *req;
	unsigned op;
	char *args;
	size_t args_len;
	uint64_t min_index;
	ev_timer timer;
	struct waiter *prev, *next;
};

/* A write proposed on this leader, answered when its index is applied. */
struct proposal {
	uint64_t index, term;
	struct rpc_req *req; /* NULL for raftd's own writes */
	const char *what;
	struct proposal *next;
};

/* A read waiting for a read index (a quorum round, or the lease of a new leader). */
struct pending_read {
	struct raftd *d;
	uint64_t ctx;
	uint64_t index; /* 0 until confirmed */
	struct rpc_req *req;
	unsigned op;
	char *args;
	size_t args_len;
	ev_timer timer;
	struct pending_read *prev, *next;
};

/* Another server, reached over its server RPC port. */
struct peer {
	uint64_t id;
	char addr[RAFT_ADDR_MAX];
	struct rpc_client *client;
};

struct raftd {
	struct ev_loop *loop;
	struct config cfg;
	struct store *store;
	struct raft *raft;
	struct raft_storage *disk;
	struct raft_hard_state persisted; /* as the state file holds it */
	uint64_t id;
	struct rpc_server *server;     /* raft.sock: this agent's roles */
	struct rpc_server *rpc_server; /* TCP server port (8300): other agents and servers */
	char *server_addr;             /* "advertise:port_server" */
	char *advertise;
	enum raft_role role;
	uint64_t lead_term;   /* the term this server last led in */
	uint64_t applied;     /* last committed entry done (store_index counts only commands) */
	uint64_t lead_from;   /* this leader's first entry: reads wait until it is applied */
	uint64_t snap_index;  /* the store's last snapshot */
	struct proposal *proposals, *proposals_tail;
	struct pending_read *reads;
	uint64_t next_read_ctx;
	struct waiter *waiters;
	uint64_t waiters_seen_index;
	struct peer peers[RAFT_MAX_SERVERS];
	size_t n_peers;
	struct buf wire; /* one encoded message */
	bool handling_forwarded; /* the request being handled came from another server */
	bool in_ready;           /* between raft_ready and raft_advance: no other raft_* call */
	/* gossip: the servers of our datacenter, kept fresh by a blocking MEMBERS query */
	struct rpc_client *gossip;
	struct server_member members[2 * RAFT_MAX_SERVERS];
	size_t n_members;
	uint64_t members_index;
	bool members_known;
	struct buf members_body; /* the last MEMBERS reply, for the catalog's reconciliation */
	bool catalog_dirty;      /* membership or leadership changed since the catalog followed */
	uint64_t catalog_wait_index; /* its last write: compare again once this is applied */
	int boot_probes_left; /* -bootstrap-expect: STATUS_PEERS answers still awaited */
	bool boot_probe_failed;
	bool boot_refused;    /* a probed server is already in a cluster */
	char boot_why[256];   /* why not bootstrapped yet, as last logged */
	ev_timer members_retry;
	ev_timer reconcile_timer;
	uint64_t rng;
	ev_timer tick;
	ev_timer snapshot_timer; /* snapshots by time (raft_snapshot_interval) */
	ev_prepare ready_watcher;
	ev_idle more_ready; /* keeps the loop from blocking while Readys are left */
	ev_signal sigterm, sigint;
};


enum read_mode { READ_DEFAULT, READ_STALE, READ_CONSISTENT };

/* The one daemon, for callbacks whose argument is taken by a tag. */
extern struct raftd *the_raftd;

/* raftd_reads.c */
void reply(struct raftd *d, struct rpc_req *req, int status, const struct buf *body);
void reply_str(struct raftd *d, struct rpc_req *req, int status, const char *text);
char *copy_args(const char *args, size_t len);
/* Answers now, or holds a blocking query until the index passes the caller's. */
void handle_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len);
/* Answers the blocking queries whose index the store passed. */
void wake_waiters(struct raftd *d);
/* Read indexes from a Ready, and the reads whose index the store has reached. */
void reads_confirmed(struct raftd *d, const struct raft_read_state *rs, size_t n);
void release_reads(struct raftd *d);
enum read_mode read_mode_of(const char *args, size_t len);
/* A read op in Consul's consistency modes (stale, default, consistent). */
void handle_store_read(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len);

/* raftd_peers.c */
/* The address of server id (configuration, snapshot, else gossip), or NULL. */
const char *server_addr_of(const struct raftd *d, uint64_t id);
struct rpc_client *peer_client(struct raftd *d, uint64_t id, const char *addr);
void send_message(struct raftd *d, const struct raft_msg *m);
void handle_raft_message(struct raftd *d, struct rpc_req *req, const char *args, size_t len);
/* Relays the request to the leader (once); false when none is known (the caller answers). */
bool forward_to_leader(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len);

/* raftd.c */
/* Proposes a store command (req answered when it applies); returns its index, or 0. */
uint64_t propose_command(struct raftd *d, struct rpc_req *req, const char *cmd, size_t len, const char *what);
void handle_write(struct raftd *d, struct rpc_req *req, unsigned op, const char *args, size_t len,
		  const char *what);
void process_readys(struct raftd *d);

/* raftd_snapshot.c */
/* Answers SNAPSHOT_SAVE: the snapshot file of the store as it is now. */
void snapshot_save_answer(struct raftd *d, struct rpc_req *req);
/* SNAPSHOT_RESTORE on the leader: checks the file, then proposes its state as one command. */
void snapshot_restore_propose(struct raftd *d, struct rpc_req *req, const char *args, size_t len);
bool snapshot_is_restore_command(const char *cmd, size_t len);

/* raftd_members.c */
/* Starts following gossipd's member table. */
void members_start(struct raftd *d);
void maybe_bootstrap(struct raftd *d);
void reconcile_servers(struct raftd *d);
void reconcile_catalog(struct raftd *d);
const struct server_member *member_of(const struct raftd *d, uint64_t id);
void handle_raft_configuration(struct raftd *d, struct rpc_req *req);
void handle_remove_peer(struct raftd *d, struct rpc_req *req, const char *args, size_t len);

#endif
