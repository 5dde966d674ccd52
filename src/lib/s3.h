/* The two S3 calls the tools need to read objects: ListObjectsV2, one page
 * at a time, and GetObject of a byte range. Requests use path-style URLs
 * ("/BUCKET/KEY"), which work against the regional endpoint and local
 * fakes alike. Calls are synchronous on the aws_ctx's HTTP client; other
 * requests in flight keep running meanwhile. */
#ifndef ECS_S3_H
#define ECS_S3_H

#include <stddef.h>
#include <stdint.h>

#include "aws.h"
#include "buf.h"

struct s3_object {
	char *key;
	int64_t last_modified_ms;
	long long size;
	char *etag;
};

struct s3_list_page {
	struct s3_object *objects;
	size_t n;
	char *next_token;	/* NextContinuationToken; NULL on the last */
};

void s3_list_page_free(struct s3_list_page *page);
/* Lists one page of keys under prefix, starting at token (NULL for the
 * first). Returns 0, or -1 after printing the error. */
int s3_list_objects(struct aws_ctx *ctx, const char *region,
    const char *bucket, const char *prefix, const char *token,
    struct s3_list_page *page);
/* Appends bytes [offset, offset + len) of an object to out. Returns 0, or
 * -1 after printing the error. */
int s3_get_range(struct aws_ctx *ctx, const char *region, const char *bucket,
    const char *key, long long offset, long long len, struct buf *out);

#endif
