#!/usr/bin/env bash
# The local AWS's ECS Exec: ExecuteCommand checks, the data channel agent
# and every fault switch, observed with the fixture's own test client
# (t/lib/exec-test-client) rather than with ecs-exec.

. "$(dirname "$0")/lib/test-lib.sh"

ECS_TARGET=AmazonEC2ContainerServiceV20141113
FAKE_AUTH="AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/SERVICE/aws4_request, SignedHeaders=host, Signature=0"
LINES_COMMAND="/bin/sh -c 'for i in 1 2 3 4 5; do echo line\$i; sleep 0.05; done; exit 3'"
# What `$(...)` keeps of the output: the last newline goes.
LINES_OUTPUT=$'line1\r\nline2\r\nline3\r\nline4\r\nline5\r'

# api SERVICE TARGET_PREFIX OPERATION JSON: one JSON call, reply on stdout.
api()
{
	curl -sS -H "X-Amz-Target: $2.$3" \
		-H "Content-Type: application/x-amz-json-1.1" \
		-H "Authorization: ${FAKE_AUTH/SERVICE/$1}" \
		--data-binary "$4" "$AWS_ENDPOINT_URL/"
}

ecs_api()
{
	api ecs "$ECS_TARGET" "$@"
}

ssm_api()
{
	api ssm AmazonSSM "$@"
}

# exec_run ARGS...: one session with the test client on $task, container
# app. $out is what the client saw, $rec the fixture's session record.
exec_run()
{
	out=$("$TEST_DIR/lib/exec-test-client" --cluster c1 --task "$task" \
		--container app --fixture-record "$@")
	rec=$(jq -c .fixture <<<"$out")
}

o()
{
	jq -r "$1" <<<"$out"
}

r()
{
	jq -r "$1" <<<"$rec"
}

# fault_used: the number of data channel fault rules that were applied.
fault_used()
{
	front_ctl exec-faults | jq '[.faults[].used] | add // 0'
}

start_local_aws
exec_tasks=$(seed tasks c1 2 --exec)
task=$(sed -n 1p <<<"$exec_tasks")
stopped_task=$(sed -n 2p <<<"$exec_tasks")
plain_task=$(seed tasks c1 1)
seed taskdef solo --containers \
	'[{"name":"solo","image":"busybox","memory":128,"essential":true}]' \
	>/dev/null
solo_task=$(seed tasks c1 1 --exec --task-definition solo)
ecs_api StopTask "{\"cluster\":\"c1\",\"task\":\"$stopped_task\"}" >/dev/null

# The message codec against messages the plugin's own serializer produced.

codec=$(PYTHONPATH=$TEST_DIR/lib python3 - <<'EOF'
from localaws import agentmsg as am
size = ("00000074696e7075745f73747265616d5f646174612020202020202020202020"
        "20202020000000010000018bcfe5680000000000000000010000000000000000"
        "8fedcba987654321fedcba9876544321edf7359c89077b608a6b3e8b19e63bbf"
        "c7aa724989a05ea371a9966a6e9db7cc00000003000000167b22636f6c73223a"
        "3132302c22726f7773223a34307d")
message = am.Message(am.INPUT, am.size_payload(120, 40), sequence=1,
                     payload_type=am.PT_SIZE, created=1700000000000,
                     message_id="fedcba98-7654-4321-8fed-cba987654321")
print(am.encode(message).hex() == size)
parsed = am.decode(bytes.fromhex(size))
print(parsed.message_id, parsed.sequence, parsed.payload_type,
      parsed.digest_ok())
closed = am.decode(am.encode_service(am.channel_closed("s1", "bye")))
print(closed.header_length, closed.message_type, closed.payload_type,
      closed.json()["Output"], closed.raw_type[-1])
EOF
)
is "$(sed -n 1p <<<"$codec")" True "codec encodes Size like the plugin"
is "$(sed -n 2p <<<"$codec")" "fedcba98-7654-4321-8fed-cba987654321 1 3 True" \
	"codec parses swapped MessageId"
