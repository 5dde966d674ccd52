/* AWS calls: endpoints, signing, protocols, errors, retries, clock skew. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws.h"
#include "json.h"
#include "sigv4.h"
#include "util.h"
#include "xml.h"

const struct aws_service aws_ecs = {"ECS", "ecs", "ecs", "ECS", "ecs",
    "AmazonEC2ContainerServiceV20141113", NULL, AWS_PROTO_JSON, 0};
const struct aws_service aws_logs = {"CloudWatch Logs", "logs", "logs",
    "CLOUDWATCH_LOGS", "cloudwatch_logs", "Logs_20140328", NULL,
    AWS_PROTO_JSON, 0};
const struct aws_service aws_ssm = {"SSM", "ssm", "ssm", "SSM", "ssm",
    "AmazonSSM", NULL, AWS_PROTO_JSON, 0};
const struct aws_service aws_sts = {"STS", "sts", "sts", "STS", "sts", NULL,
    "2011-06-15", AWS_PROTO_QUERY, 0};
const struct aws_service aws_s3 = {"S3", "s3", "s3", "S3", "s3", NULL, NULL,
    AWS_PROTO_REST, 1};
const struct aws_service aws_kms = {"KMS", "kms", "kms", "KMS", "kms",
    "TrentService", NULL, AWS_PROTO_JSON, 0};
const struct aws_service aws_sso = {"SSO", "portal.sso", "awsssoportal",
    "SSO", "sso", NULL, NULL, AWS_PROTO_REST, 0};
const struct aws_service aws_sso_oidc = {"SSO OIDC", "oidc", "sso-oauth",
    "SSO_OIDC", "sso_oidc", NULL, NULL, AWS_PROTO_REST, 0};

/* Standard retry mode: quota of 500, 5 per retry, 10 after a timeout. */
#define RETRY_QUOTA 500
#define RETRY_COST 5
#define RETRY_COST_TIMEOUT 10
/* Credentials expiring within this many seconds are refreshed first. */
#define CREDS_REFRESH_WINDOW 600
/* A server clock further off than this is adopted for signing. */
#define SKEW_ADOPT_SECONDS 240

