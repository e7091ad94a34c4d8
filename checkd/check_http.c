/* check_http.c: URL splitting, the request, and an incremental HTTP/1.x response reader for
 * HTTP checks (see check_http.h). Everything from the server is untrusted: lengths are
 * checked, the head is bounded, and the body is kept to its last body_max bytes. */
#include "check_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_logic.h"

static bool copy_span(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

int check_url_parse(const char *url, struct check_url *u, char *err, size_t err_len)
{
	memset(u, 0, sizeof *u);
	const char *colon = strstr(url, "://");
	size_t scheme_len = colon ? (size_t)(colon - url) : 0;
	if (colon && scheme_len == 5 && !strncasecmp(url, "https", 5)) {
		u->https = true;
	} else if (!colon || scheme_len != 4 || strncasecmp(url, "http", 4)) {
		snprintf(err, err_len, "unsupported protocol scheme \"%.*s\"", colon ? (int)(scheme_len > 32 ? 32 : scheme_len) : 0,
			 url);
		return -EINVAL;
	}
	const char *auth = colon + 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *rest = auth + auth_len;
	/* Userinfo is not sent (Go would turn it into basic auth; not supported here). */
	const char *at = memchr(auth, '@', auth_len);
	if (at) {
		auth_len -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	if (!copy_span(u->host_header, sizeof u->host_header, auth, auth_len) || auth_len == 0) {
		snprintf(err, err_len, "no Host in request URL");
		return -EINVAL;
	}
	const char *port = NULL;
	size_t host_len;
	const char *host = auth;
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', auth_len);
		if (!close) {
			snprintf(err, err_len, "missing ']' in host");
			return -EINVAL;
		}
		host = auth + 1;
		host_len = (size_t)(close - host);
		if (close + 1 < auth + auth_len) {
			if (close[1] != ':') {
				snprintf(err, err_len, "invalid port after host");
				return -EINVAL;
			}
			port = close + 2;
		}
	} else {
		const char *c = memchr(auth, ':', auth_len);
		host_len = c ? (size_t)(c - auth) : auth_len;
		port = c ? c + 1 : NULL;
	}
	if (host_len == 0 || !copy_span(u->host, sizeof u->host, host, host_len)) {
		snprintf(err, err_len, "no Host in request URL");
		return -EINVAL;
	}
	if (port) {
		size_t port_len = (size_t)(auth + auth_len - port);
		long n = 0;
		for (size_t i = 0; i < port_len; i++) {
			if (port[i] < '0' || port[i] > '9' || n > 65535) {
				n = -1;
				break;
			}
			n = n * 10 + (port[i] - '0');
		}
		if (port_len == 0 || n < 1 || n > 65535) {
			snprintf(err, err_len, "invalid port \":%.*s\" after host", (int)(port_len > 16 ? 16 : port_len), port);
			return -EINVAL;
		}
		snprintf(u->port, sizeof u->port, "%ld", n);
	} else {
		snprintf(u->port, sizeof u->port, "%s", u->https ? "443" : "80");
	}
	u->path = *rest == '/' || *rest == '?' ? rest : "/";
	return 0;
}

static bool header_safe(const char *s)
{
	return !strpbrk(s, "\r\n");
}

static const struct def_header *find_header(const struct check_def *def, const char *name)
{
	for (size_t i = 0; i < def->nheaders; i++)
		if (!strcasecmp(def->headers[i].name, name) && def->headers[i].nvalues)
			return &def->headers[i];
	return NULL;
}

int check_http_request(struct buf *out, const struct check_def *def, const struct check_url *u)
{
	const char *method = def->method && *def->method ? def->method : "GET";
	const char *body = def->body ? def->body : "";
	size_t body_len = strlen(body);
	/* The fragment is never sent. */
	size_t path_len = strcspn(u->path, "#");
	int rc = 0;
	rc |= buf_appendf(out, "%s ", method);
	if (u->path[0] == '?')
		rc |= buf_append_char(out, '/');
	rc |= buf_append(out, u->path, path_len);
	rc |= buf_append_str(out, " HTTP/1.1\r\n");
	const struct def_header *host = find_header(def, "Host");
	rc |= buf_appendf(out, "Host: %s\r\n",
			  host && header_safe(host->values[0]) ? host->values[0] : u->host_header);
	if (!find_header(def, "User-Agent"))
		rc |= buf_append_str(out, "User-Agent: Consul Health Check\r\n");
	if (!find_header(def, "Accept"))
		rc |= buf_append_str(out, "Accept: text/plain, text/*, */*\r\n");
	for (size_t i = 0; i < def->nheaders; i++) {
		const struct def_header *h = &def->headers[i];
		/* Framing headers are ours to write; a header with a line break would smuggle one. */
		if (!strcasecmp(h->name, "Host") || !strcasecmp(h->name, "Content-Length") ||
		    !strcasecmp(h->name, "Connection") || !strcasecmp(h->name, "Transfer-Encoding") ||
		    !header_safe(h->name) || strchr(h->name, ':') || !*h->name)
			continue;
		for (size_t j = 0; j < h->nvalues; j++)
			if (header_safe(h->values[j]))
				rc |= buf_appendf(out, "%s: %s\r\n", h->name, h->values[j]);
	}
	if (body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"))
		rc |= buf_appendf(out, "Content-Length: %zu\r\n", body_len);
	rc |= buf_append_str(out, "Connection: close\r\n\r\n");
	rc |= buf_append(out, body, body_len);
	return rc ? -ENOMEM : 0;
}

void http_reply_init(struct http_reply *r, size_t body_max, bool head_only)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->head);
	buf_init(&r->body);
	r->body_max = body_max ? body_max : CHECK_OUTPUT_MAX_BYTES;
	r->head_only = head_only;
}

