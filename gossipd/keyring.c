/* keyring.c: the gossip keyring and AES-256-GCM packet encryption (OpenSSL EVP). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "base64.h"
#include "crypto_lazy.h"
#include "fileio.h"
#include "json.h"
#include "keyring.h"

/* Compares keys without an early exit, so timing says nothing about where they differ. */
static int ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d;
}

/* ------------------------------------------------------------------ errors */

static const char *const err_names[] = {
#define KEYRING_NAME(name, short_name, text) short_name,
	KEYRING_ERRORS(KEYRING_NAME)
#undef KEYRING_NAME
};
static const char *const err_texts[] = {
#define KEYRING_TEXT(name, short_name, text) text,
	KEYRING_ERRORS(KEYRING_TEXT)
#undef KEYRING_TEXT
};

const char *keyring_err_name(enum keyring_err e)
{
	return (unsigned)e < KEYRING_NERRORS ? err_names[e] : "unknown";
}

const char *keyring_err_text(enum keyring_err e)
{
	return (unsigned)e < KEYRING_NERRORS ? err_texts[e] : "unknown error";
}

/* ------------------------------------------------------------------ keys */

void keyring_init(struct keyring *k)
{
	memset(k, 0, sizeof *k);
}

void keyring_clear(struct keyring *k)
{
	if (!k)
		return;
	explicit_bzero(k, sizeof *k);
	keyring_init(k);
}

enum keyring_err keyring_key_parse(const char *b64, uint8_t key[KEYRING_KEY_LEN])
{
	if (!b64)
		return KEYRING_BAD_KEY;
	while (*b64 == ' ' || *b64 == '\t' || *b64 == '\n' || *b64 == '\r')
		b64++;
	size_t len = strlen(b64);
	while (len && (b64[len - 1] == ' ' || b64[len - 1] == '\t' || b64[len - 1] == '\n' || b64[len - 1] == '\r'))
		len--;
	if (len != KEYRING_KEY_B64_LEN)
		return KEYRING_BAD_KEY;
	struct buf b;
	buf_init(&b);
	enum keyring_err e = KEYRING_BAD_KEY;
	int rc = base64_decode(&b, b64, len);
	if (rc == -ENOMEM)
		e = KEYRING_NOMEM;
	else if (rc == 0 && b.len == KEYRING_KEY_LEN) {
		memcpy(key, b.data, KEYRING_KEY_LEN);
		e = KEYRING_OK;
	}
	if (b.cap)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return e;
}

void keyring_key_format(const uint8_t key[KEYRING_KEY_LEN], char out[KEYRING_KEY_B64_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	/* 32 bytes: ten full groups of three, then two bytes and one '=' */
	for (size_t i = 0; i < KEYRING_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		size_t n = KEYRING_KEY_LEN - i < 3 ? KEYRING_KEY_LEN - i : 3;
		if (n > 1)
			v |= (uint32_t)key[i + 1] << 8;
		if (n > 2)
			v |= key[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = n > 1 ? alphabet[v >> 6 & 63] : '=';
		out[o++] = n > 2 ? alphabet[v & 63] : '=';
	}
	out[o] = 0;
}

bool keyring_enabled(const struct keyring *k)
{
	return k->n > 0;
}

size_t keyring_count(const struct keyring *k)
{
	return k->n;
}

const uint8_t *keyring_key_at(const struct keyring *k, size_t i)
{
	return i < k->n ? k->keys[i] : NULL;
}

static int find(const struct keyring *k, const uint8_t key[KEYRING_KEY_LEN])
{
	for (size_t i = 0; i < k->n; i++)
		if (ct_memcmp(k->keys[i], key, KEYRING_KEY_LEN) == 0)
			return (int)i;
	return -1;
}

enum keyring_err keyring_install(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN])
{
	if (find(k, key) >= 0)
		return KEYRING_OK;
	if (k->n == KEYRING_MAX_KEYS)
		return KEYRING_FULL;
	memcpy(k->keys[k->n++], key, KEYRING_KEY_LEN);
	return KEYRING_OK;
}

enum keyring_err keyring_use(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN])
{
	int i = find(k, key);
	if (i < 0)
		return KEYRING_NO_SUCH_KEY;
	uint8_t tmp[KEYRING_KEY_LEN];
	memcpy(tmp, k->keys[0], sizeof tmp);
	memcpy(k->keys[0], k->keys[i], sizeof tmp);
	memcpy(k->keys[i], tmp, sizeof tmp);
	explicit_bzero(tmp, sizeof tmp);
	return KEYRING_OK;
}

