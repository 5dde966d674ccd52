/* S3 ListObjectsV2 and ranged GetObject (see s3.h). */
#include <stdlib.h>
#include <string.h>

#include "s3.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

void
s3_list_page_free(struct s3_list_page *page)
{
	size_t i;

	for (i = 0; i < page->n; i++) {
		free(page->objects[i].key);
		free(page->objects[i].etag);
	}
	free(page->objects);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a key listed with encoding-type=url: "%XX" escapes, and '+' for
 * a space as S3 writes it. */
static char *
url_decode(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_grow(&b, len);
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
		    hex_value(s[i + 2]) >= 0) {
			buf_addc(&b, (char)(hex_value(s[i + 1]) * 16 +
					    hex_value(s[i + 2])));
			i += 2;
		} else if (s[i] == '+') {
			buf_addc(&b, ' ');
		} else {
			buf_addc(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

static void
parse_contents(const char *xml, size_t len, struct s3_object *o)
{
	struct buf v = BUF_INIT;
	double t;

	if (xml_text(xml, len, "Key", &v))
		o->key = url_decode(v.data, v.len);
	buf_reset(&v);
	if (xml_text(xml, len, "LastModified", &v) &&
	    parse_iso8601(v.data, &t) == 0)
		o->last_modified_ms = (int64_t)(t * 1000);
	buf_reset(&v);
	if (xml_text(xml, len, "Size", &v))
		o->size = strtoll(v.data, NULL, 10);
	buf_reset(&v);
	if (xml_text(xml, len, "ETag", &v))
		o->etag = xstrdup(v.data);
	buf_free(&v);
}

static void
parse_list(const char *xml, size_t len, struct s3_list_page *page)
{
	struct buf v = BUF_INIT;
	const char *inner;
	size_t pos = 0, inner_len, cap = 0;

	while (xml_find(xml, len, &pos, "Contents", &inner, &inner_len)) {
		struct s3_object o;

		memset(&o, 0, sizeof(o));
		parse_contents(inner, inner_len, &o);
		if (!o.key) {
			free(o.etag);
			continue;
		}
		if (page->n == cap) {
			cap = cap ? cap * 2 : 64;
			page->objects = xrealloc(page->objects,
			    cap * sizeof(*page->objects));
		}
		page->objects[page->n++] = o;
	}
	if (xml_text(xml, len, "IsTruncated", &v) &&
	    strcmp(v.data, "true") == 0) {
		buf_reset(&v);
		if (xml_text(xml, len, "NextContinuationToken", &v) && v.len)
			page->next_token = xstrdup(v.data);
	}
	buf_free(&v);
}

static void
query_param(struct buf *q, const char *key, const char *value)
{
	if (q->len)
		buf_addc(q, '&');
	sigv4_uri_encode(key, strlen(key), 0, q);
	buf_addc(q, '=');
	sigv4_uri_encode(value, strlen(value), 0, q);
}

int
s3_list_objects(struct aws_ctx *ctx, const char *region, const char *bucket,
    const char *prefix, const char *token, struct s3_list_page *page)
{
	struct buf path = BUF_INIT, query = BUF_INIT;
	struct aws_request *req;
	int rc = 0;

	memset(page, 0, sizeof(*page));
	buf_addc(&path, '/');
	sigv4_uri_encode(bucket, strlen(bucket), 0, &path);
	query_param(&query, "list-type", "2");
	/* Keys may hold bytes that XML 1.0 cannot carry. */
	query_param(&query, "encoding-type", "url");
	if (prefix && *prefix)
		query_param(&query, "prefix", prefix);
	if (token)
		query_param(&query, "continuation-token", token);
	req = aws_rest_request(ctx, &aws_s3, region, "ListObjectsV2", "GET",
	    path.data, query.data);
	if (aws_perform(req) < 0)
		rc = aws_report_error(req);
	else
		parse_list(req->response->data, req->response->len, page);
	aws_request_free(req);
	buf_free(&path);
	buf_free(&query);
	return rc;
}

int
s3_get_range(struct aws_ctx *ctx, const char *region, const char *bucket,
    const char *key, long long offset, long long len, struct buf *out)
{
	struct buf path = BUF_INIT, range = BUF_INIT;
	struct aws_request *req;
	int rc = 0;

	buf_addc(&path, '/');
	sigv4_uri_encode(bucket, strlen(bucket), 0, &path);
	buf_addc(&path, '/');
	sigv4_uri_encode(key, strlen(key), 1, &path);
	buf_addf(&range, "bytes=%lld-%lld", offset, offset + len - 1);
	req = aws_rest_request(ctx, &aws_s3, region, "GetObject", "GET",
	    path.data, NULL);
	aws_request_add_header(req, "Range", range.data);
	if (aws_perform(req) < 0)
		rc = aws_report_error(req);
	else
		buf_add(out, req->response->data, req->response->len);
	aws_request_free(req);
	buf_free(&path);
	buf_free(&range);
	return rc;
}
