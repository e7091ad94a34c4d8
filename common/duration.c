/* duration.c: Go's time.ParseDuration units, kept to milliseconds. */
#include "duration.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *unit;
	double ms;
} units[] = {
	{"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3},
};

int duration_parse_ms(const char *s, uint64_t *out_ms)
{
	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*out_ms = 0;
		return 0;
	}
	double total = 0;
	const char *p = s;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		double whole = 0, frac = 0, scale = 1;
		bool digits = false;
		while (isdigit((unsigned char)*p)) {
			whole = whole * 10 + (*p++ - '0');
			digits = true;
		}
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p)) {
				scale /= 10;
				frac += (*p++ - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			return -EINVAL;
		size_t best = 0;
		double unit_ms = 0;
		/* Longest unit first, so "ms" is not read as "m" followed by garbage. */
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t n = strlen(units[i].unit);
			if (n > best && strncmp(p, units[i].unit, n) == 0) {
				best = n;
				unit_ms = units[i].ms;
			}
		}
		if (!best)
			return -EINVAL;
		p += best;
		total += (whole + frac) * unit_ms;
		if (total > 1e15)
			return -EINVAL;
	}
	*out_ms = (uint64_t)total;
	return 0;
}

void duration_format_ms(uint64_t ms, char *out, size_t out_len)
{
	if (ms == 0) {
		snprintf(out, out_len, "0s");
		return;
	}
	uint64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
	char sec[32];
	if (rest)
		snprintf(sec, sizeof sec, "%llu.%03llu", (unsigned long long)s, (unsigned long long)rest);
	else
		snprintf(sec, sizeof sec, "%llu", (unsigned long long)s);
	/* Go drops trailing zeros of the fraction: 1.500s prints as 1.5s. */
	if (rest) {
		size_t n = strlen(sec);
		while (sec[n - 1] == '0')
			sec[--n] = '\0';
	}
	if (ms < 1000)
		snprintf(out, out_len, "%llums", (unsigned long long)ms);
	else if (h)
		snprintf(out, out_len, "%lluh%llum%ss", (unsigned long long)h, (unsigned long long)m, sec);
	else if (m)
		snprintf(out, out_len, "%llum%ss", (unsigned long long)m, sec);
	else
		snprintf(out, out_len, "%ss", sec);
}
