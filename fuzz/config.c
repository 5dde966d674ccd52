/* Fuzz target: the AWS shared config and credentials file parser
 * (config_parse) and the lookups on what it returns.
 *
 * The first input byte picks the file kind and the rest is the file.
 * Invariants:
 * - a rejected file leaves the configuration as it was, and the error
 *   reads "FILE:LINE: reason" with a line inside the file;
 * - in an accepted file, property names are lower case, values are
 *   trimmed and every line number is inside the file;
 * - every profile name listed is found again, and the merged lookup
 *   returns every property of a profile;
 * - parsing the same text a second time succeeds too. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

#define FILE_NAME "fuzz-config"

static int
count_lines(const char *text, size_t len)
{
	int n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	return n;
}

/* The parser trims blanks (space and tab) as the cross-SDK rules do;
 * other white space such as a form feed is part of the value. */
static int
is_trimmed(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' &&
			     s[n - 1] != '\t');
}

static void
check_property(const struct config_property *p, int lines)
{
	const char *c;
	size_t i;

	FUZZ_ASSERT(p->name && p->value, "property without name or value");
	for (c = p->name; *c; c++)
		FUZZ_ASSERT(!isupper((unsigned char)*c),
		    "property name \"%s\" is not lower-cased", p->name);
	FUZZ_ASSERT(is_trimmed(p->value), "value \"%s\" of %s is not trimmed",
	    p->value, p->name);
	FUZZ_ASSERT(p->line >= 1 && p->line <= lines,
	    "property %s on line %d of a %d-line file", p->name, p->line,
	    lines);
	FUZZ_ASSERT(p->n_sub == 0 || p->sub_text != NULL,
	    "sub-properties of %s without their text", p->name);
	for (i = 0; i < p->n_sub; i++)
		check_property(&p->sub[i], lines);
}

static void
check_config(const struct config *cfg, int lines)
{
	const char **names;
	size_t i, j, n;

	for (i = 0; i < cfg->n_sections; i++) {
		const struct config_section *sec = &cfg->sections[i];

		FUZZ_ASSERT(sec->name, "section without a name");
		FUZZ_ASSERT(sec->line >= 1 && sec->line <= lines,
		    "section %s on line %d of a %d-line file", sec->name,
		    sec->line, lines);
		for (j = 0; j < sec->n_props; j++) {
			const struct config_property *p = &sec->props[j];

			check_property(p, lines);
			if (sec->kind != SECTION_PROFILE)
				continue;
			FUZZ_ASSERT(config_profile_property(cfg, sec->name,
					p->name) != NULL,
			    "profile %s has %s, but the lookup finds none",
			    sec->name, p->name);
			config_profile_get(cfg, sec->name, p->name);
		}
		if (sec->kind != SECTION_PROFILE)
			FUZZ_ASSERT(config_has_section(cfg, sec->kind,
					sec->name),
			    "section %s is not found again", sec->name);
	}
	n = config_profile_names(cfg, &names);
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(config_has_profile(cfg, names[i]),
		    "listed profile %s is not found", names[i]);
		config_region(cfg, names[i], NULL);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(names[i], names[j]) != 0,
			    "profile %s listed twice", names[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size};
	enum config_file_kind kind = fuzz_byte(&in) & 1 ? CREDENTIALS_FILE
							: CONFIG_FILE;
	const char *text = (const char *)in.p;
	int lines = count_lines(text, in.n);
	struct config cfg;
	struct buf err = BUF_INIT;
	int rc;

	config_init(&cfg);
	rc = config_parse(&cfg, text, in.n, kind, FILE_NAME, &err);
	if (rc < 0) {
		int line = 0;

		FUZZ_ASSERT(cfg.n_sections == 0,
		    "a rejected file left %zu sections", cfg.n_sections);
		FUZZ_ASSERT(sscanf(err.data ? err.data : "", FILE_NAME ":%d:",
				&line) == 1,
		    "error \"%s\" does not start with FILE:LINE:",
		    err.data ? err.data : "");
		FUZZ_ASSERT(line >= 1 && line <= lines,
		    "error on line %d of a %d-line file", line, lines);
		goto out;
	}
	FUZZ_ASSERT(rc == 0, "config_parse returned %d", rc);
	check_config(&cfg, lines);
	buf_reset(&err);
	rc = config_parse(&cfg, text, in.n, kind, FILE_NAME, &err);
	FUZZ_ASSERT(rc == 0, "the same file fails the second time: %s",
	    err.data ? err.data : "");
	check_config(&cfg, lines);
out:
	config_free(&cfg);
	buf_free(&err);
	return 0;
}
