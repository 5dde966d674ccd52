/* Unit tests for the AWS config and credentials file reader: every
 * cross-SDK parser and file-location case in t/data/profile, then one test
 * per choice where this reader and the AWS CLI differ. */
#define _GNU_SOURCE
#include <errno.h>
#include <jv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "tap.h"
#include "util.h"

static const char *aws_env[] = {
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
    "HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH",
};

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(aws_env) / sizeof(aws_env[0]); i++)
		unsetenv(aws_env[i]);
}

/* Parses both files of a test. Returns what config_parse returned for the
 * config file, or else for the credentials file. */
static int
parse_pair(struct config *cfg, const char *config_text,
    const char *credentials_text, struct buf *err)
{
	if (config_text && config_parse(cfg, config_text,
			       strlen(config_text), CONFIG_FILE, "config",
			       err) < 0)
		return -1;
	if (credentials_text &&
	    config_parse(cfg, credentials_text, strlen(credentials_text),
		CREDENTIALS_FILE, "credentials", err) < 0)
		return -1;
	return 0;
}

static int
count_lines_containing(const char *text, const char *needle)
{
	int n = 0;
	const char *line = text ? text : "";

	while (*line) {
		const char *end = strchrnul(line, '\n');
		char *copy = xstrndup(line, (size_t)(end - line));

		if (strstr(copy, needle))
			n++;
		free(copy);
		line = *end ? end + 1 : end;
	}
	return n;
}

static jv
load_json(const char *name)
{
	char *path = xasprintf("%s/data/profile/%s", test_dir(), name);
	jv doc = jv_load_file(path, 0);

	/* jq 1.6 returns every JSON text of the file in an array. */
	if (jv_get_kind(doc) == JV_KIND_ARRAY)
		doc = jv_array_get(doc, 0);
	if (jv_get_kind(doc) != JV_KIND_OBJECT)
		diag("cannot load %s as a JSON object", path);
	free(path);
	return doc;
}

static char *
json_string(jv obj, const char *key)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(key));
	char *r = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		r = xstrdup(jv_string_value(v));
	jv_free(v);
	return r;
}

static const struct config_property *
section_property(const struct config *cfg, enum config_section_kind kind,
    const char *name, const char *key)
{
	size_t i, j;

	for (i = 0; i < cfg->n_sections; i++) {
		const struct config_section *sec = &cfg->sections[i];

		if (sec->kind != kind || strcmp(sec->name, name) != 0)
			continue;
		for (j = 0; j < sec->n_props; j++)
			if (strcmp(sec->props[j].name, key) == 0)
				return &sec->props[j];
	}
	return NULL;
}

/* Property names of a profile after merging both files, each once. */
static size_t
merged_key_count(const struct config *cfg, enum config_section_kind kind,
    const char *name)
{
	const char *seen[256];
	size_t n = 0, i, j, k;

	for (i = 0; i < cfg->n_sections; i++) {
		const struct config_section *sec = &cfg->sections[i];

		if (sec->kind != kind || strcmp(sec->name, name) != 0)
			continue;
		for (j = 0; j < sec->n_props; j++) {
			for (k = 0; k < n; k++)
				if (strcmp(seen[k], sec->props[j].name) == 0)
					break;
			if (k == n && n < 256)
				seen[n++] = sec->props[j].name;
		}
	}
	return n;
}

static size_t
count_sections(const struct config *cfg, enum config_section_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_sections; i++)
		if (cfg->sections[i].kind == kind)
			n++;
	return n;
}

/* Compares one expected section (name -> {key: value}) with cfg. The
 * expected value of a sub-property block is its raw text, which the
 * reader keeps in sub_text next to the parsed sub array: rebuilding the
 * text from sub would lose lines with invalid names and the spacing
 * around '='. */
