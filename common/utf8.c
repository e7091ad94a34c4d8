/* utf8.c: making arbitrary bytes safe to carry in JSON. */
#include "utf8.h"

#include <errno.h>

/* Go's encoding/json replaces bytes that are not UTF-8 with U+FFFD; doing the same keeps a
 * binary output from making the JSON it travels in unreadable. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || n > left || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
		return 0; /* overlong, or a surrogate */
	if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
		return 0;
	return n;
}

int utf8_clean(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0) {
			if (buf_append(out, "\xef\xbf\xbd", 3) < 0)
				return -ENOMEM;
			i++;
			continue;
		}
		if (buf_append(out, s + i, n) < 0)
			return -ENOMEM;
		i += n;
	}
	return 0;
}
