/* test_check_http.c: the HTTP check's URL splitting, request bytes and response reader,
 * each response also fed one byte at a time. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check_http.h"
#include "common/buf.h"

static void test_url(void **state)
{
	struct check_url u;
	char err[256];
	assert_int_equal(check_url_parse("http://127.0.0.1:8080/health?x=1", &u, err, sizeof err), 0);
	assert_false(u.https);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "8080");
	assert_string_equal(u.path, "/health?x=1");
	assert_string_equal(u.host_header, "127.0.0.1:8080");
	assert_int_equal(check_url_parse("HTTPS://[::1]/", &u, err, sizeof err), 0);
	assert_true(u.https);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "443");
	assert_int_equal(check_url_parse("http://example.com", &u, err, sizeof err), 0);
	assert_string_equal(u.path, "/");
	assert_string_equal(u.port, "80");
	assert_int_equal(check_url_parse("ftp://x/", &u, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unsupported protocol scheme \"ftp\"");
	assert_int_equal(check_url_parse("localhost:80", &u, err, sizeof err), -EINVAL);
	assert_int_equal(check_url_parse("http://:80/", &u, err, sizeof err), -EINVAL);
	assert_int_equal(check_url_parse("http://h:99999/", &u, err, sizeof err), -EINVAL);
	assert_int_equal(check_url_parse("http://h:/", &u, err, sizeof err), -EINVAL);
}

static void test_request(void **state)
{
	char *vals[] = {"a", "b"};
	char *host[] = {"svc.example"};
	char *evil[] = {"x\r\nInjected: 1"};
	struct def_header headers[] = {{.name = "X-Test", .values = vals, .nvalues = 2},
				       {.name = "Host", .values = host, .nvalues = 1},
				       {.name = "X-Evil", .values = evil, .nvalues = 1}};
	struct check_def d = {.method = "POST", .body = "{}", .headers = headers, .nheaders = 3};
	struct check_url u;
	char err[64];
	assert_int_equal(check_url_parse("http://127.0.0.1:9/p", &u, err, sizeof err), 0);
	struct buf b;
	buf_init(&b);
	assert_int_equal(check_http_request(&b, &d, &u), 0);
	assert_string_equal(b.data, "POST /p HTTP/1.1\r\n"
				    "Host: svc.example\r\n"
				    "User-Agent: Consul Health Check\r\n"
				    "Accept: text/plain, text/*, */*\r\n"
				    "X-Test: a\r\nX-Test: b\r\n"
				    "Content-Length: 2\r\n"
				    "Connection: close\r\n\r\n{}");
	buf_reset(&b);
	struct check_def plain = {0};
	assert_int_equal(check_http_request(&b, &plain, &u), 0);
	assert_string_equal(b.data, "GET /p HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUser-Agent: Consul Health Check\r\n"
				    "Accept: text/plain, text/*, */*\r\nConnection: close\r\n\r\n");
	buf_free(&b);
}

/* Feeds text whole, then byte by byte; both must give the same verdict. */
static int parse(const char *text, size_t body_max, bool eof, struct http_reply *out)
{
	int rcs[2];
	for (int pass = 0; pass < 2; pass++) {
		struct http_reply r;
		http_reply_init(&r, body_max, false);
		int rc = 0;
		size_t len = strlen(text);
		if (pass == 0)
			rc = http_reply_feed(&r, text, len);
		else
			for (size_t i = 0; i < len && rc == 0; i++)
				rc = http_reply_feed(&r, text + i, 1);
		if (rc == 0 && eof)
			rc = http_reply_eof(&r);
		rcs[pass] = rc;
		if (pass == 1)
			*out = r;
		else
			http_reply_free(&r);
	}
	assert_int_equal(rcs[0], rcs[1]);
	return rcs[1];
}

static void test_reply_length(void **state)
{
	struct http_reply r;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 4096, false, &r), 1);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.status_text, "200 OK");
	assert_string_equal(r.body.data, "hello");
	http_reply_free(&r);
}

static void test_reply_chunked(void **state)
{
	struct http_reply r;
	assert_int_equal(parse("HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
			       4096, false, &r),
			 1);
	assert_int_equal(r.code, 429);
	assert_string_equal(r.body.data, "abcde");
	http_reply_free(&r);
}

static void test_reply_until_close_keeps_tail(void **state)
{
	struct http_reply r;
	assert_int_equal(parse("HTTP/1.0 500 Internal Server Error\r\n\r\n0123456789", 4, false, &r), 0);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.0 500 Internal Server Error\r\n\r\n0123456789", 4, true, &r), 1);
	assert_string_equal(r.body.data, "6789");
	assert_int_equal(r.body_total, 10);
	http_reply_free(&r);
}

static void test_reply_interim_and_redirect(void **state)
{
	struct http_reply r;
	assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /next\r\n"
			       "Content-Length: 0\r\n\r\n",
			       4096, false, &r),
			 1);
	assert_int_equal(r.code, 302);
	assert_string_equal(r.location, "/next");
	http_reply_free(&r);
}

static void test_reply_errors(void **state)
{
	struct http_reply r;
	assert_int_equal(parse("SSH-2.0-OpenSSH\r\n\r\n", 4096, false, &r), -1);
	assert_non_null(r.error);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.1 20 OK\r\n\r\n", 4096, false, &r), -1);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 4096, false, &r), -1);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", 4096, true, &r), -1);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4096, false, &r), -1);
	http_reply_free(&r);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n", 4096, true, &r), -1);
	assert_string_equal(r.error, "EOF"); /* the head never completed, as Go says it */
	http_reply_free(&r);
	/* An endless head is cut off. */
	struct http_reply big;
	http_reply_init(&big, 4096, false);
	char line[1024];
	memset(line, 'a', sizeof line);
	int rc = http_reply_feed(&big, "HTTP/1.1 200 OK\r\nX: ", 21);
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = http_reply_feed(&big, line, sizeof line);
	assert_int_equal(rc, -1);
	http_reply_free(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply_length),
		cmocka_unit_test(test_reply_chunked),
		cmocka_unit_test(test_reply_until_close_keeps_tail),
		cmocka_unit_test(test_reply_interim_and_redirect),
		cmocka_unit_test(test_reply_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
