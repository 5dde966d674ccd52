#!/usr/bin/env bash
# The synchronous ECS helpers that other programs use to resolve a
# service to its tasks: every page, batches of 100, request order, and
# failures handed back instead of printed.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

resolve=${ECS_BUILD:-$REPO_DIR/build}/t/helpers/ecs-resolve
[ -x "$resolve" ] || bail_out "$resolve is missing; run make"

start_local_aws
seed services lib 1 >/dev/null
seed tasks lib 150 --service svc-01 >/dev/null
listed=$(ecs_list_all list_tasks taskArns \
	'{"cluster": "lib", "serviceName": "svc-01"}')

front_ctl clear-log >/dev/null
out=$("$resolve" lib svc-01 2>"$TEST_SCRATCH/err")
is $? 0 "resolve exits 0"
is "$(head -1 <<<"$out")" "listed 150" "150 task ARNs listed"
is "$(ops ListTasks)" 2 "over two ListTasks pages"
is "$(sizes DescribeTasks tasks)" "[100,50]" "described in batches of 100"
is "$(sed 1d <<<"$out")" "$listed" "tasks in listing order"

gone=$(sed -n 3p <<<"$listed")
# Both batches may come first, so the rule covers both.
front_ctl fault --count 2 DescribeTasks failures "$gone" >/dev/null
out=$("$resolve" lib svc-01 2>"$TEST_SCRATCH/err")
is $? 0 "a failure is no error for the caller"
is "$(tail -1 <<<"$out")" "failure $gone MISSING" \
	"the failure is handed back"
is "$(cat "$TEST_SCRATCH/err")" "" "and not printed"
is "$(grep -c ':task/' <<<"$out")" 150 "149 tasks and the failure"

err=$("$resolve" no-such-cluster svc-01 2>&1)
is $? 1 "a missing cluster exits 1"
like "$err" "ListTasks: ClusterNotFoundException" "with the AWS error"

done_testing
