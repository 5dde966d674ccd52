#!/usr/bin/env bash
# ecs-ls across many clusters at once, against a canned ECS endpoint:
# clusters listed in parallel, later clusters held back while earlier
# output is written, and still every record in order.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$TEST_SCRATCH/config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE AWS_SESSION_TOKEN

start_canned_ecs --clusters 5 --tasks 700
export AWS_ENDPOINT_URL=$CANNED_URL

# Task ids count up from 1 through the clusters, so the expected order is
# the numbers 1 to 3500.
expected=$(seq 1 3500 | xargs printf '%032x\n')
out=$(ecs-ls tasks --debug </dev/null 2>"$TEST_SCRATCH/debug")
is $? 0 "tasks of five clusters: exit 0"
is "$(wc -l <<<"$out")" 3500 "3500 records"
is "$(jq -r '.taskArn | sub(".*/"; "")' <<<"$out")" "$expected" \
	"cluster by cluster, each in ListTasks order"
like "$(cat "$TEST_SCRATCH/debug")" \
	"DescribeTasks: [0-9]+ names wait until earlier output is written" \
	"later clusters wait for the earlier ones"
stats=$(curl -s "$CANNED_URL/stats")
is "$(jq -c '[.ListClusters, .ListTasks, .DescribeTasks]' <<<"$stats")" \
	"[1,35,35]" "one ListClusters, 35 ListTasks and DescribeTasks calls"

one=$(ecs-ls tasks --max-concurrency 1 </dev/null)
many=$(ecs-ls tasks --max-concurrency 32 </dev/null)
[ "$one" = "$out" ] && [ "$many" = "$out" ]
ok $? "the same bytes with --max-concurrency 1, 8 and 32"
out=$(ecs-ls containers --max-concurrency 32 </dev/null)
is "$(wc -l <<<"$out")" 7000 "7000 containers"
is "$(jq -r '.taskArn | sub(".*/"; "")' <<<"$out" | uniq)" "$expected" \
	"containers in task order"

done_testing
