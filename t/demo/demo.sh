#!/usr/bin/env bash
# Start a local AWS on 127.0.0.1, seed the demo estate (seed-estate.py) and
# then either run the README's headline pipelines without a terminal
# (default), or open a shell pointed at it (--shell). The local AWS stops
# when the script ends, however it ends.
#
#   t/demo/demo.sh            the scripted demo, as `make demo` runs it
#   t/demo/demo.sh --shell    an interactive $SHELL, as `make demo-shell`

set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ECS_BIN:-$root/bin}
mode=run
case "${1:-}" in
'') ;;
--shell) mode=shell ;;
*)
	echo "demo.sh: unknown argument \"$1\"; use --shell or nothing" >&2
	exit 2 ;;
esac

for program in ecs-ls ecs-pick ecs-exec ecs-log; do
	if [ ! -x "$bin/$program" ]; then
		echo "demo.sh: $bin/$program is missing; run make first" >&2
		exit 1
	fi
done

state=$(mktemp -d "${TMPDIR:-/tmp}/ecs-demo.XXXXXX") || exit 1

stop_local_aws()
{
	"$root/t/local-aws" stop --state-dir "$state" >/dev/null 2>&1
	rm -rf "$state"
}
trap stop_local_aws EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --watch-pid stops the daemon within a second of this script's end even
# when the trap cannot run (SIGKILL); the shell gets a longer time to live.
ttl=600
[ "$mode" = shell ] && ttl=43200
if ! "$root/t/local-aws" start --state-dir "$state" --watch-pid $$ \
	--ttl "$ttl" >"$state/env"; then
	echo "demo.sh: the local AWS did not start (its error is above)" >&2
	exit 1
fi
. "$state/env"
export PATH="$bin:$PATH"
cd "$root" || exit 1
if ! python3 "$root/t/demo/seed-estate.py" >"$state/estate.json"; then
	echo "demo.sh: seeding the local AWS failed (the error is above)" >&2
	exit 1
fi

# show COMMAND: print COMMAND, then run it with bash. A failing command is
# part of the demo (exec on prod is rejected), so its status is printed
# and the demo goes on.
show()
{
	local status
	if [ -t 1 ]; then
		printf '\n\033[1m$ %s\033[0m\n' "$1"
	else
		printf '\n$ %s\n' "$1"
	fi
	bash -c "$1"
	status=$?
	[ "$status" = 0 ] || echo "(exit status $status)"
}

comment()
{
	printf '\n# %s\n' "$1"
}

if [ "$mode" = shell ]; then
	cat <<EOF
A local AWS is running on $AWS_ENDPOINT_URL with the demo estate:
clusters prod (web, api; ECS Exec disabled) and ops (worker; ECS Exec
enabled and audited). $bin is first in PATH. Things to try:

  ecs-ls clusters | ecs-pick | ecs-ls containers | ecs-pick | ecs-exec
  ecs-ls services --cluster prod | ecs-pick -m | ecs-log --follow
  ecs-log --cluster ops --exec-sessions --since 1d
  ls $root/share/examples

Leave the shell (exit or Ctrl-D) to stop the local AWS.
EOF
	ECS_DEMO=1 "${SHELL:-/bin/bash}"
	exit $?
fi

comment "The estate: two clusters, three services, two containers a task."
show "ecs-ls clusters"
show "ecs-ls services"

comment "A query instead of the picker: a shell in each worker container."
show "ecs-ls clusters | ecs-pick --filter ops | ecs-ls containers | ecs-pick --filter \"'worker\" | ecs-exec -- uptime"

comment "The logs of the service the query selects, from the last 10 minutes."
show "ecs-ls services --cluster prod | ecs-pick --select-1 --query web | ecs-log --since 10m"

comment "Production keeps ECS Exec off, so the exec is rejected with the reason."
show "ecs-ls containers --cluster prod --service web | ecs-pick --filter \"'app\" | head -n 1 | ecs-exec -- id"

comment "Who ran what through ECS Exec: the ops cluster's audit log."
show "ecs-log --cluster ops --exec-sessions --since 1d"

comment "Tasks stopped out of memory."
show "share/examples/oom-stopped-tasks ops"

cat <<'EOF'

# Interactive: run `make demo-shell` and try
#   ecs-ls clusters | ecs-pick | ecs-ls containers | ecs-pick | ecs-exec
#   ecs-ls services --cluster prod | ecs-pick -m | ecs-log --follow
EOF