static void
check_section(const struct config *cfg, enum config_section_kind kind,
    const char *name, jv props, const char *label)
{
	int it;

	ok(config_has_section(cfg, kind, name), "%s: section %s exists",
	    label, name);
	is_int((long long)merged_key_count(cfg, kind, name),
	    jv_object_length(jv_copy(props)), "%s: %s has the expected keys",
	    label, name);
	for (it = jv_object_iter(props); jv_object_iter_valid(props, it);
	     it = jv_object_iter_next(props, it)) {
		jv key = jv_object_iter_key(props, it);
		jv value = jv_object_iter_value(props, it);
		const struct config_property *prop;
		const char *got = NULL;

		if (kind == SECTION_PROFILE)
			prop = config_profile_property(cfg, name,
			    jv_string_value(key));
		else
			prop = section_property(cfg, kind, name,
			    jv_string_value(key));
		if (prop)
			got = prop->sub_text ? prop->sub_text : prop->value;
		is_str(got, jv_string_value(value), "%s: %s.%s", label, name,
		    jv_string_value(key));
		jv_free(key);
		jv_free(value);
	}
}

static void
check_sections(const struct config *cfg, enum config_section_kind kind,
    jv expected, const char *label)
{
	int it;

	size_t got = kind == SECTION_PROFILE ? cfg->n_profile_names
					     : count_sections(cfg, kind);

	/* Equal counts and every expected name present: equal sets. */
	is_int((long long)got, jv_object_length(jv_copy(expected)),
	    "%s: number of %s", label,
	    kind == SECTION_PROFILE ? "profiles" : "sso-sessions");
	for (it = jv_object_iter(expected); jv_object_iter_valid(expected, it);
	     it = jv_object_iter_next(expected, it)) {
		jv name = jv_object_iter_key(expected, it);
		jv props = jv_object_iter_value(expected, it);

		check_section(cfg, kind, jv_string_value(name), props, label);
		jv_free(name);
		jv_free(props);
	}
}

static void
run_parser_case(jv test, int index)
{
	jv input = jv_object_get(jv_copy(test), jv_string("input"));
	jv output = jv_object_get(jv_copy(test), jv_string("output"));
	char *config_text = json_string(input, "configFile");
	char *credentials_text = json_string(input, "credentialsFile");
	char *want_error = json_string(output, "errorContaining");
	char *name = json_string(test, "name");
	char *label = xasprintf("parser case %d (%s)", index, name);
	struct buf err = BUF_INIT;
	struct config cfg;
	int rc;

	buf_init(&err);
	config_init(&cfg);
	rc = parse_pair(&cfg, config_text, credentials_text, &err);
	if (want_error) {
		ok(rc < 0, "%s: parse fails", label);
		/* The messages start in lower case after "FILE:LINE: ". */
		if (!ok(strcasestr(err.data, want_error) != NULL,
			"%s: error contains \"%s\"", label, want_error))
			diag("error: %s", err.data);
		ok(str_starts_with(err.data, "config:") ||
			str_starts_with(err.data, "credentials:"),
		    "%s: error names the file", label);
	} else {
		jv config = jv_object_get(jv_copy(output), jv_string("config"));
		jv profiles =
		    jv_object_get(jv_copy(config), jv_string("profiles"));
		jv sessions =
		    jv_object_get(jv_copy(config), jv_string("sso_sessions"));

		if (!ok(rc == 0, "%s: parses", label))
			diag("error: %s", err.data);
		check_sections(&cfg, SECTION_PROFILE, profiles, label);
		if (jv_get_kind(sessions) == JV_KIND_OBJECT)
			check_sections(&cfg, SECTION_SSO_SESSION, sessions,
			    label);
		jv_free(config);
		jv_free(profiles);
		jv_free(sessions);
	}
	config_free(&cfg);
	buf_free(&err);
	free(label);
	free(name);
	free(want_error);
	free(credentials_text);
	free(config_text);
	jv_free(input);
	jv_free(output);
	jv_free(test);
}

static int
test_parser_cases(void)
{
	jv doc = load_json("profile-parser-tests.json");
	jv tests = jv_object_get(jv_copy(doc), jv_string("tests"));
	int i, n = 0;

	if (jv_get_kind(tests) == JV_KIND_ARRAY)
		n = jv_array_length(jv_copy(tests));
	for (i = 0; i < n; i++)
		run_parser_case(jv_array_get(jv_copy(tests), i), i + 1);
	jv_free(tests);
	jv_free(doc);
	return n;
}

