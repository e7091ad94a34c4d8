/* base64.c: RFC 4648 base64 with padding. */
#include "base64.h"

#include <errno.h>
#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(struct buf *out, const void *in, size_t len)
{
	const uint8_t *p = in;
	if (buf_reserve(out, (len + 2) / 3 * 4) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		char q[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63],
			     i + 1 < len ? alphabet[v >> 6 & 63] : '=', i + 2 < len ? alphabet[v & 63] : '='};
		buf_append(out, q, 4);
	}
	return 0;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct buf *out, const char *in, size_t len)
{
	if (len % 4 != 0)
		return -EINVAL;
	if (buf_reserve(out, len / 4 * 3) < 0)
		return -ENOMEM;
	size_t start = out->len;
	for (size_t i = 0; i < len; i += 4) {
		int pad = 0;
		uint32_t v = 0;
		for (int j = 0; j < 4; j++) {
			char c = in[i + j];
			int s;
			/* Padding may only end the last quantum, and at most two of it. */
			if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
				pad++;
				s = 0;
			} else if (pad || (s = sextet(c)) < 0) {
				out->len = start;
				return -EINVAL;
			}
			v = v << 6 | (uint32_t)s;
		}
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		buf_append(out, b, (size_t)(3 - pad));
	}
	return 0;
}
