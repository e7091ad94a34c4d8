/* wire.h: the binary encoding of struct swim_msg (ours; Consul's msgpack format is not matched).
 *
 *   struct buf b; buf_init(&b);
 *   int n = wire_encode_packet(&msg, WIRE_UDP_MAX, &b);  // n of msg.nupdates fitted, or -errno
 *   ...
 *   struct swim_msg in;
 *   enum wire_err e = wire_decode(pkt, len, &in);
 *   if (e != WIRE_OK) { count it under wire_err_name(e); drop; }
 *   else { swim_recv(..., &in, ...); swim_msg_free(&in); }
 *
 * Layout (integers big-endian; s8 = u8 length + bytes, b16 = u16 length + bytes, no NULs):
 *   header   'S' 'W' version(1) type flags         flags: 1 want_nack (indirect ping only),
 *                                                          2 join, 4 reply (push/pull only)
 *   ping           seq:u32 target:s8
 *   indirect ping  seq:u32 target:s8 target_addr:s8 target_port:u16
 *   ack, nack      seq:u32
 *   gossip         (nothing)
 *   push/pull      event_ltime:u64 nstates:u32, nstates x {state:u8 incarnation:u32 update}
 *   then, for all  nupdates:u16, nupdates x update
 * An update carries only the fields its type uses (the others are "" / 0 after decoding):
 *   alive          type:u8 incarnation:u32 node:s8 addr:s8 port:u16 tags:b16
 *   suspect/dead/leave  type:u8 incarnation:u32 node:s8 from:s8
 *   user event     type:u8 flags:u8(1 coalesce) ltime:u64 from:s8 event_name:s8 payload:b16
 * so an update never takes more than swim_update_wire_size(u) bytes.
 *
 * The decoder checks every length before reading, the limits of swim.h, and that the whole
 * packet was consumed; it builds updates only through swim_update_new. It counts nothing:
 * the caller counts drops by the error it returns. */
#ifndef GOSSIPD_WIRE_H
#define GOSSIPD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "swim.h"

#define WIRE_MAGIC0 'S'
#define WIRE_MAGIC1 'W'
#define WIRE_VERSION 1
#define WIRE_HEADER_LEN 5
/* Largest encoded UDP packet (before encryption): memberlist's UDP buffer. */
#define WIRE_UDP_MAX SWIM_PACKET_BUDGET

/* X(enum name, short name, sentence) */
#define WIRE_ERRORS(X) \
	X(WIRE_OK, "ok", "ok") \
	X(WIRE_TRUNCATED, "truncated", "truncated") \
	X(WIRE_BAD_MAGIC, "bad_magic", "bad magic") \
	X(WIRE_BAD_VERSION, "bad_version", "unsupported version") \
	X(WIRE_BAD_TYPE, "bad_type", "unknown message type") \
	X(WIRE_BAD_FLAGS, "bad_flags", "unknown or misplaced flags") \
	X(WIRE_TOO_LONG, "too_long", "field longer than its limit") \
	X(WIRE_TOO_MANY, "too_many", "count over its limit") \
	X(WIRE_BAD_STRING, "bad_string", "NUL inside a string") \
	X(WIRE_EMPTY, "empty", "required field empty") \
	X(WIRE_BAD_UPDATE_TYPE, "bad_update_type", "unknown update type") \
	X(WIRE_BAD_UPDATE, "bad_update", "update refused (empty name or bad tags)") \
	X(WIRE_BAD_STATE, "bad_state", "bad push/pull entry") \
	X(WIRE_TRAILING, "trailing", "bytes left after the message") \
	X(WIRE_NOMEM, "nomem", "out of memory")

enum wire_err {
#define WIRE_ENUM(name, short_name, text) name,
	WIRE_ERRORS(WIRE_ENUM)
#undef WIRE_ENUM
	WIRE_NERRORS
};
/* The short name ("truncated", "bad_magic") for metrics and logs; "unknown" out of range. */
const char *wire_err_name(enum wire_err e);
/* A sentence for logs. */
const char *wire_err_text(enum wire_err e);

/* Bytes the update takes on the wire (at most swim_update_wire_size(u)). */
size_t wire_update_len(const struct swim_update *u);
/* Appends the encoding of m with all its updates (the TCP path). Returns 0, -EINVAL (a field
 * over its limit or an unknown type: m did not come from swim) or -ENOMEM. */
int wire_encode(const struct swim_msg *m, struct buf *out);
/* Appends m with as many of its updates, in order, as fit in max bytes in all. Returns how
 * many updates were encoded, -E2BIG if m without updates is already over max, -EINVAL or
 * -ENOMEM. With max = WIRE_UDP_MAX, the result is a UDP packet of at most 1,400 bytes. */
int wire_encode_packet(const struct swim_msg *m, size_t max, struct buf *out);
/* Decodes exactly len bytes into out (initialized here). On error out is left empty (its
 * type set to what the header said, or SWIM_MSG_PING) and nothing needs freeing; on WIRE_OK
 * the caller owns out and frees it with swim_msg_free. */
enum wire_err wire_decode(const uint8_t *p, size_t len, struct swim_msg *out);

#endif
