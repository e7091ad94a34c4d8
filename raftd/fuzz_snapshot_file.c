/* fuzz_snapshot_file.c: the snapshot file decoder (common/snapshot_file.h) on arbitrary bytes,
 * as PUT /v1/snapshot and `consul snapshot restore|inspect` get them, and the store's restore
 * on the state of what it accepts: a bad file is refused, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "snapshot_file.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot_meta m;
	const char *state;
	size_t state_len;
	char err[256];
	err[0] = '\0';
	if (snapshot_file_decode(data, size, &m, &state, &state_len, err, sizeof err) != 0) {
		if (!err[0])
			__builtin_trap();
		return 0;
	}
	/* Accepted: encoding the same metadata and state gives the same bytes back. */
	struct buf b;
	buf_init(&b);
	if (snapshot_file_encode(&b, &m, state, state_len) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		__builtin_trap();
	buf_free(&b);
	struct store *s = store_new();
	store_restore(s, state, state_len, err, sizeof err);
	store_free(s);
	return 0;
}
