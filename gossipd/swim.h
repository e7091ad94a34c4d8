/* swim.h: cluster membership (SWIM with the Lifeguard refinements, Serf's member states) as a
 * pure state machine. No sockets, no clock, no rand(): time comes in as now_ms, randomness from
 * the caller-seeded PRNG given to swim_new, and every obligation (packets to send, member events
 * to publish) comes back in a struct swim_out.
 *
 *   struct swim_config cfg; swim_config_lan(&cfg);
 *   struct swim_tag tags[] = {{"role", "node"}, {"dc", "dc1"}};
 *   struct swim *s = swim_new(&cfg, "agent-one", "10.0.0.10", 8301, 1, tags, 2, seed);
 *   struct swim_out out; swim_out_init(&out);
 *   swim_join(s, now_ms, &seed_addr, 1, &out);           // push/pull with the seeds
 *   for (;;) {                                            // the shell's loop
 *       swim_tick(s, now_ms, &out);                       // at swim_next_deadline(s) or later
 *       swim_recv(s, now_ms, &from, &decoded_msg, &out);  // for each decoded packet / stream
 *       for (i < out.nsends) send out.sends[i].msg to out.sends[i].to (TCP if .reliable)
 *       for (i < out.nevents) publish out.events[i]
 *       swim_out_clear(&out);
 *   }
 *
 * Behaviour follows hashicorp/memberlist's LAN profile and Serf's member states: randomized
 * round-robin probes, ping / indirect ping-req through k members / TCP fallback ping, Lifeguard
 * dynamic suspicion timeouts, local health awareness and nacks, incarnation numbers and
 * refutation, piggybacked broadcasts retransmitted retransmit_mult * ceil(log10(n + 1)) times,
 * push/pull state sync (scaled past 32 members), Serf's reconnect to failed members, reaping.
 *
 * Messages: struct swim_msg is what a packet or stream carries, plain data for the wire codec.
 * Membership facts and user events are struct swim_update, immutable and reference counted so
 * one decoded fact can sit in the broadcast queue and in many outgoing messages without copies.
 * Make them only with swim_update_new (which enforces the limits below). */
#ifndef GOSSIPD_SWIM_H
#define GOSSIPD_SWIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard limits (memberlist: meta 512 bytes; Serf: user events 512 bytes, here name and payload
 * separately). A decoder must reject anything bigger; swim_update_new does too. */
#define SWIM_NAME_MAX 128           /* node and event names, bytes without the NUL */
#define SWIM_ADDR_MAX 63            /* address strings (an IPv6 literal is 45) */
#define SWIM_TAGS_MAX 512           /* encoded tag bytes, see swim_tags_encode */
#define SWIM_EVENT_PAYLOAD_MAX 512  /* user event payload bytes */
#define SWIM_MAX_UPDATES 256        /* updates piggybacked on one message */
#define SWIM_MAX_STATES 65536       /* entries in one push/pull */
/* Bytes of updates packed into one UDP packet: memberlist's 1400-byte UDP buffer less the
 * message header. The codec must encode an update in at most swim_update_wire_size bytes. */
#define SWIM_PACKET_BUDGET 1400
#define SWIM_MSG_HEADER_MAX 200     /* a ping/ack/nack/indirect-ping header, incl. names */

/* ------------------------------------------------------------------ randomness */

