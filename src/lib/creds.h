/* AWS credentials and the provider chain that finds them.
 *
 * A struct aws_credentials owns its strings; aws_credentials_clear wipes
 * and frees them. The chain follows the AWS CLI v2 order: environment,
 * assume role from the profile, web identity, IAM Identity Center (SSO),
 * the credentials file, credential_process, the config file, the container
 * endpoint, EC2 instance metadata. A provider that is configured but fails
 * stops the chain with its error. */
#ifndef ECS_CREDS_H
#define ECS_CREDS_H

#include "buf.h"

struct aws_ctx;
struct sts_role_request;

struct aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;	/* NULL for long-term keys */
	char *account_id;	/* NULL when unknown */
	double expiration;	/* epoch seconds; 0 when they do not expire */
	const char *source;	/* static name: "environment", ... */
	int refreshable;	/* resolving again can give fresh ones */
};

/* Role sessions get this name, followed by the Unix time, unless one is
 * configured, as in the AWS CLI. */
#define CREDS_DEFAULT_SESSION_PREFIX "botocore-session-"

void aws_credentials_clear(struct aws_credentials *c);
/* Deep copy of src into dst (which must be clear). */
void aws_credentials_copy(struct aws_credentials *dst,
    const struct aws_credentials *src);

/* Runs the provider chain for ctx's profile. Returns 0 with out filled, or
 * -1 with a message in err naming the provider, profile and file. An MFA
 * code is asked for on /dev/tty only while ctx has no credentials yet. A
 * refresh uses the cache, or fails with a message saying how to renew. */
int creds_resolve_chain(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err);

/* The provider the chain would use for profile, judged from its settings
 * alone: "assume-role", "web-identity", "sso", "shared-credentials-file",
 * "credential-process" or "config-file"; "sso-token" for a profile with
 * only sso_session; NULL when it has none of these. */
const char *creds_profile_source(struct aws_ctx *ctx, const char *profile);

/* Assumes r's role (operation AssumeRole) with signer's credentials
 * (borrowed), reusing the AWS CLI cache unless ctx->no_cache is set. With
 * r->serial_number set and no r->token_code, the code is ctx->mfa_code
 * (used once, then cleared) or asked for on /dev/tty. A NULL
 * r->role_session_name gets the default name. profile names the profile
 * in messages (NULL: the command line). Returns 0 or -1 with err set. */
int creds_assume_role(struct aws_ctx *ctx,
    const struct aws_credentials *signer, const struct sts_role_request *r,
    const char *profile, struct aws_credentials *out, struct buf *err);

#endif
