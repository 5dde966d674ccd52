/* Unit tests for the credential chain: cache keys and files,
 * credential_process parsing, and the chain's configuration errors, all
 * without network access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws.h"
#include "credcache.h"
#include "creds.h"
#include "process.h"
#include "tap.h"
#include "util.h"

static char scratch[] = "/tmp/ecs-creds-unit.XXXXXX";

/* --- cache keys -------------------------------------------------------- */

static void
check_role_key(const char *json, const char *expected, const char *name)
{
	jv args = jv_parse(json);
	char *key = credcache_role_key(args);

	is_str(key, expected, "role cache key: %s", name);
	free(key);
	jv_free(args);
}

static void
test_cache_keys(void)
{
	struct buf b = BUF_INIT;
	char *key;
	jv v;

	/* Keys computed with Python's json.dumps(sort_keys=True) and
	 * hashlib.sha1, as the AWS CLI computes them. */
	check_role_key("{\"RoleArn\":\"arn:aws:iam::123456789012:role/demo\"}",
	    "5f52c9c583acfd120a607977e4f21fe86b7fa42d", "role ARN only");
	check_role_key("{\"RoleArn\":\"arn:aws:iam::123456789012:role/demo\","
		       "\"SerialNumber\":\"arn:aws:iam::123456789012:mfa/"
		       "alice\",\"RoleSessionName\":\"alice\","
		       "\"ExternalId\":\"xyz\",\"DurationSeconds\":3600}",
	    "1c50ed6fc05000f96ac098fa0ee67fa6935667bd", "every parameter");
	check_role_key("{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"ExternalId\":"
		       "\"\\u00e9\\\"\\\\\\n\\u0001\\u007f\\ud83d\\ude00\","
		       "\"Policy\":{\"Version\":\"2012-10-17\",\"Statement\":"
		       "[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\","
		       "\"ec2:*\"],\"Resource\":\"*\"}]}}",
	    "6097377d3e53cdd050484080731c7decb1e6db79",
	    "escapes and a nested policy");

	v = jv_parse("{\"b\":[1,2.5,true,null],\"a\":\"\\u00e9\"}");
	credcache_python_json(v, 0, &b);
	is_str(b.data, "{\"a\": \"\\u00e9\", \"b\": [1, 2.5, true, null]}",
	    "Python separators and ASCII escapes");
	buf_reset(&b);
	credcache_python_json(v, 1, &b);
	is_str(b.data, "{\"a\":\"\\u00e9\",\"b\":[1,2.5,true,null]}",
	    "compact separators");
	jv_free(v);
	buf_free(&b);

	key = credcache_sso_key("123456789012", "Admin", "my-sso", NULL);
	is_str(key, "c30b99aca80d8f5b3178e353f05b2abcc9a4ccd3",
	    "SSO key with a session name");
	free(key);
	key = credcache_sso_key("123456789012", "Admin", NULL,
	    "https://d-123.awsapps.com/start");
	is_str(key, "6898efe139a134a0f1e40a5325c9e4a0f4e25fee",
	    "SSO key of a legacy profile uses the start URL");
	free(key);
}

static void
test_arn_account(void)
{
	char *a;

	a = arn_account_id("arn:aws:sts::123456789012:assumed-role/r/s");
	is_str(a, "123456789012", "account ID of an assumed-role ARN");
	free(a);
	ok(arn_account_id("arn:aws:sts::12345:assumed-role/r/s") == NULL,
	    "short account ID is rejected");
	ok(arn_account_id("not-an-arn") == NULL, "non-ARN gives NULL");
	ok(arn_account_id(NULL) == NULL, "NULL gives NULL");
}

/* --- cache files ------------------------------------------------------- */

static jv
cache_doc(double expires_in, const char *suffix)
{
	char when[32], text[512];

	format_iso8601(now_seconds() + expires_in, when, sizeof(when));
	/* "2030-01-01T00:00:00Z" -> with another zone suffix. */
	if (suffix)
		strcpy(strchr(when, 'Z'), suffix);
	snprintf(text, sizeof(text),
	    "{\"Credentials\":{\"AccessKeyId\":\"ASIAUNIT\","
	    "\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\","
	    "\"Expiration\":\"%s\"},\"AssumedRoleUser\":{\"Arn\":"
	    "\"arn:aws:sts::210987654321:assumed-role/r/s\"}}",
	    when);
	return jv_parse(text);
}

static int
load_key(const char *key, struct aws_credentials *c)
{
	memset(c, 0, sizeof(*c));
	return credcache_load(key, c, NULL);
}

