#!/usr/bin/env bash
# ecs-update: the changes it sends, dry runs, rollback, --wait over the
# local AWS's deployment model, stdin records and errors. Confirmation and
# read-only mode are in t/7003.
. "$(dirname "$0")/lib/test-lib.sh"

# A read-only setting of the person running the tests must not apply.
unset ECS_READ_ONLY
export XDG_CONFIG_HOME=$TEST_SCRATCH/xdg
. "$TEST_DIR/lib/ls-lib.sh"

TD=arn:aws:ecs:us-east-1:123456789012:task-definition/seed-app

# update ARGS...: ecs-update with no stdin; $out, $err and $status.
update()
{
	out=$(ecs-update "$@" </dev/null 2>"$TEST_SCRATCH/err")
	status=$?
	err=$(cat "$TEST_SCRATCH/err")
}

# requests: the UpdateService bodies logged since the last clear-log.
requests()
{
	front_log | jq -c 'select(.operation == "UpdateService") | .body'
}

primary()
{
	ecs_api describe_services "{\"cluster\":\"c1\",\"services\":[\"$1\"]}" |
		jq -r ".services[0].deployments[] | select(.status == \"PRIMARY\") | .$2"
}

start_local_aws
seed services c1 4 >/dev/null
for i in 2 3; do
	ecs_api register_task_definition '{"family":"seed-app","containerDefinitions":[{"name":"app","image":"x","memory":128}]}' >/dev/null
done
front_ctl set deployments=true deploy_seconds=0.5 >/dev/null

# Usage errors.
update -c c1 -s svc-01
is "$status" 2 "no change is a usage error"
like "$err" "nothing to change" "no change: message"
update -c c1 -s svc-01 --rollback --task-definition seed-app:2
is "$status" 2 "--rollback with --task-definition"
update -c c1 -s svc-01 --desired-count 2 --dry-run --wait
is "$status" 2 "--dry-run with --wait"
update -c c1 --desired-count 2
is "$status" 2 "--cluster without --service"
update --desired-count 2
is "$status" 2 "no services and no stdin"
like "$err" "no services: pipe service records" "no services: message"
update -c c1 -s svc-01 --desired-count -1
is "$status" 2 "negative --desired-count"
update -c c1 -s svc-01 --desired-count 2 --interval 0
is "$status" 2 "--interval 0"

# Dry run: the change and the request, nothing sent.
front_ctl clear-log >/dev/null
update -c c1 -s svc-01 --desired-count 3 --dry-run
is "$status" 0 "dry run exits 0"
is "$(jq -r .kind <<<"$out")" serviceUpdate "dry run record kind"
is "$(jq -c .changes <<<"$out")" '{"desiredCount":{"from":1,"to":3}}' \
	"dry run shows the desired count change"
is "$(jq -c .request <<<"$out")" \
	'{"cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/c1","service":"svc-01","desiredCount":3}' \
	"dry run shows the request"
is "$(requests | wc -l)" 0 "dry run sends no UpdateService"
update -c c1 -s svc-01 -s svc-02 --desired-count 3 --dry-run -o table
is "$out" $'Would update 2 services:\n  c1/svc-01: desiredCount 1 -> 3\n  c1/svc-02: desiredCount 1 -> 3' \
	"dry run as text"

# Desired count.
front_ctl clear-log >/dev/null
update -c c1 -s svc-01 --desired-count 3 --yes
is "$status" 0 "desired count update exits 0"
is "$(jq -r '.kind + " " + (.desiredCount | tostring)' <<<"$out")" \
	"service 3" "prints the updated service record"
is "$(requests)" \
	'{"cluster":"arn:aws:ecs:us-east-1:123456789012:cluster/c1","service":"svc-01","desiredCount":3}' \
	"UpdateService request for the desired count"
is "$(front_log | jq -r .operation | head -1)" DescribeServices \
	"the service is described first"

