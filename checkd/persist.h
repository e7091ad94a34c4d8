/* persist.h: what survives a checkd restart: services and checks registered through the API
 * (as their original definitions), TTL check states and maintenance mode, in one JSON file under
 * data_dir/checkd/, written whole (tmp + fsync + rename) so a crash leaves old or new.
 *
 *   persist_render(ls, &buf);  persist_write_file(path, &buf);
 *   ... next start, after the config file definitions are loaded:
 *   persist_restore(ls, text, len, &api_ctx, now_ms, err, sizeof err);
 *
 * Definitions from config files are not stored: the files are read again. When a file now
 * defines an id that was registered through the API, the file wins (as Consul's).
 */
#ifndef CHECKD_PERSIST_H
#define CHECKD_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "local_state.h"

struct buf;

/* Returns 0 or -ENOMEM. */
int persist_render(const struct local_state *ls, struct buf *out);
/* Adds the stored services and checks to ls and restores TTL states that have not expired
 * by now_ms. An entry that no longer parses is skipped with a warning. Returns the number
 * of entries restored, or -EINVAL when the file is not readable JSON (err says why). */
int persist_restore(struct local_state *ls, const char *text, size_t len, const struct def_ctx *ctx,
		    uint64_t now_ms, char *err, size_t err_len);
/* Writes data to path atomically. Returns 0 or -errno (logged). */
int persist_write_file(const char *path, const struct buf *data);

#endif
