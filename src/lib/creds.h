/* AWS credentials and the provider chain that finds them.
 *
 * A struct aws_credentials owns its strings; aws_credentials_clear wipes
 * and frees them. The chain follows the AWS CLI v2 order; a provider that
 * is configured but fails stops the chain with its error. */
#ifndef ECS_CREDS_H
#define ECS_CREDS_H

#include "buf.h"

struct aws_ctx;

struct aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;	/* NULL for long-term keys */
	char *account_id;	/* NULL when unknown */
	double expiration;	/* epoch seconds; 0 when they do not expire */
	const char *source;	/* static name: "environment", ... */
	int refreshable;	/* resolving again can give fresh ones */
};

void aws_credentials_clear(struct aws_credentials *c);
/* Deep copy of src into dst (which must be clear). */
void aws_credentials_copy(struct aws_credentials *dst,
    const struct aws_credentials *src);

/* Runs the provider chain for ctx's profile. Returns 0 with out filled, or
 * -1 with a message in err naming the provider, profile and file. */
int creds_resolve_chain(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err);

#endif
