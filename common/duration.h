/* duration.h: Go-style durations ("10s", "1m30s", "500ms", "72h") as Consul's config and
 * API accept them. */
#ifndef COMMON_DURATION_H
#define COMMON_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Parses s into milliseconds (sub-millisecond parts round down). Like Go, a bare number
 * other than "0" is refused. Returns 0 or -EINVAL. */
int duration_parse_ms(const char *s, uint64_t *out_ms);
/* Writes Go's rendering of a duration ("10s", "1m30s", "0s") into out. */
void duration_format_ms(uint64_t ms, char *out, size_t out_len);

#endif
