#!/usr/bin/env bash
# ecs-pick against fzf (Debian's fzf package) in the same run:
#  1. --filter over 1,000,000 task records for several queries: wall time,
#     CPU time and peak memory of `ecs-pick --filter Q` and `fzf --filter Q`
#     on the same file, and of fzf on the display lines ecs-pick matches
#     (the same text, extracted once beforehand);
#  2. keystroke to finished redraw on the terminal with all records
#     loaded, from ecs-pick --debug in a scripted tmux session.
# Writes bench/RESULTS-pick.md. RECORDS=N changes the record count.
set -u
. "$(dirname "$0")/lib.sh"

RECORDS=${RECORDS:-1000000}
RUNS=${RUNS:-3}
PAGE=$BENCH_DIR/RESULTS-pick.md
DATA=$BENCH_WORK/tasks-$RECORDS.ndjson
DISPLAY_TEXT=$BENCH_WORK/tasks-$RECORDS.display
QUERIES=(web 'prod 4b2' "'RUNNING fargate" 'bill run' '!STOPPED api' \
    zzzzqx '')

for tool in fzf tmux /usr/bin/time; do
	command -v "$tool" >/dev/null || {
		echo "bench: $tool is missing (apt-get install fzf tmux time)" >&2
		exit 1
	}
done
[ -x "$REPO/bin/ecs-pick" ] || make -C "$REPO" >/dev/null || exit 1

# Task records as ecs-ls writes them, trimmed to the fields the default
# display uses; a fixed seed makes every run use the same file.
generate()
{
	awk -v n="$RECORDS" 'BEGIN {
		srand(42)
		split("web api worker billing-api checkout search-indexer " \
		    "payments auth-gateway notifications cron-runner " \
		    "image-resize ledger reporting", svc, " ")
		split("RUNNING RUNNING RUNNING PENDING STOPPED PROVISIONING " \
		    "DEPROVISIONING", st, " ")
		split("FARGATE EC2 EXTERNAL", lt, " ")
		split("prod staging dev", cl, " ")
		for (i = 0; i < n; i++) {
			id = sprintf("%08x%08x%08x%08x", rand() * 4294967295,
			    rand() * 4294967295, rand() * 4294967295,
			    rand() * 4294967295)
			printf "{\"kind\":\"task\",\"taskArn\":\"arn:aws:ecs:" \
			    "us-east-1:123456789012:task/%s/%s\",\"group\":" \
			    "\"service:%s\",\"lastStatus\":\"%s\",\"launchType\":" \
			    "\"%s\",\"createdAt\":%d}\n", cl[int(rand() * 3) + 1],
			    id, svc[int(rand() * 13) + 1], st[int(rand() * 7) + 1],
			    lt[int(rand() * 3) + 1],
			    1700000000 + int(rand() * 9000000)
		}
	}'
}

if [ ! -s "$DATA" ]; then
	echo "bench: generating $RECORDS task records in $DATA" >&2
	generate >"$DATA.tmp" && mv "$DATA.tmp" "$DATA"
