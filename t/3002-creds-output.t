#!/usr/bin/env bash
# ecs-creds: output formats, running a command, listing profiles, the
# environment and static-key providers, and usage errors. No network.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/creds-lib.sh"

use_own_profiles
write_config <<'EOF'
[default]
region = eu-west-1

[profile dev]
region = us-west-2

[profile ops]
role_arn = arn:aws:iam::123456789012:role/ops
source_profile = dev
region = eu-central-1

[profile viaprocess]
credential_process = ecs-creds -p dev -o credential-process

[profile tokenonly]
sso_session = corp

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
EOF
write_credentials <<'EOF'
[dev]
aws_access_key_id = AKIDDEV
aws_secret_access_key = dev'secret"$x
aws_account_id = 111122223333
EOF

# Environment and files.

out=$(AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=envsecret \
	AWS_SESSION_TOKEN=envtoken \
	AWS_CREDENTIAL_EXPIRATION=2031-02-03T04:05:06+01:00 ecs-creds)
is "$(jq -c . <<<"$out")" \
	'{"kind":"credentials","profile":"default","region":"eu-west-1","source":"environment","AccessKeyId":"AKIDENV","SecretAccessKey":"envsecret","SessionToken":"envtoken","Expiration":"2031-02-03T03:05:06Z","AccountId":null}' \
	"environment record"
is "$(wc -l <<<"$out")" 1 "one record"

out=$(ecs-creds -p dev)
is "$(jq -r '[.source, .AccessKeyId, .SessionToken, .Expiration, .AccountId, .region] | @tsv' <<<"$out")" \
	"$(printf 'shared-credentials-file\tAKIDDEV\t\t\t111122223333\tus-west-2')" \
	"credentials file record"
is "$(AWS_PROFILE=dev ecs-creds -r ap-south-1 | jq -r .region)" ap-south-1 \
	"--region sets the region"
is "$(AWS_PROFILE=dev AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=e \
	ecs-creds | jq -r .AccessKeyId)" AKIDENV \
	"environment keys beat AWS_PROFILE"
is "$(AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=e \
	ecs-creds -p dev | jq -r .AccessKeyId)" AKIDDEV \
	"--profile beats environment keys"

# Errors leave stdout empty.

