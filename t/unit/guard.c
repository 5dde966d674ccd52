/* Unit tests for the read-only switch: the config file reader, its
 * path, and ECS_READ_ONLY values. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "guard.h"
#include "tap.h"
#include "util.h"

static int
parse(const char *text, int *read_only, struct buf *warnings,
    struct buf *err)
{
	buf_reset(warnings);
	buf_reset(err);
	return guard_parse_config(text, strlen(text), "cfg", read_only,
	    warnings, err);
}

static void
test_parse(void)
{
	struct buf w = BUF_INIT, e = BUF_INIT;
	int ro = -1;

	is_int(parse("", &ro, &w, &e), 0, "empty file parses");
	is_int(ro, 0, "empty file: not read-only");
	parse("# comment\n; other\n\nread_only = true\n", &ro, &w, &e);
	is_int(ro, 1, "read_only = true");
	parse("read_only=YES\r\n", &ro, &w, &e);
	is_int(ro, 1, "read_only=YES with CRLF");
	parse("  read_only\t=  off  \n", &ro, &w, &e);
	is_int(ro, 0, "read_only = off with blanks");
	parse("read_only = true\nread_only = false\n", &ro, &w, &e);
	is_int(ro, 1, "a later false does not undo true");
	is_int(parse("read_only = maybe\n", &ro, &w, &e), -1,
	    "invalid value fails");
	is_str(e.data, "cfg:1: invalid read_only value \"maybe\": expected "
		       "true or false",
	    "invalid value message");
	is_int(parse("\nread_only\n", &ro, &w, &e), -1,
	    "line without = fails");
	ok(e.data && strstr(e.data, "cfg:2:"), "its message names line 2");
	is_int(parse("readonly = true\n", &ro, &w, &e), 0,
	    "unknown key parses");
	ok(w.data && strstr(w.data, "cfg:1: unknown key \"readonly\""),
	    "unknown key warns");
	parse("[tools]\nread_only = 1\n", &ro, &w, &e);
	is_int(ro, 1, "keys under a section apply");
	ok(w.data && strstr(w.data, "section [tools] has no meaning"),
	    "section line warns");
	buf_free(&w);
	buf_free(&e);
}

static void
test_path(void)
{
	char *p;

	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	setenv("HOME", "/home/u", 1);
	p = guard_config_path();
	is_str(p, "/x/cfg/ecs-tools/config", "XDG_CONFIG_HOME first");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	p = guard_config_path();
	is_str(p, "/home/u/.config/ecs-tools/config",
	    "relative XDG_CONFIG_HOME is ignored");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	p = guard_config_path();
	is_str(p, "/home/u/.config/ecs-tools/config", "HOME fallback");
	free(p);
}

static void
test_env(void)
{
	static const struct {
		const char *value;
		int read_only;
	} cases[] = {
	    {"1", 1}, {"true", 1}, {"ON", 1}, {"0", 0}, {"no", 0}, {"", 0},
	    {"bogus", 1},
	};
	size_t i;

	/* No config file: HOME points where none exists. */
	setenv("HOME", "/nonexistent-home-for-guard-test", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf why = BUF_INIT;

		setenv("ECS_READ_ONLY", cases[i].value, 1);
		is_int(guard_read_only(&why), cases[i].read_only,
		    "ECS_READ_ONLY=\"%s\"", cases[i].value);
		if (cases[i].read_only)
			ok(why.data && strstr(why.data, "ECS_READ_ONLY"),
			    "ECS_READ_ONLY=\"%s\": the reason names it",
			    cases[i].value);
		buf_free(&why);
	}
	unsetenv("ECS_READ_ONLY");
}

int
main(void)
{
	test_parse();
	test_path();
	test_env();
	return done_testing();
}
