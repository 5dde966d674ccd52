# Shared helpers for the benchmark scripts (sourced, bash).
#
# measure LABEL RUNS CMD...  runs CMD RUNS times and appends one line to
# $BENCH_ROWS: label, median wall seconds, median CPU seconds (user+sys)
# and the largest peak RSS in KiB, all from GNU time.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export PATH="$REPO/bin:$PATH"
BENCH_WORK=${BENCH_WORK:-$REPO/bench/work}
mkdir -p "$BENCH_WORK"
BENCH_ROWS=${BENCH_ROWS:-$BENCH_WORK/rows.tsv}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

measure() {
	local label=$1 runs=$2 i tf walls cpus rss=0
	shift 2
	tf=$BENCH_WORK/time.$$
	walls=$BENCH_WORK/walls.$$
	cpus=$BENCH_WORK/cpus.$$
	: >"$walls"
	: >"$cpus"
	for ((i = 0; i < runs; i++)); do
		if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" \
		    >/dev/null 2>"$BENCH_WORK/stderr.$$"; then
			echo "bench: $label failed:" >&2
			cat "$BENCH_WORK/stderr.$$" >&2
			return 1
		fi
		read -r w u s m <"$tf"
		echo "$w" >>"$walls"
		echo "$u $s" | awk '{ print $1 + $2 }' >>"$cpus"
		[ "$m" -gt "$rss" ] && rss=$m
	done
	printf '%s\t%s\t%s\t%s\n' "$label" "$(median <"$walls")" \
	    "$(median <"$cpus")" "$rss" >>"$BENCH_ROWS"
	rm -f "$tf" "$walls" "$cpus" "$BENCH_WORK/stderr.$$"
}

# Wall time in milliseconds of the fastest of RUNS runs, measured with
# bash's own clock (for commands too short for GNU time's 10 ms steps).
fastest_ms() {
	local runs=$1 i best= t0 t1 ms
	shift
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	awk -v us="$best" 'BEGIN { printf "%.2f\n", us / 1000 }'
}

# Prints the rows whose label starts with PREFIX as a Markdown table,
# with the ratio of each row to the row labelled BASE.
table_md() {
	local prefix=$1 base=$2
	awk -F'\t' -v p="$prefix" -v b="$base" '
		index($1, p) == 1 { n++; l[n] = $1; w[n] = $2; c[n] = $3; m[n] = $4
			if ($1 == b) { bw = $2; bm = $4 } }
		END {
			print "| tool | wall s (median) | CPU s | peak RSS MiB | wall vs " b " | memory vs " b " |"
			print "| --- | --- | --- | --- | --- | --- |"
			for (i = 1; i <= n; i++)
				printf "| %s | %.3f | %.3f | %.1f | %.1fx | %.1fx |\n",
				    l[i], w[i], c[i], m[i] / 1024,
				    (w[i] > 0 ? bw / w[i] : 0), (m[i] > 0 ? bm / m[i] : 0)
		}' "$BENCH_ROWS"
}

# Makes Debian's AWS CLI v2 (the peer tool) available as /usr/bin/aws.
need_debian_awscli() {
	if [ ! -x /usr/bin/aws ]; then
		echo "bench: installing Debian's awscli package (the peer)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
		    --no-install-recommends awscli >/dev/null || {
			echo "bench: apt-get install awscli failed" >&2
			return 1
		}
	fi
}