void http_reply_free(struct http_reply *r)
{
	buf_free(&r->head);
	buf_free(&r->body);
}

static int fail(struct http_reply *r, const char *why)
{
	r->state = HTTP_REPLY_ERROR;
	r->error = why;
	return -1;
}

static int body_bytes(struct http_reply *r, const char *data, size_t n)
{
	r->body_total += n;
	if (buf_append_tail(&r->body, data, n, r->body_max) < 0)
		return fail(r, "out of memory");
	return 0;
}

/* Trims spaces and tabs around a header value in place. */
static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

/* Parses the complete head in r->head (NUL-terminated, ends with the blank line). */
static int parse_head(struct http_reply *r)
{
	char *p = r->head.data;
	char *eol = strchr(p, '\n');
	if (!eol || strncmp(p, "HTTP/1.", 7) || !(p[7] == '0' || p[7] == '1') || p[8] != ' ')
		return fail(r, "malformed HTTP response");
	char *line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
	*line_end = '\0';
	char *code = p + 9;
	if (!(code[0] >= '1' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' &&
	      code[2] <= '9') ||
	    (code[3] && code[3] != ' '))
		return fail(r, "malformed HTTP status code");
	r->code = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
	snprintf(r->status_text, sizeof r->status_text, "%s", code);
	bool chunked = false, has_length = false;
	uint64_t length = 0;
	for (p = eol + 1; *p && *p != '\r' && *p != '\n'; p = eol + 1) {
		eol = strchr(p, '\n');
		if (!eol)
			return fail(r, "malformed HTTP response");
		char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return fail(r, "malformed MIME header line");
		*colon = '\0';
		char *value = trim(colon + 1, eol);
		if (!strcasecmp(p, "Content-Length")) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(value, &end, 10);
			if (!*value || *end || errno || value[0] == '-' || (has_length && n != length))
				return fail(r, "bad Content-Length");
			has_length = true;
			length = n;
		} else if (!strcasecmp(p, "Transfer-Encoding")) {
			if (!strcasecmp(value, "chunked"))
				chunked = true;
			else if (strcasecmp(value, "identity"))
				return fail(r, "unsupported transfer encoding");
		} else if (!strcasecmp(p, "Location")) {
			snprintf(r->location, sizeof r->location, "%s", value);
		}
	}
	if (r->code >= 100 && r->code < 200 && r->code != 101) {
		/* An interim reply (100 Continue): the real one follows. */
		buf_reset(&r->head);
		r->location[0] = '\0';
		return 0;
	}
	if (r->head_only || r->code == 204 || r->code == 304 || (r->code >= 100 && r->code < 200))
		r->state = HTTP_REPLY_DONE;
	else if (chunked)
		r->state = HTTP_REPLY_CHUNK_SIZE;
	else if (has_length) {
		r->remaining = length;
		r->state = length ? HTTP_REPLY_BODY_LENGTH : HTTP_REPLY_DONE;
	} else
		r->state = HTTP_REPLY_BODY_CLOSE;
	return 0;
}

