#!/usr/bin/env bash
# ecs-log reading pages: messages with escapes, unicode and control
# characters come out as they went in; pages of an unusual shape (read by
# jq instead of the scanner) give the same records.

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
base=$(($(now_ms) - 60000))

# moto escapes every non-ASCII character, so these messages go through
# the decoding path; plain ASCII ones are copied unchanged.
python3 -c '
import json, sys
base = int(sys.argv[1])
messages = [
    "plain ascii",
    "quote \" backslash \\ slash /",
    "caf\u00e9 \u2713 \U0001F600",
    "tab\tnewline\ncarriage return\r",
    "del \x7f bell \x07 nul \x00 esc \x1b",
    "\u2028 line separator \ufeff",
]
for i, m in enumerate(messages):
    print(json.dumps({"timestamp": base + i, "message": m}))
' "$base" >"$TEST_SCRATCH/seeded"
logseed events /shapes/app s/1 <"$TEST_SCRATCH/seeded"

out=$(ecs-log --log-group /shapes/app --log-stream s/1 </dev/null)
is "$?" 0 "escapes: exit status 0"
is "$(jq -c .message <<<"$out" | jq -sc .)" \
	"$(jq -c .message "$TEST_SCRATCH/seeded" | jq -sc .)" \
	"escapes: every message as seeded"
is "$(jq -c .timestamp <<<"$out" | paste -sd,)" \
	"$(jq -c .timestamp "$TEST_SCRATCH/seeded" | paste -sd,)" \
	"escapes: every timestamp"
is "$(sed -n 3p <<<"$out" | jq -r .message)" "café ✓ 😀" \
	"escapes: unicode decoded to UTF-8"
is "$(grep -c $'\x1b' <<<"$out")" 0 "escapes: no raw escape byte"
like "$(sed -n 5p <<<"$out")" '"message":"del \\u007f bell \\u0007 nul \\u0000 esc \\u001b"' \
	"escapes: control characters as \\u escapes"

out=$(ecs-log --log-group /shapes/app --log-stream s/1 --filter '' </dev/null)
is "$(jq -c .message <<<"$out" | jq -sc .)" \
	"$(jq -c .message "$TEST_SCRATCH/seeded" | jq -sc .)" \
	"escapes with FilterLogEvents: every message as seeded"

# raw_fault RULE: adds a fault rule as written. The fault helper passes
# rules through jq, which would turn 1700000000000.0 into an integer.
raw_fault()
{
	curl -sS -f -X POST -H "Content-Type: application/json" \
		--data-binary "{\"cmd\": \"fault\", \"rule\": $1}" \
		"$ECS_LOCAL_AWS_FRONT/__front/ctl" >/dev/null
}

# Scripted pages that the scanner leaves to jq: a timestamp written with a
# fraction, an unknown member with an escaped name, and an escaped eventId
# (the front writes non-ASCII characters as \u escapes). The second reply
# ends the stream by repeating the token.
raw_fault '{"op": "GetLogEvents", "action": "reply", "body": {"events": [
	{"timestamp": 1700000000000.0, "message": "fraction",
	 "ingestionTime": 1700000000009},
	{"timestamp": 1700000000001, "message": "second", "x\"y": 1}],
	"nextForwardToken": "t1", "nextBackwardToken": "b"}}'
raw_fault '{"op": "GetLogEvents", "action": "reply", "body": {"events": [],
	"nextForwardToken": "t1", "nextBackwardToken": "b"}}'
out=$(ecs-log --log-group /shapes/app --log-stream s/1 </dev/null)
is "$?" 0 "jq page: exit status 0"
is "$(jq -c '[.timestamp, .message, .ingestionTime]' <<<"$out" | paste -sd,)" \
	'[1700000000000,"fraction",1700000000009],[1700000000001,"second",null]' \
	"jq page: timestamps, messages and ingestionTime"

raw_fault '{"op": "FilterLogEvents", "action": "reply", "body": {"events": [
	{"logStreamName": "s/1", "timestamp": 1700000000000, "message": "m",
	 "eventId": "id\u00e9"}], "searchedLogStreams": []}}'
out=$(ecs-log --log-group /shapes/app --log-stream s/1 --filter '' </dev/null)
is "$?" 0 "jq filter page: exit status 0"
is "$(jq -c '[.eventId, .logStreamName, .message]' <<<"$out")" \
	'["idé","s/1","m"]' "jq filter page: eventId decoded"

fault '{"op": "GetLogEvents", "action": "invalid-json"}'
out=$(ecs-log --log-group /shapes/app --log-stream s/1 </dev/null 2>&1)
is "$?" 1 "invalid JSON: exit status 1"
like "$out" 'GetLogEvents: InvalidResponse: the CloudWatch Logs response is not valid JSON .*stream "s/1"' \
	"invalid JSON: error names the operation and stream"

no_sanitizer_reports
done_testing
