#!/usr/bin/env bash
# AWS JSON replies: a 200 reply that is valid JSON but not an object
# ends the program with a clear error (libjq aborts on a member lookup in
# anything else).
. "$(dirname "$0")/lib/test-lib.sh"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

# Starts t/lib/stub_server.py answering every POST with $1; sets STUB_PORT.
start_stub() {
	local port_file pid i
	port_file=$(mktemp "$TEST_SCRATCH/stub.XXXXXX")
	python3 "$TEST_DIR/lib/stub_server.py" json "$1" \
		>"$port_file" 2>"$TEST_SCRATCH/stub.err" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	STUB_PID=$pid
	for ((i = 0; i < 100; i++)); do
		STUB_PORT=$(head -n1 "$port_file")
		[ -n "$STUB_PORT" ] && return 0
		sleep 0.1
	done
	diag "stub server did not start: $(cat "$TEST_SCRATCH/stub.err")"
	return 1
}

for body in '[]' '"text"' '42' 'null' 'true'; do
	start_stub "$body" || continue
	ecs-ls clusters --endpoint-url "http://127.0.0.1:$STUB_PORT" \
		>"$TEST_SCRATCH/out" 2>"$TEST_SCRATCH/err"
	rc=$?
	is "$rc" 1 "reply $body: exit status 1"
	like "$(cat "$TEST_SCRATCH/err")" "InvalidResponse.*not an object" \
		"reply $body: the error names the reply's shape"
	is "$(wc -c <"$TEST_SCRATCH/out")" 0 "reply $body: no output"
	kill "$STUB_PID" 2>/dev/null
	wait "$STUB_PID" 2>/dev/null
done
done_testing
