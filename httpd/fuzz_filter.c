/* fuzz_filter.c: untrusted ?filter= expressions through the parser, and their evaluation over
 * a JSON body. Input: the expression, a NUL or newline, then the body (a built-in list of
 * Consul-shaped entries when there is none). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sample_body[] =
	"[{\"Node\":{\"Node\":\"n1\",\"Meta\":{\"env\":\"prod\"}},\"Service\":{\"ID\":\"web1\",\"Tags\":[\"a\",\"b\"],"
	"\"Port\":80,\"Meta\":null,\"EnableTagOverride\":true},\"Checks\":[{\"Status\":\"passing\"}]},"
	"{\"Node\":{\"Node\":\"n2\"},\"Service\":{\"ID\":\"\",\"Tags\":[],\"Port\":-1.5},\"Checks\":[]},1,\"x\",null]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t expr_len = 0;
	while (expr_len < size && in[expr_len] != '\n' && in[expr_len] != '\0')
		expr_len++;
	char *expr = malloc(expr_len + 1);
	if (!expr)
		return 0;
	memcpy(expr, in, expr_len);
	expr[expr_len] = '\0';
	const char *body = sample_body;
	size_t body_len = sizeof sample_body - 1;
	if (expr_len < size) {
		body = in + expr_len + 1;
		body_len = size - expr_len - 1;
	}
	char err[256];
	struct filter *f = filter_compile(expr, err, sizeof err);
	if (f) {
		struct buf out;
		buf_init(&out);
		filter_apply(f, body, body_len, NULL, &out);
		buf_reset(&out);
		filter_apply(f, body, body_len, "Services", &out);
		buf_free(&out);
		filter_free(f);
	}
	free(expr);
	return 0;
}
