#!/usr/bin/env bash
# SIGINT, SIGTERM, SIGHUP and SIGPIPE: during a request, during output,
# in the picker, in an exec session, in a log follow and during the
# credential cache write. The exit status is 128 plus the signal's number
# (130, 143, 129, 141), the terminal modes are restored, and no
# temporary or half-written cache file is left.

# A shell that starts with SIGHUP, SIGINT or SIGTERM ignored (under nohup,
# or as a background job of a script) passes that on to every command,
# and no trap can undo it, so the test runs itself again with their
# default actions.
if [ -z "${ECS_TEST_SIGNALS_DEFAULT:-}" ] &&
	(( 0x$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status) & 0x4003 )); then
	ECS_TEST_SIGNALS_DEFAULT=1 exec env --default-signal=HUP,INT,TERM \
		"$0" "$@"
fi
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"
. "$TEST_DIR/lib/tmux.sh"

unset ECS_READ_ONLY
export XDG_CONFIG_HOME=$TEST_SCRATCH/xdg
cd "$TEST_SCRATCH" || bail_out "no scratch directory"
declare -A NUMBER=([INT]=2 [TERM]=15 [HUP]=1)

start_local_aws
seed clusters 300 >/dev/null
seed services c1 1 >/dev/null
app_taskdef app >/dev/null
task=$(seed tasks c1 1 --exec --task-definition app)
put_events /ecs/app "app/app/$(task_id "$task")" "$(now_ms):first" >/dev/null

# exec_in_background CMD...: CMD in the background as $!, without a
# subshell that has the test's traps between it and the signal.
exec_in_background()
{
	(
		trap - EXIT INT TERM HUP
		exec "$@"
	) &
}

# signal_during NAME SIGNAL OPERATION CMD...: CMD in the background;
# once the front has received OPERATION (delayed by a fault), SIGNAL.
# Sets $status.
signal_during()
{
	local name=$1 sig=$2 op=$3 pid i
	shift 3
	front_ctl clear-log >/dev/null
	front_ctl fault "$op" delay 20 >/dev/null
	exec_in_background "$@" </dev/null >out 2>err
	pid=$!
	# The faulted request is logged only when its reply goes out, so
	# wait for the program to be past its start instead.
	sleep 1.5
	kill -"$sig" "$pid"
	reap "$pid"
	status=$?
	front_ctl clear-faults >/dev/null
	is "$status" "$((128 + ${NUMBER[$sig]}))" "$name, SIG$sig: exit status"
	is "$(jq -Rn '[inputs | select((try fromjson catch null) == null)]
		| length' <out)" 0 "$name, SIG$sig: no partial output line"
}

for sig in INT TERM HUP; do
	signal_during "ecs-ls waiting for a reply" "$sig" DescribeClusters \
		ecs-ls clusters
	signal_during "ecs-stop waiting for a reply" "$sig" StopTask \
		ecs-stop -c c1 -t "$(seed tasks c1 1)" --yes
	signal_during "ecs-update waiting for a reply" "$sig" UpdateService \
		ecs-update -c c1 -s svc-01 --force-new-deployment --yes
	signal_during "ecs-log waiting for a reply" "$sig" GetLogEvents \
		ecs-log -c c1 -t "$task"
done

# SIGPIPE: the reader goes away during output.
ecs-ls clusters </dev/null 2>err | head -n 1 >/dev/null
is "${PIPESTATUS[0]}" 141 "ecs-ls, reader gone: exit status 141"
is "$(cat err)" "" "ecs-ls, reader gone: no message"
yes '{"kind":"cluster","clusterName":"x"}' | head -n 200000 |
	ecs-pick -f x 2>err | head -n 1 >/dev/null
