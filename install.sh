#!/bin/sh
# Installs the Debian build dependencies when they are missing, builds
# ecs-tools and installs it under PREFIX. Safe to run more than once.
#
#   ./install.sh                 dependencies, build, install
#   ./install.sh --deps-only     only the build dependencies
#   ./install.sh --test-deps     also the test dependencies (with --deps-only
#                                or a full install)
#   ./install.sh --check         list missing packages, install nothing
#   PREFIX=DIR ./install.sh      install under DIR (default /usr/local for
#                                root, ~/.local otherwise)
set -eu

cd "$(dirname "$0")"

BUILD_PKGS="make gcc pkg-config libcurl4-openssl-dev libssl-dev libjq-dev \
libonig-dev libwebsockets-dev"
# clang's libFuzzer and sanitizer runtimes (for make fuzz) are in
# libclang-rt-dev, which clang only recommends.
TEST_PKGS="tmux jq fzf perl python3 python3-venv procps faketime zsh fish \
clang libclang-rt-dev"

deps_only=0
test_deps=0
check=0
for arg in "$@"; do
	case "$arg" in
	--deps-only) deps_only=1 ;;
	--test-deps) test_deps=1 ;;
	--check) check=1 ;;
	-h|--help)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0 ;;
	*)
		echo "install.sh: unknown argument \"$arg\"; see --help" >&2
		exit 2 ;;
	esac
done

VENV=build/python
PY_PKGS="moto[server] boto3 awscli"

# python_ready: whether python3 imports moto's server and boto3, and the
# AWS CLI runs.
python_ready()
{
	python3 -c 'import moto.server, boto3' 2>/dev/null &&
		aws --version >/dev/null 2>&1
}

venv_ready()
{
	[ -x "$VENV/bin/python3" ] && (PATH="$PWD/$VENV/bin:$PATH" && python_ready)
}

wanted="$BUILD_PKGS"
[ "$test_deps" = 1 ] && wanted="$wanted $TEST_PKGS"

missing=""
for p in $wanted; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ "$check" = 1 ]; then
	if [ "$test_deps" = 1 ] && ! python_ready && ! venv_ready; then
		missing="$missing (python: $PY_PKGS)"
	fi
	if [ -n "$missing" ]; then
		echo "missing packages:$missing"
		exit 1
	fi
	echo "all packages are installed"
	exit 0
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install.sh: missing Debian packages:$missing" >&2
		echo "install.sh: run as root, or: sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "install.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends $missing; then
		apt-get update
		apt-get install -y --no-install-recommends $missing
	fi
fi

# The tests and the demo need moto (an AWS emulator), boto3 and the AWS
# CLI in python3. Debian ships no moto, so when python3 lacks them they go
# into a virtual environment in build/python, which the Makefile puts
# first in PATH for the tests and the demo.
# NOTE: this branch needs a Python package index and has not been run on a
# machine that reaches one.
if [ "$test_deps" = 1 ] && ! python_ready && ! venv_ready; then
	echo "install.sh: installing moto, boto3 and the AWS CLI in $VENV"
	if ! python3 -m venv "$VENV"; then
		echo "install.sh: python3 -m venv failed; install python3-venv" >&2
		exit 1
	fi
	if ! "$VENV/bin/python3" -m pip install --quiet $PY_PKGS; then
		echo "install.sh: pip install $PY_PKGS failed (the error is above)" >&2
		exit 1
	fi
fi

[ "$deps_only" = 1 ] && exit 0

if [ -z "${PREFIX:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		PREFIX=/usr/local
	else
		PREFIX="$HOME/.local"
	fi
fi
make -j"$(nproc 2>/dev/null || echo 2)"
make install PREFIX="$PREFIX"
echo "install.sh: installed under $PREFIX"
case ":$PATH:" in
*":$PREFIX/bin:"*) ;;
*) echo "install.sh: add $PREFIX/bin to PATH to run the programs" ;;
esac
