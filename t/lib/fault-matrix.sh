# Sourced by the t/91xx fault matrix tests, after they set FAULT_PROGRAMS
# to the programs they cover, so the slow matrix runs in parallel parts.
#
# Every program that calls AWS under every fault of the local AWS front:
# throttling, 500, 503, a reply slower than ECS_TIMEOUT, a connection reset
# mid-body, a truncated body, invalid JSON and a 50 MB body. A transient
# fault is retried (counted in the front's log) and the program succeeds.
# A fault that lasts past AWS_MAX_ATTEMPTS, or invalid JSON, ends with a
# clear error and status 1 (255 for ecs-exec, whose own failures are 255
# as with ssh). Nothing hangs (each run is under timeout, and status 124
# fails) and stdout never contains a partial line. ecs-pick makes no AWS
# calls, so it is not here.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

unset ECS_READ_ONLY
export XDG_CONFIG_HOME=$TEST_SCRATCH/xdg
OUT=$TEST_SCRATCH/out
ERR=$TEST_SCRATCH/err
ECHO=$TEST_DIR/lib/echo.py

start_local_aws
seed clusters 2 >/dev/null
seed services c1 1 >/dev/null	# a third cluster, c1
app_taskdef app >/dev/null
exec_task=$(seed tasks c1 1 --exec --task-definition app)
put_events /ecs/app "app/app/$(task_id "$exec_task")" \
	"$(now_ms):first event" >/dev/null
front_ctl exec-set pace=0 >/dev/null

"$ECHO" server --watch-pid $$ >"$TEST_SCRATCH/echo.port" &
at_exit "kill $! 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ -s "$TEST_SCRATCH/echo.port" ] && break
	sleep 0.05
done
echo_port=$(cat "$TEST_SCRATCH/echo.port")
[ -n "$echo_port" ] || bail_out "the echo server did not start"

# ecs-creds resolves an assume-role profile, so its call goes to STS.
mkdir -p "$TEST_SCRATCH/aws"
cat >"$TEST_SCRATCH/aws/config" <<'EOF'
[profile base]
region = us-east-1

[profile role]
role_arn = arn:aws:iam::123456789012:role/fault
source_profile = base
region = us-east-1
EOF
cat >"$TEST_SCRATCH/aws/credentials" <<'EOF'
[base]
aws_access_key_id = AKIDFAULTBASE
aws_secret_access_key = faultbasesecret
EOF

# run_program NAME: runs one program once, its output in $OUT and $ERR,
# its exit status in $status. Each program is named by the operation the
# matrix faults.
run_program()
{
	case $1 in
	ls)
		timeout 60 ecs-ls clusters </dev/null >"$OUT" 2>"$ERR" ;;
	creds)
		AWS_CONFIG_FILE=$TEST_SCRATCH/aws/config \
			AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/aws/credentials \
			AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
			timeout 60 ecs-creds --profile role --no-cache \
			</dev/null >"$OUT" 2>"$ERR" ;;
	exec)
		timeout 60 ecs-exec -c c1 --task "$exec_task" \
			--container app -- echo exec-output \
			</dev/null >"$OUT" 2>"$ERR" ;;
	log)
		timeout 60 ecs-log -c c1 --task "$exec_task" \
			</dev/null >"$OUT" 2>"$ERR" ;;
	update)
		timeout 60 ecs-update -c c1 -s svc-01 --yes \
			--force-new-deployment </dev/null >"$OUT" 2>"$ERR" ;;
	stop)
		local victim
		victim=$(seed tasks c1 1)
		timeout 60 ecs-stop -c c1 -t "$victim" --yes \
			</dev/null >"$OUT" 2>"$ERR" ;;
	forward)
		run_forward ;;
	esac
	status=$?
}

exec_in_background()
{
	(
		trap - EXIT INT TERM
		exec "$@"
	) &
}

# run_forward: ecs-forward until its ready record (then SIGTERM, and
# the status is that of a clean end) or until it exits by itself.
run_forward()
{
	local pid i
	# exec keeps a subshell with the test's traps out of the way of
	# the signal.
	exec_in_background ecs-forward -c c1 --task "$exec_task" -L "0:$echo_port" \
		</dev/null >"$OUT" 2>"$ERR"
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[ -s "$OUT" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -s "$OUT" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		[ $? = 143 ] && return 0
		return 99
	fi
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid"
		return 124
	fi
	wait "$pid"
}

# Operation each program's fault applies to.
declare -A OP=(
	[ls]=ListClusters [creds]=AssumeRole [exec]=ExecuteCommand
	[log]=GetLogEvents [update]=UpdateService [stop]=StopTask
	[forward]=StartSession
)

# ecs-exec reports a session that could not start with 255, as ssh does;
# the others exit 1.
failure_status()
{
	if [ "$1" = exec ]; then
		echo 255
	else
		echo 1
	fi
}

# Checks that every line of $OUT is a complete JSON value (exec prints
# the remote command's output, checked by the caller instead).
output_is_whole()
{
	local prog=$1 name=$2
	if [ "$prog" = exec ]; then
		return 0
	fi
	if [ -s "$OUT" ]; then
		is "$(tail -c 1 "$OUT" | od -An -tx1 | tr -d ' ')" 0a \
			"$name: the last output line is complete"
	fi
	is "$(jq -Rn '[inputs | select((try fromjson catch null) == null)]
		| length' <"$OUT")" 0 "$name: every output line is JSON"
}

# Expected output of a successful run.
output_is_complete()
{
	local prog=$1 name=$2
	case $prog in
	exec)
		is "$(cat "$OUT")" exec-output "$name: the remote output" ;;
	ls)
		is "$(wc -l <"$OUT")" 3 "$name: every cluster" ;;
	creds)
		is "$(jq -r .kind "$OUT")" credentials \
			"$name: a credentials record" ;;
	log)
		is "$(jq -r .message "$OUT")" "first event" "$name: the event" ;;
	update | stop)
		is "$(wc -l <"$OUT")" 1 "$name: one record" ;;
	forward)
		is "$(jq -r .kind "$OUT")" forward "$name: the ready record" ;;
	esac
}

