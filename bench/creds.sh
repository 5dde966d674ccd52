#!/usr/bin/env bash
# Benchmark: "ecs-creds --whoami" through a two-hop assumed role whose
# credentials are cached, against the AWS CLI v1 of the image resolving the
# same profile and calling GetCallerIdentity, both against the same local
# STS (moto). Also the same with an empty cache (two AssumeRole calls
# first), and curl posting one request to the same STS as a floor. Writes
# bench/RESULTS-creds.md.

. "$(dirname "$0")/lib.sh"

RUNS_FAST=${RUNS_FAST:-60}
RUNS_SLOW=${RUNS_SLOW:-15}
OUT=$REPO/bench/RESULTS-creds.md
STATE=$BENCH_WORK/creds-local-aws

command -v aws >/dev/null || { echo "bench: aws (AWS CLI) is missing" >&2; exit 1; }
[ -x "$REPO/bin/ecs-creds" ] || { echo "bench: run make first" >&2; exit 1; }

"$REPO/t/local-aws" start --state-dir "$STATE" --watch-pid $$ >"$BENCH_WORK/env" ||
	exit 1
trap '"$REPO/t/local-aws" stop --state-dir "$STATE" >/dev/null 2>&1' EXIT
. "$BENCH_WORK/env"

# Own profiles only: the local AWS exports fake keys that would win.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export HOME=$BENCH_WORK/creds-home
rm -rf "$HOME"
mkdir -p "$HOME/.aws"
export AWS_CONFIG_FILE=$HOME/.aws/config
export AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
export AWS_EC2_METADATA_DISABLED=true
cat >"$AWS_CONFIG_FILE" <<'EOF'
[profile base]
region = us-east-1

[profile hop1]
role_arn = arn:aws:iam::123456789012:role/one
source_profile = base
region = us-east-1

[profile hop2]
role_arn = arn:aws:iam::123456789012:role/two
source_profile = hop1
region = us-east-1
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<'EOF'
[base]
aws_access_key_id = AKIDBENCHBASE
aws_secret_access_key = benchsecret
EOF

