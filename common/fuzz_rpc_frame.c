/* fuzz_rpc_frame.c: the frame and reply decoders on arbitrary bytes. */
#include <stdint.h>
#include <stddef.h>

#include "frame.h"
#include "rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct frame_hdr hdr;
		const uint8_t *payload;
		ssize_t n = frame_decode(data + off, size - off, &hdr, &payload);
		if (n <= 0)
			break;
		struct rpc_reply r;
		if (rpc_reply_decode(payload, hdr.len, &r) == 0 && r.body_len > hdr.len)
			__builtin_trap();
		off += (size_t)n;
	}
	return 0;
}
