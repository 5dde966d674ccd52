#!/usr/bin/env bash
# ecs-stop: StopTask for each task of the input records, the records it
# prints, dry runs, tasks already stopping, several clusters and errors.
# Confirmation and read-only mode are in t/7003.
. "$(dirname "$0")/lib/test-lib.sh"

# A read-only setting of the person running the tests must not apply.
unset ECS_READ_ONLY
export XDG_CONFIG_HOME=$TEST_SCRATCH/xdg

# stop ARGS... <INPUT: ecs-stop; $out, $err and $status.
stop()
{
	out=$(ecs-stop "$@" 2>"$TEST_SCRATCH/err")
	status=$?
	err=$(cat "$TEST_SCRATCH/err")
}

stops()
{
	front_log | jq -c 'select(.operation == "StopTask") | .body'
}

start_local_aws
seed services c1 1 >/dev/null
service_tasks=$(seed tasks c1 2 --service svc-01)
lone=$(seed tasks c1 1)
other=$(seed tasks c2 1)
ecs-ls tasks -c c1 </dev/null >"$TEST_SCRATCH/c1"
is "$(wc -l <"$TEST_SCRATCH/c1")" 3 "three tasks to stop in c1"

# Usage errors.
stop </dev/null
is "$status" 2 "no tasks and no stdin"
like "$err" "no tasks: pipe task records" "no tasks: message"
stop -c c1 </dev/null
is "$status" 2 "--cluster without --task"
stop --reason "$(printf '%0256d' 0)" -c c1 -t x </dev/null
is "$status" 2 "a reason of 256 characters"

# Dry run: the task records, nothing stopped.
front_ctl clear-log >/dev/null
stop --dry-run <"$TEST_SCRATCH/c1"
is "$status" 0 "dry run exits 0"
is "$(jq -r .kind <<<"$out" | sort -u)" task "dry run prints task records"
is "$(jq -r .taskArn <<<"$out" | sort)" \
	"$(printf '%s\n' $service_tasks $lone | sort)" \
	"dry run prints the three tasks"
is "$(stops | wc -l)" 0 "dry run stops nothing"
stop --dry-run -o table <"$TEST_SCRATCH/c1"
like "$out" "^Would stop 3 tasks:" "dry run text: count"
like "$out" "Services: c1/svc-01 \(2\); without a service: 1" \
	"dry run text: services"
like "$out" "c1/${lone##*/}  RUNNING  seed-app:1  \(no service\)" \
	"dry run text: one line per task"

# Stop with a reason.
front_ctl clear-log >/dev/null
stop --yes --reason "rotate credentials" <"$TEST_SCRATCH/c1"
is "$status" 0 "stop exits 0"
is "$(stops | jq -r .task | sort)" "$(printf '%s\n' $service_tasks $lone | sort)" \
	"StopTask for each task"
is "$(stops | jq -r .reason | sort -u)" "rotate credentials" \
	"the reason is sent"
is "$(stops | jq -r .cluster | sort -u)" \
	arn:aws:ecs:us-east-1:123456789012:cluster/c1 "the cluster is sent"
is "$(jq -r '.kind + " " + .desiredStatus + " " + .stoppedReason' <<<"$out" | sort -u)" \
	"task STOPPED rotate credentials" "prints the stopped task records"
is "$(wc -l <<<"$out")" 3 "one record per task"

# The same tasks again: already stopping, not stopped twice.
front_ctl clear-log >/dev/null
stop --yes <"$TEST_SCRATCH/c1"
is "$status" 0 "stopped tasks again exits 0"
is "$(stops | wc -l)" 0 "no second StopTask"
like "$err" "desiredStatus is already STOPPED \(lastStatus STOPPED\)" \
	"already stopped: warning"
is "$(wc -l <<<"$out")" 3 "already stopped: records printed"

# Container records name their task once; tasks of two clusters.
t1=$(seed tasks c1 1)
ecs-ls containers -c c1 </dev/null | grep "${t1##*/}" >"$TEST_SCRATCH/mixed"
ecs-ls tasks -c c2 </dev/null >>"$TEST_SCRATCH/mixed"
is "$(wc -l <"$TEST_SCRATCH/mixed")" 3 "two containers and a task"
front_ctl clear-log >/dev/null
stop --yes <"$TEST_SCRATCH/mixed"
is "$status" 0 "containers and two clusters exit 0"
is "$(stops | jq -r .task | sort)" "$(printf '%s\n' "$t1" "$other" | sort)" \
	"one StopTask per task"
is "$(front_log | jq -r 'select(.operation == "DescribeTasks") | .body.cluster | sub(".*/"; "")' | sort | tr '\n' ' ')" \
	"c1 c2 " "one DescribeTasks per cluster"

# With --task, stdin is not read (it may hold a loop's records).
t4=$(seed tasks c1 1)
ecs-ls tasks -c c1 </dev/null >"$TEST_SCRATCH/running"
front_ctl clear-log >/dev/null
stop --yes -c c1 -t "${t4##*/}" <"$TEST_SCRATCH/running"
is "$status" 0 "--task with records on stdin exits 0"
is "$(stops | jq -r .task)" "$t4" "--task: stdin records are not stopped"

# Errors: a task that does not exist, a record that is no task, and a
# StopTask that fails.
t2=$(seed tasks c1 1)
t3=$(seed tasks c1 1)
front_ctl clear-log >/dev/null
stop --yes -c c1 -t 0123456789abcdef0123456789abcdef -t "${t2##*/}" </dev/null
is "$status" 1 "missing task exits 1"
like "$err" "c1/0123456789abcdef0123456789abcdef: task not found" \
	"missing task: message"
is "$(stops | jq -r .task)" "$t2" "the other task is stopped"
printf '{"kind":"service","serviceArn":"arn:aws:ecs:us-east-1:123456789012:service/c1/svc-01"}\n' |
	ecs-stop --yes >/dev/null 2>"$TEST_SCRATCH/err"
is "$?" 1 "service record exits 1"
like "$(cat "$TEST_SCRATCH/err")" "stdin:1: not a task or container record \(kind service\)" \
	"service record: message"
front_ctl fault StopTask error 400 ClientException "injected failure" >/dev/null
front_ctl clear-log >/dev/null
stop --yes -c c1 -t "$t3" </dev/null
is "$status" 1 "failed StopTask exits 1"
like "$err" "c1/${t3##*/}: StopTask: ClientException: injected failure" \
	"failed StopTask: message names the task"
is "$out" "" "failed StopTask: no record"

done_testing