is "$(sed -n 3p <<<"$codec")" "112 channel_closed 0 bye 0" \
	"codec builds service channel_closed"

# The pty threads near the session end: Terminal.close() clears master
# while the reader may be between its stop check and its next read. This
# check clears it the same way and keeps the threads going.

threads=$(PYTHONPATH=$TEST_DIR/lib python3 - <<'EOF'
import os
import threading
import time

from localaws import terminal

errors = []
threading.excepthook = lambda hook: errors.append(repr(hook.exc_value))
output = []
pty = terminal.Terminal(["/bin/cat"], "/bin/cat", "/", dict(os.environ),
                        output.append, lambda: None, lambda: None)
pty.start()
master, pty.master = pty.master, None
pty.write(b"ping\n")
deadline = time.monotonic() + 10
while b"ping" not in b"".join(output) and time.monotonic() < deadline:
    time.sleep(0.05)
print(b"ping" in b"".join(output))
pty.kill()
pty.stopped.set()
time.sleep(2 * terminal.UTF8_WAIT)
os.close(master)
print(" ".join(errors) or "none")
EOF
)
is "$(sed -n 1p <<<"$threads")" True "pty reader survives a cleared master"
is "$(sed -n 2p <<<"$threads")" none "pty threads raise no exception"

# ExecuteCommand: the checks ECS makes before a session exists.

error_of()
{
	jq -r '.__type + ": " + .message' <<<"$1"
}

reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$task\",\"command\":\"sh\",\"interactive\":true}")
like "$(error_of "$reply")" '^InvalidParameterException: .*container' \
	"two containers need a container name"
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$task\",\"container\":\"nope\",\"command\":\"sh\",\"interactive\":true}")
like "$(error_of "$reply")" '^InvalidParameterException: .*nope' \
	"unknown container is rejected"
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$plain_task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":true}")
is "$(error_of "$reply")" "InvalidParameterException: The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again." \
	"exec not enabled: the service's message"
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$stopped_task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":true}")
like "$(error_of "$reply")" '^InvalidParameterException: The execute command failed because' \
	"stopped task is rejected"
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":false}")
like "$(error_of "$reply")" '^InvalidParameterException: Interactive' \
	"interactive false is rejected"
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"nosuch\",\"task\":\"$task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":true}")
is "$(error_of "$reply")" "ClusterNotFoundException: Cluster not found." \
	"unknown cluster"
reply=$(ecs_api ExecuteCommand \
	'{"cluster":"c1","task":"abc","container":"app","command":"sh","interactive":true}')
is "$(error_of "$reply")" \
	"InvalidParameterException: task length should be one of [32,36]" \
	"malformed task id"
reply=$(ecs_api ExecuteCommand \
	'{"cluster":"c1","task":"0123456789abcdef0123456789abcdef","container":"app","command":"sh","interactive":true}')
like "$(error_of "$reply")" '^InvalidParameterException: .*not found' \
	"unknown task"

front_ctl exec-set target_not_connected=true >/dev/null
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":true}")
is "$(error_of "$reply")" "TargetNotConnectedException: The execute command failed due to an internal error. Try again later." \
	"target_not_connected switch"
front_ctl exec-set target_not_connected=false agent_connect_delay=3600 \
	>/dev/null
reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$task\",\"container\":\"app\",\"command\":\"sh\",\"interactive\":true}")
like "$(error_of "$reply")" '^TargetNotConnectedException' \
	"refused within agent_connect_delay of the start"
front_ctl exec-set agent_connect_delay=0 >/dev/null

reply=$(ecs_api ExecuteCommand \
	"{\"cluster\":\"c1\",\"task\":\"$solo_task\",\"command\":\"sh\",\"interactive\":true}")
is "$(jq -r '.containerName + " " + (.interactive | tostring)' <<<"$reply")" \
	"solo true" "one container needs no name"
