/* Conformance tests for the SigV4 signer: every case of the AWS test suite
 * in its botocore layout (classic) and its aws-c-auth layout, every
 * botocore-generated case, and the signer's own edge cases and errors.
 * The vectors live in t/data/sigv4. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jv.h>

#include "buf.h"
#include "sigv4.h"
#include "tap.h"
#include "util.h"

/* Inputs shared by every case of the AWS suite. */
#define ACCESS_KEY_ID "AKIDEXAMPLE"
#define SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME ((time_t)1440938160) /* 2015-08-30T12:36:00Z */
#define SUITE_REGION "us-east-1"
#define SUITE_SERVICE "service"
#define SUITE_SIGNING_KEY                                                      \
	"938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
/* The token of get-vanilla-with-session-token. The classic .req does not
 * carry it, so the test supplies it as the credential. */
#define VANILLA_SESSION_TOKEN                                                  \
	"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
/* get-vanilla's signature, which upstream copied by mistake into
 * get-vanilla-with-session-token.sreq. */
#define VANILLA_SIGNATURE                                                      \
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

/* Case counts of the copied suites, so a lost folder fails the test. */
#define CLASSIC_CASES 34
#define AWS_C_AUTH_CASES 38
#define DERIVED_CASES 9

/* A request read from the suite's raw HTTP text. */
struct http_request {
	char *method;
	char *path;
	char *query;	/* NULL without '?' */
	char **names;
	char **values;	/* raw: not trimmed, folded lines kept */
	size_t n_headers;
	struct buf body;
};

static void
http_request_free(struct http_request *r)
{
	size_t i;

	free(r->method);
	free(r->path);
	free(r->query);
	for (i = 0; i < r->n_headers; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
}

static void
http_request_add_header(struct http_request *r, const char *name,
    size_t name_len, const char *value, size_t value_len)
{
	r->names = xrealloc(r->names, (r->n_headers + 1) * sizeof(char *));
	r->values = xrealloc(r->values, (r->n_headers + 1) * sizeof(char *));
	r->names[r->n_headers] = xstrndup(name, name_len);
	r->values[r->n_headers] = xstrndup(value, value_len);
	r->n_headers++;
}

static void
http_request_remove_header(struct http_request *r, size_t i)
{
	free(r->names[i]);
	free(r->values[i]);
	memmove(r->names + i, r->names + i + 1,
	    (r->n_headers - i - 1) * sizeof(char *));
	memmove(r->values + i, r->values + i + 1,
	    (r->n_headers - i - 1) * sizeof(char *));
	r->n_headers--;
}

static ssize_t
http_request_find(const struct http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (str_ieq(r->names[i], name))
			return (ssize_t)i;
	return -1;
}

/* Parses the request line by splitting at the first and the last space,
 * so a path with a literal space (get-space) survives. */
static int
parse_request_line(const char *line, size_t len, struct http_request *r)
{
	const char *first = memchr(line, ' ', len);
	const char *last = memrchr(line, ' ', len);
	const char *target, *question;
	size_t target_len;

	if (!first || first == last)
		return -1;
	r->method = xstrndup(line, (size_t)(first - line));
	target = first + 1;
	target_len = (size_t)(last - target);
	question = memchr(target, '?', target_len);
	if (question) {
		r->path = xstrndup(target, (size_t)(question - target));
		r->query = xstrndup(question + 1,
		    target_len - (size_t)(question - target) - 1);
	} else {
		r->path = xstrndup(target, target_len);
	}
	return 0;
}

/* Parses raw HTTP request text: request line, "Name:value" lines (a line
 * starting with a space or tab continues the previous value and is kept
 * after a newline), then an optional blank line and a body. A missing
 * final newline and a trailing blank line are both accepted. */
static int
parse_http_request(const char *text, size_t len, struct http_request *r)
{
	const char *p = text, *end = text + len;
	int first = 1;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		size_t line_len = (size_t)(line_end - p);
		const char *colon;

		if (line_len > 0 && p[line_len - 1] == '\r')
			line_len--;
		if (first) {
			if (parse_request_line(p, line_len, r))
				return -1;
			first = 0;
		} else if (line_len == 0) {
			buf_add(&r->body, next, (size_t)(end - next));
			return 0;
		} else if (p[0] == ' ' || p[0] == '\t') {
			struct buf folded = BUF_INIT;
			char *prev;

			if (r->n_headers == 0)
				return -1;
			prev = r->values[r->n_headers - 1];
			buf_adds(&folded, prev);
			buf_addc(&folded, '\n');
			buf_add(&folded, p, line_len);
			free(prev);
			r->values[r->n_headers - 1] = buf_detach(&folded);
		} else {
			colon = memchr(p, ':', line_len);
			if (!colon)
				return -1;
			http_request_add_header(r, p, (size_t)(colon - p),
			    colon + 1, line_len - (size_t)(colon - p) - 1);
		}
		p = next;
	}
	return first ? -1 : 0;
}

static int
read_request_file(const char *path, struct http_request *r)
{
	struct buf text = BUF_INIT;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (read_file(path, &text) == 0)
		rc = parse_http_request(text.data ? text.data : "", text.len,
		    r);
	buf_free(&text);
	return rc;
}

/* Reads an expected-result file without its trailing newlines, which no
 * canonical request, string to sign or signature ends with. */
static int
read_expected(const char *path, struct buf *out)
{
	buf_reset(out);
	if (read_file(path, out))
		return -1;
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	return 0;
}

static const char *
added_value(const struct sigv4_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_added; i++)
		if (str_ieq(r->added[i].name, name))
			return r->added[i].value;
	return NULL;
}

