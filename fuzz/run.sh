#!/usr/bin/env bash
# Runs libFuzzer targets (built by `make fuzz-build` into fuzz/bin) for
# FUZZ_SECONDS each, FUZZ_JOBS at a time, and prints executions per target.
#
#   fuzz/run.sh TARGET...
#
# New inputs go to fuzz/corpus-out/TARGET (not committed), crashes to
# fuzz/corpus-out/artifacts/TARGET, the log to fuzz/corpus-out/TARGET.log.
# Each run starts from fuzz/corpus/TARGET and fuzz/regress/TARGET. Exits 1
# when any target found a crash, leak or time-out.
set -u
cd "$(dirname "$0")/.." || exit 2

export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
out=fuzz/corpus-out

# Extra libFuzzer options per target.
target_options() {
	case "$1" in
	# Lines longer than the 64 KiB the reader asks for at a time. The
	# reader's messages about invalid lines would drown the progress
	# lines; invariant failures still reach the log.
	ndjson) echo "-max_len=200000 -close_fd_mask=2" ;;
	config | datachannel) echo "-close_fd_mask=2" ;;
	esac
}

# ASAN_OPTIONS per target.
target_asan_options() {
	case "$1" in
	# libjq has no frame pointers, so without the slow unwinder a stack
	# ends in libjq and fuzz/lsan.supp cannot match jq_start.
	text) echo "fast_unwind_on_malloc=0" ;;
	esac
}

run_one() {
	local t=$1 dirs=() opts asan
	mkdir -p "$out/$t" "$out/artifacts/$t"
	for d in fuzz/corpus/$t fuzz/regress/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$t/")
	[ -f "fuzz/dict/$t.dict" ] && opts+=(-dict="fuzz/dict/$t.dict")
	asan=$(target_asan_options "$t")
	# shellcheck disable=SC2046
	ASAN_OPTIONS="${asan}${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
	fuzz/bin/"$t" "${opts[@]}" $(target_options "$t") \
		"$out/$t" "${dirs[@]}" >"$out/$t.log" 2>&1
}

if [ $# -eq 0 ]; then
	echo "usage: fuzz/run.sh TARGET..." >&2
	exit 2
fi
for t in "$@"; do
	if [ ! -x "fuzz/bin/$t" ]; then
		echo "fuzz/run.sh: fuzz/bin/$t not found; run make fuzz-build" >&2
		exit 2
	fi
done

running=0
for t in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "fuzz: $t for ${seconds}s"
	( run_one "$t"; echo $? >"$out/$t.status" ) &
	running=$((running + 1))
done
wait

failed=0
failed_logs=()
printf '%-12s %12s %10s %8s  %s\n' target executions exec/s status log
for t in "$@"; do
	log=$out/$t.log
	rc=$(cat "$out/$t.status" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	status=ok
	if [ "$rc" != 0 ]; then
		status=FAILED
		failed=1
		failed_logs+=("$log")
	fi
	printf '%-12s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"$status" "$log"
done
if [ "$failed" = 1 ]; then
	echo "fuzz: a target failed; the input is under $out/artifacts/ and" \
		"the report in its log" >&2
	grep -h -A3 -E '^==[0-9]+==ERROR|invariant failed|^SUMMARY' \
		"${failed_logs[@]}" >&2
fi
exit "$failed"
