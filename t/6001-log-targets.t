#!/usr/bin/env bash
# ecs-log: from clusters, services, tasks, containers and stdin records to
# each container's own log stream, merged in timestamp order.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
CLUSTER_ARN=arn:aws:ecs:us-east-1:123456789012:cluster/prod

awscli()
{
	aws --endpoint-url "$AWS_ENDPOINT_URL" --output json "$@"
}

# "app" logs through awslogs; "side" through splunk; "quiet" nowhere.
seed taskdef web --containers '[
  {"name": "app", "image": "nginx", "memory": 256, "essential": true,
   "logConfiguration": {"logDriver": "awslogs", "options": {
     "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1",
     "awslogs-stream-prefix": "web"}}},
  {"name": "side", "image": "busybox", "memory": 64, "essential": false,
   "logConfiguration": {"logDriver": "splunk", "options": {}}},
  {"name": "quiet", "image": "busybox", "memory": 64, "essential": false}
]' >/dev/null
seed services prod 1 --task-definition web >/dev/null
tasks=$(start_tasks prod 2 --service svc-01)
t1=$(sed -n 1p <<<"$tasks")
t2=$(sed -n 2p <<<"$tasks")
alone=$(start_tasks prod 1 --task-definition web)
base=$(($(now_ms) - 120000))
# Interleaved timestamps: t1 at 1, 3, 5 s, t2 at 2, 4 s, alone at 2.5 s.
logseed events /ecs/web "web/app/$(task_id "$t1")" <<EOF
{"timestamp": $((base + 1000)), "message": "t1 first"}
{"timestamp": $((base + 3000)), "message": "t1 second"}
{"timestamp": $((base + 5000)), "message": "t1 third"}
EOF
logseed events /ecs/web "web/app/$(task_id "$t2")" <<EOF
{"timestamp": $((base + 2000)), "message": "t2 first"}
{"timestamp": $((base + 4000)), "message": "t2 second"}
EOF
logseed events /ecs/web "web/app/$(task_id "$alone")" <<EOF
{"timestamp": $((base + 2500)), "message": "alone first"}
EOF

# A service: its running tasks, merged by timestamp.
out=$(ecs-log --cluster prod --service svc-01 --container app --since 5m \
	</dev/null 2>"$TEST_SCRATCH/err")
is "$?" 0 "service: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" \
	"t1 first,t2 first,t1 second,t2 second,t1 third" \
	"service: events of both tasks in timestamp order"
is "$(jq -s 'map(select(.logStreamName !=
	("web/app/" + (.taskArn | split("/") | last)))) | length' <<<"$out")" 0 \
	"service: every event comes from its own task's stream"
is "$(jq -s 'map(select(.message | startswith("t1")) | .taskArn) | unique
	| join(" ")' -r <<<"$out")" "$t1" "service: t1's events carry t1's ARN"
is "$(jq -c 'keys_unsorted' <<<"$out" | sort -u)" \
	'["kind","timestamp","message","ingestionTime","logGroupName","logStreamName","taskArn","container"]' \
	"service: record fields"
is "$(jq -r '[.kind, .container, .logGroupName] | join(" ")' <<<"$out" |
	sort -u)" "logEvent app /ecs/web" "service: kind, container and group"
is "$(cat "$TEST_SCRATCH/err")" "" "service: nothing on stderr"

# Containers whose logs are elsewhere are named, with their driver.
out=$(ecs-log --cluster prod --service svc-01 --since 5m </dev/null \
	2>"$TEST_SCRATCH/err")
is "$?" 1 "other drivers: exit status 1"
is "$(jq -r .message <<<"$out" | wc -l)" 5 "other drivers: app events printed"
like "$(cat "$TEST_SCRATCH/err")" 'container "side" .*web:1.* uses the "splunk" log driver' \
	"other drivers: splunk container named with its driver"
like "$(cat "$TEST_SCRATCH/err")" 'container "quiet" .*has no log configuration' \
	"other drivers: container without logs named"
is "$(grep -c splunk "$TEST_SCRATCH/err")" 1 \
	"other drivers: reported once per task definition"

