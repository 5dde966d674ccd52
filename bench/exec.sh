#!/usr/bin/env bash
# Benchmark: ecs-exec against the local AWS's exec fixture (a real
# pseudo-terminal behind the Session Manager data channel on 127.0.0.1).
#   - throughput: 64 MiB of remote output (head -c of /dev/zero), with the
#     fixture's pacing off, and 8 MiB with the agent's 1 ms pacing;
#   - memory: peak RSS for 1 MiB and 64 MiB of output (flat means the
#     client does not buffer the stream);
#   - keystroke echo latency: one byte typed on a terminal until its echo
#     is back, through the remote terminal.
# The usual peer, `aws ecs execute-command`, needs session-manager-plugin,
# which no Debian package provides. The reference point measured in the
# same run is therefore the fixture's own Python test client
# (t/lib/exec-test-client).
# Writes bench/RESULTS-exec.md.

. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
OUT=$REPO/bench/RESULTS-exec.md
STATE=$BENCH_WORK/exec-local-aws
ROWS=$BENCH_WORK/exec-rows.tsv
: >"$ROWS"

[ -x "$REPO/bin/ecs-exec" ] || { echo "bench: run make first" >&2; exit 1; }
"$REPO/t/local-aws" start --state-dir "$STATE" --watch-pid $$ >"$BENCH_WORK/env" ||
	exit 1
trap '"$REPO/t/local-aws" stop --state-dir "$STATE" >/dev/null 2>&1' EXIT
. "$BENCH_WORK/env"
ctl() { "$REPO/t/local-aws" ctl --state-dir "$STATE" "$@" >/dev/null; }

task=$("$REPO/t/local-aws" seed --state-dir "$STATE" tasks c1 1 --exec)
exec_cmd=(ecs-exec --task "$task" --container app -T --)
peer_cmd=("$REPO/t/lib/exec-test-client" --endpoint "$AWS_ENDPOINT_URL"
	--cluster c1 --task "$task" --container app --timeout 600)

# row LABEL BYTES CMD...: RUNS runs; median wall s, MiB/s, peak RSS KiB,
# stdout bytes, median CPU s of the client.
row() {
	local label=$1 bytes=$2 i tf=$BENCH_WORK/time.exec walls=() cpus=() rss=0
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		/usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" </dev/null \
			>"$BENCH_WORK/out.exec" ||
			{ echo "bench: $label failed" >&2; return 1; }
		read -r w m u s <"$tf"
		walls+=("$w")
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
		[ "$m" -gt "$rss" ] && rss=$m
	done
	w=$(printf '%s\n' "${walls[@]}" | median)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$w" \
		"$(awk -v b="$bytes" -v w="$w" 'BEGIN { printf "%.1f", b / 1048576 / w }')" \
		"$rss" "$(wc -c <"$BENCH_WORK/out.exec")" \
		"$(printf '%s\n' "${cpus[@]}" | median)" >>"$ROWS"
}

MiB=1048576
ctl exec-set pace=0
row "ecs-exec, 64 MiB, no pacing" $((64 * MiB)) \
	"${exec_cmd[@]}" head -c $((64 * MiB)) /dev/zero
row "ecs-exec, 1 MiB, no pacing" $((1 * MiB)) \
	"${exec_cmd[@]}" head -c $((1 * MiB)) /dev/zero
row "exec-test-client, 8 MiB, no pacing" $((8 * MiB)) \
	"${peer_cmd[@]}" --command "head -c $((8 * MiB)) /dev/zero"
row "ecs-exec, 8 MiB, no pacing" $((8 * MiB)) \
	"${exec_cmd[@]}" head -c $((8 * MiB)) /dev/zero
ctl exec-set pace=0.001
row "ecs-exec, 8 MiB, 1 ms pacing" $((8 * MiB)) \
	"${exec_cmd[@]}" head -c $((8 * MiB)) /dev/zero
ctl exec-set pace=0

# Keystroke echo latency: ecs-exec on a pseudo-terminal of its own, the
# remote side running cat on its terminal (which echoes). Each byte is
# written after the previous echo came back; notices and the "ready"
# line are read first so they cannot match.
cat >"$BENCH_WORK/latency.py" <<'EOF'
import os, pty, select, statistics, sys, time
task = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("ecs-exec", ["ecs-exec", "-t", "--task", task,
                           "--container", "app", "--", "sh", "-c",
                           "echo ready; exec cat"])
