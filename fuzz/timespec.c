/* Fuzz target: the --since / --until time parser (timespec_parse).
 *
 * Invariants: a failure comes with an error message, and a duration
 * never lands after now. An accepted time formats and parses back to
 * itself. A time already in the canonical form is kept exactly, so no
 * date is silently normalised (February 31 must not become March 2). */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "timespec.h"

#define NOW_MS INT64_C(1733300000000)
/* timespec_format_ms writes four-digit years only from year 1000 on. */
#define MIN_FORMAT_MS INT64_C(-30610224000000)
#define MAX_FORMAT_MS INT64_C(253402300799999)

static int
is_duration(const char *s)
{
	return *s && strspn(s, "0123456789smhdw") == strlen(s);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" with a year from 1000 and no leap second. */
static int
is_canonical(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
				    : s[i] != shape[i])
			return 0;
	}
	return s[0] != '0' && strncmp(s + 17, "60", 2) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct buf err = BUF_INIT;
	int64_t ms = 0, again = 0;
	char text[32];
	int rc;

	memcpy(s, data, size);
	s[size] = '\0';
	rc = timespec_parse(s, NOW_MS, &ms, &err);
	if (rc < 0) {
		FUZZ_ASSERT(err.len > 0, "no reason for rejecting \"%s\"", s);
		goto out;
	}
	FUZZ_ASSERT(rc == 0, "timespec_parse returned %d", rc);
	FUZZ_ASSERT(err.len == 0, "a reason (%s) for an accepted time",
	    err.data);
	if (is_duration(s))
		FUZZ_ASSERT(ms <= NOW_MS, "duration \"%s\" ends after now", s);
	if (ms < MIN_FORMAT_MS || ms > MAX_FORMAT_MS)
		goto out;
	timespec_format_ms(ms, text);
	FUZZ_ASSERT(timespec_parse(text, NOW_MS, &again, &err) == 0,
	    "formatted time \"%s\" is rejected: %s", text, err.data);
	FUZZ_ASSERT(again == ms, "\"%s\" is %lld ms, its formatted form "
				 "\"%s\" is %lld ms",
	    s, (long long)ms, text, (long long)again);
	if (is_canonical(s))
		FUZZ_ASSERT(strcmp(text, s) == 0,
		    "canonical time \"%s\" came back as \"%s\"", s, text);
out:
	buf_free(&err);
	free(s);
	return 0;
}
