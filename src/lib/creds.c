/* The credential provider chain, in the AWS CLI v2 order. */
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "creds.h"
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

/* Provider results: found, not configured (try the next), or failed
 * (stop the chain). */
enum {
	PROVIDER_FOUND = 0,
	PROVIDER_SKIP = 1,
	PROVIDER_FAILED = -1,
};

static int
from_environment(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	const char *id = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SECURITY_TOKEN");
	const char *exp = env_nonempty("AWS_CREDENTIAL_EXPIRATION");

	/* An explicit --profile removes the environment from the chain. */
	if (ctx->profile_explicit || !id)
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

/* Static keys of a profile, from the credentials file or (after the other
 * profile providers) from the config file. */
static int
from_profile_keys(struct aws_ctx *ctx, const char *profile,
    struct aws_credentials *out, struct buf *err)
{
	const struct config_property *id, *secret, *token;

	id = config_profile_property(&ctx->config, profile,
	    "aws_access_key_id");
	if (!id || !*id->value)
		return PROVIDER_SKIP;
	secret = config_profile_property(&ctx->config, profile,
	    "aws_secret_access_key");
	if (!secret || !*secret->value) {
		buf_addf(err, "profile \"%s\" in %s sets aws_access_key_id "
			      "but not aws_secret_access_key; add the secret "
			      "key or remove the access key",
		    profile, id->file ? id->file : "the config files");
		return PROVIDER_FAILED;
	}
	token = config_profile_property(&ctx->config, profile,
	    "aws_session_token");
	if (!token || !*token->value)
		token = config_profile_property(&ctx->config, profile,
		    "aws_security_token");
	out->access_key_id = xstrdup(id->value);
	out->secret_access_key = xstrdup(secret->value);
	out->session_token = token ? dup_or_null(token->value) : NULL;
	out->account_id = dup_or_null(config_profile_get(&ctx->config,
	    profile, "aws_account_id"));
	out->source = ctx->config.credentials_path && id->file &&
			      strcmp(id->file, ctx->config.credentials_path) == 0
			  ? "shared-credentials-file"
			  : "config-file";
	return PROVIDER_FOUND;
}

int
creds_resolve_chain(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	int rc;

	rc = from_environment(ctx, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	rc = from_profile_keys(ctx, ctx->profile, out, err);
	if (rc != PROVIDER_SKIP)
		return rc;
	buf_addf(err, "no AWS credentials found for profile \"%s\": set "
		      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
		      "configure the profile in %s or %s",
	    ctx->profile,
	    ctx->config.config_path ? ctx->config.config_path
				    : "~/.aws/config",
	    ctx->config.credentials_path ? ctx->config.credentials_path
					 : "~/.aws/credentials");
	return PROVIDER_FAILED;
}
