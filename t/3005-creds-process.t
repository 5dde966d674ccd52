#!/usr/bin/env bash
# ecs-creds: credential_process helpers that work, fail, print garbage or
# hang, and how their command lines are run (directly or through sh).

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

use_own_profiles
BIN="$TEST_SCRATCH/dir with space"
mkdir -p "$BIN"

# helper: prints the Version 1 document and records its arguments.
cat >"$BIN/helper" <<'EOF'
#!/bin/sh
dir=$(dirname "$0")
: >"$dir/args"
for a in "$@"; do printf '%s\n' "$a" >>"$dir/args"; done
printf '%s\n' "$HELPER_ENV" >"$dir/env"
printf '{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "procsecret", "SessionToken": "proctoken", "Expiration": "2031-05-06T07:08:09+02:00"}\n'
EOF
cat >"$BIN/fail" <<'EOF'
#!/bin/sh
echo "helper: login required" >&2
exit 3
EOF
cat >"$BIN/garbage" <<'EOF'
#!/bin/sh
echo 'AccessKeyId=ASIAGARBAGE SecretAccessKey=garbagesecret'
EOF
cat >"$BIN/hang" <<'EOF'
#!/bin/sh
echo $$ >"$(dirname "$0")/hang.pid"
exec sleep 60
EOF
chmod +x "$BIN"/*
JSON='{"Version":1,"AccessKeyId":"ASIASHELL","SecretAccessKey":"s"}'

write_config <<EOF
[profile direct]
credential_process = "$BIN/helper" '\$HOME' "a b" c\\ d
aws_account_id = 999988887777

[profile piped]
credential_process = printf '%s' '$JSON' | cat

[profile tilde]
credential_process = ~/helper

[profile fails]
credential_process = "$BIN/fail"

[profile garbage]
credential_process = "$BIN/garbage"

[profile hangs]
credential_process = "$BIN/hang"

[profile missing]
credential_process = /nonexistent/helper --flag

[profile version2]
credential_process = printf '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}'

[profile quote]
credential_process = "$BIN/helper 'open

[profile itself]
credential_process = ecs-creds -p itself -o credential-process
EOF

# Working helpers.

out=$(HELPER_ENV=inherited ecs-creds -p direct)
is "$?" 0 "helper runs"
is "$(jq -r '[.source, .AccessKeyId, .SessionToken, .Expiration, .AccountId] | @tsv' <<<"$out")" \
	"$(printf 'credential-process\tASIAPROC\tproctoken\t2031-05-06T05:08:09Z\t999988887777')" \
	"record from the helper, account from aws_account_id"
is "$(cat "$BIN/args")" "\$HOME
a b
c d" "arguments are split like a shell, run without one"
is "$(cat "$BIN/env")" inherited "the helper inherits the environment"

out=$(ecs-creds -p piped)
is "$(jq -r '[.AccessKeyId, .Expiration] | @tsv' <<<"$out")" \
	"$(printf 'ASIASHELL\t')" "a pipeline runs through sh; no expiration"
cp "$BIN/helper" "$HOME/helper"
is "$(ecs-creds -p tilde | jq -r .AccessKeyId)" ASIAPROC \
	"a leading ~ runs through sh"

# Failing helpers stop the chain with a message and no output.

check_failure()
{
	local profile=$1 pattern=$2 name=$3 out status
	out=$(ecs-creds -p "$profile" 2>"$TEST_SCRATCH/err")
	status=$?
	is "$status/$out" "1/" "$name: exit 1, no output"
	like "$(cat "$TEST_SCRATCH/err")" "$pattern" "$name: message"
}

check_failure fails \
	"helper: login required
ecs-creds: credential_process of profile \"fails\" \\(~/\\.aws/config\\): it exited with status 3" \
	"failing helper"
check_failure garbage \
	'credential_process of profile "garbage" \(~/\.aws/config\): its output is not valid JSON' \
	"garbage output"
unlike "$(cat "$TEST_SCRATCH/err")" garbagesecret \
	"garbage output is not repeated in the message"
check_failure missing \
	'credential_process of profile "missing" .*: cannot run "/nonexistent/helper": No such file or directory' \
	"missing helper"
check_failure version2 'its output lacks "Version": 1' "Version 2"
check_failure quote 'the command has an unterminated double quote' \
	"unterminated quote"

check_failure itself \
	'credential_process helpers are nested 8 deep; a profile.s credential_process probably runs ecs-creds for the same profile' \
	"profile running ecs-creds for itself"

out=$(ECS_CREDENTIAL_PROCESS_TIMEOUT=1 ecs-creds -p hangs 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "hanging helper: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'it did not finish within 1 seconds and was stopped \(set ECS_CREDENTIAL_PROCESS_TIMEOUT to allow more\)' \
	"hanging helper: message"
pid=$(cat "$BIN/hang.pid")
sleep 0.2
! kill -0 "$pid" 2>/dev/null
ok $? "hanging helper is killed"
out=$(ECS_CREDENTIAL_PROCESS_TIMEOUT=soon ecs-creds -p hangs 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "invalid timeout: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'invalid ECS_CREDENTIAL_PROCESS_TIMEOUT "soon": expected seconds' \
	"invalid timeout: message"

done_testing
