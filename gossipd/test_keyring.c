/* test_keyring.c: keys, keyring operations, AES-256-GCM packets, and the keyring file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "keyring.h"
#include "random.h"

static void key_fill(uint8_t key[KEYRING_KEY_LEN], uint8_t seed)
{
	for (int i = 0; i < KEYRING_KEY_LEN; i++)
		key[i] = (uint8_t)(seed * 31 + i);
}

static const uint8_t nonce1[KEYRING_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static void test_key_text_forms(void **state)
{
	(void)state;
	uint8_t zero[KEYRING_KEY_LEN] = {0}, key[KEYRING_KEY_LEN];
	char b64[KEYRING_KEY_B64_LEN + 1];
	keyring_key_format(zero, b64);
	assert_string_equal(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	/* a key `consul keygen` printed */
	assert_int_equal(keyring_key_parse("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=", key), KEYRING_OK);
	keyring_key_format(key, b64);
	assert_string_equal(b64, "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=");
	assert_int_equal(key[0], 0xa5);
	assert_int_equal(keyring_key_parse("  pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=\n", key), KEYRING_OK);
	/* every byte value survives the round trip */
	for (int s = 0; s < 9; s++) {
		uint8_t k1[KEYRING_KEY_LEN];
		key_fill(k1, (uint8_t)(s * 29));
		keyring_key_format(k1, b64);
		assert_int_equal(strlen(b64), KEYRING_KEY_B64_LEN);
		assert_int_equal(keyring_key_parse(b64, key), KEYRING_OK);
		assert_memory_equal(k1, key, KEYRING_KEY_LEN);
	}
	/* 16-byte keys (Consul accepted them once), garbage, empty, NULL */
	assert_int_equal(keyring_key_parse("AAAAAAAAAAAAAAAAAAAAAA==", key), KEYRING_BAD_KEY);
	assert_int_equal(keyring_key_parse("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5!=", key), KEYRING_BAD_KEY);
	assert_int_equal(keyring_key_parse("", key), KEYRING_BAD_KEY);
	assert_int_equal(keyring_key_parse(NULL, key), KEYRING_BAD_KEY);
}

static void test_install_use_remove(void **state)
{
	(void)state;
	struct keyring k;
	uint8_t k1[KEYRING_KEY_LEN], k2[KEYRING_KEY_LEN], k3[KEYRING_KEY_LEN];
	key_fill(k1, 1);
	key_fill(k2, 2);
	key_fill(k3, 3);
	keyring_init(&k);
	assert_false(keyring_enabled(&k));
	assert_null(keyring_key_at(&k, 0));
	assert_int_equal(keyring_install(&k, k1), KEYRING_OK);
	assert_true(keyring_enabled(&k));
	assert_int_equal(keyring_install(&k, k2), KEYRING_OK);
	assert_int_equal(keyring_install(&k, k1), KEYRING_OK);  /* already there: no-op */
	assert_int_equal(keyring_count(&k), 2);
	assert_memory_equal(keyring_key_at(&k, 0), k1, KEYRING_KEY_LEN);  /* the first is primary */

	assert_int_equal(keyring_use(&k, k3), KEYRING_NO_SUCH_KEY);
	assert_int_equal(keyring_use(&k, k2), KEYRING_OK);
	assert_memory_equal(keyring_key_at(&k, 0), k2, KEYRING_KEY_LEN);
	assert_memory_equal(keyring_key_at(&k, 1), k1, KEYRING_KEY_LEN);

	assert_int_equal(keyring_remove(&k, k2), KEYRING_IS_PRIMARY);
	assert_int_equal(keyring_remove(&k, k3), KEYRING_NO_SUCH_KEY);
	assert_int_equal(keyring_count(&k), 2);
	assert_int_equal(keyring_remove(&k, k1), KEYRING_OK);
	assert_int_equal(keyring_count(&k), 1);
	assert_memory_equal(keyring_key_at(&k, 0), k2, KEYRING_KEY_LEN);

	for (int i = 0; i < KEYRING_MAX_KEYS - 1; i++) {
		uint8_t kx[KEYRING_KEY_LEN];
		key_fill(kx, (uint8_t)(100 + i));
		assert_int_equal(keyring_install(&k, kx), KEYRING_OK);
	}
	assert_int_equal(keyring_install(&k, k3), KEYRING_FULL);
	keyring_clear(&k);
	assert_int_equal(keyring_count(&k), 0);
}

