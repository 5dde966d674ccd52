#!/usr/bin/env bash
# share/examples: every example script run against the demo estate, with
# its output checked. pick-with-fzf runs on a terminal through tmux with
# the real fzf.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/tmux.sh"

EXAMPLES=$TEST_DIR/../share/examples
[ -d "$EXAMPLES" ] || bail_out "share/examples not found at $EXAMPLES"

start_local_aws
python3 "$TEST_DIR/demo/seed-estate.py" >"$TEST_SCRATCH/estate.json" ||
	bail_out "seeding the demo estate failed (the error is above)"
estate=$TEST_SCRATCH/estate.json
worker_tasks=$(jq -r '.tasks.worker[] | split("/") | last' "$estate" | sort)
stopped_task=$(jq -r '.stopped | split("/") | last' "$estate")
err=$TEST_SCRATCH/err

# Every script in the directory has a check below.
is "$(cd "$EXAMPLES" && ls | grep -v '\.md$' | sort | paste -sd' ')" \
	"exec-newest-task follow-deployment oom-stopped-tasks pick-with-fzf run-on-service use-profile.sh" \
	"examples: each one is tested here"
for script in "$EXAMPLES"/*; do
	case "$script" in
	*.md) continue ;;
	*.sh) bash -n "$script" ;;
	*) [ -x "$script" ] && sh -n "$script" ;;
	esac
	ok $? "examples: $(basename "$script") is valid and executable"
done

# exec-newest-task: a third worker task started a second later is chosen.
sleep 1.1
newest=$(seed tasks ops 1 --service worker)
out=$("$EXAMPLES/exec-newest-task" ops worker worker echo newest \
	</dev/null 2>"$err")
is "$?" 0 "exec-newest-task: exit status 0"
is "$out" newest "exec-newest-task: command output"
is "$(front_ctl exec-sessions | jq -r '.sessions | last | .taskArn')" \
	"$newest" "exec-newest-task: the newest task"
is "$(cat "$err")" "" "exec-newest-task: nothing on stderr"
"$EXAMPLES/exec-newest-task" ops worker </dev/null 2>"$err"
is "$?" 2 "exec-newest-task: usage error"
like "$(cat "$err")" '^usage: exec-newest-task CLUSTER' \
	"exec-newest-task: usage message"

# run-on-service: every task, worst exit status.
all_tasks=$(printf '%s\n' $worker_tasks "${newest##*/}" | sort)
out=$("$EXAMPLES/run-on-service" ops worker worker sh -c 'echo ran' \
	</dev/null 2>"$err")
is "$?" 0 "run-on-service: exit status 0"
is "$(cut -d/ -f1 <<<"$out" | sort)" "$all_tasks" \
	"run-on-service: one line per task"
is "$(cut -d' ' -f2- <<<"$out" | sort -u)" ran "run-on-service: output"
"$EXAMPLES/run-on-service" ops worker worker sh -c 'exit 4' </dev/null \
	>/dev/null 2>&1
is "$?" 4 "run-on-service: remote exit status"

# oom-stopped-tasks: only the task stopped out of memory.
seed tasks ops 1 --service worker >"$TEST_SCRATCH/plain"
aws --endpoint-url "$AWS_ENDPOINT_URL" ecs stop-task --cluster ops \
	--task "$(cat "$TEST_SCRATCH/plain")" --reason "Scaling activity" \
	>/dev/null || diag "stop-task failed"
out=$("$EXAMPLES/oom-stopped-tasks" ops 2>"$err")
is "$?" 0 "oom-stopped-tasks: exit status 0"
is "$out" "$stopped_task	-	OutOfMemoryError: Container killed due to memory usage" \
	"oom-stopped-tasks: only the OOM task"
out=$("$EXAMPLES/oom-stopped-tasks" 2>"$err")
is "$(cut -f1 <<<"$out")" "$stopped_task" \
	"oom-stopped-tasks: every cluster by default"
out=$("$EXAMPLES/oom-stopped-tasks" prod 2>"$err")
is "$out" "" "oom-stopped-tasks: none in prod"

