#!/usr/bin/env bash
# ecs-ls events and deployments, against a canned ECS endpoint (the local
# moto records no service events): newest first, service and cluster ARNs
# added, one record per event.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$TEST_SCRATCH/config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE AWS_SESSION_TOKEN

start_canned_ecs --services 12 --events 4 --tasks 3
export AWS_ENDPOINT_URL=$CANNED_URL

out=$(ecs-ls events -c bench </dev/null)
is $? 0 "events exits 0"
is "$(wc -l <<<"$out")" 48 "four events for each of 12 services"
is "$(jq -r '[keys_unsorted[0], .kind, (.serviceArn | sub(".*/"; "")),
	(.clusterArn | sub(".*/"; ""))] | join(" ")' <<<"$out" | uniq |
	head -2 | paste -sd ,)" \
	"kind serviceEvent svc-001 bench,kind serviceEvent svc-002 bench" \
	"events carry kind, the service and the cluster, service by service"
is "$(jq -s -r '[group_by(.serviceArn)[] |
	(map(.createdAt) == (map(.createdAt) | sort | reverse))] | all' \
	<<<"$out")" true "each service's events newest first"
is "$(jq -r '.id + " " + .message' <<<"$out" | head -1)" \
	"0000-0000 (service svc-001) has reached a steady state. (0)" \
	"the event object as the service sent it"
stats=$(curl -s "$CANNED_URL/stats")
is "$(jq -c '[.ListServices, .DescribeServices]' <<<"$stats")" "[1,2]" \
	"one ListServices page, DescribeServices for 10 and 2"

table=$(COLUMNS=80 ecs-ls events -c bench -o table </dev/null)
like "$(head -1 <<<"$table")" '^ +AGE +SERVICE +MESSAGE$' "events table"
like "$(sed -n 2p <<<"$table")" '^ *[0-9]+[smhd] +svc-001 +\(service svc-001\)' \
	"a row: age, service, message"

out=$(ecs-ls deployments -c bench </dev/null)
is "$(wc -l <<<"$out")" 12 "one deployment per service"
is "$(jq -r '.rolloutState' <<<"$out" | sort -u)" COMPLETED \
	"deployments carry their rollout state"

services=$(ecs-ls services -c bench -s svc-003 -s svc-011 </dev/null)
out=$(ecs-ls events <<<"$services")
is "$(jq -r '.serviceArn | sub(".*/"; "")' <<<"$out" | uniq | paste -sd ' ')" \
	"svc-003 svc-011" "services on stdin -> their events, in input order"
out=$(ecs-ls tasks <<<"$(head -1 <<<"$out")")
is "$(wc -l <<<"$out")" 3 "an event -> the tasks of its service"
out=$(ecs-ls containers -c bench </dev/null)
is "$(jq -r .platformVersion <<<"$out" | sort -u)" 1.4.0 \
	"containers carry the task's platformVersion"

done_testing
