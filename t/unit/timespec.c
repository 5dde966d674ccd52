/* Unit tests for --since and --until times. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "timespec.h"
#include "util.h"

/* 2024-05-01T12:00:00Z */
#define NOW ((int64_t)1714564800000)

static void
check_ok(const char *s, int64_t expected)
{
	struct buf err = BUF_INIT;
	int64_t got = 0;
	int rc = timespec_parse(s, NOW, &got, &err);

	if (!ok(rc == 0, "\"%s\" parses", s))
		diag("error: %s", err.data ? err.data : "");
	is_int(got, expected, "\"%s\" is %lld", s, (long long)expected);
	buf_free(&err);
}

static void
check_invalid(const char *s)
{
	struct buf err = BUF_INIT;
	int64_t got = 0;
	int rc = timespec_parse(s, NOW, &got, &err);

	ok(rc < 0, "\"%s\" is rejected", s);
	ok(err.len > 0 && strstr(err.data, s) != NULL,
	    "error for \"%s\" names the value", s);
	buf_free(&err);
}

int
main(void)
{
	struct buf err = BUF_INIT;
	char text[32];
	int64_t now;

	check_ok("30s", NOW - 30 * 1000);
	check_ok("5m", NOW - 5 * 60 * 1000);
	check_ok("2h", NOW - 2 * 3600 * 1000);
	check_ok("3d", NOW - (int64_t)3 * 86400 * 1000);
	check_ok("1w", NOW - (int64_t)7 * 86400 * 1000);
	check_ok("1h30m", NOW - 90 * 60 * 1000);
	check_ok("0s", NOW);
	check_ok("2024-05-01T11:00:00Z", NOW - 3600 * 1000);
	check_ok("2024-05-01T11:00:00", NOW - 3600 * 1000);
	check_ok("2024-05-01 11:00:00", NOW - 3600 * 1000);
	check_ok("2024-05-01T11:00", NOW - 3600 * 1000);
	check_ok("2024-05-01", NOW - 12 * 3600 * 1000);
	check_ok("2024-05-01T13:00:00+02:00", NOW - 3600 * 1000);
	check_ok("2024-05-01T06:30:00-0430", NOW - 3600 * 1000);
	check_ok("2024-05-01T11:59:59.250Z", NOW - 750);
	check_ok("2024-02-29", NOW - ((int64_t)62 * 86400 + 12 * 3600) * 1000);

	check_invalid("");
	check_invalid("5");
	check_invalid("m");
	check_invalid("5x");
	check_invalid("-5m");
	check_invalid("5m ago");
	check_invalid("1.5h");
	check_invalid("99999999999999w");
	check_invalid("2024-13-01");
	check_invalid("2023-02-29");
	check_invalid("2100-02-29");
	check_invalid("2024-04-31T00:00:00Z");
	check_invalid("2024-05-01T25:00:00Z");
	check_invalid("yesterday");

	setenv("ECS_TEST_NOW", "2024-05-01T12:00:00Z", 1);
	ok(timespec_now("ECS_TEST_NOW", &now, &err) == 0,
	    "now from the environment parses");
	is_int(now, NOW, "now comes from the environment");
	setenv("ECS_TEST_NOW", "noon", 1);
	ok(timespec_now("ECS_TEST_NOW", &now, &err) < 0,
	    "an invalid now in the environment is rejected");
	ok(err.len > 0 && strstr(err.data, "ECS_TEST_NOW") != NULL,
	    "the error names the variable");
	unsetenv("ECS_TEST_NOW");
	ok(timespec_now("ECS_TEST_NOW", &now, &err) == 0 &&
		now > NOW,
	    "without the variable, now is the clock");

	timespec_format_ms(NOW + 5, text);
	is_str(text, "2024-05-01T12:00:00.005Z", "formats milliseconds");
	timespec_format_ms(0, text);
	is_str(text, "1970-01-01T00:00:00.000Z", "formats the epoch");
	buf_free(&err);
	return done_testing();
}
