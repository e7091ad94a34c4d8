/* snapshot_file.c: the snapshot file codec (see snapshot_file.h). */
#include "snapshot_file.h"
#include "byteorder.h"
#include "crc32c.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char magic[8] = {'c', 'o', 'n', 's', 'n', 'a', 'p', '\n'};



int snapshot_file_encode(struct buf *out, const struct snapshot_meta *meta, const char *state, size_t len)
{
	if ((uint64_t)len > SNAPSHOT_FILE_MAX_STATE)
		return -EMSGSIZE;
	uint8_t hdr[SNAPSHOT_FILE_HDR_LEN];
	memcpy(hdr, magic, sizeof magic);
	put_be(hdr + 8, SNAPSHOT_FILE_VERSION, 4);
	put_be(hdr + 12, 0, 4);
	put_be(hdr + 16, meta->index, 8);
	put_be(hdr + 24, meta->term, 8);
	put_be(hdr + 32, meta->created_ms, 8);
	put_be(hdr + 40, len, 8);
	size_t start = out->len;
	if (buf_append(out, (const char *)hdr, sizeof hdr) < 0 || (len && buf_append(out, state, len) < 0))
		return -ENOMEM;
	uint8_t crc[SNAPSHOT_FILE_CRC_LEN];
	put_be(crc, crc32c(0, (const uint8_t *)out->data + start, out->len - start), 4);
	if (buf_append(out, (const char *)crc, sizeof crc) < 0)
		return -ENOMEM;
	return 0;
}

int snapshot_file_decode(const uint8_t *in, size_t len, struct snapshot_meta *meta, const char **state,
			 size_t *state_len, char *err, size_t err_len)
{
	memset(meta, 0, sizeof *meta);
	if (len < sizeof magic || memcmp(in, magic, sizeof magic) != 0) {
		snprintf(err, err_len, "not a snapshot file (no snapshot header)");
		return -EINVAL;
	}
	if (len < SNAPSHOT_FILE_HDR_LEN + SNAPSHOT_FILE_CRC_LEN) {
		snprintf(err, err_len, "snapshot file is truncated (%zu bytes)", len);
		return -EINVAL;
	}
	uint32_t version = (uint32_t)get_be(in + 8, 4), flags = (uint32_t)get_be(in + 12, 4);
	if (version != SNAPSHOT_FILE_VERSION || flags != 0) {
		snprintf(err, err_len, "unsupported snapshot version %" PRIu32 " (flags %" PRIu32 ")", version, flags);
		return -EINVAL;
	}
	uint64_t size = get_be(in + 40, 8);
	uint64_t body = len - SNAPSHOT_FILE_HDR_LEN - SNAPSHOT_FILE_CRC_LEN;
	if (size > body) {
		snprintf(err, err_len, "snapshot file is truncated: %" PRIu64 " of %" PRIu64 " bytes of state", body,
			 size);
		return -EINVAL;
	}
	if (size < body) {
		snprintf(err, err_len, "snapshot file has %" PRIu64 " unexpected trailing bytes", body - size);
		return -EINVAL;
	}
	size_t covered = SNAPSHOT_FILE_HDR_LEN + (size_t)size;
	uint32_t want = (uint32_t)get_be(in + covered, 4), got = crc32c(0, in, covered);
	if (want != got) {
		snprintf(err, err_len, "snapshot checksum mismatch (file %08" PRIx32 ", content %08" PRIx32
			 "): the file is corrupt", want, got);
		return -EINVAL;
	}
	meta->version = version;
	meta->index = get_be(in + 16, 8);
	meta->term = get_be(in + 24, 8);
	meta->created_ms = get_be(in + 32, 8);
	meta->size = size;
	*state = (const char *)in + SNAPSHOT_FILE_HDR_LEN;
	*state_len = (size_t)size;
	return 0;
}

void snapshot_file_id(const struct snapshot_meta *meta, char *out, size_t out_len)
{
	snprintf(out, out_len, "%" PRIu64 "-%" PRIu64 "-%" PRIu64, meta->term, meta->index, meta->created_ms);
}
