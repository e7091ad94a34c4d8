/* raft.h: the Raft consensus protocol as a pure state machine (Ongaro's thesis and the
 * extended paper are the spec). No I/O, no clock, no rand(): ticks, messages, proposals and
 * random numbers come in; one batch of obligations (struct raft_ready) comes out.
 *
 *   struct raft_options o = raft_options_default(my_id);   // Consul's timing, 1 tick = 10 ms
 *   o.rand = my_rand; o.rand_arg = ...;
 *   struct raft *r = raft_new(&o);
 *   raft_load(r, &hard_state, snapshot_or_NULL, entries, n);    // what the disk held
 *   if (fresh && bootstrapping) raft_bootstrap(r, &servers);   // once, on every initial server
 *   loop:
 *     raft_tick(r) every tick; raft_step(r, &msg) per message received;
 *     raft_propose(r, data, len, &index, &term) per write on the leader;
 *     raft_read_index(r, RAFT_READ_LEASE or RAFT_READ_CONSISTENT, ctx) per read;
 *     if (raft_has_ready(r)) {
 *       struct raft_ready rd; raft_ready(r, &rd);
 *       send msgs[i] with !after_persist now (the leader's replication, in parallel with fsync);
 *       persist rd.snapshot (if any), truncate the durable log at rd.entries[0].index and
 *         write rd.entries, then rd.hard_state (if hs_changed), fsync when rd.must_sync;
 *       send the remaining msgs; install rd.snapshot into the state machine (if any);
 *       apply rd.committed (skipping NOOP and CONFIG entries); answer rd.reads once the
 *         state machine's index reaches each read's index;
 *       raft_advance(r, &rd);
 *     }
 *   raft_snapshot(r, index, data, len) when the state machine has a snapshot at index.
 *
 * Everything a Ready points at stays valid until raft_advance(); no other raft_* call may be
 * made between raft_ready() and raft_advance() on the same node.
 *
 * Timing (Consul's, at raft_multiplier 1): a follower campaigns after hearing nothing from a
 * leader for a random time in [heartbeat_timeout, 2*heartbeat_timeout); a candidate retries
 * after [election_timeout, 2*election_timeout); the leader sends heartbeats every
 * heartbeat_timeout/10, steps down when it has not heard from a quorum within an election
 * timeout (check-quorum), and answers lease reads while a quorum acknowledged it within
 * leader_lease. Servers that heard from a leader within heartbeat_timeout refuse votes
 * (leader stickiness), which is what makes the lease safe (leader_lease < heartbeat_timeout).
 */
#ifndef RAFTD_RAFT_H
#define RAFTD_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_log.h"

/* ---- hard limits (also the wire's: a decoder rejects anything beyond them) ---- */
#define RAFT_MAX_SERVERS 16              /* servers in one configuration */
#define RAFT_ADDR_MAX 64                 /* bytes of a server address, with the NUL */
#define RAFT_MAX_APPEND_ENTRIES 256      /* entries in one append message */
#define RAFT_MAX_APPEND_BYTES (1u << 20) /* payload bytes in one append (one entry may exceed) */
#define RAFT_MAX_INFLIGHT 64             /* append messages unacknowledged per follower */
#define RAFT_MAX_SNAPSHOT_BYTES (1ull << 32)
#define RAFT_MAX_READS 1024              /* read-index requests waiting on one server */

/* Errors, as one table: the enum and the strings (raft_strerror). */
#define RAFT_ERRORS(X)                                                                   \
	X(RAFT_OK, 0, "ok")                                                              \
	X(RAFT_ERR_NOT_LEADER, -1, "not the leader")                                     \
	X(RAFT_ERR_TOO_BIG, -2, "entry too large")                                       \
	X(RAFT_ERR_CONF_PENDING, -3, "a configuration change is in progress")           \
	X(RAFT_ERR_NOT_READY, -4, "leader has not committed an entry in its term yet")  \
	X(RAFT_ERR_BAD_CONF, -5, "invalid configuration change")                         \
	X(RAFT_ERR_TRANSFERRING, -6, "leadership transfer in progress")                  \
	X(RAFT_ERR_BAD_INDEX, -7, "index not applied or already compacted")              \
	X(RAFT_ERR_BUSY, -8, "too many pending requests")                                \
	X(RAFT_ERR_BAD_MSG, -9, "malformed or unexpected message")                       \
	X(RAFT_ERR_STATE, -10, "not allowed in this state")