static void
run_location_case(jv test, int index)
{
	jv env = jv_object_get(jv_copy(test), jv_string("environment"));
	char *platform = json_string(test, "platform");
	char *want_config = json_string(test, "configLocation");
	char *want_credentials = json_string(test, "credentialsLocation");
	char *want_profile = json_string(test, "profile");
	enum config_platform pf = platform && strcmp(platform, "windows") == 0
	    ? CONFIG_PLATFORM_WINDOWS
	    : CONFIG_PLATFORM_POSIX;
	char *got;
	int it;

	clear_env();
	for (it = jv_object_iter(env); jv_object_iter_valid(env, it);
	     it = jv_object_iter_next(env, it)) {
		jv key = jv_object_iter_key(env, it);
		jv value = jv_object_iter_value(env, it);

		setenv(jv_string_value(key), jv_string_value(value), 1);
		jv_free(key);
		jv_free(value);
	}
	got = config_file_path_on(CONFIG_FILE, pf);
	is_str(got, want_config, "location case %d (%s): config file", index,
	    platform);
	free(got);
	got = config_file_path_on(CREDENTIALS_FILE, pf);
	is_str(got, want_credentials, "location case %d (%s): credentials",
	    index, platform);
	free(got);
	if (want_profile)
		is_str(config_active_profile(NULL), want_profile,
		    "location case %d: active profile", index);
	free(want_profile);
	free(want_credentials);
	free(want_config);
	free(platform);
	jv_free(env);
	jv_free(test);
}

static int
test_location_cases(void)
{
	jv doc = load_json("file-location-tests.json");
	jv tests = jv_object_get(jv_copy(doc), jv_string("tests"));
	int i, n = 0;

	if (jv_get_kind(tests) == JV_KIND_ARRAY)
		n = jv_array_length(jv_copy(tests));
	for (i = 0; i < n; i++)
		run_location_case(jv_array_get(jv_copy(tests), i), i + 1);
	jv_free(tests);
	jv_free(doc);
	clear_env();
	return n;
}

/* The choices where this reader differs from the AWS CLI or the
 * cross-SDK cases, one test each. */

