/* The credential provider chain, in the AWS CLI v2 order, and the
 * providers that read keys from the environment, the files and
 * credential_process. */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "creds-chain.h"
#include "creds.h"
#include "metadata.h"
#include "process.h"
#include "sso.h"
#include "util.h"

void
aws_credentials_clear(struct aws_credentials *c)
{
	free_secret(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	free(c->account_id);
	memset(c, 0, sizeof(*c));
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

void
aws_credentials_copy(struct aws_credentials *dst,
    const struct aws_credentials *src)
{
	dst->access_key_id = dup_or_null(src->access_key_id);
	dst->secret_access_key = dup_or_null(src->secret_access_key);
	dst->session_token = dup_or_null(src->session_token);
	dst->account_id = dup_or_null(src->account_id);
	dst->expiration = src->expiration;
	dst->source = src->source;
	dst->refreshable = src->refreshable;
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *
chain_profile_value(struct aws_ctx *ctx, const char *profile,
    const char *key)
{
	const char *v = config_profile_get(&ctx->config, profile, key);

	return v && *v ? v : NULL;
}

const char *
chain_profile_file(struct aws_ctx *ctx, const char *profile,
    const char *key)
{
	const struct config_property *p;

	p = config_profile_property(&ctx->config, profile, key);
	if (p && p->file)
		return p->file;
	return ctx->config.config_path ? ctx->config.config_path
				       : "the config file";
}

int
chain_has_role(struct aws_ctx *ctx, const char *profile)
{
	return chain_profile_value(ctx, profile, "role_arn") &&
	       !chain_profile_value(ctx, profile, "web_identity_token_file");
}

int
chain_has_static_keys(struct aws_ctx *ctx, const char *profile)
{
	return config_profile_property(&ctx->config, profile,
		   "aws_access_key_id") ||
	       config_profile_property(&ctx->config, profile,
		   "aws_secret_access_key");
}

int
chain_environment(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SECURITY_TOKEN");
	const char *exp = env_nonempty("AWS_CREDENTIAL_EXPIRATION");

	(void)ctx;
	if (!id)
		return PROVIDER_SKIP;
	if (!secret) {
		buf_adds(err, "AWS_ACCESS_KEY_ID is set but "
			      "AWS_SECRET_ACCESS_KEY is missing or empty; set "
			      "both, or unset AWS_ACCESS_KEY_ID to use a "
			      "profile");
		return PROVIDER_FAILED;
	}
	if (!token)
		token = env_nonempty("AWS_SESSION_TOKEN");
	if (exp && parse_iso8601(exp, &out->expiration) < 0) {
		buf_addf(err, "invalid AWS_CREDENTIAL_EXPIRATION \"%s\": "
			      "expected an ISO 8601 time such as "
			      "2030-01-01T00:00:00Z",
		    exp);
		return PROVIDER_FAILED;
	}
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = dup_or_null(token);
	out->account_id = dup_or_null(env_nonempty("AWS_ACCOUNT_ID"));
	out->source = "environment";
	return PROVIDER_FOUND;
}

/* A key of the profile's section in one of the two files only. */
static const struct config_property *
file_property(struct aws_ctx *ctx, enum config_file_kind kind,
    const char *profile, const char *key)
{
	const struct config *cfg = &ctx->config;
	size_t i, j;

	for (i = 0; i < cfg->n_sections; i++) {
		const struct config_section *sec = &cfg->sections[i];

		if (sec->kind != SECTION_PROFILE || sec->source != kind ||
		    strcmp(sec->name, profile) != 0)
			continue;
		for (j = 0; j < sec->n_props; j++)
			if (strcmp(sec->props[j].name, key) == 0)
				return &sec->props[j];
	}
	return NULL;
}

/* Static keys of a profile in one file: the credentials file comes before
 * credential_process in the chain, the config file after it. */
static int
from_file_keys(struct aws_ctx *ctx, const char *profile,
    enum config_file_kind kind, struct aws_credentials *out,
    struct buf *err)
{
	const struct config_property *id, *secret, *token, *account;

	id = file_property(ctx, kind, profile, "aws_access_key_id");
	if (!id || !*id->value)
		return PROVIDER_SKIP;
	secret = file_property(ctx, kind, profile, "aws_secret_access_key");
	if (!secret || !*secret->value) {
		buf_addf(err, "profile \"%s\" in %s sets aws_access_key_id "
			      "but not aws_secret_access_key; add the secret "
			      "key or remove the access key",
		    profile, id->file ? id->file : "the config files");
		return PROVIDER_FAILED;
	}
	token = file_property(ctx, kind, profile, "aws_session_token");
	if (!token || !*token->value)
		token = file_property(ctx, kind, profile, "aws_security_token");
	account = file_property(ctx, kind, profile, "aws_account_id");
	out->access_key_id = xstrdup(id->value);
	out->secret_access_key = xstrdup(secret->value);
	out->session_token = token ? dup_or_null(token->value) : NULL;
	out->account_id = account ? dup_or_null(account->value) : NULL;
	out->source = kind == CREDENTIALS_FILE ? "shared-credentials-file"
					       : "config-file";
	return PROVIDER_FOUND;
}

static int
process_timeout(double *seconds, struct buf *err)
{
	const char *v = env_nonempty("ECS_CREDENTIAL_PROCESS_TIMEOUT");
	long n;

	*seconds = PROCESS_DEFAULT_TIMEOUT;
	if (!v)
		return 0;
	if (parse_long(v, 1, 86400, &n) < 0) {
		buf_addf(err, "invalid ECS_CREDENTIAL_PROCESS_TIMEOUT \"%s\": "
			      "expected seconds from 1 to 86400",
		    v);
		return -1;
	}
	*seconds = (double)n;
	return 0;
}

static int
from_process(struct aws_ctx *ctx, const char *profile,
    struct aws_credentials *out, struct buf *err)
{
	const char *cmd = chain_profile_value(ctx, profile,
	    "credential_process");
	struct buf why = BUF_INIT;
	double timeout;

	if (!cmd)
		return PROVIDER_SKIP;
	if (process_timeout(&timeout, err) < 0)
		return PROVIDER_FAILED;
	aws_debug(ctx, "running credential_process of profile %s", profile);
	if (process_credentials(cmd, timeout,
		chain_profile_value(ctx, profile, "aws_account_id"), out,
		&why) < 0) {
		buf_addf(err, "credential_process of profile \"%s\" (%s): %s",
		    profile,
		    chain_profile_file(ctx, profile, "credential_process"),
		    why.data);
		buf_free(&why);
		return PROVIDER_FAILED;
	}
	buf_free(&why);
	out->source = "credential-process";
	return PROVIDER_FOUND;
}

int
chain_profile_providers(struct chain *ch, const char *profile, int use_env,
    struct aws_credentials *out, struct buf *err)
{
	struct aws_ctx *ctx = ch->ctx;
	int rc;

	rc = chain_web_identity(ch, profile, use_env, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	if (sso_configured(ctx, profile))
		return sso_credentials(ctx, profile, out, err) == 0
			   ? PROVIDER_FOUND
			   : PROVIDER_FAILED;
	rc = from_file_keys(ctx, profile, CREDENTIALS_FILE, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	rc = from_process(ctx, profile, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	return from_file_keys(ctx, profile, CONFIG_FILE, out, err);
}

static int
from_machine(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	struct buf why = BUF_INIT;
	int rc;

	if (container_configured()) {
		if (container_credentials(ctx, out, err) < 0)
			return PROVIDER_FAILED;
		out->source = "container";
		return PROVIDER_FOUND;
	}
	if (!imds_enabled())
		return PROVIDER_SKIP;
	rc = imds_credentials(ctx, out, &why);
	if (rc == 0) {
		out->source = "imds";
	} else if (rc > 0) {
		aws_debug(ctx, "no credentials from EC2 instance metadata: %s",
		    why.data);
		rc = PROVIDER_SKIP;
	} else {
		buf_adds(err, why.data);
		rc = PROVIDER_FAILED;
	}
	buf_free(&why);
	return rc;
}

static void
no_credentials(struct aws_ctx *ctx, struct buf *err)
{
	const char *profile = ctx->profile;

	buf_addf(err, "no AWS credentials found for profile \"%s\"", profile);
	/* An sso_session alone makes a profile that yields SSO access
	 * tokens, which other AWS tools use, but no role credentials. */
	if (chain_profile_value(ctx, profile, "sso_session") &&
	    !sso_configured(ctx, profile)) {
		buf_addf(err, ": it sets sso_session in %s but not "
			      "sso_account_id and sso_role_name, so it would "
			      "resolve an SSO access token instead of "
			      "credentials; add those two keys",
		    chain_profile_file(ctx, profile, "sso_session"));
		return;
	}
	buf_addf(err, ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
		      "give the profile keys, role_arn, sso_* settings or "
		      "credential_process in %s or %s",
	    ctx->config.config_path ? ctx->config.config_path
				    : "~/.aws/config",
	    ctx->config.credentials_path ? ctx->config.credentials_path
					 : "~/.aws/credentials");
}

const char *
creds_profile_source(struct aws_ctx *ctx, const char *profile)
{
	if (chain_has_role(ctx, profile))
		return "assume-role";
	if (chain_profile_value(ctx, profile, "web_identity_token_file"))
		return "web-identity";
	if (sso_configured(ctx, profile))
		return "sso";
	if (file_property(ctx, CREDENTIALS_FILE, profile, "aws_access_key_id"))
		return "shared-credentials-file";
	if (chain_profile_value(ctx, profile, "credential_process"))
		return "credential-process";
	if (file_property(ctx, CONFIG_FILE, profile, "aws_access_key_id"))
		return "config-file";
	if (chain_profile_value(ctx, profile, "sso_session"))
		return "sso-token";
	return NULL;
}

int
creds_resolve_chain(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	struct chain ch;
	int rc;

	memset(&ch, 0, sizeof(ch));
	ch.ctx = ctx;
	ch.visited[ch.n_visited++] = ctx->profile;
	/* A refresh in a long-running program must not stop to ask for an
	 * MFA code: its terminal may be in use (an exec session). */
	ch.allow_prompt = !ctx->have_creds;

	/* An explicit --profile removes the environment from the chain. */
	if (!ctx->profile_explicit) {
		rc = chain_environment(ctx, out, err);
		if (rc != PROVIDER_SKIP)
			return rc;
	}
	if (chain_has_role(ctx, ctx->profile))
		return chain_assume_role_profile(&ch, ctx->profile, out, err);
	rc = chain_profile_providers(&ch, ctx->profile, !ctx->profile_explicit,
	    out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	rc = from_machine(ctx, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	no_credentials(ctx, err);
	return PROVIDER_FAILED;
}