out=$(AWS_ACCESS_KEY_ID=AKIDENV ecs-creds 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "partial environment keys: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'^ecs-creds: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is missing' \
	"partial environment keys: message"
out=$(ecs-creds -p nosuch 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "unknown profile: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" 'profile "nosuch" not found in .*config' \
	"unknown profile: message names it and the file"
out=$(ecs-creds -p tokenonly 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "profile without credentials: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" \
	'no AWS credentials found for profile "tokenonly": it sets sso_session in ~/\.aws/config' \
	"profile without credentials: message"
out=$(AWS_CREDENTIAL_EXPIRATION=2001-01-01T00:00:00Z AWS_ACCESS_KEY_ID=A \
	AWS_SECRET_ACCESS_KEY=s ecs-creds 2>"$TEST_SCRATCH/err")
is "$?/$out" "1/" "expired environment credentials: exit 1, no output"
like "$(cat "$TEST_SCRATCH/err")" 'expired at 2001-01-01T00:00:00Z' \
	"expired environment credentials: message"

# export, env and credential-process.

out=$(ecs-creds -p dev -o export)
is "$out" "export AWS_ACCESS_KEY_ID='AKIDDEV'
export AWS_SECRET_ACCESS_KEY='dev'\\''secret\"\$x'
unset AWS_SESSION_TOKEN
unset AWS_SECURITY_TOKEN
unset AWS_CREDENTIAL_EXPIRATION
export AWS_REGION='us-west-2'" "export lines quote every value"
is "$(ecs-creds -p dev --export)" "$out" "--export is -o export"
for shell in sh bash zsh; do
	command -v "$shell" >/dev/null || bail_out "$shell is missing"
	got=$(AWS_SESSION_TOKEN=stale AWS_SECURITY_TOKEN=stale "$shell" -c '
		eval "$(ecs-creds -p dev -o export)" || exit 1
		printf "%s|%s|%s|%s|%s" "$AWS_ACCESS_KEY_ID" \
			"$AWS_SECRET_ACCESS_KEY" "${AWS_SESSION_TOKEN-unset}" \
			"${AWS_SECURITY_TOKEN-unset}" "$AWS_REGION"')
	is "$got" "AKIDDEV|dev'secret\"\$x|unset|unset|us-west-2" \
		"eval in $shell sets the variables and clears stale tokens"
done
got=$(AWS_ACCESS_KEY_ID=A AWS_SECRET_ACCESS_KEY=s AWS_SESSION_TOKEN=t \
	AWS_CREDENTIAL_EXPIRATION=2031-01-01T00:00:00Z ecs-creds -o export)
like "$got" "export AWS_SESSION_TOKEN='t'" "export has the session token"
like "$got" "export AWS_CREDENTIAL_EXPIRATION='2031-01-01T00:00:00Z'" \
	"export has the expiration"

is "$(ecs-creds -p dev -o env)" "AWS_ACCESS_KEY_ID=AKIDDEV
AWS_SECRET_ACCESS_KEY=dev'secret\"\$x
AWS_REGION=us-west-2" "env lines"

out=$(ecs-creds -p dev -o credential-process)
is "$out" '{"Version":1,"AccessKeyId":"AKIDDEV","SecretAccessKey":"dev'"'"'secret\"$x","AccountId":"111122223333"}' \
	"credential-process output"
out=$(ecs-creds -p viaprocess)
is "$(jq -r '[.source, .AccessKeyId, .AccountId] | @tsv' <<<"$out")" \
	"$(printf 'credential-process\tAKIDDEV\t111122223333')" \
	"a profile can use ecs-creds as its credential_process"

# Running a command.

out=$(ecs-creds -p dev -- sh -c 'printf "%s|%s|%s\n" "$AWS_ACCESS_KEY_ID" \
	"$AWS_SECRET_ACCESS_KEY" "${AWS_SESSION_TOKEN-unset}"
	tr "\0\n" "  " </proc/$$/cmdline')
is "$(sed -n 1p <<<"$out")" "AKIDDEV|dev'secret\"\$x|unset" \
	"COMMAND gets the credentials in its environment"
like "$(sed -n 2p <<<"$out")" "^sh -c printf" "COMMAND's arguments are read"
unlike "$(sed -n 2p <<<"$out")" "secret" \
	"COMMAND's arguments hold no secret"
AWS_SESSION_TOKEN=stale ecs-creds -p dev printenv AWS_SESSION_TOKEN >/dev/null
is "$?" 1 "a stale session token is removed (COMMAND without --)"
ecs-creds -p dev -- sh -c 'exit 7'
is "$?" 7 "exit status of COMMAND"
out=$(ecs-creds -p dev -- no-such-command-here 2>&1)
is "$?" 127 "missing COMMAND exits 127"
like "$out" "cannot run no-such-command-here: No such file or directory" \
	"missing COMMAND message"
out=$(ecs-creds -p nosuch -- echo ran 2>/dev/null)
is "$?/$out" "1/" "COMMAND does not run when resolving fails"

# Profiles.

out=$(AWS_PROFILE=nosuch ecs-creds --list-profiles)
is "$(jq -sc 'map([.name, .region, .source, .roleArn, .sourceProfile])' <<<"$out")" \
	'[["default","eu-west-1",null,null,null],["dev","us-west-2","shared-credentials-file",null,null],["ops","eu-central-1","assume-role","arn:aws:iam::123456789012:role/ops","dev"],["viaprocess",null,"credential-process",null,null],["tokenonly",null,"sso-token",null,null]]' \
	"--list-profiles lists every profile, even with AWS_PROFILE unknown"
is "$(jq -r .kind <<<"$out" | sort -u)" profile "profile records"

# Usage errors.

for args in "--role-session-name x" "--external-id abc" "--duration 900" \
	"--saml-assertion f --role-arn arn:aws:iam::1:role/r" \
	"--principal-arn arn:aws:iam::1:saml-provider/p" "--mfa-code 12345" \
	"--mfa-code abcdef" "-o yaml" "--duration 100 --role-arn arn:x" \
	"--role-arn notanarn" "--role-arn arn:x --role-session-name a" \
	"--whoami -- true" "--whoami -o export" "--list-profiles --whoami" \
	"--list-profiles -o env" "--bogus"; do
	out=$(ecs-creds -p dev $args 2>"$TEST_SCRATCH/err")
	is "$?/$out" "2/" "usage error: $args"
done
like "$(cat "$TEST_SCRATCH/err")" "Try 'ecs-creds --help'" \
	"unknown option points at --help"

# Help and manual agree.

man_page=$REPO_DIR/share/man/man1/ecs-creds.1
[ -f "$man_page" ]
ok $? "man page exists"
for opt in $(ecs-creds --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "${opt//-/\\\\-}" "$man_page"
	ok $? "man page documents $opt"
done

done_testing
