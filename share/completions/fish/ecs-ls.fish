# fish completion for ecs-tools: ecs-ls kinds, each program's options (read
# from its --help, so they never drift), profile names from the AWS config
# and credentials files, and the fixed values of -o, --desired-status,
# --launch-type and --via. fish loads this file by command name; the files
# for the other programs are the same file.

# Profile names: [profile NAME] and [default] in the config file, [NAME]
# in the credentials file, as the AWS CLI reads them.
function __ecs_tools_profiles
    set -l config ~/.aws/config
    set -q AWS_CONFIG_FILE; and set config $AWS_CONFIG_FILE
    set -l credentials ~/.aws/credentials
    set -q AWS_SHARED_CREDENTIALS_FILE; and set credentials $AWS_SHARED_CREDENTIALS_FILE
    begin
        test -r "$config"; and sed -n \
            -e 's/^[[:space:]]*\[[[:space:]]*default[[:space:]]*\].*/default/p' \
            -e 's/^[[:space:]]*\[[[:space:]]*profile[[:space:]]\{1,\}\([^]]*[^][:space:]]\)[[:space:]]*\].*/\1/p' \
            "$config"
        test -r "$credentials"; and sed -n \
            -e 's/^[[:space:]]*\[[[:space:]]*\([^][:space:]][^]]*[^][:space:]]\|[^][:space:]]\)[[:space:]]*\].*/\1/p' \
            "$credentials"
    end 2>/dev/null | sort -u
end

# Options of PROGRAM, one a line, as its --help lists them; an option that
# takes a value is followed by a space and the value's name.
function __ecs_tools_options -a program
    $program --help 2>/dev/null | awk '
		/^ +-/ && match($0, /^ +/) && RLENGTH <= 8 {
			n = split($0, w, / +/)
			i = 2
			short = ""
			if (w[i] ~ /^-[A-Za-z0-9],$/) {
				short = substr(w[i], 1, 2)
				i++
			}
			if (w[i] ~ /^--[a-z0-9-]+$/) {
				long = w[i]
				i++
			} else if (short == "" && w[i] ~ /^-[A-Za-z0-9]$/) {
				short = w[i]
				long = ""
				i++
			} else if (short == "") {
				next
			} else {
				long = ""
			}
			arg = (i <= n && w[i] ~ /^[A-Z][A-Z0-9_]*/) ? " " w[i] : ""
			if (short != "")
				print short arg
			if (long != "")
				print long arg
		}'
end

# Candidates for the token under the cursor, from the words before it.
function __ecs_tools_complete
    set -l words (commandline -opc)
    set -l program (basename -- $words[1])
    set -l prev $words[-1]
    set -l current (commandline -ct)

    switch $prev
        case -p --profile
            __ecs_tools_profiles
            return
        case -o --output
            switch $program
                case ecs-ls
                    printf '%s\n' json table tsv
                case ecs-log
                    printf '%s\n' json text raw
                case ecs-creds
                    printf '%s\n' json export env credential-process
                case ecs-exec
                    printf '%s\n' text json
                case ecs-stop ecs-update
                    printf '%s\n' json table
            end
            return
        case --desired-status
            printf '%s\n' RUNNING STOPPED ALL
            return
        case --launch-type
            printf '%s\n' FARGATE EC2 EXTERNAL
            return
        case --via
            printf '%s\n' fzf sk dmenu rofi
            return
        case --saml-assertion
            __fish_complete_path $current
            return
    end

    set -l options (__ecs_tools_options $program)
    # After an option that takes a value, the value is free text.
    for line in $options
        string match -q -- "$prev *" $line; and return
    end
    # Words after "--" are a command (ecs-exec, ecs-creds).
    contains -- -- $words[2..-1]; and return

    if string match -q -- '-*' $current
        string replace -r ' .*' '' -- $options
        return
    end
    set -l kinds clusters services tasks containers taskdefs instances events deployments
    if test "$program" = ecs-ls
        for word in $words[2..-1]
            contains -- $word $kinds; and return
        end
        printf '%s\n' $kinds
    end
end

for program in ecs-creds ecs-exec ecs-forward ecs-log ecs-ls ecs-pick ecs-stop ecs-update
    complete -c $program -f -a '(__ecs_tools_complete)'
end
