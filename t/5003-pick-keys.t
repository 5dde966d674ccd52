#!/usr/bin/env bash
# ecs-pick on a terminal (through tmux): typing, highlighting, keys,
# multi-select, abort statuses, suspend and resume, terminal restored.
. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/tmux.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"
for n in alpha-web beta-api gamma-web delta-worker epsilon-api zeta-web \
	eta-cron; do
	printf '{"name":"%s"}\n' "$n"
done >names.ndjson

tmux_start 100 20

# Typing narrows the list and the count follows.
run_pick "ecs-pick <names.ndjson >out"
wait_screen '7/7'
ok $? "the list shows all seven records"
tmux_type web
wait_screen '  3/7'
ok $? "typing 'web' leaves three matches"
like "$(screen | sed -n 1p)" '^> web' "the prompt shows the query"
like "$(screen -e)" $'\e\\[32mweb' "the matched characters are coloured"
tmux_keys Enter
is "$(wait_rc)" 0 "Enter exits 0"
is "$(jq -r .name out)" zeta-web \
	"Enter prints the selected record (the shortest of equal scores)"

# Movement keys.
run_pick "ecs-pick <names.ndjson >out"
wait_screen '7/7'
tmux_keys Down Down C-n C-j
wait_screen '> +epsilon-api'
tmux_keys Up C-p C-k
wait_screen '> +beta-api'
ok $? "Down, Ctrl-N, Ctrl-J move down and Up, Ctrl-P, Ctrl-K up"
tmux_keys PageDown
wait_screen '> +eta-cron'
ok $? "Page Down moves a page (to the last record)"
tmux_keys PageUp
wait_screen '> +alpha-web'
ok $? "Page Up moves back to the first record"
tmux_keys Enter
is "$(wait_rc)" 0 "the run after moving exits 0"

# Line editing: Ctrl-A/E/B/F/U/W and Backspace.
run_pick "ecs-pick <names.ndjson >out"
wait_screen '7/7'
tmux_type 'eta api'
wait_screen '> eta api'
tmux_keys C-w
wait_screen '> eta$'
ok $? "Ctrl-W deletes the previous word"
tmux_keys C-a
tmux_type x
wait_screen '> xeta'
ok $? "Ctrl-A moves to the start"
tmux_keys C-e BSpace BSpace
wait_screen '> xet$'
ok $? "Ctrl-E moves to the end, Backspace deletes"
tmux_keys C-b C-b C-f
tmux_type Z
wait_screen '> xeZt$'
ok $? "Ctrl-B and Ctrl-F move by one character"
tmux_keys C-u
wait_screen '> t$'
ok $? "Ctrl-U deletes to the start"
tmux_keys C-u BSpace
tmux_type 'zzzz'
wait_screen '  0/7'
tmux_keys Enter
is "$(wait_rc)" 1 "Enter with no match exits 1"
is "$(cat out)" "" "and prints nothing"

# Abort keys.
for key in Escape C-c C-g; do
	run_pick "ecs-pick <names.ndjson >out"
	wait_screen '7/7'
	tmux_keys "$key"
	is "$(wait_rc)" 130 "$key aborts with exit status 130"
done

# Multi-select: marks come out in input order.
run_pick "ecs-pick -m <names.ndjson >out"
wait_screen '7/7'
tmux_keys Down Down Tab
tmux_keys Up Up Up Tab BTab
wait_screen '3 marked'
ok $? "Tab and Shift-Tab mark records"
tmux_keys Enter
is "$(wait_rc)" 0 "multi-select exits 0"
is "$(jq -r .name out | tr '\n' ' ')" "alpha-web beta-api gamma-web " \
	"marked records come out in input order"
run_pick "ecs-pick <names.ndjson >out"
wait_screen '7/7'
tmux_keys Tab Enter
wait_rc >/dev/null
is "$(wc -l <out)" 1 "without -m Tab marks nothing"

# Terminal settings are restored after every exit path.
run_pick "stty -g >before; ecs-pick <names.ndjson >out; s=\$?; stty -g >after; (exit \$s)"
wait_screen '7/7'
tmux_keys Escape
wait_rc >/dev/null
is "$(cat after)" "$(cat before)" "terminal settings restored after abort"
for sig in TERM HUP; do
	run_pick "stty -g >before; ecs-pick <names.ndjson >out; s=\$?; stty -g >after; (exit \$s)"
	wait_screen '7/7'
	shell=$(tmux_cmd list-panes -t pick -F '#{pane_pid}')
	kill -"$sig" "$(pgrep -P "$shell" -x ecs-pick)"
	is "$(wait_rc)" $((128 + $(kill -l "$sig"))) \
		"SIG$sig ends the picker as that signal"
	is "$(cat after)" "$(cat before)" "terminal settings restored after SIG$sig"
	wait_screen '^\$$' 5
	ok $? "the shell prompt is back after SIG$sig"
done

# Suspend with Ctrl-Z and resume with fg.
rm -f rc
tmux_type "sh -c 'stty -g >before; ecs-pick <names.ndjson >out; echo \$? >rc'"
tmux_keys Enter
wait_screen '7/7'
tmux_type gam
wait_screen '1/7'
tmux_keys C-z
wait_screen 'Stopped'
ok $? "Ctrl-Z stops the job"
tmux_type 'stty -g >suspended.tmp && mv suspended.tmp suspended'
tmux_keys Enter
for ((i = 0; i < 100; i++)); do
	[ -s suspended ] && break
	sleep 0.1
done
is "$(cat suspended 2>/dev/null)" "$(cat before)" \
	"the terminal is restored while suspended"
tmux_keys C-l
tmux_type fg
tmux_keys Enter
wait_screen '> gam'
ok $? "fg brings the picker back with its query"
tmux_keys Enter
is "$(wait_rc)" 0 "the resumed picker still chooses"
is "$(jq -r .name out)" gamma-web "and prints the chosen record"

done_testing
