/* Container credentials endpoint and EC2 instance metadata (IMDS). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "metadata.h"
#include "util.h"

/* The address ECS gives tasks for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI. */
#define ECS_CONTAINER_HOST "http://169.254.170.2"
/* Container endpoint timing, as in botocore 1.43: 2 s per try, 3 tries,
 * 1 s apart. */
#define CONTAINER_TIMEOUT_MS 2000
#define CONTAINER_ATTEMPTS 3
#define CONTAINER_RETRY_SLEEP_US 1000000
#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL "21600"
/* Responses larger than this are not credentials. */
#define METADATA_MAX_RESPONSE (64 * 1024)

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* Sends one request and runs it to completion. The buffers of h's last
 * response are freed first; the new ones stay in h for the caller. */
static void
metadata_request(struct aws_ctx *ctx, struct http_request *h,
    const char *method, const char *url, struct curl_slist *headers,
    long timeout_ms)
{
	buf_free_secret(&h->response);
	buf_free(&h->response_headers);
	memset(h, 0, sizeof(*h));
	buf_init(&h->response);
	buf_init(&h->response_headers);
	h->method = method;
	h->url = url;
	h->headers = headers;
	h->body = "";
	h->connect_timeout_ms = timeout_ms;
	h->timeout_ms = timeout_ms;
	h->max_response = METADATA_MAX_RESPONSE;
	http_perform(ctx->http, h);
	aws_debug(ctx, "%s %s -> %ld (%.1f ms%s%s)", method, url, h->status,
	    h->duration_ms, h->result != CURLE_OK ? ", " : "",
	    h->result != CURLE_OK ? h->error : "");
}

/* Fills out from a credentials document: AccessKeyId, SecretAccessKey,
 * Token, Expiration and an optional AccountId. */
static int
parse_metadata_credentials(const char *text, size_t len,
    struct aws_credentials *out, struct buf *err)
{
	jv doc = jv_parse_sized(text ? text : "", (int)len);
	const char *id = json_str(doc, "AccessKeyId");
	const char *secret = json_str(doc, "SecretAccessKey");
	const char *token = json_str(doc, "Token");
	const char *exp = json_str(doc, "Expiration");
	const char *account = json_str(doc, "AccountId");
	const char *code = json_str(doc, "Code");
	int rc = -1;

	if (!jv_is_valid(doc)) {
		buf_adds(err, "the response is not valid JSON");
		goto done;
	}
	if (code && strcmp(code, "Success") != 0) {
		buf_addf(err, "the response has Code \"%s\"", code);
		goto done;
	}
	if (!id || !*id || !secret || !*secret || !exp ||
	    parse_iso8601(exp, &out->expiration) < 0) {
		buf_adds(err, "the response lacks AccessKeyId, "
			      "SecretAccessKey or a valid Expiration");
		goto done;
	}
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->account_id = account && *account ? xstrdup(account) : NULL;
	out->refreshable = 1;
	rc = 0;
done:
	jv_free(doc);
	return rc;
}

/* --- container credentials --------------------------------------------- */

int
container_configured(void)
{
	return env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
	       env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

static int
is_loopback(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char one[16] = {[15] = 1};

		return memcmp(a, one, sizeof(one)) == 0;
	}
	return 0;
}

/* Plain http is allowed only to loopback and to the addresses ECS and
 * EKS Pod Identity serve credentials on. */
static int
check_full_uri(const char *uri, struct buf *err)
{
	static const char *const allowed[] = {"localhost", "169.254.170.2",
	    "169.254.170.23", "fd00:ec2::23"};
	const char *p, *end;
	char *host;
	size_t i;
	int ok = 0;

	if (str_starts_with(uri, "https://"))
		return 0;
	if (!str_starts_with(uri, "http://")) {
		buf_addf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\" is not "
			      "an http:// or https:// URL",
		    uri);
		return -1;
	}
	p = uri + 7;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else {
		end = p + strcspn(p, ":/?#");
	}
	if (!end || end == p) {
		buf_addf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\" has no "
			      "host",
		    uri);
		return -1;
	}
	host = xstrndup(p, (size_t)(end - p));
	for (i = 0; host[i]; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	ok = is_loopback(host);
	for (i = 0; !ok && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ok = strcmp(host, allowed[i]) == 0;
	free(host);
	if (!ok) {
		buf_addf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI \"%s\" uses "
			      "plain http to a host that is not loopback, "
			      "169.254.170.2, 169.254.170.23 or fd00:ec2::23; "
			      "use https",
		    uri);
		return -1;
	}
	return 0;
}

/* The Authorization value: the token file (read on every call, since it
 * is rotated) or AWS_CONTAINER_AUTHORIZATION_TOKEN. Returns 0 with *token
 * malloc'd or NULL, -1 on error. */