static void
test_cache_files(void)
{
	struct aws_credentials c;
	struct buf err = BUF_INIT;
	struct stat st;
	char *dir, *path;
	jv doc;

	dir = credcache_dir();
	path = xasprintf("%s/.aws/cli/cache", scratch);
	is_str(dir, path, "cache directory under HOME");
	free(path);
	doc = cache_doc(3600, NULL);
	ok(credcache_store("k1", doc, &err) == 0, "store an entry");
	jv_free(doc);
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "cache directory is 0700");
	path = xasprintf("%s/k1.json", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "cache file is 0600");
	free(path);
	ok(load_key("k1", &c) == 1, "fresh entry is used");
	is_str(c.access_key_id, "ASIAUNIT", "cached access key");
	is_str(c.account_id, "210987654321",
	    "account ID from AssumedRoleUser");
	ok(c.refreshable && c.expiration > now_seconds() + 3500,
	    "cached credentials are refreshable and keep their expiry");
	aws_credentials_clear(&c);

	doc = cache_doc(3600, "UTC");
	credcache_store("k2", doc, &err);
	jv_free(doc);
	ok(load_key("k2", &c) == 1,
	    "expiration written by botocore (...UTC) is read");
	aws_credentials_clear(&c);

	doc = cache_doc(CREDCACHE_MIN_REMAINING - 10, NULL);
	credcache_store("k3", doc, &err);
	jv_free(doc);
	ok(load_key("k3", &c) == 0,
	    "entry expiring within five minutes is not used");
	aws_credentials_clear(&c);

	doc = cache_doc(-60, NULL);
	credcache_store("k4", doc, &err);
	jv_free(doc);
	ok(load_key("k4", &c) == 0, "expired entry is not used");
	aws_credentials_clear(&c);

	ok(load_key("missing", &c) == 0, "missing entry is not found");
	path = xasprintf("%s/bad.json", dir);
	write_file_atomic(path, "{\"Credentials\":", 15, 0600);
	free(path);
	ok(load_key("bad", &c) == 0, "damaged entry is ignored");
	free(dir);
	buf_free(&err);
}

/* --- credential_process ------------------------------------------------ */

static void
check_split(const char *cmd, const char *want, int want_shell,
    const char *name)
{
	struct buf got = BUF_INIT, err = BUF_INIT;
	char **argv = NULL;
	int shell = -1;
	size_t i;

	if (process_split(cmd, &argv, &shell, &err) == 0) {
		for (i = 0; argv[i]; i++)
			buf_addf(&got, "[%s]", argv[i]);
		process_argv_free(argv);
	} else {
		buf_addf(&got, "error: %s", err.data);
	}
	if (want)
		is_str(got.data, want, "split %s: words", name);
	if (want_shell >= 0)
		is_int(shell, want_shell, "split %s: shell", name);
	buf_free(&got);
	buf_free(&err);
}

static void
test_split(void)
{
	check_split("/bin/helper --profile dev", "[/bin/helper][--profile][dev]",
	    0, "plain words");
	check_split("  tool   'a b'  \"c d\" e\\ f ",
	    "[tool][a b][c d][e f]", 0, "quotes and escapes");
	check_split("tool '' \"\"", "[tool][][]", 0, "empty quoted words");
	check_split("tool \"a\\\"b\\\\c\\d\"", "[tool][a\"b\\c\\d]", 0,
	    "backslashes inside double quotes");
	check_split("tool 'a|b' \"x;y\"", "[tool][a|b][x;y]", 0,
	    "quoted operators stay literal");
	check_split("echo abc | base64 --decode", NULL, 1, "pipe");
	check_split("tool $HOME", NULL, 1, "variable");
	check_split("tool \"$HOME\"", NULL, 1, "variable in double quotes");
	check_split("tool '$HOME'", "[tool][$HOME]", 0,
	    "variable in single quotes");
	check_split("~/bin/tool", NULL, 1, "leading tilde");
	check_split("tool a~b", "[tool][a~b]", 0, "inner tilde");
	check_split("AWS_PROFILE=x tool", NULL, 1, "assignment");
	check_split("tool a=b", "[tool][a=b]", 0, "assignment as argument");
	check_split("tool > out", NULL, 1, "redirection");
	check_split("tool 'open", "error: the command has an unterminated "
				  "single quote",
	    -1, "unterminated quote");
	check_split("   ", "error: the command is empty", -1, "blank command");
	check_split("tool \\", "error: the command ends in a lone backslash",
	    -1, "trailing backslash");
}

