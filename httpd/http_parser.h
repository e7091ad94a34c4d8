/* http_parser.h: a pure HTTP/1.x request parser, in the picohttpparser style.
 *
 * Nothing here allocates, keeps state, or touches a socket: each call looks at the caller's
 * bytes and fills the caller's struct with (pointer, length) slices of them.
 *
 *   struct http_request req;
 *   size_t max_body = HTTP_MAX_BODY_BYTES;
 *   if (http_parse_head(buf, len, &req) > 0) max_body = http_body_limit(&req);   // by route
 *   ssize_t n = http_parse_request(buf, len, max_body, &conn->mark, &req);   // mark: or NULL
 *   if (n == HTTP_PARSE_INCOMPLETE) read_more();
 *   else if (n < 0) reply_error(http_parse_status(n)), close();
 *   else {
 *           if (req.chunked) req.body.len = http_chunked_decode(req.body.p, req.body.len, writable);
 *           handle(&req); consume(n);                       // n covers head and body
 *   }
 *
 *   struct http_url url; struct http_param params[HTTP_MAX_PARAMS];
 *   http_url_split(req.target.p, req.target.len, &url);
 *   ssize_t np = http_query_parse(url.query.p, url.query.len, params, HTTP_MAX_PARAMS);
 *   ssize_t plen = http_pct_decode(url.path.p, url.path.len, out, false);
 */
#ifndef HTTPD_HTTP_PARSER_H
#define HTTPD_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_HEAD_BYTES 8192
/* Consul's kv_max_value_size default; bigger bodies get 413 before they are read. The body
 * limit of every request but a snapshot restore: a small limit bounds what one connection
 * makes httpd hold. */
#define HTTP_MAX_BODY_BYTES (512 * 1024)
/* The body limit of PUT /v1/snapshot (a restore: the snapshot file itself). httpd passes the
 * body to raftd as the raw argument bytes of one RPC_SNAPSHOT_RESTORE frame (no JSON, no base64:
 * no inflation), so the frame limit (FRAME_MAX_PAYLOAD, 64 MiB) is not what binds. raftd puts the
 * file's state through the Raft log as ONE entry, {"Op":"restore","Snapshot":<state>}, which is
 * the file less 23 bytes (48-byte header and 4-byte CRC out, 29 bytes of command in), and a Raft
 * entry holds at most RAFT_MAX_ENTRY_BYTES (raftd/raft_log.h, 16 MiB). So 16 MiB is the largest
 * file every layer takes; a larger upload is refused with 413 before it is read. */
#define HTTP_MAX_SNAPSHOT_BODY_BYTES (16u * 1024 * 1024)
/* A chunked body may spend at most this many wire bytes per decoded byte (chunk-size lines,
 * extensions, CRLFs): tiny chunks must not make a small body huge on the wire. */
#define HTTP_CHUNKED_MAX_EXPANSION 4
/* Bytes of a chunk-size line (size, extensions, CRLF) we accept. */
#define HTTP_MAX_CHUNK_LINE 1024
#define HTTP_MAX_PARAMS 64

enum http_parse_result {
	HTTP_PARSE_ERROR = -1,          /* malformed: 400 */
	HTTP_PARSE_INCOMPLETE = -2,     /* need more bytes */
	HTTP_PARSE_HEAD_TOO_LARGE = -3, /* head above HTTP_MAX_HEAD_BYTES or too many headers: 431 */
	HTTP_PARSE_BODY_TOO_LARGE = -4, /* body above the caller's max_body: 413 */
	HTTP_PARSE_UNSUPPORTED = -5,    /* a transfer coding other than chunked: 501 */
};

struct http_slice {
	const char *p;
	size_t len;
};

struct http_header {
	struct http_slice name;
	struct http_slice value; /* surrounding whitespace trimmed */
};

