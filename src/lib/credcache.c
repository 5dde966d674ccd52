/* The AWS CLI credential cache: key derivation and the JSON files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credcache.h"
#include "json.h"
#include "text.h"
#include "util.h"

static void
python_string(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	buf_addc(out, '"');
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;

		switch (c) {
		case '"':
			buf_adds(out, "\\\"");
			i++;
			continue;
		case '\\':
			buf_adds(out, "\\\\");
			i++;
			continue;
		case '\n':
			buf_adds(out, "\\n");
			i++;
			continue;
		case '\r':
			buf_adds(out, "\\r");
			i++;
			continue;
		case '\t':
			buf_adds(out, "\\t");
			i++;
			continue;
		case '\b':
			buf_adds(out, "\\b");
			i++;
			continue;
		case '\f':
			buf_adds(out, "\\f");
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			buf_addc(out, (char)c);
			i++;
			continue;
		}
		i += utf8_decode(s + i, len - i, &cp);
		if (cp > 0xffff) {
			/* ensure_ascii writes a UTF-16 surrogate pair. */
			cp -= 0x10000;
			buf_addf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
			    0xdc00 + (cp & 0x3ff));
		} else {
			buf_addf(out, "\\u%04x", cp);
		}
	}
	buf_addc(out, '"');
}

/* NOTE: jv keeps every number as a double, so an integral value is written
 * as a Python int ("5") even when the policy text had "5.0". */
static void
python_number(double d, struct buf *out)
{
	char tmp[40];
	int prec;

	if (d == floor(d) && fabs(d) < 1e17) {
		buf_addf(out, "%.0f", d);
		return;
	}
	/* Python's repr: the shortest text that reads back as d. */
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	buf_adds(out, tmp);
}

void
credcache_python_json(jv v, int compact, struct buf *out)
{
	const char *item_sep = compact ? "," : ", ";
	const char *key_sep = compact ? ":" : ": ";
	int i, n;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		buf_adds(out, "null");
		break;
	case JV_KIND_TRUE:
		buf_adds(out, "true");
		break;
	case JV_KIND_FALSE:
		buf_adds(out, "false");
		break;
	case JV_KIND_NUMBER:
		python_number(jv_number_value(v), out);
		break;
	case JV_KIND_STRING:
		python_string(jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)), out);
		break;
	case JV_KIND_ARRAY:
		buf_addc(out, '[');
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			jv item = jv_array_get(jv_copy(v), i);

			if (i)
				buf_adds(out, item_sep);
			credcache_python_json(item, compact, out);
			jv_free(item);
		}
		buf_addc(out, ']');
		break;
	case JV_KIND_OBJECT: {
		/* jv_keys sorts by UTF-8 bytes, which is code point order,
		 * as Python's sort_keys. */
		jv keys = jv_keys(jv_copy(v));

		buf_addc(out, '{');
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			jv key = jv_array_get(jv_copy(keys), i);
			jv item = jv_object_get(jv_copy(v), jv_copy(key));

			if (i)
				buf_adds(out, item_sep);
			credcache_python_json(key, compact, out);
			buf_adds(out, key_sep);
			credcache_python_json(item, compact, out);
			jv_free(key);
			jv_free(item);
		}
		jv_free(keys);
		buf_addc(out, '}');
		break;
	}
	default:
		buf_adds(out, "null");
	}
}

static char *
sha1_key(jv v, int compact)
{
	struct buf text = BUF_INIT;
	char hex[41];

	credcache_python_json(v, compact, &text);
	sha1_hex(text.data, text.len, hex);
	buf_free(&text);
	/* The CLI also turns ':' and '/' into '_', which never occur in a
	 * hex digest. */
	return xstrdup(hex);
}

char *
credcache_role_key(jv args)
{
	return sha1_key(args, 0);
}

