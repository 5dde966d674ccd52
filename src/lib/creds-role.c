/* Role providers of the chain: assume role from a profile (source_profile
 * chains, credential_source, MFA) and web identity, both through the AWS
 * CLI credential cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credcache.h"
#include "creds-chain.h"
#include "creds.h"
#include "metadata.h"
#include "prompt.h"
#include "sts.h"
#include "util.h"

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The cache key: the parameters sent, without the token code, and the
 * session name only when it was configured. */
static char *
role_cache_key(const struct sts_role_request *r, int name_configured)
{
	jv args = jv_object();
	char *key;

	args = jv_object_set(args, jv_string("RoleArn"),
	    jv_string(r->role_arn));
	if (name_configured)
		args = jv_object_set(args, jv_string("RoleSessionName"),
		    jv_string(r->role_session_name));
	if (r->external_id)
		args = jv_object_set(args, jv_string("ExternalId"),
		    jv_string(r->external_id));
	if (r->serial_number)
		args = jv_object_set(args, jv_string("SerialNumber"),
		    jv_string(r->serial_number));
	if (r->duration_seconds > 0)
		args = jv_object_set(args, jv_string("DurationSeconds"),
		    jv_number((double)r->duration_seconds));
	key = credcache_role_key(args);
	jv_free(args);
	return key;
}

static int
from_cache(struct aws_ctx *ctx, const char *key, const char *what,
    struct aws_credentials *out)
{
	struct buf why = BUF_INIT;
	int found = 0;

	if (!ctx->no_cache && credcache_load(key, out, &why)) {
		aws_debug(ctx, "%s from the cache (%s)", what, key);
		found = 1;
	} else if (why.len) {
		aws_debug(ctx, "%s", why.data);
	}
	buf_free(&why);
	return found;
}

static void
to_cache(struct aws_ctx *ctx, const char *key, jv doc)
{
	struct buf err = BUF_INIT;

	if (!ctx->no_cache && credcache_store(key, doc, &err) < 0)
		warning("cannot cache role credentials: %s", err.data);
	buf_free(&err);
}

