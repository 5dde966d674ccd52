#!/usr/bin/env bash
# Benchmarks ecs-log reading 100,000 events of one stream against the AWS
# CLI doing the same on the same local server, and writes
# bench/RESULTS-log.md. It measures:
#   ecs-log (GetLogEvents, and FilterLogEvents with --filter '') against
#   Debian's AWS CLI v2 `aws logs tail` and the image's AWS CLI v1
#   `aws logs filter-log-events`. ecs-log is given the group and stream,
#   as the peers are, and also finds them through ECS from a task. The
#   servers are moto and bench/logs-canned.py, whose replies are rendered
#   at start so the clients' own cost shows (curl's time to fetch them
#   is measured too);
#   the peak memory of ecs-log reading 10,000, 100,000 and 1,000,000
#   events, and following a stream while 10,000 or 100,000 events arrive.
# RUNS (default 5) sets the runs per measurement.

set -u
BENCH_ROWS=${BENCH_ROWS:-$(dirname "$0")/work/log-rows.tsv}
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
EVENTS=100000
EVENTS_TEXT=100,000
AWS2=/usr/bin/aws
RESULTS=$BENCH_DIR/RESULTS-log.md
WORK=$BENCH_WORK/log

exec </dev/null
need_debian_awscli || exit 1
[ -x "$REPO/bin/ecs-log" ] || { echo "bench: run make first" >&2; exit 1; }
# The image's AWS CLI v1 is the first `aws` in PATH that is not Debian's.
AWS1=
for candidate in $(type -ap aws); do
	if "$candidate" --version 2>&1 | grep -q '^aws-cli/1\.'; then
		AWS1=$candidate
		break
	fi
done
[ -n "$AWS1" ] || { echo "bench: no AWS CLI v1 in PATH" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$BENCH_ROWS"

# Only local servers: fake keys, empty config files, no metadata service.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$WORK/config AWS_SHARED_CREDENTIALS_FILE=$WORK/creds
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_CLOUDWATCH_LOGS
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"

pids=()
cleanup()
{
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	"$REPO/t/local-aws" stop --state-dir "$WORK/local-aws" \
		>/dev/null 2>&1
}
trap cleanup EXIT

local_aws()
{
	"$REPO/t/local-aws" "$1" --state-dir "$WORK/local-aws" "${@:2}"
}

# start_canned N: serves N events of $STREAM; sets CANNED to its URL.
start_canned()
{
	local port_file=$WORK/canned-$1.port i
	python3 "$BENCH_DIR/logs-canned.py" --events "$1" --start "$START" \
		--stream "$STREAM" --port-file "$port_file" &
	pids+=($!)
	for ((i = 0; i < 600; i++)); do
		[ -s "$port_file" ] && break
		sleep 0.1
	done
	if [ ! -s "$port_file" ]; then
		echo "bench: bench/logs-canned.py did not start" >&2
		exit 1
	fi
	CANNED=http://127.0.0.1:$(cat "$port_file")
}

# check_count LABEL EXPECTED CMD...: the command prints EXPECTED lines.
check_count()
{
	local label=$1 expected=$2 got
	shift 2
	got=$("$@" | wc -l)
	if [ "$got" != "$expected" ]; then
		echo "bench: $label printed $got lines, expected $expected" >&2
		exit 1
	fi
}

# The commands compared. LOGS_URL is the CloudWatch Logs endpoint, while
# the ECS calls of ecs-log (finding the task's stream) always go to moto.
ecs_log()
{
	AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$LOGS_URL ecs-log --cluster bench \
		--task "$TASK" --since 1h "$@"
}

ecs_log_direct()
{
	AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$LOGS_URL ecs-log --log-group "$GROUP" \
		--log-stream "$STREAM" --since 1h "$@"
}

aws_tail()
{
	"$AWS2" --endpoint-url "$LOGS_URL" logs tail "$GROUP" \
		--log-stream-names "$STREAM" --since 1h
}

aws_filter()
{
	"$AWS1" --endpoint-url "$LOGS_URL" logs filter-log-events \
		--log-group-name "$GROUP" --log-stream-names "$STREAM" \
		--start-time "$SINCE_MS" --output json
}
export -f ecs_log ecs_log_direct aws_tail aws_filter
export AWS1 AWS2 GROUP STREAM TASK SINCE_MS LOGS_URL 2>/dev/null

# compare LABEL: the six commands on $LOGS_URL.
compare()
{
	local label=$1
	export LOGS_URL
	check_count "ecs-log" "$EVENTS" ecs_log
	check_count "ecs-log --filter" "$EVENTS" ecs_log --filter ''
	check_count "ecs-log --log-group" "$EVENTS" ecs_log_direct
	check_count "ecs-log --log-group --filter" "$EVENTS" \
		ecs_log_direct --filter ''
	check_count "aws logs tail" "$EVENTS" aws_tail
	measure "$label: ecs-log --log-group --log-stream" "$RUNS" \
		bash -c ecs_log_direct || exit 1
	measure "$label: ecs-log --log-group --log-stream --filter ''" "$RUNS" \
		bash -c "ecs_log_direct --filter ''" || exit 1
	measure "$label: ecs-log --task" "$RUNS" bash -c ecs_log || exit 1
	measure "$label: ecs-log --task --filter ''" "$RUNS" \
		bash -c "ecs_log --filter ''" || exit 1
	measure "$label: aws logs tail (v2)" "$RUNS" bash -c aws_tail || exit 1
	measure "$label: aws logs filter-log-events (v1)" "$RUNS" \
		bash -c aws_filter || exit 1
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: starting the local moto and seeding $EVENTS events" >&2
eval "$(local_aws start --watch-pid $$)" || exit 1
MOTO=$AWS_ENDPOINT_URL
local_aws seed taskdef bench --containers '[{"name": "app",
	"image": "nginx", "memory": 256, "essential": true,
	"logConfiguration": {"logDriver": "awslogs", "options": {
	"awslogs-group": "/ecs/bench", "awslogs-region": "us-east-1",
	"awslogs-stream-prefix": "bench"}}}]' >/dev/null || exit 1
