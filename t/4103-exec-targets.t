#!/usr/bin/env bash
# ecs-exec targets from flags and records, the checks made before a
# session, --check, TargetNotConnectedException and the handshake.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
task=$(seed tasks c1 1 --exec)
plain=$(seed tasks c1 1)
cluster_arn=arn:aws:ecs:us-east-1:123456789012:cluster/c1
id=${task##*/}
out=$TEST_SCRATCH/out
err=$TEST_SCRATCH/err

run() {
	timeout 60 ecs-exec "$@" >"$out" 2>"$err"
}

run --task "$task" -- true </dev/null
is $? 255 "several containers without --container exit 255"
like "$(cat "$err")" "several containers \(app, sidecar\).*--container" \
	"the error lists the container names"

run --cluster c1 --task "$id" --container app -- echo bare </dev/null
is "$?:$(cat "$out")" "0:bare" "a bare task id with --cluster works"

run --task "arn:aws:ecs:us-east-1:123456789012:task/$id" --cluster c1 \
	--container app -- echo old </dev/null
is "$?:$(cat "$out")" "0:old" "an old-format task ARN with --cluster works"

run --task "$plain" --container app -- true </dev/null
is $? 255 "a task without ECS Exec exits 255"
like "$(cat "$err")" "ECS Exec is not enabled on task ${plain##*/}" \
	"the error says exec is not enabled"

run --cluster c1 --task 00000000000000000000000000000000 --container app \
	-- true </dev/null
is $? 255 "an unknown task exits 255"
like "$(cat "$err")" "not found in cluster c1" "the error says not found"

run --task "$task" --container nope -- true </dev/null
like "$(cat "$err")" 'no container "nope".*app, sidecar' \
	"an unknown container is named with the real ones"

# Records on stdin.
printf '{"kind":"task","taskArn":"%s","clusterArn":"%s"}\n' "$task" \
	"$cluster_arn" | run --container app -- echo from-task-record
is "$?:$(cat "$out")" "0:from-task-record" "a task record with --container"

printf '\xef\xbb\xbf{"kind":"container","taskArn":"%s","clusterArn":"%s","name":"app"}\r\n' \
	"$task" "$cluster_arn" | run -- echo from-container-record
is "$?:$(cat "$out")" "0:from-container-record" \
	"a container record with BOM and CRLF"

printf '{"taskArn":"%s","clusterArn":"%s","containerArn":"x","name":"app"}\n' \
	"$task" "$cluster_arn" | run -- echo kindless
is "$?:$(cat "$out")" "0:kindless" "a record without kind"

printf '{"kind":"task","taskArn":"%s","clusterArn":"%s"}\nnot json\n' \
	"$task" "$cluster_arn" | run --container app -- echo never
is $? 255 "a malformed record line exits 255"
like "$(cat "$err")" "stdin:2:" "the error names line 2"
is "$(cat "$out")" "" "nothing runs when a line is malformed"

printf '{"kind":"cluster","clusterArn":"%s"}\n' "$cluster_arn" |
	run -- true
like "$(cat "$err")" "not a task or container record" \
	"a cluster record is rejected"

# --check.
run --check -o json --task "$plain" --container app
is $? 1 "--check exits 1 when a check fails"
is "$(jq -r 'select(.check == "exec-enabled") | .status' "$out")" "fail" \
	"--check reports exec-enabled as failed"
is "$(jq -r 'select(.check == "task") | .status' "$out")" "ok" \
	"--check reports the running task"
is "$(jq -r 'select(.check == "runtime-id") | .status' "$out")" "ok" \
	"--check finds the runtime id"
ok "$(jq -e -s 'all(.kind == "execCheck" and has("detail"))' "$out" \
	>/dev/null; echo $?)" "every --check record has kind and detail"

run --check -o json --task "$task"
is "$(jq -r 'select(.check == "container") | .status' "$out")" "fail" \
	"--check without a container on a two-container task fails"

# TargetNotConnectedException: retried while the agent connects.
front_ctl exec-set agent_connect_delay=2 >/dev/null
fresh=$(seed tasks c1 1 --exec)
run --task "$fresh" --container app -- echo connected </dev/null
is "$?:$(cat "$out")" "0:connected" \
	"TargetNotConnectedException right after the start is retried"
like "$(cat "$err")" "waiting for the agent" "the wait is announced"

front_ctl exec-set agent_connect_delay=0 target_not_connected=true >/dev/null
run --agent-wait 1 --task "$fresh" --container app -- true </dev/null
is $? 255 "an agent that never connects exits 255"
like "$(cat "$err")" "TargetNotConnectedException" "the AWS error is shown"
like "$(cat "$err")" "ssmmessages" "the usual causes are explained"
front_ctl exec-set target_not_connected=false >/dev/null

# Handshakes.
front_ctl exec-set handshake=plain >/dev/null
run --task "$task" --container app -- echo shaken </dev/null
is "$?:$(cat "$out")" "0:shaken" "a session with a plain handshake"

key=$(aws kms create-key --query KeyMetadata.Arn --output text)
front_ctl exec-set handshake=kms "kms_key_id=$key" >/dev/null
printf 'in\001put\n' | run --task "$task" --container app -- \
	sh -c 'od -An -c; exit 6'
is $? 6 "a KMS-encrypted session returns the remote status"
is "$(tr -s ' ' <"$out")" " i n 001 p u t \n" \
	"input and output pass through KMS encryption exactly"
like "$(cat "$err")" "encrypted using AWS KMS" \
	"the agent's KMS notice is shown"
is "$(front_ctl exec-sessions | jq -r '.sessions[-1].handshake.result')" \
	"complete" "the KMS handshake completed"

front_ctl exec-set \
	kms_key_id=arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000 \
	>/dev/null
run --task "$task" --container app -- true </dev/null
is $? 255 "an unknown KMS key exits 255"
like "$(cat "$err")" "KMS encryption of the session failed: GenerateDataKey" \
	"the error names the failed KMS call"

front_ctl exec-set handshake=unknown-action kms_key_id= >/dev/null
run --task "$task" --container app -- echo x </dev/null
isnt $? 0 "an unknown handshake action does not succeed silently"
front_ctl exec-set handshake=none >/dev/null

# The task stops during the session.
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
aws ecs stop-task --cluster c1 --task "$task" --reason "test stop" >/dev/null
front_ctl exec-terminate "$sid" >/dev/null
wait $pid
is $? 255 "a session whose task stopped exits 255"
like "$(cat "$err")" "the task stopped during the session \(STOPPED: test stop\)" \
	"the message says the task stopped, with its reason"

done_testing
