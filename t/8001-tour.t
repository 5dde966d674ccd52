#!/usr/bin/env bash
# README tour: every pipeline of "A 30-second tour", exactly as the README
# writes it, against the demo estate. The picker runs on a terminal
# through tmux; the scripted forms use --filter and --select-1. A pipeline
# added to the README without a check here fails, and so does a check
# whose pipeline left the README.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/tmux.sh"

README=$TEST_DIR/../README.md
[ -f "$README" ] || bail_out "README.md not found at $README"

start_local_aws
python3 "$TEST_DIR/demo/seed-estate.py" >"$TEST_SCRATCH/estate.json" ||
	bail_out "seeding the demo estate failed (the error is above)"
estate=$TEST_SCRATCH/estate.json
worker_tasks=$(jq -r '.tasks.worker[] | split("/") | last' "$estate" | sort)
web_tasks=$(jq -r '.tasks.web[] | split("/") | last' "$estate" | sort)

# The profile "ops" of the ecs-creds pipeline, as the demo writes it.
export AWS_CONFIG_FILE=$TEST_SCRATCH/aws-config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/aws-credentials
printf '[profile ops]\nregion = eu-west-1\n' >"$AWS_CONFIG_FILE"
printf '[ops]\naws_access_key_id = AKIATOURTEST00000001\naws_secret_access_key = tour-secret\n' \
	>"$AWS_SHARED_CREDENTIALS_FILE"

# The pane gets the local AWS environment; env -i in tmux_start drops
# everything else.
TMUX_ENV=$(env | grep -E '^(AWS_|ECS_)' | sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/" |
	tr '\n' ' ')
tmux_start 140 40

mapfile -t pipelines < <("$TEST_DIR/demo/tour-pipelines" "$README")
[ "${#pipelines[@]}" -ge 4 ]
ok $? "README tour has pipelines"

# Each check runs its pipeline ($1) and tests what it did.

check_pick_exec()
{
	run_pick "$1"
	wait_screen 'ops' 20
	ok $? "picker exec: clusters are listed"
	tmux_type "ops"
	wait_screen '^> ops' 10
	ok $? "picker exec: query typed"
	tmux_keys Enter
	wait_screen 'log-router' 20
	ok $? "picker exec: containers of ops are listed"
	tmux_type "'worker"
	tmux_keys Enter
	wait_screen '^# ?$' 20
	ok $? "picker exec: remote shell prompt"
	tmux_type 'echo tour-$((6 * 7))'
	tmux_keys Enter
	wait_screen '^tour-42$' 10
	ok $? "picker exec: remote shell runs a command"
	tmux_type 'exit'
	tmux_keys Enter
	is "$(wait_rc 20)" 0 "picker exec: exit status 0"

	local session
	session=$(front_ctl exec-sessions | jq -c '.sessions | last')
	is "$(jq -r .containerName <<<"$session")" worker \
		"picker exec: session in the worker container"
	like "$(jq -r .taskArn <<<"$session")" "/($(paste -sd'|' <<<"$worker_tasks"))\$" \
		"picker exec: session in a worker task"
	tmux_keys C-l
}

check_pick_follow()
{
	local api_task
	api_task=$(jq -r '.tasks.api[0] | split("/") | last' "$estate")
	run_pick "$1"
	wait_screen 'worker|api' 20
	ok $? "picker follow: services are listed"
	unlike "$(screen)" 'worker' "picker follow: only prod services listed"
	tmux_keys Tab Tab Enter
	wait_screen 'listening on :8080' 20
	ok $? "picker follow: web events printed"
	wait_screen 'slow query' 20
	ok $? "picker follow: api events printed"

	jq -cn --argjson ts "$(($(date +%s) * 1000))" \
		'{timestamp: $ts, message: "tour follow marker"}' |
		python3 "$TEST_DIR/lib/logseed.py" events /ecs/api \
			"api/api/$api_task"
	wait_screen 'tour follow marker' 30
	ok $? "picker follow: a new event is followed"
	tmux_keys C-c
	is "$(wait_rc 20)" 130 "picker follow: Ctrl-C ends it with 130"
	tmux_keys C-l
}

