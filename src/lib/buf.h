/* Growable byte buffer used for every string the tools build.
 * A buf owns its data; data is always NUL-terminated after buf_init. */
#ifndef ECS_BUF_H
#define ECS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Like buf_free, but overwrites the bytes first: for secrets. */
void buf_free_secret(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void buf_add_json_string(struct buf *b, const char *s, size_t len);
/* Hands the data to the caller (who frees it) and leaves b empty. */
char *buf_detach(struct buf *b);
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