def read_until(marker, limit=20.0):
    buf = b""
    end = time.monotonic() + limit
    while marker not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            buf += os.read(fd, 65536)
    return marker in buf
if not read_until(b"ready\r\n"):
    sys.exit("bench: the session did not start")
samples = []
for i in range(100):
    c = b"abcdefghijklmnopqrstuvwxyz"[i % 26:i % 26 + 1]
    t0 = time.monotonic()
    os.write(fd, c)
    if not read_until(c):
        break
    samples.append((time.monotonic() - t0) * 1000)
os.write(fd, b"\r\x04")
time.sleep(0.5)
try:
    os.kill(pid, 15)
except OSError:
    pass
os.waitpid(pid, 0)
samples.sort()
print("%d %.2f %.2f %.2f" % (len(samples), statistics.median(samples),
      samples[int(len(samples) * 0.95) - 1], samples[-1]))
EOF
ctl exec-set pace=0.001
read -r lat_n lat_median lat_p95 lat_max \
	<<<"$(python3 "$BENCH_WORK/latency.py" "$task")"
ctl exec-set pace=0
read -r fast_n fast_median fast_p95 fast_max \
	<<<"$(python3 "$BENCH_WORK/latency.py" "$task")"

{
	echo "# ecs-exec benchmark"
	echo
	echo "Written by \`bench/exec.sh\` on $(date -u +%Y-%m-%d)."
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"
	echo "$(uname -sr); ecs-exec $(ecs-exec --version 2>/dev/null | head -1)."
	echo
	echo "Everything runs against the local AWS (\`t/local-aws\`): the exec"
	echo "fixture plays the agent with a real pseudo-terminal running the"
	echo "command, on 127.0.0.1, so the numbers measure the client and the"
	echo "fixture together, not the AWS service (which allows about 1000"
	echo "messages per second per session, about 1 MB/s)."
	echo
	echo "## Output throughput and memory"
	echo
	echo "Median of $RUNS runs of \`ecs-exec -T -- head -c N /dev/zero\`,"
	echo "stdout to a file. \"No pacing\" sets the fixture's pause after"
	echo "each 1024-byte message to 0; \"1 ms pacing\" is what the agent"
	echo "does. The peer row is the fixture's Python test client, which"
	echo "keeps all output in memory."
	echo
	echo "| run | wall s | MiB/s | client CPU s | peak RSS MiB | stdout bytes |"
	echo "| --- | --- | --- | --- | --- | --- |"
	awk -F'\t' '{ printf "| %s | %.2f | %s | %.2f | %.1f | %s |\n", $1, $2, $3, $6, $4 / 1024, $5 }' "$ROWS"
	echo
	echo "Peak RSS hardly changes from 1 MiB to 64 MiB of output: the"
	echo "client writes each message to stdout as it arrives, and what it"
	echo "keeps is bounded (64 unacknowledged input messages, the out-of-order"
	echo "buffer). The client's CPU time"
	echo "is a fraction of the wall time: the Python fixture sets the pace."
	echo "The test client prints JSON, hence its larger stdout."
	echo
	echo "## Keystroke echo latency"
	echo
	echo "\`ecs-exec -t -- sh -c 'echo ready; exec cat'\` on a"
	echo "pseudo-terminal, the echo coming from the remote terminal; one"
	echo "byte written after the previous echo arrived."
	echo
	echo "| fixture pacing | keystrokes | median ms | 95th percentile ms | max ms |"
	echo "| --- | --- | --- | --- | --- |"
	echo "| 1 ms (as the agent) | $lat_n | $lat_median | $lat_p95 | $lat_max |"
	echo "| none | $fast_n | $fast_median | $fast_p95 | $fast_max |"
	echo
	echo "The maximum is the first keystroke: the fixture rejects input"
	echo "for 0.3 s after the command starts (as the agent does before its"
	echo "terminal is ready) and the client resends it."
	echo
	echo "Commands: \`make && bench/exec.sh\` (RUNS=$RUNS)."
} >"$OUT"
cat "$OUT"
