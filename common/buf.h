/* buf.h: a growable byte buffer with a read position, for building output and framing input.
 *
 *   struct buf b; buf_init(&b);
 *   buf_appendf(&b, "%d items", n);
 *   write(fd, b.data + b.pos, b.len - b.pos);
 *   buf_free(&b);
 *
 * Appends return 0 or -ENOMEM; data is always NUL-terminated after len (when cap > 0).
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct buf {
	char *data;
	size_t len; /* bytes written */
	size_t pos; /* bytes consumed by a reader, <= len */
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends data but keeps only the last max bytes of the whole (the tail of a check's or a
 * script's output, as Consul keeps). Returns 0 or -ENOMEM. */
int buf_append_tail(struct buf *b, const void *data, size_t len, size_t max);
/* Marks n more bytes as read; when everything is read the buffer is emptied. */
void buf_consume(struct buf *b, size_t n);
/* Moves unread bytes to the front so the buffer does not grow without bound. */
void buf_compact(struct buf *b);
/* Hands the memory to the caller (who frees it) and leaves b empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