static void
test_bom(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text =
	    "\xef\xbb\xbf[profile foo]\r\nregion = eu-west-1\r\n";

	buf_init(&err);
	config_init(&cfg);
	is_int(config_parse(&cfg, text, strlen(text), CONFIG_FILE, "config",
		   &err),
	    0, "bom: file parses");
	is_str(config_profile_get(&cfg, "foo", "region"), "eu-west-1",
	    "bom: first header is read");
	config_free(&cfg);

	/* A BOM anywhere else is just bytes, and here it breaks a header. */
	config_init(&cfg);
	text = "[profile foo]\n\xef\xbb\xbf[profile bar]\n";
	is_int(config_parse(&cfg, text, strlen(text), CONFIG_FILE, "config",
		   &err),
	    -1, "bom: only skipped at file start");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_inline_comment(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text = "[profile foo]\n"
			   "region = us-west-2  # optional\n"
			   "sso_start_url = https://example.com/start#\n"
			   "output = json;text\n"
			   "credential_process = /bin/tool\n"
			   "  --flag ; not a comment\n";

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, text, NULL, &err), 0,
	    "inline comment: file parses");
	is_str(config_profile_get(&cfg, "foo", "region"), "us-west-2",
	    "inline comment: removed after a blank");
	is_int(count_lines_containing(cfg.warnings.data, "config:2: "), 1,
	    "inline comment: warning for line 2");
	ok(strstr(cfg.warnings.data, "\"region\"") != NULL,
	    "inline comment: warning names the key");
	ok(strstr(cfg.warnings.data, "AWS CLI keeps it") != NULL,
	    "inline comment: warning names the CLI");
	ok(!strstr(cfg.warnings.data, "us-west-2"),
	    "inline comment: warning hides the value");
	is_str(config_profile_get(&cfg, "foo", "sso_start_url"),
	    "https://example.com/start#",
	    "inline comment: '#' without blank kept");
	is_str(config_profile_get(&cfg, "foo", "output"), "json;text",
	    "inline comment: ';' without blank kept");
	is_int(count_lines_containing(cfg.warnings.data, "config:3: ") +
		count_lines_containing(cfg.warnings.data, "config:4: "),
	    0, "inline comment: no warning without blank");
	is_str(config_profile_get(&cfg, "foo", "credential_process"),
	    "/bin/tool\n--flag ; not a comment",
	    "inline comment: continuation keeps ' ;'");
	is_int(count_lines_containing(cfg.warnings.data, "config:6: "), 1,
	    "inline comment: continuation warns");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_colon_rejected(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, "[profile foo]\nregion : us-east-1\n", NULL,
		   &err),
	    -1, "colon separator: rejected");
	ok(str_starts_with(err.data, "config:2: expected an '=' sign"),
	    "colon separator: error names file and line");
	ok(strstr(err.data, "found ':' after \"region\"") != NULL,
	    "colon separator: error names the key");
	ok(strstr(err.data, "region = VALUE") != NULL,
	    "colon separator: error gives the fix");
	ok(!strstr(err.data, "us-east-1"), "colon separator: value hidden");
	is_int((long long)cfg.n_sections, 0, "colon separator: cfg unchanged");

	is_int(parse_pair(&cfg,
		   "[default]\naws_secret_access_key : SECRETVALUE\n", NULL,
		   &err),
	    -1, "colon separator: secret line rejected");
	ok(!strstr(err.data, "SECRETVALUE"),
	    "colon separator: secret not in error");
	is_int(parse_pair(&cfg, "[default]\nSECRETVALUE\n", NULL, &err), -1,
	    "bare word: rejected");
	ok(str_starts_with(err.data, "config:2: "), "bare word: line named");
	ok(!strstr(err.data, "SECRETVALUE"), "bare word: text hidden");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_duplicates(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text = "[profile foo]\n"
			   "region = a\n"
			   "output = json\n"
			   "[profile bar]\n"
			   "[profile foo]\n"
			   "REGION = b\n";
	const char **names;

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, text, NULL, &err), 0,
	    "duplicates: file parses");
	is_str(config_profile_get(&cfg, "foo", "region"), "b",
	    "duplicates: later key wins");
	is_str(config_profile_get(&cfg, "foo", "output"), "json",
	    "duplicates: sections merged");
	ok(strstr(cfg.warnings.data, "config:5: section [profile foo] "
				     "repeats the one at line 1") != NULL,
	    "duplicates: section warning");
	ok(strstr(cfg.warnings.data, "config:6: \"region\" in [profile foo] "
				     "is set again (first at line 2)") != NULL,
	    "duplicates: key warning");
	is_int((long long)config_profile_names(&cfg, &names), 2,
	    "duplicates: two profiles");
	is_str(names[0], "foo", "duplicates: first profile in file order");
	is_str(names[1], "bar", "duplicates: second profile in file order");
	config_free(&cfg);

	config_init(&cfg);
	is_int(parse_pair(&cfg, "[default]\nregion = a\n[profile default]\n",
		   NULL, &err),
	    0, "default forms: file parses");
	ok(config_profile_get(&cfg, "default", "region") == NULL,
	    "default forms: [default] dropped");
	ok(strstr(cfg.warnings.data, "config:1: section [default] is "
				     "ignored") != NULL,
	    "default forms: warning");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_quoted_names(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text = "[profile 'Foo Bar']\nregion = a\n"
			   "[profile \"foo bar\"]\nregion = b\n"
			   "[profile a b]\nregion = c\n"
			   "[profile \"unbalanced]\nregion = d\n"
			   "[profile '']\n"
			   "[profile Dev]\nregion = e\n";

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, text, NULL, &err), 0,
	    "quoted names: file parses");
	is_str(config_profile_get(&cfg, "Foo Bar", "region"), "a",
	    "quoted names: single quotes");
	is_str(config_profile_get(&cfg, "foo bar", "region"), "b",
	    "quoted names: double quotes");
	ok(!config_has_profile(&cfg, "a b"),
	    "quoted names: unquoted blank ignored");
	ok(strstr(cfg.warnings.data, "config:5: section [profile a b] is "
				     "ignored") != NULL,
	    "quoted names: warning for a b");
	ok(strstr(cfg.warnings.data, "config:7: ") != NULL,
	    "quoted names: warning for unbalanced quote");
	ok(strstr(cfg.warnings.data, "config:9: ") != NULL,
	    "quoted names: warning for empty quotes");
	ok(config_has_profile(&cfg, "Dev"), "quoted names: Dev exists");
	ok(!config_has_profile(&cfg, "dev"), "quoted names: case-sensitive");
	is_int((long long)cfg.n_profile_names, 3,
	    "quoted names: three profiles");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_empty_env_unset(void)
{
	clear_env();
	setenv("AWS_PROFILE", "", 1);
	setenv("AWS_DEFAULT_PROFILE", "dev", 1);
	is_str(config_active_profile(NULL), "dev",
	    "active profile: empty AWS_PROFILE unset");
	setenv("AWS_DEFAULT_PROFILE", "", 1);
	is_str(config_active_profile(NULL), "default",
	    "active profile: both empty gives default");
	is_str(config_active_profile(""), "default",
	    "active profile: empty --profile unset");
	setenv("AWS_PROFILE", "prod", 1);
	setenv("AWS_DEFAULT_PROFILE", "dev", 1);
	is_str(config_active_profile(NULL), "prod",
	    "active profile: AWS_PROFILE first");
	is_str(config_active_profile("cli"), "cli",
	    "active profile: --profile wins");
	clear_env();
	is_str(config_active_profile(NULL), "default",
	    "active profile: default when unset");
}

