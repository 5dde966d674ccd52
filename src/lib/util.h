/* Error reporting, allocation, time, encoding and file helpers shared by
 * every program. Messages go to stderr as "PROGRAM: message". */
#ifndef ECS_UTIL_H
#define ECS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"

/* Exit statuses shared by the programs (ecs-pick and ecs-exec add their own). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
};

extern const char *program_name;
/* Exit status of die(): EXIT_RUNTIME unless a program sets another. ecs-pick
 * uses 2, because 1 means "no match" there as in fzf; ecs-exec uses 255, so
 * a local failure is not mistaken for the remote command's status 1. */
extern int die_status;

void set_program_name(const char *argv0);

/* Prints "PROGRAM: message" and exits with die_status. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints "PROGRAM: message", a hint to run --help, and exits with EXIT_USAGE. */
void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* Prints "PROGRAM: message" and returns -1 so callers can propagate it. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void verror(const char *fmt, va_list ap);
/* Writes text to stderr in one write(2), with control characters and
 * invalid UTF-8 made visible as text_sanitize does (newlines kept).
 * Messages quote names and text from AWS and from input records, and
 * those must not move the cursor or send commands to a terminal. */
void write_stderr_text(const char *text, size_t len);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Overwrites memory so secrets do not linger; the compiler may not drop it. */
void secure_zero(void *p, size_t n);
/* free() after secure_zero() of the whole string. */
void free_secret(char *s);

int str_starts_with(const char *s, const char *prefix);
int str_ends_with(const char *s, const char *suffix);
/* Case-insensitive ASCII comparison. */
int str_ieq(const char *a, const char *b);
/* Returns the text after the last '/', or s itself. */
const char *str_last_segment(const char *s);
/* Parses a whole decimal integer in [min, max]; returns 0 on success. */
int parse_long(const char *s, long min, long max, long *out);

/* Wall-clock time in seconds, with the fraction. */
double now_seconds(void);
/* Monotonic time in milliseconds. */
int64_t monotonic_ms(void);
/* Parses ISO 8601 / RFC 3339 UTC times: "2015-08-30T12:36:00Z", with
 * fractional seconds, "UTC" or a numeric offset (+01:00, +0100), or no zone
 * (read as UTC). Returns 0 and sets *out (epoch seconds) on success. */
int parse_iso8601(const char *s, double *out);
/* Parses an RFC 1123 HTTP date ("Sun, 30 Aug 2015 12:36:00 GMT"). */
int parse_http_date(const char *s, time_t *out);
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in epoch seconds. */
#define ISO8601_MIN_SECONDS (-62135596800.0)
#define ISO8601_MAX_SECONDS 253402300799.0
/* Formats epoch seconds as "2015-08-30T12:36:00Z" into out (>= 21 bytes),
 * or "-" when t is NaN or outside the years 0001 to 9999. */
void format_iso8601(double t, char *out, size_t size);

void hex_encode(const unsigned char *in, size_t len, char *out);
void sha256_raw(const void *data, size_t len, unsigned char out[32]);
void sha256_hex(const void *data, size_t len, char out[65]);
void sha1_hex(const void *data, size_t len, char out[41]);
void hmac_sha256(const void *key, size_t key_len, const void *data,
    size_t len, unsigned char out[32]);
void base64_encode(const unsigned char *in, size_t len, struct buf *out);
/* Decodes standard base64 with or without padding; ignores whitespace.
 * Returns 0 on success, -1 on an invalid character. */
int base64_decode(const char *in, size_t len, struct buf *out);
/* Writes a random version 4 UUID in lower case (37 bytes with the NUL). */
void uuid_v4(char out[37]);
int random_bytes(void *p, size_t n);

/* Reads a whole file; returns 0 or -1 with errno set. */
int read_file(const char *path, struct buf *out);
/* Writes a file through a temporary file in the same directory and
 * rename(2), so readers never see a half-written file. SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT are blocked meanwhile, so that none of them leaves
 * the temporary file behind. */
int write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode);
/* Creates a directory and its parents with the given mode. */
int mkdir_p(const char *path, mode_t mode);
/* Expands a leading "~" or "~/" to $HOME. Caller frees. */
char *expand_home(const char *path);
/* Writes all of len bytes, retrying after EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);

#endif
