#!/usr/bin/env bash
# ecs-pick on a terminal (through tmux): streaming input, resize, preview,
# wide characters, escape sequences in data, layout options, and what
# happens without a terminal.
. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/tmux.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"
for n in alpha-web beta-api gamma-web; do
	printf '{"name":"%s","id":"id-%s"}\n' "$n" "$n"
done >names.ndjson

tmux_start 80 20

# Records appear while the input is still open, with a live count.
mkfifo feed
run_pick "ecs-pick <feed >out"
exec 3>feed
printf '{"name":"first"}\n' >&3
wait_screen '1/1 \(loading\)'
ok $? "the first record shows while input is still open"
printf '{"name":"second"}\n' >&3
wait_screen '2/2 \(loading\)'
ok $? "the count follows the input"
exec 3>&-
wait_screen '  2/2$'
ok $? "the loading mark goes when the input ends"
tmux_keys Enter
is "$(wait_rc)" 0 "a streamed record can be chosen"

# Choosing while the producer still writes ends the picker at once.
run_pick "ecs-pick <feed >out"
exec 3>feed
printf '{"name":"early"}\n' >&3
wait_screen '1/1 \(loading\)'
tmux_keys Enter
is "$(wait_rc)" 0 "a choice ends the picker while input is still open"
is "$(jq -r .name out)" early "and prints the record"
exec 3>&-

# --select-1 decides as soon as a second match arrives, before the end.
run_pick "ecs-pick -1 -q web <feed >out"
exec 3>feed
printf '{"name":"web-1"}\n' >&3
printf '{"name":"web-2"}\n' >&3
wait_screen '2/2 \(loading\)'
ok $? "--select-1 shows the list once two records match"
exec 3>&-
tmux_keys Escape
is "$(wait_rc)" 130 "and Escape still aborts"
run_pick "ecs-pick -1 -q gamma <names.ndjson >out"
is "$(wait_rc)" 0 "--select-1 with one match exits 0 at once"
is "$(jq -r .name out)" gamma-web "and prints that record"
run_pick "ecs-pick -0 -q nothing <names.ndjson >out"
is "$(wait_rc)" 1 "--exit-0 with no match exits 1 at once"

# Resize: the list is redrawn to the new width.
printf '{"name":"%s"}\n' "$(printf 'wide%.0s' {1..40})" >long.ndjson
run_pick "ecs-pick <long.ndjson >out"
wait_screen '1/1'
tmux_cmd resize-window -t pick -x 40 -y 10
wait_screen '^> widewide.*…$'
ok $? "after a resize the line is cut with an ellipsis"
width=$(($(screen | sed -n 3p | LC_ALL=C.UTF-8 wc -m) - 1))
ok $((width <= 40 ? 0 : 1)) "the cut line fits 40 columns (got $width)"
tmux_cmd resize-window -t pick -x 80 -y 20
wait_screen '^> (wide){19}w…$'
ok $? "after growing again the line uses 80 columns"
tmux_keys Escape
wait_rc >/dev/null

# Preview: a jq expression, then a command with the record on stdin.
run_pick "ecs-pick --preview .id <names.ndjson >out"
# A string result is shown as its text, as jq -r prints it.
wait_screen '│id-alpha-web'
ok $? "--preview shows the expression for the selected record"
tmux_keys Down
wait_screen '│id-beta-api'
ok $? "the preview follows the selection"
tmux_keys Escape
wait_rc >/dev/null
run_pick "ecs-pick --preview <names.ndjson >out"
wait_screen '│  "name": "alpha-web",'
ok $? "--preview alone shows the pretty record"
tmux_keys Escape
wait_rc >/dev/null
run_pick "ecs-pick --preview-cmd 'jq -r .name | tr a-z A-Z' <names.ndjson >out"
wait_screen '│ALPHA-WEB'
ok $? "--preview-cmd shows the command's output"
tmux_keys Down
wait_screen '│BETA-API'
ok $? "the command runs again for the new selection"
tmux_keys Escape
wait_rc >/dev/null

# Wide characters, combining marks, emoji and escape sequences.
cat >wide.ndjson <<'JSON'
{"name":"東京タワー 東京タワー 東京タワー 東京タワー 東京タワー 東京タワー 東京タワー"}
{"name":"cafe\u0301 🚀 launch"}
{"name":"evil \u001b[2J\u001b]0;title\u0007 done"}
JSON
run_pick "ecs-pick <wide.ndjson >out"
wait_screen '3/3'
tmux_cmd resize-window -t pick -x 30 -y 10
wait_screen '^> 東京タワー 東京タワー 東京…$'
ok $? "double-width text is cut on a character with an ellipsis"
like "$(screen)" $'cafe\xcc\x81 🚀 launch' \
	"combining mark and emoji are drawn"
like "$(screen)" 'evil \^\[\[2J' "ESC in data is shown as ^["
tmux_cmd resize-window -t pick -x 80 -y 20
tmux_type 'ワー 🚀'
wait_screen '0/3'
tmux_keys C-u
tmux_type 'タワ'
wait_screen '1/3'
ok $? "a wide-character query matches"
tmux_keys Escape
wait_rc >/dev/null

# Layout: --height, --header, --prompt, --tac; NO_COLOR.
tmux_keys C-l
run_pick "ecs-pick --height 5 --header 'PICK ONE' --prompt 'task> ' --tac <names.ndjson >out"
wait_screen '^task>$'
ok $? "--prompt sets the prompt"
like "$(screen)" 'PICK ONE' "--header shows above the list"
like "$(screen | grep -n 'gamma-web' | cut -d: -f2)" '^>' \
	"--tac puts the last record first"
rows=$(screen | grep -cE 'alpha-web|beta-api|gamma-web')
is "$rows" 2 "--height 5 leaves room for two records below the header"
tmux_keys Enter
is "$(wait_rc)" 0 "--height run exits 0"
is "$(jq -r .name out)" gamma-web "--tac selects the last record first"
run_pick "NO_COLOR=1 ecs-pick -q alp <names.ndjson >out"
wait_screen '1/3'
like "$(screen -e)" $'\e\\[([0-9]+;)*4malp' \
	"NO_COLOR underlines matches instead"
unlike "$(screen -e)" $'\e\\[32m' "NO_COLOR uses no colour"
tmux_keys Escape
wait_rc >/dev/null

# Records must come from a pipe or a file.
run_pick "ecs-pick 2>err"
is "$(wait_rc)" 2 "stdin on the terminal is exit status 2"
like "$(cat err)" 'no records on stdin' "and says where records come from"

# Without a terminal.
setsid -w ecs-pick <names.ndjson >out 2>err
is "$?" 2 "no terminal is exit status 2"
like "$(cat err)" 'cannot open the terminal /dev/tty' "and says why"
setsid -w ecs-pick -1 -q beta <names.ndjson >out 2>err
is "$?" 0 "no terminal but --select-1 with one match still works"
is "$(jq -r .name out)" beta-api "and prints the match"
setsid -w ecs-pick -1 -q web <names.ndjson >out 2>err
is "$?" 2 "no terminal and two matches is exit status 2"
setsid -w ecs-pick -0 -q nothing <names.ndjson >out 2>err
is "$?" 1 "no terminal but --exit-0 without matches exits 1"

done_testing