/* Points sigv4_header entries at the parsed header strings. */
static struct sigv4_header *
request_headers(const struct http_request *r)
{
	struct sigv4_header *h = xcalloc(r->n_headers, sizeof(*h));
	size_t i;

	for (i = 0; i < r->n_headers; i++) {
		h[i].name = r->names[i];
		h[i].value = r->values[i];
	}
	return h;
}

static void
fill_request(struct sigv4_request *sreq, const struct http_request *req)
{
	memset(sreq, 0, sizeof(*sreq));
	sreq->method = req->method;
	sreq->path = req->path;
	sreq->query = req->query;
	sreq->headers = request_headers(req);
	sreq->n_headers = req->n_headers;
	sreq->body = req->body.data;
	sreq->body_len = req->body.len;
}

static void
suite_params(struct sigv4_params *p)
{
	memset(p, 0, sizeof(*p));
	p->access_key_id = ACCESS_KEY_ID;
	p->secret_access_key = SECRET_KEY;
	p->region = SUITE_REGION;
	p->service = SUITE_SERVICE;
	p->time = SUITE_TIME;
	p->normalize_path = 1;
	p->expires = 3600;
}

/* Asserts that the signer returned 0, printing its error otherwise.
 * Returns whether it did. */
static int
check_signed(int rc, const struct buf *err, const char *suite,
    const char *name, const char *what)
{
	if (!is_int(rc, 0, "%s %s: %s succeeds", suite, name, what)) {
		diag("error: %s", err->data ? err->data : "");
		return 0;
	}
	return 1;
}

