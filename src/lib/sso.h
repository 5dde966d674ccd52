/* IAM Identity Center (SSO) role credentials for a profile, from the
 * token that "aws sso login" leaves in ~/.aws/sso/cache.
 *
 * Both profile styles work: sso_session naming an [sso-session NAME]
 * section (its token is refreshed through SSO-OIDC CreateToken and written
 * back), and the legacy sso_start_url + sso_region keys (its token cannot
 * be refreshed). Role credentials are cached in the AWS CLI's credential
 * cache unless ctx->no_cache is set. */
#ifndef ECS_SSO_H
#define ECS_SSO_H

#include "aws.h"

/* Tokens with less than this many seconds left are refreshed first. */
#define SSO_TOKEN_REFRESH_WINDOW 900

/* True when the profile sets any of sso_start_url, sso_region,
 * sso_account_id or sso_role_name. As in the AWS CLI, sso_session alone
 * only selects a token for services that take one. */
int sso_configured(struct aws_ctx *ctx, const char *profile);

/* Resolves the profile's role credentials. Returns 0 with out filled, or
 * -1 with err naming the profile, the file and, when a login is needed,
 * the command that logs in. */
int sso_credentials(struct aws_ctx *ctx, const char *profile,
    struct aws_credentials *out, struct buf *err);

#endif