TASK=$(local_aws seed tasks bench 1 --task-definition bench) || exit 1
GROUP=/ecs/bench
STREAM=bench/app/${TASK##*/}
START=$(($(date +%s) * 1000 - 600000))
SINCE_MS=$((START - 3000000))
python3 "$REPO/t/lib/logseed.py" generate "$GROUP" "$STREAM" "$EVENTS" \
	"$START" --size 100 || exit 1
export GROUP STREAM TASK SINCE_MS

echo "bench: $EVENTS events on moto" >&2
LOGS_URL=$MOTO
compare "moto"

echo "bench: $EVENTS events on the canned server" >&2
start_canned "$EVENTS"
LOGS_URL=$CANNED
compare "canned"
# GNU time rounds wall time to 10 ms, which is coarse for ecs-log's rows.
# bash's clock (with a bash start in each run) gives the ratio more
# exactly.
direct_ms=$(fastest_ms 5 bash -c ecs_log_direct)
tail_ms=$(fastest_ms 5 bash -c aws_tail)

# How long libjq would take to parse one full page, which ecs-log did
# for every page before it read them with jscan.
curl -sS -X POST -H "X-Amz-Target: Logs_20140328.GetLogEvents" \
	--data '{"nextToken": "f/1"}' "$CANNED/" >"$WORK/page.json" || exit 1
cc -O2 -o "$WORK/jv-parse" "$BENCH_DIR/jv-parse.c" -ljq || exit 1
read -r parse_ms page_bytes < <("$WORK/jv-parse" "$WORK/page.json") || exit 1

# The canned server's share: one curl fetching every GetLogEvents page
# over one connection, fastest of 5.
curl_pages=()
for ((i = 0; i <= EVENTS / 10000; i++)); do
	((i > 0)) && curl_pages+=(--next)
	curl_pages+=(-sS -o /dev/null -X POST
		-H "X-Amz-Target: Logs_20140328.GetLogEvents"
		--data "{\"nextToken\": \"f/$i\"}" "$CANNED/")
done
server_ms=$(fastest_ms 5 curl "${curl_pages[@]}")

echo "bench: peak memory reading one stream" >&2
for n in 10000 1000000; do
	start_canned "$n"
	LOGS_URL=$CANNED
	export LOGS_URL
	check_count "ecs-log ($n events)" "$n" ecs_log
	measure "read-$n: ecs-log" 1 bash -c ecs_log || exit 1
done
awk -F'\t' -v OFS='\t' '$1 == "canned: ecs-log --task" { $1 = "read-100000: ecs-log";
	print }' "$BENCH_ROWS" >>"$BENCH_ROWS.tmp"
cat "$BENCH_ROWS.tmp" >>"$BENCH_ROWS"
rm -f "$BENCH_ROWS.tmp"

