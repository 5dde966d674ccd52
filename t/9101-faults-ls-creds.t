#!/usr/bin/env bash
# ecs-ls and ecs-creds under every fault of the local AWS front (t/lib/fault-matrix.sh).
FAULT_PROGRAMS="ls creds"
. "$(dirname "$0")/lib/fault-matrix.sh"
