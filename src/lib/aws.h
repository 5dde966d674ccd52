/* Calls to AWS services: endpoints, signing, the JSON 1.1, query and REST
 * protocols, error parsing, standard-mode retries and clock-skew
 * correction, on top of http.h.
 *
 * An aws_ctx holds what a program resolved once (profile, region,
 * credentials, endpoint overrides) and one HTTP client, so every call
 * shares its connections. An aws_request is owned by its creator and freed
 * with aws_request_free; its output jv is borrowed unless taken with
 * aws_request_take_output. */
#ifndef ECS_AWS_H
#define ECS_AWS_H

#include <stddef.h>
#include <jv.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "http.h"

enum aws_protocol {
	AWS_PROTO_JSON,		/* JSON 1.1 with X-Amz-Target */
	AWS_PROTO_QUERY,	/* form body, XML response */
	AWS_PROTO_REST,		/* method and path carry the operation */
};

struct aws_service {
	const char *name;		/* for messages: "ECS" */
	const char *endpoint_prefix;	/* host label: "ecs" */
	const char *signing_name;	/* credential scope: "ecs" */
	const char *env_name;		/* AWS_ENDPOINT_URL_<env_name> */
	const char *config_key;		/* key in a [services] section */
	const char *target_prefix;	/* JSON: X-Amz-Target prefix */
	const char *api_version;	/* query: Version= */
	enum aws_protocol protocol;
	int s3_signing;
};

extern const struct aws_service aws_ecs, aws_logs, aws_ssm, aws_sts, aws_s3,
    aws_kms, aws_sso, aws_sso_oidc;

struct aws_options {
	const char *profile;		/* --profile, or NULL */
	const char *region;		/* --region, or NULL */
	const char *endpoint_url;	/* --endpoint-url, or NULL */
	int debug;
	long max_concurrency;		/* requests in flight; 0: default */
	int need_region;		/* die when no region resolves */
};

struct aws_ctx {
	struct config config;
	const char *profile;		/* active profile name */
	int profile_explicit;		/* came from --profile */
	char *region;			/* NULL when none was configured */
	char *endpoint_url;		/* --endpoint-url */
	int debug;
	int max_attempts;		/* AWS_MAX_ATTEMPTS / max_attempts */
	double clock_offset;		/* server time minus local time, s */
	int retry_tokens;		/* standard-mode retry quota */
	struct http_client *http;

	struct aws_credentials creds;
	int have_creds;
	/* Resolves credentials; creds_resolve_chain unless replaced. */
	int (*resolve_credentials)(struct aws_ctx *ctx,
	    struct aws_credentials *out, struct buf *err);

	/* Inputs some providers need; set by ecs-creds. */
	const char *mfa_code;
	int no_cache;
	int assume_depth;		/* nested role resolution guard */
};

struct aws_error {
	char *code;		/* AWS error code, or a transport code such as
				   "ConnectionError"; NULL on success */
	char *message;
	long status;		/* HTTP status; 0 without a response */
	char *request_id;
	int attempts;
};

struct aws_request;
typedef void (*aws_done_fn)(struct aws_request *req);

struct aws_header {
	char *name;
	char *value;
};

struct aws_request {
	struct aws_ctx *ctx;
	const struct aws_service *svc;
	char *operation;
	char *region;
	char *method;
	char *path;		/* wire-encoded path */
	char *query;		/* wire query without '?', or NULL */
	struct buf body;
	struct aws_header *headers;	/* extra headers, owned */
	size_t n_headers;
	int no_auth;		/* sent unsigned */
	/* Signs with these (borrowed) instead of the ctx's credentials;
	 * role chains sign each STS call with the previous hop's. */
	const struct aws_credentials *creds;
	int secret_body;	/* never log the body (tokens inside) */
	size_t max_response;	/* 0: the HTTP client's default */
	long timeout_ms;	/* 0: the HTTP client's default */
	size_t receive_buffer;	/* see struct http_request */
	/* JSON protocols: leave a successful body unparsed in *response
	 * (output stays jv_null) for a caller with its own parser. */
	int raw_output;

