#!/usr/bin/env bash
# ecs-ls tasks: 250 tasks through every page and DescribeTasks batches,
# describes overlapping the listing, throttling retried, a vanished task
# reported while the others print, stopped tasks.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
seed tasks big 250 >/dev/null
listed=$(ecs_list_all list_tasks taskArns '{"cluster": "big"}')

front_ctl clear-log >/dev/null
out=$(ecs-ls tasks -c big </dev/null)
is $? 0 "tasks exits 0"
is "$(wc -l <<<"$out")" 250 "250 records"
is "$(ops ListTasks)" 3 "three ListTasks pages"
# Batches run concurrently, so they may reach the front in any order.
is "$(sizes DescribeTasks tasks | jq -c 'sort | reverse')" "[100,100,50]" \
	"DescribeTasks batches of 100, 100 and 50"
is "$(jq -r .taskArn <<<"$out")" "$listed" "records in ListTasks order"
is "$(jq -r '[keys_unsorted[0], .kind, (.clusterArn | sub(".*/"; ""))] |
	join(" ")' <<<"$out" | sort -u)" "kind task big" \
	"task records: kind first, then the AWS object"

# The second page answers a second late: the first batch must be
# described while it is on its way.
front_ctl clear-log >/dev/null
front_ctl fault --skip 1 ListTasks delay 1 >/dev/null
out2=$(ecs-ls tasks -c big </dev/null)
is "$out2" "$out" "the same records with a slow page"
front_log | jq -s -e '
	([.[] | select(.operation == "ListTasks")][1]) as $page2 |
	([.[] | select(.operation == "DescribeTasks")][0]) as $batch1 |
	$batch1.time < $page2.time + $page2.ms / 1000 - 0.5' >/dev/null
ok $? "the first batch is described while the next page is listed"

front_ctl clear-log >/dev/null
front_ctl fault --count 2 DescribeTasks throttle >/dev/null
front_ctl fault ListTasks throttle >/dev/null
out2=$(ecs-ls tasks -c big 2>"$TEST_SCRATCH/err" </dev/null)
is $? 0 "throttled replies are retried: exit 0"
is "$out2" "$out" "output complete after throttling"
is "$(front_log | jq -s '[.[] | select(.fault != null)] | length')" 3 \
	"three throttled replies were sent"
is "$(ops DescribeTasks)" 5 "two DescribeTasks retries"
is "$(cat "$TEST_SCRATCH/err")" "" "nothing on stderr"

gone=$(sed -n 7p <<<"$listed")
front_ctl clear-log >/dev/null
# One rule per batch: whichever batch holds $gone loses it.
front_ctl fault --count 3 DescribeTasks failures "$gone" >/dev/null
out2=$(ecs-ls tasks -c big 2>"$TEST_SCRATCH/err" </dev/null)
is $? 1 "a MISSING failure exits 1"
is "$(cat "$TEST_SCRATCH/err")" \
	"ecs-ls: DescribeTasks: $gone: MISSING (it was deleted, or it is in another cluster or region)" \
	"the failure names the ARN and the reason"
is "$(wc -l <<<"$out2")" 249 "the other 249 records print"
is "$(jq -r .taskArn <<<"$out2")" "$(grep -v "$gone" <<<"$listed")" \
	"in order"

front_ctl clear-log >/dev/null
one=$(ecs-ls tasks -c big --max-concurrency 1 </dev/null)
is "$(conns)" 1 "--max-concurrency 1: one connection"
front_ctl clear-log >/dev/null
many=$(ecs-ls tasks -c big --max-concurrency 16 </dev/null)
[ "$(conns)" -le 16 ]
ok $? "--max-concurrency 16: at most 16 connections"
[ "$one" = "$out" ] && [ "$many" = "$out" ]
ok $? "the same bytes with --max-concurrency 1, 8 and 16"

# Stopped tasks carry their reason, their containers the exit code.
stop1=$(sed -n 1p <<<"$listed")
stop2=$(sed -n 2p <<<"$listed")
ecs_api stop_task "{\"cluster\": \"big\", \"task\": \"$stop1\",
	\"reason\": \"scaled in\"}" >/dev/null
ecs_api stop_task "{\"cluster\": \"big\", \"task\": \"$stop2\",
	\"reason\": \"scaled in\"}" >/dev/null
stopped=$(ecs-ls tasks -c big --desired-status STOPPED </dev/null)
is "$(jq -r .taskArn <<<"$stopped" | sort)" "$(printf '%s\n' "$stop1" "$stop2" | sort)" \
	"--desired-status STOPPED lists the stopped tasks"
is "$(jq -r .stoppedReason <<<"$stopped" | sort -u)" "scaled in" \
	"stopped tasks carry stoppedReason"
containers=$(ecs-ls containers -c big --desired-status STOPPED </dev/null)
is "$(jq -r 'has("exitCode")' <<<"$containers" | sort -u)" true \
	"their containers carry exitCode"
table=$(ecs-ls tasks -c big --desired-status STOPPED -o table </dev/null)
like "$(head -1 <<<"$table")" "STOPPED REASON" "table: a STOPPED REASON column"
like "$(sed -n 2p <<<"$table")" "STOPPED .*scaled in" "with the reason"
is "$(ecs-ls tasks -c big </dev/null | wc -l)" 248 "RUNNING is the default"
is "$(ecs-ls tasks -c big --desired-status ALL </dev/null | wc -l)" 250 \
	"ALL lists running and stopped tasks"

done_testing
