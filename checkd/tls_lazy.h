/* tls_lazy.h: OpenSSL, loaded on first use (dlopen) instead of linked, so an agent without
 * HTTPS checks does not carry libssl and libcrypto in checkd's memory (~1.4 MB of RSS).
 *
 *   const struct tls_api *T = tls_api();   // NULL when libssl.so.3 cannot be loaded
 *   SSL_CTX *ctx = T->SSL_CTX_new(T->TLS_client_method());
 */
#ifndef CHECKD_TLS_LAZY_H
#define CHECKD_TLS_LAZY_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TLS_API_FUNCS(X)                                                                           \
	X(const SSL_METHOD *, TLS_client_method, (void))                                           \
	X(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *))                                            \
	X(void, SSL_CTX_free, (SSL_CTX *))                                                         \
	X(long, SSL_CTX_ctrl, (SSL_CTX *, int, long, void *))                                      \
	X(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *))                                      \
	X(void, SSL_CTX_set_verify, (SSL_CTX *, int, SSL_verify_cb))                               \
	X(SSL *, SSL_new, (SSL_CTX *))                                                             \
	X(void, SSL_free, (SSL *))                                                                 \
	X(long, SSL_ctrl, (SSL *, int, long, void *))                                              \
	X(X509_VERIFY_PARAM *, SSL_get0_param, (SSL *))                                            \
	X(int, SSL_set1_host, (SSL *, const char *))                                               \
	X(int, SSL_set_fd, (SSL *, int))                                                           \
	X(int, SSL_connect, (SSL *))                                                               \
	X(int, SSL_get_error, (const SSL *, int))                                                  \
	X(int, SSL_write, (SSL *, const void *, int))                                              \
	X(int, SSL_read, (SSL *, void *, int))                                                     \
	X(long, SSL_get_verify_result, (const SSL *))                                              \
	X(int, X509_VERIFY_PARAM_set1_ip_asc, (X509_VERIFY_PARAM *, const char *))                 \
	X(const char *, X509_verify_cert_error_string, (long))                                     \
	X(unsigned long, ERR_get_error, (void))                                                    \
	X(unsigned long, ERR_peek_error, (void))                                                   \
	X(void, ERR_error_string_n, (unsigned long, char *, size_t))                               \
	X(void, ERR_clear_error, (void))

struct tls_api {
#define TLS_API_FIELD(ret, name, args) ret(*name) args;
	TLS_API_FUNCS(TLS_API_FIELD)
#undef TLS_API_FIELD
};

/* Loads libssl on the first call; later calls return the same table (or NULL again). */
const struct tls_api *tls_api(void);

#endif
