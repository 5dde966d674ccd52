#!/usr/bin/env bash
# ecs-ls usage: kinds and options checked before any request, help and
# man page in step, exit status 2 for usage errors.

. "$(dirname "$0")/lib/test-lib.sh"

export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_CONFIG_FILE=$TEST_SCRATCH/config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/credentials
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
# Nothing listens here: a request would fail with exit 1, not 2.
export AWS_ENDPOINT_URL=http://127.0.0.1:9

# usage_error NAME PATTERN ARGS...: ecs-ls ARGS exits 2 and prints PATTERN.
usage_error()
{
	local name=$1 pattern=$2 err status
	shift 2
	err=$(ecs-ls "$@" </dev/null 2>&1 >/dev/null)
	status=$?
	is "$status" 2 "$name: exit 2"
	like "$err" "$pattern" "$name: message"
}

usage_error "no kind" "missing KIND: clusters, services, tasks" 
usage_error "unknown kind" 'unknown KIND "pods"' pods
usage_error "extra argument" 'unexpected argument "more"' tasks more
usage_error "service for clusters" "--service does not apply to clusters" \
	clusters -s web
usage_error "service for instances" "--service does not apply to instances" \
	instances -s web
usage_error "family for services" "--family applies to tasks" \
	services --family web
usage_error "family with revision" 'invalid --family "web:3"' \
	tasks --family web:3
usage_error "all revisions for tasks" "--all-revisions applies to taskdefs" \
	tasks --all-revisions
usage_error "desired status for services" \
	"--desired-status applies to tasks and containers" \
	services --desired-status STOPPED
usage_error "bad desired status" \
	'invalid --desired-status "DONE": expected RUNNING, STOPPED or ALL' \
	tasks --desired-status DONE
usage_error "bad launch type" \
	'invalid --launch-type "LAMBDA": expected FARGATE, EC2 or EXTERNAL' \
	tasks --launch-type LAMBDA
usage_error "launch type for clusters" "--launch-type does not apply" \
	clusters --launch-type EC2
usage_error "bad concurrency" 'invalid --max-concurrency "0"' \
	tasks --max-concurrency 0
usage_error "bad output" 'invalid output format "yaml"' tasks -o yaml
usage_error "empty region list" "--region needs at least one region" \
	tasks -r ,
usage_error "unknown option" "unrecognized option|invalid option" \
	tasks --nope

# Requests that fail before they are sent (no credentials) end the
# listing cleanly.
nocreds()
{
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY ecs-ls "$@"
}
err=$(nocreds clusters -c a -c b </dev/null 2>&1)
is $? 1 "no credentials: exit 1"
like "$err" "^ecs-ls: DescribeClusters: no AWS credentials found" \
	"no credentials: the error names the operation"
err=$(printf '%s\n' '{"taskArn":"arn:aws:ecs:us-east-1:1:task/c/x"}' \
	'{"taskArn":"arn:aws:ecs:us-east-1:1:task/d/y"}' |
	nocreds containers 2>&1)
is $? 1 "no credentials, tasks on stdin: exit 1"
is "$(grep -c 'DescribeTasks: no AWS credentials' <<<"$err")" 2 \
	"one error per cluster"
for kind in clusters tasks taskdefs events; do
	nocreds "$kind" </dev/null >/dev/null 2>&1
	is $? 1 "no credentials, $kind: exit 1"
done

help=$(ecs-ls --help)
is $? 0 "--help exits 0"
for kind in clusters services tasks containers taskdefs instances events \
	deployments; do
	like "$help" "  $kind " "--help lists $kind"
done
like "$(ecs-ls --version)" '^ecs-ls [0-9]+\.[0-9]+\.[0-9]+$' "--version"

man=$REPO_DIR/share/man/man1/ecs-ls.1
[ -f "$man" ]
ok $? "man page exists"
for option in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
	grep -q -- "$(sed 's/-/\\\\-/g' <<<"$option")" "$man"
	ok $? "man page documents $option"
done

done_testing