static int
valid_mfa_code(const char *code)
{
	size_t i;

	for (i = 0; code[i]; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return i == 6;
}

/* The MFA code for serial: --mfa-code once, else a prompt on /dev/tty. */
static int
mfa_code(struct aws_ctx *ctx, const char *serial, const char *profile,
    int allow_prompt, struct buf *code, struct buf *err)
{
	struct buf prompt = BUF_INIT;
	int rc;

	if (ctx->mfa_code) {
		/* A code is valid for one call, so a second role that
		 * needs MFA prompts again. */
		buf_adds(code, ctx->mfa_code);
		ctx->mfa_code = NULL;
		return 0;
	}
	if (!allow_prompt) {
		/* Only refreshes in the chain, which name the profile, get
		 * here. */
		profile = profile ? profile : "default";
		buf_addf(err, "the role of profile \"%s\" needs a new MFA code "
			      "(mfa_serial %s), which is not asked for "
			      "while refreshing; run \"ecs-creds -p %s\" in "
			      "a terminal to renew the cached role "
			      "credentials",
		    profile, serial, profile);
		return -1;
	}
	buf_addf(&prompt, "Enter MFA code for %s: ", serial);
	rc = tty_prompt(prompt.data, 1, code, err);
	buf_free(&prompt);
	if (rc < 0) {
		buf_addf(err, "; pass the code with --mfa-code to ecs-creds");
		return -1;
	}
	if (!valid_mfa_code(code->data ? code->data : "")) {
		buf_addf(err, "invalid MFA code for %s: expected 6 digits",
		    serial);
		return -1;
	}
	return 0;
}

static int
assume_role(struct aws_ctx *ctx, const struct aws_credentials *signer,
    const struct sts_role_request *spec, const char *profile,
    int allow_prompt, const char *key, struct aws_credentials *out,
    struct buf *err)
{
	struct sts_role_request r = *spec;
	struct buf code = BUF_INIT, why = BUF_INIT;
	char name[64];
	jv doc = jv_invalid();
	int rc = -1;

	if (!r.role_session_name) {
		snprintf(name, sizeof(name), CREDS_DEFAULT_SESSION_PREFIX "%ld",
		    (long)now_seconds());
		r.role_session_name = name;
	}
	if (r.serial_number && !r.token_code) {
		if (mfa_code(ctx, r.serial_number, profile, allow_prompt,
			&code, err) < 0)
			goto done;
		r.token_code = code.data;
	}
	if (sts_assume(ctx, signer, &r, out, &doc, &why) < 0) {
		buf_addf(err, "assuming role %s", r.role_arn);
		if (profile)
			buf_addf(err, " for profile \"%s\"", profile);
		buf_addf(err, ": %s", why.data);
		goto done;
	}
	to_cache(ctx, key, doc);
	out->source = "assume-role";
	rc = 0;
done:
	jv_free(doc);
	buf_free_secret(&code);
	buf_free(&why);
	return rc;
}

int
creds_assume_role(struct aws_ctx *ctx, const struct aws_credentials *signer,
    const struct sts_role_request *r, const char *profile,
    struct aws_credentials *out, struct buf *err)
{
	char *key = role_cache_key(r, r->role_session_name != NULL);
	int rc = 0;

	if (from_cache(ctx, key, r->role_arn, out))
		out->source = "assume-role";
	else
		rc = assume_role(ctx, signer, r, profile, 1, key, out, err);
	free(key);
	return rc;
}

/* --- assume role from a profile ---------------------------------------- */

static int
from_credential_source(struct chain *ch, const char *profile,
    const char *source, struct aws_credentials *out, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	struct buf why = BUF_INIT;
	int rc = PROVIDER_SKIP;

	if (strcmp(source, "Environment") == 0) {
		rc = chain_environment(ctx, out, err);
	} else if (strcmp(source, "EcsContainer") == 0) {
		if (container_configured()) {
			rc = container_credentials(ctx, out, err) == 0
				 ? PROVIDER_FOUND
				 : PROVIDER_FAILED;
			out->source = "container";
		}
	} else if (strcmp(source, "Ec2InstanceMetadata") == 0) {
		if (imds_enabled()) {
			rc = imds_credentials(ctx, out, &why);
			if (rc < 0)
				buf_adds(err, why.data);
			out->source = "imds";
		} else {
			buf_adds(&why, "AWS_EC2_METADATA_DISABLED is true");
		}
	} else {
		buf_addf(err, "profile \"%s\" (%s) has credential_source = %s; "
			      "expected Environment, Ec2InstanceMetadata or "
			      "EcsContainer",
		    profile, chain_profile_file(ctx, profile, "role_arn"),
		    source);
		rc = PROVIDER_FAILED;
	}
	if (rc == PROVIDER_SKIP || rc > 0) {
		buf_addf(err, "profile \"%s\" (%s) takes its credentials from "
			      "credential_source = %s, which has none",
		    profile, chain_profile_file(ctx, profile, "role_arn"),
		    source);
		if (why.len)
			buf_addf(err, " (%s)", why.data);
		rc = PROVIDER_FAILED;
	}
	buf_free(&why);
	return rc;
}

static void
describe_loop(struct chain *ch, const char *profile, const char *source,
    struct buf *err)
{
	size_t i;

	buf_addf(err, "profile \"%s\" (%s): source_profile forms a loop: ",
	    profile, chain_profile_file(ch->ctx, profile, "source_profile"));
	for (i = 0; i < ch->n_visited; i++)
		buf_addf(err, "%s -> ", ch->visited[i]);
	buf_addf(err, "%s; end the chain at a profile with credentials",
	    source);
}

/* Checks source_profile as botocore 1.43 does: it must exist, and may repeat
 * an earlier profile only when a profile with static keys names itself,
 * so that its keys assume its own role. */
static int
check_source_profile(struct chain *ch, const char *profile,
    const char *source, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	size_t i;

	if (!config_has_profile(&ctx->config, source)) {
		buf_addf(err, "profile \"%s\" (%s) names source_profile = %s, "
			      "but there is no profile %s",
		    profile, chain_profile_file(ctx, profile, "source_profile"),
		    source, source);
		return -1;
	}
	for (i = 0; i < ch->n_visited; i++)
		if (strcmp(ch->visited[i], source) == 0)
			break;
	if (i == ch->n_visited) {
		if (ch->n_visited == CHAIN_MAX_PROFILES) {
			buf_addf(err, "profile \"%s\": the source_profile "
				      "chain is longer than %d profiles",
			    profile, CHAIN_MAX_PROFILES);
			return -1;
		}
		ch->visited[ch->n_visited++] = source;
		return 0;
	}
	if (strcmp(source, profile) == 0 &&
	    chain_has_static_keys(ctx, profile))
		return 0;
	describe_loop(ch, profile, source, err);
	return -1;
}

static int
resolve_source_profile(struct chain *ch, const char *profile,
    const char *source, struct aws_credentials *out, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	int rc;

	/* Static keys win over the source profile's own role_arn. */
	if (chain_has_static_keys(ctx, source) || !chain_has_role(ctx, source)) {
		rc = chain_profile_providers(ch, source, 0, out, err);
		if (rc == PROVIDER_SKIP) {
			buf_addf(err, "source profile \"%s\" (named by profile "
				      "\"%s\" in %s) has no credentials",
			    source, profile,
			    chain_profile_file(ctx, profile, "source_profile"));
			rc = PROVIDER_FAILED;
		}
		return rc;
	}
	return chain_assume_role_profile(ch, source, out, err);
}

/* Reads the role settings of profile into r. Returns 0 or -1. */
static int
role_settings(struct aws_ctx *ctx, const char *profile,
    struct sts_role_request *r, struct buf *err)
{
	const char *duration;
	long n;

	memset(r, 0, sizeof(*r));
	r->operation = "AssumeRole";
	r->role_arn = chain_profile_value(ctx, profile, "role_arn");
	r->role_session_name = chain_profile_value(ctx, profile,
	    "role_session_name");
	r->external_id = chain_profile_value(ctx, profile, "external_id");
	r->serial_number = chain_profile_value(ctx, profile, "mfa_serial");
	duration = chain_profile_value(ctx, profile, "duration_seconds");
	if (duration) {
		if (parse_long(duration, 900, 43200, &n) < 0) {
			buf_addf(err, "profile \"%s\" (%s) has invalid "
				      "duration_seconds \"%s\": expected "
				      "seconds from 900 to 43200",
			    profile,
			    chain_profile_file(ctx, profile,
				"duration_seconds"),
			    duration);
			return -1;
		}
		r->duration_seconds = n;
	}
	return 0;
}

int
chain_assume_role_profile(struct chain *ch, const char *profile,
    struct aws_credentials *out, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	struct aws_credentials source_creds;
	struct sts_role_request r;
	const char *source_profile, *credential_source;
	char *key = NULL;
	int rc = PROVIDER_FAILED;

	if (role_settings(ctx, profile, &r, err) < 0)
		return PROVIDER_FAILED;
	source_profile = chain_profile_value(ctx, profile, "source_profile");
	credential_source = chain_profile_value(ctx, profile,
	    "credential_source");
	if (source_profile && credential_source) {
		buf_addf(err, "profile \"%s\" (%s) sets both source_profile "
			      "and credential_source; keep one",
		    profile, chain_profile_file(ctx, profile, "role_arn"));
		return PROVIDER_FAILED;
	}
	if (!source_profile && !credential_source) {
		buf_addf(err, "profile \"%s\" (%s) sets role_arn but neither "
			      "source_profile nor credential_source; add one "
			      "to say which credentials assume the role",
		    profile, chain_profile_file(ctx, profile, "role_arn"));
		return PROVIDER_FAILED;
	}
	if (source_profile &&
	    check_source_profile(ch, profile, source_profile, err) < 0)
		return PROVIDER_FAILED;

	/* Cached role credentials need no source credentials at all. */
	key = role_cache_key(&r, r.role_session_name != NULL);
	if (from_cache(ctx, key, r.role_arn, out)) {
		out->source = "assume-role";
		free(key);
		return PROVIDER_FOUND;
	}
	memset(&source_creds, 0, sizeof(source_creds));
	if (credential_source)
		rc = from_credential_source(ch, profile, credential_source,
		    &source_creds, err);
	else
		rc = resolve_source_profile(ch, profile, source_profile,
		    &source_creds, err);
	if (rc == PROVIDER_FOUND &&
	    assume_role(ctx, &source_creds, &r, profile, ch->allow_prompt,
		key, out, err) < 0)
		rc = PROVIDER_FAILED;
	aws_credentials_clear(&source_creds);
	free(key);
	return rc;
}

/* --- web identity ------------------------------------------------------ */

/* A setting from its environment variable (when use_env) or the profile. */
static const char *
web_identity_setting(struct aws_ctx *ctx, const char *profile, int use_env,
    const char *env, const char *key)
{
	const char *v = use_env ? env_nonempty(env) : NULL;

	return v ? v : chain_profile_value(ctx, profile, key);
}

static int
read_token_file(const char *path, struct buf *token, struct buf *err)
{
	char *full = expand_home(path);
	int rc = 0;

	if (read_file(full, token) < 0) {
		buf_addf(err, "cannot read the web identity token file %s: %s",
		    full, strerror(errno));
		rc = -1;
	}
	free(full);
	/* Editors add a final newline that STS would reject. */
	while (token->len > 0 && (token->data[token->len - 1] == '\n' ||
				     token->data[token->len - 1] == '\r' ||
				     token->data[token->len - 1] == ' '))
		token->data[--token->len] = '\0';
	if (rc == 0 && token->len == 0) {
		buf_addf(err, "the web identity token file %s is empty", path);
		rc = -1;
	}
	return rc;
}

int
chain_web_identity(struct chain *ch, const char *profile, int use_env,
    struct aws_credentials *out, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	struct sts_role_request r;
	struct buf token = BUF_INIT, why = BUF_INIT;
	const char *token_file;
	char name[64], *key;
	jv doc = jv_invalid();
	int rc = PROVIDER_FAILED;

	token_file = web_identity_setting(ctx, profile, use_env,
	    "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
	if (!token_file)
		return PROVIDER_SKIP;
	memset(&r, 0, sizeof(r));
	r.operation = "AssumeRoleWithWebIdentity";
	r.role_arn = web_identity_setting(ctx, profile, use_env,
	    "AWS_ROLE_ARN", "role_arn");
	r.role_session_name = web_identity_setting(ctx, profile, use_env,
	    "AWS_ROLE_SESSION_NAME", "role_session_name");
	if (!r.role_arn) {
		buf_addf(err, "a web identity token file is configured (%s) "
			      "but no role ARN; set role_arn in profile "
			      "\"%s\" or AWS_ROLE_ARN",
		    token_file, profile);
		return PROVIDER_FAILED;
	}
	key = role_cache_key(&r, r.role_session_name != NULL);
	if (from_cache(ctx, key, r.role_arn, out)) {
		rc = PROVIDER_FOUND;
		goto done;
	}
	/* The token is read on every call: EKS rotates the file. */
	if (read_token_file(token_file, &token, err) < 0)
		goto done;
	r.web_identity_token = token.data;
	if (!r.role_session_name) {
		snprintf(name, sizeof(name), CREDS_DEFAULT_SESSION_PREFIX "%ld",
		    (long)now_seconds());
		r.role_session_name = name;
	}
	if (sts_assume(ctx, NULL, &r, out, &doc, &why) < 0) {
		buf_addf(err, "assuming role %s with the web identity token "
			      "in %s: %s",
		    r.role_arn, token_file, why.data);
		goto done;
	}
	to_cache(ctx, key, doc);
	rc = PROVIDER_FOUND;
done:
	if (rc == PROVIDER_FOUND)
		out->source = "web-identity";
	jv_free(doc);
	buf_free_secret(&token);
	buf_free(&why);
	free(key);
	return rc;
}
