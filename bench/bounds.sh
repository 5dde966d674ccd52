#!/usr/bin/env bash
# Measures the memory ceilings of the programs that stream, and writes
# bench/RESULTS-bounds.md. It measures three things:
#   PICK_BYTES (default 10 GiB) of NDJSON, made up on the fly, through
#   `ecs-pick --filter`. The runs are --no-sort with every record
#   matching, ranked with no match, and ranked with one record in 1,000
#   matching. Ranked output keeps the matches, so that one grows.
#   `ecs-log --follow` while a local server (bench/logs-stream.py) serves
#   LOG_BYTES (default 1 GiB) of log messages.
#   ecs-pick on a terminal (tmux) with 100,000 and 1,000,000 records
#   loaded, for its memory per record.
# The peer for --filter is fzf --filter on the same stream.
# Peak RSS comes from GNU time (%M), or /proc/PID/status (VmHWM) for the
# picker, which runs until it is killed.

set -u
BENCH_ROWS=${BENCH_ROWS:-$(dirname "$0")/work/bounds-rows.tsv}
. "$(dirname "$0")/lib.sh"

PICK_BYTES=${PICK_BYTES:-10737418240}
LOG_BYTES=${LOG_BYTES:-1073741824}
RESULTS=$BENCH_DIR/RESULTS-bounds.md
WORK=$BENCH_WORK/bounds

exec </dev/null
for tool in ecs-pick ecs-log; do
	[ -x "$REPO/bin/$tool" ] || { echo "bench: run make first" >&2; exit 1; }
done
command -v tmux >/dev/null || { echo "bench: tmux is missing" >&2; exit 1; }
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$BENCH_ROWS"

pids=()
cleanup()
{
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	tmux -S "$WORK/tmux.sock" kill-server 2>/dev/null
	"$REPO/t/local-aws" stop --state-dir "$WORK/local-aws" \
		>/dev/null 2>&1
}
trap cleanup EXIT

# --- ecs-pick --filter on a made-up stream -------------------------------

# A block of 1,000 records of about 280 bytes. Record 500 has "needle" in
# its name. repeat_block writes the block again and again, so the stream
# costs almost no CPU to make.
awk 'BEGIN {
	for (i = 1; i <= 1000; i++) {
		name = (i == 500) ? "needle-web" : sprintf("web-%04d", i)
		printf "{\"kind\":\"task\",\"taskArn\":\"arn:aws:ecs:us-east-1:123456789012:task/bench/%032x\",\"group\":\"service:%s\",\"lastStatus\":\"RUNNING\",\"desiredStatus\":\"RUNNING\",\"launchType\":\"FARGATE\",\"cpu\":\"256\",\"memory\":\"512\",\"tags\":[{\"key\":\"team\",\"value\":\"payments\"}]}", i, name
		printf "\n"
	}
}' >"$WORK/block"
block_bytes=$(wc -c <"$WORK/block")
blocks=$((PICK_BYTES / block_bytes))
lines=$((blocks * 1000))
stream_bytes=$((blocks * block_bytes))

# repeat_block N: the block N times on stdout.
repeat_block()
{
	python3 -c 'import sys
block = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
for _ in range(int(sys.argv[2])):
    out.write(block)' "$WORK/block" "$1"
}

# filter_rss LABEL CMD...: the stream through CMD; one row with the wall
# time, the peak RSS and the number of lines CMD printed.
filter_rss()
{
	local label=$1 count
	shift
	count=$(repeat_block "$blocks" |
		/usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" | wc -l)
	# GNU time writes a line about a non-zero status first.
	read -r wall user sys rss < <(tail -n 1 "$WORK/time")
	printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		"$rss" "$count" >>"$BENCH_ROWS"
	echo "bench: $label: $count lines, $rss KiB" >&2
}

echo "bench: $stream_bytes bytes ($lines records) through --filter" >&2
filter_rss "filter: ecs-pick --no-sort -f web (every record)" \
	ecs-pick --no-sort -f web
filter_rss "filter: ecs-pick -f nomatch (no record)" ecs-pick -f zzqqxx
filter_rss "filter: ecs-pick -f \"'needle\" (1 in 1,000)" \
	ecs-pick -f "'needle"
if command -v fzf >/dev/null; then
	filter_rss "filter: fzf --no-sort --filter web (every record)" \
		fzf --no-sort --filter web
	filter_rss "filter: fzf --filter \"'needle\" (1 in 1,000)" \
		fzf --filter "'needle"
fi

# --- ecs-log --follow of a long stream -----------------------------------

echo "bench: starting the local moto" >&2
eval "$("$REPO/t/local-aws" start --state-dir "$WORK/local-aws" \
	--watch-pid $$)" || exit 1
"$REPO/t/local-aws" seed --state-dir "$WORK/local-aws" taskdef bench \
	--containers '[{"name": "app", "image": "nginx", "memory": 256,
	"essential": true, "logConfiguration": {"logDriver": "awslogs",
	"options": {"awslogs-group": "/ecs/bench", "awslogs-region":
	"us-east-1", "awslogs-stream-prefix": "bench"}}}]' >/dev/null || exit 1
