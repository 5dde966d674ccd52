#!/usr/bin/env bash
# ecs-forward against the local AWS's port forwarding agent and a local
# echo server: 16 MiB through two parallel smux connections, ready
# records, several -L, the remote-host document, basic mode for old
# agents, Ctrl-C with the TerminateSession flag, the task stopping, a
# port nothing listens on, and usage errors.
. "$(dirname "$0")/lib/test-lib.sh"

ECHO=$TEST_DIR/lib/echo.py

# forward_start ARGS...: ecs-forward in the background; waits for one
# ready record per -L. $fwd_pid, $fwd_out (file), $fwd_err (file).
forward_start()
{
	local want=0 arg i
	for arg in "$@"; do
		[ "$arg" = -L ] && want=$((want + 1))
	done
	fwd_out=$TEST_SCRATCH/fwd.$RANDOM.out
	fwd_err=$fwd_out.err
	# Created here, so the loop below can read it before the background
	# job has opened it.
	: >"$fwd_out"
	ecs-forward "$@" </dev/null >"$fwd_out" 2>"$fwd_err" &
	fwd_pid=$!
	at_exit "kill $fwd_pid 2>/dev/null"
	for ((i = 0; i < 200; i++)); do
		[ "$(wc -l <"$fwd_out")" -ge "$want" ] && return 0
		kill -0 "$fwd_pid" 2>/dev/null || break
		sleep 0.05
	done
	diag "ecs-forward is not ready: $(cat "$fwd_err")"
	return 1
}

# forward_wait: waits up to 10 s for ecs-forward to exit; $fwd_status.
forward_wait()
{
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$fwd_pid" 2>/dev/null || break
		sleep 0.05
	done
	wait "$fwd_pid"
	fwd_status=$?
}

ready()
{
	sed -n "${1}p" "$fwd_out"
}

session()
{
	front_ctl exec-session "$1" | jq -c .session
}

start_local_aws
unset ECS_READ_ONLY
"$ECHO" server --watch-pid $$ >"$TEST_SCRATCH/echo.port" &
at_exit "kill $! 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ -s "$TEST_SCRATCH/echo.port" ] && break
	sleep 0.05
done
echo_port=$(cat "$TEST_SCRATCH/echo.port")
[ -n "$echo_port" ] || bail_out "the echo server did not start"
task=$(seed tasks c1 1 --exec)
# The agent sends as fast as it can; ecs-forward's own pacing remains.
front_ctl exec-set pace=0 >/dev/null

# Two forwards: a port of the task and a host the task reaches. Port
# forwarding is not a change, so read-only mode allows it.
ECS_READ_ONLY=1 forward_start -c c1 --task "$task" \
	-L "0:$echo_port" -L "0:localhost:$echo_port"
ok $? "two forwards are ready"
# Sessions get ready in any order.
r1=$(jq -c 'select(.host == null)' "$fwd_out")
r2=$(jq -c 'select(.host != null)' "$fwd_out")
is "$(jq -r .kind <<<"$r1")" forward "ready record kind"
like "$(jq -r .local <<<"$r1")" '^127\.0\.0\.1:[0-9]+$' \
	"listens on 127.0.0.1 by default"
is "$(jq -r '.mode + " " + (.remotePort | tostring) + " " + .containerName' <<<"$r1")" \
	"smux $echo_port app" "ready record: mode, port, container"
is "$(jq -r .taskArn <<<"$r1")" "$task" "ready record: task"
is "$(jq -r .host <<<"$r2")" localhost "second record: the remote host"
port1=$(jq -r .localPort <<<"$r1")
port2=$(jq -r .localPort <<<"$r2")
s1=$(jq -r .sessionId <<<"$r1")
s2=$(jq -r .sessionId <<<"$r2")

res=$("$ECHO" client --port "$port1" --connections 2 --bytes 8388608 \
	--timeout 120)
is "$(jq -r .ok <<<"$res")" true "16 MiB through two connections"
is "$(jq -r '[.connections[] | .sentSha256 == .receivedSha256] | all' <<<"$res")" \
	true "the checksums of both connections match"
is "$(jq -r '[.connections[].received] | add' <<<"$res")" 16777216 \
	"every byte came back"
rec=$(session "$s1")
is "$(jq -r .document <<<"$rec")" AWS-StartPortForwardingSession \
	"the task's own port: its document"
is "$(jq -r '.port.mode' <<<"$rec")" smux "the agent chose smux"
is "$(jq -r '[.port.targets[].stream] | sort | map(tostring) | join(" ")' <<<"$rec")" \
	"3 5" "one smux stream per connection, odd ids"
is "$(jq -r '[.port.targets[].bytesIn] | add' <<<"$rec")" 16777216 \
	"the target received every byte"
is "$(jq -r '.violations | length' <<<"$rec")" 0 "no protocol violations"
is "$(jq -r .parameters.localPortNumber[0] <<<"$rec")" "$port1" \
	"localPortNumber is the bound port"
is "$(jq -c '.handshake.request.RequestedClientActions[0].ActionParameters' <<<"$rec")" \
	"{\"SessionType\":\"Port\",\"Properties\":{\"type\":\"LocalPortForwarding\",\"portNumber\":\"$echo_port\",\"localPortNumber\":\"$port1\"}}" \
	"HandshakeRequest: SessionType Port and its properties"
is "$(jq -c '.handshake.response.ProcessedClientActions | map({ActionType, ActionStatus})' <<<"$rec")" \
	'[{"ActionType":"SessionType","ActionStatus":1}]' \
	"HandshakeResponse accepts the Port session"
