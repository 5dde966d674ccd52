/* AWS STS calls that produce or check credentials: AssumeRole,
 * AssumeRoleWithWebIdentity, AssumeRoleWithSAML and GetCallerIdentity.
 *
 * Every string in a request is borrowed. Results go into a clear struct
 * aws_credentials owned by the caller. The cache document (the response
 * as the AWS CLI stores it) is a new jv, which the caller frees. */
#ifndef ECS_STS_H
#define ECS_STS_H

#include <jv.h>

#include "aws.h"

struct sts_role_request {
	const char *operation;	/* AssumeRole, AssumeRoleWithWebIdentity or
				   AssumeRoleWithSAML */
	const char *role_arn;
	const char *role_session_name;	/* required except for SAML */
	const char *external_id;	/* AssumeRole */
	const char *serial_number;	/* AssumeRole with MFA */
	const char *token_code;		/* the MFA code */
	long duration_seconds;		/* 0: not sent (STS uses 3600) */
	const char *web_identity_token;
	const char *principal_arn;	/* SAML */
	const char *saml_assertion;	/* SAML, base64 */
};

/* The region STS calls go to: ctx's, else us-east-1. */
const char *sts_region(const struct aws_ctx *ctx);

/* Calls the role operation, signed with signer (AssumeRole) or unsigned
 * (the other two). Returns 0 with out filled (refreshable, account ID from
 * the assumed role ARN) and *doc set when doc is not NULL; -1 with
 * "Operation: Code: message" in err. */
int sts_assume(struct aws_ctx *ctx, const struct aws_credentials *signer,
    const struct sts_role_request *r, struct aws_credentials *out, jv *doc,
    struct buf *err);

/* GetCallerIdentity signed with creds (NULL: the ctx's). Returns 0 with
 * *identity = {"UserId", "Account", "Arn"}, or -1 with err set. */
int sts_get_caller_identity(struct aws_ctx *ctx,
    const struct aws_credentials *creds, jv *identity, struct buf *err);

#endif
