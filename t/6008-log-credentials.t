#!/usr/bin/env bash
# ecs-log --follow resolves short-lived credentials again while it runs.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef cred >/dev/null
task=$(start_tasks c1 1 --task-definition cred)
stream=cred/app/$(task_id "$task")
base=$(($(now_ms) - 60000))
put_events /ecs/cred "$stream" "$base:one" "$((base + 1)):two" >/dev/null

# A credential_process helper that hands out the key in $dir/key, valid
# for five minutes: inside the ten-minute refresh window, so every request
# resolves credentials again.
dir=$TEST_SCRATCH/creds
mkdir -p "$dir"
cat >"$dir/helper" <<EOF
#!/bin/sh
echo x >>"$dir/calls"
key=\$(cat "$dir/key")
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "secret",
  "SessionToken": "token-%s", "Expiration": "%s"}\n' "\$key" "\$key" \
	"\$(date -u -d '+5 minutes' +%Y-%m-%dT%H:%M:%SZ)"
EOF
chmod +x "$dir/helper"
printf '[default]\nregion = us-east-1\ncredential_process = %s\n' \
	"$dir/helper" >"$dir/config"
echo FIRSTKEY >"$dir/key"

ctl clear-log
out=$TEST_SCRATCH/follow.out
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_CONFIG_FILE="$dir/config" \
	ecs-log --cluster c1 --task "$task" --follow --poll 0.2 </dev/null \
	>"$out" 2>"$TEST_SCRATCH/follow.err" &
follower=$!
at_exit "kill $follower 2>/dev/null"
wait_for_lines "$out" 2
ok $? "first key: events read"

# The helper now hands out another key, as a renewed session would.
echo SECONDKEY >"$dir/key"
sleep 1
put_events /ecs/cred "$stream" "$((base + 2)):three" >/dev/null
wait_for_lines "$out" 3
ok $? "second key: new events read"
kill "$follower"
wait "$follower"
is "$?" 143 "follow: stopped by SIGTERM"
is "$(cat "$TEST_SCRATCH/follow.err")" "" "follow: nothing on stderr"
is "$(jq -r .message "$out" | paste -sd,)" "one,two,three" \
	"follow: every event once"
is "$(requests | jq -r -s 'map(select(.operation == "GetLogEvents")
	| .accessKeyId) | unique | join(",")')" "FIRSTKEY,SECONDKEY" \
	"GetLogEvents signed with both keys"
is "$(requests | jq -r -s 'map(select(.operation == "GetLogEvents"))
	| last | .accessKeyId')" SECONDKEY "the last request uses the new key"
is "$(awk 'END { print (NR > 2) }' "$dir/calls")" 1 \
	"the helper ran again during the follow"
no_sanitizer_reports
done_testing