enum keyring_err keyring_remove(struct keyring *k, const uint8_t key[KEYRING_KEY_LEN])
{
	int i = find(k, key);
	if (i < 0)
		return KEYRING_NO_SUCH_KEY;
	if (i == 0)
		return KEYRING_IS_PRIMARY;
	memmove(k->keys[i], k->keys[i + 1], (k->n - (size_t)i - 1) * KEYRING_KEY_LEN);
	k->n--;
	explicit_bzero(k->keys[k->n], KEYRING_KEY_LEN);
	return KEYRING_OK;
}

/* ------------------------------------------------------------------ packets */

/* libcrypto, loaded when the first packet is sealed or opened (crypto_lazy.h). */
static const struct crypto_api *C;

/* OpenSSL's own defaults would read openssl.cnf and load every error string and algorithm
 * name; gossipd needs one cipher, and skipping those saves ~0.6 MB of RSS. Run once; later
 * calls are a cheap check. */
static bool crypto_init(void)
{
	if (!C && !(C = crypto_api()))
		return false;
	return C->OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
					   OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS,
				   NULL) == 1;
}

enum keyring_err keyring_encrypt(const struct keyring *k, const uint8_t nonce[KEYRING_NONCE_LEN],
				 const void *plain, size_t len, struct buf *out)
{
	if (!k->n)
		return KEYRING_NO_KEYS;
	if (len > KEYRING_MAX_PLAIN)
		return KEYRING_TOO_BIG;
	if (!crypto_init())
		return KEYRING_CRYPTO;
	size_t start = out->len;
	if (buf_reserve(out, KEYRING_OVERHEAD + len) < 0)
		return KEYRING_NOMEM;
	uint8_t *p = (uint8_t *)out->data + start;
	p[0] = KEYRING_VERSION;
	memcpy(p + 1, nonce, KEYRING_NONCE_LEN);
	uint8_t *ct = p + 1 + KEYRING_NONCE_LEN;

	enum keyring_err e = KEYRING_CRYPTO;
	EVP_CIPHER_CTX *ctx = C->EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;
	if (!ctx)
		return KEYRING_NOMEM;
	/* the version byte is additional authenticated data: it cannot be altered either */
	if (C->EVP_EncryptInit_ex(ctx, C->EVP_aes_256_gcm(), NULL, k->keys[0], nonce) == 1 &&
	    C->EVP_EncryptUpdate(ctx, NULL, &n, p, 1) == 1 &&
	    C->EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) == 1 && C->EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 &&
	    (size_t)(n + fin) == len &&
	    C->EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KEYRING_TAG_LEN, ct + len) == 1) {
		out->len = start + KEYRING_OVERHEAD + len;
		out->data[out->len] = 0;
		e = KEYRING_OK;
	}
	C->EVP_CIPHER_CTX_free(ctx);
	return e;
}

/* Decrypts with one key into dst (len bytes); true if the tag verified. */
static bool open_with(EVP_CIPHER_CTX *ctx, const uint8_t *key, const uint8_t *pkt, size_t ct_len, uint8_t *dst)
{
	const uint8_t *nonce = pkt + 1, *ct = pkt + 1 + KEYRING_NONCE_LEN, *tag = ct + ct_len;
	int n = 0, fin = 0;
	return C->EVP_DecryptInit_ex(ctx, C->EVP_aes_256_gcm(), NULL, key, nonce) == 1 &&
	       C->EVP_DecryptUpdate(ctx, NULL, &n, pkt, 1) == 1 &&
	       C->EVP_DecryptUpdate(ctx, dst, &n, ct, (int)ct_len) == 1 &&
	       C->EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KEYRING_TAG_LEN, (void *)tag) == 1 &&
	       C->EVP_DecryptFinal_ex(ctx, dst + n, &fin) == 1;
}