/* Parses "20150830T123600Z". */
static int
parse_amz_date(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* The X-Amz-Security-Token value written on the last line of
 * post-sts-token/readme.txt. */
static char *
read_readme_token(const char *dir)
{
	char *path = xasprintf("%s/readme.txt", dir);
	struct buf text = BUF_INIT;
	char *token = NULL, *last;

	if (read_file(path, &text) == 0 && text.len > 0) {
		while (text.len > 0 && text.data[text.len - 1] == '\n')
			text.data[--text.len] = '\0';
		last = strrchr(text.data, '\n');
		token = xstrdup(last ? last + 1 : text.data);
	}
	buf_free(&text);
	free(path);
	return token;
}

/* Compares the Authorization header of a classic .sreq file with ours.
 * get-vanilla-with-session-token.sreq has a known upstream defect: it
 * carries get-vanilla's signature. The test asserts that copied value, so
 * the check still fails if the file changes. */
static void
check_classic_sreq(const char *path, const char *name,
    const struct sigv4_result *out)
{
	struct http_request sreq;
	const char *value = NULL, *sig;
	ssize_t i;

	if (!ok(read_request_file(path, &sreq) == 0, "classic %s: .sreq parses",
		name)) {
		http_request_free(&sreq);
		return;
	}
	i = http_request_find(&sreq, "Authorization");
	if (i >= 0)
		for (value = sreq.values[i]; *value == ' '; value++)
			;
	if (strcmp(str_last_segment(name), "get-vanilla-with-session-token")) {
		is_str(value, out->authorization.data,
		    "classic %s: .sreq Authorization", name);
	} else {
		sig = value ? strstr(value, "Signature=") : NULL;
		is_str(sig ? sig + 10 : NULL, VANILLA_SIGNATURE,
		    "classic %s: .sreq has the copied get-vanilla signature",
		    name);
	}
	http_request_free(&sreq);
}

/* Takes the signing time from the .req's X-Amz-Date header and removes
 * that header, because the signer adds it. Sets the session token for the
 * three classic cases that use one. */
static int
classic_inputs(const char *dir, const char *name, struct http_request *req,
    struct sigv4_params *p, char **token)
{
	const char *base = str_last_segment(name);
	ssize_t i;

	i = http_request_find(req, "X-Amz-Date");
	if (!ok(i >= 0 && parse_amz_date(req->values[i], &p->time) == 0,
		"classic %s: .req has a valid X-Amz-Date", name))
		return -1;
	is_int((long long)p->time, (long long)SUITE_TIME,
	    "classic %s: X-Amz-Date is the suite time", name);
	http_request_remove_header(req, (size_t)i);

	if (strcmp(base, "get-vanilla-with-session-token") == 0) {
		*token = xstrdup(VANILLA_SESSION_TOKEN);
	} else if (str_starts_with(base, "post-sts-header-")) {
		char *parent = xstrndup(dir, (size_t)(strrchr(dir, '/') - dir));

		*token = read_readme_token(parent);
		free(parent);
		if (!ok(*token != NULL, "classic %s: readme.txt has the token",
			name))
			return -1;
		p->omit_session_token =
		    strcmp(base, "post-sts-header-after") == 0;
	}
	i = http_request_find(req, "X-Amz-Security-Token");
	if (i >= 0) {
		is_str(req->values[i], *token,
		    "classic %s: .req token header matches readme.txt", name);
		http_request_remove_header(req, (size_t)i);
	}
	p->session_token = *token;
	return 0;
}

static void
run_classic_case(const char *dir, const char *name)
{
	const char *base = str_last_segment(dir);
	char *path = xasprintf("%s/%s.req", dir, base);
	struct buf expected = BUF_INIT, err = BUF_INIT;
	struct sigv4_result out;
	struct sigv4_request sreq;
	struct sigv4_params p;
	struct http_request req;
	char *token = NULL;
	int rc;

	suite_params(&p);
	if (!ok(read_request_file(path, &req) == 0, "classic %s: .req parses",
		name))
		goto done;
	if (classic_inputs(dir, name, &req, &p, &token))
		goto done;

	fill_request(&sreq, &req);
	rc = sigv4_sign(&sreq, &p, &out, &err);
	free((void *)sreq.headers);
	if (!check_signed(rc, &err, "classic", name, "signing"))
		goto done;

	free(path);
	path = xasprintf("%s/%s.creq", dir, base);
	if (ok(read_expected(path, &expected) == 0, "classic %s: .creq read",
		name))
		is_str(out.canonical_request.data, expected.data,
		    "classic %s: canonical request", name);
	free(path);
	path = xasprintf("%s/%s.sts", dir, base);
	if (ok(read_expected(path, &expected) == 0, "classic %s: .sts read",
		name))
		is_str(out.string_to_sign.data, expected.data,
		    "classic %s: string to sign", name);
	free(path);
	path = xasprintf("%s/%s.authz", dir, base);
	if (ok(read_expected(path, &expected) == 0, "classic %s: .authz read",
		name))
		is_str(out.authorization.data, expected.data,
		    "classic %s: Authorization", name);
	free(path);
	path = xasprintf("%s/%s.sreq", dir, base);
	check_classic_sreq(path, name, &out);
	if (token)
		is_str(added_value(&out, "X-Amz-Security-Token"), token,
		    "classic %s: token header is sent", name);
	sigv4_result_free(&out);
done:
	http_request_free(&req);
	buf_free(&expected);
	buf_free(&err);
	free(token);
	free(path);
}

static int
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs every folder under dir that contains NAME/NAME.req, descending into
 * group folders (normalize-path, post-sts-token). rel is the path from the
 * suite root, used in test names. Returns the number of cases run. */
static int
run_classic_dir(const char *dir, const char *rel)
{
	struct dirent **list;
	int n, i, count = 0;

	n = scandir(dir, &list, skip_dot, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		const char *entry = list[i]->d_name;
		char *sub = xasprintf("%s/%s", dir, entry);
		char *sub_rel = *rel ? xasprintf("%s/%s", rel, entry) :
				       xstrdup(entry);
		char *req = xasprintf("%s/%s.req", sub, entry);
		struct stat st;

		if (!*rel && (strcmp(entry, "aws-c-auth-v4") == 0 ||
				 strcmp(entry, "derived") == 0)) {
			/* Not classic cases: main runs these suites itself. */
		} else if (stat(req, &st) == 0) {
			run_classic_case(sub, sub_rel);
			count++;
		} else if (is_directory(sub)) {
			count += run_classic_dir(sub, sub_rel);
		}
		free(req);
		free(sub_rel);
		free(sub);
		free(list[i]);
	}
	free(list);
	return count;
}

/* JSON helpers. obj is borrowed, and the caller owns the results. */
static jv
json_get(jv obj, const char *key)
{
	if (jv_get_kind(obj) != JV_KIND_OBJECT)
		return jv_invalid();
	return jv_object_get(jv_copy(obj), jv_string(key));
}

static char *
json_string(jv obj, const char *key)
{
	jv v = json_get(obj, key);
	char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING)
		s = xstrndup(jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
	jv_free(v);
	return s;
}

static int
json_bool(jv obj, const char *key, int fallback)
{
	jv v = json_get(obj, key);
	int b = fallback;

	if (jv_get_kind(v) == JV_KIND_TRUE)
		b = 1;
	else if (jv_get_kind(v) == JV_KIND_FALSE)
		b = 0;
	jv_free(v);
	return b;
}

static jv
json_read(const char *path)
{
	struct buf text = BUF_INIT;
	jv v;

	if (read_file(path, &text)) {
		buf_free(&text);
		return jv_invalid();
	}
	v = jv_parse_sized(text.data ? text.data : "", (int)text.len);
	buf_free(&text);
	return v;
}

/* Inputs of one aws-c-auth case, read from its context.json. */
struct context {
	char *access_key_id;
	char *secret;
	char *token;
	char *region;
	char *service;
	char *timestamp;
	long expires;
	int normalize, sign_body, omit_session_token;
};

static void
context_free(struct context *c)
{
	free(c->access_key_id);
	free_secret(c->secret);
	free_secret(c->token);
	free(c->region);
	free(c->service);
	free(c->timestamp);
	memset(c, 0, sizeof(*c));
}

static int
read_context(const char *path, struct context *c)
{
	jv root = json_read(path), creds, expires;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (jv_get_kind(root) != JV_KIND_OBJECT) {
		jv_free(root);
		return -1;
	}
	creds = json_get(root, "credentials");
	c->access_key_id = json_string(creds, "access_key_id");
	c->secret = json_string(creds, "secret_access_key");
	c->token = json_string(creds, "token");
	jv_free(creds);
	c->region = json_string(root, "region");
	c->service = json_string(root, "service");
	c->timestamp = json_string(root, "timestamp");
	expires = json_get(root, "expiration_in_seconds");
	if (jv_get_kind(expires) == JV_KIND_NUMBER)
		c->expires = (long)jv_number_value(expires);
	jv_free(expires);
	c->normalize = json_bool(root, "normalize", 1);
	c->sign_body = json_bool(root, "sign_body", 0);
	c->omit_session_token = json_bool(root, "omit_session_token", 0);
	if (c->access_key_id && c->secret && c->region && c->service &&
	    c->timestamp && c->expires > 0)
		rc = 0;
	jv_free(root);
	return rc;
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Splits a query into its parameters, percent-decodes each one and sorts
 * them, so two wire forms of the same query compare equal: aws-c-auth
 * writes the UTF-8 key of get-vanilla-utf8-query raw, and the signer
 * sends it as %E1%88%B4. */
static char *
decoded_sorted_query(const char *query)
{
	const char *p = query ? query : "";
	struct buf out = BUF_INIT;
	char **params = NULL;
	size_t n = 0, i;

	while (*p) {
		size_t len = strcspn(p, "&");
		struct buf param = BUF_INIT;

		for (i = 0; i < len; i++) {
			int hi = i + 2 < len ? hex_digit(p[i + 1]) : -1;
			int lo = i + 2 < len ? hex_digit(p[i + 2]) : -1;

			if (p[i] == '%' && hi >= 0 && lo >= 0) {
				buf_addc(&param, (char)(hi << 4 | lo));
				i += 2;
			} else {
				buf_addc(&param, p[i]);
			}
		}
		params = xrealloc(params, (n + 1) * sizeof(*params));
		params[n++] = buf_detach(&param);
		p += len;
		if (*p == '&')
			p++;
	}
	if (n > 1)
		qsort(params, n, sizeof(*params), compare_strings);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&out, '&');
		buf_adds(&out, params[i]);
		free(params[i]);
	}
	free(params);
	return buf_detach(&out);
}

