#!/usr/bin/env bash
# ecs-log --exec-sessions: ECS Exec session logs from the CloudWatch log
# group or the S3 bucket named in the cluster's executeCommandConfiguration.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
base=$(($(now_ms) - 60000))
ecs_session=ecs-execute-command-0a1b2c3d4e5f60718
alice_session=alice-0123456789abcdef0

# CloudWatch Logs: one stream per session.
cw_arn=$(logseed exec-cluster audit-cw --log-group /exec/audit)
put_events /exec/audit "$ecs_session" "$base:# id" \
	"$((base + 2000)):uid=0(root)" >/dev/null
put_events /exec/audit "$alice_session" "$((base + 1000)):# cat /etc/passwd" \
	>/dev/null
ctl clear-log
out=$(ecs-log --cluster audit-cw --exec-sessions </dev/null)
is "$?" 0 "cloudwatch: exit status 0"
is "$(jq -r '[.sessionId, .message] | join(" ")' <<<"$out")" \
	"$ecs_session # id
$alice_session # cat /etc/passwd
$ecs_session uid=0(root)" "cloudwatch: sessions merged by time"
is "$(jq -r '.user // "-"' <<<"$out" | paste -sd,)" "-,alice,-" \
	"cloudwatch: the user from an SSM session ID"
is "$(jq -r '[.kind, .clusterArn, .logGroupName] | join(" ")' <<<"$out" |
	sort -u)" "logEvent $cw_arn /exec/audit" \
	"cloudwatch: kind, cluster and log group"
is "$(requests | jq -c -s 'map(select(.operation == "DescribeClusters"))
	| .[0].body.include')" '["CONFIGURATIONS"]' \
	"cloudwatch: the configuration is described"
is "$(requests | jq -s 'map(select(.operation == "FilterLogEvents"))
	| map(.body | has("logStreamNames")) | any')" false \
	"cloudwatch: the whole group is searched"
out=$(ecs-log --cluster audit-cw --exec-sessions --filter passwd </dev/null)
is "$(jq -r .message <<<"$out")" "# cat /etc/passwd" \
	"cloudwatch: --filter applies to sessions"
out=$(jq -cn --arg c "$cw_arn" '{kind: "cluster", clusterArn: $c}' |
	ecs-log --exec-sessions -o text)
like "$(sed -n 2p <<<"$out")" "^[0-9T:.-]+Z $alice_session # cat /etc/passwd\$" \
	"cloudwatch: cluster record on stdin, text output"

# S3: one object per session under the prefix.
s3_arn=$(logseed exec-cluster audit-s3 --bucket audit-logs --prefix exec/)
printf 'sh-5.2# id\nuid=0(root)\n' |
	logseed s3-put audit-logs "exec/$ecs_session.log"
sleep 1
printf 'bad \xff byte\nno newline at end' |
	logseed s3-put audit-logs "exec/$alice_session.log"
printf 'not an exec log\n' | logseed s3-put audit-logs other/x.log
ctl clear-log
out=$(ecs-log --cluster audit-s3 --exec-sessions </dev/null)
is "$?" 0 "s3: exit status 0"
is "$(jq -r '[.sessionId, .message] | join(" ")' <<<"$out")" \
	"$ecs_session sh-5.2# id
$ecs_session uid=0(root)
$alice_session bad � byte
$alice_session no newline at end" "s3: lines of each object, oldest first"
is "$(jq -r '[.s3Bucket, .s3Key, .clusterArn] | join(" ")' <<<"$out" |
	sort -u | paste -sd,)" \
	"audit-logs exec/$alice_session.log $s3_arn,audit-logs exec/$ecs_session.log $s3_arn" \
	"s3: bucket, key and cluster in the records"
is "$(jq -r '.user // "-"' <<<"$out" | paste -sd,)" "-,-,alice,alice" \
	"s3: the user from an SSM session ID"
is "$(requests | jq -r -s 'map(select(.operation == "ListObjectsV2"))
	| .[0].path')" "/audit-logs" "s3: path-style listing"
is "$(ops GetObject)" 2 "s3: one GetObject per small object"

out=$(ECS_LOG_NOW=$(iso_ms "$(($(now_ms) + 7200000))") \
	ecs-log --cluster audit-s3 --exec-sessions --since 1h </dev/null 2>&1)
is "$?" 0 "s3: --since with nothing in the window: exit status 0"
is "$out" "" "s3: --since leaves out older objects"
out=$(ecs-log --cluster audit-s3 --exec-sessions --tail 1 </dev/null)
is "$(jq -r .message <<<"$out")" "no newline at end" "s3: --tail 1"

# A session log larger than one 8 MiB range.
python3 -c '
import sys
for i in range(100000):
    sys.stdout.write("line %06d %s\n" % (i, "x" * 78))
' | logseed s3-put audit-logs "exec/big-0123456789abcdef2.log"
ctl clear-log
out=$(ecs-log --cluster audit-s3 --exec-sessions -o raw </dev/null |
	grep -c '^line ')
is "$out" 100000 "s3: a 9 MB object read whole"
is "$(ops GetObject)" 4 "s3: the large object in two ranges"

# Clusters that do not say where sessions go, and options that do not fit.
logseed exec-cluster plain --logging DEFAULT >/dev/null
out=$(ecs-log --cluster plain --exec-sessions </dev/null 2>&1)
is "$?" 1 "no destination: exit status 1"
like "$out" "cluster plain names no CloudWatch log group or S3 bucket.*logging is DEFAULT" \
	"no destination: the setting is named"
out=$(ecs-log --cluster audit-s3 --exec-sessions --filter x </dev/null 2>&1)
is "$?" 1 "s3 with --filter: exit status 1"
out=$(ecs-log --cluster audit-s3 --exec-sessions --service x </dev/null 2>&1)
is "$?" 2 "--exec-sessions with --service: usage error"

# Following: a session that starts later is printed.
out=$TEST_SCRATCH/follow.out
ecs-log --cluster audit-cw --exec-sessions --follow --poll 0.2 </dev/null \
	>"$out" 2>"$TEST_SCRATCH/follow.err" &
follower=$!
at_exit "kill $follower 2>/dev/null"
wait_for_lines "$out" 3
put_events /exec/audit ecs-execute-command-0ffffffffffffffff \
	"$(now_ms):# uptime" >/dev/null
wait_for_lines "$out" 4
ok $? "follow: a new session is printed"
kill "$follower"
wait "$follower"
is "$?" 143 "follow: SIGTERM ends it with status 143"
is "$(cat "$TEST_SCRATCH/follow.err")" "" "follow: nothing on stderr"
is "$(jq -r .message "$out" | tail -1)" "# uptime" "follow: its output"
no_sanitizer_reports
done_testing
