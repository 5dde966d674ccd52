/* Reader for the AWS shared config and credentials files: the INI
 * parser, the merge of the two files and the profile lookups.
 *
 * The grammar is the one the cross-SDK profile-parser tests define, and
 * all of those cases pass (t/unit/config.c). botocore 1.43, the library
 * inside the AWS CLI, reads some files differently. This reader makes the
 * following choices, and a unit test pins each one:
 *
 * - A UTF-8 byte order mark at the start of a file is skipped. botocore
 *   fails to parse such a file, which some Windows editors write.
 * - "key = v # c" and "key = v ; c" lose the comment, because the
 *   cross-SDK tests require it. botocore keeps the comment as part of the
 *   value, so a region written that way works here but not in the AWS
 *   CLI, and a warning names the key. In "v#c" the '#' is part of the
 *   value for everyone. Continuation and sub-property lines keep " #" and
 *   " ;" text, and a warning names the key.
 * - "key : value" is an error. botocore accepts ':' as the separator, the
 *   cross-SDK parsers do not.
 * - A section repeated in one file is merged into the first, and a key set
 *   twice in a section takes the later value, each with a warning.
 *   botocore rejects the whole file in both cases.
 * - A profile name in the config file may be quoted ([profile 'Foo Bar'],
 *   [profile "foo bar"]), as botocore reads it and "aws configure" writes
 *   names that contain blanks. Other names must use letters, digits and
 *   - / . % @ _ : +. A section with any other name is ignored with its
 *   properties and a warning: the cross-SDK tests expect no error, and
 *   botocore drops such sections silently.
 * - Blanks inside the brackets are trimmed, so "[  profile foo ]" is
 *   profile foo. botocore does not read a header that starts with blanks
 *   as a profile.
 * - In the config file, [profile default] wins over [default] in either
 *   order, and [default] is then dropped with a warning. botocore
 *   keeps whichever of the two comes later.
 * - [profile NAME] in the credentials file is ignored with a warning.
 *   botocore keeps it as a profile called "profile NAME".
 * - An indented "key = value" as the first line of a section is an
 *   ordinary property, as in botocore. The cross-SDK parsers reject it as
 *   a continuation with nothing to continue.
 * - An environment variable set to "" counts as unset (AWS_PROFILE,
 *   AWS_DEFAULT_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_CONFIG_FILE,
 *   AWS_SHARED_CREDENTIALS_FILE), and so do an empty --profile or
 *   --region. botocore looks for a profile named "" and fails. That part
 *   lives in config-env.c.
 *
 * Error and warning messages name the key and the section but never
 * repeat a value or an unparsable line, since either may hold a secret. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

struct span {
	const char *p;
	size_t len;
};

enum prop_state {
	PROP_NONE,	/* indented lines have nothing to continue */
	PROP_VALUE,	/* indented lines continue the value */
	PROP_BLOCK,	/* the value was empty: indented lines are k = v */
};

/* State while one file is read. The sections go to out, which is merged
 * into the caller's struct config only when the whole file parsed. */