op_count()
{
	front_log | jq -s --arg op "$1" \
		'map(select(.operation == $op)) | length'
}

# transient PROG LABEL RULE...: the fault applies once, the program
# retries it and succeeds.
transient()
{
	local prog=$1 label=$2 name op=${OP[$1]}
	shift 2
	name="$prog, $label once"
	front_ctl clear-faults >/dev/null
	front_ctl clear-log >/dev/null
	front_ctl fault "$@" >/dev/null || bail_out "fault $* rejected"
	ECS_TIMEOUT=2 run_program "$prog"
	is "$status" 0 "$name: exit status 0" ||
		diag "$(head -c 600 "$ERR")"
	is "$(op_count "$op")" "$((${BASELINE[$prog]} + 1))" \
		"$name: $op retried once"
	output_is_complete "$prog" "$name"
	output_is_whole "$prog" "$name"
}

# lasting PROG LABEL PATTERN RULE...: the fault applies to every attempt,
# and the program fails after AWS_MAX_ATTEMPTS (2) with an error that
# names the operation and matches PATTERN.
lasting()
{
	local prog=$1 label=$2 pattern=$3 name op=${OP[$1]}
	shift 3
	name="$prog, $label always"
	front_ctl clear-faults >/dev/null
	front_ctl clear-log >/dev/null
	if [ "${1:0:1}" = "{" ]; then
		front_ctl fault "$(jq -c '.count = -1' <<<"$1")" >/dev/null
	else
		front_ctl fault --count -1 "$@" >/dev/null
	fi || bail_out "fault $* rejected"
	AWS_MAX_ATTEMPTS=2 ECS_TIMEOUT=2 run_program "$prog"
	is "$status" "$(failure_status "$prog")" "$name: exit status" ||
		diag "$(head -c 600 "$ERR")"
	like "$(cat "$ERR")" "$op: .*$pattern" "$name: the error" 
	isnt "$(op_count "$op")" 0 "$name: $op was sent"
	if [ "$prog" = exec ]; then
		is "$(cat "$OUT")" "" "$name: no output"
	fi
	output_is_whole "$prog" "$name"
}

# Requests of the faulted operation in a run without faults (ecs-log
# reads a stream until a page repeats its token, so it makes two).
declare -A BASELINE
for prog in $FAULT_PROGRAMS; do
	front_ctl clear-log >/dev/null
	run_program "$prog"
	is "$status" 0 "$prog without faults: exit status 0" ||
		diag "$(head -c 600 "$ERR")"
	output_is_complete "$prog" "$prog without faults"
	BASELINE[$prog]=$(op_count "${OP[$prog]}")
done

for prog in $FAULT_PROGRAMS; do
	op=${OP[$prog]}
	transient "$prog" throttle "$op" throttle
	transient "$prog" 500 "$op" 500
	transient "$prog" 503 "$op" 503
	transient "$prog" "slow reply" "$op" delay 3
	transient "$prog" "reset mid-body" "{\"op\":\"$op\",\"action\":\"reset\",\"bytes\":5}"
	transient "$prog" truncated "$op" truncate

	# Invalid JSON in a complete 200 reply is a server bug: no retry.
	front_ctl clear-faults >/dev/null
	front_ctl clear-log >/dev/null
	front_ctl fault "$op" invalid-json >/dev/null
	run_program "$prog"
	is "$status" "$(failure_status "$prog")" \
		"$prog, invalid JSON: exit status" || diag "$(head -c 600 "$ERR")"
	like "$(cat "$ERR")" "$op: InvalidResponse: " \
		"$prog, invalid JSON: the error says the reply is invalid"
	is "$(op_count "$op")" 1 "$prog, invalid JSON: not retried"
	output_is_whole "$prog" "$prog, invalid JSON"

	# A 50 MB reply is well-formed, so it is read like any other.
	front_ctl clear-faults >/dev/null
	front_ctl clear-log >/dev/null
	front_ctl fault "$op" big-body 52428800 >/dev/null
	run_program "$prog"
	is "$status" 0 "$prog, 50 MB reply: exit status 0" ||
		diag "$(head -c 600 "$ERR")"
	output_is_complete "$prog" "$prog, 50 MB reply"
	output_is_whole "$prog" "$prog, 50 MB reply"

	lasting "$prog" throttle "Throttl" "$op" throttle
	lasting "$prog" 500 "after 2 attempts" "$op" 500
	lasting "$prog" 503 "after 2 attempts" "$op" 503
	lasting "$prog" "slow reply" "timed out" "$op" delay 3
	lasting "$prog" reset "after 2 attempts" \
		"{\"op\":\"$op\",\"action\":\"reset\",\"bytes\":5}"
	lasting "$prog" truncated "after 2 attempts" "$op" truncate
done

front_ctl clear-faults >/dev/null
done_testing