# timed_runs MODE RUNS_A RUNS_B A... -- B...: for each command one line
# "median wall ms, fastest wall ms, median CPU ms, peak RSS KiB". Python
# times each run with perf_counter and takes CPU (user + system) and RSS
# from wait4, so no shell or GNU time sits in between. Mode "alternate"
# runs RUNS_A / RUNS_B of A after each B, so that both commands meet the
# same load on the machine. Mode "blocks" runs all of A, then all of B.
timed_runs()
{
	python3 - "$@" <<'EOF'
import os, statistics, subprocess, sys, time
mode, runs_a, runs_b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
split = sys.argv.index("--")
cmds = (sys.argv[4:split], sys.argv[split + 1:])
walls, cpus, rss = ([], []), ([], []), [0, 0]

def run(which):
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmds[which], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    walls[which].append((time.perf_counter() - t0) * 1000)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench: {cmds[which]} exited with {proc.returncode}")
    cpus[which].append((usage.ru_utime + usage.ru_stime) * 1000)
    rss[which] = max(rss[which], usage.ru_maxrss)

if mode == "alternate":
    for i in range(runs_b):
        run(1)
        for _ in range(runs_a // runs_b):
            run(0)
else:
    for _ in range(runs_a):
        run(0)
    for _ in range(runs_b):
        run(1)
for w in (0, 1):
    print(f"{statistics.median(walls[w]):.1f}\t{min(walls[w]):.1f}\t"
          f"{statistics.median(cpus[w]):.1f}\t{rss[w]}")
EOF
}

ECS_WHOAMI=(ecs-creds -p hop2 --whoami)
CLI_WHOAMI=(aws --profile hop2 sts get-caller-identity)
COLD=(sh -c 'rm -f "$HOME"/.aws/cli/cache/*.json && exec "$@"' cold)

# Both tools see the same identity, and the warm runs use the cache: the
# front logs every call, so a few warm runs of each through it must make no
# AssumeRole call.
ecs_arn=$("${ECS_WHOAMI[@]}" | jq -r .Arn) || exit 1
cli_arn=$("${CLI_WHOAMI[@]}" | jq -r .Arn) || exit 1
[ "$ecs_arn" = "$cli_arn" ] || {
	echo "bench: the tools disagree: $ecs_arn vs $cli_arn" >&2
	exit 1
}
seq0=$("$REPO/t/local-aws" ctl --state-dir "$STATE" log | jq -s 'map(.seq) | max')
for ((i = 0; i < 3; i++)); do
	"${ECS_WHOAMI[@]}" >/dev/null && "${CLI_WHOAMI[@]}" >/dev/null || exit 1
done
no_assume_role()
{
	local n
	n=$("$REPO/t/local-aws" ctl --state-dir "$STATE" log "$1" |
		jq -s 'map(select(.operation == "AssumeRole")) | length')
	[ "$n" = 0 ] || {
		echo "bench: warm runs made $n AssumeRole calls" >&2
		exit 1
	}
}
no_assume_role "$seq0"

# The timed runs go straight to moto, without the front. The front is a
# second HTTP hop that the tests need (fault injection, the call log), and
# it would add the same 0.7 to 0.9 ms to every request of both tools.
export AWS_ENDPOINT_URL=$ECS_LOCAL_AWS_MOTO
cache_state()
{
	stat -c '%n %i %Y.%y %s' "$HOME"/.aws/cli/cache/*.json
}
cache_before=$(cache_state)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up: moto loads its code on the first requests.
for ((i = 0; i < 5; i++)); do
	"${ECS_WHOAMI[@]}" >/dev/null && "${CLI_WHOAMI[@]}" >/dev/null || exit 1
done

{ read -r ecs_warm; read -r cli_warm; } < <(timed_runs alternate \
	"$RUNS_FAST" "$RUNS_SLOW" "${ECS_WHOAMI[@]}" -- "${CLI_WHOAMI[@]}")
{ read -r ecs_blocks; read -r cli_blocks; } < <(timed_runs blocks \
	"$RUNS_FAST" "$RUNS_SLOW" "${ECS_WHOAMI[@]}" -- "${CLI_WHOAMI[@]}")
# A tool that assumed a role again would have rewritten its cache file.
[ "$(cache_state)" = "$cache_before" ] || {
	echo "bench: the cache changed during the warm runs:" >&2
	printf '%s\n' "$cache_before" "$(cache_state)" >&2
	exit 1
}
# The floor: curl (the same libcurl) posting one unsigned GetCallerIdentity
# to the same STS. moto serves it without checking signatures.
auth="AWS4-HMAC-SHA256 Credential=AKIDBENCHBASE/20260101/us-east-1/sts/"
auth+="aws4_request, SignedHeaders=host, Signature=0"
CURL_FLOOR=(curl -sf -o /dev/null -H "Authorization: $auth"
	-d 'Action=GetCallerIdentity&Version=2011-06-15' "$ECS_LOCAL_AWS_MOTO/")
{ read -r floor_blocks; read -r _; } < <(timed_runs blocks \
	"$RUNS_FAST" 1 "${CURL_FLOOR[@]}" -- "${CURL_FLOOR[@]}")
{ read -r ecs_cold; read -r cli_cold; } < <(timed_runs alternate \
	"$RUNS_FAST" "$RUNS_SLOW" "${COLD[@]}" "${ECS_WHOAMI[@]}" -- \
	"${COLD[@]}" "${CLI_WHOAMI[@]}")

# ratio A B: how many times B's first field is A's first field, for
# fields 1 (wall) and 3 (CPU) of timed_runs lines.
ratio()
{
	awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {
		split(a, x, "\t"); split(b, y, "\t"); printf "%.0fx", x[f] / y[f] }'
}
row()
{
	local label=$1 times=$2 base=$3 wall fast cpu rss
	IFS=$'\t' read -r wall fast cpu rss <<<"$times"
	printf '| %s | %s | %s | %s | %.1f | %s | %s |\n' "$label" "$wall" \
		"$fast" "$cpu" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
		"$(ratio "$base" "$times" 1)" "$(ratio "$base" "$times" 3)"
}

{
	cat <<EOF
# ecs-creds benchmark

\`ecs-creds -p hop2 --whoami\` against the AWS CLI resolving the same
profile and calling GetCallerIdentity:
\`aws --profile hop2 sts get-caller-identity\`. The profile \`hop2\`
assumes role \`two\` with the credentials of role \`one\`, which the
static keys of profile \`base\` assume. Both tools send every request to
the same local STS, moto as \`t/local-aws\` runs it, through
\`AWS_ENDPOINT_URL\`, and both read and write the same credential cache,
\`~/.aws/cli/cache\`. The timed runs talk to moto directly rather than
through the test front, a second HTTP hop that would add the same 0.7 to
0.9 ms to every request of both tools.

- warm: the role credentials are cached, so each run is one
  GetCallerIdentity call. The script checks this twice: warm runs of both
  tools through the front, which logs every call, make no AssumeRole
  call, and the cache files are unchanged after the timed runs.
- cold: each run first deletes the cache (\`sh -c 'rm ...; exec TOOL'\`),
  so each run makes two AssumeRole calls and one GetCallerIdentity call.

Wall times are measured by Python's \`time.perf_counter\` around each
run ($RUNS_FAST runs of ecs-creds, $RUNS_SLOW of the AWS CLI per row),
after 5 warm-up runs of each. CPU time (user + system) and peak RSS come
from \`wait4\` for the same runs. In the plain rows the two tools
alternate (one AWS CLI run, then $((RUNS_FAST / RUNS_SLOW)) ecs-creds
runs), so both meet the same load, but each ecs-creds run starts with
caches the AWS CLI has just filled with Python. The "back to back" rows
run all ecs-creds runs in a row, then all AWS CLI runs. Run by
\`bench/creds.sh\`.

## Machine

- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores
- Kernel: $(uname -sr)
- ecs-creds: $(ecs-creds --version | cut -d' ' -f2), built with \`make\` (-O2)
- AWS CLI: $(aws --version 2>&1)
- moto: $(python3 -c 'import moto; print(moto.__version__)')
- Date: $(date -u +%Y-%m-%d)
- Load average (1, 5, 15 min) when the measurements started: $LOAD_BEFORE; when they ended: $(cut -d' ' -f1-3 /proc/loadavg)

## Results

| run | median wall ms | fastest wall ms | median CPU ms | peak RSS MiB | AWS CLI wall / this | AWS CLI CPU / this |
| --- | --- | --- | --- | --- | --- | --- |
EOF
	row "ecs-creds warm" "$ecs_warm" "$cli_warm"
	row "aws warm" "$cli_warm" "$cli_warm"
	row "ecs-creds warm, back to back" "$ecs_blocks" "$cli_blocks"
	row "aws warm, back to back" "$cli_blocks" "$cli_blocks"
	row "curl, one unsigned request, back to back" "$floor_blocks" "$cli_blocks"
	row "ecs-creds cold" "$ecs_cold" "$cli_cold"
	row "aws cold" "$cli_cold" "$cli_cold"
	cat <<EOF

The last two columns divide the AWS CLI's median by this row's median
(each row against the AWS CLI row measured the same way).
CPU time is the client's own (user + system); the local STS runs in
other processes and is not counted, while wall time includes waiting for
it.
Most of the AWS CLI's time is the Python interpreter loading botocore.
The curl row is the floor for any program built on Debian's libcurl:
the curl command loads the same libcurl and its 35 libraries and posts one
request that needs no signature, no configuration and no cache. ecs-creds
does all of that and takes about the same time. Of its time, about 3.4 ms
of CPU go to loading those libraries (\`perf stat -r 100 ecs-creds
--version\`) and about 1.8 ms to moto answering; signing, the
configuration and the cache take well under 0.3 ms.

In the plain rows each series of ecs-creds runs starts right after an
AWS CLI run, and the first runs after it are slower for any program on
this machine: \`ecs-creds --version\`, which makes no request, takes
5.4 ms right after an AWS CLI run and 3.8 ms five runs later. The "back
to back" rows measure each tool in a steady state, the way hyperfine
does.
EOF
} >"$OUT"
cat "$OUT"
