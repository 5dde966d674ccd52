#!/usr/bin/env bash
# Every program with --debug and known secrets (a secret access key, a
# session token, an SSO access token, exec stream tokens): none of them
# appears on stderr, on stdout (except ecs-creds, whose output is the
# credentials), in any file written under HOME, TMPDIR or the XDG
# directories, or in the argv of any process started (traced with
# strace, and logged by a picker wrapper from "$@" and /proc/self/cmdline).
# Files that hold secrets are mode 0600.
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/creds-lib.sh"
. "$TEST_DIR/lib/logtest.sh"

command -v strace >/dev/null || bail_out "strace is not installed"
# LeakSanitizer cannot run under ptrace, and would fail every traced run
# of a sanitizer build.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

SECRET=hardenSecretKey0wJalrXUtnFEMIK7MDENGbPxRfiCYq
TOKEN=hardenSessionTokenIQoJb3JpZ2luX2VjEJr0aGFyZGVu
PROCESS_SECRET=hardenProcessSecret5x9Lw2Qe7TgS1vB3nM8kR
SSO_TOKEN=hardenSsoAccessTokenaoAAAAAGZlJ0dXRlc3Q
EXEC_TOKEN=hardenExecStreamTokenQUFBQUFBQWhlbGxv
INPUT=$TEST_SCRATCH/input
TRACE=$TEST_SCRATCH/trace.log
OUT=$TEST_SCRATCH/out
ERR=$TEST_SCRATCH/err
mkdir -p "$INPUT"

start_local_aws
use_own_profiles
start_cred_endpoints
export AWS_ENDPOINT_URL_SSO=$CRED_URL AWS_ENDPOINT_URL_SSO_OIDC=$CRED_URL
export TMPDIR=$TEST_SCRATCH/tmp XDG_CONFIG_HOME=$HOME/.config \
	XDG_CACHE_HOME=$HOME/.cache XDG_RUNTIME_DIR=$TEST_SCRATCH/run
mkdir -p "$TMPDIR" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset ECS_READ_ONLY

# Profiles: static keys with a session token, a role on top of them, a
# credential_process helper and an SSO session.
cat >"$INPUT/helper" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "%s", "SessionToken": "%s"}\n' \
	"$PROCESS_SECRET" "$TOKEN"
EOF
chmod +x "$INPUT/helper"
write_config <<EOF
[default]
region = us-east-1

[profile role]
role_arn = arn:aws:iam::123456789012:role/secrets
source_profile = default
region = us-east-1

[profile proc]
credential_process = $INPUT/helper --profile proc
region = us-east-1

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
EOF
write_credentials <<EOF
[default]
aws_access_key_id = AKIDHARDEN
aws_secret_access_key = $SECRET
aws_session_token = $TOKEN
EOF
mkdir -p "$HOME/.aws/sso/cache"
SSO_FILE=$HOME/.aws/sso/cache/$(printf corp | sha1sum | cut -d' ' -f1).json
jq -n --arg token "$SSO_TOKEN" \
	--arg exp "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	'{startUrl: "https://corp.awsapps.com/start", region: "us-east-1",
	accessToken: $token, expiresAt: $exp}' >"$SSO_FILE"
chmod 600 "$SSO_FILE"
cred_settings "$(jq -cn --arg token "$SSO_TOKEN" '{sso_access_token: $token}')"
# The inputs the test wrote itself, not scanned for leaks.
OWN_FILES=("$AWS_SHARED_CREDENTIALS_FILE" "$SSO_FILE")

# ECS resources, and an echo server for ecs-forward.
seed services c1 1 >/dev/null
app_taskdef app >/dev/null
task=$(seed tasks c1 1 --exec --task-definition app)
put_events /ecs/app "app/app/$(task_id "$task")" "$(now_ms):event" >/dev/null
python3 "$TEST_DIR/lib/echo.py" server --watch-pid $$ >"$INPUT/echo.port" &
at_exit "kill $! 2>/dev/null"
for ((i = 0; i < 100; i++)); do
	[ -s "$INPUT/echo.port" ] && break
	sleep 0.05