/* Compares got with the content of dir/file as one TAP assertion. */
static void
check_against_file(const char *dir, const char *file, const char *got,
    const char *label)
{
	char *path = xasprintf("%s/%s", dir, file);
	struct buf expected = BUF_INIT;

	if (read_expected(path, &expected))
		ok(0, "%s (%s unreadable)", label, file);
	else
		is_str(got, expected.data, "%s", label);
	buf_free(&expected);
	free(path);
}

/* Every header of the expected signed request that the input request
 * lacks must be one the signer added, with the same value, and the signer
 * must add no other. */
static void
check_added_headers(const char *suite, const char *name,
    const struct http_request *input, const struct http_request *expected,
    const struct sigv4_result *out)
{
	size_t i, n_new = 0;

	for (i = 0; i < expected->n_headers; i++) {
		if (http_request_find(input, expected->names[i]) >= 0)
			continue;
		n_new++;
		is_str(added_value(out, expected->names[i]),
		    expected->values[i], "%s %s: added header %s", suite, name,
		    expected->names[i]);
	}
	is_int((long long)out->n_added, (long long)n_new,
	    "%s %s: number of added headers", suite, name);
}

static void
check_aws_c_auth_header(const char *dir, const char *name,
    const struct http_request *req, const struct sigv4_request *sreq,
    const struct sigv4_params *p)
{
	struct buf err = BUF_INIT;
	struct http_request signed_req;
	struct sigv4_result out;
	char *label, *path;
	ssize_t i;

	if (!check_signed(sigv4_sign(sreq, p, &out, &err), &err, "aws-c-auth",
		name, "header signing")) {
		buf_free(&err);
		return;
	}
	label = xasprintf("aws-c-auth %s: header canonical request", name);
	check_against_file(dir, "header-canonical-request.txt",
	    out.canonical_request.data, label);
	free(label);
	label = xasprintf("aws-c-auth %s: header string to sign", name);
	check_against_file(dir, "header-string-to-sign.txt",
	    out.string_to_sign.data, label);
	free(label);
	label = xasprintf("aws-c-auth %s: header signature", name);
	check_against_file(dir, "header-signature.txt", out.signature, label);
	free(label);

	path = xasprintf("%s/header-signed-request.txt", dir);
	if (ok(read_request_file(path, &signed_req) == 0,
		"aws-c-auth %s: header-signed-request.txt parses", name)) {
		i = http_request_find(&signed_req, "Authorization");
		is_str(out.authorization.data,
		    i >= 0 ? signed_req.values[i] : NULL,
		    "aws-c-auth %s: Authorization", name);
		check_added_headers("aws-c-auth", name, req, &signed_req,
		    &out);
	}
	http_request_free(&signed_req);
	free(path);
	sigv4_result_free(&out);
	buf_free(&err);
}

static void
check_aws_c_auth_query(const char *dir, const char *name,
    const struct sigv4_request *sreq, const struct sigv4_params *p)
{
	struct buf err = BUF_INIT;
	struct http_request signed_req;
	struct sigv4_result out;
	char *label, *path, *got, *expected;

	if (!check_signed(sigv4_presign(sreq, p, &out, &err), &err,
		"aws-c-auth", name, "presigning")) {
		buf_free(&err);
		return;
	}
	label = xasprintf("aws-c-auth %s: query canonical request", name);
	check_against_file(dir, "query-canonical-request.txt",
	    out.canonical_request.data, label);
	free(label);
	label = xasprintf("aws-c-auth %s: query string to sign", name);
	check_against_file(dir, "query-string-to-sign.txt",
	    out.string_to_sign.data, label);
	free(label);
	label = xasprintf("aws-c-auth %s: query signature", name);
	check_against_file(dir, "query-signature.txt", out.signature, label);
	free(label);

	path = xasprintf("%s/query-signed-request.txt", dir);
	if (ok(read_request_file(path, &signed_req) == 0,
		"aws-c-auth %s: query-signed-request.txt parses", name)) {
		got = decoded_sorted_query(out.presigned_query.data);
		expected = decoded_sorted_query(signed_req.query);
		is_str(got, expected, "aws-c-auth %s: presigned query", name);
		free(got);
		free(expected);
	}
	http_request_free(&signed_req);
	free(path);
	sigv4_result_free(&out);
	buf_free(&err);
}