#define RAFT_ERR_ENUM(name, value, text) name = value,
enum raft_err { RAFT_ERRORS(RAFT_ERR_ENUM) };
#undef RAFT_ERR_ENUM
const char *raft_strerror(int err);

enum raft_role { RAFT_FOLLOWER, RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };
const char *raft_role_name(enum raft_role role);

/* ---- configuration ---- */

struct raft_server {
	uint64_t id;               /* nonzero, unique in the cluster */
	char addr[RAFT_ADDR_MAX];  /* "host:port" of its server RPC, NUL-terminated */
};

/* The voters. All of them count for quorum (Raft §4: one server at a time changes it). */
struct raft_config {
	uint32_t n;
	struct raft_server servers[RAFT_MAX_SERVERS];
};

/* Bytes a CONFIG entry holds: u32 n, then per server u64 id, u8 addr_len, addr (big-endian).
 * encode returns the length written (buf holds at least RAFT_CONFIG_MAX_BYTES); decode
 * returns 0 or RAFT_ERR_BAD_MSG (duplicate/zero ids, too many servers, trailing bytes). */
#define RAFT_CONFIG_MAX_BYTES (4 + RAFT_MAX_SERVERS * (8 + 1 + RAFT_ADDR_MAX))
size_t raft_config_encode(const struct raft_config *c, unsigned char *buf);
int raft_config_decode(const unsigned char *buf, size_t len, struct raft_config *c);
/* The server with that id, or NULL. */
const struct raft_server *raft_config_find(const struct raft_config *c, uint64_t id);

/* ---- state the caller persists ---- */

struct raft_hard_state {
	uint64_t term;   /* current term */
	uint64_t vote;   /* id voted for in term, 0: none */
	uint64_t commit; /* a known commit index (an optimisation: may lag) */
};

/* A snapshot of the state machine at index (including every entry up to it). */
struct raft_snapshot {
	uint64_t index;
	uint64_t term;            /* term of the entry at index */
	struct raft_config config;  /* the configuration as of index */
	const unsigned char *data;  /* the state machine's bytes, opaque to Raft */
	uint64_t len;               /* <= RAFT_MAX_SNAPSHOT_BYTES */
};

/* ---- messages ---- */

/* Every message carries type, from, to and term (the sender's current term; for PRE_VOTE the
 * term the sender would campaign in). The other fields are used per type as listed; unused
 * fields are zero and a decoder may ignore them. */
enum raft_msg_type {
	/* Leader → follower: entries after (index, log_term); commit: leader's commit index;
	 * ctx: the leader's round (echoed back). n_entries <= RAFT_MAX_APPEND_ENTRIES. */
	RAFT_MSG_APPEND = 1,
	/* Follower → leader. Accepted: index = last index now matching the leader's log.
	 * Rejected (reject=true): index = the rejected append's index; hint_index/hint_term:
	 * the follower's last entry that could match (fast backtracking). ctx echoed. */
	RAFT_MSG_APPEND_RESP = 2,
	/* Candidate → voter: index/log_term: candidate's last entry. transfer: a leadership
	 * transfer (voters ignore leader stickiness). */
	RAFT_MSG_VOTE = 3,
	/* Voter → candidate: reject=false grants. */
	RAFT_MSG_VOTE_RESP = 4,
	/* As VOTE, but nobody changes term or vote (Raft §9.6); term = sender's term + 1. */
	RAFT_MSG_PRE_VOTE = 5,
	RAFT_MSG_PRE_VOTE_RESP = 6,
	/* Leader → follower: commit = min(leader's commit, follower's match); ctx: round. */
	RAFT_MSG_HEARTBEAT = 7,
	/* Follower → leader: ctx echoed; index = follower's last index (to resume replication). */
	RAFT_MSG_HEARTBEAT_RESP = 8,
	/* Leader → follower: snapshot (meta + data). Answered with APPEND_RESP index=snapshot
	 * index (accepted) or reject. */
	RAFT_MSG_SNAPSHOT = 9,
	/* Leader → transfer target: campaign now (a leadership transfer, thesis §3.10). */
	RAFT_MSG_TIMEOUT_NOW = 10,
	/* Follower → leader: please confirm leadership for a read; ctx: the follower's request. */
	RAFT_MSG_READ_INDEX = 11,
	/* Leader → follower: index = the read's index, or reject=true when it cannot serve it. */
	RAFT_MSG_READ_INDEX_RESP = 12,
};
const char *raft_msg_type_name(enum raft_msg_type t);

