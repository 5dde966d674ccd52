/* The AWS CLI's credential cache in ~/.aws/cli/cache, shared with the CLI
 * so that one login or MFA prompt serves both tools.
 *
 * Each file contains one STS-style document ({"Credentials": {...}, ...})
 * named after a SHA-1 key computed exactly as the CLI does. Keys are
 * returned as malloc'd 40-character hex strings; documents passed in are
 * borrowed. Files are written 0600 through a temporary file and rename(2)
 * in a 0700 directory. */
#ifndef ECS_CREDCACHE_H
#define ECS_CREDCACHE_H

#include <jv.h>

#include "buf.h"
#include "creds.h"

/* Cached credentials are reused until this many seconds before they
 * expire; after that they are fetched again. */
#define CREDCACHE_MIN_REMAINING 300

/* Appends v (borrowed) the way Python's json.dumps(v, sort_keys=True)
 * writes it: keys sorted, non-ASCII as \uXXXX escapes, and ", " and ": "
 * separators, or "," and ":" when compact is set. */
void credcache_python_json(jv v, int compact, struct buf *out);

/* Key of an AssumeRole or AssumeRoleWithWebIdentity result: args contains the
 * parameters sent (RoleArn, and RoleSessionName only when configured,
 * ExternalId, SerialNumber, DurationSeconds as a number, Policy parsed),
 * never the token code or web identity token. */
char *credcache_role_key(jv args);
/* Key of IAM Identity Center role credentials. session_name is the
 * sso_session name; a legacy profile passes NULL and its start_url. */
char *credcache_sso_key(const char *account_id, const char *role_name,
    const char *session_name, const char *start_url);

/* The cache directory (~/.aws/cli/cache); NULL without a home directory. */
char *credcache_dir(void);

/* Loads the credentials stored under key when they are valid for more
 * than CREDCACHE_MIN_REMAINING seconds. Returns 1 with out filled (source
 * left unset), or 0 when there is no usable entry. An unreadable or
 * damaged file is described in why (may be NULL), for --debug. */
int credcache_load(const char *key, struct aws_credentials *out,
    struct buf *why);
/* Stores doc under key. Returns 0, or -1 with the reason in err. */
int credcache_store(const char *key, jv doc, struct buf *err);

/* The account ID in an ARN ("arn:aws:sts::123456789012:..."), malloc'd,
 * or NULL. */
char *arn_account_id(const char *arn);

#endif