is "${PIPESTATUS[2]}" 141 "ecs-pick --filter, reader gone: exit status 141"
(
	ecs-log -c c1 -t "$task" --follow --poll 0.2 </dev/null 2>err |
		head -n 1 >/dev/null
	echo "${PIPESTATUS[0]}" >follow.status
) &
sleep 1
put_events /ecs/app "app/app/$(task_id "$task")" "$(now_ms):second" >/dev/null
for ((i = 0; i < 100; i++)); do
	[ -s follow.status ] && break
	sleep 0.1
done
is "$(cat follow.status)" 141 \
	"ecs-log --follow, reader gone: exit status 141"

# ecs-log --follow.
for sig in INT TERM HUP; do
	exec_in_background ecs-log -c c1 -t "$task" --follow --poll 0.2 \
		</dev/null >follow.out 2>follow.err
	pid=$!
	wait_for_lines follow.out 1
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	is "$?" "$((128 + ${NUMBER[$sig]}))" "ecs-log --follow, SIG$sig: exit status"
	is "$(tail -c 1 follow.out | od -An -tx1 | tr -d ' ')" 0a \
		"ecs-log --follow, SIG$sig: the last line is complete"
done

# ecs-exec without a terminal: a signal ends it locally.
for sig in INT TERM HUP; do
	exec_in_background ecs-exec -c c1 --task "$task" --container app -- \
		/bin/sh -c 'echo started; sleep 30' </dev/null >exec.out 2>exec.err
	pid=$!
	wait_for_lines exec.out 1
	kill -"$sig" "$pid"
	reap "$pid"
	is "$?" "$((128 + ${NUMBER[$sig]}))" \
		"ecs-exec without a terminal, SIG$sig: exit status"
done

# ecs-forward.
python3 "$TEST_DIR/lib/echo.py" server --watch-pid $$ >echo.port &
at_exit "kill $! 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ -s echo.port ] && break
	sleep 0.05
done
for sig in INT TERM HUP; do
	exec_in_background ecs-forward -c c1 --task "$task" \
		-L "0:$(cat echo.port)" </dev/null >fwd.out 2>fwd.err
	pid=$!
	wait_for_lines fwd.out 1
	kill -"$sig" "$pid"
	reap "$pid"
	is "$?" "$((128 + ${NUMBER[$sig]}))" "ecs-forward, SIG$sig: exit status"
done

# ecs-creds: a signal while the role's credentials are written to the
# cache (fsync held for two seconds by strace) waits for the rename.
command -v strace >/dev/null || bail_out "strace is not installed"
mkdir -p home/.aws
cat >home/.aws/config <<'EOF'
[profile base]
region = us-east-1