# Already in the requested state: nothing sent, record printed.
front_ctl clear-log >/dev/null
update -c c1 -s svc-01 --desired-count 3 --yes
is "$status" 0 "unchanged service exits 0"
like "$err" "c1/svc-01: already in the requested state" "unchanged: warning"
is "$(jq -r .serviceName <<<"$out")" svc-01 "unchanged: record printed"
is "$(requests | wc -l)" 0 "unchanged: no UpdateService"

# Force a new deployment.
before=$(primary svc-02 id)
update -c c1 -s svc-02 --force-new-deployment --yes
is "$status" 0 "force new deployment exits 0"
is "$(requests | tail -1 | jq -c '{forceNewDeployment, taskDefinition}')" \
	'{"forceNewDeployment":true,"taskDefinition":null}' \
	"forceNewDeployment sent without a task definition"
isnt "$(jq -r '.deployments[] | select(.status == "PRIMARY") | .id' <<<"$out")" \
	"$before" "a new PRIMARY deployment"

# Task definition: a revision, and a family alone (its latest).
front_ctl clear-log >/dev/null
update -c c1 -s svc-03 --task-definition seed-app:2 --yes
is "$(requests | jq -r .taskDefinition)" "$TD:2" \
	"family:revision is sent as its ARN"
is "$(jq -r .taskDefinition <<<"$out")" "$TD:2" "service runs revision 2"
update -c c1 -s svc-03 --task-definition seed-app --dry-run
is "$(jq -r .changes.taskDefinition.to <<<"$out")" "$TD:3" \
	"family alone means its latest revision"
front_ctl clear-log >/dev/null
update -c c1 -s svc-03 --task-definition nosuch:9 --yes
is "$status" 1 "unknown task definition exits 1"
like "$err" "c1/svc-03: DescribeTaskDefinition: " \
	"unknown task definition: message names the service and call"
is "$(requests | wc -l)" 0 "unknown task definition: nothing updated"

# Rollback after a finished deployment: the ACTIVE revision below.
sleep 0.6
update -c c1 -s svc-03 --rollback --dry-run -o table
like "$out" "taskDefinition seed-app:2 -> seed-app:1 \(rollback to the previous ACTIVE revision\)" \
	"rollback picks the revision below"
update -c c1 -s svc-03 --task-definition seed-app:3 --yes
sleep 0.6
ecs_api deregister_task_definition '{"taskDefinition":"seed-app:2"}' >/dev/null
update -c c1 -s svc-03 --rollback --dry-run
is "$(jq -r .changes.taskDefinition.to <<<"$out")" "$TD:1" \
	"rollback skips an INACTIVE revision"
update -c c1 -s svc-04 --rollback --yes
is "$status" 1 "rollback from revision 1 exits 1"
like "$err" "cannot roll back: seed-app has no ACTIVE revision below 1" \
	"rollback from revision 1: message"

# Rollback while a deployment is in progress: the older deployment's.
front_ctl set deploy_seconds=60 >/dev/null
update -c c1 -s svc-04 --task-definition seed-app:3 --yes
old=$(jq -r '.deployments[] | select(.status == "ACTIVE") | .id' <<<"$out")
update -c c1 -s svc-04 --rollback --dry-run -o table
like "$out" "taskDefinition seed-app:3 -> seed-app:1 \(rollback to the deployment $old\)" \
	"rollback during a rollout picks the older deployment"
front_ctl clear-log >/dev/null
update -c c1 -s svc-04 --rollback --yes
is "$(requests | jq -r .taskDefinition)" "$TD:1" "rollback request"

# --wait until steady: deployment records as they change.
front_ctl set deploy_seconds=0.6 >/dev/null
update -c c1 -s svc-01 --task-definition seed-app:3 --desired-count 2 \
	--yes --wait --interval 0.1
is "$status" 0 "--wait: steady exits 0"
is "$(head -1 <<<"$out" | jq -r .kind)" service \
	"--wait: the service record comes first"
