/* snapshot_file.h: the file of `consul snapshot save` and of GET/PUT /v1/snapshot: the whole
 * state store at one Raft index, with a checksum so that a corrupt or truncated file is refused
 * before anything is restored. Pure: bytes in, bytes out.
 *
 * Layout (integers big-endian):
 *   "consnap\n" | u32 version (1) | u32 flags (0) | u64 index | u64 term | u64 created_ms |
 *   u64 state_len | state (the store snapshot JSON) | u32 CRC-32C of every byte before it
 *
 *   struct buf f; buf_init(&f);
 *   snapshot_file_encode(&f, &(struct snapshot_meta){.index = 12, .term = 2, .created_ms = now}, json, len);
 *   if (snapshot_file_decode(data, n, &meta, &state, &state_len, err, sizeof err) < 0) refuse(err);
 *
 * Consul's own snapshots are gzipped tar archives; ours are not (this suite's servers only read
 * their own), but the commands and endpoints that carry them behave as Consul's.
 */
#ifndef COMMON_SNAPSHOT_FILE_H
#define COMMON_SNAPSHOT_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SNAPSHOT_FILE_VERSION 1
#define SNAPSHOT_FILE_HDR_LEN 48
#define SNAPSHOT_FILE_CRC_LEN 4
#define SNAPSHOT_FILE_MAX_STATE (1ull << 32)

struct snapshot_meta {
	uint32_t version;
	uint64_t index;      /* the Raft index the state reflects */
	uint64_t term;       /* the Raft term at that index */
	uint64_t created_ms; /* Unix time of the save, in ms (part of the ID) */
	uint64_t size;       /* bytes of state */
};

/* Appends the file for state[0..len) to out (meta's version and size are filled in). Returns 0,
 * or -EMSGSIZE when the state is too large. */
int snapshot_file_encode(struct buf *out, const struct snapshot_meta *meta, const char *state, size_t len);
/* Checks and splits a file: *state points into in. Returns 0, or -EINVAL with the reason in
 * err (not a snapshot, unsupported version, truncated, trailing bytes, checksum mismatch). */
int snapshot_file_decode(const uint8_t *in, size_t len, struct snapshot_meta *meta, const char **state,
			 size_t *state_len, char *err, size_t err_len);
/* Consul's snapshot ID: "term-index-created_ms". */
void snapshot_file_id(const struct snapshot_meta *meta, char *out, size_t out_len);

#endif
