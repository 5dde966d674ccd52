# Shared helpers for the integration tests t/NNNN-name.t (bash only).
#
# Source it first: . "$(dirname "$0")/lib/test-lib.sh"
# TAP output: plan, ok, run_ok, is, isnt, like, unlike, diag, note,
# bail_out, done_testing. Scratch directory: $TEST_SCRATCH, removed at exit
# after the commands registered with at_exit. Local AWS: start_local_aws,
# stop_local_aws, use_local_aws, front_ctl, front_log, seed,
# create_iam_user. PATH finds the built programs in $ECS_BIN first.
# Do not use `set -e` in tests, because a failed check returns 1 and the
# script must go on to report the other checks.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "Bail out! test-lib.sh needs bash" >&2
	exit 255
fi

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$TEST_DIR/.." && pwd)
ECS_BIN=${ECS_BIN:-$REPO_DIR/bin}
LOCAL_AWS=$TEST_DIR/local-aws
PATH=$ECS_BIN:$PATH
export ECS_BIN PATH
export ECS_TEST_DIR=${ECS_TEST_DIR:-$TEST_DIR}
# Nothing a test runs may ask the EC2 metadata service for credentials,
# even before a local AWS is started.
export AWS_EC2_METADATA_DISABLED=true

_tap_plan=
_tap_count=0
_tap_failed=0
_tap_done=0
_tap_cleanups=()
_local_aws_count=0

# TAP.

plan()
{
	_tap_plan=$1
	echo "1..$1"
}

diag()
{
	local line
	while IFS= read -r line; do
		echo "# $line" >&2
	done <<<"$*"
}

note()
{
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

bail_out()
{
	echo "Bail out! $*"
	exit 255
}

# Print "FILE line N" of the first caller outside this library.
_tap_caller()
{
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[i]} line ${BASH_LINENO[i - 1]}"
			return
		fi
	done
}

# ok STATUS NAME: one check that passes when STATUS is 0.
ok()
{
	local status=$1
	shift
	_tap_count=$((_tap_count + 1))
	if [ "$status" = 0 ]; then
		echo "ok $_tap_count - $*"
		return 0
	fi
	echo "not ok $_tap_count - $*"
	_tap_failed=$((_tap_failed + 1))
	diag "  Failed test '$*'
  at $(_tap_caller)."
	return 1
}

# run_ok NAME COMMAND [ARGS...]: passes when the command exits 0; its
# output is shown on failure.
run_ok()
{
	local name=$1 output status
	shift
	output=$("$@" 2>&1)
	status=$?
	ok "$status" "$name" && return 0
	diag "  command: $*
  exit status: $status
  output: $output"
	return 1
}

is()
{
	local got=$1 expected=$2
	shift 2
	[ "$got" = "$expected" ]
	ok $? "$@" && return 0
	diag "       got: '$got'
  expected: '$expected'"
	return 1
}

isnt()
{
	local got=$1 unexpected=$2
	shift 2
	[ "$got" != "$unexpected" ]
	ok $? "$@" && return 0
	diag "       got: '$got'
  expected anything else"
	return 1
}

# like GOT REGEX NAME: REGEX is a bash extended regular expression.
like()
{
	local got=$1 regex=$2
	shift 2
	[[ $got =~ $regex ]]
	ok $? "$@" && return 0
	diag "                  '$got'
  does not match '$regex'"
	return 1
}

unlike()
{
	local got=$1 regex=$2
	shift 2
	! [[ $got =~ $regex ]]
	ok $? "$@" && return 0
	diag "          '$got'
  matches '$regex'"
	return 1
}

# Print the plan if none was given and exit: 0 when every check passed
# and the plan was met, else the number of failed checks (at most 254),
# or 255 when the count differs from the plan.
done_testing()
{
	_tap_done=1
	if [ -z "$_tap_plan" ]; then
		echo "1..$_tap_count"
	elif [ "$_tap_plan" != "$_tap_count" ]; then
		diag "planned $_tap_plan tests but ran $_tap_count"
		exit 255
	fi
	if [ "$_tap_failed" -gt 0 ]; then
		diag "failed $_tap_failed of $_tap_count tests"
		exit $((_tap_failed > 254 ? 254 : _tap_failed))
	fi
	exit 0
}

# reap PID: waits up to 10 s for PID, a child of this shell, to exit,
# kills it after that, and returns its exit status.
reap()
{
	local pid=$1 i

	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Cleanup, run in reverse order of registration on any exit.

at_exit()
{
	_tap_cleanups+=("$*")
}

_tap_exit()
{
	local status=$? i
	trap - EXIT INT TERM
	for ((i = ${#_tap_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_tap_cleanups[i]}"
	done
	rm -rf "$TEST_SCRATCH"
	if [ "$_tap_done" = 0 ] && [ "$status" = 0 ]; then
		echo "# test script exited before done_testing" >&2
		status=255
	fi
	exit "$status"
}

TEST_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ecs-test.XXXXXX") ||
	bail_out "cannot create a scratch directory under ${TMPDIR:-/tmp}"
trap _tap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Local AWS: moto behind the front, on 127.0.0.1 only.

# start_local_aws [ARGS...]: start a local AWS with its own state directory
# (ARGS go to `local-aws start`, for example --auth), export its
# environment and make sure it stops when the test exits. The daemon also
# exits by itself once this shell has gone. LOCAL_AWS_DIR names the newest.
start_local_aws()
{
	local dir output
	_local_aws_count=$((_local_aws_count + 1))
	dir=$TEST_SCRATCH/local-aws.$_local_aws_count
	at_exit "\"\$LOCAL_AWS\" stop --state-dir '$dir' >/dev/null 2>&1"
	output=$("$LOCAL_AWS" start --state-dir "$dir" --watch-pid $$ "$@") ||
		bail_out "local-aws start failed (its error is above)"
	LOCAL_AWS_DIR=$dir
	eval "$output"
}

# stop_local_aws [DIR]: stop one local AWS (default: $LOCAL_AWS_DIR).
stop_local_aws()
{
	"$LOCAL_AWS" stop --state-dir "${1:-$LOCAL_AWS_DIR}"
}

# use_local_aws DIR: point the environment at another running local AWS.
use_local_aws()
{
	local output
	output=$("$LOCAL_AWS" env --state-dir "$1") || return 1
	LOCAL_AWS_DIR=$1
	eval "$output"
}

front_ctl()
{
	"$LOCAL_AWS" ctl --state-dir "$LOCAL_AWS_DIR" "$@"
}

# front_log [SINCE]: the request log as NDJSON, one request per line.
front_log()
{
	front_ctl log "$@"
}

# seed clusters N | services CLUSTER N | tasks CLUSTER N [--service S] ...
seed()
{
	"$LOCAL_AWS" seed --state-dir "$LOCAL_AWS_DIR" "$@"
}

# create_iam_user [--name NAME] [--policy JSON]: create an IAM user in moto
# and export its access key, for tests of signature checks (start --auth).
create_iam_user()
{
	local output
	output=$("$LOCAL_AWS" create-user --state-dir "$LOCAL_AWS_DIR" "$@") ||
		return 1
	eval "$output"
}