static void
run_aws_c_auth_case(const char *dir, const char *name)
{
	char *path = xasprintf("%s/context.json", dir);
	struct sigv4_request sreq;
	struct http_request req;
	struct sigv4_params p;
	struct context c;
	double t = 0;

	memset(&req, 0, sizeof(req));
	if (!ok(read_context(path, &c) == 0,
		"aws-c-auth %s: context.json has every input", name))
		goto done;
	if (!ok(parse_iso8601(c.timestamp, &t) == 0,
		"aws-c-auth %s: timestamp parses", name))
		goto done;
	free(path);
	path = xasprintf("%s/request.txt", dir);
	if (!ok(read_request_file(path, &req) == 0,
		"aws-c-auth %s: request.txt parses", name))
		goto done;

	memset(&p, 0, sizeof(p));
	p.access_key_id = c.access_key_id;
	p.secret_access_key = c.secret;
	p.session_token = c.token;
	p.region = c.region;
	p.service = c.service;
	p.time = (time_t)t;
	p.s3 = strcmp(c.service, "s3") == 0;
	p.normalize_path = c.normalize;
	p.sign_body_hash = c.sign_body;
	p.omit_session_token = c.omit_session_token;
	p.expires = c.expires;
	fill_request(&sreq, &req);
	check_aws_c_auth_header(dir, name, &req, &sreq, &p);
	check_aws_c_auth_query(dir, name, &sreq, &p);
	free((void *)sreq.headers);
done:
	http_request_free(&req);
	context_free(&c);
	free(path);
}

static int
run_aws_c_auth_dir(const char *dir)
{
	struct dirent **list;
	int n, i, count = 0;

	n = scandir(dir, &list, skip_dot, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		char *sub = xasprintf("%s/%s", dir, list[i]->d_name);
		char *context = xasprintf("%s/context.json", sub);
		struct stat st;

		if (stat(context, &st) == 0) {
			run_aws_c_auth_case(sub, list[i]->d_name);
			count++;
		}
		free(context);
		free(sub);
		free(list[i]);
	}
	free(list);
	return count;
}

/* Splits "scheme://host[:port]/path?query" into the request target and
 * the Host header botocore would send: host in lower case, port left out
 * when it is the scheme's default. */
static int
split_url(const char *url, struct http_request *r, char **host)
{
	const char *sep = strstr(url, "://"), *authority, *rest, *question;
	size_t authority_len, i;
	int https;

	if (!sep)
		return -1;
	https = (size_t)(sep - url) == 5 && strncmp(url, "https", 5) == 0;
	authority = sep + 3;
	authority_len = strcspn(authority, "/?");
	*host = xstrndup(authority, authority_len);
	for (i = 0; (*host)[i]; i++)
		if ((*host)[i] >= 'A' && (*host)[i] <= 'Z')
			(*host)[i] = (char)((*host)[i] - 'A' + 'a');
	if (str_ends_with(*host, https ? ":443" : ":80"))
		*strrchr(*host, ':') = '\0';

	rest = authority + authority_len;
	question = strchr(rest, '?');
	if (question) {
		r->path = xstrndup(rest, (size_t)(question - rest));
		r->query = xstrdup(question + 1);
	} else {
		r->path = xstrdup(rest);
	}
	return 0;
}

/* Appends every string member of a JSON object as a header. */
static void
add_json_headers(struct http_request *r, jv headers)
{
	int it;

	if (jv_get_kind(headers) != JV_KIND_OBJECT)
		return;
	for (it = jv_object_iter(headers); jv_object_iter_valid(headers, it);
	     it = jv_object_iter_next(headers, it)) {
		jv key = jv_object_iter_key(headers, it);
		jv value = jv_object_iter_value(headers, it);

		if (jv_get_kind(value) == JV_KIND_STRING)
			http_request_add_header(r, jv_string_value(key),
			    strlen(jv_string_value(key)),
			    jv_string_value(value),
			    strlen(jv_string_value(value)));
		jv_free(key);
		jv_free(value);
	}
}

/* Inputs of one botocore-generated case. */
struct derived_case {
	char *name, *method, *url, *body, *service, *region, *token;
	char *style, *payload;
	char *creq, *sts, *authorization;
};

static void
derived_case_free(struct derived_case *d)
{
	free(d->name);
	free(d->method);
	free(d->url);
	free(d->body);
	free(d->service);
	free(d->region);
	free_secret(d->token);
	free(d->style);
	free(d->payload);
	free(d->creq);
	free(d->sts);
	free(d->authorization);
}

static int
read_derived_case(jv c, struct derived_case *d)
{
	jv input = json_get(c, "input"), expected = json_get(c, "expected");

	memset(d, 0, sizeof(*d));
	d->name = json_string(c, "name");
	d->method = json_string(input, "method");
	d->url = json_string(input, "url");
	d->body = json_string(input, "body");
	d->service = json_string(input, "service");
	d->region = json_string(input, "region");
	d->token = json_string(input, "session_token");
	d->style = json_string(input, "signer_style");
	d->payload = json_string(input, "payload");
	d->creq = json_string(expected, "canonical_request");
	d->sts = json_string(expected, "string_to_sign");
	d->authorization = json_string(expected, "authorization");
	jv_free(input);
	jv_free(expected);
	if (!d->name)
		d->name = xstrdup("(unnamed)");
	return d->method && d->url && d->body && d->service && d->region &&
		       d->style && d->payload && d->creq && d->sts &&
		       d->authorization ?
	    0 :
	    -1;
}

