/* base64.h: standard base64 (RFC 4648 §4, with padding), as Consul's KV Value uses. */
#ifndef COMMON_BASE64_H
#define COMMON_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Appends the encoding of in[0..len) to out. Returns 0 or -ENOMEM. */
int base64_encode(struct buf *out, const void *in, size_t len);
/* Appends the decoding to out. Returns 0, -EINVAL for malformed input, or -ENOMEM. */
int base64_decode(struct buf *out, const char *in, size_t len);

#endif
