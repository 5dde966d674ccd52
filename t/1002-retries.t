#!/usr/bin/env bash
# Requests are retried in standard mode where retrying is right, and
# fail at once with a clear error where it is not.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
seed clusters 5 >/dev/null

count_calls() {
	front_log | jq -s --arg op "$1" 'map(select(.operation == $op)) | length'
}

run_ls() {
	front_ctl clear-log >/dev/null
	ecs-ls clusters "$@" >"$TEST_SCRATCH/out" 2>"$TEST_SCRATCH/err"
}

front_ctl fault --count 2 ListClusters throttle >/dev/null
run_ls
is $? 0 "two throttled replies are retried"
is "$(wc -l <"$TEST_SCRATCH/out")" 5 "output is complete after throttling"
is "$(count_calls ListClusters)" 3 "three ListClusters attempts"

front_ctl fault DescribeClusters 503 >/dev/null
run_ls
is $? 0 "a 503 is retried"
is "$(count_calls DescribeClusters)" 2 "two DescribeClusters attempts"

front_ctl fault ListClusters 500 ServerException boom >/dev/null
run_ls
is $? 0 "a 500 ServerException is retried"

front_ctl fault ListClusters error 400 AccessDeniedException \
	"User is not authorized to perform ecs:ListClusters" >/dev/null
run_ls
is $? 1 "AccessDeniedException exits with status 1"
is "$(count_calls ListClusters)" 1 "a client error is not retried"
is "$(cat "$TEST_SCRATCH/err")" \
	"ecs-ls: ListClusters: AccessDeniedException: User is not authorized to perform ecs:ListClusters" \
	"the error names operation, code and message"
[ ! -s "$TEST_SCRATCH/out" ]
ok $? "nothing on stdout after a failed list"

front_ctl fault --count 5 ListClusters throttle >/dev/null
AWS_MAX_ATTEMPTS=2 run_ls
is $? 1 "throttling past AWS_MAX_ATTEMPTS fails"
is "$(count_calls ListClusters)" 2 "AWS_MAX_ATTEMPTS=2 makes two attempts"
like "$(cat "$TEST_SCRATCH/err")" \
	"ListClusters: ThrottlingException: .*\(after 2 attempts\)" \
	"the error says how many attempts were made"
front_ctl clear-faults >/dev/null

AWS_MAX_ATTEMPTS=zero run_ls
is $? 1 "an invalid AWS_MAX_ATTEMPTS is an error"
like "$(cat "$TEST_SCRATCH/err")" 'invalid max_attempts "zero"' \
	"the error names the invalid value"

front_ctl fault ListClusters reset >/dev/null
run_ls
is $? 0 "a connection reset without a reply is retried"

front_ctl fault DescribeClusters truncate >/dev/null
run_ls
is $? 0 "a body cut short is retried"
is "$(wc -l <"$TEST_SCRATCH/out")" 5 "output is complete after a cut body"

front_ctl fault ListClusters invalid-json >/dev/null
run_ls
is $? 1 "invalid JSON in a complete reply is an error"
like "$(cat "$TEST_SCRATCH/err")" "ListClusters: InvalidResponse: the ECS response is not valid JSON" \
	"the error says the response is not JSON"

front_ctl fault ListClusters delay 3 >/dev/null
ECS_TIMEOUT=1 run_ls
is $? 0 "a reply slower than ECS_TIMEOUT is retried"
is "$(wc -l <"$TEST_SCRATCH/out")" 5 "output is complete after a timeout"

front_ctl fault --count -1 ListClusters delay 3 >/dev/null
ECS_TIMEOUT=1 AWS_MAX_ATTEMPTS=2 run_ls
is $? 1 "replies that always time out fail"
like "$(cat "$TEST_SCRATCH/err")" "ListClusters: ECS at .* timed out.*ECS_TIMEOUT.*after 2 attempts" \
	"the error says the request timed out"
front_ctl clear-faults >/dev/null

# A server clock an hour ahead: the signature is rejected as expired, the
# client adopts the server's time from the Date header and retries once.
front_ctl fault --date-offset 3600 ListClusters error 400 \
	InvalidSignatureException \
	"Signature expired: 20150830T123600Z is now earlier than 20150830T133600Z" \
	>/dev/null
run_ls
is $? 0 "a clock-skew rejection is corrected and retried"
dates=$(front_log | jq -r 'select(.operation == "ListClusters") | .amzDate')
first=$(date -u -d "$(sed -n 1p <<<"$dates" | sed 's/\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6/')" +%s)
second=$(date -u -d "$(sed -n 2p <<<"$dates" | sed 's/\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6/')" +%s)
diff=$((second - first))
ok "$([ "$diff" -ge 3500 ] && [ "$diff" -le 3700 ]; echo $?)" \
	"the retry is signed with the server's clock (offset $diff s)"

done_testing
