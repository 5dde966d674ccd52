/* Shared by the fuzz targets in fuzz/: each target defines
 * LLVMFuzzerTestOneInput, and either libFuzzer or fuzz/replay.c calls it. */
#ifndef ECS_FUZZ_H
#define ECS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jv.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A copy of stderr made before main, so invariant failures are shown
 * even when libFuzzer's -close_fd_mask=2 silences the product's own
 * messages. */
static int fuzz_report_fd = 2;

__attribute__((constructor)) static void
fuzz_keep_stderr(void)
{
	int fd = dup(2);

	if (fd >= 0)
		fuzz_report_fd = fd;
}

/* Stops with a message when an invariant does not hold. abort() makes
 * libFuzzer save the input as a crash and fails a replay. */
#define FUZZ_ASSERT(cond, ...)                                             \
	do {                                                               \
		if (!(cond)) {                                             \
			dprintf(fuzz_report_fd,                            \
			    "%s:%d: invariant failed: %s: ", __FILE__,     \
			    __LINE__, #cond);                              \
			dprintf(fuzz_report_fd, __VA_ARGS__);              \
			dprintf(fuzz_report_fd, "\n");                    \
			abort();                                           \
		}                                                          \
	} while (0)

/* Reads the fuzz input front to back: structured values first, the rest
 * as bytes. Reading past the end returns zeros. */
struct fuzz_input {
	const uint8_t *p;
	size_t n;
};

static inline unsigned
fuzz_byte(struct fuzz_input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint32_t
fuzz_u32(struct fuzz_input *in)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 8 | fuzz_byte(in);
	return v;
}

/* Takes up to max bytes; returns how many were taken. */
static inline size_t
fuzz_take(struct fuzz_input *in, size_t max, const uint8_t **out)
{
	size_t n = in->n < max ? in->n : max;

	*out = in->p;
	in->p += n;
	in->n -= n;
	return n;
}

/* Whether s is valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF), checked with the product's own decoder. */
static inline int
fuzz_utf8_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);

		if (k == 1 && (unsigned char)s[i] >= 0x80)
			return 0;
		i += k;
	}
	return 1;
}

/* libjq 1.6 loses the second of two values with no separator between
 * them ('["a" "b"]'): value() in jv_parse.c returns "Expected separator
 * between values" without freeing it (later jq releases free it). The
 * targets call fuzz_allow_jq_leak on JSON text the product parses, and
 * leak checking is off for the rest of an input that hits this bug and
 * on for every other input. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

static int fuzz_lsan_disabled;

/* Ends what fuzz_allow_jq_leak started; call before returning. */
static inline void
fuzz_end_input(void)
{
	if (fuzz_lsan_disabled) {
		__lsan_enable();
		fuzz_lsan_disabled = 0;
	}
}

static inline void
fuzz_allow_jq_leak(const void *text, size_t len)
{
	jv v, msg;

	if (fuzz_lsan_disabled || !__lsan_disable || len > INT32_MAX)
		return;
	/* This parse leaks too, so it runs with leak checking off. */
	__lsan_disable();
	fuzz_lsan_disabled = 1;
	v = jv_parse_sized(text, (int)len);
	if (jv_is_valid(v)) {
		jv_free(v);
		fuzz_end_input();
		return;
	}
	msg = jv_invalid_get_msg(v);
	if (jv_get_kind(msg) != JV_KIND_STRING ||
	    !strstr(jv_string_value(msg), "Expected separator between values"))
		fuzz_end_input();
	jv_free(msg);
}

#endif
