/* Unit tests for JSON string escaping, which copies runs of plain bytes
 * between the escaped ones. */
#include <string.h>

#include "buf.h"
#include "tap.h"

static void
check(const char *in, size_t len, const char *expected, const char *name)
{
	struct buf b = BUF_INIT;

	buf_add_json_string(&b, in, len);
	is_str(b.data, expected, "%s", name);
	buf_free(&b);
}

int
main(void)
{
	check("", 0, "\"\"", "empty string");
	check("plain text", 10, "\"plain text\"", "no escapes");
	check("\nstart", 6, "\"\\nstart\"", "escape first");
	check("mid\"dle", 7, "\"mid\\\"dle\"", "escape in the middle");
	check("end\\", 4, "\"end\\\\\"", "escape last");
	check("a\tb\rc", 5, "\"a\\tb\\rc\"", "tab and carriage return");
	check("\x1b[31m", 5, "\"\\u001b[31m\"", "ESC as \\u001b");
	check("\x7f", 1, "\"\\u007f\"", "DEL as \\u007f");
	check("a\0b", 3, "\"a\\u0000b\"", "NUL inside");
	check("caf\xc3\xa9 \xe2\x9c\x93", 9, "\"caf\xc3\xa9 \xe2\x9c\x93\"",
	    "UTF-8 passes through");
	check("x\n\n\ny", 5, "\"x\\n\\n\\ny\"", "escapes in a row");
	return done_testing();
}
