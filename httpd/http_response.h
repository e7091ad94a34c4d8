/* http_response.h: an HTTP/1.1 response as data, and its rendering to bytes. Pure: the
 * caller passes the time for the Date header.
 *
 *   struct http_response r; http_response_init(&r);
 *   r.status = 200; r.content_type = "application/json"; buf_append_str(&r.body, "true");
 *   http_response_header(&r, "X-Consul-Index", "%llu", 7ULL);
 *   http_response_write(&out, &r, keep_alive, time(NULL));
 *   http_response_free(&r);
 */
#ifndef HTTPD_HTTP_RESPONSE_H
#define HTTPD_HTTP_RESPONSE_H

#include <stdbool.h>
#include <time.h>

#include "common/buf.h"

struct http_response {
	int status;
	const char *content_type; /* NULL: no Content-Type header */
	struct buf headers;       /* extra header lines, each "Name: value\r\n" */
	struct buf body;
};

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);
/* Empties it for reuse (status 0, no headers, no body). */
void http_response_reset(struct http_response *r);
/* Adds "name: value". Returns 0 or -ENOMEM. */
int http_response_header(struct http_response *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Status and a plain-text body, as Go's server writes its errors. */
void http_response_text(struct http_response *r, int status, const char *text);
/* The reason phrase Go uses for a status ("Not Found"). */
const char *http_status_text(int status);
/* Appends the status line, headers (Date, Content-Length, Connection: close when
 * !keep_alive) and body to out. Returns 0 or -ENOMEM. */
int http_response_write(struct buf *out, const struct http_response *r, bool keep_alive, time_t now);

#endif