done
echo_port=$(cat "$INPUT/echo.port")
front_port=${ECS_LOCAL_AWS_FRONT##*:}

# traced CMD...: runs CMD under strace (every execve with its argv, but
# not its environment, which may carry credentials by design).
traced()
{
	timeout 60 strace -f -qq -e trace=execve -s 100000 -o "$TRACE" \
		"$@" >"$OUT" 2>"$ERR"
}

# secrets_absent NAME FILE...: no known secret in any FILE.
secrets_absent()
{
	local name=$1
	shift
	grep -lF -e "$SECRET" -e "$TOKEN" -e "$PROCESS_SECRET" \
		-e "$SSO_TOKEN" -e "$EXEC_TOKEN" -- "$@" >"$TEST_SCRATCH/hits"
	is "$(cat "$TEST_SCRATCH/hits")" "" "$name: no secret"
}

# written_files: the files under HOME, TMPDIR and XDG_RUNTIME_DIR, but
# the test's own inputs.
written_files()
{
	local file own skip
	find "$HOME" "$TMPDIR" "$XDG_RUNTIME_DIR" -type f | while read -r file; do
		skip=0
		for own in "${OWN_FILES[@]}"; do
			[ "$file" = "$own" ] && skip=1
		done
		[ "$skip" = 0 ] && echo "$file"
	done
}

# check_run NAME [stdout]: the checks after one traced run. With
# "stdout", the program's output is the credentials and is not scanned.
check_run()
{
	local name=$1 files
	secrets_absent "$name: stderr" "$ERR"
	if [ "${2:-}" != stdout ]; then
		secrets_absent "$name: stdout" "$OUT"
	fi
	secrets_absent "$name: argv of started processes" "$TRACE"
	mapfile -t files < <(written_files)
	if [ "${#files[@]}" -gt 0 ]; then
		secrets_absent "$name: files written" "${files[@]}"
	fi
	# A stream token is base64 of 120 random bytes; no such run of
	# characters may reach the debug log.
	is "$(grep -cE '[A-Za-z0-9+/]{100,}' "$ERR")" 0 \
		"$name: no token-like string on stderr"
	like "$(cat "$ERR")" 'debug: ' "$name: --debug logged"
}

traced ecs-ls clusters --debug </dev/null
is $? 0 "ecs-ls runs"
check_run "ecs-ls"

traced ecs-log -c c1 -t "$task" --debug </dev/null
is $? 0 "ecs-log runs"
check_run "ecs-log"

traced ecs-update -c c1 -s svc-01 --force-new-deployment --yes --debug \
	</dev/null
is $? 0 "ecs-update runs"
check_run "ecs-update"

victim=$(seed tasks c1 1)
traced ecs-stop -c c1 -t "$victim" --yes --debug </dev/null
is $? 0 "ecs-stop runs"
check_run "ecs-stop"

traced ecs-exec -c c1 --task "$task" --container app --debug -- echo hi \
	</dev/null
is $? 0 "ecs-exec runs"
is "$(cat "$OUT")" hi "ecs-exec prints the remote output"
check_run "ecs-exec"

# A stream token the test knows: ExecuteCommand returns it for a session
# the data channel does not know, so the connection is rejected (1008).
reply=$(jq -cn --arg task "$task" --arg token "$EXEC_TOKEN" \
	--arg url "ws://127.0.0.1:$front_port/v1/data-channel/unknown-session?role=publish_subscribe&cell-number=x" \
	'{clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/c1",
	containerName: "app", interactive: true, taskArn: $task,
	containerArn: ($task | sub(":task/"; ":container/") + "/app"),
	session: {sessionId: "unknown-session", streamUrl: $url,
	tokenValue: $token}}')
front_ctl fault "{\"op\":\"ExecuteCommand\",\"action\":\"reply\",\"body\":$reply}" \
	>/dev/null
traced ecs-exec -c c1 --task "$task" --container app --debug -- echo hi \
	</dev/null
is $? 255 "ecs-exec with a rejected token fails"
check_run "ecs-exec with a rejected token"

exec_in_background()
{
	(
		trap - EXIT INT TERM
		exec "$@"
	) &
}

# run_forward NAME: ecs-forward under strace until its ready record,
# then SIGTERM.
run_forward()
{
	local pid i
	exec_in_background strace -f -qq -e trace=execve -s 100000 \
		-o "$TRACE" ecs-forward -c c1 --task "$task" \
		-L "0:$echo_port" --debug </dev/null >"$OUT" 2>"$ERR"
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[ -s "$OUT" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	# strace is $pid; ecs-forward is its only child.
	kill -TERM $(pgrep -P "$pid") 2>/dev/null
	reap "$pid"
}

run_forward
is "$(jq -r .kind "$OUT")" forward "ecs-forward gets ready"
check_run "ecs-forward"

reply=$(jq -cn --arg token "$EXEC_TOKEN" \
	--arg url "ws://127.0.0.1:$front_port/v1/data-channel/unknown-forward?role=publish_subscribe&cell-number=x" \
	'{SessionId: "unknown-forward", StreamUrl: $url, TokenValue: $token}')
front_ctl fault "{\"op\":\"StartSession\",\"action\":\"reply\",\"body\":$reply}" \
	>/dev/null
run_forward
is "$(cat "$OUT")" "" "ecs-forward with a rejected token is not ready"
check_run "ecs-forward with a rejected token"

# ecs-creds: its stdout is the credentials, so only the rest is checked.
traced ecs-creds --debug </dev/null
is $? 0 "ecs-creds from the credentials file runs"
is "$(jq -r .SecretAccessKey "$OUT")" "$SECRET" \
	"ecs-creds prints the secret key on stdout"
check_run "ecs-creds, static keys" stdout

traced ecs-creds --debug -- sh -c 'test "$AWS_SECRET_ACCESS_KEY" = "$1"' \
	sh "$SECRET" </dev/null
is $? 0 "ecs-creds passes the secret key to the command's environment"
# Here the test itself put the secret into the command line.
# strace logs each PATH lookup that failed (ENOENT) too.
is "$(grep -F "$SECRET" "$TRACE" | grep -vc ENOENT)" 2 \
	"ecs-creds adds the secret to no argv (only the test's two)"
secrets_absent "ecs-creds with a command: stderr" "$ERR"

traced ecs-creds --profile role --debug </dev/null
is $? 0 "ecs-creds with an assumed role runs"
role_secret=$(jq -r .SecretAccessKey "$OUT")
isnt "$role_secret" "" "the role has a secret key"
check_run "ecs-creds, assumed role" stdout
is "$(grep -cF "$role_secret" "$ERR")" 0 \
	"ecs-creds, assumed role: its secret is not on stderr"
cache_files=$(grep -rlF "$role_secret" "$HOME/.aws/cli/cache" 2>/dev/null)
isnt "$cache_files" "" "the role's credentials are cached"
for file in $cache_files; do
	is "$(stat -c %a "$file")" 600 "cache file ${file##*/} is mode 0600"
done

traced ecs-creds --profile proc --debug </dev/null
is $? 0 "ecs-creds with credential_process runs"
is "$(jq -r .SecretAccessKey "$OUT")" "$PROCESS_SECRET" \
	"the helper's secret key is the output"
check_run "ecs-creds, credential_process" stdout
like "$(grep -F "$INPUT/helper" "$TRACE")" 'execve\(.*--profile' \
	"the credential_process helper was traced"

traced ecs-creds --profile sso --debug </dev/null
is $? 0 "ecs-creds with SSO runs" || diag "$(cat "$ERR")"
sso_secret=$(jq -r .SecretAccessKey "$OUT")
[ -n "$sso_secret" ] || sso_secret=no-sso-secret-key
check_run "ecs-creds, SSO" stdout
is "$(grep -cF "$sso_secret" "$ERR")" 0 \
	"ecs-creds, SSO: the role's secret key is not on stderr"
for file in $(written_files); do
	if grep -qF -e "$sso_secret" -e accessToken "$file"; then
		is "$(stat -c %a "$file")" 600 \
			"${file#"$HOME"/}: holds a secret, mode 0600"
	fi
done

# ecs-pick --via with a credentials record: the picker gets display
# lines on stdin, never the record in its argv.
cat >"$INPUT/fzf" <<'EOF'
#!/bin/sh
{
	printf 'args:'
	printf ' %s' "$@"
	printf '\ncmdline:'
	tr '\0' ' ' </proc/self/cmdline
	printf '\n'
} >>"$PICKER_LOG"
cat >"$PICKER_LOG.stdin"
head -n 1 "$PICKER_LOG.stdin"
EOF
chmod +x "$INPUT/fzf"
export PICKER_LOG=$TEST_SCRATCH/picker.log
ecs-creds </dev/null >"$INPUT/creds.ndjson"
PATH=$INPUT:$PATH traced ecs-pick --via fzf --debug <"$INPUT/creds.ndjson"
is $? 0 "ecs-pick --via runs"
like "$(cat "$PICKER_LOG")" 'cmdline:' "the picker wrapper ran"
secrets_absent "ecs-pick --via: the picker's argv" "$PICKER_LOG"
secrets_absent "ecs-pick --via: argv of started processes" "$TRACE"
secrets_absent "ecs-pick --via: stderr" "$ERR"
cmp -s "$OUT" "$INPUT/creds.ndjson"
ok $? "ecs-pick --via writes the chosen record unchanged"

done_testing