is "$(jq -r .taskArn <<<"$reply")" "$solo_task" "reply names the task"
like "$(jq -r .clusterArn <<<"$reply")" ':cluster/c1$' "reply names the cluster"
like "$(jq -r .containerArn <<<"$reply")" ':container/c1/' \
	"reply has the containerArn"
session_id=$(jq -r .session.sessionId <<<"$reply")
like "$session_id" '^ecs-execute-command-[0-9a-f]{17}$' "session id format"
like "$(jq -r .session.streamUrl <<<"$reply")" \
	"^ws://127\\.0\\.0\\.1:[0-9]+/v1/data-channel/$session_id\\?role=publish_subscribe&cell-number=[^&]+$" \
	"streamUrl points at the front"
[ "$(jq -r '.session.tokenValue | length' <<<"$reply")" -gt 100 ]
ok $? "tokenValue is returned"

# A plain session.

exec_run --command "/bin/sh -c 'echo hi; exit 3'"
is "$(o .output)" $'hi\r' "command output arrives"
is "$(o .closed.output)" "" "channel_closed with empty Output"
is "$(o '.closed | "\(.headerLength) \(.nulPadded) \(.digestOk)"')" \
	"112 true true" "channel_closed is built the service way"
is "$(o '.acksSent | tojson')" '{"0":1}' "client acked the output"
is "$(o '[.received[].payloadType] | unique | tojson')" "[1]" \
	"no exit code message is sent"
is "$(o '.received[0].flags')" 1 "SYN on output sequence 0"
is "$(r '.exitStatus')" 3 "fixture records the exit status"
is "$(r '.state + " " + .endReason')" "ended exited" "session ended"
is "$(r '.counters.acksReceived')" 1 "fixture got the ack"
is "$(r '.violations | length')" 0 "no protocol violations"
is "$(r .clientVersion)" 1.2.804.0 "ClientVersion recorded"
like "$(r .clientId)" '^[0-9a-f-]{36}$' "ClientId recorded"
is "$(r '.argv | join("|")')" "/bin/sh|-c|echo hi; exit 3" \
	"command split shell-style"
is "$(r '.connections[0].closeCode')" 1000 "socket closed with 1000"

front_ctl exec-set warmup=1 >/dev/null
exec_run --command "/bin/sh" --size 100x30 \
	--input $'stty size; echo $TERM; pwd\rexit\r'
front_ctl exec-set warmup=0.3 >/dev/null
like "$(o .output)" $'\r\n30 100\r\n' "Size reaches the pty"
like "$(o .output)" $'\r\nxterm-256color\r\n' "TERM is xterm-256color"
like "$(o .output)" "$(r .cwd)" "command runs in its scratch directory"
is "$(r '.sizes[0] | "\(.cols)x\(.rows)"')" 100x30 "size recorded"
[ "$(r '[.events[] | select(.event == "rejected")] | length')" -ge 1 ]
ok $? "input rejected during the warm-up"
is "$(o '.unackedInput | length')" 0 "client input acked in the end"
[ ! -e "$(r .cwd)" ]
ok $? "scratch directory removed"

exec_run --command "/bin/sh -c 'echo ready; sleep 10'" --input-hex 03
is "$(r .exitStatus)" -2 "Ctrl-C interrupts the command"

exec_run --command "grep -E '^Sig(Ign|Blk)' /proc/self/status"
is "$(o .output | awk '/^SigBlk/ { print $2 }' | tr -d '\r')" \
	0000000000000000 "command starts with no signal blocked"
ignored=$(o .output | awk '/^SigIgn/ { print $2 }' | tr -d '\r')
# SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGXFSZ
is "$((0x$ignored & 0x1005006))" 0 "command starts with signals not ignored"

exec_run --command "echo '\$HOME;' two"
is "$(o .output)" $'$HOME; two\r' "command runs without a shell"

exec_run --command "no-such-command-here"
like "$(o .closed.output)" 'executable file not found' \
	"missing executable reported in channel_closed"

