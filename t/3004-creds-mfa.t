#!/usr/bin/env bash
# ecs-creds: MFA for assume-role profiles. The code is typed on a
# pseudo-terminal (t/lib/pty-run.py), given with --mfa-code, or missing.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

start_local_aws
use_own_profiles
ACCOUNT=123456789012
SERIAL=arn:aws:iam::$ACCOUNT:mfa/alice
write_config <<EOF
[profile base]
region = us-east-1
mfa_serial = $SERIAL

[profile mfa]
role_arn = arn:aws:iam::$ACCOUNT:role/guarded
source_profile = base
mfa_serial = $SERIAL

[profile above]
role_arn = arn:aws:iam::$ACCOUNT:role/above
source_profile = mfa
EOF
write_credentials <<'EOF'
[base]
aws_access_key_id = AKIDBASE
aws_secret_access_key = basesecret
EOF
CACHE=$HOME/.aws/cli/cache
PROMPT="Enter MFA code for $SERIAL: "

pty_run()
{
	python3 "$TEST_DIR/lib/pty-run.py" "$@"
}

mfa_call()
{
	front_log "$1" | jq -c 'select(.operation == "AssumeRole") |
		[.body.RoleArn, .body.SerialNumber, .body.TokenCode]'
}

# The prompt on the terminal.

seq0=$(last_seq)
run=$(pty_run --answer "for arn:.*: \$=908172" -- ecs-creds -p mfa)
is "$(jq -r .status <<<"$run")" 0 "prompted run succeeds"
is "$(jq -r .tty <<<"$run" | tr -d '\r')" "$PROMPT" \
	"prompt on /dev/tty names the device, code not echoed"
is "$(jq -r '.stdout | fromjson | .source' <<<"$run")" assume-role \
	"credentials on stdout"
unlike "$(jq -r .stdout <<<"$run")$(jq -r .stderr <<<"$run")" "MFA" \
	"nothing of the prompt on stdout or stderr"
is "$(mfa_call "$seq0")" \
	"[\"arn:aws:iam::$ACCOUNT:role/guarded\",\"$SERIAL\",\"908172\"]" \
	"AssumeRole carries SerialNumber and TokenCode"
key=$(python3 -c 'import hashlib, json, sys
print(hashlib.sha1(json.dumps({"RoleArn": sys.argv[1], "SerialNumber": sys.argv[2]}, sort_keys=True).encode()).hexdigest())' \
	"arn:aws:iam::$ACCOUNT:role/guarded" "$SERIAL")
[ -f "$CACHE/$key.json" ]
ok $? "cached under a key with the serial number, not the code"
is "$(jq '[.. | strings | select(. == "908172")] | length' "$CACHE/$key.json")" \
	0 "the code is not stored"

# Cached: no prompt, also for a role above it.

seq0=$(last_seq)
run=$(pty_run -- ecs-creds -p mfa)
is "$(jq -r '[.status, .tty] | @tsv' <<<"$run")" "$(printf '0\t')" \
	"cached MFA role: no prompt"
is "$(count_ops AssumeRole "$seq0")" 0 "cached MFA role: no STS call"
seq0=$(last_seq)
run=$(pty_run -- ecs-creds -p above)
is "$(jq -r '[.status, .tty] | @tsv' <<<"$run")" "$(printf '0\t')" \
	"role above a cached MFA role: no prompt"
is "$(front_log "$seq0" | jq -r 'select(.operation == "AssumeRole") | .body.RoleArn')" \
	"arn:aws:iam::$ACCOUNT:role/above" "only the upper role is assumed"

# --mfa-code, and no terminal at all.

seq0=$(last_seq)
run=$(pty_run -- ecs-creds -p mfa --no-cache --mfa-code 654321)
is "$(jq -r '[.status, .tty] | @tsv' <<<"$run")" "$(printf '0\t')" \
	"--mfa-code: no prompt"
is "$(mfa_call "$seq0" | jq -r '.[2]')" 654321 "--mfa-code is sent"

out=$(setsid -w ecs-creds -p mfa --no-cache </dev/null 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "no terminal: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'no terminal to ask on \(/dev/tty: .*\); pass the code with --mfa-code' \
	"no terminal: message says what to do"

run=$(pty_run --answer "for arn:.*: \$=12ab" -- ecs-creds -p mfa --no-cache)
is "$(jq -r .status <<<"$run")" 1 "invalid code: exit 1"
is "$(jq -r .stdout <<<"$run")" "" "invalid code: no output"
like "$(jq -r .stderr <<<"$run")" "invalid MFA code for $SERIAL: expected 6 digits" \
	"invalid code: message"

# mfa_serial of a profile without a role applies to --role-arn.

seq0=$(last_seq)
run=$(pty_run --answer "for arn:.*: \$=111222" -- \
	ecs-creds -p base --role-arn "arn:aws:iam::$ACCOUNT:role/adhoc")
is "$(jq -r .status <<<"$run")" 0 "--role-arn with the profile's MFA device"
is "$(mfa_call "$seq0")" \
	"[\"arn:aws:iam::$ACCOUNT:role/adhoc\",\"$SERIAL\",\"111222\"]" \
	"--role-arn sends the profile's mfa_serial and the code"

done_testing
