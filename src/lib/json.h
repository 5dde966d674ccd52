/* JSON values through libjq's jv, and NDJSON records on stdin and stdout.
 *
 * Ownership follows jv: every function that takes a jv consumes it unless
 * its comment says "borrows"; every jv returned belongs to the caller.
 * Strings returned as const char * are borrowed from the jv passed in and
 * live as long as that value. */
#ifndef ECS_JSON_H
#define ECS_JSON_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"

/* Borrows obj. The string at key, or NULL when missing or not a string. */
const char *json_str(jv obj, const char *key);
/* Borrows obj. The number at key, or def. */
double json_num(jv obj, const char *key, double def);
/* Borrows obj. Follows a path of keys ("a", "b", NULL); returns a new
 * reference or jv_null() when any step is missing. */
jv json_path(jv obj, ...);
/* Borrows v. Appends compact JSON to out. */
void json_dump(jv v, struct buf *out);
/* Parses text; returns the value or jv_invalid with a message. */
jv json_parse(const char *text, size_t len);

/* NDJSON input: a UTF-8 BOM at the start, CRLF, blank lines and lines of
 * any length are accepted. */
struct ndjson_reader {
	int fd;
	const char *name;	/* for messages, e.g. "stdin" */
	struct buf buf;
	size_t start;		/* first unread byte in buf */
	long line_no;		/* number of the line last returned */
	int eof;
	int errors;		/* malformed lines seen so far */
};

void ndjson_reader_init(struct ndjson_reader *r, int fd, const char *name);
void ndjson_reader_free(struct ndjson_reader *r);
/* Returns 1 with the next non-blank line (without CR/LF, NUL-terminated,
 * valid until the next call), 0 at end of input, -1 on a read error. */
int ndjson_read_line(struct ndjson_reader *r, char **line, size_t *len);
/* Returns 1 with the next record (a JSON object), 0 at end of input.
 * A malformed line is reported as "NAME:LINE: ..." on stderr, counted in
 * r->errors and skipped. If raw is not NULL it receives the line's bytes. */
int ndjson_next(struct ndjson_reader *r, jv *record, struct buf *raw);

/* Record output on stdout. Lines are written whole with write(2): a
 * reader never sees a partial line. With flush_each set every record is
 * written at once (for programs that follow a stream). */
void out_set_flush_each(int on);
/* Consumes record: writes it as one compact JSON line. */
void out_record(jv record);
/* Writes one line (a newline is added). */
void out_line(const char *s, size_t len);
/* Appends raw bytes that already end in a newline. */
void out_raw(const char *s, size_t len);
void out_flush(void);

#endif