# The pty hands over output in reads of any size, so the checks are on
# every message: at most 1024 bytes, and no character cut in two.
exec_run --command "/bin/sh -c 'printf a; yes é | head -n 5000'"
is "$(o '.outputHex | length / 2')" 20001 "all output arrives"
is "$(o '[.received[].length] | max')" 1024 "output in 1024-byte chunks"
is "$(o '[.received[] | select(.wholeUtf8 | not)] | length')" 0 \
	"UTF-8 characters kept whole"

head -c 786432 /dev/urandom | base64 -w0 >"$TEST_SCRATCH/stdin"
exec_run --command "/bin/sh -c 'stty raw -echo; echo ready; head -c 1048576 | sha256sum'" \
	--input-file "$TEST_SCRATCH/stdin" --timeout 60
is "$(o .output)" "ready
$(sha256sum <"$TEST_SCRATCH/stdin")" "1 MiB of input arrives intact"
is "$(r .counters.bytesIn)" 1048576 "fixture counted the input bytes"

# Acked input is never dropped. The warm-up rejects the first message, so
# the fixture acks the others as out-of-order messages. The 512 KiB are
# more than the pty and the fixture's input queue hold while the command
# sleeps, so the last messages wait for room for longer than the second
# after which the fixture rejects an in-order message.
head -c 393216 /dev/urandom | base64 -w0 >"$TEST_SCRATCH/held"
front_ctl exec-set warmup=1 >/dev/null
exec_run --command "/bin/sh -c 'stty raw -echo; echo ready; sleep 4; head -c 524288 | sha256sum'" \
	--input-file "$TEST_SCRATCH/held" --timeout 30
front_ctl exec-set warmup=0.3 >/dev/null
is "$(o .output)" "ready
$(sha256sum <"$TEST_SCRATCH/held")" "acked input waits for a full pty"
is "$(r .counters.bytesIn)" 524288 "acked input counted once"
[ "$(r '[.events[] | select(.event == "rejected")] | length')" -ge 1 ]
ok $? "first input rejected in the warm-up"
[ "$(r '[.events[] | select(.event == "input-waiting")] | length')" -ge 1 ]
ok $? "acked input waited for the pty"

# Output faults, each seen from the client.

front_ctl exec-fault --skip 1 drop >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o .output)" "$LINES_OUTPUT" "drop: output complete"
is "$(r '.faults[0] | "\(.action) \(.seq)"')" "drop 1" "drop: second message"
[ "$(r '.faults[0].sendsBeforeAck')" -ge 2 ]
ok $? "drop: client acked the retransmission"

front_ctl exec-fault --skip 1 duplicate >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o .output)" "$LINES_OUTPUT" "duplicate: output not doubled"
is "$(o '.duplicates | index(1) != null')" true "duplicate: client got two copies"
[ "$(o '.acksSent["1"]')" -ge 2 ]
ok $? "duplicate: client acked both copies"
[ "$(r '.faults[0].acks')" -ge 2 ]
ok $? "duplicate: fixture got both acks"

front_ctl exec-fault --skip 1 reorder >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '[.received[].seq] | index(2) < index(1)')" true \
	"reorder: 2 arrives before 1"
is "$(o .output)" "$LINES_OUTPUT" "reorder: output in order"

front_ctl exec-fault --skip 1 far-ahead >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '[.received[].seq] | map(select(. > 1000)) | tojson')" "[100001]" \
	"far-ahead: sequence 100001 sent"
is "$(o .output)" "$LINES_OUTPUT" "far-ahead: never delivered"

front_ctl exec-fault --skip 1 split-frames 4 >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o .output)" "$LINES_OUTPUT" "split-frames: message reassembled"
is "$(r '.connections[0].pongsReceived')" 1 \
	"split-frames: ping between fragments answered"

front_ctl exec-fault split-utf8 >/dev/null
exec_run --command "/bin/sh -c 'printf \"a\\303\\251b\\n\"'"
is "$(o '[.received[].head] | join(" ")')" "61c3 a9620d0a" \
	"split-utf8: character split across messages"