struct raft_msg {
	uint8_t type; /* enum raft_msg_type */
	uint64_t from, to, term;
	uint64_t index, log_term, commit, ctx;
	uint64_t hint_index, hint_term;
	bool reject, transfer;
	uint32_t n_entries;
	struct raft_entry *entries;     /* APPEND: n_entries, consecutive from index + 1 */
	struct raft_snapshot *snapshot; /* SNAPSHOT only */
	/* In a Ready: true when the message may go out only after the Ready's persist
	 * (votes, acknowledgements); false for the leader's replication. Not on the wire. */
	bool after_persist;
};

/* ---- the node ---- */

struct raft_options {
	uint64_t id;
	uint32_t heartbeat_timeout_ticks; /* 100: 1000 ms at 10 ms a tick */
	uint32_t election_timeout_ticks;  /* 100 */
	uint32_t leader_lease_ticks;      /* 50: 500 ms */
	uint32_t heartbeat_interval_ticks; /* 10: heartbeat_timeout / 10 */
	uint64_t trailing_logs;           /* entries kept behind a snapshot (Consul: 10240) */
	uint32_t max_inflight;            /* <= RAFT_MAX_INFLIGHT */
	bool pre_vote;                    /* default true */
	bool check_quorum;                /* default true */
	/* Uniform random numbers (the only randomness; e.g. a seeded PRNG in tests). */
	uint64_t (*rand)(void *arg);
	void *rand_arg;
};
/* Consul's defaults at raft_multiplier 1 with 1 tick = 10 ms; rand is left NULL (set it). */
struct raft_options raft_options_default(uint64_t id);

/* A confirmed read: the state machine may answer the read with context ctx once it has
 * applied index. */
struct raft_read_state {
	uint64_t index;
	uint64_t ctx;
};

struct raft_ready {
	/* Soft state, for the shell's information (status, forwarding). */
	enum raft_role role;
	uint64_t leader; /* 0: unknown */
	/* Persist these before sending after_persist messages. */
	bool hs_changed;
	struct raft_hard_state hard_state;
	struct raft_snapshot *snapshot; /* install: persist, then restore the state machine */
	struct raft_entry *entries;      /* write at entries[0].index (drop what follows there) */
	size_t n_entries;
	bool must_sync; /* fsync needed (entries, term or vote changed) */
	struct raft_msg *msgs;
	size_t n_msgs;
	/* Apply in order after persisting (they may include some of `entries`). */
	struct raft_entry *committed;
	size_t n_committed;
	struct raft_read_state *reads;
	size_t n_reads;
};

/* Statistics for tests and metrics. */
struct raft_stats {
	uint64_t elections_started; /* real (not pre-) elections this node ran */
	uint64_t elections_won;
	uint64_t pre_votes_started;
	uint64_t step_downs_check_quorum;
	uint64_t msgs_dropped; /* malformed or from a stale term */
	uint64_t snapshots_sent;
	uint64_t snapshots_installed;
};

struct raft;

/* Returns the node (aborts on out of memory). It starts as a follower with an empty log. */
struct raft *raft_new(const struct raft_options *opt);
void raft_free(struct raft *r);
/* Restores durable state after a restart, before any other call: the hard state, the last
 * snapshot (NULL: none; its data is copied) and the log entries (copied; consecutive, with
 * no gap after the snapshot; those the snapshot covers are skipped). The commit index is trusted up to the last
 * entry; nothing is reported as committed-to-apply below the snapshot. Returns 0 or
 * RAFT_ERR_BAD_MSG when the entries do not follow each other. */
int raft_load(struct raft *r, const struct raft_hard_state *hs, const struct raft_snapshot *snap,
	      const struct raft_entry *entries, size_t n);
/* Starts a new cluster: appends the configuration as entry 1 in term 1 (the same on every
 * initial server). Only on an empty log; returns 0 or RAFT_ERR_STATE. */
int raft_bootstrap(struct raft *r, const struct raft_config *conf);

