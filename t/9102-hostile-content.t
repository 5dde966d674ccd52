#!/usr/bin/env bash
# Escape sequences and invalid bytes inside container names, task tags,
# log messages, input records and exec output: what the programs draw on a
# terminal (ecs-ls tables, ecs-log text, ecs-pick's screen, stderr) shows
# them as visible text, never as commands to the terminal, while JSON
# records keep the bytes exactly. ecs-exec passes the remote program's
# output through unchanged, as a remote shell must.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"
. "$TEST_DIR/lib/tmux.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"

# CSI clear screen and cursor moves, OSC 52 (clipboard write), OSC 0 and
# OSC 2 (window title, ended by BEL and by ST), U+009B (the C1 CSI as
# UTF-8), DEL and a tab. AWS strings are JSON, so they are valid UTF-8;
# raw bytes come in through records and exec output below.
HOSTILE=$'A\e[2J\e[5;5H\e]52;c;SE9TVElMRQ==\a\e]0;hostile-title\a'
HOSTILE+=$'\e]2;hostile-title2\e\\\xc2\x9b31m\x7fZ\tB'
# The same with bytes that are not UTF-8: a lone C1 CSI and 0xff 0xfe.
RAW_HOSTILE=$HOSTILE$'\x9b2J\xff\xfeC'
# A JSON string may hold invalid UTF-8 but no raw control character.
RAW_JSON_STRING=$'raw \x9b2J\xff\xfeC'

# no_terminal_controls NAME FILE: FILE holds no ESC, BEL, C1 control
# (raw or UTF-8 encoded) and no invalid UTF-8.
no_terminal_controls()
{
	local name=$1 file=$2
	is "$(tr -dc '\033\007' <"$file" | wc -c)" 0 "$name: no ESC or BEL"
	is "$(LC_ALL=C grep -c $'\xc2[\x80-\x9f]' "$file")" 0 \
		"$name: no encoded C1 control"
	iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1
	ok $? "$name: valid UTF-8 only"
}

start_local_aws
seed taskdef hostile --containers "$(jq -cn --arg n "$HOSTILE" \
	'[{name: $n, image: "nginx", memory: 256, essential: true,
	logConfiguration: {logDriver: "awslogs", options: {
	"awslogs-group": "/ecs/hostile", "awslogs-region": "us-east-1",
	"awslogs-stream-prefix": "h"}}}]')" >/dev/null
