/* Credentials from the machine the tools run on: the ECS or EKS container
 * credentials endpoint and the EC2 instance metadata service (IMDSv2,
 * falling back to IMDSv1).
 *
 * Both fill a clear struct aws_credentials owned by the caller, refreshable
 * and with an expiration time. Requests go through ctx's HTTP client but
 * are not AWS API calls: no signing, their own timeouts and retries. */
#ifndef ECS_METADATA_H
#define ECS_METADATA_H

#include "aws.h"

/* True when AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set. */
int container_configured(void);
/* Fetches the container credentials. Returns 0, or -1 with the reason in
 * err (an address that is not allowed, a token with a line break, an
 * endpoint that failed three times). */
int container_credentials(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err);

/* True unless AWS_EC2_METADATA_DISABLED is "true". */
int imds_enabled(void);
/* Fetches the instance role's credentials. Returns 0; 1 when the service
 * is not there or has no role (the reason in err, for --debug); -1 on a
 * configuration error or a rejected token request. */
int imds_credentials(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err);

#endif
