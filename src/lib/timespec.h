/* Points in time given on the command line (--since, --until): durations
 * before now ("30s", "5m", "2h", "3d", "1w", or sums such as "1h30m") and
 * ISO 8601 dates and times, read as UTC when they carry no zone. */
#ifndef ECS_TIMESPEC_H
#define ECS_TIMESPEC_H

#include <stdint.h>

#include "buf.h"

/* Parses s against now_ms (epoch milliseconds). Returns 0 and sets *out_ms
 * to epoch milliseconds, or -1 with the reason appended to err. */
int timespec_parse(const char *s, int64_t now_ms, int64_t *out_ms,
    struct buf *err);
/* The current time in epoch milliseconds, or the ISO 8601 time in the
 * environment variable env_name when it is set (for reproducible runs).
 * Returns -1 with err set when that variable contains an invalid time. */
int timespec_now(const char *env_name, int64_t *out_ms, struct buf *err);
/* Formats epoch milliseconds as "2015-08-30T12:36:00.123Z" (25 bytes with
 * the NUL). */
void timespec_format_ms(int64_t ms, char out[32]);

#endif
