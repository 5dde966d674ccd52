#!/usr/bin/env bash
# ecs-exec on a terminal, driven through tmux: the window size before the
# first keystroke and after a resize, Ctrl-C reaching the remote shell,
# the ~. escape, and the terminal restored after every ending.
. "$(dirname "$0")/lib/test-lib.sh"

command -v tmux >/dev/null || bail_out "tmux is not installed"
start_local_aws
task=$(seed tasks c1 1 --exec)
socket=$TEST_SCRATCH/tmux
export TMUX_TMPDIR=$TEST_SCRATCH
at_exit "tmux -S '$socket' kill-server 2>/dev/null"
status_file=$TEST_SCRATCH/status

tm() {
	tmux -S "$socket" "$@"
}

screen() {
	tm capture-pane -p -t t
}

# wait_for REGEX: waits up to 20 s for a line of the screen to match
# (grep -E; tmux drops trailing blanks).
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		screen | grep -qE "$1" && return 0
		sleep 0.1
	done
	diag "screen does not match '$1':
$(screen)"
	return 1
}

# A shell in tmux whose prompt and stty output tell the local terminal
# mode; ecs-exec runs from it as a user would.
tm new-session -d -s t -x 100 -y 30 "env PS1='local\$ ' bash --norc -i"
wait_for '^local\$' || bail_out "tmux did not start"
tm send-keys -t t "stty -g >'$TEST_SCRATCH/mode.before'" Enter

start_session() {
	rm -f "$status_file"
	tm send-keys -t t "clear; ecs-exec --task '$task' --container app \
2>'$TEST_SCRATCH/err'; echo \$? >'$status_file'" Enter
	wait_for '^#$' || diag "$(cat "$TEST_SCRATCH/err")"
}

mode_restored() {
	rm -f "$TEST_SCRATCH/mode.after"
	tm send-keys -t t "stty -g >'$TEST_SCRATCH/mode.after'" Enter
	for _ in $(seq 50); do
		[ -s "$TEST_SCRATCH/mode.after" ] && break
		sleep 0.1
	done
	is "$(cat "$TEST_SCRATCH/mode.after")" \
		"$(cat "$TEST_SCRATCH/mode.before")" "$1"
}

wait_status() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$status_file" ] && break
		sleep 0.1
	done
	cat "$status_file" 2>/dev/null
}

start_session
tm send-keys -t t "stty size" Enter
wait_for '^30 100$'
ok $? "the remote terminal has the local size from the start"
like "$(cat "$TEST_SCRATCH/err")" "session ecs-execute-command-" \
	"the session id is shown on stderr"
like "$(cat "$TEST_SCRATCH/err")" "audit log: " \
	"the audit log destination is shown on stderr"

tm resize-window -t t -x 120 -y 40
sleep 0.5
tm send-keys -t t "clear; stty size" Enter
wait_for '^40 120$'
ok $? "a resize reaches the remote terminal"

tm send-keys -t t "clear; echo sleep-started; sleep 30; echo after" Enter
wait_for '^sleep-started$'
sleep 0.2
tm send-keys -t t C-c
tm send-keys -t t "echo interrupted-\$?" Enter
wait_for '^interrupted-130$'
ok $? "Ctrl-C interrupts the remote command"

tm send-keys -t t "exit 5" Enter
is "$(wait_status)" 0 "a normal end exits 0"
mode_restored "the terminal is restored after a normal exit"

start_session
tm send-keys -t t "sleep 30" Enter
sleep 0.3
tm send-keys -t t Enter "~."
is "$(wait_status)" 255 "Enter ~. ends the session with 255"
mode_restored "the terminal is restored after ~."

# The connection dies and cannot be resumed.
start_session
front_ctl exec-set resumable=false >/dev/null
front_ctl exec-fault close tcp=true resume=false >/dev/null
tm send-keys -t t "echo trigger" Enter
is "$(wait_status)" 255 "a killed connection exits 255"
mode_restored "the terminal is restored after a killed connection"
front_ctl exec-set resumable=true >/dev/null

start_session
tm send-keys -t t "sleep 30" Enter
sleep 0.3
pkill -TERM -f "ecs-exec --task $task" 2>/dev/null
is "$(wait_status)" 143 "SIGTERM ends ecs-exec with 143"
mode_restored "the terminal is restored after SIGTERM"

done_testing