deps=$(jq -c 'select(.kind == "deployment")' <<<"$out")
new=$(head -1 <<<"$out" | jq -r '.deployments[] | select(.status == "PRIMARY") | .id')
is "$(jq -r "select(.id == \"$new\") | .rolloutState" <<<"$deps" | head -1)" \
	IN_PROGRESS "--wait: the rollout is seen in progress"
is "$(jq -r "select(.id == \"$new\") | .rolloutState + \" \" + (.runningCount | tostring)" <<<"$deps" | tail -1)" \
	"COMPLETED 2" "--wait: the last record is the completed deployment"
is "$(jq -r '.serviceArn' <<<"$deps" | sort -u)" \
	arn:aws:ecs:us-east-1:123456789012:service/c1/svc-01 \
	"deployment records carry serviceArn"
ok "$([ "$(wc -l <<<"$deps")" -ge 3 ] && echo 0)" \
	"--wait: several deployment records"

front_ctl set deploy_outcome=FAILED >/dev/null
update -c c1 -s svc-02 --task-definition seed-app:3 --yes --wait \
	--interval 0.1
is "$status" 1 "--wait: failed deployment exits 1"
like "$err" "c1/svc-02: deployment ecs-svc/[0-9]+ failed: ECS deployment circuit breaker" \
	"--wait: failure message"
is "$(tail -1 <<<"$out" | jq -r .rolloutState)" FAILED \
	"--wait: the last record is the failed deployment"
front_ctl set deploy_outcome=COMPLETED deploy_seconds=60 >/dev/null
update -c c1 -s svc-02 --task-definition seed-app:1 --yes --wait \
	--interval 0.1 --timeout 0.4
is "$status" 1 "--wait: timeout exits 1"
like "$err" "is not steady after 0.4 seconds" "--wait: timeout message"
front_ctl set deploy_seconds=0.5 >/dev/null

# Service records on stdin, with a line that is no service.
ecs-ls services -c c1 </dev/null | head -2 >"$TEST_SCRATCH/in"
echo '{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/c1/abc"}' \
	>>"$TEST_SCRATCH/in"
front_ctl clear-log >/dev/null
out=$(ecs-update --desired-count 5 --yes <"$TEST_SCRATCH/in" 2>"$TEST_SCRATCH/err")
status=$?
err=$(cat "$TEST_SCRATCH/err")
is "$status" 1 "stdin with a task record exits 1"
like "$err" "stdin:3: not a service record \(kind task\)" \
	"stdin: the bad line is named"
is "$(requests | jq -r .service | sort | tr '\n' ' ')" "svc-01 svc-02 " \
	"stdin: both services are updated"
is "$(jq -r .desiredCount <<<"$out" | sort -u)" 5 "stdin: records printed"
printf '{"serviceArn":\n' | ecs-update --desired-count 5 --yes \
	>/dev/null 2>"$TEST_SCRATCH/err"
is "$?" 1 "malformed stdin exits 1"
like "$(cat "$TEST_SCRATCH/err")" "^ecs-update: stdin:1: " \
	"malformed stdin: line number"

# With --service, stdin is not read (it may hold a loop's records).
front_ctl clear-log >/dev/null
out=$(ecs-update -c c1 -s svc-03 --desired-count 6 --yes <"$TEST_SCRATCH/in" 2>/dev/null)
is "$?" 0 "--service with records on stdin exits 0"
is "$(requests | jq -r .service)" svc-03 "--service: stdin records are not updated"

# A service that does not exist.
front_ctl clear-log >/dev/null
update -c c1 -s nosuch -s svc-01 --desired-count 4 --yes
is "$status" 1 "missing service exits 1"
like "$err" "c1/nosuch: service not found" "missing service: message"
is "$(requests | jq -r .service)" svc-01 "the other service is updated"

done_testing
