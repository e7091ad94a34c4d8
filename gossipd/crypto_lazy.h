/* crypto_lazy.h: the few libcrypto functions gossip encryption needs, loaded on first use
 * (dlopen) instead of linked, so an agent without -encrypt does not carry libcrypto in
 * gossipd's memory (~1.4 MB of RSS).
 *
 *   const struct crypto_api *C = crypto_api();   // NULL when libcrypto.so.3 cannot be loaded
 *   EVP_CIPHER_CTX *ctx = C->EVP_CIPHER_CTX_new();
 */
#ifndef GOSSIPD_CRYPTO_LAZY_H
#define GOSSIPD_CRYPTO_LAZY_H

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CRYPTO_API_FUNCS(X)                                                                        \
	X(int, OPENSSL_init_crypto, (uint64_t, const OPENSSL_INIT_SETTINGS *))                     \
	X(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_new, (void))                                            \
	X(void, EVP_CIPHER_CTX_free, (EVP_CIPHER_CTX *))                                           \
	X(int, EVP_CIPHER_CTX_ctrl, (EVP_CIPHER_CTX *, int, int, void *))                          \
	X(const EVP_CIPHER *, EVP_aes_256_gcm, (void))                                             \
	X(int, EVP_EncryptInit_ex, (EVP_CIPHER_CTX *, const EVP_CIPHER *, ENGINE *,                \
				    const unsigned char *, const unsigned char *))                 \
	X(int, EVP_EncryptUpdate, (EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int)) \
	X(int, EVP_EncryptFinal_ex, (EVP_CIPHER_CTX *, unsigned char *, int *))                    \
	X(int, EVP_DecryptInit_ex, (EVP_CIPHER_CTX *, const EVP_CIPHER *, ENGINE *,                \
				    const unsigned char *, const unsigned char *))                 \
	X(int, EVP_DecryptUpdate, (EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int)) \
	X(int, EVP_DecryptFinal_ex, (EVP_CIPHER_CTX *, unsigned char *, int *))

struct crypto_api {
#define CRYPTO_API_FIELD(ret, name, args) ret(*name) args;
	CRYPTO_API_FUNCS(CRYPTO_API_FIELD)
#undef CRYPTO_API_FIELD
};

/* Loads libcrypto once; NULL (and logged once) when it cannot. */
const struct crypto_api *crypto_api(void);

#endif
