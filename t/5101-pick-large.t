#!/usr/bin/env bash
# ecs-pick on a terminal (through tmux) with more matches than it ranks at
# first, and with keys typed while a large input is being ranked: the
# screen must end up as if every key had been ranked in full.
. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/tmux.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"

# 300 records of equal length that all match "web": ranked in input order.
for ((i = 0; i < 300; i++)); do
	printf '{"name":"web-%03d"}\n' "$i"
done >web.ndjson

# A 10-row window lists 8 records, and 32 matches are ranked at first, so
# five pages down (row 40) needs more of them ranked.
tmux_start 80 10
run_pick "ecs-pick -q web <web.ndjson >out"
wait_screen '300/300'
ok $? "every record matches"
tmux_keys PageDown PageDown PageDown PageDown PageDown
wait_screen '^> +web-040'
ok $? "five pages down selects the 41st match"
tmux_keys Enter
is "$(wait_rc)" 0 "Enter after scrolling exits 0"
is "$(jq -r .name out)" web-040 "and prints the 41st match"

run_pick "ecs-pick --tac -q web <web.ndjson >out"
wait_screen '300/300'
tmux_keys PageDown PageDown PageDown PageDown PageDown Down
wait_screen '^> +web-258'
ok $? "with --tac, scrolling past the first ranked rows counts from the end"
tmux_keys Enter
is "$(wait_rc)" 0 "Enter with --tac exits 0"
is "$(jq -r .name out)" web-258 "and prints that record"

# Narrowing after scrolling starts again at the top, and backspace brings
# the wider list back.
run_pick "ecs-pick -q web <web.ndjson >out"
wait_screen '300/300'
tmux_keys PageDown PageDown PageDown PageDown PageDown
wait_screen '^> +web-040'
tmux_type " '-29"
wait_screen '  10/300$'
ok $? "an exact term narrows the scrolled list to ten records"
tmux_keys BSpace BSpace BSpace BSpace
wait_screen '  300/300$'
ok $? "backspace brings all 300 back"
like "$(screen | sed -n 3p)" '^> +web-000' "the selection is back at the top"
tmux_keys Escape
is "$(wait_rc)" 130 "Escape aborts"

# Keys typed one by one, without waiting, while 200000 records are being
# ranked: rankings that a newer key makes stale may be dropped, but the
# screen must show the last query's full result.
awk 'BEGIN {
	for (i = 0; i < 200000; i++)
		printf "{\"name\":\"svc-%06d-%s\"}\n", i,
		    (i % 1000 == 7 ? "quartz" : "web")
}' >many.ndjson
run_pick "ecs-pick <many.ndjson >out"
wait_screen '  200000/200000$' 30
ok $? "200000 records loaded"
for key in q u a r t z; do
	tmux_keys "$key"
done
wait_screen '  200/200000$' 30
ok $? "the typed query's 200 matches are shown"
like "$(screen | sed -n 1p)" '^> quartz' "the prompt shows every key"
like "$(screen | sed -n 3p)" '^> +svc-000007-quartz' \
	"the first match is selected"
tmux_keys BSpace BSpace BSpace BSpace BSpace BSpace
wait_screen '  200000/200000$' 30
ok $? "deleting the query brings every record back"
tmux_keys Enter
is "$(wait_rc)" 0 "Enter exits 0"
is "$(jq -r .name out)" svc-000000-web "and prints the first record"

done_testing