static void
test_credentials_win(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const struct config_property *prop;
	const char *config_text = "[profile foo]\nregion = a\noutput = json\n"
				  "[default]\nregion = c\n";
	const char *credentials_text = "[foo]\nregion = b\n"
				       "[profile bar]\nx = 1\n[only-creds]\n";
	const char **names;

	buf_init(&err);
	config_init(&cfg);
	/* The credentials file wins even when it is read first. */
	is_int(parse_pair(&cfg, NULL, credentials_text, &err), 0,
	    "credentials win: credentials parse");
	is_int(parse_pair(&cfg, config_text, NULL, &err), 0,
	    "credentials win: config parses");
	is_str(config_profile_get(&cfg, "foo", "region"), "b",
	    "credentials win: same key");
	prop = config_profile_property(&cfg, "foo", "region");
	ok(prop && prop->source == CREDENTIALS_FILE,
	    "credentials win: property source");
	is_str(prop ? prop->file : NULL, "credentials",
	    "credentials win: property file");
	is_int(prop ? prop->line : 0, 2, "credentials win: property line");
	is_str(config_profile_get(&cfg, "foo", "output"), "json",
	    "credentials win: config-only key kept");
	ok(config_has_profile(&cfg, "only-creds"),
	    "credentials win: credentials-only profile");
	ok(!config_has_profile(&cfg, "bar"),
	    "credentials win: [profile bar] ignored");
	ok(!config_has_profile(&cfg, "profile bar"),
	    "credentials win: no profile named \"profile bar\"");
	ok(strstr(cfg.warnings.data, "credentials:3: section [profile bar] "
				     "is ignored") != NULL,
	    "credentials win: [profile bar] warning");
	ok(strstr(cfg.warnings.data, "write [bar]") != NULL,
	    "credentials win: warning gives the fix");
	is_int((long long)config_profile_names(&cfg, &names), 3,
	    "credentials win: each profile once");
	is_str(config_section_get(&cfg, SECTION_PROFILE, "default", "region"),
	    "c", "credentials win: section_get merges");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_region_order(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	buf_init(&err);
	config_init(&cfg);
	parse_pair(&cfg, "[profile foo]\nregion = from-config\n"
			 "[profile empty]\nregion =\n",
	    "[bar]\nregion = from-credentials\n", &err);
	clear_env();
	is_str(config_region(&cfg, "foo", NULL), "from-config",
	    "region: profile value");
	setenv("AWS_PROFILE", "bar", 1);
	is_str(config_region(&cfg, NULL, NULL), "from-credentials",
	    "region: active profile used");
	setenv("AWS_DEFAULT_REGION", "", 1);
	is_str(config_region(&cfg, "foo", NULL), "from-config",
	    "region: empty AWS_DEFAULT_REGION unset");
	setenv("AWS_DEFAULT_REGION", "default-env", 1);
	is_str(config_region(&cfg, "foo", NULL), "default-env",
	    "region: AWS_DEFAULT_REGION beats profile");
	setenv("AWS_REGION", "", 1);
	is_str(config_region(&cfg, "foo", NULL), "default-env",
	    "region: empty AWS_REGION unset");
	setenv("AWS_REGION", "region-env", 1);
	is_str(config_region(&cfg, "foo", NULL), "region-env",
	    "region: AWS_REGION beats AWS_DEFAULT_REGION");
	is_str(config_region(&cfg, "foo", "cli"), "cli",
	    "region: --region beats everything");
	is_str(config_region(&cfg, "foo", ""), "region-env",
	    "region: empty --region unset");
	clear_env();
	ok(config_region(&cfg, "empty", NULL) == NULL,
	    "region: empty profile value unset");
	ok(config_region(&cfg, "missing", NULL) == NULL,
	    "region: none for unknown profile");
	config_free(&cfg);
	buf_free(&err);
}

/* Behaviour beyond the shared cases. */

static void
test_indented_first_property(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, "[profile foo]\n  region = a\n  -more\n",
		   NULL, &err),
	    0, "indented first property: accepted");
	is_str(config_profile_get(&cfg, "foo", "region"), "a\n-more",
	    "indented first property: value and continuation");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_sub_properties(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const struct config_property *prop;
	const char *text = "[profile foo]\n"
			   "services = my-services\n"
			   "s3 =\n"
			   "\tAddressing_Style = path\n"
			   "  in valid = x\n"
			   "  addressing_style = virtual\n"
			   "[services my-services]\n"
			   "s3 =\n"
			   "  endpoint_url = http://127.0.0.1:4566\n"
			   "[sso-session corp]\n"
			   "sso_region = us-east-1\n";

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, text, NULL, &err), 0,
	    "sub-properties: file parses");
	prop = config_profile_property(&cfg, "foo", "s3");
	ok(prop != NULL, "sub-properties: block property exists");
	if (prop) {
		is_str(prop->value, "", "sub-properties: value is empty");
		is_int((long long)prop->n_sub, 1,
		    "sub-properties: one valid name");
		is_str(prop->sub_text,
		    "\nAddressing_Style = path\nin valid = x\n"
		    "addressing_style = virtual",
		    "sub-properties: raw text kept");
	}
	is_str(config_section_get_sub(&cfg, SECTION_PROFILE, "foo", "s3",
		   "addressing_style"),
	    "virtual", "sub-properties: later sub-key wins");
	ok(strstr(cfg.warnings.data, "config:5: sub-property \"in valid\"") !=
		NULL,
	    "sub-properties: invalid name warned");
	ok(strstr(cfg.warnings.data, "config:6: sub-property "
				     "\"addressing_style\"") != NULL,
	    "sub-properties: repeat warned");
	is_str(config_section_get_sub(&cfg, SECTION_SERVICES, "my-services",
		   "s3", "endpoint_url"),
	    "http://127.0.0.1:4566", "sub-properties: services section");
	is_str(config_section_get(&cfg, SECTION_SSO_SESSION, "corp",
		   "sso_region"),
	    "us-east-1", "sub-properties: sso-session section");
	ok(!config_has_profile(&cfg, "my-services"),
	    "sub-properties: services not a profile");
	ok(!config_has_profile(&cfg, "corp"),
	    "sub-properties: sso-session not a profile");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_error_messages(void)
{
	static const struct {
		const char *text;
		enum config_file_kind kind;
		const char *message;
	} cases[] = {
	    {"region = us-east-1\n", CONFIG_FILE,
		"config:1: expected a profile definition before property "
		"\"region\"; put it under a [profile NAME] header"},
	    {"\n\nregion = us-east-1\n", CREDENTIALS_FILE,
		"credentials:3: expected a profile definition before property "
		"\"region\"; put it under a [NAME] header"},
	    {"[profile foo] x\n", CONFIG_FILE,
		"config:1: profile definition must end with ']'; only a "
		"comment starting with '#' or ';' may follow it"},
	    {"[profile a;b]\n", CONFIG_FILE,
		"config:1: profile definition must end with ']'; the ';' "
		"inside the brackets starts a comment, so remove it from the "
		"section name"},
	    {"[default]\nregion = a\n\x01\x02\n", CONFIG_FILE,
		"config:3: expected an '=' sign defining a property; write it "
		"as NAME = VALUE, or start a comment line with '#' or ';'"},
	    {"[default]\ns3 =\n  = x\n", CONFIG_FILE,
		"config:3: sub-property did not have a name; write it as "
		"NAME = VALUE"},
	};
	struct config cfg;
	struct buf err = BUF_INIT;
	char nul_text[] = "[default]\nregion = a\0b\n";
	size_t i;

	buf_init(&err);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&cfg);
		is_int(config_parse(&cfg, cases[i].text, strlen(cases[i].text),
			   cases[i].kind,
			   cases[i].kind == CONFIG_FILE ? "config"
							: "credentials",
			   &err),
		    -1, "error message %zu: parse fails", i + 1);
		is_str(err.data, cases[i].message, "error message %zu: text",
		    i + 1);
		config_free(&cfg);
	}
	config_init(&cfg);
	is_int(config_parse(&cfg, nul_text, sizeof(nul_text) - 1, CONFIG_FILE,
		   "config", &err),
	    -1, "NUL byte: rejected");
	ok(str_starts_with(err.data, "config:2: the line contains a NUL"),
	    "NUL byte: line named");
	config_free(&cfg);
	buf_free(&err);
}

