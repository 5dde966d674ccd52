#!/usr/bin/env bash
# Shell completions (share/completions): ecs-ls kinds, options, values of
# -o and the other fixed-value options, and profile names from the config
# files, in bash (the function driven through COMP_WORDS), zsh (compinit
# on a terminal through tmux) and fish (complete -C).
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIR/lib/tmux.sh"

COMPLETIONS=$TEST_DIR/../share/completions
PROGRAMS="ecs-creds ecs-exec ecs-forward ecs-log ecs-ls ecs-pick ecs-stop ecs-update"
KINDS="clusters containers deployments events instances services taskdefs tasks"

export AWS_CONFIG_FILE=$TEST_SCRATCH/config
export AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/credentials
cat >"$AWS_CONFIG_FILE" <<'EOF'
[default]
region = us-east-1
[profile ops]
role_arn = arn:aws:iam::123456789012:role/ops
  [ profile  dev-team ]
[sso-session corp]
sso_region = us-east-1
[services local]
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<'EOF'
[prod]
aws_access_key_id = AKIAEXAMPLE
[ ci ]
EOF
PROFILES="ci default dev-team ops prod"

# The files a shell loads by command name exist for every program.
for program in $PROGRAMS; do
	[ -r "$COMPLETIONS/bash/$program" ]
	ok $? "bash: file for $program"
	[ -r "$COMPLETIONS/fish/$program.fish" ]
	ok $? "fish: file for $program"
done
like "$(head -n 1 "$COMPLETIONS/zsh/_ecs-tools")" "^#compdef $PROGRAMS\$" \
	"zsh: #compdef names every program"

# bash: complete -p, then the function with COMP_WORDS as bash sets them.
bash_complete()
{
	bash --norc --noprofile -c '
		. "$1/bash/ecs-ls" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_ecs_tools
		printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "
	' bash "$COMPLETIONS" "$@"
}

is "$(bash --norc --noprofile -c ". '$COMPLETIONS/bash/ecs-ls'; complete -p ecs-ls ecs-exec")" \
	"complete -F _ecs_tools ecs-ls
complete -F _ecs_tools ecs-exec" "bash: complete -p"
is "$(bash_complete ecs-ls '')" "$KINDS" "bash: ecs-ls kinds"
is "$(bash_complete ecs-ls --cluster prod t)" "taskdefs tasks" \
	"bash: kinds after an option"
is "$(bash_complete ecs-ls tasks '')" "" "bash: no second kind"
is "$(bash_complete ecs-ls --pro)" "--profile" "bash: long option"
is "$(bash_complete ecs-ls -p '')" "$PROFILES" "bash: profiles"
is "$(bash_complete ecs-exec --profile d)" "default dev-team" \
	"bash: profiles by prefix"
is "$(bash_complete ecs-ls -o '')" "json table tsv" "bash: ecs-ls -o values"
is "$(bash_complete ecs-log --output '')" "json raw text" \
	"bash: ecs-log -o values"
is "$(bash_complete ecs-ls --desired-status '')" "ALL RUNNING STOPPED" \
	"bash: --desired-status values"
is "$(bash_complete ecs-pick --via '')" "dmenu fzf rofi sk" \
	"bash: --via values"
is "$(bash_complete ecs-ls --cluster '')" "" "bash: free value after --cluster"
is "$(bash_complete ecs-exec --task abc -- -)" "" \
	"bash: nothing after --"
for program in $PROGRAMS; do
	want=$("$ECS_BIN/$program" --help | grep -oE '^ {1,8}(-[A-Za-z0-9], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+' | sort | paste -sd' ')
	got=$(bash_complete "$program" -- | tr ' ' '\n' | grep -- '^--' |
		sort | paste -sd' ')
	is "$got" "$want" "bash: $program long options match --help"
done
is "$(bash_complete ecs-exec - | tr ' ' '\n' | grep -cxE -- '-(c|n|t|T|P|o|p|r|h|V)')" \
	10 "bash: ecs-exec short options"

AWS_CONFIG_FILE=$TEST_SCRATCH/missing AWS_SHARED_CREDENTIALS_FILE=$TEST_SCRATCH/missing \
	bash_complete ecs-ls -p '' >"$TEST_SCRATCH/out" 2>&1
is "$(cat "$TEST_SCRATCH/out")" "" "bash: no profiles, no error"
(
	unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
	mkdir -p "$TEST_SCRATCH/home/.aws"
	printf '[profile from-home]\n' >"$TEST_SCRATCH/home/.aws/config"
	HOME=$TEST_SCRATCH/home bash_complete ecs-ls -p ''
) >"$TEST_SCRATCH/out"
is "$(cat "$TEST_SCRATCH/out")" from-home "bash: ~/.aws/config by default"

