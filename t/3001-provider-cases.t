#!/usr/bin/env bash
# ecs-creds: the 18 cross-SDK credential-provider cases, each run through
# the real chain with its files, environment and recorded STS/SSO replies.
#
# The replies come from t/lib/replay-proxy.py, set as the HTTP(S) proxy so
# that the recorded URLs (https://sts.us-east-1.amazonaws.com/ and so on)
# reach it unchanged; it ends TLS with a certificate made here. The
# recorded credentials expired in 2021 and 2022, so each case runs under
# faketime shortly before the expiry it expects.

. "$(dirname "$0")/lib/test-lib.sh"

CASES=$TEST_DIR/data/profile/provider
REPLAY=$TEST_DIR/lib/replay-proxy.py

command -v faketime >/dev/null ||
	bail_out "faketime is missing (Debian package faketime)"
command -v openssl >/dev/null || bail_out "openssl is missing"

# Where the AWS CLI reads or runs a case differently from the SDK that
# recorded it, the expected error is this project's own message.
declare -A want_error=(
	[credential_process_failure]='credential_process of profile "default" \(~/\.aws/config\): cannot run "exit": No such file or directory'
	[credential_process_invalid]='credential_process of profile "default" \(~/\.aws/config\): its output is not valid JSON'
	[empty_config]='no AWS credentials found for profile "default"'
	[invalid_config]='~/\.aws/config:2: '
	[invalid_sso_credentials_config]='it sets sso_session in ~/\.aws/config but not sso_account_id and sso_role_name, so it would resolve an SSO access token instead of credentials'
	[sso_token]='it sets sso_session in ~/\.aws/config but not sso_account_id and sso_role_name, so it would resolve an SSO access token instead of credentials'
)

# A CA and one server certificate for every https host in the recordings,
# valid from 2020 so that the faked clocks accept them.
make_certificates()
{
	local dir=$1 hosts san
	hosts=$(jq -r '.events[].action.Request.request.uri // empty' \
		"$CASES"/*/http-traffic.json | sed -n 's|^https://\([^/:]*\).*|\1|p' |
		sort -u)
	san=$(printf 'DNS:%s,' $hosts)
	san=${san%,}
	faketime '2020-01-01 00:00:00' openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
		-subj /CN=replay-ca -keyout "$dir/ca.key" -out "$dir/ca.pem" \
		2>/dev/null || return 1
	faketime '2020-01-01 00:00:00' openssl req -new -newkey ec \
		-pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=replay -keyout "$dir/server.key" \
		-out "$dir/server.csr" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" \
		>"$dir/ext"
	faketime '2020-01-01 00:00:00' openssl x509 -req -in "$dir/server.csr" \
		-CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
		-days 36500 -extfile "$dir/ext" -out "$dir/server.pem" \
		2>/dev/null
}

# start_replay DIR TRAFFIC: starts the proxy, sets REPLAY_PORT, REPLAY_PID.
start_replay()
{
	local dir=$1 traffic=$2 i
	rm -f "$dir/port"
	python3 "$REPLAY" serve --traffic "$traffic" \
		--cert "$TEST_SCRATCH/certs/server.pem" \
		--key "$TEST_SCRATCH/certs/server.key" \
		--port-file "$dir/port" --log "$dir/requests.log" &
	REPLAY_PID=$!
	at_exit "kill $REPLAY_PID 2>/dev/null"
	for ((i = 0; i < 200; i++)); do
		[ -s "$dir/port" ] && break
		sleep 0.05
	done
	REPLAY_PORT=$(cat "$dir/port" 2>/dev/null)
	[ -n "$REPLAY_PORT" ]
}

mkdir -p "$TEST_SCRATCH/certs"
make_certificates "$TEST_SCRATCH/certs" ||
	bail_out "openssl could not make the test certificates"

for case_dir in "$CASES"/*/; do
	name=$(basename "$case_dir")
	dir=$TEST_SCRATCH/$name
	mkdir -p "$dir/home"
	[ -d "$case_dir/fs/home" ] && cp -a "$case_dir/fs/home/." "$dir/home/"
	if ! start_replay "$dir" "$case_dir/http-traffic.json"; then
		ok 1 "$name: replay proxy starts"
		continue
	fi

	# The case's environment alone, with HOME moved into the scratch
	# directory and every request sent to the replay proxy.
	case_env=(PATH="$PATH" AWS_EC2_METADATA_DISABLED=true
		AWS_CA_BUNDLE="$TEST_SCRATCH/certs/ca.pem"
		http_proxy="http://127.0.0.1:$REPLAY_PORT"
		https_proxy="http://127.0.0.1:$REPLAY_PORT"
		FAKETIME_DONT_FAKE_MONOTONIC=1
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	while IFS= read -r assignment; do
		case_env+=("$assignment")
	done < <(jq -r --arg home "$dir/home" \
		'to_entries[] | "\(.key)=\(if .key == "HOME" then $home else .value end)"' \
		"$case_dir/env.json")

	expiry=$(jq -r '.result.Ok.expiry // empty' "$case_dir/test-case.json")
	now=$((${expiry:-1628190000} - 1800))
	env -i "${case_env[@]}" faketime -f "@$(date -u -d "@$now" '+%Y-%m-%d %H:%M:%S')" \
		ecs-creds -p default >"$dir/out" 2>"$dir/err"
	status=$?
	kill "$REPLAY_PID" 2>/dev/null
	wait "$REPLAY_PID" 2>/dev/null

	if [ -n "$expiry" ]; then
		is "$status" 0 "$name: exits 0" || diag "stderr: $(cat "$dir/err")"
		want=$(jq -c '.result.Ok | [.access_key_id, .secret_access_key,
			.session_token, .account_id, .expiry]' "$case_dir/test-case.json")
		got=$(jq -c '[.AccessKeyId, .SecretAccessKey, .SessionToken,
			.AccountId, (.Expiration | fromdateiso8601)]' "$dir/out" 2>&1)
		is "$got" "$want" "$name: credentials, account and expiry"
	else
		is "$status" 1 "$name: exits 1"
		is "$(cat "$dir/out")" "" "$name: prints nothing on stdout"
		like "$(cat "$dir/err")" "${want_error[$name]}" \
			"$name: error message"
	fi
	unlike "$(cat "$dir/err")" 'TESTSECRETKEY|TESTSESSIONTOKEN|secret-access-token|FAKE\b' \
		"$name: no secret on stderr"
	is "$(python3 "$REPLAY" check --traffic "$case_dir/http-traffic.json" \
		--log "$dir/requests.log" 2>&1 || echo "check failed: $?")" "" \
		"$name: requests match the recording"
done

done_testing
