#!/usr/bin/env bash
# ecs-creds: AssumeRoleWithSAML from --saml-assertion and
# AssumeRoleWithWebIdentity from profiles and the environment, against
# moto's STS. Both calls are unsigned.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

start_local_aws
use_own_profiles
ACCOUNT=123456789012
ROLE=arn:aws:iam::$ACCOUNT:role/saml-ops
IDP=arn:aws:iam::$ACCOUNT:saml-provider/test-idp
base64 -w0 "$TEST_DIR/data/creds/saml-response.xml" >"$TEST_SCRATCH/saml.b64"
printf 'web-identity-token-1\n' >"$TEST_SCRATCH/token"
write_config <<EOF
[profile web]
role_arn = arn:aws:iam::$ACCOUNT:role/web
web_identity_token_file = $TEST_SCRATCH/token
role_session_name = web-session
region = us-east-1

[profile norole]
web_identity_token_file = $TEST_SCRATCH/token

[profile lost]
role_arn = arn:aws:iam::$ACCOUNT:role/web
web_identity_token_file = $TEST_SCRATCH/no-such-token

[profile plain]
region = us-east-1
EOF

# SAML.

seq0=$(last_seq)
out=$(ecs-creds --saml-assertion - --principal-arn "$IDP" --role-arn "$ROLE" \
	--duration 1800 <"$TEST_SCRATCH/saml.b64")
is "$?" 0 "SAML assertion from stdin"
is "$(jq -r '[.source, .AccountId] | @tsv' <<<"$out")" \
	"$(printf 'saml\t%s' "$ACCOUNT")" "SAML record"
like "$(jq -r .AccessKeyId <<<"$out")" '^ASIA' "SAML credentials"
call=$(front_log "$seq0" | jq -c 'select(.operation == "AssumeRoleWithSAML")')
is "$(jq -r '[.body.RoleArn, .body.PrincipalArn, .body.DurationSeconds, .accessKeyId // "unsigned"] | @tsv' <<<"$call")" \
	"$(printf '%s\t%s\t1800\tunsigned' "$ROLE" "$IDP")" \
	"AssumeRoleWithSAML is unsigned and carries the ARNs"
is "$(jq -r .body.SAMLAssertion <<<"$call")" "$(cat "$TEST_SCRATCH/saml.b64")" \
	"the assertion is sent as given"
is "$(count_ops AssumeRole "$seq0")" 0 "no other credentials are needed"
[ ! -d "$HOME/.aws/cli/cache" ] || [ -z "$(ls "$HOME/.aws/cli/cache")" ]
ok $? "SAML credentials are not cached"

who=$(ecs-creds --saml-assertion "$TEST_SCRATCH/saml.b64" --principal-arn "$IDP" \
	--role-arn "$ROLE" --whoami)
like "$(jq -r .Arn <<<"$who")" ":assumed-role/saml-ops/alice@example.test$" \
	"--whoami with SAML credentials"
out=$(ecs-creds --saml-assertion "$TEST_SCRATCH/saml.b64" --principal-arn "$IDP" \
	--role-arn "$ROLE" -- ecs-creds --whoami)
like "$(jq -r .Arn <<<"$out")" ":assumed-role/saml-ops/" \
	"a COMMAND gets the SAML credentials"

out=$(ecs-creds --saml-assertion "$TEST_DIR/data/creds/saml-response.xml" \
	--principal-arn "$IDP" --role-arn "$ROLE" 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "XML instead of base64: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" 'is XML; pass the base64 SAMLResponse value' \
	"XML instead of base64: message"
out=$(ecs-creds --saml-assertion - --principal-arn "$IDP" --role-arn "$ROLE" \
	</dev/null 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "empty assertion: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" 'the SAML assertion from stdin is empty' \
	"empty assertion: message"

# Web identity from a profile.

seq0=$(last_seq)
out=$(ecs-creds -p web)
is "$?" 0 "web identity profile"
is "$(jq -r .source <<<"$out")" web-identity "web identity record"
call=$(front_log "$seq0" | jq -c 'select(.operation == "AssumeRoleWithWebIdentity")')
is "$(jq -r '[.body.RoleArn, .body.RoleSessionName, .body.WebIdentityToken, .accessKeyId // "unsigned"] | @tsv' <<<"$call")" \
	"$(printf 'arn:aws:iam::%s:role/web\tweb-session\tweb-identity-token-1\tunsigned' "$ACCOUNT")" \
	"AssumeRoleWithWebIdentity is unsigned, token without its newline"
key=$(python3 -c 'import hashlib, json, sys
print(hashlib.sha1(json.dumps({"RoleArn": sys.argv[1], "RoleSessionName": "web-session"}, sort_keys=True).encode()).hexdigest())' \
	"arn:aws:iam::$ACCOUNT:role/web")
is "$(jq -r .Credentials.AccessKeyId "$HOME/.aws/cli/cache/$key.json")" \
	"$(jq -r .AccessKeyId <<<"$out")" "web identity credentials are cached"
seq0=$(last_seq)
ecs-creds -p web >/dev/null
is "$(count_ops AssumeRoleWithWebIdentity "$seq0")" 0 "cached on the second run"

printf 'web-identity-token-2' >"$TEST_SCRATCH/token"
seq0=$(last_seq)
ecs-creds -p web --no-cache >/dev/null
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRoleWithWebIdentity") | .body.WebIdentityToken')" \
	web-identity-token-2 "the token file is read again"

# Web identity from the environment.

seq0=$(last_seq)
out=$(AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_SCRATCH/token \
	AWS_ROLE_ARN=arn:aws:iam::$ACCOUNT:role/from-env ecs-creds --no-cache)
is "$(jq -r .source <<<"$out")" web-identity "web identity from the environment"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRoleWithWebIdentity") | .body.RoleArn')" \
	"arn:aws:iam::$ACCOUNT:role/from-env" "AWS_ROLE_ARN names the role"
like "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRoleWithWebIdentity") | .body.RoleSessionName')" \
	'^botocore-session-[0-9]+$' "default session name"
out=$(AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_SCRATCH/token \
	AWS_ROLE_ARN=arn:aws:iam::$ACCOUNT:role/from-env ecs-creds -p plain \
	2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "--profile ignores the environment's web identity"

# Errors.

out=$(ecs-creds -p norole 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "token file without a role: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'a web identity token file is configured \(.*token\) but no role ARN; set role_arn in profile "norole" or AWS_ROLE_ARN' \
	"token file without a role: message"
out=$(ecs-creds -p lost 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "missing token file: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'cannot read the web identity token file .*no-such-token: No such file or directory' \
	"missing token file: message"

done_testing
