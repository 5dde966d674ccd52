#!/usr/bin/env bash
# Benchmarks ecs-ls against Debian's AWS CLI v2 doing the same work on the
# same local servers, and writes bench/RESULTS-ls.md:
#   clusters: ListClusters + DescribeClusters on the local moto;
#   tasks: every ListTasks page, then DescribeTasks per 100, on the local
#   moto (1,000 tasks) and on bench/ecs-canned.py (1,000 and 10,000);
#   peak memory of ecs-ls at 100 and at 10,000 tasks; ecs-ls --version.
# RUNS (default 5) sets the runs per measurement; the AWS CLI at 10,000
# tasks runs once (about a hundred CLI invocations).

set -u
BENCH_ROWS=${BENCH_ROWS:-$(dirname "$0")/work/ls-rows.tsv}
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
AWS=/usr/bin/aws
RESULTS=$BENCH_DIR/RESULTS-ls.md
WORK=$BENCH_WORK/ls
CLUSTERS=100

# ecs-ls reads records from a pipe on stdin; give it none.
exec </dev/null
need_debian_awscli || exit 1
if [ ! -x "$REPO/bin/ecs-ls" ]; then
	echo "bench: bin/ecs-ls is missing; run make first" >&2
	exit 1
fi
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$BENCH_ROWS"

# Only local servers: fake keys, empty config files, no metadata service.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=$WORK/config AWS_SHARED_CREDENTIALS_FILE=$WORK/creds
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_ECS
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

# The AWS CLI doing what `ecs-ls clusters` does (same include list).
awscli_clusters()
{
	local url=$1
	"$AWS" --endpoint-url "$url" ecs list-clusters \
		--query 'clusterArns[]' --output text | tr '\t' '\n' |
		xargs -r -n 100 "$AWS" --endpoint-url "$url" ecs \
		describe-clusters --include CONFIGURATIONS SETTINGS STATISTICS \
		TAGS --clusters >/dev/null
}

# The AWS CLI doing what `ecs-ls tasks -c CLUSTER` does: list-tasks
# follows every page itself, then describe-tasks per 100 ARNs.
awscli_tasks()
{
	local url=$1 cluster=$2
	"$AWS" --endpoint-url "$url" ecs list-tasks --cluster "$cluster" \
		--query 'taskArns[]' --output text | tr '\t' '\n' |
		xargs -r -n 100 "$AWS" --endpoint-url "$url" ecs \
		describe-tasks --cluster "$cluster" --include TAGS \
		--tasks >/dev/null
}
export AWS
export -f awscli_clusters awscli_tasks

# start_canned N: starts bench/ecs-canned.py with N tasks; sets CANNED.
start_canned()
{
	local port_file=$WORK/canned-$1.port i
	python3 "$BENCH_DIR/ecs-canned.py" --port-file "$port_file" \
		--tasks "$1" &
	pids+=($!)
	for ((i = 0; i < 200; i++)); do
		[ -s "$port_file" ] && break
		sleep 0.05
	done
	if [ ! -s "$port_file" ]; then
		echo "bench: bench/ecs-canned.py did not start" >&2
		exit 1
	fi
	CANNED=http://127.0.0.1:$(cat "$port_file")
}

