#!/usr/bin/env bash
# ecs-pick --filter: input rules, ranking, output bytes and exit status,
# and the same matches as fzf --filter where the query syntax overlaps.
. "$(dirname "$0")/lib/test-lib.sh"

cd "$TEST_SCRATCH" || bail_out "no scratch directory"

# Display lines of records, as --via hands them to another picker.
display_lines()
{
	ecs-pick --via "cat >'$TEST_SCRATCH/shown'" "$@" >/dev/null
	cat "$TEST_SCRATCH/shown"
}

cat >tasks.ndjson <<'JSON'
{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f60718293a4b5c6d7e8f9","group":"service:web","lastStatus":"RUNNING","launchType":"FARGATE","createdAt":1000}
{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/prod/ffffeeeeddddccccbbbbaaaa99998888","group":"service:api","lastStatus":"STOPPED","launchType":"EC2","createdAt":2000}
{"kind":"task","taskArn":"arn:aws:ecs:us-east-1:123456789012:task/dev/1234567890abcdef1234567890abcdef","group":"family:webhook","lastStatus":"RUNNING","launchType":"FARGATE","createdAt":3000}
JSON

# Output and exit status.
out=$(ecs-pick --filter web <tasks.ndjson)
is "$?" 0 "filter exits 0 when something matches"
is "$(wc -l <<<"$out")" 2 "filter prints the two web tasks"
is "$(head -1 <<<"$out")" "$(sed -n 1p tasks.ndjson)" \
	"records come out byte for byte"
out=$(ecs-pick --filter zzz <tasks.ndjson)
is "$?" 1 "filter exits 1 when nothing matches"
is "$out" "" "filter prints nothing when nothing matches"
out=$(ecs-pick --filter '' <tasks.ndjson)
is "$out" "$(cat tasks.ndjson)" "empty query prints every record in order"
out=$(ecs-pick --filter '' --tac <tasks.ndjson)
is "$out" "$(tac tasks.ndjson)" "--tac reverses the input order"
out=$(ecs-pick --filter run --no-sort <tasks.ndjson | jq -r .group)
is "$out" "$(printf 'service:web\nfamily:webhook')" \
	"--no-sort keeps input order"

# With --no-sort a match is printed while the producer still writes.
mkfifo feed result
ecs-pick --filter err --no-sort <feed >result &
picker=$!
exec 3>feed 4<result
printf '{"name":"err-1"}\n{"name":"ok"}\n' >&3
line=
read -r -t 20 line <&4
is "$line" '{"name":"err-1"}' "--no-sort prints a match before the input ends"
printf '{"name":"err-2"}\n' >&3
exec 3>&-
read -r -t 20 line <&4
is "$line" '{"name":"err-2"}' "and the next one when it comes"
exec 4<&-
wait "$picker"
is "$?" 0 "the streaming filter exits 0"

# Ranking: the run at a word start wins over letters spread out.
printf '%s\n' '{"name":"w-x-e-x-b"}' '{"name":"my-web"}' \
	'{"name":"webhook"}' '{"name":"a web"}' >rank.ndjson
out=$(ecs-pick --filter web <rank.ndjson | jq -r .name)
is "$out" "$(printf 'a web\nwebhook\nmy-web\nw-x-e-x-b')" \
	"ranking: white-space word start (shorter first), dash, spread"

# Input rules: BOM, CRLF, blank lines, a malformed line.
printf '\xef\xbb\xbf{"name":"one"}\r\n\r\n   \n{"name":"two"}\nnot json\n[1]\n{"name":"three"}' \
	>messy.ndjson
out=$(ecs-pick --filter '' <messy.ndjson 2>err)
status=$?
is "$status" 2 "malformed lines make the exit status 2"
is "$(sed -n 1p <<<"$out" | od -An -tx1)" \
	"$(printf '{"name":"one"}\r\n' | od -An -tx1)" \
	"the BOM is dropped and the CR of a CRLF line is kept"
is "$(wc -l <<<"$out")" 3 "the three valid records are printed"
is "$(tail -1 <<<"$out")" '{"name":"three"}' \
	"a last line without a newline gets one"
like "$(cat err)" 'ecs-pick: stdin:5: invalid JSON' \
	"the error names line 5"
like "$(cat err)" 'stdin:6: expected a JSON object' \
	"a JSON array is rejected with its line number"

# Lines that cannot match are still checked: a malformed one is reported
# and a record only jq's parser accepts (NaN) is displayed as jq prints it.
printf '%s\n' '{"name":"one"}' '{"name":"q", oops}' '{"name": NaN}' \
	>lenient.ndjson
out=$(ecs-pick --filter qqqq <lenient.ndjson 2>err)
is "$?" 2 "a malformed line is an error even when nothing matches"
like "$(cat err)" 'stdin:2: invalid JSON' "and names its line"
out=$(ecs-pick --filter "'null" <lenient.ndjson 2>/dev/null)
is "$out" '{"name": NaN}' "a NaN record matches its display as null"

# A long line (1 MiB string) is read whole.
{
	printf '{"name":"long-'
	head -c 1048576 /dev/zero | tr '\0' x
	printf '"}\n{"name":"short"}\n'
} >long.ndjson
out=$(ecs-pick --filter long <long.ndjson | wc -c)
is "$out" 1048593 "a 1 MiB line comes out whole"

# Default display lines per kind.
shown=$(display_lines <tasks.ndjson)
like "$(sed -n 1p <<<"$shown")" \
	'^0a1b2c3d4e5f60718293a4b5c6d7e8f9  service:web +RUNNING +FARGATE +[0-9]+d$' \
	"task: id, group, status, launch type, age"
cat >kinds.ndjson <<'JSON'
{"kind":"container","taskArn":"arn:aws:ecs:us-east-1:1:task/c/abc123","name":"app","lastStatus":"RUNNING","managedAgents":[{"name":"Other","lastStatus":"STOPPED"},{"name":"ExecuteCommandAgent","lastStatus":"RUNNING"}]}
{"kind":"cluster","clusterName":"prod","status":"ACTIVE","activeServicesCount":3,"runningTasksCount":7,"pendingTasksCount":0}
{"kind":"service","serviceName":"web","status":"ACTIVE","desiredCount":3,"runningCount":2,"launchType":"FARGATE"}
{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/web:7","family":"web","revision":7,"status":"ACTIVE"}
{"kind":"logEvent","timestamp":1440938160000,"logStreamName":"ecs/app/abc","message":"hello\u001b[31m red"}
{"kind":"credentials","AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG","Expiration":"2030-01-01T00:00:00Z"}
{"widgetName":"gear","colour":"red"}
{"a":1,"b":[2,3]}
JSON
shown=$(display_lines <kinds.ndjson)
like "$(sed -n 1p <<<"$shown")" '^abc123 +app +RUNNING +exec RUNNING$' \
	"container: task id, name, status, exec agent"
like "$(sed -n 2p <<<"$shown")" '^prod +ACTIVE +3 services  7 running  0 pending$' \
	"cluster: name, status, counts"
like "$(sed -n 3p <<<"$shown")" '^web +ACTIVE +2/3 running  FARGATE$' \
	"service: name, status, running/desired"
is "$(sed -n 4p <<<"$shown")" "web:7  ACTIVE" \
	"task definition without kind: family:revision, status"
is "$(sed -n 5p <<<"$shown")" \
	"2015-08-30T12:36:00Z  ecs/app/abc  hello^[[31m red" \
	"log event: time, stream, message with the escape made visible"
unlike "$(sed -n 6p <<<"$shown")" 'wJalr' \
	"credentials: the secret key is not shown"
is "$(sed -n 7p <<<"$shown")" "gear" "other object: its name-like field"
is "$(sed -n 8p <<<"$shown")" '{"a":1,"b":[2,3]}' \
	"other object without names: compact JSON"
shown=$(display_lines --format '.family + ":" + (.revision|tostring)' \
	<kinds.ndjson 2>err)
is "$(sed -n 4p <<<"$shown")" 'web:7' "--format runs a jq expression"
is "$(sed -n 1p <<<"$shown")" ':null' "--format output of another record"
ecs-pick --format '.[' --filter x </dev/null 2>err
is "$?" 2 "a --format that does not compile is exit status 2"
like "$(cat err)" 'invalid --format expression' "and says so"

# Escaped JSON strings are decoded before display and matching.
printf '%s\n' '{"name":"caf\u00e9 \"q\" tab\there"}' >escaped.ndjson
is "$(display_lines <escaped.ndjson)" 'café "q" tab here' \
	"escapes in strings are decoded, tabs shown as spaces"
out=$(ecs-pick --filter "'café" <escaped.ndjson)
is "$?" 0 "a decoded \\u escape can be matched"

# Same matches as fzf --filter on lines where both read the same text.
awk 'BEGIN {
	srand(7)
	split("web api worker billing-api checkout search-indexer " \
	    "payments Auth-Gateway notifications cron-runner " \
	    "imageResize ledger reporting", svc, " ")
	split("prod staging dev", env, " ")
	for (i = 1; i <= 400; i++) {
		s = svc[int(rand() * 13) + 1]
		e = env[int(rand() * 3) + 1]
		id = sprintf("%08x", int(rand() * 4294967295))
		printf "%s/%s-%s %s\n", e, s, id, (rand() < 0.3 ? "RUNNING" : "stopped")
	}
}' >lines.txt
jq -R -c '{name: .}' <lines.txt >lines.ndjson
same=0 differ=0
for q in web api 'prod web' "'web" '^dev' 'ped$' '!prod' 'web | api' \
	Web RUN 'wbp' 'a\ p' '^staging api$' "!'xyz" 'chk pay | ledg' \
	'imgR' '1 2 3' 'ing$ !dev'; do
	ours=$(ecs-pick --filter "$q" <lines.ndjson | jq -r .name | sort)
	theirs=$(fzf --literal --filter "$q" <lines.txt | sort)
	if [ "$ours" = "$theirs" ]; then
		same=$((same + 1))
	else
		differ=$((differ + 1))
		diag "query '$q': ecs-pick and fzf disagree:
$(diff <(echo "$ours") <(echo "$theirs") | head -5)"
	fi
done
is "$differ" 0 "same matches as fzf --filter for $same queries"
for q in checkout 'pay' "'ledger"; do
	ours=$(ecs-pick --filter "$q" <lines.ndjson | jq -r .name | head -1)
	theirs=$(fzf --literal --filter "$q" <lines.txt | head -1)
	is "${ours%%-*}" "${theirs%%-*}" "best match for '$q' agrees with fzf"
done

done_testing
