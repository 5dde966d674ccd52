/* ecs-creds: resolves AWS credentials through the provider chain and
 * prints them, exports them to a shell, or runs a command with them. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "cli.h"
#include "creds.h"
#include "json.h"
#include "output.h"
#include "sts.h"
#include "util.h"

static const char usage[] =
    "Usage: ecs-creds [OPTIONS] [-- COMMAND [ARGS...]]\n"
    "Resolve AWS credentials as the AWS CLI v2 does and print them as one\n"
    "NDJSON record, as shell exports, or run COMMAND with them.\n"
    "\n"
    "Options:\n"
    "  -o, --output FMT        json (default), export (sh/bash/zsh "
    "export\n"
    "                          lines), env (KEY=VALUE lines) or\n"
    "                          credential-process (Version 1 JSON)\n"
    "      --export            same as -o export\n"
    "      --role-arn ARN      assume this role with the resolved\n"
    "                          credentials (with --saml-assertion: the "
    "role\n"
    "                          to assume with SAML)\n"
    "      --role-session-name NAME  session name for --role-arn\n"
    "                          (default botocore-session-UNIXTIME)\n"
    "      --external-id ID    external ID for --role-arn\n"
    "      --duration SECONDS  role session length, 900 to 43200\n"
    "      --mfa-code CODE     6-digit MFA code instead of the prompt on\n"
    "                          /dev/tty\n"
    "      --saml-assertion FILE  call AssumeRoleWithSAML with the base64\n"
    "                          assertion in FILE (- for stdin); needs\n"
    "                          --principal-arn and --role-arn\n"
    "      --principal-arn ARN the SAML identity provider's ARN\n"
    "      --no-cache          neither read nor write the AWS CLI\n"
    "                          credential cache (~/.aws/cli/cache)\n"
    "      --whoami            print the GetCallerIdentity record instead\n"
    "      --list-profiles     print one record per profile (a table on a\n"
    "                          terminal) and exit\n"
    "  -p, --profile NAME      AWS profile\n"
    "  -r, --region REGION     region for STS and for AWS_REGION\n"
    "      --endpoint-url URL  send every request to URL\n"
    "      --debug             log requests and timings to stderr "
    "(secrets\n"
    "                          are never logged)\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n"
    "\n"
    "With COMMAND, the credentials go into its environment (never its\n"
    "arguments) and ecs-creds exits with its status.\n"
    "\n"
    "Exit status: 0 success, 1 no credentials or an AWS error, 2 usage\n"
    "error; with COMMAND, its status (127: not found, 126: not "
    "runnable).\n";

enum {
	OPT_EXPORT = OPT_PROGRAM,
	OPT_ROLE_ARN,
	OPT_ROLE_SESSION_NAME,
	OPT_EXTERNAL_ID,
	OPT_DURATION,
	OPT_MFA_CODE,
	OPT_SAML_ASSERTION,
	OPT_PRINCIPAL_ARN,
	OPT_NO_CACHE,
	OPT_WHOAMI,
	OPT_LIST_PROFILES,
};

enum creds_format {
	FORMAT_JSON,
	FORMAT_EXPORT,
	FORMAT_ENV,
	FORMAT_PROCESS,
};

struct options {
	struct cli_common common;
	const char *output;
	enum creds_format format;
	const char *role_arn;
	const char *session_name;
	const char *external_id;
	long duration;
	const char *mfa_code;
	const char *saml_file;
	const char *principal_arn;
	int no_cache;
	int whoami;
	int list_profiles;
	char **command;
};

/* 2-64 characters of letters, digits and _+=,.@- as STS requires. */
static int
valid_session_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && !strchr("_+=,.@-", s[i]))
			return 0;
	return 1;
}

static enum creds_format
parse_format(const char *s)
{
	if (strcmp(s, "json") == 0)
		return FORMAT_JSON;
	if (strcmp(s, "export") == 0)
		return FORMAT_EXPORT;
	if (strcmp(s, "env") == 0)
		return FORMAT_ENV;
	if (strcmp(s, "credential-process") == 0)
		return FORMAT_PROCESS;
	die_usage("invalid output format \"%s\": expected json, export, env "
		  "or credential-process",
	    s);
}

