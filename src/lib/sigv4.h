/* AWS Signature Version 4: header signing and presigned URLs.
 *
 * The caller passes the request as it will go on the wire. The path and
 * query are the raw, already percent-encoded wire forms. For every service
 * but S3 the signer encodes the path once more, as the AWS signers do, and
 * S3 paths are signed encoded once. Query parameters are decoded and encoded
 * again in canonical form, and '+' counts as a literal plus sign, so build
 * queries with sigv4_uri_encode. Every header in the request is signed.
 * Nothing here allocates on behalf of the caller except the struct
 * sigv4_result buffers, which sigv4_result_free releases (and wipes, since
 * they can hold the session token). */
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

/* The headers sigv4_sign adds, to be sent with the request's own headers,
 * in this order: X-Amz-Date, X-Amz-Security-Token (when a session token is
 * set, whether signed or not), X-Amz-Content-SHA256 (with s3 or
 * sign_body_hash) and Authorization. Names are static strings. The session
 * token value is borrowed from the params, and the other values point into
 * the result. */
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

/* Signs with an Authorization header. out is overwritten, not freed
 * first. Returns 0, or -1 with a message appended to err (unless err is
 * NULL). It fails on invalid parameters and on requests it cannot
 * represent, such as a missing Host header, a header the signer adds
 * already present, or a line break in a value that is not an obsolete
 * fold. After a failure out contains nothing, and sigv4_result_free is
 * still safe to call. Header values are trimmed, inner whitespace runs
 * become one space, and repeated names are joined with ',' in request
 * order. */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
    struct sigv4_result *out, struct buf *err);
/* Builds a presigned URL query: the request's own parameters and
 * X-Amz-Algorithm ... X-Amz-SignedHeaders in canonical form, then
 * X-Amz-Signature (and X-Amz-Security-Token with omit_session_token).
 * Only the request's headers are signed. Errors as for sigv4_sign, plus an
 * expires value outside 1 to 604800 seconds or a query that already has one
 * of the X-Amz-* parameters. */
int sigv4_presign(const struct sigv4_request *req,
    const struct sigv4_params *p, struct sigv4_result *out, struct buf *err);
void sigv4_result_free(struct sigv4_result *r);

/* Derives the signing key for one day ("20150830"), region and service.
 * The caller wipes key after use. */
void sigv4_signing_key(const char *secret, const char *date,
    const char *region, const char *service, unsigned char key[32]);
/* Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (and '/' when
 * keep_slash is set), with upper-case hex, as SigV4 requires. */
void sigv4_uri_encode(const char *s, size_t len, int keep_slash,
    struct buf *out);

#endif