static void
test_ignored_sections(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	const char *text = "[plugins]\ncli_legacy_plugin_path = /x\n"
			   "[foo]\nregion = a\n"
			   "[Profile bar]\nregion = b\n";

	buf_init(&err);
	config_init(&cfg);
	is_int(parse_pair(&cfg, text, NULL, &err), 0,
	    "ignored sections: file parses");
	is_int((long long)cfg.n_sections, 0, "ignored sections: none kept");
	is_int(count_lines_containing(cfg.warnings.data, "config:1: "), 0,
	    "ignored sections: [plugins] is quiet");
	ok(strstr(cfg.warnings.data, "config:3: section [foo] is ignored") !=
		NULL,
	    "ignored sections: [foo] warned");
	ok(strstr(cfg.warnings.data, "config:5: section [Profile bar] is "
				     "ignored") != NULL,
	    "ignored sections: keyword is case-sensitive");
	config_free(&cfg);
	buf_free(&err);
}

/* A failed parse leaves sections and warnings as they were. */
static void
test_error_keeps_config(void)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	size_t warnings;

	buf_init(&err);
	config_init(&cfg);
	parse_pair(&cfg, "[profile a]\nx = 1\nx = 2\n", NULL, &err);
	warnings = cfg.warnings.len;
	is_int(parse_pair(&cfg, "[profile a]\nx = 3\n[profile b]\ny = 1\n"
				"broken\n",
		   NULL, &err),
	    -1, "failed parse: error");
	is_str(config_profile_get(&cfg, "a", "x"), "2",
	    "failed parse: value kept");
	ok(!config_has_profile(&cfg, "b"), "failed parse: no new profile");
	is_int((long long)cfg.warnings.len, (long long)warnings,
	    "failed parse: warnings kept");
	config_free(&cfg);
	buf_free(&err);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		diag("cannot write %s: %s", path, strerror(errno));
}