is "$(o .output)" $'a\xc3\xa9b\r' "split-utf8: client joins the bytes"

front_ctl exec-fault --skip 1 corrupt-digest >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '.badDigests | tojson')" "[1]" "corrupt-digest: client saw it"
[ "$(r '.faults[0].sendsBeforeAck')" -ge 2 ]
ok $? "corrupt-digest: acked only a resent copy"
is "$(r '[.violations[].kind] | join(" ")')" "" \
	"corrupt-digest: bad copy not acked"
is "$(o .output)" "$LINES_OUTPUT" "corrupt-digest: output complete"

front_ctl exec-fault start-publication >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '.publication | join(" ")')" "start_publication" \
	"start-publication arrives first"
is "$(o .output)" "$LINES_OUTPUT" "start-publication: output complete"

front_ctl exec-fault --skip 1 pause 1 >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '.publication | join(" ")')" "pause_publication start_publication" \
	"pause: pause then start"
[ "$(o '.seconds * 10 | floor')" -ge 10 ]
ok $? "pause: held the output for a second"
is "$(o .output)" "$LINES_OUTPUT" "pause: output complete"

front_ctl exec-fault --skip 1 stall 1 >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o .output)" "$LINES_OUTPUT" "stall: output complete"
[ "$(r '.faults[0].sendsBeforeAck')" -ge 2 ]
ok $? "stall: lost message resent"

front_ctl exec-fault unknown-type >/dev/null
front_ctl exec-fault --skip 2 session-state >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '[.ignored[].type] | join(" ")')" \
	"unknown_message_type agent_session_state" "unknown types are sent"
is "$(o .output)" "$LINES_OUTPUT" "unknown types: output complete"
is "$(r '[.faults[].injectedAcked] | tojson')" "[false,false]" \
	"unknown types: not acked by the client"

front_ctl exec-fault drop-ack >/dev/null
exec_run --command "/bin/sh -c 'echo ready; read x; echo got \$x; sleep 1'" \
	--input $'hello\r'
[ "$(o '.inputAcks["0"] // 0')" -ge 1 ]
ok $? "drop-ack: client got the re-ack"
[ "$(r '.faults[0].resent')" -ge 1 ]
ok $? "drop-ack: client resent the message"
like "$(o .output)" 'got hello' "drop-ack: input processed once"
is "$(grep -c 'got hello' <<<"$(o .output)")" 1 "drop-ack: not processed twice"

front_ctl exec-fault --skip 1 close >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '.socketCloses[0] | "\(.code) \(.reason)"')" "1000 Bye" \
	"close: 1000 Bye"
is "$(o .resumes)" 1 "close: client resumed"
is "$(o .output)" "$LINES_OUTPUT" "close: output complete after resume"
is "$(r .tokensIssued)" 2 "close: ResumeSession issued a token"
is "$(r '[.connections[].clientId] | unique | length')" 1 \
	"close: same ClientId on both connections"
is "$(r '.violations | length')" 0 "close: no violations"

front_ctl exec-fault --skip 1 close tcp=true >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o '.socketCloses | length') $(o .resumes)" "0 1" \
	"close tcp: no Close frame, resumed"
is "$(o .output)" "$LINES_OUTPUT" "close tcp: output complete"

front_ctl exec-fault --skip 1 close resume=false >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(o .gone)" true "close resume=false: ResumeSession gives no token"
is "$(o .output)" $'line1\r' "close resume=false: output ends"
is "$(r .endReason)" closed-without-resume "close resume=false: session over"
reply=$(ssm_api ResumeSession "{\"SessionId\":\"$(o .sessionId)\"}")
is "$(jq -c '[.SessionId, .TokenValue, .StreamUrl]' <<<"$reply")" \
	"[\"$(o .sessionId)\",\"\",\"\"]" \
	"ResumeSession of an ended session: empty token"
front_ctl exec-set gone_token=absent >/dev/null
reply=$(ssm_api ResumeSession "{\"SessionId\":\"$(o .sessionId)\"}")
is "$(jq -c . <<<"$reply")" "{\"SessionId\":\"$(o .sessionId)\"}" \
	"gone_token=absent: no TokenValue"
