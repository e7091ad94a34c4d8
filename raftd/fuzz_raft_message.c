/* fuzz_raft_message.c: the Raft message decoder on arbitrary bytes, and the core on what it
 * accepts: nothing a peer sends may crash a server. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "raft.h"
#include "raft_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_rand(void *arg)
{
	return 7;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct raft_wire_msg w;
	const char *why = NULL;
	if (raft_wire_decode(data, size, &w, &why) != 0) {
		if (!why)
			__builtin_trap();
		return 0;
	}
	/* Re-encoding what was accepted gives the same bytes back. */
	struct buf b;
	buf_init(&b);
	if (raft_wire_encode(&b, &w.msg, w.from_addr) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
		__builtin_trap();
	buf_free(&b);
	/* A follower of a three-server cluster takes it. */
	struct raft_options o = raft_options_default(2);
	o.rand = fixed_rand;
	struct raft *r = raft_new(&o);
	struct raft_config c = {.n = 3};
	for (uint32_t i = 0; i < 3; i++) {
		c.servers[i].id = i + 1;
		strcpy(c.servers[i].addr, "127.0.0.1:8300");
	}
	raft_bootstrap(r, &c);
	w.msg.to = 2;
	raft_step(r, &w.msg);
	if (raft_has_ready(r)) {
		struct raft_ready rd;
		raft_ready(r, &rd);
		raft_advance(r, &rd);
	}
	raft_free(r);
	return 0;
}
