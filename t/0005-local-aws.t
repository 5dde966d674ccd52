#!/usr/bin/env bash
# The local AWS itself: the front's paging, limits, task shapes, faults and
# counters, checked with the AWS CLI and boto3 rather than with our tools.

. "$(dirname "$0")/lib/test-lib.sh"

ECS_TARGET=AmazonEC2ContainerServiceV20141113
# moto picks the service from the credential scope, so hand-made requests
# carry one; without --auth moto does not check the signature.
FAKE_AUTH="AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0"

awscli()
{
	aws --endpoint-url "$AWS_ENDPOINT_URL" --output json "$@"
}

# ecs_curl OPERATION JSON [CURL ARGS...]: one ECS call, reply on stdout.
ecs_curl()
{
	local operation=$1 body=$2
	shift 2
	curl -sS "$@" -H "X-Amz-Target: $ECS_TARGET.$operation" \
		-H "Content-Type: application/x-amz-json-1.1" \
		-H "Authorization: $FAKE_AUTH" \
		--data-binary "$body" "$AWS_ENDPOINT_URL/"
}

elapsed_since()
{
	awk -v start="$1" -v now="$(date +%s.%N)" \
		'BEGIN { printf "%.2f", now - start }'
}

# process_running PID: true while PID runs; a zombie counts as exited.
process_running()
{
	kill -0 "$1" 2>/dev/null &&
		! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Start and environment.

started=$(date +%s.%N)
start_local_aws
note "local-aws start took $(elapsed_since "$started")s"
daemon_pid=$(cat "$LOCAL_AWS_DIR/pid")

like "$AWS_ENDPOINT_URL" '^http://127\.0\.0\.1:[0-9]+$' \
	"AWS_ENDPOINT_URL is the front on 127.0.0.1"
like "$ECS_LOCAL_AWS_MOTO" '^http://127\.0\.0\.1:[0-9]+$' \
	"ECS_LOCAL_AWS_MOTO is moto on 127.0.0.1"
isnt "$ECS_LOCAL_AWS_MOTO" "$AWS_ENDPOINT_URL" "front and moto use two ports"
is "$ECS_LOCAL_AWS_FRONT" "$AWS_ENDPOINT_URL" "ECS_LOCAL_AWS_FRONT is the front"
is "$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY" "testing/testing" \
	"credentials are the fake testing keys"
is "$AWS_REGION/$AWS_DEFAULT_REGION" "us-east-1/us-east-1" "region is set"
is "$AWS_EC2_METADATA_DISABLED" true "EC2 metadata lookups are disabled"
[ -f "$AWS_CONFIG_FILE" ] && [ ! -s "$AWS_CONFIG_FILE" ] &&
	[ -f "$AWS_SHARED_CREDENTIALS_FILE" ] &&
	[ ! -s "$AWS_SHARED_CREDENTIALS_FILE" ]
ok $? "config and credentials files exist and are empty"
is "$("$LOCAL_AWS" env --state-dir "$LOCAL_AWS_DIR")" \
	"$(cat "$LOCAL_AWS_DIR/env")" "env prints the export lines again"

listeners=$(ss -Hltnp | grep "pid=$daemon_pid,")
is "$(wc -l <<<"$listeners")" 2 "daemon listens on two TCP ports"
unlike "$listeners" '(0\.0\.0\.0|\*|\[::\]):[0-9]' \
	"daemon listens on 127.0.0.1 only"

# ListClusters paging.

started=$(date +%s.%N)
is "$(seed clusters 250 | wc -l)" 250 "seed creates 250 clusters"
note "seeding 250 clusters took $(elapsed_since "$started")s"

page1=$(awscli ecs list-clusters --no-paginate)
is "$(jq '.clusterArns | length' <<<"$page1")" 100 "first page has 100"
token1=$(jq -r '.nextToken // empty' <<<"$page1")
isnt "$token1" "" "first page has a nextToken"
page2=$(awscli ecs list-clusters --no-paginate \
	--cli-input-json "{\"nextToken\": \"$token1\"}")
is "$(jq '.clusterArns | length' <<<"$page2")" 100 "second page has 100"
like "$(jq -r '.clusterArns[0]' <<<"$page2")" 'cluster/cluster-101$' \
	"second page starts after the first"
token2=$(jq -r '.nextToken // empty' <<<"$page2")
page3=$(awscli ecs list-clusters --no-paginate \
	--cli-input-json "{\"nextToken\": \"$token2\"}")
is "$(jq '.clusterArns | length' <<<"$page3")" 50 "third page has 50"
is "$(jq 'has("nextToken")' <<<"$page3")" false "last page has no nextToken"
is "$(awscli ecs list-clusters | jq '.clusterArns | length')" 250 \
	"the CLI paginator collects all 250"

page=$(ecs_curl ListClusters '{"maxResults": 7}')
is "$(jq '.clusterArns | length' <<<"$page")" 7 "maxResults sets the page size"
for size in 0 101; do
	output=$(ecs_curl ListClusters "{\"maxResults\": $size}")
	is "$(jq -r .__type <<<"$output")" InvalidParameterException \
		"maxResults $size is rejected"
done
output=$(ecs_curl ListClusters '{"nextToken": "bm90IGEgdG9rZW4"}')
is "$(jq -r .__type <<<"$output")" InvalidParameterException \
	"a made-up nextToken is rejected"

# ListServices pages by 10; a token is bound to its request parameters.

seed services paged 23 >/dev/null
seed services other 2 >/dev/null
page=$(awscli ecs list-services --cluster paged --no-paginate)
is "$(jq '.serviceArns | length' <<<"$page")" 10 \
	"ListServices pages by 10 by default"
token=$(jq -r '.nextToken // empty' <<<"$page")
output=$(awscli ecs list-services --no-paginate \
	--cli-input-json "{\"cluster\": \"other\", \"nextToken\": \"$token\"}" 2>&1)
like "$output" InvalidParameterException \
	"a nextToken is rejected with other parameters"
is "$(awscli ecs list-services --cluster paged | jq '.serviceArns | length')" \
	23 "ListServices pages collect all 23"

# Describe limits.

names=$(seq -f 'cluster-%03g' 1 101 | jq -R . | jq -sc .)
output=$(ecs_curl DescribeClusters "{\"clusters\": $names}")
is "$(jq -r '"\(.__type): \(.message)"' <<<"$output")" \
	"InvalidParameterException: clusters can have at most 100 items." \
	"DescribeClusters rejects 101 clusters"
names=$(seq -f 'cluster-%03g' 1 100 | jq -R . | jq -sc .)
output=$(ecs_curl DescribeClusters "{\"clusters\": $names}")
is "$(jq '.clusters | length' <<<"$output")" 100 \
	"DescribeClusters describes 100 clusters"
output=$(ecs_curl DescribeClusters '{}')
is "$(jq -r '.__type // "accepted"' <<<"$output")" accepted \
	"DescribeClusters without clusters is accepted"
output=$(ecs_curl DescribeServices '{"cluster": "paged", "services": []}')
is "$(jq -r '"\(.__type): \(.message)"' <<<"$output")" \
	"InvalidParameterException: Services cannot be empty." \
	"DescribeServices rejects an empty list"
names=$(seq -f 'svc-%02g' 1 11 | jq -R . | jq -sc .)
output=$(ecs_curl DescribeServices \
	"{\"cluster\": \"paged\", \"services\": $names}")
is "$(jq -r '"\(.__type): \(.message)"' <<<"$output")" \
	"InvalidParameterException: service names can have at most 10 items." \
	"DescribeServices rejects 11 services"
names=$(seq -f 't%g' 1 101 | jq -R . | jq -sc .)
output=$(ecs_curl DescribeTasks "{\"cluster\": \"paged\", \"tasks\": $names}")
is "$(jq -r '"\(.__type): \(.message)"' <<<"$output")" \
	"InvalidParameterException: taskIds can have at most 100 items." \
	"DescribeTasks rejects 101 tasks"

# Tasks: 250 in one cluster, realistic shapes.

started=$(date +%s.%N)
seed tasks busy 250 --exec >"$TEST_SCRATCH/tasks"
is "$(wc -l <"$TEST_SCRATCH/tasks")" 250 "seed runs 250 tasks"
note "seeding 250 tasks took $(elapsed_since "$started")s"
seed services busy 1 --prefix web- >/dev/null
seed tasks busy 3 --service web-01 >"$TEST_SCRATCH/service-tasks"
seed tasks busy2 2 >/dev/null

python3 - >"$TEST_SCRATCH/pages" <<'EOF'
import boto3

ecs = boto3.client("ecs")
token = None
while True:
    args = {"cluster": "busy", "nextToken": token} if token else {"cluster": "busy"}
    page = ecs.list_tasks(**args)
    print(len(page["taskArns"]))
    token = page.get("nextToken")
    if not token:
        break
EOF
is "$(paste -sd/ "$TEST_SCRATCH/pages")" "100/100/53" \
	"ListTasks pages 253 tasks as 100/100/53 (none from cluster busy2)"
output=$(awscli ecs list-tasks --cluster busy --service-name web-01)
is "$(jq -r '.taskArns | sort | .[]' <<<"$output")" \
	"$(sort "$TEST_SCRATCH/service-tasks")" \
	"ListTasks serviceName lists only that service's tasks"

task=$(head -n 1 "$TEST_SCRATCH/tasks")
task_id=${task##*/}
for round in 1 2 3; do
	output=$(ecs_curl DescribeTasks "{\"cluster\":\"busy\",\"tasks\":[\"$task\"]}")
done
is "$(jq -r '.tasks[0].lastStatus' <<<"$output")" RUNNING \
	"a task stays RUNNING after three DescribeTasks"
is "$(jq -r '[.tasks[0].containers[].name] | join(",")' <<<"$output")" \
	"app,sidecar" "DescribeTasks lists every container of the definition"
is "$(jq -r '[.tasks[0].containers[].taskArn] | unique | join(",")' \
	<<<"$output")" "$task" "containers carry the task ARN"
like "$(jq -r '.tasks[0].containers[0].runtimeId' <<<"$output")" \
	"^$task_id-[0-9]{10}\$" "runtimeId is the task ID and ten digits"
is "$(jq -r '.tasks[0].containers[1].managedAgents[0] |
	"\(.name) \(.lastStatus)"' <<<"$output")" \
	"ExecuteCommandAgent RUNNING" "exec tasks have a running exec agent"
is "$(jq -r '.tasks[0].enableExecuteCommand' <<<"$output")" true \
	"DescribeTasks reports enableExecuteCommand"
like "$(jq -r '.tasks[0].containers[0].networkInterfaces[0].privateIpv4Address' \
	<<<"$output")" '^[0-9.]+$' "awsvpc containers have a network interface"
output=$(ecs_curl DescribeTasks \
	"{\"cluster\":\"busy\",\"tasks\":[\"$task\",\"0123456789abcdef\"]}")
is "$(jq -r '.failures[0] | "\(.arn) \(.reason)"' <<<"$output")" \
	"${task%/*}/0123456789abcdef MISSING" \
	"an unknown task is reported as MISSING"
output=$(ecs_curl DescribeTasks "{\"cluster\":\"busy2\",\"tasks\":[\"$task\"]}")
is "$(jq '.tasks | length' <<<"$output")" 0 \
	"DescribeTasks does not find a task in another cluster"
front_ctl set task_shapes=false >/dev/null
output=$(ecs_curl DescribeTasks "{\"cluster\":\"busy\",\"tasks\":[\"$task\"]}")
is "$(jq '.tasks[0].containers | length' <<<"$output")" 1 \
	"task_shapes=false returns moto's single container"
front_ctl set task_shapes=true >/dev/null

# Faults.

front_ctl clear-log >/dev/null
front_ctl fault ListClusters throttle >/dev/null
output=$(AWS_MAX_ATTEMPTS=1 awscli ecs list-clusters --no-paginate 2>&1)
like "$output" ThrottlingException "a throttle rule fails the next call"
run_ok "the call after the throttled one succeeds" \
	env AWS_MAX_ATTEMPTS=1 aws --endpoint-url "$AWS_ENDPOINT_URL" \
	ecs list-clusters --no-paginate
is "$(front_log | jq -r '"\(.status) \(.fault)"' | paste -sd,)" \
	"400 throttle,200 null" "the request log records the throttled call"

front_ctl fault --count 2 ListClusters 503 >/dev/null
run_ok "standard retries get through two 503 replies" \
	env AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=3 \
	aws --endpoint-url "$AWS_ENDPOINT_URL" ecs list-clusters --no-paginate
is "$(front_log | tail -n 3 | jq -r .status | paste -sd,)" "503,503,200" \
	"the 503 rule applied to exactly two requests"

front_ctl fault DescribeClusters failures cluster-002 >/dev/null
output=$(awscli ecs describe-clusters --clusters cluster-001 cluster-002)
is "$(jq -r '[.clusters[].clusterName] | join(",")' <<<"$output")" \
	cluster-001 "a failures rule drops the listed cluster"
like "$(jq -r '.failures[0] | "\(.arn) \(.reason)"' <<<"$output")" \
	'cluster/cluster-002 MISSING$' "and reports it as a MISSING failure"

front_ctl fault DescribeClusters reset >/dev/null
ecs_curl DescribeClusters '{}' -o /dev/null 2>/dev/null
is $? 56 "a reset rule closes the connection without a reply"
front_ctl fault DescribeClusters truncate 10 >/dev/null
ecs_curl DescribeClusters '{"clusters":["cluster-001"]}' -o /dev/null \
	2>/dev/null
is $? 18 "a truncate rule cuts the body short"
front_ctl fault DescribeClusters invalid-json >/dev/null
ecs_curl DescribeClusters '{"clusters":["cluster-001"]}' | jq . \
	>/dev/null 2>&1
isnt $? 0 "an invalid-json rule sends a body that does not parse"
front_ctl fault DescribeClusters big-body 300000 >/dev/null
output=$(ecs_curl DescribeClusters '{"clusters":["cluster-001"]}')
[ "${#output}" -ge 300000 ] && jq -e '.clusters[0].clusterName' \
	<<<"$output" >/dev/null
ok $? "a big-body rule pads a valid reply to 300000 bytes"
front_ctl fault DescribeClusters delay 1 >/dev/null
ecs_curl DescribeClusters '{}' --max-time 0.3 -o /dev/null 2>/dev/null
is $? 28 "a delay rule holds the reply back"
is "$(front_ctl faults | jq '[.faults[] | .count - .used] | add')" 0 \
	"every rule was used up"

headers=$(ecs_curl ListClusters '{}' -D - -o /dev/null)
like "$headers" $'\r\nDate: [A-Z][a-z]{2}, ' "replies carry a Date header"
front_ctl fault ListClusters throttle >/dev/null
headers=$(ecs_curl ListClusters '{}' -D - -o /dev/null)
like "$headers" $'\r\nDate: ' "fault replies carry a Date header too"
front_ctl set date_offset=-7200 >/dev/null
date_header=$(ecs_curl ListClusters '{}' -D - -o /dev/null |
	sed -n 's/^Date: \(.*\)\r$/\1/p')
skew=$(($(date +%s) - $(date -d "$date_header" +%s)))
[ "$skew" -ge 7190 ] && [ "$skew" -le 7210 ]
ok $? "date_offset shifts the Date header (off by ${skew}s)"
front_ctl set date_offset=0 >/dev/null

# Connections: keep-alive requests share one connection ID.

front_ctl clear-log >/dev/null
python3 - <<'EOF'
import boto3

for calls in (5, 2):
    ecs = boto3.client("ecs")
    for _ in range(calls):
        ecs.list_clusters(maxResults=1)
EOF
is "$(front_log | jq -r .conn | uniq -c | awk '{print $1}' | paste -sd,)" \
	"5,2" "two clients make 5 and 2 requests over one connection each"
is "$(front_ctl stats | jq .connections)" 2 "stats count two connections"

# Stop.

stop_local_aws
is $? 0 "stop exits 0"
process_running "$daemon_pid"
isnt $? 0 "the daemon process is gone after stop"
is "$(ls -A "$LOCAL_AWS_DIR" 2>/dev/null)" "" "stop removes the state files"
curl -sS -o /dev/null "$AWS_ENDPOINT_URL/__front/health" 2>/dev/null
isnt $? 0 "the front no longer answers"
run_ok "stop is safe to run twice" stop_local_aws

# Lifetime limits: --ttl and --watch-pid.

ttl_dir=$TEST_SCRATCH/ttl
at_exit "\"\$LOCAL_AWS\" stop --state-dir '$ttl_dir' >/dev/null 2>&1"
"$LOCAL_AWS" start --state-dir "$ttl_dir" --ttl 1 >/dev/null
ttl_pid=$(cat "$ttl_dir/pid")
sleep 2 &
sleeper=$!
watch_dir=$TEST_SCRATCH/watch
at_exit "\"\$LOCAL_AWS\" stop --state-dir '$watch_dir' >/dev/null 2>&1"
"$LOCAL_AWS" start --state-dir "$watch_dir" --watch-pid "$sleeper" >/dev/null
watch_pid=$(cat "$watch_dir/pid")
wait "$sleeper"
for attempt in $(seq 30); do
	process_running "$ttl_pid" || process_running "$watch_pid" || break
	sleep 0.1
done
process_running "$ttl_pid"
isnt $? 0 "the daemon exits when its --ttl runs out"
process_running "$watch_pid"
isnt $? 0 "the daemon exits when the --watch-pid process has gone"

# Signature checks (--auth).

start_local_aws --auth
output=$(awscli ecs list-clusters 2>&1)
like "$output" UnrecognizedClientException "--auth rejects the fake key"
create_iam_user --name tester
like "$AWS_ACCESS_KEY_ID" '^AKIA' "create-user exports an IAM access key"
output=$(awscli sts get-caller-identity 2>&1)
like "$output" 'user/tester' "STS accepts the user's signature"
run_ok "ECS accepts the user's signature" awscli ecs list-clusters
output=$(AWS_SECRET_ACCESS_KEY=wrong-secret awscli ecs list-clusters 2>&1)
like "$output" InvalidSignatureException \
	"ECS rejects a wrong secret with InvalidSignatureException"
output=$(AWS_SECRET_ACCESS_KEY=wrong-secret awscli sts get-caller-identity \
	2>&1)
like "$output" SignatureDoesNotMatch \
	"STS rejects a wrong secret with SignatureDoesNotMatch"
is "$(seed clusters 2 | wc -l)" 2 "seed works in --auth mode"
output=$(AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	awscli ecs list-clusters 2>&1)
like "$output" UnrecognizedClientException \
	"signature checks are back on after seeding"

# Without moto.

mkdir -p "$TEST_SCRATCH/no-moto/moto"
echo 'raise ImportError("moto is hidden by this test")' \
	>"$TEST_SCRATCH/no-moto/moto/__init__.py"
output=$(PYTHONPATH=$TEST_SCRATCH/no-moto "$LOCAL_AWS" start \
	--state-dir "$TEST_SCRATCH/no-moto-state" 2>&1)
is $? 1 "start exits 1 when moto cannot be imported"
like "$output" "pip install 'moto\\[server\\]'" "and names the package to install"

done_testing
