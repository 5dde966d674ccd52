#!/usr/bin/env bash
# ecs-log --follow: late events, streams of tasks that start meanwhile, no
# duplicates, and every record written as soon as it is read.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef live >/dev/null
seed services c1 1 --task-definition live >/dev/null
t1=$(start_tasks c1 1 --service svc-01)
s1=live/app/$(task_id "$t1")
base=$(($(now_ms) - 60000))
put_events /ecs/live "$s1" "$base:before 1" "$((base + 1)):before 2" >/dev/null

# stop_follower: SIGTERM to the background ecs-log; returns its status.
follower=
stop_follower()
{
	local status=0
	if [ -n "$follower" ]; then
		kill "$follower" 2>/dev/null
		wait "$follower"
		status=$?
	fi
	follower=
	return $status
}
at_exit stop_follower

out=$TEST_SCRATCH/follow.out
ecs-log --cluster c1 --service svc-01 --follow --poll 0.2 </dev/null \
	>"$out" 2>"$TEST_SCRATCH/follow.err" &
follower=$!
wait_for_lines "$out" 2
ok $? "follow: existing events printed first"

# Late events in a stream that was idle.
put_events /ecs/live "$s1" "$((base + 2000)):late 1" \
	"$((base + 2001)):late 2" >/dev/null
wait_for_lines "$out" 4
ok $? "follow: late events printed while the process runs"

# A deployment: a new task starts; its stream appears after a while.
t2=$(start_tasks c1 1 --service svc-01)
sleep 1
put_events /ecs/live "live/app/$(task_id "$t2")" \
	"$((base + 3000)):new task 1" >/dev/null
wait_for_lines "$out" 5
ok $? "follow: a new task's stream is picked up"
put_events /ecs/live "live/app/$(task_id "$t2")" \
	"$((base + 3001)):new task 2" >/dev/null
put_events /ecs/live "$s1" "$((base + 3002)):late 3" >/dev/null
wait_for_lines "$out" 7
ok $? "follow: both streams keep being read"
sleep 1
is "$(jq -r .message "$out" | sort | uniq -d)" "" "follow: no event twice"
is "$(jq -r .message "$out" | sort | paste -sd,)" \
	"before 1,before 2,late 1,late 2,late 3,new task 1,new task 2" \
	"follow: every event once"
is "$(jq -r 'select(.message | startswith("new")) | .taskArn' "$out" |
	sort -u)" "$t2" "follow: the new task's events carry its ARN"

# A stopped task's stream is read to its end, then no longer polled.
aws --endpoint-url "$AWS_ENDPOINT_URL" ecs stop-task --cluster c1 \
	--task "$t1" >/dev/null
sleep 1.5
seq0=$(requests | jq -s 'map(.seq) | max')
sleep 1
is "$(requests | jq -s --arg s "$s1" --argjson seq "$seq0" \
	'map(select(.seq > $seq and .operation == "GetLogEvents"
	and .body.logStreamName == $s)) | length')" 0 \
	"follow: a stopped task's stream is no longer polled"
stop_follower
is "$?" 143 "follow: SIGTERM ends it with status 143"
is "$(cat "$TEST_SCRATCH/follow.err")" "" "follow: nothing on stderr"

# With a filter, polls restart at the last timestamp seen and drop the
# event ids already printed.
t3=$(start_tasks c1 1 --task-definition live)
s3=live/app/$(task_id "$t3")
same=$((base + 5000))
put_events /ecs/live "$s3" "$same:hit a" "$same:hit b" "$same:miss c" \
	>/dev/null
ctl clear-log
out=$TEST_SCRATCH/filter.out
ecs-log --cluster c1 --task "$t3" --filter hit --follow --poll 0.2 \
	</dev/null >"$out" 2>"$TEST_SCRATCH/filter.err" &
follower=$!
wait_for_lines "$out" 2
ok $? "filter follow: first matches printed"
sleep 1
put_events /ecs/live "$s3" "$same:hit d" "$((same + 1)):hit e" >/dev/null
wait_for_lines "$out" 4
ok $? "filter follow: new matches printed"
sleep 1
stop_follower
is "$?" 143 "filter follow: SIGTERM ends it with status 143"
is "$(cat "$TEST_SCRATCH/filter.err")" "" "filter follow: nothing on stderr"
is "$(jq -r .message "$out" | paste -sd,)" "hit a,hit b,hit d,hit e" \
	"filter follow: each match once, in order"
is "$(requests | jq -s --argjson t "$same" 'map(select(.operation ==
	"FilterLogEvents" and .body.startTime == $t)) | length > 1')" true \
	"filter follow: polls start at the last timestamp seen"

# --tail with --follow: the last N, then what comes.
out=$TEST_SCRATCH/tail.out
ecs-log --cluster c1 --task "$t3" --tail 1 --follow --poll 0.2 \
	</dev/null >"$out" 2>"$TEST_SCRATCH/tail.err" &
follower=$!
wait_for_lines "$out" 1
put_events /ecs/live "$s3" "$((same + 2)):after tail" >/dev/null
wait_for_lines "$out" 2
sleep 0.5
stop_follower
is "$(jq -r .message "$out" | paste -sd,)" "hit e,after tail" \
	"tail follow: the last event, then new ones"
is "$(cat "$TEST_SCRATCH/tail.err")" "" "tail follow: nothing on stderr"
no_sanitizer_reports
done_testing