static void
check_options(struct options *o)
{
	if (o->output)
		o->format = parse_format(o->output);
	if (!o->role_arn &&
	    (o->session_name || o->external_id || o->duration))
		die_usage("--role-session-name, --external-id and --duration "
			  "need --role-arn");
	if (o->saml_file && (!o->principal_arn || !o->role_arn))
		die_usage("--saml-assertion needs --principal-arn and "
			  "--role-arn");
	if (o->principal_arn && !o->saml_file)
		die_usage("--principal-arn needs --saml-assertion");
	if (o->saml_file && (o->session_name || o->external_id))
		die_usage("--role-session-name and --external-id do not apply "
			  "to --saml-assertion");
	if (o->whoami && o->command)
		die_usage("--whoami and a COMMAND cannot be combined");
	if ((o->whoami || o->command) && o->output &&
	    o->format != FORMAT_JSON)
		die_usage("--output applies to printed credentials, not to "
			  "--whoami or a COMMAND");
	if (o->list_profiles &&
	    (o->whoami || o->command || o->role_arn || o->saml_file))
		die_usage("--list-profiles takes no other action");
	if (o->list_profiles && o->output && o->format != FORMAT_JSON)
		die_usage("--list-profiles prints json records (or a table on "
			  "a terminal); --output %s does not apply",
		    o->output);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    CLI_COMMON_LONG,
	    {"output", required_argument, NULL, 'o'},
	    {"export", no_argument, NULL, OPT_EXPORT},
	    {"role-arn", required_argument, NULL, OPT_ROLE_ARN},
	    {"role-session-name", required_argument, NULL,
		OPT_ROLE_SESSION_NAME},
	    {"external-id", required_argument, NULL, OPT_EXTERNAL_ID},
	    {"duration", required_argument, NULL, OPT_DURATION},
	    {"mfa-code", required_argument, NULL, OPT_MFA_CODE},
	    {"saml-assertion", required_argument, NULL, OPT_SAML_ASSERTION},
	    {"principal-arn", required_argument, NULL, OPT_PRINCIPAL_ARN},
	    {"no-cache", no_argument, NULL, OPT_NO_CACHE},
	    {"whoami", no_argument, NULL, OPT_WHOAMI},
	    {"list-profiles", no_argument, NULL, OPT_LIST_PROFILES},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	/* '+': the first word that is not an option starts COMMAND, whose
	 * own options are left alone. */
	while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORT "o:",
		    longopts, NULL)) != -1) {
		if (cli_common_option(&o->common, c, optarg, usage))
			continue;
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_EXPORT:
			o->output = "export";
			break;
		case OPT_ROLE_ARN:
			if (!str_starts_with(optarg, "arn:"))
				die_usage("invalid --role-arn \"%s\": expected "
					  "an ARN such as "
					  "arn:aws:iam::123456789012:role/ops",
				    optarg);
			o->role_arn = optarg;
			break;
		case OPT_ROLE_SESSION_NAME:
			if (!valid_session_name(optarg))
				die_usage("invalid --role-session-name \"%s\": "
					  "expected 2 to 64 letters, digits "
					  "or _+=,.@-",
				    optarg);
			o->session_name = optarg;
			break;
		case OPT_EXTERNAL_ID:
			if (strlen(optarg) < 2 || strlen(optarg) > 1224)
				die_usage("invalid --external-id: expected 2 "
					  "to 1224 characters");
			o->external_id = optarg;
			break;
		case OPT_DURATION:
			if (parse_long(optarg, 900, 43200, &o->duration) < 0)
				die_usage("invalid --duration \"%s\": expected "
					  "seconds from 900 to 43200",
				    optarg);
			break;
		case OPT_MFA_CODE:
			if (strlen(optarg) != 6 ||
			    strspn(optarg, "0123456789") != 6)
				die_usage("invalid --mfa-code: expected the 6 "
					  "digits the MFA device shows");
			o->mfa_code = optarg;
			break;
		case OPT_SAML_ASSERTION:
			o->saml_file = optarg;
			break;
		case OPT_PRINCIPAL_ARN:
			if (!str_starts_with(optarg, "arn:"))
				die_usage("invalid --principal-arn \"%s\": "
					  "expected the identity provider's "
					  "ARN, such as "
					  "arn:aws:iam::123456789012:"
					  "saml-provider/okta",
				    optarg);
			o->principal_arn = optarg;
			break;
		case OPT_NO_CACHE:
			o->no_cache = 1;
			break;
		case OPT_WHOAMI:
			o->whoami = 1;
			break;
		case OPT_LIST_PROFILES:
			o->list_profiles = 1;
			break;
		default:
			die_usage("unexpected option");
		}
	}
	if (optind < argc)
		o->command = argv + optind;
	check_options(o);
}

