/* test_http_parser.c: the request parser and URL splitter. Every input sits at the very end
 * of a mapping followed by a PROT_NONE page, so reading one byte too far crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_parser.h"

struct guarded {
	char *map;
	size_t map_len;
	char *p; /* the input, ending right at the guard page */
};

static struct guarded guard(const char *in, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + page - 1) / page;
	if (data_pages == 0)
		data_pages = 1;
	struct guarded g;
	g.map_len = (data_pages + 1) * page;
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g.map != MAP_FAILED);
	assert_int_equal(mprotect(g.map + data_pages * page, page, PROT_NONE), 0);
	g.p = g.map + data_pages * page - len;
	memcpy(g.p, in, len);
	return g;
}

static void unguard(struct guarded *g)
{
	munmap(g->map, g->map_len);
}

static ssize_t parse_guarded(const char *in, size_t len, struct http_request *req)
{
	struct guarded g = guard(in, len);
	ssize_t n = http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, NULL, req);
	unguard(&g);
	return n;
}

static ssize_t parse_str(const char *in, struct http_request *req)
{
	return parse_guarded(in, strlen(in), req);
}

static bool slice_is(struct http_slice s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static void test_simple_get(void **state)
{
	const char *in = "GET /v1/kv/a?raw HTTP/1.1\r\nHost: localhost:8500\r\nUser-Agent: curl/7.88.1\r\n"
			 "Accept: */*\r\n\r\n";
	struct guarded g = guard(in, strlen(in));
	struct http_request req;
	assert_int_equal(http_parse_request(g.p, strlen(in), HTTP_MAX_BODY_BYTES, NULL, &req), (ssize_t)strlen(in));
	assert_true(slice_is(req.method, "GET"));
	assert_true(slice_is(req.target, "/v1/kv/a?raw"));
	assert_int_equal(req.minor_version, 1);
	assert_int_equal(req.num_headers, 3);
	assert_true(slice_is(req.headers[1].name, "User-Agent"));
	assert_true(slice_is(req.headers[1].value, "curl/7.88.1"));
	assert_true(slice_is(http_header_find(&req, "host")->value, "localhost:8500"));
	assert_null(http_header_find(&req, "Content-Length"));
	assert_true(req.keep_alive);
	assert_false(req.chunked);
	assert_int_equal(req.body.len, 0);
	unguard(&g);
}

/* Valid requests: each proper prefix must ask for more, the whole must parse. */
static const char *const valid_requests[] = {
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"PUT /v1/kv/app/config HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
	"PUT /v1/kv/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: y\r\n\r\n",
	"GET /v1/status/leader HTTP/1.0\n\n",
	"\r\nDELETE /v1/kv/a?recurse HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Empty:\r\n\r\n",
	"PUT /v1/agent/check/update/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
};

static void test_every_split_point(void **state)
{
	for (size_t i = 0; i < sizeof valid_requests / sizeof valid_requests[0]; i++) {
		const char *in = valid_requests[i];
		size_t len = strlen(in);
		struct http_request req;
		for (size_t cut = 0; cut < len; cut++) {
			ssize_t n = parse_guarded(in, cut, &req);
			if (n != HTTP_PARSE_INCOMPLETE)
				fail_msg("request %zu cut at %zu: got %zd, want incomplete", i, cut, n);
		}
		assert_int_equal(parse_guarded(in, len, &req), (ssize_t)len);
	}
}

static void test_content_length_body_and_pipelining(void **state)
{
	const char *in = "PUT /v1/kv/a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
			 "GET /v1/kv/a HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_request req;
	size_t first = strlen(in) - strlen("GET /v1/kv/a HTTP/1.1\r\nHost: a\r\n\r\n");
	struct guarded g = guard(in, strlen(in));
	assert_int_equal(http_parse_request(g.p, strlen(in), HTTP_MAX_BODY_BYTES, NULL, &req), (ssize_t)first);
	assert_true(slice_is(req.body, "hello"));
	assert_int_equal(req.content_length, 5);
	assert_int_equal(http_parse_request(g.p + first, strlen(in) - first, HTTP_MAX_BODY_BYTES, NULL, &req), (ssize_t)(strlen(in) - first));
	assert_true(slice_is(req.method, "GET"));
	unguard(&g);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",         /* two spaces */
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",           /* not HTTP/1.x */
		"GET / HTTP/1.1 x\r\nHost: a\r\n\r\n",         /* trailing junk */
		"GET /\r\n\r\n",                               /* HTTP/0.9 */
		"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",           /* not a token */
		" GET / HTTP/1.1\r\nHost: a\r\n\r\n",          /* leading space */
		"GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",      /* control in target */
		"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", /* obs-fold */
		"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",          /* space before colon */
		"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", /* bare CR */
		"GET / HTTP/1.1\r\n\r\n",                      /* 1.1 without Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
		"PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
		"\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct http_request req;
		ssize_t n = parse_str(bad[i], &req);
		if (n != HTTP_PARSE_ERROR)
			fail_msg("malformed %zu: got %zd, want error", i, n);
	}
	struct http_request req;
	assert_int_equal(parse_str("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", &req),
			 HTTP_PARSE_UNSUPPORTED);
	assert_int_equal(http_parse_status(HTTP_PARSE_UNSUPPORTED), 501);
	assert_int_equal(http_parse_status(HTTP_PARSE_ERROR), 400);
}

static void test_header_limits(void **state)
{
	struct http_request req;
	char *in = malloc(HTTP_MAX_HEAD_BYTES * 2);
	if (!in)
		abort();
	/* 64 headers are fine, 65 are not */
	for (int count = 64; count <= 65; count++) {
		int n = sprintf(in, "GET / HTTP/1.1\r\nHost: a\r\n");
		for (int i = 1; i < count; i++)
			n += sprintf(in + n, "X-%d: v\r\n", i);
		n += sprintf(in + n, "\r\n");
		ssize_t rc = parse_guarded(in, (size_t)n, &req);
		assert_int_equal(rc, count == 64 ? n : HTTP_PARSE_HEAD_TOO_LARGE);
	}
	/* A head still unfinished at the cap is refused without waiting for its end. */
	int n = sprintf(in, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(in + n, 'a', HTTP_MAX_HEAD_BYTES);
	assert_int_equal(parse_guarded(in, (size_t)n + HTTP_MAX_HEAD_BYTES, &req), HTTP_PARSE_HEAD_TOO_LARGE);
	assert_int_equal(http_parse_status(HTTP_PARSE_HEAD_TOO_LARGE), 431);
	/* ... while a short prefix of the same waits */
	assert_int_equal(parse_guarded(in, (size_t)n + 100, &req), HTTP_PARSE_INCOMPLETE);
	free(in);
}

static void test_body_limit(void **state)
{
	struct http_request req;
	char in[256];
	/* refused as soon as the head is in, before any of the body */
	snprintf(in, sizeof in, "PUT /v1/kv/big HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n",
		 HTTP_MAX_BODY_BYTES + 1);
	assert_int_equal(parse_str(in, &req), HTTP_PARSE_BODY_TOO_LARGE);
	assert_int_equal(req.content_length, HTTP_MAX_BODY_BYTES + 1);
	assert_int_equal(http_parse_status(HTTP_PARSE_BODY_TOO_LARGE), 413);
	snprintf(in, sizeof in, "PUT /v1/kv/big HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n");
	assert_int_equal(parse_str(in, &req), HTTP_PARSE_BODY_TOO_LARGE);
	snprintf(in, sizeof in, "PUT /v1/kv/big HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", HTTP_MAX_BODY_BYTES);
	assert_int_equal(parse_str(in, &req), HTTP_PARSE_INCOMPLETE);
	/* a chunk declaring more than the cap */
	assert_int_equal(parse_str("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n80001\r\n", &req),
			 HTTP_PARSE_BODY_TOO_LARGE);
	assert_int_equal(
		parse_str("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffffff\r\n", &req),
		HTTP_PARSE_BODY_TOO_LARGE);
}

/* Parses a head alone and returns the body limit it chooses. */
static size_t limit_of(const char *head)
{
	struct guarded g = guard(head, strlen(head));
	struct http_request req;
	assert_true(http_parse_head(g.p, strlen(head), &req) > 0);
	size_t limit = http_body_limit(&req); /* reads the method and target: before unguard */
	unguard(&g);
	return limit;
}

static void test_body_limit_by_route(void **state)
{
	/* only a snapshot restore may send a large body */
	assert_int_equal(limit_of("PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_MAX_SNAPSHOT_BODY_BYTES);
	assert_int_equal(limit_of("PUT /v1/snapshot?dc=dc1 HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_MAX_SNAPSHOT_BODY_BYTES);
	assert_int_equal(limit_of("PUT http://h:8500/v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n"),
			 HTTP_MAX_SNAPSHOT_BODY_BYTES);
	static const char *const small[] = {
		"GET /v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n",
		"put /v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT /v1/snapshots HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT /v1/snapshot/x HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT /v1/snapsho HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT /v1/kv/v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT /v1/kv/x?/v1/snapshot HTTP/1.1\r\nHost: a\r\n\r\n",
		"PUT * HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		if (limit_of(small[i]) != HTTP_MAX_BODY_BYTES)
			fail_msg("small %zu: got a large body limit", i);
	/* the limit stays the snapshot file's largest size through one 64 MiB RPC frame */
	assert_true(HTTP_MAX_SNAPSHOT_BODY_BYTES > HTTP_MAX_BODY_BYTES);
	assert_true(HTTP_MAX_SNAPSHOT_BODY_BYTES <= 64u * 1024 * 1024);
}

/* The same head and body against each limit: refused under the small one, whole under the large. */
static void test_large_body_limit(void **state)
{
	const size_t big = HTTP_MAX_BODY_BYTES + 1;
	char head[256];
	int hl = snprintf(head, sizeof head, "PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: %zu\r\n\r\n", big);
	size_t len = (size_t)hl + big;
	char *in = malloc(len);
	if (!in)
		abort();
	memcpy(in, head, (size_t)hl);
	memset(in + hl, 'x', big);
	struct guarded g = guard(in, len);
	struct http_request req;
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, NULL, &req), HTTP_PARSE_BODY_TOO_LARGE);
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &req), (ssize_t)len);
	assert_int_equal(req.body.len, big);
	assert_int_equal(req.body_decoded_len, big);
	assert_ptr_equal(req.body.p, g.p + hl);
	/* a prefix of it waits rather than failing */
	assert_int_equal(http_parse_request(g.p, len - 1, HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &req), HTTP_PARSE_INCOMPLETE);
	unguard(&g);
	free(in);

	/* at the large limit exactly: waits for the body; one byte more: refused from the head */
	struct http_request r2;
	snprintf(head, sizeof head, "PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: %u\r\n\r\n",
		 HTTP_MAX_SNAPSHOT_BODY_BYTES);
	struct guarded h = guard(head, strlen(head));
	assert_int_equal(http_parse_request(h.p, strlen(head), HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &r2), HTTP_PARSE_INCOMPLETE);
	unguard(&h);
	snprintf(head, sizeof head, "PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nContent-Length: %u\r\n\r\n",
		 HTTP_MAX_SNAPSHOT_BODY_BYTES + 1);
	h = guard(head, strlen(head));
	assert_int_equal(http_parse_request(h.p, strlen(head), HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &r2),
			 HTTP_PARSE_BODY_TOO_LARGE);
	/* a limit above the largest is clamped to it */
	assert_int_equal(http_parse_request(h.p, strlen(head), SIZE_MAX, NULL, &r2), HTTP_PARSE_BODY_TOO_LARGE);
	unguard(&h);

	/* chunked: one chunk above 512 KiB passes under the large limit and decodes whole */
	const size_t chunk = HTTP_MAX_BODY_BYTES + 100;
	hl = snprintf(head, sizeof head, "PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
		      chunk);
	len = (size_t)hl + chunk + strlen("\r\n0\r\n\r\n");
	in = malloc(len);
	if (!in)
		abort();
	memcpy(in, head, (size_t)hl);
	memset(in + hl, 'y', chunk);
	memcpy(in + hl + chunk, "\r\n0\r\n\r\n", strlen("\r\n0\r\n\r\n"));
	g = guard(in, len);
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, NULL, &req), HTTP_PARSE_BODY_TOO_LARGE);
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &req), (ssize_t)len);
	assert_int_equal(req.body_decoded_len, chunk);
	unguard(&g);
	/* decoded in place in a writable copy, as the server does */
	char *copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, in, len);
	assert_int_equal(http_parse_request(copy, len, HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &req), (ssize_t)len);
	char *b = copy + (req.body.p - copy);
	assert_int_equal(http_chunked_decode(b, req.body.len, b), chunk);
	assert_true(b[0] == 'y' && b[chunk - 1] == 'y');
	free(copy);
	free(in);
	/* a chunk-size line declaring more than the large limit */
	assert_int_equal(http_parse_request("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000001\r\n",
					    strlen("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000001\r\n"),
					    HTTP_MAX_SNAPSHOT_BODY_BYTES, NULL, &req),
			 HTTP_PARSE_BODY_TOO_LARGE);
	/* and the wire allowance grows with the limit */
	assert_true(http_max_wire_body(HTTP_MAX_SNAPSHOT_BODY_BYTES) > HTTP_MAX_SNAPSHOT_BODY_BYTES);
	assert_true(http_max_wire_body(HTTP_MAX_BODY_BYTES) < HTTP_MAX_SNAPSHOT_BODY_BYTES);
}