struct parser {
	struct config out;
	enum config_file_kind kind;
	const char *file;
	int line;
	int in_section;		/* a header was seen, even one ignored */
	long section;		/* index in out.sections, -1 if ignored */
	enum prop_state state;
	long prop;		/* index in the section's props, or -1 */
	long bare_default;	/* the config file's [default], or -1 */
	struct buf *err;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct span
trim(const char *p, size_t len)
{
	struct span s = {p, len};

	while (s.len > 0 && is_blank(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

static int
span_eq(struct span s, const char *word)
{
	return strlen(word) == s.len && memcmp(s.p, word, s.len) == 0;
}

/* Matches "KEYWORD<blank>rest" and sets rest to the trimmed remainder. */
static int
match_keyword(struct span s, const char *keyword, struct span *rest)
{
	size_t n = strlen(keyword);

	if (s.len <= n || memcmp(s.p, keyword, n) != 0 || !is_blank(s.p[n]))
		return 0;
	*rest = trim(s.p + n, s.len - n);
	return 1;
}

/* Profile, section and property names: the cross-SDK identifier set. */
static int
is_valid_name(struct span s)
{
	size_t i;

	if (s.len == 0)
		return 0;
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x80 || (!isalnum(c) && !strchr("-/.%@_:+", c)))
			return 0;
	}
	return 1;
}

/* Accepts a valid name, or any printable text inside matching single or
 * double quotes (the quotes are removed). */
static int
parse_section_name(struct span s, int allow_quotes, struct span *name)
{
	char quote = s.len > 0 ? s.p[0] : '\0';
	size_t i;

	if (!allow_quotes || (quote != '\'' && quote != '"')) {
		*name = s;
		return is_valid_name(s);
	}
	if (s.len < 3 || s.p[s.len - 1] != quote)
		return 0;
	for (i = 1; i < s.len - 1; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == (unsigned char)quote || c < 0x20 || c == 0x7f)
			return 0;
	}
	name->p = s.p + 1;
	name->len = s.len - 2;
	return 1;
}

/* Offset of a comment that starts with '#' or ';' after a blank, or len. */
static size_t
find_inline_comment(const char *s, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if ((s[i] == '#' || s[i] == ';') && is_blank(s[i - 1]))
			return i;
	return len;
}

static char *
lower_dup(struct span s)
{
	char *r = xstrndup(s.p, s.len);
	char *c;

	for (c = r; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

static void
append_line(char **text, struct span s)
{
	size_t old = *text ? strlen(*text) : 0;
	char *r = xmalloc(old + 1 + s.len + 1);

	if (old)
		memcpy(r, *text, old);
	r[old] = '\n';
	memcpy(r + old + 1, s.p, s.len);
	r[old + 1 + s.len] = '\0';
	free_secret(*text);
	*text = r;
}

static void
property_clear(struct config_property *prop)
{
	size_t i;

	for (i = 0; i < prop->n_sub; i++)
		property_clear(&prop->sub[i]);
	free(prop->sub);
	free(prop->name);
	free_secret(prop->value);
	free_secret(prop->sub_text);
	memset(prop, 0, sizeof(*prop));
}

static void
section_clear(struct config_section *sec)
{
	size_t i;

	for (i = 0; i < sec->n_props; i++)
		property_clear(&sec->props[i]);
	free(sec->props);
	free(sec->name);
	memset(sec, 0, sizeof(*sec));
}

static struct config_property *
find_property(struct config_property *props, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_ieq(props[i].name, name))
			return &props[i];
	return NULL;
}

/* The header of a section as the config or credentials file spells it. */
static char *
section_label(const struct config_section *sec)
{
	static const char *prefix[] = {
	    [SECTION_PROFILE] = "profile ",
	    [SECTION_SSO_SESSION] = "sso-session ",
	    [SECTION_SERVICES] = "services ",
	};

	if (sec->source == CREDENTIALS_FILE)
		return xasprintf("[%s]", sec->name);
	return xasprintf("[%s%s]", prefix[sec->kind], sec->name);
}

/* Parser messages */

static int
parse_error(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
parse_error(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	buf_reset(p->err);
	buf_addf(p->err, "%s:%d: ", p->file, p->line);
	va_start(ap, fmt);
	buf_vaddf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

static void
parse_warning(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
parse_warning(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	buf_addf(&p->out.warnings, "%s:%d: ", p->file, p->line);
	va_start(ap, fmt);
	buf_vaddf(&p->out.warnings, fmt, ap);
	va_end(ap);
	buf_addc(&p->out.warnings, '\n');
}

/* Sections */

static long
find_local_section(struct parser *p, enum config_section_kind kind,
    struct span name, int bare_default)
{
	size_t i;

	for (i = 0; i < p->out.n_sections; i++) {
		const struct config_section *sec = &p->out.sections[i];

		if (((long)i == p->bare_default) != bare_default)
			continue;
		if (sec->kind == kind && span_eq(name, sec->name))
			return (long)i;
	}
	return -1;
}

static void
open_section(struct parser *p, enum config_section_kind kind,
    struct span name, struct span header, int bare_default)
{
	long idx = find_local_section(p, kind, name, bare_default);
	struct config_section *sec;

	if (idx >= 0) {
		parse_warning(p,
		    "section [%.*s] repeats the one at line %d; its "
		    "properties are merged and later values win",
		    (int)header.len, header.p, p->out.sections[idx].line);
		p->section = idx;
		return;
	}
	p->out.sections = xrealloc(p->out.sections,
	    (p->out.n_sections + 1) * sizeof(*p->out.sections));
	idx = (long)p->out.n_sections++;
	sec = &p->out.sections[idx];
	memset(sec, 0, sizeof(*sec));
	sec->kind = kind;
	sec->source = p->kind;
	sec->name = xstrndup(name.p, name.len);
	sec->file = p->file;
	sec->line = p->line;
	p->section = idx;
	if (bare_default)
		p->bare_default = idx;
}

static void
open_named_section(struct parser *p, enum config_section_kind kind,
    struct span rest, struct span header)
{
	struct span name;

	if (!parse_section_name(rest, 1, &name)) {
		parse_warning(p,
		    "section [%.*s] is ignored: \"%.*s\" is not a valid "
		    "name; use letters, digits and - / . %% @ _ : +, or "
		    "put the name in quotes",
		    (int)header.len, header.p, (int)rest.len, rest.p);
		return;
	}
	open_section(p, kind, name, header, 0);
}

static void
open_config_section(struct parser *p, struct span header)
{
	struct span rest;

	if (span_eq(header, "default"))
		open_section(p, SECTION_PROFILE, header, header, 1);
	else if (match_keyword(header, "profile", &rest))
		open_named_section(p, SECTION_PROFILE, rest, header);
	else if (match_keyword(header, "sso-session", &rest))
		open_named_section(p, SECTION_SSO_SESSION, rest, header);
	else if (match_keyword(header, "services", &rest))
		open_named_section(p, SECTION_SERVICES, rest, header);
	else if (!span_eq(header, "plugins") && !span_eq(header, "preview"))
		/* [plugins] and [preview] are the AWS CLI's own sections. */
		parse_warning(p,
		    "section [%.*s] is ignored: config file sections are "
		    "[default], [profile NAME], [sso-session NAME] and "
		    "[services NAME]",
		    (int)header.len, header.p);
}

static void
open_credentials_section(struct parser *p, struct span header)
{
	struct span rest;

	if (match_keyword(header, "profile", &rest)) {
		parse_warning(p,
		    "section [%.*s] is ignored: credentials file sections "
		    "are bare profile names; write [%.*s]",
		    (int)header.len, header.p, (int)rest.len, rest.p);
		return;
	}
	if (!is_valid_name(header)) {
		parse_warning(p,
		    "section [%.*s] is ignored: \"%.*s\" is not a valid "
		    "profile name; use letters, digits and - / . %% @ _ : +",
		    (int)header.len, header.p, (int)header.len, header.p);
		return;
	}
	open_section(p, SECTION_PROFILE, header, header, 0);
}

static int
parse_header(struct parser *p, const char *s, size_t len)
{
	size_t cut;
	struct span t;

	/* As in the cross-SDK parsers, the first '#' or ';' on a header
	 * line starts a comment, even inside the brackets. */
	for (cut = 0; cut < len && s[cut] != '#' && s[cut] != ';'; cut++)
		;
	t = trim(s, cut);
	if (t.p[t.len - 1] != ']') {
		if (memchr(t.p, ']', t.len))
			return parse_error(p,
			    "profile definition must end with ']'; only a "
			    "comment starting with '#' or ';' may follow it");
		if (memchr(s, ']', len))
			return parse_error(p,
			    "profile definition must end with ']'; the '%c' "
			    "inside the brackets starts a comment, so remove "
			    "it from the section name",
			    s[cut]);
		return parse_error(p,
		    "profile definition must end with ']'; add the closing "
		    "']' to the section header");
	}
	p->in_section = 1;
	p->section = -1;
	p->state = PROP_NONE;
	p->prop = -1;
	t = trim(t.p + 1, t.len - 2);
	if (p->kind == CONFIG_FILE)
		open_config_section(p, t);
	else
		open_credentials_section(p, t);
	return 0;
}

/* Properties */

static struct config_property *
current_property(struct parser *p)
{
	if (p->section < 0 || p->prop < 0)
		return NULL;
	return &p->out.sections[p->section].props[p->prop];
}

static void
set_property(struct parser *p, struct span key, struct span value,
    int had_comment)
{
	struct config_section *sec = &p->out.sections[p->section];
	struct config_property *prop;
	char *name = lower_dup(key);
	char *label;

	prop = find_property(sec->props, sec->n_props, name);
	if (prop) {
		label = section_label(sec);
		parse_warning(p,
		    "\"%s\" in %s is set again (first at line %d); the "
		    "value from line %d is used",
		    name, label, prop->line, p->line);
		free(label);
		property_clear(prop);
	} else {
		sec->props = xrealloc(sec->props,
		    (sec->n_props + 1) * sizeof(*sec->props));
		prop = &sec->props[sec->n_props++];
		memset(prop, 0, sizeof(*prop));
	}
	prop->name = name;
	prop->value = xstrndup(value.p, value.len);
	prop->source = p->kind;
	prop->file = p->file;
	prop->line = p->line;
	p->prop = prop - sec->props;
	if (had_comment)
		parse_warning(p,
		    "the comment after the value of \"%s\" was removed; the "
		    "AWS CLI keeps it as part of the value, so put comments "
		    "on their own line",
		    name);
}

static int
missing_equals(struct parser *p, struct span t)
{
	const char *colon = memchr(t.p, ':', t.len);
	struct span key;

	if (colon) {
		key = trim(t.p, (size_t)(colon - t.p));
		if (is_valid_name(key))
			return parse_error(p,
			    "expected an '=' sign defining a property, found "
			    "':' after \"%.*s\"; write \"%.*s = VALUE\" (the "
			    "AWS CLI accepts ':', the AWS SDKs do not)",
			    (int)key.len, key.p, (int)key.len, key.p);
	}
	return parse_error(p,
	    "expected an '=' sign defining a property; write it as "
	    "NAME = VALUE, or start a comment line with '#' or ';'");
}

static int
parse_property(struct parser *p, const char *s, size_t len)
{
	size_t cut = find_inline_comment(s, len);
	struct span t = trim(s, cut);
	const char *eq = memchr(t.p, '=', t.len);
	struct span key, value;

	if (!p->in_section) {
		key = eq ? trim(t.p, (size_t)(eq - t.p)) : t;
		if (eq && is_valid_name(key))
			return parse_error(p,
			    "expected a profile definition before property "
			    "\"%.*s\"; put it under a %s header",
			    (int)key.len, key.p,
			    p->kind == CONFIG_FILE ? "[profile NAME]"
						   : "[NAME]");
		return parse_error(p,
		    "expected a profile definition before this line; put "
		    "properties under a %s header",
		    p->kind == CONFIG_FILE ? "[profile NAME]" : "[NAME]");
	}
	if (!eq)
		return missing_equals(p, t);
	key = trim(t.p, (size_t)(eq - t.p));
	value = trim(eq + 1, (size_t)(t.p + t.len - eq - 1));
	if (key.len == 0)
		return parse_error(p,
		    "property did not have a name; write it as NAME = VALUE");

	p->state = value.len > 0 ? PROP_VALUE : PROP_BLOCK;
	p->prop = -1;
	if (p->section < 0)
		return 0;
	if (!is_valid_name(key)) {
		parse_warning(p,
		    "property \"%.*s\" is ignored: names use letters, "
		    "digits and - / . %% @ _ : +",
		    (int)key.len, key.p);
		return 0;
	}
	set_property(p, key, value, cut < len);
	return 0;
}

static void
warn_kept_comment(struct parser *p, struct span t, const char *what)
{
	struct config_property *prop = current_property(p);

	if (prop && find_inline_comment(t.p, t.len) < t.len)
		parse_warning(p,
		    "the text after ' #' or ' ;' in this %s of \"%s\" is "
		    "part of the value, not a comment",
		    what, prop->name);
}

static int
parse_sub_property(struct parser *p, struct span t)
{
	struct config_property *prop = current_property(p);
	const char *eq = memchr(t.p, '=', t.len);
	struct config_property *sub;
	struct span name, value;
	char *lower;

	if (!eq)
		return parse_error(p,
		    "expected an '=' sign defining a sub-property; the "
		    "indented lines under a property with an empty value "
		    "must read NAME = VALUE");
	name = trim(t.p, (size_t)(eq - t.p));
	value = trim(eq + 1, (size_t)(t.p + t.len - eq - 1));
	if (name.len == 0)
		return parse_error(p,
		    "sub-property did not have a name; write it as "
		    "NAME = VALUE");
	if (!prop)
		return 0;

	/* The raw block keeps even the lines whose names are invalid. */
	append_line(&prop->sub_text, t);
	if (!is_valid_name(name)) {
		parse_warning(p,
		    "sub-property \"%.*s\" of \"%s\" is ignored: names use "
		    "letters, digits and - / . %% @ _ : +",
		    (int)name.len, name.p, prop->name);
		return 0;
	}
	warn_kept_comment(p, value, "sub-property");
	lower = lower_dup(name);
	sub = find_property(prop->sub, prop->n_sub, lower);
	if (sub) {
		parse_warning(p,
		    "sub-property \"%s\" of \"%s\" is set again (first at "
		    "line %d); the value from line %d is used",
		    lower, prop->name, sub->line, p->line);
		property_clear(sub);
	} else {
		prop->sub = xrealloc(prop->sub,
		    (prop->n_sub + 1) * sizeof(*prop->sub));
		sub = &prop->sub[prop->n_sub++];
		memset(sub, 0, sizeof(*sub));
	}
	sub->name = lower;
	sub->value = xstrndup(value.p, value.len);
	sub->source = p->kind;
	sub->file = p->file;
	sub->line = p->line;
	return 0;
}

/* An indented line: a continuation, a sub-property, or (first in its
 * section) an ordinary property. t is the trimmed line. */
static int
parse_indented(struct parser *p, struct span t)
{
	struct config_property *prop;

	if (!p->in_section)
		return parse_error(p,
		    "expected a profile definition before this indented "
		    "line; put properties under a %s header",
		    p->kind == CONFIG_FILE ? "[profile NAME]" : "[NAME]");
	switch (p->state) {
	case PROP_NONE:
		if (memchr(t.p, '=', t.len))
			return parse_property(p, t.p, t.len);
		return parse_error(p,
		    "expected a property definition, found continuation; "
		    "an indented line continues the property above it, so "
		    "remove the indentation or write NAME = VALUE");
	case PROP_BLOCK:
		return parse_sub_property(p, t);
	case PROP_VALUE:
		break;
	}
	warn_kept_comment(p, t, "continuation line");
	prop = current_property(p);
	if (prop)
		append_line(&prop->value, t);
	return 0;
}

static int
parse_line(struct parser *p, const char *s, size_t len)
{
	struct span t = trim(s, len);

	if (t.len == 0 || t.p[0] == '#' || t.p[0] == ';')
		return 0;
	if (s[0] == '[')
		return parse_header(p, s, len);
	if (is_blank(s[0]))
		return parse_indented(p, t);
	return parse_property(p, s, len);
}

static int
parse_lines(struct parser *p, const char *text, size_t len)
{
	size_t pos = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;

		pos += n + 1;
		p->line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (memchr(s, '\0', n))
			return parse_error(p,
			    "the line contains a NUL byte; the file must be "
			    "text");
		if (parse_line(p, s, n) < 0)
			return -1;
	}
	return 0;
}

/* Drops the config file's [default] when [profile default] exists too. */
static void
resolve_default(struct parser *p)
{
	struct span name = {"default", 7};
	long prefixed, bare = p->bare_default;

	if (bare < 0)
		return;
	prefixed = find_local_section(p, SECTION_PROFILE, name, 0);
	p->bare_default = -1;
	if (prefixed < 0)
		return;
	p->line = p->out.sections[bare].line;
	parse_warning(p,
	    "section [default] is ignored because [profile default] "
	    "exists too (line %d); merge the two sections",
	    p->out.sections[prefixed].line);
	section_clear(&p->out.sections[bare]);
	memmove(&p->out.sections[bare], &p->out.sections[bare + 1],
	    (p->out.n_sections - (size_t)bare - 1) *
		sizeof(*p->out.sections));
	p->out.n_sections--;
}

/* Merging into struct config */

static struct config_section *
find_section(const struct config *cfg, enum config_file_kind source,
    enum config_section_kind kind, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_sections; i++) {
		struct config_section *sec = &cfg->sections[i];

		if (sec->source == source && sec->kind == kind &&
		    strcmp(sec->name, name) == 0)
			return sec;
	}
	return NULL;
}

/* Moves prop into sec, replacing a property of the same name. Used when
 * one struct config reads two files of the same kind. */
static void
merge_property(struct config *cfg, struct config_section *sec,
    struct config_property *prop)
{
	struct config_property *old;
	char *label;

	old = find_property(sec->props, sec->n_props, prop->name);
	if (old) {
		label = section_label(sec);
		buf_addf(&cfg->warnings,
		    "%s:%d: \"%s\" in %s is set again (first at %s:%d); the "
		    "later value is used\n",
		    prop->file, prop->line, prop->name, label, old->file,
		    old->line);
		free(label);
		property_clear(old);
		*old = *prop;
		return;
	}
	sec->props = xrealloc(sec->props,
	    (sec->n_props + 1) * sizeof(*sec->props));
	sec->props[sec->n_props++] = *prop;
}

static void
rebuild_profile_names(struct config *cfg)
{
	size_t i, j;

	free(cfg->profile_names);
	cfg->profile_names = xcalloc(cfg->n_sections + 1,
	    sizeof(*cfg->profile_names));
	cfg->n_profile_names = 0;
	for (i = 0; i < cfg->n_sections; i++) {
		const char *name = cfg->sections[i].name;

		if (cfg->sections[i].kind != SECTION_PROFILE)
			continue;
		for (j = 0; j < cfg->n_profile_names; j++)
			if (strcmp(cfg->profile_names[j], name) == 0)
				break;
		if (j == cfg->n_profile_names)
			cfg->profile_names[cfg->n_profile_names++] = name;
	}
}

/* Moves every section of out into cfg and empties out. */
static void
merge_config(struct config *cfg, struct config *out)
{
	size_t i, j;

	for (i = 0; i < out->n_sections; i++) {
		struct config_section *sec = &out->sections[i];
		struct config_section *into;

		into = find_section(cfg, sec->source, sec->kind, sec->name);
		if (!into) {
			cfg->sections = xrealloc(cfg->sections,
			    (cfg->n_sections + 1) * sizeof(*cfg->sections));
			cfg->sections[cfg->n_sections++] = *sec;
			continue;
		}
		for (j = 0; j < sec->n_props; j++)
			merge_property(cfg, into, &sec->props[j]);
		free(sec->props);
		free(sec->name);
	}
	free(out->sections);
	out->sections = NULL;
	out->n_sections = 0;
	buf_add(&cfg->warnings, out->warnings.data, out->warnings.len);
	rebuild_profile_names(cfg);
}

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	buf_init(&cfg->warnings);
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_sections; i++)
		section_clear(&cfg->sections[i]);
	free(cfg->sections);
	free(cfg->config_path);
	free(cfg->credentials_path);
	buf_free(&cfg->warnings);
	free(cfg->profile_names);
	for (i = 0; i < cfg->n_filenames; i++)
		free(cfg->filenames[i]);
	free(cfg->filenames);
	memset(cfg, 0, sizeof(*cfg));
}

int
config_parse(struct config *cfg, const char *text, size_t len,
    enum config_file_kind kind, const char *filename, struct buf *err)
{
	struct parser p;
	char *file = xstrdup(filename);
	int rc;