char *
credcache_sso_key(const char *account_id, const char *role_name,
    const char *session_name, const char *start_url)
{
	jv args = jv_object();
	char *key;

	args = jv_object_set(args, jv_string("accountId"),
	    jv_string(account_id));
	args = jv_object_set(args, jv_string("roleName"),
	    jv_string(role_name));
	if (session_name)
		args = jv_object_set(args, jv_string("sessionName"),
		    jv_string(session_name));
	else
		args = jv_object_set(args, jv_string("startUrl"),
		    jv_string(start_url));
	key = sha1_key(args, 1);
	jv_free(args);
	return key;
}

char *
credcache_dir(void)
{
	char *dir = expand_home("~/.aws/cli/cache");

	if (dir[0] == '~') {
		free(dir);
		return NULL;
	}
	return dir;
}

static char *
cache_path(const char *key)
{
	char *dir = credcache_dir();
	char *path;

	if (!dir)
		return NULL;
	path = xasprintf("%s/%s.json", dir, key);
	free(dir);
	return path;
}

char *
arn_account_id(const char *arn)
{
	const char *p = arn;
	size_t n;
	int i;

	if (!arn || !str_starts_with(arn, "arn:"))
		return NULL;
	/* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
	for (i = 0; i < 4; i++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	n = strcspn(p, ":");
	return n == 12 ? xstrndup(p, n) : NULL;
}

int
credcache_load(const char *key, struct aws_credentials *out,
    struct buf *why)
{
	struct buf text = BUF_INIT;
	char *path = cache_path(key);
	jv doc = jv_invalid(), c = jv_null();
	const char *id, *secret, *token, *exp, *account, *arn;
	double expiration;
	int found = 0;

	if (!path || read_file(path, &text) < 0) {
		if (path && errno != ENOENT && why)
			buf_addf(why, "cannot read %s: %s", path,
			    strerror(errno));
		goto done;
	}
	doc = jv_parse_sized(text.data, (int)text.len);
	c = jv_is_valid(doc) ? jv_object_get(jv_copy(doc),
				   jv_string("Credentials"))
			     : jv_null();
	id = json_str(c, "AccessKeyId");
	secret = json_str(c, "SecretAccessKey");
	token = json_str(c, "SessionToken");
	exp = json_str(c, "Expiration");
	if (!id || !*id || !secret || !*secret || !exp ||
	    parse_iso8601(exp, &expiration) < 0) {
		if (why)
			buf_addf(why, "ignoring %s: no complete credentials "
				      "with an expiration time in it",
			    path);
		goto done;
	}
	if (expiration - now_seconds() <= CREDCACHE_MIN_REMAINING)
		goto done;
	out->access_key_id = xstrdup(id);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->expiration = expiration;
	out->refreshable = 1;
	account = json_str(c, "AccountId");
	if (account && *account) {
		out->account_id = xstrdup(account);
	} else {
		jv user = jv_is_valid(doc)
			      ? jv_object_get(jv_copy(doc),
				    jv_string("AssumedRoleUser"))
			      : jv_null();

		arn = json_str(user, "Arn");
		out->account_id = arn_account_id(arn);
		jv_free(user);
	}
	found = 1;
done:
	jv_free(c);
	jv_free(doc);
	buf_free_secret(&text);
	free(path);
	return found;
}

int
credcache_store(const char *key, jv doc, struct buf *err)
{
	struct buf text = BUF_INIT;
	char *dir = credcache_dir();
	char *path = NULL;
	int rc = -1;

	if (!dir) {
		buf_adds(err, "no home directory (set HOME)");
		return -1;
	}
	if (mkdir_p(dir, 0700) < 0) {
		buf_addf(err, "cannot create %s: %s", dir, strerror(errno));
		goto done;
	}
	path = xasprintf("%s/%s.json", dir, key);
	json_dump(doc, &text);
	if (write_file_atomic(path, text.data, text.len, 0600) < 0) {
		buf_addf(err, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	buf_free_secret(&text);
	free(path);
	free(dir);
	return rc;
}