task=$(seed tasks c1 1 --task-definition hostile)
python3 - "$task" "$HOSTILE" <<'EOF'
import os, sys
import boto3
client = boto3.client("ecs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
client.tag_resource(resourceArn=sys.argv[1],
                    tags=[{"key": "team", "value": sys.argv[2]}])
EOF
put_events /ecs/hostile "h/$HOSTILE/$(task_id "$task")" \
	"$(now_ms):$HOSTILE" >/dev/null

# JSON records keep every byte.
ecs-ls tasks -c c1 </dev/null >tasks.ndjson
is "$(jq -r '.tags[0].value' tasks.ndjson)" "$HOSTILE" \
	"task record: the tag value is exact"
ecs-ls containers <tasks.ndjson >containers.ndjson
is "$(jq -r .name containers.ndjson)" "$HOSTILE" \
	"container record: the name is exact"
ecs-log -c c1 -t "$task" </dev/null >events.ndjson 2>log.err
is "$(jq -r .message events.ndjson)" "$HOSTILE" \
	"log event record: the message is exact"
is "$(jq -r .container events.ndjson)" "$HOSTILE" \
	"log event record: the container name is exact"
is "$(jq -r .logStreamName events.ndjson)" "h/$HOSTILE/$(task_id "$task")" \
	"log event record: the stream name is exact"

# ecs-ls tables.
ecs-ls containers -o table <tasks.ndjson >containers.table
no_terminal_controls "containers table" containers.table
like "$(cat containers.table)" 'A\^\[\[2J\^\[\[5;5H\^\[\]52;c;' \
	"containers table: ESC is shown as ^["
like "$(cat containers.table)" '\\u009b31m' \
	"containers table: the C1 control is shown escaped"
ecs-ls tasks -c c1 -o tsv </dev/null >tasks.tsv
no_terminal_controls "tasks tsv" tasks.tsv

# ecs-log text output, and the warning that quotes a stream name.
ecs-log -c c1 -t "$task" -o text </dev/null >events.text 2>&1
no_terminal_controls "log text" events.text
like "$(cat events.text)" 'A\^\[\[2J' "log text: ESC is shown as ^["
front_ctl fault GetLogEvents error 400 AccessDeniedException \
	"no access to $HOSTILE" >/dev/null
ecs-log -c c1 -t "$task" </dev/null >/dev/null 2>stderr.text
isnt "$(wc -c <stderr.text)" 0 "an error quoting hostile names is printed"
no_terminal_controls "error message" stderr.text
like "$(cat stderr.text)" 'no access to A\^\[\[2J' \
	"error message: the AWS message is shown with ^["

# Input records with raw bytes: ecs-pick's errors and its chosen output.
jq -cn --arg n "$HOSTILE" '{name: $n, id: "a"}' >records.ndjson
printf '{"name":"%s","id":"b"}\n' "$RAW_JSON_STRING" >>records.ndjson
printf 'not json %s\n' "$RAW_HOSTILE" >bad.ndjson
ecs-pick -f '' <bad.ndjson >/dev/null 2>pick.err
is $? 2 "a malformed line is an error"
no_terminal_controls "ecs-pick error message" pick.err
ecs-pick --no-sort -f '' <records.ndjson >picked.ndjson 2>/dev/null
cmp -s records.ndjson picked.ndjson
ok $? "ecs-pick --filter writes the records byte for byte"

# ecs-pick --via: the external picker draws the display lines itself, so
# they reach it neutralised too.
mkdir -p via
cat >via/fzf <<'EOF'
#!/bin/sh
cat >via.stdin
head -n 1 via.stdin
EOF
chmod +x via/fzf
PATH=$TEST_SCRATCH/via:$PATH ecs-pick --via fzf <records.ndjson >via.out
is $? 0 "ecs-pick --via with hostile records exits 0"
no_terminal_controls "display lines for --via" via.stdin
is "$(cat via.out)" "$(head -n 1 records.ndjson)" \
	"ecs-pick --via writes the chosen record byte for byte"

# ecs-pick, ecs-ls and ecs-log on a terminal: the screen shows the text,
# while the window title, the clipboard (OSC 52 would add a tmux buffer
# with set-clipboard on) and the layout are untouched.
# The pane starts with an empty environment but for TMUX_ENV.
for var in AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	AWS_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE \
	AWS_EC2_METADATA_DISABLED NO_PROXY; do
	TMUX_ENV+=" $var=${!var}"
done
tmux_start 100 30
tmux_cmd set-option -g set-clipboard on
tmux_cmd set-option -g allow-rename on
tmux_cmd set-option -g allow-passthrough off 2>/dev/null
title=$(tmux_cmd display-message -p -t pick '#{pane_title}')

terminal_untouched()
{
	local name=$1
	is "$(tmux_cmd display-message -p -t pick '#{pane_title}')" \
		"$title" "$name: the window title is unchanged"
	is "$(tmux_cmd list-buffers 2>/dev/null | wc -l)" 0 \
		"$name: nothing was written to the clipboard"
}

cat tasks.ndjson containers.ndjson records.ndjson >pick-in.ndjson
run_pick "ecs-pick --preview .tags <pick-in.ndjson >pick-out.ndjson"
wait_screen '4/4'
ok $? "ecs-pick shows the four records"
screen >pick.screen
like "$(cat pick.screen)" 'A\^\[\[2J\^\[\[5;5H' \
	"ecs-pick: ESC in a name is shown as ^["
like "$(cat pick.screen)" '\\x9b2J\\xff\\xfeC' \
	"ecs-pick: raw C1 and invalid bytes are shown as \\xNN"
like "$(cat pick.screen)" '"value": "A\\u001b\[2J' \
	"ecs-pick: the preview shows the tag JSON-escaped"
like "$(sed -n 2p pick.screen)" '4/4' \
	"ecs-pick: the counter stays on its line"
terminal_untouched "ecs-pick"
tmux_type 'raw'
wait_screen '1/4'
tmux_keys Enter
is "$(wait_rc)" 0 "ecs-pick: a hostile record can be chosen"
is "$(cat pick-out.ndjson)" "$(tail -n 1 pick-in.ndjson)" \
	"ecs-pick: the chosen record is written byte for byte"

tmux_keys C-l
tmux_type "ecs-ls containers <tasks.ndjson; ecs-log -c c1 -t $task </dev/null"
tmux_keys Enter
wait_screen 'hostile-title2'
ok $? "ecs-ls and ecs-log draw the hostile text"
terminal_untouched "ecs-ls and ecs-log"
is "$(screen | grep -c 'A^\[\[2J')" 2 \
	"ecs-ls and ecs-log: one visible line each"

# ecs-exec: the remote program owns the terminal, as with ssh, so its
# output is passed through unchanged, to a pipe and to a terminal.
front_ctl clear-faults >/dev/null
exec_task=$(seed tasks c1 1 --exec)
printf '%s' "$RAW_HOSTILE" >expected.bin
# The bytes as a printf format of octal escapes: \101\033...
format=$(od -An -v -to1 expected.bin | tr -s ' \n' '  ' |
	sed 's/^ //; s/ $//; s/ /\\/g; s/^/\\/')
ecs-exec -c c1 --task "$exec_task" --container app -- \
	/bin/sh -c "printf '$format'" </dev/null >exec.bin 2>exec.err
is $? 0 "ecs-exec with hostile output exits 0"
cmp -s expected.bin exec.bin
ok $? "ecs-exec: a pipe gets the remote bytes exactly" ||
	diag "$(od -c exec.bin | head -5; cat exec.err)"

# in_pane CMD: runs CMD in the pane and waits for it to end.
in_pane()
{
	run_pick "$1"
	wait_rc >/dev/null
}

tmux_keys C-l
in_pane "stty -a >stty.before"
run_pick "ecs-exec -c c1 --task $exec_task --container app -- /bin/sh -c \"printf '\\\\033]2;exec-title\\\\007'\""
is "$(wait_rc 30)" 0 "ecs-exec on a terminal exits 0"
for ((i = 0; i < 20; i++)); do
	[ "$(tmux_cmd display-message -p -t pick '#{pane_title}')" = exec-title ] &&
		break
	sleep 0.1
done
is "$(tmux_cmd display-message -p -t pick '#{pane_title}')" exec-title \
	"ecs-exec on a terminal: the remote output reaches it unchanged"
in_pane "stty -a >stty.after"
is "$(cat stty.after)" "$(cat stty.before)" \
	"ecs-exec on a terminal: the terminal modes are restored"

no_sanitizer_reports
done_testing
