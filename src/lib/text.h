/* Text shown on a terminal: UTF-8 decoding, display width, truncation and
 * neutralising of control characters. Records keep their bytes; only what
 * is drawn for a person passes through here. */
#ifndef ECS_TEXT_H
#define ECS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Selects a UTF-8 LC_CTYPE for wcwidth (the user's, else C.UTF-8). */
void text_init(void);
/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length
 * (>= 1) and the code point in *cp, or U+FFFD with length 1 for an invalid
 * or truncated sequence. */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Columns a code point takes: 0 for combining marks, 2 for wide ones. */
int codepoint_width(uint32_t cp);
/* Display width of a string after text_sanitize. */
size_t text_width(const char *s, size_t len);
/* Appends s with control characters made visible: ESC becomes "^[", other
 * C0 controls and DEL "^X", C1 controls and invalid bytes "\xNN"; tabs
 * become a space; newlines a visible "\n" unless keep_newlines. */
void text_sanitize(const char *s, size_t len, int keep_newlines,
    struct buf *out);
/* Appends the sanitized s cut to at most width columns, ending in "…"
 * when cut; pads with spaces to width when pad is set. Returns the
 * columns used. */
size_t text_fit(const char *s, size_t len, size_t width, int pad,
    struct buf *out);

#endif