void
aws_debug(struct aws_ctx *ctx, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (!ctx || !ctx->debug)
		return;
	buf_adds(&b, "debug: ");
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	error("%s", b.data);
	buf_free(&b);
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int
truthy(const char *v)
{
	return v && str_ieq(v, "true");
}

void
aws_ctx_init(struct aws_ctx *ctx, const struct aws_options *o)
{
	struct http_client_options ho;
	struct buf err = BUF_INIT;
	const char *region, *v;
	long n;

	memset(ctx, 0, sizeof(*ctx));
	config_init(&ctx->config);
	if (config_load(&ctx->config, &err) < 0)
		die("%s", err.data);
	if (ctx->config.warnings.len > 0) {
		char *line = ctx->config.warnings.data, *nl;

		for (; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (!nl)
				nl = line + strlen(line);
			warning("%.*s", (int)(nl - line), line);
			if (!*nl)
				break;
		}
	}
	ctx->profile = config_active_profile(o->profile);
	ctx->profile_explicit = o->profile != NULL;
	if (strcmp(ctx->profile, "default") != 0 &&
	    !config_has_profile(&ctx->config, ctx->profile))
		die("profile \"%s\" not found in %s or %s; check --profile "
		    "and AWS_PROFILE, or add a [profile %s] section",
		    ctx->profile,
		    ctx->config.config_path ? ctx->config.config_path
					    : "the config file",
		    ctx->config.credentials_path
			? ctx->config.credentials_path
			: "the credentials file",
		    ctx->profile);
	region = config_region(&ctx->config, ctx->profile, o->region);
	if (region)
		ctx->region = xstrdup(region);
	else if (o->need_region)
		die("no region configured for profile \"%s\": use --region, "
		    "set AWS_REGION, or add \"region = ...\" to the profile",
		    ctx->profile);
	if (o->endpoint_url)
		ctx->endpoint_url = xstrdup(o->endpoint_url);
	ctx->debug = o->debug;

	ctx->max_attempts = 3;
	v = env_nonempty("AWS_MAX_ATTEMPTS");
	if (!v)
		v = config_profile_get(&ctx->config, ctx->profile,
		    "max_attempts");
	if (v) {
		if (parse_long(v, 1, 100, &n) < 0)
			die("invalid max_attempts \"%s\" (from %s): expected "
			    "a whole number from 1 to 100",
			    v, getenv("AWS_MAX_ATTEMPTS")
				   ? "AWS_MAX_ATTEMPTS"
				   : "the config file");
		ctx->max_attempts = (int)n;
	}
	ctx->retry_tokens = RETRY_QUOTA;
	ctx->resolve_credentials = creds_resolve_chain;

	memset(&ho, 0, sizeof(ho));
	ho.max_connections = o->max_concurrency;
	ho.ca_bundle = config_profile_get(&ctx->config, ctx->profile,
	    "ca_bundle");
	v = env_nonempty("ECS_CONNECT_TIMEOUT");
	if (v) {
		if (parse_long(v, 1, 3600, &n) < 0)
			die("invalid ECS_CONNECT_TIMEOUT \"%s\": expected "
			    "seconds from 1 to 3600", v);
		ho.connect_timeout_ms = n * 1000;
	}
	v = env_nonempty("ECS_TIMEOUT");
	if (v) {
		if (parse_long(v, 1, 86400, &n) < 0)
			die("invalid ECS_TIMEOUT \"%s\": expected seconds "
			    "from 1 to 86400", v);
		ho.timeout_ms = n * 1000;
	}
	ctx->http = http_client_new(&ho);
	buf_free(&err);
}

void
aws_ctx_free(struct aws_ctx *ctx)
{
	aws_credentials_clear(&ctx->creds);
	http_client_free(ctx->http);
	config_free(&ctx->config);
	free(ctx->region);
	free(ctx->endpoint_url);
	memset(ctx, 0, sizeof(*ctx));
}

void
aws_drop_credentials(struct aws_ctx *ctx)
{
	aws_credentials_clear(&ctx->creds);
	ctx->have_creds = 0;
}

const struct aws_credentials *
aws_get_credentials(struct aws_ctx *ctx, struct buf *err)
{
	struct aws_credentials fresh;
	double now = now_seconds();

	if (ctx->have_creds &&
	    (ctx->creds.expiration == 0 ||
		ctx->creds.expiration - now > CREDS_REFRESH_WINDOW))
		return &ctx->creds;
	if (ctx->have_creds && !ctx->creds.refreshable &&
	    ctx->creds.expiration > now)
		return &ctx->creds;
	memset(&fresh, 0, sizeof(fresh));
	if (ctx->resolve_credentials(ctx, &fresh, err) < 0) {
		aws_credentials_clear(&fresh);
		/* Keep using credentials that are still valid when a
		 * background refresh fails. */
		if (ctx->have_creds && ctx->creds.expiration > now + 60)
			return &ctx->creds;
		return NULL;
	}
	if (fresh.expiration != 0 && fresh.expiration <= now) {
		char when[32];

		format_iso8601(fresh.expiration, when, sizeof(when));
		buf_addf(err, "the %s credentials expired at %s; renew them "
			      "and try again",
		    fresh.source ? fresh.source : "resolved", when);
		aws_credentials_clear(&fresh);
		return NULL;
	}
	aws_credentials_clear(&ctx->creds);
	ctx->creds = fresh;
	ctx->have_creds = 1;
	if (ctx->debug) {
		char when[32] = "never";

		if (fresh.expiration)
			format_iso8601(fresh.expiration, when, sizeof(when));
		aws_debug(ctx, "credentials from %s (key %.4s..., expire %s)",
		    fresh.source ? fresh.source : "?", fresh.access_key_id,
		    when);
	}
	return &ctx->creds;
}

/* --- endpoints --------------------------------------------------------- */

static const char *
partition_suffix(const char *region)
{
	if (str_starts_with(region, "cn-"))
		return "amazonaws.com.cn";
	if (str_starts_with(region, "us-iso-"))
		return "c2s.ic.gov";
	if (str_starts_with(region, "us-isob-"))
		return "sc2s.sgov.gov";
	return "amazonaws.com";
}

static int
sts_legacy_global(const char *region)
{
	static const char *const legacy[] = {"ap-northeast-1", "ap-south-1",
	    "ap-southeast-1", "ap-southeast-2", "ca-central-1",
	    "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2",
	    "eu-west-3", "sa-east-1", "us-east-1", "us-east-2", "us-west-1",
	    "us-west-2", "aws-global"};
	size_t i;

	for (i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		if (strcmp(region, legacy[i]) == 0)
			return 1;
	return 0;
}

static int
setting_true(struct aws_ctx *ctx, const char *env, const char *key)
{
	const char *v = env_nonempty(env);

	if (!v)
		v = config_profile_get(&ctx->config, ctx->profile, key);
	return truthy(v);
}

static char *
configured_endpoint(struct aws_ctx *ctx, const struct aws_service *svc,
    struct buf *err)
{
	const char *v, *services;
	char *name;

	if (setting_true(ctx, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"ignore_configured_endpoint_urls"))
		return NULL;
	name = xasprintf("AWS_ENDPOINT_URL_%s", svc->env_name);
	v = env_nonempty(name);
	free(name);
	if (v)
		return xstrdup(v);
	v = env_nonempty("AWS_ENDPOINT_URL");
	if (v)
		return xstrdup(v);
	services = config_profile_get(&ctx->config, ctx->profile, "services");
	if (services && *services) {
		if (!config_has_section(&ctx->config, SECTION_SERVICES,
			services)) {
			buf_addf(err, "profile \"%s\" names services = %s, "
				      "but there is no [services %s] section "
				      "in %s",
			    ctx->profile, services, services,
			    ctx->config.config_path ? ctx->config.config_path
						    : "the config file");
			return NULL;
		}
		v = config_section_get_sub(&ctx->config, SECTION_SERVICES,
		    services, svc->config_key, "endpoint_url");
		if (v && *v)
			return xstrdup(v);
	}
	v = config_profile_get(&ctx->config, ctx->profile, "endpoint_url");
	if (v && *v)
		return xstrdup(v);
	return NULL;
}

char *
aws_endpoint(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, struct buf *err)
{
	int fips, dualstack;
	char *url;

	if (ctx->endpoint_url)
		return xstrdup(ctx->endpoint_url);
	url = configured_endpoint(ctx, svc, err);
	if (url || err->len)
		return url;
	if (!region || !*region) {
		buf_addf(err, "no region configured for profile \"%s\": use "
			      "--region, set AWS_REGION, or add \"region = "
			      "...\" to the profile",
		    ctx->profile);
		return NULL;
	}
	fips = setting_true(ctx, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint");
	dualstack = setting_true(ctx, "AWS_USE_DUALSTACK_ENDPOINT",
	    "use_dualstack_endpoint");
	if (svc == &aws_sts && !fips && !dualstack) {
		const char *mode = env_nonempty("AWS_STS_REGIONAL_ENDPOINTS");

		if (!mode)
			mode = config_profile_get(&ctx->config, ctx->profile,
			    "sts_regional_endpoints");
		if (strcmp(region, "aws-global") == 0 ||
		    (mode && strcmp(mode, "legacy") == 0 &&
			sts_legacy_global(region)))
			return xstrdup("https://sts.amazonaws.com");
	}
	if (dualstack)
		return xasprintf("https://%s%s.%s.%s", svc->endpoint_prefix,
		    fips ? "-fips" : "", region,
		    str_starts_with(region, "cn-") ? "api.amazonwebservices.com.cn"
						   : "api.aws");
	return xasprintf("https://%s%s.%s.%s", svc->endpoint_prefix,
	    fips ? "-fips" : "", region, partition_suffix(region));
}

/* Splits an endpoint URL into the Host header value (default port left
 * out, host lower-cased) and the base path without a trailing slash. */
static int
split_endpoint(const char *url, struct buf *host, struct buf *base,
    int *https)
{
	const char *p, *auth, *slash;
	size_t i, start;

	if (str_starts_with(url, "https://")) {
		*https = 1;
		auth = url + 8;
	} else if (str_starts_with(url, "http://")) {
		*https = 0;
		auth = url + 7;
	} else {
		return -1;
	}
	slash = strpbrk(auth, "/?#");
	p = slash ? slash : auth + strlen(auth);
	if (p == auth)
		return -1;
	start = host->len;
	buf_add(host, auth, (size_t)(p - auth));
	for (i = start; i < host->len; i++)
		host->data[i] = (char)tolower((unsigned char)host->data[i]);
	if ((*https && str_ends_with(host->data, ":443")) ||
	    (!*https && str_ends_with(host->data, ":80"))) {
		host->len = (size_t)(strrchr(host->data, ':') - host->data);
		host->data[host->len] = '\0';
	}
	if (slash && *slash == '/') {
		const char *end = strpbrk(slash, "?#");
		size_t n = end ? (size_t)(end - slash) : strlen(slash);

		while (n > 0 && slash[n - 1] == '/')
			n--;
		buf_add(base, slash, n);
	}
	return 0;
}

/* --- requests ---------------------------------------------------------- */

static struct aws_request *
request_new(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation)
{
	struct aws_request *req = xcalloc(1, sizeof(*req));

	req->ctx = ctx;
	req->svc = svc;
	req->operation = xstrdup(operation);
	region = region ? region : ctx->region;
	req->region = region ? xstrdup(region) : NULL;
	req->output = jv_null();
	buf_init(&req->body);
	buf_init(&req->http.response);
	buf_init(&req->http.response_headers);
	req->response = &req->http.response;
	return req;
}

struct aws_request *
aws_json_request(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation, jv input)
{
	struct aws_request *req = request_new(ctx, svc, region, operation);
	char *target;

	if (jv_get_kind(input) == JV_KIND_NULL) {
		jv_free(input);
		input = jv_object();
	}
	json_dump(input, &req->body);
	jv_free(input);
	req->method = xstrdup("POST");
	req->path = xstrdup("/");
	aws_request_add_header(req, "Content-Type",
	    "application/x-amz-json-1.1");
	target = xasprintf("%s.%s", svc->target_prefix, operation);
	aws_request_add_header(req, "X-Amz-Target", target);
	free(target);
	return req;
}

void
aws_query_add(struct buf *params, const char *key, const char *value)
{
	buf_addc(params, '&');
	sigv4_uri_encode(key, strlen(key), 0, params);
	buf_addc(params, '=');
	sigv4_uri_encode(value, strlen(value), 0, params);
}

struct aws_request *
aws_query_request(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation, const char *params)
{
	struct aws_request *req = request_new(ctx, svc, region, operation);

	buf_addf(&req->body, "Action=%s&Version=%s", operation,
	    svc->api_version);
	if (params)
		buf_adds(&req->body, params);
	req->method = xstrdup("POST");
	req->path = xstrdup("/");
	aws_request_add_header(req, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	return req;
}

struct aws_request *
aws_rest_request(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation, const char *method,
    const char *path, const char *query)
{
	struct aws_request *req = request_new(ctx, svc, region, operation);

	req->method = xstrdup(method);
	req->path = xstrdup(path && *path ? path : "/");
	req->query = query && *query ? xstrdup(query) : NULL;
	return req;
}

void
aws_request_add_header(struct aws_request *req, const char *name,
    const char *value)
{
	req->headers = xrealloc(req->headers,
	    (req->n_headers + 1) * sizeof(*req->headers));
	req->headers[req->n_headers].name = xstrdup(name);
	req->headers[req->n_headers].value = xstrdup(value);
	req->n_headers++;
}

void
aws_error_clear(struct aws_error *err)
{
	free(err->code);
	free(err->message);
	free(err->request_id);
	memset(err, 0, sizeof(*err));
}

static void
set_error(struct aws_request *req, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct aws_request *req, const char *code, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	aws_error_clear(&req->error);
	req->error.code = xstrdup(code);
	req->error.message = buf_detach(&b);
}

/* Keeps what follows the last '#' of the part before the first ':', and
 * nothing from a NUL byte on. */
static char *
clean_error_code(const char *raw, size_t len)
{
	const char *nul = memchr(raw, '\0', len), *colon, *hash;

	if (nul)
		len = (size_t)(nul - raw);
	colon = memchr(raw, ':', len);
	if (colon)
		len = (size_t)(colon - raw);
	for (hash = raw + len; hash > raw && hash[-1] != '#'; hash--)
		;
	len -= (size_t)(hash - raw);
	while (len > 0 && isspace((unsigned char)hash[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*hash)) {
		hash++;
		len--;
	}
	return xstrndup(hash, len);
}

void
aws_parse_error(const char *body, size_t len, const char *type_header,
    long status, struct aws_error *err)
{
	struct buf b = BUF_INIT;
	size_t i = 0;

	aws_error_clear(err);
	err->status = status;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i < len && body[i] == '{') {
		jv v = jv_parse_sized(body + i, (int)(len - i));
		const char *type = json_str(v, "__type");
		const char *msg = json_str(v, "message");

		if (!type)
			type = json_str(v, "code");
		if (!msg)
			msg = json_str(v, "Message");
		if (type)
			err->code = clean_error_code(type, strlen(type));
		if (msg)
			err->message = xstrdup(msg);
		jv_free(v);
	} else if (i < len && body[i] == '<') {
		if (xml_text(body, len, "Code", &b))
			err->code = clean_error_code(b.data, b.len);
		buf_reset(&b);
		if (xml_text(body, len, "Message", &b))
			err->message = xstrdup(b.data);
		buf_reset(&b);
		if (xml_text(body, len, "RequestId", &b))
			err->request_id = xstrdup(b.data);
	} else if (len > i) {
		size_t n = len - i;

		if (n > 512)
			n = 512;
		buf_add(&b, body + i, n);
		while (b.len && isspace((unsigned char)b.data[b.len - 1]))
			b.data[--b.len] = '\0';
		err->message = xstrdup(b.data);
	}
	if ((!err->code || !*err->code) && type_header && *type_header) {
		free(err->code);
		err->code = clean_error_code(type_header, strlen(type_header));
	}
	if (!err->code || !*err->code) {
		free(err->code);
		err->code = xasprintf("HTTP%ld", status);
	}
	if (!err->message)
		err->message = xstrdup("");
	buf_free(&b);
}

int
aws_error_is_throttling(const char *code)
{
	static const char *const codes[] = {"Throttling",
	    "ThrottlingException", "ThrottledException",
	    "RequestThrottledException", "TooManyRequestsException",
	    "ProvisionedThroughputExceededException",
	    "TransactionInProgressException", "RequestLimitExceeded",
	    "BandwidthLimitExceeded", "LimitExceededException",
	    "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	    "EC2ThrottledException"};
	size_t i;

	for (i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

static int
is_transient_code(const char *code)
{
	return code && (strcmp(code, "RequestTimeout") == 0 ||
			   strcmp(code, "RequestTimeoutException") == 0 ||
			   strcmp(code, "PriorRequestNotComplete") == 0 ||
			   strcmp(code, "IDPCommunicationError") == 0);
}

static int
is_skew_code(const char *code, const char *message)
{
	if (!code)
		return 0;
	if (strcmp(code, "RequestTimeTooSkewed") == 0 ||
	    strcmp(code, "RequestExpired") == 0 ||
	    strcmp(code, "RequestInTheFuture") == 0 ||
	    strcmp(code, "AuthFailure") == 0)
		return 1;
	return (strcmp(code, "InvalidSignatureException") == 0 ||
		   strcmp(code, "SignatureDoesNotMatch") == 0) &&
	       message && strstr(message, "Signature expired");
}

static int
is_expired_token_code(const char *code)
{
	return code && (strcmp(code, "ExpiredToken") == 0 ||
			   strcmp(code, "ExpiredTokenException") == 0);
}

static int
is_retryable_transport(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static void build_and_send(struct aws_request *req);

static void
adopt_server_time(struct aws_request *req, int force)
{
	struct buf v = BUF_INIT;
	time_t server;
	double local, offset;

	if (!http_response_header(&req->http, "Date", &v) ||
	    parse_http_date(v.data, &server) < 0) {
		buf_free(&v);
		return;
	}
	buf_free(&v);
	local = now_seconds();
	offset = (double)server - local;
	if (force || fabs(offset - req->ctx->clock_offset) >
			 SKEW_ADOPT_SECONDS) {
		if (fabs(offset) < 2)
			offset = 0;
		if (offset != req->ctx->clock_offset)
			aws_debug(req->ctx, "clock offset to the server is "
					    "now %+.0f s",
			    offset);
		req->ctx->clock_offset = offset;
	}
}

static int
schedule_retry(struct aws_request *req, int timeout, int throttled)
{
	struct aws_ctx *ctx = req->ctx;
	int cost = timeout ? RETRY_COST_TIMEOUT : RETRY_COST;
	double base, delay;
	uint32_t r;

	if (req->attempt >= ctx->max_attempts)
		return 0;
	if (ctx->retry_tokens < cost) {
		aws_debug(ctx, "retry quota used up; not retrying %s",
		    req->operation);
		return 0;
	}
	ctx->retry_tokens -= cost;
	req->retry_cost = cost;
	base = ldexp(1.0, req->attempt - 1);
	if (base > 20)
		base = 20;
	random_bytes(&r, sizeof(r));
	delay = base * ((double)r / 4294967296.0);
	req->http.not_before_ms = monotonic_ms() + (int64_t)(delay * 1000);
	aws_debug(ctx, "retrying %s %s after %s in %.2f s (attempt %d of %d)",
	    req->svc->name, req->operation,
	    req->error.code && *req->error.code ? req->error.code
						: "a connection failure",
	    delay, req->attempt + 1, ctx->max_attempts);
	(void)throttled;
	build_and_send(req);
	return 1;
}

static void
finish_request(struct aws_request *req, int failed)
{
	req->failed = failed;
	req->error.attempts = req->attempt;
	if (!failed) {
		/* A first-try success returns one token; a success after
		 * retries returns what the last retry cost. */
		req->ctx->retry_tokens += req->retry_cost ? req->retry_cost : 1;
		if (req->ctx->retry_tokens > RETRY_QUOTA)
			req->ctx->retry_tokens = RETRY_QUOTA;
	}
	req->http.in_flight = 0;
	if (req->done)
		req->done(req);
}

static void
on_http_done(struct http_request *h)
{
	struct aws_request *req = h->data;
	struct aws_ctx *ctx = req->ctx;
	struct buf hv = BUF_INIT;

	aws_debug(ctx, "%s %s %s -> %ld (%.1f ms, attempt %d/%d, "
		       "connection #%ld%s%s)",
	    req->svc->name, req->operation, req->region ? req->region : "",
	    h->status, h->duration_ms, req->attempt, ctx->max_attempts,
	    h->connection_id, h->result != CURLE_OK ? ", " : "",
	    h->result != CURLE_OK ? h->error : "");
	if (h->result != CURLE_OK) {
		int timeout = h->result == CURLE_OPERATION_TIMEDOUT;

		if (timeout)
			set_error(req, "", "%s at %s timed out (%s); set "
					   "ECS_TIMEOUT to wait longer",
			    req->svc->name, req->url, h->error);
		else
			set_error(req, "", "cannot reach %s at %s: %s",
			    req->svc->name, req->url, h->error);
		req->error.status = 0;
		if (is_retryable_transport(h->result) && !h->too_large &&
		    schedule_retry(req, timeout, 0))
			return;
		finish_request(req, 1);
		return;
	}
	adopt_server_time(req, 0);
	if (h->status >= 200 && h->status < 300) {
		if (!req->raw_output &&
		    (req->svc->protocol == AWS_PROTO_JSON ||
			(req->svc->protocol == AWS_PROTO_REST &&
			    !req->svc->s3_signing))) {
			size_t i = 0;

			while (i < h->response.len &&
			       isspace((unsigned char)h->response.data[i]))
				i++;
			jv_free(req->output);
			req->output = i == h->response.len
					  ? jv_object()
					  : jv_parse_sized(h->response.data,
						(int)h->response.len);
			if (!jv_is_valid(req->output)) {
				jv msg = jv_invalid_get_msg(req->output);

				set_error(req, "InvalidResponse",
				    "the %s response is not valid JSON (%s)",
				    req->svc->name,
				    jv_get_kind(msg) == JV_KIND_STRING
					? jv_string_value(msg)
					: "parse error");
				jv_free(msg);
				req->output = jv_null();
				finish_request(req, 1);
				return;
			}
			/* Callers look members up, and libjq aborts on a
			 * lookup in anything but an object. */
			if (jv_get_kind(req->output) != JV_KIND_OBJECT) {
				set_error(req, "InvalidResponse",
				    "the %s response is JSON but not an object "
				    "(%s)",
				    req->svc->name,
				    jv_kind_name(jv_get_kind(req->output)));
				jv_free(req->output);
				req->output = jv_null();
				finish_request(req, 1);
				return;
			}
		}
		finish_request(req, 0);
		return;
	}
	http_response_header(h, "x-amzn-ErrorType", &hv);
	aws_parse_error(h->response.data, h->response.len,
	    hv.len ? hv.data : NULL, h->status, &req->error);
	if (!req->error.request_id &&
	    (http_response_header(h, "x-amzn-RequestId", &hv) ||
		http_response_header(h, "x-amz-request-id", &hv)))
		req->error.request_id = xstrdup(hv.data);
	buf_free(&hv);
	if (ctx->debug)
		aws_debug(ctx, "%s %s error %s: %s (request id %s)",
		    req->svc->name, req->operation, req->error.code,
		    req->error.message,
		    req->error.request_id ? req->error.request_id : "none");
	if (is_skew_code(req->error.code, req->error.message) &&
	    !req->skew_retried && req->attempt < ctx->max_attempts) {
		req->skew_retried = 1;
		adopt_server_time(req, 1);
		req->http.not_before_ms = 0;
		build_and_send(req);
		return;
	}
	if (is_expired_token_code(req->error.code) && !req->refresh_retried &&
	    !req->creds && ctx->have_creds && ctx->creds.refreshable &&
	    req->attempt < ctx->max_attempts) {
		req->refresh_retried = 1;
		aws_debug(ctx, "credentials expired; resolving them again");
		aws_drop_credentials(ctx);
		req->http.not_before_ms = 0;
		build_and_send(req);
		return;
	}
	if (aws_error_is_throttling(req->error.code) || h->status == 429 ||
	    is_transient_code(req->error.code) || h->status == 500 ||
	    h->status == 502 || h->status == 503 || h->status == 504) {
		if (schedule_retry(req, 0, 1))
			return;
	}
	finish_request(req, 1);
}

static int
sign_request(struct aws_request *req, const char *host, const char *path,
    struct buf *err)
{
	const struct aws_credentials *creds;
	struct sigv4_header *hs;
	struct sigv4_request sr;
	struct sigv4_params sp;
	struct sigv4_result res;
	size_t i, n = 0;
	int rc;

	creds = req->creds ? req->creds : aws_get_credentials(req->ctx, err);
	if (!creds)
		return -1;
	hs = xcalloc(req->n_headers + 1, sizeof(*hs));
	hs[n].name = "Host";
	hs[n++].value = host;
	for (i = 0; i < req->n_headers; i++) {
		hs[n].name = req->headers[i].name;
		hs[n++].value = req->headers[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = req->method;
	sr.path = path;
	sr.query = req->query;
	sr.headers = hs;
	sr.n_headers = n;
	sr.body = req->body.data;
	sr.body_len = req->body.len;
	memset(&sp, 0, sizeof(sp));
	sp.access_key_id = creds->access_key_id;
	sp.secret_access_key = creds->secret_access_key;
	sp.session_token = creds->session_token;
	sp.region = req->region;
	sp.service = req->svc->signing_name;
	sp.time = (time_t)(now_seconds() + req->ctx->clock_offset);
	sp.s3 = req->svc->s3_signing;
	sp.normalize_path = !sp.s3;
	sp.sign_body_hash = sp.s3;
	memset(&res, 0, sizeof(res));
	rc = sigv4_sign(&sr, &sp, &res, err);
	if (rc == 0) {
		struct buf line = BUF_INIT;

		/* X-Amz-Date, the token, the payload hash and Authorization. */
		for (i = 0; i < res.n_added; i++) {
			buf_reset(&line);
			buf_addf(&line, "%s: %s", res.added[i].name,
			    res.added[i].value);
			req->curl_headers =
			    curl_slist_append(req->curl_headers, line.data);
		}
		buf_free_secret(&line);
	}
	sigv4_result_free(&res);
	free(hs);
	return rc;
}

static void
build_and_send(struct aws_request *req)
{
	struct buf host = BUF_INIT, base = BUF_INIT, err = BUF_INIT;
	struct buf line = BUF_INIT;
	char *endpoint;
	int https;
	size_t i;

	req->attempt++;
	curl_slist_free_all(req->curl_headers);
	req->curl_headers = NULL;
	free(req->url);
	req->url = NULL;
	endpoint = aws_endpoint(req->ctx, req->svc, req->region, &err);
	if (!endpoint)
		goto fail;
	if (!req->region) {
		buf_addf(&err, "no region configured for profile \"%s\": use "
			       "--region, set AWS_REGION, or add \"region = "
			       "...\" to the profile",
		    req->ctx->profile);
		goto fail;
	}
	if (split_endpoint(endpoint, &host, &base, &https) < 0) {
		buf_addf(&err, "invalid endpoint URL \"%s\": expected "
			       "http://HOST[:PORT] or https://HOST[:PORT]",
		    endpoint);
		goto fail;
	}
	/* The global STS endpoint is signed for us-east-1. */
	if (req->svc == &aws_sts &&
	    strcmp(endpoint, "https://sts.amazonaws.com") == 0) {
		free(req->region);
		req->region = xstrdup("us-east-1");
	}
	/* An endpoint with a base path puts it before the operation's. */
	buf_adds(&base, req->path);
	req->url = xasprintf("%s://%s%s%s%s", https ? "https" : "http",
	    host.data, base.data, req->query ? "?" : "",
	    req->query ? req->query : "");
	buf_addf(&line, "Host: %s", host.data);
	req->curl_headers = curl_slist_append(req->curl_headers, line.data);
	for (i = 0; i < req->n_headers; i++) {
		buf_reset(&line);
		buf_addf(&line, "%s: %s", req->headers[i].name,
		    req->headers[i].value);
		req->curl_headers = curl_slist_append(req->curl_headers,
		    line.data);
	}
	/* No "Expect: 100-continue" round trip for larger bodies. */
	req->curl_headers = curl_slist_append(req->curl_headers, "Expect:");
	if (!req->no_auth && sign_request(req, host.data, base.data, &err) < 0)
		goto fail;
	req->http.method = req->method;
	req->http.url = req->url;
	req->http.headers = req->curl_headers;
	req->http.body = req->body.data;
	req->http.body_len = req->body.len;
	req->http.max_response = req->max_response;
	req->http.receive_buffer = req->receive_buffer;
	req->http.timeout_ms = req->timeout_ms;
	req->http.done = on_http_done;
	req->http.data = req;
	http_submit(req->ctx->http, &req->http);
	free(endpoint);
	buf_free(&host);
	buf_free(&base);
	buf_free(&line);
	buf_free(&err);
	return;
fail:
	set_error(req, "", "%s", err.data);
	free(endpoint);
	buf_free(&host);
	buf_free(&base);
	buf_free(&line);
	buf_free(&err);
	req->http.in_flight = 1;
	finish_request(req, 1);
}

void
aws_submit(struct aws_request *req, aws_done_fn done, void *data)
{
	req->done = done;
	req->data = data;
	req->attempt = 0;
	req->failed = 0;
	aws_error_clear(&req->error);
	req->http.not_before_ms = 0;
	req->http.in_flight = 1;
	build_and_send(req);
}

int
aws_run(struct aws_ctx *ctx, int timeout_ms)
{
	return http_run(ctx->http, timeout_ms);
}

void
aws_run_all(struct aws_ctx *ctx)
{
	http_run_all(ctx->http);
}

int
aws_perform(struct aws_request *req)
{
	aws_submit(req, NULL, NULL);
	while (req->http.in_flight)
		http_run(req->ctx->http, 1000);
	return req->failed ? -1 : 0;
}

jv
aws_request_take_output(struct aws_request *req)
{
	jv out = req->output;

	req->output = jv_null();
	return out;
}

void
aws_request_free(struct aws_request *req)
{
	size_t i;

	if (!req)
		return;
	free(req->operation);
	free(req->region);
	free(req->method);
	free(req->path);
	free(req->query);
	if (req->secret_body)
		buf_free_secret(&req->body);
	else
		buf_free(&req->body);
	for (i = 0; i < req->n_headers; i++) {
		free(req->headers[i].name);
		free_secret(req->headers[i].value);
	}
	free(req->headers);
	aws_error_clear(&req->error);
	jv_free(req->output);
	free(req->url);
	curl_slist_free_all(req->curl_headers);
	if (req->secret_body)
		buf_free_secret(&req->http.response);
	else
		buf_free(&req->http.response);
	buf_free(&req->http.response_headers);
	free(req);
}

void
aws_error_format(const struct aws_request *req, struct buf *out)
{
	const struct aws_error *e = &req->error;

	buf_addf(out, "%s: ", req->operation);
	if (e->code && *e->code)
		buf_addf(out, "%s: ", e->code);
	buf_adds(out, e->message && *e->message ? e->message
						 : "(no message)");
	if (e->attempts > 1)
		buf_addf(out, " (after %d attempts)", e->attempts);
}

int
aws_report_error(const struct aws_request *req)
{
	struct buf b = BUF_INIT;

	aws_error_format(req, &b);
	error("%s", b.data);
	buf_free(&b);
	return -1;
}

jv
aws_json_call(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation, jv input)
{
	struct aws_request *req = aws_json_request(ctx, svc, region,
	    operation, input);
	jv out;

	if (aws_perform(req) < 0) {
		aws_report_error(req);
		aws_request_free(req);
		return jv_invalid();
	}
	out = aws_request_take_output(req);
	aws_request_free(req);
	return out;
}