/* --- --list-profiles --------------------------------------------------- */

static jv
string_or_null(const char *s)
{
	return s && *s ? jv_string(s) : jv_null();
}

static void
list_profiles(const struct options *o)
{
	static const struct table_column columns[] = {
	    {"PROFILE", 1, 0},
	    {"REGION", 0, 0},
	    {"SOURCE", 0, 0},
	    {"ROLE ARN", 1, 0},
	};
	struct aws_ctx ctx;
	struct buf err = BUF_INIT;
	struct table *table = NULL;
	const char **names;
	size_t i, n;

	/* Only the files are needed; an AWS_PROFILE naming a profile that
	 * does not exist must not stop the listing. */
	memset(&ctx, 0, sizeof(ctx));
	config_init(&ctx.config);
	if (config_load(&ctx.config, &err) < 0)
		die("%s", err.data);
	if (!o->output && output_default() == OUTPUT_TABLE)
		table = table_new(columns, 4);
	n = config_profile_names(&ctx.config, &names);
	for (i = 0; i < n; i++) {
		const char *region = config_profile_get(&ctx.config, names[i],
		    "region");
		const char *role = config_profile_get(&ctx.config, names[i],
		    "role_arn");
		const char *source = creds_profile_source(&ctx, names[i]);
		jv rec;

		if (table) {
			const char *cells[] = {names[i], region, source, role};

			table_add(table, cells, NULL);
			continue;
		}
		rec = jv_object_set(jv_object(), jv_string("kind"),
		    jv_string("profile"));
		rec = jv_object_set(rec, jv_string("name"),
		    jv_string(names[i]));
		rec = jv_object_set(rec, jv_string("region"),
		    string_or_null(region));
		rec = jv_object_set(rec, jv_string("source"),
		    string_or_null(source));
		rec = jv_object_set(rec, jv_string("roleArn"),
		    string_or_null(role));
		rec = jv_object_set(rec, jv_string("sourceProfile"),
		    string_or_null(config_profile_get(&ctx.config, names[i],
			"source_profile")));
		out_record(rec);
	}
	if (table) {
		table_print(table, terminal_columns(), output_color_enabled());
		table_free(table);
	}
	out_flush();
	config_free(&ctx.config);
	buf_free(&err);
}

/* --- resolving --------------------------------------------------------- */

/* Reads the base64 SAML assertion from path ("-": stdin) into out. */
static void
read_saml_assertion(const char *path, struct buf *out)
{
	struct buf decoded = BUF_INIT;
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	size_t start = 0;

	if (read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, out) < 0)
		die("cannot read the SAML assertion from %s: %s", name,
		    strerror(errno));
	while (start < out->len && strchr(" \t\r\n", out->data[start]))
		start++;
	buf_consume(out, start);
	while (out->len > 0 && strchr(" \t\r\n", out->data[out->len - 1]))
		out->data[--out->len] = '\0';
	if (out->len == 0)
		die("the SAML assertion from %s is empty", name);
	if (out->data[0] == '<')
		die("the SAML assertion from %s is XML; pass the base64 "
		    "SAMLResponse value the identity provider posts instead",
		    name);
	if (out->len < 4 || out->len > 100000 ||
	    base64_decode(out->data, out->len, &decoded) < 0)
		die("the SAML assertion from %s is not base64 text of 4 to "
		    "100000 characters",
		    name);
	buf_free_secret(&decoded);
}

static void
assume_with_saml(struct aws_ctx *ctx, const struct options *o,
    struct aws_credentials *out)
{
	struct sts_role_request r;
	struct buf assertion = BUF_INIT, err = BUF_INIT;

	read_saml_assertion(o->saml_file, &assertion);
	memset(&r, 0, sizeof(r));
	r.operation = "AssumeRoleWithSAML";
	r.role_arn = o->role_arn;
	r.principal_arn = o->principal_arn;
	r.saml_assertion = assertion.data;
	r.duration_seconds = o->duration;
	if (sts_assume(ctx, NULL, &r, out, NULL, &err) < 0)
		die("assuming role %s with SAML: %s", o->role_arn, err.data);
	out->source = "saml";
	buf_free_secret(&assertion);
	buf_free(&err);
}

