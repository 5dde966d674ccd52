/* AWS Signature Version 4: header signing and presigned URLs.
 *
 * The caller passes the request as it will go on the wire. The path and
 * query are the raw, already percent-encoded wire forms; the signer encodes
 * them once more for every service but S3, as the AWS signers do. Nothing
 * here allocates on behalf of the caller except the struct sigv4_result
 * buffers, which sigv4_result_free releases. */
#ifndef ECS_SIGV4_H
#define ECS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *path;	/* wire path, e.g. "/a%20b/c"; "" means "/" */
	const char *query;	/* wire query without '?', or NULL */
	const struct sigv4_header *headers;	/* must include Host */
	size_t n_headers;
	const void *body;
	size_t body_len;
};

struct sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL or "" for long-term keys */
	const char *region;
	const char *service;		/* signing name: ecs, logs, sts, s3 */
	time_t time;			/* signing time, UTC epoch seconds */
	int s3;			/* S3 rules: no path normalisation, single
				   encoding, x-amz-content-sha256 sent */
	int normalize_path;	/* remove "." and ".." and repeated slashes;
				   ignored when s3 is set */
	int sign_body_hash;	/* add x-amz-content-sha256 (always with s3) */
	int unsigned_payload;	/* payload hash "UNSIGNED-PAYLOAD" (S3 only) */
	int omit_session_token;	/* token added after signing, not signed */
	long expires;		/* presign lifetime in seconds */
};

/* The headers a signer adds, to be sent with the request. */
#define SIGV4_MAX_ADDED 4

struct sigv4_result {
	struct buf canonical_request;
	struct buf string_to_sign;
	char signature[65];
	struct buf authorization;	/* header signing: Authorization value */
	struct buf presigned_query;	/* presigning: the whole query string */
	struct sigv4_header added[SIGV4_MAX_ADDED];	/* header signing */
	size_t n_added;
	char amz_date[17];		/* "20150830T123600Z" */
	char payload_hash[65];
};

/* Signs with an Authorization header. Returns 0, or -1 with a message in
 * err (for a request the signer cannot represent). */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
    struct sigv4_result *out, struct buf *err);
/* Builds a presigned URL query (X-Amz-Algorithm ... X-Amz-Signature),
 * keeping the request's own query parameters. */
int sigv4_presign(const struct sigv4_request *req,
    const struct sigv4_params *p, struct sigv4_result *out, struct buf *err);
void sigv4_result_free(struct sigv4_result *r);

/* Derives the signing key for one day, region and service. */
void sigv4_signing_key(const char *secret, const char *date,
    const char *region, const char *service, unsigned char key[32]);
/* Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
 * keep_slash is set), with upper-case hex, as SigV4 requires. */
void sigv4_uri_encode(const char *s, size_t len, int keep_slash,
    struct buf *out);

#endif
