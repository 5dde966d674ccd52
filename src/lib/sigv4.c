/* AWS Signature Version 4: builds the canonical request, the string to sign
 * and the signature, for an Authorization header or a presigned URL. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sigv4.h"
#include "util.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* AWS rejects presigned URLs that live longer than seven days. */
#define PRESIGN_MAX_EXPIRES 604800L

/* One canonical header: all values of one name, joined with ','. */
struct canon_header {
	char *name;		/* lower case */
	struct buf value;	/* trimmed, may hold the session token */
};

struct header_list {
	struct canon_header *items;
	size_t n, cap;
};

/* One query parameter, key and value already URI-encoded. */
struct query_param {
	char *key;
	char *value;
};

struct query_list {
	struct query_param *items;
	size_t n, cap;
};

static int
fail(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	buf_adds(err, "SigV4 signing failed: ");
	va_start(ap, fmt);
	buf_vaddf(err, fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* RFC 9110 token characters, the only ones allowed in a header name. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
sigv4_uri_encode(const char *s, size_t len, int keep_slash, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	buf_grow(out, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			buf_addc(out, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_add(out, esc, 3);
		}
	}
}

/* Decodes %XX escapes. A '%' not followed by two hex digits stays as it
 * is. '+' stays a plus sign because SigV4 has no form-encoding rules. */
static void
percent_decode(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int hi = -1, lo = -1;

		if (s[i] == '%' && i + 2 < len) {
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			buf_addc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
}

/* Removes "." and ".." segments and empty segments (repeated slashes),
 * keeping a trailing slash when the path ends with one and some segment
 * is left. botocore 1.43.11 and the AWS test suite use the same rules, so
 * "/a/b/.." becomes "/a", not "/a/" as in RFC 3986. */
static void
append_normalized_path(const char *path, struct buf *out)
{
	size_t len = strlen(path), n_segments = 0, i, start;
	size_t *starts = xcalloc(len + 1, sizeof(*starts));
	size_t *lens = xcalloc(len + 1, sizeof(*lens));

	for (start = 0; start <= len; start = i + 1) {
		const char *seg = path + start;
		size_t seg_len;

		for (i = start; i < len && path[i] != '/'; i++)
			;
		seg_len = i - start;
		if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
			continue;
		if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (n_segments > 0)
				n_segments--;
			continue;
		}
		starts[n_segments] = start;
		lens[n_segments] = seg_len;
		n_segments++;
	}

	buf_addc(out, '/');
	for (i = 0; i < n_segments; i++) {
		if (i > 0)
			buf_addc(out, '/');
		buf_add(out, path + starts[i], lens[i]);
	}
	if (n_segments > 0 && len > 0 && path[len - 1] == '/')
		buf_addc(out, '/');
	free(starts);
	free(lens);
}

/* S3 signs each path segment encoded once. Decoding first makes the result
 * the same whether the caller escaped a byte or sent it raw ("~" and
 * "%7E", "$" and "%24"), and "%2F" inside a key stays "%2F".
 * NOTE: botocore signs the S3 wire path unchanged. The two agree for paths
 * built with sigv4_uri_encode, but not for needless escapes such as "%7E". */
static void
append_s3_uri(const char *path, struct buf *out)
{
	struct buf segment = BUF_INIT;
	const char *p = path;

	for (;;) {
		size_t seg_len = strcspn(p, "/");

		buf_reset(&segment);
		percent_decode(p, seg_len, &segment);
		sigv4_uri_encode(segment.data, segment.len, 0, out);
		if (p[seg_len] == '\0')
			break;
		buf_addc(out, '/');
		p += seg_len + 1;
	}
	buf_free(&segment);
}

/* Appends the canonical URI. Services other than S3 URI-encode the wire
 * path once more, so "%20" on the wire is signed as "%2520". */
static int
append_canonical_uri(const char *path, const struct sigv4_params *p,
    struct buf *out, struct buf *err)
{
	struct buf normalized = BUF_INIT;

	if (!path || !*path)
		path = "/";
	if (path[0] != '/')
		return fail(err, "request path must start with '/'");

	if (p->s3) {
		append_s3_uri(path, out);
		return 0;
	}
	if (!p->normalize_path) {
		sigv4_uri_encode(path, strlen(path), 1, out);
		return 0;
	}
	append_normalized_path(path, &normalized);
	sigv4_uri_encode(normalized.data, normalized.len, 1, out);
	buf_free(&normalized);
	return 0;
}

/* Adds a parameter given in decoded (raw) form. */
static void
query_add(struct query_list *q, const char *key, size_t key_len,
    const char *value, size_t value_len)
{
	struct buf b = BUF_INIT;

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->items = xrealloc(q->items, q->cap * sizeof(*q->items));
	}
	sigv4_uri_encode(key, key_len, 0, &b);
	q->items[q->n].key = buf_detach(&b);
	buf_grow(&b, value_len * 3);
	sigv4_uri_encode(value, value_len, 0, &b);
	q->items[q->n].value = buf_detach(&b);
	q->n++;
}

/* Splits a wire query into parameters. "a" and "a=" both become key "a"
 * with an empty value; empty pieces ("a=1&&b=2") are dropped. */
static void
query_parse(struct query_list *q, const char *query)
{
	struct buf key = BUF_INIT, value = BUF_INIT;
	const char *p = query;

	while (p && *p) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t key_len = eq ? (size_t)(eq - p) : len;

		if (len > 0) {
			buf_reset(&key);
			buf_reset(&value);
			percent_decode(p, key_len, &key);
			if (eq)
				percent_decode(eq + 1, len - key_len - 1,
				    &value);
			query_add(q, key.data ? key.data : "", key.len,
			    value.data ? value.data : "", value.len);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	buf_free_secret(&key);
	buf_free_secret(&value);
}

static int
query_param_cmp(const void *a, const void *b)
{
	const struct query_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

/* Sorts by encoded key, then by encoded value (for repeated keys), in byte
 * order, and joins the pairs as "k=v&k=v". */
static void
query_append_canonical(struct query_list *q, struct buf *out)
{
	size_t i;

	if (q->n > 1)
		qsort(q->items, q->n, sizeof(*q->items), query_param_cmp);
	for (i = 0; i < q->n; i++) {
		if (i > 0)
			buf_addc(out, '&');
		buf_adds(out, q->items[i].key);
		buf_addc(out, '=');
		buf_adds(out, q->items[i].value);
	}
}

static const struct query_param *
query_find(const struct query_list *q, const char *key)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (str_ieq(q->items[i].key, key))
			return &q->items[i];
	return NULL;
}

/* Values are wiped because a presigned query carries the session token. */
static void
query_free(struct query_list *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->items[i].key);
		free_secret(q->items[i].value);
	}
	free(q->items);
	memset(q, 0, sizeof(*q));
}

