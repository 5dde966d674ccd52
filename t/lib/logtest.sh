# Helpers for the ecs-log tests (t/6xxx-*.t); source after test-lib.sh.
#
# logseed ARGS      t/lib/logseed.py: log events, exec clusters, S3 objects
# no_sanitizer_reports
#                   one check that no ASan or UBSan report was written
# app_taskdef FAMILY [GROUP [PREFIX]]
#                   register FAMILY with an "app" container logging through
#                   awslogs to GROUP (default /ecs/FAMILY) with stream prefix
#                   PREFIX (default FAMILY); prints the ARN
# start_tasks CLUSTER N [seed tasks options]
#                   run N tasks; prints their ARNs
# task_id ARN       the task ID at the end of a task ARN
# put_events GROUP STREAM TS:MESSAGE...
#                   put events (timestamps in epoch milliseconds)
# now_ms            the clock in epoch milliseconds
# iso_ms MS         MS as an ISO 8601 UTC time with milliseconds
# fault RULE_JSON   add a fault rule (front_ctl fault without starting
#                   Python, for tests that script many pages)
# ctl COMMAND       a control command without arguments (clear-log, ...)
# requests          the front's request log, one JSON object per line
# ops OPERATION     how many OPERATION requests the front served

# Under `make asan` sanitizer reports go to files as well as making the
# program fail, so no_sanitizer_reports catches those a check missed.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TEST_SCRATCH/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$TEST_SCRATCH/ubsan:print_stacktrace=1"

no_sanitizer_reports()
{
	is "$(cat "$TEST_SCRATCH"/asan.* "$TEST_SCRATCH"/ubsan.* 2>/dev/null |
		head -40)" "" "no sanitizer reports"
}

logseed()
{
	python3 "$TEST_DIR/lib/logseed.py" "$@"
}

app_taskdef()
{
	local family=$1 group=${2:-/ecs/$1} prefix=${3-$1}
	seed taskdef "$family" --containers "$(jq -cn --arg g "$group" \
		--arg p "$prefix" '[{name: "app", image: "nginx", memory: 256,
		essential: true, logConfiguration: {logDriver: "awslogs",
		options: ({"awslogs-group": $g, "awslogs-region": "us-east-1"}
		+ (if $p == "" then {} else {"awslogs-stream-prefix": $p}
		end))}}]')"
}

start_tasks()
{
	seed tasks "$@"
}

task_id()
{
	echo "${1##*/}"
}

put_events()
{
	local group=$1 stream=$2 item
	shift 2
	for item in "$@"; do
		jq -cn --argjson ts "${item%%:*}" --arg m "${item#*:}" \
			'{timestamp: $ts, message: $m}'
	done | logseed events "$group" "$stream"
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

iso_ms()
{
	date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%S.$(printf %03d $(($1 % 1000)))Z
}

fault()
{
	curl -sS -f -X POST -H "Content-Type: application/json" \
		--data-binary "$(jq -cn --argjson r "$1" '{cmd: "fault", rule: $r}')" \
		"$ECS_LOCAL_AWS_FRONT/__front/ctl" >/dev/null
}

ctl()
{
	curl -sS -f -X POST -H "Content-Type: application/json" \
		--data-binary "{\"cmd\": \"$1\"}" \
		"$ECS_LOCAL_AWS_FRONT/__front/ctl" >/dev/null
}

requests()
{
	curl -sS -f "$ECS_LOCAL_AWS_FRONT/__front/log"
}

ops()
{
	requests | jq -s --arg op "$1" 'map(select(.operation == $op)) | length'
}

# wait_for_lines FILE N [SECONDS]: wait until FILE has at least N lines.
wait_for_lines()
{
	local file=$1 n=$2 limit=${3:-20} i
	for ((i = 0; i < limit * 10; i++)); do
		[ -f "$file" ] && [ "$(wc -l <"$file")" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
