#!/usr/bin/env bash
# t/demo/demo.sh (make demo, make demo-shell): the README tour without a
# terminal, each command printed before its output, the exec on prod
# rejected, and the local AWS stopped however the demo ends.
. "$(dirname "$0")/lib/test-lib.sh"

DEMO=$TEST_DIR/demo/demo.sh
export TMPDIR=$TEST_SCRATCH

# endpoint_down URL [SECS]: wait until nothing answers on URL.
endpoint_down()
{
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		curl -s -o /dev/null --max-time 1 "$1" || return 0
		sleep 0.1
	done
	return 1
}

out=$("$DEMO" </dev/null 2>&1)
is "$?" 0 "demo: exit status 0"

mapfile -t pipelines < <("$TEST_DIR/demo/tour-pipelines")
[ "${#pipelines[@]}" -ge 4 ]
ok $? "demo: the README tour has pipelines"
for pipeline in "${pipelines[@]}"; do
	if grep -qxF -- "\$ $pipeline" <<<"$out"; then
		ok 0 "demo: runs $pipeline"
	else
		grep -qxF -- "#   $pipeline" <<<"$out"
		ok $? "demo: runs or lists $pipeline"
	fi
done
grep -qxF -- '#   ecs-ls clusters | ecs-pick | ecs-ls containers | ecs-pick | ecs-exec' \
	<<<"$out"
ok $? "demo: lists the picker pipeline for demo-shell"

is "$(grep -c '/worker: .*load average' <<<"$out")" 2 \
	"demo: uptime ran in both worker containers"
like "$out" 'ecs-exec: ECS Exec is not enabled on task [0-9a-f-]+: ' \
	"demo: exec on prod is rejected with the reason"
like "$out" '\(exit status 255\)' "demo: the rejected exec's status"
like "$out" $'\tOutOfMemoryError: Container killed due to memory usage' \
	"demo: the task stopped out of memory"
like "$out" '"message":"rendered /checkout in 41 ms"' \
	"demo: web log events"
like "$out" '"sessionId":"alice-0a1b2c3d4e5f60718"' "demo: audit log events"
like "$out" '\(AWS_ACCESS_KEY_ID=AKIADEMOOPS000000001 AWS_REGION=' \
	"demo: ecs-creds exported the profile"
unlike "$out" 'demo-ops-secret' "demo: the secret key is not printed"
is "$(ls "$TEST_SCRATCH" | grep -c '^ecs-demo')" 0 \
	"demo: its state directory is removed"
pgrep -f "$TEST_SCRATCH/ecs-demo" >/dev/null
is "$?" 1 "demo: the local AWS is stopped"

# A command that fails unexpectedly fails the demo: here ecs-log.
mkdir -p "$TEST_SCRATCH/bin"
for program in "$ECS_BIN"/ecs-*; do
	ln -s "$program" "$TEST_SCRATCH/bin/"
done
rm "$TEST_SCRATCH/bin/ecs-log"
printf '#!/bin/sh\necho "ecs-log: broken on purpose" >&2\nexit 1\n' \
	>"$TEST_SCRATCH/bin/ecs-log"
chmod +x "$TEST_SCRATCH/bin/ecs-log"
out=$(ECS_BIN=$TEST_SCRATCH/bin "$DEMO" </dev/null 2>&1)
is "$?" 1 "demo: a failing command fails it"
like "$out" 'demo.sh: 2 commands ended with an unexpected exit status' \
	"demo: the failures are counted"

# demo-shell: the shell sees the seeded local AWS and the programs; its
# exit status is the demo's.
cat >"$TEST_SCRATCH/shell" <<EOF
#!/bin/sh
echo "\$AWS_ENDPOINT_URL" >'$TEST_SCRATCH/endpoint'
command -v ecs-ls >'$TEST_SCRATCH/ecs-ls-path'
ecs-ls clusters -o tsv </dev/null | cut -f1 | sort >'$TEST_SCRATCH/clusters'
[ -n "\${WAIT:-}" ] && echo \$\$ >'$TEST_SCRATCH/shell-pid' && exec sleep 60
exit 3
EOF
chmod +x "$TEST_SCRATCH/shell"
out=$(SHELL=$TEST_SCRATCH/shell "$DEMO" --shell </dev/null 2>&1)
is "$?" 3 "demo-shell: the shell's exit status"
like "$out" 'ecs-ls clusters \| ecs-pick \| ecs-ls containers' \
	"demo-shell: banner with things to try"
is "$(cat "$TEST_SCRATCH/ecs-ls-path")" "$ECS_BIN/ecs-ls" \
	"demo-shell: the built programs first in PATH"
is "$(paste -sd' ' "$TEST_SCRATCH/clusters")" "ops prod" \
	"demo-shell: the seeded clusters"
endpoint=$(cat "$TEST_SCRATCH/endpoint")
like "$endpoint" '^http://127\.0\.0\.1:[0-9]+$' "demo-shell: local endpoint"
endpoint_down "$endpoint" 10
ok $? "demo-shell: the local AWS stops with the shell"

# A demo killed with SIGKILL cannot run its trap; --watch-pid stops the
# local AWS anyway.
rm -f "$TEST_SCRATCH/endpoint" "$TEST_SCRATCH/clusters"
WAIT=1 SHELL=$TEST_SCRATCH/shell "$DEMO" --shell </dev/null \
	>/dev/null 2>&1 &
demo_pid=$!
for ((i = 0; i < 300; i++)); do
	[ -s "$TEST_SCRATCH/shell-pid" ] && break
	sleep 0.1
done
endpoint=$(cat "$TEST_SCRATCH/endpoint")
# bash reports the killed job on stderr when it reaps it; that is expected.
exec 3>&2 2>/dev/null
kill -KILL "$demo_pid"
wait "$demo_pid"
exec 2>&3 3>&-
endpoint_down "$endpoint" 10
ok $? "demo-shell: local AWS stops after SIGKILL"
kill "$(cat "$TEST_SCRATCH/shell-pid")" 2>/dev/null

done_testing
