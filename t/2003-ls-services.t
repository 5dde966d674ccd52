#!/usr/bin/env bash
# ecs-ls services, deployments and tasks of services: DescribeServices in
# batches of 10, a service without tasks costs no DescribeTasks call,
# --service looked up in every cluster.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
seed services s23 23 >/dev/null
seed tasks s23 3 --service svc-01 >/dev/null
seed services other 2 >/dev/null
seed tasks other 1 --service svc-02 >/dev/null

front_ctl clear-log >/dev/null
out=$(ecs-ls services -c s23 </dev/null)
is $? 0 "services exits 0"
is "$(wc -l <<<"$out")" 23 "23 records"
is "$(sizes DescribeServices services)" "[10,10,3]" \
	"DescribeServices batches of 10, 10 and 3"
is "$(jq -r .serviceName <<<"$out" | paste -sd ' ')" \
	"$(ecs_list_all list_services serviceArns '{"cluster": "s23"}' |
		sed 's|.*/||' | paste -sd ' ')" "records in ListServices order"
is "$(jq -r 'keys_unsorted[0] + " " + .kind' <<<"$out" | sort -u)" \
	"kind service" "kind first"

front_ctl clear-log >/dev/null
out=$(ecs-ls tasks -c s23 -s svc-05 </dev/null)
is "$?:$out" "0:" "a service without tasks: no records, exit 0"
is "$(ops ListTasks)/$(ops DescribeTasks)" "1/0" \
	"one ListTasks call and no DescribeTasks call"
is "$(front_log | jq -r 'select(.operation == "ListTasks") |
	.body.serviceName')" svc-05 "ListTasks is filtered by service"

out=$(ecs-ls tasks -c s23 -s svc-01 </dev/null)
is "$(wc -l <<<"$out")" 3 "the three tasks of svc-01"
is "$(jq -r .group <<<"$out" | sort -u)" service:svc-01 "all of svc-01"

front_ctl clear-log >/dev/null
out=$(ecs-ls services -s svc-02 </dev/null)
is "$?" 0 "--service without --cluster exits 0"
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | sort | paste -sd ' ')" \
	"other s23" "--service without --cluster: found in every cluster"
is "$(ops ListClusters)" 1 "clusters are listed to look it up"
out=$(ecs-ls tasks -s svc-02 </dev/null)
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out")" other \
	"tasks of a service looked up in every cluster"
out=$(ecs-ls tasks -s svc-02 <<<"$(ecs-ls services -c s23 -s svc-01 \
	</dev/null)")
is "$(jq -r '(.clusterArn | sub(".*/"; "")) + ":" + .group' <<<"$out" |
	uniq | paste -sd ' ')" \
	"other:service:svc-02 s23:service:svc-01" \
	"a lookup in every cluster comes before the records on stdin"
err=$(ecs-ls services -s no-such-svc </dev/null 2>&1 >/dev/null)
is $? 1 "a service found nowhere exits 1"
like "$err" 'service "no-such-svc" not found in any cluster of us-east-1' \
	"and says so"
err=$(ecs-ls services -c s23 -s svc-01 -s no-such-svc </dev/null 2>&1 \
	>"$TEST_SCRATCH/out")
is $? 1 "a missing service in a named cluster exits 1"
like "$err" "DescribeServices: arn:[^ ]*no-such-svc: MISSING" \
	"the failure names the ARN and the reason"
is "$(jq -r .serviceName "$TEST_SCRATCH/out")" svc-01 \
	"the found service still prints"

out=$(ecs-ls deployments -c s23 </dev/null)
is "$(wc -l <<<"$out")" 23 "one deployment per service"
is "$(jq -r '[keys_unsorted[0], .kind, .status,
	(.serviceArn | sub(".*/"; "")), (.clusterArn | sub(".*/"; ""))] |
	join(" ")' <<<"$out" | head -1)" "kind deployment PRIMARY svc-01 s23" \
	"deployments carry the service and cluster ARNs"
table=$(ecs-ls deployments -c s23 -o table </dev/null)
like "$(head -1 <<<"$table")" '^SERVICE +ID +STATUS +ROLLOUT' \
	"deployments table"
out=$(ecs-ls events -c s23 </dev/null)
is "$?:$out" "0:" "no events (the local AWS records none): exit 0"

is "$(ecs-ls services -c s23 --launch-type EC2 </dev/null | wc -l)" 0 \
	"--launch-type filters services"
is "$(ecs-ls services -c s23 --launch-type FARGATE </dev/null | wc -l)" 23 \
	"FARGATE services"

# Without any scope: every cluster.
out=$(ecs-ls tasks </dev/null)
is "$(jq -r '.clusterArn | sub(".*/"; "")' <<<"$out" | uniq -c |
	awk '{ print $2 ":" $1 }' | paste -sd ' ')" \
	"$(ecs_list_all list_clusters clusterArns | sed 's|.*/||' |
		sed 's/s23/s23:3/; s/other/other:1/' | paste -sd ' ')" \
	"no scope: the tasks of every cluster, cluster by cluster"

done_testing
