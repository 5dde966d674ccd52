#!/usr/bin/env bash
# ecs-log: --since, --until and --tail against a fixed "now" (ECS_LOG_NOW).

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef win >/dev/null
task=$(start_tasks c1 1 --task-definition win)
other=$(start_tasks c1 1 --task-definition win)
stream=win/app/$(task_id "$task")

# moto keeps events of the last 14 days only, so "now" is near the clock:
# a whole second a minute ago.
now=$((($(now_ms) / 1000 - 60) * 1000))
export ECS_LOG_NOW=$(iso_ms "$now")
put_events /ecs/win "$stream" "$((now - 600000)):ten minutes ago" \
	"$((now - 240000)):four minutes ago" "$((now - 30000)):half a minute ago" \
	"$((now + 5000)):after now" >/dev/null
put_events /ecs/win "win/app/$(task_id "$other")" \
	"$((now - 20000)):other twenty seconds ago" >/dev/null

messages()
{
	jq -r .message | paste -sd,
}

log()
{
	ecs-log --cluster c1 --task "$task" "$@" </dev/null
}

ctl clear-log
out=$(log --since 5m)
is "$(messages <<<"$out")" "four minutes ago,half a minute ago,after now" \
	"--since 5m: events from five minutes before now"
is "$(requests | jq -s 'map(select(.operation == "GetLogEvents"))[0]
	.body.startTime')" "$((now - 300000))" \
	"--since 5m: startTime is now minus 300000 ms"

ctl clear-log
out=$(log --since 5m --until 1m)
is "$(messages <<<"$out")" "four minutes ago" "--until 1m: events before it"
is "$(requests | jq -s 'map(select(.operation == "GetLogEvents"))[0]
	.body.endTime')" "$((now - 60000))" "--until 1m: endTime sent"

out=$(log --since 1h30m)
is "$(messages <<<"$out")" \
	"ten minutes ago,four minutes ago,half a minute ago,after now" \
	"--since 1h30m: a sum of durations"

# An ISO 8601 time without a zone is UTC, whatever TZ says.
iso=$(date -u -d "@$(((now - 240000) / 1000))" +%Y-%m-%dT%H:%M:%S)
out=$(TZ=Asia/Tokyo log --since "$iso")
is "$(messages <<<"$out")" "four minutes ago,half a minute ago,after now" \
	"ISO time without zone: read as UTC"
iso=$(TZ=Etc/GMT-2 date -d "@$(((now - 30000) / 1000))" +%Y-%m-%dT%H:%M:%S+02:00)
out=$(log --since "$iso")
is "$(messages <<<"$out")" "half a minute ago,after now" \
	"ISO time with an offset"
out=$(log --until "$(iso_ms "$((now - 240000))")")
is "$(messages <<<"$out")" "ten minutes ago" "--until is exclusive"

# --tail N: one backward page per stream, then the last N overall.
ctl clear-log
out=$(log --tail 2)
is "$(messages <<<"$out")" "half a minute ago,after now" \
	"--tail 2: the last two events, oldest first"
is "$(requests | jq -c -s 'map(select(.operation == "GetLogEvents"))
	| map([.body.startFromHead, .body.limit])')" '[[false,2]]' \
	"--tail 2: one GetLogEvents call from the end"
out=$(ecs-log --cluster c1 --task "$task" --task "$other" --tail 2 \
	</dev/null)
is "$(messages <<<"$out")" "other twenty seconds ago,after now" \
	"--tail 2 over two streams: the last two of the merge"
out=$(log --tail 3 --since 5m --until 1m)
is "$(messages <<<"$out")" "four minutes ago" "--tail inside a window"
out=$(log --tail 2 --filter ago)
is "$(messages <<<"$out")" "four minutes ago,half a minute ago" \
	"--tail with --filter: the last matches"
out=$(log --tail 20000)
is "$(messages <<<"$out")" \
	"ten minutes ago,four minutes ago,half a minute ago,after now" \
	"--tail above one page: read forward, all four"

# Invalid times are usage errors naming the value.
out=$(log --since yesterday 2>&1)
is "$?" 2 "invalid --since: exit status 2"
like "$out" '--since: invalid time "yesterday"' \
	"invalid --since: the value is named"
out=$(log --since 1m --until 5m 2>&1)
is "$?" 2 "--until before --since: exit status 2"
out=$(log --follow --until 5m 2>&1)
is "$?" 2 "--follow with --until: exit status 2"
out=$(ECS_LOG_NOW=noon log --since 5m 2>&1)
is "$?" 1 "invalid ECS_LOG_NOW: exit status 1"
like "$out" 'invalid ECS_LOG_NOW "noon"' "invalid ECS_LOG_NOW: named"
out=$(log --tail 0 2>&1)
is "$?" 2 "--tail 0: exit status 2"
no_sanitizer_reports
done_testing
