#!/usr/bin/env bash
# ecs-exec through every data channel fault of the local AWS: the output
# stays exact, the session ends, and nothing hangs.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
task=$(seed tasks c1 1 --exec)
out=$TEST_SCRATCH/out
err=$TEST_SCRATCH/err
seq 1 4000 >"$TEST_SCRATCH/expected"

# last_session: the newest session's record.
last_session() {
	front_ctl exec-sessions | jq -c '.sessions[-1]'
}

# run_fault NAME FAULT...: one fault, then a session printing 4000 lines
# (19 KB, 19 messages); checks the output, the status and that the fault
# was applied without protocol violations.
run_fault() {
	local name=$1 session
	shift
	front_ctl exec-clear-faults >/dev/null
	front_ctl exec-fault "$@" >/dev/null
	timeout 60 ecs-exec --task "$task" --container app -- seq 1 4000 \
		</dev/null >"$out" 2>"$err"
	is $? 0 "$name: exit status 0"
	cmp -s "$out" "$TEST_SCRATCH/expected"
	ok $? "$name: output is exact" ||
		diag "$(head -c 300 "$out"; cat "$err")"
	session=$(last_session)
	isnt "$(jq '.faults | length' <<<"$session")" 0 "$name: fault applied"
	is "$(jq -c '[.violations[].kind]' <<<"$session")" '[]' \
		"$name: no protocol violations"
}

run_fault "drop" drop
run_fault "duplicate" --count 5 duplicate
run_fault "reorder" --skip 2 --count 3 reorder
run_fault "corrupt digest" corrupt-digest
run_fault "split frames" --count 4 split-frames 5
run_fault "far ahead" far-ahead
run_fault "unknown type" unknown-type
run_fault "agent_session_state" session-state
run_fault "pause publication" --skip 3 pause 1
run_fault "start_publication first" start-publication
run_fault "close with Bye" --skip 5 close 1000 Bye
run_fault "TCP reset" --skip 5 close tcp=true

session=$(last_session)
is "$(jq '.resumes' <<<"$session")" 1 "TCP reset: resumed once"
is "$(jq -r '.connections | map(.clientId) | unique | length' <<<"$session")" 1 \
	"TCP reset: the same ClientId on both connections"

# A dropped ack makes the client resend its input, and the duplicate
# must be acknowledged again.
front_ctl exec-clear-faults >/dev/null
front_ctl exec-fault --count 2 drop-ack >/dev/null
printf 'hello\n' | timeout 60 ecs-exec --task "$task" --container app -- cat \
	>"$out" 2>"$err"
is "$?:$(cat "$out")" "0:hello" "input survives dropped acknowledgements"

# UTF-8 split across messages: bytes pass through unchanged.
front_ctl exec-clear-faults >/dev/null
front_ctl exec-fault --count 3 split-utf8 >/dev/null
printf 'h\303\251llo \342\202\254 \360\237\230\200\n' >"$TEST_SCRATCH/utf8"
timeout 60 ecs-exec --task "$task" --container app -- cat "$TEST_SCRATCH/utf8" \
	</dev/null >"$out" 2>"$err"
cmp -s "$out" "$TEST_SCRATCH/utf8"
ok $? "UTF-8 characters split across messages arrive whole"

# The session ends while the connection is down: no resume.
front_ctl exec-clear-faults >/dev/null
front_ctl exec-fault --skip 2 close tcp=true resume=false >/dev/null
start=$(date +%s)
timeout 60 ecs-exec --task "$task" --container app -- seq 1 4000 </dev/null \
	>"$out" 2>"$err"
is $? 255 "a session that cannot resume exits 255"
like "$(cat "$err")" "timed out|cannot resume|lost" \
	"the message says the session could not resume"
ok $(($(date +%s) - start < 30 ? 0 : 1)) "no hang when the session is gone"

# A silent peer: no data, no pongs. --keepalive 1 notices it within
# 1.5 s, resumes once, and gives up when the peer stays silent.
front_ctl exec-clear-faults >/dev/null
front_ctl exec-fault --skip 2 stall >/dev/null
start=$(date +%s)
timeout 60 ecs-exec --keepalive 1 --task "$task" --container app -- \
	seq 1 4000 </dev/null >"$out" 2>"$err"
status=$?
elapsed=$(($(date +%s) - start))
if [ "$status" = 0 ]; then
	cmp -s "$out" "$TEST_SCRATCH/expected"
	ok $? "stalled peer: output exact after resuming"
else
	is "$status" 255 "stalled peer: exit 255"
fi
ok $((elapsed < 20 ? 0 : 1)) "stalled peer noticed in $elapsed s"

# Pings never answered while the command is idle.
front_ctl exec-clear-faults >/dev/null
front_ctl exec-set answer_pings=false >/dev/null
start=$(date +%s)
timeout 60 ecs-exec --keepalive 1 --task "$task" --container app -- \
	sleep 30 </dev/null >"$out" 2>"$err"
is $? 255 "unanswered pings end the session with 255"
elapsed=$(($(date +%s) - start))
ok $((elapsed < 20 ? 0 : 1)) "unanswered pings noticed in $elapsed s"
like "$(cat "$err")" "no response" "the message says the peer went silent"
front_ctl exec-set answer_pings=true >/dev/null

# TerminateSession from elsewhere: channel_closed with its Output.
before=$(front_ctl exec-sessions | jq '.sessions | length')
timeout 60 ecs-exec --task "$task" --container app -- sleep 30 </dev/null \
	>"$out" 2>"$err" &
pid=$!
for _ in $(seq 50); do
	sid=$(front_ctl exec-sessions | jq -r --argjson n "$before" \
		'.sessions[$n].sessionId // empty')
	[ -n "$sid" ] && break
	sleep 0.1
done
front_ctl exec-terminate "$sid" >/dev/null
wait $pid
is $? 255 "a session terminated elsewhere exits 255"
like "$(cat "$err")" "without the command's exit status" \
	"the message says the exit status is unknown"

done_testing