front_ctl exec-set gone_token=empty >/dev/null

is "$(fault_used)" 16 "every fault rule was applied once"
front_ctl exec-clear-faults >/dev/null

front_ctl exec-fault --task "$solo_task" drop >/dev/null
exec_run --command "$LINES_COMMAND"
is "$(fault_used)" 0 "fault for another task not applied"
front_ctl exec-clear-faults >/dev/null

# Pings, the token check, client mistakes.

front_ctl exec-set ping_interval=0.2 >/dev/null
exec_run --command "/bin/sh -c 'echo x; sleep 1'" --ping-first
[ "$(o .pingsReceived)" -ge 2 ]
ok $? "fixture pings every ping_interval"
[ "$(r '.connections[0].pongsReceived')" -ge 2 ]
ok $? "fixture sees the client's pongs"
is "$(o .pongsReceived)" 1 "ping before the first frame is answered"
front_ctl exec-set ping_interval=0 answer_pings=false >/dev/null
exec_run --command "/bin/sh -c 'echo x; sleep 0.5'" --ping-first
is "$(o .pingsReceived)/$(o .pongsReceived)" 0/0 "answer_pings=false: silent"
is "$(r '.connections[0].pingsReceived')" 1 "fixture saw the ping"
front_ctl exec-set ping_interval=30 answer_pings=true >/dev/null

exec_run --command "$LINES_COMMAND" --token bogus --no-resume
is "$(o '.socketCloses[0] | "\(.code) \(.reason)"')" "1008 invalid token" \
	"bad token: closed with 1008"
is "$(o .output)" "" "bad token: no output"
is "$(r '.connections[0].rejected')" "unknown token" "bad token recorded"

exec_run --command "/bin/sh -c 'echo ready; sleep 0.4'" --input x \
	--bad-client bad-digest
like "$(r '[.violations[].kind] | unique | join(" ")')" bad-digest \
	"violation: bad digest on client message"
exec_run --command "/bin/sh -c 'echo ready; sleep 0.4'" --input x \
	--bad-client skip-seq
is "$(r '[.violations[].kind] | unique | join(" ")')" sequence-gap \
	"violation: skipped sequence number"
exec_run --command "/bin/sh -c 'echo ready; sleep 0.4'" --input x \
	--bad-client ack-unknown
is "$(r '[.violations[].kind] | unique | join(" ")')" ack-unknown-sequence \
	"violation: ack for unknown sequence"

# SSM calls and timeouts.

"$TEST_DIR/lib/exec-test-client" --cluster c1 --task "$task" \
	--container app --fixture-record \
	--command "/bin/sh -c 'echo ready; sleep 30'" >"$TEST_SCRATCH/out" &
client=$!
for ((i = 0; i < 100; i++)); do
	session_id=$(front_ctl exec-sessions |
		jq -r '.sessions[] | select(.state == "connected") | .sessionId')
	[ -n "$session_id" ] && break
	sleep 0.1
done
reply=$(ssm_api TerminateSession "{\"SessionId\":\"$session_id\"}")
is "$(jq -r .SessionId <<<"$reply")" "$session_id" "TerminateSession replies"
wait "$client"
out=$(cat "$TEST_SCRATCH/out")
rec=$(jq -c .fixture <<<"$out")
is "$(o .closed.output)" "" "TerminateSession: client gets channel_closed"
is "$(r '.endReason + " " + (.exitStatus | tostring)')" "terminated -1" \
	"TerminateSession ends the command"
reply=$(ssm_api ResumeSession '{"SessionId":"nosuch"}')
like "$(error_of "$reply")" '^DoesNotExistException' "ResumeSession unknown id"

front_ctl exec-set idle_timeout=0.5 >/dev/null
exec_run --command "/bin/sh -c 'echo ready; sleep 30'"
is "$(o .closed.output)" \
	"Your session timed out due to inactivity and has been terminated." \
	"idle_timeout ends the session"