static void
check_output(const char *text, const char *fallback, const char *want,
    const char *name)
{
	struct aws_credentials c;
	struct buf got = BUF_INIT, err = BUF_INIT;
	char when[32] = "none";

	memset(&c, 0, sizeof(c));
	if (process_parse_output(text, strlen(text), fallback, &c, &err) ==
	    0) {
		if (c.expiration)
			format_iso8601(c.expiration, when, sizeof(when));
		buf_addf(&got, "%s/%s/%s/%s/%s/%d", c.access_key_id,
		    c.secret_access_key,
		    c.session_token ? c.session_token : "-", when,
		    c.account_id ? c.account_id : "-", c.refreshable);
	} else {
		buf_addf(&got, "error: %s", err.data);
	}
	is_str(got.data, want, "process output: %s", name);
	aws_credentials_clear(&c);
	buf_free(&got);
	buf_free(&err);
}

static void
test_process_output(void)
{
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "\"S\",\"SessionToken\":\"T\",\"Expiration\":"
		     "\"2030-01-01T00:00:00Z\",\"AccountId\":\"111122223333\"}",
	    NULL, "A/S/T/2030-01-01T00:00:00Z/111122223333/1", "every field");
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "\"S\"}",
	    NULL, "A/S/-/none/-/0", "long-term keys are not refreshed");
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "\"S\",\"Expiration\":\"2030-01-01T01:00:00+01:00\"}",
	    "444455556666", "A/S/-/2030-01-01T00:00:00Z/444455556666/1",
	    "offset expiration and fallback account");
	check_output("{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "\"S\"}",
	    NULL,
	    "error: its output lacks \"Version\": 1, the only format "
	    "version defined",
	    "version 2");
	check_output("{\"Version\":\"1\",\"AccessKeyId\":\"A\","
		     "\"SecretAccessKey\":\"S\"}",
	    NULL,
	    "error: its output lacks \"Version\": 1, the only format "
	    "version defined",
	    "version as a string");
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\"}", NULL,
	    "error: its output has no SecretAccessKey", "missing secret");
	check_output("{\"Version\":1,\"AccessKeyId\":\"\",\"SecretAccessKey\":"
		     "\"S\"}",
	    NULL, "error: AccessKeyId in its output is empty",
	    "empty access key");
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "\"S\",\"Expiration\":\"\"}",
	    NULL,
	    "error: Expiration \"\" in its output is not an ISO 8601 time "
	    "such as 2030-01-01T00:00:00Z; leave it out for keys that do "
	    "not expire",
	    "empty expiration");
	check_output("{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		     "5}",
	    NULL, "error: SecretAccessKey in its output is not a string",
	    "secret of the wrong type");
	check_output("invalid json", NULL,
	    "error: its output is not valid JSON; it must print one JSON "
	    "object with \"Version\": 1",
	    "garbage");
	check_output("[1]", NULL, "error: its output is not a JSON object",
	    "array");
	check_output("", NULL,
	    "error: its output is not valid JSON; it must print one JSON "
	    "object with \"Version\": 1",
	    "empty output");
}

/* --- the chain --------------------------------------------------------- */

