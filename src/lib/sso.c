/* IAM Identity Center (SSO): token cache, token refresh, role credentials. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "credcache.h"
#include "json.h"
#include "sigv4.h"
#include "sso.h"
#include "util.h"

struct sso_config {
	const char *profile;
	const char *session;	/* sso_session name; NULL: legacy profile */
	const char *start_url;
	const char *region;
	const char *account_id;
	const char *role_name;
	const char *file;	/* for messages */
};

static const char *const sso_keys[] = {"sso_start_url", "sso_region",
    "sso_account_id", "sso_role_name"};

static const char *
profile_value(struct aws_ctx *ctx, const char *profile, const char *key)
{
	const char *v = config_profile_get(&ctx->config, profile, key);

	return v && *v ? v : NULL;
}

int
sso_configured(struct aws_ctx *ctx, const char *profile)
{
	size_t i;

	for (i = 0; i < sizeof(sso_keys) / sizeof(sso_keys[0]); i++)
		if (config_profile_property(&ctx->config, profile,
			sso_keys[i]))
			return 1;
	return 0;
}

static void
login_hint(const struct sso_config *c, struct buf *err)
{
	buf_addf(err, "; run \"aws sso login --profile %s\"", c->profile);
}

/* Takes start URL and region from the [sso-session] section, which must
 * agree with any the profile sets itself. */
static int
load_session(struct aws_ctx *ctx, struct sso_config *c, struct buf *err)
{
	const char *keys[] = {"sso_start_url", "sso_region"};
	const char **dest[] = {&c->start_url, &c->region};
	size_t i;

	if (!config_has_section(&ctx->config, SECTION_SSO_SESSION,
		c->session)) {
		buf_addf(err, "profile \"%s\" (%s) names sso_session = %s, "
			      "but there is no [sso-session %s] section",
		    c->profile, c->file, c->session, c->session);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		const char *own = profile_value(ctx, c->profile, keys[i]);
		const char *v = config_section_get(&ctx->config,
		    SECTION_SSO_SESSION, c->session, keys[i]);

		if (!v || !*v) {
			buf_addf(err, "[sso-session %s] (%s) lacks %s; add it",
			    c->session, c->file, keys[i]);
			return -1;
		}
		if (own && strcmp(own, v) != 0) {
			buf_addf(err, "profile \"%s\" (%s) sets %s to a "
				      "different value than its "
				      "[sso-session %s]; remove it from the "
				      "profile",
			    c->profile, c->file, keys[i], c->session);
			return -1;
		}
		*dest[i] = v;
	}
	return 0;
}

static int
load_config(struct aws_ctx *ctx, const char *profile, struct sso_config *c,
    struct buf *err)
{
	const struct config_property *prop = NULL;
	struct buf missing = BUF_INIT;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->profile = profile;
	for (i = 0; !prop && i < sizeof(sso_keys) / sizeof(sso_keys[0]); i++)
		prop = config_profile_property(&ctx->config, profile,
		    sso_keys[i]);
	c->file = prop && prop->file ? prop->file : "the config file";
	c->session = profile_value(ctx, profile, "sso_session");
	if (c->session) {
		if (load_session(ctx, c, err) < 0)
			return -1;
	} else {
		c->start_url = profile_value(ctx, profile, "sso_start_url");
		c->region = profile_value(ctx, profile, "sso_region");
	}
	c->account_id = profile_value(ctx, profile, "sso_account_id");
	c->role_name = profile_value(ctx, profile, "sso_role_name");
	for (i = 0; i < sizeof(sso_keys) / sizeof(sso_keys[0]); i++) {
		const char *v[] = {c->start_url, c->region, c->account_id,
		    c->role_name};

		if (!v[i])
			buf_addf(&missing, "%s%s", missing.len ? ", " : "",
			    sso_keys[i]);
	}
	if (missing.len) {
		buf_addf(err, "profile \"%s\" (%s) is set up for IAM Identity "
			      "Center (SSO) but lacks %s; add %s or run "
			      "\"aws configure sso --profile %s\"",
		    profile, c->file, missing.data,
		    strchr(missing.data, ',') ? "them" : "it", profile);
		buf_free(&missing);
		return -1;
	}
	buf_free(&missing);
	return 0;
}

