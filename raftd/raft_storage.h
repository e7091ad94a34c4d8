/* raft_storage.h: what the Raft core asks to keep durable, on disk in one directory
 * (data_dir/raft). No sockets, no clock: the shell calls it once per Ready.
 *
 *   seg-<first index, 20 digits>.log   the log, in segments of about segment_bytes; records:
 *        u32 payload_len | u32 crc32c(rest of header, payload) | u64 index | u64 term |
 *        u8 type | payload                              (big-endian; header 25 bytes)
 *        Indexes follow each other with no gap, across segments too. A conflicting suffix is
 *        cut off the files (truncate + unlink), so the disk never holds two versions.
 *   state     u64 term | u64 vote | u64 commit | u32 crc32c, replaced atomically
 *   snapshot  "RAFTSNP1" | u64 index | u64 term | u32 config_len | config | u64 data_len |
 *             data | u32 crc32c(everything before), replaced atomically
 *
 *   struct raft_storage_options o = {.dir = "/data/raft", .segment_bytes = 0 (default)};
 *   struct raft_storage_state st;
 *   struct raft_storage *s = raft_storage_open(&o, &st, err, sizeof err);  // NULL: refuse
 *   raft_load(r, &st.hard_state, st.has_snapshot ? &st.snapshot : NULL, st.entries, st.n_entries);
 *   raft_storage_state_free(&st);
 *   per Ready: raft_storage_save_snapshot(s, rd.snapshot, true) if any;
 *              raft_storage_append(s, rd.entries, rd.n_entries);
 *              raft_storage_set_hard_state(s, &rd.hard_state) when term or vote changed;
 *              raft_storage_sync(s) when rd.must_sync: one fsync for the whole batch.
 *   after raft_snapshot(): raft_storage_save_snapshot(s, raft_get_snapshot(r), false);
 *                          raft_storage_compact(s, raft_first_index(r));
 *
 * Recovery: a torn or corrupt tail of the last segment is cut off and logged (it was never
 * acknowledged: the fsync that would have covered it did not finish). Corruption anywhere
 * else (an earlier segment, the state file, the snapshot, a gap between segments) cannot be
 * repaired without losing acknowledged data, so open refuses, naming the file and what to do.
 */
#ifndef RAFTD_RAFT_STORAGE_H
#define RAFTD_RAFT_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft.h"

#define RAFT_STORAGE_SEGMENT_BYTES (8u * 1024 * 1024)

struct raft_storage_options {
	const char *dir;        /* created if missing */
	uint64_t segment_bytes; /* a new segment starts once the active one is this big; 0: default */
	/* -dev: the files are kept (a restarted raftd finds its data) but never fsynced. */
	bool no_sync;
};

/* What the disk held, for raft_load. The entries and the snapshot data are owned by it. */
struct raft_storage_state {
	struct raft_hard_state hard_state;
	bool has_snapshot;
	struct raft_snapshot snapshot; /* data points at snapshot_data */
	unsigned char *snapshot_data;
	struct raft_entry *entries; /* consecutive, the first right after the snapshot or lower */
	size_t n_entries;
	uint64_t dropped_bytes; /* torn tail cut off the last segment */
};
void raft_storage_state_free(struct raft_storage_state *st);

struct raft_storage;

/* Reads the directory back. Returns NULL with a one-line reason (and the remedy) in err when
 * it cannot be used safely. */
struct raft_storage *raft_storage_open(const struct raft_storage_options *o, struct raft_storage_state *st,
				       char *err, size_t err_len);
void raft_storage_close(struct raft_storage *s);

/* Writes entries (consecutive) at entries[0].index: what the disk held from there on is
 * dropped first. Not durable until raft_storage_sync. Returns 0 or -errno. */
int raft_storage_append(struct raft_storage *s, const struct raft_entry *entries, size_t n);
/* Replaces the state file (durable on return unless no_sync). Returns 0 or -errno. */
int raft_storage_set_hard_state(struct raft_storage *s, const struct raft_hard_state *hs);
/* Makes every append durable: one fsync. Returns 0 or -errno. */
int raft_storage_sync(struct raft_storage *s);
/* Replaces the snapshot file (durable on return unless no_sync). reset_log: the snapshot
 * was installed from a leader and replaces the whole log (the next append starts after it).
 * Returns 0 or -errno. */
int raft_storage_save_snapshot(struct raft_storage *s, const struct raft_snapshot *snap, bool reset_log);
/* Deletes the segments whose entries all lie below first_kept (never the active one).
 * Returns the number deleted or -errno. */
int raft_storage_compact(struct raft_storage *s, uint64_t first_kept);

/* Index of the last entry held on disk (the snapshot's when the log is empty). */
uint64_t raft_storage_last_index(const struct raft_storage *s);
/* Number of segment files. */
size_t raft_storage_segments(const struct raft_storage *s);

#endif