task=$("$REPO/t/local-aws" seed --state-dir "$WORK/local-aws" tasks bench 1 \
	--task-definition bench) || exit 1

page_events=1000
message_bytes=1000
pages=$((LOG_BYTES / (page_events * message_bytes)))
log_bytes=$((pages * page_events * message_bytes))
python3 "$BENCH_DIR/logs-stream.py" --pages "$pages" \
	--page-events "$page_events" --size "$message_bytes" \
	--start $(($(date +%s) * 1000 - 600000)) \
	--port-file "$WORK/stream.port" --done-file "$WORK/stream.done" &
pids+=($!)
for ((i = 0; i < 600; i++)); do
	[ -s "$WORK/stream.port" ] && break
	sleep 0.1
done
[ -s "$WORK/stream.port" ] || { echo "bench: logs-stream.py did not start" >&2; exit 1; }

echo "bench: ecs-log --follow of $log_bytes message bytes" >&2
start_ns=$(date +%s%N)
(
	AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=http://127.0.0.1:$(cat "$WORK/stream.port") \
		/usr/bin/time -f '%e %U %S %M' -o "$WORK/follow.time" \
		ecs-log --cluster bench --task "$task" --since 1h --follow \
		--poll 1 2>"$WORK/follow.err" | wc -l >"$WORK/follow.count"
) &
follow=$!
while [ ! -s "$WORK/stream.done" ]; do
	kill -0 "$follow" 2>/dev/null || break
	sleep 1
done
# The last page is being written; the next poll finds nothing new.
sleep 3
end_ns=$(date +%s%N)
time_pid=$(pgrep -P "$follow" -x time 2>/dev/null)
for pid in $time_pid; do
	kill -TERM $(pgrep -P "$pid") 2>/dev/null
done
wait "$follow"
follow_count=$(cat "$WORK/follow.count")
follow_rss=$(awk '{ print $NF }' "$WORK/follow.time" | tail -n 1)
follow_wall=$(awk -v a="$start_ns" -v b="$end_ns" \
	'BEGIN { printf "%.1f", (b - a) / 1e9 }')
echo "bench: ecs-log --follow: $follow_count events, $follow_rss KiB" >&2
if [ "$follow_count" != "$((pages * page_events))" ]; then
	echo "bench: ecs-log printed $follow_count events, expected" \
		"$((pages * page_events))" >&2
	cat "$WORK/follow.err" >&2
	exit 1
fi

# --- ecs-pick on a terminal: memory per record ---------------------------

# loaded_rss N: VmHWM in KiB of ecs-pick once N records are loaded.
loaded_rss()
{
	local n=$1 file=$WORK/records-$1.ndjson pid i rss
	head -n "$n" "$WORK/records.ndjson" >"$file"
	rm -f "$WORK/pick.pid"
	tmux -S "$WORK/tmux.sock" send-keys -t bench \
		"sh -c 'echo \$\$ >$WORK/pick.pid; exec ecs-pick <$file >/dev/null'" Enter
	for ((i = 0; i < 6000; i++)); do
		if tmux -S "$WORK/tmux.sock" capture-pane -t bench -p |
			grep -qE "^  $n/$n\$"; then
			break
		fi
		sleep 0.1
	done
	pid=$(cat "$WORK/pick.pid")
	sleep 1
	rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	sleep 0.5
	tmux -S "$WORK/tmux.sock" send-keys -t bench C-l
	echo "$rss"
}