/* xoshiro256**: the core's only source of randomness, seeded by the caller. */
struct swim_rng {
	uint64_t s[4];
};
void swim_rng_seed(struct swim_rng *r, uint64_t seed);
uint64_t swim_rng_next(struct swim_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t swim_rng_below(struct swim_rng *r, uint32_t n);

/* ------------------------------------------------------------------ configuration */

struct swim_config {
	uint32_t probe_interval_ms;        /* 1 s */
	uint32_t probe_timeout_ms;         /* 500 ms: wait for a direct ack before indirect probes */
	uint32_t indirect_checks;          /* 3: members asked to ping-req a silent member */
	uint32_t gossip_interval_ms;       /* 200 ms */
	uint32_t gossip_nodes;             /* 3 members per gossip round */
	uint32_t retransmit_mult;          /* 4 */
	uint32_t suspicion_mult;           /* 4 */
	uint32_t suspicion_max_timeout_mult; /* 6 */
	uint32_t push_pull_interval_ms;    /* 30 s, scaled past 32 members */
	uint32_t join_sync_delay_ms;       /* 2 s: one more push/pull with the join target
					    * 1-2x this after joining (0: off) */
	uint32_t awareness_max_mult;       /* 8 */
	uint32_t gossip_to_dead_ms;        /* 30 s: dead members still get gossip that long */
	uint32_t reconnect_interval_ms;    /* 30 s: Serf's attempt to reach a failed member */
	uint64_t reconnect_timeout_ms;     /* 72 h: failed members are reaped after it */
	uint64_t tombstone_timeout_ms;     /* 24 h: left members are reaped after it */
	uint32_t reap_interval_ms;         /* 15 s */
	uint32_t event_buffer;             /* 512 Lamport times of user events remembered */
	uint32_t max_queue_depth;          /* 4096 (or 2 n, the larger): broadcasts kept queued */
	bool tcp_fallback;                 /* true: also ping over the reliable path on timeout */
};
/* Fills memberlist's DefaultLANConfig with Serf's defaults for the rest. */
void swim_config_lan(struct swim_config *c);

/* ------------------------------------------------------------------ data */

enum swim_state { SWIM_ALIVE = 0, SWIM_SUSPECT = 1, SWIM_DEAD = 2, SWIM_LEFT = 3 };
const char *swim_state_name(enum swim_state st);

struct swim_addr {
	char host[SWIM_ADDR_MAX + 1];  /* an address literal, NUL-terminated */
	uint16_t port;
};

struct swim_tag {
	const char *key;
	const char *value;
};
/* Tags travel as "key\0value\0key\0value\0": encodes n tags into buf. Returns the length or
 * -E2BIG past SWIM_TAGS_MAX (or cap). */
int swim_tags_encode(const struct swim_tag *tags, size_t n, uint8_t *buf, size_t cap);
/* Iterates encoded tags: returns 1 and sets key/value (pointing into buf), 0 at the end, -EINVAL
 * on a malformed blob. *pos starts at 0. */
int swim_tags_next(const uint8_t *buf, size_t len, size_t *pos, const char **key, const char **value);
/* Whether buf is a well-formed tags blob (every string NUL-terminated, even count). */
bool swim_tags_valid(const uint8_t *buf, size_t len);

enum swim_update_type {
	SWIM_UPD_ALIVE = 1,      /* node, incarnation, addr, port, tags: "node is alive" */
	SWIM_UPD_SUSPECT = 2,    /* node, incarnation, from: "from suspects node" */
	SWIM_UPD_DEAD = 3,       /* node, incarnation, from: "from declares node failed" */
	SWIM_UPD_LEAVE = 4,      /* node, incarnation, from: "node left" (graceful or force-leave) */
	SWIM_UPD_USER_EVENT = 5, /* event_name, payload, ltime, from: a Serf user event */
	SWIM_UPD_PRUNE = 6,      /* node, incarnation, from: force-leave -prune: "forget node" */
};

/* One fact, broadcast by gossip. Read-only once made; strings are NUL-terminated and point into
 * the object. Unused fields are "" / 0. */
struct swim_update {
	enum swim_update_type type;
	uint32_t incarnation;
	const char *node;           /* the member the fact is about ("" for user events) */
	const char *from;           /* who said it (suspect/dead/leave/user event) */
	const char *addr;           /* alive: address literal */
	uint16_t port;              /* alive */
	const uint8_t *tags;        /* alive: encoded tags */
	uint16_t tags_len;
	uint64_t ltime;             /* user event: Lamport time */
	const char *event_name;     /* user event */
	const uint8_t *payload;     /* user event */
	uint16_t payload_len;
	bool coalesce;              /* user event: Serf's coalesce flag, carried through */
	/* private */
	uint32_t refs;
	uint32_t name_hash;
};
/* Copies tmpl (its pointers may be anywhere; NULL strings mean "") into a new update with one
 * reference. Returns NULL if a field breaks the limits or the type rules (alive needs a node and
 * an address; suspect/dead/leave need node and from; user events need a name), or on ENOMEM. */
struct swim_update *swim_update_new(const struct swim_update *tmpl);
struct swim_update *swim_update_ref(struct swim_update *u);
void swim_update_unref(struct swim_update *u);
/* The most bytes the wire codec may use for u; the core packs packets by it. */
size_t swim_update_wire_size(const struct swim_update *u);

enum swim_msg_type {
	SWIM_MSG_PING = 1,          /* seq, target: "ack this if you are target" */
	SWIM_MSG_INDIRECT_PING = 2, /* seq, target, target_addr, want_nack: "ping target for me" */
	SWIM_MSG_ACK = 3,           /* seq */
	SWIM_MSG_NACK = 4,          /* seq: "I asked target and heard nothing" */
	SWIM_MSG_GOSSIP = 5,        /* only the piggybacked updates */
	SWIM_MSG_PUSH_PULL = 6,     /* states, event_ltime, join, reply: full state exchange */
};

/* One member's entry in a push/pull. info is its latest alive record (name, addr, port, tags). */
struct swim_pp_entry {
	struct swim_update *info;   /* SWIM_UPD_ALIVE; one reference owned by the message */
	uint32_t incarnation;       /* may be newer than info->incarnation (suspect/dead/left) */
	enum swim_state state;
};

struct swim_msg {
	enum swim_msg_type type;
	uint32_t seq;
	char target[SWIM_NAME_MAX + 1];  /* ping (may be ""), indirect ping */
	struct swim_addr target_addr;    /* indirect ping */
	bool want_nack;                  /* indirect ping */
	bool join, reply;                /* push/pull: sent by a joining member / the answer */
	uint64_t event_ltime;            /* push/pull: sender's user event Lamport clock */
	struct swim_pp_entry *states;    /* push/pull, owned */
	size_t nstates;
	struct swim_update **updates;    /* piggybacked facts, one reference each, owned */
	size_t nupdates;
	bool reliable;                   /* not on the wire: set by the receiving shell when it came
					  * on the TCP path, so the answer goes back on it too */
};
void swim_msg_init(struct swim_msg *m, enum swim_msg_type type);
/* Releases the updates and states; leaves an empty message of the same type. */
void swim_msg_free(struct swim_msg *m);
/* Moves src into dst (dst must be free); src becomes empty. */
void swim_msg_move(struct swim_msg *dst, struct swim_msg *src);
/* Appends u, taking the caller's reference on success. Returns 0, -E2BIG or -ENOMEM. */
int swim_msg_add_update(struct swim_msg *m, struct swim_update *u);
/* Appends a push/pull entry, taking the caller's reference to info. 0, -E2BIG or -ENOMEM. */
int swim_msg_add_state(struct swim_msg *m, struct swim_update *info, uint32_t incarnation, enum swim_state st);
/* Checks what a decoder cannot: types, states, NUL-terminated fields. 0 or -EINVAL. */
int swim_msg_validate(const struct swim_msg *m);

/* ------------------------------------------------------------------ outputs */

struct swim_send {
	struct swim_addr to;
	bool reliable;               /* TCP path: push/pull and the fallback ping (and its ack) */
	struct swim_msg msg;
};

enum swim_event_type {
	SWIM_EV_JOIN = 1,    /* member became alive (new, or back from failed/left) */
	SWIM_EV_LEAVE = 2,   /* member left gracefully (or was force-left) */
	SWIM_EV_FAILED = 3,  /* member declared failed */
	SWIM_EV_UPDATE = 4,  /* alive member changed tags or address */
	SWIM_EV_REAP = 5,    /* failed/left member forgotten after reconnect/tombstone timeout */
	SWIM_EV_USER = 6,    /* a user event seen for the first time (update holds it) */
};

struct swim_event {
	enum swim_event_type type;
	struct swim_update *update;  /* member events: the member's alive record; user: the event */
	enum swim_state state;       /* member's state after the event */
	uint32_t incarnation;
};

struct swim_out {
	struct swim_send *sends;
	size_t nsends, cap_sends;
	struct swim_event *events;
	size_t nevents, cap_events;
};
void swim_out_init(struct swim_out *o);
/* Frees the messages and events; keeps the arrays for reuse. */
void swim_out_clear(struct swim_out *o);
void swim_out_free(struct swim_out *o);

/* ------------------------------------------------------------------ the state machine */

struct swim;

struct swim_stats {
	uint64_t dropped_invalid;      /* messages failing validation */
	uint64_t dropped_unexpected;   /* acks/nacks for no probe, pings for another name */
	uint64_t probes, probe_failures, indirect_probes, tcp_fallbacks;
	uint64_t suspicions, refutations, deaths_declared;
	uint64_t push_pulls, reconnects, relays_dropped, enomem;
};

/* Creates the core for this member. tags may be NULL when ntags is 0. seed drives every random
 * choice (probe order, indirect members, gossip targets). Returns NULL on invalid arguments
 * (names/tags past the limits) or ENOMEM. The first swim_tick reports our own join. */
struct swim *swim_new(const struct swim_config *cfg, const char *name, const char *addr, uint16_t port,
		      uint32_t incarnation, const struct swim_tag *tags, size_t ntags, uint64_t seed);
void swim_free(struct swim *s);

/* Runs every timer due at now_ms: probes and their timeouts, suspicion timeouts, gossip rounds,
 * push/pull, reconnects, reaping. Returns 0 (or -ENOMEM, after doing what it could). */
int swim_tick(struct swim *s, uint64_t now_ms, struct swim_out *out);
/* The earliest time swim_tick has work; the shell arms its timer for it. */
uint64_t swim_next_deadline(const struct swim *s);
/* Handles one decoded message from `from` (the reply address). The core takes no ownership of
 * in (it takes references to updates it keeps). Returns 0 or -EINVAL (dropped, counted). */
int swim_recv(struct swim *s, uint64_t now_ms, const struct swim_addr *from, const struct swim_msg *in,
	      struct swim_out *out);
/* Starts a join: a push/pull (join=true) to each address. Returns how many were queued. */
int swim_join(struct swim *s, uint64_t now_ms, const struct swim_addr *addrs, size_t n, struct swim_out *out);
/* Graceful leave: marks us left and broadcasts it; we stop probing but keep gossiping and
 * answering. Poll swim_leave_propagated to know when the shell may stop. */
int swim_leave(struct swim *s, uint64_t now_ms, struct swim_out *out);
/* True once the leave was sent its full retransmit count, or no alive member remains. */
bool swim_leave_propagated(const struct swim *s);
/* Serf's force-leave: a failed member becomes left everywhere; a live one is marked leaving
 * everywhere until it refutes. With prune, a failed or left member is also erased from every
 * member's table (SWIM_EV_REAP). Returns 0 or -ENOENT (unknown name). */
int swim_force_leave(struct swim *s, uint64_t now_ms, const char *name, bool prune, struct swim_out *out);
/* New tags for us: a higher incarnation, broadcast, and an update event. 0, -E2BIG, -ENOMEM. */
int swim_set_tags(struct swim *s, uint64_t now_ms, const struct swim_tag *tags, size_t ntags, struct swim_out *out);
/* Fires a Serf user event at the current Lamport time. 0, -E2BIG (name/payload too long),
 * -ENOMEM. We see it too (SWIM_EV_USER). */
int swim_user_event(struct swim *s, uint64_t now_ms, const char *name, const uint8_t *payload, size_t len,
		    bool coalesce, struct swim_out *out);

/* ------------------------------------------------------------------ queries */

struct swim_member_info {
	const char *name;
	const char *addr;
	uint16_t port;
	const uint8_t *tags;
	size_t tags_len;
	uint32_t incarnation;
	enum swim_state state;
	uint64_t state_change_ms;
	bool leaving;  /* Serf's "leaving": alive, but a force-leave named it (until it refutes) */
};
/* Members known (ourselves included) in table order; the pointers live until the next call
 * that changes s. */
size_t swim_member_count(const struct swim *s);
void swim_member_at(const struct swim *s, size_t i, struct swim_member_info *out);
/* 0 and fills out, or -ENOENT. */
int swim_member_find(const struct swim *s, const char *name, struct swim_member_info *out);
/* How many members are in state st (ourselves included). */
size_t swim_count(const struct swim *s, enum swim_state st);
/* Local health: 0 (healthy) .. awareness_max_mult - 1. */
int swim_awareness(const struct swim *s);
uint64_t swim_event_ltime(const struct swim *s);
/* Facts queued for gossip (a metric; large after a join storm, 0 in a quiet cluster). */
size_t swim_backlog(const struct swim *s);
const struct swim_stats *swim_stats(const struct swim *s);
const char *swim_name(const struct swim *s);

#endif