/* Appends a header value with leading and trailing whitespace removed and
 * each inner run of whitespace turned into one space, quoted text
 * included. An obsolete folded line (a line break followed by a space or
 * tab) counts as whitespace. Any other line break or control character is
 * rejected, because it could end the header early on the wire. The error
 * names the header but never shows the value, which may be a secret. */
static int
append_trimmed_value(struct buf *out, const char *name, const char *value,
    struct buf *err)
{
	const unsigned char *p = (const unsigned char *)value;
	int pending_space = 0, started = 0;

	for (; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p == '\n') {
			if (p[1] != ' ' && p[1] != '\t')
				return fail(err,
				    "header \"%s\" has a line break that is "
				    "not followed by a space or tab; "
				    "send the value on one line",
				    name);
			pending_space = 1;
			continue;
		}
		if (*p == ' ' || *p == '\t') {
			pending_space = 1;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return fail(err,
			    "header \"%s\" contains control character 0x%02x",
			    name, *p);
		if (pending_space && started)
			buf_addc(out, ' ');
		buf_addc(out, (char)*p);
		pending_space = 0;
		started = 1;
	}
	return 0;
}

/* Adds one header line. A repeated name adds its value to the earlier
 * ones, separated by ',', in the order the lines came. */
static int
header_list_add(struct header_list *h, const char *name, const char *value,
    struct buf *err)
{
	struct canon_header *hdr = NULL;
	size_t i, len = strlen(name);
	char *lower;

	if (len == 0)
		return fail(err, "a request header has an empty name");
	for (i = 0; i < len; i++)
		if (!is_tchar((unsigned char)name[i]))
			return fail(err,
			    "header name \"%s\" contains a character that "
			    "is not allowed in HTTP header names",
			    name);

	lower = xstrdup(name);
	for (i = 0; i < len; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->items[i].name, lower) == 0) {
			hdr = &h->items[i];
			break;
		}
	}
	if (hdr) {
		free(lower);
		buf_addc(&hdr->value, ',');
	} else {
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 16;
			h->items = xrealloc(h->items,
			    h->cap * sizeof(*h->items));
		}
		hdr = &h->items[h->n++];
		hdr->name = lower;
		buf_init(&hdr->value);
	}
	return append_trimmed_value(&hdr->value, name, value, err);
}

