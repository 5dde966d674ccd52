#!/usr/bin/env bash
# Fuzz targets: the seed corpus and every input that once made a target
# fail run through each target's entry point, built by `make` with the
# plain driver fuzz/replay.c (no libFuzzer, so any compiler will do).
. "$(dirname "$0")/lib/test-lib.sh"

replay_dir=${ECS_BUILD:-$REPO_DIR/build}/fuzz
fuzz=$REPO_DIR/fuzz

targets=()
for src in "$fuzz"/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = replay ] || targets+=("$name")
done
ok $(( ${#targets[@]} >= 8 ? 0 : 1 )) "at least eight fuzz targets (${#targets[@]})"

for t in "${targets[@]}"; do
	bin=$replay_dir/$t
	if [ ! -x "$bin" ]; then
		ok 1 "$t: replay driver built ($bin missing; run make)"
		continue
	fi
	[ -d "$fuzz/corpus/$t" ] && [ -n "$(ls -A "$fuzz/corpus/$t")" ]
	ok $? "$t: has a seed corpus"
	dirs=("$fuzz/corpus/$t")
	[ -d "$fuzz/regress/$t" ] && dirs+=("$fuzz/regress/$t")
	expected=$(find "${dirs[@]}" -type f ! -name '.*' | wc -l)
	# The targets' own error messages for bad input go to stderr.
	output=$("$bin" "${dirs[@]}" 2>"$TEST_SCRATCH/$t.err")
	rc=$?
	ok $rc "$t: replays its inputs (exit $rc)" ||
		diag "$(tail -n 20 "$TEST_SCRATCH/$t.err")"
	is "$(tail -n 1 <<<"$output")" "replayed $expected inputs" \
		"$t: every input was run"
done

# The driver itself must fail when an input is missing, or a typo in a
# path would pass for a clean run.
"$replay_dir/timespec" "$TEST_SCRATCH/no-such-input" >/dev/null 2>&1
isnt "$?" 0 "replay fails on a missing input"

done_testing
