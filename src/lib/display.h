/* One display line per record for the picker: a default per record kind,
 * or a user's jq expression.
 *
 * A struct display is used by one thread at a time, because it contains
 * a jq state, so create one per thread. Display text is already sanitized: no control
 * characters and valid UTF-8, so it can be drawn and matched as it is. */
#ifndef ECS_DISPLAY_H
#define ECS_DISPLAY_H

#include <stddef.h>

#include "buf.h"

struct display;

/* Creates a formatter: format is a jq expression, or NULL for the default
 * per kind. now (epoch seconds) is the reference for ages. Returns NULL
 * and a message in err when the expression does not compile. */
struct display *display_new(const char *format, double now, struct buf *err);
void display_free(struct display *d);
/* Appends the display text of the record in line (without its newline)
 * to out. Returns 0, or -1 when line is not one JSON object, with the
 * reason appended to err. */
int display_record(struct display *d, const char *line, size_t len,
    struct buf *out, struct buf *err);
/* Characters (lower case for both cases) that the default display adds
 * to what an ASCII record without escapes contains, or NULL when any
 * character may appear (a --format expression). */
const char *display_added_chars(const struct display *d);
/* Returns 1 when line is one strict JSON object, checked without making
 * its display line; 0 when only display_record can tell (jq's parser
 * accepts a few more forms). */
int display_strict_object(const char *line, size_t len);
/* Number of records on which the jq expression failed (their display is
 * the compact record), and the first failure's message (borrowed). */
size_t display_format_failures(const struct display *d, const char **first);

/* Appends the preview of a record: the jq expression's results one per
 * line, or the pretty-printed record when expr is NULL. Keys that hold
 * AWS secrets (secret access keys, session tokens) are shown as "***".
 * Returns 0, or -1 with a message in out. */
int display_preview(const char *line, size_t len, const char *expr,
    struct buf *out);

#endif
