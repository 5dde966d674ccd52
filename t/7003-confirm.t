#!/usr/bin/env bash
# ecs-update and ecs-stop: the confirmation on /dev/tty (answered through
# a pseudo-terminal), the refusal without a terminal and without --yes,
# and read-only mode from ECS_READ_ONLY and from the config file.
. "$(dirname "$0")/lib/test-lib.sh"

PTY_RUN=$TEST_DIR/lib/pty-run.py
unset ECS_READ_ONLY
export XDG_CONFIG_HOME=$TEST_SCRATCH/xdg
CONFIG=$XDG_CONFIG_HOME/ecs-tools/config
mkdir -p "${CONFIG%/*}"

# pty ANSWER COMMAND: runs COMMAND (a shell line) on a pseudo-terminal,
# typing ANSWER at the y/N question; $res is pty-run's JSON.
pty()
{
	res=$("$PTY_RUN" --timeout 30 --answer "\[y/N\] =$1" -- sh -c "$2")
}

p()
{
	jq -r "$1" <<<"$res"
}

count()
{
	front_log | jq -s --arg op "$1" 'map(select(.operation == $op)) | length'
}

# run ARGS...: a command with no terminal at all; $out, $err, $status.
run()
{
	out=$(setsid -w "$@" </dev/null 2>"$TEST_SCRATCH/err")
	status=$?
	err=$(cat "$TEST_SCRATCH/err")
}

start_local_aws
seed services c1 2 >/dev/null
seed tasks c1 2 --service svc-01 >/dev/null
seed tasks c1 1 >/dev/null
ecs-ls tasks -c c1 </dev/null >"$TEST_SCRATCH/tasks"
spare=$(seed tasks c1 1)

# ecs-update answered yes and no.
front_ctl clear-log >/dev/null
pty y "exec ecs-update -c c1 -s svc-01 --desired-count 2"
is "$(p .status)" 0 "update answered y exits 0"
like "$(p .tty)" "ecs-update: about to update 1 service:" \
	"update prompt: count"
like "$(p .tty)" "c1/svc-01: desiredCount 1 -> 2" "update prompt: the change"
like "$(p .tty)" "Update 1 service\? \[y/N\]" "update prompt: the question"
is "$(p .stdout | jq -r .desiredCount)" 2 "update y: record printed"
is "$(count UpdateService)" 1 "update y: UpdateService sent"

front_ctl clear-log >/dev/null
pty n "exec ecs-update -c c1 -s svc-02 --desired-count 2"
is "$(p .status)" 1 "update answered n exits 1"
like "$(p .stderr)" "not confirmed; nothing was changed" "update n: message"
is "$(p .stdout)" "" "update n: no record"
is "$(count UpdateService)" 0 "update n: nothing sent"

# ecs-stop answered no and yes, records on stdin.
front_ctl clear-log >/dev/null
pty no "exec ecs-stop <'$TEST_SCRATCH/tasks'"
is "$(p .status)" 1 "stop answered no exits 1"
like "$(p .tty)" "ecs-stop: about to stop 3 tasks:" "stop prompt: count"
like "$(p .tty)" "Services: c1/svc-01 \(2\); without a service: 1" \
	"stop prompt: services"
like "$(p .tty)" "Stop 3 tasks\? \[y/N\]" "stop prompt: the question"
is "$(count StopTask)" 0 "stop no: nothing stopped"

pty YES "exec ecs-stop <'$TEST_SCRATCH/tasks'"
is "$(p .status)" 0 "stop answered YES exits 0"
is "$(p .stdout | jq -r .desiredStatus | sort -u)" STOPPED \
	"stop YES: stopped records"
is "$(count StopTask)" 3 "stop YES: three StopTask"

# No terminal and no --yes: a usage error before any change.
front_ctl clear-log >/dev/null
run ecs-update -c c1 -s svc-02 --desired-count 3
is "$status" 2 "update without a terminal exits 2"
like "$err" "no terminal to confirm on \(/dev/tty: .*\); pass --yes" \
	"update without a terminal: message"
is "$(count UpdateService)" 0 "update without a terminal: nothing sent"
run ecs-stop -c c1 -t "$spare"
is "$status" 2 "stop without a terminal exits 2"
like "$err" "pass --yes" "stop without a terminal: message"
is "$(count StopTask)" 0 "stop without a terminal: nothing stopped"
run ecs-update -c c1 -s svc-02 --desired-count 3 --yes
is "$status" 0 "--yes needs no terminal"

# Read-only mode: nothing is sent at all, not even a Describe call.
front_ctl clear-log >/dev/null
ECS_READ_ONLY=1 run ecs-update -c c1 -s svc-02 --desired-count 4 --yes
is "$status" 1 "ECS_READ_ONLY=1: update exits 1"
is "$err" "ecs-update: refusing to update services: read-only mode is on (ECS_READ_ONLY=1); --dry-run shows what would change" \
	"ECS_READ_ONLY=1: update message"
ECS_READ_ONLY=1 run ecs-stop -c c1 -t "$spare" --yes
is "$status" 1 "ECS_READ_ONLY=1: stop exits 1"
like "$err" "refusing to stop tasks: read-only mode is on" \
	"ECS_READ_ONLY=1: stop message"
is "$(front_log | wc -l)" 0 "read-only: no request at all"
ECS_READ_ONLY=1 run ecs-update -c c1 -s svc-02 --desired-count 4 --dry-run
is "$status" 0 "read-only: dry run works"
is "$(jq -r .changes.desiredCount.to <<<"$out")" 4 "read-only: dry run output"
ECS_READ_ONLY=maybe run ecs-stop -c c1 -t "$spare" --yes
is "$status" 1 "invalid ECS_READ_ONLY counts as read-only"
like "$err" "ECS_READ_ONLY has the invalid value \"maybe\"" \
	"invalid ECS_READ_ONLY: message"

echo "read_only = true" >"$CONFIG"
run ecs-update -c c1 -s svc-02 --desired-count 4 --yes
is "$status" 1 "read_only = true: update exits 1"
like "$err" "read-only mode is on \(read_only = true in $CONFIG\)" \
	"read_only = true: message names the file"
ECS_READ_ONLY=0 run ecs-stop -c c1 -t "$spare" --yes
is "$status" 1 "ECS_READ_ONLY=0 does not lift the config file"
printf '# shared machine\nread_only = sometimes\n' >"$CONFIG"
run ecs-stop -c c1 -t "$spare" --yes
is "$status" 1 "invalid read_only exits 1"
like "$err" "$CONFIG:2: invalid read_only value \"sometimes\": expected true or false; fix the config file" \
	"invalid read_only: message"
printf 'readonly = true\nread_only = false\n' >"$CONFIG"
run ecs-stop -c c1 -t "$spare" --yes
is "$status" 0 "read_only = false allows changes"
like "$err" "$CONFIG:1: unknown key \"readonly\" ignored" \
	"unknown key: warning"
rm "$CONFIG"

mkdir -p "$TEST_SCRATCH/home/.config/ecs-tools"
echo "read_only = yes" >"$TEST_SCRATCH/home/.config/ecs-tools/config"
HOME=$TEST_SCRATCH/home XDG_CONFIG_HOME= run ecs-update -c c1 -s svc-02 \
	--desired-count 4 --yes
is "$status" 1 "~/.config/ecs-tools/config without XDG_CONFIG_HOME"
like "$err" "read_only = true in $TEST_SCRATCH/home/.config/ecs-tools/config" \
	"HOME config: message"

done_testing
