/* fuzz_check_http_reply.c: the HTTP check's response reader on arbitrary server bytes, fed
 * whole and split at every position the first byte chooses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void feed(const char *d, size_t n, size_t split, size_t body_max)
{
	struct http_reply r;
	http_reply_init(&r, body_max, false);
	int rc = http_reply_feed(&r, d, split < n ? split : n);
	if (rc == 0 && split < n)
		rc = http_reply_feed(&r, d + split, n - split);
	if (rc == 0)
		rc = http_reply_eof(&r);
	/* Invariants the runner relies on. */
	if (r.body.len > body_max || (rc < 0 && !r.error) || (rc > 0 && (r.code < 100 || r.code > 999)))
		__builtin_trap();
	http_reply_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t split = data[0];
	feed((const char *)data + 1, size - 1, split, 16);
	feed((const char *)data + 1, size - 1, size, CHECK_OUTPUT_MAX_BYTES);
	char err[256];
	struct check_url u;
	char *url = strndup((const char *)data + 1, size - 1);
	if (url && check_url_parse(url, &u, err, sizeof err) == 0 && (!u.path || !u.host[0] || !u.port[0]))
		__builtin_trap();
	free(url);
	return 0;
}
