#!/usr/bin/env bash
# ecs-log under faults: throttling backs off and retries, other errors are
# reported with the operation and the stream, missing streams are named.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef flaky >/dev/null
task=$(start_tasks c1 1 --task-definition flaky)
stream=flaky/app/$(task_id "$task")
base=$(($(now_ms) - 60000))
put_events /ecs/flaky "$stream" "$base:one" "$((base + 1)):two" >/dev/null

log()
{
	ecs-log --cluster c1 --task "$task" "$@" </dev/null
}

# Throttled twice: the standard retries absorb it.
ctl clear-log
fault '{"op": "GetLogEvents", "action": "throttle", "count": 2}'
out=$(log 2>"$TEST_SCRATCH/err")
is "$?" 0 "throttled twice: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" "one,two" \
	"throttled twice: every event, once"
is "$(requests | jq -s 'map(select(.operation == "GetLogEvents")
	| .status) | map(tostring) | join(",")' -r)" "400,400,200,200" \
	"throttled twice: retried until it passed"
is "$(cat "$TEST_SCRATCH/err")" "" "throttled twice: nothing on stderr"

# Throttled past the standard retries: ecs-log backs off and tries again.
ctl clear-log
fault '{"op": "GetLogEvents", "action": "throttle", "count": 2}'
out=$(AWS_MAX_ATTEMPTS=1 log --debug 2>"$TEST_SCRATCH/err")
is "$?" 0 "throttled beyond retries: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" "one,two" \
	"throttled beyond retries: every event, once"
like "$(cat "$TEST_SCRATCH/err")" "ThrottlingException.*trying again in 1.0 s" \
	"throttled beyond retries: first wait 1 s"
like "$(cat "$TEST_SCRATCH/err")" "ThrottlingException.*trying again in 2.0 s" \
	"throttled beyond retries: the wait doubles"
first=$(requests | jq -s 'map(select(.operation == "GetLogEvents"))
	| .[0].time')
third=$(requests | jq -s 'map(select(.operation == "GetLogEvents"))
	| .[2].time')
is "$(awk -v a="$first" -v b="$third" 'BEGIN { print (b - a >= 2.9) }')" 1 \
	"throttled beyond retries: waited 3 s before the third try"

ctl clear-log
fault '{"op": "FilterLogEvents", "action": "throttle"}'
out=$(AWS_MAX_ATTEMPTS=1 log --filter one 2>"$TEST_SCRATCH/err")
is "$?" 0 "filter throttled: exit status 0"
is "$(jq -r .message <<<"$out")" one "filter throttled: the match printed"

# ECS calls are retried too.
fault '{"op": "DescribeTasks", "action": "throttle"}'
fault '{"op": "DescribeTaskDefinition", "action": "reset"}'
out=$(log 2>&1)
is "$(jq -r .message <<<"$out" 2>/dev/null | paste -sd,)" "one,two" \
	"ECS throttled and reset: retried"

# A non-retryable error names the operation, the code and the stream.
fault '{"op": "GetLogEvents", "action": "error", "status": 400,
	"code": "AccessDeniedException", "message": "not allowed"}'
out=$(log 2>&1)
is "$?" 1 "access denied: exit status 1"
like "$out" "^ecs-log: GetLogEvents: AccessDeniedException: not allowed \\(log group \"/ecs/flaky\", stream \"$stream\", region us-east-1\\)" \
	"access denied: operation, code, message and stream"

# Following, expired credentials are resolved anew and the stream read on.
out=$TEST_SCRATCH/expired.out
ecs-log --cluster c1 --task "$task" --follow --poll 0.2 </dev/null \
	>"$out" 2>"$TEST_SCRATCH/expired.err" &
follower=$!
at_exit "kill $follower 2>/dev/null"
wait_for_lines "$out" 2
fault '{"op": "GetLogEvents", "action": "error", "status": 400,
	"code": "ExpiredTokenException", "count": 2,
	"message": "The security token included in the request is expired"}'
put_events /ecs/flaky "$stream" "$((base + 2)):after renewal" >/dev/null
wait_for_lines "$out" 3
ok $? "expired token, following: reading goes on"
kill "$follower"
wait "$follower"
is "$?" 143 "expired token, following: still running until stopped"
is "$(grep -c ExpiredTokenException "$TEST_SCRATCH/expired.err")" 1 \
	"expired token, following: one warning"
like "$(cat "$TEST_SCRATCH/expired.err")" "trying again with credentials resolved anew" \
	"expired token, following: the warning says what happens"
is "$(jq -r .message "$out" | paste -sd,)" "one,two,after renewal" \
	"expired token, following: every event once"

# A task that has not logged yet: its missing stream is named.
quiet=$(start_tasks c1 1 --task-definition flaky)
out=$(ecs-log --cluster c1 --task "$task" --task "$quiet" </dev/null \
	2>"$TEST_SCRATCH/err")
is "$?" 0 "missing stream: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" "one,two,after renewal" \
	"missing stream: the other stream is read"
like "$(cat "$TEST_SCRATCH/err")" "warning: .*ResourceNotFoundException.*stream \"flaky/app/$(task_id "$quiet")\"" \
	"missing stream: named in a warning"
no_sanitizer_reports
done_testing
