/* Minimal TAP producer for the C unit tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int planned = -1;
static int run;
static int failed;

void
plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
}

static int
vok(int cond, const char *fmt, va_list ap)
{
	run++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_int(long long got, long long expected, const char *fmt, ...)
{
	va_list ap;
	int cond = got == expected;

	va_start(ap, fmt);
	vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %lld\n  expected: %lld", got, expected);
	return cond;
}

int
is_str(const char *got, const char *expected, const char *fmt, ...)
{
	va_list ap;
	int cond;

	if (!got || !expected)
		cond = got == expected;
	else
		cond = strcmp(got, expected) == 0;
	va_start(ap, fmt);
	vok(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: %s\n  expected: %s", got ? got : "(null)",
		    expected ? expected : "(null)");
	return cond;
}

void
diag(const char *fmt, ...)
{
	char line[8192];
	char *p, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (p = line; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		printf("# %s\n", p);
	}
	fflush(stdout);
}

void
skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	exit(0);
}

int
done_testing(void)
{
	if (planned < 0)
		printf("1..%d\n", run);
	else if (planned != run)
		diag("planned %d tests but ran %d", planned, run);
	fflush(stdout);
	return failed || (planned >= 0 && planned != run) ? 1 : 0;
}

const char *
test_dir(void)
{
	const char *d = getenv("ECS_TEST_DIR");

	return d && *d ? d : "t";
}
