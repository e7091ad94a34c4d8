/* raft_log.h: the Raft log held in memory: entries after the last snapshot, with terms, the
 * index up to which the caller has made them durable ("stable"), truncation of a conflicting
 * suffix and compaction of a prefix. Pure data structure, no I/O.
 *
 *   struct raft_log l; raft_log_init(&l);
 *   raft_log_reset(&l, snap_index, snap_term);         // empty log after a snapshot
 *   raft_log_append(&l, &(struct raft_entry){.term = 2, .type = RAFT_ENTRY_NORMAL, ...});
 *   raft_log_term(&l, 7, &term);                       // 0, or -ENOENT when compacted/beyond
 *   raft_log_truncate_from(&l, 5);                     // drops 5.. (a conflict)
 *   raft_log_compact_to(&l, 3);                        // drops ..3 (after a snapshot at >= 3)
 *   raft_log_free(&l);
 */
#ifndef RAFTD_RAFT_LOG_H
#define RAFTD_RAFT_LOG_H

#include <stddef.h>
#include <stdint.h>

/* What an entry holds. NOOP is the empty entry a new leader appends to commit its term
 * (Raft §8); CONFIG holds a whole configuration (raft_config_encode). Both are delivered to
 * the application in committed entries and must be skipped by the state machine. */
enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0,
	RAFT_ENTRY_NOOP = 1,
	RAFT_ENTRY_CONFIG = 2,
};

/* Hard limit on one entry's payload (the same as the commit log's largest command). */
#define RAFT_MAX_ENTRY_BYTES (16u * 1024 * 1024)

/* One log entry. data is owned by whoever holds the entry (the log owns its copies;
 * in messages and in a Ready it points into memory valid until raft_advance). */
struct raft_entry {
	uint64_t term;
	uint64_t index;
	uint8_t type;  /* enum raft_entry_type */
	uint32_t len;  /* <= RAFT_MAX_ENTRY_BYTES */
	unsigned char *data;
};

struct raft_log {
	struct raft_entry *ents; /* ents[i] has index offset + 1 + i */
	size_t n, cap;
	uint64_t offset;      /* index of the last entry folded into the snapshot (0: none) */
	uint64_t offset_term; /* its term */
	uint64_t stable;      /* entries up to here were made durable by the caller */
	uint64_t bytes;       /* payload bytes held */
};

void raft_log_init(struct raft_log *l);
void raft_log_free(struct raft_log *l);
/* Drops every entry; the log now starts after (index, term), everything is stable. */
void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term);
/* First index held (offset + 1, even when empty) and last index (offset when empty). */
uint64_t raft_log_first(const struct raft_log *l);
uint64_t raft_log_last(const struct raft_log *l);
uint64_t raft_log_last_term(const struct raft_log *l);
/* Term of the entry at index into *term: 0 on success; the offset's term is known too.
 * -ENOENT when the index is compacted away or beyond the last entry. */
int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term);
/* The entry at index, or NULL when not held. Valid until the log next changes. */
const struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index);
/* Appends a copy of e at index last+1 (e->index is set by the log). Aborts on out of memory. */
void raft_log_append(struct raft_log *l, const struct raft_entry *e);
/* Drops the entries from index on (index > offset); stable moves back if it was past them. */
void raft_log_truncate_from(struct raft_log *l, uint64_t index);
/* Drops the entries up to and including index (offset < index <= last). */
void raft_log_compact_to(struct raft_log *l, uint64_t index);

#endif