static void
run_derived_case(jv c, const char *access_key_id, const char *secret)
{
	struct http_request req, expected_headers;
	struct buf err = BUF_INIT;
	struct sigv4_request sreq;
	struct sigv4_result out;
	struct sigv4_params p;
	struct derived_case d;
	char *host = NULL;
	jv input, signed_headers;
	int rc;

	memset(&req, 0, sizeof(req));
	memset(&expected_headers, 0, sizeof(expected_headers));
	rc = read_derived_case(c, &d);
	if (!ok(rc == 0, "derived %s: case has every field", d.name))
		goto done;
	if (!ok(split_url(d.url, &req, &host) == 0, "derived %s: URL parses",
		d.name))
		goto done;
	req.method = xstrdup(d.method);
	buf_init(&req.body);
	buf_adds(&req.body, d.body);
	http_request_add_header(&req, "Host", 4, host, strlen(host));
	input = json_get(c, "input");
	signed_headers = json_get(input, "headers");
	add_json_headers(&req, signed_headers);
	jv_free(signed_headers);
	jv_free(input);

	memset(&p, 0, sizeof(p));
	p.access_key_id = access_key_id;
	p.secret_access_key = secret;
	p.session_token = d.token;
	p.region = d.region;
	p.service = d.service;
	p.time = SUITE_TIME;
	p.s3 = str_starts_with(d.style, "s3");
	p.normalize_path = !p.s3;
	p.unsigned_payload = strcmp(d.payload, "UNSIGNED-PAYLOAD") == 0;
	fill_request(&sreq, &req);
	if (check_signed(sigv4_sign(&sreq, &p, &out, &err), &err, "derived",
		d.name, "signing")) {
		is_str(out.canonical_request.data, d.creq,
		    "derived %s: canonical request", d.name);
		is_str(out.string_to_sign.data, d.sts,
		    "derived %s: string to sign", d.name);
		is_str(out.authorization.data, d.authorization,
		    "derived %s: Authorization", d.name);
		signed_headers = json_get(c, "expected");
		input = json_get(signed_headers, "signed_request_headers");
		add_json_headers(&expected_headers, input);
		jv_free(input);
		jv_free(signed_headers);
		check_added_headers("derived", d.name, &req, &expected_headers,
		    &out);
		sigv4_result_free(&out);
	}
	free((void *)sreq.headers);
done:
	http_request_free(&req);
	http_request_free(&expected_headers);
	derived_case_free(&d);
	buf_free(&err);
	free(host);
}

/* Runs every case of the botocore-generated file and checks the signing
 * key it records. Returns the number of cases run. */
static int
run_derived(const char *path)
{
	jv root = json_read(path), creds, cases;
	char *access_key_id, *secret, *key_hex;
	unsigned char key[32];
	char hex[65];
	int n, i;

	if (!ok(jv_get_kind(root) == JV_KIND_OBJECT, "derived: %s parses",
		path)) {
		jv_free(root);
		return 0;
	}
	creds = json_get(root, "credentials");
	access_key_id = json_string(creds, "access_key_id");
	secret = json_string(creds, "secret_access_key");
	jv_free(creds);
	key_hex = json_string(root,
	    "signing_key_hex_20150830_us-east-1_service");
	sigv4_signing_key(secret ? secret : "", "20150830", SUITE_REGION,
	    SUITE_SERVICE, key);
	hex_encode(key, sizeof(key), hex);
	secure_zero(key, sizeof(key));
	is_str(hex, key_hex, "derived: recorded signing key");

	cases = json_get(root, "cases");
	n = jv_get_kind(cases) == JV_KIND_ARRAY ?
	    jv_array_length(jv_copy(cases)) :
	    0;
	for (i = 0; i < n; i++) {
		jv c = jv_array_get(jv_copy(cases), i);

		run_derived_case(c, access_key_id ? access_key_id : "",
		    secret ? secret : "");
		jv_free(c);
	}
	jv_free(cases);
	jv_free(root);
	free(access_key_id);
	free_secret(secret);
	free(key_hex);
	return n;
}

static void
test_signing_key(void)
{
	unsigned char key[32];
	char hex[65];

	sigv4_signing_key(SECRET_KEY, "20150830", SUITE_REGION, SUITE_SERVICE,
	    key);
	hex_encode(key, sizeof(key), hex);
	is_str(hex, SUITE_SIGNING_KEY, "signing key for the suite scope");
}

static void
test_uri_encode(void)
{
	const char *raw = "a b/~*\xc3\xa9%";
	struct buf b = BUF_INIT;

	sigv4_uri_encode(raw, strlen(raw), 0, &b);
	is_str(b.data, "a%20b%2F~%2A%C3%A9%25", "uri encode: slash encoded");
	buf_reset(&b);
	sigv4_uri_encode(raw, strlen(raw), 1, &b);
	is_str(b.data, "a%20b/~%2A%C3%A9%25", "uri encode: slash kept");
	buf_free(&b);
}

/* Signs GET path?query for example.amazonaws.com with the suite
 * credentials; extra is one more header line, or NULL. */
static int
sign_simple(const char *path, const char *query, int s3, int normalize,
    const struct sigv4_header *extra, struct sigv4_result *out,
    struct buf *err)
{
	struct sigv4_header headers[2] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request req = {"GET", path, query, headers, 1, NULL, 0};
	struct sigv4_params p;

	if (extra) {
		headers[1] = *extra;
		req.n_headers = 2;
	}
	suite_params(&p);
	p.s3 = s3;
	p.normalize_path = normalize;
	return sigv4_sign(&req, &p, out, err);
}