/* --role-arn on top of the chain. The profile's mfa_serial is sent when
 * the profile has no role of its own to use it for. */
static void
assume_on_top(struct aws_ctx *ctx, const struct options *o,
    const struct aws_credentials *base, struct aws_credentials *out)
{
	struct sts_role_request r;
	struct buf err = BUF_INIT;

	memset(&r, 0, sizeof(r));
	r.operation = "AssumeRole";
	r.role_arn = o->role_arn;
	r.role_session_name = o->session_name;
	r.external_id = o->external_id;
	r.duration_seconds = o->duration;
	if (!config_profile_get(&ctx->config, ctx->profile, "role_arn"))
		r.serial_number = config_profile_get(&ctx->config,
		    ctx->profile, "mfa_serial");
	if (r.serial_number && !*r.serial_number)
		r.serial_number = NULL;
	if (creds_assume_role(ctx, base, &r, NULL, out, &err) < 0)
		die("%s", err.data);
	buf_free(&err);
}

static void
resolve(struct aws_ctx *ctx, const struct options *o,
    struct aws_credentials *out)
{
	const struct aws_credentials *base;
	struct buf err = BUF_INIT;

	if (o->saml_file) {
		assume_with_saml(ctx, o, out);
		return;
	}
	base = aws_get_credentials(ctx, &err);
	if (!base)
		die("%s", err.data);
	if (o->role_arn)
		assume_on_top(ctx, o, base, out);
	else
		aws_credentials_copy(out, base);
	buf_free(&err);
}

/* --- output ------------------------------------------------------------ */

static void
shell_quote(const char *s, struct buf *out)
{
	buf_addc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_adds(out, "'\\''");
		else
			buf_addc(out, *s);
	}
	buf_addc(out, '\'');
}

static void
add_export(struct buf *out, const char *name, const char *value)
{
	if (!value) {
		buf_addf(out, "unset %s\n", name);
		return;
	}
	buf_addf(out, "export %s=", name);
	shell_quote(value, out);
	buf_addc(out, '\n');
}

static void
add_env(struct buf *out, const char *name, const char *value)
{
	if (strchr(value, '\n'))
		die("cannot write %s as an env line: the value contains a "
		    "newline",
		    name);
	buf_addf(out, "%s=%s\n", name, value);
}

static void
format_credentials(const struct aws_ctx *ctx, const struct options *o,
    const struct aws_credentials *c, struct buf *out)
{
	char when[32] = "";
	jv rec;

	if (c->expiration)
		format_iso8601(c->expiration, when, sizeof(when));
	switch (o->format) {
	case FORMAT_EXPORT:
		add_export(out, "AWS_ACCESS_KEY_ID", c->access_key_id);
		add_export(out, "AWS_SECRET_ACCESS_KEY", c->secret_access_key);
		add_export(out, "AWS_SESSION_TOKEN", c->session_token);
		/* botocore reads this older name before AWS_SESSION_TOKEN,
		 * so a stale value would shadow the new token. */
		add_export(out, "AWS_SECURITY_TOKEN", NULL);
		add_export(out, "AWS_CREDENTIAL_EXPIRATION",
		    *when ? when : NULL);
		if (ctx->region)
			add_export(out, "AWS_REGION", ctx->region);
		return;
	case FORMAT_ENV:
		add_env(out, "AWS_ACCESS_KEY_ID", c->access_key_id);
		add_env(out, "AWS_SECRET_ACCESS_KEY", c->secret_access_key);
		if (c->session_token)
			add_env(out, "AWS_SESSION_TOKEN", c->session_token);
		if (*when)
			add_env(out, "AWS_CREDENTIAL_EXPIRATION", when);
		if (ctx->region)
			add_env(out, "AWS_REGION", ctx->region);
		return;
	case FORMAT_PROCESS:
		rec = jv_object_set(jv_object(), jv_string("Version"),
		    jv_number(1));
		rec = jv_object_set(rec, jv_string("AccessKeyId"),
		    jv_string(c->access_key_id));
		rec = jv_object_set(rec, jv_string("SecretAccessKey"),
		    jv_string(c->secret_access_key));
		if (c->session_token)
			rec = jv_object_set(rec, jv_string("SessionToken"),
			    jv_string(c->session_token));
		if (*when)
			rec = jv_object_set(rec, jv_string("Expiration"),
			    jv_string(when));
		if (c->account_id)
			rec = jv_object_set(rec, jv_string("AccountId"),
			    jv_string(c->account_id));
		break;
	case FORMAT_JSON:
		rec = jv_object_set(jv_object(), jv_string("kind"),
		    jv_string("credentials"));
		rec = jv_object_set(rec, jv_string("profile"),
		    jv_string(ctx->profile));
		rec = jv_object_set(rec, jv_string("region"),
		    string_or_null(ctx->region));
		rec = jv_object_set(rec, jv_string("source"),
		    string_or_null(c->source));
		rec = jv_object_set(rec, jv_string("AccessKeyId"),
		    jv_string(c->access_key_id));
		rec = jv_object_set(rec, jv_string("SecretAccessKey"),
		    jv_string(c->secret_access_key));
		rec = jv_object_set(rec, jv_string("SessionToken"),
		    string_or_null(c->session_token));
		rec = jv_object_set(rec, jv_string("Expiration"),
		    string_or_null(when));
		rec = jv_object_set(rec, jv_string("AccountId"),
		    string_or_null(c->account_id));
		break;
	}
	json_dump(rec, out);
	buf_addc(out, '\n');
	jv_free(rec);
}