static char *
token_cache_path(const struct sso_config *c)
{
	const char *name = c->session ? c->session : c->start_url;
	char hex[41], *dir, *path;

	/* The file is named after the session name, or after the start URL
	 * exactly as written for a legacy profile. */
	sha1_hex(name, strlen(name), hex);
	dir = expand_home("~/.aws/sso/cache");
	if (dir[0] == '~') {
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/%s.json", dir, hex);
	free(dir);
	return path;
}

static void
format_expiration(double t, char *out, size_t size)
{
	format_iso8601(floor(t), out, size);
}

/* Trades the refresh token for a new access token and writes it back to
 * the token file. Returns 0 with *token updated in place, or -1 with the
 * reason in why. */
static int
refresh_token(struct aws_ctx *ctx, const struct sso_config *c,
    const char *path, jv *token, struct buf *why)
{
	const char *client_id = json_str(*token, "clientId");
	const char *secret = json_str(*token, "clientSecret");
	const char *refresh = json_str(*token, "refreshToken");
	const char *reg_exp = json_str(*token, "registrationExpiresAt");
	struct aws_request *req;
	struct buf text = BUF_INIT;
	double t, expires_in;
	const char *access, *new_refresh;
	char when[32];
	jv body, out;

	if (!client_id || !secret || !refresh) {
		buf_adds(why, "the token file has no refresh token");
		return -1;
	}
	if (reg_exp && parse_iso8601(reg_exp, &t) == 0 && t <= now_seconds()) {
		buf_adds(why, "the client registration has expired");
		return -1;
	}
	body = jv_object();
	body = jv_object_set(body, jv_string("clientId"), jv_string(client_id));
	body = jv_object_set(body, jv_string("clientSecret"),
	    jv_string(secret));
	body = jv_object_set(body, jv_string("grantType"),
	    jv_string("refresh_token"));
	body = jv_object_set(body, jv_string("refreshToken"),
	    jv_string(refresh));
	req = aws_rest_request(ctx, &aws_sso_oidc, c->region, "CreateToken",
	    "POST", "/token", NULL);
	json_dump(body, &req->body);
	jv_free(body);
	aws_request_add_header(req, "Content-Type", "application/json");
	req->no_auth = 1;
	req->secret_body = 1;
	if (aws_perform(req) < 0) {
		aws_error_format(req, why);
		aws_request_free(req);
		return -1;
	}
	out = aws_request_take_output(req);
	aws_request_free(req);
	access = json_str(out, "accessToken");
	new_refresh = json_str(out, "refreshToken");
	expires_in = json_num(out, "expiresIn", 0);
	if (!access || !*access || expires_in <= 0) {
		buf_adds(why, "the CreateToken response has no accessToken "
			      "and expiresIn");
		jv_free(out);
		return -1;
	}
	format_expiration(now_seconds() + expires_in, when, sizeof(when));
	*token = jv_object_set(*token, jv_string("accessToken"),
	    jv_string(access));
	*token = jv_object_set(*token, jv_string("expiresAt"),
	    jv_string(when));
	if (new_refresh && *new_refresh)
		*token = jv_object_set(*token, jv_string("refreshToken"),
		    jv_string(new_refresh));
	jv_free(out);
	json_dump(*token, &text);
	if (write_file_atomic(path, text.data, text.len, 0600) < 0)
		aws_debug(ctx, "cannot write the refreshed SSO token to %s: %s",
		    path, strerror(errno));
	buf_free_secret(&text);
	return 0;
}

/* Loads the access token, refreshing it when it is about to expire.
 * Returns 0 with the token appended to access, or -1 with err set. */
static int
access_token(struct aws_ctx *ctx, const struct sso_config *c,
    struct buf *access, struct buf *err)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	char *path = token_cache_path(c);
	const char *value, *exp;
	jv token = jv_invalid();
	double expires = 0;
	char when[32];
	int rc = -1;

	if (!path) {
		buf_adds(err, "no home directory to find the SSO token cache "
			      "in; set HOME");
		return -1;
	}
	if (read_file(path, &text) < 0) {
		buf_addf(err, "no IAM Identity Center (SSO) login found for "
			      "profile \"%s\" (%s: %s)",
		    c->profile, path, strerror(errno));
		login_hint(c, err);
		goto done;
	}
	token = jv_parse_sized(text.data, (int)text.len);
	value = json_str(token, "accessToken");
	exp = json_str(token, "expiresAt");
	if (!value || !exp || parse_iso8601(exp, &expires) < 0) {
		buf_addf(err, "the SSO token file %s for profile \"%s\" has no "
			      "accessToken and expiresAt",
		    path, c->profile);
		login_hint(c, err);
		goto done;
	}
	if (c->session &&
	    expires - now_seconds() < SSO_TOKEN_REFRESH_WINDOW) {
		if (refresh_token(ctx, c, path, &token, &why) == 0) {
			parse_iso8601(json_str(token, "expiresAt"), &expires);
			aws_debug(ctx, "refreshed the SSO token of session %s",
			    c->session);
		} else {
			aws_debug(ctx, "cannot refresh the SSO token of "
				       "session %s: %s",
			    c->session, why.data);
		}
	}
	if (expires <= now_seconds()) {
		format_iso8601(expires, when, sizeof(when));
		buf_addf(err, "the IAM Identity Center (SSO) login for "
			      "profile \"%s\" expired at %s",
		    c->profile, when);
		if (why.len)
			buf_addf(err, " and cannot be refreshed (%s)",
			    why.data);
		login_hint(c, err);
		goto done;
	}
	buf_adds(access, json_str(token, "accessToken"));
	rc = 0;
done:
	jv_free(token);
	buf_free_secret(&text);
	buf_free(&why);
	free(path);
	return rc;
}

