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

# --watch-pid stops the daemon within a second of this script's end, even
# when the trap cannot run because of SIGKILL. The shell gets a longer TTL.
ttl=600
[ "$mode" = shell ] && ttl=43200
if ! "$root/t/local-aws" start --state-dir "$state" --watch-pid $$ \
	--ttl "$ttl" >"$state/env"; then
	echo "demo.sh: the local AWS did not start (its error is above)" >&2
	exit 1
fi
. "$state/env"

# A profile "ops" with static keys, for the ecs-creds pipeline. moto takes
# any key when it does not check signatures.
export AWS_CONFIG_FILE="$state/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$state/aws-credentials"
printf '[profile ops]\nregion = %s\n' "$AWS_REGION" >"$AWS_CONFIG_FILE"
printf '[ops]\naws_access_key_id = AKIADEMOOPS000000001\naws_secret_access_key = demo-ops-secret\n' \
	>"$AWS_SHARED_CREDENTIALS_FILE"
export PATH="$bin:$PATH"
cd "$root" || exit 1
if ! python3 "$root/t/demo/seed-estate.py" >"$state/estate.json"; then
	echo "demo.sh: seeding the local AWS failed (the error is above)" >&2
	exit 1
fi

# show COMMAND [EXPECTED_STATUS]: print COMMAND, then run it with bash. A
# failing command can be part of the demo (exec on prod is rejected), so a
# status other than 0 is printed and the demo goes on. A status other than
# EXPECTED_STATUS (default 0) counts in $unexpected, which fails the demo.
unexpected=0
show()
{
	local status expected=${2:-0}
	if [ -t 1 ]; then
		printf '\n\033[1m$ %s\033[0m\n' "$1"
	else
		printf '\n$ %s\n' "$1"
	fi
	case "$1" in
	eval\ *)
		# An eval changes only its own shell, so that shell shows the
		# result: the variables it set, secrets left out.
		bash -c "$1"' && echo "(AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_REGION=$AWS_REGION)"' \
			</dev/null ;;
	*)
		bash -c "$1" </dev/null ;;
	esac
	status=$?
	[ "$status" = 0 ] || echo "(exit status $status)"
	if [ "$status" != "$expected" ]; then
		echo "demo.sh: the command above exited with $status, expected $expected" >&2
		unexpected=$((unexpected + 1))
	fi
}

# needs_terminal PIPELINE: whether PIPELINE waits for a person, because an
# ecs-pick in it has no query that chooses, it follows a stream, or it
# opens an interactive shell.
needs_terminal()
{
	local stage
	local -a stages
	IFS='|' read -r -a stages <<<"$1"
	for stage in "${stages[@]}"; do
		case "$stage" in
		*ecs-pick*--filter* | *ecs-pick*--select-1*) ;;
		*ecs-pick*) return 0 ;;
		*--follow*) return 0 ;;
		*ecs-exec*) [[ $stage == *" -- "* ]] || return 0 ;;
		esac
	done
	return 1
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
show "ecs-ls containers --cluster ops"

comment "The README's tour. Pipelines that need a terminal are listed at the end."
interactive=()
while IFS= read -r pipeline; do
	if needs_terminal "$pipeline"; then
		interactive+=("$pipeline")
	else
		show "$pipeline"
	fi
done < <("$root/t/demo/tour-pipelines" "$root/README.md")

comment "Production keeps ECS Exec off, so an exec there is rejected with the reason."
show "ecs-ls containers --cluster prod --service web | ecs-pick --filter \"'app\" | head -n 1 | ecs-exec -- id" 255

comment "Tasks stopped out of memory (share/examples has more jobs)."
show "share/examples/oom-stopped-tasks ops"

comment "Run \`make demo-shell\` and try the pipelines that need a terminal:"
for pipeline in "${interactive[@]}"; do
	printf '#   %s\n' "$pipeline"
done

if [ "$unexpected" != 0 ]; then
	echo "demo.sh: $unexpected commands ended with an unexpected exit status (see above)" >&2
	exit 1
fi
