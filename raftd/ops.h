/* ops.h: raftd's ops (common/rpc_ops.h) in terms of the store: which ops write and the store
 * command each becomes, and which store query each read runs with its arguments. Pure.
 *
 *   if (ops_is_write(op)) { status = ops_command(op, args, len, &cmd); propose(cmd) if 200; }
 *   else status = ops_read(store, op, args, len, &body);
 */
#ifndef RAFTD_OPS_H
#define RAFTD_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct store;

/* True for CATALOG_REGISTER, CATALOG_DEREGISTER, KV_PUT, KV_DELETE. */
bool ops_is_write(unsigned op);
/* True for every op this module answers (reads and writes; not the STATUS_* ops). */
bool ops_is_store_op(unsigned op);
/* Builds the store command (store.h) for a write op. Returns 200 with the command in out, or
 * 400 with a message in out. */
int ops_command(unsigned op, const char *args, size_t len, struct buf *out);
/* Runs a read op. Returns its status with the body (or the error message) in out. */
int ops_read(const struct store *s, unsigned op, const char *args, size_t len, struct buf *out);

#endif