/* Reads head bytes; returns how many of data were used, or -1. */
static ssize_t feed_head(struct http_reply *r, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (r->head.len >= HTTP_REPLY_HEAD_MAX)
			return fail(r, "server response headers exceeded the limit");
		if (buf_append_char(&r->head, data[i]) < 0)
			return fail(r, "out of memory");
		size_t n = r->head.len;
		const char *h = r->head.data;
		bool end = (n >= 4 && !memcmp(h + n - 4, "\r\n\r\n", 4)) || (n >= 2 && !memcmp(h + n - 2, "\n\n", 2));
		if (end) {
			if (memchr(h, '\0', n))
				return fail(r, "malformed HTTP response");
			if (parse_head(r) < 0)
				return -1;
			return (ssize_t)(i + 1);
		}
	}
	return (ssize_t)len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A complete chunk size line (without CRLF; extensions after ';' ignored). */
static int chunk_size(struct http_reply *r)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; i < r->line_len && hexval(r->line[i]) >= 0; i++) {
		if (n >> 60)
			return fail(r, "chunk size too large");
		n = n * 16 + (uint64_t)hexval(r->line[i]);
	}
	if (i == 0 || (i < r->line_len && r->line[i] != ';' && r->line[i] != ' ' && r->line[i] != '\t'))
		return fail(r, "malformed chunked encoding");
	r->remaining = n;
	r->state = n ? HTTP_REPLY_CHUNK_DATA : HTTP_REPLY_TRAILER;
	r->line_len = 0;
	return 0;
}

int http_reply_feed(struct http_reply *r, const char *data, size_t len)
{
	size_t i = 0;
	while (i < len) {
		switch (r->state) {
		case HTTP_REPLY_HEAD: {
			ssize_t used = feed_head(r, data + i, len - i);
			if (used < 0)
				return -1;
			i += (size_t)used;
			break;
		}
		case HTTP_REPLY_BODY_LENGTH:
		case HTTP_REPLY_CHUNK_DATA: {
			size_t n = len - i;
			if (n > r->remaining)
				n = (size_t)r->remaining;
			if (body_bytes(r, data + i, n) < 0)
				return -1;
			i += n;
			r->remaining -= n;
			if (!r->remaining)
				r->state = r->state == HTTP_REPLY_BODY_LENGTH ? HTTP_REPLY_DONE : HTTP_REPLY_CHUNK_CRLF;
			break;
		}
		case HTTP_REPLY_BODY_CLOSE:
			if (body_bytes(r, data + i, len - i) < 0)
				return -1;
			i = len;
			break;
		case HTTP_REPLY_CHUNK_CRLF:
			/* The CRLF after a chunk's data: "\r" optional, "\n" required. */
			if (data[i] == '\n')
				r->state = HTTP_REPLY_CHUNK_SIZE;
			else if (data[i] != '\r')
				return fail(r, "malformed chunked encoding");
			i++;
			break;
		case HTTP_REPLY_CHUNK_SIZE:
		case HTTP_REPLY_TRAILER: {
			char c = data[i++];
			if (c == '\n') {
				if (r->line_len && r->line[r->line_len - 1] == '\r')
					r->line_len--;
				if (r->state == HTTP_REPLY_CHUNK_SIZE) {
					if (chunk_size(r) < 0)
						return -1;
				} else if (r->line_len == 0) {
					r->state = HTTP_REPLY_DONE;
				} else {
					r->line_len = 0; /* a trailer header: ignored */
				}
				break;
			}
			if (r->state == HTTP_REPLY_CHUNK_SIZE && r->line_len >= sizeof r->line)
				return fail(r, "malformed chunked encoding");
			if (r->line_len < sizeof r->line)
				r->line[r->line_len++] = c;
			else if (r->line[r->line_len - 1] != '\r')
				r->line[r->line_len - 1] = c; /* a long trailer: only "is it empty" matters */
			break;
		}
		case HTTP_REPLY_DONE:
			return 1; /* bytes after the reply (Connection: close was asked): ignored */
		case HTTP_REPLY_ERROR:
			return -1;
		}
	}
	if (r->state == HTTP_REPLY_DONE)
		return 1;
	return r->state == HTTP_REPLY_ERROR ? -1 : 0;
}

int http_reply_eof(struct http_reply *r)
{
	if (r->state == HTTP_REPLY_DONE || r->state == HTTP_REPLY_BODY_CLOSE) {
		r->state = HTTP_REPLY_DONE;
		return 1;
	}
	if (r->state != HTTP_REPLY_ERROR)
		fail(r, r->state == HTTP_REPLY_HEAD ? "EOF" : "unexpected EOF");
	return -1;
}
