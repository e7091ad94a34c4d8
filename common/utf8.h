/* utf8.h: replacing bytes that are not UTF-8 with U+FFFD, as Go's encoding/json does, so
 * that check output (arbitrary bytes from scripts and HTTP bodies) keeps its JSON readable.
 *
 *   utf8_clean(&out, raw, raw_len);
 */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H

#include <stddef.h>

#include "buf.h"

/* Appends s[0..len) to out with every invalid byte replaced. Returns 0 or -ENOMEM. */
int utf8_clean(struct buf *out, const char *s, size_t len);

#endif
