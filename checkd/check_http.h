/* check_http.h: the HTTP client side of an HTTP check, without I/O. Pure.
 *
 * Splits the check's URL, writes the request (Consul's User-Agent and Accept defaults, the
 * check's header map, method and body, Connection: close as Consul disables keep-alive),
 * and parses the response as it arrives, keeping only the last max bytes of the body as
 * Consul's circular buffer does.
 *
 *   struct check_url u; char err[256];
 *   if (check_url_parse("http://127.0.0.1:8080/health", &u, err, sizeof err) < 0) critical(err);
 *   check_http_request(&out, &def, &u);
 *   struct http_reply r; http_reply_init(&r, 4096, false);
 *   while (...) { int rc = http_reply_feed(&r, data, n); if (rc) break; }   // 1 done, -1 bad
 *   if (eof) rc = http_reply_eof(&r);
 *   http_reply_free(&r);
 */
#ifndef CHECKD_CHECK_HTTP_H
#define CHECKD_CHECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "service_def.h"

struct check_url {
	bool https;
	char host[256];      /* without brackets for IPv6 */
	char port[8];        /* "80" / "443" when the URL has none */
	char host_header[300]; /* host[:port] as written in the URL */
	const char *path;    /* points into the URL: path and query, "/" when empty */
};

/* Returns 0, or -EINVAL with Go's kind of message in err. url must outlive u. */
int check_url_parse(const char *url, struct check_url *u, char *err, size_t err_len);
/* Appends the request bytes. Returns 0 or -ENOMEM. */
int check_http_request(struct buf *out, const struct check_def *def, const struct check_url *u);

/* Bounds against a hostile or broken server. */
#define HTTP_REPLY_HEAD_MAX 65536

enum http_reply_state {
	HTTP_REPLY_HEAD,
	HTTP_REPLY_BODY_LENGTH,  /* Content-Length bytes */
	HTTP_REPLY_BODY_CLOSE,   /* until the server closes */
	HTTP_REPLY_CHUNK_SIZE,
	HTTP_REPLY_CHUNK_DATA,
	HTTP_REPLY_CHUNK_CRLF,
	HTTP_REPLY_TRAILER,
	HTTP_REPLY_DONE,
	HTTP_REPLY_ERROR,
};

struct http_reply {
	enum http_reply_state state;
	bool head_only;       /* a HEAD request: no body whatever the headers say */
	size_t body_max;
	int code;
	char status_text[128]; /* "200 OK" */
	char location[1024];   /* Location header, for redirects */
	struct buf head;       /* the status line and headers until complete */
	struct buf body;       /* the last body_max bytes */
	uint64_t body_total;
	uint64_t remaining;    /* of Content-Length or the current chunk */
	char line[32];         /* a chunk size line being read */
	size_t line_len;
	const char *error;     /* static, when state is HTTP_REPLY_ERROR */
};

void http_reply_init(struct http_reply *r, size_t body_max, bool head_only);
void http_reply_free(struct http_reply *r);
/* Feeds bytes. Returns 0 (more needed), 1 (complete), or -1 (malformed; r->error says why). */
int http_reply_feed(struct http_reply *r, const char *data, size_t len);
/* The server closed the connection. Returns 1 if the reply is complete, -1 if not. */
int http_reply_eof(struct http_reply *r);

#endif