/* Returns line n (0-based) of the canonical request, or NULL. */
static char *
creq_line(const struct sigv4_result *out, int n)
{
	const char *p = out->canonical_request.data;

	while (p && n-- > 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return p ? xstrndup(p, strcspn(p, "\n")) : NULL;
}

static void
check_creq_line(const char *path, const char *query, int s3, int normalize,
    const struct sigv4_header *extra, int line, const char *expected,
    const char *name)
{
	struct buf err = BUF_INIT;
	struct sigv4_result out;
	char *got;

	if (!check_signed(sign_simple(path, query, s3, normalize, extra, &out,
			      &err),
		&err, "canonical", name, "signing")) {
		buf_free(&err);
		return;
	}
	got = creq_line(&out, line);
	is_str(got, expected, "canonical %s", name);
	free(got);
	sigv4_result_free(&out);
	buf_free(&err);
}

static void
test_canonical_forms(void)
{
	const struct sigv4_header crlf_fold = {"My-Header", " a\r\n\tb  "};
	const struct sigv4_header spaces = {"My-Header", "\t x \t y\t"};

	check_creq_line("/a%7eb/c$d/e%2Fx", NULL, 1, 0, NULL, 1,
	    "/a~b/c%24d/e%2Fx", "S3 path: decoded, then encoded once");
	check_creq_line("/a%2Fb c", NULL, 0, 1, NULL, 1, "/a%252Fb%20c",
	    "path: encoded twice for other services");
	check_creq_line("/a/./b/../c//", NULL, 0, 1, NULL, 1, "/a/c/",
	    "path: dot segments and empty segments removed");
	check_creq_line("/a/b/..", NULL, 0, 1, NULL, 1, "/a",
	    "path: no trailing slash after a final '..'");
	check_creq_line("/a/./b/..", NULL, 0, 0, NULL, 1, "/a/./b/..",
	    "path: kept as is without normalisation");
	check_creq_line("", NULL, 0, 1, NULL, 1, "/", "path: empty is /");
	check_creq_line("/", "b=&a", 0, 1, NULL, 2, "a=&b=",
	    "query: missing and empty values both end in '='");
	check_creq_line("/", "a=b+c", 0, 1, NULL, 2, "a=b%2Bc",
	    "query: '+' is a literal plus sign");
	check_creq_line("/", "y=%2f&x=%7e", 0, 1, NULL, 2, "x=~&y=%2F",
	    "query: decoded, then encoded in canonical form");
	check_creq_line("/", "a=1&&b=2&", 0, 1, NULL, 2, "a=1&b=2",
	    "query: empty parameters dropped");
	check_creq_line("/", "k=b&k=a&K=c", 0, 1, NULL, 2, "K=c&k=a&k=b",
	    "query: sorted by key, then value, in byte order");
	check_creq_line("/", NULL, 0, 1, &crlf_fold, 4, "my-header:a b",
	    "header: CRLF fold unfolded and value trimmed");
	check_creq_line("/", NULL, 0, 1, &spaces, 4, "my-header:x y",
	    "header: tabs count as whitespace");
}

static void
test_repeated_header_case(void)
{
	struct sigv4_header headers[] = {{"Host", "example.amazonaws.com"},
	    {"My-H", "2"}, {"my-h", " 1 "}};
	struct sigv4_request req = {"GET", "/", NULL, headers, 3, NULL, 0};
	struct buf err = BUF_INIT;
	struct sigv4_result out;
	struct sigv4_params p;
	char *line;

	suite_params(&p);
	if (check_signed(sigv4_sign(&req, &p, &out, &err), &err, "header",
		"names differing in case", "signing")) {
		line = creq_line(&out, 4);
		is_str(line, "my-h:2,1",
		    "header: names differing in case are joined");
		free(line);
		sigv4_result_free(&out);
	}
	buf_free(&err);
}

static void
test_s3_unsigned_payload(void)
{
	struct sigv4_header headers[] = {{"Host", "bucket.s3.amazonaws.com"}};
	struct sigv4_request req = {"PUT", "/key", NULL, headers, 1, "data", 4};
	struct buf err = BUF_INIT;
	struct sigv4_result out;
	struct sigv4_params p;

	suite_params(&p);
	p.service = "s3";
	p.s3 = 1;
	p.unsigned_payload = 1;
	if (!check_signed(sigv4_sign(&req, &p, &out, &err), &err, "s3",
		"unsigned payload", "signing")) {
		buf_free(&err);
		return;
	}
	is_str(added_value(&out, "X-Amz-Content-SHA256"), "UNSIGNED-PAYLOAD",
	    "s3 unsigned payload: header value");
	ok(str_ends_with(out.canonical_request.data,
	       "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:"
	       "20150830T123600Z\n\nhost;x-amz-content-sha256;x-amz-date\n"
	       "UNSIGNED-PAYLOAD"),
	    "s3 unsigned payload: canonical request ends with it");
	sigv4_result_free(&out);
	buf_free(&err);
}

/* A presigned URL with a session token: neither the secret nor the token
 * may appear anywhere but where the protocol puts the token. */
static void
test_secrets_stay_out(void)
{
	struct sigv4_header headers[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request req = {"GET", "/", NULL, headers, 1, NULL, 0};
	struct buf err = BUF_INIT;
	struct sigv4_result out;
	struct sigv4_params p;

	suite_params(&p);
	p.session_token = "tok/en+";
	if (check_signed(sigv4_sign(&req, &p, &out, &err), &err, "secrets",
		"header signing", "signing")) {
		ok(!strstr(out.canonical_request.data, SECRET_KEY) &&
			!strstr(out.string_to_sign.data, SECRET_KEY) &&
			!strstr(out.authorization.data, SECRET_KEY),
		    "secrets: header signing output has no secret key");
		sigv4_result_free(&out);
	}
	p.omit_session_token = 1;
	if (check_signed(sigv4_presign(&req, &p, &out, &err), &err, "secrets",
		"presigning", "presigning")) {
		ok(!strstr(out.presigned_query.data, SECRET_KEY),
		    "secrets: presigned query has no secret key");
		ok(str_ends_with(out.presigned_query.data,
		       "&X-Amz-Security-Token=tok%2Fen%2B"),
		    "secrets: unsigned token appended to the presigned query");
		ok(!strstr(out.canonical_request.data, "Security-Token"),
		    "secrets: unsigned token left out of the canonical query");
		sigv4_result_free(&out);
	}
	buf_free(&err);
}

/* One request the signer must reject, and the message it must give. */
struct reject_case {
	const char *name;
	const char *path;
	const char *query;
	struct sigv4_header extra;	/* added after Host when name set */
	int no_host;
	int presign;
	long expires;
	const char *token;
	const char *region;
	int unsigned_payload;
	const char *message;	/* expected part of the error */
};

static void
run_reject_case(const struct reject_case *c)
{
	struct sigv4_header headers[2] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_request req = {"GET", c->path, c->query, headers, 1, NULL,
	    0};
	struct buf err = BUF_INIT;
	struct sigv4_result out;
	struct sigv4_params p;
	int rc;

	if (c->no_host)
		headers[0] = c->extra;
	else if (c->extra.name)
		headers[req.n_headers++] = c->extra;
	suite_params(&p);
	if (c->expires)
		p.expires = c->expires;
	if (c->region)
		p.region = c->region;
	p.session_token = c->token;
	p.unsigned_payload = c->unsigned_payload;
	rc = c->presign ? sigv4_presign(&req, &p, &out, &err) :
			  sigv4_sign(&req, &p, &out, &err);
	is_int(rc, -1, "reject %s: fails", c->name);
	if (!ok(err.data && strstr(err.data, c->message),
		"reject %s: message names the cause", c->name))
		diag("message: %s", err.data ? err.data : "(none)");
	ok(!err.data || ((!c->token || !strstr(err.data, c->token)) &&
			    !strstr(err.data, SECRET_KEY)),
	    "reject %s: message has no secret", c->name);
	ok(out.canonical_request.data == NULL && out.n_added == 0,
	    "reject %s: result left empty", c->name);
	sigv4_result_free(&out);
	buf_free(&err);
}

static void
test_rejects(void)
{
	static const struct reject_case cases[] = {
	    {.name = "missing Host", .path = "/", .no_host = 1,
		.extra = {"Accept", "*/*"}, .message = "no Host header"},
	    {.name = "X-Amz-Date header", .path = "/",
		.extra = {"X-Amz-Date", "20150830T123600Z"},
		.message = "\"X-Amz-Date\""},
	    {.name = "Authorization header", .path = "/",
		.extra = {"authorization", "x"},
		.message = "\"authorization\""},
	    {.name = "token header with a token", .path = "/",
		.extra = {"X-Amz-Security-Token", "secret-token"},
		.token = "secret-token", .message = "X-Amz-Security-Token"},
	    {.name = "header injection", .path = "/",
		.extra = {"My-Header", "a\r\nX-Evil: 1"},
		.message = "line break"},
	    {.name = "line break at the end", .path = "/",
		.extra = {"My-Header", "a\n"}, .message = "line break"},
	    {.name = "bare carriage return", .path = "/",
		.extra = {"My-Header", "a\r b"}, .message = "0x0d"},
	    {.name = "header name with a space", .path = "/",
		.extra = {"My Header", "a"}, .message = "header name"},
	    {.name = "relative path", .path = "example",
		.message = "must start with '/'"},
	    {.name = "unsigned payload outside S3", .path = "/",
		.unsigned_payload = 1, .message = "only allowed for S3"},
	    {.name = "missing region", .path = "/", .region = "",
		.message = "no region"},
	    {.name = "region with a slash", .path = "/", .region = "us/east",
		.message = "not a valid region"},
	    {.name = "token with a line break", .path = "/",
		.token = "tok\nen", .message = "session token"},
	    {.name = "presign lifetime negative", .path = "/", .presign = 1,
		.expires = -1, .message = "lifetime"},
	    {.name = "presign lifetime over seven days", .path = "/",
		.presign = 1, .expires = 604801, .message = "lifetime"},
	    {.name = "presign query has a signature", .path = "/",
		.query = "a=1&X-Amz-Signature=abc", .presign = 1,
		.message = "X-Amz-Signature"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_reject_case(&cases[i]);
}

int
main(void)
{
	char *root = xasprintf("%s/data/sigv4", test_dir());
	char *aws_c_auth = xasprintf("%s/aws-c-auth-v4", root);
	char *derived = xasprintf("%s/derived/botocore-generated.json", root);
	int n_classic = 0, n_aws_c_auth = 0, n_derived = 0;

	test_signing_key();
	test_uri_encode();
	test_canonical_forms();
	test_repeated_header_case();
	test_s3_unsigned_payload();
	test_secrets_stay_out();
	test_rejects();

	if (ok(is_directory(root), "classic suite: %s exists", root))
		n_classic = run_classic_dir(root, "");
	if (ok(is_directory(aws_c_auth), "aws-c-auth suite: %s exists",
		aws_c_auth))
		n_aws_c_auth = run_aws_c_auth_dir(aws_c_auth);
	n_derived = run_derived(derived);

	diag("cases run: classic %d, aws-c-auth-v4 %d, derived %d", n_classic,
	    n_aws_c_auth, n_derived);
	is_int(n_classic, CLASSIC_CASES, "classic suite: number of cases");
	is_int(n_aws_c_auth, AWS_C_AUTH_CASES,
	    "aws-c-auth suite: number of cases");
	is_int(n_derived, DERIVED_CASES, "derived suite: number of cases");
	free(root);
	free(aws_c_auth);
	free(derived);
	return done_testing();
}
