#!/usr/bin/env bash
# ecs-creds: IAM Identity Center (SSO) profiles against a local portal and
# SSO OIDC endpoint (t/lib/cred-endpoints.py): the token cache that
# "aws sso login" writes, token refresh, role credentials and their cache.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

start_local_aws
use_own_profiles
start_cred_endpoints
export AWS_ENDPOINT_URL_SSO=$CRED_URL AWS_ENDPOINT_URL_SSO_OIDC=$CRED_URL
ACCOUNT=111122223333
LEGACY_URL='https://legacy.awsapps.com/start#'
write_config <<EOF
[profile sso]
sso_session = corp
sso_account_id = $ACCOUNT
sso_role_name = Admin
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = $LEGACY_URL
sso_region = eu-west-1
sso_account_id = $ACCOUNT
sso_role_name = ReadOnly

[profile nosession]
sso_session = nosuch
sso_account_id = $ACCOUNT
sso_role_name = Admin

[profile mismatch]
sso_session = corp
sso_region = us-west-2
sso_account_id = $ACCOUNT
sso_role_name = Admin

[profile viasso]
role_arn = arn:aws:iam::123456789012:role/from-sso
source_profile = sso
EOF

TOKENS=$HOME/.aws/sso/cache
mkdir -p "$TOKENS"
sha1() { printf '%s' "$1" | sha1sum | cut -d' ' -f1; }
SESSION_FILE=$TOKENS/$(sha1 corp).json
LEGACY_FILE=$TOKENS/$(sha1 "$LEGACY_URL").json
iso_in() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# write_token FILE SECONDS_LEFT [ACCESS_TOKEN]: a token file as the AWS CLI
# writes it (the session style has the refresh fields).
write_token()
{
	jq -n --arg exp "$(iso_in "$2")" --arg token "${3:-sso-access-token}" \
		--arg reg "$(iso_in 86400)" '{startUrl: "https://corp.awsapps.com/start",
		region: "us-east-1", accessToken: $token, expiresAt: $exp,
		clientId: "client-id", clientSecret: "client-secret",
		registrationExpiresAt: $reg, refreshToken: "sso-refresh-token"}' >"$1"
}
write_token "$SESSION_FILE" 3600
jq -n --arg exp "$(iso_in 3600)" '{startUrl: "https://legacy.awsapps.com/start#",
	region: "eu-west-1", accessToken: "sso-access-token", expiresAt: $exp}' \
	>"$LEGACY_FILE"
ROLE_KEY=$(printf '{"accountId":"%s","roleName":"Admin","sessionName":"corp"}' "$ACCOUNT" | sha1sum | cut -d' ' -f1)

# Role credentials from a valid token.

cred_clear_log
out=$(ecs-creds -p sso)
is "$?" 0 "SSO profile resolves"
is "$(jq -r '[.source, .AccessKeyId, .SessionToken, .AccountId] | @tsv' <<<"$out")" \
	"$(printf 'sso\tASIASSOADMIN\tsso-token\t%s' "$ACCOUNT")" "SSO record"
like "$(jq -r .Expiration <<<"$out")" '^20' "SSO credentials expire"
is "$(cred_log | jq -c '[.method, .path, .query, .headers["x-amz-sso_bearer_token"], .headers.authorization]')" \
	"[\"GET\",\"/federation/credentials\",{\"account_id\":\"$ACCOUNT\",\"role_name\":\"Admin\"},\"sso-access-token\",null]" \
	"GetRoleCredentials with the bearer token and no signature"
is "$(jq -r .Credentials.AccessKeyId "$HOME/.aws/cli/cache/$ROLE_KEY.json")" \
	ASIASSOADMIN "role credentials cached under the AWS CLI's SSO key"
is "$(stat -c %a "$HOME/.aws/cli/cache/$ROLE_KEY.json")" 600 \
	"SSO cache file is 0600"
cred_clear_log
is "$(ecs-creds -p sso | jq -r .AccessKeyId)" ASIASSOADMIN \
	"second run returns the cached credentials"
is "$(cred_log | wc -l)" 0 "second run makes no request"

# Refresh of a token about to expire.