front_ctl exec-set idle_timeout=1200 >/dev/null

reply=$(ssm_api StartSession \
	'{"Target":"ecs:c1_x_y","DocumentName":"AWS-StartPortForwardingSession","Parameters":{"portNumber":["80"]}}')
like "$(error_of "$reply")" '^TargetNotConnected: ecs:c1_x_y is not connected' \
	"StartSession of an unknown target"
runtime=$(ecs_api DescribeTasks "{\"cluster\":\"c1\",\"tasks\":[\"$task\"]}" |
	jq -r '.tasks[0].containers[] | select(.name == "app") | .runtimeId')
reply=$(ssm_api StartSession \
	"{\"Target\":\"ecs:c1_${task##*/}_$runtime\",\"DocumentName\":\"AWS-StartPortForwardingSession\",\"Parameters\":{\"portNumber\":[\"80\"]}}")
is "$(jq -r '[.SessionId, .TokenValue, .StreamUrl] | map(length > 0) | all' <<<"$reply")" \
	true "StartSession returns id, token and URL"

# botocore's models of these calls, as a check independent of the client.
shapes=$(python3 - "$task" <<'EOF2'
import os
import sys

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
ecs = boto3.client("ecs", endpoint_url=endpoint)
ssm = boto3.client("ssm", endpoint_url=endpoint)
reply = ecs.execute_command(cluster="c1", task=sys.argv[1], container="app",
                            command="/bin/true", interactive=True)
print(" ".join(sorted(reply["session"])), reply["interactive"])
reply = ssm.resume_session(SessionId=reply["session"]["sessionId"])
print(" ".join(k for k in sorted(reply) if k != "ResponseMetadata"))
EOF2
)
is "$(sed -n 1p <<<"$shapes")" "sessionId streamUrl tokenValue True" \
	"boto3 reads the ExecuteCommand reply"
is "$(sed -n 2p <<<"$shapes")" "SessionId StreamUrl TokenValue" \
	"boto3 reads the ResumeSession reply"

# Handshakes.

front_ctl exec-set handshake=plain >/dev/null
exec_run --command "/bin/sh -c 'echo hi'"
is "$(o '.handshake.complete') $(o .output)" $'true hi\r' \
	"plain handshake, then output"
is "$(r .handshakeClientVersion)" 1.2.804.0 "HandshakeResponse recorded"

front_ctl exec-set handshake=unknown-action >/dev/null
exec_run --command "/bin/sh -c 'echo hi'"
like "$(o .closed.output)" '^----------ERROR-------' \
	"unknown action: session fails"
is "$(r '.violations | length')" 0 "unknown action: status 3 is correct"
exec_run --command "/bin/sh -c 'echo hi'" --unknown-status 1
is "$(r '[.violations[].kind] | join(" ")')" unknown-action-accepted \
	"unknown action: status 1 is a violation"

front_ctl exec-set handshake=plain handshake_timeout=0.5 >/dev/null
exec_run --command "/bin/sh -c 'echo hi'" --ignore-handshake
like "$(o .closed.output)" '^Handshake timed out' "handshake timeout"

key=$(api kms TrentService CreateKey '{}' | jq -r .KeyMetadata.Arn)
front_ctl exec-set handshake=kms "kms_key_id=$key" >/dev/null
exec_run --command "/bin/sh -c 'echo hi; read x; echo got \$x'" \
	--input $'hello\r'
is "$(o .handshake.completeMessage.CustomerMessage)" \
	"This session is encrypted using AWS KMS." "KMS handshake completes"
like "$(o .output)" $'got hello\r' "KMS: both directions decrypt"
is "$(r '.violations | length')" 0 "KMS: no violations"
front_ctl exec-set handshake=none >/dev/null

# An exception that ends a fixture thread shows only in the daemon's log.
is "$(grep -c '^Exception in thread' "$LOCAL_AWS_DIR/daemon.log")" 0 \
	"no fixture thread died"

done_testing
