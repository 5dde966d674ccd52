#!/usr/bin/env bash
# ecs-ls taskdefs: latest revision per family, one family, every
# revision, and the revisions that services and tasks run.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
register()
{
	ecs_api register_task_definition "$(jq -cn --arg f "$1" --arg i "$2" \
		'{family: $f, containerDefinitions: [{name: "app", image: $i,
		memory: 128}], tags: [{key: "team", value: "ops"}]}')" >/dev/null
}
register web nginx:1
register web nginx:2
register web-worker busybox:1
register api httpd:1
seed services run 2 --task-definition web:1 >/dev/null
seed tasks run 2 --task-definition web:2 >/dev/null

front_ctl clear-log >/dev/null
out=$(ecs-ls taskdefs </dev/null)
is $? 0 "taskdefs exits 0"
is "$(jq -r '.family + ":" + (.revision | tostring)' <<<"$out" | sort |
	paste -sd ' ')" "api:1 web-worker:1 web:2" \
	"the latest revision of each family"
is "$(ops ListTaskDefinitionFamilies)/$(ops DescribeTaskDefinition)" 1/3 \
	"families listed, each described once"
is "$(jq -r '[keys_unsorted[0], .kind, .tags[0].value] | join(" ")' \
	<<<"$out" | sort -u)" "kind taskDefinition ops" \
	"kind first; tags added"

is "$(ecs-ls taskdefs --family web </dev/null | jq -r .taskDefinitionArn |
	sed 's|.*/||')" web:2 "--family: its latest revision"
is "$(ecs-ls taskdefs --family web --all-revisions </dev/null |
	jq -r .taskDefinitionArn | sed 's|.*/||' | paste -sd ' ')" \
	"web:1 web:2" "--all-revisions: every revision of that family only"
is "$(ecs-ls taskdefs --all-revisions </dev/null | wc -l)" 4 \
	"--all-revisions without --family: every revision"
ecs_api deregister_task_definition '{"taskDefinition": "web:1"}' >/dev/null
is "$(ecs-ls taskdefs --family web --all-revisions </dev/null |
	jq -r .taskDefinitionArn | sed 's|.*/||' | paste -sd ' ')" \
	"web:2" "inactive revisions are left out"

# What runs: services and tasks in scope.
out=$(ecs-ls taskdefs -c run </dev/null)
is "$(jq -r .taskDefinitionArn <<<"$out" | sed 's|.*/||')" web:1 \
	"-c: the revision the cluster's services run, once"
out=$(ecs-ls tasks -c run </dev/null | ecs-ls taskdefs)
is "$(jq -r .taskDefinitionArn <<<"$out" | sed 's|.*/||')" web:2 \
	"tasks -> the revision they run"
out=$(ecs-ls taskdefs -s svc-01 </dev/null)
is "$(jq -r .taskDefinitionArn <<<"$out" | sed 's|.*/||')" web:1 \
	"-s without -c: looked up in every cluster"

err=$(ecs-ls taskdefs --family no-such-family </dev/null 2>&1)
is $? 1 "an unknown family exits 1"
like "$err" "^ecs-ls: DescribeTaskDefinition: ClientException: " \
	"with the AWS error"

table=$(ecs-ls taskdefs -o table </dev/null)
like "$(grep '^api' <<<"$table")" '^api:1 +ACTIVE +- +- +[a-z-]+ +- +app' \
	"a taskdefs row"

done_testing
