/* Relative and absolute times for --since and --until. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "timespec.h"
#include "util.h"

/* A relative time may not reach further back than this (about 100 years),
 * so the arithmetic below cannot overflow. */
#define MAX_RELATIVE_MS ((int64_t)100 * 366 * 86400 * 1000)

static int64_t
unit_ms(char unit)
{
	switch (unit) {
	case 's':
		return 1000;
	case 'm':
		return 60 * 1000;
	case 'h':
		return 3600 * 1000;
	case 'd':
		return (int64_t)86400 * 1000;
	case 'w':
		return (int64_t)7 * 86400 * 1000;
	}
	return 0;
}

/* Parses "5m" or "1h30m" into milliseconds. Returns 0, or -1 when s is not
 * a duration. */
static int
parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0;
	const char *p = s;

	if (!*p)
		return -1;
	while (*p) {
		int64_t n = 0, unit;

		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p - '0');
			if (n > MAX_RELATIVE_MS / 1000)
				return -1;
			p++;
		}
		unit = unit_ms(*p);
		if (!unit)
			return -1;
		p++;
		total += n * unit;
		if (total > MAX_RELATIVE_MS)
			return -1;
	}
	*out = total;
	return 0;
}

int
timespec_parse(const char *s, int64_t now_ms, int64_t *out_ms,
    struct buf *err)
{
	int64_t ago;
	double t;

	if (parse_duration(s, &ago) == 0) {
		*out_ms = now_ms - ago;
		return 0;
	}
	if (parse_iso8601(s, &t) == 0) {
		*out_ms = (int64_t)llround(t * 1000);
		return 0;
	}
	buf_addf(err, "invalid time \"%s\": expected a duration before now "
		      "such as 30s, 5m, 2h, 3d, 1w or 1h30m, or an ISO 8601 "
		      "time such as 2024-05-01T12:00:00Z (UTC when no zone "
		      "is given)",
	    s);
	return -1;
}

int
timespec_now(const char *env_name, int64_t *out_ms, struct buf *err)
{
	const char *v = env_name ? getenv(env_name) : NULL;
	double t;

	if (v && *v) {
		if (parse_iso8601(v, &t) < 0) {
			buf_addf(err, "invalid %s \"%s\": expected an ISO 8601 "
				      "time such as 2024-05-01T12:00:00Z",
			    env_name, v);
			return -1;
		}
		*out_ms = (int64_t)llround(t * 1000);
		return 0;
	}
	*out_ms = (int64_t)(now_seconds() * 1000);
	return 0;
}

void
timespec_format_ms(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	char date[24];

	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", date, frac);
}