/* Campaigns now instead of waiting for the election timeout (with a pre-vote first when
 * enabled). A server that is the only voter of its configuration wins at once: that is how
 * a lone server (-dev, -bootstrap) leads right at start. Returns 0 or RAFT_ERR_STATE (already
 * leader, or not a voter). */
int raft_campaign(struct raft *r);

/* One tick of time. */
void raft_tick(struct raft *r);
/* A message from a peer. Malformed or misdirected messages are dropped (counted) and
 * RAFT_ERR_BAD_MSG returned; nothing else changes. Entries are copied. */
int raft_step(struct raft *r, const struct raft_msg *m);
/* Leader only: appends a command. On success *index and *term (may be NULL) say where: the
 * command committed iff an entry with that index and term is later applied. Errors:
 * NOT_LEADER (raft_leader() says who is), TOO_BIG, TRANSFERRING. */
int raft_propose(struct raft *r, const void *data, size_t len, uint64_t *index, uint64_t *term);
/* Leader only: adds a voter or removes a server, one at a time (thesis §4.1); the change
 * takes effect when appended. Errors: NOT_LEADER, CONF_PENDING, NOT_READY (no entry of this
 * term committed yet), BAD_CONF (already in / not in / full). */
int raft_add_server(struct raft *r, uint64_t id, const char *addr, uint64_t *index);
int raft_remove_server(struct raft *r, uint64_t id, uint64_t *index);
/* Leader only: hands leadership to a voter (thesis §3.10); proposals are refused until it
 * completes or an election timeout passes. */
int raft_transfer_leadership(struct raft *r, uint64_t to);

enum raft_read_mode {
	RAFT_READ_LEASE,      /* Consul's default mode: served under the leader's lease */
	RAFT_READ_CONSISTENT, /* ?consistent: leadership confirmed by a quorum round */
};
/* Asks for a linearizable read point; the answer comes as a raft_read_state with the same
 * ctx in a later Ready (possibly the next one). On a follower the request goes to the leader.
 * Errors: NOT_LEADER (no leader known), BUSY. A request may also be silently lost (a lost
 * message, a change of leader): the caller times it out. */
int raft_read_index(struct raft *r, enum raft_read_mode mode, uint64_t ctx);

/* The state machine has a snapshot of everything up to index (<= applied): Raft keeps a
 * copy of data (to send to followers that fell behind) and drops the log up to
 * index - trailing_logs. The caller persists the snapshot and then may drop its durable
 * log before raft_first_index(). Returns 0 or BAD_INDEX. */
int raft_snapshot(struct raft *r, uint64_t index, const void *data, size_t len);
/* The shell failed to deliver a snapshot message to id: retry from a probe. */
void raft_report_unreachable(struct raft *r, uint64_t id);

bool raft_has_ready(const struct raft *r);
/* Fills rd with the obligations gathered since the last advance. */
void raft_ready(struct raft *r, struct raft_ready *rd);
/* The caller did everything rd asked. */
void raft_advance(struct raft *r, const struct raft_ready *rd);

/* ---- queries ---- */
enum raft_role raft_role(const struct raft *r);
uint64_t raft_id(const struct raft *r);
uint64_t raft_term(const struct raft *r);
uint64_t raft_leader(const struct raft *r);     /* 0: unknown */
uint64_t raft_commit_index(const struct raft *r);
uint64_t raft_applied_index(const struct raft *r);
uint64_t raft_first_index(const struct raft *r);
uint64_t raft_last_index(const struct raft *r);
/* Ticks since this follower last heard from a leader (Consul's X-Consul-LastContact);
 * 0 on the leader. */
uint64_t raft_last_contact_ticks(const struct raft *r);
/* On the leader: the last index server id is known to hold (its own: the last index);
 * 0 elsewhere or for an unknown id. For `consul operator raft list-peers`. */
uint64_t raft_match_index(const struct raft *r, uint64_t id);
/* True while this leader's lease holds (a quorum acknowledged it within leader_lease). */
bool raft_lease_valid(const struct raft *r);
/* The latest configuration in the log (committed or not: it is the one in effect). */
const struct raft_config *raft_configuration(const struct raft *r);
/* The latest snapshot held (index 0: none): after raft_snapshot() the caller persists this
 * meta (index, term, config) with its data. */
const struct raft_snapshot *raft_get_snapshot(const struct raft *r);
const struct raft_log *raft_get_log(const struct raft *r);
const struct raft_stats *raft_get_stats(const struct raft *r);

#endif
