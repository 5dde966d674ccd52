/* Unit tests for key decoding in the terminal module. */
#include <string.h>

#include "tap.h"
#include "term.h"

static void
check(const char *bytes, int complete, size_t used, enum term_key_code code,
    const char *name)
{
	struct term_key key;
	size_t got = term_parse_key(bytes, strlen(bytes), complete, &key);

	is_int((long long)got, (long long)used, "%s: bytes used", name);
	is_int(key.code, code, "%s: key", name);
}

int
main(void)
{
	struct term_key key;

	check("\x1b[A", 0, 3, KEY_UP, "CSI A");
	check("\x1bOB", 0, 3, KEY_DOWN, "SS3 B");
	check("\x1b[C", 0, 3, KEY_RIGHT, "CSI C");
	check("\x1b[D", 0, 3, KEY_LEFT, "CSI D");
	check("\x1b[5~", 0, 4, KEY_PAGE_UP, "Page Up");
	check("\x1b[6~", 0, 4, KEY_PAGE_DOWN, "Page Down");
	check("\x1b[3~", 0, 4, KEY_DELETE, "Delete");
	check("\x1b[1~", 0, 4, KEY_HOME, "Home (1~)");
	check("\x1b[H", 0, 3, KEY_HOME, "Home (H)");
	check("\x1b[4~", 0, 4, KEY_END, "End (4~)");
	check("\x1b[Z", 0, 3, KEY_SHIFT_TAB, "Shift-Tab");
	check("\x1b[1;5A", 0, 6, KEY_UP, "Ctrl-Up reads as Up");
	check("\x1b[200~", 0, 6, KEY_UNKNOWN, "unused sequence is skipped whole");
	check("\x1b", 0, 0, KEY_ESC, "lone ESC waits for more");
	check("\x1b", 1, 1, KEY_ESC, "lone ESC with nothing more is Escape");
	check("\x1b[", 0, 0, KEY_UNKNOWN, "half a sequence waits for more");
	check("\x1bx", 0, 1, KEY_ESC, "ESC then a letter is Escape first");
	check("\r", 0, 1, KEY_ENTER, "CR is Enter");
	check("\t", 0, 1, KEY_TAB, "Tab");
	check("\x7f", 0, 1, KEY_BACKSPACE, "DEL is Backspace");
	check("\x08", 0, 1, KEY_BACKSPACE, "Ctrl-H is Backspace");
	check("\n", 0, 1, KEY_CTRL, "LF is Ctrl-J, not Enter");
	check("\x1a", 0, 1, KEY_CTRL, "Ctrl-Z");

	term_parse_key("\x15", 1, 0, &key);
	is_int(key.ctrl, 'u', "Ctrl-U decodes to 'u'");
	term_parse_key("\xe6\x9d\xb1x", 4, 0, &key);
	is_str(key.text, "\xe6\x9d\xb1", "a CJK character is one key");
	is_int((long long)term_parse_key("\xe6\x9d", 2, 0, &key), 0,
	    "half a UTF-8 character waits for more");
	check("\xff", 0, 1, KEY_UNKNOWN, "invalid UTF-8 byte is skipped");
	return done_testing();
}
