#!/usr/bin/env bash
# make install puts programs, man pages and completions under PREFIX, and
# install.sh reports what it would do.
. "$(dirname "$0")/lib/test-lib.sh"

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=$TEST_SCRATCH/prefix

for round in first second; do
	make -s -C "$repo" install PREFIX="$prefix" BINDIR="$ECS_BIN" \
		BUILD="${ECS_BUILD:-$repo/build}" \
		>"$TEST_SCRATCH/install.out" 2>&1
	is $? 0 "make install succeeds the $round time" ||
		diag "$(cat "$TEST_SCRATCH/install.out")"
done
for prog in "$ECS_BIN"/ecs-*; do
	name=$(basename "$prog")
	[ -x "$prefix/bin/$name" ]
	ok $? "$name is installed and executable"
	if [ -e "$repo/share/man/man1/$name.1" ]; then
		[ -f "$prefix/share/man/man1/$name.1" ]
		ok $? "$name.1 is installed"
	fi
done
"$prefix/bin/ecs-ls" --version >"$TEST_SCRATCH/version"
like "$(cat "$TEST_SCRATCH/version")" "^ecs-ls [0-9]+\.[0-9]+\.[0-9]+$" \
	"the installed ecs-ls prints its version"

"$repo/install.sh" --bogus >/dev/null 2>"$TEST_SCRATCH/err"
is $? 2 "install.sh rejects an unknown argument"
like "$(cat "$TEST_SCRATCH/err")" 'unknown argument "--bogus"' \
	"the error names the argument"
"$repo/install.sh" --check >"$TEST_SCRATCH/check"
is $? 0 "install.sh --check finds the build dependencies"

done_testing