static void
test_paths(void)
{
	char *got;

	clear_env();
	setenv("HOME", "/h", 1);
	setenv("AWS_CONFIG_FILE", "", 1);
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/h/.aws/config", "paths: empty AWS_CONFIG_FILE unset");
	free(got);
	setenv("AWS_CONFIG_FILE", "~/cfg/$ECS_T_DIR/${ECS_T_NAME}", 1);
	setenv("ECS_T_DIR", "d", 1);
	setenv("ECS_T_NAME", "n", 1);
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/h/cfg/d/n", "paths: ~, $VAR and ${VAR}");
	free(got);
	setenv("AWS_CONFIG_FILE", "$ECS_T_DIR/x", 1);
	setenv("ECS_T_DIR", "~", 1);
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/h/x", "paths: variables before ~");
	free(got);
	setenv("AWS_CONFIG_FILE", "/x/$ECS_T_UNSET/${ECS_T_UNSET}/$/${}", 1);
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/x/$ECS_T_UNSET/${ECS_T_UNSET}/$/${}",
	    "paths: unset variables kept");
	free(got);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~root/creds", 1);
	got = config_file_path(CREDENTIALS_FILE);
	ok(got && got[0] == '/' && str_ends_with(got, "/creds"),
	    "paths: ~user expanded");
	free(got);
	unsetenv("HOME");
	setenv("USERPROFILE", "/u", 1);
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/x/$ECS_T_UNSET/${ECS_T_UNSET}/$/${}",
	    "paths: explicit path without ~");
	free(got);
	unsetenv("AWS_CONFIG_FILE");
	got = config_file_path(CONFIG_FILE);
	is_str(got, "/u/.aws/config", "paths: USERPROFILE without HOME");
	free(got);
	unsetenv("USERPROFILE");
	got = config_file_path(CONFIG_FILE);
	ok(got && got[0] == '/' && str_ends_with(got, "/.aws/config"),
	    "paths: password database without HOME");
	free(got);
	unsetenv("ECS_T_DIR");
	unsetenv("ECS_T_NAME");
	clear_env();
}

