#!/usr/bin/env bash
# --help and the man pages: every program's help is short and laid out
# like the others, lists the same options as its man page, and the man
# page has the sections a reader looks for.
. "$(dirname "$0")/lib/test-lib.sh"

MAN_DIR=$TEST_DIR/../share/man/man1
PROGRAMS="ecs-creds ecs-exec ecs-forward ecs-log ecs-ls ecs-pick ecs-stop ecs-update"
MAX_LINES=50
MAX_COLUMNS=79
# ecs-ls lists several regions at once.
declare -A region_value=([ecs-ls]=LIST)

# help_options FILE: the options in the option column of --help, one a
# line. The column ends at the first run of two spaces.
help_options()
{
	grep -E '^ {1,8}-' "$1" | sed -E 's/^ +//; s/  .*//' |
		grep -oE -- '(^| )--?[A-Za-z0-9][a-z0-9-]*' | sed 's/^ //' |
		sort -u
}

# man_options FILE: the options that start a .TP tag in the man page.
man_options()
{
	awk '/^\.TP/ { getline; print }' "$1" |
		grep -E '^\.(B|BR|BI|RB) +"?\\-' |
		sed 's/\\-/-/g; s/\\f[BIRP]//g; s/"//g; s/^\.[A-Z]* //' |
		grep -oE -- '(^| )--?[A-Za-z0-9][a-z0-9-]*' | sed 's/^ //' |
		sort -u
}

# man_section FILE NAME: the source lines of one section.
man_section()
{
	awk -v name="$2" '
		/^\.SH / { on = (substr($0, 5) == name || substr($0, 5) == "\"" name "\"") ; next }
		on' "$1"
}

for program in $PROGRAMS; do
	page=$MAN_DIR/$program.1
	help=$TEST_SCRATCH/$program.help
	"$ECS_BIN/$program" --help >"$help" 2>"$TEST_SCRATCH/err"
	is "$?" 0 "$program --help: exit status 0"
	is "$(cat "$TEST_SCRATCH/err")" "" "$program --help: nothing on stderr"
	like "$(head -n 1 "$help")" "^Usage: $program( |\$)" \
		"$program --help: starts with Usage"
	lines=$(wc -l <"$help")
	[ "$lines" -le "$MAX_LINES" ]
	ok $? "$program --help: at most $MAX_LINES lines ($lines)"
	is "$(awk -v max=$MAX_COLUMNS 'length > max' "$help")" "" \
		"$program --help: lines fit in $MAX_COLUMNS columns"
	like "$(awk 'BEGIN { RS = "" } END { print }' "$help" | head -n 1)" \
		'^Exit status: ' "$program --help: ends with the exit status"
	like "$("$ECS_BIN/$program" --version)" "^$program [0-9]+\.[0-9]+\.[0-9]+\$" \
		"$program --version: name and version"

	# The common options come last, in one order and with one wording.
	common=$(grep -E '^ {1,8}-' "$help" | tail -n 6 | sed -E 's/^ +//' |
		sed -E 's/^((-[A-Za-z0-9], )?--[a-z-]+( [A-Z]+)?) +/\1|/' |
		cut -d'|' -f1 | paste -sd,)
	if [ "$program" = ecs-pick ]; then
		like "$common" '--debug,-h, --help,-V, --version$' \
			"$program --help: common options last"
	else
		is "$common" "-p, --profile NAME,-r, --region ${region_value[$program]:-REGION},--endpoint-url URL,--debug,-h, --help,-V, --version" \
			"$program --help: common options last, in order"
		grep -qE '^  -p, --profile NAME +AWS profile$' "$help"
		ok $? "$program --help: -p wording"
		grep -qE '^      --endpoint-url URL +send every request to URL$' "$help"
		ok $? "$program --help: --endpoint-url wording"
	fi
	grep -qE '^  -h, --help +show this help$' "$help"
	ok $? "$program --help: -h wording"
	grep -qE '^  -V, --version +show the version$' "$help"
	ok $? "$program --help: -V wording"

	# The same options in --help and in the man page.
	[ -f "$page" ]
	ok $? "$program: man page exists"
	help_options "$help" >"$TEST_SCRATCH/help.opts"
	man_options "$page" >"$TEST_SCRATCH/man.opts"
	[ "$(wc -l <"$TEST_SCRATCH/help.opts")" -ge 5 ]
	ok $? "$program: options found in --help"
	is "$(comm -23 "$TEST_SCRATCH/help.opts" "$TEST_SCRATCH/man.opts" | paste -sd' ')" \
		"" "$program: every --help option in the man page"
	is "$(comm -13 "$TEST_SCRATCH/help.opts" "$TEST_SCRATCH/man.opts" | paste -sd' ')" \
		"" "$program: every man page option in --help"

	# The sections, and the exit statuses of --help in EXIT STATUS.
	# ecs-log groups its options as TARGETS, READING and COMMON OPTIONS.
	for section in NAME SYNOPSIS DESCRIPTION "(COMMON )?OPTIONS" RECORDS \
		"EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
		grep -qE "^\\.SH \"?$section\"?\$" "$page"
		ok $? "$program.1: section $section"
	done
	statuses=$(awk 'BEGIN { RS = "" } /^Exit status: / { print }' "$help" |
		grep -oE '\b[0-9]{1,3}\b' | sort -u)
	exit_section=$(man_section "$page" "EXIT STATUS")
	for status in $statuses; do
		grep -qE "(^|[^0-9])$status([^0-9]|\$)" <<<"$exit_section"
		ok $? "$program.1: exit status $status documented"
	done
	like "$(man_section "$page" NAME)" "^$program \\\\- " \
		"$program.1: NAME line"

	if command -v groff >/dev/null; then
		is "$(groff -man -Tutf8 -ww -z "$page" 2>&1)" "" \
			"$program.1: groff reports no warnings"
	fi
done

done_testing