/* A chunked body fed in pieces with the caller's resume mark parses exactly as in one go,
 * and a mark that cannot be right is ignored. */
static void test_chunked_resume(void **state)
{
	const char *in = "PUT /v1/snapshot HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n"
			 "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t len = strlen(in);
	struct http_request whole, req;
	ssize_t want = parse_guarded(in, len, &whole);
	assert_true(want > 0);
	size_t want_decoded = whole.body_decoded_len;
	struct http_chunk_resume mark = {0};
	size_t last_offset = 0;
	for (size_t cut = 0; cut < (size_t)want; cut++) {
		struct guarded g = guard(in, cut);
		ssize_t n = http_parse_request(g.p, cut, HTTP_MAX_BODY_BYTES, &mark, &req);
		unguard(&g);
		if (n != HTTP_PARSE_INCOMPLETE)
			fail_msg("prefix %zu: got %zd", cut, n);
		assert_true(mark.offset >= last_offset); /* only moves forward, over whole chunks */
		last_offset = mark.offset;
	}
	assert_true(mark.offset > 0 && mark.decoded == 9 + 14);
	struct guarded g = guard(in, len);
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, &mark, &req), want);
	assert_int_equal(req.body_decoded_len, want_decoded);
	assert_int_equal(req.body.len, whole.body.len);
	/* marks past the input, past the cap, or claiming more decoded than walked: start over */
	static const struct http_chunk_resume bogus[] = {
		{.offset = 1u << 30, .decoded = 0},
		{.offset = 3, .decoded = 7},
		{.offset = 10, .decoded = HTTP_MAX_BODY_BYTES + 1},
	};
	for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
		struct http_chunk_resume m = bogus[i];
		if (http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, &m, &req) != want ||
		    req.body_decoded_len != want_decoded)
			fail_msg("bogus mark %zu was trusted", i);
	}
	unguard(&g);
}