	/* Result, valid in the done callback. */
	int failed;
	struct aws_error error;
	jv output;		/* JSON protocols: the parsed response */
	struct buf *response;	/* raw body (query and REST) */

	aws_done_fn done;
	void *data;

	/* Private to aws.c. */
	int attempt;
	int skew_retried;
	int refresh_retried;
	int retry_cost;
	char *url;
	struct curl_slist *curl_headers;
	struct http_request http;
};

/* Loads the config files, picks the profile and region. Dies with a clear
 * message on a broken config file or an unknown profile. */
void aws_ctx_init(struct aws_ctx *ctx, const struct aws_options *o);
void aws_ctx_free(struct aws_ctx *ctx);
/* Returns the current credentials, resolving or refreshing them when they
 * are missing or expire within 10 minutes; NULL with err set on failure. */
const struct aws_credentials *aws_get_credentials(struct aws_ctx *ctx,
    struct buf *err);
/* Forgets the cached credentials so the next call resolves them again. */
void aws_drop_credentials(struct aws_ctx *ctx);
/* The endpoint URL for svc in region (see aws.c for the order). Caller
 * frees. Returns NULL with err set when the configuration is invalid. */
char *aws_endpoint(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, struct buf *err);

/* JSON 1.1 request; consumes input (an object, or jv_null for {}). */
struct aws_request *aws_json_request(struct aws_ctx *ctx,
    const struct aws_service *svc, const char *region, const char *operation,
    jv input);
/* Query-protocol request; params is the form body after Action and
 * Version, already encoded with aws_query_add (may be NULL). */
struct aws_request *aws_query_request(struct aws_ctx *ctx,
    const struct aws_service *svc, const char *region, const char *operation,
    const char *params);
/* REST request: method and wire path (and query) name the operation. */
struct aws_request *aws_rest_request(struct aws_ctx *ctx,
    const struct aws_service *svc, const char *region, const char *operation,
    const char *method, const char *path, const char *query);
void aws_request_add_header(struct aws_request *req, const char *name,
    const char *value);
/* Appends "&key=value" with the value percent-encoded. */
void aws_query_add(struct buf *params, const char *key, const char *value);

/* Starts req; done runs when it succeeded or failed for good. */
void aws_submit(struct aws_request *req, aws_done_fn done, void *data);
/* Runs every submitted request to completion. */
void aws_run_all(struct aws_ctx *ctx);
/* Runs requests for up to timeout_ms; returns how many are still open. */
int aws_run(struct aws_ctx *ctx, int timeout_ms);
/* Submits and waits for req alone. Returns 0 on success, -1 on failure. */
int aws_perform(struct aws_request *req);
/* Takes the parsed output from req (jv_null if none). */
jv aws_request_take_output(struct aws_request *req);
void aws_request_free(struct aws_request *req);

/* Formats "Operation: Code: message (after N attempts)". */
void aws_error_format(const struct aws_request *req, struct buf *out);
/* Prints the formatted error of req through error(). Returns -1. */
int aws_report_error(const struct aws_request *req);

/* One-shot JSON call: returns the output, or jv_invalid after printing
 * the error. */
jv aws_json_call(struct aws_ctx *ctx, const struct aws_service *svc,
    const char *region, const char *operation, jv input);

/* Parses an AWS error body (JSON or XML) into code and message; the code
 * loses any "prefix#" and ":suffix" decoration. Exposed for tests. */
void aws_parse_error(const char *body, size_t len, const char *type_header,
    long status, struct aws_error *err);
void aws_error_clear(struct aws_error *err);
int aws_error_is_throttling(const char *code);

/* "debug: ..." lines on stderr when ctx->debug is set. */
void aws_debug(struct aws_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