	memset(&p, 0, sizeof(p));
	config_init(&p.out);
	p.kind = kind;
	p.file = file;
	p.section = -1;
	p.prop = -1;
	p.bare_default = -1;
	p.err = err;
	rc = parse_lines(&p, text, len);
	if (rc < 0) {
		config_free(&p.out);
		free(file);
		return -1;
	}
	resolve_default(&p);
	merge_config(cfg, &p.out);
	config_free(&p.out);
	cfg->filenames = xrealloc(cfg->filenames,
	    (cfg->n_filenames + 1) * sizeof(*cfg->filenames));
	cfg->filenames[cfg->n_filenames++] = file;
	return 0;
}

/* Lookups */

int
config_has_section(const struct config *cfg, enum config_section_kind kind,
    const char *name)
{
	return find_section(cfg, CONFIG_FILE, kind, name) != NULL ||
	    find_section(cfg, CREDENTIALS_FILE, kind, name) != NULL;
}

int
config_has_profile(const struct config *cfg, const char *profile)
{
	return config_has_section(cfg, SECTION_PROFILE, profile);
}

static const struct config_property *
section_property(const struct config *cfg, enum config_file_kind source,
    enum config_section_kind kind, const char *section, const char *key)
{
	struct config_section *sec = find_section(cfg, source, kind, section);

