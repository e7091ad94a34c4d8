/* frame.h: the one framing used by every internal link, Unix socket or TCP.
 *
 * A frame is a 16-byte header followed by `len` bytes of payload:
 *   u32 len | u16 type | u16 flags | u32 request_id | u32 sender      (all big-endian)
 * `type` is an rpc_op (rpc_ops.h); `flags` says whether the frame is a request, a reply
 * or an event; `request_id` pairs a reply with its request; `sender` is the sending pid.
 * Payloads above FRAME_MAX_PAYLOAD are refused before any byte of them is read.
 *
 *   ssize_t n = frame_decode(in, avail, &hdr, &payload);
 *   if (n == 0) wait_for_more(); else if (n < 0) close_link(); else { handle(); skip(n); }
 */
#ifndef COMMON_FRAME_H
#define COMMON_FRAME_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

#define FRAME_HDR_LEN 16
#define FRAME_MAX_PAYLOAD (64u * 1024 * 1024)

enum frame_flags {
	FRAME_REQUEST = 0x0,
	FRAME_REPLY = 0x1,
	FRAME_EVENT = 0x2,
};

struct frame_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t request_id;
	uint32_t sender;
};

/* Appends header and payload to out. Returns 0, -EMSGSIZE or -ENOMEM. */
int frame_append(struct buf *out, const struct frame_hdr *hdr, const void *payload, size_t len);
/* Decodes one frame from in[0..avail). Returns the frame's total size (header + payload) when a
 * whole frame is there (payload then points into in), 0 when more bytes are needed, or
 * -EMSGSIZE / -EPROTO for a frame that can never be valid. */
ssize_t frame_decode(const uint8_t *in, size_t avail, struct frame_hdr *hdr, const uint8_t **payload);

#endif
