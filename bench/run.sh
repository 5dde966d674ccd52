#!/usr/bin/env bash
# Runs every benchmark script (bench/*.sh except this one and lib.sh).
# Each writes its own page, bench/RESULTS-<name>.md; this script writes
# the index, bench/RESULTS.md. Pass script names to run only those.
set -u
cd "$(dirname "$0")"

scripts=("$@")
if [ ${#scripts[@]} -eq 0 ]; then
	for f in *.sh; do
		case "$f" in run.sh | lib.sh) ;; *) scripts+=("$f") ;; esac
	done
fi

status=0
for s in "${scripts[@]}"; do
	echo "== bench/$s"
	if ! bash "./$s"; then
		echo "bench: $s failed" >&2
		status=1
	fi
done

{
	echo "# Benchmark results"
	echo
	echo "Each page was written by its script in bench/, which measures"
	echo "ecs-tools and the peer tool side by side in the same run on the"
	echo "same machine. Run them all with \`make bench\`."
	echo
	for page in RESULTS-*.md; do
		[ -e "$page" ] || continue
		title=$(sed -n '1s/^# //p' "$page")
		echo "- [$title]($page)"
	done
} >RESULTS.md
exit $status