static int
container_token(char **token, struct buf *err)
{
	const char *file = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *value = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct buf b = BUF_INIT;

	*token = NULL;
	if (file) {
		if (read_file(file, &b) < 0) {
			buf_addf(err, "cannot read "
				      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
				      "%s: %s",
			    file, strerror(errno));
			buf_free_secret(&b);
			return -1;
		}
		*token = buf_detach(&b);
		if (!*token)
			*token = xstrdup("");
	} else if (value) {
		*token = xstrdup(value);
	}
	if (*token && strpbrk(*token, "\r\n")) {
		buf_addf(err, "the container authorization token (from %s) "
			      "contains a line break, which a header value "
			      "cannot hold",
		    file ? file : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
		free_secret(*token);
		*token = NULL;
		return -1;
	}
	return 0;
}

int
container_credentials(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	const char *rel = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct http_request h;
	struct curl_slist *headers = NULL;
	struct buf line = BUF_INIT, why = BUF_INIT;
	char *url, *token = NULL;
	int attempt, rc = -1;

	if (rel)
		url = xasprintf("%s%s%s", ECS_CONTAINER_HOST,
		    rel[0] == '/' ? "" : "/", rel);
	else if (check_full_uri(full, err) < 0)
		return -1;
	else
		url = xstrdup(full);
	if (container_token(&token, err) < 0) {
		free(url);
		return -1;
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	if (token) {
		buf_addf(&line, "Authorization: %s", token);
		headers = curl_slist_append(headers, line.data);
		buf_free_secret(&line);
		free_secret(token);
	}
	memset(&h, 0, sizeof(h));
	for (attempt = 1; attempt <= CONTAINER_ATTEMPTS; attempt++) {
		if (attempt > 1)
			usleep(CONTAINER_RETRY_SLEEP_US);
		buf_reset(&why);
		metadata_request(ctx, &h, "GET", url, headers,
		    CONTAINER_TIMEOUT_MS);
		if (h.result != CURLE_OK) {
			buf_adds(&why, h.error);
			continue;
		}
		if (h.status != 200) {
			buf_addf(&why, "HTTP status %ld", h.status);
			continue;
		}
		if (parse_metadata_credentials(h.response.data,
			h.response.len, out, &why) == 0) {
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		buf_addf(err, "container credentials from %s failed after %d "
			      "attempts: %s",
		    url, CONTAINER_ATTEMPTS, why.data);
	buf_free_secret(&h.response);
	buf_free(&h.response_headers);
	curl_slist_free_all(headers);
	buf_free(&why);
	free(url);
	return rc;
}

/* --- EC2 instance metadata --------------------------------------------- */

struct imds {
	struct aws_ctx *ctx;
	char *base;		/* endpoint without a trailing slash */
	long timeout_ms;
	long attempts;
	int v1_disabled;
	char *token;		/* IMDSv2 session token, or NULL for v1 */
};

static const char *
imds_setting(struct aws_ctx *ctx, const char *env, const char *key)
{
	const char *v = env_nonempty(env);

	return v ? v : config_profile_get(&ctx->config, ctx->profile, key);
}

int
imds_enabled(void)
{
	const char *v = getenv("AWS_EC2_METADATA_DISABLED");

	return !(v && str_ieq(v, "true"));
}

static int
imds_configure(struct imds *m, struct buf *err)
{
	const char *endpoint, *mode, *v;
	double seconds;
	char *end;
	size_t n;

	endpoint = imds_setting(m->ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	    "ec2_metadata_service_endpoint");
	mode = imds_setting(m->ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	    "ec2_metadata_service_endpoint_mode");
	if (!endpoint || !*endpoint)
		endpoint = mode && str_ieq(mode, "IPv6")
			       ? IMDS_DEFAULT_ENDPOINT_V6
			       : IMDS_DEFAULT_ENDPOINT;
	if (!str_starts_with(endpoint, "http://") &&
	    !str_starts_with(endpoint, "https://")) {
		buf_addf(err, "invalid EC2 metadata endpoint \"%s\": expected "
			      "http://HOST[:PORT]",
		    endpoint);
		return -1;
	}
	n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	m->base = xstrndup(endpoint, n);

	m->timeout_ms = 1000;
	v = imds_setting(m->ctx, "AWS_METADATA_SERVICE_TIMEOUT",
	    "metadata_service_timeout");
	if (v) {
		seconds = strtod(v, &end);
		if (end == v || *end || seconds <= 0 || seconds > 3600) {
			buf_addf(err, "invalid metadata service timeout \"%s\": "
				      "expected seconds from 0.1 to 3600",
			    v);
			return -1;
		}
		m->timeout_ms = (long)(seconds * 1000);
	}
	m->attempts = 1;
	v = imds_setting(m->ctx, "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
	    "metadata_service_num_attempts");
	if (v && parse_long(v, 1, 10, &m->attempts) < 0) {
		buf_addf(err, "invalid metadata service attempts \"%s\": "
			      "expected a whole number from 1 to 10",
		    v);
		return -1;
	}
	v = imds_setting(m->ctx, "AWS_EC2_METADATA_V1_DISABLED",
	    "ec2_metadata_v1_disabled");
	m->v1_disabled = v && str_ieq(v, "true");
	return 0;
}

/* Asks for a session token. Returns 0 (token set, or NULL to fall back to
 * IMDSv1), 1 when the service cannot be reached, -1 on a 400. */
static int
imds_fetch_token(struct imds *m, struct buf *why)
{
	struct curl_slist *headers = NULL;
	struct http_request h;
	char *url = xasprintf("%s/latest/api/token", m->base);
	long attempt;
	int rc = 0;

	headers = curl_slist_append(headers,
	    "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL);
	memset(&h, 0, sizeof(h));
	for (attempt = 1; attempt <= m->attempts; attempt++) {
		metadata_request(m->ctx, &h, "PUT", url, headers,
		    m->timeout_ms);
		if (h.result == CURLE_OPERATION_TIMEDOUT) {
			/* A token response lost to the hop limit shows up
			 * as a timeout, and IMDSv1 may still respond. */
			continue;
		}
		if (h.result != CURLE_OK) {
			buf_addf(why, "%s: %s", url, h.error);
			rc = 1;
			break;
		}
		if (h.status == 200 && h.response.len > 0) {
			m->token = xstrndup(h.response.data, h.response.len);
			break;
		}
		if (h.status == 403 || h.status == 404 || h.status == 405)
			break;
		if (h.status == 400) {
			buf_addf(why, "the EC2 metadata service at %s rejected "
				      "the token request (HTTP 400)",
			    m->base);
			rc = -1;
			break;
		}
	}
	buf_free_secret(&h.response);
	buf_free(&h.response_headers);
	curl_slist_free_all(headers);
	free(url);
	return rc;
}

/* GETs a metadata path. Returns 0 with the body in out, or 1 with the
 * reason in why. */
static int
imds_get(struct imds *m, const char *path, struct buf *out, struct buf *why)
{
	struct curl_slist *headers = NULL;
	struct buf line = BUF_INIT;
	struct http_request h;
	char *url = xasprintf("%s%s", m->base, path);
	long attempt;
	int rc = 1;

	if (m->token) {
		buf_addf(&line, "X-aws-ec2-metadata-token: %s", m->token);
		headers = curl_slist_append(headers, line.data);
		buf_free_secret(&line);
	}
	memset(&h, 0, sizeof(h));
	for (attempt = 1; attempt <= m->attempts; attempt++) {
		buf_reset(why);
		metadata_request(m->ctx, &h, "GET", url, headers,
		    m->timeout_ms);
		if (h.result != CURLE_OK) {
			buf_addf(why, "%s: %s", url, h.error);
			continue;
		}
		if (h.status == 200) {
			buf_add(out, h.response.data, h.response.len);
			rc = 0;
			break;
		}
		buf_addf(why, "%s: HTTP status %ld", url, h.status);
		if (h.status == 404)
			break;
	}
	buf_free_secret(&h.response);
	buf_free(&h.response_headers);
	curl_slist_free_all(headers);
	free(url);
	return rc;
}

int
imds_credentials(struct aws_ctx *ctx, struct aws_credentials *out,
    struct buf *err)
{
	static const char creds_path[] =
	    "/latest/meta-data/iam/security-credentials/";
	struct imds m = {ctx, NULL, 0, 0, 0, NULL};
	struct buf role = BUF_INIT, body = BUF_INIT;
	char *path = NULL;
	size_t n;
	int rc;

	if (imds_configure(&m, err) < 0) {
		rc = -1;
		goto done;
	}
	rc = imds_fetch_token(&m, err);
	if (rc != 0)
		goto done;
	if (!m.token && m.v1_disabled) {
		buf_addf(err, "the EC2 metadata service at %s gave no IMDSv2 "
			      "token and IMDSv1 is disabled",
		    m.base);
		rc = 1;
		goto done;
	}
	rc = imds_get(&m, creds_path, &role, err);
	if (rc != 0)
		goto done;
	/* The listing has one role name per line, and an instance has one. */
	n = strcspn(role.data ? role.data : "", "\r\n");
	if (n == 0) {
		buf_addf(err, "the EC2 metadata service at %s lists no "
			      "instance role",
		    m.base);
		rc = 1;
		goto done;
	}
	path = xasprintf("%s%.*s", creds_path, (int)n, role.data);
	rc = imds_get(&m, path, &body, err);
	if (rc != 0)
		goto done;
	if (parse_metadata_credentials(body.data, body.len, out, err) < 0)
		rc = 1;
done:
	free(m.base);
	free_secret(m.token);
	buf_free(&role);
	buf_free_secret(&body);
	free(path);
	return rc;
}
