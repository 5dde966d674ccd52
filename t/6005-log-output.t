#!/usr/bin/env bash
# ecs-log output: json, text and raw; a 1 MiB message; escape sequences
# never reach a terminal raw; colours off with NO_COLOR.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef out >/dev/null
task=$(start_tasks c1 1 --task-definition out)
id=$(task_id "$task")
stream=out/app/$id
base=$(($(now_ms) - 60000))

# One event of exactly 1 MiB, one with escape sequences, one of two lines.
python3 -c '
import json, sys
base = int(sys.argv[1])
print(json.dumps({"timestamp": base, "message": "A" * 1048575 + "Z"}))
print(json.dumps({"timestamp": base + 1,
                  "message": "\x1b[31mred\x1b[0m \x07bell\x1b]0;title\x07"}))
print(json.dumps({"timestamp": base + 2, "message": "line one\nline two\n"}))
' "$base" | logseed events /ecs/out "$stream"

log()
{
	ecs-log --cluster c1 --task "$task" "$@" </dev/null
}

# on_terminal CMD...: run CMD with stdout on a pseudo-terminal.
on_terminal()
{
	script -qec "$(printf '%q ' "$@")" /dev/null </dev/null | tr -d '\r'
}

out=$(log -o json)
is "$?" 0 "json: exit status 0"
is "$(jq -s length <<<"$out")" 3 "json: three records"
is "$(jq -s '.[0].message | length' <<<"$out")" 1048576 \
	"json: the 1 MiB message is whole"
is "$(jq -rs '.[0].message[-1:]' <<<"$out")" Z "json: its last byte kept"
is "$(jq -s '.[1].message' <<<"$out")" \
	'"\u001b[31mred\u001b[0m \u0007bell\u001b]0;title\u0007"' \
	"json: control characters escaped"
is "$(grep -c $'\x1b' <<<"$out")" 0 "json: no raw escape byte"
is "$(jq -s '.[2].message' <<<"$out")" '"line one\nline two\n"' \
	"json: newlines kept in the message"

out=$(log -o raw)
is "$(head -1 <<<"$out" | wc -c)" 1048577 "raw: the 1 MiB message on one line"
is "$(sed -n 2p <<<"$out")" $'\x1b[31mred\x1b[0m \x07bell\x1b]0;title\x07' \
	"raw into a pipe: message bytes unchanged"
is "$(sed -n '3,$p' <<<"$out")" $'line one\nline two' \
	"raw: the trailing newline is not doubled"

out=$(on_terminal ecs-log --cluster c1 --task "$task" -o raw)
is "$(sed -n 2p <<<"$out")" '^[[31mred^[[0m ^Gbell^[]0;title^G' \
	"raw on a terminal: escape sequences made visible"
is "$(printf '%s' "$out" | grep -c $'\x1b')" 0 \
	"raw on a terminal: no escape byte"

when=$(iso_ms "$((base + 1))")
out=$(NO_COLOR=1 on_terminal ecs-log --cluster c1 --task "$task")
is "$(sed -n 2p <<<"$out")" \
	"$when app/${id:0:8} ^[[31mred^[[0m ^Gbell^[]0;title^G" \
	"text on a terminal: time, container/task, sanitized message"
is "$(printf '%s' "$out" | grep -c $'\x1b')" 0 \
	"text with NO_COLOR: no escape byte at all"
is "$(sed -n '3,4p' <<<"$out")" "$(iso_ms "$((base + 2))") app/${id:0:8} line one
line two" "text: a message of two lines"

out=$(on_terminal ecs-log --cluster c1 --task "$task" --tail 1)
like "$out" $'^[0-9T:.-]+Z \x1b\\[[0-9;]+mapp/'"${id:0:8}"$'\x1b\\[0m line one' \
	"text with colour: the label is coloured"

out=$(log -o text)
is "$(sed -n 1p <<<"$out" | wc -c)" \
	"$((${#when} + 1 + 4 + 8 + 1 + 1048576 + 1))" \
	"text into a pipe: the 1 MiB message whole"
out=$(log -o table 2>&1)
is "$?" 2 "unknown format: exit status 2"
no_sanitizer_reports
done_testing