	if (!sec)
		return NULL;
	return find_property(sec->props, sec->n_props, key);
}

const struct config_property *
config_profile_property(const struct config *cfg, const char *profile,
    const char *key)
{
	const struct config_property *prop;

	prop = section_property(cfg, CREDENTIALS_FILE, SECTION_PROFILE,
	    profile, key);
	if (prop)
		return prop;
	return section_property(cfg, CONFIG_FILE, SECTION_PROFILE, profile,
	    key);
}

const char *
config_profile_get(const struct config *cfg, const char *profile,
    const char *key)
{
	const struct config_property *prop;

	prop = config_profile_property(cfg, profile, key);
	return prop ? prop->value : NULL;
}

static const struct config_property *
any_section_property(const struct config *cfg,
    enum config_section_kind kind, const char *section, const char *key)
{
	if (kind == SECTION_PROFILE)
		return config_profile_property(cfg, section, key);
	return section_property(cfg, CONFIG_FILE, kind, section, key);
}

const char *
config_section_get(const struct config *cfg, enum config_section_kind kind,
    const char *section, const char *key)
{
	const struct config_property *prop;

	prop = any_section_property(cfg, kind, section, key);
	return prop ? prop->value : NULL;
}

const char *
config_section_get_sub(const struct config *cfg,
    enum config_section_kind kind, const char *section, const char *key,
    const char *sub)
{
	const struct config_property *prop, *found;

	prop = any_section_property(cfg, kind, section, key);
	if (!prop)
		return NULL;
	found = find_property(prop->sub, prop->n_sub, sub);
	return found ? found->value : NULL;
}

size_t
config_profile_names(const struct config *cfg, const char ***names)
{
	*names = cfg->profile_names;
	return cfg->n_profile_names;
}