static void
write_files(const char *config, const char *credentials)
{
	char *path;

	path = xasprintf("%s/config", scratch);
	write_file_atomic(path, config, strlen(config), 0600);
	setenv("AWS_CONFIG_FILE", path, 1);
	free(path);
	path = xasprintf("%s/credentials", scratch);
	write_file_atomic(path, credentials, strlen(credentials), 0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	free(path);
}

/* Resolves profile (NULL: from the environment) and returns "source/key"
 * or "error: message" (caller frees). */
static char *
resolve(const char *profile)
{
	struct aws_options o;
	struct aws_ctx ctx;
	struct aws_credentials c;
	struct buf out = BUF_INIT, err = BUF_INIT;

	memset(&o, 0, sizeof(o));
	o.profile = profile;
	aws_ctx_init(&ctx, &o);
	memset(&c, 0, sizeof(c));
	if (creds_resolve_chain(&ctx, &c, &err) == 0)
		buf_addf(&out, "%s/%s", c.source, c.access_key_id);
	else
		buf_addf(&out, "error: %s", err.data);
	aws_credentials_clear(&c);
	aws_ctx_free(&ctx);
	buf_free(&err);
	return buf_detach(&out);
}

static void
check_chain(const char *profile, const char *want, const char *name)
{
	char *got = resolve(profile);

	if (!ok(strstr(got, want) != NULL, "chain: %s", name))
		diag("got: %s\nwant (part of it): %s", got, want);
	free(got);
}

static void
store_role(const char *args_json, const char *access_key, double expires_in)
{
	struct buf err = BUF_INIT;
	jv args = jv_parse(args_json);
	char *key = credcache_role_key(args);
	jv doc = cache_doc(expires_in, NULL);

	doc = jv_setpath(doc, jv_parse("[\"Credentials\",\"AccessKeyId\"]"),
	    jv_string(access_key));
	credcache_store(key, doc, &err);
	jv_free(doc);
	jv_free(args);
	free(key);
	buf_free(&err);
}

static void
test_chain(void)
{
	static const char process_json[] =
	    "sh -c 'printf \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":"
	    "\\\"PROCESS\\\",\\\"SecretAccessKey\\\":\\\"s\\\"}\"'";
	char *config;

	write_files("[profile a]\nrole_arn = arn:aws:iam::1:role/a\n"
		    "source_profile = b\n"
		    "[profile b]\nrole_arn = arn:aws:iam::1:role/b\n"
		    "source_profile = a\n"
		    "[profile self]\nrole_arn = arn:aws:iam::1:role/self\n"
		    "source_profile = self\n"
		    "[profile both]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "source_profile = a\ncredential_source = Environment\n"
		    "[profile neither]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "[profile lost]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "source_profile = nowhere\n"
		    "[profile odd]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "credential_source = Laptop\n"
		    "[profile fromenv]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "credential_source = Environment\n"
		    "[profile long]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "source_profile = keys\nduration_seconds = 99\n"
		    "[profile empty]\nregion = us-east-1\n"
		    "[profile usesempty]\nrole_arn = arn:aws:iam::1:role/x\n"
		    "source_profile = empty\n"
		    "[profile tokenonly]\nsso_session = s\n"
		    "[sso-session s]\nsso_start_url = https://x/start\n"
		    "sso_region = us-east-1\n"
		    "[profile partial]\nsso_account_id = 1\n",
	    "[keys]\naws_access_key_id = AKIDKEYS\n"
	    "aws_secret_access_key = k\n"
	    "[halfkeys]\naws_access_key_id = AKIDHALF\n");
	check_chain("a",
	    "profile \"b\" (~/config): source_profile forms a loop: "
	    "a -> b -> a; end the chain at a profile with credentials",
	    "source_profile loop");
	check_chain("self", "source_profile forms a loop: self -> self",
	    "profile naming itself without keys");
	check_chain("both", "sets both source_profile and credential_source",
	    "source_profile and credential_source together");
	check_chain("neither",
	    "profile \"neither\" (~/config) sets role_arn but neither "
	    "source_profile nor credential_source",
	    "role without a source");
	check_chain("lost",
	    "names source_profile = nowhere, but there is no profile nowhere",
	    "missing source profile");
	check_chain("odd",
	    "credential_source = Laptop; expected Environment, "
	    "Ec2InstanceMetadata or EcsContainer",
	    "unknown credential_source");
	check_chain("fromenv",
	    "takes its credentials from credential_source = Environment, "
	    "which has none",
	    "credential_source Environment without keys");
	check_chain("long",
	    "invalid duration_seconds \"99\": expected seconds from 900 to "
	    "43200",
	    "duration out of range");
	check_chain("usesempty",
	    "source profile \"empty\" (named by profile \"usesempty\" in "
	    "~/config) has no credentials",
	    "source profile without credentials");
	check_chain("halfkeys",
	    "sets aws_access_key_id but not aws_secret_access_key",
	    "partial keys in the credentials file");
	check_chain("tokenonly",
	    "it sets sso_session in ~/config but not sso_account_id and "
	    "sso_role_name",
	    "sso_session alone");
	check_chain("partial",
	    "is set up for IAM Identity Center (SSO) but lacks "
	    "sso_start_url, sso_region, sso_role_name",
	    "incomplete legacy SSO profile");
	check_chain("empty", "no AWS credentials found for profile \"empty\"",
	    "profile without credentials");

	/* Environment keys win unless --profile names the profile. */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "e", 1);
	setenv("AWS_PROFILE", "keys", 1);
	check_chain(NULL, "environment/AKIDENV", "environment beats AWS_PROFILE");
	check_chain("keys", "shared-credentials-file/AKIDKEYS",
	    "--profile removes the environment");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	check_chain(NULL, "AWS_SECRET_ACCESS_KEY is missing or empty",
	    "partial environment keys stop the chain");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_PROFILE");

	/* Keys, processes and cached roles, in chain order. */
	config = xasprintf(
	    "[profile both]\naws_access_key_id = AKIDCONFIG\n"
	    "aws_secret_access_key = c\ncredential_process = false\n"
	    "[profile proc]\naws_access_key_id = AKIDCONFIG\n"
	    "aws_secret_access_key = c\ncredential_process = %s\n"
	    "[profile top]\nrole_arn = arn:aws:iam::1:role/top\n"
	    "source_profile = mid\n"
	    "[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\n"
	    "source_profile = base\n"
	    "[profile base]\nrole_arn = arn:aws:iam::1:role/ignored\n"
	    "source_profile = base\naws_access_key_id = AKIDBASE\n"
	    "aws_secret_access_key = b\n",
	    process_json);
	write_files(config, "[both]\naws_access_key_id = AKIDFILE\n"
			    "aws_secret_access_key = f\n");
	free(config);
	check_chain("both", "shared-credentials-file/AKIDFILE",
	    "credentials file beats credential_process");
	check_chain("proc", "credential-process/PROCESS",
	    "credential_process beats config file keys");
	/* Nothing listens on the endpoint: the call fails after the chain
	 * accepted the profile. */
	check_chain("base",
	    "assuming role arn:aws:iam::1:role/ignored for profile \"base\": "
	    "AssumeRole: cannot reach STS at http://127.0.0.1:9/",
	    "profile naming itself with keys assumes its role");
	store_role("{\"RoleArn\":\"arn:aws:iam::1:role/top\"}", "ASIATOP",
	    3600);
	check_chain("top", "assume-role/ASIATOP",
	    "cached top role needs no source credentials");
}

