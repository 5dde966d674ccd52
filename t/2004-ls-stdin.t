#!/usr/bin/env bash
# ecs-ls scope from records on stdin: every parent kind, records without
# kind, flags and records together, input order, bad input.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
seed services chain 2 >/dev/null
seed tasks chain 2 --service svc-01 >/dev/null
seed tasks chain 1 --service svc-02 >/dev/null
seed tasks chain 1 >/dev/null
seed services noise 1 >/dev/null
seed tasks noise 1 --service svc-01 >/dev/null
# Two container instances in cluster ec2c, one EC2 task on the first.
python3 - <<'PY' || bail_out "cannot register container instances"
import json, os
import boto3
url = os.environ["AWS_ENDPOINT_URL"]
ec2 = boto3.client("ec2", endpoint_url=url)
ecs = boto3.client("ecs", endpoint_url=url)
ecs.create_cluster(clusterName="ec2c")
instances = []
for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=2,
                           MaxCount=2)["Instances"]:
    doc = json.dumps({"instanceId": i["InstanceId"], "region": "us-east-1"})
    instances.append(ecs.register_container_instance(
        cluster="ec2c", instanceIdentityDocument=doc)
        ["containerInstance"]["containerInstanceArn"])
ecs.register_task_definition(
    family="ec2-app", networkMode="bridge", requiresCompatibilities=["EC2"],
    containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
ecs.start_task(cluster="ec2c", taskDefinition="ec2-app",
               containerInstances=[instances[0]])
PY

count()
{
	wc -l | tr -d ' '
}

clusters=$(ecs-ls clusters -c chain </dev/null)
services=$(ecs-ls services -c chain </dev/null)
tasks=$(ecs-ls tasks -c chain </dev/null)
is "$(wc -l <<<"$services")/$(wc -l <<<"$tasks")" 2/4 "fixture: 2 services, 4 tasks"

is "$(ecs-ls services <<<"$clusters" | count)" 2 "clusters -> services"
is "$(ecs-ls tasks <<<"$clusters" | count)" 4 "clusters -> tasks"
instances=$(ecs-ls instances <<<"$(ecs-ls clusters -c ec2c </dev/null)")
is "$(count <<<"$instances")" 2 "clusters -> instances"
is "$(jq -r '[.kind, (.clusterArn | sub(".*/"; ""))] | join(" ")' \
	<<<"$instances" | sort -u)" "containerInstance ec2c" \
	"instance records carry clusterArn"
is "$(ecs-ls deployments <<<"$clusters" | count)" 2 \
	"clusters -> deployments"
is "$(ecs-ls taskdefs <<<"$clusters" | jq -r .family)" seed-app \
	"clusters -> the task definition their services run"

out=$(ecs-ls tasks <<<"$services")
is "$(count <<<"$out")" 3 "services -> their tasks (not the standalone one)"
is "$(ecs-ls deployments <<<"$services" | count)" 2 "services -> deployments"
out=$(ecs-ls events <<<"$services")
is "$?:$out" "0:" "services -> events (none recorded here)"
front_ctl clear-log >/dev/null
is "$(ecs-ls taskdefs <<<"$services" | jq -r .taskDefinitionArn |
	sed 's|.*/||')" seed-app:1 "services -> the revision they run, once"
is "$(ops DescribeTaskDefinition)" 1 "one DescribeTaskDefinition call"

containers=$(ecs-ls containers <<<"$tasks")
is "$(count <<<"$containers")" 8 "tasks -> containers (two per task)"
is "$(jq -r '[.kind, (.clusterArn | sub(".*/"; "")),
	(.taskDefinitionArn | sub(".*/"; "")), (.taskArn != null)] |
	join(" ")' <<<"$containers" | sort -u)" \
	"container chain seed-app:1 true" \
	"containers carry clusterArn, taskDefinitionArn and taskArn"
front_ctl clear-log >/dev/null
is "$(ecs-ls taskdefs <<<"$tasks" | count)" 1 "tasks -> one task definition"
is "$(ops DescribeTaskDefinition)" 1 "described once for four tasks"
is "$(ecs-ls taskdefs <<<"$containers" | count)" 1 "containers -> taskdefs"