# fish: complete -C runs the completion as fish does at the prompt.
if command -v fish >/dev/null; then
	fish_complete()
	{
		fish --no-config -c "set fish_complete_path '$COMPLETIONS/fish' \$fish_complete_path; complete -C '$1'" |
			cut -f1 | sort | paste -sd' '
	}
	fish -n "$COMPLETIONS/fish/ecs-ls.fish"
	ok $? "fish: syntax"
	is "$(fish_complete 'ecs-ls ')" "$KINDS" "fish: ecs-ls kinds"
	is "$(fish_complete 'ecs-ls --pro')" "--profile" "fish: long option"
	is "$(fish_complete 'ecs-log -p ')" "$PROFILES" "fish: profiles"
	is "$(fish_complete 'ecs-creds -o ')" \
		"credential-process env export json" "fish: ecs-creds -o values"
	is "$(fish_complete 'ecs-ls --launch-type ')" "EC2 EXTERNAL FARGATE" \
		"fish: --launch-type values"
	is "$(fish_complete 'ecs-ls services ')" "" "fish: no second kind"
	is "$(fish_complete 'ecs-stop --reason ')" "" \
		"fish: free value after --reason"
	want=$("$ECS_BIN/ecs-update" --help | grep -oE '^ {1,8}(-[A-Za-z0-9], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+' | sort | paste -sd' ')
	is "$(fish_complete 'ecs-update --' | tr ' ' '\n' | sort | paste -sd' ')" \
		"$want" "fish: ecs-update options match --help"
else
	ok 1 "fish is installed (install.sh --deps-only --test-deps)"
fi

# zsh: compinit in a real zsh on a terminal, completing with Tab.
if command -v zsh >/dev/null; then
	zsh -n "$COMPLETIONS/zsh/_ecs-tools"
	ok $? "zsh: syntax"
	TMUX_ENV="AWS_CONFIG_FILE='$AWS_CONFIG_FILE' AWS_SHARED_CREDENTIALS_FILE='$AWS_SHARED_CREDENTIALS_FILE'"
	tmux_start 160 30
	tmux_type "exec zsh -f"
	tmux_keys Enter
	tmux_type "PS1='zsh> '; fpath=('$COMPLETIONS/zsh' \$fpath); autoload -U compinit; compinit -u -D; clear"
	tmux_keys Enter
	wait_screen '^zsh>$' 10
	ok $? "zsh: compinit done"

	tmux_type "ecs-ls "
	tmux_keys Tab
	wait_screen 'deployments' 10
	ok $? "zsh: ecs-ls kinds listed"
	like "$(screen)" 'clusters +containers' "zsh: kinds side by side"
	tmux_keys C-u C-l
	wait_screen '^zsh>$' 10

	tmux_type "ecs-ls -p "
	tmux_keys Tab
	wait_screen 'dev-team' 10
	ok $? "zsh: profiles listed"
	like "$(screen)" 'ci +default +dev-team +ops +prod' "zsh: every profile"
	tmux_keys C-u C-l
	wait_screen '^zsh>$' 10

	tmux_type "ecs-log --fol"
	tmux_keys Tab
	wait_screen '^zsh> ecs-log --follow$' 10
	ok $? "zsh: a long option completed"
	tmux_keys C-u C-l
	wait_screen '^zsh>$' 10

	tmux_type "ecs-ls -o t"
	tmux_keys Tab
	wait_screen 'table +tsv' 10
	ok $? "zsh: ecs-ls -o values"
	tmux_keys C-u C-l
else
	ok 1 "zsh is installed (install.sh --deps-only --test-deps)"
fi

# make install puts every file where each shell looks.
make -s -C "$TEST_DIR/.." install DESTDIR="$TEST_SCRATCH/root" PREFIX=/usr \
	BINDIR="$ECS_BIN" >"$TEST_SCRATCH/install.log" 2>&1
is "$?" 0 "install: exit status 0"
share=$TEST_SCRATCH/root/usr/share
for program in $PROGRAMS; do
	cmp -s "$share/bash-completion/completions/$program" \
		"$COMPLETIONS/bash/ecs-ls"
	ok $? "install: bash file for $program"
	cmp -s "$share/fish/vendor_completions.d/$program.fish" \
		"$COMPLETIONS/fish/ecs-ls.fish"
	ok $? "install: fish file for $program"
done
cmp -s "$share/zsh/site-functions/_ecs-tools" "$COMPLETIONS/zsh/_ecs-tools"
ok $? "install: zsh file"

done_testing
