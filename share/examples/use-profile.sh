# Source this file in bash or zsh for the function use-profile, which
# switches the shell to another AWS profile and region:
#
#   . share/examples/use-profile.sh
#   use-profile ops eu-west-1     # profile ops, region eu-west-1
#   use-profile ops               # profile ops, its configured region
#
# The profile's credentials are resolved once (MFA and SSO prompts
# included) and exported, so the programs that follow ask for nothing.

use-profile()
{
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then
		echo "usage: use-profile PROFILE [REGION]" >&2
		return 2
	fi
	local exports
	if [ -n "${2:-}" ]; then
		exports=$(ecs-creds --profile "$1" --region "$2" --export) ||
			return 1
	else
		exports=$(ecs-creds --profile "$1" --export) || return 1
	fi
	unset AWS_PROFILE
	eval "$exports"
	if [ -n "${2:-}" ]; then
		export AWS_REGION="$2" AWS_DEFAULT_REGION="$2"
	fi
}