static void make_ring(struct keyring *k, uint8_t seed)
{
	uint8_t key[KEYRING_KEY_LEN];
	key_fill(key, seed);
	keyring_init(k);
	assert_int_equal(keyring_install(k, key), KEYRING_OK);
}

static const char plain[] = "SW\x01\x03\x00 an ack, or anything at all";

static void seal(const struct keyring *k, struct buf *out)
{
	buf_init(out);
	assert_int_equal(keyring_encrypt(k, nonce1, plain, sizeof plain, out), KEYRING_OK);
}

static void test_round_trip_and_layout(void **state)
{
	(void)state;
	struct keyring k;
	struct buf pkt, again, dec;
	make_ring(&k, 1);
	seal(&k, &pkt);
	assert_int_equal(pkt.len, sizeof plain + KEYRING_OVERHEAD);
	assert_int_equal((uint8_t)pkt.data[0], KEYRING_VERSION);
	assert_memory_equal(pkt.data + 1, nonce1, KEYRING_NONCE_LEN);
	/* the plaintext is not visible */
	assert_null(memmem(pkt.data, pkt.len, "anything", 8));
	/* a fixed nonce makes it deterministic (the shell passes fresh random ones) */
	seal(&k, &again);
	assert_memory_equal(again.data, pkt.data, pkt.len);

	buf_init(&dec);
	assert_int_equal(buf_append_str(&dec, "prefix:"), 0);
	assert_int_equal(keyring_decrypt(&k, pkt.data, pkt.len, &dec), KEYRING_OK);
	assert_int_equal(dec.len, 7 + sizeof plain);
	assert_memory_equal(dec.data + 7, plain, sizeof plain);

	/* empty payloads work too */
	buf_reset(&pkt);
	buf_reset(&dec);
	assert_int_equal(keyring_encrypt(&k, nonce1, "", 0, &pkt), KEYRING_OK);
	assert_int_equal(pkt.len, KEYRING_OVERHEAD);
	assert_int_equal(keyring_decrypt(&k, pkt.data, pkt.len, &dec), KEYRING_OK);
	assert_int_equal(dec.len, 0);
	buf_free(&pkt);
	buf_free(&again);
	buf_free(&dec);
}

static void test_rotation_decrypts_with_any_installed_key(void **state)
{
	(void)state;
	struct keyring old, both;
	struct buf pkt, dec;
	uint8_t k1[KEYRING_KEY_LEN], k2[KEYRING_KEY_LEN];
	key_fill(k1, 1);
	key_fill(k2, 2);
	make_ring(&old, 1);
	seal(&old, &pkt);  /* a member still on the old key */
	keyring_init(&both);
	assert_int_equal(keyring_install(&both, k2), KEYRING_OK);
	assert_int_equal(keyring_install(&both, k1), KEYRING_OK);
	buf_init(&dec);
	assert_int_equal(keyring_decrypt(&both, pkt.data, pkt.len, &dec), KEYRING_OK);
	assert_memory_equal(dec.data, plain, sizeof plain);
	/* and what `both` sends (primary k2) the old member cannot read */
	buf_reset(&pkt);
	buf_reset(&dec);
	assert_int_equal(keyring_encrypt(&both, nonce1, plain, sizeof plain, &pkt), KEYRING_OK);
	assert_int_equal(keyring_decrypt(&old, pkt.data, pkt.len, &dec), KEYRING_AUTH_FAILED);
	assert_int_equal(dec.len, 0);
	buf_free(&pkt);
	buf_free(&dec);
}

