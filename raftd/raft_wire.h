/* raft_wire.h: struct raft_msg as bytes, for the RAFT_MESSAGE op between servers. Pure.
 *
 *   u8 version (1) | u8 type | u8 flags (1 reject, 2 transfer) | u8 addr_len | the sender's
 *   server address ("host:port", < RAFT_ADDR_MAX bytes) | u64 from, to, term, index,
 *   log_term, commit, ctx, hint_index, hint_term | u32 n_entries |
 *   n_entries x (u64 term | u64 index | u8 type | u32 len | data) |
 *   SNAPSHOT only: u64 index | u64 term | u32 config_len | config | u64 data_len | data
 *   (big-endian; nothing may follow)
 *
 *   struct buf out; raft_wire_encode(&out, &msg, "10.0.0.1:8300");
 *   struct raft_wire_msg w; if (raft_wire_decode(bytes, len, &w) == 0) raft_step(r, &w.msg);
 *
 * The decoder is strict: every length is checked against the bytes left and the core's hard
 * limits, unknown types and flags are refused, and the whole input must be consumed. Decoded
 * entries and snapshot data point into the input.
 */
#ifndef RAFTD_RAFT_WIRE_H
#define RAFTD_RAFT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "raft.h"

#define RAFT_WIRE_VERSION 1

/* A decoded message and the storage its pointers use. */
struct raft_wire_msg {
	struct raft_msg msg;
	/* Where the sender answers: a server that just started may know nobody's address yet. */
	char from_addr[RAFT_ADDR_MAX];
	struct raft_entry entries[RAFT_MAX_APPEND_ENTRIES];
	struct raft_snapshot snapshot;
};

/* Appends the encoding of m sent by the server at from_addr (NULL or "": unknown; longer
 * than RAFT_ADDR_MAX - 1 bytes: cut). Returns 0 or -ENOMEM. */
int raft_wire_encode(struct buf *out, const struct raft_msg *m, const char *from_addr);
/* Decodes one message. Returns 0, or -EPROTO with *why (a static string) saying what was
 * wrong. */
int raft_wire_decode(const unsigned char *in, size_t len, struct raft_wire_msg *out, const char **why);

#endif