static void test_chunked(void **state)
{
	const char *in = "PUT /v1/kv/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
			 "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
	size_t len = strlen(in);
	struct guarded g = guard(in, len);
	struct http_request req;
	assert_int_equal(http_parse_request(g.p, len, HTTP_MAX_BODY_BYTES, NULL, &req), (ssize_t)len);
	assert_true(req.chunked);
	assert_int_equal(req.body_decoded_len, 23);
	char out[64];
	size_t n = http_chunked_decode(req.body.p, req.body.len, out);
	assert_int_equal(n, 23);
	assert_memory_equal(out, "Wikipedia in\r\n\r\nchunks.", 23);
	unguard(&g);

	/* in place, as the server does it */
	char *copy = strdup(in);
	assert_int_equal(http_parse_request(copy, len, HTTP_MAX_BODY_BYTES, NULL, &req), (ssize_t)len);
	char *body = copy + (req.body.p - copy);
	n = http_chunked_decode(body, req.body.len, body);
	assert_memory_equal(body, "Wikipedia in\r\n\r\nchunks.", n);
	free(copy);

	static const char *const bad[] = {
		"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ssize_t rc = parse_str(bad[i], &req);
		if (rc != HTTP_PARSE_ERROR)
			fail_msg("bad chunked %zu: got %zd", i, rc);
	}
}

