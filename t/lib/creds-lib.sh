# Helpers for the ecs-creds tests (t/3xxx-creds-*.t); source after
# test-lib.sh.
#
# use_own_profiles: unsets every credential the environment (or the local
# AWS) provides and points HOME and the two files into $TEST_SCRATCH, so
# that only the test's own profiles count. write_config / write_credentials
# fill those files from stdin.
# start_cred_endpoints: starts t/lib/cred-endpoints.py (fake IMDS,
# container, SSO and SSO OIDC endpoints) and sets CRED_URL, CRED_CONFIG and
# CRED_LOG; cred_log prints its request log.

use_own_profiles()
{
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
		AWS_SECURITY_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_ACCOUNT_ID \
		AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ROLE_ARN \
		AWS_ROLE_SESSION_NAME AWS_WEB_IDENTITY_TOKEN_FILE \
		AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
		AWS_CONTAINER_CREDENTIALS_FULL_URI \
		AWS_CONTAINER_AUTHORIZATION_TOKEN \
		AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
	export HOME=$TEST_SCRATCH/home
	mkdir -p "$HOME/.aws"
	export AWS_CONFIG_FILE=$HOME/.aws/config
	export AWS_SHARED_CREDENTIALS_FILE=$HOME/.aws/credentials
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"
	export AWS_EC2_METADATA_DISABLED=true
}

write_config()
{
	cat >"$AWS_CONFIG_FILE"
}

write_credentials()
{
	cat >"$AWS_SHARED_CREDENTIALS_FILE"
}

start_cred_endpoints()
{
	local dir=$TEST_SCRATCH/cred-endpoints pid i
	mkdir -p "$dir"
	CRED_CONFIG=$dir/config.json
	CRED_LOG=$dir/requests.log
	echo '{}' >"$CRED_CONFIG"
	python3 "$TEST_DIR/lib/cred-endpoints.py" --config "$CRED_CONFIG" \
		--port-file "$dir/port" --log "$CRED_LOG" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	for ((i = 0; i < 200; i++)); do
		[ -s "$dir/port" ] && break
		sleep 0.05
	done
	[ -s "$dir/port" ] || bail_out "cred-endpoints.py did not start"
	CRED_URL=http://127.0.0.1:$(cat "$dir/port")
}

# cred_settings JSON: replaces the endpoints' behaviour settings.
cred_settings()
{
	echo "$1" >"$CRED_CONFIG"
}

cred_log()
{
	cat "$CRED_LOG"
}

cred_clear_log()
{
	: >"$CRED_LOG"
}

# count_ops OPERATION [SINCE]: STS calls of one kind in the front's log.
count_ops()
{
	front_log "${2:-0}" | jq -s --arg op "$1" \
		'map(select(.operation == $op)) | length'
}

last_seq()
{
	front_log | jq -s 'map(.seq) | max // 0'
}