# follow_rss N: peak RSS in KiB of ecs-log --follow on a new stream of
# moto while N events arrive in batches of 10,000.
follow_rss()
{
	local n=$1 task stream out=$WORK/follow-$1.out pid i rss
	task=$(local_aws seed tasks bench 1 --task-definition bench)
	stream=bench/app/${task##*/}
	python3 "$REPO/t/lib/logseed.py" stream "$GROUP" "$stream"
	/usr/bin/time -f %M -o "$WORK/follow-$n.rss" ecs-log \
		--endpoint-url "$MOTO" --cluster bench --task "$task" --follow \
		--poll 0.5 >"$out" 2>"$WORK/follow-$n.err" &
	pid=$!
	for ((i = 0; i < n; i += 10000)); do
		python3 "$REPO/t/lib/logseed.py" generate "$GROUP" "$stream" \
			10000 "$((START + i))" --size 100 || exit 1
	done
	for ((i = 0; i < 600; i++)); do
		[ "$(wc -l <"$out")" -ge "$n" ] && break
		sleep 0.1
	done
	sleep 1
	kill -TERM "$(pgrep -P "$pid" ecs-log)"
	wait "$pid"
	rss=$(tail -1 "$WORK/follow-$n.rss")
	if [ "$(wc -l <"$out")" != "$n" ]; then
		echo "bench: follow printed $(wc -l <"$out") of $n events" >&2
		exit 1
	fi
	echo "$rss"
}

echo "bench: peak memory following a stream" >&2
follow_10k=$(follow_rss 10000) || exit 1
follow_100k=$(follow_rss 100000) || exit 1

ratio()
{
	awk -F'\t' -v a="$1" -v b="$2" -v f="$3" '
		$1 == a { x = $f } $1 == b { y = $f }
		END { printf "%.1f", (y > 0 ? x / y : 0) }' "$BENCH_ROWS"
}

verdict()
{
	awk -v r="$1" -v min="$2" 'BEGIN { print (r >= min ? "met" : "MISSED") }'
}

mib()
{
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

rss_of()
{
	awk -F'\t' -v l="$1" '$1 == l { print $4 }' "$BENCH_ROWS"
}

C=canned
DIRECT="ecs-log --log-group --log-stream"
TAIL="aws logs tail (v2)"
FLE="aws logs filter-log-events (v1)"
tail_direct=$(ratio "$C: $TAIL" "$C: $DIRECT" 2)
tail_task=$(ratio "$C: $TAIL" "$C: ecs-log --task" 2)
cpu_direct=$(ratio "$C: $TAIL" "$C: $DIRECT" 3)
tail_filter=$(ratio "$C: $TAIL" "$C: $DIRECT --filter ''" 2)
fle_filter=$(ratio "$C: $FLE" "$C: $DIRECT --filter ''" 2)
tail_task_filter=$(ratio "$C: $TAIL" "$C: ecs-log --task --filter ''" 2)
fle_task_filter=$(ratio "$C: $FLE" "$C: ecs-log --task --filter ''" 2)
fine_ratio=$(awk -v a="$tail_ms" -v b="$direct_ms" \
	'BEGIN { printf "%.1f", a / b }')
tail_moto_direct=$(ratio "moto: $TAIL" "moto: $DIRECT" 2)
tail_moto_task=$(ratio "moto: $TAIL" "moto: ecs-log --task" 2)
read_growth=$(ratio "read-1000000: ecs-log" "read-10000: ecs-log" 4)
follow_growth=$(awk -v a="$follow_100k" -v b="$follow_10k" \
	'BEGIN { printf "%.1f", a / b }')
parse_total=$(awk -v m="$parse_ms" -v n=$((EVENTS / 10000)) \
	'BEGIN { printf "%.2f", m * n / 1000 }')
direct_wall=$(awk -F'\t' -v l="$C: $DIRECT" '$1 == l { print $2 }' \
	"$BENCH_ROWS")
direct_cpu=$(awk -F'\t' -v l="$C: $DIRECT" '$1 == l { print $3 }' \
	"$BENCH_ROWS")
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

flat()
{
	awk -v r="$1" 'BEGIN { print (r <= 1.5 ? "met" : "MISSED") }'
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
	cat <<EOF
# ecs-log benchmark

Written by \`bench/log.sh\` on $(date -u +%Y-%m-%d). Every tool reads the
same $EVENTS_TEXT events (about 100 bytes each) of one log stream from the same
local server in the same run. Wall and CPU time are the median of $RUNS
runs, peak RSS the largest of them, all from GNU time; output goes to
/dev/null.

- Machine: $(uname -srm), $cpu, $(nproc) CPUs, $mem; load average
  $load when the run started and $load_end when it ended (other jobs
  share the machine, so wall times vary between runs)
- ecs-log: $(ecs-log --version)
- Peers: $("$AWS2" --version 2>&1) (Debian's awscli) for \`aws logs tail\`;
  $("$AWS1" --version 2>&1) (the image's) for \`aws logs filter-log-events\`
- Servers on 127.0.0.1: moto $(python3 -c 'import moto; print(moto.__version__)')
  behind the test front (\`t/local-aws\`); \`bench/logs-canned.py\`
  ($(python3 --version), replies rendered at start) so that the clients'
  own cost is measured. With \`--task\`, ecs-log finds the stream
  through ECS on moto in both cases (one DescribeTasks and one
  DescribeTaskDefinition call).

Commands (GROUP=/ecs/bench, STREAM=bench/app/TASK_ID):

    ecs-log --log-group GROUP --log-stream STREAM --since 1h  # GetLogEvents
    ecs-log --log-group GROUP --log-stream STREAM --since 1h --filter ''
    ecs-log --cluster bench --task TASK_ID --since 1h         # through ECS
    ecs-log --cluster bench --task TASK_ID --since 1h --filter ''
    aws logs tail GROUP --log-stream-names STREAM --since 1h
    aws logs filter-log-events --log-group-name GROUP \\
        --log-stream-names STREAM --start-time MS --output json

## $EVENTS_TEXT events on the canned server

$(table_md "canned: " "canned: aws logs tail (v2)")

- Given the group and stream, as both peers are, ecs-log (GetLogEvents)
  is ${tail_direct}x faster than \`aws logs tail\` (target 10x:
  $(verdict "$tail_direct" 10)). In CPU time, which other jobs on the
  machine disturb less than wall time, it needs ${cpu_direct}x less.
  GNU time rounds wall time to 10 ms, so the ratios of rows under 0.2 s
  are rough. By bash's clock (fastest of 5, a bash start included),
  ecs-log takes ${direct_ms} ms and \`aws logs tail\` ${tail_ms} ms:
  ${fine_ratio}x (target 10x: $(verdict "$fine_ratio" 10)).
- Finding the stream through ECS first (\`--task\`: one DescribeTasks
  and one DescribeTaskDefinition call to moto), it is ${tail_task}x
  faster (target 10x: $(verdict "$tail_task" 10)).
- With FilterLogEvents (\`--filter ''\`), given the group and stream,
  it is ${tail_filter}x faster than \`aws logs tail\` and ${fle_filter}x
  faster than \`aws logs filter-log-events\` (target 10x:
  $(verdict "$tail_filter" 10)); through ECS ${tail_task_filter}x and
  ${fle_task_filter}x.
- The server's share: curl fetches all $((EVENTS / 10000 + 1)) GetLogEvents
  replies over one connection in ${server_ms} ms (fastest of 5, curl's
  own start included), against ${direct_wall} s for ecs-log. The canned
  server sends each reply, rendered at start with its headers, in one
  \`sendall\`.
- ecs-log reads pages with a scanner (\`src/lib/jscan.c\`) and copies
  plain messages into its output unchanged; a page of any other shape
  falls back to libjq. For scale: libjq 1.6 alone parses one page of
  10,000 events ($(awk -v b="$page_bytes" 'BEGIN { printf "%.2f", b / 1048576 }') MiB)
  in ${parse_ms} ms (median of 11, \`bench/jv-parse.c\`), ${parse_total} s
  for the $((EVENTS / 10000)) pages, while all of ecs-log's run takes
  ${direct_cpu} s of CPU.

## $EVENTS_TEXT events on moto

$(table_md "moto: " "moto: aws logs tail (v2)")

- ecs-log is ${tail_moto_direct}x faster than \`aws logs tail\` here given
  the group and stream, ${tail_moto_task}x through ECS. moto sorts and
  copies every event of the stream for each page it serves, so the
  server's time dominates these rows, most of all with FilterLogEvents.

## Peak memory

Reading one stream to the end on the canned server:

| events | ecs-log peak RSS MiB |
| --- | --- |
| 10,000 | $(mib "$(rss_of "read-10000: ecs-log")") |
| 100,000 | $(mib "$(rss_of "read-100000: ecs-log")") |
| 1,000,000 | $(mib "$(rss_of "read-1000000: ecs-log")") |

Following a new stream on moto (\`--follow --poll 0.5\`) while events
arrive in batches of 10,000, stopped with SIGTERM once all were printed:

| events | ecs-log peak RSS MiB |
| --- | --- |
| 10,000 | $(mib "$follow_10k") |
| 100,000 | $(mib "$follow_100k") |

- Reading: 1,000,000 events take ${read_growth} times the memory of
  10,000 (target flat, at most 1.5: $(flat "$read_growth")). ecs-log
  holds at most two pages of a stream (up to 10,000 events each) plus the
  one being fetched.
- Following: 100,000 events take ${follow_growth} times the memory of
  10,000 (target flat, at most 1.5: $(flat "$follow_growth")).
EOF
} >"$RESULTS"
echo "bench: wrote $RESULTS" >&2