write_token "$SESSION_FILE" 300
cred_settings '{"sso_access_token": "sso-access-token-2"}'
cred_clear_log
out=$(ecs-creds -p sso --no-cache)
is "$?" 0 "token with 5 minutes left is refreshed"
is "$(cred_log | jq -c 'select(.path == "/token") | .body | fromjson')" \
	'{"clientId":"client-id","clientSecret":"client-secret","grantType":"refresh_token","refreshToken":"sso-refresh-token"}' \
	"CreateToken with the refresh token"
is "$(cred_log | jq -r 'select(.path == "/federation/credentials") | .headers["x-amz-sso_bearer_token"]')" \
	sso-access-token-2 "role credentials fetched with the new token"
is "$(jq -r '[.accessToken, .refreshToken, .clientId, .startUrl] | @tsv' "$SESSION_FILE")" \
	"$(printf 'sso-access-token-2\tsso-refresh-token-2\tclient-id\thttps://corp.awsapps.com/start')" \
	"token file updated, other fields kept"
left=$(( $(date -d "$(jq -r .expiresAt "$SESSION_FILE")" +%s) - $(date +%s) ))
[ "$left" -gt 3600 ]
ok $? "refreshed token expires later"
is "$(stat -c %a "$SESSION_FILE")" 600 "token file stays 0600"

# Logins that have ended.

write_token "$SESSION_FILE" -60 sso-access-token-2
cred_settings '{"sso_refresh_token": "revoked"}'
out=$(ecs-creds -p sso --no-cache 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "expired token, refresh rejected: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'the IAM Identity Center \(SSO\) login for profile "sso" expired at .* and cannot be refreshed \(CreateToken: InvalidGrantException: invalid grant\); run "aws sso login --profile sso"' \
	"expired token, refresh rejected: message names the login command"
unlike "$(cat "$TEST_SCRATCH/err")" 'client-secret|sso-refresh-token|sso-access-token' \
	"no token in the message"

jq --arg exp "$(iso_in -60)" '.expiresAt = $exp' "$LEGACY_FILE" >"$TEST_SCRATCH/t" &&
	mv "$TEST_SCRATCH/t" "$LEGACY_FILE"
cred_clear_log
out=$(ecs-creds -p legacy 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "expired legacy token: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'login for profile "legacy" expired at .*; run "aws sso login --profile legacy"' \
	"expired legacy token: message"
is "$(cred_log | wc -l)" 0 "legacy tokens are not refreshed"
jq --arg exp "$(iso_in 3600)" '.expiresAt = $exp' "$LEGACY_FILE" >"$TEST_SCRATCH/t" &&
	mv "$TEST_SCRATCH/t" "$LEGACY_FILE"
cred_settings '{}'
is "$(ecs-creds -p legacy | jq -r .AccessKeyId)" ASIASSOREADONLY \
	"legacy token file is named after the start URL as written"

rm "$SESSION_FILE"
out=$(ecs-creds -p sso --no-cache 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "no login: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	"no IAM Identity Center \\(SSO\\) login found for profile \"sso\" \\($SESSION_FILE: No such file or directory\\); run \"aws sso login --profile sso\"" \
	"no login: message"
write_token "$SESSION_FILE" 3600 wrong-token
out=$(ecs-creds -p sso --no-cache 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "token rejected by the portal: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'GetRoleCredentials: UnauthorizedException: Session token not found or invalid; run "aws sso login --profile sso"' \
	"token rejected by the portal: message"

# Configuration errors.

out=$(ecs-creds -p nosession 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "missing sso-session section: exit 1"
like "$(cat "$TEST_SCRATCH/err")" \
	'profile "nosession" \(~/\.aws/config\) names sso_session = nosuch, but there is no \[sso-session nosuch\] section' \
	"missing sso-session section: message"
out=$(ecs-creds -p mismatch 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "conflicting sso_region: exit 1"
like "$(cat "$TEST_SCRATCH/err")" \
	'profile "mismatch" \(~/\.aws/config\) sets sso_region to a different value than its \[sso-session corp\]' \
	"conflicting sso_region: message"

# An SSO profile as the source of a role.

write_token "$SESSION_FILE" 3600
seq0=$(last_seq)
out=$(ecs-creds -p viasso --no-cache)
is "$?" 0 "role with an SSO source profile"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | .accessKeyId')" \
	ASIASSOADMIN "the role is assumed with the SSO role credentials"

done_testing