struct http_request {
	struct http_slice method;
	struct http_slice target; /* the raw request-target: path and query, still encoded */
	int minor_version;        /* HTTP/1.minor */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t num_headers;
	size_t head_len;        /* request line, headers and the blank line */
	bool keep_alive;        /* HTTP/1.1 unless "Connection: close"; 1.0 only with keep-alive */
	bool expect_continue;   /* "Expect: 100-continue" */
	bool chunked;           /* body is Transfer-Encoding: chunked */
	size_t content_length;  /* declared body size (0 when none or chunked) */
	/* Filled by http_parse_request only: the body as sent. For chunked it is the encoded
	 * bytes; body_decoded_len is what http_chunked_decode will produce. */
	struct http_slice body;
	size_t body_decoded_len;
};

/* Parses the request line and headers of buf[0..len). Returns head_len (> 0), or an
 * http_parse_result. Body fields other than content_length / chunked are left zero. */
ssize_t http_parse_head(const char *buf, size_t len, struct http_request *req);

/* The body limit for a request whose head http_parse_head accepted: HTTP_MAX_SNAPSHOT_BODY_BYTES
 * for PUT /v1/snapshot (any query, exact raw path), HTTP_MAX_BODY_BYTES for anything else. */
size_t http_body_limit(const struct http_request *req);

/* Bytes a chunked body of at most max_body decoded bytes may span on the wire (with its
 * trailers); the most a connection needs to hold for one such request, past its head. */
size_t http_max_wire_body(size_t max_body);

/* Where the walk of a chunked body stopped: past `offset` bytes of whole chunks (counted from
 * the body's start) holding `decoded` bytes. The caller keeps it between calls on the same
 * growing request so that each call resumes there instead of walking every chunk again (a
 * body of tiny chunks arriving in many reads would otherwise cost time quadratic in its
 * size); it zeroes it for each new request. */
struct http_chunk_resume {
	size_t offset;
	size_t decoded;
};

/* Parses a whole request: head and body, the body (decoded) at most max_body bytes (at most
 * HTTP_MAX_SNAPSHOT_BODY_BYTES; choose it with http_body_limit). resume is NULL, or the
 * caller's mark for this request (see above). Returns the bytes the request spans (> 0), or
 * an http_parse_result. The body limit is enforced as soon as the head is known, so an
 * oversized upload is refused before it arrives. */
ssize_t http_parse_request(const char *buf, size_t len, size_t max_body, struct http_chunk_resume *resume,
			   struct http_request *req);

/* Decodes a chunked body that http_parse_request accepted (in[0..in_len) is req->body).
 * out needs req->body_decoded_len bytes; out may equal in (decoding in place is safe
 * because output never overtakes input). Returns the decoded length. */
size_t http_chunked_decode(const char *in, size_t in_len, char *out);

/* Maps a negative parse result to the HTTP status to answer with (400, 413, 431, 501). */
int http_parse_status(ssize_t result);

/* Case-insensitive header lookup; NULL when absent. */
const struct http_header *http_header_find(const struct http_request *req, const char *name);

/* A request-target split into its raw (still encoded) path and query; any fragment is
 * dropped. An absolute-form target ("http://host/p?q") yields its path ("/p"). */
struct http_url {
	struct http_slice path;
	struct http_slice query;
};

/* Returns 0, or -1 when the target is not origin-form, absolute-form or "*". */
int http_url_split(const char *target, size_t len, struct http_url *out);

/* Percent-decodes in[0..len) into out, which needs len bytes (decoding only shrinks).
 * plus_is_space: turn '+' into ' ' (query strings, as Go's url.ParseQuery does).
 * Returns the decoded length, or -1 for a malformed escape. No NUL is appended. */
ssize_t http_pct_decode(const char *in, size_t len, char *out, bool plus_is_space);

/* One query parameter, raw. "?recurse" has has_value false; "?dc=" has it true, empty. */
struct http_param {
	struct http_slice key;
	struct http_slice value;
	bool has_value;
};

/* Splits a query string on '&' into params (empty pieces are skipped). Returns the count,
 * or -1 when there are more than max. */
ssize_t http_query_parse(const char *query, size_t len, struct http_param *params, size_t max);

#endif
