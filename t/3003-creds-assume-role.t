#!/usr/bin/env bash
# ecs-creds: assume-role profiles against moto's STS: a chain of three
# roles, the credential cache shared with the AWS CLI, expiry, --no-cache,
# --role-arn on top, --whoami, loops and STS errors.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

start_local_aws
use_own_profiles
ACCOUNT=123456789012
write_config <<EOF
[profile base]
region = us-east-1

[profile hop1]
role_arn = arn:aws:iam::$ACCOUNT:role/one
source_profile = base
region = us-east-1

[profile hop2]
role_arn = arn:aws:iam::$ACCOUNT:role/two
source_profile = hop1
role_session_name = alice
external_id = xyz
duration_seconds = 1800

[profile hop3]
role_arn = arn:aws:iam::$ACCOUNT:role/three
source_profile = hop2

[profile loopa]
role_arn = arn:aws:iam::$ACCOUNT:role/a
source_profile = loopb

[profile loopb]
role_arn = arn:aws:iam::$ACCOUNT:role/b
source_profile = loopa

[profile fromenv]
role_arn = arn:aws:iam::$ACCOUNT:role/env
credential_source = Environment
EOF
write_credentials <<'EOF'
[base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = basesecret
EOF
CACHE=$HOME/.aws/cli/cache

# cli_key JSON: the cache file name the AWS CLI uses for these AssumeRole
# parameters, computed the CLI's way.
cli_key()
{
	python3 -c 'import hashlib, json, sys
print(hashlib.sha1(json.dumps(json.loads(sys.argv[1]), sort_keys=True).encode()).hexdigest())' "$1"
}
KEY1=$(cli_key "{\"RoleArn\": \"arn:aws:iam::$ACCOUNT:role/one\"}")
KEY2=$(cli_key "{\"RoleArn\": \"arn:aws:iam::$ACCOUNT:role/two\", \"RoleSessionName\": \"alice\", \"ExternalId\": \"xyz\", \"DurationSeconds\": 1800}")
KEY3=$(cli_key "{\"RoleArn\": \"arn:aws:iam::$ACCOUNT:role/three\"}")

# A chain of three roles.

seq0=$(last_seq)
out=$(ecs-creds -p hop3)
is "$?" 0 "three-hop chain resolves"
is "$(jq -r .source <<<"$out")" assume-role "source is assume-role"
like "$(jq -r .AccessKeyId <<<"$out")" '^ASIA' "temporary access key"
like "$(jq -r .Expiration <<<"$out")" '^20[0-9][0-9]-[0-9-]+T[0-9:]+Z$' \
	"expiration is ISO 8601 UTC"
is "$(jq -r .AccountId <<<"$out")" "$ACCOUNT" "account from the role ARN"
calls=$(front_log "$seq0" | jq -c 'select(.operation == "AssumeRole")')
is "$(jq -r .body.RoleArn <<<"$calls" | tr '\n' ' ')" \
	"arn:aws:iam::$ACCOUNT:role/one arn:aws:iam::$ACCOUNT:role/two arn:aws:iam::$ACCOUNT:role/three " \
	"roles are assumed from the base outwards"
keys=($(jq -r .accessKeyId <<<"$calls"))
is "${keys[0]}" AKIDBASE "first hop is signed with the base profile's keys"
like "${keys[1]}" '^ASIA' "second hop is signed with role credentials"
isnt "${keys[2]}" "${keys[1]}" "each hop signs with the previous hop's keys"
like "$(jq -r 'select(.body.RoleArn | endswith("/one")) | .body.RoleSessionName' <<<"$calls")" \
	'^botocore-session-[0-9]+$' "default session name as in the AWS CLI"
is "$(jq -c 'select(.body.RoleArn | endswith("/two")) | [.body.RoleSessionName, .body.ExternalId, .body.DurationSeconds, .body.SerialNumber]' <<<"$calls")" \
	'["alice","xyz","1800",null]' "profile settings are sent"

# The cache, under the AWS CLI's names.

is "$(cd "$CACHE" && ls | sort | tr '\n' ' ')" \
	"$(printf '%s.json\n' "$KEY1" "$KEY2" "$KEY3" | sort | tr '\n' ' ')" \
	"one cache file per hop, named by the AWS CLI key"
is "$(stat -c %a "$CACHE")" 700 "cache directory is 0700"
is "$(stat -c %a "$CACHE/$KEY3.json" "$CACHE/$KEY1.json" | sort -u)" 600 \
	"cache files are 0600"
is "$(jq -r .Credentials.AccessKeyId "$CACHE/$KEY3.json")" \
	"$(jq -r .AccessKeyId <<<"$out")" "top hop is cached"
ls "$CACHE" | grep -q tmp
is "$?" 1 "no temporary files are left"

seq0=$(last_seq)
again=$(ecs-creds -p hop3)
is "$(count_ops AssumeRole "$seq0")" 0 "second run makes no STS call"
is "$(jq -r .AccessKeyId <<<"$again")" "$(jq -r .AccessKeyId <<<"$out")" \
	"second run returns the cached credentials"

# Shared with the AWS CLI (v1 here; it keeps the same cache).

seq0=$(last_seq)
aws --profile hop3 sts get-caller-identity >/dev/null
is "$(count_ops AssumeRole "$seq0")" 0 "the AWS CLI reuses ecs-creds' cache"
is "$(front_log "$seq0" | jq -r 'select(.operation == "GetCallerIdentity") | .accessKeyId')" \
	"$(jq -r .AccessKeyId <<<"$out")" "the AWS CLI signs with the cached key"
rm -f "$CACHE"/*.json
aws --profile hop2 sts get-caller-identity >/dev/null
seq0=$(last_seq)
from_cli=$(ecs-creds -p hop2)
is "$(count_ops AssumeRole "$seq0")" 0 "ecs-creds reuses the AWS CLI's cache"
is "$(jq -r .AccessKeyId <<<"$from_cli")" \
	"$(jq -r .Credentials.AccessKeyId "$CACHE/$KEY2.json")" \
	"ecs-creds returns the AWS CLI's cached key"

# Expired or nearly expired entries are never used.

ecs-creds -p hop3 >/dev/null
for left in 120 -60; do
	exp=$(date -u -d "@$(($(date +%s) + left))" +%Y-%m-%dT%H:%M:%SZ)
	jq --arg e "$exp" '.Credentials.Expiration = $e' "$CACHE/$KEY3.json" \
		>"$TEST_SCRATCH/c" && mv "$TEST_SCRATCH/c" "$CACHE/$KEY3.json"
	old=$(jq -r .Credentials.AccessKeyId "$CACHE/$KEY3.json")
	seq0=$(last_seq)
	new=$(ecs-creds -p hop3 | jq -r .AccessKeyId)
	is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | .body.RoleArn')" \
		"arn:aws:iam::$ACCOUNT:role/three" \
		"entry with ${left}s left: only the top role is fetched again"
	isnt "$new" "$old" "entry with ${left}s left is not returned"
	is "$(jq -r .Credentials.AccessKeyId "$CACHE/$KEY3.json")" "$new" \
		"entry with ${left}s left is replaced"
done

# --no-cache.

before=$(md5sum "$CACHE"/*.json)
seq0=$(last_seq)
ecs-creds -p hop3 --no-cache >/dev/null
is "$(count_ops AssumeRole "$seq0")" 3 "--no-cache assumes every role"
is "$(md5sum "$CACHE"/*.json)" "$before" "--no-cache writes nothing"

# --whoami and --role-arn.

who=$(ecs-creds -p hop3 --whoami)
is "$(jq -r '[.kind, .profile, .Account] | @tsv' <<<"$who")" \
	"$(printf 'callerIdentity\thop3\t%s' "$ACCOUNT")" "--whoami record"
like "$(jq -r .Arn <<<"$who")" ":assumed-role/three/botocore-session-" \
	"--whoami shows the assumed role"

seq0=$(last_seq)
out=$(ecs-creds -p hop1 --role-arn "arn:aws:iam::$ACCOUNT:role/extra" \
	--role-session-name bob --external-id ext-1 --duration 900)
is "$?" 0 "--role-arn on top of a role profile"
call=$(front_log "$seq0" | jq -c 'select(.operation == "AssumeRole") | select(.body.RoleArn | endswith("/extra"))')
is "$(jq -c '[.body.RoleSessionName, .body.ExternalId, .body.DurationSeconds]' <<<"$call")" \
	'["bob","ext-1","900"]' "--role-arn sends the given parameters"
is "$(jq -r .accessKeyId <<<"$call")" \
	"$(jq -r .Credentials.AccessKeyId "$CACHE/$KEY1.json")" \
	"--role-arn signs with the profile's role credentials"
like "$(ecs-creds -p hop1 --role-arn "arn:aws:iam::$ACCOUNT:role/extra" \
	--role-session-name bob --whoami | jq -r .Arn)" \
	":assumed-role/extra/bob$" "--whoami after --role-arn"
KEYX=$(cli_key "{\"RoleArn\": \"arn:aws:iam::$ACCOUNT:role/extra\", \"RoleSessionName\": \"bob\", \"ExternalId\": \"ext-1\", \"DurationSeconds\": 900}")
is "$(jq -r .Credentials.AccessKeyId "$CACHE/$KEYX.json")" \
	"$(jq -r .AccessKeyId <<<"$out")" "--role-arn credentials are cached"

# credential_source = Environment works even with --profile.

seq0=$(last_seq)
out=$(AWS_ACCESS_KEY_ID=AKIDFROMENV AWS_SECRET_ACCESS_KEY=s \
	ecs-creds -p fromenv --no-cache)
is "$?" 0 "credential_source = Environment"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | .accessKeyId')" \
	AKIDFROMENV "the role is assumed with the environment keys"

# Errors: loops, STS failures.

seq0=$(last_seq)
out=$(ecs-creds -p loopa 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "source_profile loop: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'source_profile forms a loop: loopa -> loopb -> loopa' \
	"source_profile loop: message shows the loop"
is "$(count_ops AssumeRole "$seq0")" 0 "source_profile loop: no STS call"

front_ctl fault '{"op":"AssumeRole","action":"error","status":403,"code":"AccessDenied","message":"User is not authorized to perform: sts:AssumeRole"}' >/dev/null
out=$(ecs-creds -p hop1 --no-cache 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "AssumeRole denied: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	"^ecs-creds: assuming role arn:aws:iam::$ACCOUNT:role/one for profile \"hop1\": AssumeRole: AccessDenied: User is not authorized" \
	"AssumeRole denied: message"
unlike "$(cat "$TEST_SCRATCH/err")" basesecret "no secret in the message"

front_ctl fault --count 2 AssumeRole throttle >/dev/null
seq0=$(last_seq)
out=$(ecs-creds -p hop1 --no-cache)
is "$?" 0 "throttled AssumeRole is retried"
is "$(count_ops AssumeRole "$seq0")" 3 "two throttled tries, then success"

out=$(ecs-creds -p hop3 --no-cache --debug 2>&1 >/dev/null)
unlike "$out" "basesecret|SecretAccessKey|$(jq -r .Credentials.SessionToken "$CACHE/$KEY1.json" | cut -c1-20)" \
	"--debug shows no secret"
like "$out" "STS AssumeRole us-east-1 -> 200" "--debug logs the STS calls"

done_testing
