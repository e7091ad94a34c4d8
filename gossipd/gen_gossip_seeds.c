/* gen_gossip_seeds.c: writes the seed corpus of fuzz_gossip_packet: one message of each type,
 * in the clear (first byte 0) and encrypted with the harness's fixed key (first byte 1).
 *   ninja -C build gossipd/gen_gossip_seeds && build/gossipd/gen_gossip_seeds tests/fuzz/corpus/fuzz_gossip_packet */
#include <stdio.h>
#include <string.h>

#include "keyring.h"
#include "wire.h"

/* the same bytes as fuzz_key in fuzz_gossip_packet.c: "FUZZ-gossip-key-0123456789abcdef" */
static const char fuzz_key_text[] = "FUZZ-gossip-key-0123456789abcdef";

static void add(struct swim_msg *m, struct swim_update t)
{
	struct swim_update *u = swim_update_new(&t);
	if (!u || swim_msg_add_update(m, u) < 0)
		fprintf(stderr, "update refused\n");
}

static void add_updates(struct swim_msg *m)
{
	static const uint8_t tags[] = "role\0consul\0dc\0dc1\0port\0008300\0vsn\0002";
	add(m, (struct swim_update){.type = SWIM_UPD_ALIVE, .incarnation = 3, .node = "server-1", .addr = "127.0.0.10",
				    .port = 8301, .tags = tags, .tags_len = sizeof tags});
	add(m, (struct swim_update){.type = SWIM_UPD_SUSPECT, .incarnation = 2, .node = "client-1", .from = "server-1"});
	add(m, (struct swim_update){.type = SWIM_UPD_DEAD, .incarnation = 2, .node = "client-2", .from = "server-1"});
	add(m, (struct swim_update){.type = SWIM_UPD_LEAVE, .incarnation = 5, .node = "client-3", .from = "client-3"});
	add(m, (struct swim_update){.type = SWIM_UPD_PRUNE, .incarnation = 6, .node = "client-4", .from = "server-1"});
	add(m, (struct swim_update){.type = SWIM_UPD_USER_EVENT, .from = "server-1", .event_name = "deploy",
				    .payload = (const uint8_t *)"v2", .payload_len = 2, .ltime = 9, .coalesce = true});
}

static int write_seed(const char *dir, const char *name, uint8_t mode, const struct buf *b)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s-%s", dir, mode ? "enc" : "plain", name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	struct keyring k;
	keyring_init(&k);
	keyring_install(&k, (const uint8_t *)fuzz_key_text);
	static const char *names[] = {"", "ping", "indirect-ping", "ack", "nack", "gossip", "push-pull"};
	int rc = 0;
	for (int type = SWIM_MSG_PING; type <= SWIM_MSG_PUSH_PULL; type++) {
		struct swim_msg m;
		swim_msg_init(&m, (enum swim_msg_type)type);
		m.seq = 42;
		if (type == SWIM_MSG_PING || type == SWIM_MSG_INDIRECT_PING)
			strcpy(m.target, "client-1");
		if (type == SWIM_MSG_INDIRECT_PING) {
			strcpy(m.target_addr.host, "127.0.0.11");
			m.target_addr.port = 8301;
			m.want_nack = true;
		}
		if (type == SWIM_MSG_PUSH_PULL) {
			static const uint8_t tags[] = "role\0node";
			m.join = true;
			m.event_ltime = 9;
			struct swim_update t = {.type = SWIM_UPD_ALIVE, .incarnation = 1, .node = "client-1",
						.addr = "127.0.0.11", .port = 8301, .tags = tags, .tags_len = sizeof tags};
			swim_msg_add_state(&m, swim_update_new(&t), 4, SWIM_SUSPECT);
		}
		if (type != SWIM_MSG_ACK)
			add_updates(&m);
		struct buf plain, enc;
		buf_init(&plain);
		buf_init(&enc);
		uint8_t nonce[KEYRING_NONCE_LEN] = {(uint8_t)type};
		if (wire_encode(&m, &plain) != 0 ||
		    keyring_encrypt(&k, nonce, plain.data, plain.len, &enc) != KEYRING_OK) {
			fprintf(stderr, "encoding %s failed\n", names[type]);
			rc = 1;
		}
		rc |= write_seed(argv[1], names[type], 0, &plain);
		rc |= write_seed(argv[1], names[type], 1, &enc);
		buf_free(&plain);
		buf_free(&enc);
		swim_msg_free(&m);
	}
	return rc;
}
