/* http_parser.c: the pure request parser and URL splitter (see http_parser.h). Every read
 * is bounded by the caller's length; a line is only interpreted once its '\n' is in hand, so
 * any prefix of a valid request answers "incomplete", never "error". */
#include "http_parser.h"

#include <stdint.h>
#include <string.h>

static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field values: visible ASCII, space, tab, and obs-text (bytes >= 0x80). */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool slice_ieq(const char *p, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)p[i], b = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

/* Finds the line starting at p (before end). Returns the position after its '\n' and sets
 * *line_len to its length without the line ending, or NULL when no '\n' is in range. */
static const char *next_line(const char *p, const char *end, size_t *line_len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		return NULL;
	size_t n = (size_t)(nl - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	*line_len = n;
	return nl + 1;
}

/* request-line = method SP request-target SP HTTP-version */
static int parse_request_line(const char *p, size_t len, struct http_request *req)
{
	size_t i = 0;
	while (i < len && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= len || p[i] != ' ')
		return HTTP_PARSE_ERROR;
	req->method = (struct http_slice){p, i};
	size_t t = ++i;
	while (i < len && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == t || i >= len || p[i] != ' ')
		return HTTP_PARSE_ERROR;
	req->target = (struct http_slice){p + t, i - t};
	i++;
	static const char ver[] = "HTTP/1.";
	if (len - i != sizeof ver || memcmp(p + i, ver, sizeof ver - 1) != 0)
		return HTTP_PARSE_ERROR;
	char minor = p[len - 1];
	if (minor < '0' || minor > '9')
		return HTTP_PARSE_ERROR;
	req->minor_version = minor - '0';
	return 0;
}

static int parse_header_line(const char *p, size_t len, struct http_header *h)
{
	size_t i = 0;
	while (i < len && is_tchar((unsigned char)p[i]))
		i++;
	/* No name, obs-fold (a line starting with whitespace), or space before ':' */
	if (i == 0 || i >= len || p[i] != ':')
		return HTTP_PARSE_ERROR;
	h->name = (struct http_slice){p, i};
	i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t end = len;
	while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	for (size_t k = i; k < end; k++)
		if (!is_value_char((unsigned char)p[k]))
			return HTTP_PARSE_ERROR;
	h->value = (struct http_slice){p + i, end - i};
	return 0;
}

/* Content-Length: digits only; saturates above the body cap (the caller refuses it). */
static int parse_content_length(const struct http_slice *v, size_t *out)
{
	if (v->len == 0)
		return HTTP_PARSE_ERROR;
	uint64_t n = 0;
	for (size_t i = 0; i < v->len; i++) {
		unsigned char c = (unsigned char)v->p[i];
		if (c < '0' || c > '9')
			return HTTP_PARSE_ERROR;
		if (n <= UINT32_MAX)
			n = n * 10 + (c - '0');
	}
	*out = n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
	return 0;
}

/* Connection: a comma-separated token list. */
static void parse_connection(const struct http_slice *v, bool *close_seen, bool *keep_alive_seen)
{
	size_t i = 0;
	while (i < v->len) {
		while (i < v->len && (v->p[i] == ' ' || v->p[i] == '\t' || v->p[i] == ','))
			i++;
		size_t s = i;
		while (i < v->len && v->p[i] != ',' && v->p[i] != ' ' && v->p[i] != '\t')
			i++;
		if (slice_ieq(v->p + s, i - s, "close"))
			*close_seen = true;
		else if (slice_ieq(v->p + s, i - s, "keep-alive"))
			*keep_alive_seen = true;
	}
}

/* Applies the headers that shape message framing and connection reuse. */
static int apply_headers(struct http_request *req)
{
	bool have_cl = false, have_te = false, close_seen = false, ka_seen = false;
	size_t hosts = 0;
	for (size_t i = 0; i < req->num_headers; i++) {
		const struct http_header *h = &req->headers[i];
		if (slice_ieq(h->name.p, h->name.len, "content-length")) {
			size_t cl;
			if (parse_content_length(&h->value, &cl) < 0)
				return HTTP_PARSE_ERROR;
			/* Differing duplicates are a request-smuggling vector: refuse. */
			if (have_cl && cl != req->content_length)
				return HTTP_PARSE_ERROR;
			have_cl = true;
			req->content_length = cl;
		} else if (slice_ieq(h->name.p, h->name.len, "transfer-encoding")) {
			if (have_te || req->minor_version == 0)
				return HTTP_PARSE_ERROR;
			have_te = true;
			if (!slice_ieq(h->value.p, h->value.len, "chunked"))
				return HTTP_PARSE_UNSUPPORTED;
			req->chunked = true;
		} else if (slice_ieq(h->name.p, h->name.len, "connection")) {
			parse_connection(&h->value, &close_seen, &ka_seen);
		} else if (slice_ieq(h->name.p, h->name.len, "expect")) {
			if (!slice_ieq(h->value.p, h->value.len, "100-continue"))
				return HTTP_PARSE_ERROR;
			req->expect_continue = true;
		} else if (slice_ieq(h->name.p, h->name.len, "host")) {
			hosts++;
		}
	}
	if (have_cl && have_te)
		return HTTP_PARSE_ERROR;
	/* HTTP/1.1 requires exactly one Host (RFC 9112 §3.2), as Go's server insists. */
	if (req->minor_version >= 1 && hosts != 1)
		return HTTP_PARSE_ERROR;
	if (req->chunked)
		req->content_length = 0;
	if (close_seen)
		req->keep_alive = false;
	else
		req->keep_alive = req->minor_version >= 1 || ka_seen;
	return 0;
}

ssize_t http_parse_head(const char *buf, size_t len, struct http_request *req)
{
	memset(req, 0, sizeof *req);
	size_t limit = len < HTTP_MAX_HEAD_BYTES ? len : HTTP_MAX_HEAD_BYTES;
	const char *p = buf, *end = buf + limit;
	/* Running out of bytes: wait, unless the head is already at its cap. */
	const ssize_t need_more = len >= HTTP_MAX_HEAD_BYTES ? HTTP_PARSE_HEAD_TOO_LARGE : HTTP_PARSE_INCOMPLETE;

	/* RFC 9112 §2.2: ignore empty lines before the request line. */
	for (;;) {
		if (p >= end)
			return need_more;
		if (*p == '\n') {
			p++;
		} else if (*p == '\r') {
			if (p + 1 >= end)
				return need_more;
			if (p[1] != '\n')
				return HTTP_PARSE_ERROR;
			p += 2;
		} else {
			break;
		}
	}

	size_t line_len;
	const char *next = next_line(p, end, &line_len);
	if (next == NULL)
		return need_more;
	int rc = parse_request_line(p, line_len, req);
	if (rc < 0)
		return rc;
	p = next;

	for (;;) {
		next = next_line(p, end, &line_len);
		if (next == NULL)
			return need_more;
		if (line_len == 0) {
			p = next;
			break;
		}
		if (req->num_headers == HTTP_MAX_HEADERS)
			return HTTP_PARSE_HEAD_TOO_LARGE;
		rc = parse_header_line(p, line_len, &req->headers[req->num_headers]);
		if (rc < 0)
			return rc;
		req->num_headers++;
		p = next;
	}
	rc = apply_headers(req);
	if (rc < 0)
		return rc;
	req->head_len = (size_t)(p - buf);
	return (ssize_t)req->head_len;
}

/* Parses a chunk-size line's hex size, refusing one above max; the caller already holds the
 * whole line. */
static int chunk_size(const char *p, size_t line_len, size_t max, size_t *size)
{
	size_t i = 0, n = 0;
	while (i < line_len) {
		int v = hex_value((unsigned char)p[i]);
		if (v < 0)
			break;
		n = n * 16 + (size_t)v; /* n <= max before: no overflow */
		if (n > max)
			return HTTP_PARSE_BODY_TOO_LARGE;
		i++;
	}
	if (i == 0)
		return HTTP_PARSE_ERROR;
	/* What may follow the size: optional whitespace and ";extensions", nothing else. */
	size_t k = i;
	while (k < line_len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	if (k < line_len && p[k] != ';')
		return HTTP_PARSE_ERROR;
	for (; k < line_len; k++)
		if (!is_value_char((unsigned char)p[k]))
			return HTTP_PARSE_ERROR;
	*size = n;
	return 0;
}

/* Walks a chunked body (RFC 9112 §7.1) without copying it. Returns 0 with the encoded
 * and decoded sizes, or an http_parse_result. */
static int chunked_scan(const char *p, size_t len, size_t max_body, struct http_chunk_resume *resume,
			size_t *encoded, size_t *decoded)
{
	/* Tiny chunks with long extensions could make a small body huge on the wire. */
	const size_t max_encoded = HTTP_CHUNKED_MAX_EXPANSION * max_body;
	const char *end = p + len, *cur = p;
	size_t total = 0, line_len;
	/* Resume after the whole chunks an earlier call walked; a mark that cannot be one of ours
	 * is ignored (the scan starts over, which is always right). */
	if (resume && resume->offset <= len && resume->offset <= max_encoded && resume->decoded <= max_body &&
	    resume->decoded <= resume->offset) {
		cur = p + resume->offset;
		total = resume->decoded;
	}
	for (;;) {
		size_t avail = (size_t)(end - cur);
		const char *window_end = avail > HTTP_MAX_CHUNK_LINE ? cur + HTTP_MAX_CHUNK_LINE : end;
		const char *next = next_line(cur, window_end, &line_len);
		if (next == NULL)
			return avail >= HTTP_MAX_CHUNK_LINE ? HTTP_PARSE_ERROR : HTTP_PARSE_INCOMPLETE;
		size_t size;
		int rc = chunk_size(cur, line_len, max_body, &size);
		if (rc < 0)
			return rc;
		cur = next;
		if (size == 0)
			break;
		if (total + size > max_body || (size_t)(cur - p) > max_encoded)
			return HTTP_PARSE_BODY_TOO_LARGE;
		total += size;
		if ((size_t)(end - cur) < size)
			return HTTP_PARSE_INCOMPLETE;
		cur += size;
		if (cur >= end)
			return HTTP_PARSE_INCOMPLETE;
		if (*cur == '\r') {
			if (cur + 1 >= end)
				return HTTP_PARSE_INCOMPLETE;
			if (cur[1] != '\n')
				return HTTP_PARSE_ERROR;
			cur += 2;
		} else if (*cur == '\n') {
			cur++;
		} else {
			return HTTP_PARSE_ERROR;
		}
		if (resume)
			*resume = (struct http_chunk_resume){.offset = (size_t)(cur - p), .decoded = total};
	}
	/* Trailer fields, up to an empty line; checked for shape, then ignored. */
	const char *trailers = cur;
	for (;;) {
		const char *next = next_line(cur, end, &line_len);
		if (next == NULL)
			return (size_t)(end - trailers) > HTTP_MAX_HEAD_BYTES ? HTTP_PARSE_HEAD_TOO_LARGE
									   : HTTP_PARSE_INCOMPLETE;
		if ((size_t)(next - trailers) > HTTP_MAX_HEAD_BYTES)
			return HTTP_PARSE_HEAD_TOO_LARGE;
		if (line_len == 0) {
			cur = next;
			break;
		}
		struct http_header ignored;
		if (parse_header_line(cur, line_len, &ignored) < 0)
			return HTTP_PARSE_ERROR;
		cur = next;
	}
	*encoded = (size_t)(cur - p);
	*decoded = total;
	return 0;
}

size_t http_body_limit(const struct http_request *req)
{
	struct http_url url;
	if (req->method.len == 3 && memcmp(req->method.p, "PUT", 3) == 0 &&
	    http_url_split(req->target.p, req->target.len, &url) == 0 && url.path.len == 12 &&
	    memcmp(url.path.p, "/v1/snapshot", 12) == 0)
		return HTTP_MAX_SNAPSHOT_BODY_BYTES;
	return HTTP_MAX_BODY_BYTES;
}

size_t http_max_wire_body(size_t max_body)
{
	/* the encoded cap of chunked_scan, then at most a chunk line and the trailers */
	return HTTP_CHUNKED_MAX_EXPANSION * max_body + HTTP_MAX_CHUNK_LINE + HTTP_MAX_HEAD_BYTES;
}

ssize_t http_parse_request(const char *buf, size_t len, size_t max_body, struct http_chunk_resume *resume,
			   struct http_request *req)
{
	ssize_t head = http_parse_head(buf, len, req);
	if (head < 0)
		return head;
	if (max_body > HTTP_MAX_SNAPSHOT_BODY_BYTES)
		max_body = HTTP_MAX_SNAPSHOT_BODY_BYTES; /* keeps the size arithmetic far from overflow */
	size_t h = (size_t)head;
	if (req->chunked) {
		size_t encoded, decoded;
		int rc = chunked_scan(buf + h, len - h, max_body, resume, &encoded, &decoded);
		if (rc < 0)
			return rc;
		req->body = (struct http_slice){buf + h, encoded};
		req->body_decoded_len = decoded;
		return (ssize_t)(h + encoded);
	}
	if (req->content_length > max_body)
		return HTTP_PARSE_BODY_TOO_LARGE;
	if (len - h < req->content_length)
		return HTTP_PARSE_INCOMPLETE;
	req->body = (struct http_slice){buf + h, req->content_length};
	req->body_decoded_len = req->content_length;
	return (ssize_t)(h + req->content_length);
}

size_t http_chunked_decode(const char *in, size_t in_len, char *out)
{
	const char *cur = in, *end = in + in_len;
	size_t written = 0, line_len;
	for (;;) {
		const char *next = next_line(cur, end, &line_len);
		if (next == NULL)
			break;
		size_t size = 0;
		/* no chunk can be longer than the input: that bounds the size without a limit */
		if (chunk_size(cur, line_len, in_len, &size) < 0 || size == 0)
			break;
		cur = next;
		if ((size_t)(end - cur) < size)
			break;
		/* out + written trails cur by at least the size line: memmove is safe in place. */
		memmove(out + written, cur, size);
		written += size;
		cur += size;
		if (cur < end && *cur == '\r')
			cur++;
		if (cur < end && *cur == '\n')
			cur++;
	}
	return written;
}

int http_parse_status(ssize_t result)
{
	switch (result) {
	case HTTP_PARSE_HEAD_TOO_LARGE:
		return 431;
	case HTTP_PARSE_BODY_TOO_LARGE:
		return 413;
	case HTTP_PARSE_UNSUPPORTED:
		return 501;
	default:
		return 400;
	}
}

const struct http_header *http_header_find(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->num_headers; i++)
		if (slice_ieq(req->headers[i].name.p, req->headers[i].name.len, name))
			return &req->headers[i];
	return NULL;
}

int http_url_split(const char *target, size_t len, struct http_url *out)
{
	static const char root[] = "/";
	memset(out, 0, sizeof *out);
	if (len == 0)
		return -1;
	size_t start = 0;
	if (target[0] == '*') {
		if (len != 1)
			return -1;
		out->path = (struct http_slice){target, 1};
		out->query = (struct http_slice){target + 1, 0};
		return 0;
	}
	if (target[0] != '/') {
		/* absolute-form: scheme "://" authority, then the path */
		size_t s = 0;
		if (len >= 7 && slice_ieq(target, 7, "http://"))
			s = 7;
		else if (len >= 8 && slice_ieq(target, 8, "https://"))
			s = 8;
		else
			return -1;
		while (s < len && target[s] != '/' && target[s] != '?' && target[s] != '#')
			s++;
		start = s;
	}
	const char *hash = memchr(target + start, '#', len - start);
	size_t end = hash ? (size_t)(hash - target) : len;
	const char *q = memchr(target + start, '?', end - start);
	size_t path_end = q ? (size_t)(q - target) : end;
	if (path_end == start)
		out->path = (struct http_slice){root, 1};
	else
		out->path = (struct http_slice){target + start, path_end - start};
	if (q)
		out->query = (struct http_slice){q + 1, end - path_end - 1};
	else
		out->query = (struct http_slice){target + end, 0};
	return 0;
}

ssize_t http_pct_decode(const char *in, size_t len, char *out, bool plus_is_space)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			int hi = hex_value((unsigned char)in[i + 1]), lo = hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[w++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			out[w++] = ' ';
		} else {
			out[w++] = c;
		}
	}
	return (ssize_t)w;
}

ssize_t http_query_parse(const char *query, size_t len, struct http_param *params, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && query[j] != '&')
			j++;
		if (j > i) {
			if (n == max)
				return -1;
			struct http_param *prm = &params[n++];
			const char *eq = memchr(query + i, '=', j - i);
			if (eq) {
				prm->key = (struct http_slice){query + i, (size_t)(eq - (query + i))};
				prm->value = (struct http_slice){eq + 1, (size_t)(query + j - (eq + 1))};
				prm->has_value = true;
			} else {
				prm->key = (struct http_slice){query + i, j - i};
				prm->value = (struct http_slice){query + j, 0};
				prm->has_value = false;
			}
		}
		i = j + 1;
	}
	return (ssize_t)n;
}