# A task by ID, in a named cluster.
out=$(ecs-log --cluster prod --task "$(task_id "$t2")" --container app \
	--since 5m </dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" "t2 first,t2 second" \
	"task ID: only that task's events"

# A cluster: the tasks of its services, not tasks started on their own.
out=$(ecs-log --cluster prod --container app --since 5m </dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" \
	"t1 first,t2 first,t1 second,t2 second,t1 third" \
	"cluster: its services' tasks only"

# Records on stdin: a container record with its task definition needs no
# ECS call; a task record without one is described first.
taskdef_arn=arn:aws:ecs:us-east-1:123456789012:task-definition/web:1
ctl clear-log
out=$(jq -cn --arg t "$t1" --arg d "$taskdef_arn" --arg c "$CLUSTER_ARN" \
	'{kind: "container", name: "app", taskArn: $t, clusterArn: $c,
	taskDefinitionArn: $d, containerArn: "x"}' | ecs-log --since 5m)
is "$(jq -r .message <<<"$out" | paste -sd,)" "t1 first,t1 second,t1 third" \
	"container record: that container's events"
is "$(ops DescribeTasks)" 0 "container record: no DescribeTasks call"
out=$(jq -cn --arg t "$alone" --arg c "$CLUSTER_ARN" \
	'{taskArn: $t, clusterArn: $c, lastStatus: "RUNNING"}' |
	ecs-log --container app --since 5m)
is "$(jq -r .message <<<"$out")" "alone first" \
	"task record without kind: described, then read"
out=$( {
	jq -cn --arg c "$CLUSTER_ARN" \
		'{kind: "service", clusterArn: $c,
		serviceArn: "arn:aws:ecs:us-east-1:123456789012:service/prod/svc-01"}'
	jq -cn --arg t "$alone" --arg c "$CLUSTER_ARN" \
		'{kind: "task", taskArn: $t, clusterArn: $c}'
} | ecs-log --container app --since 5m)
is "$(jq -r .message <<<"$out" | paste -sd,)" \
	"t1 first,t2 first,alone first,t1 second,t2 second,t1 third" \
	"service and task records: merged"
out=$(printf '%s\n' '{"kind":"cluster","clusterArn":"'"$CLUSTER_ARN"'"}' \
	'{"kind":"taskDefinition","family":"x"}' |
	ecs-log --container app --since 5m 2>"$TEST_SCRATCH/err")
is "$?" 1 "unusable record: exit status 1"
is "$(jq -r .message <<<"$out" | wc -l)" 5 "unusable record: others read"
like "$(cat "$TEST_SCRATCH/err")" "stdin: record 2 is not" \
	"unusable record: named by its number"

# Stopped tasks count with --since only.
awscli ecs stop-task --cluster prod --task "$t2" >/dev/null
out=$(ecs-log --cluster prod --service svc-01 --container app </dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" "t1 first,t1 second,t1 third" \
	"stopped task: left out without --since"
out=$(ecs-log --cluster prod --service svc-01 --container app --since 1h \
	</dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" \
	"t1 first,t2 first,t1 second,t2 second,t1 third" \
	"stopped task: read with --since"

# awslogs without a stream prefix: the stream is named after the Docker
# container ID, which ECS does not report.
app_taskdef noprefix /ecs/noprefix "" >/dev/null
np=$(start_tasks other 1 --task-definition noprefix)
out=$(ecs-log --cluster other --task "$np" </dev/null 2>&1)
is "$?" 1 "no prefix: exit status 1"
like "$out" 'container "app" .* without awslogs-stream-prefix' \
	"no prefix: named with the missing option"

# FireLens to CloudWatch Logs: the stream is the prefix and the tag
# CONTAINER-firelens-TASK_ID, or a log_stream_name template.
seed taskdef fl --containers '[
  {"name": "app", "image": "nginx", "memory": 128, "essential": true,
   "logConfiguration": {"logDriver": "awsfirelens", "options": {
     "Name": "cloudwatch_logs", "region": "us-east-1",
     "log_group_name": "/fl", "log_stream_prefix": "fb-"}}},
  {"name": "api", "image": "nginx", "memory": 128, "essential": false,
   "logConfiguration": {"logDriver": "awsfirelens", "options": {
     "Name": "cloudwatch", "region": "us-east-1",
     "log_group_name": "/fl-$(ecs_cluster)",
     "log_stream_name": "$(ecs_task_id)/$(tag)"}}},
  {"name": "kin", "image": "nginx", "memory": 128, "essential": false,
   "logConfiguration": {"logDriver": "awsfirelens", "options": {
     "Name": "kinesis_firehose", "region": "us-east-1"}}}
]' >/dev/null
fl=$(start_tasks fire 1 --task-definition fl)
flid=$(task_id "$fl")
put_events /fl "fb-app-firelens-$flid" "$((base + 1)):from fluent-bit" \
	>/dev/null
put_events /fl-fire "$flid/api-firelens-$flid" "$((base + 2)):from api" \
	>/dev/null
out=$(ecs-log --cluster fire --task "$fl" --since 1h </dev/null \
	2>"$TEST_SCRATCH/err")
is "$(jq -r '[.container, .message] | join(":")' <<<"$out" | paste -sd,)" \
	"app:from fluent-bit,api:from api" \
	"FireLens: cloudwatch_logs prefix and cloudwatch template streams"
like "$(cat "$TEST_SCRATCH/err")" 'container "kin" .* FireLens to "kinesis_firehose"' \
	"FireLens: other outputs named"

# Errors from ECS stop with the operation, code and message.
out=$(ecs-log --cluster missing </dev/null 2>&1)
is "$?" 1 "missing cluster: exit status 1"
like "$out" "ecs-log: ListTasks: ClusterNotFoundException: " \
	"missing cluster: AWS error reported"
out=$(timeout 20 ecs-log --cluster missing --follow </dev/null 2>&1)
is "$?" 1 "missing cluster, following: exit status 1"

# A service without tasks is no error, but is said.
seed services prod 1 --prefix idle- --task-definition web >/dev/null
out=$(ecs-log --cluster prod --service idle-01 </dev/null 2>&1)
is "$?" 0 "no tasks: exit status 0"
like "$out" "warning: found no container log streams" "no tasks: a warning"
no_sanitizer_reports
done_testing
