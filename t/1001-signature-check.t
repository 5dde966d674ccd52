#!/usr/bin/env bash
# Requests are signed correctly: moto checks every signature, a correct
# key passes and a wrong secret fails with the service's error.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws --auth
seed clusters 3 >/dev/null
create_iam_user --name signer >/dev/null

output=$(ecs-ls clusters 2>"$TEST_SCRATCH/err")
ok $? "a correctly signed request succeeds"
is "$(grep -c '"kind":"cluster"' <<<"$output")" 3 \
	"the signed request lists the three clusters"

# moto answers signature failures on JSON services in XML; ask the front
# to pass them through unchanged so the XML error path is exercised.
front_ctl set json_auth_errors=false >/dev/null
AWS_SECRET_ACCESS_KEY=wrong-secret ecs-ls clusters \
	>"$TEST_SCRATCH/out" 2>"$TEST_SCRATCH/err"
is $? 1 "a wrong secret exits with status 1"
like "$(cat "$TEST_SCRATCH/err")" "SignatureDoesNotMatch" \
	"the XML error names SignatureDoesNotMatch"
like "$(cat "$TEST_SCRATCH/err")" "^ecs-ls: ListClusters: " \
	"the error names the program and the operation"
[ ! -s "$TEST_SCRATCH/out" ]
ok $? "nothing is printed on stdout"
unlike "$(cat "$TEST_SCRATCH/err")" "wrong-secret" \
	"the secret does not appear in the error"
is "$(front_log | jq -s 'map(select(.operation == "ListClusters")) | length')" \
	2 "a signature failure is not retried"

front_ctl set json_auth_errors=true >/dev/null
AWS_SECRET_ACCESS_KEY=wrong-secret ecs-ls clusters \
	>/dev/null 2>"$TEST_SCRATCH/err"
is $? 1 "a JSON signature error exits with status 1"
like "$(cat "$TEST_SCRATCH/err")" "InvalidSignatureException" \
	"the JSON error names InvalidSignatureException"

AWS_SESSION_TOKEN=not-a-real-token ecs-ls clusters \
	>/dev/null 2>"$TEST_SCRATCH/err"
is $? 1 "an unknown session token is rejected"

done_testing