is "$(jq -r .handshakeClientVersion <<<"$rec")" 1.2.804.0 \
	"HandshakeResponse reports a ClientVersion for smux"

res=$("$ECHO" client --port "$port2" --bytes 65536)
is "$(jq -r .ok <<<"$res")" true "the remote-host forward echoes"
rec=$(session "$s2")
is "$(jq -r '.document + " " + .parameters.host[0]' <<<"$rec")" \
	"AWS-StartPortForwardingSessionToRemoteHost localhost" \
	"remote host: its document and host"

kill -INT "$fwd_pid"
forward_wait
is "$fwd_status" 130 "Ctrl-C exits 130"
is "$(session "$s1" | jq -r .endReason)" terminate-flag \
	"Ctrl-C sends the TerminateSession flag"
is "$(session "$s2" | jq -r .endReason)" terminate-flag \
	"every session gets the flag"
res=$("$ECHO" client --port "$port1" --bytes 1 --timeout 2)
like "$(jq -r '.connections[0].error // empty' <<<"$res")" "refused" \
	"the local port is closed after Ctrl-C"

# Basic mode: an agent too old for smux, one connection at a time.
front_ctl exec-set agent_version=3.0.0.0 >/dev/null
forward_start -c c1 --task "$task" --container app -L "0:$echo_port"
ok $? "basic mode forward is ready"
is "$(ready 1 | jq -r .mode)" basic "ready record says basic"
port=$(ready 1 | jq -r .localPort)
sid=$(ready 1 | jq -r .sessionId)
res=$("$ECHO" client --port "$port" --bytes 262144)
is "$(jq -r .ok <<<"$res")" true "basic mode: first connection echoes"
res=$("$ECHO" client --port "$port" --bytes 262144)
is "$(jq -r .ok <<<"$res")" true "basic mode: second connection echoes"
rec=$(session "$sid")
is "$(jq -r .port.mode <<<"$rec")" basic "the agent chose basic mode"
is "$(jq -c .port.flagsReceived <<<"$rec")" "[1,1]" \
	"DisconnectToPort after each connection"
is "$(jq -r '.violations | length' <<<"$rec")" 0 \
	"basic mode: no protocol violations"
kill -TERM "$fwd_pid"
forward_wait
is "$fwd_status" 143 "SIGTERM exits 143"
is "$(session "$sid" | jq -r .endReason)" terminate-flag \
	"SIGTERM sends the TerminateSession flag"
front_ctl exec-set agent_version=3.3.1142.0 >/dev/null

# A port nothing listens on: ConnectToPortError, the connection closes.
closed=$("$ECHO" closed-port)
forward_start -c c1 --task "$task" -L "0:$closed"
port=$(ready 1 | jq -r .localPort)
sid=$(ready 1 | jq -r .sessionId)
res=$("$ECHO" client --port "$port" --bytes 10 --timeout 5)
is "$(jq -r '.connections[0].received' <<<"$res")" 0 \
	"closed port: the connection ends with no data"
is "$(session "$sid" | jq -c .port.flagsSent)" "[3]" \
	"closed port: the agent sent ConnectToPortError"
sleep 0.2
like "$(cat "$fwd_err")" "the agent could not connect to the task's port $closed" \
	"closed port: warning"

# The task stops: the session ends and so does ecs-forward.
ecs-stop --yes -c c1 -t "$task" --reason "test over" >/dev/null </dev/null
forward_wait
is "$fwd_status" 1 "task stop exits 1"
like "$(cat "$fwd_err")" "the session ended; the task stopped during the session \(STOPPED: test over\)" \
	"task stop: message"

# Usage and start-up errors.
out=$(ecs-forward -c c1 --task "$task" </dev/null 2>&1)
is "$?" 2 "no -L exits 2"
out=$(ecs-forward -c c1 --task "$task" -L 8080 </dev/null 2>&1)
is "$?" 2 "-L without a port exits 2"
like "$out" 'invalid -L "8080"' "-L without a port: message"
out=$(ecs-forward -c c1 --task "$task" -L 70000:80 </dev/null 2>&1)
is "$?" 2 "-L with local port 70000 exits 2"
out=$(ecs-forward -c c1 --task "$task" -L 1:2:3:4:5 </dev/null 2>&1)
is "$?" 2 "-L with five parts exits 2"
live=$(seed tasks c1 1 --exec)
out=$(ecs-forward -c c1 --task "$live" -L "$echo_port:80" </dev/null 2>&1)
is "$?" 1 "a port in use exits 1"
like "$out" "cannot listen on 127.0.0.1 port $echo_port" "port in use: message"
plain=$(seed tasks c1 1)
out=$(ecs-forward -c c1 --task "$plain" -L 0:80 </dev/null 2>&1)
is "$?" 1 "a task without ECS Exec exits 1"
like "$out" "ECS Exec is not enabled on task" "no ECS Exec: message"
out=$(ecs-ls tasks -c c1 </dev/null | ecs-forward -L 0:80 2>&1)
is "$?" 2 "several records on stdin exit 2"
like "$out" "forwards into one task" "several records: message"
front_ctl exec-set target_not_connected=true >/dev/null
out=$(ecs-forward -c c1 --task "$live" -L 0:80 </dev/null 2>&1)
is "$?" 1 "StartSession failure exits 1"
like "$out" "StartSession: TargetNotConnected" "StartSession failure: message"

done_testing
