#!/usr/bin/env bash
# The HTTP layer: connections are reused, proxies and AWS_CA_BUNDLE come
# from the environment, and --debug shows requests without secrets.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
seed clusters 250 >/dev/null

# Starts t/lib/stub_server.py in the background and sets STUB_PORT.
start_stub() {
	local port_file
	port_file=$(mktemp "$TEST_SCRATCH/stub.XXXXXX")
	python3 "$(dirname "$0")/lib/stub_server.py" "$@" \
		>"$port_file" 2>"$TEST_SCRATCH/stub.err" &
	local pid=$! i
	at_exit "kill $pid 2>/dev/null"
	for ((i = 0; i < 100; i++)); do
		STUB_PORT=$(head -n1 "$port_file")
		[ -n "$STUB_PORT" ] && return 0
		sleep 0.1
	done
	diag "stub server did not start: $(cat "$TEST_SCRATCH/stub.err")"
	return 1
}

front_ctl clear-log >/dev/null
ecs-ls clusters --max-concurrency 1 >"$TEST_SCRATCH/out"
is $? 0 "ecs-ls clusters succeeds"
first_cluster=$(head -n1 "$TEST_SCRATCH/out" | jq -r .clusterName)
is "$(wc -l <"$TEST_SCRATCH/out")" 250 "250 clusters are listed"
is "$(front_log | jq -s 'map(select(.operation == "ListClusters")) | length')" \
	3 "three ListClusters pages"
is "$(front_log | jq -s '[.[] | select(.operation == "DescribeClusters") | .body.clusters | length] | join(",")')" \
	'"100,100,50"' "DescribeClusters batches of 100, 100 and 50"
is "$(front_log | jq -s 'map(.conn) | unique | length')" 1 \
	"six calls share one connection"

front_ctl clear-log >/dev/null
ecs-ls clusters --max-concurrency 4 >"$TEST_SCRATCH/out4"
cmp -s "$TEST_SCRATCH/out" "$TEST_SCRATCH/out4"
ok $? "the same bytes with four requests in flight"
conns=$(front_log | jq -s 'map(.conn) | unique | length')
ok "$([ "$conns" -le 4 ]; echo $?)" "no more than four connections ($conns)"

# --debug: operation, status, timing and attempts; never a secret.
secret="DEBUGSECRETdoNotLeak0123456789abcdefXYZ"
token="DEBUGTOKENdoNotLeak9876543210"
AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
	ecs-ls clusters --debug >/dev/null 2>"$TEST_SCRATCH/debug"
like "$(cat "$TEST_SCRATCH/debug")" \
	"debug: ECS ListClusters us-east-1 -> 200 \([0-9.]+ ms, attempt 1/3" \
	"--debug logs operation, status, duration and attempt"
like "$(cat "$TEST_SCRATCH/debug")" "debug: credentials from environment" \
	"--debug names the credential source"
unlike "$(cat "$TEST_SCRATCH/debug")" "$secret" "no secret key in --debug"
unlike "$(cat "$TEST_SCRATCH/debug")" "$token" "no session token in --debug"
unlike "$(cat "$TEST_SCRATCH/debug")" "Signature=" "no signature in --debug"

# A forward proxy from http_proxy sees the requests.
start_stub proxy "$TEST_SCRATCH/proxy.log"
http_proxy=http://127.0.0.1:$STUB_PORT NO_PROXY= no_proxy= \
	ecs-ls clusters -c "$first_cluster" >"$TEST_SCRATCH/out" 2>"$TEST_SCRATCH/err"
is $? 0 "a request through http_proxy succeeds" || diag "$(cat "$TEST_SCRATCH/err")"
like "$(cat "$TEST_SCRATCH/proxy.log")" "POST $AWS_ENDPOINT_URL/" \
	"the proxy saw the request"
is "$(wc -l <"$TEST_SCRATCH/out")" 1 "the answer came back through it"

# AWS_CA_BUNDLE: a private CA is trusted only when named.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TEST_SCRATCH/key.pem" -out "$TEST_SCRATCH/cert.pem" \
	2>/dev/null
start_stub json '{"clusterArns":[]}' --tls \
	"$TEST_SCRATCH/cert.pem" "$TEST_SCRATCH/key.pem"
AWS_CA_BUNDLE=$TEST_SCRATCH/cert.pem \
	ecs-ls clusters --endpoint-url "https://127.0.0.1:$STUB_PORT" \
	>/dev/null 2>"$TEST_SCRATCH/err"
is $? 0 "AWS_CA_BUNDLE makes the private CA trusted"
ecs-ls clusters --endpoint-url "https://127.0.0.1:$STUB_PORT" \
	>/dev/null 2>"$TEST_SCRATCH/err"
is $? 1 "without AWS_CA_BUNDLE the certificate is rejected"
like "$(cat "$TEST_SCRATCH/err")" "certificate" \
	"the error says the certificate was not trusted"

ecs-ls clusters --endpoint-url "ftp://127.0.0.1:1" >/dev/null 2>"$TEST_SCRATCH/err"
is $? 2 "a non-HTTP endpoint URL is a usage error"

done_testing