static void
test_load(void)
{
	char dir[] = "/tmp/ecs-config-test.XXXXXX";
	char *aws, *config, *credentials;
	struct config cfg;
	struct buf err = BUF_INIT;

	buf_init(&err);
	if (!mkdtemp(dir)) {
		ok(0, "load: mkdtemp: %s", strerror(errno));
		return;
	}
	aws = xasprintf("%s/.aws", dir);
	config = xasprintf("%s/config", aws);
	credentials = xasprintf("%s/credentials", aws);
	clear_env();
	setenv("HOME", dir, 1);

	config_init(&cfg);
	is_int(config_load(&cfg, &err), 0, "load: missing files are fine");
	is_int((long long)cfg.n_sections, 0, "load: nothing read");
	is_str(cfg.config_path, config, "load: config path");
	config_free(&cfg);

	mkdir(aws, 0700);
	write_text(config, "[profile foo]\nregion = a # c\n");
	write_text(credentials, "[foo]\naws_access_key_id = AKIDEXAMPLE\n");
	config_init(&cfg);
	is_int(config_load(&cfg, &err), 0, "load: both files read");
	is_str(config_profile_get(&cfg, "foo", "aws_access_key_id"),
	    "AKIDEXAMPLE", "load: credentials merged");
	ok(str_starts_with(cfg.warnings.data, "~/.aws/config:2: "),
	    "load: messages show ~ for HOME");
	config_free(&cfg);

	write_text(credentials, "region = x\n");
	config_init(&cfg);
	is_int(config_load(&cfg, &err), -1, "load: parse error returned");
	ok(str_starts_with(err.data, "~/.aws/credentials:1: expected a "
				     "profile definition"),
	    "load: error names the file");
	config_free(&cfg);

	unlink(credentials);
	mkdir(credentials, 0700);
	config_init(&cfg);
	is_int(config_load(&cfg, &err), -1, "load: directory is an error");
	ok(str_starts_with(err.data, "~/.aws/credentials: cannot read: "),
	    "load: read error names the file");
	config_free(&cfg);

	rmdir(credentials);
	unlink(config);
	rmdir(aws);
	rmdir(dir);
	free(credentials);
	free(config);
	free(aws);
	buf_free(&err);
	clear_env();
}

int
main(void)
{
	int parser_cases, location_cases;

	clear_env();
	parser_cases = test_parser_cases();
	location_cases = test_location_cases();
	diag("ran %d parser cases and %d file-location cases", parser_cases,
	    location_cases);
	is_int(parser_cases, 65, "all 65 parser cases ran");
	is_int(location_cases, 9, "all 9 file-location cases ran");

	test_bom();
	test_inline_comment();
	test_colon_rejected();
	test_duplicates();
	test_quoted_names();
	test_empty_env_unset();
	test_credentials_win();
	test_region_order();
	test_indented_first_property();
	test_sub_properties();
	test_error_messages();
	test_ignored_sections();
	test_error_keeps_config();
	test_paths();
	test_load();
	return done_testing();
}