static void test_keep_alive_rules(void **state)
{
	struct http_request req;
	assert_true(parse_str("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &req) > 0 && req.keep_alive);
	assert_true(parse_str("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req) > 0 && !req.keep_alive);
	assert_true(parse_str("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", &req) > 0);
	assert_false(req.keep_alive);
	assert_true(parse_str("GET / HTTP/1.0\r\n\r\n", &req) > 0 && !req.keep_alive);
	assert_int_equal(req.minor_version, 0);
	assert_true(parse_str("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req) > 0 && req.keep_alive);
	assert_true(parse_str("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nab", &req) > 0);
	assert_true(req.expect_continue);
	/* the head alone is enough to know a 100 Continue is wanted */
	const char *head = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2000\r\n\r\n";
	assert_int_equal(parse_str(head, &req), HTTP_PARSE_INCOMPLETE);
	struct guarded g = guard(head, strlen(head));
	assert_int_equal(http_parse_head(g.p, strlen(head), &req), (ssize_t)strlen(head));
	assert_true(req.expect_continue);
	assert_int_equal(req.content_length, 2000);
	unguard(&g);
}

static bool url_is(const char *target, const char *path, const char *query)
{
	struct guarded g = guard(target, strlen(target));
	struct http_url u;
	bool ok = http_url_split(g.p, strlen(target), &u) == 0 && slice_is(u.path, path) && slice_is(u.query, query);
	unguard(&g);
	return ok;
}

static void test_url_split(void **state)
{
	assert_true(url_is("/v1/kv/a", "/v1/kv/a", ""));
	assert_true(url_is("/v1/kv/?keys&separator=/", "/v1/kv/", "keys&separator=/"));
	assert_true(url_is("/v1/kv/a?recurse#frag", "/v1/kv/a", "recurse"));
	assert_true(url_is("/v1/kv/a#f?x", "/v1/kv/a", ""));
	assert_true(url_is("http://localhost:8500/v1/status/leader?pretty", "/v1/status/leader", "pretty"));
	assert_true(url_is("http://localhost:8500", "/", ""));
	assert_true(url_is("*", "*", ""));
	struct http_url u;
	assert_int_equal(http_url_split("v1/kv", 5, &u), -1);
	assert_int_equal(http_url_split("ftp://x/", 8, &u), -1);
	assert_int_equal(http_url_split("", 0, &u), -1);
}

static void test_pct_decode(void **state)
{
	char out[64];
	const char *in = "/v1/kv/a%2Fb%20c+d";
	struct guarded g = guard(in, strlen(in));
	ssize_t n = http_pct_decode(g.p, strlen(in), out, false);
	assert_int_equal(n, 14);
	assert_memory_equal(out, "/v1/kv/a/b c+d", 14);
	n = http_pct_decode(g.p, strlen(in), out, true);
	assert_memory_equal(out, "/v1/kv/a/b c d", 14);
	unguard(&g);
	static const char *const bad[] = {"%", "%4", "%zz", "a%g1", "abc%"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct guarded b = guard(bad[i], strlen(bad[i]));
		assert_int_equal(http_pct_decode(b.p, strlen(bad[i]), out, false), -1);
		unguard(&b);
	}
}

static void test_query_parse(void **state)
{
	const char *q = "index=5&wait=10s&recurse&&dc=&keys&separator=%2F";
	struct guarded g = guard(q, strlen(q));
	struct http_param p[HTTP_MAX_PARAMS];
	ssize_t n = http_query_parse(g.p, strlen(q), p, HTTP_MAX_PARAMS);
	assert_int_equal(n, 6);
	assert_true(slice_is(p[0].key, "index") && slice_is(p[0].value, "5") && p[0].has_value);
	assert_true(slice_is(p[1].key, "wait") && slice_is(p[1].value, "10s"));
	assert_true(slice_is(p[2].key, "recurse") && !p[2].has_value && p[2].value.len == 0);
	assert_true(slice_is(p[3].key, "dc") && p[3].has_value && p[3].value.len == 0);
	assert_true(slice_is(p[4].key, "keys") && !p[4].has_value);
	assert_true(slice_is(p[5].key, "separator") && slice_is(p[5].value, "%2F"));
	assert_int_equal(http_query_parse(g.p, strlen(q), p, 5), -1);
	unguard(&g);
	assert_int_equal(http_query_parse(NULL, 0, p, HTTP_MAX_PARAMS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_every_split_point),
		cmocka_unit_test(test_content_length_body_and_pipelining),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_body_limit_by_route),
		cmocka_unit_test(test_large_body_limit),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_resume),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_url_split),
		cmocka_unit_test(test_pct_decode),
		cmocka_unit_test(test_query_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
