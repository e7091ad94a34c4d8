/* raftd_snapshot.c: consul-raftd's side of `consul snapshot save/restore` and /v1/snapshot:
 * the store packed into a snapshot file (common/snapshot_file.h) at its current index, and a
 * file's state put through the log as one "restore" command, so that every server replaces
 * its store at the same index. */
#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "raftd_int.h"
#include "snapshot_file.h"

void snapshot_save_answer(struct raftd *d, struct rpc_req *req)
{
	struct buf state, file;
	buf_init(&state);
	buf_init(&file);
	struct snapshot_meta meta = {.index = store_index(d->store),
				     .term = raft_term(d->raft),
				     .created_ms = (uint64_t)(ev_time() * 1000.0)};
	if (meta.index == 0)
		meta.index = 1; /* as X-Consul-Index: never 0 */
	if (store_snapshot(d->store, &state) < 0 ||
	    snapshot_file_encode(&file, &meta, state.data ? state.data : "", state.len) < 0) {
		reply_str(d, req, 500, "failed to save snapshot");
	} else {
		log_info("snapshot: saved at index %" PRIu64 " (%zu bytes)", meta.index, file.len);
		reply(d, req, 200, &file);
	}
	buf_free(&state);
	buf_free(&file);
}

void snapshot_restore_propose(struct raftd *d, struct rpc_req *req, const char *args, size_t len)
{
	struct snapshot_meta meta;
	const char *state;
	size_t state_len;
	char err[256];
	if (snapshot_file_decode((const uint8_t *)args, len, &meta, &state, &state_len, err, sizeof err) < 0) {
		log_warnx("snapshot: restore refused: %s", err);
		char msg[300];
		snprintf(msg, sizeof msg, "failed to restore snapshot: %s", err);
		reply_str(d, req, 400, msg);
		return;
	}
	static const char head[] = "{\"Op\":\"restore\",\"Snapshot\":";
	struct buf cmd;
	buf_init(&cmd);
	if (buf_append(&cmd, head, sizeof head - 1) < 0 || buf_append(&cmd, state, state_len) < 0 ||
	    buf_append_char(&cmd, '}') < 0) {
		buf_free(&cmd);
		reply_str(d, req, 500, "out of memory");
		return;
	}
	log_info("snapshot: restoring the snapshot of index %" PRIu64 " (%zu bytes of state)", meta.index, state_len);
	propose_command(d, req, cmd.data, cmd.len, "snapshot restore");
	buf_free(&cmd);
}

bool snapshot_is_restore_command(const char *cmd, size_t len)
{
	static const char head[] = "{\"Op\":\"restore\"";
	return len >= sizeof head - 1 && memcmp(cmd, head, sizeof head - 1) == 0;
}