enum keyring_err keyring_decrypt(const struct keyring *k, const void *packet, size_t len, struct buf *out)
{
	const uint8_t *pkt = packet;
	if (!k->n)
		return KEYRING_NO_KEYS;
	if (len < KEYRING_OVERHEAD)
		return KEYRING_TRUNCATED;
	if (pkt[0] != KEYRING_VERSION)
		return KEYRING_BAD_VERSION;
	size_t ct_len = len - KEYRING_OVERHEAD;
	if (ct_len > KEYRING_MAX_PLAIN)
		return KEYRING_TOO_BIG;
	if (!crypto_init())
		return KEYRING_CRYPTO;
	size_t start = out->len;
	if (buf_reserve(out, ct_len) < 0)
		return KEYRING_NOMEM;
	EVP_CIPHER_CTX *ctx = C->EVP_CIPHER_CTX_new();
	if (!ctx)
		return KEYRING_NOMEM;
	enum keyring_err e = KEYRING_AUTH_FAILED;
	uint8_t *dst = (uint8_t *)out->data + start;
	for (size_t i = 0; i < k->n && e != KEYRING_OK; i++) {
		if (open_with(ctx, k->keys[i], pkt, ct_len, dst))
			e = KEYRING_OK;
		else
			explicit_bzero(dst, ct_len);  /* unauthenticated plaintext never escapes */
	}
	C->EVP_CIPHER_CTX_free(ctx);
	if (e == KEYRING_OK)
		out->len = start + ct_len;
	out->data[out->len] = 0;
	return e;
}

/* ------------------------------------------------------------------ the file */

enum keyring_err keyring_to_json(const struct keyring *k, struct buf *out)
{
	int rc = buf_append_char(out, '[');
	for (size_t i = 0; i < k->n && rc == 0; i++) {
		char b64[KEYRING_KEY_B64_LEN + 1];
		keyring_key_format(k->keys[i], b64);
		rc = buf_appendf(out, "%s\"%s\"", i ? "," : "", b64);
		explicit_bzero(b64, sizeof b64);
	}
	if (rc == 0)
		rc = buf_append_str(out, "]\n");
	return rc == 0 ? KEYRING_OK : KEYRING_NOMEM;
}

enum keyring_err keyring_from_json(struct keyring *k, const char *text, size_t len)
{
	char err[128];
	yajl_val v = json_parse(text, len, err, sizeof err);
	if (!v || !YAJL_IS_ARRAY(v)) {
		if (v)
			yajl_tree_free(v);
		return KEYRING_BAD_FILE;
	}
	struct keyring tmp;
	keyring_init(&tmp);
	enum keyring_err e = KEYRING_OK;
	for (size_t i = 0; i < json_arr_len(v) && e == KEYRING_OK; i++) {
		const char *s = json_str(json_arr_at(v, i));
		uint8_t key[KEYRING_KEY_LEN];
		if (!s)
			e = KEYRING_BAD_FILE;
		else if ((e = keyring_key_parse(s, key)) == KEYRING_OK)
			e = keyring_install(&tmp, key);
		explicit_bzero(key, sizeof key);
	}
	yajl_tree_free(v);
	if (e == KEYRING_OK)
		*k = tmp;
	explicit_bzero(&tmp, sizeof tmp);
	return e;
}

enum keyring_err keyring_save(const struct keyring *k, const char *path)
{
	struct buf b;
	buf_init(&b);
	enum keyring_err e = keyring_to_json(k, &b);
	if (e == KEYRING_OK) {
		int rc = file_write_atomic(path, b.data, b.len);
		if (rc < 0) {
			errno = -rc;
			e = KEYRING_IO;
		}
	}
	if (b.cap)
		explicit_bzero(b.data, b.cap);
	buf_free(&b);
	return e;
}

enum keyring_err keyring_load(struct keyring *k, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KEYRING_IO;
	/* 16 keys of 44 characters and their quotes fit in far less; a bigger file is not ours */
	char text[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof text && (n = read(fd, text + len, sizeof text - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return KEYRING_IO;
		}
		len += (size_t)n;
	}
	close(fd);
	enum keyring_err e = len == sizeof text ? KEYRING_BAD_FILE : keyring_from_json(k, text, len);
	explicit_bzero(text, sizeof text);
	return e;
}