check_filter_exec()
{
	local out
	out=$(bash -c "$1" </dev/null 2>"$TEST_SCRATCH/err")
	is "$?" 0 "filter exec: exit status 0"
	is "$(cut -d/ -f1 <<<"$out" | sort)" "$worker_tasks" \
		"filter exec: one line from each worker task"
	is "$(cut -d' ' -f1 <<<"$out" | cut -d/ -f2 | sort -u)" "worker:" \
		"filter exec: only worker containers"
	like "$(head -n 1 <<<"$out")" 'load average' "filter exec: uptime output"
	is "$(cat "$TEST_SCRATCH/err")" "" "filter exec: nothing on stderr"
}

check_select_log()
{
	local out
	out=$(bash -c "$1" </dev/null 2>"$TEST_SCRATCH/err")
	is "$?" 0 "select log: exit status 0"
	is "$(jq -r .logGroupName <<<"$out" | sort -u)" /ecs/web \
		"select log: only the web service"
	is "$(jq -r .container <<<"$out" | sort -u | paste -sd,)" app,nginx \
		"select log: both containers"
	is "$(jq -r '.taskArn | split("/") | last' <<<"$out" | sort -u)" \
		"$web_tasks" "select log: both tasks"
	is "$(wc -l <<<"$out")" 12 "select log: every event"
	is "$(jq -s 'map(.timestamp) | . == sort' <<<"$out")" true \
		"select log: events in time order"
	is "$(cat "$TEST_SCRATCH/err")" "" "select log: nothing on stderr"
}

check_audit_log()
{
	local out
	out=$(bash -c "$1" </dev/null 2>"$TEST_SCRATCH/err")
	is "$?" 0 "audit log: exit status 0"
	is "$(jq -r .sessionId <<<"$out" | uniq | paste -sd,)" \
		"ecs-execute-command-0d1e2f3a4b5c6d7e8,alice-0a1b2c3d4e5f60718" \
		"audit log: both sessions, oldest first"
	is "$(jq -r '.user // empty' <<<"$out" | sort -u)" alice \
		"audit log: the user of an SSM session"
	is "$(jq -r .logGroupName <<<"$out" | sort -u)" /ecs/ops/exec-audit \
		"audit log: the ops cluster's group"
	is "$(cat "$TEST_SCRATCH/err")" "" "audit log: nothing on stderr"
}

check_creds_export()
{
	local out
	out=$(bash -c "$1"'; printf "%s\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"' \
		</dev/null 2>"$TEST_SCRATCH/err")
	is "$?" 0 "creds export: exit status 0"
	is "$out" "AKIATOURTEST00000001
tour-secret" "creds export: the profile's keys are exported"
	is "$(cat "$TEST_SCRATCH/err")" "" "creds export: nothing on stderr"
}

declare -A checks=(
	["ecs-ls clusters | ecs-pick | ecs-ls containers | ecs-pick | ecs-exec"]=check_pick_exec
	["ecs-ls services --cluster prod | ecs-pick -m | ecs-log --follow"]=check_pick_follow
	["ecs-ls clusters | ecs-pick --filter ops | ecs-ls containers | ecs-pick --filter \"'worker\" | ecs-exec -- uptime"]=check_filter_exec
	["ecs-ls services --cluster prod | ecs-pick --select-1 --query web | ecs-log --since 10m"]=check_select_log
	["ecs-log --cluster ops --exec-sessions --since 1d"]=check_audit_log
	["eval \"\$(ecs-creds --profile ops --export)\""]=check_creds_export
)

declare -A seen=()
for pipeline in "${pipelines[@]}"; do
	seen[$pipeline]=1
	if [ -z "${checks[$pipeline]:-}" ]; then
		ok 1 "README pipeline has a check: $pipeline"
		continue
	fi
	note "running: $pipeline"
	"${checks[$pipeline]}" "$pipeline"
done
for pipeline in "${!checks[@]}"; do
	[ -n "${seen[$pipeline]:-}" ]
	ok $? "checked pipeline is in the README: $pipeline"
done

done_testing
