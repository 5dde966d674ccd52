#!/usr/bin/env bash
# ecs-ls containers: what a container record carries, containers without
# runtimeId or managedAgents, and task ARNs of the old format.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
seed tasks box 2 --exec >/dev/null

out=$(ecs-ls containers -c box </dev/null)
is $? 0 "containers exits 0"
is "$(wc -l <<<"$out")" 4 "two containers per task"
is "$(jq -c 'keys_unsorted | .[0:1] + .[-4:]' <<<"$out" | sort -u)" \
	'["kind","clusterArn","taskDefinitionArn","enableExecuteCommand","launchType"]' \
	"kind first; the task's cluster, task definition, exec flag and launch type added last"
is "$(jq -r '[.name, .runtimeId != null, .managedAgents[0].name] |
	join(" ")' <<<"$out" | sort -u | paste -sd ,)" \
	"app true ExecuteCommandAgent,sidecar true ExecuteCommandAgent" \
	"the container objects as DescribeTasks returns them"
table=$(ecs-ls containers -c box -o table </dev/null)
like "$(head -1 <<<"$table")" '^NAME +TASK +STATUS +EXEC AGENT +HEALTH +IMAGE$' \
	"containers table columns"
like "$(sed -n 2p <<<"$table")" '^app +[0-9a-f-]{36} +RUNNING +RUNNING ' \
	"a row: name, task id, status, exec agent status"

# moto's own shape: one container, no runtimeId, no managedAgents.
front_ctl set task_shapes=false >/dev/null
out=$(ecs-ls containers -c box </dev/null 2>"$TEST_SCRATCH/err")
is $? 0 "containers without runtimeId or managedAgents: exit 0"
is "$(cat "$TEST_SCRATCH/err")" "" "nothing on stderr"
is "$(jq -r '[has("runtimeId"), has("managedAgents")] | join(" ")' \
	<<<"$out" | sort -u)" "false false" "the records lack both"
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | sort -u)" box \
	"and still carry clusterArn"
table=$(ecs-ls containers -c box -o table </dev/null 2>&1)
is "$?" 0 "the table prints"
like "$(sed -n 2p <<<"$table")" '^app +[^ ]+ +[A-Z]+ +- ' \
	"exec agent status shows as -"
front_ctl set task_shapes=true >/dev/null

# Old task ARN format: task/TASK_ID without the cluster name.
ecs_api put_account_setting \
	'{"name": "taskLongArnFormat", "value": "disabled"}' >/dev/null
tasks=$(ecs-ls tasks -c box </dev/null)
like "$(jq -r .taskArn <<<"$tasks" | head -1)" ':task/[0-9a-f-]{36}$' \
	"tasks listed with old-format ARNs"
is "$(wc -l <<<"$tasks")" 2 "both tasks"
out=$(ecs-ls containers <<<"$tasks")
is "$(wc -l <<<"$out")" 4 "old-format tasks -> containers"
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | sort -u)" box \
	"containers of old-format tasks carry clusterArn"
out=$(jq -c '{taskArn, clusterArn}' <<<"$tasks" | ecs-ls tasks)
is "$(jq -r .taskArn <<<"$out")" "$(jq -r .taskArn <<<"$tasks")" \
	"an old-format taskArn with clusterArn is described"
err=$(jq -c '{taskArn}' <<<"$tasks" | ecs-ls tasks 2>&1 >/dev/null)
is $? 1 "an old-format taskArn alone means the default cluster"
like "$err" "ClusterNotFoundException" "which does not exist here"
table=$(ecs-ls tasks -c box -o table </dev/null)
like "$(sed -n 2p <<<"$table")" '^[0-9a-f-]{36} ' \
	"the table shows the task id of an old-format ARN"

done_testing
