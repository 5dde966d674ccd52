#!/usr/bin/env bash
# The exec fixture serves `aws ecs execute-command` (the AWS CLI v1 of the
# test machine), with a stand-in for the session-manager-plugin built on
# the fixture's test client, since the official plugin is not packaged.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
task=$(seed tasks c1 1 --exec)
mkdir -p "$TEST_SCRATCH/plugin"
ln -s "$TEST_DIR/lib/session-manager-plugin" "$TEST_SCRATCH/plugin/"
export PATH="$TEST_SCRATCH/plugin:$PATH"
export FAKE_PLUGIN_LOG=$TEST_SCRATCH/plugin.json

out=$(timeout 120 aws ecs execute-command --cluster c1 --task "$task" \
	--container app --interactive \
	--command "sh -c 'echo from-cli; exit 4'" 2>"$TEST_SCRATCH/err")
is $? 0 "aws ecs execute-command exits 0"
like "$out" "from-cli" "the command's output reaches the AWS CLI's plugin"

seen=$(cat "$FAKE_PLUGIN_LOG")
like "$(jq -r .session.sessionId <<<"$seen")" '^ecs-execute-command-[0-9a-f]{17}$' \
	"the plugin gets the session id"
like "$(jq -r .session.streamUrl <<<"$seen")" '^ws://127\.0\.0\.1:[0-9]+/v1/data-channel/' \
	"the plugin gets a stream URL on 127.0.0.1"
ok "$(jq '.session.tokenValue > 0' <<<"$seen" | grep -qx true; echo $?)" \
	"the plugin gets a token"
runtime=$(ecs-ls tasks -c c1 -o json |
	jq -r '.containers[] | select(.name == "app") | .runtimeId')
is "$(jq -r .parameters.Target <<<"$seen")" "ecs:c1_${task##*/}_$runtime" \
	"the target names cluster, task and runtime id"
is "$(jq -r .region <<<"$seen")" "us-east-1" "the plugin gets the region"

ops=$(front_log | jq -r 'select(.service == "ecs") | .operation' | sort -u | tr '\n' ' ')
like "$ops" "ExecuteCommand" "the AWS CLI called ExecuteCommand on the front"
sessions=$(front_ctl exec-sessions)
is "$(jq '[.sessions[] | select(.command | tostring | test("from-cli"))] | length' <<<"$sessions")" 1 \
	"the fixture ran one session for the command"
is "$(jq '[.sessions[] | select(.command | tostring | test("from-cli")) | .exitStatus][0]' <<<"$sessions")" 4 \
	"the fixture records the remote exit status"
is "$(jq '[.sessions[].violations[]] | length' <<<"$sessions")" 0 \
	"no protocol violations"
done_testing
