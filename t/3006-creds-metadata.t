#!/usr/bin/env bash
# ecs-creds: credentials from a local EC2 instance metadata service and a
# local container credentials endpoint (t/lib/cred-endpoints.py), alone and
# as credential_source for a role assumed in moto's STS.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

start_local_aws
use_own_profiles
start_cred_endpoints
ACCOUNT=123456789012
write_config <<EOF
[profile viaimds]
role_arn = arn:aws:iam::$ACCOUNT:role/from-imds
credential_source = Ec2InstanceMetadata

[profile viacontainer]
role_arn = arn:aws:iam::$ACCOUNT:role/from-container
credential_source = EcsContainer
EOF

imds()
{
	AWS_EC2_METADATA_DISABLED=false \
		AWS_EC2_METADATA_SERVICE_ENDPOINT=$CRED_URL ecs-creds "$@"
}

# IMDSv2.

cred_clear_log
out=$(imds)
is "$?" 0 "credentials from IMDS"
is "$(jq -r '[.source, .AccessKeyId, .SessionToken] | @tsv' <<<"$out")" \
	"$(printf 'imds\tASIAIMDS\timds-token')" "IMDS record"
like "$(jq -r .Expiration <<<"$out")" '^20' "IMDS credentials expire"
is "$(cred_log | jq -r '[.method, .path, .headers["x-aws-ec2-metadata-token-ttl-seconds"] // "-", .headers["x-aws-ec2-metadata-token"] // "-"] | @tsv')" \
	"$(printf 'PUT\t/latest/api/token\t21600\t-
GET\t/latest/meta-data/iam/security-credentials/\t-\timds-session-token
GET\t/latest/meta-data/iam/security-credentials/instance-role\t-\timds-session-token')" \
	"token, then role name and credentials with the token"

# IMDSv1 fallback and its limits.

cred_settings '{"imds_token_status": 404}'
cred_clear_log
is "$(imds | jq -r .AccessKeyId)" ASIAIMDS "token 404: IMDSv1 fallback"
is "$(cred_log | jq -r 'select(.method == "GET") | .headers["x-aws-ec2-metadata-token"] // "none"' | sort -u)" \
	none "IMDSv1 requests carry no token"
out=$(AWS_EC2_METADATA_V1_DISABLED=true imds 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "IMDSv1 disabled: no credentials"
like "$(cat "$TEST_SCRATCH/err")" 'no AWS credentials found for profile "default"' \
	"IMDSv1 disabled: chain ends without credentials"
cred_settings '{"imds_token_status": 400}'
out=$(imds 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "token 400: exit 1"
like "$(cat "$TEST_SCRATCH/err")" 'rejected the token request \(HTTP 400\)' \
	"token 400: message"
cred_settings '{"imds_token_status": "hang"}'
is "$(imds | jq -r .AccessKeyId)" ASIAIMDS \
	"token request timing out (hop limit): IMDSv1 fallback"
cred_settings '{}'
cred_clear_log
out=$(AWS_EC2_METADATA_SERVICE_ENDPOINT=$CRED_URL ecs-creds 2>/dev/null)
is "$?/$out" "1/" "AWS_EC2_METADATA_DISABLED=true: no credentials"
is "$(cred_log | wc -l)" 0 "AWS_EC2_METADATA_DISABLED=true: no request"
out=$(AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9 ecs-creds \
	2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "unreachable IMDS: no credentials"
like "$(cat "$TEST_SCRATCH/err")" 'no AWS credentials found' \
	"unreachable IMDS is not an error of its own"

# Container credentials.

echo -n 'Bearer pod-token' >"$TEST_SCRATCH/token"
container()
{
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$CRED_URL/container/creds \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TEST_SCRATCH/token \
		ecs-creds "$@"
}
cred_settings '{"container_token": "Bearer pod-token"}'
cred_clear_log
out=$(container)
is "$?" 0 "credentials from the container endpoint"
is "$(jq -r '[.source, .AccessKeyId, .SessionToken, .AccountId] | @tsv' <<<"$out")" \
	"$(printf 'container\tASIACONTAINER\tcontainer-token\t222233334444')" \
	"container record"
is "$(cred_log | jq -r '[.path, .headers.authorization, .headers.accept] | @tsv')" \
	"$(printf '/container/creds\tBearer pod-token\tapplication/json')" \
	"token file sent verbatim as Authorization"
is "$(AWS_CONTAINER_CREDENTIALS_FULL_URI=$CRED_URL/container/creds \
	AWS_CONTAINER_AUTHORIZATION_TOKEN='Bearer pod-token' ecs-creds |
	jq -r .AccessKeyId)" ASIACONTAINER "token from the environment"
is "$(AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$CRED_URL container | jq -r .source)" \
	container "container credentials come before IMDS"

printf 'Bearer pod-token\n' >"$TEST_SCRATCH/token"
out=$(container 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "token with a newline: exit 1"
like "$(cat "$TEST_SCRATCH/err")" 'authorization token \(from .*token\) contains a line break' \
	"token with a newline: message"
echo -n 'Bearer pod-token' >"$TEST_SCRATCH/token"

cred_clear_log
out=$(AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.10/creds ecs-creds \
	2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "plain http to another host: exit 1"
like "$(cat "$TEST_SCRATCH/err")" \
	'uses plain http to a host that is not loopback, 169\.254\.170\.2, 169\.254\.170\.23 or fd00:ec2::23; use https' \
	"plain http to another host: message"

cred_settings '{"container_token": "Bearer pod-token", "container_status": 500}'
cred_clear_log
out=$(container 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "failing endpoint: exit 1"
is "$(cred_log | wc -l)" 3 "failing endpoint is tried three times"
like "$(cat "$TEST_SCRATCH/err")" \
	"container credentials from $CRED_URL/container/creds failed after 3 attempts: HTTP status 500" \
	"failing endpoint: message"
cred_settings '{"container_token": "Bearer pod-token"}'

# As credential_source of a role.

seq0=$(last_seq)
out=$(AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$CRED_URL \
	ecs-creds -p viaimds --no-cache)
is "$?" 0 "credential_source = Ec2InstanceMetadata"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | [.accessKeyId, .body.RoleArn] | @tsv')" \
	"$(printf 'ASIAIMDS\tarn:aws:iam::%s:role/from-imds' "$ACCOUNT")" \
	"role assumed with the instance credentials"
out=$(ecs-creds -p viaimds --no-cache 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "credential_source = Ec2InstanceMetadata, IMDS off: exit 1"
like "$(cat "$TEST_SCRATCH/err")" \
	'takes its credentials from credential_source = Ec2InstanceMetadata, which has none \(AWS_EC2_METADATA_DISABLED is true\)' \
	"credential_source = Ec2InstanceMetadata, IMDS off: message"

seq0=$(last_seq)
out=$(container -p viacontainer --no-cache)
is "$?" 0 "credential_source = EcsContainer"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | .accessKeyId')" \
	ASIACONTAINER "role assumed with the container credentials"

done_testing
