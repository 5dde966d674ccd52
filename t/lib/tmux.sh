# Helpers for tests that drive a program on a terminal through tmux
# (sourced after test-lib.sh). Each test script gets its own tmux server
# on a socket in its scratch directory, so parallel scripts never meet.
#
# tmux_start [COLUMNS ROWS]  start a bash pane (no rc files, prompt "$ ")
# tmux_keys KEY...           send-keys (tmux key names: Enter, C-c, ...)
# tmux_type TEXT             type TEXT literally
# screen [-e]                the visible pane text (-e: with SGR codes)
# wait_screen REGEX [SECS]   poll the pane until a line matches REGEX
#                            (grep -E; trailing blanks are not kept)
# run_pick CMD               run CMD in the pane; its exit status goes
#                            to $TEST_SCRATCH/rc (see wait_rc)
# wait_rc [SECS]             wait for that status and print it

TMUX_SOCKET=$TEST_SCRATCH/tmux.sock

tmux_cmd()
{
	tmux -S "$TMUX_SOCKET" "$@"
}

tmux_start()
{
	command -v tmux >/dev/null || bail_out "tmux is not installed"
	tmux_cmd -f /dev/null new-session -d -s pick -x "${1:-120}" \
		-y "${2:-30}" "env -i PATH='$PATH' HOME='$TEST_SCRATCH' \
TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' HISTFILE=/dev/null ${TMUX_ENV:-} \
bash --norc --noprofile" ||
		bail_out "cannot start tmux"
	at_exit "tmux -S '$TMUX_SOCKET' kill-server 2>/dev/null"
	tmux_cmd send-keys -t pick "cd '$TEST_SCRATCH'" Enter
	wait_screen '^\$$' 10 >/dev/null
}

tmux_keys()
{
	tmux_cmd send-keys -t pick "$@"
}

tmux_type()
{
	tmux_cmd send-keys -t pick -l "$1"
}

screen()
{
	tmux_cmd capture-pane -t pick -p "$@"
}

# Polls every 0.1 s. On time out the screen goes to the TAP diagnostics
# and the status is 1, so the check after it fails with the reason.
wait_screen()
{
	local regex=$1 secs=${2:-15} i
	for ((i = 0; i < secs * 10; i++)); do
		if screen | grep -qE -- "$regex"; then
			return 0
		fi
		sleep 0.1
	done
	diag "timed out after ${secs}s waiting for /$regex/ on the screen:
$(screen)"
	return 1
}

run_pick()
{
	rm -f "$TEST_SCRATCH/rc"
	tmux_type "$1; echo \$? >'$TEST_SCRATCH/rc'"
	tmux_keys Enter
}

wait_rc()
{
	local secs=${1:-15} i
	for ((i = 0; i < secs * 10; i++)); do
		if [ -s "$TEST_SCRATCH/rc" ]; then
			cat "$TEST_SCRATCH/rc"
			return 0
		fi
		sleep 0.1
	done
	diag "timed out after ${secs}s waiting for the program to exit:
$(screen)"
	echo timeout
	return 1
}