fi
ecs-pick --via "cat >'$DISPLAY_TEXT'" <"$DATA" >/dev/null
size_mb=$(du -m "$DATA" | cut -f1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. --filter. Both tools exit 1 when nothing matches, which measure()
# would take for a failure.
: >"$BENCH_ROWS"
for q in "${QUERIES[@]}"; do
	label="q=${q:-(empty)}"
	measure "$label ecs-pick" "$RUNS" sh -c \
	    'ecs-pick --filter "$1" <"$2"; [ $? -le 1 ]' sh "$q" "$DATA" ||
		exit 1
	measure "$label fzf" "$RUNS" sh -c \
	    'fzf --filter "$1" <"$2"; [ $? -le 1 ]' sh "$q" "$DATA" || exit 1
	measure "$label fzf (display lines)" "$RUNS" sh -c \
	    'fzf --filter "$1" <"$2"; [ $? -le 1 ]' sh "$q" "$DISPLAY_TEXT" ||
		exit 1
done

# Ages in the display lines move with the clock, so the counts use
# display lines extracted just now.
ecs-pick --via "cat >'$DISPLAY_TEXT'" <"$DATA" >/dev/null
counts=""
for q in "${QUERIES[@]}"; do
	ours=$(ecs-pick --filter "$q" <"$DATA" | wc -l)
	theirs=$(fzf --filter "$q" <"$DATA" | wc -l)
	shown=$(fzf --filter "$q" <"$DISPLAY_TEXT" | wc -l)
	counts+="| \`${q:-(empty)}\` | $ours | $theirs | $shown |"$'\n'
done

# 2. Keystroke to redraw, from --debug lines of a scripted session.
KEYS_LOG=$BENCH_WORK/keys.log
SOCKET=$BENCH_WORK/tmux.sock
latency_run()
{
	local file=$1 i
	tmux -S "$SOCKET" kill-server 2>/dev/null
	tmux -S "$SOCKET" -f /dev/null new-session -d -s bench -x 120 -y 30 \
	    "ecs-pick --debug <'$file' >/dev/null 2>'$KEYS_LOG'"
	# Wait until every record is loaded (the count stops saying so).
	for ((i = 0; i < 600; i++)); do
		tmux -S "$SOCKET" capture-pane -t bench -p | sed -n 2p |
		    grep -q '/.*[0-9]$' && break
		sleep 0.1
	done
	: >"$KEYS_LOG"
	# One key at a time, each after the previous redraw was logged.
	for key in b i l l i n g BSpace BSpace BSpace BSpace Space r u n \
	    C-u 4 b 2 C-u p r o d Space w e b; do
		local before
		before=$(wc -l <"$KEYS_LOG")
		case "$key" in
		BSpace | Space | C-u) tmux -S "$SOCKET" send-keys -t bench "$key" ;;
		*) tmux -S "$SOCKET" send-keys -t bench -l "$key" ;;
		esac
		for ((i = 0; i < 100; i++)); do
			[ "$(wc -l <"$KEYS_LOG")" -gt "$before" ] && break
			sleep 0.05
		done
		sleep 0.2
	done
	tmux -S "$SOCKET" send-keys -t bench Escape
	sleep 0.5
	tmux -S "$SOCKET" kill-server 2>/dev/null
	# Wall time and CPU time (all threads) of each key, in ms.
	awk '/key to redraw/ { print $5, $14 }' "$KEYS_LOG"
}
# latency_stats COLUMN: median, 90th percentile and maximum of a column.
latency_stats()
{
	awk -v c="$1" '{ print $c }' | sort -g | awk '{ v[NR] = $1 } END {
		printf "median %.1f ms, 90th percentile %.1f ms, max %.1f ms " \
		    "(%d keys)", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)],
		    v[NR], NR }'
}
lat_full=$(latency_run "$DATA")
head -n 100000 "$DATA" >"$BENCH_WORK/tasks-100000.ndjson"
lat_small=$(latency_run "$BENCH_WORK/tasks-100000.ndjson")
steps=$(latency_run "$DATA" | awk '{ printf "%s/%s ", $1, $2 }')

{
	echo "# ecs-pick against fzf"
	echo
	echo "Written by \`bench/pick.sh\` on $(date -u +%Y-%m-%d), $(nproc) CPUs"
	echo "($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
	echo "$(fzf --version | head -1) from Debian, median of $RUNS runs."
	echo "Input: $RECORDS task records, $size_mb MB (full task ARNs with"
	echo "32-digit ids, so about 200 bytes a line). Load average before and"
	echo "after: $load_before, $(cut -d' ' -f1-3 /proc/loadavg); other work"
	echo "on the machine shows as wall time well above CPU time."
	echo
	echo "## --filter"
	echo
	echo "\`ecs-pick --filter Q <tasks\` against \`fzf --filter Q <tasks\` on"
	echo "the same file. fzf matches the whole JSON line, ecs-pick the"
	echo "display line (id, group, status, launch type, age), so the match"
	echo "counts differ. The \"display lines\" rows give fzf the exact text"
	echo "ecs-pick matches, extracted beforehand (that extraction is not"
	echo "timed), so those rows compare the same work."
	echo
	for q in "${QUERIES[@]}"; do
		echo "Query \`${q:-(empty)}\`:"
		echo
		table_md "q=${q:-(empty)} " "q=${q:-(empty)} fzf"
		echo
	done
	echo "Matches per query (ages in display lines move with the clock,"
	echo "so a query with digits can differ by a few between runs made"
	echo "seconds apart):"
	echo
	echo "| query | ecs-pick | fzf on the records | fzf on the display lines |"
	echo "| --- | --- | --- | --- |"
	printf '%s' "$counts"
	echo
	echo "In each table the \"vs fzf\" columns are fzf's wall time and"
	echo "memory on the records divided by the row's: above 1 means faster"
	echo "or smaller than fzf."
	echo
	echo "## Keystroke to redraw"
	echo
	echo "Time from reading a key to the end of the redraw, from"
	echo "\`ecs-pick --debug\` in a 120x30 tmux window, typing"
	echo "\`billing\`, deleting four characters, \` run\`, clearing, \`4b2\`,"
	echo "clearing, \`prod web\`, one key at a time:"
	echo
	echo "| records | wall time per key | CPU time per key (2 threads) |"
	echo "| --- | --- | --- |"
	echo "| $RECORDS | $(latency_stats 1 <<<"$lat_full") |" \
	    "$(latency_stats 2 <<<"$lat_full") |"
	echo "| 100000 | $(latency_stats 1 <<<"$lat_small") |" \
	    "$(latency_stats 2 <<<"$lat_small") |"
	echo
	echo "On an idle machine the wall time of a key is about its CPU time"
	echo "divided by the CPUs in use; above that, the difference is time"
	echo "spent waiting for a CPU. Each step at $RECORDS records, wall/CPU"
	echo "in ms: $steps"
} >"$PAGE"
echo "bench: wrote $PAGE" >&2