static void test_bad_packets_are_rejected(void **state)
{
	(void)state;
	struct keyring k, wrong, empty;
	struct buf pkt, dec;
	make_ring(&k, 1);
	make_ring(&wrong, 9);
	keyring_init(&empty);
	seal(&k, &pkt);
	buf_init(&dec);
	assert_int_equal(buf_append_str(&dec, "keep"), 0);

	assert_int_equal(keyring_decrypt(&wrong, pkt.data, pkt.len, &dec), KEYRING_AUTH_FAILED);
	assert_int_equal(keyring_decrypt(&empty, pkt.data, pkt.len, &dec), KEYRING_NO_KEYS);
	assert_int_equal(keyring_encrypt(&empty, nonce1, plain, sizeof plain, &dec), KEYRING_NO_KEYS);

	/* every truncation */
	for (size_t len = 0; len < pkt.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, pkt.data, len);
		enum keyring_err e = keyring_decrypt(&k, copy, len, &dec);
		assert_int_equal(e, len < KEYRING_OVERHEAD ? KEYRING_TRUNCATED : KEYRING_AUTH_FAILED);
		free(copy);
	}
	/* every flipped bit: the version byte is checked, the rest is authenticated */
	for (size_t bit = 0; bit < pkt.len * 8; bit++) {
		pkt.data[bit / 8] ^= (char)(1u << (bit % 8));
		enum keyring_err e = keyring_decrypt(&k, pkt.data, pkt.len, &dec);
		assert_int_equal(e, bit < 8 ? KEYRING_BAD_VERSION : KEYRING_AUTH_FAILED);
		pkt.data[bit / 8] ^= (char)(1u << (bit % 8));
	}
	/* replayed with garbage appended */
	assert_int_equal(buf_append(&pkt, "\0\0\0junk", 7), 0);
	assert_int_equal(keyring_decrypt(&k, pkt.data, pkt.len, &dec), KEYRING_AUTH_FAILED);
	/* an unencrypted wire packet (as from an agent without -encrypt) */
	assert_int_equal(keyring_decrypt(&k, plain, sizeof plain, &dec), KEYRING_BAD_VERSION);
	/* nothing leaked into out */
	assert_int_equal(dec.len, 4);
	assert_string_equal(dec.data, "keep");
	buf_free(&pkt);
	buf_free(&dec);
	assert_string_equal(keyring_err_name(KEYRING_AUTH_FAILED), "auth_failed");
	assert_string_equal(keyring_err_name(KEYRING_TRUNCATED), "truncated");
	assert_string_equal(keyring_err_name(KEYRING_NERRORS), "unknown");
}

static void test_file_round_trip(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_keyring.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof path, "%s/local.keyring", dir);

	struct keyring k, back;
	uint8_t k1[KEYRING_KEY_LEN], k2[KEYRING_KEY_LEN];
	key_fill(k1, 1);
	key_fill(k2, 2);
	keyring_init(&k);
	assert_int_equal(keyring_install(&k, k1), KEYRING_OK);
	assert_int_equal(keyring_install(&k, k2), KEYRING_OK);
	assert_int_equal(keyring_use(&k, k2), KEYRING_OK);

	keyring_init(&back);
	errno = 0;
	assert_int_equal(keyring_load(&back, path), KEYRING_IO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(keyring_save(&k, path), KEYRING_OK);
	assert_int_equal(keyring_load(&back, path), KEYRING_OK);
	assert_int_equal(keyring_count(&back), 2);
	assert_memory_equal(keyring_key_at(&back, 0), k2, KEYRING_KEY_LEN);  /* primary first */
	assert_memory_equal(keyring_key_at(&back, 1), k1, KEYRING_KEY_LEN);

	/* the file is a JSON list of base64 keys */
	char text[256] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	char b1[KEYRING_KEY_B64_LEN + 1], b2[KEYRING_KEY_B64_LEN + 1], want[256];
	keyring_key_format(k1, b1);
	keyring_key_format(k2, b2);
	snprintf(want, sizeof want, "[\"%s\",\"%s\"]\n", b2, b1);
	assert_int_equal(n, strlen(want));
	assert_string_equal(text, want);

	/* bad files change nothing */
	const char *bad[] = {"", "{}", "[1]", "[\"AAAA\"]", "[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"", "null"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_not_equal(keyring_from_json(&back, bad[i], strlen(bad[i])), KEYRING_OK);
		assert_int_equal(keyring_count(&back), 2);
	}
	assert_int_equal(keyring_from_json(&back, "[]", 2), KEYRING_OK);
	assert_int_equal(keyring_count(&back), 0);

	unlink(path);
	rmdir(dir);
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[KEYRING_NONCE_LEN] = {0}, b[KEYRING_NONCE_LEN] = {0};
	assert_int_equal(random_bytes(a, sizeof a), 0);
	assert_int_equal(random_bytes(b, sizeof b), 0);
	assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_text_forms),
		cmocka_unit_test(test_install_use_remove),
		cmocka_unit_test(test_round_trip_and_layout),
		cmocka_unit_test(test_rotation_decrypts_with_any_installed_key),
		cmocka_unit_test(test_bad_packets_are_rejected),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
