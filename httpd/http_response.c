/* http_response.c: rendering a response (see http_response.h). */
#include "http_response.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->headers);
	buf_init(&r->body);
}

void http_response_free(struct http_response *r)
{
	buf_free(&r->headers);
	buf_free(&r->body);
}

void http_response_reset(struct http_response *r)
{
	r->status = 0;
	r->content_type = NULL;
	buf_reset(&r->headers);
	buf_reset(&r->body);
}

int http_response_header(struct http_response *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (buf_appendf(&r->headers, "%s: ", name) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	int rc = buf_vappendf(&r->headers, fmt, ap);
	va_end(ap);
	if (rc < 0 || buf_append(&r->headers, "\r\n", 2) < 0)
		return -ENOMEM;
	return 0;
}

void http_response_text(struct http_response *r, int status, const char *text)
{
	r->status = status;
	buf_reset(&r->body);
	if (text && *text) {
		r->content_type = "text/plain; charset=utf-8";
		buf_append_str(&r->body, text);
	}
}

const char *http_status_text(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Request Entity Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

int http_response_write(struct buf *out, const struct http_response *r, bool keep_alive, time_t now)
{
	char date[64];
	struct tm tm;
	gmtime_r(&now, &tm);
	/* RFC 9110 §5.6.7 IMF-fixdate, as Go's server sends it */
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int status = r->status ? r->status : 200;
	if (buf_appendf(out, "HTTP/1.1 %d %s\r\n", status, http_status_text(status)) < 0)
		return -ENOMEM;
	if (r->content_type && buf_appendf(out, "Content-Type: %s\r\n", r->content_type) < 0)
		return -ENOMEM;
	if (r->headers.len && buf_append(out, r->headers.data, r->headers.len) < 0)
		return -ENOMEM;
	if (buf_appendf(out, "Date: %s\r\nContent-Length: %zu\r\n%s\r\n", date, r->body.len,
			keep_alive ? "" : "Connection: close\r\n") < 0)
		return -ENOMEM;
	if (r->body.len && buf_append(out, r->body.data, r->body.len) < 0)
		return -ENOMEM;
	return 0;
}
