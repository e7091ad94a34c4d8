/* commit_log.h: the commit path between a proposal and the store. A proposed command is made
 * durable, then applied to the store (store_apply), then its proposer's callback runs with the
 * result. The store changes only here, so the Raft issue replaces this file's implementation
 * (replicate to a quorum instead of one local fsync) and keeps the interface and the store.
 *
 * This implementation is a single server's write-ahead log in `dir` (data_dir/raft):
 *   wal.log        records: u32 payload_len | u32 crc32c(index, term, payload) | u64 index |
 *                  u64 term | payload (the command JSON); big-endian
 *   snapshot.json  store_snapshot() of the store, every `snapshot_threshold` entries, written
 *                  to a temporary file, fsynced and renamed; then wal.log is truncated.
 * On open: the snapshot is restored and the log replayed; a torn or corrupt tail is dropped
 * (and logged). With dir NULL (-dev) nothing touches the disk.
 *
 *   struct commit_log_config cc = {.dir = "/data/raft", .snapshot_threshold = 8192};
 *   struct commit_log *cl = commit_log_open(&cc, store, err, sizeof err);
 *   commit_log_propose(cl, cmd, len, on_committed, req);   // any number per loop iteration
 *   commit_log_flush(cl);        // once per loop iteration (ev_prepare): one write + one fsync
 */
#ifndef RAFTD_COMMIT_LOG_H
#define RAFTD_COMMIT_LOG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct store;

/* Runs once per proposal: status and body are store_apply's (500 when the log could not be
 * written; then nothing was applied). body is valid only during the call. */
typedef void (*commit_done_cb)(void *arg, uint64_t index, int status, const char *body, size_t len);

struct commit_log_config {
	const char *dir;             /* NULL: memory only */
	uint64_t snapshot_threshold; /* entries between snapshots; 0 never snapshots */
	/* -dev: the log lives in the run's temporary data dir so a restarted raftd keeps the
	 * run's data, but nothing needs to survive a machine crash, so appends skip fsync. */
	bool no_sync;
};

/* Largest command accepted by commit_log_propose. */
#define COMMIT_LOG_MAX_CMD_BYTES (16u * 1024 * 1024)

struct commit_log;

/* Restores the snapshot and replays the log into `store` (which must be empty and outlive the
 * log). Returns NULL with a one-line reason in err when the directory or the snapshot cannot
 * be used. */
struct commit_log *commit_log_open(const struct commit_log_config *cfg, struct store *store, char *err,
				   size_t err_len);
/* Pending proposals get status 500. */
void commit_log_close(struct commit_log *cl);
/* Queues a command (copied). Returns 0, or -EMSGSIZE (cb never runs). */
int commit_log_propose(struct commit_log *cl, const char *cmd, size_t len, commit_done_cb cb, void *arg);
/* Proposals queued and not yet flushed. */
size_t commit_log_pending(const struct commit_log *cl);
/* Makes every queued proposal durable with one write and one fsync, applies them in order and
 * runs their callbacks (which may propose more: those wait for the next flush). Returns the
 * number applied, or -errno when the write failed (each callback then got 500). */
int commit_log_flush(struct commit_log *cl);
/* Writes a snapshot now and truncates the log. Returns 0 or -errno (the log is kept). */
int commit_log_snapshot(struct commit_log *cl);
/* Index of the last committed entry. */
uint64_t commit_log_last_index(const struct commit_log *cl);

#endif