static const struct canon_header *
header_list_find(const struct header_list *h, const char *lower_name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->items[i].name, lower_name) == 0)
			return &h->items[i];
	return NULL;
}

static int
canon_header_cmp(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void
header_list_free(struct header_list *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->items[i].name);
		buf_free_secret(&h->items[i].value);
	}
	free(h->items);
	memset(h, 0, sizeof(*h));
}

/* Adds the request's headers, rejecting the ones the signer sets itself
 * (reserved, a NULL-terminated list of lower-case names) because the
 * request would then carry them twice. Host is required. */
static int
header_list_add_request(struct header_list *h,
    const struct sigv4_request *req, const char *const *reserved,
    struct buf *err)
{
	const struct canon_header *host;
	size_t i, j;

	for (i = 0; i < req->n_headers; i++) {
		const struct sigv4_header *rh = &req->headers[i];

		if (!rh->name || !rh->value)
			return fail(err, "request header %zu has no %s", i,
			    rh->name ? "value" : "name");
		for (j = 0; reserved[j]; j++)
			if (str_ieq(rh->name, reserved[j]))
				return fail(err,
				    "the request already has a \"%s\" header, "
				    "which the signer adds; remove it from "
				    "the request headers",
				    rh->name);
		if (header_list_add(h, rh->name, rh->value, err))
			return -1;
	}

	host = header_list_find(h, "host");
	if (!host || host->value.len == 0)
		return fail(err, "the request has no Host header; add the "
				 "Host header exactly as it will be sent");
	return 0;
}

/* Sorts the headers by name and writes the canonical header block (each
 * "name:value" ending in a newline) and the signed header list. */
static void
header_list_append_canonical(struct header_list *h, struct buf *block,
    struct buf *signed_headers)
{
	size_t i;

	if (h->n > 1)
		qsort(h->items, h->n, sizeof(*h->items), canon_header_cmp);
	for (i = 0; i < h->n; i++) {
		buf_adds(block, h->items[i].name);
		buf_addc(block, ':');
		buf_add(block, h->items[i].value.data, h->items[i].value.len);
		buf_addc(block, '\n');
		if (i > 0)
			buf_addc(signed_headers, ';');
		buf_adds(signed_headers, h->items[i].name);
	}
}

/* Access key IDs, region names and signing names use letters, digits, '-',
 * '_' and '.'. Anything else would corrupt the credential scope. */
static int
is_scope_part(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!is_unreserved((unsigned char)*s) || *s == '~')
			return 0;
	return 1;
}

/* The session token goes into a header or a query value, so it must be
 * printable ASCII without spaces. STS issues base64 tokens, which fit. */
static int
is_valid_token(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
check_params(const struct sigv4_params *p, struct buf *err)
{
	if (!p->access_key_id || !*p->access_key_id)
		return fail(err, "the access key ID is missing");
	if (!is_scope_part(p->access_key_id))
		return fail(err, "the access key ID contains characters other "
				 "than letters, digits, '-', '_' and '.'");
	if (!p->secret_access_key || !*p->secret_access_key)
		return fail(err, "the secret access key is missing");
	if (!p->region || !*p->region)
		return fail(err, "no region is set; set one such as us-east-1");
	if (!is_scope_part(p->region))
		return fail(err, "region \"%s\" is not a valid region name",
		    p->region);
	if (!is_scope_part(p->service))
		return fail(err, "signing name \"%s\" is missing or invalid",
		    p->service ? p->service : "");
	if (p->session_token && !is_valid_token(p->session_token))
		return fail(err, "the session token contains spaces or "
				 "characters outside printable ASCII");
	if (p->unsigned_payload && !p->s3)
		return fail(err, "an unsigned payload is only allowed for S3; "
				 "sign the body hash instead");
	return 0;
}

void
sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char key[32])
{
	static const char terminator[] = "aws4_request";
	unsigned char k_date[32], k_region[32], k_service[32];
	struct buf k_secret = BUF_INIT;

	/* Sized up front so no reallocation leaves a copy of the secret. */
	buf_grow(&k_secret, 4 + strlen(secret));
	buf_adds(&k_secret, "AWS4");
	buf_adds(&k_secret, secret);
	hmac_sha256(k_secret.data, k_secret.len, date, strlen(date), k_date);
	hmac_sha256(k_date, 32, region, strlen(region), k_region);
	hmac_sha256(k_region, 32, service, strlen(service), k_service);
	hmac_sha256(k_service, 32, terminator, strlen(terminator), key);

	buf_free_secret(&k_secret);
	secure_zero(k_date, sizeof(k_date));
	secure_zero(k_region, sizeof(k_region));
	secure_zero(k_service, sizeof(k_service));
}