[profile role]
role_arn = arn:aws:iam::123456789012:role/signals
source_profile = base
EOF
cat >home/.aws/credentials <<'EOF'
[base]
aws_access_key_id = AKIDSIGNALS
aws_secret_access_key = signalssecret
EOF
for sig in INT TERM HUP; do
	rm -rf home/.aws/cli
	HOME=$TEST_SCRATCH/home AWS_CONFIG_FILE=home/.aws/config \
		AWS_SHARED_CREDENTIALS_FILE=home/.aws/credentials \
		AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= \
		exec_in_background strace -qq -o /dev/null -e trace=fsync \
		-e inject=fsync:delay_enter=2000000 \
		ecs-creds --profile role </dev/null >creds.out 2>creds.err
	pid=$!
	for ((i = 0; i < 100; i++)); do
		ls home/.aws/cli/cache/*.tmp* >/dev/null 2>&1 && break
		sleep 0.05
	done
	ok "$(ls home/.aws/cli/cache/*.tmp* >/dev/null 2>&1; echo $?)" \
		"ecs-creds, SIG$sig: the cache is being written"
	kill -"$sig" $(pgrep -P "$pid")
	wait "$pid" 2>/dev/null
	is "$?" "$((128 + ${NUMBER[$sig]}))" "ecs-creds, SIG$sig: exit status"
	is "$(ls home/.aws/cli/cache | grep -c tmp)" 0 \
		"ecs-creds, SIG$sig: no temporary file is left"
	jq -e .Credentials.SecretAccessKey home/.aws/cli/cache/*.json >/dev/null
	ok $? "ecs-creds, SIG$sig: the cache file is complete"
done

# On a terminal: the picker and an interactive exec session.
for var in AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	AWS_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
	AWS_EC2_METADATA_DISABLED NO_PROXY; do
	TMUX_ENV+=" $var=${!var}"
done
tmux_start 100 30

in_pane()
{
	run_pick "$1"
	wait_rc >/dev/null
}

in_pane "stty -a >stty.before"
isnt "$(cat stty.before)" "" "the pane's terminal modes are read"
seq 1 50 | jq -c '{name: "record-\(.)"}' >records.ndjson

# run_on_terminal CMD: runs CMD in the pane through ./launch, which
# writes CMD's pid to cmd.pid. An interactive shell treats a child killed
# by SIGINT as if Ctrl-C had been typed and skips the rest of the line,
# so launch stores CMD's status in cmd.status (see terminal_status).
cat >launch <<'EOF'
#!/bin/sh
sh -c 'echo $$ >cmd.pid; exec "$@"' sh "$@"
echo $? >cmd.status
EOF
chmod +x launch
run_on_terminal()
{
	rm -f cmd.pid cmd.status
	run_pick "./launch $1"
	for ((i = 0; i < 100; i++)); do
		[ -s cmd.pid ] && break
		sleep 0.05
	done
}

terminal_status()
{
	wait_rc "${1:-15}" >/dev/null
	cat cmd.status 2>/dev/null || echo none
}

terminal_restored()
{
	local name=$1
	in_pane "stty -a >stty.after"
	is "$(cat stty.after)" "$(cat stty.before)" \
		"$name: the terminal modes are restored"
	is "$(tmux_cmd display-message -p -t pick '#{alternate_on}')" 0 \
		"$name: the alternate screen is left"
	is "$(tmux_cmd display-message -p -t pick '#{cursor_flag}')" 1 \
		"$name: the cursor is visible"
}

for sig in INT TERM HUP; do
	run_on_terminal "ecs-pick <records.ndjson >pick.out"
	wait_screen '50/50'
	kill -"$sig" "$(cat cmd.pid)"
	is "$(terminal_status)" "$((128 + ${NUMBER[$sig]}))" \
		"ecs-pick, SIG$sig: exit status"
	is "$(cat pick.out)" "" "ecs-pick, SIG$sig: nothing chosen"
	terminal_restored "ecs-pick, SIG$sig"
	tmux_keys C-l
done

# Ctrl-C in an interactive session is a byte for the remote terminal,
# which interrupts the remote program; ecs-exec goes on.
run_on_terminal "ecs-exec -c c1 --task $task --container app -- /bin/sh -c \"trap \\\"echo remote-got-int\\\" INT; echo ready; while :; do sleep 0.2; done\""
wait_screen '^ready' 30
ok $? "the interactive session runs"
tmux_keys C-c
wait_screen 'remote-got-int' 15
ok $? "Ctrl-C reaches the remote program"
ok "$(kill -0 "$(cat cmd.pid)" 2>/dev/null; echo $?)" \
	"ecs-exec goes on after Ctrl-C"
kill -TERM "$(cat cmd.pid)"
is "$(terminal_status 30)" 143 "ecs-exec on a terminal, SIGTERM: exit status"
terminal_restored "ecs-exec on a terminal, SIGTERM"
tmux_keys C-l

run_on_terminal "ecs-exec -c c1 --task $task --container app -- /bin/sh -c \"echo ready; sleep 30\""
wait_screen '^ready' 30
kill -HUP "$(cat cmd.pid)"
is "$(terminal_status 30)" 129 "ecs-exec on a terminal, SIGHUP: exit status"
terminal_restored "ecs-exec on a terminal, SIGHUP"

done_testing