/* Writes the whole text at once, so that an error never leaves part of
 * the credentials on stdout. */
static void
write_stdout(struct buf *text)
{
	if (write_all(STDOUT_FILENO, text->data, text->len) < 0)
		die("write to stdout failed: %s", strerror(errno));
}

static void
print_identity(struct aws_ctx *ctx, const struct aws_credentials *c)
{
	struct buf err = BUF_INIT;
	jv id, rec;

	if (sts_get_caller_identity(ctx, c, &id, &err) < 0)
		die("%s", err.data);
	rec = jv_object_set(jv_object(), jv_string("kind"),
	    jv_string("callerIdentity"));
	rec = jv_object_set(rec, jv_string("profile"),
	    jv_string(ctx->profile));
	rec = jv_object_merge(rec, id);
	out_record(rec);
	out_flush();
	buf_free(&err);
}

static void
set_or_unset(const char *name, const char *value)
{
	if (value ? setenv(name, value, 1) : unsetenv(name))
		die("cannot set %s in the environment: %s", name,
		    strerror(errno));
}

/* Replaces this process with COMMAND, the credentials in its
 * environment. Returns only when the exec failed, with its exit code. */
static int
run_command(const struct aws_ctx *ctx, char **command,
    struct aws_credentials *c)
{
	char when[32] = "";

	if (c->expiration)
		format_iso8601(c->expiration, when, sizeof(when));
	set_or_unset("AWS_ACCESS_KEY_ID", c->access_key_id);
	set_or_unset("AWS_SECRET_ACCESS_KEY", c->secret_access_key);
	set_or_unset("AWS_SESSION_TOKEN", c->session_token);
	set_or_unset("AWS_SECURITY_TOKEN", NULL);
	set_or_unset("AWS_CREDENTIAL_EXPIRATION", *when ? when : NULL);
	if (ctx->region)
		set_or_unset("AWS_REGION", ctx->region);
	aws_credentials_clear(c);
	fflush(NULL);
	execvp(command[0], command);
	error("cannot run %s: %s", command[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

int
main(int argc, char **argv)
{
	struct aws_credentials creds;
	struct aws_options ao;
	struct aws_ctx ctx;
	struct options o;
	struct buf text = BUF_INIT;
	int status = EXIT_OK;

	cli_setup(argc, argv);
	parse_options(argc, argv, &o);
	if (o.list_profiles) {
		list_profiles(&o);
		return EXIT_OK;
	}
	cli_aws_options(&o.common, &ao);
	aws_ctx_init(&ctx, &ao);
	ctx.mfa_code = o.mfa_code;
	ctx.no_cache = o.no_cache;

	memset(&creds, 0, sizeof(creds));
	resolve(&ctx, &o, &creds);
	if (o.whoami)
		print_identity(&ctx, &creds);
	else if (o.command)
		status = run_command(&ctx, o.command, &creds);
	else {
		format_credentials(&ctx, &o, &creds, &text);
		write_stdout(&text);
	}
	buf_free_secret(&text);
	aws_credentials_clear(&creds);
	aws_ctx_free(&ctx);
	return status;
}