/* A long-running program refreshing MFA role credentials: from the cache
 * while it has them, never by prompting. */
static void
test_refresh_without_prompt(void)
{
	static const char args[] = "{\"RoleArn\":\"arn:aws:iam::1:role/m\","
				   "\"SerialNumber\":\"arn:aws:iam::1:mfa/u\"}";
	const struct aws_credentials *c;
	struct buf err = BUF_INIT;
	struct aws_options o;
	struct aws_ctx ctx;

	write_files("[profile mfa]\nrole_arn = arn:aws:iam::1:role/m\n"
		    "source_profile = keys\nmfa_serial = arn:aws:iam::1:mfa/u\n",
	    "[keys]\naws_access_key_id = AKIDKEYS\n"
	    "aws_secret_access_key = k\n");
	store_role(args, "ASIAOLD", 480);
	memset(&o, 0, sizeof(o));
	o.profile = "mfa";
	aws_ctx_init(&ctx, &o);
	c = aws_get_credentials(&ctx, &err);
	is_str(c ? c->access_key_id : err.data, "ASIAOLD",
	    "refresh: MFA role from the cache with 8 minutes left");
	ok(c && c->refreshable, "refresh: cached role credentials refresh");

	/* Within the refresh window and the cache entry too old: the
	 * refresh needs a code, is not allowed to ask, and the credentials
	 * in hand stay in use while they last. */
	store_role(args, "ASIAOLD", 120);
	ctx.creds.expiration = now_seconds() + 120;
	buf_reset(&err);
	c = aws_get_credentials(&ctx, &err);
	is_str(c ? c->access_key_id : "none", "ASIAOLD",
	    "refresh: old credentials kept while a refresh fails");
	ok(strstr(err.data ? err.data : "",
	       "needs a new MFA code (mfa_serial arn:aws:iam::1:mfa/u), which "
	       "is not asked for while refreshing; run \"ecs-creds -p mfa\"") !=
	       NULL,
	    "refresh: no prompt, and the message says how to renew");

	/* Another process renews the cache. */
	store_role(args, "ASIANEW", 3600);
	buf_reset(&err);
	c = aws_get_credentials(&ctx, &err);
	is_str(c ? c->access_key_id : err.data, "ASIANEW",
	    "refresh: credentials renewed elsewhere are picked up");
	aws_ctx_free(&ctx);
	buf_free(&err);
}

int
main(void)
{
	char *path;

	if (!mkdtemp(scratch))
		return 1;
	setenv("HOME", scratch, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_PROFILE");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	/* Every request goes to a closed local port, once. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);

	test_cache_keys();
	test_arn_account();
	test_cache_files();
	test_split();
	test_process_output();
	test_chain();
	test_refresh_without_prompt();
	path = xasprintf("rm -rf '%s'", scratch);
	if (system(path) != 0)
		diag("cannot remove %s", scratch);
	free(path);
	return done_testing();
}