/* Working state shared by header signing and presigning. */
struct signing {
	struct header_list headers;
	struct query_list query;
	struct buf uri;
	struct buf header_block;
	struct buf signed_headers;
	struct buf scope;	/* "20150830/us-east-1/service/aws4_request" */
	struct buf query_string;
};

static void
signing_init(struct signing *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->uri);
	buf_init(&s->header_block);
	buf_init(&s->signed_headers);
	buf_init(&s->scope);
	buf_init(&s->query_string);
}

static void
signing_free(struct signing *s)
{
	header_list_free(&s->headers);
	query_free(&s->query);
	buf_free(&s->uri);
	buf_free_secret(&s->header_block);
	buf_free(&s->signed_headers);
	buf_free(&s->scope);
	buf_free_secret(&s->query_string);
}

static void
result_init(struct sigv4_result *out)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->canonical_request);
	buf_init(&out->string_to_sign);
	buf_init(&out->authorization);
	buf_init(&out->presigned_query);
}

void
sigv4_result_free(struct sigv4_result *r)
{
	buf_free_secret(&r->canonical_request);
	buf_free(&r->string_to_sign);
	buf_free(&r->authorization);
	buf_free_secret(&r->presigned_query);
	r->n_added = 0;
}

/* Steps common to both modes: checks the inputs, sets the date, the
 * payload hash and the scope, and reads the request's path, headers and
 * query into s. */
static int
signing_begin(const struct sigv4_request *req, const struct sigv4_params *p,
    const char *const *reserved, struct sigv4_result *out, struct signing *s,
    struct buf *err)
{
	struct tm tm;
	size_t i;

	if (check_params(p, err))
		return -1;
	if (!req->method || !*req->method)
		return fail(err, "the request has no method");
	for (i = 0; req->method[i]; i++)
		if (!is_tchar((unsigned char)req->method[i]))
			return fail(err, "request method \"%s\" is not a valid "
					 "HTTP method",
			    req->method);
	if (req->body_len > 0 && !req->body)
		return fail(err, "the request body is NULL but its length "
				 "is %zu",
		    req->body_len);

	if (!gmtime_r(&p->time, &tm) ||
	    strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ",
		&tm) != 16)
		return fail(err, "signing time %lld is out of range",
		    (long long)p->time);
	if (p->unsigned_payload)
		strcpy(out->payload_hash, UNSIGNED_PAYLOAD);
	else
		sha256_hex(req->body ? req->body : "", req->body_len,
		    out->payload_hash);
	buf_addf(&s->scope, "%.8s/%s/%s/aws4_request", out->amz_date,
	    p->region, p->service);

	if (append_canonical_uri(req->path, p, &s->uri, err))
		return -1;
	if (header_list_add_request(&s->headers, req, reserved, err))
		return -1;
	query_parse(&s->query, req->query);
	return 0;
}

/* Builds the canonical request from s, then the string to sign and the
 * signature. The derived key is wiped before returning. */
static void
signing_finish(const struct sigv4_request *req, const struct sigv4_params *p,
    struct signing *s, struct sigv4_result *out)
{
	struct buf *creq = &out->canonical_request;
	unsigned char key[32], mac[32];
	char creq_hash[65], date[9];

	query_append_canonical(&s->query, &s->query_string);
	buf_adds(creq, req->method);
	buf_addc(creq, '\n');
	buf_add(creq, s->uri.data, s->uri.len);
	buf_addc(creq, '\n');
	buf_add(creq, s->query_string.data, s->query_string.len);
	buf_addc(creq, '\n');
	buf_add(creq, s->header_block.data, s->header_block.len);
	buf_addc(creq, '\n');
	buf_add(creq, s->signed_headers.data, s->signed_headers.len);
	buf_addc(creq, '\n');
	buf_adds(creq, out->payload_hash);

	sha256_hex(creq->data, creq->len, creq_hash);
	buf_addf(&out->string_to_sign, "%s\n%s\n%s\n%s", SIGV4_ALGORITHM,
	    out->amz_date, s->scope.data, creq_hash);

	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	sigv4_signing_key(p->secret_access_key, date, p->region, p->service,
	    key);
	hmac_sha256(key, sizeof(key), out->string_to_sign.data,
	    out->string_to_sign.len, mac);
	secure_zero(key, sizeof(key));
	hex_encode(mac, sizeof(mac), out->signature);
}

