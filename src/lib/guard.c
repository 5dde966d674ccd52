/* The read-only switch and confirmation prompts of the mutating programs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard.h"
#include "prompt.h"
#include "text.h"
#include "util.h"

/* Returns 1 for a true word, 0 for a false one, -1 for anything else. */
static int
parse_bool(const char *s)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_ieq(s, yes[i]))
			return 1;
		if (str_ieq(s, no[i]))
			return 0;
	}
	return -1;
}

char *
guard_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	/* The XDG base directory rules ignore a relative XDG_CONFIG_HOME. */
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/ecs-tools/config", xdg);
	if (home && *home)
		return xasprintf("%s/.config/ecs-tools/config", home);
	return NULL;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			      end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Handles one "key = value" line. Returns -1 with err set on a bad value. */
static int
config_line(char *s, const char *path, int line_no, int *read_only,
    struct buf *warnings, struct buf *err)
{
	char *eq = strchr(s, '=');
	char *key, *value;
	int v;

	if (!eq) {
		buf_addf(err, "%s:%d: expected \"key = value\", got \"%s\"",
		    path, line_no, s);
		return -1;
	}
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (strcmp(key, "read_only") != 0) {
		buf_addf(warnings, "%s:%d: unknown key \"%s\" ignored; the "
				   "known key is read_only\n",
		    path, line_no, key);
		return 0;
	}
	v = parse_bool(value);
	if (v < 0) {
		buf_addf(err, "%s:%d: invalid read_only value \"%s\": "
			      "expected true or false",
		    path, line_no, value);
		return -1;
	}
	*read_only = *read_only || v;
	return 0;
}

int
guard_parse_config(const char *text, size_t len, const char *path,
    int *read_only, struct buf *warnings, struct buf *err)
{
	char *copy = xstrndup(text, len), *p = copy, *nl;
	int line_no = 0, rc = 0;

	*read_only = 0;
	for (; p && rc == 0; p = nl ? nl + 1 : NULL) {
		char *s;

		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		line_no++;
		s = trim(p);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			buf_addf(warnings, "%s:%d: section %s has no meaning; "
					   "its keys apply to every program\n",
			    path, line_no, s);
			continue;
		}
		rc = config_line(s, path, line_no, read_only, warnings, err);
	}
	free(copy);
	return rc;
}

/* Reads the config file's read_only. Returns 1 when it is on or the file
 * cannot be trusted, with the reason in why. */
static int
config_read_only(struct buf *why)
{
	struct buf text = BUF_INIT, warnings = BUF_INIT, err = BUF_INIT;
	char *path = guard_config_path();
	int read_only = 0, rc = 0;

	if (!path)
		return 0;
	if (read_file(path, &text) < 0) {
		if (errno != ENOENT) {
			buf_addf(why, "the config file %s cannot be read (%s); "
				      "fix its permissions",
			    path, strerror(errno));
			rc = 1;
		}
	} else if (guard_parse_config(text.data ? text.data : "", text.len,
		       path, &read_only, &warnings, &err) < 0) {
		buf_addf(why, "%s; fix the config file", err.data);
		rc = 1;
	} else if (read_only) {
		buf_addf(why, "read_only = true in %s", path);
		rc = 1;
	}
	if (warnings.len)
		(void)write_all(STDERR_FILENO, warnings.data, warnings.len);
	buf_free(&text);
	buf_free(&warnings);
	buf_free(&err);
	free(path);
	return rc;
}

int
guard_read_only(struct buf *why)
{
	const char *env = getenv("ECS_READ_ONLY");

	if (env && *env) {
		int v = parse_bool(env);

		if (v != 0) {
			if (v < 0)
				buf_addf(why, "ECS_READ_ONLY has the invalid "
					      "value \"%s\" (expected 1 or 0), "
					      "which counts as read-only",
				    env);
			else
				buf_addf(why, "ECS_READ_ONLY=%s", env);
			return 1;
		}
	}
	return config_read_only(why);
}

void
guard_require_writable(const char *action)
{
	struct buf why = BUF_INIT;

	if (!guard_read_only(&why)) {
		buf_free(&why);
		return;
	}
	error("refusing to %s: read-only mode is on (%s); --dry-run shows "
	      "what would change",
	    action, why.data);
	buf_free(&why);
	exit(EXIT_RUNTIME);
}

int
guard_confirm(const char *summary, const char *question)
{
	struct buf prompt = BUF_INIT, line = BUF_INIT, err = BUF_INIT;
	int fd, yes = 0;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		error("no terminal to confirm on (/dev/tty: %s); pass --yes to "
		      "go ahead without confirmation, or --dry-run to see "
		      "the changes",
		    strerror(errno));
		exit(EXIT_USAGE);
	}
	close(fd);

	/* Names in the summary come from records and may hold escape
	 * sequences meant for the terminal. */
	text_sanitize(summary, strlen(summary), 1, &prompt);
	buf_adds(&prompt, question);
	buf_adds(&prompt, " [y/N] ");
	if (tty_prompt(prompt.data, 0, &line, &err) == 0 && line.len) {
		char *answer = trim(line.data);

		yes = str_ieq(answer, "y") || str_ieq(answer, "yes");
	}
	buf_free(&prompt);
	buf_free(&line);
	buf_free(&err);
	return yes;
}
