/* go_regex.c: see go_regex.h. */
#include "go_regex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define GO_REGEX_MAX_LEN 512
#define GO_REGEX_MAX_BOUNDS 2
#define GO_REGEX_MAX_BOUND 100

/* Go's regexp and POSIX ERE agree on the common subset; \d and \D are rewritten. What Go
 * refuses and what would make glibc's matcher blow up is refused: back-references, a
 * repetition of a repetition ("a++", Go's "invalid nested repetition operator"; a single
 * lazy "?" after one is accepted as Go does), and large or many counted repetitions. */
static bool translate(const char *in, struct buf *out, char *err, size_t err_len)
{
	size_t len = strlen(in);
	if (len > GO_REGEX_MAX_LEN) {
		snprintf(err, err_len, "regular expression longer than %d bytes", GO_REGEX_MAX_LEN);
		return false;
	}
	int bounds = 0;
	int after_repeat = 0; /* 1: just after a repetition; 2: after its lazy '?' */
	bool in_class = false;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '\\' && i + 1 < len) {
			char n = in[++i];
			if (n >= '1' && n <= '9') {
				snprintf(err, err_len, "back-references are not supported in regular expressions");
				return false;
			}
			after_repeat = 0;
			if (in_class) {
				/* POSIX classes have no escapes: spell out Go's */
				if (n == ']' || n == '^' || n == '-') {
					snprintf(err, err_len, "\\%c inside a character class is not supported; move it", n);
					return false;
				}
				buf_append_str(out, n == 'd' ? "0-9" : n == 'w' ? "a-zA-Z0-9_" : n == 's' ? " \t\n\r\f\v" : "");
				if (!strchr("dws", n))
					buf_append_char(out, n);
				continue;
			}
			if (n == 'd' || n == 'D')
				buf_append_str(out, n == 'd' ? "[0-9]" : "[^0-9]");
			else
				buf_appendf(out, "\\%c", n);
			continue;
		}
		if (in_class) {
			/* a ']' right after '[' or '[^' is a member, as in both syntaxes */
			if (c == ']' && !(in[i - 1] == '[' || (in[i - 1] == '^' && i >= 2 && in[i - 2] == '[')))
				in_class = false;
			buf_append_char(out, c);
			continue;
		}
		bool repeat = c == '*' || c == '+' || c == '?' || c == '{';
		if (repeat && after_repeat) {
			if (c == '?' && after_repeat == 1) {
				after_repeat = 2;
				buf_append_char(out, c);
				continue;
			}
			snprintf(err, err_len, "invalid nested repetition operator in regular expression");
			return false;
		}
		if (c == '{') {
			unsigned long count = strtoul(in + i + 1, NULL, 10);
			const char *comma = in + i + 1 + strspn(in + i + 1, "0123456789");
			if (*comma == ',')
				count = count > strtoul(comma + 1, NULL, 10) ? count : strtoul(comma + 1, NULL, 10);
			if (++bounds > GO_REGEX_MAX_BOUNDS || count > GO_REGEX_MAX_BOUND) {
				snprintf(err, err_len, "counted repetitions in regular expressions are limited to %d, up to %d",
				     GO_REGEX_MAX_BOUNDS, GO_REGEX_MAX_BOUND);
				return false;
			}
			const char *close = strchr(in + i, '}');
			if (close) {
				buf_append(out, in + i, (size_t)(close - (in + i)) + 1);
				i = (size_t)(close - in);
				after_repeat = 1;
				continue;
			}
		}
		in_class = c == '[';
		after_repeat = repeat ? 1 : 0;
		buf_append_char(out, c);
	}
	return true;
}

int go_regex_compile(regex_t *re, const char *pattern, char *err, size_t err_len)
{
	struct buf posix;
	buf_init(&posix);
	buf_append(&posix, "", 0);
	int rc = -1;
	if (translate(pattern, &posix, err, err_len)) {
		int e = regcomp(re, posix.data, REG_EXTENDED | REG_NOSUB);
		if (e == 0) {
			rc = 0;
		} else {
			char msg[128];
			regerror(e, re, msg, sizeof msg);
			snprintf(err, err_len, "Failed to compile regular expression %s: %s", pattern, msg);
		}
	}
	buf_free(&posix);
	return rc;
}
