#!/usr/bin/env bash
# ecs-log: GetLogEvents and FilterLogEvents paging, with pages scripted in
# the front (moto never returns empty pages or repeated tokens mid-stream).

. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

start_local_aws
app_taskdef paged >/dev/null
task=$(start_tasks c1 1 --task-definition paged)
id=$(task_id "$task")
stream=paged/app/$id

# page LOGSTREAM TOKEN_SENT EVENTS_JSON NEXT_TOKEN: one scripted page.
page()
{
	fault "$(jq -cn --arg s "$1" --argjson sent "$2" \
		--argjson events "$3" --arg next "$4" '{op: "GetLogEvents",
		action: "reply", match: {logStreamName: $s, nextToken: $sent},
		body: {events: $events, nextForwardToken: $next,
		nextBackwardToken: "b/0"}}')"
}

ev()
{
	jq -cn --argjson ts "$1" --arg m "$2" \
		'{timestamp: $ts, message: $m, ingestionTime: ($ts + 5)}'
}

# Three pages of events, then the token comes back unchanged.
page "$stream" null "[$(ev 1000 one),$(ev 2000 two)]" f/1
page "$stream" '"f/1"' "[$(ev 3000 three),$(ev 4000 four)]" f/2
page "$stream" '"f/2"' "[$(ev 5000 five)]" f/3
page "$stream" '"f/3"' "[]" f/3
ctl clear-log
out=$(ecs-log --task "$task" --cluster c1 </dev/null)
is "$?" 0 "three pages: exit status 0"
is "$(jq -r .message <<<"$out" | paste -sd,)" "one,two,three,four,five" \
	"three pages: every event, in order"
is "$(requests | jq -c -s 'map(select(.operation == "GetLogEvents")
	| .body.nextToken)')" '[null,"f/1","f/2","f/3"]' \
	"three pages: follows nextForwardToken until it repeats"
is "$(requests | jq -s 'map(select(.operation == "GetLogEvents")
	| .body.startFromHead) | all')" true \
	"three pages: reads forward from the head"
is "$(jq -s 'map(.ingestionTime) | join(",")' <<<"$out")" \
	'"1005,2005,3005,4005,5005"' "three pages: ingestion times kept"

# Empty pages with new tokens are not the end.
ctl clear-faults
page "$stream" null "[$(ev 1000 first)]" t1
page "$stream" '"t1"' "[]" t2
page "$stream" '"t2"' "[]" t3
page "$stream" '"t3"' "[$(ev 2000 after-gap)]" t4
page "$stream" '"t4"' "[]" t5
page "$stream" '"t5"' "[$(ev 3000 last)]" t6
page "$stream" '"t6"' "[]" t6
ctl clear-log
out=$(ecs-log --task "$task" --cluster c1 </dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" "first,after-gap,last" \
	"empty pages: events after them are read"
is "$(ops GetLogEvents)" 7 "empty pages: one request per page"

# A stream whose first page is empty ends when the token repeats.
ctl clear-faults
page "$stream" null "[]" e1
page "$stream" '"e1"' "[]" e1
out=$(ecs-log --task "$task" --cluster c1 </dev/null)
is "$?" 0 "empty stream: exit status 0"
is "$out" "" "empty stream: no output"

# FilterLogEvents: an empty page with a nextToken is not the end.
ctl clear-faults
fpage()
{
	fault "$(jq -cn --argjson sent "$1" --argjson events "$2" \
		--argjson next "$3" '{op: "FilterLogEvents", action: "reply",
		match: {nextToken: $sent}, body: ({events: $events,
		searchedLogStreams: []} + (if $next == null then {} else
		{nextToken: $next} end))}')"
}

fev()
{
	jq -cn --argjson ts "$1" --arg m "$2" --arg s "$stream" --arg id "$3" \
		'{timestamp: $ts, message: $m, ingestionTime: $ts,
		logStreamName: $s, eventId: $id}'
}

fpage null "[$(fev 1000 ERROR-a 1),$(fev 2000 ERROR-b 2)]" '"n1"'
fpage '"n1"' "[]" '"n2"'
fpage '"n2"' "[$(fev 3000 ERROR-c 3)]" null
ctl clear-log
out=$(ecs-log --task "$task" --cluster c1 --filter ERROR </dev/null)
is "$(jq -r .message <<<"$out" | paste -sd,)" "ERROR-a,ERROR-b,ERROR-c" \
	"filter: every page read, across an empty one"
is "$(jq -r .eventId <<<"$out" | paste -sd,)" "1,2,3" \
	"filter: event ids in the records"
is "$(requests | jq -c -s 'map(select(.operation == "FilterLogEvents")
	| .body.nextToken)')" '[null,"n1","n2"]' \
	"filter: follows nextToken until it is absent"
is "$(requests | jq -r -s 'map(select(.operation == "FilterLogEvents"))
	| .[0].body | [.filterPattern, (.logStreamNames | join(" "))]
	| join(";")')" "ERROR;$stream" \
	"filter: pattern and stream name sent to the service"

# More than 100 streams: FilterLogEvents takes at most 100 names a call,
# and DescribeTasks at most 100 tasks.
ctl clear-faults
logseed stream /ecs/paged "$stream"
{
	echo "$task"
	start_tasks c1 120 --task-definition paged
} | jq -Rc '{kind: "task", taskArn: .,
	clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/c1"}' 	>"$TEST_SCRATCH/tasks.ndjson"
ctl clear-log
out=$(ecs-log --filter ERROR <"$TEST_SCRATCH/tasks.ndjson" 2>&1)
is "$?" 0 "121 streams: exit status 0"
is "$(ops DescribeTasks)" 2 "121 streams: DescribeTasks in batches of 100"
is "$(requests | jq -s 'map(select(.operation == "FilterLogEvents")
	| .body.logStreamNames | length) | max')" 100 \
	"121 streams: at most 100 names per call"
is "$(requests | jq -s 'map(select(.operation == "FilterLogEvents")
	| .body.logStreamNames[]) | unique | length')" 121 \
	"121 streams: every stream is searched"
no_sanitizer_reports
done_testing