echo "bench: ecs-pick with 100,000 and 1,000,000 records loaded" >&2
python3 -c 'import re, sys
block = open(sys.argv[1]).read().splitlines()
arn = re.compile(r"task/bench/[0-9a-f]+")
with open(sys.argv[2], "w") as out:
    for n in range(1000000):
        out.write(arn.sub("task/bench/%032x" % (n + 1), block[n % 1000]) + "\n")
' "$WORK/block" "$WORK/records.ndjson"
record_bytes=$(($(wc -c <"$WORK/records.ndjson") / 1000000))
tmux -S "$WORK/tmux.sock" -f /dev/null new-session -d -s bench -x 120 -y 40 \
	"env -i PATH='$PATH' HOME='$WORK' TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile" ||
	exit 1
sleep 0.5
rss_100k=$(loaded_rss 100000)
rss_1m=$(loaded_rss 1000000)
per_record=$(awk -v a="$rss_100k" -v b="$rss_1m" \
	'BEGIN { printf "%.0f", (b - a) * 1024 / 900000 }')
echo "bench: picker: $rss_100k KiB, $rss_1m KiB, $per_record bytes per record" >&2

# --- the page -------------------------------------------------------------

mib()
{
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

{
	echo "# Memory bounds"
	echo
	echo "Written by \`bench/bounds.sh\` on $(date -u +%Y-%m-%d), $(nproc) CPUs,"
	echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end. Peak RSS is GNU time's"
	echo "maximum resident set size, or VmHWM for the picker."
	echo
	echo "## ecs-pick --filter"
	echo
	echo "$(awk -v b="$stream_bytes" 'BEGIN { printf "%.2f", b / 1073741824 }') GiB"
	echo "of NDJSON ($lines task records of about $((block_bytes / 1000)) bytes),"
	echo "made up on the fly and piped in (PICK_BYTES=$PICK_BYTES)."
	echo
	echo "| command | wall s | CPU s | peak RSS MiB | lines out |"
	echo "| --- | --- | --- | --- | --- |"
	awk -F'\t' 'index($1, "filter: ") == 1 {
		printf "| `%s` | %.1f | %.1f | %.1f | %d |\n",
		    substr($1, 9), $2, $3, $4 / 1024, $5 }' "$BENCH_ROWS"
	echo
	echo "With \`--no-sort\`, and with a ranked query that matches nothing,"
	echo "ecs-pick keeps no record: it reads a block, prints its matches and"
	echo "frees it, so the peak does not follow the stream's length. At 200 MB"
	echo "t/9105 measures about 6.5 and 28 MiB and checks both under 64 MiB."
	echo "Ranked output (the default) keeps every match until the input ends,"
	echo "so its memory grows with the number of matching records. fzf"
	echo "--filter keeps every input line."
	echo
	echo "## ecs-log --follow"
	echo
	echo "$(awk -v b="$log_bytes" 'BEGIN { printf "%.2f", b / 1073741824 }') GiB of"
	echo "messages ($((pages * page_events)) events of $message_bytes bytes, $pages"
	echo "GetLogEvents pages) from \`bench/logs-stream.py\` (LOG_BYTES=$LOG_BYTES),"
	echo "the task's ECS calls on moto."
	echo
	echo "| command | wall s | peak RSS MiB | events out |"
	echo "| --- | --- | --- | --- |"
	echo "| \`ecs-log --follow --since 1h --poll 1\` | $follow_wall | $(mib "$follow_rss") | $follow_count |"
	echo
	echo "## ecs-pick on a terminal"
	echo
	echo "Records of about $record_bytes bytes (task records as above, each"
	echo "with its own ARN), loaded in ecs-pick in a tmux pane of 120x40."
	echo
	echo "| records loaded | VmHWM MiB |"
	echo "| --- | --- |"
	echo "| 100,000 | $(mib "$rss_100k") |"
	echo "| 1,000,000 | $(mib "$rss_1m") |"
	echo
	echo "Memory per record: ($rss_1m - $rss_100k) KiB / 900,000 ="
	echo "**$per_record bytes** for a record of $record_bytes bytes."
} >"$RESULTS"
echo "bench: wrote $RESULTS" >&2
