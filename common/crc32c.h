/* crc32c.h: CRC-32C (Castagnoli), the checksum of raftd's log records and state files and of
 * snapshot files.
 *
 *   uint32_t c = crc32c(0, hdr, 16); c = crc32c(c, payload, len);
 */
#ifndef COMMON_CRC32C_H
#define COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues the checksum `crc` (0 to start) over len bytes. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
