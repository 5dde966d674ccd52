/* STS role and identity calls over the query protocol. */
#include <stdlib.h>
#include <string.h>

#include "credcache.h"
#include "sts.h"
#include "util.h"
#include "xml.h"

const char *
sts_region(const struct aws_ctx *ctx)
{
	return ctx->region ? ctx->region : "us-east-1";
}

static void
add_param(struct buf *params, const char *key, const char *value)
{
	if (value && *value)
		aws_query_add(params, key, value);
}

static void
role_params(const struct sts_role_request *r, struct buf *params)
{
	char num[32];

	add_param(params, "RoleArn", r->role_arn);
	add_param(params, "RoleSessionName", r->role_session_name);
	add_param(params, "PrincipalArn", r->principal_arn);
	add_param(params, "SAMLAssertion", r->saml_assertion);
	add_param(params, "WebIdentityToken", r->web_identity_token);
	add_param(params, "ExternalId", r->external_id);
	add_param(params, "SerialNumber", r->serial_number);
	add_param(params, "TokenCode", r->token_code);
	if (r->duration_seconds > 0) {
		snprintf(num, sizeof(num), "%ld", r->duration_seconds);
		aws_query_add(params, "DurationSeconds", num);
	}
}

/* Decoded text of tag inside [xml, xml + len), or NULL (caller frees). */
static char *
xml_string(const char *xml, size_t len, const char *tag)
{
	struct buf b = BUF_INIT;

	if (!xml_text(xml, len, tag, &b)) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* Finds the element tag and returns its inner bytes, or NULL. */
static const char *
xml_element(const char *xml, size_t len, const char *tag, size_t *inner_len)
{
	const char *inner;
	size_t pos = 0;

	if (!xml_find(xml, len, &pos, tag, &inner, inner_len))
		return NULL;
	return inner;
}

static jv
jv_string_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

static int
parse_role_response(const char *xml, size_t len,
    struct aws_credentials *out, jv *doc, struct buf *err)
{
	const char *creds, *user;
	size_t creds_len = 0, user_len = 0;
	char *expiration = NULL, *arn = NULL, *role_id = NULL;
	char *request_id = NULL;
	int rc = -1;

	creds = xml_element(xml, len, "Credentials", &creds_len);
	if (creds) {
		out->access_key_id = xml_string(creds, creds_len,
		    "AccessKeyId");
		out->secret_access_key = xml_string(creds, creds_len,
		    "SecretAccessKey");
		out->session_token = xml_string(creds, creds_len,
		    "SessionToken");
		expiration = xml_string(creds, creds_len, "Expiration");
	}
	if (!out->access_key_id || !out->secret_access_key ||
	    !out->session_token || !expiration ||
	    parse_iso8601(expiration, &out->expiration) < 0) {
		buf_adds(err, "the STS response has no complete Credentials "
			      "element with an Expiration time");
		goto done;
	}
	user = xml_element(xml, len, "AssumedRoleUser", &user_len);
	if (user) {
		arn = xml_string(user, user_len, "Arn");
		role_id = xml_string(user, user_len, "AssumedRoleId");
	}
	out->account_id = arn_account_id(arn);
	out->refreshable = 1;
	request_id = xml_string(xml, len, "RequestId");
	if (doc) {
		jv c = jv_object();

		c = jv_object_set(c, jv_string("AccessKeyId"),
		    jv_string(out->access_key_id));
		c = jv_object_set(c, jv_string("SecretAccessKey"),
		    jv_string(out->secret_access_key));
		c = jv_object_set(c, jv_string("SessionToken"),
		    jv_string(out->session_token));
		c = jv_object_set(c, jv_string("Expiration"),
		    jv_string(expiration));
		*doc = jv_object_set(jv_object(), jv_string("Credentials"), c);
		if (arn || role_id) {
			jv u = jv_object();

			u = jv_object_set(u, jv_string("AssumedRoleId"),
			    jv_string_or_null(role_id));
			u = jv_object_set(u, jv_string("Arn"),
			    jv_string_or_null(arn));
			*doc = jv_object_set(*doc,
			    jv_string("AssumedRoleUser"), u);
		}
		if (request_id)
			*doc = jv_object_set(*doc,
			    jv_string("ResponseMetadata"),
			    jv_object_set(jv_object(),
				jv_string("RequestId"),
				jv_string(request_id)));
	}
	rc = 0;
done:
	if (rc < 0)
		aws_credentials_clear(out);
	free(expiration);
	free(arn);
	free(role_id);
	free(request_id);
	return rc;
}

int
sts_assume(struct aws_ctx *ctx, const struct aws_credentials *signer,
    const struct sts_role_request *r, struct aws_credentials *out, jv *doc,
    struct buf *err)
{
	struct buf params = BUF_INIT;
	struct aws_request *req;
	size_t error_start;
	int rc;

	role_params(r, &params);
	req = aws_query_request(ctx, &aws_sts, sts_region(ctx), r->operation,
	    params.data);
	buf_free_secret(&params);
	/* The body may carry a token code, a web identity token or a SAML
	 * assertion, and the response carries the new secret key. */
	req->secret_body = 1;
	if (strcmp(r->operation, "AssumeRole") == 0)
		req->creds = signer;
	else
		req->no_auth = 1;
	if (aws_perform(req) < 0) {
		aws_error_format(req, err);
		aws_request_free(req);
		return -1;
	}
	/* An unparsable reply is reported as the operation, then a code, like
	 * any other AWS error. */
	error_start = err->len;
	buf_addf(err, "%s: InvalidResponse: ", r->operation);
	rc = parse_role_response(req->response->data, req->response->len,
	    out, doc, err);
	if (rc == 0 && err->data) {
		err->len = error_start;
		err->data[error_start] = '\0';
	}
	aws_request_free(req);
	return rc;
}

int
sts_get_caller_identity(struct aws_ctx *ctx,
    const struct aws_credentials *creds, jv *identity, struct buf *err)
{
	struct aws_request *req;
	const char *xml;
	char *user_id, *account, *arn;
	size_t len;

	req = aws_query_request(ctx, &aws_sts, sts_region(ctx),
	    "GetCallerIdentity", NULL);
	req->creds = creds;
	if (aws_perform(req) < 0) {
		aws_error_format(req, err);
		aws_request_free(req);
		return -1;
	}
	xml = req->response->data;
	len = req->response->len;
	user_id = xml_string(xml, len, "UserId");
	account = xml_string(xml, len, "Account");
	arn = xml_string(xml, len, "Arn");
	aws_request_free(req);
	if (!arn || !account) {
		buf_adds(err, "GetCallerIdentity: the response has no Arn or "
			      "Account element");
		free(user_id);
		free(account);
		free(arn);
		return -1;
	}
	*identity = jv_object();
	*identity = jv_object_set(*identity, jv_string("UserId"),
	    jv_string_or_null(user_id));
	*identity = jv_object_set(*identity, jv_string("Account"),
	    jv_string(account));
	*identity = jv_object_set(*identity, jv_string("Arn"), jv_string(arn));
	free(user_id);
	free(account);
	free(arn);
	return 0;
}