static int
get_role_credentials(struct aws_ctx *ctx, const struct sso_config *c,
    const char *token, struct aws_credentials *out, struct buf *err)
{
	struct buf query = BUF_INIT;
	struct aws_request *req;
	const char *id, *secret, *session;
	jv output, rc_obj;
	double ms;
	int rc = -1;

	buf_adds(&query, "account_id=");
	sigv4_uri_encode(c->account_id, strlen(c->account_id), 0, &query);
	buf_adds(&query, "&role_name=");
	sigv4_uri_encode(c->role_name, strlen(c->role_name), 0, &query);
	req = aws_rest_request(ctx, &aws_sso, c->region, "GetRoleCredentials",
	    "GET", "/federation/credentials", query.data);
	buf_free(&query);
	/* The bearer token replaces SigV4. */
	aws_request_add_header(req, "x-amz-sso_bearer_token", token);
	req->no_auth = 1;
	req->secret_body = 1;
	if (aws_perform(req) < 0) {
		buf_addf(err, "IAM Identity Center (SSO) role credentials for "
			      "profile \"%s\": ",
		    c->profile);
		aws_error_format(req, err);
		if (req->error.code &&
		    strcmp(req->error.code, "UnauthorizedException") == 0)
			login_hint(c, err);
		aws_request_free(req);
		return -1;
	}
	output = aws_request_take_output(req);
	aws_request_free(req);
	rc_obj = jv_object_get(jv_copy(output), jv_string("roleCredentials"));
	id = json_str(rc_obj, "accessKeyId");
	secret = json_str(rc_obj, "secretAccessKey");
	session = json_str(rc_obj, "sessionToken");
	ms = json_num(rc_obj, "expiration", 0);
	if (!id || !*id || !secret || !*secret || ms <= 0) {
		buf_addf(err, "GetRoleCredentials for profile \"%s\": the "
			      "response has no complete roleCredentials",
		    c->profile);
		goto done;
	}
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = session && *session ? xstrdup(session) : NULL;
	/* The expiration is in epoch milliseconds. */
	out->expiration = ms / 1000;
	out->account_id = xstrdup(c->account_id);
	out->refreshable = 1;
	rc = 0;
done:
	jv_free(rc_obj);
	jv_free(output);
	return rc;
}

static void
store_role_credentials(const char *key,
    const struct aws_credentials *creds)
{
	struct buf err = BUF_INIT;
	char when[32];
	jv c, doc;

	format_expiration(creds->expiration, when, sizeof(when));
	c = jv_object();
	c = jv_object_set(c, jv_string("AccessKeyId"),
	    jv_string(creds->access_key_id));
	c = jv_object_set(c, jv_string("SecretAccessKey"),
	    jv_string(creds->secret_access_key));
	c = jv_object_set(c, jv_string("SessionToken"),
	    creds->session_token ? jv_string(creds->session_token)
				 : jv_null());
	c = jv_object_set(c, jv_string("Expiration"), jv_string(when));
	c = jv_object_set(c, jv_string("AccountId"),
	    jv_string(creds->account_id));
	doc = jv_object_set(jv_object(), jv_string("ProviderType"),
	    jv_string("sso"));
	doc = jv_object_set(doc, jv_string("Credentials"), c);
	if (credcache_store(key, doc, &err) < 0)
		warning("cannot cache the SSO role credentials: %s", err.data);
	jv_free(doc);
	buf_free(&err);
}

int
sso_credentials(struct aws_ctx *ctx, const char *profile,
    struct aws_credentials *out, struct buf *err)
{
	struct buf token = BUF_INIT, why = BUF_INIT;
	struct sso_config c;
	char *key = NULL;
	int rc = -1;

	if (load_config(ctx, profile, &c, err) < 0)
		return -1;
	key = credcache_sso_key(c.account_id, c.role_name, c.session,
	    c.start_url);
	if (!ctx->no_cache && credcache_load(key, out, &why)) {
		aws_debug(ctx, "SSO role credentials for profile %s from the "
			       "cache (%s)",
		    profile, key);
		rc = 0;
		goto done;
	}
	if (why.len)
		aws_debug(ctx, "%s", why.data);
	if (access_token(ctx, &c, &token, err) < 0)
		goto done;
	if (get_role_credentials(ctx, &c, token.data, out, err) < 0)
		goto done;
	if (!ctx->no_cache)
		store_role_credentials(key, out);
	rc = 0;
done:
	if (rc == 0)
		out->source = "sso";
	buf_free_secret(&token);
	buf_free(&why);
	free(key);
	return rc;
}
