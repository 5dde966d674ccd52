/* Fuzz target: the terminal width code: UTF-8 decoding, control
 * character neutralising, display width and truncation (text.c), and the
 * picker's display lines built from records (display.c).
 *
 * Input: one byte choosing the mode and one byte for a width, then the
 * text. Even modes check text.c, odd modes display_record.
 *
 * Invariants:
 * - sanitized text is valid UTF-8 without C0 or C1 control characters
 *   (newlines only when they are kept), and its width is what text_width
 *   returns for the original;
 * - text_fit uses at most the columns it was given, exactly that many
 *   when padding, and returns the width of what it wrote;
 * - a display line is sanitized text too;
 * - a record that the strict scanner accepts is a JSON object for jq. */
#include <string.h>

#include "buf.h"
#include "display.h"
#include "fuzz.h"
#include "text.h"

#define FORMAT ".message // .name // ."
#define NOW 1733300000

/* Made once, as ecs-pick does. libjq's stack inside display_format looks
 * leaked to LeakSanitizer, which fuzz/lsan.supp accounts for. */
static struct display *display_default, *display_format;

static void
free_displays(void)
{
	display_free(display_default);
	display_free(display_format);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = BUF_INIT;

	(void)argc;
	(void)argv;
	text_init();
	display_default = display_new(NULL, NOW, &err);
	display_format = display_new(FORMAT, NOW, &err);
	FUZZ_ASSERT(display_default && display_format,
	    "display_new failed: %s", err.data ? err.data : "");
	atexit(free_displays);
	buf_free(&err);
	return 0;
}

static void
check_sanitized(const char *s, size_t n, int keep_newlines, const char *what)
{
	size_t i = 0;

	FUZZ_ASSERT(fuzz_utf8_valid(s, n), "%s is not valid UTF-8", what);
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp);

		FUZZ_ASSERT(cp >= 0x20 || (cp == '\n' && keep_newlines),
		    "%s has control character 0x%02x at byte %zu", what,
		    (unsigned)cp, i);
		FUZZ_ASSERT(cp != 0x7f && (cp < 0x80 || cp >= 0xa0),
		    "%s has control character U+%04X at byte %zu", what,
		    (unsigned)cp, i);
		i += k;
	}
}

static void
check_text(const char *s, size_t n, size_t width)
{
	struct buf out = BUF_INIT, plain = BUF_INIT;
	size_t full = text_width(s, n), used;
	int pad;

	text_sanitize(s, n, 0, &plain);
	check_sanitized(plain.data ? plain.data : "", plain.len, 0,
	    "text_sanitize output");
	FUZZ_ASSERT(text_width(plain.data ? plain.data : "", plain.len) == full,
	    "sanitized text is %zu columns, text_width said %zu",
	    text_width(plain.data ? plain.data : "", plain.len), full);

	text_sanitize(s, n, 1, &out);
	check_sanitized(out.data ? out.data : "", out.len, 1,
	    "text_sanitize output keeping newlines");
	buf_reset(&out);

	for (pad = 0; pad <= 1; pad++) {
		used = text_fit(s, n, width, pad, &out);
		check_sanitized(out.data ? out.data : "", out.len, 0,
		    "text_fit output");
		FUZZ_ASSERT(used <= width, "text_fit used %zu of %zu columns",
		    used, width);
		FUZZ_ASSERT(text_width(out.data ? out.data : "", out.len) ==
			used,
		    "text_fit wrote %zu columns, returned %zu",
		    text_width(out.data ? out.data : "", out.len), used);
		if (pad)
			FUZZ_ASSERT(used == width,
			    "padded text_fit used %zu of %zu columns", used,
			    width);
		if (full <= width && plain.len > 0)
			FUZZ_ASSERT(out.len >= plain.len &&
				memcmp(out.data, plain.data, plain.len) == 0,
			    "text that fits was changed");
		buf_reset(&out);
	}
	buf_free(&out);
	buf_free(&plain);
}

static void
check_display(struct display *d, const char *line, size_t n)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	int strict = display_strict_object(line, n);
	int rc = display_record(d, line, n, &out, &err);

	if (strict) {
		jv v = jv_parse_sized(line, (int)n);

		FUZZ_ASSERT(jv_get_kind(v) == JV_KIND_OBJECT,
		    "the strict scanner accepts a record jq rejects");
		jv_free(v);
		FUZZ_ASSERT(rc == 0, "a strict object has no display line: %s",
		    err.data ? err.data : "");
	}
	if (rc == 0)
		check_sanitized(out.data ? out.data : "", out.len, 0,
		    "display line");
	else
		FUZZ_ASSERT(err.len > 0, "a rejected record without a reason");
	buf_free(&out);
	buf_free(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	unsigned mode = fuzz_byte(&in);
	size_t width = fuzz_byte(&in);
	const char *s = (const char *)in.p;

	if (in.n > 65536)
		return 0;
	if (mode % 2 == 0) {
		check_text(s, in.n, width);
	} else {
		fuzz_allow_jq_leak(s, in.n);
		check_display(mode & 2 ? display_format : display_default, s,
		    in.n);
	}
	fuzz_end_input();
	return 0;
}
