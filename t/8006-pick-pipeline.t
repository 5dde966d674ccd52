#!/usr/bin/env bash
# ecs-pick twice in one pipeline, as in "ecs-ls clusters | ecs-pick |
# ecs-ls tasks | ecs-pick": the second picker waits for its input, so it
# reads none of the first one's keys, and the terminal mode afterwards is
# the one from before. Built-in picker and --via fzf.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/tmux.sh"

# Two cluster records; the middle stage turns the chosen one into three
# task records a second later, as a slow List call would.
jq -cn '{kind: "cluster", clusterName: "alpha", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/alpha"},
	{kind: "cluster", clusterName: "beta", clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/beta"}' \
	>"$TEST_SCRATCH/clusters"
cat >"$TEST_SCRATCH/tasks" <<'EOF'
#!/bin/sh
# Print three task records of the cluster record on stdin, after a second.
cluster=$(sed -n 's/.*cluster\/\([a-z]*\).*/\1/p')
sleep 1
for n in one two three; do
	printf '{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/%s/%s-%s","clusterArn":"arn:aws:ecs:us-east-1:123456789012:cluster/%s"}\n' \
		"$cluster" "$cluster" "$n" "$cluster"
done
EOF
chmod +x "$TEST_SCRATCH/tasks"

tmux_start 120 30
tmux_type "stty -g >'$TEST_SCRATCH/mode.before'"
tmux_keys Enter

# check_pipeline NAME PICK_COMMAND: choose beta, then its task "two".
check_pipeline()
{
	local name=$1 pick=$2
	rm -f "$TEST_SCRATCH/chosen" "$TEST_SCRATCH/mode.after"
	tmux_keys C-l
	run_pick "$pick <'$TEST_SCRATCH/clusters' | '$TEST_SCRATCH/tasks' | $pick >'$TEST_SCRATCH/chosen'"
	wait_screen 'beta' 15
	ok $? "$name: the first picker shows the clusters"
	tmux_type "beta"
	sleep 0.3
	tmux_keys Enter
	wait_screen 'beta-three' 15
	ok $? "$name: the second picker shows beta's tasks"
	tmux_type "two"
	sleep 0.3
	tmux_keys Enter
	is "$(wait_rc 15)" 0 "$name: exit status 0"
	is "$(jq -r .taskArn "$TEST_SCRATCH/chosen" 2>&1 | sed 's|.*/||')" beta-two \
		"$name: the second picker's choice"
	tmux_type "stty -g >'$TEST_SCRATCH/mode.after'"
	tmux_keys Enter
	for _ in $(seq 50); do
		[ -s "$TEST_SCRATCH/mode.after" ] && break
		sleep 0.1
	done
	is "$(cat "$TEST_SCRATCH/mode.after")" "$(cat "$TEST_SCRATCH/mode.before")" \
		"$name: terminal mode restored"
}

check_pipeline "built-in" "ecs-pick"
if command -v fzf >/dev/null; then
	check_pipeline "fzf" "ecs-pick --via fzf"
else
	ok 1 "fzf is installed (install.sh --deps-only --test-deps)"
fi

done_testing
