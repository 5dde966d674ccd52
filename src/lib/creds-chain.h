/* Internal interface between the chain (creds.c) and the role providers
 * (creds-role.c). Not for programs: they use creds.h. */
#ifndef ECS_CREDS_CHAIN_H
#define ECS_CREDS_CHAIN_H

#include "aws.h"

/* Maximum number of profiles in one source_profile chain. */
#define CHAIN_MAX_PROFILES 32

/* Provider results: found, not configured (try the next), or failed
 * (stop the chain). */
enum {
	PROVIDER_FOUND = 0,
	PROVIDER_SKIP = 1,
	PROVIDER_FAILED = -1,
};

/* State of one resolution: the profiles entered through source_profile,
 * to detect loops, and whether an MFA prompt may be shown. */
struct chain {
	struct aws_ctx *ctx;
	const char *visited[CHAIN_MAX_PROFILES];
	size_t n_visited;
	int allow_prompt;
};

const char *chain_profile_value(struct aws_ctx *ctx, const char *profile,
    const char *key);
/* The file a profile key was read from, for messages. */
const char *chain_profile_file(struct aws_ctx *ctx, const char *profile,
    const char *key);
/* role_arn set and web_identity_token_file not: the assume-role
 * provider handles the profile. */
int chain_has_role(struct aws_ctx *ctx, const char *profile);
int chain_has_static_keys(struct aws_ctx *ctx, const char *profile);

/* creds.c */
int chain_environment(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err);
/* Web identity, SSO, credentials file, credential_process, config file:
 * the providers a source_profile is resolved with (use_env 0), and the
 * middle of the main chain (use_env unless --profile was given). */
int chain_profile_providers(struct chain *ch, const char *profile,
    int use_env, struct aws_credentials *out, struct buf *err);

/* creds-role.c */
int chain_assume_role_profile(struct chain *ch, const char *profile,
    struct aws_credentials *out, struct buf *err);
int chain_web_identity(struct chain *ch, const char *profile, int use_env,
    struct aws_credentials *out, struct buf *err);

#endif
