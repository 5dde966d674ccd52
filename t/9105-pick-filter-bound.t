#!/usr/bin/env bash
# ecs-pick --filter holds no input when it need not: 200 MB of NDJSON
# through --no-sort (every record matches) and through a ranked filter
# that matches nothing stay under a fixed memory ceiling. bench/bounds.sh
# measures the same at 10 GiB.
. "$(dirname "$0")/lib/test-lib.sh"

[ -x /usr/bin/time ] || bail_out "GNU time (/usr/bin/time) is not installed"
cd "$TEST_SCRATCH" || bail_out "no scratch directory"
# AddressSanitizer keeps freed memory in quarantine (256 MiB by default),
# so the peaks of a sanitizer build say nothing about the program's own.
if ldd "$(command -v ecs-pick)" | grep -q libasan; then
	echo "1..0 # SKIP peak RSS is not the program's own under ASan"
	_tap_done=1
	exit 0
fi

# The ceiling is far above what streaming needs (about 30 MiB in
# bench/RESULTS-bounds.md) and far below what holding 200 MB would take.
CEILING_KIB=$((64 * 1024))
RECORD='{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/bound/0123456789abcdef0123456789abcdef","group":"service:web","lastStatus":"RUNNING","tags":[{"key":"team","value":"payments"}]}'
LINES=$((200 * 1000 * 1000 / (${#RECORD} + 1)))

# filter_peak ARGS...: runs ecs-pick ARGS on the stream; sets $peak_kib,
# $lines_out and $status.
filter_peak()
{
	lines_out=$(yes "$RECORD" | head -n "$LINES" |
		/usr/bin/time -f '%M' -o time.out ecs-pick "$@" 2>err | wc -l)
	status=${PIPESTATUS[2]}
	peak_kib=$(tail -n 1 time.out)
}

filter_peak --no-sort -f web
is "$lines_out" "$LINES" "--no-sort: every record is printed"
ok "$([ "$peak_kib" -lt "$CEILING_KIB" ]; echo $?)" \
	"--no-sort: peak RSS $peak_kib KiB is under $CEILING_KIB KiB"

filter_peak -f zzqqxx
is "$lines_out" 0 "ranked, no match: nothing is printed"
ok "$([ "$peak_kib" -lt "$CEILING_KIB" ]; echo $?)" \
	"ranked, no match: peak RSS $peak_kib KiB is under $CEILING_KIB KiB"

# A control: ranked output with every record matching must hold them
# all, so the measurement can tell holding from streaming.
filter_peak -f web
is "$lines_out" "$LINES" "ranked, every record: every record is printed"
ok "$([ "$peak_kib" -gt "$CEILING_KIB" ]; echo $?)" \
	"ranked, every record: peak RSS $peak_kib KiB is over the ceiling"

done_testing
