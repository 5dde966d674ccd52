#!/usr/bin/env bash
# ecs-pick --via: display lines go to another picker and its answer maps
# back to the records, even when display lines repeat.
. "$(dirname "$0")/lib/test-lib.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"
mkdir bin

# Two records share a display line; only their ids differ.
cat >dup.ndjson <<'JSON'
{"name":"web","id":"a1"}
{"name":"api","id":"b2"}
{"name":"web","id":"c3"}
JSON
# --format keeps the lines equal: the id is not shown.
fmt='.name'

out=$(ecs-pick --via 'fzf --filter web' --format "$fmt" <dup.ndjson)
is "$?" 0 "via fzf: exit status 0"
is "$(jq -r .id <<<"$out" | tr '\n' ' ')" "a1 c3 " \
	"via fzf: both equal lines map to their own records"

out=$(ecs-pick --via 'fzf --filter zzz' --format "$fmt" <dup.ndjson)
is "$?" 1 "via fzf: no match is exit status 1"

out=$(ECS_PICK_VIA='fzf --filter api' ecs-pick --format "$fmt" <dup.ndjson)
is "$(jq -r .id <<<"$out")" b2 "ECS_PICK_VIA sets the picker"

out=$(ECS_PICK_VIA='fzf --filter api' ecs-pick --filter web --format "$fmt" \
	<dup.ndjson | jq -r .id | tr '\n' ' ')
is "$out" "a1 c3 " "--filter wins over ECS_PICK_VIA"

# A command that prints the last line it reads: the repeated "web" line
# was made unique, so the third record comes back, not the first.
out=$(ecs-pick --via 'tail -n 1' --format "$fmt" <dup.ndjson)
is "$(jq -r .id <<<"$out")" c3 "via a command: a repeated line maps back"
out=$(ecs-pick --via 'head -n 1' --format "$fmt" <dup.ndjson)
is "$(jq -r .id <<<"$out")" a1 "via a command: the first of equal lines"
ecs-pick --via 'cat >shown' --format "$fmt" <dup.ndjson >/dev/null
is "$(cat shown)" "$(printf 'web\napi\nweb (3)')" \
	"via a command: repeats get a (N) suffix"

out=$(ecs-pick --via 'echo something else' --format "$fmt" <dup.ndjson)
is "$?" 1 "an answer that names no record is exit status 1"
is "$out" "" "and prints nothing"

# Multi-selection keeps input order whatever order the picker answers.
out=$(ecs-pick -m --via 'tac' --format "$fmt" <dup.ndjson | jq -r .id |
	tr '\n' ' ')
is "$out" "a1 b2 c3 " "chosen records come out in input order"

# Exit statuses of the picker.
ecs-pick --via 'exit 130' <dup.ndjson >/dev/null
is "$?" 130 "a picker aborted with 130 gives 130"
ecs-pick --via 'exit 1' <dup.ndjson >/dev/null
is "$?" 1 "a picker exiting 1 gives 1"
ecs-pick --via 'exit 3' <dup.ndjson >/dev/null 2>err
is "$?" 2 "any other failure gives 2"
like "$(cat err)" 'failed with exit status 3' "and names the status"
ecs-pick --via 'no-such-picker-here' <dup.ndjson >/dev/null 2>err
is "$?" 2 "a missing picker gives 2"
like "$(cat err)" 'command not found' "and says it was not found"

# rofi answers with the line's position (-format i); dmenu with the line.
cat >bin/rofi <<'SH'
#!/bin/sh
echo "$*" >"$(dirname "$0")/rofi.args"
cat >/dev/null
echo 2
SH
cat >bin/dmenu <<'SH'
#!/bin/sh
echo "$*" >"$(dirname "$0")/dmenu.args"
grep -F 'web (3)'
SH
chmod +x bin/rofi bin/dmenu
out=$(PATH=$PWD/bin:$PATH ecs-pick --via rofi --prompt 'task> ' \
	--format "$fmt" <dup.ndjson)
is "$(jq -r .id <<<"$out")" c3 "via rofi: the position maps back"
like "$(cat bin/rofi.args)" '-dmenu -format i -p task> ' \
	"via rofi: asks for the position"
out=$(PATH=$PWD/bin:$PATH ecs-pick --via dmenu --format "$fmt" <dup.ndjson)
is "$(jq -r .id <<<"$out")" c3 "via dmenu: the suffixed line maps back"
is "$(cat bin/dmenu.args)" '-p > ' "via dmenu: the prompt is passed"

# fzf gets the index column hidden and our options passed on.
cat >bin/fzf <<'SH'
#!/bin/sh
for a in "$@"; do echo "$a"; done >"$(dirname "$0")/fzf.args"
head -n 1
SH
chmod +x bin/fzf
out=$(PATH=$PWD/bin:$PATH ecs-pick --via fzf -m -q we --header 'H' \
	--height 40% <dup.ndjson)
is "$(jq -r .id <<<"$out")" a1 "via fzf: the index column maps back"
args=$(tr '\n' ' ' <bin/fzf.args)
like "$args" '--with-nth=2\.\. ' "via fzf: the index column is hidden"
like "$args" '--multi --query we ' "via fzf: -m and -q are passed"
like "$args" '--header H ' "via fzf: --header is passed"
like "$args" '--height=40% ' "via fzf: --height is passed"

# The picker may answer while the producer still writes.
mkfifo feed
(printf '{"name":"first"}\n'; sleep 30) >feed &
writer=$!
at_exit "kill $writer 2>/dev/null"
start=$(date +%s)
out=$(ecs-pick --via 'head -n 1' <feed)
is "$(jq -r .name <<<"$out")" first "an early answer is printed"
ok $(($(date +%s) - start < 20 ? 0 : 1)) \
	"and ecs-pick exits without waiting for the end of input"

# Malformed input lines still make the status 2 after the choice.
printf '{"name":"ok"}\nbroken\n' >bad.ndjson
out=$(ecs-pick --via 'head -n 1' <bad.ndjson 2>err)
is "$?" 2 "malformed input lines give exit status 2"
is "$(jq -r .name <<<"$out")" ok "the choice is still printed"
like "$(cat err)" 'stdin:2: invalid JSON' "the bad line is named"

done_testing