# follow-deployment: deployment records until COMPLETED, log lines meanwhile.
front_ctl set deployments=true deploy_seconds=1 >/dev/null
FOLLOW_GRACE=1 "$EXAMPLES/follow-deployment" ops worker --interval 1 \
	</dev/null >"$TEST_SCRATCH/follow.out" 2>"$TEST_SCRATCH/follow.err"
is "$?" 0 "follow-deployment: exit status 0"
is "$(jq -r 'select(.kind == "deployment") | .rolloutState' \
	"$TEST_SCRATCH/follow.err" | tail -n 1)" COMPLETED \
	"follow-deployment: ends with a completed deployment"
like "$(jq -r .message "$TEST_SCRATCH/follow.out" | sort -u | paste -sd,)" \
	'job 8812 done' "follow-deployment: worker log lines"
is "$(jq -r .logGroupName "$TEST_SCRATCH/follow.out" | sort -u)" /ecs/worker \
	"follow-deployment: only the worker's logs"
sleep 1
pgrep -f "ecs-log --follow --since 5m --cluster ops" >/dev/null
is "$?" 1 "follow-deployment: the log follower is stopped"

# use-profile.sh: the profile's keys and the region, in bash and zsh.
export AWS_CONFIG_FILE=$TEST_SCRATCH/aws-config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/aws-credentials
printf '[profile ops]\nregion = eu-west-1\n' >"$AWS_CONFIG_FILE"
printf '[ops]\naws_access_key_id = AKIAEXAMPLES00000001\naws_secret_access_key = examples-secret\n' \
	>"$AWS_SHARED_CREDENTIALS_FILE"
probe='use-profile ops eu-central-1 && echo "$AWS_ACCESS_KEY_ID $AWS_REGION"'
out=$(bash -c ". '$EXAMPLES/use-profile.sh'; $probe" 2>"$err")
is "$out" "AKIAEXAMPLES00000001 eu-central-1" "use-profile: bash"
if command -v zsh >/dev/null; then
	out=$(zsh -fc ". '$EXAMPLES/use-profile.sh'; $probe" 2>"$err")
	is "$out" "AKIAEXAMPLES00000001 eu-central-1" "use-profile: zsh"
fi
bash -c ". '$EXAMPLES/use-profile.sh'; use-profile missing" >/dev/null \
	2>"$err"
is "$?" 1 "use-profile: unknown profile fails"
like "$(cat "$err")" 'missing' "use-profile: error names the profile"
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
eval "$("$LOCAL_AWS" env --state-dir "$LOCAL_AWS_DIR")"

# pick-with-fzf: fzf chooses the cluster and the container on a terminal.
if command -v fzf >/dev/null; then
	TMUX_ENV="PATH='$EXAMPLES:$PATH' $(env | grep -E '^(AWS_|ECS_)' |
		sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/" | tr '\n' ' ')"
	tmux_start 140 40
	run_pick "pick-with-fzf"
	wait_screen 'ops' 20
	ok $? "pick-with-fzf: fzf lists the clusters"
	tmux_type "ops"
	tmux_keys Enter
	wait_screen 'log-router' 20
	ok $? "pick-with-fzf: fzf lists the containers"
	tmux_type "'worker"
	sleep 0.5
	tmux_keys Enter
	wait_screen '^# ?$' 20
	ok $? "pick-with-fzf: remote shell prompt"
	tmux_type 'echo fzf-$((6 * 7))'
	tmux_keys Enter
	wait_screen '^fzf-42$' 10
	ok $? "pick-with-fzf: remote command output"
	tmux_type exit
	tmux_keys Enter
	is "$(wait_rc 20)" 0 "pick-with-fzf: exit status 0"
	is "$(front_ctl exec-sessions | jq -r '.sessions | last | .containerName')" \
		worker "pick-with-fzf: session in the worker container"
else
	diag "fzf is not installed: pick-with-fzf is not tested"
	ok 1 "pick-with-fzf: fzf is installed"
fi

done_testing
