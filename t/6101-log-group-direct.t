#!/usr/bin/env bash
# ecs-log --log-group and --log-stream: streams read directly, without
# ECS calls, merged in timestamp order; usage errors.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
base=$(($(now_ms) - 60000))
put_events /direct/app web/1 "$base:first" "$((base + 2)):third"
put_events /direct/app web/2 "$((base + 1)):second" "$((base + 3)):fourth"
put_events /direct/app other/1 "$((base + 4)):other stream"
ctl clear-log

out=$(ecs-log --log-group /direct/app --log-stream web/1 \
	--log-stream web/2 </dev/null)
is "$?" 0 "two streams: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" "first,second,third,fourth" \
	"two streams: merged in timestamp order"
is "$(jq -r .logStreamName <<<"$out" | paste -sd,)" \
	"web/1,web/2,web/1,web/2" "two streams: logStreamName of each event"
is "$(jq -r '.logGroupName' <<<"$out" | sort -u)" "/direct/app" \
	"two streams: logGroupName"
is "$(jq -s 'map(has("taskArn") or has("container")) | any' <<<"$out")" \
	false "two streams: no task or container members"
is "$(jq -s 'map(.kind) | unique' <<<"$out" | jq -c .)" '["logEvent"]' \
	"two streams: logEvent records"
is "$(requests | jq -s 'map(.service) | unique' | jq -c .)" '["logs"]' \
	"two streams: no ECS requests"
is "$(ops GetLogEvents)" 4 "two streams: GetLogEvents until each ends"

out=$(ecs-log --log-group /direct/app </dev/null)
is "$?" 0 "whole group: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" \
	"first,second,third,fourth,other stream" "whole group: every stream"
is "$(jq -r .eventId <<<"$out" | grep -c .)" 5 \
	"whole group: eventId from FilterLogEvents"

out=$(ecs-log --log-group /direct/app --log-stream web/2 -o text </dev/null)
like "$(head -1 <<<"$out")" '^[0-9T:.-]+Z? web/2 second$' \
	"text: the stream name as the label"

out=$(ecs-log --log-group /direct/app --log-stream web/1 -n 1 </dev/null)
is "$(jq -r .message <<<"$out")" "third" "--tail 1: the last event"

# Following one stream and a whole group: late events arrive, and SIGTERM
# ends each run.
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

for mode in stream group; do
	out=$TEST_SCRATCH/follow-$mode.out
	if [ "$mode" = stream ]; then
		ecs-log --log-group /direct/app --log-stream web/1 --follow \
			--poll 0.2 </dev/null >"$out" 2>"$TEST_SCRATCH/err" &
		expected=3
	else
		ecs-log --log-group /direct/app --follow --poll 0.2 \
			</dev/null >"$out" 2>"$TEST_SCRATCH/err" &
		expected=7
	fi
	follower=$!
	wait_for_lines "$out" $((expected - 1))
	ok $? "follow $mode: existing events printed"
	put_events /direct/app web/1 "$((base + 10 + expected)):late $mode" \
		>/dev/null
	wait_for_lines "$out" "$expected"
	ok $? "follow $mode: a late event printed"
	is "$(tail -1 "$out" | jq -r .message)" "late $mode" \
		"follow $mode: the late event last"
	stop_follower
	is "$?" 143 "follow $mode: SIGTERM ends it with status 143"
	is "$(cat "$TEST_SCRATCH/err")" "" "follow $mode: nothing on stderr"
done

out=$(ecs-log --log-group /direct/missing --log-stream web/1 </dev/null 2>&1)
is "$?" 1 "missing group: exit status 1"
like "$out" 'ResourceNotFoundException.*log group "/direct/missing"' \
	"missing group: the group named in the error"
like "$out" 'describe-log-streams' "missing group: the error says what to check"

out=$(ecs-log --log-stream web/1 </dev/null 2>&1)
is "$?" 2 "--log-stream alone: usage error"
like "$out" "--log-stream needs --log-group" "--log-stream alone: message"
out=$(ecs-log --log-group /direct/app --cluster c1 </dev/null 2>&1)
is "$?" 2 "--log-group with --cluster: usage error"
like "$out" "--log-group cannot be combined with --cluster" \
	"--log-group with --cluster: message"
out=$(ecs-log --log-group a --log-group b </dev/null 2>&1)
is "$?" 2 "--log-group twice: usage error"

no_sanitizer_reports
done_testing