front_ctl clear-log >/dev/null
out=$(ecs-ls tasks <<<"$containers")
is "$(jq -r .taskArn <<<"$out")" "$(jq -r .taskArn <<<"$tasks")" \
	"containers -> their tasks, once each, in input order"
is "$(ops ListTasks)/$(sizes DescribeTasks tasks)" "0/[4]" \
	"tasks on stdin are described in one batch, not listed"

ec2_task=$(ecs-ls tasks -c ec2c </dev/null)
busy=$(jq -r .containerInstanceArn <<<"$ec2_task")
front_ctl clear-log >/dev/null
out=$(ecs-ls tasks <<<"$instances")
is "$(jq -r .taskArn <<<"$out")" "$(jq -r .taskArn <<<"$ec2_task")" \
	"instances -> the task running on one of them"
is "$(front_log | jq -r 'select(.operation == "ListTasks") |
	.body.containerInstance' | sort -u | wc -l)" 2 \
	"ListTasks by container instance, once per instance"
out=$(ecs-ls instances <<<"$ec2_task")
is "$(jq -r .containerInstanceArn <<<"$out")" "$busy" \
	"EC2 tasks -> the instance they run on"

out=$(ecs-ls tasks <<<"$(ecs-ls deployments -c chain </dev/null)")
is "$(count <<<"$out")" 3 "deployments -> the tasks of their services"

# Records without kind are recognised by their ARN members.
bare=$(jq -c 'del(.kind)' <<<"$clusters")
is "$(ecs-ls services <<<"$bare" | count)" 2 "a cluster without kind"
bare=$(jq -c '{taskArn, clusterArn}' <<<"$tasks")
is "$(ecs-ls containers <<<"$bare" | count)" 8 \
	"tasks with only taskArn and clusterArn"
bare=$(jq -c '{taskArn}' <<<"$tasks")
is "$(ecs-ls tasks <<<"$bare" | jq -r .taskArn)" \
	"$(jq -r .taskArn <<<"$tasks")" "new-format task ARNs name their cluster"

# Flags and records together.
out=$(ecs-ls tasks -s svc-02 <<<"$clusters")
is "$(jq -r .group <<<"$out")" service:svc-02 \
	"--service applies to the clusters on stdin"
out=$(ecs-ls tasks -c noise <<<"$(head -1 <<<"$services")")
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | sort | uniq -c |
	awk '{ print $2 ":" $1 }' | paste -sd ' ')" "chain:2 noise:1" \
	"--cluster and a service record: both scopes"
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | head -1)" noise \
	"flags come first"

# Input order, then API order.
out=$(ecs-ls tasks <<<"$(tac <<<"$services")")
is "$(jq -r .group <<<"$out" | uniq | paste -sd ' ')" \
	"service:svc-02 service:svc-01" "output follows the input order"

# Bad input: reported with its line number, the rest still works.
bad=$(printf '%s\n' "$(head -1 <<<"$services")" '{"broken' \
	'{"family":"x","taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/x:1"}' \
	'[1]' '{"name":"what"}')
out=$(ecs-ls tasks <<<"$bad" 2>"$TEST_SCRATCH/err")
is $? 1 "bad input lines exit 1"
is "$(count <<<"$out")" 2 "the good record is still used"
err=$(cat "$TEST_SCRATCH/err")
like "$err" "stdin:2: invalid JSON" "invalid JSON names its line"
like "$err" "stdin:3: a taskDefinition record does not scope tasks" \
	"a record that cannot scope the kind is named"
like "$err" "stdin:4: expected a JSON object" "a non-object is named"
like "$err" "stdin:5: not an ECS record" "a record without ARNs is named"
out=$(ecs-ls tasks <<<'{"name":"what"}' 2>/dev/null)
is "$?:$out" "1:" "unusable input does not widen the scope to everything"
out=$(ecs-ls tasks </dev/null)
is "$(count <<<"$out")" 6 "stdin from /dev/null: every cluster"
out=$(: | ecs-ls tasks)
is "$?:$out" "0:" "an empty pipe: nothing"

done_testing
