#!/usr/bin/env bash
# The shell test library: TAP output, exit statuses, cleanup and traps,
# checked by running small test scripts that source it.

. "$(dirname "$0")/lib/test-lib.sh"

# run_script NAME: run $TEST_SCRATCH/NAME.t with stdout in NAME.out and
# stderr in NAME.err; sets $status.
run_script()
{
	local script=$TEST_SCRATCH/$1.t
	chmod +x "$script"
	"$script" >"$TEST_SCRATCH/$1.out" 2>"$TEST_SCRATCH/$1.err"
	status=$?
}

# write_script NAME < BODY: a test script that sources this library.
write_script()
{
	{
		echo '#!/usr/bin/env bash'
		echo ". '$TEST_DIR/lib/test-lib.sh'"
		cat
	} >"$TEST_SCRATCH/$1.t"
}

write_script pass <<'EOF'
plan 6
ok 0 "zero status"
is abc abc "equal strings"
isnt abc abd "different strings"
like "hello world" '^hello [a-z]+$' "regex match"
unlike "hello" '[0-9]' "regex mismatch"
run_ok "command success" true
echo "scratch=$TEST_SCRATCH"
done_testing
EOF
run_script pass
is "$status" 0 "passing script exits 0"
is "$(grep -c '^ok ' "$TEST_SCRATCH/pass.out")" 6 "every check prints ok"
like "$(head -n 1 "$TEST_SCRATCH/pass.out")" '^1\.\.6$' "plan comes first"
scratch=$(sed -n 's/^scratch=//p' "$TEST_SCRATCH/pass.out")
like "$scratch" 'ecs-test\.' "script had its own scratch directory"
[ ! -e "$scratch" ]
ok $? "scratch directory is removed at exit"

write_script fail <<'EOF'
is one two "strings differ"
ok 0 "a passing check"
like abc '^x' "regex fails"
run_ok "command fails" false
done_testing
EOF
run_script fail
is "$status" 3 "exit status counts failed checks"
is "$(grep -c '^not ok ' "$TEST_SCRATCH/fail.out")" 3 \
	"failed checks print not ok"
like "$(tail -n 1 "$TEST_SCRATCH/fail.out")" '^1\.\.4$' \
	"done_testing prints the count without a plan"
like "$(cat "$TEST_SCRATCH/fail.err")" "got: 'one'" "is shows the value got"
like "$(cat "$TEST_SCRATCH/fail.err")" "expected: 'two'" \
	"is shows the value expected"
like "$(cat "$TEST_SCRATCH/fail.err")" 'fail\.t line 3\.' \
	"diagnostics name the script line"

write_script short <<'EOF'
plan 3
ok 0 "only one"
done_testing
EOF
run_script short
is "$status" 255 "plan not met exits 255"

write_script early <<'EOF'
ok 0 "then the script ends"
exit 0
EOF
run_script early
is "$status" 255 "exit before done_testing exits 255"

write_script cleanup <<'EOF'
at_exit "echo first-registered"
at_exit "echo second-registered"
ok 0 "checks"
done_testing
EOF
run_script cleanup
is "$(grep registered "$TEST_SCRATCH/cleanup.out" | paste -sd,)" \
	"second-registered,first-registered" "at_exit runs in reverse order"

mkdir -p "$TEST_SCRATCH/bin"
printf '#!/bin/sh\necho built-program\n' >"$TEST_SCRATCH/bin/ecs-fake"
chmod +x "$TEST_SCRATCH/bin/ecs-fake"
write_script path <<'EOF'
is "$(ecs-fake)" built-program "ecs-fake runs from ECS_BIN"
done_testing
EOF
ECS_BIN=$TEST_SCRATCH/bin run_script path
is "$status" 0 "PATH finds the programs in ECS_BIN"

# A test killed by SIGTERM still stops its local AWS. The wrapper records
# each local-aws command, because the daemon would also exit by itself soon
# after the script has gone.
cat >"$TEST_SCRATCH/local-aws-wrapper" <<EOF
#!/bin/sh
echo "\$1" >>"$TEST_SCRATCH/local-aws-calls"
exec "$LOCAL_AWS" "\$@"
EOF
chmod +x "$TEST_SCRATCH/local-aws-wrapper"
write_script killed <<'EOF'
LOCAL_AWS=$WRAPPER
start_local_aws
cat "$LOCAL_AWS_DIR/pid"
echo "ready" >"$READY_FILE"
sleep 60 &
wait
EOF
chmod +x "$TEST_SCRATCH/killed.t"
READY_FILE=$TEST_SCRATCH/killed.ready \
	WRAPPER=$TEST_SCRATCH/local-aws-wrapper "$TEST_SCRATCH/killed.t" \
	>"$TEST_SCRATCH/killed.out" 2>&1 &
killed_pid=$!
for attempt in $(seq 300); do
	[ -e "$TEST_SCRATCH/killed.ready" ] && break
	sleep 0.1
done
daemon_pid=$(head -n 1 "$TEST_SCRATCH/killed.out")
like "$daemon_pid" '^[0-9]+$' "killed script started a local AWS"
kill -TERM "$killed_pid"
wait "$killed_pid"
is $? 143 "SIGTERM ends the script with status 143"
is "$(paste -sd, "$TEST_SCRATCH/local-aws-calls")" start,stop \
	"the TERM trap ran local-aws stop"
kill -0 "$daemon_pid" 2>/dev/null &&
	! grep -q '^State:[[:space:]]*Z' "/proc/$daemon_pid/status" 2>/dev/null
isnt $? 0 "the trap stopped the local AWS"

done_testing
