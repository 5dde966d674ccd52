# Helpers for the ecs-ls tests (t/2xxx), sourced after test-lib.sh.
#
# ops OP: how many OP requests the front logged since the last clear.
# sizes OP MEMBER: the lengths of MEMBER in the OP requests, as [a,b,...].
# conns: how many connections the logged requests came on.
# ecs_api METHOD JSON: one boto3 ECS call (snake_case method), JSON reply.
# ecs_list_all METHOD MEMBER JSON: every item of a paged List call.
# start_canned_ecs ARGS: starts bench/ecs-canned.py, sets CANNED_URL.
# widest: the widest line on stdin, in characters.

ops()
{
	front_log | jq -s --arg op "$1" '[.[] | select(.operation == $op)] |
		length'
}

sizes()
{
	# Largest first: batches sent at once reach the front in any order.
	front_log | jq -s -c --arg op "$1" --arg m "$2" '[.[] |
		select(.operation == $op) | .body[$m] | length] | sort | reverse'
}

conns()
{
	front_log | jq -s '[.[].conn] | unique | length'
}

ecs_api()
{
	python3 - "$1" "${2:-{\}}" <<'EOF'
import json, os, sys
import boto3
client = boto3.client("ecs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
reply = getattr(client, sys.argv[1])(**json.loads(sys.argv[2]))
reply.pop("ResponseMetadata", None)
print(json.dumps(reply, default=str))
EOF
}

ecs_list_all()
{
	python3 - "$1" "$2" "${3:-{\}}" <<'EOF'
import json, os, sys
import boto3
client = boto3.client("ecs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
pages = client.get_paginator(sys.argv[1]).paginate(**json.loads(sys.argv[3]))
for page in pages:
    for item in page[sys.argv[2]]:
        print(item)
EOF
}

start_canned_ecs()
{
	local port_file=$TEST_SCRATCH/canned.port i
	rm -f "$port_file"
	python3 "$REPO_DIR/bench/ecs-canned.py" --port-file "$port_file" \
		"$@" &
	CANNED_PID=$!
	at_exit "kill $CANNED_PID 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		[ -s "$port_file" ] && break
		sleep 0.05
	done
	[ -s "$port_file" ] || bail_out "bench/ecs-canned.py did not start"
	CANNED_URL=http://127.0.0.1:$(cat "$port_file")
}

widest()
{
	python3 -c 'import sys
print(max([len(l.rstrip("\n")) for l in sys.stdin] or [0]))'
}
