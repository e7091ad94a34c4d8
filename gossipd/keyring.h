/* keyring.h: gossip encryption, as Consul's -encrypt / `consul keyring` do it: 32-byte keys
 * (base64, as `consul keygen` prints them), AES-256-GCM on every packet and stream:
 *
 *   [version = 1][12-byte random nonce][ciphertext][16-byte tag]     (the version byte is also
 *                                                                     authenticated, as AAD)
 * Encryption uses the primary key; decryption tries the primary, then every other installed key,
 * so a key can be rotated across a cluster (install everywhere, use, remove the old one).
 *
 *   struct keyring k; keyring_init(&k);
 *   uint8_t key[KEYRING_KEY_LEN];
 *   if (keyring_key_parse(cfg->encrypt, key) == KEYRING_OK) keyring_install(&k, key);
 *   uint8_t nonce[KEYRING_NONCE_LEN]; random_bytes(nonce, sizeof nonce);     // the shell's job (random.h)
 *   keyring_encrypt(&k, nonce, pkt, len, &out);
 *   if ((e = keyring_decrypt(&k, data, n, &plain)) != KEYRING_OK) count keyring_err_name(e);
 *
 * Pure apart from keyring_load / keyring_save (files). */
#ifndef GOSSIPD_KEYRING_H
#define GOSSIPD_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define KEYRING_KEY_LEN 32
#define KEYRING_KEY_B64_LEN 44      /* base64 of 32 bytes, with its padding */
#define KEYRING_NONCE_LEN 12
#define KEYRING_TAG_LEN 16
#define KEYRING_VERSION 1
#define KEYRING_OVERHEAD (1 + KEYRING_NONCE_LEN + KEYRING_TAG_LEN)
#define KEYRING_MAX_KEYS 16
#define KEYRING_MAX_PLAIN (16u << 20) /* larger inputs are refused (EVP lengths are ints) */

/* X(enum name, short name, sentence) */
#define KEYRING_ERRORS(X) \
	X(KEYRING_OK, "ok", "ok") \
	X(KEYRING_TRUNCATED, "truncated", "packet shorter than the encryption overhead") \
	X(KEYRING_BAD_VERSION, "bad_version", "unknown encryption version (not encrypted, or by a newer agent)") \
	X(KEYRING_AUTH_FAILED, "auth_failed", "no installed key authenticates the packet (wrong key, or forged or corrupted)") \
	X(KEYRING_NO_KEYS, "no_keys", "the keyring is empty") \
	X(KEYRING_TOO_BIG, "too_big", "payload too large") \
	X(KEYRING_BAD_KEY, "bad_key", "key must be 32 bytes, base64 encoded") \
	X(KEYRING_NO_SUCH_KEY, "no_such_key", "key is not installed") \
	X(KEYRING_IS_PRIMARY, "is_primary", "removing the primary key is not allowed") \
	X(KEYRING_FULL, "full", "too many keys installed") \
	X(KEYRING_BAD_FILE, "bad_file", "keyring file is not a JSON list of base64 keys") \
	X(KEYRING_IO, "io", "keyring file could not be read or written (see errno)") \
	X(KEYRING_CRYPTO, "crypto", "the cipher failed") \
	X(KEYRING_NOMEM, "nomem", "out of memory")

enum keyring_err {
#define KEYRING_ENUM(name, short_name, text) name,
	KEYRING_ERRORS(KEYRING_ENUM)
#undef KEYRING_ENUM
	KEYRING_NERRORS
};
/* The short name ("auth_failed") for metrics; and a sentence for logs and the CLI. */
const char *keyring_err_name(enum keyring_err e);
const char *keyring_err_text(enum keyring_err e);

struct keyring {
	uint8_t keys[KEYRING_MAX_KEYS][KEYRING_KEY_LEN]; /* keys[0] is the primary */
	size_t n;
};

void keyring_init(struct keyring *k);
/* Wipes the keys. */
void keyring_clear(struct keyring *k);
/* Decodes a base64 key (surrounding blanks ignored): KEYRING_OK or KEYRING_BAD_KEY. */
enum keyring_err keyring_key_parse(const char *b64, uint8_t key[KEYRING_KEY_LEN]);
/* Writes the base64 form and a NUL into out. */
void keyring_key_format(const uint8_t key[KEYRING_KEY_LEN], char out[KEYRING_KEY_B64_LEN + 1]);

bool keyring_enabled(const struct keyring *k);
size_t keyring_count(const struct keyring *k);
/* Key i, 0 being the primary; NULL past the end. */
const uint8_t *keyring_key_at(const struct keyring *k, size_t i);
/* Adds a key (the primary if it is the first). Installing a key already there is a no-op. */
enum keyring_err keyring_install(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN]);
/* Makes an installed key the primary (the old primary stays installed). */
enum keyring_err keyring_use(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN]);
/* Removes a key that is installed and not the primary. */
enum keyring_err keyring_remove(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN]);

/* Appends [version][nonce][AES-256-GCM(plain) under the primary key][tag] to out. The nonce
 * must be fresh random bytes for every call (random_bytes, or the test's own). */
enum keyring_err keyring_encrypt(const struct keyring *k, const uint8_t nonce[KEYRING_NONCE_LEN],
				 const void *plain, size_t len, struct buf *out);
/* Appends the plaintext of an authentic packet to out (the primary key is tried first); on any
 * error out is left as it was. */
enum keyring_err keyring_decrypt(const struct keyring *k, const void *packet, size_t len, struct buf *out);

/* The file form: a JSON list of base64 keys, primary first (Consul's local.keyring). */
enum keyring_err keyring_to_json(const struct keyring *k, struct buf *out);
/* Replaces k's keys with the list in text; on error k is unchanged. */
enum keyring_err keyring_from_json(struct keyring *k, const char *text, size_t len);
/* Writes the file atomically (mode 0600). KEYRING_IO with errno set on failure. */
enum keyring_err keyring_save(const struct keyring *k, const char *path);
/* Reads the file; KEYRING_IO with errno set (ENOENT when there is none), k unchanged on error. */
enum keyring_err keyring_load(struct keyring *k, const char *path);


#endif
