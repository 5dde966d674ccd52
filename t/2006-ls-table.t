#!/usr/bin/env bash
# ecs-ls on a terminal: tables per kind fitted to the width, statuses in
# colour unless NO_COLOR, ages, and hostile strings made harmless while
# the records keep their bytes.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

command -v script >/dev/null ||
	bail_out "script(1) from util-linux is needed to give ecs-ls a terminal"

# on_tty CMD: runs CMD with a terminal as stdout (script(1)); stdin is
# /dev/null, CR LF line ends become LF.
on_tty()
{
	script -qec "$*" /dev/null </dev/null | tr -d '\r'
}

start_local_aws
seed tasks web 3 --exec >/dev/null
evil_name=$(printf 'x\033[2Jy')
evil_image=$(printf 'img\033]0;owned\007:1\nnext')
seed taskdef evil --containers "$(jq -cn --arg n "$evil_name" \
	--arg i "$evil_image" '[{name: $n, image: $i, memory: 128,
	essential: true}]')" >/dev/null
seed tasks hostile 1 --task-definition evil >/dev/null

out=$(on_tty COLUMNS=200 ecs-ls tasks -c web)
like "$(head -1 <<<"$out")" \
	$'^\033\\[1mID +\033\\[0m +\033\\[1mSERVICE/GROUP' \
	"a table on a terminal, bold header"
is "$(wc -l <<<"$out")" 4 "header and three rows"
like "$(sed -n 2p <<<"$out")" $'\033\\[32mRUNNING\033\\[0m' \
	"RUNNING in green"
out=$(on_tty NO_COLOR=1 COLUMNS=200 ecs-ls tasks -c web)
unlike "$out" $'\033' "NO_COLOR: no escape sequences"
like "$(head -1 <<<"$out")" \
	'^ID +SERVICE/GROUP +STATUS +HEALTH +LAUNCH +AGE +IP +TASK DEFINITION$' \
	"tasks columns: id, service or group, status, health, launch type, age, IP"
like "$(sed -n 2p <<<"$out")" \
	'^[0-9a-f-]{36} +family:seed-app +RUNNING +- +FARGATE +[0-9]+[smhd] +10\.[0-9.]+ +seed-app:1$' \
	"a task row: short id, group, status, age, private IP"
out=$(on_tty NO_COLOR=1 COLUMNS=60 ecs-ls containers -c web)
[ "$(widest <<<"$out")" -le 60 ]
ok $? "the table fits COLUMNS=60"
like "$(sed -n 2p <<<"$out")" '…' "long cells are cut with an ellipsis"
out=$(on_tty ecs-ls tasks -c web -o json)
is "$(jq -r .kind <<<"$out" | sort -u)" task "-o json on a terminal: records"

# Hostile strings: drawn harmless, kept in the records.
records=$(ecs-ls containers -c hostile </dev/null)
is "$(jq -r .image <<<"$records")" "$evil_image" "NDJSON keeps the bytes"
out=$(on_tty COLUMNS=300 ecs-ls containers -c hostile)
unlike "$(sed $'s/\033\\[[0-9;]*m//g' <<<"$out")" $'[\033\007]' \
	"no escape or bell from the data reaches the terminal"
like "$out" 'x\^\[\[2Jy' "ESC in a name shows as ^["
like "$out" 'img\^\[\]0;owned\^G:1\\nnext' "controls in an image are visible"
is "$(wc -l <<<"$out")" 2 "a newline in a cell does not break the row"
tsv=$(on_tty ecs-ls containers -c hostile -o tsv)
unlike "$tsv" $'[\033\007]' "TSV on a terminal is made harmless too"
tsv=$(ecs-ls containers -c hostile -o tsv </dev/null)
like "$tsv" $'\033' "TSV into a pipe keeps the bytes"
is "$(wc -l <<<"$tsv")" 1 "TSV escapes the newline"

# The kinds' tables.
for kind in clusters services taskdefs instances events deployments; do
	out=$(ecs-ls "$kind" -o table </dev/null)
	ok $? "$kind table"
done
like "$(ecs-ls taskdefs -o table </dev/null | head -1)" \
	'^TASK DEFINITION +STATUS +CPU +MEMORY +NETWORK +COMPATIBILITY +CONTAINERS' \
	"taskdefs columns"
like "$(ecs-ls tasks -o table </dev/null | head -1)" ' CLUSTER$' \
	"a CLUSTER column when the rows span clusters"

done_testing