# check_count LABEL EXPECTED CMD...: the command prints EXPECTED records.
check_count()
{
	local label=$1 expected=$2 got
	shift 2
	got=$("$@" </dev/null | wc -l)
	if [ "$got" != "$expected" ]; then
		echo "bench: $label printed $got records, expected $expected" >&2
		exit 1
	fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: starting the local moto" >&2
eval "$("$REPO/t/local-aws" start --state-dir "$WORK/local-aws" \
	--watch-pid $$)" || exit 1
MOTO=$AWS_ENDPOINT_URL
unset AWS_ENDPOINT_URL
"$REPO/t/local-aws" seed --state-dir "$WORK/local-aws" clusters \
	"$CLUSTERS" >/dev/null || exit 1
"$REPO/t/local-aws" seed --state-dir "$WORK/local-aws" tasks bench 1000 \
	>/dev/null || exit 1

echo "bench: clusters on moto" >&2
check_count "ecs-ls clusters" $((CLUSTERS + 1)) \
	ecs-ls clusters --endpoint-url "$MOTO"
measure "clusters/moto: ecs-ls" "$RUNS" \
	ecs-ls clusters --endpoint-url "$MOTO" || exit 1
measure "clusters/moto: aws cli" "$RUNS" \
	bash -c 'awscli_clusters "$1"' _ "$MOTO" || exit 1
version_ms=$(fastest_ms 50 ecs-ls --version)
true_ms=$(fastest_ms 50 /bin/true)
# The same, timed by Python around each spawn, without the two date
# processes that fastest_ms forks per run.
spawn_ms()
{
	python3 - "$@" <<'PY'
import subprocess, sys, time
best = None
for _ in range(100):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    took = time.perf_counter() - start
    best = took if best is None else min(best, took)
print(f"{best * 1000:.2f}")
PY
}
version_spawn_ms=$(spawn_ms "$REPO/bin/ecs-ls" --version)
true_spawn_ms=$(spawn_ms /bin/true)
floor_kib=$(/usr/bin/time -f %M ecs-ls --version 2>&1 >/dev/null)
libraries=$(ldd "$REPO/bin/ecs-ls" | grep -c '=>')

echo "bench: 1,000 tasks on moto" >&2
check_count "ecs-ls tasks" 1000 ecs-ls tasks -c bench --endpoint-url "$MOTO"
measure "tasks-1000/moto: ecs-ls" "$RUNS" \
	ecs-ls tasks -c bench --endpoint-url "$MOTO" || exit 1
measure "tasks-1000/moto: aws cli" "$RUNS" \
	bash -c 'awscli_tasks "$1" bench' _ "$MOTO" || exit 1

for n in 100 1000 10000; do
	echo "bench: $n tasks on the canned server" >&2
	start_canned "$n"
	check_count "ecs-ls tasks" "$n" \
		ecs-ls tasks -c bench --endpoint-url "$CANNED"
	measure "tasks-$n/canned: ecs-ls" "$RUNS" \
		ecs-ls tasks -c bench --endpoint-url "$CANNED" || exit 1
	[ "$n" = 100 ] && continue
	runs=$RUNS
	[ "$n" = 10000 ] && runs=1
	measure "tasks-$n/canned: aws cli" "$runs" \
		bash -c 'awscli_tasks "$1" bench' _ "$CANNED" || exit 1
done

# ratio ROW_A ROW_B FIELD: FIELD of row A divided by FIELD of row B
# (field 2 is the wall time, 4 the peak RSS).
ratio()
{
	awk -F'\t' -v a="$1" -v b="$2" -v f="$3" '
		$1 == a { x = $f } $1 == b { y = $f }
		END { printf "%.1f", (y > 0 ? x / y : 0) }' "$BENCH_ROWS"
}

# verdict RATIO MIN: "met" when RATIO is at least MIN.
verdict()
{
	awk -v r="$1" -v min="$2" 'BEGIN { print (r >= min ? "met" : "MISSED") }'
}

wall_clusters=$(ratio "clusters/moto: aws cli" "clusters/moto: ecs-ls" 2)
mem_clusters=$(ratio "clusters/moto: aws cli" "clusters/moto: ecs-ls" 4)
wall_1000=$(ratio "tasks-1000/moto: aws cli" "tasks-1000/moto: ecs-ls" 2)
wall_canned_1000=$(ratio "tasks-1000/canned: aws cli" \
	"tasks-1000/canned: ecs-ls" 2)
wall_canned_10000=$(ratio "tasks-10000/canned: aws cli" \
	"tasks-10000/canned: ecs-ls" 2)
mem_growth=$(ratio "tasks-10000/canned: ecs-ls" "tasks-100/canned: ecs-ls" 4)
version_verdict=$(awk -v ms="$version_ms" \
	'BEGIN { print (ms < 5 ? "met" : "MISSED") }')
growth_verdict=$(awk -v r="$mem_growth" \
	'BEGIN { print (r <= 2 ? "met" : "MISSED") }')

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
	cat <<EOF
# ecs-ls benchmark

Written by \`bench/ls.sh\` on $(date -u +%Y-%m-%d) (a shared virtual
machine: repeated runs vary by tens of percent). Each tool runs
against the same local server in the same run. Wall and CPU time are the
median of $RUNS runs (the AWS CLI at 10,000 tasks runs once), peak RSS the
largest of the runs, all from GNU time; for the AWS CLI they cover every
\`aws\` process of the pipeline.

- Machine: $(uname -srm), $cpu, $(nproc) CPUs, $mem; load average
  $load_before before the run, $load_after after it
- ecs-ls: $(ecs-ls --version), default \`--max-concurrency\` (8)
- Peer: $("$AWS" --version 2>&1) (Debian's awscli)
- Servers on 127.0.0.1: moto $(python3 -c 'import moto; print(moto.__version__)')
  behind the test front (\`t/local-aws\`), which pages List calls like
  ECS; \`bench/ecs-canned.py\` ($(python3 --version), pre-rendered
  replies) for the large case, so the clients' own cost is what is
  measured.

## Clusters: ListClusters + DescribeClusters, $CLUSTERS clusters on moto

    ecs-ls clusters
    aws ecs list-clusters | xargs -n 100 aws ecs describe-clusters \\
        --include CONFIGURATIONS SETTINGS STATISTICS TAGS --clusters

$(table_md "clusters/" "clusters/moto: aws cli")

- Wall time: ecs-ls is ${wall_clusters}x faster (target 20x: $(verdict "$wall_clusters" 20)).
- Peak memory: ecs-ls uses ${mem_clusters}x less (target 10x: $(verdict "$mem_clusters" 10)).
  \`ecs-ls --version\`, which does nothing but load its $libraries shared
  libraries (most of them pulled in by Debian's libcurl), already has a
  peak RSS of $(awk -v k="$floor_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB; that floor
  caps the ratio.
- \`ecs-ls --version\`: ${version_ms} ms, the fastest of 50 runs timed
  by \`fastest_ms\` (target under 5 ms: $version_verdict). That method
  forks \`date\` twice per run and measures \`/bin/true\` at ${true_ms} ms.
  Timed from Python around each spawn instead, the fastest of 100 runs
  is ${version_spawn_ms} ms for \`ecs-ls --version\` and ${true_spawn_ms} ms
  for \`/bin/true\`. Most of the difference is the dynamic loader mapping
  and relocating the shared libraries.

## Tasks: every ListTasks page, then DescribeTasks per 100

    ecs-ls tasks -c bench
    aws ecs list-tasks --cluster bench | xargs -n 100 aws ecs describe-tasks \\
        --cluster bench --include TAGS --tasks

1,000 tasks on moto:

$(table_md "tasks-1000/moto" "tasks-1000/moto: aws cli")

1,000 tasks on the canned server:

$(table_md "tasks-1000/canned" "tasks-1000/canned: aws cli")

10,000 tasks on the canned server:

$(table_md "tasks-10000/canned" "tasks-10000/canned: aws cli")

100 tasks on the canned server (the memory baseline):

$(table_md "tasks-100/canned" "tasks-100/canned: ecs-ls")

- Wall time, 1,000 tasks: ${wall_1000}x faster on moto (20x:
  $(verdict "$wall_1000" 20)), ${wall_canned_1000}x on the canned server
  (target 20x: $(verdict "$wall_canned_1000" 20)). On moto, most of the
  wall time of ecs-ls is moto's own (compare its CPU time); the canned
  server shows the clients' cost, which is what the target is about.
- Wall time, 10,000 tasks: ${wall_canned_10000}x faster (target 20x:
  $(verdict "$wall_canned_10000" 20)).
- Peak memory of ecs-ls at 10,000 tasks is ${mem_growth} times that at 100
  (target at most 2: $growth_verdict): records stream out as they arrive.
EOF
} >"$RESULTS"
echo "bench: wrote $RESULTS" >&2
