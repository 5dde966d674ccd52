#!/usr/bin/env bash
# ecs-exec without a terminal: exact output bytes, the remote exit status,
# local stdin with its end, and several targets from stdin.
. "$(dirname "$0")/lib/test-lib.sh"

start_local_aws
task=$(seed tasks c1 1 --exec)
out=$TEST_SCRATCH/out
err=$TEST_SCRATCH/err

run() {
	timeout 60 ecs-exec --task "$task" --container app "$@" \
		>"$out" 2>"$err"
}

run -- printf 'a\nb\r\n\001\377' </dev/null
is $? 0 "printf exits 0"
is "$(od -An -tx1 <"$out" | tr -d ' \n')" "610a620d0a01ff" \
	"output bytes arrive exactly, no CR added"
is "$(cat "$err")" "" "nothing on stderr"

run -- sh -c 'echo out; exit 3' </dev/null
is $? 3 "exit status 3 is returned"
is "$(cat "$out")" "out" "output before exit 3"

run -- ecs-exec-no-such-command </dev/null
is $? 127 "a missing command exits 127"
like "$(cat "$out")" "not found" "the shell says the command was not found"

run -- true </dev/null
is $? 0 "true exits 0"
is "$(wc -c <"$out")" 0 "a silent command prints nothing"

run -- sh -c 'kill -TERM $$' </dev/null
is $? 143 "a command killed by SIGTERM exits 143"

head -c 1048576 /dev/urandom >"$TEST_SCRATCH/in"
run -- sha256sum <"$TEST_SCRATCH/in"
is $? 0 "sha256sum of 1 MiB of stdin exits 0"
is "$(cut -d' ' -f1 <"$out")" "$(sha256sum <"$TEST_SCRATCH/in" | cut -d' ' -f1)" \
	"1 MiB of random stdin arrives with the same checksum"

cat "$TEST_SCRATCH/in" | run -- sh -c 'cat >/dev/null; echo done'
is "$(cat "$out")" "done" "stdin from a pipe reaches its end"

run -- wc -c </dev/null
is "$(tr -d ' ' <"$out")" "0" "empty stdin reaches the command as end of input"

printf 'no newline at the end' | run -- cat
is "$(cat "$out")" "no newline at the end" "a last line without newline"

head -c 10000 /dev/zero | tr '\0' x | run -- wc -c
is "$(tr -d ' ' <"$out")" "10000" "a 10000-byte line is not cut"

printf '\003\004\032\034\r\n' | run -- od -An -tx1
is "$(tr -d ' \n' <"$out")" "03041a1c0d0a" \
	"control bytes in stdin reach the command unchanged"

run -- sh -c 'head -c 3000000 /dev/zero' </dev/null
is "$(wc -c <"$out")" 3000000 "3 MB of output arrive whole"

# Several targets from stdin.
tasks=$(seed tasks c1 2 --exec)
records=$(for t in $tasks; do
	printf '{"kind":"container","taskArn":"%s","clusterArn":"arn:aws:ecs:us-east-1:123456789012:cluster/c1","name":"app"}\n' "$t"
done)
ids=$(for t in $tasks; do echo "${t##*/}"; done | sort)

printf '%s\n' "$records" | timeout 60 ecs-exec --parallel 2 -- \
	sh -c 'echo one; echo two; cat; exit 2' >"$out" 2>"$err"
is $? 2 "the worst remote status is returned"
is "$(wc -l <"$out")" 4 "two lines from each of two targets"
is "$(sed 's|/app: .*||' "$out" | sort -u)" "$ids" \
	"each line is prefixed with task id and container"
is "$(grep -c ': two$' "$out")" 2 "second lines keep their text"

printf '%s\n' "$records" | timeout 60 ecs-exec -o json -- \
	sh -c 'echo "x y"; exit 4' >"$out" 2>"$err"
is $? 4 "json mode returns the remote status"
is "$(jq -s 'map(select(.kind == "execOutput")) | map(.line) | unique' -c "$out")" \
	'["x y"]' "output lines become records"
is "$(jq -s 'map(select(.kind == "execResult") | .exitCode) | unique' -c "$out")" \
	'[4]' "each target ends with an execResult record"
is "$(jq -s 'map(select(.kind == "execResult")) | length' "$out")" 2 \
	"one execResult per target"

printf '%s\n' "$records" | timeout 60 ecs-exec -- sh -c 'exit 0' \
	>"$out" 2>"$err"
is $? 0 "status 0 when every target succeeds"

done_testing