static void
result_add_header(struct sigv4_result *out, const char *name,
    const char *value)
{
	out->added[out->n_added].name = name;
	out->added[out->n_added].value = value;
	out->n_added++;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
    struct sigv4_result *out, struct buf *err)
{
	const char *reserved[5] = {"authorization", "x-amz-date"};
	int has_token = p->session_token && *p->session_token;
	int sign_token = has_token && !p->omit_session_token;
	int send_hash = p->s3 || p->sign_body_hash;
	struct signing s;
	size_t n_reserved = 2;
	int rc = -1;

	result_init(out);
	signing_init(&s);
	if (has_token)
		reserved[n_reserved++] = "x-amz-security-token";
	if (send_hash)
		reserved[n_reserved++] = "x-amz-content-sha256";
	if (signing_begin(req, p, reserved, out, &s, err))
		goto done;

	if (header_list_add(&s.headers, "X-Amz-Date", out->amz_date, err))
		goto done;
	if (sign_token && header_list_add(&s.headers, "X-Amz-Security-Token",
			      p->session_token, err))
		goto done;
	if (send_hash && header_list_add(&s.headers, "X-Amz-Content-SHA256",
			     out->payload_hash, err))
		goto done;
	header_list_append_canonical(&s.headers, &s.header_block,
	    &s.signed_headers);
	signing_finish(req, p, &s, out);

	buf_addf(&out->authorization,
	    "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
	    SIGV4_ALGORITHM, p->access_key_id, s.scope.data,
	    s.signed_headers.data, out->signature);
	result_add_header(out, "X-Amz-Date", out->amz_date);
	if (has_token)
		result_add_header(out, "X-Amz-Security-Token",
		    p->session_token);
	if (send_hash)
		result_add_header(out, "X-Amz-Content-SHA256",
		    out->payload_hash);
	result_add_header(out, "Authorization", out->authorization.data);
	rc = 0;
done:
	signing_free(&s);
	if (rc)
		sigv4_result_free(out);
	return rc;
}

int
sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
    struct sigv4_result *out, struct buf *err)
{
	static const char *const no_reserved[] = {NULL};
	static const char *const presign_keys[] = {"X-Amz-Algorithm",
	    "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
	    NULL};
	int has_token = p->session_token && *p->session_token;
	struct buf credential = BUF_INIT, expires = BUF_INIT;
	struct signing s;
	size_t i;
	int rc = -1;

	result_init(out);
	signing_init(&s);
	if (p->expires < 1 || p->expires > PRESIGN_MAX_EXPIRES) {
		fail(err, "presigned URL lifetime %ld s is outside 1 to %ld s",
		    p->expires, PRESIGN_MAX_EXPIRES);
		goto done;
	}
	if (signing_begin(req, p, no_reserved, out, &s, err))
		goto done;
	for (i = 0; presign_keys[i]; i++) {
		if (!has_token &&
		    strcmp(presign_keys[i], "X-Amz-Security-Token") == 0)
			continue;
		if (query_find(&s.query, presign_keys[i])) {
			fail(err, "the request query already has parameter "
				  "\"%s\", which the presigner adds; remove it",
			    presign_keys[i]);
			goto done;
		}
	}

	header_list_append_canonical(&s.headers, &s.header_block,
	    &s.signed_headers);
	buf_addf(&credential, "%s/%s", p->access_key_id, s.scope.data);
	buf_addf(&expires, "%ld", p->expires);
	query_add(&s.query, "X-Amz-Algorithm", 15, SIGV4_ALGORITHM,
	    strlen(SIGV4_ALGORITHM));
	query_add(&s.query, "X-Amz-Credential", 16, credential.data,
	    credential.len);
	query_add(&s.query, "X-Amz-Date", 10, out->amz_date, 16);
	query_add(&s.query, "X-Amz-Expires", 13, expires.data, expires.len);
	query_add(&s.query, "X-Amz-SignedHeaders", 19, s.signed_headers.data,
	    s.signed_headers.len);
	if (has_token && !p->omit_session_token)
		query_add(&s.query, "X-Amz-Security-Token", 20,
		    p->session_token, strlen(p->session_token));
	signing_finish(req, p, &s, out);

	buf_add(&out->presigned_query, s.query_string.data,
	    s.query_string.len);
	buf_addf(&out->presigned_query, "&X-Amz-Signature=%s", out->signature);
	if (has_token && p->omit_session_token) {
		buf_adds(&out->presigned_query, "&X-Amz-Security-Token=");
		sigv4_uri_encode(p->session_token, strlen(p->session_token), 0,
		    &out->presigned_query);
	}
	rc = 0;
done:
	buf_free(&credential);
	buf_free(&expires);
	signing_free(&s);
	if (rc)
		sigv4_result_free(out);
	return rc;
}
