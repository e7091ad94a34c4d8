/* fuzz_gossip_packet.c: what gossipd does with a datagram: decrypt (when the first input byte
 * is odd, with a fixed key), decode, validate. Must never crash, leak or accept a message that
 * swim_msg_validate refuses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed key of the harness and of the seeds in tests/fuzz/corpus/fuzz_gossip_packet/. */
static const uint8_t fuzz_key[KEYRING_KEY_LEN] = {
	0x46, 0x55, 0x5a, 0x5a, 0x2d, 0x67, 0x6f, 0x73, 0x73, 0x69, 0x70, 0x2d, 0x6b, 0x65, 0x79, 0x2d,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
};

static void decode_one(const uint8_t *p, size_t len)
{
	struct swim_msg m;
	enum wire_err e = wire_decode(p, len, &m);
	if (e >= WIRE_NERRORS)
		abort();
	if (e != WIRE_OK) {
		if (m.nupdates || m.nstates || m.updates || m.states)
			abort();  /* an error leaves nothing behind */
		return;
	}
	if (swim_msg_validate(&m) != 0)
		abort();  /* the decoder let through what the core would refuse */
	struct buf again;
	buf_init(&again);
	/* canonical: re-encoding reproduces the input exactly */
	if (wire_encode(&m, &again) != 0 || again.len != len || memcmp(again.data, p, len) != 0)
		abort();
	buf_free(&again);
	swim_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		struct keyring k;
		struct buf plain;
		keyring_init(&k);
		keyring_install(&k, fuzz_key);
		buf_init(&plain);
		enum keyring_err e = keyring_decrypt(&k, data + 1, size - 1, &plain);
		if (e == KEYRING_OK)
			decode_one((const uint8_t *)plain.data, plain.len);
		else if (plain.len != 0)
			abort();
		buf_free(&plain);
	} else {
		decode_one(data + 1, size - 1);
	}
	return 0;
}
